"""embedkit.rotary.layouts: the half and interleaved layouts are one function up to a permutation, and a
converted checkpoint keeps its attention scores."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import RoPE, convert_projection, layout_permutation

torch.set_num_threads(2)


def test_layout_permutation_value():
    assert layout_permutation(8).tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    assert layout_permutation(8, rotary_fraction=0.5).tolist() == [0, 2, 1, 3, 4, 5, 6, 7]


@given(
    pairs=st.integers(1, 32),
    seq=st.integers(1, 12),
    offset=st.integers(0, 2000),
    fraction=st.sampled_from([1.0, 0.5]),
)
def test_layouts_are_the_same_function_up_to_the_permutation(pairs, seq, offset, fraction):
    head_dim = 4 * pairs if fraction == 0.5 else 2 * pairs
    torch.manual_seed(seq + pairs)
    x = torch.randn(3, 2, seq, head_dim)
    positions = torch.randint(0, offset + seq, (seq,))
    half = RoPE(head_dim, layout="half", rotary_fraction=fraction, max_positions=offset + seq)
    inter = RoPE(head_dim, layout="interleaved", rotary_fraction=fraction, max_positions=offset + seq)
    perm = layout_permutation(head_dim, rotary_fraction=fraction)
    # permute, rotate the half way  ==  rotate the interleaved way, permute
    torch.testing.assert_close(half.rotate(x[..., perm], positions), inter.rotate(x, positions)[..., perm], rtol=0, atol=0)


def test_checkpoint_conversion_matches_the_transformers_converter_and_keeps_scores():
    """An interleaved (Meta) q/k projection, converted, gives identical attention scores in the half layout.
    The reference is the permutation written in transformers' Llama conversion script:
    w.view(n_heads, d/2, 2, dim).transpose(1, 2).reshape(dim_out, dim)."""
    torch.manual_seed(3)
    n_heads, head_dim, d_model, seq = 4, 16, 64, 10
    wq = torch.randn(n_heads * head_dim, d_model)
    wk = torch.randn(2 * head_dim, d_model)  # 2 key/value heads
    hf_style = wq.view(n_heads, head_dim // 2, 2, d_model).transpose(1, 2).reshape(n_heads * head_dim, d_model)
    assert torch.equal(convert_projection(wq, n_heads, to="half"), hf_style)
    assert torch.equal(convert_projection(convert_projection(wq, n_heads), n_heads, to="interleaved"), wq)

    x = torch.randn(1, seq, d_model)
    positions = torch.arange(seq)

    def scores(wq, wk, layout):
        q = (x @ wq.T).view(1, seq, n_heads, head_dim).transpose(1, 2)
        k = (x @ wk.T).view(1, seq, 2, head_dim).transpose(1, 2).repeat_interleave(2, dim=1)
        rope = RoPE(head_dim, layout=layout)
        return rope.rotate(q, positions) @ rope.rotate(k, positions).transpose(-1, -2)

    meta = scores(wq, wk, "interleaved")
    converted = scores(convert_projection(wq, n_heads), convert_projection(wk, 2), "half")
    unconverted = scores(wq, wk, "half")
    torch.testing.assert_close(converted, meta, rtol=1e-4, atol=1e-4)
    assert (unconverted - meta).abs().max() > 1.0  # forgetting the conversion changes the model


def test_pair_channels_are_what_apply_rotates_together():
    """Rotating a vector with a single nonzero channel moves it only within that channel's pair."""
    for layout in ("half", "interleaved"):
        pairs = rotary.pair_channels(12, layout, rotary_fraction=2 / 3)
        rope = RoPE(12, layout=layout, rotary_fraction=2 / 3)
        assert len(pairs) == rope.pairs == 4
        for first, second in pairs:
            x = torch.zeros(1, 12)
            x[0, first] = 1.0
            y = rope.rotate(x, [3])[0]
            assert set(torch.nonzero(y.abs() > 1e-9).flatten().tolist()) == {first, second}
    assert rotary.pair_channels(8, "half") == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert rotary.pair_channels(8, "interleaved") == [(0, 1), (2, 3), (4, 5), (6, 7)]
