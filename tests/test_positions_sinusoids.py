"""embedkit.positions.sinusoids: closed-form sinusoids, the shift-is-a-rotation and offset-only properties,
and clear errors on bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from embedkit.positions import (
    SinusoidalPositions,
    shift_matrix,
    sinusoidal,
    sinusoidal_dot,
    sinusoidal_frequencies,
)


dims = st.sampled_from([2, 4, 6, 16, 64, 128])


def test_sinusoidal_closed_form_values():
    pe = sinusoidal(50, 8)
    assert pe.shape == (50, 8) and pe.dtype == torch.float32
    # position 0: sin 0 = 0 and cos 0 = 1 in every pair
    assert pe[0].tolist() == [0.0, 1.0] * 4
    # PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...) (Vaswani et al. 2017, section 3.5)
    for p in (1, 7, 49):
        for i in range(4):
            angle = p / 10000 ** (2 * i / 8)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-7)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-7)


def test_sinusoidal_matches_the_classic_numpy_recipe():
    import numpy as np

    n, d = 40, 32
    pos = np.arange(n)[:, None]
    div = np.exp(np.arange(0, d, 2) * (-math.log(10000.0) / d))
    ref = np.zeros((n, d))
    ref[:, 0::2], ref[:, 1::2] = np.sin(pos * div), np.cos(pos * div)
    np.testing.assert_allclose(sinusoidal(n, d).numpy(), ref, atol=1e-6)


def test_wavelengths_run_from_two_pi_towards_base_two_pi():
    omega = sinusoidal_frequencies(512)
    wavelengths = 2 * math.pi / omega
    assert wavelengths[0].item() == pytest.approx(2 * math.pi)
    assert wavelengths[-1].item() < 10000 * 2 * math.pi
    assert wavelengths[-1].item() == pytest.approx(2 * math.pi * 10000 ** (510 / 512))
    assert torch.all(wavelengths[1:] > wavelengths[:-1])


@given(p=st.integers(0, 2000), k=st.integers(-500, 500), dim=dims)
def test_shift_by_k_is_a_fixed_rotation(p, k, dim):
    assume(p + k >= 0)
    pe = sinusoidal(max(p, p + k) + 1, dim).double()
    m = shift_matrix(k, dim)
    torch.testing.assert_close(m @ pe[p], pe[p + k], atol=2e-6, rtol=0)
    # a rotation: orthogonal, determinant 1, and its inverse is the shift by -k
    torch.testing.assert_close(m @ m.T, torch.eye(dim, dtype=torch.float64))
    torch.testing.assert_close(shift_matrix(-k, dim), m.T)


@given(p=st.integers(0, 3000), q=st.integers(0, 3000), dim=dims, shift=st.integers(0, 3000))
def test_dot_product_depends_only_on_offset(p, q, dim, shift):
    pe = sinusoidal(max(p, q) + shift + 1, dim).double()
    dot = pe[p] @ pe[q]
    torch.testing.assert_close(dot, pe[p + shift] @ pe[q + shift], atol=1e-5, rtol=0)
    torch.testing.assert_close(dot, sinusoidal_dot(q - p, dim), atol=1e-5, rtol=0)


def test_sinusoidal_bad_inputs():
    with pytest.raises(ValueError, match="dim must be even .* got 63"):
        sinusoidal(10, 63)
    with pytest.raises(ValueError, match="n_positions must be an integer >= 0, got -1"):
        sinusoidal(-1, 8)
    with pytest.raises(ValueError, match="base must be a finite number > 1"):
        sinusoidal(4, 8, base=0.5)
    with pytest.raises(TypeError, match="n_positions must be an integer"):
        sinusoidal(4.5, 8)
    assert sinusoidal(0, 8).shape == (0, 8)


@given(positions=st.lists(st.integers(0, 100_000), min_size=0, max_size=20), dim=dims)
def test_sinusoidal_positions_are_rows_of_the_table(positions, dim):
    """The lab's sinusoidal scheme adds exactly the rows of sinusoidal() for the positions asked for."""
    table = sinusoidal(max(positions, default=0) + 1, dim)
    got = SinusoidalPositions(dim)(torch.tensor(positions, dtype=torch.long))
    assert got.dtype == torch.float32 and got.shape == (len(positions), dim)
    assert torch.equal(got, table[positions])
