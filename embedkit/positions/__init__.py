"""Positions: how attention, blind to order, is told where each token is (the chapter *Positions*).

One module per page of the chapter:

* :mod:`~embedkit.positions.attention` (*order*): multi-head attention, permutation-equivariant without
  positions, with the two doors inside it (``rope=`` and ``bias=``) and a KV cache;
* :mod:`~embedkit.positions.learned` (*learned*): :class:`LearnedPositions`, a trained table added to the input;
* :mod:`~embedkit.positions.sinusoids` (*sinusoidal*): :func:`sinusoidal` and its shift and offset properties;
* :mod:`~embedkit.positions.relative` (*relative*): T5's bucketed bias and ALiBi, added to the scores;
* :mod:`~embedkit.positions.schemes`: the registry of position schemes the lab trains, each declaring what
  it acts on (input, scores, or queries and keys);
* :mod:`~embedkit.positions.indices`: :func:`as_positions`, the one rule for position arguments.

Rotary embeddings, which rotate queries and keys instead, are the next chapter, :mod:`embedkit.rotary`.
All functions return ``torch`` tensors; ``float32`` unless said otherwise.
"""

from .attention import HOOKS, KVCache, QKTransform, ScoreBias, SelfAttention, causal_mask
from .indices import as_positions
from .learned import LearnedPositions
from .relative import ALiBi, T5RelativeBias, alibi_bias, alibi_slopes, relative_position_bucket
from .schemes import POSITION_SCHEMES, ModelShape, Option, PositionScheme, get_scheme, register_scheme
from .sinusoids import SinusoidalPositions, shift_matrix, sinusoidal, sinusoidal_dot, sinusoidal_frequencies

# The function attention() stays in embedkit.positions.attention (import it from there): exported here, it
# would hide the module of the same name.
__all__ = [
    "ALiBi",
    "HOOKS",
    "KVCache",
    "LearnedPositions",
    "ModelShape",
    "Option",
    "POSITION_SCHEMES",
    "PositionScheme",
    "QKTransform",
    "ScoreBias",
    "SelfAttention",
    "SinusoidalPositions",
    "T5RelativeBias",
    "alibi_bias",
    "alibi_slopes",
    "as_positions",
    "causal_mask",
    "get_scheme",
    "register_scheme",
    "relative_position_bucket",
    "shift_matrix",
    "sinusoidal",
    "sinusoidal_dot",
    "sinusoidal_frequencies",
]
