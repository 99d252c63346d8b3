"""embedkit.words.analogies against gensim's evaluate_word_analogies on the same vectors (3CosAdd, and 3CosMul
through most_similar_cosmul), a closed-form 3CosMul reference, restrict_vocab, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from analogy_reference import cosmul_keyed, gensim_counts, our_counts, write_questions
from conftest import keyed_vectors
from embedkit import Vectors, data
from embedkit.words.analogies import SEMANTIC_SECTIONS, evaluate_analogies
from embedkit.words.analogy_scores import COSMUL_EPSILON


RESTRICT = 30_000  # keeps gensim's one-question-at-a-time evaluation fast enough for a test


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Every 20th question of each Google section (≈980 questions, all 14 sections), and its file."""
    sections = {name: qs[::20] for name, qs in data.google_analogies().items()}
    return sections, write_questions(sections, tmp_path_factory.mktemp("analogies") / "questions.txt")


def test_3cosadd_equals_gensim_question_by_question(glove, gensim_glove, sample):
    sections, path = sample
    total, theirs = gensim_glove.evaluate_word_analogies(str(path), restrict_vocab=RESTRICT)
    ours = evaluate_analogies(glove, sections, method="3cosadd", restrict_vocab=RESTRICT)
    assert our_counts(ours) == gensim_counts(theirs)
    assert ours.accuracy == total
    gensim_right = {tuple(w.lower() for w in q) for s in theirs[:-1] for q in s["correct"]}
    ours_right = {(q.a, q.b, q.c, q.d) for q, ok in zip(ours.questions, ours.correct) if ok}
    assert ours_right == gensim_right
    # What the evaluation page prints from the same result: the answers table and the semantic share.
    answers = ours.answers()
    gensim_wrong = {tuple(w.lower() for w in q) for s in theirs[:-1] for q in s["incorrect"]}
    as_rows = lambda t: set(map(tuple, t[["a", "b", "c", "expected"]].to_numpy()))
    assert as_rows(answers[answers.correct]) == gensim_right and as_rows(answers[~answers.correct]) == gensim_wrong
    semantic = [s for s in theirs[:-1] if s["section"] in SEMANTIC_SECTIONS]
    right = sum(len(s["correct"]) for s in semantic)
    assert ours.subset_accuracy(SEMANTIC_SECTIONS) == right / sum(len(s["correct"]) + len(s["incorrect"]) for s in semantic)


def test_3cosmul_equals_gensim_most_similar_cosmul(glove, tmp_path):
    sections = {name: qs[::40] for name, qs in data.google_analogies().items()}
    path = write_questions(sections, tmp_path / "questions.txt")
    total, theirs = cosmul_keyed(glove, RESTRICT).evaluate_word_analogies(str(path), restrict_vocab=RESTRICT)
    ours = evaluate_analogies(glove, sections, method="3cosmul", restrict_vocab=RESTRICT)
    assert our_counts(ours) == gensim_counts(theirs)
    assert ours.accuracy == total


def test_3cosmul_matches_the_closed_form(glove):
    """Levy & Goldberg's eq. 4 with cosines shifted to [0, 1], written out in float64 over 5,000 words."""
    stop = 5_000
    questions = [q for qs in data.google_analogies().values() for q in qs[::20]]
    ours = evaluate_analogies(glove, questions, method="3cosmul", restrict_vocab=stop)
    m = np.asarray(glove.vectors[:stop], dtype=np.float64)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    checked = 0
    for q, predicted in zip(ours.questions, ours.predictions):
        if predicted is None:
            continue
        a, b, c = (m @ m[glove.index[w]] for w in (q.a, q.b, q.c))
        score = ((1 + b) / 2) * ((1 + c) / 2) / ((1 + a) / 2 + COSMUL_EPSILON)
        score[[glove.index[q.a], glove.index[q.b], glove.index[q.c]]] = -np.inf
        best = np.sort(score)[-2:]
        if best[1] - best[0] > 1e-4:  # no near tie: the answer is unambiguous
            assert glove.words[int(np.argmax(score))] == predicted
            checked += 1
    assert checked > 100


def test_restrict_vocab_limits_coverage_and_candidates(glove):
    sections = {name: qs[::25] for name, qs in data.google_analogies().items()}
    small = evaluate_analogies(glove, sections, restrict_vocab=2_000)
    large = evaluate_analogies(glove, sections, restrict_vocab=100_000)
    assert small.n_evaluated < large.n_evaluated <= large.n_questions == small.n_questions
    assert all(glove.index[p] < 2_000 for p in small.predictions if p is not None)
    assert small.table()["evaluated"].iloc[-1] == small.n_evaluated
    assert 0 < large.subset_accuracy(SEMANTIC_SECTIONS) < 1


@pytest.mark.parametrize(
    "questions,kwargs,error,message",
    [
        ([("a", "b", "c", "d", "e")], {}, ValueError, r"four words \(a, b, c, d\), got 5 words"),
        ([("a", "b", "c")], {}, ValueError, "got 3 words"),
        (["abcd"], {}, TypeError, "got a single string 'abcd'"),
        ([("man", "king", None, "queen")], {}, TypeError, "analogy word c must be a non-empty string"),
        ([42], {}, TypeError, "four words"),
        ([("man", "king", "woman", "queen")], {"case_insensitive": "yes"}, TypeError, "case_insensitive must be True or False"),
        ([("man", "king", "woman", "queen")], {"batch_size": True}, TypeError, "batch_size must be an integer >= 1"),
        ([("man", "king", "woman", "queen")], {"method": None}, TypeError, "method must be one of"),
    ],
)
def test_bad_analogy_questions_are_clear_errors(glove, questions, kwargs, error, message):
    with pytest.raises(error, match=message):
        evaluate_analogies(glove, questions, **kwargs)


def test_unknown_method_is_a_clear_error(glove):
    with pytest.raises(ValueError, match=r"method must be one of '3cosadd', '3cosmul', got '3cosavg'"):
        evaluate_analogies(glove, data.google_analogies(), method="3cosavg")


def test_empty_analogies_are_a_clear_error(glove):
    with pytest.raises(ValueError, match="no analogy questions"):
        evaluate_analogies(glove, {})
