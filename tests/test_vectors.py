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


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(positive=[]), "at least one word"),
        (dict(positive=["frog"], topn=0), "topn"),
        (dict(positive=["frog"], restrict_vocab=0), "restrict_vocab"),
        (dict(positive=["frog"], restrict_vocab=10**7), "restrict_vocab"),
        (dict(positive=[np.zeros(3)]), r"shape \(50,\)"),
    ],
)
def test_bad_queries_get_clear_errors(glove, kwargs, message):
    with pytest.raises(ValueError, match=message):
        glove.most_similar(**kwargs)


def test_non_string_word_is_a_type_error(glove):
    with pytest.raises(TypeError, match="strings"):
        glove.row(3)


def test_constructor_validates_shapes():
    with pytest.raises(ValueError, match="2-D"):
        Vectors(np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="2 words for 3"):
        Vectors(np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(ValueError, match="distinct"):
        Vectors(np.zeros((2, 2)), ["a", "a"])


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
