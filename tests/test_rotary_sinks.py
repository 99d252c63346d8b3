"""embedkit.rotary.sinks: gpt-oss's sink logits against Hugging Face (the eager attention function and the
whole attention layer, sliding and full), closed-form properties of the sink, StreamingLLM's windows against
brute force (a one-layer model run on the tokens the cache keeps), and clear errors on bad input."""

from __future__ import annotations

import math
import types

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.lab.model import PositionLM
from embedkit.positions.attention import attention
from embedkit.rotary import RoPE
from embedkit.rotary.sinks import attention_with_sinks, layer_weights, streaming_logits, window_mask

transformers = pytest.importorskip("transformers")
from transformers import GptOssConfig  # noqa: E402
from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask  # noqa: E402
from transformers.models.gpt_oss import modeling_gpt_oss  # noqa: E402


def tiny_config(*, heads=4, kv_heads=2, head_dim=8, window=5, layers=2) -> GptOssConfig:
    config = GptOssConfig(num_hidden_layers=layers, hidden_size=heads * head_dim, num_attention_heads=heads,
                          num_key_value_heads=kv_heads, head_dim=head_dim, sliding_window=window, vocab_size=32,
                          intermediate_size=16, num_local_experts=2, num_experts_per_tok=1)
    config._attn_implementation = "eager"
    return config


def hf_mask(config, x, sliding: bool):
    make = create_sliding_window_causal_mask if sliding else create_causal_mask
    return make(config=config, inputs_embeds=x, attention_mask=None, cache=None,
                position_ids=torch.arange(x.shape[1])[None])


def test_gpt_oss_alternates_sliding_and_full_layers():
    config = GptOssConfig(num_hidden_layers=4)
    assert config.layer_types == ["sliding_attention", "full_attention"] * 2
    assert config.sliding_window == 128


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("sliding", [False, True])
def test_matches_hugging_face_eager_attention(seed, sliding):
    g = torch.Generator().manual_seed(seed)
    batch, kv_heads = (int(torch.randint(1, 4, (), generator=g)), int(torch.randint(1, 3, (), generator=g)))
    heads = kv_heads * int(torch.randint(1, 4, (), generator=g))
    seq, head_dim = int(torch.randint(2, 20, (), generator=g)), 2 * int(torch.randint(1, 9, (), generator=g))
    window = int(torch.randint(1, seq + 1, (), generator=g))
    config = tiny_config(heads=heads, kv_heads=kv_heads, head_dim=head_dim, window=window)
    q = torch.randn(batch, heads, seq, head_dim, generator=g)
    k, v = (torch.randn(batch, kv_heads, seq, head_dim, generator=g) for _ in range(2))
    sinks = 2 * torch.randn(heads, generator=g)
    module = types.SimpleNamespace(sinks=sinks, num_key_value_groups=heads // kv_heads, training=False)
    mask = hf_mask(config, torch.zeros(batch, seq, heads * head_dim), sliding)
    hf_out, hf_weights = modeling_gpt_oss.eager_attention_forward(module, q, k, v, mask,
                                                                  scaling=head_dim ** -0.5)
    out, weights = attention_with_sinks(q, k, v, sinks, window=window if sliding else None)
    torch.testing.assert_close(out.transpose(1, 2), hf_out, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(weights, hf_weights, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_hugging_face_attention_layers(seed):
    """Both layer types of a tiny random gpt-oss: projections, YaRN RoPE (RoPE.from_config), sinks."""
    torch.manual_seed(seed)
    config = tiny_config(window=4)
    x = torch.randn(2, 10, config.hidden_size)
    positions = torch.arange(10)
    cos, sin = modeling_gpt_oss.GptOssRotaryEmbedding(config)(x, positions[None])
    rope = RoPE.from_config(config)
    for i, kind in enumerate(config.layer_types):
        layer = modeling_gpt_oss.GptOssAttention(config, i).eval()
        torch.nn.init.normal_(layer.sinks, std=2.0)
        with torch.no_grad():
            hf_out, hf_weights = layer(x, (cos, sin), hf_mask(config, x, kind == "sliding_attention"))

            def split(proj):
                return proj(x).view(2, 10, -1, config.head_dim).transpose(1, 2)

            q, k, v = split(layer.q_proj), split(layer.k_proj), split(layer.v_proj)
            q, k = rope.rotate(q, positions), rope.rotate(k, positions)
            out, weights = attention_with_sinks(q, k, v, layer.sinks, window=layer.sliding_window)
            out = layer.o_proj(out.transpose(1, 2).reshape(2, 10, -1))
        assert (layer.sliding_window is not None) == (kind == "sliding_attention")
        torch.testing.assert_close(out, hf_out, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(weights, hf_weights, atol=1e-6, rtol=1e-5)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), seq=st.integers(1, 12), heads=st.integers(1, 4),
       window=st.one_of(st.none(), st.integers(1, 12)))
def test_rows_sum_to_one_minus_the_sink_weight(seed, seq, heads, window):
    g = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(2, heads, seq, 4, generator=g, dtype=torch.float64) for _ in range(3))
    sinks = 3 * torch.randn(heads, generator=g, dtype=torch.float64)
    _, weights = attention_with_sinks(q, k, v, sinks, window=window)
    scores = (q @ k.transpose(-2, -1) / 2).masked_fill(~window_mask(seq, window=window), -math.inf)
    # closed form: p_sink = e^s / (e^s + sum_j e^score_j)
    s = sinks.view(1, heads, 1).expand(2, heads, seq)
    p_sink = torch.exp(s - torch.logaddexp(s, torch.logsumexp(scores, -1)))
    assert bool((weights.sum(-1) < 1).all())
    torch.testing.assert_close(weights.sum(-1), 1 - p_sink, atol=1e-12, rtol=0)
    # the tokens share what is left in the proportions of an ordinary softmax
    torch.testing.assert_close(weights, torch.softmax(scores, -1) * (1 - p_sink)[..., None], atol=1e-12, rtol=0)


@pytest.mark.parametrize("kv_heads", [1, 2, 4])
def test_a_sink_of_minus_infinity_is_ordinary_attention(kv_heads):
    torch.manual_seed(kv_heads)
    q = torch.randn(2, 4, 7, 8)
    k, v = torch.randn(2, kv_heads, 7, 8), torch.randn(2, kv_heads, 7, 8)
    out, weights = attention_with_sinks(q, k, v, torch.full((4,), -math.inf))
    ref_out, ref_weights = attention(q, k, v, causal=True)
    torch.testing.assert_close(out, ref_out, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(weights, ref_weights, atol=1e-6, rtol=1e-6)


def test_a_large_sink_takes_nearly_everything_and_a_masked_row_gives_zero():
    q, k, v = torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)
    out, weights = attention_with_sinks(q, k, v, torch.tensor([30.0, 0.0]))
    assert float(weights[0, 0].sum(-1).max()) < 1e-10
    assert float(out[0, 0].abs().max()) < 1e-10
    # a row that may see no key at all is well defined with a sink: all weight on the sink, output 0
    mask = torch.ones(5, 5, dtype=torch.bool)
    mask[2] = False
    out, weights = attention_with_sinks(q, k, v, torch.tensor([0.0, 0.0]), mask=mask)
    assert float(weights[0, :, 2].abs().max()) == 0.0 and float(out[0, :, 2].abs().max()) == 0.0


def test_sinks_get_a_gradient():
    sinks = torch.zeros(2, requires_grad=True)
    q, k, v = torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)
    attention_with_sinks(q, k, v, sinks)[0].square().sum().backward()
    assert sinks.grad is not None and bool((sinks.grad != 0).all())


@pytest.mark.parametrize("window", [1, 3, 8])
def test_window_mask_matches_hugging_face_sliding_window(window):
    config = tiny_config(window=window)
    mask = hf_mask(config, torch.zeros(1, 8, config.hidden_size), sliding=True)[0, 0] == 0
    assert torch.equal(window_mask(8, window=window), mask)


def test_window_mask_keeps_the_sink_tokens():
    mask = window_mask(9, window=3, sink_tokens=2)
    for i in range(9):
        for j in range(9):
            assert bool(mask[i, j]) == (j <= i and (i - j < 3 or j < 2))
    # with a cache: the queries are the last positions
    assert torch.equal(window_mask(3, 9, window=3, sink_tokens=2), mask[-3:])


def small_model(n_layers: int, scheme: str = "rope") -> PositionLM:
    torch.manual_seed(n_layers)
    model = PositionLM(12, scheme, d_model=16, n_heads=2, n_layers=n_layers).eval()
    with torch.no_grad():  # sharper attention than at initialisation, so that a wrong position would show
        for block in model.blocks:
            block.attn.q_proj.weight.mul_(4)
    return model


@pytest.mark.parametrize("scheme", ["rope", "nope"])
def test_full_attention_is_the_model_itself(scheme):
    model = small_model(2, scheme)
    ids = torch.randint(0, 12, (3, 20))
    with torch.no_grad():
        torch.testing.assert_close(streaming_logits(model, ids, window=None), model(ids), atol=1e-5, rtol=1e-5)
    # and the weights are those SelfAttention returns
    x = model.embed(ids)
    for block, weights in zip(model.blocks, layer_weights(model, ids)):
        with torch.no_grad():
            out, ref = block.attn(block.norm1(x), return_weights=True)
            x = x + out
            x = x + block.mlp(block.norm2(x))
        torch.testing.assert_close(weights, ref, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("window, sinks", [(4, 0), (5, 2), (3, 1)])
def test_one_layer_streaming_is_the_model_on_the_kept_tokens(window, sinks):
    """StreamingLLM by brute force: the prediction at t is the model run on the sink tokens followed by the
    last `window` tokens, numbered 0, 1, … within that cache."""
    model = small_model(1)
    ids = torch.randint(0, 12, (2, 16))
    logits = streaming_logits(model, ids, window=window, sink_tokens=sinks)
    with torch.no_grad():
        for t in range(16):
            kept = list(range(min(sinks, t + 1))) + list(range(max(sinks, t - window + 1), t + 1))
            torch.testing.assert_close(logits[:, t], model(ids[:, kept])[:, -1], atol=1e-5, rtol=1e-5)


def test_text_positions_differ_from_cache_positions_only_once_the_window_slides():
    model = small_model(1)
    ids = torch.randint(0, 12, (2, 16))
    cache = streaming_logits(model, ids, window=5, sink_tokens=2)
    text = streaming_logits(model, ids, window=5, sink_tokens=2, cache_positions=False)
    torch.testing.assert_close(cache[:, :7], text[:, :7])  # the cache is not full yet: 2 + 5 tokens
    assert float((cache[:, 7:] - text[:, 7:]).abs().max()) > 1e-3


# -- bad input -------------------------------------------------------------------------------------------------
Q = torch.zeros(1, 2, 3, 4)


def _learned_model():
    torch.manual_seed(0)
    return PositionLM(12, "learned", d_model=16, n_heads=2, n_layers=1, max_len=8)


BAD = [
    ("sinks not a tensor", lambda: attention_with_sinks(Q, Q, Q, [0.0, 0.0]), TypeError, "sinks must be a torch.Tensor"),
    ("sinks of the wrong shape", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(3)), ValueError,
     "sinks must have shape (heads,) = (2,)"),
    ("sinks per kv head of a batch", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(1, 2)), ValueError,
     "got (1, 2)"),
    ("integer sinks", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2, dtype=torch.long)), TypeError,
     "sinks must have a floating dtype"),
    ("nan sink", lambda: attention_with_sinks(Q, Q, Q, torch.tensor([0.0, math.nan])), ValueError,
     "sinks must be finite or -inf"),
    ("+inf sink", lambda: attention_with_sinks(Q, Q, Q, torch.tensor([math.inf, 0.0])), ValueError,
     "sinks must be finite or -inf"),
    ("q not 4-d", lambda: attention_with_sinks(torch.zeros(2, 3, 4), Q, Q, torch.zeros(2)), ValueError,
     "q must have 4 dimension(s)"),
    ("window zero", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2), window=0), ValueError,
     "window must be an integer >= 1, got 0"),
    ("window float", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2), window=2.5), TypeError,
     "window must be an integer >= 1, got 2.5 (float)"),
    ("mask and window", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2), mask=torch.ones(3, 3, dtype=torch.bool),
                                                     window=2), ValueError, "either mask or window"),
    ("float mask", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2), mask=torch.ones(3, 3)), TypeError,
     "mask must be a boolean tensor"),
    ("mask of the wrong shape", lambda: attention_with_sinks(Q, Q, Q, torch.zeros(2),
                                                             mask=torch.ones(4, 3, dtype=torch.bool)),
     ValueError, "does not broadcast"),
    ("k and v differ", lambda: attention_with_sinks(Q, Q, torch.zeros(1, 2, 4, 4), torch.zeros(2)), ValueError,
     "k and v must have the same shape"),
    ("negative sink tokens", lambda: window_mask(4, window=2, sink_tokens=-1), ValueError,
     "sink_tokens must be an integer >= 0"),
    ("streaming a learned-position model", lambda: streaming_logits(_learned_model(), torch.zeros(1, 4, dtype=torch.long),
                                                                    window=2), ValueError, "'learned'"),
    ("streaming not a model", lambda: streaming_logits("gpt-oss", torch.zeros(1, 4, dtype=torch.long), window=2),
     TypeError, "model must be a trained embedkit.lab.model.PositionLM"),
    ("streaming float ids", lambda: streaming_logits(small_model(1), torch.zeros(1, 4), window=2), TypeError,
     "ids must have an integer dtype"),
    ("streaming ids out of range", lambda: streaming_logits(small_model(1), torch.full((1, 4), 12), window=2),
     ValueError, "ids must be token ids in 0..11"),
    ("sink tokens without a window", lambda: streaming_logits(small_model(1), torch.zeros(1, 4, dtype=torch.long),
                                                              window=None, sink_tokens=4), ValueError,
     "needs a window"),
    ("cache_positions not a bool", lambda: streaming_logits(small_model(1), torch.zeros(1, 4, dtype=torch.long),
                                                            window=2, sink_tokens=1, cache_positions=1), TypeError,
     "cache_positions must be True or False"),
    ("layer weights 1-d ids", lambda: layer_weights(small_model(1), torch.zeros(4, dtype=torch.long)), ValueError,
     "ids must have 2 dimension(s)"),
]


@pytest.mark.parametrize("call, exc, fragment", [pytest.param(c, e, f, id=i) for i, c, e, f in BAD])
def test_bad_input_gets_a_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)
