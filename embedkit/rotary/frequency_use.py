"""Which rotary pairs a trained model uses, and for what: the *frequency-use* page.

Barbero et al. (ICLR 2025, "Round and Round We Go!") measure, per head, the mean norm of each 2-D pair of
the queries and keys over real text: a rotation does not change a pair's norm, so the norm of pair ``i``
says how much of the head's score can come from frequency ``θ_i`` whatever the positions. In Gemma they
find the largest norms in the slowest pairs (channels for meaning, which barely turn) and a few heads that
put their weight on the fastest pairs to build positional patterns such as attending to the previous token.

* :func:`pair_norms` and :func:`mean_pair_norms`: the measure, in either channel layout;
* :func:`queries_keys`: the queries and keys (before rotation) of every attention layer of a model;
* :func:`attention_weights` and :func:`offset_attention`: a head's pattern recomputed with some pairs
  removed, and how much of it falls on the token ``offset`` places back;
* :func:`fraction_turning_less`: the share of pairs that turn by less than an angle over a context.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import checks
from ..positions.attention import SelfAttention, attention
from .frequencies import check_inv_freq
from .layouts import check_layout, pair_channels

__all__ = ["attention_weights", "fraction_turning_less", "mean_pair_norms", "offset_attention", "pair_norms",
           "queries_keys"]


def pair_norms(x: torch.Tensor, layout: str = "half") -> torch.Tensor:
    """The norm of each rotated pair: ``x (..., head_dim)`` → ``(..., head_dim // 2)``.

    Pair ``i`` is channels ``(i, i + d/2)`` in the ``"half"`` layout and
    ``(2i, 2i + 1)`` in the ``"interleaved"`` one (:mod:`embedkit.rotary.layouts`).
    """
    x = checks.tensor("x", x, min_ndim=1, floating=True)
    check_layout(layout)
    d = x.shape[-1]
    if d % 2 or d == 0:
        raise ValueError(
            f"x must have an even, non-zero last dimension (head_dim), "
            f"got shape {tuple(x.shape)}")
    first, second = zip(*pair_channels(d, layout))
    return torch.hypot(x[..., list(first)], x[..., list(second)])


def mean_pair_norms(x: torch.Tensor, layout: str = "half") -> torch.Tensor:
    """Barbero et al.'s measure: ``x (..., heads, seq, head_dim)`` → ``(..., heads, pairs)``, the mean of
    :func:`pair_norms` over the tokens (and over a batch if ``x`` has one: pass ``(heads, pairs)`` per layer
    by giving ``(batch, heads, seq, head_dim)`` and averaging the batch too, see :func:`queries_keys`)."""
    x = checks.tensor("x", x, min_ndim=3, floating=True)
    return pair_norms(x, layout).mean(dim=-2)


@torch.no_grad()
def queries_keys(model: nn.Module, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``model(ids)`` and keep the queries and keys of every :class:`SelfAttention` layer in it.

    Returns ``(q, k)``, each ``(layers, batch, heads, seq, head_dim)``, as the projections produce them,
    before any rotation (a rotation leaves every pair's norm unchanged, so :func:`pair_norms` is the same
    before and after it).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {checks.describe(model)}")
    layers = [m for m in model.modules() if isinstance(m, SelfAttention)]
    if not layers:
        raise ValueError(f"model has no SelfAttention layer to read queries and keys from ({type(model).__name__})")
    kept: dict[str, list[torch.Tensor]] = {"q": [], "k": []}
    hooks = []
    for layer in layers:
        for name, proj in (("q", layer.q_proj), ("k", layer.k_proj)):
            def keep(_module, _inputs, out, name=name, layer=layer):
                kept[name].append(layer._split(out))
            hooks.append(proj.register_forward_hook(keep))
    was_training = model.training
    model.eval()
    try:
        model(ids)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return torch.stack(kept["q"]), torch.stack(kept["k"])


def attention_weights(q: torch.Tensor, k: torch.Tensor, rope, *, keep=None) -> torch.Tensor:
    """Causal attention weights of rotated ``q`` and ``k`` (each ``(batch, heads, seq, head_dim)``, before
    rotation), with only the pairs where ``keep`` (bool ``(pairs,)``, default all) is True.

    The scores are scaled by ``1/√head_dim`` as in :class:`SelfAttention`, so with every pair kept the
    weights are the layer's own. Returns ``(batch, heads, seq, seq)``.
    """
    q = checks.tensor("q", q, ndim=4, floating=True)
    k = checks.tensor("k", k, ndim=4, floating=True)
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same shape, got {tuple(q.shape)} and {tuple(k.shape)}")
    if not callable(getattr(rope, "rotate", None)) or getattr(rope, "head_dim", None) != q.shape[-1]:
        raise TypeError(f"rope must be an embedkit.rotary.RoPE of head_dim {q.shape[-1]}, got {checks.describe(rope)}")
    pairs = q.shape[-1] // 2
    mask = torch.ones(q.shape[-1], dtype=q.dtype)
    if keep is not None:
        keep = torch.as_tensor(keep)
        if keep.dtype != torch.bool or keep.shape != (pairs,):
            raise ValueError(f"keep must be a bool tensor of shape ({pairs},), got {keep.dtype} {tuple(keep.shape)}")
        for i, (a, b) in enumerate(pair_channels(q.shape[-1], rope.layout)):
            if not keep[i]:
                mask[a] = mask[b] = 0.0
    positions = torch.arange(q.shape[-2])
    qr, kr = rope.rotate(q, positions) * mask, rope.rotate(k, positions) * mask
    # attention() scales by 1/√head_dim of what it is given, the full head: the same as the layer
    return attention(qr, kr, kr, causal=True)[1]


def offset_attention(weights: torch.Tensor, offset: int) -> torch.Tensor:
    """Mean weight each head puts on the key ``offset`` positions before the query: ``(batch, heads, seq,
    seq)`` → ``(heads,)``, averaged over the batch and the queries that have such a key."""
    weights = checks.tensor("weights", weights, ndim=4, floating=True)
    seq = weights.shape[-1]
    offset = checks.integer("offset", offset, minimum=0, maximum=seq - 1)
    diagonal = torch.diagonal(weights, offset=-offset, dim1=-2, dim2=-1)  # (batch, heads, seq − offset)
    return diagonal.mean(dim=(0, 2))


def fraction_turning_less(inv_freq, context_length: int, angle: float = 2 * math.pi) -> float:
    """Share of the pairs whose angle over positions ``0 … L − 1``, ``(L − 1)·θ_i``, is below ``angle``
    (radians; ``2π`` is one full turn)."""
    inv_freq = check_inv_freq(inv_freq).to(torch.float64)
    if not inv_freq.numel():
        raise ValueError("inv_freq must hold at least one pair")
    context_length = checks.integer("context_length", context_length, minimum=1)
    angle = checks.real("angle", angle, minimum=0, open_min=True)
    return float(((context_length - 1) * inv_freq < angle).double().mean())
