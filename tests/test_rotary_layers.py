"""embedkit.rotary.layers against Hugging Face: which layers rotate (Llama 4, SmolLM3), Llama 4's
attention temperature and its whole attention layer, Gemma 3's local and global frequency tables; a
property of NoPE layers; clear errors on bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import layers

transformers = pytest.importorskip("transformers")
from transformers import Gemma3TextConfig, Llama4TextConfig, SmolLM3Config  # noqa: E402


@pytest.mark.parametrize("kind", [Llama4TextConfig, SmolLM3Config])
@pytest.mark.parametrize("kwargs", [
    {},
    {"num_hidden_layers": 10, "no_rope_layer_interval": 3},
    {"num_hidden_layers": 7, "no_rope_layer_interval": 1},
    {"num_hidden_layers": 5, "no_rope_layers": [0, 1, 0, 1, 1]},
])
def test_rope_layers_match_hugging_face_configs(kind, kwargs):
    config = kind(**kwargs)
    ours = layers.rope_layers(config.num_hidden_layers, no_rope_layers=kwargs.get("no_rope_layers"),
                              interval=config.no_rope_layer_interval)
    assert ours == [bool(f) for f in config.no_rope_layers[:config.num_hidden_layers]]


def test_llama4_treats_an_empty_list_as_no_list():
    config = Llama4TextConfig(num_hidden_layers=8, no_rope_layers=[])
    assert layers.rope_layers(8, no_rope_layers=[]) == [bool(f) for f in config.no_rope_layers]


def test_smollm3_attention_modules_read_the_same_flags():
    from transformers.models.smollm3.modeling_smollm3 import SmolLM3Attention
    config = SmolLM3Config(num_hidden_layers=6, hidden_size=16, num_attention_heads=2,
                           num_key_value_heads=1, no_rope_layer_interval=3)
    assert [bool(SmolLM3Attention(config, i).use_rope) for i in range(6)] == layers.rope_layers(6, interval=3)


def test_attention_temperature_matches_the_llama4_expression():
    positions = torch.cat([torch.arange(0, 40_000), torch.arange(8_000_000, 8_001_000)])
    for floor_scale, attn_scale in [(8192, 0.1), (7, 0.5), (1, 2.0)]:
        theirs = torch.log1p(torch.floor((positions.float() + 1.0) / floor_scale)) * attn_scale + 1.0
        ours = layers.attention_temperature(positions, floor_scale=floor_scale, attn_scale=attn_scale)
        assert (ours - theirs.double()).abs().max() < 1e-5
    # closed form at the first step: exactly 1 before it, 1 + a·log 2 on it
    t = layers.attention_temperature([8190, 8191], floor_scale=8192, attn_scale=0.1)
    assert t[0] == 1.0 and abs(t[1].item() - (1 + 0.1 * math.log(2))) < 1e-15


def _llama4_layer_differences(temperature_tuning=True, planted=None):
    from transformers.models.llama4.modeling_llama4 import Llama4TextAttention, Llama4TextRotaryEmbedding
    torch.manual_seed(0)
    config = Llama4TextConfig(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                              num_hidden_layers=4, use_qk_norm=False, floor_scale=3, attn_scale=0.7,
                              attn_temperature_tuning=temperature_tuning)
    config._attn_implementation = "eager"
    seq = 17
    x = torch.randn(2, seq, 32)
    freqs = Llama4TextRotaryEmbedding(config)(x, torch.arange(seq)[None])
    mask = torch.full((seq, seq), float("-inf")).triu(1)[None, None]
    diffs = []
    for i, rotates in enumerate(layers.rope_layers(4)):
        module = Llama4TextAttention(config, i).eval()
        assert bool(module.use_rope) == rotates
        with torch.no_grad():
            hf, _ = module(x, freqs, mask)
            q = module.q_proj(x).view(2, seq, 4, 8).transpose(1, 2)
            k = module.k_proj(x).view(2, seq, 2, 8).transpose(1, 2)
            v = module.v_proj(x).view(2, seq, 2, 8).transpose(1, 2)
            rope = rotary.RoPE(8, base=config.rope_parameters["rope_theta"], layout="interleaved")
            temperature = {"floor_scale": 3, "attn_scale": 0.7} if temperature_tuning else None
            if planted == "temperature everywhere":
                out, _ = layers.layer_attention(q, k, v, rope=rope if rotates else None, temperature=temperature)
            else:
                out, _ = layers.layer_attention(q, k, v, rope=rope if rotates else None,
                                                temperature=None if rotates else temperature)
            ours = module.o_proj(out.transpose(1, 2).reshape(2, seq, 32))
        diffs.append((ours - hf).abs().max().item())
    return diffs


@pytest.mark.parametrize("tuning", [True, False])
def test_layer_attention_matches_llama4_text_attention(tuning):
    assert max(_llama4_layer_differences(tuning)) < 1e-5


def test_the_llama4_comparison_sees_a_misplaced_temperature():
    assert max(_llama4_layer_differences(True, planted="temperature everywhere")) > 1e-3


@pytest.mark.parametrize("rope_parameters", [
    None,
    {"sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
     "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0}},
    {"sliding_attention": {"rope_type": "default", "rope_theta": 50_000.0},
     "full_attention": {"rope_type": "default", "rope_theta": 2_000_000.0}},
])
def test_local_global_ropes_match_gemma3_rotary_embedding(rope_parameters):
    from transformers.models.gemma3.modeling_gemma3 import Gemma3RotaryEmbedding
    config = Gemma3TextConfig(head_dim=64, rope_parameters=rope_parameters)
    params = config.rope_parameters
    full = dict(params["full_attention"])
    scaling = {k: v for k, v in full.items() if k != "rope_theta"}
    ropes = layers.local_global_ropes(
        64, local_base=params["sliding_attention"]["rope_theta"], global_base=full["rope_theta"],
        global_scaling=None if scaling["rope_type"] == "default" else scaling)
    hf = Gemma3RotaryEmbedding(config)
    for kind, rope in ropes.items():
        theirs = getattr(hf, f"{kind}_inv_freq").double()
        assert ((rope.inv_freq - theirs).abs() / theirs).max() < 1e-6


@pytest.mark.parametrize("num_layers, pattern", [(26, 6), (34, 6), (12, 4), (5, 1)])
def test_local_layers_match_gemma3_layer_types(num_layers, pattern):
    config = Gemma3TextConfig(num_hidden_layers=num_layers, sliding_window_pattern=pattern)
    assert layers.local_layers(num_layers, pattern=pattern) == [
        t == "sliding_attention" for t in config.layer_types]


@settings(max_examples=30, deadline=None)
@given(shift=st.integers(0, 10**6), seed=st.integers(0, 2**16))
def test_nope_scores_do_not_depend_on_absolute_position(shift, seed):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(1, 2, 6, 8, generator=g, dtype=torch.float64) for _ in range(3))
    base = torch.arange(6)
    _, w0 = layers.layer_attention(q, k, v, positions=base)
    _, w1 = layers.layer_attention(q, k, v, positions=base + shift)
    assert torch.equal(w0, w1)
    # with the temperature, each query's logits are scaled by τ(its position) and nothing else
    temp = {"floor_scale": 2, "attn_scale": 0.3}
    _, wt = layers.layer_attention(q, k, v, positions=base + shift, temperature=temp)
    tau = layers.attention_temperature(base + shift, **temp)
    expected = torch.softmax(((q * tau[:, None]) @ k.transpose(-2, -1) / math.sqrt(8))
                             .masked_fill(torch.ones(6, 6, dtype=torch.bool).triu(1), float("-inf")), -1)
    assert torch.allclose(wt, expected, atol=1e-12)


def test_rope_scores_do_depend_on_the_distance():
    torch.manual_seed(1)
    q, k = torch.randn(1, 1, 1, 16, dtype=torch.float64), torch.randn(1, 1, 1, 16, dtype=torch.float64)
    rope = rotary.RoPE(16, max_positions=2048)
    scores = {(rope.rotate(q, [d]) * rope.rotate(k, [0])).sum().item() for d in (0, 7, 300)}
    assert len(scores) == 3


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: layers.rope_layers(0), ValueError, "num_layers must be an integer >= 1, got 0"),
    (lambda: layers.rope_layers(4.0), TypeError, "num_layers must be an integer >= 1, got 4.0 (float)"),
    (lambda: layers.rope_layers(4, interval=0), ValueError, "interval must be an integer >= 1, got 0"),
    (lambda: layers.rope_layers(4, no_rope_layers=[1, 1]), ValueError,
     "no_rope_layers must have at least num_layers=4 entries, got 2"),
    (lambda: layers.rope_layers(2, no_rope_layers=[1, 2]), ValueError,
     "no_rope_layers[1] must be an integer >= 0 and <= 1, got 2"),
    (lambda: layers.rope_layers(2, no_rope_layers=[1, True]), TypeError, "no_rope_layers[1] must be an integer"),
    (lambda: layers.rope_layers(2, no_rope_layers="11"), TypeError, "no_rope_layers must be None or a list"),
    (lambda: layers.local_layers(4, pattern=0), ValueError, "pattern must be an integer >= 1, got 0"),
    (lambda: layers.attention_temperature([0, 1], floor_scale=0), ValueError,
     "floor_scale must be an integer >= 1, got 0"),
    (lambda: layers.attention_temperature([0, 1], attn_scale=float("nan")), ValueError,
     "attn_scale must be a finite number >= 0, got nan"),
    (lambda: layers.attention_temperature([0.5]), TypeError, "positions"),
    (lambda: layers.attention_temperature([-1]), ValueError, "positions must be >= 0"),
    (lambda: layers.local_global_ropes(8, local_base=1.0), ValueError, "base must be a finite number > 1"),
    (lambda: layers.layer_attention(torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8),
                                    rope="rope"), TypeError, "rope must be None (a NoPE layer) or an embedkit"),
    (lambda: layers.layer_attention(torch.zeros(1, 3, 8), torch.zeros(1, 3, 8), torch.zeros(1, 3, 8)),
     ValueError, "q must have 4 dimension(s), got shape (1, 3, 8)"),
    (lambda: layers.layer_attention(torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8),
                                    positions=[0, 1]), ValueError, "got 2 positions for a sequence of 3"),
    (lambda: layers.layer_attention(torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8),
                                    temperature={"floor": 2}), ValueError, "temperature takes the keys"),
    (lambda: layers.layer_attention(torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8),
                                    temperature=0.1), TypeError, "temperature must be a dict, got 0.1 (float)"),
    (lambda: layers.layer_attention(torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8), torch.zeros(1, 1, 3, 8),
                                    causal=1), TypeError, "causal must be True or False, got 1"),
])
def test_bad_input_gets_a_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)
