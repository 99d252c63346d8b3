"""Layers with and without rotation: NoPE layers, attention temperature, two bases.

The *layers* page of the Rotary chapter. Current models do not rotate every layer alike:

* Llama 4 and SmolLM3 leave some layers without any position encoding (NoPE,
  Kazemnejad et al. 2023): :func:`rope_layers` says which layers rotate, by Hugging
  Face's rule (``no_rope_layers``, or a NoPE layer every ``no_rope_layer_interval``);
* Llama 4 sharpens the queries of its NoPE layers at long positions (attention
  temperature tuning, after Scalable-Softmax, Nakanishi 2025):
  :func:`attention_temperature`;
* Gemma 3 (Gemma Team 2025) alternates local sliding-window layers with a small RoPE
  base and global layers with a large one: :func:`local_layers`,
  :func:`local_global_ropes`.

:func:`layer_attention` is one attention layer of any of these kinds. It rotates with
:class:`~embedkit.rotary.RoPE` and attends with :func:`embedkit.positions.attention`;
nothing is re-implemented here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from .. import checks
from ..positions import as_positions
from ..positions.attention import attention
from ..positions.indices import flag
from .rope import RoPE

__all__ = ["attention_temperature", "layer_attention", "local_global_ropes",
           "local_layers", "rope_layers"]


def _layer_count(num_layers) -> int:
    return checks.integer("num_layers", num_layers, minimum=1)


def rope_layers(num_layers: int, *, no_rope_layers: Sequence[int] | None = None,
                interval: int = 4) -> list[bool]:
    """Which of ``num_layers`` layers rotate queries and keys, as a list of flags.

    Layer ``i`` uses RoPE iff ``no_rope_layers[i]`` is 1 (despite the name, 1 means
    *rotate*), as ``Llama4TextAttention`` and ``SmolLM3Attention`` read it. Without the
    list (``None``, or an empty list, as Llama 4's config treats it), every
    ``interval``-th layer is a NoPE layer: layer ``i`` rotates iff
    ``(i + 1) % interval != 0`` (``no_rope_layer_interval``, 4 in both models). A longer
    list is cut to ``num_layers``: the models read only its first entries.
    """
    num_layers = _layer_count(num_layers)
    interval = checks.integer("interval", interval, minimum=1)
    if no_rope_layers is None or (isinstance(no_rope_layers, Sequence)
                                  and not no_rope_layers):
        return [(i + 1) % interval != 0 for i in range(num_layers)]
    if isinstance(no_rope_layers, (str, bytes)) or not isinstance(no_rope_layers,
                                                                  Sequence):
        raise TypeError(f"no_rope_layers must be None or a list of 0/1 flags, one per "
                        f"layer, got {checks.describe(no_rope_layers)}")
    if len(no_rope_layers) < num_layers:
        raise ValueError(f"no_rope_layers must have at least num_layers={num_layers} "
                         f"entries, got {len(no_rope_layers)}")
    flags = []
    for i, value in enumerate(no_rope_layers[:num_layers]):
        value = checks.integer(f"no_rope_layers[{i}]", value, minimum=0, maximum=1)
        flags.append(value == 1)
    return flags


def local_layers(num_layers: int, *, pattern: int = 6) -> list[bool]:
    """Which layers are local (sliding window): ``i`` iff ``(i + 1) % pattern != 0``.

    Gemma 3's rule (``sliding_window_pattern`` 6: five local layers, then a global
    one), as ``Gemma3TextConfig`` fills ``layer_types`` when none is given.
    """
    num_layers = _layer_count(num_layers)
    pattern = checks.integer("pattern", pattern, minimum=1)
    return [(i + 1) % pattern != 0 for i in range(num_layers)]


def local_global_ropes(head_dim: int, *, local_base: float = 10_000.0,
                       global_base: float = 1_000_000.0,
                       global_scaling: Mapping | None = None,
                       max_positions: int = 4096) -> dict[str, RoPE]:
    """Gemma 3's two rotations: ``{"sliding_attention": RoPE, "full_attention": RoPE}``.

    Local layers use ``local_base`` (``rope_local_base_freq``, 10,000), global layers
    ``global_base`` (``rope_theta``, 1,000,000), optionally with a context-extension
    ``global_scaling`` (the larger Gemma 3 models use
    ``{"rope_type": "linear", "factor": 8.0}``). Keys are Hugging Face's layer types.
    """
    return {
        "sliding_attention": RoPE(head_dim, base=local_base,
                                  max_positions=max_positions),
        "full_attention": RoPE(head_dim, base=global_base, scaling=global_scaling,
                               max_positions=max_positions),
    }


def attention_temperature(positions, *, floor_scale: int = 8192,
                          attn_scale: float = 0.1) -> Tensor:
    """Llama 4's query scale: ``log(⌊(m + 1) / floor_scale⌋ + 1)·attn_scale + 1``.

    ``positions``: token indices ``m``, ``(seq,)``. Returns float64 ``(seq,)``. The
    scale is exactly 1 for the first ``floor_scale − 1`` positions, then grows like the
    logarithm of the position, in steps of ``floor_scale`` tokens: a stepped form of
    Scalable-Softmax (Nakanishi 2025), which multiplies the logits by ``s·log n`` so
    that attention does not flatten as the number ``n`` of keys grows.
    """
    positions = as_positions(positions)
    floor_scale = checks.integer("floor_scale", floor_scale, minimum=1)
    attn_scale = checks.real("attn_scale", attn_scale, minimum=0)
    steps = torch.div(positions.to(torch.float64) + 1, floor_scale,
                      rounding_mode="floor")
    return torch.log1p(steps) * attn_scale + 1


def layer_attention(q: Tensor, k: Tensor, v: Tensor, *, rope: RoPE | None = None,
                    positions=None, temperature: Mapping | None = None,
                    causal: bool = True) -> tuple[Tensor, Tensor]:
    """One attention layer that rotates (``rope``) or not (NoPE), with a temperature.

    Args:
        q: ``(batch, heads, seq, head_dim)``; k, v: ``(batch, kv_heads, seq, head_dim)``
        rope: a :class:`~embedkit.rotary.RoPE` to rotate, ``None`` for a NoPE layer.
        positions: the tokens' positions ``(seq,)``, by default ``0 … seq − 1``.
        temperature: ``None``, or ``{"floor_scale": …, "attn_scale": …}``: multiply the
            queries by :func:`attention_temperature` at their positions (Llama 4 does
            this in its NoPE layers only).
        causal: mask future keys (the only source of order in a NoPE layer).

    Returns ``(output, weights)`` of :func:`embedkit.positions.attention`.
    """
    q = checks.tensor("q", q, ndim=4, floating=True)
    if rope is not None and not isinstance(rope, RoPE):
        raise TypeError(f"rope must be None (a NoPE layer) or an embedkit.rotary.RoPE, "
                        f"got {checks.describe(rope)}")
    causal = flag("causal", causal)
    seq = q.shape[2]
    positions = torch.arange(seq) if positions is None else as_positions(positions)
    if positions.shape[0] != seq:
        raise ValueError(f"got {positions.shape[0]} positions for a sequence of {seq} "
                         f"(q has shape {tuple(q.shape)})")
    if rope is not None:
        q, k = rope.rotate(q, positions), rope.rotate(k, positions)
    if temperature is not None:
        temperature = checks.mapping("temperature", temperature)
        unknown = set(temperature) - {"floor_scale", "attn_scale"}
        if unknown:
            raise ValueError(f"temperature takes the keys 'floor_scale' and "
                             f"'attn_scale', got {sorted(unknown)}")
        scale = attention_temperature(positions, **temperature)
        q = (q * scale.to(q.device)[:, None]).to(q.dtype)
    return attention(q, k, v, causal=causal)
