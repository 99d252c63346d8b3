"""Two variants of RoPE for the lab, registered as position schemes (:data:`~embedkit.positions.schemes.POSITION_SCHEMES`):

* ``rnope``: RoPE in some layers and no position at all in the others, the hybrid of Llama 4 and SmolLM3
  (RNoPE, Yang et al. 2025). Which layers rotate is Hugging Face's rule,
  :func:`embedkit.rotary.layers.rope_layers`: every ``rnope_interval``-th layer is a NoPE layer. The
  scheme builds a :class:`SomeLayers`, which declares the layers it acts in;
  :class:`~embedkit.lab.model.PositionLM` reads the declaration (it has no code for the hybrid by name).
* ``p_rope``: p-RoPE (Barbero et al. 2025): RoPE's full-head frequencies ``base**(-2i/d)``, of which only
  the fastest fraction ``p_rope_fraction`` turns; the slowest pairs stay still at every position. It is the
  package's ``"proportional"`` scaling (:func:`embedkit.rotary.extension.proportional`) with
  ``partial_rotary_factor = p``.

Both read ``rope_base``, the option of the ``"rope"`` scheme, so the three rotary arms share one base.
Importing :mod:`embedkit.lab.model` registers them (after ``"rope"``, so the lab reports them after it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from .. import checks
from ..positions import ModelShape, Option, PositionScheme, register_scheme
from ..rotary import RoPE, rope_layers

__all__ = ["SomeLayers", "p_rope", "rnope"]


class SomeLayers(NamedTuple):
    """A query-key transform that acts in some layers only: layer ``i`` of ``n`` gets ``transform`` iff
    ``layers(n)[i]`` is true, and no transform (a NoPE layer) otherwise.

    It is itself a :class:`~embedkit.positions.attention.QKTransform` (``rotate`` is the transform's), so
    the registry accepts it as what an ``adds_to="qk"`` scheme builds; the model hands the layers that
    rotate the ``transform`` itself.
    """

    transform: object
    layers: Callable[[int], list[bool]]

    def rotate(self, x, positions=None, **kwargs):
        """``transform.rotate``: what the layers that act do to queries and keys."""
        return self.transform.rotate(x, positions, **kwargs)

    def acts_in(self, n_layers: int) -> list[bool]:
        """One flag per layer: ``True`` where the transform acts."""
        flags = [bool(f) for f in self.layers(n_layers)]
        if len(flags) != n_layers:
            raise ValueError(f"layers({n_layers}) must give one flag per layer, got {len(flags)}")
        return flags


def rnope(shape: ModelShape, options: Mapping) -> SomeLayers:
    """The RoPE/NoPE hybrid: a RoPE (base ``rope_base``) in layer ``i`` iff
    ``(i + 1) % rnope_interval != 0``, as Llama 4 and SmolLM3 choose their layers (interval 4 there; a
    two-layer model with interval 2 rotates in its first layer and has no positions in its second)."""
    rope = RoPE(_even_head(shape, "the RoPE/NoPE hybrid"), base=options["rope_base"])
    interval = options["rnope_interval"]
    return SomeLayers(rope, lambda n_layers: rope_layers(n_layers, interval=interval))


def p_rope(shape: ModelShape, options: Mapping) -> RoPE:
    """p-RoPE: the first ``int(p·head_dim // 2)`` pairs turn with
    ``base**(-2i/head_dim)``, the others not at all (Hugging Face's
    ``"proportional"`` RoPE with ``partial_rotary_factor = p``)."""
    _even_head(shape, "p-RoPE")
    fraction = options["p_rope_fraction"]
    pairs = shape.head_dim // 2
    if int(fraction * shape.head_dim // 2) < 1:
        raise ValueError(
            f"p_rope_fraction={fraction:g} turns no pair of a head of "
            f"{shape.head_dim} channels ({pairs} pairs): it must be at least "
            f"{1 / pairs:g}"
        )
    scaling = {"rope_type": "proportional", "partial_rotary_factor": float(fraction)}
    return RoPE(shape.head_dim, base=options["rope_base"], scaling=scaling)


def _even_head(shape: ModelShape, what: str) -> int:
    if shape.head_dim % 2:
        raise ValueError(f"{what} needs an even head_dim, got d_model / n_heads = {shape.head_dim}")
    return shape.head_dim


def _interval(name, value):
    # interval 1 would make every layer NoPE, which is the "nope" scheme
    return checks.integer(name, value, minimum=2)


def _fraction(name, value):
    return checks.real(name, value, minimum=0, maximum=1, open_min=True)


register_scheme(PositionScheme(
    "rnope", adds_to="qk", build=rnope,
    summary="RoPE in most layers, no position in every rnope_interval-th (Llama 4, SmolLM3; Yang et al. 2025)",
    options={"rnope_interval": Option(2, _interval)}))
register_scheme(PositionScheme(
    "p_rope", adds_to="qk", build=p_rope,
    summary="RoPE whose slowest pairs do not turn; a fraction p_rope_fraction turns (Barbero et al. 2025)",
    options={"p_rope_fraction": Option(0.75, _fraction)}))
