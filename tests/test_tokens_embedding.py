"""embedkit.tokens.embedding: the one-hot lookup against torch's Embedding, gradients, the small LM and its
training loop (what it measures, and that it never diverges silently), token vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer
from embedkit.tokens.embedding import TinyLM, one_hot_lookup, token_vectors, train_lm


SMALL = BPETokenizer.train("the cat sat on the mat, the cats sat on the mats. " * 30 + "naïve café", 300)


@given(st.lists(st.integers(0, 49), min_size=1, max_size=30))
def test_one_hot_lookup_equals_torch_embedding(ids):
    torch.manual_seed(0)
    weight = torch.randn(50, 6)
    t = torch.tensor(ids)
    assert torch.equal(one_hot_lookup(t, weight), torch.nn.functional.embedding(t, weight))


def test_one_hot_lookup_refuses_bad_ids():
    with pytest.raises(ValueError, match="ids must lie in 0 .. 9"):
        one_hot_lookup(torch.tensor([3, 10]), torch.zeros(10, 2))
    with pytest.raises(TypeError, match="integer tensor"):
        one_hot_lookup(torch.tensor([1.0]), torch.zeros(10, 2))


def test_embedding_gradient_touches_only_rows_in_the_batch_unless_tied():
    torch.manual_seed(0)
    ids = torch.tensor([[5, 9, 5, 17, 3]])
    for tie, expected in [(False, {5, 9, 17, 3}), (True, set(range(40)))]:
        model = TinyLM(40, d_model=16, n_heads=2, n_layers=1, context=8, tie=tie)
        assert model.tied is tie
        logits = model(ids)
        logits.sum().backward()
        rows = set(torch.nonzero(model.embed.weight.grad.norm(dim=1)).flatten().tolist())
        assert rows == expected


def test_tinylm_refuses_sequences_longer_than_its_context():
    model = TinyLM(40, d_model=16, n_heads=2, n_layers=1, context=8)
    with pytest.raises(ValueError, match="sequence length 9 exceeds the model's context of 8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible by n_heads"):
        TinyLM(40, d_model=10, n_heads=3)


def test_train_lm_learns_a_periodic_sequence():
    torch.set_num_threads(1)
    stream = list(range(12)) * 400  # the next token is always determined
    model, history = train_lm(stream, 12, steps=150, batch_size=16, lr=1e-2, d_model=32, n_heads=2, n_layers=1, context=16)
    x = torch.tensor(stream[:17])[None]
    with torch.no_grad():
        predicted = model(x[:, :-1]).argmax(-1)
    assert (predicted == x[:, 1:]).float().mean() == 1.0
    assert history.valid_loss.dropna().iloc[-1] < 0.1 < history.train_loss.iloc[0]
    with pytest.raises(ValueError, match="too few"):
        train_lm([1, 2, 3] * 10, 4, steps=1, context=16)


def test_token_vectors_are_keyed_by_unique_labels():
    weight = torch.randn(SMALL.n_vocab, 4)
    vectors = token_vectors(weight, SMALL)
    assert len(vectors) == len(SMALL.tokens) and len(set(vectors.words)) == len(vectors.words)
    assert np.allclose(vectors["␣the"], weight[SMALL.ranks[b" the"]].numpy())


# -- the training loop --------------------------------------------------------------------------


def test_valid_loss_is_the_returned_models_loss_on_the_held_out_tail():
    ids = np.random.default_rng(0).integers(0, 40, 6000)
    model, history = train_lm(ids, 40, steps=30, batch_size=4, d_model=16, n_heads=2, n_layers=1, context=16,
                              valid_fraction=0.1)
    assert list(history.columns) == ["step", "train_loss", "valid_loss"] and len(history) == 30
    assert not model.training
    # the reference: the windows of context + 1 tokens of the last 10 % of the stream, never trained on
    tail = torch.as_tensor(ids[int(len(ids) * 0.9):])
    windows = tail[: len(tail) // 17 * 17].view(-1, 17)[:64]
    with torch.no_grad():
        logits = model(windows[:, :-1])
        expected = torch.nn.functional.cross_entropy(logits.reshape(-1, 40), windows[:, 1:].reshape(-1)).item()
    assert history.valid_loss.iloc[-1] == pytest.approx(expected, rel=1e-5)
    assert np.isnan(history.valid_loss.iloc[:-1]).all()  # measured every 100 steps and at the last


def test_divergence_raises_and_names_the_fix():
    ids = np.random.default_rng(0).integers(0, 40, 6000)
    with pytest.raises(ValueError, match=r"training diverged: .* at step \d+ of 20 .*smaller lr \(it is 1e\+06"):
        train_lm(ids, 40, steps=20, batch_size=4, lr=1e6, d_model=16, n_heads=2, n_layers=1, context=16)
