"""embedkit.positions.attention: agrees with PyTorch's fused attention, is permutation-equivariant without
positions, masks the future, and decodes with a KV cache exactly as the full forward pass computes."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from embedkit.positions import ALiBi, T5RelativeBias
from embedkit.positions.attention import KVCache, SelfAttention, attention, causal_mask


def rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


class SimpleRotation:
    """A minimal rotary embedding written independently of embedkit.rotary: pair (2i, 2i+1) turns by
    position * 10000**(-2i/d)."""

    def rotate(self, x, positions):
        d = x.shape[-1]
        theta = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
        angle = positions.to(torch.float64)[:, None] * theta[None, :]
        cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
        a, b = x[..., 0::2], x[..., 1::2]
        out = torch.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_sdpa(causal):
    q, k, v = rand(2, 3, 7, 8, seed=1), rand(2, 3, 7, 8, seed=2), rand(2, 3, 7, 8, seed=3)
    out, weights = attention(q, k, v, causal=causal)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 7, dtype=torch.float64))


def test_bias_is_added_to_scaled_scores():
    q, k, v = rand(1, 2, 4, 8, seed=1), rand(1, 2, 6, 8, seed=2), rand(1, 2, 6, 8, seed=3)
    bias = rand(2, 4, 6, seed=4)
    out, _ = attention(q, k, v, bias=bias)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    torch.testing.assert_close(out, ref)


def test_grouped_query_heads_share_keys():
    q, k, v = rand(1, 4, 5, 8, seed=1), rand(1, 2, 5, 8, seed=2), rand(1, 2, 5, 8, seed=3)
    out, _ = attention(q, k, v, causal=True)
    ref = F.scaled_dot_product_attention(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), is_causal=True)
    torch.testing.assert_close(out, ref)


def test_causal_mask_with_offset_queries():
    m = causal_mask(2, 5)
    assert m.tolist() == [[True, True, True, True, False], [True, True, True, True, True]]
    assert torch.equal(causal_mask(4), torch.ones(4, 4, dtype=torch.bool).tril())


@given(seed=st.integers(0, 10_000), seq=st.integers(2, 9), heads=st.sampled_from([1, 2, 4]))
def test_self_attention_is_permutation_equivariant(seed, seq, heads):
    torch.manual_seed(seed)
    layer = SelfAttention(8, heads).double()
    x = rand(1, seq, 8, seed=seed)
    perm = torch.randperm(seq)
    with torch.no_grad():
        torch.testing.assert_close(layer(x[:, perm]), layer(x)[:, perm])


@given(seed=st.integers(0, 10_000), seq=st.integers(2, 9))
def test_causal_output_ignores_the_future(seed, seq):
    torch.manual_seed(seed)
    layer = SelfAttention(8, 2, causal=True).double()
    x = rand(1, seq, 8, seed=seed)
    y = x.clone()
    y[:, -1] += 1.0  # change only the last token
    with torch.no_grad():
        a, w = layer(x, return_weights=True)
        b = layer(y)
    torch.testing.assert_close(a[:, :-1], b[:, :-1])
    assert not torch.allclose(a[:, -1], b[:, -1])
    assert torch.all(w.triu(diagonal=1) == 0)


@pytest.mark.parametrize("scheme", ["none", "rope", "alibi", "t5"])
def test_kv_cache_decoding_equals_full_forward(scheme):
    torch.manual_seed(0)
    kwargs = {"rope": SimpleRotation()} if scheme == "rope" else {}
    if scheme == "alibi":
        kwargs = {"bias": ALiBi(4)}
    if scheme == "t5":
        kwargs = {"bias": T5RelativeBias(4, num_buckets=8, max_distance=16)}
    layer = SelfAttention(16, 4, causal=True, **kwargs).double()
    if scheme == "t5":
        with torch.no_grad():
            layer.bias.embedding.weight.normal_()
    x = rand(2, 11, 16, seed=5)
    with torch.no_grad():
        full = layer(x)
        cache = KVCache()
        pieces = [layer(x[:, :4], cache=cache)]  # a prompt, then one token at a time
        for t in range(4, 11):
            pieces.append(layer(x[:, t : t + 1], cache=cache))
    assert len(cache) == 11
    torch.testing.assert_close(torch.cat(pieces, dim=1), full)


def test_rope_and_bias_can_be_swapped_after_construction():
    layer = SelfAttention(8, 2, bias=T5RelativeBias(2))
    assert any(n.startswith("bias.") for n, _ in layer.named_parameters())
    layer.bias = ALiBi(2)  # a plain callable replaces a registered module
    assert not any(n.startswith("bias.") for n, _ in layer.named_parameters())
    layer.rope = SimpleRotation()
    layer.bias = None
    assert layer(torch.randn(1, 3, 8)).shape == (1, 3, 8)


def test_kv_cache_append_returns_everything():
    cache = KVCache()
    assert len(cache) == 0
    k1, v1 = rand(1, 2, 3, 4, seed=1), rand(1, 2, 3, 4, seed=2)
    k2, v2 = rand(1, 2, 1, 4, seed=3), rand(1, 2, 1, 4, seed=4)
    cache.append(k1, v1)
    k, v = cache.append(k2, v2)
    assert len(cache) == 4
    assert torch.equal(k, torch.cat([k1, k2], 2)) and torch.equal(v, torch.cat([v1, v2], 2))


def test_bad_inputs_get_clear_errors():
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got 0"):
        SelfAttention(8, 0)
    with pytest.raises(ValueError, match=r"d_model \(10\) must be divisible by n_heads \(4\)"):
        SelfAttention(10, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, seq, d_model=8\)"):
        SelfAttention(8, 2)(torch.randn(3, 8))
    with pytest.raises(ValueError, match="q must have shape"):
        attention(torch.randn(2, 3), torch.randn(1, 1, 2, 3), torch.randn(1, 1, 2, 3))
    with pytest.raises(ValueError, match="causal query cannot be longer"):
        attention(torch.randn(1, 1, 5, 4), torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4), causal=True)
    with pytest.raises(ValueError, match="does not broadcast"):
        attention(torch.randn(1, 2, 3, 4), torch.randn(1, 2, 3, 4), torch.randn(1, 2, 3, 4), bias=torch.randn(5, 3, 3))
    with pytest.raises(ValueError, match="q_len must be an integer >= 0, got -1"):
        causal_mask(-1)
    cache = KVCache()
    cache.append(torch.randn(1, 2, 3, 4), torch.randn(1, 2, 3, 4))
    with pytest.raises(ValueError, match="do not match the cached keys"):
        cache.append(torch.randn(1, 3, 1, 4), torch.randn(1, 3, 1, 4))
