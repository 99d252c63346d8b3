"""The vocabulary an intrinsic evaluation may use: the first ``restrict_vocab`` rows, compared upper-cased.

Both evaluations of the Words chapter (:mod:`~embedkit.words.word_pairs` and
:mod:`~embedkit.words.analogies`) follow gensim's ``KeyedVectors.evaluate_word_pairs`` and
``evaluate_word_analogies`` rule for rule: words are compared upper-cased (``case_insensitive``) and the
first, most frequent spelling wins; only the first ``restrict_vocab`` rows count as known. This module is
that rule, written once for both.
"""

from __future__ import annotations

import numpy as np

from .. import checks
from ..vectors import Vectors

__all__ = ["check_flag", "check_restrict_vocab", "check_vectors", "known_rows"]


def check_vectors(vectors) -> None:
    """``TypeError`` unless ``vectors`` is an :class:`embedkit.Vectors`."""
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be an embedkit.Vectors, got {type(vectors).__name__}")


def check_restrict_vocab(restrict_vocab, n_words: int) -> int:
    """The number of rows that count as known: ``restrict_vocab``, or every row if the model has fewer
    (as in gensim, so that one call evaluates models of any size)."""
    return min(checks.integer("restrict_vocab", restrict_vocab, minimum=1), n_words)


def check_flag(name: str, value) -> bool:
    """``value`` as a ``bool``; ``TypeError`` for anything but ``True``, ``False`` or a NumPy bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {checks.describe(value)}")
    return bool(value)


def known_rows(vectors: Vectors, stop: int, case_insensitive: bool) -> dict[str, int]:
    """Word (upper-cased if ``case_insensitive``) → row, over the first ``stop`` rows; the first row wins."""
    known: dict[str, int] = {}
    words = vectors.words[:stop]
    keys = (w.upper() for w in words) if case_insensitive else iter(words)
    for row, key in enumerate(keys):
        known.setdefault(key, row)
    return known
