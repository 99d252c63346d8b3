"""Relative positions, added to the attention scores: T5's bucketed bias and ALiBi's linear penalty.

* :class:`T5RelativeBias`: one learned scalar per head and log-spaced distance bucket
  (:func:`relative_position_bucket`; Raffel et al., 2020).
* :class:`ALiBi`: a fixed linear penalty per head (:func:`alibi_slopes`, :func:`alibi_bias`; Press et al., 2022).

Both are :class:`~embedkit.positions.attention.ScoreBias` objects: ``bias(q_positions, k_positions)`` is a
``(heads, q_len, k_len)`` tensor for the ``bias=`` of :class:`~embedkit.positions.attention.SelfAttention`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .. import checks
from .indices import as_positions, flag, integer_tensor

__all__ = ["ALiBi", "T5RelativeBias", "alibi_bias", "alibi_slopes", "relative_position_bucket"]


# -- ALiBi ---------------------------------------------------------------------------------------


def _geometric_slopes(n: int) -> list[float]:
    # For a power of two n: start at 2^(-8/n) and multiply by the same ratio: 2^(-8/n), 2^(-16/n), ..., 2^-8.
    return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]


def alibi_slopes(n_heads: int) -> Tensor:
    """Per-head ALiBi slopes of Press et al. (2022), shape ``(n_heads,)``, float32.

    For ``n_heads`` a power of two the slopes are the geometric sequence
    ``2^(-8/n), 2^(-16/n), …, 2^-8`` (8 heads: ``1/2, 1/4, …, 1/256``). Otherwise, with
    ``c`` the largest power of two below ``n_heads``, they are the ``c`` slopes for
    ``c`` heads followed by every other slope of ``2c`` heads (the odd powers, which
    interleave with the first set) until there are ``n_heads``; this is the rule of the
    authors' code (12 heads: the 8-head slopes, then
    ``2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5``).
    """
    checks.integer("n_heads", n_heads, minimum=1)
    c = 2 ** int(math.floor(math.log2(n_heads)))
    slopes = _geometric_slopes(c)
    if c < n_heads:
        slopes += _geometric_slopes(2 * c)[0::2][: n_heads - c]
    return torch.tensor(slopes, dtype=torch.float32)


def alibi_bias(slopes: Tensor, q_positions, k_positions) -> Tensor:
    """ALiBi bias ``-m_h · |i - j|`` for query position ``i``, key position ``j`` and head slope ``m_h``;
    shape ``(heads, q_len, k_len)``, float32.

    In a causal model only ``j <= i`` survive the mask, where this is Press et al.'s ``-m_h · (i - j)``; the
    absolute value makes the same bias usable without a mask (as encoders with ALiBi do).
    """
    slopes = checks.tensor("slopes", slopes, ndim=1, floating=True, finite=True)
    q = as_positions(q_positions, "q_positions")
    k = as_positions(k_positions, "k_positions").to(q.device)
    distance = (q[:, None] - k[None, :]).abs().float()
    return -slopes.to(q.device, torch.float32)[:, None, None] * distance[None]


class ALiBi:
    """Attention with Linear Biases (Press et al., 2022): no position vectors at all, only a penalty on the
    attention score that grows linearly with the distance between query and key, steeper in some heads
    than in others (slopes from :func:`alibi_slopes`).

    Calling ``ALiBi(n_heads)(q_positions, k_positions)`` returns the ``(n_heads, q_len, k_len)`` bias of
    :func:`alibi_bias`, ready for the ``bias=`` of :class:`embedkit.positions.attention.SelfAttention`. Nothing is
    learned, and it is defined for every distance, which is why it extrapolates to longer inputs.
    """

    def __init__(self, n_heads: int):
        self.n_heads = checks.integer("n_heads", n_heads, minimum=1)
        self.slopes = alibi_slopes(n_heads)

    def __repr__(self) -> str:
        return f"ALiBi(n_heads={self.n_heads})"

    def __call__(self, q_positions, k_positions) -> Tensor:
        return alibi_bias(self.slopes, q_positions, k_positions)


# -- T5 relative bias ----------------------------------------------------------------------------


def relative_position_bucket(
    relative_position,
    *,
    bidirectional: bool = True,
    num_buckets: int = 32,
    max_distance: int = 128,
) -> Tensor:
    """T5's bucket for each relative position ``key_position - query_position``
    (Raffel et al., 2020).

    With ``bidirectional``, half the buckets are for keys after the query and half for
    keys before it; without, keys after the query (which a causal model masks) all share
    bucket 0 and every bucket is used for the past. Within one direction of ``n``
    buckets, distances ``0 … n/2 - 1`` each get their own bucket; larger distances share
    buckets whose widths grow geometrically up to ``max_distance``, and everything at or
    beyond ``max_distance`` falls in the last bucket. The logarithm is taken in float32
    like T5's own code, so bucket edges agree with trained checkpoints.

    ``relative_position`` is an integer tensor of any shape; the result is a LongTensor
    of the same shape.
    """
    _check_bucket_settings(bidirectional, num_buckets, max_distance)
    rel = integer_tensor(
        "relative_position", relative_position, expected="an integer tensor"
    ).long()
    n = num_buckets // 2 if bidirectional else num_buckets
    if bidirectional:
        offset = (rel > 0).long() * n  # keys after the query use the upper half
        distance = rel.abs()
    else:
        offset = torch.zeros_like(rel)
        # distance into the past; the future collapses to 0
        distance = (-rel).clamp(min=0)
    exact = n // 2
    # Geometric bucket for far distances:
    # exact + (n - exact) * log(distance/exact) / log(max_distance/exact).
    far = distance.clamp(min=1).float()
    log_bucket = exact + (
        torch.log(far / exact) / math.log(max_distance / exact) * (n - exact)
    ).long()
    log_bucket = log_bucket.clamp(max=n - 1)
    return offset + torch.where(distance < exact, distance, log_bucket)


def _check_bucket_settings(bidirectional, num_buckets, max_distance) -> None:
    flag("bidirectional", bidirectional)
    checks.integer("num_buckets", num_buckets, minimum=2)
    checks.integer("max_distance", max_distance, minimum=1)
    if bidirectional and num_buckets % 2:
        raise ValueError(f"num_buckets must be even when bidirectional (half for keys before the query, half for "
                         f"keys after it), got {num_buckets}")
    n = num_buckets // 2 if bidirectional else num_buckets
    exact = n // 2
    if exact < 1 or max_distance <= exact:
        raise ValueError(
            f"need at least 2 buckets per direction and max_distance > {exact} (buckets per direction // 2); "
            f"got num_buckets={num_buckets}, bidirectional={bidirectional}, max_distance={max_distance}")


class T5RelativeBias(nn.Module):
    """T5's learned relative position bias: one scalar per head and relative-position bucket, added to the
    attention scores (Raffel et al., 2020; a bucketed simplification of Shaw et al., 2018).

    ``forward(q_positions (q_len,), k_positions (k_len,))`` returns ``(n_heads, q_len, k_len)``. Defaults
    match T5's decoder (``bidirectional=False``, 32 buckets, ``max_distance=128``); T5's encoder uses
    ``bidirectional=True``. The table ``embedding.weight`` has shape ``(num_buckets, n_heads)`` and starts
    at zero, so an untrained bias changes nothing.
    """

    def __init__(self, n_heads: int, num_buckets: int = 32, max_distance: int = 128, bidirectional: bool = False):
        super().__init__()
        self.n_heads = checks.integer("n_heads", n_heads, minimum=1)
        _check_bucket_settings(bidirectional, num_buckets, max_distance)
        self.num_buckets, self.max_distance, self.bidirectional = int(num_buckets), int(max_distance), bool(bidirectional)
        self.embedding = nn.Embedding(num_buckets, n_heads)
        nn.init.zeros_(self.embedding.weight)

    def extra_repr(self) -> str:
        return (f"n_heads={self.n_heads}, num_buckets={self.num_buckets}, max_distance={self.max_distance}, "
                f"bidirectional={self.bidirectional}")

    def buckets(self, q_positions, k_positions) -> Tensor:
        """The ``(q_len, k_len)`` bucket index of every query/key pair."""
        q = as_positions(q_positions, "q_positions")
        k = as_positions(k_positions, "k_positions").to(q.device)
        return relative_position_bucket(k[None, :] - q[:, None], bidirectional=self.bidirectional,
                                        num_buckets=self.num_buckets, max_distance=self.max_distance)

    def forward(self, q_positions, k_positions) -> Tensor:
        b = self.buckets(q_positions, k_positions).to(self.embedding.weight.device)
        return self.embedding(b).permute(2, 0, 1)
