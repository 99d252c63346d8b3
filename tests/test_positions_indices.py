"""embedkit.positions.indices: one rule for position arguments, shared by every scheme and by RoPE."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedkit import rotary
from embedkit.positions import sinusoidal_dot
from embedkit.positions.indices import flag, integer_tensor


def test_one_position_rule_for_rotary_and_positions():
    """rotary and positions share embedkit.positions.as_positions: the same inputs pass and fail alike."""
    from embedkit.positions import ALiBi, as_positions

    for good in ([0, 2, 5], range(3), torch.tensor([1, 2], dtype=torch.int32), __import__("numpy").arange(4), []):
        assert torch.equal(rotary.angles(good, torch.ones(1, dtype=torch.float64))[:, 0].long(), as_positions(good))
        ALiBi(2)(good, good)
    for bad, exc in (([0.5], TypeError), ([[0, 1]], ValueError), ([-1], ValueError), ("012", TypeError),
                     (torch.tensor([True]), TypeError), (None, TypeError), (range(2, -2, -1), ValueError)):
        for call in (lambda: rotary.angles(bad, torch.ones(1, dtype=torch.float64)), lambda: ALiBi(2)(bad, [0]),
                     lambda: as_positions(bad)):
            with pytest.raises(exc, match="positions"):
                call()


def test_integer_tensors_and_flags_follow_one_rule():
    """Offsets, relative positions and switches: integers pass whatever their container; floats, booleans,
    strings and None are refused with the argument's name, as everywhere in the package."""
    for good in (3, [1, -2], np.arange(3), torch.tensor([[1, 2]], dtype=torch.int16)):
        assert torch.equal(integer_tensor("offset", good, expected="an integer"), torch.as_tensor(np.asarray(good)))
    for bad in (1.5, [0.5], True, "1", None, torch.tensor([True])):
        with pytest.raises(TypeError, match="^offset must "):
            integer_tensor("offset", bad, expected="an integer")
    # the same rule reaches a public function: sinusoidal_dot refuses a float offset
    with pytest.raises(TypeError, match="offset must hold integers"):
        sinusoidal_dot(torch.tensor([0.5]), 8)
    assert flag("causal", np.bool_(True)) is True
    for bad in ("no", 1, None):
        with pytest.raises(TypeError, match="causal must be True or False"):
            flag("causal", bad)
