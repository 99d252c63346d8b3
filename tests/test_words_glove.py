"""embedkit.words.glove: the weighting function and one epoch against the AdaGrad step of the reference code."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedkit import data
from embedkit.words import train_glove
from embedkit.words.glove import weighting
from embedkit.words.vocab import build_vocab, encode


LEE = data.lee().sentences


def test_glove_weighting():
    x = np.array([1, 50, 100, 1000])
    assert np.allclose(weighting(x), [0.01**0.75, 0.5**0.75, 1, 1])
    assert torch.allclose(weighting(torch.tensor(x, dtype=torch.float64)), torch.tensor(weighting(x)))


def test_glove_one_epoch_is_the_adagrad_step_of_the_reference_code():
    # One epoch in one batch: every non-zero count updates the initial parameters once, as the C code does
    # with AdaGrad's squared sums starting at 1 (so the first step is the plain gradient step).
    sentences = [s for s in LEE[:40]]
    dim, x_max, alpha, lr, seed = 6, 3.0, 0.6, 0.07, 4
    out = train_glove(sentences, dim=dim, window=4, min_count=2, x_max=x_max, alpha=alpha, epochs=1, seed=seed,
                      learning_rate=lr, batch_size=10**7)
    vocab = build_vocab(sentences, min_count=2)
    ids, sent = encode(sentences, vocab)
    n = len(vocab)
    # brute-force co-occurrence counts, a pair d apart adding 1/d (GloVe's harmonic window)
    x = np.zeros((n, n))
    for s in range(sent.max() + 1):
        row = ids[sent == s]
        for i in range(len(row)):
            for j in range(len(row)):
                if 0 < abs(i - j) <= 4:
                    x[row[i], row[j]] += 1 / abs(i - j)
    np.testing.assert_allclose(out.cooccurrence.toarray(), x, rtol=1e-12)
    g = torch.Generator().manual_seed(seed)
    vec = ((torch.rand(2 * n, dim, generator=g) - 0.5) / dim).double().numpy()
    bias = ((torch.rand(2 * n, generator=g) - 0.5) / dim).double().numpy()
    w, c, b, bc = vec[:n], vec[n:], bias[:n], bias[n:]
    i, j = np.nonzero(x)
    f = np.minimum(1.0, x[i, j] / x_max) ** alpha  # Pennington et al. (2014), eq. 9
    diff = (w[i] * c[j]).sum(1) + b[i] + bc[j] - np.log(x[i, j])
    fd = lr * f * diff
    w_new, c_new, b_new, bc_new = w.copy(), c.copy(), b.copy(), bc.copy()
    np.add.at(w_new, i, -fd[:, None] * c[j])
    np.add.at(c_new, j, -fd[:, None] * w[i])
    np.add.at(b_new, i, -fd)
    np.add.at(bc_new, j, -fd)
    np.testing.assert_allclose(out.word, w_new, atol=2e-6)
    np.testing.assert_allclose(out.context, c_new, atol=2e-6)
    np.testing.assert_allclose(out.bias, b_new, atol=2e-6)
    np.testing.assert_allclose(out.context_bias, bc_new, atol=2e-6)
    np.testing.assert_allclose(out.vectors, w_new + c_new, atol=4e-6)  # the result is w + w̃
    assert out.history[0]["loss"] == pytest.approx((f * diff**2).sum() / 2 / len(i), rel=1e-4)  # J / nnz
