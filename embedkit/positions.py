"""Ways to tell attention where each token is: absolute position vectors and relative score biases.

Attention by itself is blind to order (:mod:`embedkit.attention`). The schemes here put order back:

* **Absolute, added to the input.** :class:`LearnedPositions` (a trained table, as in GPT-2 and BERT) and
  :func:`sinusoidal` (the fixed sines and cosines of Vaswani et al., 2017), with the two facts that make
  sinusoids attractive: a shift by ``k`` positions is a fixed block rotation (:func:`shift_matrix`), and the
  dot product of two encodings depends only on their offset (:func:`sinusoidal_dot`).
* **Relative, added to the attention scores.** :class:`T5RelativeBias` (one learned scalar per head and
  log-spaced distance bucket, Raffel et al., 2020) and :class:`ALiBi` (a fixed linear penalty per head,
  Press et al., 2022).

Rotary embeddings, which rotate queries and keys instead, have their own module, :mod:`embedkit.rotary`.
All functions return ``torch`` tensors; ``float32`` unless said otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from . import checks
from .rope_scaling import base_inverse_frequencies

__all__ = [
    "ALiBi",
    "LearnedPositions",
    "T5RelativeBias",
    "alibi_bias",
    "alibi_slopes",
    "as_positions",
    "relative_position_bucket",
    "shift_matrix",
    "sinusoidal",
    "sinusoidal_dot",
    "sinusoidal_frequencies",
]


# -- checks --------------------------------------------------------------------------------------


def _check_int(name: str, value, *, minimum: int) -> int:
    return checks.integer(name, value, minimum=minimum)


def _check_dim(dim) -> int:
    checks.integer("dim", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim must be even (sines and cosines come in pairs), got {dim}")
    return int(dim)


def _check_base(base) -> float:
    return checks.real("base", base, minimum=1, open_min=True)


def as_positions(positions, name: str = "positions") -> Tensor:
    """``positions`` as a 1-D ``LongTensor`` of token indices ``>= 0``: the one rule for positions in
    :mod:`embedkit.positions` and :mod:`embedkit.rotary`.

    Accepts a ``range``, a list or tuple of integers, a NumPy integer array or an integer tensor (its device
    is kept). Refuses floats, booleans and strings (``TypeError``: ``1.5`` is not a token index, and
    ``[True, False]`` is a mask, not positions), anything that is not 1-D and negative indices (``ValueError``).
    """
    if isinstance(positions, range):
        if positions.step < 0 and len(positions):  # a descending range ends at its last element
            lowest = positions[-1]
        else:
            lowest = positions.start
        if len(positions) and lowest < 0:
            raise ValueError(f"{name} must be >= 0 (token indices), got {lowest}")
        return torch.arange(positions.start, positions.stop, positions.step, dtype=torch.long)
    if isinstance(positions, (str, bytes)) or positions is None:
        raise TypeError(f"{name} must be a 1-D sequence of integer positions (seq,), got {checks.describe(positions)}")
    if not isinstance(positions, Tensor):
        if isinstance(positions, (list, tuple)) and len(positions) == 0:
            return torch.zeros(0, dtype=torch.long)
        try:
            positions = torch.as_tensor(np.asarray(positions) if not isinstance(positions, (list, tuple)) else positions)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a 1-D sequence of integer positions (seq,), got "
                            f"{checks.describe(positions)} ({err})") from None
    if positions.is_floating_point() or positions.is_complex() or positions.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers (token indices), got dtype {positions.dtype}")
    if positions.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of positions (seq,), got shape {tuple(positions.shape)}")
    if positions.numel() and int(positions.min()) < 0:
        raise ValueError(f"{name} must be >= 0 (token indices), got {int(positions.min())}")
    return positions.long()


# -- sinusoidal ----------------------------------------------------------------------------------


def sinusoidal_frequencies(dim: int, base: float = 10000.0) -> Tensor:
    """The ``dim // 2`` angular frequencies ``ω_i = base ** (-2i / dim)``, float64, from 1 down to just
    above ``1 / base``. Pair ``i`` repeats every ``2π / ω_i`` positions: wavelengths run from ``2π``
    (``i = 0``) towards ``base · 2π``."""
    dim, base = _check_dim(dim), _check_base(base)
    return base_inverse_frequencies(dim, base)  # the same θ_i = base^(-2i/d) as RoPE's


def sinusoidal(n_positions: int, dim: int, base: float = 10000.0) -> Tensor:
    """Sinusoidal position encodings of Vaswani et al. (2017), shape ``(n_positions, dim)``, float32.

    ``PE[p, 2i] = sin(p · ω_i)`` and ``PE[p, 2i + 1] = cos(p · ω_i)`` with ``ω_i = base ** (-2i / dim)``
    (:func:`sinusoidal_frequencies`). The angles are computed in float64 and only the result is cast, so
    positions in the hundreds of thousands are still distinct.

    Raises ``ValueError`` for a negative ``n_positions``, an odd or too small ``dim``, or ``base <= 1``.
    """
    _check_int("n_positions", n_positions, minimum=0)
    omega = sinusoidal_frequencies(dim, base)
    angle = torch.arange(n_positions, dtype=torch.float64)[:, None] * omega[None, :]
    pe = torch.empty(n_positions, dim, dtype=torch.float64)
    pe[:, 0::2] = angle.sin()
    pe[:, 1::2] = angle.cos()
    return pe.float()


def shift_matrix(k: int, dim: int, base: float = 10000.0) -> Tensor:
    """The fixed ``(dim, dim)`` matrix ``M_k`` with ``sinusoidal(...)[p + k] == M_k @ sinusoidal(...)[p]``
    for every position ``p``; float64.

    It is block diagonal: pair ``(sin pω, cos pω)`` is turned by the angle ``kω`` with the block
    ``[[cos kω, sin kω], [-sin kω, cos kω]]``, by the angle-addition formulas. ``M_k`` depends on ``k`` but
    not on ``p``: moving every token ``k`` places is one linear map, the same everywhere. ``k`` may be
    negative (``M_{-k}`` is the inverse, and the transpose, of ``M_k``).
    """
    k = checks.integer("k", k)
    omega = sinusoidal_frequencies(dim, base)
    c, s = torch.cos(k * omega), torch.sin(k * omega)
    m = torch.zeros(dim, dim, dtype=torch.float64)
    i = torch.arange(0, dim, 2)
    m[i, i], m[i, i + 1] = c, s
    m[i + 1, i], m[i + 1, i + 1] = -s, c
    return m


def sinusoidal_dot(offset, dim: int, base: float = 10000.0) -> Tensor:
    """``PE[p] · PE[p + offset] = Σ_i cos(offset · ω_i)`` in closed form, float64, for any ``p``.

    The dot product of two sinusoidal encodings depends only on how far apart they are (and is symmetric
    in the offset). ``offset`` is an int or an integer tensor of any shape; the result has its shape.
    """
    omega = sinusoidal_frequencies(dim, base)
    if isinstance(offset, (bool, str, bytes)) or offset is None:
        raise TypeError(f"offset must be an integer or an integer tensor, got {checks.describe(offset)}")
    try:
        off = torch.as_tensor(offset)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"offset must be an integer or an integer tensor, got {checks.describe(offset)} ({err})") from None
    if off.is_floating_point() or off.is_complex() or off.dtype == torch.bool:
        raise TypeError(f"offset must hold integers (distances in positions), got dtype {off.dtype}")
    off = off.to(torch.float64)
    return torch.cos(off[..., None] * omega).sum(-1)


# -- learned -------------------------------------------------------------------------------------


class LearnedPositions(nn.Module):
    """A trained table of ``max_len`` position vectors, added to the token embeddings (GPT-2, BERT).

    ``forward(positions)`` looks rows up: ``positions`` is a LongTensor ``(seq,)`` and the result is
    ``(seq, dim)``. The table has no row for a position ``>= max_len``; asking for one raises a
    ``ValueError`` that names ``max_len`` (PyTorch would raise an opaque ``IndexError``). Rows start as
    ``N(0, init_std²)`` (GPT-2 uses 0.01 for positions, 0.02 for tokens).
    """

    def __init__(self, max_len: int, dim: int, *, init_std: float = 0.02):
        super().__init__()
        self.max_len = _check_int("max_len", max_len, minimum=1)
        self.dim = _check_int("dim", dim, minimum=1)
        init_std = checks.real("init_std", init_std, minimum=0)
        self.table = nn.Embedding(max_len, dim)
        nn.init.normal_(self.table.weight, std=init_std)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, dim={self.dim}"

    def forward(self, positions) -> Tensor:
        positions = as_positions(positions)
        if positions.numel():
            hi = int(positions.max())
            if hi >= self.max_len:
                raise ValueError(
                    f"position {hi} is beyond the learned table: max_len={self.max_len}, so positions "
                    f"0..{self.max_len - 1} have vectors and later ones were never trained")
        return self.table(positions.to(self.table.weight.device))


# -- ALiBi ---------------------------------------------------------------------------------------


def _geometric_slopes(n: int) -> list[float]:
    # For a power of two n: start at 2^(-8/n) and multiply by the same ratio: 2^(-8/n), 2^(-16/n), ..., 2^-8.
    return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]


def alibi_slopes(n_heads: int) -> Tensor:
    """Per-head ALiBi slopes of Press et al. (2022), shape ``(n_heads,)``, float32.

    For ``n_heads`` a power of two the slopes are the geometric sequence ``2^(-8/n), 2^(-16/n), …, 2^-8``
    (8 heads: ``1/2, 1/4, …, 1/256``). Otherwise, with ``c`` the largest power of two below ``n_heads``,
    they are the ``c`` slopes for ``c`` heads followed by every other slope of ``2c`` heads (the odd
    powers, which interleave with the first set) until there are ``n_heads``; this is the rule of the
    authors' code (12 heads: the 8-head slopes, then ``2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5``).
    """
    _check_int("n_heads", n_heads, minimum=1)
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
    :func:`alibi_bias`, ready for the ``bias=`` of :class:`embedkit.attention.SelfAttention`. Nothing is
    learned, and it is defined for every distance, which is why it extrapolates to longer inputs.
    """

    def __init__(self, n_heads: int):
        self.n_heads = _check_int("n_heads", n_heads, minimum=1)
        self.slopes = alibi_slopes(n_heads)

    def __repr__(self) -> str:
        return f"ALiBi(n_heads={self.n_heads})"

    def __call__(self, q_positions, k_positions) -> Tensor:
        return alibi_bias(self.slopes, q_positions, k_positions)


# -- T5 relative bias ----------------------------------------------------------------------------


def relative_position_bucket(relative_position, *, bidirectional: bool = True, num_buckets: int = 32,
                             max_distance: int = 128) -> Tensor:
    """T5's bucket for each relative position ``key_position - query_position`` (Raffel et al., 2020).

    With ``bidirectional``, half the buckets are for keys after the query and half for keys before it;
    without, keys after the query (which a causal model masks) all share bucket 0 and every bucket is
    used for the past. Within one direction of ``n`` buckets, distances ``0 … n/2 - 1`` each get their own
    bucket; larger distances share buckets whose widths grow geometrically up to ``max_distance``, and
    everything at or beyond ``max_distance`` falls in the last bucket. The logarithm is taken in float32
    like T5's own code, so bucket edges agree with trained checkpoints.

    ``relative_position`` is an integer tensor of any shape; the result is a LongTensor of the same shape.
    """
    _check_bucket_settings(bidirectional, num_buckets, max_distance)
    if isinstance(relative_position, (bool, str, bytes)) or relative_position is None:
        raise TypeError(f"relative_position must be an integer tensor, got {checks.describe(relative_position)}")
    try:
        rel = torch.as_tensor(relative_position)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"relative_position must be an integer tensor, got {checks.describe(relative_position)} "
                        f"({err})") from None
    if rel.is_floating_point() or rel.is_complex() or rel.dtype == torch.bool:
        raise TypeError(f"relative_position must hold integers, got dtype {rel.dtype}")
    rel = rel.long()
    n = num_buckets // 2 if bidirectional else num_buckets
    if bidirectional:
        offset = (rel > 0).long() * n  # keys after the query use the upper half
        distance = rel.abs()
    else:
        offset = torch.zeros_like(rel)
        distance = (-rel).clamp(min=0)  # distance into the past; the future collapses to 0
    exact = n // 2
    # Geometric bucket for far distances: exact + (n - exact) * log(distance/exact) / log(max_distance/exact).
    far = distance.clamp(min=1).float()
    log_bucket = exact + (torch.log(far / exact) / math.log(max_distance / exact) * (n - exact)).long()
    log_bucket = log_bucket.clamp(max=n - 1)
    return offset + torch.where(distance < exact, distance, log_bucket)


def _check_bucket_settings(bidirectional, num_buckets, max_distance) -> None:
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise TypeError(f"bidirectional must be True or False, got {checks.describe(bidirectional)}")
    _check_int("num_buckets", num_buckets, minimum=2)
    _check_int("max_distance", max_distance, minimum=1)
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
        self.n_heads = _check_int("n_heads", n_heads, minimum=1)
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
