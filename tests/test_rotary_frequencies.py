"""embedkit.rotary.frequencies: RoPE's θ_i are the sinusoidal encodings' ω_i (one formula, written once),
over the rotated channels, with the angles in float64."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit import rotary
from embedkit.positions import sinusoidal_frequencies


@pytest.mark.parametrize("dim,base", [(2, 10000.0), (64, 10000.0), (128, 500000.0), (16, 1.5)])
def test_theta_is_the_sinusoidal_frequency_and_the_closed_form(dim, base):
    theta = rotary.base_inverse_frequencies(dim, base)
    assert theta.dtype == torch.float64 and theta.shape == (dim // 2,)
    assert torch.equal(theta, sinusoidal_frequencies(dim, base))
    assert torch.equal(rotary.inverse_frequencies(dim, base), theta)
    closed = [base ** (-2 * i / dim) for i in range(dim // 2)]  # Su et al. (2021), eq. 15
    assert theta.tolist() == pytest.approx(closed, rel=1e-15)


def test_partial_rotary_takes_the_exponent_over_the_rotated_channels():
    """GPT-NeoX's rotary_pct / HF's partial_rotary_factor: d = int(head_dim * fraction) in the exponent."""
    theta = rotary.inverse_frequencies(64, 10000.0, rotary_fraction=0.25)
    assert theta.tolist() == pytest.approx([10000.0 ** (-2 * i / 16) for i in range(8)], rel=1e-15)


def test_angles_are_float64_whatever_the_model_dtype():
    inv = rotary.inverse_frequencies(8)
    a = rotary.angles(torch.tensor([100_000], dtype=torch.int32), inv)
    assert a.dtype == torch.float64 and a[0, 0].item() == 100_000.0
    cos, sin = rotary.cos_sin([3], inv, attention_factor=2.0, dtype=torch.bfloat16)
    assert cos.dtype == torch.bfloat16
    assert cos[0, 0].item() == pytest.approx(2 * math.cos(3), abs=2e-2)


def test_each_rule_names_its_own_argument():
    with pytest.raises(ValueError, match=r"dim \(the number of rotated channels\) must be even \(channels turn in "
                                         r"pairs\), got 7"):
        rotary.base_inverse_frequencies(7)
    with pytest.raises(ValueError, match=r"dim must be even \(sines and cosines come in pairs\), got 7"):
        sinusoidal_frequencies(7)
    with pytest.raises(TypeError, match="must be an integer >= 2, got 8.0"):
        rotary.base_inverse_frequencies(8.0)
    with pytest.raises(ValueError, match="base must be a finite number > 1, got 1.0"):
        rotary.base_inverse_frequencies(8, 1.0)
