"""embedkit.Vectors against gensim's KeyedVectors on the same GloVe vectors, plus properties and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from embedkit import UnknownWordError, Vectors
from embedkit import data


@pytest.mark.parametrize("word", ["frog", "king", "paris", "computer", "ballet"])
def test_most_similar_equals_gensim(glove, gensim_glove, word):
    ours = glove.most_similar(word, topn=10)
    theirs = gensim_glove.most_similar(word, topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.parametrize(
    "positive,negative",
    [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]), (["walking", "swam"], ["walked"])],
)
def test_analogy_query_equals_gensim(glove, gensim_glove, positive, negative):
    ours = glove.most_similar(positive=positive, negative=negative, topn=5)
    theirs = gensim_glove.most_similar(positive=positive, negative=negative, topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")  # gensim's own call
@pytest.mark.parametrize(
    "positive,negative",
    [(["king", "woman"], ["man"]), (["paris", "germany"], ["france"]), (["walking", "swam"], ["walked"]),
     (["frog"], []), (["king", "woman", "child"], ["man", "adult"])],
)
def test_most_similar_cosmul_equals_gensim(glove, gensim_glove, positive, negative):
    """3CosMul (Levy & Goldberg 2014): the same words as gensim's ``most_similar_cosmul``, the same scores."""
    ours = glove.most_similar_cosmul(positive=positive, negative=negative, topn=10)
    theirs = gensim_glove.most_similar_cosmul(positive=positive, negative=negative, topn=10)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")  # gensim's own call
def test_most_similar_cosmul_restrict_vocab_and_vectors_equal_gensim(glove):
    """gensim's ``most_similar_cosmul`` ignores ``restrict_vocab``; ours honours it, which is gensim on the
    first rows. A unit vector as a term is the word itself."""
    from conftest import keyed_vectors

    head = keyed_vectors(glove, 20_000)
    ours = glove.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=8, restrict_vocab=20_000)
    theirs = head.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=8)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    by_vector = glove.most_similar_cosmul(
        positive=[glove.unit[glove.row("king")], "woman"], negative=["man"], topn=9, restrict_vocab=20_000)
    assert [w for w, _ in by_vector if w != "king"][:8] == [w for w, _ in ours]  # a vector excludes no word
    with pytest.raises(ValueError, match="at least one word or vector in positive="):
        glove.most_similar_cosmul(negative=["man"])
    with pytest.raises(TypeError, match="topn must be an integer"):
        glove.most_similar_cosmul("king", topn=2.5)


def test_restrict_vocab_equals_gensim(glove, gensim_glove):
    ours = glove.most_similar("frog", topn=5, restrict_vocab=10_000)
    theirs = gensim_glove.most_similar("frog", topn=5, restrict_vocab=10_000)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert all(glove.index[w] < 10_000 for w, _ in ours)


def test_similarity_equals_gensim(glove, gensim_glove):
    for a, b in [("frog", "toad"), ("king", "queen"), ("cat", "democracy")]:
        assert glove.similarity(a, b) == pytest.approx(float(gensim_glove.similarity(a, b)), abs=1e-6)


def test_famous_analogy_and_mapping_api(glove):
    assert glove.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0] == "queen"
    assert "frog" in glove and "xqzwv" not in glove
    assert glove["frog"].shape == (50,)
    assert glove[["frog", "toad"]].shape == (2, 50)
    np.testing.assert_array_equal(glove["the"], glove.vectors[0])


def test_vectors_are_memory_mapped_not_copied(glove):
    assert isinstance(glove.vectors, np.memmap)


def test_query_words_are_excluded(glove):
    words = [w for w, _ in glove.most_similar(positive=["king", "woman"], negative=["man"], topn=50)]
    assert not {"king", "woman", "man"} & set(words)


def test_unknown_word_suggests_spellings(glove):
    with pytest.raises(UnknownWordError, match="did you mean") as err:
        glove["frgo"]
    assert isinstance(err.value, KeyError)
    assert "forgo" in err.value.suggestions or "frog" in err.value.suggestions


def test_similar_by_vector_and_query_vector_equal_gensim(glove, gensim_glove):
    """The probing page prints ``similar_by_vector(query_vector(...))``: nothing excluded, so *king* wins."""
    ours = glove.query_vector(positive=["king", "woman"], negative=["man"])
    theirs = gensim_glove.get_mean_vector(["king", "woman", "man"], weights=[1, 1, -1],
                                          pre_normalize=True, post_normalize=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    near = glove.similar_by_vector(ours, topn=5)
    assert [w for w, _ in near] == [w for w, _ in gensim_glove.similar_by_vector(theirs, topn=5)]
    assert near[0][0] == "king"


def test_a_bare_string_is_one_word_as_in_gensim(glove, gensim_glove):
    """``positive``/``negative`` accept one word (or one vector) as well as a list, like gensim."""
    single = glove.most_similar(positive="king", negative="man", topn=5)
    assert single == glove.most_similar(positive=["king"], negative=["man"], topn=5)
    assert [w for w, _ in single] == [w for w, _ in gensim_glove.most_similar(positive="king", negative="man", topn=5)]
    assert glove.most_similar(glove["frog"], topn=3) == glove.similar_by_vector(glove["frog"], topn=3)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (dict(positive=[]), ValueError, "at least one word"),
        (dict(positive=None), ValueError, "at least one word"),
        (dict(positive=42), TypeError, "positive must be a word, a vector, or a list of words and vectors, got 42"),
        (dict(positive=["frog", 3.5]), TypeError, r"positive\[1\] must be a word \(str\) or a vector"),
        (dict(positive=["frog"], negative=[None]), TypeError, r"negative\[0\] must be a word"),
        (dict(positive=["frog"], topn=0), ValueError, "topn must be an integer >= 1, got 0"),
        (dict(positive=["frog"], topn=-3), ValueError, "topn must be an integer >= 1, got -3"),
        (dict(positive=["frog"], topn=True), TypeError, r"topn must be an integer >= 1, got True \(bool\)"),
        (dict(positive=["frog"], topn=2.0), TypeError, r"got 2.0 \(float\)"),
        (dict(positive=["frog"], restrict_vocab=0), ValueError, "restrict_vocab must be an integer >= 1 and <= 400000"),
        (dict(positive=["frog"], restrict_vocab=10**7), ValueError, "restrict_vocab"),
        (dict(positive=["frog"], restrict_vocab=5e3), TypeError, "restrict_vocab"),
        (dict(positive=[np.zeros(3)]), ValueError, r"shape \(50,\)"),
        (dict(positive=[np.full(50, np.nan)]), ValueError, r"positive\[0\] must be finite, got 50 non-finite"),
        (dict(positive=[np.full(50, np.inf)]), ValueError, "must be finite"),
        (dict(positive=["king"], negative=["king"]), ValueError, "query vector is zero"),
        (dict(positive=[np.zeros(50)]), ValueError, "query vector is zero"),
    ],
)
def test_bad_queries_get_clear_errors(glove, kwargs, error, message):
    with pytest.raises(error, match=message):
        glove.most_similar(**kwargs)


def test_non_string_words_are_type_errors(glove):
    with pytest.raises(TypeError, match=r"word must be a string, got 3 \(int\)"):
        glove.row(3)
    with pytest.raises(TypeError, match="word must be a string"):
        glove.similarity(None, "frog")
    with pytest.raises(TypeError, match="word must be a string or a list of strings"):
        glove[42]
    assert 3 not in glove and ["frog"] not in glove  # membership never raises


def test_constructor_validates_shapes():
    with pytest.raises(ValueError, match="2-D"):
        Vectors(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="2 words for 3"):
        Vectors(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match=r"words must be distinct, got 'b' at rows 1 and 3"):
        Vectors(np.ones((4, 2)), ["a", "b", "c", "b"])
    with pytest.raises(ValueError, match=r"at least one row and one column, got shape \(0, 4\)"):
        Vectors(np.zeros((0, 4)), [])
    with pytest.raises(TypeError, match="the matrix comes first"):
        Vectors(["a", "b"], np.ones((2, 3)))
    with pytest.raises(TypeError, match="words must be a collection of strings"):
        Vectors(np.ones((3, 2)), "abc")
    with pytest.raises(TypeError, match=r"words\[1\] must be a string, got 7 \(int\)"):
        Vectors(np.ones((2, 2)), ["a", 7])
    with pytest.raises(TypeError, match="real numbers"):
        Vectors(np.array([["1", "2"]]), ["a"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_constructor_refuses_non_finite_rows_naming_the_first_word(bad):
    m = np.ones((5, 3), dtype=np.float32)
    m[3, 1] = bad
    m[4, 0] = np.nan
    with pytest.raises(ValueError, match=rf"2 row\(s\) with NaN or infinity, the first row 3 \(word 'd'\) holding {bad}"):
        Vectors(m, ["a", "b", "c", "d", "e"])


def test_finite_check_has_no_false_alarm_on_huge_finite_rows():
    """Row sums overflow to inf for entries near the float64 maximum; the exact re-check clears them."""
    m = np.full((2, 4), 1e308)
    v = Vectors(m, ["big", "bigger"])
    assert v.vectors is m  # kept as given, not copied


@given(
    st.lists(st.lists(st.floats(-10, 10), min_size=4, max_size=4), min_size=3, max_size=12, unique_by=lambda r: tuple(r)),
    st.floats(0.1, 100),
)
def test_cosine_is_scale_invariant_and_symmetric(rows, scale):
    m = np.array(rows, dtype=np.float32)
    if (np.linalg.norm(m, axis=1) < 1e-2).any():
        return  # near-zero vectors have no direction
    words = [f"w{i}" for i in range(len(rows))]
    a, b = Vectors(m, words), Vectors(m * scale, words)
    assert a.similarity("w0", "w1") == pytest.approx(a.similarity("w1", "w0"), abs=1e-6)
    assert a.similarity("w0", "w1") == pytest.approx(b.similarity("w0", "w1"), abs=1e-5)
    assert a.similarity("w0", "w0") == pytest.approx(1.0, abs=1e-5)
    top = a.most_similar("w0", topn=len(rows) - 1)
    scores = [s for _, s in top]
    assert scores == sorted(scores, reverse=True) and all(-1.0001 <= s <= 1.0001 for s in scores)
