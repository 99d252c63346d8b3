"""GloVe: global vectors from weighted least squares on log co-occurrence counts (Pennington et al., 2014).

GloVe asks the dot product of two word vectors, plus two biases, to equal the log of how often the words
co-occur:

    J = Σ_{i,j: X_ij > 0}  f(X_ij) · (w_i · w̃_j + b_i + b̃_j − log X_ij)²

with ``f(x) = (x / x_max)^α`` below ``x_max`` and 1 above it (``x_max = 100``, ``α = 3/4`` in the paper), so
that rare, noisy pairs count little and very frequent pairs do not dominate. Counts are window-weighted:
a pair ``d`` words apart adds ``1/d``. Training is AdaGrad over the non-zero entries in random order, with
the update of the reference C code (learning rate 0.05, squared-gradient sums starting at 1). The result is
``w + w̃``, the sum of the word and context vectors, as the released GloVe vectors are.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from .. import checks
from .cooccurrence import cooccurrence_matrix
from .trained import GloVeVectors
from .vocab import build_vocab, check_positive_int, check_seed, diverged, encode

__all__ = ["train_glove", "weighting"]


def weighting(x: np.ndarray | torch.Tensor, x_max: float = 100.0, alpha: float = 0.75):
    """GloVe's weight ``f(x) = min(1, (x / x_max) ** alpha)`` of a co-occurrence count
    ``x``."""
    if isinstance(x, torch.Tensor):
        return torch.clamp(x / x_max, max=1.0) ** alpha
    return np.minimum(1.0, np.asarray(x, dtype=np.float64) / x_max) ** alpha


def train_glove(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int = 100,
    window: int = 10,
    min_count: int = 5,
    x_max: float = 100.0,
    alpha: float = 0.75,
    epochs: int = 25,
    seed: int = 0,
    learning_rate: float = 0.05,
    batch_size: int = 4096,
) -> GloVeVectors:
    """Train GloVe vectors on ``sentences``.

    Args:
        sentences: a list of token lists.
        dim: vector size.
        window: co-occurrence window; a pair ``d`` words apart counts ``1/d``.
        min_count: words seen fewer times are dropped.
        x_max, alpha: the weighting function :func:`weighting`.
        epochs: passes over the non-zero counts.
        seed: seeds the initialisation and the order of the counts.
        learning_rate: AdaGrad's initial step (0.05 in the paper).
        batch_size: non-zero counts per tensor step (a speed knob; each step reads the
            parameters once, so a word met twice in a batch gets two updates computed
            from the same values).

    Returns:
        :class:`~embedkit.words.trained.GloVeVectors` of ``w + w̃``, most frequent word
        first, ``(n_words, dim)``, with ``history`` (one
        ``{"epoch", "loss", "seconds"}`` dict per epoch, the loss being ``J`` divided by
        the number of non-zero counts, measured during the epoch), ``counts``,
        ``cooccurrence`` (the sparse ``X``), ``word``, ``context`` (``w`` and ``w̃``),
        ``bias`` and ``context_bias``.

    Raises ``ValueError`` when the loss or a parameter becomes NaN or infinite during an
    epoch (checked once per epoch), naming the fix: a smaller ``learning_rate`` or
    ``batch_size``.

    Reference: Pennington, Socher and Manning (2014), "GloVe: Global vectors for word
    representation".
    """
    for name, value in (
        ("dim", dim),
        ("window", window),
        ("epochs", epochs),
        ("batch_size", batch_size),
    ):
        check_positive_int(name, value)
    x_max = checks.real(
        "x_max (where the weighting f reaches 1)", x_max, minimum=0, open_min=True
    )
    alpha = checks.real(
        "alpha (the exponent of the weighting f)",
        alpha,
        minimum=0,
        maximum=1,
        open_min=True,
    )
    learning_rate = checks.real(
        "learning_rate", learning_rate, minimum=0, open_min=True
    )
    check_seed(seed)
    vocab = build_vocab(sentences, min_count)
    ids, sentence = encode(sentences, vocab)
    x = cooccurrence_matrix(
        ids, sentence, len(vocab), window, weighting="harmonic"
    ).tocoo()
    if x.nnz == 0:
        raise ValueError(
            "no two kept words ever co-occur: give longer sentences or lower min_count"
        )
    rows, cols = (
        torch.from_numpy(x.row.astype(np.int64)),
        torch.from_numpy(x.col.astype(np.int64)),
    )
    log_x = torch.from_numpy(np.log(x.data)).float()
    f_x = weighting(torch.from_numpy(x.data), x_max, alpha).float()

    g = torch.Generator().manual_seed(seed)
    n = len(vocab)
    # Word vectors w (rows 0..n−1) and context vectors w̃ (rows n..2n−1) live in one
    # matrix, so that a batch reads and writes both with one gather and one scatter.
    # Initialised uniform in ±0.5/dim as in the C code.
    vec = (torch.rand(2 * n, dim, generator=g) - 0.5) / dim
    bias = (torch.rand(2 * n, generator=g) - 0.5) / dim
    # AdaGrad's sums of squared gradients, starting at 1 as in the C code
    vec_sq, bias_sq = torch.ones(2 * n, dim), torch.ones(2 * n)
    history = []
    start = time.perf_counter()
    threads_before = torch.get_num_threads()
    # small batches: one thread per op beats thread-pool hand-offs
    torch.set_num_threads(1)
    try:
        for epoch in range(epochs):
            # visit the non-zero counts in a new random order
            order = torch.randperm(x.nnz, generator=g)
            # (2, nnz): word rows, context rows
            pairs = torch.stack([rows[order], cols[order] + n])
            target, weight = log_x[order], f_x[order]
            total = 0.0
            for lo in range(0, x.nnz, batch_size):
                # (2B,): the word rows, then the context rows
                idx = pairs[:, lo:lo + batch_size].reshape(-1)
                # w_i and w̃_j, (2, B, d)
                pair = vec.index_select(0, idx).view(2, -1, dim)
                both = bias.index_select(0, idx).view(2, -1)  # b_i and b̃_j
                diff = (  # (B,)
                    (pair[0] * pair[1]).sum(1)
                    + both[0]
                    + both[1]
                    - target[lo:lo + batch_size]
                )
                fdiff = weight[lo:lo + batch_size] * diff
                total += float(fdiff @ diff) / 2
                # gradients of ½ f (w·w̃ + b + b̃ − log X)², already multiplied by
                # the learning rate: for w_i it is lr·f·diff·w̃_j, for w̃_j it is
                # lr·f·diff·w_i, for both biases lr·f·diff
                fdiff = learning_rate * fdiff
                grad = (fdiff.unsqueeze(1) * pair.flip(0)).view(-1, dim)  # (2B, d)
                grad_b = fdiff.repeat(2)
                # AdaGrad: each coordinate's step is divided by the root of its summed
                # squared gradients
                vec.index_add_(
                    0, idx, grad * vec_sq.index_select(0, idx).rsqrt_(), alpha=-1
                )
                bias.index_add_(
                    0, idx, grad_b * bias_sq.index_select(0, idx).rsqrt_(), alpha=-1
                )
                vec_sq.index_add_(0, idx, grad.square_())
                bias_sq.index_add_(0, idx, grad_b.square_())
            # once per epoch: the loss summed anyway, and one pass over the parameters
            if not (
                np.isfinite(total)
                and bool(torch.isfinite(vec).all())
                and bool(torch.isfinite(bias).all())
            ):
                raise diverged(
                    "GloVe",
                    "the loss" if not np.isfinite(total) else "the vectors",
                    f"in epoch {epoch + 1} of {epochs}",
                    "learning_rate",
                    learning_rate,
                    batch_size,
                )
            history.append({
                "epoch": epoch + 1,
                "loss": total / x.nnz,
                "seconds": time.perf_counter() - start,
            })
    finally:
        torch.set_num_threads(threads_before)
    w, c, b, bc = vec[:n], vec[n:], bias[:n], bias[n:]
    return GloVeVectors(
        (w + c).numpy(), vocab.words, counts=vocab.counts, history=history,
        seconds=time.perf_counter() - start, word=w.numpy(), context=c.numpy(),
        bias=b.numpy(), context_bias=bc.numpy(), cooccurrence=x.tocsr(),
    )
