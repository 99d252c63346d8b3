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


@pytest.mark.parametrize("value", [0, -5, 1.5, True, "300000", None])
def test_restrict_vocab_out_of_range_is_a_clear_error(glove, value):
    with pytest.raises(ValueError, match="restrict_vocab must be a positive integer"):
        evaluate_analogies(glove, data.google_analogies(), restrict_vocab=value)
    with pytest.raises(ValueError, match="restrict_vocab must be a positive integer"):
        evaluate_word_pairs(glove, data.wordsim353(), restrict_vocab=value)


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
    with pytest.raises(ValueError, match="four words"):
        evaluate_analogies(glove, [("a", "b", "c")])
    with pytest.raises(TypeError, match="embedkit.Vectors"):
        evaluate_word_pairs(np.zeros((3, 3)), data.wordsim353())
