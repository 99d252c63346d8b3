"""Keyed word vectors: a matrix with a word for each row.

The API follows gensim's ``KeyedVectors`` (``most_similar``, ``similarity``, ``in``, ``[]``) so that a reader
who knows one knows the other, and so that tests can compare the two number for number.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

import numpy as np

from .errors import UnknownWordError

WordOrVector = str | np.ndarray


class Vectors:
    """Word vectors: row ``i`` of ``vectors`` is the vector of ``words[i]``.

    Args:
        vectors: ``(n_words, dim)`` float matrix. It is kept as given (a memory-mapped array stays
            memory-mapped); unit-length rows are computed once, on first use.
        words: ``n_words`` distinct strings, in row order (for GloVe: most frequent first).

    Similarity is cosine similarity throughout, as in gensim and in Mikolov et al. (2013).
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str]):
        if getattr(vectors, "ndim", None) != 2:
            raise ValueError(f"vectors must be a 2-D (n_words, dim) matrix, got shape {getattr(vectors, 'shape', None)}")
        if len(words) != vectors.shape[0]:
            raise ValueError(f"got {len(words)} words for {vectors.shape[0]} vector rows; they must match")
        self.vectors = vectors
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("words must be distinct")
        self._unit: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    # -- the mapping part -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"Vectors({len(self):,} words × {self.dim} dims)"

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def row(self, word: str) -> int:
        """Row index of ``word``; raises :class:`UnknownWordError` with close spellings if it is unknown."""
        try:
            return self.index[word]
        except (KeyError, TypeError):
            if not isinstance(word, str):
                raise TypeError(f"words are strings, got {type(word).__name__}: {word!r}") from None
            raise UnknownWordError(word, self.suggest(word)) from None

    def __getitem__(self, word: str | Iterable[str]) -> np.ndarray:
        """The vector of a word, shape ``(dim,)``; or of several words, shape ``(k, dim)``."""
        if isinstance(word, str):
            return np.asarray(self.vectors[self.row(word)])
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

    def _as_unit(self, item: WordOrVector) -> np.ndarray:
        if isinstance(item, str):
            return self.unit[self.row(item)]
        v = np.asarray(item, dtype=np.float32)
        if v.shape != (self.dim,):
            raise ValueError(f"a query vector must have shape ({self.dim},), got {v.shape}")
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    def query_vector(self, positive: Sequence[WordOrVector] = (), negative: Sequence[WordOrVector] = ()) -> np.ndarray:
        """The unit-length mean of the unit vectors of ``positive`` minus those of ``negative``
        (gensim's ``get_mean_vector`` with pre- and post-normalisation), shape ``(dim,)``."""
        positive = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive)
        negative = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative)
        if not positive and not negative:
            raise ValueError("give at least one word or vector in positive= or negative=")
        parts = [self._as_unit(p) for p in positive] + [-self._as_unit(n) for n in negative]
        mean = np.mean(parts, axis=0)
        n = np.linalg.norm(mean)
        return mean / n if n > 0 else mean

    def most_similar(
        self,
        positive: Sequence[WordOrVector] | WordOrVector = (),
        negative: Sequence[WordOrVector] | WordOrVector = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """The ``topn`` words closest (cosine) to ``mean(positive) − mean(negative)``, best first.

        Query words are excluded from the answer, as gensim does: ``most_similar(positive=["king",
        "woman"], negative=["man"])`` is the 3CosAdd analogy of Mikolov et al. (2013).
        ``restrict_vocab`` limits the search to the first (most frequent) rows.
        """
        positive = [positive] if isinstance(positive, (str, np.ndarray)) else list(positive)
        negative = [negative] if isinstance(negative, (str, np.ndarray)) else list(negative)
        if not isinstance(topn, int) or topn < 1:
            raise ValueError(f"topn must be a positive integer, got {topn!r}")
        stop = len(self) if restrict_vocab is None else restrict_vocab
        if not isinstance(stop, int) or not 1 <= stop <= len(self):
            raise ValueError(f"restrict_vocab must be between 1 and {len(self):,}, got {restrict_vocab!r}")
        query = self.query_vector(positive, negative)
        scores = self.unit[:stop] @ query
        exclude = {self.index[w] for w in positive + negative if isinstance(w, str)}
        k = min(topn + len(exclude), stop)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def similar_by_vector(self, vector: np.ndarray, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest (cosine) to a raw vector of shape ``(dim,)``; nothing is excluded."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn)
