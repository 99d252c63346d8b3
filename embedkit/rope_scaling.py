"""Context extension for RoPE: how each scaling method changes the inverse frequencies.

A RoPE model trained on ``L`` positions has never seen a rotation angle larger than ``(L - 1)·θ_i`` in pair
``i``. To run it on ``s·L`` positions, every method here changes the inverse frequencies ``θ_i`` (and YaRN
and LongRoPE also scale the attention logits) so that the angles a long context produces look like angles
the model already knows:

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

The ``scaling`` dictionaries use the keys of Hugging Face ``transformers``' ``config.rope_parameters``
(``rope_type``, ``factor``, ``original_max_position_embeddings``, ``beta_fast``, …), and the results equal
its ``ROPE_INIT_FUNCTIONS`` for the same configuration (``tests/test_rope_scaling.py``). One deliberate
difference: for ``dynamic`` Hugging Face reads the original context length from
``config.max_position_embeddings``; a ``scaling`` dict here states it as ``original_max_position_embeddings``,
as for every other type.

A ``rope_parameters`` (or older ``rope_scaling``) dict exactly as a Hugging Face configuration stores it, with
the model-level values it leans on (``max_position_embeddings``, a top-level
``original_max_position_embeddings`` as Phi-3 has, ``partial_rotary_factor``, ``rope_theta``), is turned into
such a ``scaling`` dict by :func:`from_hugging_face`, which applies Hugging Face's rules: the legacy ``type``
key, LongRoPE's and YaRN's ``factor`` derived as ``max_position_embeddings / original_max_position_embeddings``
when absent, dynamic NTK's original length taken from ``max_position_embeddings``.

Frequencies are computed in float64 and returned as float64 tensors of shape ``(dim // 2,)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from . import checks

SCALING_TYPES = ("default", "linear", "dynamic", "yarn", "llama3", "longrope", "proportional")
"""The ``rope_type`` values :func:`scaled_inverse_frequencies` understands."""

_REQUIRED = {
    "default": (),
    "linear": ("factor",),
    "dynamic": ("factor", "original_max_position_embeddings"),
    "yarn": ("factor", "original_max_position_embeddings"),
    "llama3": ("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"),
    "longrope": ("factor", "original_max_position_embeddings", "short_factor", "long_factor"),
    "proportional": (),
}
_OPTIONAL = {
    "default": (),
    "linear": (),
    "dynamic": (),
    "yarn": ("attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"),
    "llama3": (),
    "longrope": ("attention_factor",),
    "proportional": ("factor", "partial_rotary_factor"),
}
# Keys that may appear in a Hugging Face ``rope_parameters`` dict and are handled by the caller (RoPE).
_PASSED_THROUGH = ("rope_type", "rope_theta", "partial_rotary_factor")

HF_KEYS = ("type", "rope_type", "rope_theta", "partial_rotary_factor", "factor", "original_max_position_embeddings",
           "attention_factor", "beta_fast", "beta_slow", "short_factor", "long_factor", "low_freq_factor",
           "high_freq_factor", "mscale", "mscale_all_dim", "truncate", "mrope_section")
"""Every key of Hugging Face's ``RopeParameters`` (plus the legacy ``type``): what :func:`from_hugging_face` reads."""

MAX_POSITION_EMBEDDINGS = 2**53
"""Largest context length accepted: positions and angles are float64, exact for integers up to 2**53."""


def base_inverse_frequencies(dim: int, base: float = 10000.0) -> torch.Tensor:
    """``θ_i = base**(-2i/dim)`` for ``i = 0 … dim/2 − 1``: float64 tensor of shape ``(dim // 2,)``.

    The one place this formula is written: RoPE's frequencies, the sinusoidal encodings' (Vaswani et al.
    2017 use the same ``ω_i``) and the probes all come here. ``dim`` is the number of rotated channels (the
    head dimension, or less with partial rotary); it must be even and positive, and ``base`` a finite
    number greater than 1.
    """
    dim = checks.integer("dim (the number of rotated channels)", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim (the number of rotated channels) must be even (channels turn in pairs), got {dim}")
    base = checks.real("base", base, minimum=1, open_min=True)
    exponents = torch.arange(0, dim, 2, dtype=torch.float64) / dim
    return 1.0 / (base ** exponents)


def _kind(scaling: Mapping) -> str:
    """The ``rope_type`` of a dict, reading the legacy ``type`` key (transformers 4.x) too."""
    kind, legacy = scaling.get("rope_type"), scaling.get("type")
    if kind is not None and legacy is not None and kind != legacy:
        raise ValueError(f"scaling has rope_type={kind!r} and the legacy type={legacy!r}; they must agree")
    kind = kind if kind is not None else legacy
    if kind is None:
        raise ValueError(f"scaling needs a 'rope_type', one of {', '.join(SCALING_TYPES)}; got keys {sorted(scaling)}")
    if not isinstance(kind, str):
        raise TypeError(f"scaling rope_type must be a string, one of {', '.join(SCALING_TYPES)}; got {checks.describe(kind)}")
    if kind not in SCALING_TYPES:
        raise ValueError(f"unknown scaling rope_type {kind!r}; expected one of {', '.join(SCALING_TYPES)}")
    return kind


def _positive_list(name: str, values) -> list[float]:
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise TypeError(f"scaling {name} must be a list of numbers (one per rotated pair), got {checks.describe(values)}")
    arr = checks.array(f"scaling {name}", values, ndim=1)
    if arr.size == 0 or not (arr > 0).all():
        raise ValueError(f"scaling {name} must be a non-empty list of positive numbers, got {checks.describe(list(values))}")
    return [float(v) for v in arr]


def check_scaling(scaling: Mapping | None) -> dict:
    """Validate a ``scaling`` dict and return a plain copy (``{"rope_type": "default"}`` for ``None``).

    The legacy ``type`` key is read as ``rope_type``. Raises ``ValueError`` naming the unknown ``rope_type``
    (and listing the known ones), a missing parameter, an unknown key or a value out of range (a factor below
    1, NaN or infinite, an original length below 2, ``beta_fast <= beta_slow``, non-positive LongRoPE factors),
    and ``TypeError`` for a value of the wrong type or a ``scaling`` that is not a mapping.
    """
    if scaling is None:
        return {"rope_type": "default"}
    if not isinstance(scaling, Mapping):
        raise TypeError(f"scaling must be a dict like {{'rope_type': 'linear', 'factor': 4.0}} or None, got {checks.describe(scaling)}")
    kind = _kind(scaling)
    scaling = {k: v for k, v in scaling.items() if k != "type"}
    scaling["rope_type"] = kind
    missing = [k for k in _REQUIRED[kind] if scaling.get(k) is None]
    if missing:
        hint = ""
        if kind == "longrope" and missing == ["factor"]:
            hint = (" (Hugging Face derives it as max_position_embeddings / original_max_position_embeddings: "
                    "use RoPE.from_rope_parameters(..., max_position_embeddings=...))")
        raise ValueError(f"scaling rope_type {kind!r} needs {', '.join(repr(k) for k in missing)}; got keys {sorted(scaling)}{hint}")
    allowed = set(_REQUIRED[kind]) | set(_OPTIONAL[kind]) | set(_PASSED_THROUGH)
    unknown = sorted(set(scaling) - allowed)
    if unknown:
        raise ValueError(f"scaling rope_type {kind!r} does not use {', '.join(repr(k) for k in unknown)}; it takes {sorted(allowed - {'rope_type'})}")
    if scaling.get("factor") is not None:
        # the context is stretched, not shrunk: a factor below 1 is not a context extension
        scaling["factor"] = checks.real("scaling factor", scaling["factor"], minimum=1)
    if scaling.get("original_max_position_embeddings") is not None:
        scaling["original_max_position_embeddings"] = checks.integer(
            "scaling original_max_position_embeddings", scaling["original_max_position_embeddings"], minimum=2,
            maximum=MAX_POSITION_EMBEDDINGS)
    if scaling.get("rope_theta") is not None:
        scaling["rope_theta"] = checks.real("scaling rope_theta", scaling["rope_theta"], minimum=1, open_min=True)
    if scaling.get("partial_rotary_factor") is not None:
        scaling["partial_rotary_factor"] = checks.real("scaling partial_rotary_factor", scaling["partial_rotary_factor"],
                                                       minimum=0, maximum=1, open_min=True)
    for key in ("attention_factor", "beta_fast", "beta_slow", "low_freq_factor", "high_freq_factor"):
        if scaling.get(key) is not None:
            scaling[key] = checks.real(f"scaling {key}", scaling[key], minimum=0, open_min=True)
    for key in ("mscale", "mscale_all_dim"):
        if scaling.get(key) is not None:
            scaling[key] = checks.real(f"scaling {key}", scaling[key], minimum=0)
    if scaling.get("truncate") is not None and not isinstance(scaling["truncate"], bool):
        raise TypeError(f"scaling truncate must be True or False, got {checks.describe(scaling['truncate'])}")
    if kind == "yarn" and (scaling.get("beta_fast") or 32) <= (scaling.get("beta_slow") or 1):
        raise ValueError(f"yarn scaling needs beta_fast > beta_slow (pairs turning more than beta_fast times are kept, fewer "
                         f"than beta_slow times interpolated), got beta_fast={scaling.get('beta_fast')!r} and "
                         f"beta_slow={scaling.get('beta_slow')!r} (defaults 32 and 1)")
    if kind == "llama3" and not scaling["high_freq_factor"] > scaling["low_freq_factor"]:
        raise ValueError(
            f"llama3 scaling needs high_freq_factor > low_freq_factor, got {scaling['high_freq_factor']!r} and {scaling['low_freq_factor']!r}"
        )
    if kind == "longrope":
        scaling["short_factor"] = _positive_list("short_factor", scaling["short_factor"])
        scaling["long_factor"] = _positive_list("long_factor", scaling["long_factor"])
    return scaling


def from_hugging_face(rope_parameters: Mapping, *, max_position_embeddings: int | None = None,
                      original_max_position_embeddings: int | None = None,
                      partial_rotary_factor: float | None = None, rope_theta: float | None = None) -> dict:
    """A Hugging Face ``rope_parameters`` dict, as a configuration stores it, made complete and explicit.

    Args:
        rope_parameters: ``config.rope_parameters`` (transformers 5.x) or ``config.rope_scaling`` (4.x), e.g.
            Phi-3-128k's ``{"type": "longrope", "short_factor": [...], "long_factor": [...]}``.
        max_position_embeddings: the model's ``config.max_position_embeddings``.
        original_max_position_embeddings: a top-level ``config.original_max_position_embeddings`` (Phi-3
            keeps it outside the dict; Hugging Face then lets it win over the dict's).
        partial_rotary_factor, rope_theta: top-level values of older configs; the dict's win, as in Hugging Face.

    Returns a dict with ``rope_type``, ``rope_theta`` and ``partial_rotary_factor`` and, for a scaled type,
    every parameter :func:`scaled_inverse_frequencies` needs, filled in by Hugging Face's rules
    (``transformers.modeling_rope_utils``): the legacy ``type`` key is read as ``rope_type``; ``yarn``,
    ``llama3`` and ``longrope`` take the original length from the top-level value, else the dict, else
    ``max_position_embeddings``; ``dynamic`` takes it from ``max_position_embeddings`` (else the dict's
    ``original_max_position_embeddings``); a missing ``factor`` of ``yarn`` or ``longrope`` is
    ``max_position_embeddings / original_max_position_embeddings``. Keys Hugging Face knows but this type does
    not use are dropped, as Hugging Face ignores them; a key it does not know is an error.
    """
    checks.mapping("rope_parameters", rope_parameters)
    unknown = sorted(str(k) for k in rope_parameters if k not in HF_KEYS)
    if unknown:
        raise ValueError(f"rope_parameters has unknown key(s) {', '.join(repr(k) for k in unknown)}; "
                         f"Hugging Face's keys are {', '.join(HF_KEYS)}")
    for name, value in (("max_position_embeddings", max_position_embeddings),
                        ("original_max_position_embeddings", original_max_position_embeddings)):
        if value is not None:
            checks.integer(name, value, minimum=2, maximum=MAX_POSITION_EMBEDDINGS)
    params = dict(rope_parameters)
    kind = _kind({**params, "rope_type": params.get("rope_type"), "type": params.get("type")}) if (
        params.get("rope_type") is not None or params.get("type") is not None) else "default"
    out: dict = {"rope_type": kind}
    theta = params.get("rope_theta", rope_theta)
    out["rope_theta"] = 10000.0 if theta is None else checks.real("rope_theta", theta, minimum=1, open_min=True)
    fraction = params.get("partial_rotary_factor", partial_rotary_factor)
    out["partial_rotary_factor"] = 1.0 if fraction is None else checks.real(
        "partial_rotary_factor", fraction, minimum=0, maximum=1, open_min=True)
    if kind == "default":
        return out
    used = set(_REQUIRED[kind]) | set(_OPTIONAL[kind])
    out.update({k: v for k, v in params.items() if k in used and v is not None})
    if kind == "dynamic":
        original = max_position_embeddings if max_position_embeddings is not None else params.get("original_max_position_embeddings")
        if original is None:
            raise ValueError("dynamic scaling needs the model's max_position_embeddings (Hugging Face reads the "
                             "original context length from it): pass max_position_embeddings=")
        out["original_max_position_embeddings"] = original
    elif kind in ("yarn", "llama3", "longrope"):
        original = original_max_position_embeddings
        if original is None:
            original = params.get("original_max_position_embeddings")
        if original is None:
            original = max_position_embeddings
        if original is None:
            raise ValueError(f"{kind} scaling needs original_max_position_embeddings (in the dict, or as the model's "
                             f"original_max_position_embeddings= or max_position_embeddings=)")
        out["original_max_position_embeddings"] = original
        if kind in ("yarn", "longrope") and out.get("factor") is None:
            if max_position_embeddings is None:
                raise ValueError(f"{kind} scaling without a 'factor' needs max_position_embeddings= (Hugging Face "
                                 f"derives factor = max_position_embeddings / original_max_position_embeddings)")
            out["factor"] = max_position_embeddings / checks.integer("original_max_position_embeddings", original, minimum=2)
        if kind == "yarn" and out.get("factor") is not None and out["factor"] < 1:
            pass  # check_scaling refuses it with the standard message
    return check_scaling(out)


# -- the methods, one function each ------------------------------------------------------------------

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
    pair has ``θ_0 = base**0 = 1`` whatever the base, and :func:`scaled_inverse_frequencies` returns that.
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
    if seq_len is not None:
        seq_len = checks.integer("seq_len", seq_len, minimum=0)
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
        if dim == 2:  # θ_0 = base**0 = 1 for every base (Hugging Face divides by zero here)
            return inv_freq, 1.0
        new_base = dynamic_ntk_base(base, dim, scaling["factor"], scaling["original_max_position_embeddings"], seq_len)
        return base_inverse_frequencies(dim, new_base), 1.0
    if kind == "yarn":
        return yarn(inv_freq, dim, base, scaling)
    if kind == "llama3":
        return llama3(inv_freq, scaling), 1.0
    if kind == "proportional":
        return proportional(dim, base, scaling), 1.0
    return longrope(inv_freq, scaling, seq_len)
