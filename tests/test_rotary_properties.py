"""embedkit.rotary.properties: what the book proves and prints, against closed forms and brute force."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import RoPE, rotate_reference

torch.set_num_threads(2)


@given(
    pairs=st.integers(1, 64),
    m=st.integers(0, 5000),
    n=st.integers(0, 5000),
    shift=st.integers(-3000, 3000),
    base=st.sampled_from([10000.0, 500000.0, 100.0]),
    layout=st.sampled_from(rotary.LAYOUTS),
)
def test_score_depends_only_on_the_offset(pairs, m, n, shift, base, layout):
    shift = max(shift, -min(m, n))
    d = 2 * pairs
    torch.manual_seed(pairs)
    q, k = torch.randn(1, d, dtype=torch.float64), torch.randn(1, d, dtype=torch.float64)
    inv = rotary.inverse_frequencies(d, base)

    def score(a, b):
        return (rotate_reference(q, [a], inv, layout=layout) * rotate_reference(k, [b], inv, layout=layout)).sum()

    assert math.isclose(score(m, n), score(m + shift, n + shift), rel_tol=1e-9, abs_tol=1e-9)
    # and the fast float32 path agrees to float32 precision
    rope = RoPE(d, base=base, layout=layout, max_positions=8001)
    fast = (rope.rotate(q.float(), [m + shift]) * rope.rotate(k.float(), [n + shift])).sum()
    assert math.isclose(float(fast), float(score(m, n)), rel_tol=1e-3, abs_tol=1e-3 * d)


def test_wavelengths_and_full_turns_closed_form():
    inv = rotary.inverse_frequencies(64, 10000.0)
    lam = rotary.wavelengths(inv)
    for i in (0, 7, 31):
        assert lam[i].item() == pytest.approx(2 * math.pi * 10000.0 ** (2 * i / 64), rel=1e-12)
    turns = rotary.full_turns(inv, 4096)
    # brute force: the angle of the last position divided by a full turn
    torch.testing.assert_close(turns, rotary.angles([4095], inv)[0] / (2 * math.pi), rtol=1e-15, atol=0)
    assert turns[0].item() == pytest.approx(4095 / (2 * math.pi))


@pytest.mark.parametrize("factor", [1.0, 1.3])
def test_mean_cos_score_is_the_score_of_rotated_unit_queries_and_keys(factor):
    """Brute force: rotate q = k = (1, 0) in every pair to positions 0 and Δ and take the dot product."""
    inv = rotary.inverse_frequencies(32, 500.0)
    distances = [0, 1, 7, 100, 3000]
    unit = torch.zeros(1, 32, dtype=torch.float64)
    unit[0, :16] = 1.0  # half layout: the first channel of every pair
    q = rotate_reference(unit, [0], inv, attention_factor=factor)
    brute = [(q * rotate_reference(unit, [d], inv, attention_factor=factor)).sum().item() / 16 for d in distances]
    torch.testing.assert_close(rotary.mean_cos_score(distances, inv, factor), torch.tensor(brute, dtype=torch.float64))


def test_decay_bound_is_the_abel_sum_computed_directly():
    """(1/P)·Σ_j |Σ_{k<=j} e^{iΔθ_k}| summed with Python complex numbers, term by term."""
    import cmath

    inv = rotary.inverse_frequencies(16, 10000.0)
    for delta in (0, 3, 250):
        partial, total = 0j, 0.0
        for theta in inv.tolist():
            partial += cmath.exp(1j * delta * theta)
            total += abs(partial)
        assert rotary.decay_bound([delta], inv).item() == pytest.approx(total / len(inv), rel=1e-12)
