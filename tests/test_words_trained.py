"""embedkit.words.trained: what every trainer returns (declared result types, frequency-ordered rows, a
falling loss), and the bad input all trainers refuse alike."""

from __future__ import annotations

import numpy as np
import pytest

from embedkit import data
from embedkit.words import ppmi_svd, train_fasttext, train_glove, train_word2vec
from embedkit.words.vocab import build_vocab


LEE = data.lee().sentences


def test_trainers_return_frequency_ordered_vectors_and_learn():
    vocab = build_vocab(LEE, min_count=5)
    glove = train_glove(LEE, dim=16, epochs=4, min_count=5)
    assert glove.words == list(vocab.words) and glove.vectors.shape == (len(vocab), 16)
    losses = [h["loss"] for h in glove.history]
    assert losses[-1] < losses[0]  # AdaGrad lowers the weighted least-squares loss
    svd = ppmi_svd(LEE, dim=16, min_count=5)
    assert svd.words == list(vocab.words) and np.all(np.isfinite(svd.vectors))
    for sg in (True, False):
        w2v = train_word2vec(LEE, sg=sg, dim=16, epochs=2, min_count=5)
        assert w2v.words == list(vocab.words) and w2v.vectors.dtype == np.float32
        assert w2v.history[-1]["loss"] < w2v.history[0]["loss"]


TRAINERS = [ppmi_svd, train_word2vec, train_glove, train_fasttext]


@pytest.mark.parametrize("train", TRAINERS)
def test_empty_corpus(train):
    with pytest.raises(ValueError, match="empty"):
        train([])
    with pytest.raises(ValueError, match="empty"):
        train([[], []])


@pytest.mark.parametrize("train", TRAINERS)
def test_min_count_leaving_no_word(train):
    with pytest.raises(ValueError, match=r"min_count=50 leaves no word.*'a', occurs 2 times"):
        train([["a", "b", "a"]], min_count=50)


@pytest.mark.parametrize("train", TRAINERS)
@pytest.mark.parametrize("dim,error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("100", TypeError),
                                       (True, TypeError)])
def test_bad_dim(train, dim, error):
    with pytest.raises(error, match="dim must be an integer >= 1, got"):
        train(LEE[:50], dim=dim, min_count=1)


@pytest.mark.parametrize("train", TRAINERS)
def test_strings_instead_of_token_lists(train):
    with pytest.raises(TypeError, match="list of token lists"):
        train("the king and the queen")
    with pytest.raises(TypeError, match="list of token lists"):
        train(["the king", "the queen"])


def test_other_bad_settings():
    with pytest.raises(ValueError, match=r"sample \(the subsampling threshold\) must be a finite number >= 0 and < 1"):
        train_word2vec(LEE[:50], sample=2.0, min_count=1)
    with pytest.raises(ValueError, match="window must be an integer"):
        train_word2vec(LEE[:50], window=0, min_count=1)
    with pytest.raises(ValueError, match="minn <= maxn"):
        train_fasttext(LEE[:50], minn=5, maxn=3, min_count=1)
    with pytest.raises(ValueError, match="dim must be smaller than the vocabulary"):
        ppmi_svd([["a", "b", "c"]] * 3, dim=5, min_count=1)
    with pytest.raises(ValueError, match="alpha"):
        train_glove(LEE[:50], alpha=2, min_count=1)


def _declared(cls) -> set[str]:
    """Attribute names documented in the ``Attributes:`` sections of ``cls`` and its bases."""
    import re

    names = set()
    for klass in cls.__mro__:
        doc = klass.__doc__ or ""
        if "Attributes:" in doc:
            for line in doc.split("Attributes:")[1].splitlines():
                if re.match(r"\s{8}\w", line):  # an entry, not its continuation lines
                    names |= set(re.findall(r"(\w+)(?=[,:])", line.split(":")[0] + ":"))
    return names


def test_every_attribute_of_a_trained_model_is_declared():
    from embedkit import Vectors
    from embedkit.words import FastTextVectors, GloVeVectors, SVDVectors, Word2VecVectors

    plain = set(vars(Vectors(np.eye(2, dtype=np.float32), ["a", "b"])))
    vocab = build_vocab(LEE[:200], min_count=2)
    models = {
        SVDVectors: ppmi_svd(LEE[:200], dim=8, min_count=2),
        Word2VecVectors: train_word2vec(LEE[:200], dim=8, epochs=1, min_count=2),
        GloVeVectors: train_glove(LEE[:200], dim=8, epochs=1, min_count=2),
        FastTextVectors: train_fasttext(LEE[:200], dim=8, epochs=1, min_count=2, bucket=1000),
    }
    for kind, model in models.items():
        assert type(model) is kind
        extra = set(vars(model)) - plain
        assert extra and extra <= _declared(kind), (kind.__name__, extra - _declared(kind))
        np.testing.assert_array_equal(model.counts, vocab.counts)
    assert models[SVDVectors].singular_values.shape == (8,)
    glove = models[GloVeVectors]
    np.testing.assert_allclose(glove.vectors, glove.word + glove.context, rtol=1e-6)
    assert glove.history[-1]["seconds"] <= glove.seconds
