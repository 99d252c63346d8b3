"""The context-extension methods of the *extension* page, one function each: how each changes RoPE's
inverse frequencies ``θ_i`` (and, for YaRN and LongRoPE, the attention logits).

==================  =======================================================================  ======================
``rope_type``       inverse frequency of pair ``i``                                          attention factor
==================  =======================================================================  ======================
``default``         ``θ_i = base**(-2i/d)``                                                  1
``linear``          ``θ_i / s`` (position interpolation, Chen et al. 2023)                   1
``dynamic``         ``θ_i`` recomputed with ``base·(s·L'/L − (s − 1))**(d/(d−2))``,          1
                    ``L' = max(seq_len, L)`` (dynamic NTK)
``yarn``            per pair, a linear ramp between ``θ_i / s`` and ``θ_i`` (Peng et al.)    ``0.1·ln s + 1``
``llama3``          ``θ_i`` for short wavelengths, ``θ_i / s`` for long ones, a smooth       1
                    blend in between (Llama 3.1)
``longrope``        ``θ_i`` divided by a per-pair factor (short or long set)                 ``√(1 + ln s / ln L)``
``proportional``    the first ``int(p·d/2)`` pairs: ``base**(-2i/d) / s`` (the exponent      1
                    over the whole head); the other pairs do not turn (Gemma-style)
==================  =======================================================================  ======================

``s`` is the ``factor`` and ``L`` the ``original_max_position_embeddings``. Each method is registered, with
the keys it reads, in :data:`embedkit.rotary.scaling.SCALINGS`; :func:`embedkit.rotary.scaled_inverse_frequencies`
looks it up there. Frequencies are computed in float64 and returned as float64 tensors of shape ``(dim // 2,)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from .. import checks
from .frequencies import base_inverse_frequencies

__all__ = ["dynamic_ntk_base", "linear", "llama3", "longrope", "proportional", "yarn"]


def linear(inv_freq: torch.Tensor, factor: float) -> torch.Tensor:
    """Position interpolation (Chen et al. 2023): every frequency divided by ``factor``.

    Equivalent to feeding positions ``m / factor``: ``s·L`` positions are squeezed into the ``L`` seen in
    training. The price is resolution: neighbouring tokens are ``factor`` times closer in angle.
    """
    return inv_freq / checks.real("factor", factor, minimum=1)


def dynamic_ntk_base(base: float, dim: int, factor: float, original_max_position_embeddings: int, seq_len: int | None) -> float:
    """The enlarged base of dynamic NTK scaling for a sequence of ``seq_len`` positions.

    ``base · (s·L'/L − (s − 1))**(dim/(dim − 2))`` with ``L' = max(seq_len, L)``: equal to ``base`` up to the
    original length and growing with the sequence after it, so short inputs are untouched.

    Undefined for ``dim = 2`` (the exponent divides by ``dim − 2``), where it is also not needed: the single
    pair has ``θ_0 = base**0 = 1`` whatever the base, and :func:`~embedkit.rotary.scaling.scaled_inverse_frequencies` returns that.
    """
    base = checks.real("base", base, minimum=1, open_min=True)
    dim = checks.integer("dim", dim, minimum=2)
    if dim == 2:
        raise ValueError("dynamic NTK's base is undefined for dim=2 (exponent dim/(dim - 2)); the single pair "
                         "turns at θ_0 = 1 for every base, so the base need not change")
    factor = checks.real("factor", factor, minimum=1)
    length = checks.integer("original_max_position_embeddings", original_max_position_embeddings, minimum=2)
    current = length if seq_len is None else max(checks.integer("seq_len", seq_len, minimum=0), length)
    return base * ((factor * current / length) - (factor - 1)) ** (dim / (dim - 2))


def yarn(
    inv_freq: torch.Tensor, dim: int, base: float, scaling: Mapping
) -> tuple[torch.Tensor, float]:
    """YaRN (Peng et al. 2023): interpolate the slow pairs, keep the fast ones, ramp in
    between.

    A pair that turns more than ``beta_fast`` (32) times over the original context keeps
    ``θ_i`` (extrapolation is safe: it has seen every angle); one that turns fewer than
    ``beta_slow`` (1) times gets ``θ_i / s`` (interpolation); the pair indices between
    the two bounds, found by solving ``L·θ_i / 2π = β`` for ``i`` (floored and ceiled,
    clipped to ``[0, dim − 1]`` as in the reference code), get a linear blend. The
    attention factor ``0.1·ln s + 1`` (or the ``mscale`` ratio) multiplies cos and sin,
    so the logits grow by its square, offsetting the flatter attention of long contexts.
    """
    factor = float(scaling["factor"])
    length = scaling["original_max_position_embeddings"]
    beta_fast = scaling.get("beta_fast") or 32
    beta_slow = scaling.get("beta_slow") or 1

    def mscale(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    attention_factor = scaling.get("attention_factor")
    if attention_factor is None:
        if scaling.get("mscale") and scaling.get("mscale_all_dim"):
            attention_factor = mscale(factor, scaling["mscale"]) / mscale(
                factor, scaling["mscale_all_dim"]
            )
        else:
            attention_factor = mscale(factor)

    # the (fractional) pair index that turns `rotations` times in L
    def pair_for(rotations: float) -> float:
        return dim * math.log(length / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low, high = pair_for(beta_fast), pair_for(beta_slow)
    if scaling.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = (
        (torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)
    ).clamp(0, 1)
    # ramp = 0: fast pair, keep θ_i; ramp = 1: slow pair, θ_i / s
    return inv_freq * (1 - ramp) + (inv_freq / factor) * ramp, float(attention_factor)


def llama3(inv_freq: torch.Tensor, scaling: Mapping) -> torch.Tensor:
    """Llama 3.1's scaling: sort pairs by wavelength ``λ_i = 2π/θ_i`` against the
    original context ``L``.

    ``λ_i < L/high_freq_factor``: unchanged; ``λ_i > L/low_freq_factor``: divided by
    ``factor``; in between, a blend with weight ``(L/λ_i − low)/(high − low)`` on the
    unchanged frequency.
    """
    factor = float(scaling["factor"])
    low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
    length = scaling["original_max_position_embeddings"]
    wavelength = 2 * math.pi / inv_freq
    smooth = (length / wavelength - low) / (high - low)
    blended = (1 - smooth) * inv_freq / factor + smooth * inv_freq
    out = torch.where(wavelength > length / low, inv_freq / factor, blended)
    return torch.where(wavelength < length / high, inv_freq, out)


def longrope(inv_freq: torch.Tensor, scaling: Mapping, seq_len: int | None) -> tuple[torch.Tensor, float]:
    """LongRoPE (Ding et al. 2024): per-pair factors found by search; the long set beyond ``L``."""
    length = scaling["original_max_position_embeddings"]
    long = seq_len is not None and seq_len > length
    factors = torch.as_tensor(scaling["long_factor" if long else "short_factor"], dtype=torch.float64)
    if factors.shape != inv_freq.shape:
        raise ValueError(f"longrope factors must have one value per pair ({inv_freq.shape[0]}), got {tuple(factors.shape)}")
    attention_factor = scaling.get("attention_factor")
    if attention_factor is None:
        factor = scaling["factor"]  # given, or derived by from_hugging_face as Hugging Face does
        attention_factor = 1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(length))
    return inv_freq / factors, float(attention_factor)


def proportional(dim: int, base: float, scaling: Mapping) -> torch.Tensor:
    """Proportional RoPE (Hugging Face ``"proportional"``): ``dim // 2`` frequencies, the first
    ``int(p·dim // 2)`` being ``base**(-2i/dim) / factor`` (the exponent over the whole head, unlike partial
    rotary) and the rest 0, so those pairs never turn. ``p`` is ``partial_rotary_factor``."""
    fraction = scaling.get("partial_rotary_factor")
    fraction = 1.0 if fraction is None else fraction
    factor = scaling.get("factor")
    factor = 1.0 if factor is None else factor
    turning = int(fraction * dim // 2)
    inv_freq = torch.zeros(dim // 2, dtype=torch.float64)
    inv_freq[:turning] = base_inverse_frequencies(dim, base)[:turning] / factor
    return inv_freq
