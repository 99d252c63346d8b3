"""Word-pair similarity: do the cosines of word vectors rank pairs of words the way people did?

People scored pairs of words for how alike they are (WordSim-353, Finkelstein et al., 2002, scores
*relatedness*: *cup*–*coffee* is high; SimLex-999, Hill et al., 2015, scores *similarity* proper:
*cup*–*coffee* is low). The test is the rank correlation (Spearman's ρ) between those scores and the cosine
similarities of the vectors. :func:`evaluate_word_pairs` follows gensim's ``KeyedVectors.evaluate_word_pairs``
rule for rule (:mod:`~embedkit.words.known_words`), so that its numbers are *equal* (the tests check it):
a pair with a word outside the first ``restrict_vocab`` rows is skipped and counted in the coverage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .. import checks
from ..data import WordPair
from ..vectors import Vectors
from .known_words import check_flag, check_restrict_vocab, check_vectors, known_rows

__all__ = ["PairScores", "evaluate_word_pairs"]


@dataclass(frozen=True)
class PairScores:
    """How well cosine similarities rank word pairs the way people did.

    Attributes:
        spearman, spearman_pvalue: Spearman's rank correlation ρ with the human scores (the usual headline
            number) and its two-sided p-value.
        pearson, pearson_pvalue: Pearson's linear correlation r and its p-value.
        n_pairs: pairs given. ``n_evaluated``: pairs with both words known (the correlations use only these).
        gold, model: ``(n_evaluated,)`` arrays of the human scores and the cosine similarities, in input order.
    """

    spearman: float
    spearman_pvalue: float
    pearson: float
    pearson_pvalue: float
    n_pairs: int
    n_evaluated: int
    gold: np.ndarray = field(repr=False)
    model: np.ndarray = field(repr=False)

    @property
    def coverage(self) -> float:
        """Fraction of the pairs that were evaluated (both words known)."""
        return self.n_evaluated / self.n_pairs

    @property
    def oov_ratio(self) -> float:
        """Percentage of pairs skipped for an unknown word, as gensim reports it."""
        return 100.0 * (self.n_pairs - self.n_evaluated) / self.n_pairs


def _as_pairs(pairs) -> list[tuple[str, str, float]]:
    if isinstance(pairs, str):  # a data set is loaded by embedkit.data, not by name here
        raise TypeError(f"pairs must be word pairs (a list of WordPair or (a, b, score) triples), got the string "
                        f"{pairs!r}; load a data set with embedkit.data, e.g. data.wordsim353()")
    if isinstance(pairs, (bytes, Mapping)) or not isinstance(pairs, Iterable):
        raise TypeError(f"pairs must be word pairs (a list of WordPair or (a, b, score) triples), got {checks.describe(pairs)}")
    out = []
    for i, item in enumerate(pairs):
        if isinstance(item, WordPair):
            a, b, score = item.a, item.b, item.score
        else:
            try:
                a, b, score = item
            except (TypeError, ValueError):
                raise ValueError(f"each pair must be a WordPair or an (a, b, score) triple, got {item!r}") from None
        # A NaN score would make every correlation NaN; an infinite one would dominate the ranks.
        out.append((checks.text(f"pairs[{i}] first word", a), checks.text(f"pairs[{i}] second word", b),
                    checks.real(f"pairs[{i}] score", score)))
    if not out:
        raise ValueError("pairs is empty: give at least two word pairs with human scores")
    return out


def evaluate_word_pairs(
    vectors: Vectors,
    pairs: Iterable[WordPair] | Iterable[tuple[str, str, float]],
    *,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
) -> PairScores:
    """Correlate cosine similarities with human similarity scores.

    Args:
        vectors: the word vectors (rows most frequent first).
        pairs: ``embedkit.data.wordsim353()``, ``embedkit.data.simlex999()``, or any ``(word, word, score)``
            triples.
        restrict_vocab: only the first ``restrict_vocab`` rows count as known words (all rows if the model
            has fewer). A pair with an unknown word is skipped and lowers :attr:`PairScores.coverage`.
        case_insensitive: compare words upper-cased, the first (most frequent) spelling winning.

    Returns:
        :class:`PairScores`; its ``spearman`` and ``pearson`` equal gensim's ``evaluate_word_pairs`` on the
        same vectors and pairs, and ``oov_ratio`` its percentage of skipped pairs.
    """
    from scipy import stats

    check_vectors(vectors)
    triples = _as_pairs(pairs)
    stop = check_restrict_vocab(restrict_vocab, len(vectors))
    case_insensitive = check_flag("case_insensitive", case_insensitive)
    known = known_rows(vectors, stop, case_insensitive)
    fold = str.upper if case_insensitive else str
    rows, gold = [], []
    for a, b, score in triples:
        ra, rb = known.get(fold(a)), known.get(fold(b))
        if ra is not None and rb is not None:
            rows.append((ra, rb))
            gold.append(score)
    if len(rows) < 2:
        raise ValueError(
            f"only {len(rows)} of {len(triples)} pairs have both words among the first {stop:,} words; "
            "a correlation needs at least two"
        )
    idx = np.array(rows)
    va = np.asarray(vectors.vectors[idx[:, 0]], dtype=np.float64)
    vb = np.asarray(vectors.vectors[idx[:, 1]], dtype=np.float64)
    norms = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
    model = np.einsum("ij,ij->i", va, vb) / np.where(norms > 0, norms, 1.0)
    gold_arr = np.array(gold)
    spearman = stats.spearmanr(gold_arr, model)
    pearson = stats.pearsonr(gold_arr, model)
    return PairScores(
        spearman=float(spearman.statistic),
        spearman_pvalue=float(spearman.pvalue),
        pearson=float(pearson.statistic),
        pearson_pvalue=float(pearson.pvalue),
        n_pairs=len(triples),
        n_evaluated=len(rows),
        gold=gold_arr,
        model=model,
    )
