"""Partial rotation and decoupled RoPE (embedkit.rotary.partial), against Hugging Face transformers.

* partial rotation equals GPT-NeoX's and Phi's ``apply_rotary_pos_emb`` with their own rotary classes;
* the rotated part of a score depends on the offset only, the pass-through part on no position (hypothesis);
* :class:`LatentAttention`, computed from the latent cache alone, equals ``DeepseekV3Attention`` (which
  expands keys and values) on random configurations, and decoding from the cache equals the full pass;
* :func:`kv_cache_bytes` is the closed form over DeepSeek-V3's configuration;
* bad input gets a clear error.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import LatentAttention, kv_cache_bytes, partial_rope, split_scores

transformers = pytest.importorskip("transformers")
from transformers.models.deepseek_v3 import modeling_deepseek_v3 as ds  # noqa: E402
from transformers.models.gpt_neox import modeling_gpt_neox as neox  # noqa: E402
from transformers.models.phi import modeling_phi as phi  # noqa: E402


# -- partial rotation against Hugging Face -------------------------------------------------------------

@pytest.mark.parametrize("model,hidden,heads,fraction,seed", [
    ("neox", 128, 4, 0.25, 0),
    ("neox", 96, 2, 0.5, 1),
    ("phi", 160, 2, 0.4, 2),
    ("phi", 256, 4, 0.75, 3),
])
def test_partial_rotation_equals_hugging_face(model, hidden, heads, fraction, seed):
    torch.manual_seed(seed)
    # the fraction goes in rope_parameters: GPTNeoXConfig ignores a partial_rotary_factor= keyword
    params = {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": fraction}
    if model == "neox":
        config = transformers.GPTNeoXConfig(hidden_size=hidden, num_attention_heads=heads,
                                            rope_parameters=params)
        rotary_class, hf_apply = neox.GPTNeoXRotaryEmbedding, neox.apply_rotary_pos_emb
    else:
        config = transformers.PhiConfig(hidden_size=hidden, num_attention_heads=heads,
                                        rope_parameters=params)
        rotary_class, hf_apply = phi.PhiRotaryEmbedding, phi.apply_rotary_pos_emb
    head_dim = hidden // heads
    q, k = torch.randn(2, heads, 40, head_dim), torch.randn(2, heads, 40, head_dim)
    positions = torch.arange(3, 43)
    embedding = rotary_class(config)
    cos, sin = embedding(q, positions[None].expand(2, -1))
    r = cos.shape[-1]
    hf_q, hf_k = hf_apply(q[..., :r], k[..., :r], cos, sin)  # Phi's attention cuts the rotated part
    hf_q, hf_k = torch.cat([hf_q, q[..., r:]], -1), torch.cat([hf_k, k[..., r:]], -1)
    rope = rotary.RoPE.from_config(config)
    assert rope.rotary_dim == r == int(head_dim * fraction)
    assert torch.allclose(rope.inv_freq.float(), embedding.inv_freq, rtol=0, atol=1e-7)
    # the same cos/sin through the package's apply: float32 rounding only
    for x, ref in ((q, hf_q), (k, hf_k)):
        same = rotary.apply(x, cos[:, None, :, : r // 2], sin[:, None, :, : r // 2])
        assert (same - ref).abs().max() < 1e-6
        # the package's own cos/sin (float64 angles) at small positions
        assert (rope.rotate(x, positions) - ref).abs().max() < 1e-5
        assert torch.equal(rope.rotate(x, positions)[..., r:], x[..., r:])
    # partial_rope by channel count is the same RoPE as the fraction in the config
    assert torch.equal(partial_rope(head_dim, r).inv_freq, rope.inv_freq)


def test_partial_rope_rounds_to_the_asked_channels():
    # 58/200 · 200 = 57.99…: a plain fraction would rotate 56 channels
    assert int(200 * (58 / 200)) < 58
    assert partial_rope(200, 58).rotary_dim == 58
    for head_dim in range(4, 130, 2):
        for r in range(2, head_dim + 1, 2):
            assert partial_rope(head_dim, r).rotary_dim == r


# -- the two parts of a partially rotated score ---------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(half=st.integers(1, 8), extra=st.integers(1, 8), m=st.integers(0, 5000), n=st.integers(0, 5000),
       shift=st.integers(0, 5000), seed=st.integers(0, 2**16))
def test_rotated_part_depends_on_offset_and_passed_part_on_nothing(half, extra, m, n, shift, seed):
    gen = torch.Generator().manual_seed(seed)
    r, d = 2 * half, 2 * half + 2 * extra
    rope = partial_rope(d, r, max_positions=10_001)
    # float64 vectors; RoPE's cached cos/sin are float32 values, hence the 1e-5 tolerances
    q = torch.randn(3, d, generator=gen, dtype=torch.float64)
    k = torch.randn(3, d, generator=gen, dtype=torch.float64)
    a_rot, a_pass = split_scores(q, k, rope, q_positions=[m] * 3, k_positions=[n] * 3)
    b_rot, b_pass = split_scores(q, k, rope, q_positions=[m + shift] * 3, k_positions=[n + shift] * 3)
    assert torch.allclose(a_rot, b_rot, atol=1e-5)
    # pass-through: the plain dot product of the unrotated channels, at any positions
    assert torch.equal(a_pass, q[:, r:] @ k[:, r:].T) and torch.equal(a_pass, b_pass)
    # closed form of the rotated part: Σ_i Re[q_i conj(k_i)·e^{i(m−n)θ_i}] over the pairs
    qc = torch.complex(q[:, :half], q[:, half:r])
    kc = torch.complex(k[:, :half], k[:, half:r])
    phase = torch.exp(1j * (m - n) * rope.inv_freq)
    assert torch.allclose(a_rot, ((qc[:, None] * kc[None].conj()) * phase).real.sum(-1), atol=1e-5)
    # the parts add up to the score of the rotated vectors
    full = rope.rotate(q, [m] * 3) @ rope.rotate(k, [n] * 3).T
    assert torch.allclose(a_rot + a_pass, full, atol=1e-5)


# -- multi-head latent attention against DeepseekV3Attention --------------------------------------------

def _deepseek(seed, q_lora_rank, interleave, heads=4, hidden=64):
    config = transformers.DeepseekV3Config(
        hidden_size=hidden, num_attention_heads=heads, num_key_value_heads=heads, kv_lora_rank=16,
        q_lora_rank=q_lora_rank, qk_nope_head_dim=8, qk_rope_head_dim=4, v_head_dim=8,
        rope_interleave=interleave, attn_implementation="eager")
    torch.manual_seed(seed)
    attention = ds.DeepseekV3Attention(config, layer_idx=0).eval()
    for weight in attention.parameters():
        torch.nn.init.normal_(weight, std=0.2)
    return config, attention


@pytest.mark.parametrize("seed,q_lora_rank,interleave,heads", [
    (0, None, True, 4), (1, 24, False, 4), (2, 24, True, 2), (3, None, False, 8),
])
def test_latent_attention_equals_deepseek_v3(seed, q_lora_rank, interleave, heads):
    config, hf = _deepseek(seed, q_lora_rank, interleave, heads=heads)
    seq = 10
    hidden = torch.randn(2, seq, 64)
    positions = torch.arange(seq)[None].expand(2, -1)
    cos_sin = ds.DeepseekV3RotaryEmbedding(config)(hidden, positions)
    mask = torch.full((seq, seq), torch.finfo(torch.float32).min).triu(1)[None, None]
    ours = LatentAttention.from_hugging_face(hf)
    assert ours.rope.layout == ("interleaved" if interleave else "half")
    with torch.no_grad():
        hf_out, hf_weights = hf(hidden, cos_sin, mask)
        out, weights, cache = ours(hidden)
        assert hf_out.abs().max() > 0.1
        assert (out - hf_out).abs().max() < 1e-5
        assert (weights - hf_weights).abs().max() < 1e-5
        # the cache is the latent and one rotated key per token, nothing per head
        assert cache[0].shape == (2, seq, config.kv_lora_rank)
        assert cache[1].shape == (2, seq, config.qk_rope_head_dim)
        # decoding token by token from the cache gives the full pass
        step = tuple(part[:, :4] for part in cache)
        for t in range(4, seq):
            one, _, step = ours(hidden[:, t : t + 1], cache=step)
            assert (one - out[:, t : t + 1]).abs().max() < 1e-5


def test_latent_scores_split_into_content_and_rope_terms():
    """The content term is position-free; the rope term is RoPE on the shared key (offset only)."""
    _, hf = _deepseek(5, 24, True)
    ours = LatentAttention.from_hugging_face(hf)
    hidden = torch.randn(1, 6, 64)
    with torch.no_grad():
        nope_a, rope_a = ours.scores(hidden, ours.compress(hidden), offset=0)
        nope_b, rope_b = ours.scores(hidden, ours.compress(hidden, offset=700), offset=700)
        # same tokens shifted by 700 positions: content equal, rope term equal up to rounding
        assert torch.equal(nope_a, nope_b)
        assert (rope_a - rope_b).abs().max() < 1e-4
        # the query shifted alone: the rope term changes, the content term does not
        nope_c, rope_c = ours.scores(hidden, ours.compress(hidden), offset=3)
        assert torch.equal(nope_a, nope_c) and (rope_a - rope_c).abs().max() > 1e-3


# -- the cache's size --------------------------------------------------------------------------------------

def test_kv_cache_bytes_of_deepseek_v3():
    v3 = transformers.DeepseekV3Config()
    assert (v3.num_hidden_layers, v3.num_attention_heads, v3.kv_lora_rank) == (61, 128, 512)
    assert (v3.qk_rope_head_dim, v3.qk_nope_head_dim, v3.v_head_dim) == (64, 128, 128)
    got = kv_cache_bytes(v3)
    assert got == {"mla": 61 * (512 + 64) * 2, "mha": 61 * 128 * (128 + 64 + 128) * 2}
    assert kv_cache_bytes(v3.to_dict(), dtype=torch.float32) == {k: 2 * v for k, v in got.items()}
    assert math.isclose(got["mha"] / got["mla"], 128 * 320 / 576)


# -- bad input ---------------------------------------------------------------------------------------------

def _ours():
    return LatentAttention.from_hugging_face(_deepseek(0, None, True)[1])


@pytest.mark.parametrize("call,exc,fragment", [
    (lambda: partial_rope(16, 5), ValueError, "rotary_dim must be even (channels turn in pairs), got 5"),
    (lambda: partial_rope(16, 20), ValueError, "rotary_dim must be an integer >= 2 and <= 16, got 20"),
    (lambda: partial_rope(16, 0), ValueError, "rotary_dim must be an integer >= 2 and <= 16, got 0"),
    (lambda: partial_rope(16, 4.0), TypeError, "rotary_dim must be an integer"),
    (lambda: partial_rope(16, 4, layout="meta"), ValueError, "layout must be one of 'half', 'interleaved'"),
    (lambda: split_scores(torch.full((2, 8), math.nan), torch.zeros(2, 8), partial_rope(8, 4)), ValueError,
     "q must be finite, got 16 non-finite value(s)"),
    (lambda: split_scores(torch.zeros(2, 8), torch.zeros(2, 6), partial_rope(8, 4)), ValueError,
     "k must have shape (..., seq, 8), got (2, 6)"),
    (lambda: split_scores(torch.zeros(2, 8), torch.zeros(2, 8), 4), TypeError,
     "rope must be an embedkit.rotary.RoPE, got 4 (int)"),
    (lambda: _ours()(torch.zeros(2, 3, 32)), ValueError, "hidden must have shape (batch, seq, 64), got (2, 3, 32)"),
    (lambda: _ours()(torch.full((1, 2, 64), math.inf)), ValueError, "hidden must be finite"),
    (lambda: LatentAttention(**{**vars(_ours()), "rope": rotary.RoPE(8)}), ValueError,
     "rope must rotate all rope_dim=4 channels"),
    (lambda: LatentAttention(**{**vars(_ours()), "q_proj": None}), ValueError,
     "give q_proj, or q_a_proj, q_a_norm and q_b_proj"),
    (lambda: LatentAttention(**{**vars(_ours()), "o_proj": torch.zeros(64, 8)}), ValueError,
     "o_proj must have shape (64, 32), got (64, 8)"),
    (lambda: kv_cache_bytes({"num_hidden_layers": 2}), TypeError, "num_attention_heads must be an integer >= 1, got None"),
    (lambda: kv_cache_bytes(transformers.DeepseekV3Config(), dtype="bf16"), TypeError,
     "dtype must be a torch.dtype such as torch.bfloat16"),
], ids=["odd rotary_dim", "rotary_dim > head_dim", "rotary_dim 0", "rotary_dim float", "bad layout",
        "non-finite q", "k of another width", "rope not a RoPE", "hidden of another width",
        "non-finite hidden", "rope of another width", "no query projection", "o_proj of another shape",
        "config without heads", "dtype string"])
def test_bad_input_gets_a_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), str(info.value)
