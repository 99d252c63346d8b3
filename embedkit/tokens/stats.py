"""Counting words: vocabulary growth (Heaps' law), out-of-vocabulary rates, and Zipf's law.

These are the measurements that argue against a vocabulary of whole words: the number of distinct words
keeps growing with the text, so any fixed word list leaves some words unknown, and most distinct words
are rare.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .. import checks
from ..checks import describe

__all__ = ["vocabulary_growth", "heaps_fit", "oov_rate", "zipf_table", "zipf_fit"]


def vocabulary_growth(tokens: Sequence[str], points: int = 40) -> pd.DataFrame:
    """Distinct words seen after the first *n* tokens, at ``points`` values of *n* spaced evenly on a log scale.

    Returns columns ``tokens`` (n) and ``types`` (distinct words among the first n).
    """
    _words("tokens", tokens, sequence=True)
    if len(tokens) == 0:
        raise ValueError("tokens is empty: give the word tokens of a text")
    checks.integer("points", points, minimum=2)
    marks = np.unique(np.geomspace(min(100, len(tokens)), len(tokens), points).astype(int))
    seen: set[str] = set()
    rows, start = [], 0
    for mark in marks:
        seen.update(tokens[start:mark])
        start = mark
        rows.append({"tokens": int(mark), "types": len(seen)})
    return pd.DataFrame(rows)


def heaps_fit(growth: pd.DataFrame) -> tuple[float, float]:
    """Least-squares fit of Heaps' law ``types ≈ K · tokens**beta`` in log-log space; returns ``(K, beta)``.

    ``growth``: a table with positive columns ``tokens`` and ``types`` (as from :func:`vocabulary_growth`),
    at least two distinct values of ``tokens``."""
    if not isinstance(growth, pd.DataFrame) or not {"tokens", "types"} <= set(growth.columns):
        raise TypeError(f"growth must be a DataFrame with columns 'tokens' and 'types' (from vocabulary_growth), got {describe(growth)}")
    for column in ("tokens", "types"):
        values = checks.array(f"growth[{column!r}]", growth[column].to_numpy(), ndim=1)
        if not (values > 0).all():
            raise ValueError(f"growth[{column!r}] must be positive to fit in log space, got {values.min()}")
    if growth["tokens"].nunique() < 2:
        raise ValueError(f"growth must have at least 2 distinct token counts to fit a line, got {growth['tokens'].nunique()}")
    beta, log_k = np.polyfit(np.log(growth["tokens"]), np.log(growth["types"]), 1)
    return float(np.exp(log_k)), float(beta)


def oov_rate(train_tokens: Iterable[str], test_tokens: Sequence[str], vocab_size: int | None = None) -> float:
    """Fraction of ``test_tokens`` (running words, not distinct ones) missing from the vocabulary of
    ``train_tokens``: all its words, or only its ``vocab_size`` most frequent ones."""
    _words("train_tokens", train_tokens, sequence=False)
    _words("test_tokens", test_tokens, sequence=True)
    if len(test_tokens) == 0:
        raise ValueError("test_tokens is empty")
    counts = Counter(train_tokens)
    if vocab_size is not None:
        checks.integer("vocab_size", vocab_size, minimum=1)
        vocab = {w for w, _ in counts.most_common(vocab_size)}
    else:
        vocab = set(counts)
    return sum(w not in vocab for w in test_tokens) / len(test_tokens)


def zipf_table(counts: Counter | dict[str, int], max_rows: int = 400) -> pd.DataFrame:
    """Rank-frequency table: columns ``rank`` (1 = most frequent), ``word``, ``count``, ``share`` (of all
    tokens). Thinned to at most ``max_rows`` rows spaced evenly on a log scale of rank, for plotting."""
    _counts(counts)
    checks.integer("max_rows", max_rows, minimum=1)
    ordered = counts.most_common() if isinstance(counts, Counter) else sorted(counts.items(), key=lambda kv: -kv[1])
    if not ordered:
        raise ValueError("counts is empty")
    total = sum(c for _, c in ordered)
    ranks = np.unique(np.geomspace(1, len(ordered), max_rows).astype(int))
    return pd.DataFrame(
        [{"rank": int(r), "word": ordered[r - 1][0], "count": ordered[r - 1][1], "share": ordered[r - 1][1] / total} for r in ranks]
    )


def zipf_fit(counts: Counter | dict[str, int], ranks: tuple[int, int] = (10, 10_000)) -> float:
    """Exponent *s* of Zipf's law ``count ∝ rank**(-s)``, fitted in log-log space over the given rank range
    (the extremes bend away from a straight line in every corpus)."""
    _counts(counts)
    if not isinstance(ranks, (tuple, list)) or len(ranks) != 2:
        raise TypeError(f"ranks must be a pair (first, last) of ranks such as (10, 10_000), got {describe(ranks)}")
    lo = checks.integer("ranks[0]", ranks[0], minimum=1)
    checks.integer("ranks[1]", ranks[1], minimum=lo)
    values = np.array(sorted(counts.values(), reverse=True), dtype=float)
    lo, hi = ranks
    hi = min(hi, len(values))
    if hi - lo < 10:
        raise ValueError(f"need at least 10 ranks in {ranks} to fit; the vocabulary has {len(values)} words")
    r = np.arange(lo, hi + 1)
    slope, _ = np.polyfit(np.log(r), np.log(values[lo - 1 : hi]), 1)
    return float(-slope)


def _words(name: str, tokens: object, *, sequence: bool) -> None:
    """Refuse a bare string (its characters are not words) and, where slicing is needed, non-sequences."""
    if isinstance(tokens, (str, bytes)):
        raise TypeError(f"{name} must be a list of words such as text.split(), got a single {type(tokens).__name__} {describe(tokens)}")
    kind = Sequence if sequence else Iterable
    if not isinstance(tokens, kind) and not isinstance(tokens, np.ndarray):
        raise TypeError(f"{name} must be a {'list' if sequence else 'collection'} of words, got {describe(tokens)}")


def _counts(counts: object) -> None:
    """A mapping of word to a positive count."""
    checks.mapping("counts", counts)
    values = checks.array("the values of counts", list(counts.values()), ndim=1)
    if (values <= 0).any():
        word = next(w for w, c in counts.items() if c <= 0)
        raise ValueError(f"counts must be positive, got counts[{word!r}] = {counts[word]}")
