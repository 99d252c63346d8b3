"""The fast rotation, :func:`apply`: four in-place multiply-adds on views of the two halves of every pair.

On CPU the work runs chunk by chunk (:data:`CHUNK_ELEMENTS` at a time), so each chunk read from memory for the
first operation is still in the cache for the other three (the *implementation* page; timed in
``benchmarks/bench_rotary.py``). Autograd goes through :class:`_Rotate`: the gradient of a rotation is the
rotation by the opposite angle.
"""

from __future__ import annotations

import torch

from .. import checks
from .layouts import _halves, check_layout

__all__ = ["CHUNK_ELEMENTS", "apply"]

CHUNK_ELEMENTS = 1 << 16
"""Elements per chunk in :func:`apply`: 256 KB of float32, so each chunk's four passes stay in the CPU cache."""


def _check_apply(x, cos, sin, layout, out) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of shape (..., seq, head_dim), got {checks.describe(x)}")
    for name, t in (("cos", cos), ("sin", sin)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {checks.describe(t)}")
    check_layout(layout)
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
    """``(a, b) → (a·c − b·s, b·c + a·s)`` written into ``(oa, ob)``; ``tmp`` is scratch
    when in place."""
    if tmp is None:
        torch.mul(xa, c, out=oa)
        oa.addcmul_(xb, s, value=-1)
        torch.mul(xb, c, out=ob)
        ob.addcmul_(xa, s)
    else:  # oa is xa, ob is xb: keep a copy of a before overwriting it
        tmp.copy_(xa)
        xa.mul_(c).addcmul_(xb, s, value=-1)
        xb.mul_(c).addcmul_(tmp, s)


def _rotate_chunks(x3, o3, cos, sin, layout: str, tmp_needed: bool) -> None:
    """The CPU path of :func:`_rotate` over ``(rows, seq, head_dim)`` views: chunks of about
    :data:`CHUNK_ELEMENTS` elements, several whole sequences per chunk when they are short, slices of one
    sequence when it is long."""
    rows_, seq, head_dim = x3.shape
    pairs = cos.shape[-1]
    rows = max(1, CHUNK_ELEMENTS // head_dim)
    if seq <= rows:  # several whole (seq, head_dim) slices per chunk
        step = max(1, rows // seq)
        tmp = torch.empty((min(step, rows_), seq, pairs), dtype=x3.dtype) if tmp_needed else None
        for b in range(0, rows_, step):
            xa, xb = _halves(x3[b : b + step], layout, pairs)
            oa, ob = _halves(o3[b : b + step], layout, pairs)
            _kernel(xa, xb, oa, ob, cos, sin, None if tmp is None else tmp[: xa.shape[0]])
    else:
        tmp = torch.empty((rows, pairs), dtype=x3.dtype) if tmp_needed else None
        for b in range(rows_):
            for s0 in range(0, seq, rows):
                xa, xb = _halves(x3[b, s0 : s0 + rows], layout, pairs)
                oa, ob = _halves(o3[b, s0 : s0 + rows], layout, pairs)
                c, s = cos[s0 : s0 + rows], sin[s0 : s0 + rows]
                _kernel(xa, xb, oa, ob, c, s, None if tmp is None else tmp[: xa.shape[0]])


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
            _rotate_chunks(x3, o3, cos, sin, layout, inplace)
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


def apply(
    x: torch.Tensor,
    cos: torch.Tensor,
    sin: torch.Tensor,
    *,
    layout: str = "half",
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """Rotate every pair of channels of ``x`` by the angles whose cosines and sines are
    given.

    Args:
        x: ``(..., seq, head_dim)`` queries or keys, any floating dtype.
        cos, sin: ``(seq, pairs)`` (or broadcastable ``(..., seq, pairs)``), same dtype
            and device as ``x``, from :func:`cos_sin` or :meth:`RoPE.cos_sin`. The first
            ``2·pairs`` channels are rotated (all of them unless the rotary is partial);
            the rest pass through unchanged.
        layout: ``"half"`` (pair ``i`` = channels ``i, i + pairs``) or ``"interleaved"``
            (``2i, 2i + 1``).
        out: optional output tensor shaped like ``x``; pass ``out=x`` to rotate
            in place.

    Returns the rotated tensor (``out`` if given). Differentiable with respect to ``x``
    (and to cos/sin if they require grad). On CPU the work is done chunk by chunk with
    in-place multiply-adds on views of the two halves, so each chunk is read from memory
    once; see ``benchmarks/bench_rotary.py``.
    """
    _check_apply(x, cos, sin, layout, out)
    if torch.is_grad_enabled() and (
        x.requires_grad or cos.requires_grad or sin.requires_grad
    ):
        if out is not None:
            raise ValueError(
                "out= cannot be used when x, cos or sin require grad "
                "(autograd needs a fresh tensor)"
            )
        if cos.requires_grad or sin.requires_grad:  # plain differentiable formula
            xa, xb = _halves(x, layout, cos.shape[-1])
            ra, rb = xa * cos - xb * sin, xb * cos + xa * sin
            rest = x[..., 2 * cos.shape[-1] :]
            if layout == "half":
                return torch.cat([ra, rb, rest], dim=-1)
            return torch.cat([torch.stack([ra, rb], dim=-1).flatten(-2), rest], dim=-1)
        return _Rotate.apply(x, cos, sin, layout)
    return _rotate(x, cos, sin, layout, out)

