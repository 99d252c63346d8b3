"""embedkit.positions.learned: a lookup table that names its end and leaves untrained rows alone."""

from __future__ import annotations

import pytest
import torch

from embedkit.positions import LearnedPositions


def test_learned_positions_lookup_and_the_end_of_the_table():
    torch.manual_seed(0)
    table = LearnedPositions(16, 8)
    out = table(torch.arange(16))
    assert out.shape == (16, 8)
    assert torch.equal(out, table.table.weight)
    with pytest.raises(ValueError, match="position 16 is beyond the learned table: max_len=16"):
        table(torch.arange(17))
    with pytest.raises(ValueError, match=r"positions must be >= 0 \(token indices\), got -1"):
        table(torch.tensor([-1, 0]))
    with pytest.raises(TypeError, match="must hold integers"):
        table(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="max_len must be an integer >= 1, got 0"):
        LearnedPositions(0, 8)


def test_rows_never_looked_up_never_change():
    """The learned-positions page relies on this: training on short sequences leaves later rows untouched."""
    torch.manual_seed(0)
    table = LearnedPositions(10, 4)
    before = table.table.weight.detach().clone()
    opt = torch.optim.Adam(table.parameters(), lr=0.1)
    for _ in range(5):
        loss = table(torch.arange(6)).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = table.table.weight.detach()
    assert torch.equal(after[6:], before[6:])
    assert not torch.equal(after[:6], before[:6])
