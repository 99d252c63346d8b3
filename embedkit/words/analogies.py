"""Analogies: *a* is to *b* as *c* is to *?*, answered by every question of a set and scored section by section.

The 19,544 questions of Mikolov et al. (2013) come in 14 sections (capitals, currencies, family, plurals,
tenses, …). 3CosAdd answers with the word nearest to ``b − a + c``; 3CosMul (Levy & Goldberg, 2014)
multiplies similarities instead (:mod:`~embedkit.words.analogy_scores`). :func:`evaluate_analogies`
follows gensim's ``KeyedVectors.evaluate_word_analogies`` rule for rule, so that its numbers are *equal*
(the tests check it): only the first ``restrict_vocab`` rows count as known (:mod:`~embedkit.words.known_words`);
a question with a word outside them is skipped (and counted in the coverage); the four words of a question
cannot answer it (query words are excluded, and so are other spellings of them).

The evaluation is vectorised. gensim scores one question at a time with a matrix-vector product over every
candidate. Here 3CosAdd answers all questions together and skips the candidates that a cheap bound rules out
(:mod:`~embedkit.words.analogy_search`); 3CosMul scores questions in batches with one matrix product each.
Near ties are re-ranked one question at a time as gensim ranks them (:mod:`~embedkit.words.analogy_ranking`).
``benchmarks/bench_analogies.py`` times both against gensim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import checks
from ..data import Analogy
from ..vectors import Vectors
from .analogy_ranking import TIE_TOLERANCE, ExactRanker, batched_candidates, clear_winner, pick_answer
from .analogy_scores import METHODS
from .analogy_search import best_3cosadd
from .known_words import check_flag, check_restrict_vocab, check_vectors, known_rows

__all__ = ["AnalogyScores", "SEMANTIC_SECTIONS", "SectionScore", "evaluate_analogies"]

SEMANTIC_SECTIONS = (
    "capital-common-countries",
    "capital-world",
    "currency",
    "city-in-state",
    "family",
)
"""The five semantic sections of the Google set; the other nine (``gram1-…`` to ``gram9-…``) are syntactic."""


def _share(part: int, whole: int) -> float:
    """``part / whole``, and 0.0 for an empty whole (as gensim reports a section with nothing evaluated)."""
    return part / whole if whole else 0.0


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
        return _share(self.n_correct, self.n_evaluated)

    @property
    def coverage(self) -> float:
        """Fraction of the section's questions whose four words are all known."""
        return _share(self.n_evaluated, self.n_questions)


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
            time in exact per-question arithmetic (:mod:`~embedkit.words.analogy_ranking`); usually a handful.
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
        return _share(self.n_correct, self.n_evaluated)

    @property
    def coverage(self) -> float:
        """Fraction of all questions that could be evaluated."""
        return _share(self.n_evaluated, self.n_questions)

    def subset_accuracy(self, sections: Iterable[str]) -> float:
        """Accuracy over the evaluated questions of some sections, e.g. :data:`SEMANTIC_SECTIONS`."""
        chosen = set(sections)
        picked = [s for s in self.sections if s.section in chosen]
        return _share(sum(s.n_correct for s in picked), sum(s.n_evaluated for s in picked))

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

    check_vectors(vectors)
    method = checks.choice("method", method, METHODS)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    case_insensitive = check_flag("case_insensitive", case_insensitive)
    names, questions = _as_questions(sections)
    stop = check_restrict_vocab(restrict_vocab, len(vectors))
    known = known_rows(vectors, stop, case_insensitive)
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
            first = [clear_winner(r, s, words, ig, fold) for r, s, ig in zip(found.rows, found.scores, ignores)]
        else:
            top_scores, top_rows = batched_candidates(unit, idx[:, :3], method, batch_size)
            scored = len(idx) * stop
            first = [pick_answer(r, s, words, ig, fold) for r, s, ig in zip(top_rows, top_scores, ignores)]
        exact = ExactRanker(vectors, stop, method)
        for j, (qi, ignore, pick) in enumerate(zip(asked, ignores, first)):
            a, b, c = idx[j, :3]
            if pick is None:  # a near tie: rank this question on its own, exactly as gensim does
                exact_checks += 1
                pick = pick_answer(exact.candidates(int(a), int(b), int(c)), None, words, ignore, fold)
            predictions[qi] = words[pick] if pick is not None else ""  # "" only if no word could answer
    correct = tuple(None if p is None else fold(p) == fold(q.d) for q, p in zip(questions, predictions))
    scores = []
    for name in names:
        in_section = [i for i, q in enumerate(questions) if q.section == name]
        evaluated = [i for i in in_section if correct[i] is not None]
        scores.append(SectionScore(name, len(in_section), len(evaluated), sum(bool(correct[i]) for i in evaluated)))
    return AnalogyScores(method, stop, tuple(scores), tuple(questions), tuple(predictions), correct, exact_checks, scored)
