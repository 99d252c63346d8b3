"""The registry of RoPE scalings: for each ``rope_type``, its function, the keys it needs and may take, and
how Hugging Face fills it in.

A ``scaling`` dict uses the keys of Hugging Face ``transformers``' ``config.rope_parameters``
(``rope_type``, ``factor``, ``original_max_position_embeddings``, ``beta_fast``, …). :func:`check_scaling`
validates one against its :class:`Scaling` entry in :data:`SCALINGS`, and :func:`scaled_inverse_frequencies`
computes the frequencies with the entry's function; the results equal transformers' ``ROPE_INIT_FUNCTIONS``
for the same configuration (``tests/test_rotary_scaling.py``). One deliberate difference: for ``dynamic``
Hugging Face reads the original context length from ``config.max_position_embeddings``; a ``scaling`` dict
here states it as ``original_max_position_embeddings``, as for every other type.
:func:`embedkit.rotary.hugging_face.from_hugging_face` reads a dict as a configuration stores it, by the
rules each entry declares.

Adding a scaling is one entry (and its page): write the method (in :mod:`embedkit.rotary.extension` if the
book explains it), then register it. For example, a linear interpolation that keeps the first ``keep`` pairs::

    import torch
    from embedkit.rotary import Scaling, register_scaling

    def _keep_fast(inv_freq, dim, base, scaling, seq_len):
        keep = int(scaling.get("keep") or 0)
        out = inv_freq / scaling["factor"]
        out[:keep] = inv_freq[:keep]
        return out, 1.0

    register_scaling(Scaling(
        "keep_fast",
        _keep_fast,
        required=("factor",),
        optional=("keep",),
        summary="position interpolation except the fastest pairs",
    ))

after which ``RoPE(64, scaling={"rope_type": "keep_fast", "factor": 4.0, "keep": 8})`` uses it, and
``RoPE.from_rope_parameters`` reads it from a configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from .. import checks
from ..positions.indices import flag
from . import extension
from .frequencies import MAX_POSITIONS, base_inverse_frequencies

__all__ = ["SCALINGS", "Scaling", "check_scaling", "get_scaling", "register_scaling", "scaled_inverse_frequencies"]

Frequencies = Callable[[torch.Tensor, int, float, Mapping, "int | None"], "tuple[torch.Tensor, float]"]

ORIGINAL_LENGTH_SOURCES = (None, "max_position_embeddings", "original_max_position_embeddings")
"""Where Hugging Face reads a scaling's original context length first (:class:`Scaling.original_length_from`)."""


@dataclass(frozen=True)
class Scaling:
    """One ``rope_type``.

    Attributes:
        name: the ``rope_type``, as Hugging Face names it.
        frequencies: ``(inv_freq, dim, base, scaling, seq_len) -> (inv_freq, attention_factor)``:
            ``inv_freq`` are the unscaled ``θ_i`` (float64 ``(dim // 2,)``), ``scaling`` the checked dict,
            ``seq_len`` the current length or ``None``.
        required, optional: the keys it needs and the keys it may take (besides ``rope_type``,
            ``rope_theta`` and ``partial_rotary_factor``, which every type passes through).
        length_dependent: the frequencies change with the sequence length past
            ``original_max_position_embeddings`` (which must then be required): :class:`~embedkit.rotary.RoPE`
            recomputes them per call there instead of caching.
        original_length_from: where Hugging Face reads the original context length first:
            ``"max_position_embeddings"`` (dynamic NTK), ``"original_max_position_embeddings"`` (the
            top-level value, then the dict's, then ``max_position_embeddings``) or ``None`` (not used).
        derives_factor: a missing ``factor`` is ``max_position_embeddings / original_max_position_embeddings``.
        owns_partial_rotary: the scaling reads ``partial_rotary_factor`` itself to choose the pairs that
            turn (``proportional``), so the RoPE rotates the whole head.
        check: ``(scaling) -> None``, checks across keys once each key is valid; may normalise values in place.
        summary: one line for the reader.
    """

    name: str
    frequencies: Frequencies
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    length_dependent: bool = False
    original_length_from: str | None = None
    derives_factor: bool = False
    owns_partial_rotary: bool = False
    check: Callable[[dict], None] | None = None
    summary: str = ""


SCALINGS: dict[str, Scaling] = {}
"""Every ``rope_type`` by name, in the order registered."""

PASSED_THROUGH = ("rope_type", "rope_theta", "partial_rotary_factor")
"""Keys any ``rope_parameters`` dict may hold whatever its type; the :class:`~embedkit.rotary.RoPE` reads them."""


def register_scaling(scaling: Scaling) -> Scaling:
    """Add ``scaling`` to :data:`SCALINGS` and return it; refuses a name already taken and inconsistent
    declarations."""
    if not isinstance(scaling, Scaling):
        raise TypeError(f"scaling must be a Scaling, got {checks.describe(scaling)}")
    checks.text("scaling name", scaling.name, allow_empty=False)
    if scaling.name in SCALINGS:
        raise ValueError(f"a RoPE scaling named {scaling.name!r} is already registered")
    if not callable(scaling.frequencies):
        raise TypeError(f"scaling {scaling.name!r}: frequencies must be callable, got {checks.describe(scaling.frequencies)}")
    if scaling.original_length_from not in ORIGINAL_LENGTH_SOURCES:
        raise ValueError(f"scaling {scaling.name!r}: original_length_from must be one of {ORIGINAL_LENGTH_SOURCES}, "
                         f"got {scaling.original_length_from!r}")
    if scaling.length_dependent and "original_max_position_embeddings" not in scaling.required:
        raise ValueError(f"scaling {scaling.name!r} depends on the sequence length, so it must require "
                         "'original_max_position_embeddings' (the length up to which it changes nothing)")
    SCALINGS[scaling.name] = scaling
    return scaling


def get_scaling(kind: str) -> Scaling:
    """The registered :class:`Scaling` named ``kind``; a ``ValueError`` listing the registered ones otherwise."""
    if not isinstance(kind, str):
        raise TypeError(f"scaling rope_type must be a string, one of {', '.join(SCALINGS)}; got {checks.describe(kind)}")
    if kind not in SCALINGS:
        raise ValueError(f"unknown scaling rope_type {kind!r}; expected one of {', '.join(SCALINGS)}")
    return SCALINGS[kind]


def kind_of(scaling: Mapping) -> str:
    """The ``rope_type`` of a dict, reading the legacy ``type`` key (transformers 4.x) too; checked against
    the registry."""
    kind, legacy = scaling.get("rope_type"), scaling.get("type")
    if kind is not None and legacy is not None and kind != legacy:
        raise ValueError(f"scaling has rope_type={kind!r} and the legacy type={legacy!r}; they must agree")
    kind = kind if kind is not None else legacy
    if kind is None:
        raise ValueError(f"scaling needs a 'rope_type', one of {', '.join(SCALINGS)}; got keys {sorted(scaling)}")
    return get_scaling(kind).name


def _positive(name: str, value) -> float:
    return checks.real(name, value, minimum=0, open_min=True)


# Each key's own rule, whatever the type (checked in this order).
_KEY_CHECKS = {
    # the context is stretched, not shrunk: a factor below 1 is not a context extension
    "factor": lambda name, v: checks.real(name, v, minimum=1),
    "original_max_position_embeddings": lambda name, v: checks.integer(name, v, minimum=2, maximum=MAX_POSITIONS),
    "rope_theta": lambda name, v: checks.real(name, v, minimum=1, open_min=True),
    "partial_rotary_factor": lambda name, v: checks.real(name, v, minimum=0, maximum=1, open_min=True),
    "attention_factor": _positive,
    "beta_fast": _positive,
    "beta_slow": _positive,
    "low_freq_factor": _positive,
    "high_freq_factor": _positive,
    "mscale": lambda name, v: checks.real(name, v, minimum=0),
    "mscale_all_dim": lambda name, v: checks.real(name, v, minimum=0),
    "truncate": flag,
}


def check_scaling(scaling: Mapping | None) -> dict:
    """Validate a ``scaling`` dict and return a plain copy (``{"rope_type": "default"}`` for ``None``).

    The legacy ``type`` key is read as ``rope_type``. Raises ``ValueError`` naming the unknown ``rope_type``
    (and listing the registered ones), a missing parameter, an unknown key or a value out of range (a factor
    below 1, NaN or infinite, an original length below 2, ``beta_fast <= beta_slow``, non-positive LongRoPE
    factors), and ``TypeError`` for a value of the wrong type or a ``scaling`` that is not a mapping.
    """
    if scaling is None:
        return {"rope_type": "default"}
    if not isinstance(scaling, Mapping):
        raise TypeError(f"scaling must be a dict like {{'rope_type': 'linear', 'factor': 4.0}} or None, got {checks.describe(scaling)}")
    entry = SCALINGS[kind_of(scaling)]
    kind = entry.name
    scaling = {k: v for k, v in scaling.items() if k != "type"}
    scaling["rope_type"] = kind
    missing = [k for k in entry.required if scaling.get(k) is None]
    if missing:
        hint = ""
        if entry.derives_factor and missing == ["factor"]:
            hint = (" (Hugging Face derives it as max_position_embeddings / original_max_position_embeddings: "
                    "use RoPE.from_rope_parameters(..., max_position_embeddings=...))")
        raise ValueError(f"scaling rope_type {kind!r} needs {', '.join(repr(k) for k in missing)}; got keys {sorted(scaling)}{hint}")
    allowed = set(entry.required) | set(entry.optional) | set(PASSED_THROUGH)
    unknown = sorted(set(scaling) - allowed)
    if unknown:
        raise ValueError(f"scaling rope_type {kind!r} does not use {', '.join(repr(k) for k in unknown)}; it takes {sorted(allowed - {'rope_type'})}")
    for key, rule in _KEY_CHECKS.items():
        if scaling.get(key) is not None:
            scaling[key] = rule(f"scaling {key}", scaling[key])
    if entry.check is not None:
        entry.check(scaling)
    return scaling


def scaled_inverse_frequencies(dim: int, base: float = 10000.0, scaling: Mapping | None = None, *, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    """Inverse frequencies and attention factor for ``dim`` rotated channels under ``scaling``.

    Args:
        dim: rotated channels per head (even).
        base: RoPE base (``rope_theta``).
        scaling: ``None`` or a dict with Hugging Face ``rope_parameters`` keys, e.g.
            ``{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}``.
        seq_len: current sequence length; only the length-dependent types (``dynamic``, ``longrope``) use it.

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
    return SCALINGS[scaling["rope_type"]].frequencies(inv_freq, dim, base, scaling, seq_len)


# -- the registered types: the methods of embedkit.rotary.extension, with the keys each reads ---------------

def _dynamic(inv_freq, dim, base, scaling, seq_len):
    if dim == 2:  # θ_0 = base**0 = 1 for every base (Hugging Face divides by zero here)
        return inv_freq, 1.0
    new_base = extension.dynamic_ntk_base(base, dim, scaling["factor"], scaling["original_max_position_embeddings"], seq_len)
    return base_inverse_frequencies(dim, new_base), 1.0


def _check_yarn(scaling: dict) -> None:
    if (scaling.get("beta_fast") or 32) <= (scaling.get("beta_slow") or 1):
        raise ValueError(f"yarn scaling needs beta_fast > beta_slow (pairs turning more than beta_fast times are kept, fewer "
                         f"than beta_slow times interpolated), got beta_fast={scaling.get('beta_fast')!r} and "
                         f"beta_slow={scaling.get('beta_slow')!r} (defaults 32 and 1)")


def _check_llama3(scaling: dict) -> None:
    if not scaling["high_freq_factor"] > scaling["low_freq_factor"]:
        raise ValueError(
            f"llama3 scaling needs high_freq_factor > low_freq_factor, got {scaling['high_freq_factor']!r} and {scaling['low_freq_factor']!r}"
        )


def _positive_list(name: str, values) -> list[float]:
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__len__"):
        raise TypeError(f"scaling {name} must be a list of numbers (one per rotated pair), got {checks.describe(values)}")
    arr = checks.array(f"scaling {name}", values, ndim=1)
    if arr.size == 0 or not (arr > 0).all():
        raise ValueError(f"scaling {name} must be a non-empty list of positive numbers, got {checks.describe(list(values))}")
    return [float(v) for v in arr]


def _check_longrope(scaling: dict) -> None:
    scaling["short_factor"] = _positive_list("short_factor", scaling["short_factor"])
    scaling["long_factor"] = _positive_list("long_factor", scaling["long_factor"])


register_scaling(Scaling("default", lambda inv_freq, dim, base, scaling, seq_len: (inv_freq, 1.0),
                         summary="θ_i = base^(-2i/d), unchanged"))
register_scaling(Scaling("linear", lambda inv_freq, dim, base, scaling, seq_len: (extension.linear(inv_freq, scaling["factor"]), 1.0),
                         required=("factor",), summary="position interpolation: every θ_i / factor"))
register_scaling(Scaling("dynamic", _dynamic, required=("factor", "original_max_position_embeddings"),
                         length_dependent=True, original_length_from="max_position_embeddings",
                         summary="dynamic NTK: a larger base once the sequence is longer than the original"))
register_scaling(Scaling("yarn", lambda inv_freq, dim, base, scaling, seq_len: extension.yarn(inv_freq, dim, base, scaling),
                         required=("factor", "original_max_position_embeddings"),
                         optional=("attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"),
                         original_length_from="original_max_position_embeddings", derives_factor=True, check=_check_yarn,
                         summary="YaRN: keep the fast pairs, interpolate the slow ones, ramp between; scale the logits"))
register_scaling(Scaling("llama3", lambda inv_freq, dim, base, scaling, seq_len: (extension.llama3(inv_freq, scaling), 1.0),
                         required=("factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"),
                         original_length_from="original_max_position_embeddings", check=_check_llama3,
                         summary="Llama 3.1: keep short wavelengths, divide long ones, blend between"))
register_scaling(Scaling("longrope", lambda inv_freq, dim, base, scaling, seq_len: extension.longrope(inv_freq, scaling, seq_len),
                         required=("factor", "original_max_position_embeddings", "short_factor", "long_factor"),
                         optional=("attention_factor",), length_dependent=True,
                         original_length_from="original_max_position_embeddings", derives_factor=True,
                         check=_check_longrope, summary="LongRoPE: searched per-pair factors, a long set past the original"))
register_scaling(Scaling("proportional", lambda inv_freq, dim, base, scaling, seq_len: (extension.proportional(dim, base, scaling), 1.0),
                         optional=("factor", "partial_rotary_factor"), owns_partial_rotary=True,
                         summary="the first partial_rotary_factor of the pairs, divided by factor; the rest do not turn"))
