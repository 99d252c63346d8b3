"""Keyed word vectors: a matrix with a word for each row.

The API follows gensim's ``KeyedVectors`` (``most_similar``, ``most_similar_cosmul``, ``similarity``, ``in``,
``[]``) so that a reader who knows one knows the other, and so that tests can compare the two number for number.

What comes in is checked once, where it enters: the matrix must be finite (one vectorised pass, which leaves
a memory-mapped matrix memory-mapped), the words distinct non-empty strings, a query vector finite and of
the right length, ``topn`` and ``restrict_vocab`` integers in range. Like gensim, ``positive`` and
``negative`` accept a single word (``most_similar("frog")``) or a single vector as well as a list of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np

from . import checks
from .errors import UnknownWordError

__all__ = ["Vectors", "WordOrVector", "top_rows"]

WordOrVector = str | np.ndarray


def top_rows(scores: np.ndarray, topn: int) -> np.ndarray:
    """Indices of the ``topn`` largest of ``scores`` (shape ``(n,)``), largest first, with ties broken as
    ``gensim.matutils.argsort`` breaks them (``argpartition``, then ``argsort`` of the chosen few), so that
    an answer picked among equal scores is gensim's."""
    x = -scores
    if topn >= x.size:
        return np.argsort(x)[:topn]
    best = np.argpartition(x, topn)[:topn]
    return best.take(np.argsort(x.take(best)))


def _check_matrix(vectors: object) -> tuple[np.ndarray, np.ndarray]:
    """``vectors`` as a 2-D real matrix with at least one row and column, and the rows holding NaN or
    infinity (empty if none; the caller names the first one's word).

    A NumPy array (or memmap) is kept as it is, not copied. Finiteness costs one pass: row sums in float64
    are finite exactly when the row is, barring overflow (entries near 1e308), which the exact test on the
    flagged rows then clears.
    """
    if not isinstance(vectors, np.ndarray):
        if isinstance(vectors, (str, bytes)) or not hasattr(vectors, "__len__"):
            raise TypeError(f"vectors must be a 2-D (n_words, dim) matrix of numbers, got {checks.describe(vectors)}")
        vectors = checks.array("vectors", vectors, dtype=None, finite=False)
    if vectors.dtype.kind not in "fiu":
        raise TypeError(f"vectors must be a 2-D (n_words, dim) matrix of real numbers, got dtype {vectors.dtype}")
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D (n_words, dim) matrix, got shape {vectors.shape}")
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise ValueError(f"vectors must have at least one row and one column, got shape {vectors.shape}")
    if vectors.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):  # inf + (-inf), or a sum past 1e308
            suspect = np.flatnonzero(~np.isfinite(vectors.sum(axis=1, dtype=np.float64)))
        if suspect.size:
            return vectors, suspect[~np.isfinite(np.asarray(vectors[suspect])).all(axis=1)]
    return vectors, np.empty(0, dtype=np.int64)


class Vectors:
    """Word vectors: row ``i`` of ``vectors`` is the vector of ``words[i]``.

    Args:
        vectors: ``(n_words, dim)`` float matrix. It is kept as given (a memory-mapped array stays
            memory-mapped); unit-length rows are computed once, on first use.
        words: ``n_words`` distinct strings, in row order (for GloVe: most frequent first).

    Similarity is cosine similarity throughout, as in gensim and in Mikolov et al. (2013).
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str]):
        if isinstance(words, np.ndarray) and not isinstance(vectors, np.ndarray):
            raise TypeError(f"vectors must be a 2-D (n_words, dim) matrix, got {checks.describe(vectors)}; "
                            "the matrix comes first: Vectors(vectors, words)")
        vectors, bad_rows = _check_matrix(vectors)
        words = checks.strings("words", words)
        if len(words) != vectors.shape[0]:
            raise ValueError(f"got {len(words):,} words for {vectors.shape[0]:,} vector rows; they must match")
        if bad_rows.size:
            row = int(bad_rows[0])
            values = np.asarray(vectors[row])
            first = values[~np.isfinite(values)][0]
            raise ValueError(f"vectors must be finite, got {bad_rows.size:,} row(s) with NaN or infinity, the first "
                             f"row {row:,} (word {words[row]!r}) holding {first}")
        self.vectors = vectors
        self.words = words
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            seen: dict[str, int] = {}
            for i, w in enumerate(self.words):
                if w in seen:
                    raise ValueError(f"words must be distinct, got {w!r} at rows {seen[w]:,} and {i:,}")
                seen[w] = i
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    # -- the mapping part -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self.index

    def __repr__(self) -> str:
        return f"Vectors({len(self):,} words × {self.dim} dims)"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def row(self, word: str) -> int:
        """Row index of ``word``; raises :class:`UnknownWordError` with close spellings if it is unknown."""
        if not isinstance(word, str):
            raise TypeError(f"word must be a string, got {checks.describe(word)}")
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word, self.suggest(word)) from None

    def __getitem__(self, word: str | Iterable[str]) -> np.ndarray:
        """The vector of a word, shape ``(dim,)``; or of several words, shape ``(k, dim)``."""
        if isinstance(word, str):
            return np.asarray(self.vectors[self.row(word)])
        if isinstance(word, bytes) or not isinstance(word, Iterable):
            raise TypeError(f"word must be a string or a list of strings, got {checks.describe(word)}")
        return np.asarray(self.vectors[[self.row(w) for w in word]])

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Known words spelled like ``word`` (difflib ratio), searched among the 100k most frequent rows
        of similar length, so that a typo gets an answer in well under a second."""
        head = self.words[:100_000]
        pool = [w for w in head if abs(len(w) - len(word)) <= 2]
        return difflib.get_close_matches(word.lower(), pool, n=n, cutoff=0.6)

    # -- cosine geometry --------------------------------------------------------------------------
    @property
    def norms(self) -> np.ndarray:
        """Euclidean norm of every row, shape ``(n_words,)``."""
        if self._norms is None:
            self._norms = np.linalg.norm(np.asarray(self.vectors, dtype=np.float32), axis=1)
        return self._norms

    @property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit length, shape ``(n_words, dim)``, float32 (computed once)."""
        if self._unit is None:
            norms = self.norms.copy()
            norms[norms == 0] = 1.0  # an all-zero row stays zero instead of becoming NaN
            self._unit = np.asarray(self.vectors, dtype=np.float32) / norms[:, None]
        return self._unit

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self.unit[self.row(a)] @ self.unit[self.row(b)])

    def _check_term(self, name: str, item: object) -> WordOrVector:
        """A query term as given: a word (checked later, by :meth:`row`) or a finite ``(dim,)`` vector."""
        if isinstance(item, str):
            return item
        if not isinstance(item, np.ndarray):
            raise TypeError(f"{name} must be a word (str) or a vector (NumPy array of shape ({self.dim},)), "
                            f"got {checks.describe(item)}")
        v = checks.array(name, item, dtype=np.float32)
        if v.shape != (self.dim,):
            raise ValueError(f"{name} must be a vector of shape ({self.dim},), got shape {v.shape}")
        return v

    def _as_unit(self, item: WordOrVector) -> np.ndarray:
        if isinstance(item, str):
            return self.unit[self.row(item)]
        v = self._check_term("query", item)
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    @staticmethod
    def _terms(name: str, value: object) -> list:
        """``positive`` / ``negative`` as a list: ``None`` or ``()`` is none, a single word or vector is one
        (as in gensim), anything else must be a collection of words and vectors."""
        if value is None:
            return []
        if isinstance(value, (str, np.ndarray)):
            return [value]
        if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable):
            raise TypeError(f"{name} must be a word, a vector, or a list of words and vectors, got {checks.describe(value)}")
        return list(value)

    def _query(self, positive, negative, topn, restrict_vocab) -> tuple[list, list, int, int]:
        """The arguments every neighbour query takes, checked in this order: ``positive`` and ``negative``
        as lists, ``topn``, and the number of rows searched (``restrict_vocab``, default all)."""
        positive, negative = self._terms("positive", positive), self._terms("negative", negative)
        topn = checks.integer("topn", topn, minimum=1)
        stop = len(self) if restrict_vocab is None else checks.integer(
            "restrict_vocab", restrict_vocab, minimum=1, maximum=len(self))
        return positive, negative, topn, stop

    def _query_rows(self, terms: Sequence[WordOrVector]) -> set[int]:
        """Rows of the words among a query's terms, which never answer it (as in gensim)."""
        return {self.index[w] for w in terms if isinstance(w, str)}

    def query_vector(self, positive: Sequence[WordOrVector] | WordOrVector = (),
                     negative: Sequence[WordOrVector] | WordOrVector = ()) -> np.ndarray:
        """The unit-length mean of the unit vectors of ``positive`` minus those of ``negative``
        (gensim's ``get_mean_vector`` with pre- and post-normalisation), shape ``(dim,)``.

        Raises ``ValueError`` if there is no term, or if the terms cancel out (``king - king``): a zero
        query has no direction, so every word would score 0 and the "nearest" words would be arbitrary.
        """
        positive, negative = self._terms("positive", positive), self._terms("negative", negative)
        if not positive and not negative:
            raise ValueError("give at least one word or vector in positive= or negative=")
        positive = [self._check_term(f"positive[{i}]", p) for i, p in enumerate(positive)]
        negative = [self._check_term(f"negative[{i}]", n) for i, n in enumerate(negative)]
        parts = [self._as_unit(p) for p in positive] + [-self._as_unit(n) for n in negative]
        mean = np.mean(parts, axis=0)
        n = np.linalg.norm(mean)
        if not n > 0:
            raise ValueError("the query vector is zero (the positive and negative terms cancel out, or a "
                             "vector is all zeros), so no word is nearer to it than another")
        return mean / n

    def most_similar(
        self,
        positive: Sequence[WordOrVector] | WordOrVector = (),
        negative: Sequence[WordOrVector] | WordOrVector = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words closest (cosine) to ``mean(positive) − mean(negative)``,
        best first.

        ``positive`` and ``negative`` are lists of words and ``(dim,)`` vectors, or (as
        in gensim) a single word or vector. Query words are excluded from the answer, as
        gensim does: ``most_similar(positive=["king", "woman"], negative=["man"])`` is
        the 3CosAdd analogy of Mikolov et al. (2013). ``restrict_vocab`` limits the
        search to the first (most frequent) rows.
        """
        positive, negative, topn, stop = self._query(
            positive, negative, topn, restrict_vocab)
        query = self.query_vector(positive, negative)
        scores = self.unit[:stop] @ query
        exclude = self._query_rows(positive + negative)
        k = min(topn + len(exclude), stop)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [
            (self.words[i], float(scores[i])) for i in best if i not in exclude
        ][:topn]

    def most_similar_cosmul(
        self,
        positive: Sequence[WordOrVector] | WordOrVector = (),
        negative: Sequence[WordOrVector] | WordOrVector = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words with the best 3CosMul score, best first (Levy & Goldberg, 2014, eq. 4).

        A candidate :math:`x` scores :math:`\\prod_p s(x, p) / (\\prod_n s(x, n) + \\varepsilon)` with the
        shifted cosine :math:`s = (1 + \\cos)/2` (:func:`~embedkit.words.analogy_scores.cosmul_terms`):
        ``most_similar_cosmul(positive=["king", "woman"], negative=["man"])`` is the 3CosMul analogy, a
        product of similarities, so that one large similarity cannot drown the others. As in
        :meth:`most_similar`, ``positive`` and ``negative`` are words or ``(dim,)`` vectors (a vector is
        scaled to unit length first, so that its similarities are cosines), query words never answer, and
        ``restrict_vocab`` limits the candidates to the first (most frequent) rows.

        The arithmetic is gensim's ``KeyedVectors.most_similar_cosmul`` (cosines as ``vectors @ unit / norms``
        over the candidate rows, ties broken as :func:`top_rows`), so the answers are gensim's and the
        analogy evaluation can rank a question with it exactly as gensim does. Unlike gensim's,
        ``restrict_vocab`` is honoured.
        """
        from .words.analogy_scores import cosmul_terms  # the formula lives with the Words chapter

        positive, negative, topn, stop = self._query(
            positive, negative, topn, restrict_vocab)
        if not positive:
            raise ValueError("give at least one word or vector in positive=: 3CosMul multiplies their similarities")
        positive = [self._check_term(f"positive[{i}]", p) for i, p in enumerate(positive)]
        negative = [self._check_term(f"negative[{i}]", n) for i, n in enumerate(negative)]
        matrix = np.asarray(self.vectors[:stop], dtype=np.float32)
        norms = self.norms[:stop].copy()
        norms[norms == 0] = 1.0  # an all-zero row scores cos = 0 instead of NaN (as in unit)

        def cosines(term: WordOrVector) -> np.ndarray:
            return np.dot(matrix, self._as_unit(term).astype(np.float32, copy=False)) / norms

        scores = cosmul_terms([cosines(p) for p in positive], [cosines(n) for n in negative])
        exclude = self._query_rows(positive + negative)
        best = top_rows(scores, topn + len(exclude))
        return [(self.words[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest (cosine) to a raw vector of shape ``(dim,)``; nothing is excluded."""
        if not isinstance(vector, np.ndarray):
            vector = checks.array("vector", vector, dtype=np.float32)
        return self.most_similar(positive=[vector], topn=topn)
