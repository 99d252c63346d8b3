"""RoPE's frequencies and angles: ``θ_i = base^(-2i/d)``, the angles ``m·θ_i`` in float64, their cos and sin.

The first step of the chapter's *implementation* page. The frequencies are the sinusoidal encodings' own
(:func:`embedkit.positions.sinusoidal_frequencies`, the one place the formula is written), taken over the
rotated channels ``d = rotary_dim(head_dim, rotary_fraction)``.
"""

from __future__ import annotations

import torch

from .. import checks
from ..positions import as_positions, sinusoidal_frequencies

__all__ = ["MAX_POSITIONS", "angles", "base_inverse_frequencies", "cos_sin", "inverse_frequencies", "rotary_dim",
           "wavelengths"]

MAX_POSITIONS = 2**53
"""Largest position count (``max_positions``, a context length) accepted: positions and angles are float64,
exact for integers up to 2**53."""


def rotary_dim(head_dim: int, rotary_fraction: float = 1.0) -> int:
    """Number of rotated channels: ``int(head_dim * rotary_fraction)`` (as GPT-NeoX and Hugging Face round it).

    Raises ``ValueError`` if ``head_dim`` is not a positive even integer, the fraction is outside ``(0, 1]``,
    or the rotated part is not a positive even number of channels.
    """
    head_dim = checks.integer("head_dim", head_dim, minimum=1)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even (channels are rotated in pairs), got {head_dim}")
    rotary_fraction = checks.real("rotary_fraction", rotary_fraction, minimum=0, maximum=1, open_min=True)
    dim = int(head_dim * rotary_fraction)
    if dim < 2 or dim % 2:
        raise ValueError(
            f"rotary_fraction={rotary_fraction} of head_dim={head_dim} rotates {dim} channels; it must be a positive even number"
        )
    return dim



def base_inverse_frequencies(dim: int, base: float = 10000.0) -> torch.Tensor:
    """``θ_i = base**(-2i/dim)`` for ``i = 0 … dim/2 − 1``: float64 tensor of shape ``(dim // 2,)``.

    ``dim`` is the number of rotated channels (the head dimension, or less with partial rotary); it must be
    even and positive, and ``base`` a finite number greater than 1. The numbers are
    :func:`embedkit.positions.sinusoidal_frequencies`; only the error messages speak of rotated channels.
    """
    dim = checks.integer("dim (the number of rotated channels)", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim (the number of rotated channels) must be even (channels turn in pairs), got {dim}")
    checks.real("base", base, minimum=1, open_min=True)
    return sinusoidal_frequencies(dim, base)


def inverse_frequencies(head_dim: int, base: float = 10000.0, *, rotary_fraction: float = 1.0) -> torch.Tensor:
    """``θ_i = base**(-2i/d)`` for the ``d = rotary_dim(head_dim, rotary_fraction)`` rotated channels.

    Returns a float64 tensor of shape ``(d // 2,)``. With partial rotary the exponent's denominator is the
    rotated dimension ``d`` (GPT-NeoX ``rotary_pct``, Hugging Face ``partial_rotary_factor``), not ``head_dim``.
    """
    return base_inverse_frequencies(rotary_dim(head_dim, rotary_fraction), base)



def check_inv_freq(inv_freq) -> torch.Tensor:
    inv_freq = checks.tensor("inv_freq", inv_freq, ndim=1, floating=True, finite=True)
    if inv_freq.numel() and bool((inv_freq < 0).any()):
        raise ValueError(f"inv_freq must be >= 0 (angular frequencies), got a minimum of {float(inv_freq.min())}")
    return inv_freq



def check_dtype(dtype) -> None:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {checks.describe(dtype)}")



def wavelengths(inv_freq: torch.Tensor) -> torch.Tensor:
    """``λ_i = 2π / θ_i``: the number of positions pair ``i`` needs for one full turn (``inf`` for θ = 0)."""
    return 2 * torch.pi / check_inv_freq(inv_freq)


def angles(positions, inv_freq: torch.Tensor) -> torch.Tensor:
    """``m·θ_i`` for every position ``m`` and pair ``i``: float64 tensor
    ``(seq, pairs)``.

    Computed in float64 whatever the model's dtype: in bfloat16 the representable
    numbers near 2048 are 16 apart, so positions themselves would collapse; in float32
    the angle of a fast pair at position 100,000 would be off by about 0.004 rad.
    """
    positions = as_positions(positions)
    inv_freq = check_inv_freq(inv_freq)
    return (
        positions.to(torch.float64)[:, None]
        * inv_freq.to(device=positions.device, dtype=torch.float64)[None, :]
    )


def cos_sin(
    positions,
    inv_freq: torch.Tensor,
    *,
    attention_factor: float = 1.0,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(attention_factor·cos(mθ_i), attention_factor·sin(mθ_i))``, each
    ``(seq, pairs)``, cast to ``dtype``.

    The angles are computed in float64 (:func:`angles`); only the results are cast.
    ``attention_factor`` (YaRN, LongRoPE) multiplies both, as Hugging Face does, so a
    query–key logit grows by its square.
    """
    attention_factor = checks.real(
        "attention_factor", attention_factor, minimum=0, open_min=True
    )
    check_dtype(dtype)
    a = angles(positions, inv_freq)
    return (
        (a.cos() * attention_factor).to(dtype),
        (a.sin() * attention_factor).to(dtype),
    )

