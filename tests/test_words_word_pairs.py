"""embedkit.words.word_pairs against gensim's evaluate_word_pairs on the same vectors, the case rule, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from conftest import keyed_vectors
from embedkit import Vectors, data
from embedkit.words.word_pairs import evaluate_word_pairs


GENSIM_DATA = Path(__import__("gensim").__file__).parent / "test" / "test_data"


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


_keyed = keyed_vectors


@pytest.mark.parametrize("name,file", [("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")])
@pytest.mark.parametrize("restrict_vocab", [300_000, 5_000])
def test_word_pairs_equal_gensim(glove, gensim_glove, name, file, restrict_vocab):
    pearson, spearman, oov = gensim_glove.evaluate_word_pairs(str(GENSIM_DATA / file), restrict_vocab=restrict_vocab)
    ours = evaluate_word_pairs(glove, getattr(data, name)(), restrict_vocab=restrict_vocab)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-9)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-6)  # float64 cosines vs gensim's float32
    assert ours.oov_ratio == pytest.approx(oov, abs=1e-12)
    assert ours.spearman_pvalue == pytest.approx(spearman.pvalue, rel=1e-5)


def test_word_pairs_take_data_sets_and_triples_not_names(glove):
    pairs = evaluate_word_pairs(glove, data.wordsim353())
    triples = [(p.a, p.b, p.score) for p in data.wordsim353()]
    assert evaluate_word_pairs(glove, triples).spearman == pairs.spearman
    assert pairs.n_pairs == 353 and pairs.coverage == 1.0
    # The evaluation computes; embedkit.data loads. A name is refused with a pointer to the loader.
    with pytest.raises(TypeError, match=r"load a data set with embedkit.data, e.g. data.wordsim353\(\)"):
        evaluate_word_pairs(glove, "wordsim353")


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


words = st.sampled_from(["Paris", "paris", "France", "france", "Rome", "ITALY", "italy", "king", "King", "queen", "man", "woman"])


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


def test_empty_inputs_are_clear_errors(glove):
    with pytest.raises(ValueError, match="pairs is empty"):
        evaluate_word_pairs(glove, [])
    with pytest.raises(ValueError, match="only 0 of 1 pairs"):
        evaluate_word_pairs(glove, [("xqzv", "qqqzz", 3.0)])
    with pytest.raises(TypeError, match="pairs must be word pairs"):
        evaluate_word_pairs(glove, "wordsim")
    with pytest.raises(ValueError, match=r"\(a, b, score\) triple"):
        evaluate_word_pairs(glove, [("cat", "dog")])
    with pytest.raises(TypeError, match="embedkit.Vectors"):
        evaluate_word_pairs(np.zeros((3, 3)), data.wordsim353())
