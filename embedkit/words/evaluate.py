"""Intrinsic evaluation of word vectors: similarity of word pairs and analogies.

Two standard tests tell good word vectors from bad ones without training anything on top of them:

* **Word-pair similarity** (:func:`evaluate_word_pairs`). People scored pairs of words for how alike they
  are (WordSim-353, Finkelstein et al., 2002, scores *relatedness*: *cup*–*coffee* is high; SimLex-999,
  Hill et al., 2015, scores *similarity* proper: *cup*–*coffee* is low). The test is the rank correlation
  (Spearman's ρ) between those scores and the cosine similarities of the vectors.
* **Analogies** (:func:`evaluate_analogies`). *a* is to *b* as *c* is to *?*: the 19,544 questions of
  Mikolov et al. (2013) in 14 sections (capitals, currencies, family, plurals, tenses, …). 3CosAdd answers
  with the word nearest to ``b − a + c``; 3CosMul (Levy & Goldberg, 2014) multiplies similarities instead.

Both follow gensim's ``KeyedVectors.evaluate_word_pairs`` and ``evaluate_word_analogies`` rule for rule,
so that their numbers are *equal* (the tests check it): words are compared upper-cased (``case_insensitive``)
and the first, most frequent spelling wins; only the first ``restrict_vocab`` rows count as known; a
question with a word outside them is skipped (and counted in the coverage); the four words of a question
cannot answer it (query words are excluded, and so are other spellings of them).

The analogy test is vectorised. gensim scores one question at a time with a matrix-vector product over
every candidate. Here 3CosAdd answers all questions together and skips the candidates that a cheap bound
rules out (:mod:`~embedkit.words.analogy_search`); 3CosMul scores questions in batches with one matrix
product each and keeps the best few candidates with ``torch.topk``. ``benchmarks/bench_analogies.py``
times both against gensim. Batched products round differently from one matrix-vector product in the last
bits of float32, so when two candidates come within ``1e-5`` of each other the question is re-ranked on
its own in exactly the arithmetic of the per-question method; ties are then broken as gensim breaks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .. import checks
from ..data import Analogy, WordPair
from ..vectors import Vectors
from .analogy_scores import COSMUL_EPSILON, METHODS, cosmul
from .analogy_search import best_3cosadd

__all__ = [
    "AnalogyScores",
    "COSMUL_EPSILON",
    "PairScores",
    "SectionScore",
    "METHODS",
    "SEMANTIC_SECTIONS",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "standard_scores",
]

SEMANTIC_SECTIONS = (
    "capital-common-countries",
    "capital-world",
    "currency",
    "city-in-state",
    "family",
)
"""The five semantic sections of the Google set; the other nine (``gram1-…`` to ``gram9-…``) are syntactic."""

TIE_TOLERANCE = 1e-5
"""Candidates closer than this (relative to the score) are re-ranked per question in exact arithmetic."""

_TOPK = 6  # gensim keeps 5 candidates after removing the query words; one more tells how close the race was


# -- the restricted, case-folded vocabulary -------------------------------------------------------


def _check_vectors(vectors) -> None:
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be an embedkit.Vectors, got {type(vectors).__name__}")


def _check_restrict_vocab(restrict_vocab, n_words: int) -> int:
    """The number of rows that count as known: ``restrict_vocab``, or every row if the model has fewer
    (as in gensim, so that one call evaluates models of any size)."""
    return min(checks.integer("restrict_vocab", restrict_vocab, minimum=1), n_words)


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {checks.describe(value)}")
    return bool(value)


def _known(vectors: Vectors, stop: int, case_insensitive: bool) -> dict[str, int]:
    """Word (upper-cased if ``case_insensitive``) → row, over the first ``stop`` rows; the first row wins."""
    known: dict[str, int] = {}
    words = vectors.words[:stop]
    keys = (w.upper() for w in words) if case_insensitive else iter(words)
    for row, key in enumerate(keys):
        known.setdefault(key, row)
    return known


# -- word pairs -----------------------------------------------------------------------------------


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
    if isinstance(pairs, str):
        from .. import data

        loaders = {"wordsim353": data.wordsim353, "simlex999": data.simlex999}
        if pairs not in loaders:
            raise ValueError(f"pairs must be word pairs or one of {sorted(loaders)}, got {pairs!r}")
        pairs = loaders[pairs]()
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
    pairs: Iterable[WordPair] | Iterable[tuple[str, str, float]] | str,
    *,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
) -> PairScores:
    """Correlate cosine similarities with human similarity scores.

    Args:
        vectors: the word vectors (rows most frequent first).
        pairs: ``embedkit.data.wordsim353()``, ``embedkit.data.simlex999()``, their names
            ``"wordsim353"`` / ``"simlex999"``, or any ``(word, word, score)`` triples.
        restrict_vocab: only the first ``restrict_vocab`` rows count as known words (all rows if the model
            has fewer). A pair with an unknown word is skipped and lowers :attr:`PairScores.coverage`.
        case_insensitive: compare words upper-cased, the first (most frequent) spelling winning.

    Returns:
        :class:`PairScores`; its ``spearman`` and ``pearson`` equal gensim's ``evaluate_word_pairs`` on the
        same vectors and pairs, and ``oov_ratio`` its percentage of skipped pairs.
    """
    from scipy import stats

    _check_vectors(vectors)
    triples = _as_pairs(pairs)
    stop = _check_restrict_vocab(restrict_vocab, len(vectors))
    case_insensitive = _check_flag("case_insensitive", case_insensitive)
    known = _known(vectors, stop, case_insensitive)
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


# -- analogies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionScore:
    """One section of an analogy set: how many questions, how many could be asked, how many were right."""

    section: str
    n_questions: int
    n_evaluated: int
    n_correct: int

    @property
    def accuracy(self) -> float:
        """Correct answers over evaluated questions (0.0 if none could be evaluated, as gensim reports)."""
        return self.n_correct / self.n_evaluated if self.n_evaluated else 0.0

    @property
    def coverage(self) -> float:
        """Fraction of the section's questions whose four words are all known."""
        return self.n_evaluated / self.n_questions if self.n_questions else 0.0


@dataclass(frozen=True)
class AnalogyScores:
    """Result of :func:`evaluate_analogies`.

    Attributes:
        method: ``"3cosadd"`` or ``"3cosmul"``.
        restrict_vocab: rows that counted as known (after capping at the vocabulary size).
        sections: one :class:`SectionScore` per section, in input order.
        questions: every question, in input order.
        predictions: the answer given to each question (a word of the vocabulary), or ``None`` for a
            question that was skipped because one of its words is unknown.
        correct: for each question, whether the answer was right (``None`` if skipped).
        exact_checks: questions whose best candidates were so close that they were re-ranked one at a
            time in exact per-question arithmetic (see the module docstring); usually a handful.
        scored: (question, candidate) scores computed. 3CosMul computes all ``n_evaluated ×
            restrict_vocab``; 3CosAdd skips those a bound rules out (:mod:`~embedkit.words.analogy_search`).
    """

    method: str
    restrict_vocab: int
    sections: tuple[SectionScore, ...]
    questions: tuple[Analogy, ...] = field(repr=False)
    predictions: tuple[str | None, ...] = field(repr=False)
    correct: tuple[bool | None, ...] = field(repr=False)
    exact_checks: int = 0
    scored: int = 0

    @property
    def n_questions(self) -> int:
        return sum(s.n_questions for s in self.sections)

    @property
    def n_evaluated(self) -> int:
        return sum(s.n_evaluated for s in self.sections)

    @property
    def n_correct(self) -> int:
        return sum(s.n_correct for s in self.sections)

    @property
    def accuracy(self) -> float:
        """Correct over evaluated questions, all sections together (gensim's "Total accuracy")."""
        return self.n_correct / self.n_evaluated if self.n_evaluated else 0.0

    @property
    def coverage(self) -> float:
        """Fraction of all questions that could be evaluated."""
        return self.n_evaluated / self.n_questions if self.n_questions else 0.0

    def subset_accuracy(self, sections: Iterable[str]) -> float:
        """Accuracy over the evaluated questions of some sections, e.g. :data:`SEMANTIC_SECTIONS`."""
        chosen = set(sections)
        picked = [s for s in self.sections if s.section in chosen]
        evaluated = sum(s.n_evaluated for s in picked)
        return sum(s.n_correct for s in picked) / evaluated if evaluated else 0.0

    def table(self) -> pd.DataFrame:
        """One row per section plus a ``total`` row: questions, evaluated, correct, accuracy, coverage."""
        rows = [
            {
                "section": s.section,
                "questions": s.n_questions,
                "evaluated": s.n_evaluated,
                "correct": s.n_correct,
                "accuracy": s.accuracy,
                "coverage": s.coverage,
            }
            for s in self.sections
        ]
        rows.append(
            {
                "section": "total",
                "questions": self.n_questions,
                "evaluated": self.n_evaluated,
                "correct": self.n_correct,
                "accuracy": self.accuracy,
                "coverage": self.coverage,
            }
        )
        return pd.DataFrame(rows)

    def answers(self) -> pd.DataFrame:
        """Every evaluated question with the answer given: columns section, a, b, c, expected, predicted, correct."""
        rows = [
            {
                "section": q.section,
                "a": q.a,
                "b": q.b,
                "c": q.c,
                "expected": q.d,
                "predicted": p,
                "correct": ok,
            }
            for q, p, ok in zip(self.questions, self.predictions, self.correct)
            if ok is not None
        ]
        return pd.DataFrame(rows, columns=["section", "a", "b", "c", "expected", "predicted", "correct"])


def _as_questions(sections) -> tuple[list[str], list[Analogy]]:
    """Section names in order and all questions in order, from a mapping or a flat sequence."""
    if isinstance(sections, Mapping):
        names = [str(k) for k in sections]
        questions = []
        for name, qs in sections.items():
            for q in qs:
                questions.append(_as_analogy(q, str(name)))
    elif isinstance(sections, (str, bytes)) or not isinstance(sections, Iterable):
        raise TypeError(
            "sections must map section names to analogies (e.g. embedkit.data.google_analogies()) "
            f"or be a sequence of Analogy objects, got {type(sections).__name__}"
        )
    else:
        questions = [_as_analogy(q, "analogies") for q in sections]
        names = list(dict.fromkeys(q.section for q in questions))
    if not questions:
        raise ValueError("sections holds no analogy questions")
    return names, questions


def _as_analogy(q, section: str) -> Analogy:
    if isinstance(q, Analogy):
        words = (q.a, q.b, q.c, q.d)
    elif isinstance(q, (str, bytes)):  # "abcd" would unpack into four one-letter words
        raise TypeError(f"an analogy is an Analogy or four words (a, b, c, d), got a single string {q!r}")
    else:
        try:
            words = tuple(q)
        except TypeError:
            raise TypeError(f"an analogy is an Analogy or four words (a, b, c, d), got {checks.describe(q)}") from None
        if len(words) != 4:
            raise ValueError(f"an analogy is an Analogy or four words (a, b, c, d), got {len(words)} words: {q!r}")
    for name, w in zip("abcd", words):
        if not isinstance(w, str) or not w:
            raise TypeError(f"analogy word {name} must be a non-empty string, got {checks.describe(w)} in {q!r}")
    if isinstance(q, Analogy) and (q.section == section or section == "analogies"):
        return q
    return Analogy(section, *words)


def evaluate_analogies(
    vectors: Vectors,
    sections: Mapping[str, Sequence[Analogy]] | Sequence[Analogy],
    *,
    method: str = "3cosadd",
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    batch_size: int = 256,
) -> AnalogyScores:
    """Answer every analogy question *a : b :: c : ?* and score the answers, section by section.

    With unit vectors :math:`\\hat a, \\hat b, \\hat c` and candidates :math:`x` among the first
    ``restrict_vocab`` words (the question's own words excluded):

    * ``"3cosadd"`` (Mikolov et al., 2013): :math:`\\arg\\max_x \\cos(x, \\hat b - \\hat a + \\hat c)`.
    * ``"3cosmul"`` (Levy & Goldberg, 2014, eq. 4, cosines shifted to [0, 1]):
      :math:`\\arg\\max_x \\frac{s(x,b)\\,s(x,c)}{s(x,a)+\\varepsilon}` with :math:`s = (1+\\cos)/2` and
      :math:`\\varepsilon =` :data:`COSMUL_EPSILON`.

    Args:
        vectors: the word vectors (rows most frequent first).
        sections: ``embedkit.data.google_analogies()`` (section name → questions), or a flat sequence of
            :class:`~embedkit.data.Analogy`.
        method: ``"3cosadd"`` or ``"3cosmul"``.
        restrict_vocab: only the first ``restrict_vocab`` rows are known words and candidate answers (all
            rows if the model has fewer). Questions with an unknown word are skipped (see ``coverage``).
        case_insensitive: compare words upper-cased, the first (most frequent) spelling winning.
        batch_size: 3CosMul only: questions scored per matrix product (memory: ``batch_size ×
            restrict_vocab`` floats). 3CosAdd uses the bounded search of
            :func:`~embedkit.words.analogy_search.best_3cosadd`, whose memory does not grow with the vocabulary.

    Returns:
        :class:`AnalogyScores`. For ``"3cosadd"`` its accuracies equal gensim's ``evaluate_word_analogies``;
        for ``"3cosmul"`` they equal the same evaluation with gensim's ``most_similar_cosmul``.
    """
    import torch

    _check_vectors(vectors)
    method = checks.choice("method", method, METHODS)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    case_insensitive = _check_flag("case_insensitive", case_insensitive)
    names, questions = _as_questions(sections)
    stop = _check_restrict_vocab(restrict_vocab, len(vectors))
    known = _known(vectors, stop, case_insensitive)
    fold = str.upper if case_insensitive else str

    # Rows of a, b, c, expected for every question whose four words are known.
    asked, rows = [], []
    for i, q in enumerate(questions):
        r = [known.get(fold(w)) for w in (q.a, q.b, q.c, q.d)]
        if None not in r:
            asked.append(i)
            rows.append(r)
    predictions: list[str | None] = [None] * len(questions)
    exact_checks = scored = 0
    if rows:
        idx = np.array(rows, dtype=np.int64)
        unit = torch.from_numpy(np.ascontiguousarray(vectors.unit[:stop]))
        words = vectors.words
        ignores = [{fold(questions[qi].a), fold(questions[qi].b), fold(questions[qi].c)} for qi in asked]
        # A first answer per question from all questions at once; None where the rule needs a closer look.
        if method == "3cosadd":
            found = best_3cosadd(unit, idx[:, :3], tie_tolerance=TIE_TOLERANCE)
            scored = found.scored
            first = [_clear_winner(r, s, words, ig, fold) for r, s, ig in zip(found.rows, found.scores, ignores)]
        else:
            top_scores, top_rows = _batched_candidates(unit, idx[:, :3], method, batch_size)
            scored = len(idx) * stop
            first = [_pick(r, s, words, ig, fold) for r, s, ig in zip(top_rows, top_scores, ignores)]
        exact = _ExactRanker(vectors, stop, method)
        for j, (qi, ignore, pick) in enumerate(zip(asked, ignores, first)):
            a, b, c = idx[j, :3]
            if pick is None:  # a near tie: rank this question on its own, exactly as gensim does
                exact_checks += 1
                pick = _pick(exact.candidates(int(a), int(b), int(c)), None, words, ignore, fold)
            predictions[qi] = words[pick] if pick is not None else ""  # "" only if no word could answer
    correct = tuple(None if p is None else fold(p) == fold(q.d) for q, p in zip(questions, predictions))
    scores = []
    for name in names:
        in_section = [i for i, q in enumerate(questions) if q.section == name]
        evaluated = [i for i in in_section if correct[i] is not None]
        scores.append(SectionScore(name, len(in_section), len(evaluated), sum(bool(correct[i]) for i in evaluated)))
    return AnalogyScores(method, stop, tuple(scores), tuple(questions), tuple(predictions), correct, exact_checks, scored)


def _batched_candidates(unit, abc: np.ndarray, method: str, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
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


def _pick(rows, scores, words, ignore: set[str], fold) -> int | None:
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
        if any(_near_tie(scores[i], scores[i + 1]) for i in range(min(position + 1, len(scores) - 1))):
            return None
    return window[position]


def _clear_winner(row, scores, words, ignore: set[str], fold) -> int | None:
    """The best candidate, or ``None`` if the rule needs a closer look: the best is another spelling of a
    query word (gensim would move on to the next candidate), or the runner-up is within the tolerance."""
    if not np.isfinite(scores[0]) or fold(words[row]) in ignore or _near_tie(scores[0], scores[1]):
        return None
    return int(row)


def _near_tie(better, worse) -> bool:
    """Whether two scores are within :data:`TIE_TOLERANCE` (relative to ``max(1, |better|)``)."""
    return float(better) - float(worse) <= TIE_TOLERANCE * max(1.0, abs(float(better)))


class _ExactRanker:
    """One question at a time, in the arithmetic of a single matrix-vector product (gensim's
    ``most_similar`` and ``most_similar_cosmul``), with its tie-breaking (``argpartition`` then ``argsort``)."""

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
        if self.method == "3cosadd":
            mean = np.zeros(self.matrix.shape[1], dtype=np.float32)
            total = np.float64(0.0)
            for row, weight in ((b, 1.0), (c, 1.0), (a, -1.0)):
                mean += np.float64(weight) * self._unit(row)
                total += abs(np.float64(weight))
            mean = mean / total
            mean = (mean / np.linalg.norm(mean)).astype(np.float32)
            scores = np.dot(self.matrix, mean) / self.norms
            exclude = [b, c, a]
        else:
            # gensim's most_similar_cosmul: cosines as dot(vectors, unit) / norms, then the shifted ratio.
            cos_a, cos_b, cos_c = (np.dot(self.matrix, self._unit(r)) / self.norms for r in (a, b, c))
            scores = cosmul(cos_a, cos_b, cos_c)
            exclude = sorted({a, b, c})
        order = _argsort_top(scores, 5 + len(exclude))
        return [r for r in order if r not in exclude][:5]


def _argsort_top(x: np.ndarray, topn: int) -> np.ndarray:
    """Indices of the ``topn`` largest values, largest first, ties broken as ``gensim.matutils.argsort``."""
    x = -x
    if topn >= x.size:
        return np.argsort(x)[:topn]
    best = np.argpartition(x, topn)[:topn]
    return best.take(np.argsort(x.take(best)))


# -- the standard battery -------------------------------------------------------------------------


def standard_scores(vectors: Vectors, *, restrict_vocab: int = 300_000, method: str = "3cosadd") -> dict[str, float]:
    """The chapter's headline numbers for one model, as a dict ready for a table row.

    Keys: ``wordsim353`` and ``simlex999`` (Spearman ρ), ``wordsim353_coverage`` and ``simlex999_coverage``,
    ``analogy`` (Google set accuracy on the evaluated questions, ``method``), ``semantic`` and ``syntactic``
    (the same split in two), ``analogy_coverage``, and ``vocabulary`` (rows of the model).
    """
    from .. import data

    ws = evaluate_word_pairs(vectors, data.wordsim353(), restrict_vocab=restrict_vocab)
    sl = evaluate_word_pairs(vectors, data.simlex999(), restrict_vocab=restrict_vocab)
    an = evaluate_analogies(vectors, data.google_analogies(), method=method, restrict_vocab=restrict_vocab)
    syntactic = [s.section for s in an.sections if s.section not in SEMANTIC_SECTIONS]
    return {
        "vocabulary": len(vectors),
        "wordsim353": ws.spearman,
        "wordsim353_coverage": ws.coverage,
        "simlex999": sl.spearman,
        "simlex999_coverage": sl.coverage,
        "analogy": an.accuracy,
        "semantic": an.subset_accuracy(SEMANTIC_SECTIONS),
        "syntactic": an.subset_accuracy(syntactic),
        "analogy_coverage": an.coverage,
    }
