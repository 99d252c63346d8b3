"""The slow, obviously correct RoPE of the *derivation* page: each pair as a complex number times ``e^{i m θ_i}``."""

from __future__ import annotations

import torch

from .. import checks
from ..positions import as_positions
from .frequencies import angles, check_inv_freq
from .layouts import _halves, check_layout

__all__ = ["rotate_reference"]


def rotate_reference(
    x: torch.Tensor,
    positions,
    inv_freq: torch.Tensor,
    *,
    layout: str = "half",
    attention_factor: float = 1.0,
) -> torch.Tensor:
    """The slow, obviously correct RoPE: each pair as a complex number times
    ``e^{i m θ_i}``, in float64.

    ``x``: ``(..., seq, head_dim)``; returns float64 of the same shape. Channels beyond
    ``2·len(inv_freq)`` pass through. Used to check :func:`apply`; not meant to be fast.
    """
    check_layout(layout)
    x = checks.tensor("x", x, min_ndim=2, floating=True)
    inv_freq = check_inv_freq(inv_freq)
    attention_factor = checks.real(
        "attention_factor", attention_factor, minimum=0, open_min=True
    )
    if 2 * inv_freq.shape[0] > x.shape[-1]:
        raise ValueError(
            f"inv_freq has {inv_freq.shape[0]} pairs "
            f"({2 * inv_freq.shape[0]} channels) but x has only "
            f"{x.shape[-1]} (shape {tuple(x.shape)})"
        )
    positions = as_positions(positions)
    if positions.shape[0] != x.shape[-2]:
        raise ValueError(
            f"got {positions.shape[0]} positions for a sequence of {x.shape[-2]} "
            f"(x has shape {tuple(x.shape)})"
        )
    x = x.to(torch.float64)
    pairs = inv_freq.shape[0]
    first, second = _halves(x, layout, pairs)
    z = torch.complex(first, second)  # pair i as the complex number x + iy
    turn = angles(positions, inv_freq).to(x.device)
    # times r·e^{i m θ_i}
    z = z * torch.polar(torch.full_like(turn, attention_factor), turn)
    out = x.clone()
    a, b = _halves(out, layout, pairs)
    a.copy_(z.real)
    b.copy_(z.imag)
    return out
