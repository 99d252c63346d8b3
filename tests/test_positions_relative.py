"""embedkit.positions.relative: ALiBi slopes from Press et al., T5 buckets identical to Hugging Face
transformers, and clear errors on bad input."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit.positions import ALiBi, T5RelativeBias, alibi_bias, alibi_slopes, relative_position_bucket


# Reference values: Press et al. (2022), section 3, and the authors' get_slopes
# (github.com/ofirpress/attention_with_linear_biases).
ALIBI_REFERENCE = {
    8: [2.0 ** -i for i in range(1, 9)],
    16: [2.0 ** (-i / 2) for i in range(1, 17)],
    12: [2.0 ** -i for i in range(1, 9)] + [2.0 ** -0.5, 2.0 ** -1.5, 2.0 ** -2.5, 2.0 ** -3.5],
}


@pytest.mark.parametrize("n_heads", [8, 12, 16])
def test_alibi_slopes_match_press_et_al(n_heads):
    assert alibi_slopes(n_heads).tolist() == pytest.approx(ALIBI_REFERENCE[n_heads], rel=1e-7)


def test_alibi_slopes_other_head_counts():
    assert alibi_slopes(1).tolist() == [2.0 ** -8]
    assert alibi_slopes(6).tolist() == pytest.approx([2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3])
    assert len(set(alibi_slopes(24).tolist())) == 24


def test_alibi_bias_is_linear_in_distance():
    bias = ALiBi(4)(torch.arange(5), torch.arange(5))
    assert bias.shape == (4, 5, 5)
    slopes = alibi_slopes(4)
    for h in range(4):
        for i in range(5):
            for j in range(i + 1):
                assert bias[h, i, j].item() == pytest.approx(-slopes[h].item() * (i - j))
    # adding m*j instead changes each row by a constant, so the causal softmax is unchanged (Press et al.)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    alt = slopes[:, None, None] * torch.arange(5.0)[None, None, :]
    a = torch.softmax(bias.masked_fill(~mask, -math.inf), -1)
    b = torch.softmax(alt.masked_fill(~mask, -math.inf), -1)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(alibi_bias(slopes, [3], [0, 1, 2, 3]), bias[:, 3:4, :4])


def test_alibi_bad_inputs():
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got 0"):
        alibi_slopes(0)
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got -3"):
        ALiBi(-3)
    with pytest.raises(ValueError, match="q_positions must be a 1-D tensor"):
        ALiBi(2)(torch.zeros(2, 2, dtype=torch.long), torch.arange(3))


hf_bucket = pytest.importorskip("transformers.models.t5.modeling_t5").T5Attention._relative_position_bucket


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (16, 64), (8, 20), (64, 512)])
def test_t5_buckets_match_hugging_face(bidirectional, num_buckets, max_distance):
    rel = torch.arange(-2000, 2001)
    ours = relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                    max_distance=max_distance)
    ref = hf_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance)
    assert torch.equal(ours, ref)


def test_t5_bias_module_uses_memory_minus_query():
    torch.manual_seed(0)
    t5 = T5RelativeBias(3, num_buckets=16, max_distance=32, bidirectional=True)
    assert torch.count_nonzero(t5(torch.arange(4), torch.arange(4))) == 0  # starts at zero
    with torch.no_grad():
        t5.embedding.weight.normal_()
    q, k = torch.arange(5, 9), torch.arange(12)
    bias = t5(q, k)
    assert bias.shape == (3, 4, 12)
    buckets = hf_bucket(k[None, :] - q[:, None], bidirectional=True, num_buckets=16, max_distance=32)
    torch.testing.assert_close(bias, t5.embedding.weight[buckets].permute(2, 0, 1))


def test_t5_bad_inputs():
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got 0"):
        T5RelativeBias(0)
    with pytest.raises(ValueError, match="max_distance > 8"):
        T5RelativeBias(2, num_buckets=32, max_distance=8, bidirectional=True)
    with pytest.raises(TypeError, match="relative_position must hold integers"):
        relative_position_bucket(torch.tensor([0.5]))
