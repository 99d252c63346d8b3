"""embedkit.words.fasttext: character n-grams and their hash buckets against gensim, and how FastText
vectors are made from n-gram rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import UnknownWordError, data
from embedkit.words import FastTextVectors, train_fasttext
from embedkit.words.fasttext import character_ngrams, fnv1a_hash, ngram_buckets


LEE = data.lee().sentences


words = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="<>"), min_size=0, max_size=12)


@settings(max_examples=200, deadline=None)
@given(words, st.integers(1, 4), st.integers(0, 4))
def test_character_ngrams_equal_gensim(word, minn, extra):
    from gensim.models.fasttext_inner import compute_ngrams, compute_ngrams_bytes

    maxn = minn + extra
    ours = character_ngrams(word, minn, maxn)
    assert [g.encode("utf-8") for g in ours] == compute_ngrams_bytes(word, minn, maxn)  # fastText's order
    if minn > 1:  # gensim's str version orders by length and keeps boundary 1-grams; same multiset for n ≥ 2
        assert sorted(ours) == sorted(compute_ngrams(word, minn, maxn))


@settings(max_examples=200, deadline=None)
@given(words)
def test_hash_and_buckets_equal_gensim(word):
    from gensim.models.fasttext import ft_ngram_hashes
    from gensim.models.fasttext_inner import ft_hash_bytes

    assert fnv1a_hash(word) == ft_hash_bytes(word.encode("utf-8"))
    assert ngram_buckets(word, 3, 6, 2_000_000) == ft_ngram_hashes(word, 3, 6, 2_000_000)


def test_fnv1a_known_values():
    assert fnv1a_hash("") == 2166136261  # the offset basis
    assert fnv1a_hash("a") == 0xE40C292C  # published FNV-1a 32-bit test vector


def test_character_ngrams_of_where():
    assert character_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>"]
    assert "<where>" in character_ngrams("where", 3, 7) and "<where>" not in character_ngrams("where", 3, 6)


@pytest.fixture(scope="module")
def small_fasttext():
    return train_fasttext(LEE, dim=16, epochs=1, min_count=5, seed=0)


def test_fasttext_vectors_are_means_of_ngram_rows(small_fasttext):
    ft = small_fasttext
    assert isinstance(ft, FastTextVectors) and len(ft.ngram_vectors) == len(ft.bucket_rows) < 2_000_000
    unseen = "governmentalisation"
    assert unseen not in ft
    rows = [ft.bucket_rows[b] for b in ngram_buckets(unseen, 3, 6, 2_000_000) if b in ft.bucket_rows]
    assert rows and np.allclose(ft[unseen], ft.ngram_vectors[rows].mean(0))
    assert ft.most_similar(unseen, topn=3)[0][0] in ft
    assert -1 <= ft.similarity(unseen, "government") <= 1
    with pytest.raises(UnknownWordError):
        ft["§§"]  # no n-gram of it was ever trained


def _word2vec_init(n_rows, dim, seed):
    """word2vec's (and gensim's) initial input vectors: uniform in ±0.5/dim (the output vectors start at 0)."""
    return ((torch.rand(n_rows, dim, generator=torch.Generator().manual_seed(seed)) - 0.5) / dim).numpy()


def test_fasttext_known_words_are_the_mean_of_their_own_row_and_ngram_rows():
    ft = train_fasttext(LEE[:300], dim=12, min_count=3, epochs=1, alpha=1e-12, min_alpha=0.0, seed=2)
    n = len(ft.words)
    init = _word2vec_init(n + len(ft.ngram_vectors), 12, 2)
    np.testing.assert_allclose(ft.ngram_vectors, init[n:], atol=1e-9)
    for i in (0, 7, n - 1):
        word = ft.words[i]
        rows = [i] + [n + ft.bucket_rows[b] for b in ngram_buckets(word, ft.minn, ft.maxn, ft.bucket)]
        np.testing.assert_allclose(ft.vectors[i], init[rows].mean(0), atol=1e-9)
    assert np.abs(ft.output).max() < 1e-9
