"""Ranking analogy candidates by gensim's rules, fast for all questions and exactly for near ties.

gensim answers one question at a time: it ranks the candidates with one matrix-vector product, takes the
best five, and answers with the first whose spelling is not a query word. :func:`batched_candidates`
scores many questions with one matrix product and keeps the best few candidates with ``torch.topk``;
:func:`pick_answer` and :func:`clear_winner` apply gensim's rule to them. Batched products round
differently from one matrix-vector product in the last bits of float32, so when two candidates come within
:data:`TIE_TOLERANCE` of each other (:func:`near_tie`) the question is re-ranked on its own
(:class:`ExactRanker`) in exactly the arithmetic of the per-question method; ties are then broken as gensim
breaks them (:func:`embedkit.vectors.top_rows`).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..vectors import Vectors, top_rows
from .analogy_scores import cosmul

__all__ = ["TIE_TOLERANCE", "ExactRanker", "batched_candidates", "clear_winner", "near_tie", "pick_answer"]

TIE_TOLERANCE = 1e-5
"""Candidates closer than this (relative to the score) are re-ranked per question in exact arithmetic."""

_TOPK = 6  # gensim keeps 5 candidates after removing the query words; one more tells how close the race was


def batched_candidates(unit, abc: np.ndarray, method: str, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Best :data:`_TOPK` candidates of every question, query words excluded.

    ``unit``: ``(n, dim)`` float32 tensor of unit rows; ``abc``: ``(q, 3)`` rows of a, b, c.
    Returns scores ``(q, k)`` and rows ``(q, k)``, best first (``-inf`` where fewer than k candidates exist).
    """
    import torch

    n = unit.shape[0]
    k = min(_TOPK, n)
    abc_t = torch.from_numpy(abc)
    out_scores = np.empty((len(abc), k), dtype=np.float32)
    out_rows = np.empty((len(abc), k), dtype=np.int64)
    buffer = torch.empty(min(batch_size, len(abc)), n, dtype=torch.float32)
    extra = torch.empty_like(buffer) if method == "3cosmul" else None
    for start in range(0, len(abc), batch_size):
        sel = abc_t[start : start + batch_size]
        m = len(sel)
        s = buffer[:m]
        ua, ub, uc = unit[sel[:, 0]], unit[sel[:, 1]], unit[sel[:, 2]]
        if method == "3cosadd":
            # gensim: the mean of the unit vectors (b + c - a) / 3, scaled to unit length.
            query = (ub + uc - ua) / 3.0
            query = query / query.norm(dim=1, keepdim=True).clamp_min(1e-30)
            torch.mm(query, unit.T, out=s)
        else:
            # Levy & Goldberg's 3CosMul, in place in two buffers: the a cosines reuse the c buffer.
            t = extra[:m]
            torch.mm(ub, unit.T, out=s)
            torch.mm(uc, unit.T, out=t)
            cosmul(lambda: torch.mm(ua, unit.T, out=t), s, t, inplace=True)
        s.scatter_(1, sel, float("-inf"))  # the question's own words cannot answer it
        values, found = torch.topk(s, k, dim=1)
        out_scores[start : start + m] = values.numpy()
        out_rows[start : start + m] = found.numpy()
    return out_scores, out_rows


def pick_answer(rows, scores, words, ignore: set[str], fold) -> int | None:
    """gensim's rule: among the best five candidates, the first whose spelling is not a query word (or the
    fifth if all are). Returns ``None`` if there is no candidate, or, when ``scores`` are given, if the
    choice rests on a near tie (two candidates up to the chosen one's successor within the tolerance)."""
    rows = np.asarray(rows)
    if scores is not None:
        finite = np.isfinite(scores)
        rows, scores = rows[finite], np.asarray(scores)[finite]
    window = [int(r) for r in rows[:5]]
    if not window:
        return None
    position = next((i for i, r in enumerate(window) if fold(words[r]) not in ignore), len(window) - 1)
    if scores is not None:
        if any(near_tie(scores[i], scores[i + 1]) for i in range(min(position + 1, len(scores) - 1))):
            return None
    return window[position]


def clear_winner(row, scores, words, ignore: set[str], fold) -> int | None:
    """The best candidate, or ``None`` if the rule needs a closer look: the best is another spelling of a
    query word (gensim would move on to the next candidate), or the runner-up is within the tolerance."""
    if not np.isfinite(scores[0]) or fold(words[row]) in ignore or near_tie(scores[0], scores[1]):
        return None
    return int(row)


def near_tie(better, worse) -> bool:
    """Whether two scores are within :data:`TIE_TOLERANCE` (relative to ``max(1, |better|)``)."""
    return float(better) - float(worse) <= TIE_TOLERANCE * max(1.0, abs(float(better)))


class ExactRanker:
    """One question at a time, in the arithmetic of a single matrix-vector product, with gensim's
    tie-breaking (:func:`~embedkit.vectors.top_rows`): for 3CosAdd that of gensim's ``most_similar``, for
    3CosMul :meth:`embedkit.Vectors.most_similar_cosmul` itself (whose arithmetic is gensim's)."""

    def __init__(self, vectors: Vectors, stop: int, method: str):
        self.method, self.vectors, self.stop = method, vectors, stop

    @cached_property
    def matrix(self) -> np.ndarray:  # copied only if a near tie needs it
        return np.asarray(self.vectors.vectors[: self.stop], dtype=np.float32)

    @cached_property
    def norms(self) -> np.ndarray:
        norms = np.linalg.norm(self.matrix, axis=1)
        norms[norms == 0] = 1.0  # an all-zero row scores 0 instead of NaN (as in Vectors.unit)
        return norms

    def _unit(self, row: int) -> np.ndarray:
        return self.matrix[row] / self.norms[row]

    def candidates(self, a: int, b: int, c: int) -> list[int]:
        """The best five candidate rows of *a : b :: c : ?* (rows of a, b, c), best first, query rows excluded."""
        if self.method == "3cosmul":
            words = self.vectors.words
            answers = self.vectors.most_similar_cosmul(
                positive=[words[b], words[c]], negative=[words[a]], topn=5, restrict_vocab=self.stop)
            return [self.vectors.index[w] for w, _ in answers]
        # gensim's most_similar: the unit mean of the unit vectors, then dot(vectors, mean) / norms.
        mean = np.zeros(self.matrix.shape[1], dtype=np.float32)
        total = np.float64(0.0)
        for row, weight in ((b, 1.0), (c, 1.0), (a, -1.0)):
            mean += np.float64(weight) * self._unit(row)
            total += abs(np.float64(weight))
        mean = mean / total
        mean = (mean / np.linalg.norm(mean)).astype(np.float32)
        scores = np.dot(self.matrix, mean) / self.norms
        exclude = [b, c, a]
        order = top_rows(scores, 5 + len(exclude))
        return [r for r in order if r not in exclude][:5]
