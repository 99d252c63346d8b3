"""embedkit.words.word2vec: context windows, the negative-sampling step, CBOW and skip-gram wiring and
schedules, against gensim and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import data
from embedkit.words import train_fasttext, train_word2vec
from embedkit.words.vocab import build_vocab, encode
from embedkit.words.word2vec import Bags, _batch_update, _Workspace, context_windows


LEE = data.lee().sentences


@pytest.fixture(scope="module")
def gensim_lee():
    from gensim.models import Word2Vec

    return Word2Vec(LEE, vector_size=8, min_count=3, sample=1e-3, epochs=1, workers=1, seed=1)


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


def test_word2vec_is_reproducible():
    a = train_word2vec(LEE[:500], dim=8, epochs=1, min_count=2, seed=3)
    b = train_word2vec(LEE[:500], dim=8, epochs=1, min_count=2, seed=3)
    assert np.array_equal(a.vectors, b.vectors)


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


def _rank(vectors, query="attacks", expected="bombings"):
    """gensim's ``model_sanity``: the rank of ``expected`` among all neighbours of ``query``."""
    return [w for w, _ in vectors.most_similar(query, topn=len(vectors.words))].index(expected)


def test_cbow_trains_on_gensims_test_settings_and_ranks_within_gensims_tolerance():
    # gensim/test/test_word2vec.py::test_cbow_neg: sg=0, cbow_mean=1, alpha=0.05, window=5, hs=0, negative=15,
    # min_count=5, epochs=10, sample=0, then model_sanity asserts rank('attacks' → 'bombings') < 50. Before the
    # fix our CBOW turned every vector into NaN on these settings (batches of 1,024 examples summed ~500 stale
    # updates into the row of "the").
    from gensim.models import Word2Vec
    from gensim.test.utils import lee_corpus_list

    settings_ = dict(window=5, negative=15, min_count=5, epochs=10, sample=0, alpha=0.05)
    ours = train_word2vec(lee_corpus_list, sg=False, dim=100, seed=0, **settings_)
    theirs = Word2Vec(lee_corpus_list, sg=0, cbow_mean=1, hs=0, vector_size=100, workers=1, seed=0, **settings_)
    assert np.all(np.isfinite(ours.vectors)) and ours.history[-1]["loss"] < ours.history[0]["loss"]
    ours_rank, gensim_rank = _rank(ours), [w for w, _ in theirs.wv.most_similar("attacks", topn=2000)].index("bombings")
    assert gensim_rank < 50 and ours_rank < 50, (ours_rank, gensim_rank)  # gensim's own tolerance
    # model_sanity's second check: the query's own vector finds both words among its 51 neighbours
    near = [w for w, _ in ours.most_similar(ours["attacks"], topn=51)]
    assert "attacks" in near and "bombings" in near


def test_cbow_on_the_issues_call_stays_finite():
    from gensim.test.utils import lee_corpus_list

    v = train_word2vec(lee_corpus_list, sg=False, sample=0, negative=15)
    assert np.all(np.isfinite(v.vectors)) and np.all(np.isfinite(v.output))
    assert v.history[-1]["loss"] < v.history[0]["loss"]


def test_cbow_batches_hold_batch_size_pairs_like_skip_gram():
    from embedkit.words.word2vec import _CBOW

    vocab = build_vocab(LEE, min_count=5)
    ids, sent = encode(LEE, vocab)
    trainer = _CBOW(vocab, 5, None, dim=4, negative=2, alpha=0.025, min_alpha=1e-4, epochs=1, batch_size=1000, seed=0)
    contexts, _, _ = trainer.examples(ids, sent)
    bounds = trainer.batch_bounds(contexts)
    pairs = np.array([int((contexts[lo:hi] >= 0).sum()) for lo, hi in zip(bounds[:-1], bounds[1:])])
    assert bounds[0] == 0 and bounds[-1] == len(contexts) and np.all(np.diff(bounds) > 0)
    # batch k starts where k·1000 pairs have gone before (up to one example, ≤ 2·window pairs)
    before = np.concatenate([[0], np.cumsum(pairs)])[:-1]
    assert np.all((before >= 1000 * np.arange(len(pairs))) & (before < 1000 * np.arange(len(pairs)) + 10))
    assert pairs.sum() == int((contexts >= 0).sum())


def _word2vec_init(n_rows, dim, seed):
    """word2vec's (and gensim's) initial input vectors: uniform in ±0.5/dim (the output vectors start at 0)."""
    return ((torch.rand(n_rows, dim, generator=torch.Generator().manual_seed(seed)) - 0.5) / dim).numpy()


@pytest.mark.parametrize("sg", [True, False])
def test_word2vec_returns_the_input_vectors(sg):
    # With a vanishing learning rate nothing moves: the input vectors stay at their initial values and the
    # output vectors at zero, so returning the wrong matrix (or a sum or mean of both) is plain to see.
    v = train_word2vec(LEE[:300], sg=sg, dim=12, min_count=3, epochs=1, alpha=1e-12, min_alpha=0.0, seed=5)
    np.testing.assert_allclose(v.vectors, _word2vec_init(len(v.words), 12, 5), atol=1e-9)
    assert np.abs(v.output).max() < 1e-9
    # and with a real learning rate the two matrices differ and both moved
    trained = train_word2vec(LEE[:300], sg=sg, dim=12, min_count=3, epochs=1, seed=5)
    assert np.abs(trained.vectors - _word2vec_init(len(v.words), 12, 5)).max() > 1e-3
    assert np.abs(trained.output).max() > 1e-3


@pytest.mark.parametrize("trainer", ["sg", "cbow", "fasttext"])
def test_learning_rate_decays_linearly_as_gensims(trainer, monkeypatch):
    import embedkit.words.word2vec as w2v
    from gensim.models import Word2Vec

    used = []
    real_update = w2v._batch_update

    def spy(w_in, w_out, inputs, targets, noise, lr, work, with_loss=False):
        used.append(lr)
        return real_update(w_in, w_out, inputs, targets, noise, lr, work, with_loss)

    monkeypatch.setattr(w2v, "_batch_update", spy)
    alpha, min_alpha, epochs = 0.04, 0.002, 3
    kw = dict(dim=8, min_count=3, epochs=epochs, alpha=alpha, min_alpha=min_alpha, seed=0, batch_size=32)
    if trainer == "fasttext":
        v = train_fasttext(LEE[:400], **kw)
    else:
        v = train_word2vec(LEE[:400], sg=trainer == "sg", **kw)
    reference = Word2Vec(vector_size=8, alpha=alpha, min_alpha=min_alpha, epochs=epochs)
    assert sum(r["epoch"] % 1 > 0 for r in v.history) >= 10  # records inside the epochs, not only at their starts
    for row in v.history:  # gensim's schedule at the same point of training
        epoch = int(row["epoch"])
        assert row["lr"] == pytest.approx(reference._get_next_alpha(row["epoch"] - epoch, epoch), rel=1e-9)
    assert used[0] == alpha and np.all(np.diff(used) <= 1e-15) and min(used) >= min_alpha
    assert used[-1] - min_alpha < 2 * (alpha - min_alpha) / (len(used) / epochs)  # reaches min_alpha at the end
    assert set(r["lr"] for r in v.history) <= set(used)  # the recorded rate is the one used


def test_train_word2vec_subsamples_with_gensims_keep_probabilities(monkeypatch, gensim_lee):
    import embedkit.words.word2vec as w2v

    seen = []
    real = w2v.context_windows

    def spy(ids, sentence, window, rng, keep=None):
        seen.append(keep)
        return real(ids, sentence, window, rng, keep)

    monkeypatch.setattr(w2v, "context_windows", spy)
    v = train_word2vec(LEE, dim=8, min_count=3, sample=1e-3, epochs=1, seed=0)
    theirs = np.array([gensim_lee.wv.get_vecattr(w, "sample_int") for w in v.words]) / (2**32 - 1)
    assert len(seen) == 1 and np.allclose(seen[0], theirs, atol=1e-8)
    seen.clear()
    train_fasttext(LEE[:300], dim=8, min_count=3, sample=0, epochs=1, seed=0)
    assert np.all(seen[0] == 1)  # sample=0: every word kept


def test_context_windows_keep_each_word_with_its_probability():
    rng = np.random.default_rng(0)
    ids = np.repeat(np.arange(4), 50_000)
    keep = np.array([0.1, 0.4, 0.75, 1.0])
    centers, _ = context_windows(ids, np.zeros_like(ids), 2, rng, keep)
    kept = np.bincount(centers, minlength=4) / 50_000
    assert np.all(np.abs(kept - keep) < 4 * np.sqrt(keep * (1 - keep) / 50_000) + 1e-9), kept


def test_reduced_window_weights_distance_d_by_window_minus_d_plus_one_over_window():
    # Drawing b uniformly from 1..window makes a word d places away a context with probability
    # (window − d + 1) / window: word2vec's implicit distance weighting (Levy, Goldberg and Dagan, 2015).
    window, n = 5, 200_000
    ids = np.arange(n) % 7
    _, contexts = context_windows(ids, np.zeros(n, dtype=np.int64), window, np.random.default_rng(1))
    inner = contexts[window:-window]
    for d in range(1, window + 1):
        expected = (window - d + 1) / window
        for col in (window - d, window + d - 1):
            seen = float((inner[:, col] >= 0).mean())
            assert abs(seen - expected) < 4 * np.sqrt(expected * (1 - expected) / len(inner)) + 1e-9, (d, seen)


def test_cbow_input_is_the_mean_of_the_context_words_present():
    from embedkit.words.word2vec import _CBOW

    torch.manual_seed(3)
    w_in, w_out = torch.randn(10, 4), torch.randn(10, 4)
    contexts = torch.tensor([[1, 2, -1, -1], [-1, 3, 4, 5], [6, -1, -1, 7]])
    targets, noise = torch.tensor([0, 8, 9]), torch.tensor([[4, 5], [6, 1], [2, 3]])
    trainer = _CBOW.__new__(_CBOW)
    a_in, a_out = w_in.clone().requires_grad_(), w_out.clone().requires_grad_()
    loss = 0
    for row, t, k in zip(contexts, targets, noise):
        h = a_in[row[row >= 0]].mean(0)
        loss = loss - torch.nn.functional.logsigmoid(a_out[t] @ h) - torch.nn.functional.logsigmoid(-(a_out[k] @ h)).sum()
    loss.backward()
    reported = _batch_update(w_in, w_out, trainer.inputs(contexts), targets, noise, 0.1, _Workspace(), with_loss=True)
    assert reported == pytest.approx(loss.item() / 3, rel=1e-5)
    assert torch.allclose(w_out, a_out.detach() - 0.1 * a_out.grad, atol=1e-6)
    # each context row gets the whole gradient of the mean (word2vec's update): S times the true gradient
    counts = torch.zeros(10)
    for row in contexts:
        counts[row[row >= 0]] = float((row >= 0).sum())
    expected = a_in.detach() - 0.1 * counts.clamp(min=1).unsqueeze(1) * a_in.grad
    assert torch.allclose(w_in, expected, atol=1e-6)
