"""Men et al. (2024)'s base bound: B_m = Σ cos(mθ_i) and the smallest base keeping it >= 0 up to L."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import base_bound as bb


def dense_b(head_dim, base, limit):
    """B_m for m = 0 … limit from the properties page's mean score (mean over pairs, so × pairs)."""
    inv = rotary.inverse_frequencies(head_dim, base)
    return (rotary.mean_cos_score(np.arange(limit + 1), inv) * len(inv)).numpy()


@given(head_dim=st.sampled_from([4, 8, 16, 64]), base=st.floats(1.5, 1e6))
@settings(max_examples=30, deadline=None)
def test_decay_sum_and_first_negative_match_a_dense_computation(head_dim, base):
    limit = 3000
    b = dense_b(head_dim, base, limit)
    inv = rotary.inverse_frequencies(head_dim, base)
    assert np.allclose(bb.decay_sum(np.arange(limit + 1), inv), b)
    negative = np.flatnonzero(b < 0)
    expected = int(negative[0]) if negative.size else None
    assert bb.first_negative(inv, limit) == expected
    assert bb.decay_holds(head_dim, base, limit) == (expected is None)


def test_first_negative_across_blocks():
    # a failure far past the first blocks (which grow from 256 to 8192 distances) is still found exactly
    inv = rotary.inverse_frequencies(128, 1e6)
    b = dense_b(128, 1e6, 40_000)
    assert bb.first_negative(inv, 40_000) == int(np.flatnonzero(b < 0)[0]) > 8192


def test_closed_form_two_pairs():
    # d = 4, L = 2: B_1 = cos 1 + cos(1/√b) > 0 always; B_2 = cos 2 + cos(2/√b) >= 0 iff 2/√b <= π − 2
    expected = (2 / (math.pi - 2)) ** 2
    assert bb.smallest_base(4, 2, rtol=1e-9) == pytest.approx(expected, rel=1e-8)


def _dense_first(head_dim, length, found, per_decade, passes):
    dense = 10 ** (np.arange(1, int(math.log10(found) * per_decade * 20) + 2) / (per_decade * 20))
    return next(b for b in dense if passes(b))


@pytest.mark.parametrize("head_dim, length", [(8, 10), (8, 40), (16, 100)])
def test_smallest_base_against_a_scan_of_its_grid(head_dim, length):
    per_decade, rtol = 50, 1e-6
    found = bb.smallest_base(head_dim, length, per_decade=per_decade, rtol=rtol)
    passes = lambda base: (dense_b(head_dim, base, length) >= 0).all()
    assert passes(found) and not passes(found / (1 + 2 * rtol))
    # every grid point below it fails (the search scans the same grid upward)
    grid = 10 ** (np.arange(1, int(math.log10(found) * per_decade) + 1) / per_decade)
    assert not any(passes(b) for b in grid[grid < found / (1 + 2 * rtol)])
    # and a 20× denser scan finds no passing base more than one coarse step below it
    first = _dense_first(head_dim, length, found, per_decade, passes)
    assert found / 10 ** (1 / per_decade) < first <= found * 10 ** (1 / (20 * per_decade))


def test_a_denser_grid_can_find_a_lower_window():
    # the passing bases come in windows; one narrower than a grid step is missed, as the docstring says
    head_dim, length, per_decade = 32, 300, 50
    found = bb.smallest_base(head_dim, length, per_decade=per_decade)
    passes = lambda base: (dense_b(head_dim, base, length) >= 0).all()
    first = _dense_first(head_dim, length, found, per_decade, passes)
    assert passes(first) and first < 0.8 * found


def test_passing_is_not_monotone_in_the_base():
    # documented in the module: for d = 128 a base can pass for 4K and a larger one fail
    low = bb.smallest_base(128, 4096)
    assert bb.decay_holds(128, low, 4096) and not bb.decay_holds(128, 10**4.5, 4096) and 10**4.5 > low


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: bb.smallest_base(127, 100), ValueError, "even"),
    (lambda: bb.smallest_base(2, 100), ValueError, "head_dim"),
    (lambda: bb.smallest_base(64.0, 100), TypeError, "head_dim"),
    (lambda: bb.smallest_base(64, 1), ValueError, "context_length"),
    (lambda: bb.smallest_base(64, 100, per_decade=0), ValueError, "per_decade"),
    (lambda: bb.smallest_base(64, 100, rtol=0.0), ValueError, "rtol"),
    (lambda: bb.first_negative([1.0, 0.1], 10), TypeError, "inv_freq"),
    (lambda: bb.first_negative(torch.tensor([1.0, -0.1]), 10), ValueError, "inv_freq"),
    (lambda: bb.first_negative(rotary.inverse_frequencies(8), -1), ValueError, "limit"),
    (lambda: bb.decay_sum([[1.0]], rotary.inverse_frequencies(8)), ValueError, "distances"),
    (lambda: bb.decay_holds(8, 1.0, 10), ValueError, "base"),
    (lambda: bb.decay_holds(8, 100.0, 0), ValueError, "context_length"),
])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc, match=fragment):
        call()


@given(m=st.integers(1, 20_000))
@settings(max_examples=60, deadline=None)
def test_first_negative_of_one_pair_closed_form(m):
    # one pair: B = cos(mθ) first drops below 0 at the smallest m with mθ > π/2; θ puts it at exactly m,
    # including the block boundaries of the chunked scan (256, 768, …)
    theta = (math.pi / 2) / (m - 0.5)
    assert bb.first_negative(torch.tensor([theta], dtype=torch.float64), 30_000) == m


@pytest.mark.parametrize("m", [255, 256, 257, 767, 768, 769, 1792, 8448])
def test_first_negative_at_block_boundaries(m):
    theta = (math.pi / 2) / (m - 0.5)
    assert bb.first_negative(torch.tensor([theta], dtype=torch.float64), 30_000) == m
