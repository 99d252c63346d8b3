"""embedkit.words.cooccurrence: co-occurrence counts, PPMI and the truncated SVD against closed forms and
exact decompositions."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import data
from embedkit.words import ppmi_svd
from embedkit.words.cooccurrence import cooccurrence_matrix, ppmi, truncated_svd
from embedkit.words.vocab import build_vocab, encode


LEE = data.lee().sentences


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=10), min_size=1, max_size=5), st.integers(1, 4),
       st.sampled_from(["uniform", "harmonic"]))
def test_cooccurrence_matrix_counts_pairs(sentences, window, weighting_name):
    ids = np.array([w for s in sentences for w in s])
    sent = np.array([k for k, s in enumerate(sentences) for _ in s])
    expected = np.zeros((6, 6))
    for s in sentences:
        for i in range(len(s)):
            for j in range(len(s)):
                if 0 < abs(i - j) <= window:
                    expected[s[i], s[j]] += 1 if weighting_name == "uniform" else 1 / abs(i - j)
    got = cooccurrence_matrix(ids, sent, 6, window, weighting_name).toarray()
    assert np.allclose(got, expected)


def test_ppmi_closed_form():
    counts = np.array([[0, 4, 1], [4, 0, 2], [1, 2, 6.0]])
    total = counts.sum()
    pc = counts.sum(0) ** 0.75 / (counts.sum(0) ** 0.75).sum()
    with np.errstate(divide="ignore"):
        expected = np.maximum(0, np.log(counts / total) - np.log(counts.sum(1, keepdims=True) / total) - np.log(pc))
    assert np.allclose(ppmi(sp.csr_matrix(counts)).toarray(), expected)


def test_truncated_svd_matches_exact_svd():
    rng = np.random.default_rng(0)
    a = sp.random(60, 40, density=0.3, random_state=1, format="csr") + sp.csr_matrix(rng.random((60, 1)) @ rng.random((1, 40)) * 5)
    u, s, vt = truncated_svd(a, 5, n_iter=8)
    assert np.allclose(s, np.linalg.svd(a.toarray(), compute_uv=False)[:5], rtol=1e-4)
    assert np.allclose(u.T @ u, np.eye(5), atol=1e-8)


def test_ppmi_svd_is_u_times_sigma_to_the_eig_of_the_exact_svd():
    sentences = LEE[:120]
    out = ppmi_svd(sentences, dim=8, window=3, min_count=3, cds=0.75, eig=0.5, seed=0)
    vocab = build_vocab(sentences, min_count=3)
    ids, sent = encode(sentences, vocab)
    counts = cooccurrence_matrix(ids, sent, len(vocab), 3)  # uniform window: every pair counts 1
    np.testing.assert_allclose(out.ppmi.toarray(), ppmi(counts, 0.75).toarray())
    u, s, _ = np.linalg.svd(out.ppmi.toarray())
    np.testing.assert_allclose(out.singular_values, s[:8], rtol=1e-3)
    # column k is u_k · s_k^eig: unit-norm left singular vectors scaled by s^eig
    np.testing.assert_allclose(np.linalg.norm(out.vectors, axis=0), out.singular_values**0.5, rtol=1e-5)
    basis = out.vectors / out.singular_values**0.5
    np.testing.assert_allclose(basis.T @ basis, np.eye(8), atol=1e-5)
    # and the leading one (well separated: 38.2 against 20.5) is the exact SVD's, up to sign
    expected = u[:, 0] * s[0] ** 0.5
    np.testing.assert_allclose(out.vectors[:, 0], expected * np.sign(expected @ out.vectors[:, 0]), atol=1e-4)


def test_truncated_svd_of_a_matrix_smaller_than_the_sketch():
    # 4 words, dim 2: the random sketch (dim + 10 columns) is wider than the matrix, and the matrix is
    # singular. This used to crash in a Cholesky factorisation.
    a = sp.csr_matrix(np.array([[0, 2, 1, 0], [2, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0.0]]))
    u, s, vt = truncated_svd(a, 2)
    np.testing.assert_allclose(s, np.linalg.svd(a.toarray(), compute_uv=False)[:2], rtol=1e-8)
    assert np.all(np.isfinite(vt)) and np.allclose(u.T @ u, np.eye(2), atol=1e-8)
    v = ppmi_svd([["a", "b", "c", "d"]] * 3, dim=2, min_count=1)
    assert v.vectors.shape == (4, 2) and np.all(np.isfinite(v.vectors))
