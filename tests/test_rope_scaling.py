"""Context-extension scalings (embedkit.rope_scaling) against Hugging Face transformers' ROPE_INIT_FUNCTIONS
for the same configurations (transformers 5.x: ``config.rope_parameters``; configs built locally, no download)."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit.rope_scaling import check_scaling, scaled_inverse_frequencies
from embedkit.rotary import RoPE

torch.set_num_threads(2)


def hf(rope_parameters: dict, *, head_dim: int = 128, max_position_embeddings: int | None = None, seq_len=None):
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    if max_position_embeddings is None:  # the extended context, as real configs state it
        original = rope_parameters.get("original_max_position_embeddings")
        max_position_embeddings = int(original * rope_parameters.get("factor", 1.0)) if original else 4096

    config = LlamaConfig(hidden_size=head_dim * 8, num_attention_heads=8, head_dim=head_dim,
                         max_position_embeddings=max_position_embeddings, rope_parameters=dict(rope_parameters))
    kwargs = {} if seq_len is None else {"seq_len": seq_len}
    inv_freq, factor = ROPE_INIT_FUNCTIONS[rope_parameters["rope_type"]](config, None, **kwargs)
    return inv_freq, factor


def ours(rope_parameters: dict, *, head_dim: int = 128, seq_len=None):
    params = dict(rope_parameters)
    base = params.pop("rope_theta")
    dim = int(head_dim * params.pop("partial_rotary_factor", 1.0))
    return scaled_inverse_frequencies(dim, base, params, seq_len=seq_len)


CASES = {
    "linear x4": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0},
    "linear partial": {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0, "partial_rotary_factor": 0.5},
    "yarn x4": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 4096},
    "yarn x16 base 1e6": {"rope_type": "yarn", "rope_theta": 1e6, "factor": 16.0, "original_max_position_embeddings": 8192},
    "yarn betas, no truncate": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0, "original_max_position_embeddings": 2048,
                                "beta_fast": 16, "beta_slow": 2, "truncate": False},
    "yarn mscale (DeepSeek style)": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0, "original_max_position_embeddings": 4096,
                                     "mscale": 0.707, "mscale_all_dim": 0.707},
    "yarn explicit attention factor": {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                                       "original_max_position_embeddings": 4096, "attention_factor": 1.5},
    "llama 3.1": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192},
    "llama 3.2 x32": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192},
    "longrope": {"rope_type": "longrope", "rope_theta": 10000.0, "original_max_position_embeddings": 4096, "factor": 8.0,
                 "short_factor": [1.0 + 0.01 * i for i in range(64)], "long_factor": [1.0 + 0.3 * i for i in range(64)]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_hugging_face(name):
    params = CASES[name]
    hf_inv, hf_factor = hf(params)
    inv, factor = ours(params)
    assert inv.shape == hf_inv.shape
    torch.testing.assert_close(inv, hf_inv.double(), rtol=1e-6, atol=0)
    assert math.isclose(factor, hf_factor, rel_tol=1e-12)


@pytest.mark.parametrize("seq_len", [None, 1000, 4096, 5000, 16384])
def test_dynamic_ntk_matches_hugging_face(seq_len):
    """HF's dynamic type reads the original length from max_position_embeddings; ours from
    original_max_position_embeddings."""
    hf_inv, _ = hf({"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 4.0}, max_position_embeddings=4096, seq_len=seq_len)
    inv, factor = ours({"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 4096},
                       seq_len=seq_len)
    torch.testing.assert_close(inv, hf_inv.double(), rtol=1e-6, atol=0)
    assert factor == 1.0


@pytest.mark.parametrize("seq_len", [100, 5000])
def test_longrope_picks_short_or_long_factors_like_hugging_face(seq_len):
    params = CASES["longrope"]
    hf_inv, _ = hf(params, seq_len=seq_len)
    inv, _ = ours(params, seq_len=seq_len)
    torch.testing.assert_close(inv, hf_inv.double(), rtol=1e-6, atol=0)


def test_rope_cos_sin_equal_hugging_face_rotary_embedding_with_yarn():
    """End to end: RoPE.from_rope_parameters gives HF LlamaRotaryEmbedding's cos/sin, attention factor included."""
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    params = CASES["yarn x4"]
    config = LlamaConfig(hidden_size=1024, num_attention_heads=8, head_dim=128, max_position_embeddings=16384, rope_parameters=dict(params))
    positions = torch.arange(0, 300, 7)
    hf_cos, hf_sin = LlamaRotaryEmbedding(config)(torch.zeros(1), positions[None])
    rope = RoPE.from_rope_parameters(128, params, max_positions=16384)
    cos, sin = rope.cos_sin(positions)
    # HF forms m·θ in float32: at m ≈ 300 its angles are off by up to ~300·2^-24 rad
    torch.testing.assert_close(torch.cat([cos, cos], -1), hf_cos[0], rtol=0, atol=5e-5)
    torch.testing.assert_close(torch.cat([sin, sin], -1), hf_sin[0], rtol=0, atol=5e-5)
    assert math.isclose(rope.attention_factor, 0.1 * math.log(4) + 1)


def test_llama31_pair_counts():
    """Llama 3.1 (base 500,000, d = 128, s = 8, L = 8192): 29 pairs kept, 29 divided by 8, 6 blended."""
    base = RoPE(128, base=500000.0).inv_freq
    scaled = RoPE.from_rope_parameters(128, CASES["llama 3.1"]).inv_freq
    ratio = base / scaled
    assert int(torch.isclose(ratio, torch.tensor(1.0, dtype=torch.float64)).sum()) == 29
    assert int(torch.isclose(ratio, torch.tensor(8.0, dtype=torch.float64)).sum()) == 29
    assert int(((ratio > 1 + 1e-9) & (ratio < 8 - 1e-9)).sum()) == 6


def test_yarn_keeps_fast_pairs_and_interpolates_slow_ones():
    inv0 = RoPE(128).inv_freq
    inv, _ = ours(CASES["yarn x4"])
    assert torch.equal(inv[:5], inv0[:5])            # fast pairs: extrapolate
    torch.testing.assert_close(inv[-5:], inv0[-5:] / 4)  # slow pairs: interpolate
    assert bool(((inv[1:] / inv0[1:]) <= (inv[:-1] / inv0[:-1]) + 1e-12).all())  # monotone blend


def test_scaling_errors():
    with pytest.raises(ValueError, match="unknown scaling rope_type 'rope'"):
        check_scaling({"rope_type": "rope"})
    with pytest.raises(ValueError, match="transformers 4.x called it 'type'"):
        check_scaling({"type": "linear", "factor": 2.0})
    with pytest.raises(ValueError, match="'llama3' needs 'low_freq_factor', 'high_freq_factor'"):
        check_scaling({"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192})
    with pytest.raises(ValueError, match="'dynamic' needs 'original_max_position_embeddings'"):
        check_scaling({"rope_type": "dynamic", "factor": 2.0})
    with pytest.raises(ValueError, match="factor must be >= 1"):
        check_scaling({"rope_type": "linear", "factor": 0.5})
    with pytest.raises(ValueError, match="does not use 'beta_fast'"):
        check_scaling({"rope_type": "linear", "factor": 2.0, "beta_fast": 32})
    with pytest.raises(TypeError, match="scaling must be a dict"):
        check_scaling("yarn")
    with pytest.raises(ValueError, match="rope_theta=500000.0 but base=10000.0"):
        scaled_inverse_frequencies(64, 10000.0, {"rope_type": "linear", "factor": 2.0, "rope_theta": 500000.0})
