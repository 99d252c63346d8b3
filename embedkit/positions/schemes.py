"""The registry of position schemes: what each one acts on, how it is built, which settings it takes.

A scheme tells a transformer where tokens are in one of three places, and declares which:

* ``"input"``: a callable ``positions (seq,) -> (seq, d_model)`` added to the token embeddings
  (learned, sinusoidal);
* ``"scores"``: a :class:`~embedkit.positions.attention.ScoreBias` added to the attention scores, given to
  :class:`~embedkit.positions.attention.SelfAttention` as ``bias=`` (ALiBi, T5);
* ``"qk"``: a :class:`~embedkit.positions.attention.QKTransform` applied to queries and keys, given as
  ``rope=`` (RoPE, registered by :mod:`embedkit.rotary`);

or ``None`` for no position at all (NoPE: only a causal mask breaks the symmetry). The lab's
:class:`~embedkit.lab.model.PositionLM` reads the declaration and wires the built object in; it has no code
for any scheme by name. :data:`~embedkit.positions.attention.HOOKS` maps ``"scores"`` and ``"qk"`` to the
keyword of ``SelfAttention``.

Adding a scheme is one entry (and its page). For example, a fixed penalty of ``-slope`` per token of
distance, the same in every head::

    from functools import partial

    import torch
    from embedkit import checks
    from embedkit.positions import Option, PositionScheme, alibi_bias, register_scheme

    def slope_at_least_zero(name, value):
        return checks.real(name, value, minimum=0)

    register_scheme(PositionScheme(
        "flat_alibi",
        adds_to="scores",
        summary="one ALiBi slope shared by all heads",
        # alibi_bias with one slope is (1, q_len, k_len): it broadcasts over the heads
        build=lambda shape, options: partial(
            alibi_bias, torch.tensor([options["flat_slope"]])
        ),
        options={"flat_slope": Option(0.5, slope_at_least_zero)},
    ))

after which ``PositionLM(vocab_size, "flat_alibi", flat_slope=0.25)`` trains with it. ``build`` receives the
model's :class:`ModelShape` and every option's value (defaults filled in, each checked by its ``check``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import checks
from .attention import HOOKS, is_qk_transform, is_score_bias
from .learned import LearnedPositions
from .relative import ALiBi, T5RelativeBias
from .sinusoids import SinusoidalPositions

__all__ = [
    "ACTS_ON",
    "POSITION_SCHEMES",
    "ModelShape",
    "Option",
    "PositionScheme",
    "attention_hooks",
    "build_scheme",
    "check_options",
    "get_scheme",
    "register_scheme",
]

ACTS_ON = ("input", "scores", "qk", None)
"""What a scheme may act on: the input embeddings, the attention scores, queries and keys, or nothing."""


class ModelShape(NamedTuple):
    """The sizes a scheme is built for: ``d_model``, ``n_heads`` and ``head_dim = d_model // n_heads``."""

    d_model: int
    n_heads: int
    head_dim: int


class Option(NamedTuple):
    """A setting a scheme takes: its default and ``check(name, value) -> value`` (raising on bad input)."""

    default: Any
    check: Callable[[str, Any], Any]


@dataclass(frozen=True)
class PositionScheme:
    """One position scheme.

    Attributes:
        name: the name models are built with (``PositionLM(vocab, name)``).
        adds_to: one of :data:`ACTS_ON`: ``"input"``, ``"scores"``, ``"qk"`` or ``None``.
        build: ``(shape: ModelShape, options: dict) -> object`` of the declared kind (``None`` with
            ``adds_to=None``). Called once per model: the object is shared by all layers.
        options: the settings the scheme takes, ``{name: Option(default, check)}``; option names are
            unique across the registry (prefix them with the scheme's name).
        summary: one line for the reader.
    """

    name: str
    adds_to: str | None
    build: Callable[[ModelShape, Mapping[str, Any]], object] | None = None
    options: Mapping[str, Option] = field(default_factory=dict)
    summary: str = ""


POSITION_SCHEMES: dict[str, PositionScheme] = {}
"""Every registered scheme by name, in the order they were registered (the order the lab reports them)."""


def register_scheme(scheme: PositionScheme) -> PositionScheme:
    """Add ``scheme`` to :data:`POSITION_SCHEMES` and return it. Refuses a name already taken, an unknown
    ``adds_to``, a missing ``build`` and an option name another scheme declares."""
    if not isinstance(scheme, PositionScheme):
        raise TypeError(f"scheme must be a PositionScheme, got {checks.describe(scheme)}")
    checks.text("scheme name", scheme.name, allow_empty=False)
    if scheme.name in POSITION_SCHEMES:
        raise ValueError(f"a position scheme named {scheme.name!r} is already registered")
    if scheme.adds_to not in ACTS_ON:
        raise ValueError(f"adds_to must be one of {', '.join(map(repr, ACTS_ON))}, got {scheme.adds_to!r}")
    if (scheme.build is None) != (scheme.adds_to is None):
        raise ValueError(f"scheme {scheme.name!r}: a scheme that acts on something needs a build function, and "
                         f"one that acts on nothing (adds_to=None) has none")
    taken = {o: s.name for s in POSITION_SCHEMES.values() for o in s.options}
    clash = sorted(set(scheme.options) & set(taken))
    if clash:
        raise ValueError(f"scheme {scheme.name!r}: option(s) {', '.join(map(repr, clash))} already belong to "
                         f"{', '.join(repr(taken[o]) for o in clash)}")
    POSITION_SCHEMES[scheme.name] = scheme
    return scheme


def get_scheme(name: str) -> PositionScheme:
    """The registered scheme ``name``; a ``ValueError`` listing the registered ones for any other."""
    return POSITION_SCHEMES[checks.choice("scheme", name, tuple(POSITION_SCHEMES))]


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Every registered scheme's options, ``options`` given or defaulted, each checked: the settings of the
    schemes not in use are checked too (a typo should not wait for the day they are used). An option no
    scheme declares is a ``TypeError`` that lists the known ones."""
    declared = {name: option for s in POSITION_SCHEMES.values() for name, option in s.options.items()}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise TypeError(f"unknown position-scheme option(s) {', '.join(map(repr, unknown))}; the registered "
                        f"schemes take {', '.join(map(repr, declared))}")
    return {name: option.check(name, options.get(name, option.default)) for name, option in declared.items()}


_KIND_CHECKS = {
    "input": (callable, "a callable positions (seq,) -> (seq, d_model)"),
    "scores": (is_score_bias, "a ScoreBias, callable (q_positions, k_positions) -> (heads, q_len, k_len)"),
    "qk": (is_qk_transform, "a QKTransform, with .rotate(x, positions)"),
}


def build_scheme(scheme: PositionScheme, shape: ModelShape, options: Mapping[str, Any]) -> object | None:
    """Build ``scheme`` for ``shape`` (``None`` for a scheme that acts on nothing) and check that the object
    is of the kind it declares."""
    if scheme.adds_to is None:
        return None
    built = scheme.build(shape, options)
    ok, what = _KIND_CHECKS[scheme.adds_to]
    if not ok(built):
        raise TypeError(f"scheme {scheme.name!r} adds to {scheme.adds_to!r} and must build {what}, "
                        f"built {checks.describe(built)}")
    return built


def attention_hooks(scheme: PositionScheme, built: object) -> dict[str, object]:
    """The ``SelfAttention`` keyword arguments that put ``built`` in: ``{"bias": built}`` for ``"scores"``,
    ``{"rope": built}`` for ``"qk"``, nothing for a scheme that acts on the input or on nothing."""
    return {HOOKS[scheme.adds_to]: built} if scheme.adds_to in HOOKS else {}


# -- the schemes of the Positions chapter (RoPE registers itself in embedkit.rotary) ----------------------

def _integer(minimum: int):
    return lambda name, value: checks.integer(name, value, minimum=minimum)


register_scheme(PositionScheme("nope", adds_to=None, summary="nothing; the causal mask alone lets a decoder infer order"))
register_scheme(PositionScheme(
    "learned", adds_to="input", summary="a trained vector per position (GPT-2, BERT)",
    build=lambda shape, o: LearnedPositions(o["max_len"], shape.d_model, init_std=o["learned_init_std"]),
    options={"max_len": Option(1024, _integer(1)),
             "learned_init_std": Option(1.0, lambda name, v: checks.real(name, v, minimum=0))}))
register_scheme(PositionScheme(
    "sinusoidal", adds_to="input", summary="fixed sines and cosines (Vaswani et al., 2017)",
    build=lambda shape, o: SinusoidalPositions(shape.d_model)))
register_scheme(PositionScheme(
    "alibi", adds_to="scores", summary="a fixed linear penalty on distance, one slope per head (Press et al.)",
    build=lambda shape, o: ALiBi(shape.n_heads)))
register_scheme(PositionScheme(
    "t5", adds_to="scores", summary="a trained bias per head and distance bucket (Raffel et al., 2020)",
    build=lambda shape, o: T5RelativeBias(shape.n_heads, num_buckets=o["t5_buckets"],
                                          max_distance=o["t5_max_distance"], bidirectional=False),
    options={"t5_buckets": Option(32, _integer(2)), "t5_max_distance": Option(128, _integer(1))}))
