"""M-RoPE (embedkit.rotary.mrope) against Hugging Face's Qwen2-VL and Qwen3-VL, the reduction
to RoPE for text, and clear errors on bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import mrope

transformers = pytest.importorskip("transformers")
from transformers import Qwen2VLConfig, Qwen3VLConfig  # noqa: E402
from transformers.models.qwen2_vl import modeling_qwen2_vl as qwen2_vl  # noqa: E402
from transformers.models.qwen3_vl import modeling_qwen3_vl as qwen3_vl  # noqa: E402

transformers.logging.set_verbosity_error()
IMAGE = 127


def text_config(head_dim, section, base, **extra):
    return dict(hidden_size=2 * head_dim, num_attention_heads=2, num_key_value_heads=1,
                head_dim=head_dim, intermediate_size=32, num_hidden_layers=1, vocab_size=128,
                rope_parameters={"rope_type": "default", "rope_theta": base,
                                 "mrope_section": list(section), **extra})


def qwen2_config(head_dim, section, base, merge=2):
    return Qwen2VLConfig(text_config=text_config(head_dim, section, base),
                         vision_config=dict(depth=1, embed_dim=16, hidden_size=2 * head_dim,
                                            num_heads=2, spatial_merge_size=merge),
                         image_token_id=IMAGE, video_token_id=126, vision_start_token_id=125)


@pytest.mark.parametrize("head_dim, section, base, seed", [
    (32, [4, 6, 6], 10000.0, 0), (16, [2, 3, 3], 1_000_000.0, 1), (64, [16, 8, 8], 500.0, 2)])
def test_sections_match_qwen2_vl(head_dim, section, base, seed):
    torch.manual_seed(seed)
    config = qwen2_config(head_dim, section, base)
    hf = qwen2_vl.Qwen2VLRotaryEmbedding(config.text_config)
    q, k = torch.randn(2, 1, 2, 30, head_dim).unbind(0)
    pos = torch.randint(0, 500, (3, 30))
    cos, sin = hf(q, pos[:, None])
    hf_q, hf_k = qwen2_vl.apply_rotary_pos_emb(q, k, cos, sin)
    inv = rotary.inverse_frequencies(head_dim, base)
    for ours, theirs in ((rotary.apply_mrope(q, pos, inv, section), hf_q),
                         (rotary.apply_mrope(k, pos, inv, section), hf_k)):
        torch.testing.assert_close(ours, theirs, atol=2e-4, rtol=0)  # HF: float32 angles


@pytest.mark.parametrize("head_dim, section, base, seed", [
    (32, [6, 5, 5], 5_000_000.0, 0), (128, [24, 20, 20], 5_000_000.0, 1),
    (24, [4, 4, 4], 10000.0, 2)])
def test_interleaved_matches_qwen3_vl(head_dim, section, base, seed):
    torch.manual_seed(seed)
    config = Qwen3VLConfig(text_config=text_config(head_dim, section, base,
                                                   mrope_interleaved=True))
    hf = qwen3_vl.Qwen3VLTextRotaryEmbedding(config.text_config)
    q, k = torch.randn(2, 1, 2, 30, head_dim).unbind(0)
    pos = torch.randint(0, 500, (3, 30))
    cos, sin = hf(q, pos[:, None])
    hf_q, hf_k = qwen3_vl.apply_rotary_pos_emb(q, k, cos, sin)
    inv = rotary.inverse_frequencies(head_dim, base)
    for ours, theirs in ((rotary.apply_mrope(q, pos, inv, section, layout="interleaved"), hf_q),
                         (rotary.apply_mrope(k, pos, inv, section, layout="interleaved"), hf_k)):
        torch.testing.assert_close(ours, theirs, atol=2e-4, rtol=0)  # HF: float32 angles


def test_qwen3_layout_spreads_every_axis_over_fast_and_slow_pairs():
    axes = rotary.pair_axes([24, 20, 20], layout="interleaved")
    assert axes[:6].tolist() == [0, 1, 2, 0, 1, 2]
    assert axes[60:].tolist() == [0, 0, 0, 0]                 # time takes the tail
    assert torch.bincount(axes).tolist() == [24, 20, 20]
    assert rotary.pair_axes([16, 24, 24]).tolist() == [0] * 16 + [1] * 24 + [2] * 24


@pytest.mark.parametrize("grids, ids", [
    ([[1, 4, 6]], [1, 2, 125] + [IMAGE] * 6 + [3, 4]),
    ([[1, 4, 6], [1, 4, 4]], [1, 2, 125] + [IMAGE] * 6 + [3, 4, 125] + [IMAGE] * 4 + [5]),
    ([[1, 2, 8], [2, 4, 4]], [9] + [IMAGE] * 4 + [8, 7] + [IMAGE] * 8),
    ([[1, 6, 2]], [IMAGE] * 3 + [3, 3, 3]),
])
def test_rope_index_matches_qwen2_vl_get_rope_index(grids, ids):
    torch.manual_seed(0)
    model = qwen2_vl.Qwen2VLModel(qwen2_config(16, [2, 3, 3], 10000.0)).eval()
    ids, grids = torch.tensor(ids), torch.tensor(grids)
    theirs, _ = model.get_rope_index(ids[None], (ids == IMAGE).int()[None], image_grid_thw=grids)
    assert torch.equal(rotary.rope_index(ids, IMAGE, grids), theirs[:, 0])


def test_rope_index_without_images_counts_up():
    assert torch.equal(rotary.rope_index([4, 5, 6], IMAGE, []), torch.arange(3).expand(3, -1))


sections = st.integers(1, 12).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(0, n), st.integers(0, n)).map(
    lambda t: (t[0], sorted((t[1], t[2])))).map(
    lambda t: [t[1][0], t[1][1] - t[1][0], t[0] - t[1][1]]))


@settings(max_examples=40, deadline=None)
@given(sections, st.sampled_from(mrope.MROPE_LAYOUTS), st.integers(0, 10**6),
       st.floats(2.0, 1e7), st.integers(0, 2**31 - 1))
def test_text_positions_are_plain_rope(section, layout, offset, base, seed):
    pairs = sum(section)
    if layout == "interleaved":
        try:
            rotary.pair_axes(section, layout=layout)
        except ValueError:
            return                                          # not interleavable: refused
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 7, 2 * pairs, generator=g)
    m = torch.arange(offset, offset + 7)
    inv = rotary.inverse_frequencies(2 * pairs, base)
    plain = rotary.RoPE(2 * pairs, base=base, max_positions=offset + 7).rotate(x, m)
    for positions in (m, torch.stack([m, m, m])):
        assert torch.equal(rotary.apply_mrope(x, positions, inv, section, layout=layout), plain)


def test_each_axis_moves_only_its_own_pairs():
    inv = rotary.inverse_frequencies(32, 10000.0)
    base = torch.tensor([[5], [5], [5]])
    for axis in range(3):
        moved = base.clone()
        moved[axis] += 3
        a0 = mrope.mrope_angles(base, inv, [4, 6, 6])
        a1 = mrope.mrope_angles(moved, inv, [4, 6, 6])
        changed = (a1 != a0)[0]
        assert torch.equal(changed, rotary.pair_axes([4, 6, 6]) == axis)


inv16 = rotary.inverse_frequencies(16, 10000.0)


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: mrope.mrope_angles(torch.zeros(3, 4, dtype=torch.long), inv16, [2, 3, 2]),
     ValueError, "mrope_section must add up to the number of pairs (head_dim / 2 = 8), "
                 "got [2, 3, 2] (sum 7)"),
    (lambda: rotary.pair_axes([2, 3]), ValueError, "mrope_section must have three entries"),
    (lambda: rotary.pair_axes("233"), TypeError, "mrope_section must be a list of three"),
    (lambda: rotary.pair_axes([2, 3.0, 3]), TypeError, "mrope_section[1] must be an integer"),
    (lambda: rotary.pair_axes([16, 24, 24], layout="interleaved"), ValueError,
     "cannot be interleaved over 64 pairs"),
    (lambda: rotary.pair_axes([2, 3, 3], layout="zigzag"), ValueError, "layout must be one of"),
    (lambda: mrope.mrope_angles(torch.zeros(2, 4, dtype=torch.long), inv16, [2, 3, 3]),
     ValueError, "positions must have shape (seq,) for text or (3, seq)"),
    (lambda: mrope.mrope_angles(torch.zeros(3, 4), inv16, [2, 3, 3]), TypeError,
     "positions must hold integers"),
    (lambda: mrope.mrope_angles(torch.full((3, 4), -1), inv16, [2, 3, 3]), ValueError,
     "positions must be >= 0"),
    (lambda: rotary.apply_mrope(torch.full((4, 16), math.nan), torch.arange(4), inv16,
                                [2, 3, 3]), ValueError, "x must be finite"),
    (lambda: mrope.mrope_angles(torch.arange(4), torch.full((8,), math.inf), [2, 3, 3]),
     ValueError, "inv_freq must be finite"),
    (lambda: rotary.rope_index([1, IMAGE, IMAGE, 2], IMAGE, [[1, 4, 4]]), ValueError,
     "needs 4 placeholder tokens from index 1, got 2"),
    (lambda: rotary.rope_index([1, IMAGE, 2], IMAGE, [[1, 2, 2], [1, 2, 2]]), ValueError,
     "image_grid_thw has 2 grid(s) but input_ids holds 1 image(s)"),
    (lambda: rotary.rope_index([1, IMAGE], IMAGE, [[1, 3, 2]]), ValueError,
     "divisible by spatial_merge_size=2"),
    (lambda: rotary.rope_index([1, IMAGE], IMAGE, [1, 2, 2]), ValueError,
     "image_grid_thw must have shape (images, 3)"),
])
def test_bad_input_is_refused_clearly(call, exc, fragment):
    with pytest.raises(exc) as err:
        call()
    assert fragment in str(err.value)
