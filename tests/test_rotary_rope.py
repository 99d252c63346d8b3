"""embedkit.rotary.rope: RoPE against Hugging Face's Llama rotary code and Meta's complex form, inside
attention with a KV cache, and its errors."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit import rotary
from embedkit.rotary import RoPE, apply, rotate_reference

torch.set_num_threads(2)


def hf_rope(head_dim: int, positions: torch.Tensor, x: torch.Tensor, base: float = 10000.0, rope_parameters=None):
    """Rotate x (batch, heads, seq, head_dim) with transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb."""
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

    params = rope_parameters or {"rope_type": "default", "rope_theta": base}
    config = LlamaConfig(hidden_size=head_dim * 4, num_attention_heads=4, head_dim=head_dim,
                         max_position_embeddings=4096, rope_parameters=params)
    cos, sin = LlamaRotaryEmbedding(config)(x, positions[None])
    out, _ = apply_rotary_pos_emb(x, x, cos, sin)
    return out


def meta_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Meta's Llama formulation, written from its description: pairs (2i, 2i+1) as complex numbers times
    freqs_cis = polar(1, m·θ_i)."""
    d = x.shape[-1]
    freqs = 1.0 / (base ** (torch.arange(0, d, 2)[: d // 2].float() / d))
    freqs_cis = torch.polar(torch.ones(len(positions), d // 2), torch.outer(positions.float(), freqs))
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(xc * freqs_cis).flatten(-2)


@pytest.mark.parametrize("head_dim,base", [(64, 10000.0), (128, 500000.0), (32, 10000.0)])
@pytest.mark.parametrize("offset", [0, 1000])
def test_half_layout_equals_hugging_face_llama(head_dim, base, offset):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 12, head_dim)
    positions = torch.arange(offset, offset + 12)
    rope = RoPE(head_dim, base=base)
    ours = rope.rotate(x, positions)
    # HF forms the angles m·θ_i in float32 (error ≈ m·2^-24 rad); ours are float64, then cast.
    tol = 1e-5 + 2 * offset * 2**-24 * float(x.abs().max())
    torch.testing.assert_close(ours, hf_rope(head_dim, positions, x, base), rtol=1e-5, atol=tol)
    exact = rotate_reference(x, positions, rope.inv_freq)
    assert (ours.double() - exact).abs().max() < 2e-6


def test_interleaved_layout_equals_meta_complex_form():
    torch.manual_seed(1)
    x = torch.randn(1, 3, 20, 64)
    positions = torch.arange(5, 25)
    ours = RoPE(64, layout="interleaved").rotate(x, positions)
    torch.testing.assert_close(ours, meta_rope(x, positions), rtol=1e-5, atol=1e-5)


def test_partial_rotary_equals_hugging_face_partial_rotary_factor():
    """HF (e.g. GPT-NeoX, Phi) rotates the first int(d·f) channels with frequencies over that sub-dimension."""
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    torch.manual_seed(2)
    x = torch.randn(1, 2, 9, 64)
    positions = torch.arange(9)
    rope = RoPE(64, rotary_fraction=0.25)
    assert rope.rotary_dim == 16
    inv = 1.0 / (10000 ** (torch.arange(0, 16, 2).float() / 16))
    emb = torch.cat([torch.outer(positions.float(), inv)] * 2, -1)
    rotated, _ = apply_rotary_pos_emb(x[..., :16], x[..., :16], emb.cos()[None], emb.sin()[None])
    expected = torch.cat([rotated, x[..., 16:]], -1)
    torch.testing.assert_close(rope.rotate(x, positions), expected)
    assert torch.equal(rope.rotate(x, positions)[..., 16:], x[..., 16:])


def test_position_zero_is_the_identity_and_rotation_is_counter_clockwise():
    x = torch.tensor([[1.0, 0.0]])
    rope = RoPE(2, base=10000.0)
    assert torch.equal(rope.rotate(x, [0]), x)
    # a single pair has θ_0 = 1: position 1 turns (1, 0) to (cos 1, sin 1)
    torch.testing.assert_close(rope.rotate(x, [1]), torch.tensor([[math.cos(1), math.sin(1)]]))


def test_dynamic_ntk_leaves_short_sequences_alone():
    scaled = RoPE(32, scaling={"rope_type": "dynamic", "factor": 4.0, "original_max_position_embeddings": 64}, max_positions=512)
    plain = RoPE(32, max_positions=512)
    x = torch.randn(1, 64, 32)
    torch.testing.assert_close(scaled.rotate(x), plain.rotate(x))
    assert not torch.allclose(scaled.rotate(torch.randn(1, 200, 32)), plain.rotate(torch.randn(1, 200, 32)))


def test_clear_errors():
    with pytest.raises(ValueError, match="head_dim must be even.*63"):
        RoPE(63)
    with pytest.raises(ValueError, match="head_dim .* must be even, got 7"):
        apply(torch.randn(3, 7), torch.randn(3, 3), torch.randn(3, 3))
    rope = RoPE(16, max_positions=100)
    with pytest.raises(ValueError, match="position 100 is beyond the cos/sin cache \\(max_positions=100\\)"):
        rope.rotate(torch.randn(1, 101, 16))
    with pytest.raises(ValueError, match="position 150 is beyond"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([3, 150]))
    with pytest.raises(ValueError, match="got 3 positions for a sequence of 2"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="positions must hold integers"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="shape \\(\\.\\.\\., seq, 16\\)"):
        rope.rotate(torch.randn(1, 2, 32))
    cos, sin = rope.cos_sin(torch.arange(4))
    with pytest.raises(TypeError, match="cos is torch.float32 but x is torch.bfloat16"):
        apply(torch.randn(4, 16, dtype=torch.bfloat16), cos, sin)
    with pytest.raises(ValueError, match="cos is on cpu but x is on meta"):
        apply(torch.empty(4, 16, device="meta"), cos, sin)
    with pytest.raises(ValueError, match="cover 4 positions but x has 5"):
        apply(torch.randn(5, 16), cos, sin)
    with pytest.raises(ValueError, match="layout must be one of 'half', 'interleaved', got 'neox'"):
        RoPE(16, layout="neox")
    with pytest.raises(ValueError, match="unknown scaling rope_type 'ntk'"):
        RoPE(16, scaling={"rope_type": "ntk", "factor": 2.0})
    with pytest.raises(ValueError, match="'yarn' needs 'original_max_position_embeddings'"):
        RoPE(16, scaling={"rope_type": "yarn", "factor": 2.0})
    with pytest.raises(ValueError, match="'linear' needs 'factor'"):
        RoPE(16, scaling={"rope_type": "linear"})
    with pytest.raises(ValueError, match="rotary_fraction=0.1 of head_dim=16 rotates 1 channels"):
        RoPE(16, rotary_fraction=0.1)
    x = torch.randn(4, 16, requires_grad=True)
    with pytest.raises(ValueError, match="out= cannot be used"):
        apply(x, cos, sin, out=torch.empty(4, 16))


@pytest.mark.parametrize("layout", rotary.LAYOUTS)
def test_kv_cache_decoding_equals_the_full_pass_and_trains(layout):
    from embedkit.positions.attention import KVCache, SelfAttention

    torch.manual_seed(6)
    layer = SelfAttention(32, 4, causal=True, rope=RoPE(8, layout=layout))
    x = torch.randn(2, 15, 32)
    with torch.no_grad():
        full = layer(x)
        cache = KVCache()
        parts = [layer(x[:, :6], cache=cache)] + [layer(x[:, t : t + 1], cache=cache) for t in range(6, 15)]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-5, atol=1e-5)
    # gradients flow through the rotation into the projections
    layer(x).square().sum().backward()
    assert layer.q_proj.weight.grad is not None and layer.q_proj.weight.grad.abs().sum() > 0
    assert layer.k_proj.weight.grad.abs().sum() > 0
