"""embedkit.words.evaluate against gensim's evaluate_word_pairs / evaluate_word_analogies on the same vectors,
a closed-form 3CosMul reference, properties of the rules (case folding, ties, restrict_vocab), and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import keyed_vectors
from embedkit import Vectors, data
from embedkit.data import Analogy
from embedkit.words import analogy_scores
from embedkit.words.evaluate import (
    COSMUL_EPSILON,
    SEMANTIC_SECTIONS,
    evaluate_analogies,
    evaluate_word_pairs,
)

GENSIM_DATA = Path(__import__("gensim").__file__).parent / "test" / "test_data"
RESTRICT = 30_000  # keeps gensim's one-question-at-a-time evaluation fast enough for a test
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


_keyed = keyed_vectors


def _cosmul_keyed(vectors: Vectors, stop: int):
    """gensim's evaluate_word_analogies answering with most_similar_cosmul. most_similar_cosmul ignores
    restrict_vocab, so the model is cut to the first ``stop`` words instead."""
    from gensim.models import KeyedVectors

    kv = _keyed(vectors, stop)
    kv.most_similar = lambda positive, negative, topn, restrict_vocab: KeyedVectors.most_similar_cosmul(
        kv, positive=positive, negative=negative, topn=topn
    )
    return kv


def _write(sections: dict, path: Path) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for name, questions in sections.items():
            f.write(f": {name}\n")
            for q in questions:
                f.write(f"{q.a} {q.b} {q.c} {q.d}\n")
    return path


def _gensim_counts(sections_out):
    return [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections_out[:-1]]


def _our_counts(result):
    return [(s.section, s.n_correct, s.n_evaluated) for s in result.sections]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """Every 20th question of each Google section (≈980 questions, all 14 sections), and its file."""
    sections = {name: qs[::20] for name, qs in data.google_analogies().items()}
    return sections, _write(sections, tmp_path_factory.mktemp("analogies") / "questions.txt")


# -- word pairs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name,file", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")])
@pytest.mark.parametrize("restrict_vocab", [300_000, 5_000])
def test_word_pairs_equal_gensim(glove, gensim_glove, name, file, restrict_vocab):
    pearson, spearman, oov = gensim_glove.evaluate_word_pairs(str(GENSIM_DATA / file), restrict_vocab=restrict_vocab)
    ours = evaluate_word_pairs(glove, getattr(data, name)(), restrict_vocab=restrict_vocab)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)  # float64 cosines vs gensim's float32
    assert ours.oov_ratio == pytest.approx(oov, abs=1e-12)
    assert ours.spearman_pvalue == pytest.approx(spearman.pvalue, rel=1e-5)


def test_word_pairs_accept_names_and_triples(glove):
    by_name = evaluate_word_pairs(glove, "wordsim353")
    triples = [(p.a, p.b, p.score) for p in data.wordsim353()]
    assert evaluate_word_pairs(glove, triples).spearman == by_name.spearman
    assert by_name.n_pairs == 353 and by_name.coverage == 1.0


def test_word_pairs_on_a_cased_vocabulary_follow_gensim():
    """Upper/lower-case variants: the first (most frequent) spelling is the one compared, as in gensim."""
    rng = np.random.default_rng(3)
    words = ["Apple", "apple", "Pear", "cat", "CAT", "dog", "Stone", "tree", "river"]
    vectors = Vectors(rng.normal(size=(len(words), 8)).astype(np.float32), words)
    pairs = [("apple", "pear", 7.0), ("cat", "dog", 8.0), ("stone", "tree", 1.0), ("river", "apple", 2.0), ("dog", "x", 1.0)]
    kv = _keyed(vectors)
    path = Path(__import__("tempfile").mkdtemp()) / "pairs.tsv"
    path.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in pairs))
    pearson, spearman, oov = kv.evaluate_word_pairs(str(path))
    ours = evaluate_word_pairs(vectors, pairs)
    assert ours.spearman == pytest.approx(spearman.statistic) and ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)
    assert ours.oov_ratio == pytest.approx(oov) and ours.n_evaluated == 4
    expected = [vectors.similarity("Apple", "Pear"), vectors.similarity("cat", "dog")]
    np.testing.assert_allclose(ours.model[:2], expected, atol=1e-6)


# -- analogies ------------------------------------------------------------------------------------


def test_3cosadd_equals_gensim_question_by_question(glove, gensim_glove, sample):
    sections, path = sample
    total, theirs = gensim_glove.evaluate_word_analogies(str(path), restrict_vocab=RESTRICT)
    ours = evaluate_analogies(glove, sections, method="3cosadd", restrict_vocab=RESTRICT)
    assert _our_counts(ours) == _gensim_counts(theirs)
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
    path = _write(sections, tmp_path / "questions.txt")
    total, theirs = _cosmul_keyed(glove, RESTRICT).evaluate_word_analogies(str(path), restrict_vocab=RESTRICT)
    ours = evaluate_analogies(glove, sections, method="3cosmul", restrict_vocab=RESTRICT)
    assert _our_counts(ours) == _gensim_counts(theirs)
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


@pytest.mark.parametrize("a,b,c", [("man", "king", "woman"), ("japan", "yen", "india"), ("walk", "walked", "swim")])
def test_the_one_3cosmul_equals_gensim_most_similar_cosmul(glove, a, b, c):
    """:func:`analogy_scores.cosmul` against gensim's ``most_similar_cosmul`` scores for every word (``topn=None``):
    both shift cosines to [0, 1] (Levy & Goldberg 2014, footnote 7), so the book's 3CosMul numbers are gensim's."""
    kv = _keyed(glove, 20_000)
    theirs = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=None)
    unit = glove.unit[:20_000]
    ours = analogy_scores.cosmul(*(unit @ glove.unit[glove.row(w)] for w in (a, b, c)))
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)
    assert ours.min() >= 0  # shifted cosines; raw ones would make products of two negatives win


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shape=st.tuples(st.integers(1, 4), st.integers(1, 50)))
def test_cosmul_in_place_is_bit_for_bit_the_same(seed, shape):
    """The batched evaluation (torch, in place, the a cosines computed late) and the probe (NumPy, new arrays)
    run the one formula with the same rounding."""
    import torch

    rng = np.random.default_rng(seed)
    cos = rng.uniform(-1, 1, size=(3, *shape)).astype(np.float32)
    plain = analogy_scores.cosmul(*cos)
    t = [torch.from_numpy(c.copy()) for c in cos]
    in_place = analogy_scores.cosmul(lambda: t[0], t[1], t[2], inplace=True)
    np.testing.assert_array_equal(in_place.numpy(), plain)
    shifted = (1 + cos) / 2  # the formula written out
    np.testing.assert_array_equal(plain, shifted[1] * shifted[2] / (shifted[0] + np.float32(COSMUL_EPSILON)))


def test_evaluation_and_probe_call_the_one_3cosmul(glove, monkeypatch):
    """The probe and both evaluation paths (batched, and exact for near ties) score with
    :func:`analogy_scores.cosmul` itself, not with a copy of the formula."""
    from embedkit.probes import analogy as probe
    from embedkit.words import evaluate

    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs.get("inplace", False))
        return analogy_scores.cosmul(*args, **kwargs)

    monkeypatch.setattr(probe, "cosmul", spy)
    monkeypatch.setattr(evaluate, "cosmul", spy)
    assert probe.solve_analogy(glove, "man", "king", "woman", method="3cosmul", topn=1)[0][0] == "queen"
    assert calls == [False]
    questions = [Analogy("x", "man", "king", "woman", "queen")]
    assert evaluate.evaluate_analogies(glove, questions, method="3cosmul", restrict_vocab=10_000).n_evaluated == 1
    assert calls == [False, True]
    evaluate._ExactRanker(glove, 1_000, "3cosmul").candidates(glove.row("man"), glove.row("king"), glove.row("woman"))
    assert calls == [False, True, False]
    assert probe.METHODS is evaluate.METHODS is analogy_scores.METHODS


def test_restrict_vocab_larger_than_the_model_uses_every_row(glove):
    tiny = Vectors(np.asarray(glove.vectors[:1000]), glove.words[:1000])
    questions = [Analogy("x", "he", "she", "his", "her")]
    assert evaluate_analogies(tiny, questions, restrict_vocab=300_000).restrict_vocab == 1000


words = st.sampled_from(["Paris", "paris", "France", "france", "Rome", "ITALY", "italy", "king", "King", "queen", "man", "woman"])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    questions=st.lists(st.tuples(words, words, words, words), min_size=1, max_size=12),
    duplicates=st.booleans(),
    method=st.sampled_from(["3cosadd", "3cosmul"]),
)
def test_rules_equal_gensim_on_cased_vocabularies_with_ties(tmp_path_factory, seed, questions, duplicates, method):
    """Case variants, repeated words and exactly tied vectors: the same answers as gensim."""
    rng = np.random.default_rng(seed)
    vocab = ["the", "Paris", "France", "paris", "Rome", "Italy", "ITALY", "king", "queen", "King", "man", "woman",
             "france", "italy", "rome", "prince", "princess", "Queen", "berlin", "germany"]
    m = rng.normal(size=(len(vocab), 6)).astype(np.float32)
    if duplicates:  # exact ties between candidates
        m[-1] = m[-2] = m[-3]
        m[9] = m[7]
    vectors = Vectors(m, vocab)
    sections = {"one": [Analogy("one", *q) for q in questions[: len(questions) // 2]],
                "two": [Analogy("two", *q) for q in questions[len(questions) // 2 :]]}
    path = _write(sections, tmp_path_factory.mktemp("q") / "q.txt")
    kv = _keyed(vectors) if method == "3cosadd" else _cosmul_keyed(vectors, len(vocab))
    total, theirs = kv.evaluate_word_analogies(str(path), restrict_vocab=len(vocab))
    ours = evaluate_analogies(vectors, sections, method=method, restrict_vocab=len(vocab))
    assert _our_counts(ours) == _gensim_counts(theirs)
    assert ours.accuracy == total


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), (True, TypeError),
                                         ("300000", TypeError), (None, TypeError)])
def test_restrict_vocab_out_of_range_is_a_clear_error(glove, value, error):
    with pytest.raises(error, match="restrict_vocab must be an integer >= 1"):
        evaluate_analogies(glove, data.google_analogies(), restrict_vocab=value)
    with pytest.raises(error, match="restrict_vocab must be an integer >= 1"):
        evaluate_word_pairs(glove, data.wordsim353(), restrict_vocab=value)


@pytest.mark.parametrize(
    "pairs,error,message",
    [
        ([("cat", "dog", float("nan")), ("cat", "car", 3.0), ("king", "queen", 8.0)], ValueError, r"pairs\[0\] score must be a finite number, got nan"),
        ([("cat", "dog", 7.0), ("cat", "car", float("inf"))], ValueError, r"pairs\[1\] score must be a finite number, got inf"),
        ([("cat", "dog", "high"), ("cat", "car", 3.0)], TypeError, r"pairs\[0\] score must be a finite number, got 'high'"),
        ([("cat", None, 7.0), ("cat", "car", 3.0)], TypeError, r"pairs\[0\] second word must be a string"),
        ([data.WordPair("cat", "dog", float("nan"))], ValueError, "score must be a finite number"),
        (42, TypeError, "pairs must be word pairs"),
    ],
)
def test_bad_word_pairs_are_clear_errors(glove, pairs, error, message):
    with pytest.raises(error, match=message):
        evaluate_word_pairs(glove, pairs)


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


def test_empty_inputs_are_clear_errors(glove):
    with pytest.raises(ValueError, match="pairs is empty"):
        evaluate_word_pairs(glove, [])
    with pytest.raises(ValueError, match="no analogy questions"):
        evaluate_analogies(glove, {})
    with pytest.raises(ValueError, match="only 0 of 1 pairs"):
        evaluate_word_pairs(glove, [("xqzv", "qqqzz", 3.0)])
    with pytest.raises(ValueError, match="pairs must be word pairs or one of"):
        evaluate_word_pairs(glove, "wordsim")
    with pytest.raises(ValueError, match=r"\(a, b, score\) triple"):
        evaluate_word_pairs(glove, [("cat", "dog")])
    with pytest.raises(TypeError, match="embedkit.Vectors"):
        evaluate_word_pairs(np.zeros((3, 3)), data.wordsim353())
