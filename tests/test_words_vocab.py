"""embedkit.words.vocab against gensim: the vocabulary, subsampling's keep probabilities, the noise
distribution and the alias sampler that draws from it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import data
from embedkit.words.vocab import AliasSampler, build_vocab, encode, keep_probabilities, noise_distribution


LEE = data.lee().sentences


@pytest.fixture(scope="module")
def gensim_lee():
    from gensim.models import Word2Vec

    return Word2Vec(LEE, vector_size=8, min_count=3, sample=1e-3, epochs=1, workers=1, seed=1)


def test_vocabulary_matches_gensim(gensim_lee):
    vocab = build_vocab(LEE, min_count=3)
    wv = gensim_lee.wv
    assert set(vocab.words) == set(wv.index_to_key)
    assert [vocab.counts[vocab.index[w]] for w in wv.index_to_key] == [wv.get_vecattr(w, "count") for w in wv.index_to_key]
    assert np.all(np.diff(vocab.counts) <= 0)  # most frequent first


def test_keep_probabilities_closed_form():
    counts = np.array([1000, 100, 10, 1])
    t = 1e-2
    f = counts / counts.sum()
    expected = np.minimum(1, (np.sqrt(f / t) + 1) * t / f)
    assert np.allclose(keep_probabilities(counts, t), expected)
    assert np.all(keep_probabilities(counts, 0) == 1)


def test_keep_probabilities_match_gensim_sample_int(gensim_lee):
    vocab = build_vocab(LEE, min_count=3)
    ours = keep_probabilities(vocab.counts, 1e-3)
    theirs = np.array([gensim_lee.wv.get_vecattr(w, "sample_int") for w in vocab.words]) / (2**32 - 1)
    assert np.allclose(ours, theirs, atol=1e-8)


def test_noise_distribution_matches_gensim_cum_table(gensim_lee):
    vocab = build_vocab(LEE, min_count=3)
    p = noise_distribution(vocab.counts)
    assert np.isclose(p.sum(), 1) and np.allclose(p / p[0], (vocab.counts / vocab.counts[0]) ** 0.75)
    cum = gensim_lee.cum_table.astype(np.float64)
    theirs = np.diff(np.concatenate([[0], cum])) / cum[-1]
    order = [vocab.index[w] for w in gensim_lee.wv.index_to_key]
    assert np.allclose(p[order], theirs, atol=1e-8)


def test_alias_sampler_draws_the_distribution():
    p = noise_distribution(np.array([500, 200, 50, 10, 1]))
    draws = AliasSampler(p).sample((400_000,), torch.Generator().manual_seed(0)).numpy()
    freq = np.bincount(draws, minlength=len(p)) / len(draws)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / len(draws)) + 1e-4)


def test_encode_drops_unknown_words():
    vocab = build_vocab([["a", "b", "a"], ["c", "a"]], min_count=2)
    ids, sent = encode([["a", "b", "a"], ["c", "a"]], vocab)
    assert ids.tolist() == [0, 0, 0] and sent.tolist() == [0, 0, 1]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10**6), min_size=1, max_size=50), st.floats(1e-6, 0.5))
def test_subsampling_and_noise_properties(counts, sample):
    counts = np.sort(np.array(counts))[::-1]
    keep = keep_probabilities(counts, sample)
    f = counts / counts.sum()
    assert np.all((keep > 0) & (keep <= 1))
    assert np.all(np.diff(keep) >= -1e-12)  # rarer words are kept at least as often
    assert np.all(keep[f <= sample] == 1)  # words rarer than the threshold are never dropped
    noise = noise_distribution(counts)
    assert np.isclose(noise.sum(), 1) and np.all(np.diff(noise) <= 1e-15)
    assert noise[-1] >= f[-1] - 1e-15  # the 3/4 power never makes the rarest word less likely
