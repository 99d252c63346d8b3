"""Context extension for RoPE: how each scaling method changes the inverse frequencies.

A RoPE model trained on ``L`` positions has never seen a rotation angle larger than ``(L - 1)·θ_i`` in pair
``i``. To run it on ``s·L`` positions, every method here changes the inverse frequencies ``θ_i`` (and YaRN
and LongRoPE also scale the attention logits) so that the angles a long context produces look like angles
the model already knows:

=============  =====================================================================  ======================
``rope_type``  inverse frequency of pair ``i``                                        attention factor
=============  =====================================================================  ======================
``default``    ``θ_i = base**(-2i/d)``                                                1
``linear``     ``θ_i / s`` (position interpolation, Chen et al. 2023)                 1
``dynamic``    ``θ_i`` recomputed with ``base·(s·L'/L − (s − 1))**(d/(d−2))``,        1
               ``L' = max(seq_len, L)`` (dynamic NTK)
``yarn``       per pair, a linear ramp between ``θ_i / s`` and ``θ_i`` (Peng et al.)  ``0.1·ln s + 1``
``llama3``     ``θ_i`` for short wavelengths, ``θ_i / s`` for long ones, a smooth     1
               blend in between (Llama 3.1)
``longrope``   ``θ_i`` divided by a per-pair factor (short or long set)               ``√(1 + ln s / ln L)``
=============  =====================================================================  ======================

The ``scaling`` dictionaries use the keys of Hugging Face ``transformers``' ``config.rope_parameters``
(``rope_type``, ``factor``, ``original_max_position_embeddings``, ``beta_fast``, …), and the results equal
its ``ROPE_INIT_FUNCTIONS`` for the same configuration (``tests/test_rope_scaling.py``). One deliberate
difference: for ``dynamic`` Hugging Face reads the original context length from
``config.max_position_embeddings``; here it is ``original_max_position_embeddings``, as for every other type.

Frequencies are computed in float64 and returned as float64 tensors of shape ``(dim // 2,)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

SCALING_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope")
"""The ``rope_type`` values :func:`scaled_inverse_frequencies` understands."""

_REQUIRED = {
    "default": (),
    "linear": ("factor",),
    "dynamic": ("factor", "original_max_position_embeddings"),
    "yarn": ("factor", "original_max_position_embeddings"),
    "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"),
    "longrope": ("original_max_position_embeddings", "short_factor", "long_factor"),
}
_OPTIONAL = {
    "default": (),
    "linear": (),
    "dynamic": (),
    "yarn": ("attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"),
    "llama3": (),
    "longrope": ("factor", "attention_factor"),
}
# Keys that may appear in a Hugging Face ``rope_parameters`` dict and are handled by the caller (RoPE).
_PASSED_THROUGH = ("rope_type", "rope_theta", "partial_rotary_factor")


def base_inverse_frequencies(dim: int, base: float = 10000.0) -> torch.Tensor:
    """``θ_i = base**(-2i/dim)`` for ``i = 0 … dim/2 − 1``: float64 tensor of shape ``(dim // 2,)``.

    ``dim`` is the number of rotated channels (the head dimension, or less with partial rotary); it must be
    even and positive, and ``base`` must be greater than 1.
    """
    if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0 or dim % 2:
        raise ValueError(f"dim (the number of rotated channels) must be a positive even integer, got {dim!r}")
    if not base > 1:
        raise ValueError(f"base must be greater than 1, got {base!r}")
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    return 1.0 / (float(base) ** exponents)


def check_scaling(scaling: Mapping | None) -> dict:
    """Validate a ``scaling`` dict and return a plain copy (``{"rope_type": "default"}`` for ``None``).

    Raises ``ValueError`` naming the unknown ``rope_type``, a missing parameter, an unknown key or a value
    out of range, and ``TypeError`` if ``scaling`` is not a mapping.
    """
    if scaling is None:
        return {"rope_type": "default"}
    if not isinstance(scaling, Mapping):
        raise TypeError(f"scaling must be a dict like {{'rope_type': 'linear', 'factor': 4.0}} or None, got {type(scaling).__name__}")
    scaling = dict(scaling)
    if "rope_type" not in scaling:
        hint = " (transformers 4.x called it 'type'; 5.x uses 'rope_type')" if "type" in scaling else ""
        raise ValueError(f"scaling needs a 'rope_type', one of {', '.join(SCALING_TYPES)}{hint}; got keys {sorted(scaling)}")
    kind = scaling["rope_type"]
    if kind not in SCALING_TYPES:
        raise ValueError(f"unknown scaling rope_type {kind!r}; expected one of {', '.join(SCALING_TYPES)}")
    missing = [k for k in _REQUIRED[kind] if scaling.get(k) is None]
    if missing:
        raise ValueError(f"scaling rope_type {kind!r} needs {', '.join(repr(k) for k in missing)}; got keys {sorted(scaling)}")
    allowed = set(_REQUIRED[kind]) | set(_OPTIONAL[kind]) | set(_PASSED_THROUGH)
    unknown = sorted(set(scaling) - allowed)
    if unknown:
        raise ValueError(f"scaling rope_type {kind!r} does not use {', '.join(repr(k) for k in unknown)}; it takes {sorted(allowed - {'rope_type'})}")
    factor = scaling.get("factor")
    if factor is not None and not factor >= 1:
        raise ValueError(f"scaling factor must be >= 1 (the context is stretched, not shrunk), got {factor!r}")
    original = scaling.get("original_max_position_embeddings")
    if original is not None and (not isinstance(original, int) or original < 2):
        raise ValueError(f"original_max_position_embeddings must be an integer >= 2, got {original!r}")
    if kind == "llama3" and not scaling["high_freq_factor"] > scaling["low_freq_factor"]:
        raise ValueError(
            f"llama3 scaling needs high_freq_factor > low_freq_factor, got {scaling['high_freq_factor']!r} and {scaling['low_freq_factor']!r}"
        )
    return scaling


# -- the methods, one function each ------------------------------------------------------------------

def linear(inv_freq: torch.Tensor, factor: float) -> torch.Tensor:
    """Position interpolation (Chen et al. 2023): every frequency divided by ``factor``.

    Equivalent to feeding positions ``m / factor``: ``s·L`` positions are squeezed into the ``L`` seen in
    training. The price is resolution: neighbouring tokens are ``factor`` times closer in angle.
    """
    return inv_freq / factor


def dynamic_ntk_base(base: float, dim: int, factor: float, original_max_position_embeddings: int, seq_len: int | None) -> float:
    """The enlarged base of dynamic NTK scaling for a sequence of ``seq_len`` positions.

    ``base · (s·L'/L − (s − 1))**(dim/(dim − 2))`` with ``L' = max(seq_len, L)``: equal to ``base`` up to the
    original length and growing with the sequence after it, so short inputs are untouched.
    """
    length = original_max_position_embeddings
    current = length if seq_len is None else max(int(seq_len), length)
    return base * ((factor * current / length) - (factor - 1)) ** (dim / (dim - 2))


def yarn(inv_freq: torch.Tensor, dim: int, base: float, scaling: Mapping) -> tuple[torch.Tensor, float]:
    """YaRN (Peng et al. 2023): interpolate the slow pairs, keep the fast ones, ramp in between.

    A pair that turns more than ``beta_fast`` (32) times over the original context keeps ``θ_i``
    (extrapolation is safe: it has seen every angle); one that turns fewer than ``beta_slow`` (1) times gets
    ``θ_i / s`` (interpolation); the pair indices between the two bounds, found by solving
    ``L·θ_i / 2π = β`` for ``i`` (floored and ceiled, clipped to ``[0, dim − 1]`` as in the reference code),
    get a linear blend. The attention factor ``0.1·ln s + 1`` (or the ``mscale`` ratio) multiplies cos and
    sin, so the logits grow by its square, offsetting the flatter attention of long contexts.
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
            attention_factor = mscale(factor, scaling["mscale"]) / mscale(factor, scaling["mscale_all_dim"])
        else:
            attention_factor = mscale(factor)

    def pair_for(rotations: float) -> float:  # the (fractional) pair index that turns `rotations` times in L
        return dim * math.log(length / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low, high = pair_for(beta_fast), pair_for(beta_slow)
    if scaling.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    # ramp = 0: fast pair, keep θ_i; ramp = 1: slow pair, θ_i / s
    return inv_freq * (1 - ramp) + (inv_freq / factor) * ramp, float(attention_factor)


def llama3(inv_freq: torch.Tensor, scaling: Mapping) -> torch.Tensor:
    """Llama 3.1's scaling: sort pairs by wavelength ``λ_i = 2π/θ_i`` against the original context ``L``.

    ``λ_i < L/high_freq_factor``: unchanged; ``λ_i > L/low_freq_factor``: divided by ``factor``; in between,
    a blend with weight ``(L/λ_i − low)/(high − low)`` on the unchanged frequency.
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
        factor = scaling.get("factor") or 1.0
        attention_factor = 1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(length))
    return inv_freq / factors, float(attention_factor)


def scaled_inverse_frequencies(dim: int, base: float = 10000.0, scaling: Mapping | None = None, *, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    """Inverse frequencies and attention factor for ``dim`` rotated channels under ``scaling``.

    Args:
        dim: rotated channels per head (even).
        base: RoPE base (``rope_theta``).
        scaling: ``None`` or a dict with Hugging Face ``rope_parameters`` keys, e.g.
            ``{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}``.
        seq_len: current sequence length; only ``dynamic`` and ``longrope`` depend on it.

    Returns:
        ``(inv_freq, attention_factor)``: float64 tensor ``(dim // 2,)`` and a float that multiplies cos and sin.
    """
    scaling = check_scaling(scaling)
    theta = scaling.get("rope_theta")
    if theta is not None and float(theta) != float(base):
        raise ValueError(f"scaling has rope_theta={theta!r} but base={base!r}; give the base once")
    inv_freq = base_inverse_frequencies(dim, base)
    kind = scaling["rope_type"]
    if kind == "default":
        return inv_freq, 1.0
    if kind == "linear":
        return linear(inv_freq, scaling["factor"]), 1.0
    if kind == "dynamic":
        new_base = dynamic_ntk_base(base, dim, scaling["factor"], scaling["original_max_position_embeddings"], seq_len)
        return base_inverse_frequencies(dim, new_base), 1.0
    if kind == "yarn":
        return yarn(inv_freq, dim, base, scaling)
    if kind == "llama3":
        return llama3(inv_freq, scaling), 1.0
    return longrope(inv_freq, scaling, seq_len)
