"""embedkit.rotary.hugging_face: configurations as Hugging Face stores them, with their model-level values,
read as transformers reads them (configs built locally with transformers' own classes, no download)."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit.rotary import RoPE, from_hugging_face

torch.set_num_threads(2)


def test_rope_cos_sin_equal_hugging_face_rotary_embedding_with_yarn():
    """End to end: RoPE.from_rope_parameters gives HF LlamaRotaryEmbedding's cos/sin, attention factor included."""
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    params = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 4096}
    config = LlamaConfig(hidden_size=1024, num_attention_heads=8, head_dim=128, max_position_embeddings=16384, rope_parameters=dict(params))
    positions = torch.arange(0, 300, 7)
    hf_cos, hf_sin = LlamaRotaryEmbedding(config)(torch.zeros(1), positions[None])
    rope = RoPE.from_rope_parameters(128, params, max_positions=16384)
    cos, sin = rope.cos_sin(positions)
    # HF forms m·θ in float32: at m ≈ 300 its angles are off by up to ~300·2^-24 rad
    torch.testing.assert_close(torch.cat([cos, cos], -1), hf_cos[0], rtol=0, atol=5e-5)
    torch.testing.assert_close(torch.cat([sin, sin], -1), hf_sin[0], rtol=0, atol=5e-5)
    assert math.isclose(rope.attention_factor, 0.1 * math.log(4) + 1)


def _phi3_factors(pairs, scale):
    return [1.0 + scale * i for i in range(pairs)]


def hf_configs():
    """Small configurations built with transformers' own config classes, shaped like real checkpoints."""
    from transformers import LlamaConfig, Phi3Config

    return {
        # Phi-3-mini-128k: legacy `type`, no `factor`, original length outside the dict
        "phi3 128k longrope": Phi3Config(hidden_size=3072, num_attention_heads=32, max_position_embeddings=131072,
                                         original_max_position_embeddings=4096, rope_theta=10000.0,
                                         rope_scaling={"type": "longrope", "short_factor": _phi3_factors(48, 0.01),
                                                       "long_factor": _phi3_factors(48, 0.5)}),
        # Phi-4-mini: LongRoPE over 3/4 of a 128-channel head
        "phi4 mini partial longrope": Phi3Config(hidden_size=3072, num_attention_heads=24, max_position_embeddings=131072,
                                                 original_max_position_embeddings=4096, partial_rotary_factor=0.75,
                                                 rope_theta=10000.0,
                                                 rope_scaling={"type": "longrope", "short_factor": _phi3_factors(48, 0.02),
                                                               "long_factor": _phi3_factors(48, 0.7)}),
        # dynamic NTK as 4.x configs state it: the original length is max_position_embeddings
        "dynamic legacy": LlamaConfig(hidden_size=512, num_attention_heads=8, max_position_embeddings=2048,
                                      rope_theta=10000.0, rope_scaling={"type": "dynamic", "factor": 2.0}),
        "dynamic 5.x": LlamaConfig(hidden_size=1024, num_attention_heads=8, head_dim=128, max_position_embeddings=4096,
                                   rope_parameters={"rope_type": "dynamic", "factor": 4.0, "rope_theta": 500000.0}),
        # YaRN: Qwen2.5 style (no optional keys), without original length (HF takes max_position_embeddings),
        # DeepSeek-V3 style (mscale) and gpt-oss style (truncate False)
        "yarn qwen": LlamaConfig(hidden_size=1024, num_attention_heads=8, head_dim=128, max_position_embeddings=131072,
                                 rope_theta=1e6, rope_scaling={"type": "yarn", "factor": 4.0,
                                                               "original_max_position_embeddings": 32768}),
        "yarn no original length": LlamaConfig(hidden_size=512, num_attention_heads=8, max_position_embeddings=4096,
                                               rope_parameters={"rope_type": "yarn", "factor": 4.0, "rope_theta": 10000.0}),
        "yarn deepseek mscale": LlamaConfig(hidden_size=512, num_attention_heads=8, head_dim=64, max_position_embeddings=163840,
                                            rope_parameters={"rope_type": "yarn", "factor": 40.0, "rope_theta": 10000.0,
                                                             "original_max_position_embeddings": 4096, "beta_fast": 32,
                                                             "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}),
        "yarn gpt-oss": LlamaConfig(hidden_size=512, num_attention_heads=8, head_dim=64, max_position_embeddings=131072,
                                    rope_parameters={"rope_type": "yarn", "factor": 32.0, "rope_theta": 150000.0,
                                                     "beta_fast": 32.0, "beta_slow": 1.0, "truncate": False,
                                                     "original_max_position_embeddings": 4096}),
        "llama 3.1 legacy dict": LlamaConfig(hidden_size=1024, num_attention_heads=8, max_position_embeddings=131072,
                                             rope_theta=500000.0,
                                             rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                           "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}),
        "linear legacy, partial": LlamaConfig(hidden_size=512, num_attention_heads=8, partial_rotary_factor=0.5,
                                              rope_theta=10000.0, rope_scaling={"type": "linear", "factor": 2.0}),
        "proportional": LlamaConfig(hidden_size=512, num_attention_heads=8, head_dim=64,
                                    rope_parameters={"rope_type": "proportional", "rope_theta": 1e6,
                                                     "partial_rotary_factor": 0.25, "factor": 2.0}),
    }


HF_CONFIGS = list(hf_configs())


@pytest.mark.parametrize("name", HF_CONFIGS)
@pytest.mark.parametrize("seq_len", [None, 1000, 5000, 40000])
def test_from_config_equals_hugging_face(name, seq_len):
    """RoPE.from_config reads a configuration as transformers does: same θ and attention factor, at any length."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    config = hf_configs()[name]
    kind = config.rope_parameters["rope_type"]
    hf_inv, hf_factor = ROPE_INIT_FUNCTIONS[kind](config, None, seq_len=seq_len)
    rope = RoPE.from_config(config)
    inv, factor = rope.frequencies(seq_len)
    torch.testing.assert_close(inv, hf_inv.double(), rtol=1e-6, atol=0)
    assert math.isclose(factor, hf_factor, rel_tol=1e-12), (factor, hf_factor)


def test_phi3_longrope_attention_factor_is_derived_from_the_lengths():
    """Phi-3-128k stores no factor: s = 131072 / 4096 = 32 and the attention factor is √(1 + ln 32 / ln 4096)."""
    rope = RoPE.from_config(hf_configs()["phi3 128k longrope"])
    assert rope.attention_factor == pytest.approx(math.sqrt(1 + math.log(32) / math.log(4096)))
    assert round(rope.attention_factor, 4) == 1.1902
    assert rope.scaling["factor"] == 32.0 and rope.scaling["original_max_position_embeddings"] == 4096


RAW = {  # the same configurations as config.json stores them: the dict plus the model-level values
    "phi3 128k longrope": (96, {"type": "longrope", "short_factor": _phi3_factors(48, 0.01), "long_factor": _phi3_factors(48, 0.5)},
                           {"max_position_embeddings": 131072, "original_max_position_embeddings": 4096, "rope_theta": 10000.0}),
    "phi4 mini partial longrope": (128, {"type": "longrope", "short_factor": _phi3_factors(48, 0.02),
                                         "long_factor": _phi3_factors(48, 0.7)},
                                   {"max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
                                    "partial_rotary_factor": 0.75, "rope_theta": 10000.0}),
    "dynamic legacy": (64, {"type": "dynamic", "factor": 2.0}, {"max_position_embeddings": 2048, "rope_theta": 10000.0}),
    "yarn no original length": (64, {"rope_type": "yarn", "factor": 4.0, "rope_theta": 10000.0}, {"max_position_embeddings": 4096}),
    "linear legacy, partial": (64, {"type": "linear", "factor": 2.0}, {"partial_rotary_factor": 0.5, "rope_theta": 10000.0}),
}


@pytest.mark.parametrize("name", list(RAW))
@pytest.mark.parametrize("seq_len", [None, 3000, 9000])
def test_from_rope_parameters_with_model_values_equals_from_config(name, seq_len):
    """Passing the stored dict and the top-level values by keyword gives what the config object gives."""
    head_dim, params, model = RAW[name]
    ours = RoPE.from_rope_parameters(head_dim, dict(params), **model)
    ref = RoPE.from_config(hf_configs()[name])
    torch.testing.assert_close(ours.frequencies(seq_len)[0], ref.frequencies(seq_len)[0], rtol=0, atol=0)
    assert ours.frequencies(seq_len)[1] == ref.frequencies(seq_len)[1]
    assert (ours.rotary_dim, ours.base) == (ref.rotary_dim, ref.base)


def test_phi3_cos_sin_equal_hugging_face_rotary_embedding():
    """End to end against Phi3RotaryEmbedding: short factors up to 4096 positions, long ones past it, and the
    derived attention factor on both."""
    from transformers.models.phi3.modeling_phi3 import Phi3RotaryEmbedding

    config = hf_configs()["phi3 128k longrope"]
    hf_rope = Phi3RotaryEmbedding(config)
    rope = RoPE.from_config(config)
    for length in (300, 5000):
        positions = torch.arange(0, length, 37)
        positions[-1] = length - 1  # HF picks the factor set from max(position) + 1
        hf_cos, hf_sin = hf_rope(torch.zeros(1), positions[None])
        cos, sin = rope.cos_sin(positions)
        # HF forms m·θ in float32: at m ≈ 5000 its angles are off by up to ~5000·2^-24 rad
        torch.testing.assert_close(torch.cat([cos, cos], -1), hf_cos[0], rtol=0, atol=1e-3)
        torch.testing.assert_close(torch.cat([sin, sin], -1), hf_sin[0], rtol=0, atol=1e-3)


def test_from_hugging_face_errors():
    with pytest.raises(ValueError, match="dynamic scaling needs the model's max_position_embeddings"):
        from_hugging_face({"type": "dynamic", "factor": 2.0})
    with pytest.raises(ValueError, match="longrope scaling without a 'factor' needs max_position_embeddings="):
        from_hugging_face({"type": "longrope", "short_factor": [1.0], "long_factor": [1.0]}, original_max_position_embeddings=16)
    with pytest.raises(ValueError, match="unknown key"):
        from_hugging_face({"rope_type": "linear", "factr": 2.0})
    with pytest.raises(ValueError, match="unknown scaling rope_type 'ntk'; expected one of"):
        from_hugging_face({"type": "ntk", "factor": 2.0})
    with pytest.raises(ValueError, match="longrope factors must have one value per pair"):
        RoPE.from_rope_parameters(8, {"type": "longrope", "factor": 2.0, "short_factor": [1.0], "long_factor": [1.0],
                                      "original_max_position_embeddings": 16})
