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
* :mod:`~embedkit.rotary.partial` (*partial*): partial rotation (:func:`partial_rope`, :func:`split_scores`)
  and the decoupled RoPE of multi-head latent attention (:class:`LatentAttention`, :func:`kv_cache_bytes`).
* :mod:`~embedkit.rotary.mrope` (*mrope*): M-RoPE, positions (time, height, width) with the pairs split
  between the axes (Qwen2-VL's sections, Qwen3-VL's interleaving), and the positions of a prompt with images.
* :mod:`~embedkit.rotary.layers` (*layers*): which layers rotate (NoPE layers, :func:`rope_layers`), Llama 4's
  :func:`attention_temperature`, Gemma 3's local and global bases (:func:`local_global_ropes`).
* :mod:`~embedkit.rotary.frequency_use` (*frequency-use*): which pairs a trained model uses, by Barbero et al.'s
  mean pair norm (:func:`pair_norms`), attention recomputed without some pairs, and the share of slow pairs;
  :mod:`~embedkit.rotary.base_bound`: Men et al.'s ``B_m = Σ cos(mθ_i)`` and :func:`smallest_base`.
* :mod:`~embedkit.rotary.sinks` (*sinks*): gpt-oss's learned sink logit per head (:func:`attention_with_sinks`)
  and StreamingLLM's sink tokens in a sliding window (:func:`window_mask`, :func:`streaming_logits`).
"""

from .base_bound import decay_holds, decay_sum, first_negative, smallest_base
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
from .frequency_use import (
    attention_weights,
    fraction_turning_less,
    mean_pair_norms,
    offset_attention,
    pair_norms,
    queries_keys,
)
from .hugging_face import from_hugging_face
from .kernel import apply
from .layers import attention_temperature, layer_attention, local_global_ropes, local_layers, rope_layers
from .layouts import LAYOUTS, convert_projection, layout_permutation, pair_channels
from .mrope import MROPE_LAYOUTS, apply_mrope, mrope_cos_sin, pair_axes, rope_index
from .partial import LatentAttention, kv_cache_bytes, partial_rope, split_scores
from .properties import decay_bound, full_turns, mean_cos_score
from .reference import rotate_reference
from .rope import RoPE
from .scaling import SCALINGS, Scaling, check_scaling, get_scaling, register_scaling, scaled_inverse_frequencies
from .sinks import attention_with_sinks, layer_weights, streaming_logits, window_mask

__all__ = [
    "CACHE_CHUNK",
    "CACHE_ELEMENTS",
    "LAYOUTS",
    "LatentAttention",
    "MAX_POSITIONS",
    "MROPE_LAYOUTS",
    "SCALINGS",
    "RoPE",
    "Scaling",
    "angles",
    "apply",
    "apply_mrope",
    "attention_temperature",
    "attention_weights",
    "attention_with_sinks",
    "base_inverse_frequencies",
    "check_scaling",
    "convert_projection",
    "cos_sin",
    "decay_bound",
    "decay_holds",
    "decay_sum",
    "dynamic_ntk_base",
    "first_negative",
    "fraction_turning_less",
    "from_hugging_face",
    "full_turns",
    "get_scaling",
    "inverse_frequencies",
    "kv_cache_bytes",
    "layer_attention",
    "layer_weights",
    "layout_permutation",
    "linear",
    "llama3",
    "local_global_ropes",
    "local_layers",
    "longrope",
    "mean_cos_score",
    "mean_pair_norms",
    "mrope_cos_sin",
    "offset_attention",
    "pair_channels",
    "pair_axes",
    "pair_norms",
    "partial_rope",
    "proportional",
    "queries_keys",
    "register_scaling",
    "rope_layers",
    "rotary_dim",
    "rope_index",
    "rotate_reference",
    "scaled_inverse_frequencies",
    "smallest_base",
    "split_scores",
    "streaming_logits",
    "wavelengths",
    "window_mask",
    "yarn",
]
