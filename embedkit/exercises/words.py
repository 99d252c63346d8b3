"""Checkers for the Words exercises (``chapters/words/exercises.md``).

* :func:`nearest_neighbours`: the ``k`` words of highest cosine similarity to a word, itself excluded, against
  :meth:`embedkit.Vectors.most_similar`.
* :func:`analogy_3cosadd`: the 3CosAdd answer to *a : b :: c : ?* (Mikolov et al., 2013), against
  :meth:`embedkit.Vectors.most_similar` with ``positive=[b, c], negative=[a]``, the rule that
  :func:`embedkit.words.evaluate_analogies` scores.
* :func:`skipgram_pairs`: the (centre, context) pairs of a window, against
  :func:`embedkit.words.word2vec.context_windows` with its random "reduced window" fixed at the full width.

The reader's functions take a plain matrix and a word list, so that the exercise is the arithmetic, not the
package's API. Cases are seeded random tables (with rows of very different lengths, so that a dot product
and a cosine disagree), the first rows of GloVe 6B, and the edges.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from ..vectors import Vectors
from ..words.word2vec import context_windows
from .grading import Case, Mistake, Result, compare_exact, grade

__all__ = ["analogy_3cosadd", "nearest_neighbours", "skipgram_pairs"]

GLOVE_ROWS = 20_000
"""How many (most frequent) GloVe rows the real-vector cases use: every question word is among them, and a
reader's function that scores every row runs in milliseconds."""


# -- shared inputs --------------------------------------------------------------------------------------


def _random_table(seed: int, n: int = 300, dim: int = 16) -> tuple[np.ndarray, list[str]]:
    """``n`` random float32 vectors whose lengths vary tenfold (so dot product ≠ cosine ranking)."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((n, dim)).astype(np.float32)
    matrix *= rng.uniform(0.2, 2.0, size=(n, 1)).astype(np.float32)
    return matrix, [f"w{i}" for i in range(n)]


def _glove_head() -> tuple[np.ndarray, list[str]]:
    from .. import data

    glove = data.glove()
    return np.array(glove.vectors[:GLOVE_ROWS]), list(glove.words[:GLOVE_ROWS])


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


# -- nearest neighbours ----------------------------------------------------------------------------------


def nearest_neighbours_reference(vectors: np.ndarray, words: list[str], word: str, k: int) -> list[str]:
    """The package's answer: :meth:`embedkit.Vectors.most_similar` of ``word``, words only."""
    return [w for w, _ in Vectors(vectors, words).most_similar(word, topn=k)]


def _neighbours_with_self(vectors, words, word, k):
    unit = _unit(vectors)
    scores = unit @ unit[words.index(word)]
    return [words[i] for i in np.argsort(-scores, kind="stable")[:k]]


def _neighbours_by_dot(vectors, words, word, k):
    scores = vectors @ vectors[words.index(word)]
    scores[words.index(word)] = -np.inf
    return [words[i] for i in np.argsort(-scores, kind="stable")[:k]]


def _neighbours_farthest(vectors, words, word, k):
    unit = _unit(vectors)
    scores = unit @ unit[words.index(word)]
    scores[words.index(word)] = np.inf
    return [words[i] for i in np.argsort(scores, kind="stable")[:k]]


def nearest_neighbours(fn: Callable) -> Result:
    """Check ``fn(vectors, words, word, k) -> list[str]``: the ``k`` words nearest to ``word`` by cosine
    similarity, best first, ``word`` itself left out.

    ``vectors`` is an ``(n_words, dim)`` float32 array whose row ``i`` belongs to ``words[i]``.
    """
    table, names = _random_table(1)
    glove, glove_words = _glove_head()
    cases = [
        Case("300 random words, 16 dims, lengths varying tenfold", (table, names, "w7", 5)),
        Case("300 random words, the 10 nearest", (table, names, "w123", 10)),
        Case("GloVe 6B, 20,000 most frequent words", (glove, glove_words, "frog", 5)),
        Case("GloVe 6B, 20,000 most frequent words", (glove, glove_words, "paris", 8)),
        Case("edge: k = 1", (table, names, "w0", 1)),
        Case("edge: every other word (k = n - 1)", (table[:6], names[:6], "w2", 5)),
    ]
    mistakes = [
        Mistake(_neighbours_with_self, "the word itself is its own nearest neighbour (cosine 1); leave it out"),
        Mistake(_neighbours_by_dot, "that ranking is by dot product: long vectors win. Divide every row by its "
                                    "length first, so that the dot product is the cosine"),
        Mistake(_neighbours_farthest, "those are the farthest words: sort by similarity in descending order"),
    ]
    return grade("nearest neighbours", fn, nearest_neighbours_reference, cases, compare=compare_exact,
                 mistakes=mistakes,
                 hint="scale every row to unit length, score all rows against the word's unit vector, drop "
                      "the word itself, and return the k best words, best first")


# -- 3CosAdd ---------------------------------------------------------------------------------------------


def analogy_reference(vectors: np.ndarray, words: list[str], a: str, b: str, c: str) -> str:
    """The package's 3CosAdd answer to *a : b :: c : ?*: ``most_similar(positive=[b, c], negative=[a])``."""
    return Vectors(vectors, words).most_similar(positive=[b, c], negative=[a], topn=1)[0][0]


def _3cosadd(vectors, words, a, b, c, *, unit=True, exclude=True, sign=1):
    m = _unit(vectors) if unit else vectors
    row = {w: i for i, w in enumerate(words)}
    query = sign * (m[row[b]] - m[row[a]]) + m[row[c]]
    scores = _unit(m) @ query if unit else m @ query
    if exclude:
        scores[[row[a], row[b], row[c]]] = -np.inf
    return words[int(np.argmax(scores))]


def _analogy_not_excluded(vectors, words, a, b, c):
    return _3cosadd(vectors, words, a, b, c, exclude=False)


def _analogy_raw(vectors, words, a, b, c):
    return _3cosadd(vectors, words, a, b, c, unit=False)


def _analogy_reversed(vectors, words, a, b, c):
    return _3cosadd(vectors, words, a, b, c, sign=-1)


def analogy_3cosadd(fn: Callable) -> Result:
    """Check ``fn(vectors, words, a, b, c) -> str``: the word ``x`` (not ``a``, ``b`` or ``c``) whose vector
    has the highest cosine similarity with ``b̂ − â + ĉ`` (hats: unit length), the answer to *a : b :: c : ?*.
    """
    table, names = _random_table(2)
    glove, glove_words = _glove_head()
    cases = [
        Case("300 random words, 16 dims, lengths varying tenfold", (table, names, "w1", "w2", "w3")),
        Case("300 random words", (table, names, "w40", "w41", "w250")),
        Case("GloVe 6B: man : king :: woman : ?", (glove, glove_words, "man", "king", "woman")),
        Case("GloVe 6B: france : paris :: italy : ?", (glove, glove_words, "france", "paris", "italy")),
        Case("GloVe 6B: walk : walked :: swim : ?", (glove, glove_words, "walk", "walked", "swim")),
        Case("edge: four words, so the fourth must answer", (table[:4], names[:4], "w0", "w1", "w2")),
    ]
    mistakes = [
        Mistake(_analogy_not_excluded, "the question's own words must not answer it: b and c are usually "
                                       "the nearest to b − a + c; leave a, b and c out of the candidates"),
        Mistake(_analogy_raw, "use unit vectors: b − a + c of raw vectors lets long (frequent) words dominate, "
                              "and candidates must be ranked by cosine, not dot product"),
        Mistake(_analogy_reversed, "the offset is b − a (from a to b), added to c; you computed a − b + c"),
    ]
    return grade("3CosAdd analogy", fn, analogy_reference, cases, compare=compare_exact, mistakes=mistakes,
                 hint="normalise the rows, form b̂ − â + ĉ, score every row by cosine with it, leave out a, b "
                      "and c, and return the best word")


# -- skip-gram pairs -------------------------------------------------------------------------------------


class _FullWindow:
    """Stands in for the random generator of :func:`context_windows` so that every position uses the full
    ``window`` (word2vec draws a "reduced window" ``b`` from ``1..window`` per position; the exercise is
    the pairs of one fixed window)."""

    def integers(self, low, high, size):
        return np.full(size, high - 1, dtype=np.int64)


def skipgram_reference(tokens: list[str], window: int) -> list[tuple[str, str]]:
    """The package's pairs: :func:`context_windows` of one sentence with the window fixed at ``window``,
    as (centre word, context word), position by position, contexts left to right."""
    vocab = {w: i for i, w in enumerate(dict.fromkeys(tokens))}
    names = list(vocab)
    ids = np.array([vocab[t] for t in tokens], dtype=np.int64)
    centres, contexts = context_windows(ids, np.zeros(len(ids), dtype=np.int64), window, _FullWindow())
    return [(names[c], names[o]) for c, row in zip(centres, contexts) for o in row if o >= 0]


def _pairs(tokens, lo, hi, *, left=True, centre=False):
    out = []
    for i, t in enumerate(tokens):
        for j in range(max(0, i - hi) if left else i, min(len(tokens), i + hi + 1)):
            if (j != i or centre) and (abs(j - i) >= lo or j == i):
                out.append((t, tokens[j]))
    return out


def _pairs_short(tokens, window):
    return _pairs(tokens, 1, window - 1)


def _pairs_long(tokens, window):
    return _pairs(tokens, 1, window + 1)


def _pairs_with_centre(tokens, window):
    return _pairs(tokens, 1, window, centre=True)


def _pairs_right_only(tokens, window):
    return _pairs(tokens, 1, window, left=False)


def compare_pairs(expected, got) -> str | None:
    """``None`` if ``got`` holds the same (centre, context) pairs as ``expected``, as many times each (in
    any order); else which pairs are missing or extra."""
    try:
        have = Counter((str(c), str(o)) for c, o in got)
    except (TypeError, ValueError):
        return f"expected a list of (centre, context) pairs such as {expected[:2]!r}, got {got!r:.80}"
    want = Counter(expected)
    if have == want:
        return None
    missing, extra = list((want - have).elements()), list((have - want).elements())
    parts = [f"expected {sum(want.values())} pairs, got {sum(have.values())}"]
    if missing:
        parts.append(f"missing {missing[:3]}" + (" …" if len(missing) > 3 else ""))
    if extra:
        parts.append(f"not expected {extra[:3]}" + (" …" if len(extra) > 3 else ""))
    return "; ".join(parts)


def skipgram_pairs(fn: Callable) -> Result:
    """Check ``fn(tokens, window) -> list[tuple[str, str]]``: every (centre, context) pair of skip-gram with
    a window of ``window`` words on each side, within the one sentence ``tokens`` (order does not matter;
    a pair that occurs twice must be listed twice)."""
    rng = np.random.default_rng(3)
    words = "in the beginning god created heaven and earth".split()
    shuffled = [str(w) for w in rng.choice(words, size=30)]
    cases = [
        Case("a sentence, window 2", ("the quick brown fox jumps over the lazy dog".split(), 2)),
        Case("30 random words with repeats, window 3", (shuffled, 3)),
        Case("window 1: only the neighbours", (words, 1)),
        Case("edge: the window is wider than the sentence", ("to be or not".split(), 10)),
        Case("edge: a single word has no context", (["amen"], 2)),
    ]
    mistakes = [
        Mistake(_pairs_short, "off by one: a window of w reaches w words to each side, so the distance d runs "
                              "over 1, …, w inclusive (range(1, window + 1))"),
        Mistake(_pairs_long, "off by one: your window reaches one word too far"),
        Mistake(_pairs_with_centre, "a word is not its own context: skip the centre position"),
        Mistake(_pairs_right_only, "the context is on both sides: also pair each word with the words before it"),
    ]
    return grade("skip-gram pairs", fn, skipgram_reference, cases, compare=compare_pairs, mistakes=mistakes,
                 hint="for every position i, pair tokens[i] with tokens[j] for every j ≠ i with |i − j| ≤ window "
                      "inside the sentence")
