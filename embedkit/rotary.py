"""Rotary position embedding (RoPE, Su et al. 2021): rotate queries and keys by angles proportional to position.

Split a head of ``d`` channels into ``d/2`` pairs. Pair ``i`` is a point in a plane; at position ``m`` it is
turned counter-clockwise by the angle ``m·θ_i`` with ``θ_i = base**(-2i/d)``:
``(x, y) → (x cos mθ_i − y sin mθ_i, x sin mθ_i + y cos mθ_i)``. The dot product of a query rotated for
position ``m`` and a key rotated for position ``n`` then depends on ``m − n`` only.

Which channels form a pair is a memory layout, not a different function:

* ``"half"`` (GPT-NeoX, Hugging Face ``rotate_half``): pair ``i`` = channels ``(i, i + d/2)``;
* ``"interleaved"`` (RoFormer, Meta's Llama code, GPT-J): pair ``i`` = channels ``(2i, 2i + 1)``.

:func:`layout_permutation` maps one onto the other, and :func:`convert_projection` rewrites a checkpoint's
query/key projection so a model trained with one layout runs with the other.

The pieces: :func:`inverse_frequencies` (the ``θ_i``), :func:`cos_sin` (angles computed in float64, then cast),
:func:`apply` (the fast rotation of a ``(..., seq, head_dim)`` tensor, differentiable) and :class:`RoPE`, which
holds a cos/sin cache and rotates by position. :func:`rotate_reference` is the slow, obviously correct
complex-number version that the tests and the book check the fast one against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from . import checks
from .positions import as_positions
from .rope_scaling import (
    MAX_POSITION_EMBEDDINGS,
    base_inverse_frequencies,
    check_scaling,
    from_hugging_face,
    scaled_inverse_frequencies,
)

LAYOUTS = ("half", "interleaved")
"""The two channel layouts: ``half`` pairs channel ``i`` with ``i + d/2``; ``interleaved`` pairs ``2i`` with ``2i + 1``."""

_CHUNK_ELEMENTS = 1 << 16
"""Elements per chunk in :func:`apply`: 256 KB of float32, so each chunk's four passes stay in the CPU cache."""

MAX_POSITIONS = MAX_POSITION_EMBEDDINGS
"""Largest ``max_positions`` a :class:`RoPE` accepts (2**53: positions are exact in float64 up to there)."""

CACHE_CHUNK = 1024
"""The cos/sin cache of :class:`RoPE` grows in steps of this many positions, to the longest position seen."""

CACHE_ELEMENTS = 1 << 22
"""At most this many entries (positions × pairs) are kept in each of the cos and sin caches (16 MB of
float32 each); positions past that are computed for the call and not kept."""


# -- frequencies and angles ----------------------------------------------------------------------------

def rotary_dim(head_dim: int, rotary_fraction: float = 1.0) -> int:
    """Number of rotated channels: ``int(head_dim * rotary_fraction)`` (as GPT-NeoX and Hugging Face round it).

    Raises ``ValueError`` if ``head_dim`` is not a positive even integer, the fraction is outside ``(0, 1]``,
    or the rotated part is not a positive even number of channels.
    """
    head_dim = checks.integer("head_dim", head_dim, minimum=1)
    if head_dim % 2:
        raise ValueError(f"head_dim must be even (channels are rotated in pairs), got {head_dim}")
    rotary_fraction = checks.real("rotary_fraction", rotary_fraction, minimum=0, maximum=1, open_min=True)
    dim = int(head_dim * rotary_fraction)
    if dim < 2 or dim % 2:
        raise ValueError(
            f"rotary_fraction={rotary_fraction} of head_dim={head_dim} rotates {dim} channels; it must be a positive even number"
        )
    return dim


def inverse_frequencies(head_dim: int, base: float = 10000.0, *, rotary_fraction: float = 1.0) -> torch.Tensor:
    """``θ_i = base**(-2i/d)`` for the ``d = rotary_dim(head_dim, rotary_fraction)`` rotated channels.

    Returns a float64 tensor of shape ``(d // 2,)``. With partial rotary the exponent's denominator is the
    rotated dimension ``d`` (GPT-NeoX ``rotary_pct``, Hugging Face ``partial_rotary_factor``), not ``head_dim``.
    """
    return base_inverse_frequencies(rotary_dim(head_dim, rotary_fraction), base)


def _check_inv_freq(inv_freq) -> torch.Tensor:
    inv_freq = checks.tensor("inv_freq", inv_freq, ndim=1, floating=True, finite=True)
    if inv_freq.numel() and bool((inv_freq < 0).any()):
        raise ValueError(f"inv_freq must be >= 0 (angular frequencies), got a minimum of {float(inv_freq.min())}")
    return inv_freq


def wavelengths(inv_freq: torch.Tensor) -> torch.Tensor:
    """``λ_i = 2π / θ_i``: the number of positions pair ``i`` needs for one full turn (``inf`` for θ = 0)."""
    return 2 * torch.pi / _check_inv_freq(inv_freq)


def angles(positions, inv_freq: torch.Tensor) -> torch.Tensor:
    """``m·θ_i`` for every position ``m`` and pair ``i``: float64 tensor ``(seq, pairs)``.

    Computed in float64 whatever the model's dtype: in bfloat16 the representable numbers near 2048 are 16
    apart, so positions themselves would collapse; in float32 the angle of a fast pair at position 100,000
    would be off by about 0.004 rad.
    """
    positions = as_positions(positions)
    inv_freq = _check_inv_freq(inv_freq)
    return positions.to(torch.float64)[:, None] * inv_freq.to(device=positions.device, dtype=torch.float64)[None, :]


def cos_sin(positions, inv_freq: torch.Tensor, *, attention_factor: float = 1.0, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``(attention_factor·cos(mθ_i), attention_factor·sin(mθ_i))``, each ``(seq, pairs)``, cast to ``dtype``.

    The angles are computed in float64 (:func:`angles`); only the results are cast. ``attention_factor``
    (YaRN, LongRoPE) multiplies both, as Hugging Face does, so a query–key logit grows by its square.
    """
    attention_factor = checks.real("attention_factor", attention_factor, minimum=0, open_min=True)
    _check_dtype(dtype)
    a = angles(positions, inv_freq)
    return (a.cos() * attention_factor).to(dtype), (a.sin() * attention_factor).to(dtype)


# -- layouts ----------------------------------------------------------------------------------------------

def _check_layout(layout: str) -> None:
    checks.choice("layout", layout, LAYOUTS)


def _check_dtype(dtype) -> None:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype such as torch.float32, got {checks.describe(dtype)}")


def pair_channels(head_dim: int, layout: str = "half", *, rotary_fraction: float = 1.0) -> list[tuple[int, int]]:
    """The two channels of each rotated pair, ``[(first, second), …]`` for pairs ``0 … d/2 − 1``.

    ``half``: ``(i, i + d/2)``; ``interleaved``: ``(2i, 2i + 1)``; ``d`` is the rotated dimension.
    """
    _check_layout(layout)
    d = rotary_dim(head_dim, rotary_fraction)
    if layout == "half":
        return [(i, i + d // 2) for i in range(d // 2)]
    return [(2 * i, 2 * i + 1) for i in range(d // 2)]


def layout_permutation(head_dim: int, *, rotary_fraction: float = 1.0) -> torch.Tensor:
    """``perm`` with ``x_half = x_interleaved[..., perm]``: ``[0, 2, …, d−2, 1, 3, …, d−1]`` then the pass-through.

    Slot ``j`` of the half layout holds interleaved channel ``perm[j]``. Its inverse,
    ``torch.argsort(perm)``, goes back. Channels beyond the rotated ``d`` are not moved.
    """
    d = rotary_dim(head_dim, rotary_fraction)
    return torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2), torch.arange(d, head_dim)])


def convert_projection(weight: torch.Tensor, n_heads: int, *, to: str = "half", rotary_fraction: float = 1.0) -> torch.Tensor:
    """Rewrite a query or key projection so a checkpoint trained with one layout runs with the other.

    Args:
        weight: ``(n_heads * head_dim, d_model)`` (an ``nn.Linear`` weight; a bias of shape
            ``(n_heads * head_dim,)`` works too). For the key projection pass the number of key/value heads.
        n_heads: heads in this projection.
        to: ``"half"`` converts an interleaved checkpoint (Meta) to the half layout (Hugging Face);
            ``"interleaved"`` goes back.

    Returns a new tensor whose output rows are permuted within each head. Values and the output projection
    are untouched: the rotation acts on queries and keys only, and the dot product of two vectors permuted
    the same way is unchanged.
    """
    _check_layout(to)
    weight = checks.tensor("weight", weight)
    if weight.dim() not in (1, 2):
        raise ValueError(f"weight must be (n_heads * head_dim, d_model) or a bias (n_heads * head_dim,), got shape {tuple(weight.shape)}")
    n_heads = checks.integer("n_heads", n_heads, minimum=1)
    rows = weight.shape[0]
    if rows % n_heads:
        raise ValueError(f"weight has {rows} output rows, not a multiple of n_heads={n_heads}")
    head_dim = rows // n_heads
    perm = layout_permutation(head_dim, rotary_fraction=rotary_fraction)
    if to == "interleaved":
        perm = torch.argsort(perm)
    heads = weight.reshape(n_heads, head_dim, *weight.shape[1:])
    return heads[:, perm.to(weight.device)].reshape(weight.shape).clone()


def _halves(t: torch.Tensor, layout: str, pairs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Views of the first and second channel of every pair: ``(..., pairs)`` each."""
    if layout == "half":
        return t[..., :pairs], t[..., pairs : 2 * pairs]
    return t[..., 0 : 2 * pairs : 2], t[..., 1 : 2 * pairs : 2]


# -- the rotation ---------------------------------------------------------------------------------------

def rotate_reference(x: torch.Tensor, positions, inv_freq: torch.Tensor, *, layout: str = "half", attention_factor: float = 1.0) -> torch.Tensor:
    """The slow, obviously correct RoPE: each pair as a complex number times ``e^{i m θ_i}``, in float64.

    ``x``: ``(..., seq, head_dim)``; returns float64 of the same shape. Channels beyond ``2·len(inv_freq)``
    pass through. Used to check :func:`apply`; not meant to be fast.
    """
    _check_layout(layout)
    x = checks.tensor("x", x, min_ndim=2, floating=True)
    inv_freq = _check_inv_freq(inv_freq)
    attention_factor = checks.real("attention_factor", attention_factor, minimum=0, open_min=True)
    if 2 * inv_freq.shape[0] > x.shape[-1]:
        raise ValueError(f"inv_freq has {inv_freq.shape[0]} pairs ({2 * inv_freq.shape[0]} channels) but x has only "
                         f"{x.shape[-1]} (shape {tuple(x.shape)})")
    positions = as_positions(positions)
    if positions.shape[0] != x.shape[-2]:
        raise ValueError(f"got {positions.shape[0]} positions for a sequence of {x.shape[-2]} (x has shape {tuple(x.shape)})")
    x = x.to(torch.float64)
    pairs = inv_freq.shape[0]
    first, second = _halves(x, layout, pairs)
    z = torch.complex(first, second)  # pair i as the complex number x + iy
    turn = angles(positions, inv_freq).to(x.device)
    z = z * torch.polar(torch.full_like(turn, attention_factor), turn)  # times r·e^{i m θ_i}
    out = x.clone()
    a, b = _halves(out, layout, pairs)
    a.copy_(z.real)
    b.copy_(z.imag)
    return out


def _check_apply(x, cos, sin, layout, out) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (..., seq, head_dim), got {checks.describe(x)}")
    for name, t in (("cos", cos), ("sin", sin)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {checks.describe(t)}")
    _check_layout(layout)
    if not x.dtype.is_floating_point:
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., seq, head_dim), got shape {tuple(x.shape)}")
    head_dim = x.shape[-1]
    if head_dim % 2:
        raise ValueError(f"head_dim (the last dimension of x) must be even, got {head_dim}")
    if cos.shape != sin.shape:
        raise ValueError(f"cos and sin must have the same shape, got {tuple(cos.shape)} and {tuple(sin.shape)}")
    if cos.dim() < 2:
        raise ValueError(f"cos and sin must have shape (seq, pairs) or (..., seq, pairs), got {tuple(cos.shape)}")
    pairs = cos.shape[-1]
    if 2 * pairs > head_dim:
        raise ValueError(f"cos/sin have {pairs} pairs ({2 * pairs} channels) but head_dim is only {head_dim}")
    if cos.shape[-2] != x.shape[-2]:
        raise ValueError(
            f"cos/sin cover {cos.shape[-2]} positions but x has {x.shape[-2]} (seq is dimension -2 of x, shape {tuple(x.shape)})"
        )
    for name, t in (("cos", cos), ("sin", sin)):
        if t.dtype != x.dtype:
            raise TypeError(f"{name} is {t.dtype} but x is {x.dtype}; cast it with {name}.to(x.dtype) (RoPE.rotate does this for you)")
        if t.device != x.device:
            raise ValueError(f"{name} is on {t.device} but x is on {x.device}; move it with {name}.to(x.device)")
    if out is not None:
        if not isinstance(out, torch.Tensor) or out.shape != x.shape or out.dtype != x.dtype or out.device != x.device:
            got = f"{tuple(out.shape)} {out.dtype} on {out.device}" if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(f"out must match x ({tuple(x.shape)} {x.dtype} on {x.device}), got {got}")


def _kernel(xa, xb, oa, ob, c, s, tmp) -> None:
    """``(a, b) → (a·c − b·s, b·c + a·s)`` written into ``(oa, ob)``; ``tmp`` is scratch when in place."""
    if tmp is None:
        torch.mul(xa, c, out=oa)
        oa.addcmul_(xb, s, value=-1)
        torch.mul(xb, c, out=ob)
        ob.addcmul_(xa, s)
    else:  # oa is xa, ob is xb: keep a copy of a before overwriting it
        tmp.copy_(xa)
        xa.mul_(c).addcmul_(xb, s, value=-1)
        xb.mul_(c).addcmul_(tmp, s)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, layout: str, out: torch.Tensor | None) -> torch.Tensor:
    pairs = cos.shape[-1]
    head_dim = x.shape[-1]
    if out is None:
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    inplace = out.data_ptr() == x.data_ptr() and out.stride() == x.stride()
    if not inplace and 2 * pairs < head_dim:
        out[..., 2 * pairs :].copy_(x[..., 2 * pairs :])
    seq = x.shape[-2]
    if cos.dim() == 2 and x.dim() >= 3 and x.device.type == "cpu":
        try:  # flatten the leading dimensions without copying, then work chunk by chunk in the cache
            x3, o3 = x.view(-1, seq, head_dim), out.view(-1, seq, head_dim)
        except RuntimeError:
            x3 = None
        if x3 is not None:
            rows = max(1, _CHUNK_ELEMENTS // head_dim)
            if seq <= rows:  # several whole (seq, head_dim) slices per chunk
                step = max(1, rows // seq)
                tmp = torch.empty((min(step, x3.shape[0]), seq, pairs), dtype=x.dtype) if inplace else None
                for b in range(0, x3.shape[0], step):
                    xa, xb = _halves(x3[b : b + step], layout, pairs)
                    oa, ob = _halves(o3[b : b + step], layout, pairs)
                    _kernel(xa, xb, oa, ob, cos, sin, None if tmp is None else tmp[: xa.shape[0]])
            else:
                tmp = torch.empty((rows, pairs), dtype=x.dtype) if inplace else None
                for b in range(x3.shape[0]):
                    for s0 in range(0, seq, rows):
                        xa, xb = _halves(x3[b, s0 : s0 + rows], layout, pairs)
                        oa, ob = _halves(o3[b, s0 : s0 + rows], layout, pairs)
                        c, s = cos[s0 : s0 + rows], sin[s0 : s0 + rows]
                        _kernel(xa, xb, oa, ob, c, s, None if tmp is None else tmp[: xa.shape[0]])
            return out
    xa, xb = _halves(x, layout, pairs)
    oa, ob = _halves(out, layout, pairs)
    _kernel(xa, xb, oa, ob, cos, sin, xa.clone() if inplace else None)
    return out


class _Rotate(torch.autograd.Function):
    """Autograd for :func:`apply`: the gradient of a rotation is the rotation by the opposite angle."""

    @staticmethod
    def forward(ctx, x, cos, sin, layout):
        ctx.save_for_backward(cos, sin)
        ctx.layout = layout
        return _rotate(x, cos, sin, layout, None)

    @staticmethod
    def backward(ctx, grad):
        cos, sin = ctx.saved_tensors
        # Rᵀ = R(−angle): same cos, negated sin. Going through apply() keeps double backward working.
        return apply(grad, cos, -sin, layout=ctx.layout), None, None, None


def apply(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, *, layout: str = "half", out: torch.Tensor | None = None) -> torch.Tensor:
    """Rotate every pair of channels of ``x`` by the angles whose cosines and sines are given.

    Args:
        x: ``(..., seq, head_dim)`` queries or keys, any floating dtype.
        cos, sin: ``(seq, pairs)`` (or broadcastable ``(..., seq, pairs)``), same dtype and device as ``x``,
            from :func:`cos_sin` or :meth:`RoPE.cos_sin`. The first ``2·pairs`` channels are rotated (all of
            them unless the rotary is partial); the rest pass through unchanged.
        layout: ``"half"`` (pair ``i`` = channels ``i, i + pairs``) or ``"interleaved"`` (``2i, 2i + 1``).
        out: optional output tensor shaped like ``x``; pass ``out=x`` to rotate in place.

    Returns the rotated tensor (``out`` if given). Differentiable with respect to ``x`` (and to cos/sin if
    they require grad). On CPU the work is done chunk by chunk with in-place multiply-adds on views of the
    two halves, so each chunk is read from memory once; see ``benchmarks/bench_rotary.py``.
    """
    _check_apply(x, cos, sin, layout, out)
    if torch.is_grad_enabled() and (x.requires_grad or cos.requires_grad or sin.requires_grad):
        if out is not None:
            raise ValueError("out= cannot be used when x, cos or sin require grad (autograd needs a fresh tensor)")
        if cos.requires_grad or sin.requires_grad:  # plain differentiable formula
            xa, xb = _halves(x, layout, cos.shape[-1])
            ra, rb = xa * cos - xb * sin, xb * cos + xa * sin
            rest = x[..., 2 * cos.shape[-1] :]
            if layout == "half":
                return torch.cat([ra, rb, rest], dim=-1)
            return torch.cat([torch.stack([ra, rb], dim=-1).flatten(-2), rest], dim=-1)
        return _Rotate.apply(x, cos, sin, layout)
    return _rotate(x, cos, sin, layout, out)


# -- the module-like object ---------------------------------------------------------------------------

class RoPE:
    """Rotary position embedding with a cos/sin cache: ``rope.rotate(x, positions)``.

    Args:
        head_dim: channels per head (even).
        base: the base of the frequencies ``θ_i = base**(-2i/d)`` (``rope_theta``): 10,000 in RoFormer and
            Llama 2, 500,000 in Llama 3.
        layout: ``"half"`` (Hugging Face, GPT-NeoX) or ``"interleaved"`` (Meta, GPT-J).
        rotary_fraction: rotate only the first ``int(head_dim·fraction)`` channels, with frequencies computed
            over that sub-dimension (GPT-NeoX ``rotary_pct``); the rest pass through.
        max_positions: positions must be below it (at most :data:`MAX_POSITIONS`). Nothing is allocated for
            it up front: the cache grows on demand, in steps of :data:`CACHE_CHUNK` positions, to the longest
            position seen, and keeps at most :data:`CACHE_ELEMENTS` entries; positions beyond that are
            computed per call. ``RoPE(8, max_positions=10**9)`` therefore costs nothing until it is used.
        scaling: context extension, a dict with Hugging Face ``rope_parameters`` keys, e.g.
            ``{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}``
            (see :mod:`embedkit.rope_scaling`). To build from a configuration as Hugging Face stores it, use
            :meth:`from_rope_parameters` or :meth:`from_config`.

    Attributes: ``inv_freq`` (float64 ``(pairs,)``), ``attention_factor`` (float), ``cos`` and ``sin``
    (float32 ``(max_positions, pairs)``, including the attention factor; built on first access). With
    ``dynamic`` scaling the frequencies depend on the sequence length (``max(positions) + 1``); they are
    recomputed per call beyond the original length (Hugging Face instead keeps the largest length seen so far).
    """

    def __init__(self, head_dim: int, *, base: float = 10000.0, layout: str = "half", rotary_fraction: float = 1.0,
                 max_positions: int = 4096, scaling: Mapping | None = None):
        self.rotary_dim = rotary_dim(head_dim, rotary_fraction)
        _check_layout(layout)
        self.max_positions = checks.integer("max_positions", max_positions, minimum=1, maximum=MAX_POSITIONS)
        self.head_dim = int(head_dim)
        self.base = checks.real("base", base, minimum=1, open_min=True)
        self.layout = layout
        self.rotary_fraction = float(rotary_fraction)
        self.scaling = check_scaling(scaling)
        if self.scaling["rope_type"] == "proportional" and self.rotary_fraction != 1.0:
            raise ValueError("proportional scaling chooses the turning pairs itself (its partial_rotary_factor); "
                             f"give rotary_fraction=1.0, got {rotary_fraction!r}")
        self.inv_freq, self.attention_factor = scaled_inverse_frequencies(self.rotary_dim, self.base, self.scaling)
        self._cached = torch.zeros(0, self.pairs), torch.zeros(0, self.pairs)  # float32 (rows, pairs)
        self._cast: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    @classmethod
    def from_rope_parameters(cls, head_dim: int, rope_parameters: Mapping | None, *, max_position_embeddings: int | None = None,
                             original_max_position_embeddings: int | None = None,
                             partial_rotary_factor: float | None = None, rope_theta: float | None = None,
                             layout: str = "half", max_positions: int | None = None) -> RoPE:
        """Build from a Hugging Face ``config.rope_parameters`` (or legacy ``config.rope_scaling``) dict.

        The dict is read exactly as transformers reads it (:func:`embedkit.rope_scaling.from_hugging_face`:
        legacy ``type`` key, LongRoPE's and YaRN's derived ``factor``, dynamic NTK's original length from
        ``max_position_embeddings``). The model-level values come as keywords named as in ``config.json``:
        ``max_position_embeddings``, a top-level ``original_max_position_embeddings`` (Phi-3),
        ``partial_rotary_factor`` and ``rope_theta`` (older configs keep them outside the dict; the dict's
        win). ``max_positions`` defaults to ``max(4096, max_position_embeddings)``. :meth:`from_config`
        reads all of them from a configuration object.
        """
        params = from_hugging_face({} if rope_parameters is None else rope_parameters,
                                   max_position_embeddings=max_position_embeddings,
                                   original_max_position_embeddings=original_max_position_embeddings,
                                   partial_rotary_factor=partial_rotary_factor, rope_theta=rope_theta)
        base = params.pop("rope_theta")
        fraction = params.pop("partial_rotary_factor")
        if params["rope_type"] == "proportional":  # the fraction picks turning pairs; every pair is kept
            params["partial_rotary_factor"], fraction = fraction, 1.0
        scaling = None if params["rope_type"] == "default" else params
        if max_positions is None:
            max_positions = max(4096, max_position_embeddings or 0)
        return cls(head_dim, base=base, layout=layout, rotary_fraction=fraction, max_positions=max_positions,
                   scaling=scaling)

    @classmethod
    def from_config(cls, config, *, layout: str = "half", max_positions: int | None = None) -> RoPE:
        """Build from a Hugging Face configuration (a ``PretrainedConfig`` or its ``config.json`` as a dict).

        Reads ``head_dim`` (or ``hidden_size // num_attention_heads``), ``rope_parameters`` (or
        ``rope_scaling``), ``rope_theta``, ``partial_rotary_factor``, ``max_position_embeddings`` and
        ``original_max_position_embeddings``, and passes them to :meth:`from_rope_parameters`. Nothing is
        downloaded and ``transformers`` need not be installed.
        """
        get = config.get if isinstance(config, Mapping) else (lambda key, default=None: getattr(config, key, default))
        head_dim = get("head_dim")
        if head_dim is None:
            hidden, heads = get("hidden_size"), get("num_attention_heads")
            if hidden is None or heads is None:
                raise ValueError("config needs head_dim, or hidden_size and num_attention_heads")
            head_dim = checks.integer("hidden_size", hidden, minimum=1) // checks.integer("num_attention_heads", heads, minimum=1)
        params = get("rope_parameters") or get("rope_scaling") or {}
        return cls.from_rope_parameters(
            head_dim, params, max_position_embeddings=get("max_position_embeddings"),
            original_max_position_embeddings=get("original_max_position_embeddings"),
            partial_rotary_factor=get("partial_rotary_factor"), rope_theta=get("rope_theta"),
            layout=layout, max_positions=max_positions)

    @property
    def pairs(self) -> int:
        return self.rotary_dim // 2

    def __repr__(self) -> str:
        kind = self.scaling["rope_type"]
        extra = "" if kind == "default" else f", scaling={kind!r}"
        part = "" if self.rotary_dim == self.head_dim else f", rotary_dim={self.rotary_dim}"
        return f"RoPE(head_dim={self.head_dim}, base={self.base:g}, layout={self.layout!r}{part}, max_positions={self.max_positions}{extra})"

    # -- the cache ---------------------------------------------------------------------------------------

    @property
    def cached_positions(self) -> int:
        """How many positions the cos/sin cache holds now (it grows on demand)."""
        return self._cached[0].shape[0]

    def _cache_limit(self) -> int:
        return min(self.max_positions, max(CACHE_CHUNK, CACHE_ELEMENTS // self.pairs))

    def _grow(self, last: int) -> None:
        """Extend the cache to cover positions ``0 … last − 1`` (rounded up to a chunk, within the limits)."""
        have = self.cached_positions
        if last <= have:
            return
        rows = min(self._cache_limit(), -(-last // CACHE_CHUNK) * CACHE_CHUNK)
        if rows <= have:
            return
        cos, sin = cos_sin(torch.arange(have, rows), self.inv_freq, attention_factor=self.attention_factor)
        self._cached = torch.cat([self._cached[0], cos]), torch.cat([self._cached[1], sin])
        self._cast.clear()

    def _table(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.max_positions > self._cache_limit():
            raise ValueError(
                f"the full cos/sin table of max_positions={self.max_positions:,} rows is not kept (at most "
                f"{self._cache_limit():,} rows are cached); ask rope.cos_sin(positions) for the positions you need")
        self._grow(self.max_positions)
        return self._cached

    @property
    def cos(self) -> torch.Tensor:
        """float32 ``(max_positions, pairs)``: ``attention_factor·cos(mθ_i)`` for every position (grows the cache)."""
        return self._table()[0]

    @property
    def sin(self) -> torch.Tensor:
        """float32 ``(max_positions, pairs)``: ``attention_factor·sin(mθ_i)`` for every position (grows the cache)."""
        return self._table()[1]

    def frequencies(self, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
        """``(inv_freq, attention_factor)`` in use for a sequence of ``seq_len`` positions."""
        if seq_len is not None:
            seq_len = checks.integer("seq_len", seq_len, minimum=0)
        if self.scaling["rope_type"] in ("dynamic", "longrope") and seq_len is not None:
            return scaled_inverse_frequencies(self.rotary_dim, self.base, self.scaling, seq_len=seq_len)
        return self.inv_freq, self.attention_factor

    def _length_dependent(self, seq_len: int) -> bool:
        kind = self.scaling["rope_type"]
        return kind in ("dynamic", "longrope") and seq_len > self.scaling["original_max_position_embeddings"]

    def cos_sin(self, positions=None, *, seq_len: int | None = None, offset: int = 0,
                dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin for ``positions`` (LongTensor ``(seq,)``; or ``range(offset, offset + seq_len)``): ``(seq, pairs)`` each."""
        _check_dtype(dtype)
        offset = checks.integer("offset", offset, minimum=0)
        if positions is None:
            if seq_len is None:
                raise ValueError("give positions, or seq_len (and optionally offset)")
            seq_len = checks.integer("seq_len", seq_len, minimum=0)
            last = offset + seq_len
            contiguous = True
        else:
            positions = as_positions(positions)
            last = int(positions.max()) + 1 if positions.numel() else 0
            # consecutive positions (the usual case) are a slice of the cache: no gather, no new tensor
            contiguous = positions.numel() > 0 and last - int(positions[0]) == positions.numel() and bool((positions.diff() == 1).all())
            if contiguous:
                offset = int(positions[0])
        if last > self.max_positions:
            raise ValueError(
                f"position {last - 1} is beyond the cos/sin cache (max_positions={self.max_positions}); "
                f"build RoPE(..., max_positions={last}) or more"
            )
        device = torch.device(device) if device is not None else torch.device("cpu")
        if self._length_dependent(last) or last > self._cache_limit():
            # frequencies that depend on the length, or positions past what is kept: computed for this call
            inv_freq, factor = self.frequencies(last) if self._length_dependent(last) else (self.inv_freq, self.attention_factor)
            pos = torch.arange(offset, last) if contiguous else positions.cpu()
            cos, sin = cos_sin(pos, inv_freq, attention_factor=factor, dtype=dtype)
            return cos.to(device), sin.to(device)
        self._grow(last)
        key = (dtype, device)
        if key not in self._cast:
            self._cast[key] = (self._cached[0].to(device=device, dtype=dtype), self._cached[1].to(device=device, dtype=dtype))
        cos, sin = self._cast[key]
        if contiguous:
            return cos[offset:last], sin[offset:last]
        positions = positions.to(device)
        return cos.index_select(0, positions), sin.index_select(0, positions)

    def rotate(self, x: torch.Tensor, positions=None, *, offset: int = 0, out: torch.Tensor | None = None) -> torch.Tensor:
        """Rotate ``x`` ``(..., seq, head_dim)`` for ``positions`` (LongTensor ``(seq,)``).

        Without ``positions`` the tokens sit at ``offset, offset + 1, …`` (``offset`` = tokens already in a
        KV cache). Returns a new tensor of ``x``'s dtype (``out=x`` rotates in place).
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (..., seq, head_dim), got {checks.describe(x)}")
        if x.dim() < 2 or x.shape[-1] != self.head_dim:
            raise ValueError(f"x must have shape (..., seq, {self.head_dim}) for this RoPE, got {tuple(x.shape)}")
        if not x.dtype.is_floating_point:
            raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
        seq = x.shape[-2]
        if positions is not None:
            positions = as_positions(positions)
            if positions.shape[0] != seq:
                raise ValueError(f"got {positions.shape[0]} positions for a sequence of {seq} (x has shape {tuple(x.shape)})")
        cos, sin = self.cos_sin(positions, seq_len=seq, offset=offset, dtype=x.dtype, device=x.device)
        return apply(x, cos, sin, layout=self.layout, out=out)

    __call__ = rotate


# -- what the book measures about RoPE ---------------------------------------------------------------------

def _distances(distances) -> torch.Tensor:
    """Relative distances ``Δ`` as a float64 ``(n,)`` tensor: finite numbers (the closed forms take any real Δ)."""
    if isinstance(distances, torch.Tensor):
        distances = distances.detach().cpu().numpy()
    return torch.as_tensor(checks.array("distances", distances, ndim=1), dtype=torch.float64)


def decay_bound(distances, inv_freq: torch.Tensor) -> torch.Tensor:
    """RoFormer's relative upper bound on the score at relative distance ``Δ``: ``(1/P)·Σ_{j=1..P} |S_j|``.

    With ``h_j`` the complex products of the query and key pairs and ``S_j = Σ_{k<j} e^{iΔθ_k}``, Abel
    summation gives ``|Σ_j h_j e^{iΔθ_j}| ≤ max_j |h_{j+1} − h_j| · Σ_j |S_j|`` (Su et al. 2021, §3.4.3).
    ``P = len(inv_freq)`` pairs; returns float64 ``(len(distances),)``. It equals ``(P + 1)/2`` at ``Δ = 0``.
    """
    d = _distances(distances)
    inv_freq = _check_inv_freq(inv_freq)
    if not inv_freq.numel():
        raise ValueError("inv_freq must hold at least one pair")
    turns = torch.exp(1j * d[:, None] * inv_freq.to(torch.float64)[None, :])  # (n, P)
    partial = torch.cumsum(turns, dim=1)  # S_1 … S_P
    return partial.abs().sum(dim=1) / inv_freq.shape[0]


def mean_cos_score(distances, inv_freq: torch.Tensor, attention_factor: float = 1.0) -> torch.Tensor:
    """``(af²/P)·Σ_i cos(Δ·θ_i)``: the score between a query and a key that are both ``(1, 0)`` in every pair,
    ``Δ`` positions apart, divided by the number of pairs ``P`` (1 at ``Δ = 0`` without scaling)."""
    d = _distances(distances)
    inv_freq = _check_inv_freq(inv_freq)
    attention_factor = checks.real("attention_factor", attention_factor, minimum=0, open_min=True)
    return torch.cos(d[:, None] * inv_freq.to(torch.float64)[None, :]).mean(dim=1) * attention_factor**2


def full_turns(inv_freq: torch.Tensor, context_length: int) -> torch.Tensor:
    """How many full turns each pair makes over positions ``0 … context_length − 1``: ``(L − 1)·θ_i / 2π``."""
    context_length = checks.integer("context_length", context_length, minimum=1)
    return (context_length - 1) * _check_inv_freq(inv_freq).to(torch.float64) / (2 * torch.pi)
