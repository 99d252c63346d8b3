"""The checkers of the Words exercises: right answers pass, the typical wrong ones fail with their hint.

The right answers include independent ones (gensim's ``KeyedVectors``, brute-force loops), and each wrong
answer is written as a reader would write it (not taken from the checker's list of mistakes), so a test
fails if a checker stops accepting a correct answer or stops recognising a mistake readers make.
"""

import numpy as np
import pytest

from embedkit.exercises import check
from exercise_reports import assert_fails_with_hint
from embedkit.exercises import words as exercises

# -- answers as a reader would write them ---------------------------------------------------------------


def neighbours_numpy(vectors, words, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ unit[words.index(word)]
    order = [i for i in np.argsort(-scores) if words[i] != word]
    return [words[i] for i in order[:k]]


def neighbours_gensim(vectors, words, word, k):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, vectors)
    return [w for w, _ in kv.most_similar(word, topn=k)]


def neighbours_keep_self(vectors, words, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ unit[words.index(word)]
    return [words[i] for i in np.argsort(-scores)[:k]]


def neighbours_dot(vectors, words, word, k):
    scores = vectors @ vectors[words.index(word)]
    order = [i for i in np.argsort(-scores) if words[i] != word]
    return [words[i] for i in order[:k]]


def analogy_numpy(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    row = {w: i for i, w in enumerate(words)}
    query = unit[row[b]] - unit[row[a]] + unit[row[c]]
    scores = unit @ query
    for w in (a, b, c):
        scores[row[w]] = -np.inf
    return words[int(np.argmax(scores))]


def analogy_gensim(vectors, words, a, b, c):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(words, vectors)
    return kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]


def analogy_no_exclusion(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    row = {w: i for i, w in enumerate(words)}
    return words[int(np.argmax(unit @ (unit[row[b]] - unit[row[a]] + unit[row[c]])))]


def analogy_raw(vectors, words, a, b, c):
    row = {w: i for i, w in enumerate(words)}
    scores = vectors @ (vectors[row[b]] - vectors[row[a]] + vectors[row[c]])
    for w in (a, b, c):
        scores[row[w]] = -np.inf
    return words[int(np.argmax(scores))]


def pairs_loops(tokens, window):
    out = []
    for i, centre in enumerate(tokens):
        for j in range(len(tokens)):
            if j != i and abs(i - j) <= window:
                out.append((centre, tokens[j]))
    return out


def pairs_range_bug(tokens, window):
    out = []
    for i, centre in enumerate(tokens):
        for d in range(1, window):  # off by one
            for j in (i - d, i + d):
                if 0 <= j < len(tokens):
                    out.append((centre, tokens[j]))
    return out


def pairs_with_self(tokens, window):
    return [(t, tokens[j]) for i, t in enumerate(tokens)
            for j in range(max(0, i - window), min(len(tokens), i + window + 1))]


# -- right answers pass -----------------------------------------------------------------------------------


@pytest.mark.parametrize("checker, answer", [
    (check.nearest_neighbours, exercises.nearest_neighbours_reference),
    (check.nearest_neighbours, neighbours_numpy),
    (check.nearest_neighbours, neighbours_gensim),
    (check.analogy_3cosadd, exercises.analogy_reference),
    (check.analogy_3cosadd, analogy_numpy),
    (check.analogy_3cosadd, analogy_gensim),
    (check.skipgram_pairs, exercises.skipgram_reference),
    (check.skipgram_pairs, pairs_loops),
    (check.skipgram_pairs, lambda tokens, window: list(reversed(pairs_loops(tokens, window)))),  # any order
], ids=["nn-package", "nn-numpy", "nn-gensim", "analogy-package", "analogy-numpy", "analogy-gensim",
        "pairs-package", "pairs-loops", "pairs-reversed"])
def test_right_answers_pass(checker, answer):
    result = checker(answer)
    assert result.passed, result.message(width=None)
    assert result.cases >= 5
    assert result.message(width=None).startswith("✓") and f"passed all {result.cases} cases" in result.message(width=None)


def test_the_analogy_cases_include_real_glove_questions():
    assert exercises.analogy_reference(*exercises._glove_head(), "man", "king", "woman") == "queen"


# -- typical wrong answers fail, on a named case, with the hint for their mistake -------------------------


@pytest.mark.parametrize("checker, answer, case, hint", [
    (check.nearest_neighbours, neighbours_keep_self, "300 random words", "its own nearest neighbour"),
    (check.nearest_neighbours, neighbours_dot, "lengths varying tenfold", "by dot product"),
    (check.analogy_3cosadd, analogy_no_exclusion, "man : king :: woman", "must not answer it"),
    (check.analogy_3cosadd, analogy_raw, "random words", "use unit vectors"),
    (check.skipgram_pairs, pairs_range_bug, "window 2", "off by one"),
    (check.skipgram_pairs, pairs_with_self, "window 2", "not its own context"),
], ids=["nn-self", "nn-dot", "analogy-self", "analogy-raw", "pairs-off-by-one", "pairs-self"])
def test_typical_mistakes_get_their_hint(checker, answer, case, hint):
    assert_fails_with_hint(checker(answer), case, hint)


def test_the_analogy_answer_without_exclusion_is_the_question_word():
    result = check.analogy_3cosadd(analogy_no_exclusion)
    assert "expected 'queen', got 'king'" in result.message(width=None)


def test_the_pairs_report_names_missing_pairs():
    message = check.skipgram_pairs(pairs_range_bug).message(width=None)
    assert "expected 30 pairs, got 16" in message and "missing" in message


# -- functions that raise or return the wrong kind of thing are graded, not crashes ------------------------


@pytest.mark.parametrize("checker, answer, reason", [
    (check.nearest_neighbours, lambda vectors, words, word, k: 1 / 0, "raised ZeroDivisionError"),
    (check.nearest_neighbours, lambda vectors, words, word, k: None, "expected a list"),
    (check.analogy_3cosadd, lambda vectors, words, a, b, c: [b], "expected a str"),
    (check.analogy_3cosadd, lambda vectors, words: "queen", "raised TypeError"),
    (check.skipgram_pairs, lambda tokens, window: 3, "expected a list of (centre, context) pairs"),
    (check.skipgram_pairs, lambda tokens, window: [tokens], "expected a list of (centre, context) pairs"),
])
def test_wrong_results_are_graded(checker, answer, reason):
    result = checker(answer)
    assert not result.passed and result.number == 1
    assert reason in result.message(width=None)


@pytest.mark.parametrize("checker", [check.nearest_neighbours, check.analogy_3cosadd, check.skipgram_pairs])
def test_a_result_instead_of_a_function_is_a_type_error(checker):
    with pytest.raises(TypeError, match="takes your function itself"):
        checker(["queen"])
