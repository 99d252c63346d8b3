"""Context-extension scalings (embedkit.rotary.scaling, embedkit.rotary.extension) against Hugging Face
transformers' ROPE_INIT_FUNCTIONS for the same configurations (transformers 5.x: ``config.rope_parameters``;
configs built locally, no download), and the registry of scalings."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit.rotary import RoPE, check_scaling, scaled_inverse_frequencies

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
    with pytest.raises(ValueError, match="unknown scaling rope_type 'rope'; expected one of default, linear, dynamic"):
        check_scaling({"rope_type": "rope"})
    with pytest.raises(ValueError, match="rope_type='linear' and the legacy type='yarn'"):
        check_scaling({"rope_type": "linear", "type": "yarn", "factor": 2.0})
    with pytest.raises(ValueError, match="'llama3' needs 'low_freq_factor', 'high_freq_factor'"):
        check_scaling({"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192})
    with pytest.raises(ValueError, match="'dynamic' needs 'original_max_position_embeddings'"):
        check_scaling({"rope_type": "dynamic", "factor": 2.0})
    with pytest.raises(ValueError, match="scaling factor must be a finite number >= 1"):
        check_scaling({"rope_type": "linear", "factor": 0.5})
    with pytest.raises(ValueError, match="does not use 'beta_fast'"):
        check_scaling({"rope_type": "linear", "factor": 2.0, "beta_fast": 32})
    with pytest.raises(TypeError, match="scaling must be a dict"):
        check_scaling("yarn")
    with pytest.raises(ValueError, match="rope_theta=500000.0 but base=10000.0"):
        scaled_inverse_frequencies(64, 10000.0, {"rope_type": "linear", "factor": 2.0, "rope_theta": 500000.0})
    with pytest.raises(ValueError, match="'longrope' needs 'factor'.*max_position_embeddings"):
        check_scaling({"rope_type": "longrope", "original_max_position_embeddings": 16, "short_factor": [1.0], "long_factor": [1.0]})


def test_legacy_type_key_is_rope_type():
    """transformers 4.x configs say ``type``; both spellings give the same frequencies."""
    new = scaled_inverse_frequencies(64, 10000.0, {"rope_type": "linear", "factor": 2.0})
    old = scaled_inverse_frequencies(64, 10000.0, {"type": "linear", "factor": 2.0})
    assert torch.equal(new[0], old[0]) and new[1] == old[1]


def test_dynamic_ntk_with_two_rotated_channels_is_the_identity_of_base():
    """d = 2: the single pair turns at θ_0 = base**0 = 1 whatever the base (HF divides by zero here)."""
    rope = RoPE(2, max_positions=64, scaling={"rope_type": "dynamic", "factor": 2.0, "original_max_position_embeddings": 8})
    cos, sin = rope.cos_sin(seq_len=20)
    torch.testing.assert_close(cos[:, 0].double(), torch.cos(torch.arange(20, dtype=torch.float64)), rtol=0, atol=1e-7)
    assert torch.equal(rope.frequencies(20)[0], torch.tensor([1.0], dtype=torch.float64))


# -- the registry of scalings --------------------------------------------------------------------------

@pytest.fixture
def registry():
    """Register scalings inside a test only: the registry is restored afterwards."""
    from embedkit.rotary import SCALINGS, register_scaling

    before = dict(SCALINGS)
    yield register_scaling
    SCALINGS.clear()
    SCALINGS.update(before)


def test_the_registered_types_are_hugging_faces():
    """Every rope_type here is one of transformers' ROPE_INIT_FUNCTIONS (or its default), and exactly the two
    that transformers recomputes per sequence length are declared length dependent."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    from embedkit.rotary import SCALINGS

    assert list(SCALINGS) == ["default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional"]
    assert set(SCALINGS) - {"default"} <= set(ROPE_INIT_FUNCTIONS)
    assert {name for name, s in SCALINGS.items() if s.length_dependent} == {"dynamic", "longrope"}
    for name, entry in SCALINGS.items():  # each required key is really required
        full = {"rope_type": name, "factor": 2.0, "original_max_position_embeddings": 64, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "short_factor": [1.0], "long_factor": [1.0]}
        full = {k: v for k, v in full.items() if k in (*entry.required, "rope_type")}
        check_scaling(full)
        for key in entry.required:
            with pytest.raises(ValueError, match=f"{name!r} needs {key!r}"):
                check_scaling({k: v for k, v in full.items() if k != key})


def _keep_fast(inv_freq, dim, base, scaling, seq_len):
    keep = int(scaling.get("keep") or 0)
    out = inv_freq / scaling["factor"]
    out[:keep] = inv_freq[:keep]
    return out, 1.0


def test_a_scaling_registered_here_is_used_by_rope_and_read_from_a_config(registry):
    """The registry docstring's example, end to end: one entry, and RoPE, check_scaling and
    from_rope_parameters all know it."""
    from embedkit.rotary import Scaling

    registry(Scaling("keep_fast", _keep_fast, required=("factor",), optional=("keep",),
                     summary="position interpolation except the fastest pairs"))
    plain = RoPE(64).inv_freq
    rope = RoPE(64, scaling={"rope_type": "keep_fast", "factor": 4.0, "keep": 8})
    assert torch.equal(rope.inv_freq[:8], plain[:8])
    torch.testing.assert_close(rope.inv_freq[8:], plain[8:] / 4, rtol=0, atol=0)
    from_config = RoPE.from_rope_parameters(64, {"type": "keep_fast", "factor": 4.0, "keep": 8, "rope_theta": 10000.0})
    assert torch.equal(from_config.inv_freq, rope.inv_freq)
    with pytest.raises(ValueError, match="'keep_fast' does not use 'beta_fast'"):
        check_scaling({"rope_type": "keep_fast", "factor": 2.0, "beta_fast": 32})
    with pytest.raises(ValueError, match="expected one of default, linear, dynamic, yarn, llama3, longrope, "
                                         "proportional, keep_fast"):
        check_scaling({"rope_type": "keep_slow", "factor": 2.0})


def test_a_length_dependent_declaration_makes_rope_recompute_past_the_original_length(registry):
    """No special case by name: a registered length-dependent scaling is recomputed per call beyond
    original_max_position_embeddings, and cached below it."""
    from embedkit.rotary import Scaling, cos_sin

    def stretch(inv_freq, dim, base, scaling, seq_len):
        length = scaling["original_max_position_embeddings"]
        return inv_freq / max(1.0, (seq_len or 0) / length), 1.0

    registry(Scaling("stretch", stretch, required=("original_max_position_embeddings",), length_dependent=True))
    rope = RoPE(16, max_positions=512, scaling={"rope_type": "stretch", "original_max_position_embeddings": 32})
    short_cos, _ = rope.cos_sin(seq_len=20)
    assert torch.equal(short_cos, cos_sin(torch.arange(20), rope.inv_freq)[0])
    long_cos, long_sin = rope.cos_sin(seq_len=128)
    expected = cos_sin(torch.arange(128), rope.inv_freq / 4)
    assert torch.equal(long_cos, expected[0]) and torch.equal(long_sin, expected[1])
    with pytest.raises(ValueError, match="must require 'original_max_position_embeddings'"):
        registry(Scaling("drift", stretch, length_dependent=True))
    with pytest.raises(ValueError, match="'yarn' is already registered"):
        registry(Scaling("yarn", stretch))
