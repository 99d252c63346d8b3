"""Multimodal RoPE (M-RoPE): positions with three coordinates, (time, height, width).

Qwen2-VL (Wang et al. 2024, arXiv 2409.12191) gives every token a position ``(t, h, w)``
and splits the ``d/2`` rotation pairs into three groups (``mrope_section``, e.g.
``[16, 24, 24]`` for ``head_dim`` 128): pair ``i`` turns by ``p[axis(i)]·θ_i``, where
``axis(i)`` is the coordinate its group follows. The frequencies ``θ_i`` are RoPE's own
(:func:`~embedkit.rotary.frequencies.inverse_frequencies`), the angles
:func:`~embedkit.rotary.frequencies.angles` and the rotation
:func:`~embedkit.rotary.kernel.apply`; only the position each pair reads changes. A
text token gets ``t = h = w`` (its ordinary index), so every pair turns by ``m·θ_i``:
plain RoPE.

Two layouts of the pairs over the axes (:func:`pair_axes`):

* ``"sections"`` (Qwen2-VL, Qwen2.5-VL): contiguous blocks, time first, so time owns the
  fastest pairs and width the slowest;
* ``"interleaved"`` (Qwen3-VL): pairs ``0, 1, 2, 3, …`` follow ``t, h, w, t, …`` while
  height and width still have pairs left, the rest follow time; every axis gets fast and
  slow pairs.

:func:`rope_index` builds the ``(3, seq)`` positions of a prompt with images between
text tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .. import checks
from ..positions import as_positions
from ..positions.indices import integer_tensor
from .frequencies import angles, check_dtype, check_inv_freq
from .kernel import apply

__all__ = ["AXES", "MROPE_LAYOUTS", "apply_mrope", "check_sections", "mrope_angles",
           "mrope_cos_sin", "mrope_positions", "pair_axes", "rope_index"]

AXES = ("time", "height", "width")
"""The three coordinates of an M-RoPE position, in the order of ``mrope_section``."""

MROPE_LAYOUTS = ("sections", "interleaved")
"""How pairs are given to axes: contiguous sections (Qwen2-VL) or interleaved
``t, h, w, …`` (Qwen3-VL)."""


def _three(mrope_section) -> tuple[int, int, int]:
    text = isinstance(mrope_section, (str, bytes))
    if text or not isinstance(mrope_section, Sequence):
        raise TypeError("mrope_section must be a list of three integers (time, height, "
                        f"width pairs), got {checks.describe(mrope_section)}")
    if len(mrope_section) != 3:
        raise ValueError("mrope_section must have three entries (time, height, width), "
                         f"got {len(mrope_section)}: {list(mrope_section)}")
    sec = tuple(checks.integer(f"mrope_section[{k}]", s, minimum=0)
                for k, s in enumerate(mrope_section))
    if sum(sec) < 1:
        raise ValueError(f"mrope_section must give at least one pair, got {list(sec)}")
    return sec


def check_sections(mrope_section, pairs: int) -> tuple[int, int, int]:
    """``mrope_section`` as three integers ``>= 0`` that add up to ``pairs``
    (``head_dim / 2``)."""
    pairs = checks.integer("pairs", pairs, minimum=1)
    sec = _three(mrope_section)
    if sum(sec) != pairs:
        raise ValueError("mrope_section must add up to the number of pairs "
                         f"(head_dim / 2 = {pairs}), got {list(sec)} (sum {sum(sec)})")
    return sec


def pair_axes(mrope_section, *, layout: str = "sections") -> torch.Tensor:
    """The axis (0 time, 1 height, 2 width) each pair turns with: LongTensor
    ``(pairs,)``.

    ``"sections"``: ``sec[0]`` time pairs, then ``sec[1]`` height, then ``sec[2]``
    width. ``"interleaved"`` (Qwen3-VL): pair ``j`` follows height if ``j % 3 == 1``
    and ``j < 3·sec[1]``, width if ``j % 3 == 2`` and ``j < 3·sec[2]``, time otherwise
    (so time also takes the tail, as with ``[24, 20, 20]``).
    """
    checks.choice("layout", layout, MROPE_LAYOUTS)
    sec = _three(mrope_section)
    if layout == "sections":
        return torch.repeat_interleave(torch.arange(3), torch.tensor(sec))
    j = torch.arange(sum(sec))
    axes = torch.zeros(sum(sec), dtype=torch.long)
    for axis in (1, 2):
        axes[(j % 3 == axis) & (j < 3 * sec[axis])] = axis
    counts = torch.bincount(axes, minlength=3).tolist()
    if counts != list(sec):  # an axis wants more than every third pair can give it
        raise ValueError(f"mrope_section {list(sec)} cannot be interleaved over "
                         f"{sum(sec)} pairs: the pattern t, h, w, … gives {counts}")
    return axes


def mrope_positions(positions) -> torch.Tensor:
    """Positions as a LongTensor ``(3, seq)`` of (time, height, width) rows.

    A 1-D sequence ``(seq,)`` is text: the three rows are copies of it (``t = h = w``).
    """
    p = integer_tensor("positions", positions, expected="positions of shape (seq,) or "
                       "(3, seq)", holds="integers (token indices)")
    if p.dim() == 1:
        return as_positions(p).expand(3, -1)
    if p.dim() != 2 or p.shape[0] != 3:
        raise ValueError("positions must have shape (seq,) for text or (3, seq) for "
                         f"(time, height, width), got shape {tuple(p.shape)}")
    if p.numel() and int(p.min()) < 0:
        raise ValueError(f"positions must be >= 0 (token indices), got {int(p.min())}")
    return p.long()


def mrope_angles(positions, inv_freq: torch.Tensor, mrope_section, *,
                 layout: str = "sections") -> torch.Tensor:
    """float64 ``(seq, pairs)``: pair ``i`` of token ``n`` turned by
    ``p[axis(i), n]·θ_i``.

    ``positions`` is ``(3, seq)`` (or ``(seq,)`` for text), ``inv_freq`` the ``θ_i``
    ``(pairs,)``. Each axis's angles are :func:`~embedkit.rotary.frequencies.angles`;
    every pair keeps the column of its own axis.
    """
    p = mrope_positions(positions)
    inv_freq = check_inv_freq(inv_freq)
    check_sections(mrope_section, inv_freq.numel())
    axes = pair_axes(mrope_section, layout=layout).to(p.device)
    # (3, seq, pairs): every pair at every axis's position, then each pair's own axis
    per_axis = torch.stack([angles(p[k], inv_freq) for k in range(3)])
    return per_axis.gather(0, axes.expand(1, p.shape[1], -1)).squeeze(0)


def mrope_cos_sin(positions, inv_freq: torch.Tensor, mrope_section, *,
                  layout: str = "sections", attention_factor: float = 1.0,
                  dtype: torch.dtype = torch.float32,
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of :func:`mrope_angles` (times ``attention_factor``), each
    ``(seq, pairs)``.

    Cast to ``dtype`` only at the end, like RoPE's own
    :func:`~embedkit.rotary.frequencies.cos_sin`; they go straight into
    :func:`~embedkit.rotary.kernel.apply`.
    """
    attention_factor = checks.real("attention_factor", attention_factor, minimum=0,
                                   open_min=True)
    check_dtype(dtype)
    a = mrope_angles(positions, inv_freq, mrope_section, layout=layout)
    cos, sin = a.cos() * attention_factor, a.sin() * attention_factor
    return cos.to(dtype), sin.to(dtype)


def apply_mrope(x: torch.Tensor, positions, inv_freq: torch.Tensor, mrope_section, *,
                layout: str = "sections", channel_layout: str = "half",
                attention_factor: float = 1.0) -> torch.Tensor:
    """Rotate queries or keys ``x`` ``(..., seq, head_dim)`` for positions ``(3, seq)``.

    :func:`mrope_cos_sin` then :func:`~embedkit.rotary.kernel.apply`. ``layout`` gives
    pairs to axes (``"sections"`` or ``"interleaved"``); ``channel_layout`` says which
    channels form a pair (``"half"``, as Qwen2-VL and Qwen3-VL store them). Refuses
    non-finite ``x``.
    """
    x = checks.tensor("x", x, min_ndim=2, floating=True, finite=True)
    cos, sin = mrope_cos_sin(positions, inv_freq, mrope_section, layout=layout,
                             attention_factor=attention_factor, dtype=x.dtype)
    return apply(x, cos.to(x.device), sin.to(x.device), layout=channel_layout)


def _check_grids(image_grid_thw, m: int) -> torch.Tensor:
    if image_grid_thw is None or (isinstance(image_grid_thw, (list, tuple))
                                  and len(image_grid_thw) == 0):
        return torch.zeros(0, 3, dtype=torch.long)  # a prompt without images
    grids = integer_tensor("image_grid_thw", image_grid_thw,
                           expected="an (images, 3) table of (t, h, w) grids")
    if grids.numel() == 0:
        grids = grids.reshape(0, 3)
    if grids.dim() != 2 or grids.shape[1] != 3:
        raise ValueError("image_grid_thw must have shape (images, 3), "
                         f"got shape {tuple(grids.shape)}")
    for t, h, w in grids.tolist():
        if t < 1 or h < 1 or w < 1 or h % m or w % m:
            raise ValueError("each image grid needs t, h, w >= 1 with h and w "
                             f"divisible by spatial_merge_size={m}, got {(t, h, w)}")
    return grids.long()


def rope_index(input_ids, image_token_id: int, image_grid_thw, *,
               spatial_merge_size: int = 2) -> torch.Tensor:
    """The ``(3, seq)`` M-RoPE positions of one prompt with images between text tokens.

    Args:
        input_ids: ``(seq,)`` token ids; an image is a run of ``image_token_id``
            placeholders, one per merged patch: ``t·(h/m)·(w/m)`` for grid ``(t, h, w)``
            and ``m = spatial_merge_size``.
        image_grid_thw: ``(images, 3)`` patch grids ``(t, h, w)`` before the merge
            (``None`` or ``[]`` for text alone).

    Text tokens count up by one on all three axes. The patch in frame ``k``, row ``r``,
    column ``c`` of the merged grid gets ``(s + k, s + r, s + c)``, ``s`` being the
    position the next text token would have had; the text after it starts at the largest
    position so far plus one (Qwen2-VL, section 2.1). Hugging Face continues at
    ``s + max(h/m, w/m)``, the same unless an input has more frames than rows and
    columns (never for an image, whose t is 1).
    """
    ids = integer_tensor("input_ids", input_ids, expected="a 1-D sequence of token ids")
    if ids.dim() != 1:
        raise ValueError("input_ids must have shape (seq,), "
                         f"got shape {tuple(ids.shape)}")
    image_token_id = checks.integer("image_token_id", image_token_id)
    m = checks.integer("spatial_merge_size", spatial_merge_size, minimum=1)
    grids = _check_grids(image_grid_thw, m)
    is_image = (ids == image_token_id).tolist()
    parts, start, i, image = [], 0, 0, 0
    while i < len(is_image):
        if not is_image[i]:  # a run of text
            j = i
            while j < len(is_image) and not is_image[j]:
                j += 1
            parts.append(torch.arange(start, start + j - i).expand(3, -1))
            start, i = start + j - i, j
            continue
        if image >= len(grids):
            raise ValueError("input_ids holds more images than image_grid_thw has "
                             f"grids ({len(grids)})")
        t, h, w = grids[image].tolist()
        h, w = h // m, w // m
        n = t * h * w
        if not all(is_image[i:i + n]) or i + n > len(is_image):
            run = is_image[i:i + n]
            got = run.index(False) if False in run else len(run)
            raise ValueError(f"image {image} with grid {tuple(grids[image].tolist())} "
                             f"needs {n} placeholder tokens from index {i}, got {got}")
        k, r, c = torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w),
                                 indexing="ij")
        block = torch.stack([k, r, c]).reshape(3, -1) + start
        parts.append(block)
        start = int(block.max()) + 1
        i, image = i + n, image + 1
    if image != len(grids):
        raise ValueError(f"image_grid_thw has {len(grids)} grid(s) but input_ids holds "
                         f"{image} image(s)")
    if not parts:
        return torch.zeros(3, 0, dtype=torch.long)
    return torch.cat(parts, dim=1)
