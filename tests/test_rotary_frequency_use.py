"""The frequency-use measurement (Barbero et al. 2025): pair norms, attention without some pairs, slow pairs."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from embedkit import rotary
from embedkit.positions.attention import SelfAttention
from embedkit.rotary import frequency_use as fu


def brute_pair_norms(x, layout):
    d = x.shape[-1]
    out = torch.empty(*x.shape[:-1], d // 2, dtype=x.dtype)
    for i in range(d // 2):
        a, b = (i, i + d // 2) if layout == "half" else (2 * i, 2 * i + 1)
        out[..., i] = (x[..., a] ** 2 + x[..., b] ** 2).sqrt()
    return out


@pytest.mark.parametrize("layout", ["half", "interleaved"])
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), pairs=st.integers(1, 8), seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_pair_norms_match_brute_force(layout, shape, pairs, seed):
    x = torch.randn(*shape, 2 * pairs, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    assert torch.allclose(fu.pair_norms(x, layout), brute_pair_norms(x, layout))


@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_rotation_leaves_pair_norms_unchanged(layout):
    x = torch.randn(2, 3, 50, 16, dtype=torch.float64)
    rope = rotary.RoPE(16, layout=layout)
    rotated = rope.rotate(x, torch.arange(50))
    assert torch.allclose(fu.pair_norms(rotated, layout), fu.pair_norms(x, layout), atol=1e-6)
    # the other layout pairs other channels: its norms differ
    other = "half" if layout == "interleaved" else "interleaved"
    assert not torch.allclose(fu.pair_norms(rotated, other), fu.pair_norms(x, other), atol=1e-3)


def test_mean_pair_norms_average_over_tokens():
    x = torch.randn(3, 4, 20, 8, dtype=torch.float64)
    assert torch.allclose(fu.mean_pair_norms(x), brute_pair_norms(x, "half").mean(dim=-2))


class TwoLayers(nn.Module):
    def __init__(self, rope):
        super().__init__()
        self.layers = nn.ModuleList(SelfAttention(32, 4, causal=True, rope=rope) for _ in range(2))

    def forward(self, x):
        for layer in self.layers:
            x = x + layer(x)
        return x


@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_queries_keys_and_weights_are_the_layers_own(layout):
    torch.manual_seed(0)
    rope = rotary.RoPE(8, layout=layout)
    model = TwoLayers(rope).double()
    x = torch.randn(2, 12, 32, dtype=torch.float64)
    q, k = fu.queries_keys(model, x)
    assert q.shape == k.shape == (2, 2, 4, 12, 8)
    h = x
    for i, layer in enumerate(model.layers):
        out, weights = layer(h, return_weights=True)
        assert torch.allclose(q[i], layer._split(layer.q_proj(h)))
        assert torch.allclose(fu.attention_weights(q[i], k[i], rope), weights, atol=1e-12)
        h = h + out


@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_attention_with_one_pair_is_that_pairs_scores(layout):
    q, k = torch.randn(2, 1, 2, 10, 8, dtype=torch.float64)
    rope = rotary.RoPE(8, layout=layout)
    j = 2
    keep = torch.zeros(4, dtype=torch.bool)
    keep[j] = True
    got = fu.attention_weights(q, k, rope, keep=keep)
    a, b = rotary.pair_channels(8, layout)[j]
    pos = torch.arange(10)
    qr, kr = rope.rotate(q, pos)[..., [a, b]], rope.rotate(k, pos)[..., [a, b]]
    scores = qr @ kr.transpose(-1, -2) / math.sqrt(8)
    scores = scores.masked_fill(torch.ones(10, 10, dtype=torch.bool).triu(1), float("-inf"))
    assert torch.allclose(got, scores.softmax(-1), atol=1e-12)


def test_offset_attention_matches_a_loop():
    w = torch.rand(3, 2, 9, 9, dtype=torch.float64)
    for offset in (0, 1, 4):
        expected = torch.stack([
            torch.stack([w[b, h, i, i - offset] for b in range(3) for i in range(offset, 9)]).mean() for h in range(2)])
        assert torch.allclose(fu.offset_attention(w, offset), expected)


@given(base=st.floats(2.0, 1e7), n=st.integers(1, 10**6), angle=st.floats(0.01, 10.0))
@settings(max_examples=50, deadline=None)
def test_fraction_turning_less_counts_pairs(base, n, angle):
    inv = rotary.inverse_frequencies(32, base)
    expected = sum((n - 1) * float(t) < angle for t in inv) / len(inv)
    assert fu.fraction_turning_less(inv, n, angle) == pytest.approx(expected)


def test_fraction_of_slow_pairs_llama2():
    # base 10,000, d = 128, 4K: pair i makes < 1 turn iff 4095·10000^(-i/64) < 2π, i.e. i ≥ 64·log(4095/2π)/log(1e4)
    first = math.ceil(64 * math.log(4095 / (2 * math.pi)) / math.log(10_000))
    assert fu.fraction_turning_less(rotary.inverse_frequencies(128), 4096) == (64 - first) / 64


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: fu.pair_norms([1.0, 2.0]), TypeError, "x must be a torch.Tensor"),
    (lambda: fu.pair_norms(torch.ones(3, 5)), ValueError, "even"),
    (lambda: fu.pair_norms(torch.ones(3, 4), "meta"), ValueError, "layout"),
    (lambda: fu.pair_norms(torch.ones(3, 4, dtype=torch.long)), TypeError, "floating"),
    (lambda: fu.queries_keys("model", torch.zeros(1, 2)), TypeError, "nn.Module"),
    (lambda: fu.queries_keys(nn.Linear(2, 2), torch.zeros(1, 2)), ValueError, "no SelfAttention"),
    (lambda: fu.attention_weights(torch.ones(1, 1, 3, 8), torch.ones(1, 1, 4, 8), rotary.RoPE(8)), ValueError, "same shape"),
    (lambda: fu.attention_weights(torch.ones(1, 1, 3, 8), torch.ones(1, 1, 3, 8), rotary.RoPE(16)), TypeError, "head_dim 8"),
    (lambda: fu.attention_weights(torch.ones(1, 1, 3, 8), torch.ones(1, 1, 3, 8), rotary.RoPE(8), keep=[1, 0]), ValueError, "keep"),
    (lambda: fu.offset_attention(torch.ones(1, 1, 3, 3), 3), ValueError, "offset"),
    (lambda: fu.offset_attention(torch.ones(1, 1, 3, 3), 1.0), TypeError, "offset"),
    (lambda: fu.fraction_turning_less(torch.ones(0, dtype=torch.float64), 4), ValueError, "at least one pair"),
    (lambda: fu.fraction_turning_less(rotary.inverse_frequencies(8), 0), ValueError, "context_length"),
    (lambda: fu.fraction_turning_less(rotary.inverse_frequencies(8), 4, -1.0), ValueError, "angle"),
])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc, match=fragment):
        call()
