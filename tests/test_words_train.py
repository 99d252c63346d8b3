"""The word-vector trainers: vocabulary, subsampling, noise, windows, n-grams and hashing against gensim and
closed forms; gradients against autograd; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import UnknownWordError, data
from embedkit.words import FastTextVectors, ppmi_svd, train_fasttext, train_glove, train_word2vec
from embedkit.words.cooccurrence import cooccurrence_matrix, ppmi, truncated_svd
from embedkit.words.fasttext import character_ngrams, fnv1a_hash, ngram_buckets
from embedkit.words.glove import weighting
from embedkit.words.vocab import AliasSampler, build_vocab, encode, keep_probabilities, noise_distribution
from embedkit.words.word2vec import Bags, _batch_update, _Workspace, context_windows

LEE = data.lee().sentences


@pytest.fixture(scope="module")
def gensim_lee():
    from gensim.models import Word2Vec

    return Word2Vec(LEE, vector_size=8, min_count=3, sample=1e-3, epochs=1, workers=1, seed=1)


# -- vocabulary, subsampling and noise ---------------------------------------------------------------


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


# -- windows ------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=12), min_size=1, max_size=6),
       st.integers(1, 4), st.integers(0, 2**31))
def test_context_windows_are_symmetric_reduced_windows_within_sentences(sentences, window, seed):
    ids = np.array([w for s in sentences for w in s])
    sent = np.array([k for k, s in enumerate(sentences) for _ in s])
    centers, contexts = context_windows(ids, sent, window, np.random.default_rng(seed))
    assert np.array_equal(centers, ids) and contexts.shape == (len(ids), 2 * window)
    for i in range(len(ids)):
        seen = []
        for col in range(2 * window):
            d = window - col if col < window else col - window + 1
            j = i - d if col < window else i + d
            if contexts[i, col] >= 0:
                assert 0 <= j < len(ids) and sent[j] == sent[i] and contexts[i, col] == ids[j]
                seen.append(d)
        # the same reduced window b on both sides: every position within b in the sentence is a context
        b = max(seen, default=0)
        expected = sum(1 for j in range(len(ids)) if j != i and abs(j - i) <= b and sent[j] == sent[i])
        assert len(seen) == expected


# -- the negative-sampling step -----------------------------------------------------------------------


@pytest.mark.parametrize("bags", [False, True])
def test_batch_update_is_sgd_on_the_negative_sampling_loss(bags):
    torch.manual_seed(0)
    w_in, w_out = torch.randn(7, 4), torch.randn(6, 4)
    target, noise = torch.tensor([2]), torch.tensor([[0, 5, 3]])
    rows = torch.tensor([1, 4, 6]) if bags else torch.tensor([3])
    a_in, a_out = w_in.clone().requires_grad_(), w_out.clone().requires_grad_()
    h = a_in[rows].mean(0)
    loss = -torch.nn.functional.logsigmoid(a_out[2] @ h) - torch.nn.functional.logsigmoid(-(a_out[noise[0]] @ h)).sum()
    loss.backward()
    lr = 0.1
    inputs = Bags(rows, torch.zeros(3, dtype=torch.long), torch.tensor([[3.0]])) if bags else rows
    reported = _batch_update(w_in, w_out, inputs, target, noise, lr, _Workspace(), with_loss=True)
    assert reported == pytest.approx(loss.item(), rel=1e-5)
    assert torch.allclose(w_out, a_out.detach() - lr * a_out.grad, atol=1e-6)
    # word2vec (and fastText) give every averaged input row the gradient of the mean itself, not 1/S of it
    scale = len(rows) if bags else 1
    assert torch.allclose(w_in, a_in.detach() - lr * scale * a_in.grad, atol=1e-6)


# -- FastText n-grams and hashing against gensim ------------------------------------------------------

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


# -- count-based vectors -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=10), min_size=1, max_size=5), st.integers(1, 4),
       st.sampled_from(["uniform", "harmonic"]))
def test_cooccurrence_matrix_counts_pairs(sentences, window, weighting_name):
    ids = np.array([w for s in sentences for w in s])
    sent = np.array([k for k, s in enumerate(sentences) for _ in s])
    expected = np.zeros((6, 6))
    for s in sentences:
        for i in range(len(s)):
            for j in range(len(s)):
                if 0 < abs(i - j) <= window:
                    expected[s[i], s[j]] += 1 if weighting_name == "uniform" else 1 / abs(i - j)
    got = cooccurrence_matrix(ids, sent, 6, window, weighting_name).toarray()
    assert np.allclose(got, expected)


def test_ppmi_closed_form():
    counts = np.array([[0, 4, 1], [4, 0, 2], [1, 2, 6.0]])
    total = counts.sum()
    pc = counts.sum(0) ** 0.75 / (counts.sum(0) ** 0.75).sum()
    with np.errstate(divide="ignore"):
        expected = np.maximum(0, np.log(counts / total) - np.log(counts.sum(1, keepdims=True) / total) - np.log(pc))
    assert np.allclose(ppmi(sp.csr_matrix(counts)).toarray(), expected)


def test_truncated_svd_matches_exact_svd():
    rng = np.random.default_rng(0)
    a = sp.random(60, 40, density=0.3, random_state=1, format="csr") + sp.csr_matrix(rng.random((60, 1)) @ rng.random((1, 40)) * 5)
    u, s, vt = truncated_svd(a, 5, n_iter=8)
    assert np.allclose(s, np.linalg.svd(a.toarray(), compute_uv=False)[:5], rtol=1e-4)
    assert np.allclose(u.T @ u, np.eye(5), atol=1e-8)


def test_glove_weighting():
    x = np.array([1, 50, 100, 1000])
    assert np.allclose(weighting(x), [0.01**0.75, 0.5**0.75, 1, 1])
    assert torch.allclose(weighting(torch.tensor(x, dtype=torch.float64)), torch.tensor(weighting(x)))


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


def test_word2vec_is_reproducible():
    a = train_word2vec(LEE[:500], dim=8, epochs=1, min_count=2, seed=3)
    b = train_word2vec(LEE[:500], dim=8, epochs=1, min_count=2, seed=3)
    assert np.array_equal(a.vectors, b.vectors)


# -- bad input --------------------------------------------------------------------------------------

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
@pytest.mark.parametrize("dim", [0, -3, 2.5, "100", True])
def test_bad_dim(train, dim):
    with pytest.raises(ValueError, match="dim must be an integer >= 1, got"):
        train(LEE[:50], dim=dim, min_count=1)


@pytest.mark.parametrize("train", TRAINERS)
def test_strings_instead_of_token_lists(train):
    with pytest.raises(TypeError, match="list of token lists"):
        train("the king and the queen")
    with pytest.raises(TypeError, match="list of token lists"):
        train(["the king", "the queen"])


def test_other_bad_settings():
    with pytest.raises(ValueError, match="sample must be in"):
        train_word2vec(LEE[:50], sample=2.0, min_count=1)
    with pytest.raises(ValueError, match="window must be an integer"):
        train_word2vec(LEE[:50], window=0, min_count=1)
    with pytest.raises(ValueError, match="minn <= maxn"):
        train_fasttext(LEE[:50], minn=5, maxn=3, min_count=1)
    with pytest.raises(ValueError, match="dim must be smaller than the vocabulary"):
        ppmi_svd([["a", "b", "c"]] * 3, dim=5, min_count=1)
    with pytest.raises(ValueError, match="alpha"):
        train_glove(LEE[:50], alpha=2, min_count=1)


def test_encode_drops_unknown_words():
    vocab = build_vocab([["a", "b", "a"], ["c", "a"]], min_count=2)
    ids, sent = encode([["a", "b", "a"], ["c", "a"]], vocab)
    assert ids.tolist() == [0, 0, 0] and sent.tolist() == [0, 0, 1]


def test_shared_bags_give_the_same_update_as_one_bag_per_example():
    torch.manual_seed(1)
    w_in, w_out = torch.randn(9, 4), torch.randn(6, 4)
    targets, noise = torch.tensor([1, 2, 3]), torch.tensor([[0, 5], [4, 0], [5, 4]])
    # examples 0 and 1 share the bag {2, 7}; example 2 has the bag {3, 8, 6}
    per_example = Bags(torch.tensor([2, 7, 2, 7, 3, 8, 6]), torch.tensor([0, 0, 1, 1, 2, 2, 2]),
                       torch.tensor([[2.0], [2.0], [3.0]]))
    shared = Bags(torch.tensor([2, 7, 3, 8, 6]), torch.tensor([0, 0, 1, 1, 1]), torch.tensor([[2.0], [3.0]]),
                  torch.tensor([0, 0, 1]))
    a_in, a_out, b_in, b_out = w_in.clone(), w_out.clone(), w_in.clone(), w_out.clone()
    _batch_update(a_in, a_out, per_example, targets, noise, 0.1, _Workspace())
    _batch_update(b_in, b_out, shared, targets, noise, 0.1, _Workspace())
    assert torch.allclose(a_in, b_in, atol=1e-6) and torch.allclose(a_out, b_out, atol=1e-6)


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
