"""embedkit.rotary.reference: the slow complex-number RoPE equals the rotation written out by hand, pair by
pair, in both layouts (the formula of the derivation page)."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit import rotary


@pytest.mark.parametrize("layout", rotary.LAYOUTS)
def test_reference_turns_each_pair_counter_clockwise_by_m_theta(layout):
    torch.manual_seed(7)
    d, positions = 10, [0, 1, 5, 1000]
    x = torch.randn(len(positions), d, dtype=torch.float64)
    out = rotary.rotate_reference(x, positions, rotary.inverse_frequencies(d), layout=layout, attention_factor=1.5)
    for row, m in enumerate(positions):
        for i in range(d // 2):
            a, b = (i, i + d // 2) if layout == "half" else (2 * i, 2 * i + 1)
            angle = m * 10000.0 ** (-2 * i / d)
            c, s = 1.5 * math.cos(angle), 1.5 * math.sin(angle)
            xa, xb = x[row, a].item(), x[row, b].item()
            assert out[row, a].item() == pytest.approx(xa * c - xb * s, abs=1e-12)
            assert out[row, b].item() == pytest.approx(xa * s + xb * c, abs=1e-12)


def test_reference_passes_unrotated_channels_through():
    x = torch.randn(3, 12, dtype=torch.float64)
    out = rotary.rotate_reference(x, [0, 4, 9], rotary.inverse_frequencies(8))
    assert torch.equal(out[:, 8:], x[:, 8:])
    with pytest.raises(ValueError, match="got 2 positions for a sequence of 3"):
        rotary.rotate_reference(x, [0, 1], rotary.inverse_frequencies(8))
