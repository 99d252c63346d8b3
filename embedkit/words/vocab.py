"""The vocabulary every trainer of the chapter shares: counting, encoding, subsampling and noise.

A trainer first counts words, keeps those seen at least ``min_count`` times (most frequent first, ties in
order of first appearance, as gensim does), and turns the corpus into one flat array of word ids. The two
word2vec devices that act on counts live here too, as plain functions a test can check against the
formulas: the probability of *keeping* a frequent word (subsampling) and the unigram^0.75 noise
distribution that negative samples are drawn from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .. import checks

__all__ = [
    "AliasSampler",
    "Vocabulary",
    "build_vocab",
    "check_positive_int",
    "check_seed",
    "diverged",
    "encode",
    "keep_probabilities",
    "noise_distribution",
]


@dataclass(frozen=True)
class Vocabulary:
    """Words kept for training, most frequent first.

    Attributes:
        words: the kept words, ``words[i]`` has id ``i``.
        counts: ``(n_words,)`` int64, how often each kept word occurs in the corpus.
        index: word → id.
        n_tokens: number of tokens in the whole corpus, kept or not.
    """

    words: tuple[str, ...]
    counts: np.ndarray
    index: dict[str, int]
    n_tokens: int

    def __len__(self) -> int:
        return len(self.words)


def _check_sentences(sentences) -> None:
    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of token lists, e.g. corpus.sentences; got a single string")
    if not isinstance(sentences, Sequence):
        raise TypeError(f"sentences must be a list of token lists, got {type(sentences).__name__}")
    if not any(len(s) for s in sentences):
        raise ValueError("sentences is empty: there is nothing to train on")
    first = next(s for s in sentences if len(s))
    if isinstance(first, str):
        raise TypeError("sentences must be a list of token lists (list[list[str]]), got a list of strings; "
                        "tokenize each sentence first, e.g. with embedkit.tokenize")


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (:func:`embedkit.checks.integer`: ``TypeError`` for a bool, a float or
    a string, ``ValueError`` below ``minimum``)."""
    return checks.integer(name, value, minimum=minimum)


def check_seed(seed) -> int:
    """A seed is an integer in ``[0, 2**63)``: NumPy refuses negative seeds and torch larger ones."""
    return checks.integer("seed", seed, minimum=0, maximum=2**63 - 1)


def diverged(trainer: str, what: str, when: str, rate_name: str, rate: float, batch_size: int) -> ValueError:
    """The error every trainer raises when training stopped being finite, naming the fix.

    A non-finite loss or vector is (almost always) a step too large for the data: one batch sums the
    updates of many examples into the rows of frequent words, so the safe step shrinks as the batch grows.
    """
    smaller = max(1, batch_size // 4)
    return ValueError(
        f"{trainer} training diverged: {what} became NaN or infinite {when}. The steps were too large for "
        f"this data: train again with a smaller {rate_name} (it is {rate:g}; try {rate / 4:g}) or a smaller "
        f"batch_size (it is {batch_size}; try {smaller})"
    )


def build_vocab(sentences: Sequence[Sequence[str]], min_count: int = 5) -> Vocabulary:
    """Count the words of ``sentences`` and keep those seen at least ``min_count`` times.

    Raises ``ValueError`` for an empty corpus, or when ``min_count`` leaves no word (naming the most
    frequent word's count so the fix is obvious).
    """
    _check_sentences(sentences)
    min_count = check_positive_int("min_count", min_count)
    counts = Counter()
    for s in sentences:
        counts.update(s)
    kept = [(w, c) for w, c in counts.items() if c >= min_count]  # Counter keeps first-seen order
    if not kept:
        top, n = counts.most_common(1)[0]
        raise ValueError(
            f"min_count={min_count} leaves no word: the most frequent word, {top!r}, occurs {n} times; "
            f"lower min_count or give more text"
        )
    kept.sort(key=lambda wc: -wc[1])  # stable: ties stay in order of first appearance
    words = tuple(w for w, _ in kept)
    return Vocabulary(
        words=words,
        counts=np.array([c for _, c in kept], dtype=np.int64),
        index={w: i for i, w in enumerate(words)},
        n_tokens=sum(counts.values()),
    )


def encode(sentences: Sequence[Sequence[str]], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as word ids, out-of-vocabulary words dropped (as word2vec does before windowing).

    Returns ``(ids, sentence)``: two ``(n_kept_tokens,)`` int arrays, the id of each token and the number of
    the sentence it belongs to (windows never cross a sentence boundary).
    """
    index = vocab.index
    ids: list[int] = []
    sent: list[int] = []
    for k, s in enumerate(sentences):
        row = [index[w] for w in s if w in index]
        ids.extend(row)
        sent.extend([k] * len(row))
    return np.array(ids, dtype=np.int64), np.array(sent, dtype=np.int64)


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word under frequent-word subsampling.

    :cite:t:`mikolov2013distributed` discard a word of corpus frequency
    ``f = count / total`` with probability ``1 − sqrt(t / f)``. Their released code (and
    gensim) use a slightly different rule, which we follow so that results compare with
    gensim's::

        keep(w) = min(1, (sqrt(f / t) + 1) · t / f)

    With ``t = sample``; ``sample=0`` turns subsampling off (every word kept).

    Args:
        counts: ``(n_words,)`` counts of the kept vocabulary; ``total`` is their sum.
        sample: the threshold ``t``, typically 1e-3 to 1e-5.

    Returns:
        ``(n_words,)`` float64 probabilities in (0, 1].
    """
    sample = checks.real(
        "sample (the subsampling threshold)",
        sample,
        minimum=0,
        maximum=1,
        open_max=True,
    )
    counts = np.asarray(counts, dtype=np.float64)
    if sample == 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution ``P(w) ∝ count(w) ** power`` (power 3/4 in word2vec).

    Raising counts to 3/4 flattens the unigram distribution: frequent words are still drawn most often,
    but rare words are drawn more often than their frequency alone would give.
    """
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


class AliasSampler:
    """Draws word ids from a fixed discrete distribution in O(1) per draw (Walker's alias method).

    Exact: each id is drawn with exactly its probability (up to float rounding), unlike word2vec's table
    of 10⁸ rounded entries. ``sample(shape, generator)`` returns a ``LongTensor``.
    """

    def __init__(self, probabilities: np.ndarray):
        p = np.asarray(probabilities, dtype=np.float64)
        n = len(p)
        scaled = p * n / p.sum()
        prob = np.zeros(n)
        alias = np.zeros(n, dtype=np.int64)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        while small and large:
            s, g = small.pop(), large.pop()
            prob[s], alias[s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        for i in small + large:  # leftovers are 1 up to rounding
            prob[i] = 1.0
        self.n = n
        self.prob = torch.from_numpy(prob.astype(np.float32))
        self.alias = torch.from_numpy(alias)

    def sample(self, shape, generator: torch.Generator) -> torch.Tensor:
        column = torch.randint(self.n, shape, generator=generator)
        accept = torch.rand(shape, generator=generator) < self.prob[column]
        return torch.where(accept, column, self.alias[column])
