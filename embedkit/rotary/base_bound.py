"""The base of RoPE bounds the context length (Men et al., NeurIPS 2024): the *frequency-use* page.

Men et al. ask when a query still gives a key equal to itself more attention than a random key, at every
distance in the context. For query and key channels drawn i.i.d. with variance ``σ²`` and a key
``k* = q + noise``, the gap between the two expected scores at distance ``m`` is ``2σ²·B_m`` with

    B_m = Σ_{i=0}^{d/2−1} cos(m·θ_i),   θ_i = base^(−2i/d),

so the model can tell similar tokens from random ones at distance ``m`` only where ``B_m ≥ 0``. Their
lower bound on the base for a context of ``L`` tokens is the infimum of the bases with ``B_m ≥ 0`` for every
``m = 0 … L`` (:func:`smallest_base`).

``B_m ≥ 0 up to L`` is **not** monotone in the base: a base can pass for ``L`` while a slightly larger one
fails (``B`` is a sum of cosines whose first zero crossing jumps about as the base moves). So the search
cannot be a plain bisection over the whole range; :func:`smallest_base` scans a log grid, upward from a base
that fails, stops at the first base that passes, and bisects only inside that last step.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import checks
from .frequencies import base_inverse_frequencies, check_inv_freq

__all__ = ["decay_holds", "decay_sum", "first_negative", "smallest_base"]

_CHUNK = 8192  # distances per block: bounded memory (chunk × pairs float64) and an early exit on failure


def decay_sum(distances, inv_freq) -> np.ndarray:
    """``B_m = Σ_i cos(m·θ_i)`` (Men et al. 2024) for each distance ``m``: float64 ``(n,)``.

    ``distances``: a 1-D sequence of numbers; ``inv_freq``: the ``θ_i``, a 1-D float tensor ``(pairs,)``.
    ``B_0`` is the number of pairs.
    """
    if isinstance(distances, torch.Tensor):
        distances = distances.detach().cpu().numpy()
    m = checks.array("distances", distances, ndim=1).astype(np.float64)
    theta = check_inv_freq(inv_freq).detach().cpu().to(torch.float64).numpy()
    return np.cos(m[:, None] * theta[None, :]).sum(axis=1)


def first_negative(inv_freq, limit: int) -> int | None:
    """The smallest distance ``m`` in ``0 … limit`` with ``B_m < 0``, or ``None`` if there is none.

    Computed in blocks of distances, so a failing set of frequencies stops at its first negative sum.
    """
    theta = check_inv_freq(inv_freq).detach().cpu().to(torch.float64).numpy()
    limit = checks.integer("limit", limit, minimum=0)
    return _first_negative(theta, limit)


def _first_negative(theta: np.ndarray, limit: int) -> int | None:
    start, size = 0, 256  # blocks grow to _CHUNK: most failing bases fail early
    while start <= limit:
        m = np.arange(start, min(limit + 1, start + size), dtype=np.float64)
        negative = np.flatnonzero(np.cos(m[:, None] * theta[None, :]).sum(axis=1) < 0)
        if negative.size:
            return start + int(negative[0])
        start, size = start + size, min(2 * size, _CHUNK)
    return None


def decay_holds(head_dim: int, base: float, context_length: int) -> bool:
    """True if ``B_m ≥ 0`` for every ``m = 0 … context_length`` with ``θ_i = base^(−2i/head_dim)``."""
    theta = base_inverse_frequencies(head_dim, base).numpy()
    context_length = checks.integer("context_length", context_length, minimum=1)
    return _first_negative(theta, context_length) is None


def smallest_base(head_dim: int, context_length: int, *, per_decade: int = 100,
                  rtol: float = 1e-4) -> float:
    """Men et al.'s lower bound: the smallest base with ``B_m ≥ 0`` for all
    ``m = 0 … context_length``.

    Args:
        head_dim: channels per head (even, ≥ 4: with one pair, ``B_m = cos m``
            fails at ``m = 2`` for any base).
        context_length: ``L``, the longest distance that must pass.
        per_decade: grid points per factor 10 of the base. The first passing grid
            point is bisected against the failing point before it; a window of
            passing bases narrower than one grid step below it is missed (the tests
            compare with a denser scan).
        rtol: relative width of the final bisection bracket.

    Returns the upper end of the final bracket (a base that passes), as a float.
    """
    head_dim = checks.integer("head_dim", head_dim, minimum=4)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even, got {head_dim}")
    context_length = checks.integer("context_length", context_length, minimum=2)
    per_decade = checks.integer("per_decade", per_decade, minimum=1)
    rtol = checks.real("rtol", rtol, minimum=0, maximum=1, open_min=True, open_max=True)

    def passes(log_base: float) -> bool:
        theta = base_inverse_frequencies(head_dim, 10.0**log_base).numpy()
        return _first_negative(theta, context_length) is None

    # θ_0 = 1 whatever the base, so B_2 < 0 as long as the other pairs are fast too:
    # a base near 1 always fails, and the scan starts there
    step = 1.0 / per_decade
    low = math.log10(1.0 + 1e-9)
    high = low + step
    while not passes(high):
        low, high = high, high + step
        if high > 30:  # θ_1 = base^(−2/d) is far below 1/L long before this
            raise ValueError(f"no base up to 1e30 keeps B_m >= 0 up to "
                             f"{context_length} with head_dim {head_dim}")
    while high - low > math.log10(1 + rtol):  # bisect inside the last grid step
        mid = 0.5 * (low + high)
        if passes(mid):
            high = mid
        else:
            low = mid
    return 10.0**high
