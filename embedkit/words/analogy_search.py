"""The best 3CosAdd answer of many analogy questions at once, exactly, without scoring every word.

3CosAdd answers *a : b :: c : ?* with the word :math:`x` (unit rows, query words excluded) that maximises
:math:`x \\cdot q` for :math:`q = \\hat b - \\hat a + \\hat c` (Mikolov et al., 2013). Scoring every
question against every word is a ``(questions × words)`` matrix product: for the Google set and 300,000
GloVe words, billions of scores and tens of GB of float32 written and read back again. Almost all of them
are far from the best, and a cheap bound says so in advance (branch and bound):

* **Split the score.** :math:`x \\cdot q = x \\cdot (\\hat b - \\hat a) + x \\cdot \\hat c`. A question
  set has few distinct offsets :math:`\\hat b - \\hat a` (pairs) and few distinct :math:`c` words (a few
  hundred each in the Google set, against tens of thousands of questions).
* **Bound each block.** For a block of ``block`` consecutive words, the largest offset score plus the
  largest *c* score bounds every score in the block. That costs one small product of the distinct offsets
  and *c* words with the vocabulary, not one per question.
* **Skip what cannot win.** Rows are ordered by frequency and answers are mostly frequent words, so the
  first ``head`` words are scored for every question; each later block is scored only for the questions
  whose bound could still reach their best score so far, and the best scores rise as blocks go by.

On the Google set most scores are never computed (the Words chapter measures how many). The result is
exact: a skipped word scores below the question's best by more than ``tie_tolerance`` (plus an allowance
for float32 rounding), so it could neither win nor come close enough to call the winner a near tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import checks

__all__ = ["Best3CosAdd", "best_3cosadd"]

_NEG = float("-inf")


@dataclass(frozen=True)
class Best3CosAdd:
    """Result of :func:`best_3cosadd`.

    Attributes:
        rows: ``(questions,)`` row of each question's best candidate.
        scores: ``(questions, 2)`` cosine of the best candidate with :math:`q/\\lVert q\\rVert`, and the
            runner-up's (exact only when it is within the tie tolerance of the best).
        scored: how many (question, word) scores were computed; ``questions × n`` would be all of them.
    """

    rows: np.ndarray
    scores: np.ndarray
    scored: int


def best_3cosadd(
    unit: torch.Tensor,
    abc: np.ndarray,
    *,
    tie_tolerance: float,
    head: int = 4096,
    block: int = 128,
    query_batch: int = 2048,
) -> Best3CosAdd:
    """The best 3CosAdd candidate of every question and the two best scores, query words
    excluded.

    Args:
        unit: ``(n, dim)`` float32 unit rows, most frequent first (every row is a
            candidate).
        abc: ``(questions, 3)`` rows of *a*, *b*, *c* in ``unit``.
        tie_tolerance: how close (relative to ``max(1, |score|)``) a runner-up must come
            to the best score for the caller to call it a near tie; the search keeps
            exact runners-up that close.
        head: rows scored for every question before any bound is used.
        block: rows per bounded block (smaller blocks bound tighter but loop more).
        query_batch: questions per matrix product in the head (memory:
            ``query_batch × head`` floats).

    Returns:
        :class:`Best3CosAdd`: best rows, scores and how many scores were computed. The
        runner-up's score is exact whenever it is within the tie tolerance of the best;
        otherwise it is a lower value (possibly ``-inf``) and only says "no near tie". A
        question with no candidate gets ``-inf``.
    """
    head, block, query_batch = (
        checks.integer(name, value, minimum=1)
        for name, value in (
            ("head", head),
            ("block", block),
            ("query_batch", query_batch),
        )
    )
    tie_tolerance = checks.real("tie_tolerance", tie_tolerance, minimum=0)
    # finite: it comes from Vectors.unit, checked there
    checks.tensor("unit", unit, ndim=2, floating=True)
    n, dim = unit.shape
    abc = checks.array("abc", abc, dtype=None)
    if abc.dtype.kind not in "iu":
        raise TypeError(f"abc must hold integer row numbers, got dtype {abc.dtype}")
    abc = abc.astype(np.int64, copy=False)
    if abc.ndim != 2 or abc.shape[1] != 3:
        raise ValueError(
            f"abc must be (questions, 3) rows of a, b, c, got shape {abc.shape}"
        )
    if abc.size and (abc.min() < 0 or abc.max() >= n):
        raise IndexError(f"abc holds rows outside 0..{n - 1}")
    if len(abc) == 0:
        return Best3CosAdd(
            np.empty(0, dtype=np.int64), np.empty((0, 2), dtype=np.float32), 0
        )
    abc_t = torch.from_numpy(abc)
    a, b, c = abc_t.unbind(1)
    # scores stay unnormalised (x · q) until the end
    query = unit[b] - unit[a] + unit[c]
    norm = query.norm(dim=1)
    # The window below the best score inside which runners-up must be exact: the
    # caller's tie window (in x · q units, doubled for safety), plus float32 rounding of
    # the scores *and* of the bounds, each at most a few dim·2⁻²⁴ for sums of
    # unit-vector dot products (Higham's γ_dim).
    rounding = 8 * dim * 2.0**-24

    def window_of(best: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return 2 * tie_tolerance * torch.maximum(norm[rows], best.abs()) + rounding

    records = []  # (questions, top-2 scores, top-2 rows) of every scored block
    head = min(head, n)
    for start in range(0, len(abc_t), query_batch):
        rows = torch.arange(start, min(start + query_batch, len(abc_t)))
        records.append((rows, *_top2(query[rows] @ unit[:head].T, abc_t[rows], 0)))
    best = torch.cat([r[1][:, 0] for r in records])
    threshold = best - window_of(best, torch.arange(len(abc_t)))
    scored = len(abc_t) * head

    if head < n:
        pair_of, c_of, bounds = _block_bounds(unit, abc, head, block)
        blocks_with_query_words = set(((abc[abc >= head] - head) // block).tolist())
        for k, block_bounds in enumerate(bounds):
            # Questions whose bound for this block reaches their threshold; the rest
            # skip it.
            rows = (
                (block_bounds[pair_of] + block_bounds[c_of]) >= threshold
            ).nonzero().squeeze(1)
            if len(rows) == 0:
                continue
            start = head + k * block
            scores = query[rows] @ unit[start : start + block].T
            scored += scores.numel()
            top_scores, top_rows = _top2(
                scores,
                abc_t[rows] if k in blocks_with_query_words else None,
                start,
            )
            records.append((rows, top_scores, top_rows))
            best_here = top_scores[:, 0]
            threshold[rows] = torch.maximum(
                threshold[rows], best_here - window_of(best_here, rows)
            )

    return Best3CosAdd(*_merge(records, len(abc_t), norm), scored)


def _top2(scores: torch.Tensor, abc: torch.Tensor | None, start: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The two best scores per row of ``scores`` (columns = rows ``start …``), the query words (``abc``,
    ``None`` if none of them falls in this block) excluded. Returns scores and rows, ``(m, 2)`` each."""
    if abc is not None:
        local = abc - start
        inside = (local >= 0) & (local < scores.shape[1])
        question = torch.arange(len(scores)).unsqueeze(1).expand_as(local)
        scores[question[inside], local[inside]] = _NEG
    if scores.shape[1] < 2:  # a last block of one word: pad so that there is always a runner-up
        scores = torch.cat([scores, torch.full_like(scores, _NEG)], dim=1)
    top_scores, top_cols = scores.topk(2, dim=1)
    return top_scores, top_cols + start


def _block_bounds(unit: torch.Tensor, abc: np.ndarray, start: int, block: int):
    """Upper bounds on the offset part and the *c* part of every question's score, per block of rows.

    Returns ``pair_of`` and ``c_of`` ``(questions,)``, each question's row in the ``(blocks, distinct)``
    matrix ``bounds``, so that ``bounds[k, pair_of] + bounds[k, c_of]`` bounds every question's score
    on block ``k`` (rows ``start + k·block …``). Query words are left out of their own bounds.
    """
    n = unit.shape[0]
    pairs, pair_of = np.unique(abc[:, :2], axis=0, return_inverse=True)
    cs, c_of = np.unique(abc[:, 2], return_inverse=True)
    parts = torch.cat([unit[torch.from_numpy(pairs[:, 1])] - unit[torch.from_numpy(pairs[:, 0])], unit[torch.from_numpy(cs)]])
    # Which part must not count which word: an offset neither a nor b, a c-part not c itself.
    p = np.arange(len(pairs))
    excluded_part = np.concatenate([p, p, len(pairs) + np.arange(len(cs))])
    excluded_word = np.concatenate([pairs[:, 0], pairs[:, 1], cs])

    n_blocks = -(-(n - start) // block)
    bounds = torch.empty(n_blocks, len(parts))
    chunk = 32 * block  # rows per product: the (distinct × chunk) scores stay in cache
    for lo in range(start, n, chunk):
        hi = min(lo + chunk, n)
        scores = parts @ unit[lo:hi].T
        inside = (excluded_word >= lo) & (excluded_word < hi)
        scores[excluded_part[inside], excluded_word[inside] - lo] = _NEG
        k = (lo - start) // block
        for j in range(0, hi - lo, block):  # the last block may be short
            bounds[k + j // block] = scores[:, j : j + block].amax(dim=1)
    pair_of = torch.from_numpy(pair_of.reshape(-1))
    c_of = torch.from_numpy(c_of.reshape(-1)) + len(pairs)
    return pair_of, c_of, bounds


def _merge(records, n_questions: int, norm: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Best row and the two best scores per question, from the top-2 of every scored block."""
    questions = torch.cat([r[0] for r in records])
    scores = torch.cat([r[1] for r in records])
    rows = torch.cat([r[2] for r in records])
    best = torch.full((n_questions,), _NEG).scatter_reduce_(0, questions, scores[:, 0], "amax")
    # The first record holding each question's best (records come in row order: ties keep the lower row).
    holds_best = scores[:, 0] == best[questions]
    record = torch.arange(len(questions))
    winner = torch.full((n_questions,), len(questions)).scatter_reduce_(0, questions[holds_best], record[holds_best], "amin")
    # Runner-up: the best of every other record, or the winning record's own second.
    others = scores[:, 0].clone()
    others[winner] = scores[winner, 1]
    second = torch.full((n_questions,), _NEG).scatter_reduce_(0, questions, others, "amax")
    top = torch.stack([best, second], dim=1) / norm.clamp_min(1e-30).unsqueeze(1)
    return rows[winner, 0].numpy(), top.numpy()
