"""Rotary position embedding (RoPE, Su et al. 2021): rotate queries and keys by angles proportional to position.

Split a head of ``d`` channels into ``d/2`` pairs. Pair ``i`` is a point in a plane; at position ``m`` it is
turned counter-clockwise by the angle ``m·θ_i`` with ``θ_i = base**(-2i/d)``:
``(x, y) → (x cos mθ_i − y sin mθ_i, x sin mθ_i + y cos mθ_i)``. The dot product of a query rotated for
position ``m`` and a key rotated for position ``n`` then depends on ``m − n`` only.

One module per step the chapter explains:

* :mod:`~embedkit.rotary.reference` (*derivation*): :func:`rotate_reference`, the slow, obviously correct
  complex-number version the tests and the book check the fast one against;
* :mod:`~embedkit.rotary.frequencies` (*implementation*): :func:`inverse_frequencies` (the ``θ_i``),
  :func:`angles` and :func:`cos_sin` (computed in float64, then cast);
* :mod:`~embedkit.rotary.layouts`: the ``"half"`` and ``"interleaved"`` channel layouts and
  :func:`convert_projection` between checkpoints;
* :mod:`~embedkit.rotary.kernel`: :func:`apply`, the fast, differentiable rotation of ``(..., seq, head_dim)``;
* :mod:`~embedkit.rotary.cache` and :mod:`~embedkit.rotary.rope`: :class:`RoPE`, which holds a cos/sin cache
  and rotates by position (also the lab's ``"rope"`` position scheme);
* :mod:`~embedkit.rotary.properties` (*properties*): the decay bound and scores the book measures;
* :mod:`~embedkit.rotary.extension` (*extension*): the context-extension methods, registered with their keys
  in :mod:`~embedkit.rotary.scaling` (:data:`SCALINGS`); :mod:`~embedkit.rotary.hugging_face` reads them as
  a Hugging Face configuration stores them.
"""

from .cache import CACHE_CHUNK, CACHE_ELEMENTS
from .extension import dynamic_ntk_base, linear, llama3, longrope, proportional, yarn
from .frequencies import (
    MAX_POSITIONS,
    angles,
    base_inverse_frequencies,
    cos_sin,
    inverse_frequencies,
    rotary_dim,
    wavelengths,
)
from .hugging_face import from_hugging_face
from .kernel import apply
from .layouts import LAYOUTS, convert_projection, layout_permutation, pair_channels
from .properties import decay_bound, full_turns, mean_cos_score
from .reference import rotate_reference
from .rope import RoPE
from .scaling import SCALINGS, Scaling, check_scaling, get_scaling, register_scaling, scaled_inverse_frequencies

__all__ = [
    "CACHE_CHUNK",
    "CACHE_ELEMENTS",
    "LAYOUTS",
    "MAX_POSITIONS",
    "SCALINGS",
    "RoPE",
    "Scaling",
    "angles",
    "apply",
    "base_inverse_frequencies",
    "check_scaling",
    "convert_projection",
    "cos_sin",
    "decay_bound",
    "dynamic_ntk_base",
    "from_hugging_face",
    "full_turns",
    "get_scaling",
    "inverse_frequencies",
    "layout_permutation",
    "linear",
    "llama3",
    "longrope",
    "mean_cos_score",
    "pair_channels",
    "proportional",
    "register_scaling",
    "rotary_dim",
    "rotate_reference",
    "scaled_inverse_frequencies",
    "wavelengths",
    "yarn",
]
