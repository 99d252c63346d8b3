"""Reading RoPE settings as a Hugging Face configuration stores them (``config.json``, ``PretrainedConfig``).

A ``rope_parameters`` (or older ``rope_scaling``) dict leans on model-level values: ``max_position_embeddings``,
a top-level ``original_max_position_embeddings`` (Phi-3), ``partial_rotary_factor`` and ``rope_theta``.
:func:`from_hugging_face` turns the dict and those values into a complete ``scaling`` dict by the rules each
registered :class:`~embedkit.rotary.scaling.Scaling` declares (where its original length comes from, whether a
missing factor is derived), which are the rules of ``transformers.modeling_rope_utils``. :func:`rope_arguments`
and :func:`config_values` are what :meth:`RoPE.from_rope_parameters <embedkit.rotary.RoPE.from_rope_parameters>`
and :meth:`RoPE.from_config <embedkit.rotary.RoPE.from_config>` read with.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import checks
from .frequencies import MAX_POSITIONS
from .scaling import PASSED_THROUGH, SCALINGS, check_scaling, kind_of

__all__ = ["config_values", "from_hugging_face", "hugging_face_keys", "rope_arguments"]

IGNORED_KEYS = ("mrope_section",)
"""Keys of Hugging Face's ``RopeParameters`` that no scaling here reads (multimodal RoPE's sections)."""


def hugging_face_keys() -> tuple[str, ...]:
    """Every key :func:`from_hugging_face` accepts: the legacy ``type``, the keys every type passes through,
    the keys of every registered scaling, and :data:`IGNORED_KEYS`."""
    keys = ["type", *PASSED_THROUGH]
    for entry in SCALINGS.values():
        keys += [k for k in (*entry.required, *entry.optional) if k not in keys]
    return (*keys, *(k for k in IGNORED_KEYS if k not in keys))


def _original_length(entry, params: Mapping, max_position_embeddings, original_max_position_embeddings):
    """The original context length, looked for where Hugging Face looks for it for this type."""
    kind = entry.name
    if entry.original_length_from == "max_position_embeddings":
        original = max_position_embeddings if max_position_embeddings is not None else params.get("original_max_position_embeddings")
        if original is None:
            raise ValueError(f"{kind} scaling needs the model's max_position_embeddings (Hugging Face reads the "
                             "original context length from it): pass max_position_embeddings=")
        return original
    original = original_max_position_embeddings
    if original is None:
        original = params.get("original_max_position_embeddings")
    if original is None:
        original = max_position_embeddings
    if original is None:
        raise ValueError(f"{kind} scaling needs original_max_position_embeddings (in the dict, or as the model's "
                         f"original_max_position_embeddings= or max_position_embeddings=)")
    return original


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
    every parameter :func:`~embedkit.rotary.scaling.scaled_inverse_frequencies` needs, filled in by Hugging
    Face's rules as the type's registry entry declares them: the legacy ``type`` key is read as ``rope_type``;
    ``yarn``, ``llama3`` and ``longrope`` take the original length from the top-level value, else the dict,
    else ``max_position_embeddings``; ``dynamic`` takes it from ``max_position_embeddings`` (else the dict's
    ``original_max_position_embeddings``); a missing ``factor`` of ``yarn`` or ``longrope`` is
    ``max_position_embeddings / original_max_position_embeddings``. Keys Hugging Face knows but this type does
    not use are dropped, as Hugging Face ignores them; a key it does not know is an error.
    """
    checks.mapping("rope_parameters", rope_parameters)
    known = hugging_face_keys()
    unknown = sorted(str(k) for k in rope_parameters if k not in known)
    if unknown:
        raise ValueError(f"rope_parameters has unknown key(s) {', '.join(repr(k) for k in unknown)}; "
                         f"Hugging Face's keys are {', '.join(known)}")
    for name, value in (("max_position_embeddings", max_position_embeddings),
                        ("original_max_position_embeddings", original_max_position_embeddings)):
        if value is not None:
            checks.integer(name, value, minimum=2, maximum=MAX_POSITIONS)
    params = dict(rope_parameters)
    kind = kind_of(params) if (params.get("rope_type") is not None or params.get("type") is not None) else "default"
    entry = SCALINGS[kind]
    out: dict = {"rope_type": kind}
    theta = params.get("rope_theta", rope_theta)
    out["rope_theta"] = 10000.0 if theta is None else checks.real("rope_theta", theta, minimum=1, open_min=True)
    fraction = params.get("partial_rotary_factor", partial_rotary_factor)
    out["partial_rotary_factor"] = 1.0 if fraction is None else checks.real(
        "partial_rotary_factor", fraction, minimum=0, maximum=1, open_min=True)
    used = set(entry.required) | set(entry.optional)
    out.update({k: v for k, v in params.items() if k in used and v is not None})
    if entry.original_length_from is not None:
        original = _original_length(entry, params, max_position_embeddings, original_max_position_embeddings)
        out["original_max_position_embeddings"] = original
        if entry.derives_factor and out.get("factor") is None:
            if max_position_embeddings is None:
                raise ValueError(f"{kind} scaling without a 'factor' needs max_position_embeddings= (Hugging Face "
                                 f"derives factor = max_position_embeddings / original_max_position_embeddings)")
            out["factor"] = max_position_embeddings / checks.integer("original_max_position_embeddings", original, minimum=2)
    return check_scaling(out)


def rope_arguments(rope_parameters: Mapping | None, *, max_position_embeddings: int | None = None,
                   original_max_position_embeddings: int | None = None, partial_rotary_factor: float | None = None,
                   rope_theta: float | None = None, max_positions: int | None = None) -> dict:
    """The keyword arguments of :class:`~embedkit.rotary.RoPE` (``base``, ``rotary_fraction``,
    ``max_positions``, ``scaling``) for a configuration's ``rope_parameters`` and model-level values.

    A scaling that chooses its turning pairs itself (``owns_partial_rotary``) keeps ``partial_rotary_factor``
    in its dict and the RoPE rotates the whole head. ``max_positions`` defaults to
    ``max(4096, max_position_embeddings)``.
    """
    params = from_hugging_face({} if rope_parameters is None else rope_parameters,
                               max_position_embeddings=max_position_embeddings,
                               original_max_position_embeddings=original_max_position_embeddings,
                               partial_rotary_factor=partial_rotary_factor, rope_theta=rope_theta)
    base = params.pop("rope_theta")
    fraction = params.pop("partial_rotary_factor")
    if SCALINGS[params["rope_type"]].owns_partial_rotary:  # the fraction picks turning pairs; every pair is kept
        params["partial_rotary_factor"], fraction = fraction, 1.0
    if max_positions is None:
        max_positions = max(4096, max_position_embeddings or 0)
    return {"base": base, "rotary_fraction": fraction, "max_positions": max_positions, "scaling": params}


def config_values(config) -> tuple[int, dict, dict]:
    """``(head_dim, rope_parameters, model_values)`` of a Hugging Face configuration (a ``PretrainedConfig``
    or its ``config.json`` as a dict): ``head_dim`` (or ``hidden_size // num_attention_heads``), the
    ``rope_parameters`` (or ``rope_scaling``) dict, and the model-level values by the keywords of
    :func:`rope_arguments`. Nothing is downloaded and ``transformers`` need not be installed."""
    get = config.get if isinstance(config, Mapping) else (lambda key, default=None: getattr(config, key, default))
    head_dim = get("head_dim")
    if head_dim is None:
        hidden, heads = get("hidden_size"), get("num_attention_heads")
        if hidden is None or heads is None:
            raise ValueError("config needs head_dim, or hidden_size and num_attention_heads")
        head_dim = checks.integer("hidden_size", hidden, minimum=1) // checks.integer("num_attention_heads", heads, minimum=1)
    params = get("rope_parameters") or get("rope_scaling") or {}
    model = {key: get(key) for key in ("max_position_embeddings", "original_max_position_embeddings",
                                       "partial_rotary_factor", "rope_theta")}
    return head_dim, params, model
