"""Count-based word vectors: a co-occurrence matrix, positive PMI, and a truncated SVD.

The distributional hypothesis made literal: describe a word by the words around it. Row ``i`` of the
co-occurrence matrix counts how often each word appears within ``window`` words of word ``i``. Raw counts are
dominated by *the* and *of*, so they are reweighted by pointwise mutual information,

    PMI(w, c) = log P(w, c) / (P(w) P(c)),

keeping only positive values (PPMI), and compressed to ``dim`` dense dimensions with a truncated SVD. This
is the count-based baseline that :cite:t:`levy2015improving` showed to be competitive with word2vec when
given the same tricks (context-distribution smoothing, eigenvalue weighting).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .. import checks
from .trained import SVDVectors
from .vocab import build_vocab, check_positive_int, check_seed, encode

__all__ = ["cooccurrence_matrix", "ppmi", "ppmi_svd", "truncated_svd"]


def cooccurrence_matrix(
    ids: np.ndarray,
    sentence: np.ndarray,
    n_words: int,
    window: int,
    weighting: str = "uniform",
) -> sp.csr_matrix:
    """Symmetric co-occurrence counts of word ids within ``window`` positions, inside
    each sentence.

    Args:
        ids, sentence: ``(n,)`` the corpus as word ids and the sentence of each token
            (:func:`~embedkit.words.vocab.encode`).
        n_words: vocabulary size.
        window: the largest distance counted.
        weighting: ``"uniform"`` counts every pair within the window as 1;
            ``"harmonic"`` counts a pair ``d`` words apart as ``1/d``, as GloVe does.

    Returns:
        ``(n_words, n_words)`` float64 CSR matrix ``X`` with ``X[i, j] = X[j, i]``.
    """
    check_positive_int("window", window)
    checks.choice("weighting", weighting, ("uniform", "harmonic"))
    rows, cols, vals = [], [], []
    # every pair (token t, token t + d) inside one sentence, for all t at once
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        rows.append(ids[:-d][same])
        cols.append(ids[d:][same])
        vals.append(
            np.full(int(same.sum()), 1.0 if weighting == "uniform" else 1.0 / d)
        )
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    left = sp.csr_matrix(  # sums duplicates
        (np.concatenate(vals), (rows, cols)), shape=(n_words, n_words)
    )
    # the word on the right sees the word on the left too
    return (left + left.T).tocsr()


def ppmi(counts: sp.spmatrix, cds: float = 0.75) -> sp.csr_matrix:
    """Positive pointwise mutual information of a co-occurrence matrix.

    ``PPMI(w, c) = max(0, log(#(w, c) · Σ / (#(w) · #_α(c))))`` where
    ``#_α(c) = #(c)^α · Σ / Σ_c' #(c')^α`` smooths the context distribution
    (``cds`` = α; 1 turns it off). Smoothing gives rare contexts a little more
    probability, which stops them from getting huge PMI values
    (:cite:t:`levy2015improving`).

    Returns a CSR matrix of the same shape; zero counts stay zero (their PMI would
    be −∞).
    """
    cds = checks.real(
        "cds (the context-distribution smoothing exponent)",
        cds,
        minimum=0,
        maximum=1,
        open_min=True,
    )
    counts = sp.csr_matrix(counts, dtype=np.float64)
    total = counts.sum()
    row = np.asarray(counts.sum(1)).ravel()
    col = np.asarray(counts.sum(0)).ravel() ** cds
    col = col / col.sum()  # smoothed P(c)
    coo = counts.tocoo()
    pmi = (
        np.log(coo.data * 1.0 / total)
        - np.log(row[coo.row] / total)
        - np.log(col[coo.col])
    )
    keep = pmi > 0
    return sp.csr_matrix(
        (pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape
    )


def _orthonormal(y: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of ``y`` (tall and thin), by Cholesky QR done twice: two small
    Gram matrices and triangular solves instead of a Householder QR, and as accurate for our purpose."""
    try:
        for _ in range(2):
            r = np.linalg.cholesky(y.T @ y).T  # yᵀy = rᵀr
            y = scipy.linalg.solve_triangular(r, y.T, trans="T").T  # y r⁻¹
        return y
    except np.linalg.LinAlgError:  # yᵀy singular: y has fewer independent columns than it has columns
        return np.linalg.qr(y)[0]  # Householder QR: still an orthonormal basis (padded with arbitrary columns)


def truncated_svd(
    matrix: sp.spmatrix,
    dim: int,
    seed: int = 0,
    n_iter: int = 5,
    oversample: int = 10,
):
    """The ``dim`` largest singular triplets of a sparse matrix, by randomized SVD
    (Halko et al., 2011).

    A random ``(n, dim + oversample)`` test matrix is multiplied by ``A`` and ``Aᵀ`` a
    few times (``n_iter`` power iterations, re-orthonormalised each time), which finds
    the dominant column space of ``A``, spanned by an orthonormal ``Q``. The small
    matrix ``B = Qᵀ A`` then has the same top singular values as ``A``; we get them from
    the eigenvectors of ``B Bᵀ``, a ``(dim + oversample)``-square matrix.

    Returns ``(U, S, Vt)``: ``(m, dim)``, ``(dim,)`` descending, ``(dim, n)``.
    """
    m, n = matrix.shape
    if not 1 <= dim < min(m, n):
        raise ValueError(
            f"dim must be between 1 and {min(m, n) - 1} for a {m}×{n} matrix, "
            f"got {dim}"
        )
    rng = np.random.default_rng(seed)
    matrix = sp.csr_matrix(matrix)
    transposed = matrix.T.tocsr()
    # a sketch wider than the matrix holds nothing more
    width = min(dim + oversample, m, n)
    q = _orthonormal(matrix @ rng.standard_normal((n, width)))
    for _ in range(n_iter):
        q = _orthonormal(matrix @ _orthonormal(transposed @ q))
    b = (transposed @ q).T  # Qᵀ A, (dim + oversample, n)
    eigenvalues, u_small = np.linalg.eigh(b @ b.T)  # ascending
    top = np.argsort(-eigenvalues)[:dim]
    s = np.sqrt(np.maximum(eigenvalues[top], 0))
    u_small = u_small[:, top]
    # a zero singular value (a matrix of rank < dim) has no right vector to speak of:
    # leave that row 0
    safe = np.where(s > 0, s, 1.0)
    return (
        q @ u_small,
        s,
        np.where(s[:, None] > 0, (u_small.T @ b) / safe[:, None], 0.0),
    )


def ppmi_svd(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int = 100,
    window: int = 5,
    min_count: int = 5,
    cds: float = 0.75,
    eig: float = 0.5,
    seed: int = 0,
) -> SVDVectors:
    """Count-based word vectors: co-occurrence counts → PPMI → truncated SVD.

    Args:
        sentences: a list of token lists.
        dim: vector size.
        window: co-occurrence window (every pair within it counts 1).
        min_count: words seen fewer times are dropped.
        cds: context-distribution smoothing exponent (:func:`ppmi`).
        eig: the vectors are ``U · Σ^eig``; 0.5 (the square root) works better than the "textbook" 1
            (:cite:t:`levy2015improving`).
        seed: seeds the randomized SVD.

    Returns:
        :class:`~embedkit.words.trained.SVDVectors` (an :class:`embedkit.Vectors`), most frequent word first,
        shape ``(n_words, dim)``, with ``counts`` (word counts), ``singular_values`` (``(dim,)``) and ``ppmi``
        (the sparse PPMI matrix).
    """
    check_positive_int("dim", dim)
    check_positive_int("window", window)
    cds = checks.real("cds (the context-distribution smoothing exponent)", cds, minimum=0, maximum=1, open_min=True)
    eig = checks.real("eig (the exponent of the singular values)", eig, minimum=0)
    check_seed(seed)
    vocab = build_vocab(sentences, min_count)
    if dim >= len(vocab):
        raise ValueError(f"dim must be smaller than the vocabulary ({len(vocab)} words with min_count={min_count}), got {dim}")
    ids, sentence = encode(sentences, vocab)
    m = ppmi(cooccurrence_matrix(ids, sentence, len(vocab), window), cds)
    u, s, _ = truncated_svd(m, dim, seed=seed)
    u *= np.sign(u[np.abs(u).argmax(0), range(dim)])  # a fixed sign per column, for reproducible pictures
    return SVDVectors((u * s**eig).astype(np.float32), vocab.words, counts=vocab.counts, singular_values=s, ppmi=m)

