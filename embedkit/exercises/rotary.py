"""Checkers for the exercises of the chapter *Rotary*: a pair turned, RoPE on a head, YaRN's ramp, NTK's base.

Each checker grades a reader's function against the package's own with
:func:`~embedkit.exercises.grading.grade`: :func:`rotate_pair` against :func:`embedkit.rotary.rotate_reference`
(one pair, one angle), :func:`rope` against :class:`embedkit.rotary.RoPE`, :func:`yarn_ramp` against
:func:`embedkit.rotary.yarn` (the ramp read back from the frequencies it returns) and :func:`ntk_base` against
:func:`embedkit.rotary.dynamic_ntk_base`. A hint names the mistake when the reader's output is what a known
mistake gives: the rotation turned clockwise, the layouts confused, positions off by one, the ramp reversed.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import torch

from .. import rotary
from .grading import Case, Mistake, Result, as_array, compare_arrays, grade

__all__ = ["ntk_base", "rope", "rotate_pair", "yarn_ramp"]


# -- one pair -----------------------------------------------------------------------------------------

def _rotate_pair_reference(x: float, y: float, angle: float) -> tuple[float, float]:
    """``(x, y)`` turned counter-clockwise by ``angle`` (radians, ``>= 0``), by
    :func:`embedkit.rotary.rotate_reference` on a one-pair head at position 1 with ``θ = angle``."""
    pair = torch.tensor([[float(x), float(y)]], dtype=torch.float64)
    out = rotary.rotate_reference(pair, [1], torch.tensor([float(angle)], dtype=torch.float64), layout="interleaved")
    return float(out[0, 0]), float(out[0, 1])


def _rotate_pair_clockwise(x, y, angle):
    return (x * math.cos(angle) + y * math.sin(angle), -x * math.sin(angle) + y * math.cos(angle))


def _rotate_pair_degrees(x, y, angle):
    return _rotate_pair_reference(x, y, math.radians(angle) % (2 * math.pi))


def _rotate_pair_transposed(x, y, angle):  # sin and cos exchanged in the matrix
    return (x * math.sin(angle) - y * math.cos(angle), y * math.sin(angle) + x * math.cos(angle))


_PAIR_CASES = [
    Case("(0.6, -0.8) turned by 1 radian", (0.6, -0.8, 1.0)),
    Case("(1, 0) turned a quarter turn", (1.0, 0.0, math.pi / 2)),
    Case("(2, 3) turned half a turn", (2.0, 3.0, math.pi)),
    Case("(-1.5, 0.25) turned by 4 radians", (-1.5, 0.25, 4.0)),
    Case("(3, -4) turned by 100 radians (many turns)", (3.0, -4.0, 100.0)),
    Case("edge: angle 0 (position 0)", (1.0, 2.0, 0.0)),
    Case("edge: a tiny angle", (5.0, -1.0, 1e-4)),
]

_PAIR_MISTAKES = [
    Mistake(_rotate_pair_clockwise,
            "your pair turns clockwise: RoPE turns counter-clockwise, (x, y) → (x cos a − y sin a, "
            "x sin a + y cos a), the complex number x + iy times e^{ia}."),
    Mistake(_rotate_pair_degrees, "the angle is in radians: use math.cos(angle), not math.cos(math.radians(angle))."),
    Mistake(_rotate_pair_transposed,
            "cos and sin are exchanged: the new x is x cos a − y sin a, the new y is x sin a + y cos a."),
]


def rotate_pair(fn) -> Result:
    """Grade ``fn(x, y, angle)``: the point ``(x, y)`` turned counter-clockwise by ``angle`` radians, returned
    as a pair ``(x', y')`` (a tuple, list, array or tensor of two numbers), against
    :func:`embedkit.rotary.rotate_reference` on a head of one pair."""
    return grade("rotate a pair", fn, _rotate_pair_reference, _PAIR_CASES, mistakes=_PAIR_MISTAKES,
                 hint="try (1, 0) and a quarter turn by hand: it must land on (0, 1).")


# -- RoPE on a head -------------------------------------------------------------------------------------

def _rope_reference(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0,
                    layout: str = "half") -> torch.Tensor:
    """:class:`embedkit.rotary.RoPE` with this ``base`` and ``layout``, rotating ``x`` for ``positions``."""
    positions = torch.as_tensor(positions)
    longest = int(positions.max()) + 1 if positions.numel() else 1
    return rotary.RoPE(x.shape[-1], base=base, layout=layout, max_positions=longest)(x, positions)


def _rope_other_layout(x, positions, base=10000.0, layout="half"):
    return _rope_reference(x, positions, base, "interleaved" if layout == "half" else "half")


def _rope_shifted(x, positions, base=10000.0, layout="half", *, by: int):
    # written out (not through RoPE, which refuses the position -1 that a shift by -1 makes of 0)
    turn = (torch.as_tensor(positions).to(torch.float64) + by)[:, None] * rotary.inverse_frequencies(x.shape[-1], base)
    return rotary.apply(x, turn.cos().to(x.dtype), turn.sin().to(x.dtype), layout=layout)


def _rope_clockwise(x, positions, base=10000.0, layout="half"):
    cos, sin = rotary.cos_sin(torch.as_tensor(positions), rotary.inverse_frequencies(x.shape[-1], base),
                              dtype=x.dtype)
    return rotary.apply(x, cos, -sin, layout=layout)


def _rope_exponent_halved(x, positions, base=10000.0, layout="half"):  # base ** (-i/d): the 2 of 2i/d lost
    head_dim = x.shape[-1]
    inv_freq = base ** (-torch.arange(head_dim // 2, dtype=torch.float64) / head_dim)
    cos, sin = rotary.cos_sin(torch.as_tensor(positions), inv_freq, dtype=x.dtype)
    return rotary.apply(x, cos, sin, layout=layout)


def _heads(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


_ROPE_CASES = [
    Case("6 positions, head_dim 8, half layout", (_heads(6, 8, seed=1), torch.arange(6))),
    Case("6 positions, head_dim 8, interleaved layout", (_heads(6, 8, seed=1), torch.arange(6)),
               {"layout": "interleaved"}),
    Case("batch 2 × 3 heads × 10 positions, head_dim 16, half layout",
               (_heads(2, 3, 10, 16, seed=2), torch.arange(10))),
    Case("positions 100 … 107 (decoding after a cache), interleaved, head_dim 32",
               (_heads(4, 8, 32, seed=3), torch.arange(100, 108)), {"layout": "interleaved"}),
    Case("positions 0, 5, 3, 1000, base 500,000, half layout",
               (_heads(4, 64, seed=4), torch.tensor([0, 5, 3, 1000])), {"base": 500000.0}),
    Case("edge: head_dim 2 (a single pair), interleaved", (_heads(5, 2, seed=5), torch.arange(5)),
               {"layout": "interleaved"}),
    Case("edge: a single token at position 0", (_heads(1, 8, seed=6), torch.tensor([0]))),
]

_ROPE_MISTAKES = [
    Mistake(_rope_other_layout,
            "your pairs are the other layout's: in the half layout pair i is channels (i, i + d/2); in the "
            "interleaved layout it is channels (2i, 2i + 1)."),
    Mistake(partial(_rope_shifted, by=1),
            "your positions are one too far: the token at position m turns by m·θ_i, so the first token "
            "(position 0) is not rotated at all."),
    Mistake(partial(_rope_shifted, by=-1),
            "your positions are one short: the token at position m turns by m·θ_i, with m the position as "
            "given, not m − 1."),
    Mistake(_rope_clockwise,
            "your rotation turns clockwise: pair (a, b) becomes (a cos mθ − b sin mθ, b cos mθ + a sin mθ)."),
    Mistake(_rope_exponent_halved,
            "your frequencies fall too slowly: θ_i = base ** (-2i/d) with i the pair index and d the head "
            "dimension."),
]


def rope(fn) -> Result:
    """Grade ``fn(x, positions, base=10000.0, layout="half")``: ``x`` ``(..., seq, head_dim)`` rotated for the
    LongTensor ``positions`` ``(seq,)`` in the ``"half"`` or ``"interleaved"`` layout, same shape, against
    :class:`embedkit.rotary.RoPE` (tolerance 1e-5: float32 angles are fine up to position 1,000)."""
    return grade("RoPE on a head", fn, _rope_reference, _ROPE_CASES, mistakes=_ROPE_MISTAKES,
                 compare=partial(compare_arrays, rtol=1e-5, atol=1e-5),
                 hint="rotate one pair by hand with your rotate_pair and compare it with the channels your "
                      "function writes for that pair.")


# -- YaRN's ramp ----------------------------------------------------------------------------------------

def _yarn_scaling(factor, length, beta_fast, beta_slow) -> dict:
    return {"factor": factor, "original_max_position_embeddings": length, "beta_fast": beta_fast,
            "beta_slow": beta_slow}


def _yarn_ramp_reference(dim: int, base: float, factor: float, original_max_position_embeddings: int,
                         beta_fast: float = 32, beta_slow: float = 1) -> torch.Tensor:
    """The ramp ``r_i`` of :func:`embedkit.rotary.yarn`, read back from the frequencies it returns:
    ``θ'_i = θ_i·(1 − r_i) + (θ_i / s)·r_i``, so ``r_i = (1 − θ'_i/θ_i) / (1 − 1/s)`` (``s > 1``)."""
    inv_freq = rotary.inverse_frequencies(dim, base)
    scaled, _ = rotary.yarn(inv_freq, dim, base,
                            _yarn_scaling(factor, original_max_position_embeddings, beta_fast, beta_slow))
    return (1 - scaled / inv_freq) / (1 - 1 / factor)


def _ramp(dim, base, low, high) -> torch.Tensor:
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    return ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)


def _pair_for(turns, dim, base, length, *, two_pi=True):
    return dim * math.log(length / (turns * (2 * math.pi if two_pi else 1.0))) / (2 * math.log(base))


def _ramp_reversed(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    return 1 - _yarn_ramp_reference(dim, base, factor, original_max_position_embeddings, beta_fast, beta_slow)


def _ramp_radians(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    length = original_max_position_embeddings
    low = math.floor(_pair_for(beta_fast, dim, base, length, two_pi=False))
    high = math.ceil(_pair_for(beta_slow, dim, base, length, two_pi=False))
    return _ramp(dim, base, low, high)


def _ramp_wavelengths(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    # the pair whose wavelength 2π/θ_i equals β, instead of the pair that turns β times in L
    def pair(wavelength):
        return dim * math.log(wavelength / (2 * math.pi)) / (2 * math.log(base))
    return _ramp(dim, base, math.floor(pair(beta_fast)), math.ceil(pair(beta_slow)))


def _ramp_untruncated(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    length = original_max_position_embeddings
    return _ramp(dim, base, _pair_for(beta_fast, dim, base, length), _pair_for(beta_slow, dim, base, length))


def _ramp_clipped_to_pairs(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    length = original_max_position_embeddings
    low = max(math.floor(_pair_for(beta_fast, dim, base, length)), 0)
    high = min(math.ceil(_pair_for(beta_slow, dim, base, length)), dim // 2 - 1)
    return _ramp(dim, base, low, high)


_YARN_CASES = [
    Case("head_dim 128, base 10,000, factor 4, 4,096 positions", (128, 10000.0, 4.0, 4096)),
    Case("head_dim 64, base 10,000, factor 8, 2,048 positions", (64, 10000.0, 8.0, 2048)),
    Case("head_dim 128, base 500,000, factor 8, 8,192 positions", (128, 500000.0, 8.0, 8192)),
    Case("head_dim 128, factor 16, beta_fast 16, beta_slow 2", (128, 10000.0, 16.0, 4096),
         {"beta_fast": 16, "beta_slow": 2}),
    Case("head_dim 32, base 10,000, factor 2, 512 positions", (32, 10000.0, 2.0, 512)),
    Case("a long original context: head_dim 64, 131,072 positions", (64, 10000.0, 4.0, 131072)),
    Case("edge: a short original context (64 positions), head_dim 16", (16, 10000.0, 4.0, 64)),
    Case("edge: head_dim 2 (a single pair)", (2, 10000.0, 4.0, 4096)),
]

_YARN_MISTAKES = [
    Mistake(_ramp_reversed,
            "your ramp is reversed: r = 0 for the fast pairs (they keep θ_i) and r = 1 for the slow ones "
            "(θ_i / s); pair indices grow towards the slow end."),
    Mistake(_ramp_radians,
            "β counts full turns, not radians: the pair that turns β times in L positions has L·θ_i / (2π) = β."),
    Mistake(_ramp_wavelengths,
            "β is a number of turns in the original context, L·θ_i / (2π) = L / λ_i, not a wavelength: solve "
            "L / λ_i = β for i, not λ_i = β."),
    Mistake(_ramp_untruncated,
            "the reference code floors the fast bound and ceils the slow one before the ramp, so the ramp "
            "runs between whole pair indices."),
    Mistake(_ramp_clipped_to_pairs,
            "the reference code clips the bounds to [0, dim − 1] (the channel count, as YaRN's code does), "
            "not to the last pair index dim/2 − 1."),
]


def yarn_ramp(fn) -> Result:
    """Grade ``fn(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1)``, YaRN's
    ramp ``r_i`` for the ``dim // 2`` pairs (0: keep ``θ_i``; 1: interpolate, ``θ_i / s``), against the
    ramp inside :func:`embedkit.rotary.yarn`."""
    return grade("YaRN ramp", fn, _yarn_ramp_reference, _YARN_CASES, mistakes=_YARN_MISTAKES,
                 compare=partial(compare_arrays, rtol=1e-9, atol=1e-9),
                 hint="print the two bounds: the (fractional) pair index i with L·θ_i / (2π) = β_fast, floored, "
                      "and the one for β_slow, ceiled.")


# -- dynamic NTK's base ---------------------------------------------------------------------------------

def _ntk_reference(base: float, dim: int, factor: float, original_max_position_embeddings: int,
                   seq_len: int | None) -> float:
    return rotary.dynamic_ntk_base(base, dim, factor, original_max_position_embeddings, seq_len)


def _ntk_no_max(base, dim, factor, original_max_position_embeddings, seq_len):
    length = original_max_position_embeddings
    current = length if seq_len is None else seq_len
    return base * ((factor * current / length) - (factor - 1)) ** (dim / (dim - 2))


def _ntk_inverted_exponent(base, dim, factor, original_max_position_embeddings, seq_len):
    length = original_max_position_embeddings
    current = length if seq_len is None else max(seq_len, length)
    return base * ((factor * current / length) - (factor - 1)) ** ((dim - 2) / dim)


def _ntk_no_exponent(base, dim, factor, original_max_position_embeddings, seq_len):
    length = original_max_position_embeddings
    current = length if seq_len is None else max(seq_len, length)
    return base * ((factor * current / length) - (factor - 1))


def _ntk_no_offset(base, dim, factor, original_max_position_embeddings, seq_len):
    length = original_max_position_embeddings
    current = length if seq_len is None else max(seq_len, length)
    return base * (factor * current / length) ** (dim / (dim - 2))


def _ntk_static(base, dim, factor, original_max_position_embeddings, seq_len):
    return base * factor ** (dim / (dim - 2))


_NTK_CASES = [
    Case("base 10,000, head_dim 128, factor 4, L 4,096, 16,384 tokens", (10000.0, 128, 4.0, 4096, 16384)),
    Case("base 10,000, head_dim 128, factor 4, L 4,096, 8,192 tokens", (10000.0, 128, 4.0, 4096, 8192)),
    Case("base 500,000, head_dim 64, factor 8, L 8,192, 65,536 tokens", (500000.0, 64, 8.0, 8192, 65536)),
    Case("base 10,000, head_dim 128, factor 2, L 2,048, 3,000 tokens", (10000.0, 128, 2.0, 2048, 3000)),
    Case("edge: head_dim 4 (exponent 2)", (10000.0, 4, 4.0, 1024, 4096)),
    Case("edge: a sequence shorter than L (100 tokens)", (10000.0, 128, 4.0, 4096, 100)),
    Case("edge: no sequence yet (seq_len None)", (10000.0, 128, 4.0, 4096, None)),
]

_NTK_MISTAKES = [
    Mistake(_ntk_static,
            "that is the static NTK-aware base, base·s^(d/(d−2)); the dynamic base reads the sequence length ℓ: "
            "base·(s·max(ℓ, L)/L − (s − 1))^(d/(d−2))."),
    Mistake(_ntk_no_max,
            "a sequence shorter than L must leave the base unchanged: use max(ℓ, L), not ℓ."),
    Mistake(_ntk_inverted_exponent, "the exponent is d/(d − 2), not (d − 2)/d."),
    Mistake(_ntk_no_exponent, "you left out the exponent d/(d − 2)."),
    Mistake(_ntk_no_offset,
            "subtract s − 1 inside the brackets: at ℓ = L the base must stay the same (s·L/L − (s − 1) = 1)."),
]


def _as_real(value) -> float | None:
    """A real number from a float, a 0-d tensor or array; ``None`` for a complex or non-finite one."""
    if isinstance(value, complex):
        return None
    number = as_array(value)
    if number is None or number.shape != () or not np.isfinite(number):
        return None
    return float(number)


def _compare_base(expected, got) -> str | None:
    """:func:`compare_arrays` for one number, where a mistake's output may be complex: Python's
    ``(negative) ** 0.5`` is a complex number, numpy's and torch's are NaN. Two non-real numbers match
    (so the mistake that made them is recognised)."""
    want, have = _as_real(expected), _as_real(got)
    if want is None and have is None:
        return None
    if have is None:
        array = None if isinstance(got, complex) else as_array(got)
        if array is not None and array.dtype != object and array.shape != ():
            return compare_arrays(want, got)  # says which shape came
        return f"expected the real number {float(expected):.6g}, got {got!r}"
    if want is None:
        return f"expected no real number (that mistake gives {expected!r}), got {have:.6g}"
    return compare_arrays(want, have, rtol=1e-9, atol=0.0)


def ntk_base(fn) -> Result:
    """Grade ``fn(base, dim, factor, original_max_position_embeddings, seq_len)``, dynamic NTK's enlarged base
    for a sequence of ``seq_len`` tokens (``None``: the original length), a float, against
    :func:`embedkit.rotary.dynamic_ntk_base`."""
    return grade("dynamic NTK base", fn, _ntk_reference, _NTK_CASES, mistakes=_NTK_MISTAKES,
                 compare=_compare_base,
                 hint="at seq_len = L your base must equal the original one; check that first.")
