"""Sinusoidal position encodings (Vaswani et al., 2017): fixed sines and cosines added to the input.

:func:`sinusoidal_frequencies` is the one place the frequencies ``ω_i = base^(-2i/d)`` are written (RoPE's
``θ_i`` in :mod:`embedkit.rotary` are the same numbers). :func:`sinusoidal` builds the table; the two facts
that make sinusoids attractive are :func:`shift_matrix` (a shift by ``k`` positions is a fixed block rotation)
and :func:`sinusoidal_dot` (the dot product of two encodings depends only on their offset).
:class:`SinusoidalPositions` is the same table as a position scheme that adds to the input.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .. import checks
from .indices import as_positions, integer_tensor

__all__ = ["SinusoidalPositions", "shift_matrix", "sinusoidal", "sinusoidal_dot", "sinusoidal_frequencies"]


def _check_dim(dim) -> int:
    checks.integer("dim", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim must be even (sines and cosines come in pairs), got {dim}")
    return int(dim)


def sinusoidal_frequencies(dim: int, base: float = 10000.0) -> Tensor:
    """The ``dim // 2`` angular frequencies ``ω_i = base ** (-2i / dim)``, float64, from 1 down to just
    above ``1 / base``. Pair ``i`` repeats every ``2π / ω_i`` positions: wavelengths run from ``2π``
    (``i = 0``) towards ``base · 2π``.

    The one place this formula is written: RoPE's frequencies (:func:`embedkit.rotary.inverse_frequencies`),
    its scalings and the probes all come here. ``dim`` must be even and at least 2, ``base`` a finite
    number greater than 1.
    """
    dim = _check_dim(dim)
    base = checks.real("base", base, minimum=1, open_min=True)
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    return 1.0 / (base ** exponents)


def _encode(positions: Tensor, dim: int, base: float) -> Tensor:
    """``PE`` for float64 positions ``(seq,)``: sines in the even channels, cosines in the odd ones."""
    omega = sinusoidal_frequencies(dim, base)
    angle = positions[:, None] * omega[None, :]
    pe = torch.empty(positions.shape[0], dim, dtype=torch.float64)
    pe[:, 0::2] = angle.sin()
    pe[:, 1::2] = angle.cos()
    return pe.float()


def sinusoidal(n_positions: int, dim: int, base: float = 10000.0) -> Tensor:
    """Sinusoidal position encodings of Vaswani et al. (2017), shape
    ``(n_positions, dim)``, float32.

    ``PE[p, 2i] = sin(p · ω_i)`` and ``PE[p, 2i + 1] = cos(p · ω_i)`` with
    ``ω_i = base ** (-2i / dim)`` (:func:`sinusoidal_frequencies`). The angles are
    computed in float64 and only the result is cast, so positions in the hundreds of
    thousands are still distinct.

    Raises ``ValueError`` for a negative ``n_positions``, an odd or too small ``dim``,
    or ``base <= 1``.
    """
    checks.integer("n_positions", n_positions, minimum=0)
    return _encode(torch.arange(n_positions, dtype=torch.float64), dim, base)


class SinusoidalPositions:
    """:func:`sinusoidal` as a position scheme: ``SinusoidalPositions(dim)(positions)`` is the ``(seq, dim)``
    float32 encoding of the LongTensor ``positions`` ``(seq,)``, on the positions' device, to be added to
    the token embeddings. Nothing is learned; every position has an encoding."""

    def __init__(self, dim: int, base: float = 10000.0):
        self.dim = _check_dim(dim)
        self.base = checks.real("base", base, minimum=1, open_min=True)

    def __repr__(self) -> str:
        return f"SinusoidalPositions(dim={self.dim}, base={self.base:g})"

    def __call__(self, positions) -> Tensor:
        positions = as_positions(positions)
        return _encode(positions.cpu().to(torch.float64), self.dim, self.base).to(positions.device)


def shift_matrix(k: int, dim: int, base: float = 10000.0) -> Tensor:
    """The fixed ``(dim, dim)`` matrix ``M_k`` with
    ``sinusoidal(...)[p + k] == M_k @ sinusoidal(...)[p]`` for every position ``p``;
    float64.

    It is block diagonal: pair ``(sin pω, cos pω)`` is turned by the angle ``kω`` with
    the block ``[[cos kω, sin kω], [-sin kω, cos kω]]``, by the angle-addition formulas.
    ``M_k`` depends on ``k`` but not on ``p``: moving every token ``k`` places is one
    linear map, the same everywhere. ``k`` may be negative (``M_{-k}`` is the inverse,
    and the transpose, of ``M_k``).
    """
    k = checks.integer("k", k)
    omega = sinusoidal_frequencies(dim, base)
    c, s = torch.cos(k * omega), torch.sin(k * omega)
    m = torch.zeros(dim, dim, dtype=torch.float64)
    i = torch.arange(0, dim, 2)
    m[i, i], m[i, i + 1] = c, s
    m[i + 1, i], m[i + 1, i + 1] = -s, c
    return m


def sinusoidal_dot(offset, dim: int, base: float = 10000.0) -> Tensor:
    """``PE[p] · PE[p + offset] = Σ_i cos(offset · ω_i)`` in closed form, float64, for any ``p``.

    The dot product of two sinusoidal encodings depends only on how far apart they are (and is symmetric
    in the offset). ``offset`` is an int or an integer tensor of any shape; the result has its shape.
    """
    omega = sinusoidal_frequencies(dim, base)
    off = integer_tensor("offset", offset, expected="an integer or an integer tensor",
                         holds="integers (distances in positions)")
    off = off.to(torch.float64)
    return torch.cos(off[..., None] * omega).sum(-1)
