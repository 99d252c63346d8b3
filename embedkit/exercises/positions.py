"""Checkers for the exercises of the chapter *Positions*: the sinusoidal table, ALiBi's slopes, T5's bucket.

Each checker grades a reader's function against the package's own (:func:`embedkit.positions.sinusoidal`,
:func:`embedkit.positions.alibi_slopes`, :func:`embedkit.positions.relative_position_bucket`) with
:func:`~embedkit.exercises.grading.grade`: ordinary inputs first, then the edges, and a hint that names the
mistake when the reader's output is what a known mistake would give.
"""

from __future__ import annotations

import math
from functools import partial

import torch

from .. import positions
from .grading import Case, Mistake, Result, compare_arrays, grade

__all__ = ["alibi_slopes", "sinusoidal", "t5_bucket"]


# -- the sinusoidal table ------------------------------------------------------------------------------

def _table(n_positions: int, dim: int, base: float = 10000.0, *, exponent: float = 2.0, swap: bool = False,
           concatenate: bool = False) -> torch.Tensor:
    """A sinusoidal table with one of the known mistakes switched on (float64).

    ``exponent``: ``ω_i = base ** (-exponent·i/dim)`` (2 is right); ``swap``: cosines in the even channels;
    ``concatenate``: all sines in the first half, all cosines in the second.
    """
    i = torch.arange(dim // 2, dtype=torch.float64)
    angle = torch.arange(n_positions, dtype=torch.float64)[:, None] * base ** (-exponent * i / dim)[None, :]
    first, second = (angle.cos(), angle.sin()) if swap else (angle.sin(), angle.cos())
    if concatenate:
        return torch.cat([first, second], dim=-1)
    return torch.stack([first, second], dim=-1).reshape(n_positions, dim)


_SINUSOIDAL_CASES = [
    Case("8 positions, 4 channels", (8, 4)),
    Case("16 positions, 8 channels", (16, 8)),
    Case("50 positions, 16 channels, base 100", (50, 16), {"base": 100.0}),
    Case("128 positions, 32 channels", (128, 32)),
    Case("3 positions, 64 channels", (3, 64)),
    Case("edge: a single position", (1, 6)),
    Case("edge: a single pair of channels", (10, 2)),
    Case("edge: no positions at all", (0, 4)),
]

_SINUSOIDAL_MISTAKES = [
    Mistake(partial(_table, swap=True),
            "sines and cosines are swapped: PE[p, 2i] is the sine sin(p·ω_i), PE[p, 2i + 1] the cosine."),
    Mistake(partial(_table, concatenate=True),
            "your table puts all the sines first and all the cosines after them; the book's table interleaves "
            "them: channel 2i is sin(p·ω_i), channel 2i + 1 is cos(p·ω_i)."),
    Mistake(partial(_table, swap=True, concatenate=True),
            "your table puts all the cosines first and all the sines after; the book's table interleaves them, "
            "sine first: channel 2i is sin(p·ω_i), channel 2i + 1 is cos(p·ω_i)."),
    Mistake(partial(_table, exponent=1.0),
            "the frequencies fall too slowly: ω_i = base ** (-2i/d) with i the pair index, not base ** (-i/d)."),
    Mistake(partial(_table, exponent=4.0),
            "the frequencies fall twice too fast: the exponent is 2i/d with i the pair index (channels 2i and "
            "2i + 1 share ω_i); putting the channel index 2i in place of i gives 4i/d."),
]


def _sinusoidal_reference(n_positions: int, dim: int, base: float = 10000.0) -> torch.Tensor:
    return positions.sinusoidal(n_positions, dim, base)


def sinusoidal(fn) -> Result:
    """Grade ``fn(n_positions, dim, base=10000.0)``, the ``(n_positions, dim)`` sinusoidal table of Vaswani et
    al. (2017), against :func:`embedkit.positions.sinusoidal`: ``PE[p, 2i] = sin(p·ω_i)``,
    ``PE[p, 2i + 1] = cos(p·ω_i)``, ``ω_i = base ** (-2i/dim)``. A float32 or float64 tensor or array is
    fine (tolerance 1e-4, what float32 angles allow at position 127)."""
    return grade("sinusoidal table", fn, _sinusoidal_reference, _SINUSOIDAL_CASES,
                 compare=partial(compare_arrays, rtol=1e-4, atol=1e-4), mistakes=_SINUSOIDAL_MISTAKES,
                 hint="compare your first row (position 0: sines 0, cosines 1) and your first column "
                      "(sin p) with the formula on the sinusoidal page.")


# -- ALiBi's slopes --------------------------------------------------------------------------------------

def _geometric(n: int, start: int = 1) -> list[float]:
    return [2.0 ** (-8.0 * (h + start) / n) for h in range(n)]


def _slopes_naive(n_heads: int) -> torch.Tensor:
    return torch.tensor(_geometric(n_heads))


def _slopes_from_one(n_heads: int) -> torch.Tensor:
    return torch.tensor(_geometric(n_heads, start=0))


def _slopes_wrong_half(n_heads: int) -> torch.Tensor:
    c = 2 ** int(math.floor(math.log2(n_heads)))
    return torch.tensor(_geometric(c) + _geometric(2 * c)[1::2][: n_heads - c])


def _slopes_first_of_double(n_heads: int) -> torch.Tensor:
    c = 2 ** int(math.floor(math.log2(n_heads)))
    return torch.tensor(_geometric(c) + _geometric(2 * c)[: n_heads - c])


_ALIBI_CASES = [
    Case("8 heads", (8,)),
    Case("16 heads", (16,)),
    Case("4 heads", (4,)),
    Case("12 heads (not a power of two)", (12,)),
    Case("6 heads (not a power of two)", (6,)),
    Case("24 heads (not a power of two)", (24,)),
    Case("edge: 3 heads", (3,)),
    Case("edge: 2 heads", (2,)),
    Case("edge: a single head", (1,)),
]

_ALIBI_MISTAKES = [
    Mistake(_slopes_from_one, "the first slope is 2^(-8/n), not 2^0 = 1: the exponents are -8·1/n, -8·2/n, …, -8."),
    Mistake(_slopes_naive,
            "right for a power of two, but for other head counts Press et al.'s code does not use 2^(-8h/n): it "
            "takes the slopes of the largest power of two c below n, then every other slope of 2c heads."),
    Mistake(_slopes_wrong_half,
            "the extra heads take every other slope of 2c heads starting with the first one (2^(-8/2c), the odd "
            "powers), the ones that fall between the c slopes already used; you started with the second."),
    Mistake(_slopes_first_of_double,
            "the extra heads take every other slope of 2c heads (the ones between the c slopes already used), "
            "not the first n − c slopes of 2c heads, which repeat slopes you already have."),
]


def alibi_slopes(fn) -> Result:
    """Grade ``fn(n_heads)``, the ``(n_heads,)`` ALiBi slopes of Press et al. (2022), against
    :func:`embedkit.positions.alibi_slopes` (powers of two and the authors' rule for other head counts)."""
    return grade("ALiBi slopes", fn, positions.alibi_slopes, _ALIBI_CASES, mistakes=_ALIBI_MISTAKES,
                 hint="print your slopes beside 2 ** (-8 * (h + 1) / n) for the largest power of two n below "
                      "your head count, and read the rule on the relative page again.")


# -- T5's relative bucket -------------------------------------------------------------------------------

def _bucket_reference(relative_position, bidirectional: bool = True, num_buckets: int = 32,
                      max_distance: int = 128) -> torch.Tensor:
    return positions.relative_position_bucket(relative_position, bidirectional=bidirectional,
                                              num_buckets=num_buckets, max_distance=max_distance)


def _bucket_flipped(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    return _bucket_reference(-torch.as_tensor(relative_position), bidirectional, num_buckets, max_distance)


def _bucket_unclamped(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    rel = torch.as_tensor(relative_position).long()
    n = num_buckets // 2 if bidirectional else num_buckets
    offset = (rel > 0).long() * n if bidirectional else torch.zeros_like(rel)
    distance = rel.abs() if bidirectional else (-rel).clamp(min=0)
    exact = n // 2
    far = exact + (torch.log(distance.clamp(min=1).float() / exact) / math.log(max_distance / exact)
                   * (n - exact)).long()
    return offset + torch.where(distance < exact, distance, far)


def _bucket_future_kept(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    if bidirectional:  # the mistake shows only in one direction
        return _bucket_reference(relative_position, True, num_buckets, max_distance)
    return _bucket_reference(-torch.as_tensor(relative_position).abs(), False, num_buckets, max_distance)


_T5_CASES = [
    Case("relative positions -200 … 200, both directions", (torch.arange(-200, 201),)),
    Case("relative positions -200 … 200, one direction (a decoder)", (torch.arange(-200, 201),),
               {"bidirectional": False}),
    Case("8 buckets up to distance 20, both directions", (torch.arange(-40, 41),),
               {"num_buckets": 8, "max_distance": 20}),
    Case("a 6 × 9 grid of key − query, one direction, 16 buckets",
               (torch.arange(9)[None, :] - 7 * torch.arange(6)[:, None],),
               {"bidirectional": False, "num_buckets": 16, "max_distance": 40}),
    Case("edge: distances at and beyond max_distance",
               (torch.tensor([-129, -128, -127, 127, 128, 129, 10_000]),)),
    Case("edge: a single relative position 0", (torch.tensor([0]),)),
]

_T5_MISTAKES = [
    Mistake(_bucket_flipped,
            "your buckets are mirrored: the relative position is key − query, so a key after the query is "
            "positive (upper half of the buckets when bidirectional), a key before it negative."),
    Mistake(_bucket_unclamped,
            "distances at or beyond max_distance must all land in the last bucket of their direction: clamp the "
            "logarithmic bucket to n − 1."),
    Mistake(_bucket_future_kept,
            "without bidirectional, keys after the query (positive relative positions) all share bucket 0, "
            "which a causal model masks; you bucketed them by their distance."),
]


def _compare_buckets(expected, got) -> str | None:
    return compare_arrays(expected, got, rtol=0.0, atol=0.0)


def t5_bucket(fn) -> Result:
    """Grade ``fn(relative_position, bidirectional=True, num_buckets=32, max_distance=128)``, T5's bucket of
    each ``key − query`` in an integer tensor (a LongTensor of the same shape), against
    :func:`embedkit.positions.relative_position_bucket`. The logarithm in float32 as T5 takes it gives the
    same buckets as the checkpoints."""
    return grade("T5 relative bucket", fn, _bucket_reference, _T5_CASES, compare=_compare_buckets,
                 mistakes=_T5_MISTAKES,
                 hint="check the small distances first (0 … n/2 − 1 each get their own bucket), then the "
                      "logarithmic ones: exact + log(distance/exact) / log(max_distance/exact) · (n − exact).")
