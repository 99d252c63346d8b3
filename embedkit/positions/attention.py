"""Multi-head scaled dot-product attention, small enough to read and exact enough to test.

Scaled dot-product attention (Vaswani et al., 2017) mixes the value vectors of a sequence with weights
``softmax(q·kᵀ/√d + bias)``. Nothing in that formula looks at where a token sits: permute the tokens
and the outputs are permuted the same way (the chapter *Positions* shows it numerically). Order has to
be put in from outside, and this module leaves three doors open for it:

* add position vectors to the input before attention (learned or sinusoidal, :mod:`embedkit.positions`);
* rotate queries and keys by their positions (``rope=``, any :class:`QKTransform` such as
  :class:`embedkit.rotary.RoPE`);
* add a bias that depends on the query and key positions to the scores (``bias=``, any :class:`ScoreBias`
  such as ALiBi or T5's relative bias in :mod:`embedkit.positions.relative`).

:data:`HOOKS` says which door a position scheme that acts inside attention goes through; the registry of
schemes (:mod:`embedkit.positions.schemes`) declares for each scheme what it acts on.

:func:`attention` is the bare operation; :class:`SelfAttention` is a layer with projections and heads;
:class:`KVCache` holds the keys and values of past tokens for decoding one token at a time.
Shapes follow PyTorch's convention ``(batch, heads, seq, head_dim)``.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from .. import checks
from .indices import flag

__all__ = ["HOOKS", "KVCache", "QKTransform", "ScoreBias", "SelfAttention", "attention", "causal_mask", "is_qk_transform",
           "is_score_bias"]


@runtime_checkable
class QKTransform(Protocol):
    """What ``SelfAttention(rope=...)`` takes: ``rotate(x, positions)`` with ``x: (batch, heads, seq,
    head_dim)`` and ``positions: LongTensor (seq,)``, returning ``x``'s shape; applied to queries and keys
    (keys before caching). :class:`embedkit.rotary.RoPE` is one."""

    def rotate(self, x: Tensor, positions: Tensor) -> Tensor: ...


@runtime_checkable
class ScoreBias(Protocol):
    """What ``SelfAttention(bias=...)`` takes: a callable ``(q_positions (q_len,), k_positions (k_len,)) ->
    (heads, q_len, k_len)`` added to the scaled scores. :class:`embedkit.positions.ALiBi` and
    :class:`embedkit.positions.T5RelativeBias` are two."""

    def __call__(self, q_positions: Tensor, k_positions: Tensor) -> Tensor: ...


HOOKS = {"qk": "rope", "scores": "bias"}
"""The keyword of :class:`SelfAttention` through which a position scheme enters, by what it acts on:
queries and keys (``"qk"``: ``rope=``, a :class:`QKTransform`) or the scores (``"scores"``: ``bias=``, a
:class:`ScoreBias`). Schemes that add to the input embeddings do not enter attention at all."""


def is_qk_transform(value) -> bool:
    """True if ``value`` can be ``rope=``: it has a callable ``rotate`` (a :class:`QKTransform`)."""
    return isinstance(value, QKTransform) and callable(value.rotate)


def is_score_bias(value) -> bool:
    """True if ``value`` can be ``bias=``: it is callable (a :class:`ScoreBias`)."""
    return isinstance(value, ScoreBias)


def _check_4d(name: str, t: Tensor) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (batch, heads, seq, head_dim), got {checks.describe(t)}")
    if t.dim() != 4:
        raise ValueError(f"{name} must have shape (batch, heads, seq, head_dim), got {tuple(t.shape)}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {t.dtype}")


def causal_mask(q_len: int, k_len: int | None = None, *, device: torch.device | str | None = None) -> Tensor:
    """Boolean ``(q_len, k_len)`` matrix, True where query ``i`` may attend to key ``j``.

    The queries are the *last* ``q_len`` of the ``k_len`` positions (as when decoding with a cache), so
    query ``i`` sits at absolute position ``k_len - q_len + i`` and sees keys ``0 … k_len - q_len + i``.
    With ``k_len = q_len`` (the default) this is the usual lower-triangular mask.
    """
    q_len = checks.integer("q_len", q_len, minimum=0)
    k_len = q_len if k_len is None else checks.integer("k_len", k_len, minimum=0)
    if q_len > k_len:
        raise ValueError(f"a causal query cannot be longer than the keys: q_len={q_len} > k_len={k_len}")
    q_pos = torch.arange(k_len - q_len, k_len, device=device)
    k_pos = torch.arange(k_len, device=device)
    return k_pos[None, :] <= q_pos[:, None]


def attention(q: Tensor, k: Tensor, v: Tensor, *, causal: bool = False,
              bias: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Scaled dot-product attention, ``softmax(q kᵀ / √head_dim + bias) v``.

    Args:
        q: ``(batch, heads, q_len, head_dim)`` queries.
        k, v: ``(batch, kv_heads, k_len, head_dim)`` keys and values. ``kv_heads`` is
            usually ``heads``; if it divides ``heads``, each key/value head is shared by
            ``heads // kv_heads`` query heads (grouped-query attention).
        causal: mask future keys. If ``q_len < k_len`` the queries are the last
            ``q_len`` positions: query ``i`` sits at absolute position
            ``k_len - q_len + i`` (decoding with a cache).
        bias: added to the scaled scores; broadcastable to
            ``(batch, heads, q_len, k_len)`` (e.g. ALiBi or a T5 relative bias of shape
            ``(heads, q_len, k_len)``).

    Returns:
        ``(output, weights)``: output ``(batch, heads, q_len, head_dim)``, and the
        attention weights ``(batch, heads, q_len, k_len)`` (each row sums to 1; masked
        entries are exactly 0).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_4d(name, t)
    causal = flag("causal", causal)
    if k.shape != v.shape:
        raise ValueError(
            f"k and v must have the same shape, got {tuple(k.shape)} and "
            f"{tuple(v.shape)}"
        )
    if q.dtype != k.dtype or k.dtype != v.dtype:
        raise TypeError(
            f"q, k and v must have the same dtype, got {q.dtype}, {k.dtype} and "
            f"{v.dtype}"
        )
    if q.device != k.device or k.device != v.device:
        raise ValueError(
            f"q, k and v must be on the same device, got {q.device}, {k.device} and "
            f"{v.device}"
        )
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(
            "bias must be None or a torch.Tensor broadcastable to "
            f"(batch, heads, q_len, k_len), got {checks.describe(bias)}"
        )
    if q.shape[0] != k.shape[0] or q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q {tuple(q.shape)} and k {tuple(k.shape)} must agree in batch (dim 0) "
            "and head_dim (dim 3)"
        )
    heads, kv_heads = q.shape[1], k.shape[1]
    if heads != kv_heads:
        if kv_heads == 0 or heads % kv_heads:
            raise ValueError(
                f"k/v heads ({kv_heads}) must equal or divide the query heads "
                f"({heads})"
            )
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
    q_len, k_len = q.shape[2], k.shape[2]
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if bias is not None:
        try:
            scores = scores + bias
        except RuntimeError as err:
            raise ValueError(
                f"bias of shape {tuple(bias.shape)} does not broadcast to the scores "
                f"(batch, heads, q_len, k_len) = {tuple(scores.shape)}") from err
        if scores.shape != (q.shape[0], heads, q_len, k_len):
            raise ValueError(
                f"bias of shape {tuple(bias.shape)} does not broadcast to "
                f"(batch, heads, q_len, k_len) = {(q.shape[0], heads, q_len, k_len)}")
    if causal:
        scores = scores.masked_fill(
            ~causal_mask(q_len, k_len, device=q.device), float("-inf")
        )
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


class KVCache:
    """Keys and values of one attention layer seen so far.

    ``k`` and ``v`` have shape ``(batch, kv_heads, cached_len, head_dim)`` (``None`` while empty). Keys are
    cached *after* any rotation (RoPE), so a cached key never needs to be touched again: its position
    does not change when later tokens arrive.
    """

    def __init__(self) -> None:
        self.k: Tensor | None = None
        self.v: Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.k is None else int(self.k.shape[2])

    def __repr__(self) -> str:
        shape = None if self.k is None else tuple(self.k.shape)
        return f"KVCache(len={len(self)}, shape={shape})"

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Add the keys and values of new tokens (each ``(batch, kv_heads, new_len, head_dim)``) and return
        all keys and values, old then new, each ``(batch, kv_heads, cached_len + new_len, head_dim)``."""
        _check_4d("k", k)
        _check_4d("v", v)
        if k.shape != v.shape:
            raise ValueError(f"k and v must have the same shape, got {tuple(k.shape)} and {tuple(v.shape)}")
        if self.k is None:
            self.k, self.v = k, v
        else:
            old = self.k.shape
            if (old[0], old[1], old[3]) != (k.shape[0], k.shape[1], k.shape[3]):
                raise ValueError(
                    f"new keys {tuple(k.shape)} do not match the cached keys {tuple(old)} in batch, heads "
                    "or head_dim")
            if k.dtype != self.k.dtype or k.device != self.k.device:
                raise ValueError(f"new keys are {k.dtype} on {k.device} but the cache holds {self.k.dtype} "
                                 f"on {self.k.device}")
            self.k = torch.cat([self.k, k], dim=2)
            self.v = torch.cat([self.v, v], dim=2)
        return self.k, self.v


class SelfAttention(nn.Module):
    """Multi-head self-attention: project, split into heads, attend, merge, project back.

    Args:
        d_model: width of the input and output vectors.
        n_heads: number of heads; must divide ``d_model`` (``head_dim = d_model // n_heads``).
        causal: each position attends only to itself and earlier positions (a decoder).
        rope: ``None``, or a :class:`QKTransform` (``.rotate(x, positions)``, ``x: (batch, heads, seq,
            head_dim)``, ``positions: LongTensor (seq,)``) applied to queries and keys (keys before
            caching), such as :class:`embedkit.rotary.RoPE`.
        bias: ``None``, or a :class:`ScoreBias` (a callable ``(q_positions (q_len,), k_positions (k_len,))
            -> (heads, q_len, k_len)``) added to the scores, such as :class:`embedkit.positions.ALiBi` or
            :class:`embedkit.positions.T5RelativeBias` (an ``nn.Module``, whose parameters then train
            with the layer).

    ``rope`` and ``bias`` are plain attributes: assign new ones after training (e.g. a RoPE with a scaled
    frequency table at inference).
    """

    def __init__(self, d_model: int, n_heads: int, *, causal: bool = False, rope=None, bias=None):
        super().__init__()
        d_model = checks.integer("d_model", d_model, minimum=1)
        n_heads = checks.integer("n_heads", n_heads, minimum=1)
        causal = flag("causal", causal)
        if rope is not None and not is_qk_transform(rope):
            raise TypeError(f"rope must be None or have a .rotate(x, positions) method (embedkit.rotary.RoPE), "
                            f"got {checks.describe(rope)}")
        if bias is not None and not is_score_bias(bias):
            raise TypeError(f"bias must be None or a callable (q_positions, k_positions) -> (heads, q_len, k_len) "
                            f"such as embedkit.positions.ALiBi, got {checks.describe(bias)}")
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.causal = causal
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model, bias=False)
        self.v_proj = nn.Linear(d_model, d_model, bias=False)
        self.out_proj = nn.Linear(d_model, d_model, bias=False)
        self.rope = rope
        self.bias = bias

    def __setattr__(self, name: str, value) -> None:
        # `rope` and `bias` may be swapped between a module (registered, so it trains and moves with
        # .to()) and a plain object or None; nn.Module would refuse the second kind of swap.
        if name in ("rope", "bias"):
            self._modules.pop(name, None)
            self.__dict__.pop(name, None)
        super().__setattr__(name, value)

    def _split(self, t: Tensor) -> Tensor:  # (batch, seq, d_model) -> (batch, heads, seq, head_dim)
        b, s, _ = t.shape
        return t.view(b, s, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        x: Tensor,
        *,
        cache: KVCache | None = None,
        return_weights: bool = False,
    ):
        """``x: (batch, seq, d_model)`` → ``(batch, seq, d_model)`` (and the weights
        ``(batch, heads, seq, cached_len + seq)`` if ``return_weights``).

        The new tokens sit at positions ``len(cache) … len(cache) + seq - 1``
        (``0 … seq - 1`` without a cache). With a cache, their keys and values are
        appended to it.
        """
        if not isinstance(x, Tensor):
            raise TypeError(
                "x must be a torch.Tensor of shape "
                f"(batch, seq, d_model={self.d_model}), got {checks.describe(x)}"
            )
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x must have shape (batch, seq, d_model={self.d_model}), "
                f"got {tuple(x.shape)}"
            )
        if not x.is_floating_point():
            raise TypeError(f"x must have a floating dtype, got {x.dtype}")
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(
                f"cache must be None or a KVCache, got {checks.describe(cache)}"
            )
        batch, seq, _ = x.shape
        start = len(cache) if cache is not None else 0
        positions = torch.arange(start, start + seq, device=x.device)
        q, k, v = (
            self._split(self.q_proj(x)),
            self._split(self.k_proj(x)),
            self._split(self.v_proj(x)),
        )
        if self.rope is not None:
            q = self.rope.rotate(q, positions)
            k = self.rope.rotate(k, positions)
        if cache is not None:
            k, v = cache.append(k, v)
        bias = None
        if self.bias is not None:
            k_positions = torch.arange(k.shape[2], device=x.device)
            bias = self.bias(positions, k_positions)
        out, weights = attention(q, k, v, causal=self.causal, bias=bias)
        out = self.out_proj(out.transpose(1, 2).reshape(batch, seq, self.d_model))
        return (out, weights) if return_weights else out
