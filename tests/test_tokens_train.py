"""The small LM's training loop (embedkit.tokens.embedding.train_lm): what it measures, and that it never
diverges silently."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedkit.tokens.embedding import train_lm


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
