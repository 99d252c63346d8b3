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

import torch
from torch import Tensor, nn

__all__ = [
    "ALiBi",
    "LearnedPositions",
    "T5RelativeBias",
    "alibi_bias",
    "alibi_slopes",
    "relative_position_bucket",
    "shift_matrix",
    "sinusoidal",
    "sinusoidal_dot",
    "sinusoidal_frequencies",
]


# -- checks --------------------------------------------------------------------------------------


def _check_int(name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_dim(dim) -> int:
    _check_int("dim", dim, minimum=2)
    if dim % 2:
        raise ValueError(f"dim must be even (sines and cosines come in pairs), got {dim}")
    return dim


def _check_base(base) -> float:
    if not isinstance(base, (int, float)) or isinstance(base, bool) or not base > 1:
        raise ValueError(f"base must be a number > 1, got {base!r}")
    return float(base)


def _as_positions(name: str, positions) -> Tensor:
    if not isinstance(positions, Tensor):
        positions = torch.as_tensor(positions)
    if positions.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of positions (seq,), got shape {tuple(positions.shape)}")
    if positions.is_floating_point() or positions.is_complex() or positions.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, got dtype {positions.dtype}")
    return positions.long()


# -- sinusoidal ----------------------------------------------------------------------------------


def sinusoidal_frequencies(dim: int, base: float = 10000.0) -> Tensor:
    """The ``dim // 2`` angular frequencies ``ω_i = base ** (-2i / dim)``, float64, from 1 down to just
    above ``1 / base``. Pair ``i`` repeats every ``2π / ω_i`` positions: wavelengths run from ``2π``
    (``i = 0``) towards ``base · 2π``."""
    dim, base = _check_dim(dim), _check_base(base)
    return base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)


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
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an int, got {type(k).__name__}: {k!r}")
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
    off = torch.as_tensor(offset, dtype=torch.float64)
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
        self.table = nn.Embedding(max_len, dim)
        nn.init.normal_(self.table.weight, std=init_std)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, dim={self.dim}"

    def forward(self, positions) -> Tensor:
        positions = _as_positions("positions", positions)
        if positions.numel():
            lo, hi = int(positions.min()), int(positions.max())
            if lo < 0:
                raise ValueError(f"positions must be >= 0, got {lo}")
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
    q = _as_positions("q_positions", q_positions)
    k = _as_positions("k_positions", k_positions).to(q.device)
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
        self.n_heads = n_heads
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
    _check_int("num_buckets", num_buckets, minimum=2)
    _check_int("max_distance", max_distance, minimum=1)
    rel = torch.as_tensor(relative_position)
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
    if exact < 1 or max_distance <= exact:
        raise ValueError(
            f"need at least 2 buckets per direction and max_distance > {exact} (buckets per direction // 2); "
            f"got num_buckets={num_buckets}, bidirectional={bidirectional}, max_distance={max_distance}")
    # Geometric bucket for far distances: exact + (n - exact) * log(distance/exact) / log(max_distance/exact).
    far = distance.clamp(min=1).float()
    log_bucket = exact + (torch.log(far / exact) / math.log(max_distance / exact) * (n - exact)).long()
    log_bucket = log_bucket.clamp(max=n - 1)
    return offset + torch.where(distance < exact, distance, log_bucket)


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
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        relative_position_bucket(torch.zeros(1, dtype=torch.long), bidirectional=bidirectional,
                                 num_buckets=num_buckets, max_distance=max_distance)  # validates the settings
        self.embedding = nn.Embedding(num_buckets, n_heads)
        nn.init.zeros_(self.embedding.weight)

    def extra_repr(self) -> str:
        return (f"n_heads={self.n_heads}, num_buckets={self.num_buckets}, max_distance={self.max_distance}, "
                f"bidirectional={self.bidirectional}")

    def buckets(self, q_positions, k_positions) -> Tensor:
        """The ``(q_len, k_len)`` bucket index of every query/key pair."""
        q = _as_positions("q_positions", q_positions)
        k = _as_positions("k_positions", k_positions).to(q.device)
        return relative_position_bucket(k[None, :] - q[:, None], bidirectional=self.bidirectional,
                                        num_buckets=self.num_buckets, max_distance=self.max_distance)

    def forward(self, q_positions, k_positions) -> Tensor:
        b = self.buckets(q_positions, k_positions).to(self.embedding.weight.device)
        return self.embedding(b).permute(2, 0, 1)
