"""Text labels for a scatter plot that stay inside the plot and do not pile up.

Vega-Lite draws a text mark where it is told, even across the axis or on top of another label. Knowing the
chart's size in pixels and the label font, we can do the layout before the chart is drawn:

1. **Domain.** Pad each axis's data range by a margin in pixels (a label's width beside the extreme points,
   a line's height above and below), and fix the scale to that domain, so a label can fit beside every
   point, the outermost included.
2. **Greedy placement.** Estimate each label's box (width from its characters at the font size, height from
   the font size), then, point by point, take the first of eight positions around the point (right, left,
   above, below, then the diagonals) whose box lies inside the plot and overlaps no label already placed
   and no point. A label with no free position is dropped; its word is still in the point's tooltip.

This is the simple greedy labeller of cartography (a fixed order of preferred positions, first fit);
optimal placement is NP-hard (Formann and Wagner, 1991), and for the few dozen words of a word map the
greedy one places nearly all labels. Offsets are in pixels, so the charts attach them with ``dx``/``dy``:
zooming in keeps each label beside its point and only spreads them further apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import checks

__all__ = ["FONT", "POSITIONS", "LabelLayout", "place_labels", "text_width"]

#: The font the widths below are for: Helvetica, or its metric twins Arial and Liberation Sans. Labels laid
#: out here should be drawn in it (Vega's ``font``), not in the browser's default sans-serif.
FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"

# Width of a character in em (multiples of the font size), rounded up from Helvetica/Arial metrics so that
# the estimate errs wide: for the words of the book's maps, Chromium measures 3-19 % less in Liberation
# Sans. A label drawn narrower than its box is fine; one drawn wider could touch its neighbour.
_NARROW, _WIDE, _CAPITAL, _DEFAULT = 0.32, 0.9, 0.72, 0.58
_NARROW_CHARS, _WIDE_CHARS = set("fijlrt.,;:'!|()[] "), set("mwMW@%")

#: Positions tried for each label, in order: name → (unit offset direction (x, y) with y downwards, as
#: pixels are; text ``align``; text ``baseline``).
POSITIONS: dict[str, tuple[tuple[float, float], str, str]] = {
    "right": ((1, 0), "left", "middle"),
    "left": ((-1, 0), "right", "middle"),
    "above": ((0, -1), "center", "bottom"),
    "below": ((0, 1), "center", "top"),
    "above right": ((0.7, -0.7), "left", "bottom"),
    "above left": ((-0.7, -0.7), "right", "bottom"),
    "below right": ((0.7, 0.7), "left", "top"),
    "below left": ((-0.7, 0.7), "right", "top"),
}


def text_width(text: str, font_size: float) -> float:
    """Estimated width in pixels of ``text`` set in :data:`FONT` at ``font_size`` pixels (errs wide)."""
    em = sum(_NARROW if c in _NARROW_CHARS else _WIDE if c in _WIDE_CHARS
             else _CAPITAL if c.isupper() else _DEFAULT for c in text)
    return em * font_size


@dataclass(frozen=True)
class LabelLayout:
    """Where :func:`place_labels` put each label.

    Attributes:
        x_domain, y_domain: the padded ``(low, high)`` of each scale; a chart must use exactly these (with
            ``nice=False``, ``zero=False``) for the layout to hold.
        position: one entry per point: a key of :data:`POSITIONS`, or ``None`` for a dropped label.
        offset: the distance in pixels from a point's centre to its label's anchor: a label at position
            ``p`` is drawn with Vega's ``dx, dy = offset * POSITIONS[p][0]`` (``dy`` downwards).
        dx, dy: ``(n,)`` each, every label's offset in pixels (0 when dropped).
        boxes: ``(n, 4)`` array, each label's estimated box in data units ``(x0, x1, y0, y1)``; NaN when
            dropped.
    """

    x_domain: tuple[float, float]
    y_domain: tuple[float, float]
    position: list[str | None]
    offset: float
    dx: np.ndarray
    dy: np.ndarray
    boxes: np.ndarray


def _domain(values: np.ndarray, pixels: float, low_margin: float, high_margin: float) -> tuple[float, float]:
    """The data interval whose map onto ``[0, pixels]`` leaves the given pixel margins around the values."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else max(abs(lo), 1.0)   # one point, or all on a line: any nonzero scale
    per_pixel = span / (pixels - low_margin - high_margin)
    return lo - low_margin * per_pixel, hi + high_margin * per_pixel


def place_labels(
    x: Sequence[float],
    y: Sequence[float],
    texts: Sequence[str],
    *,
    width: float = 520,
    height: float = 400,
    font_size: float = 11,
    point_radius: float = 5,
    gap: float = 3,
) -> LabelLayout:
    """Lay out one label per point of a ``width`` × ``height`` pixel scatter plot; see the module docstring.

    Args:
        x, y: the points' coordinates, ``(n,)`` each, finite.
        texts: the ``n`` labels.
        width, height: the plot area in pixels (Altair's ``properties(width=…, height=…)``).
        font_size: the label font size in pixels.
        point_radius: the drawn points' radius in pixels (a circle of Vega ``size`` s has radius √(s/π)).
        gap: pixels between a point's edge and its label.

    Returns a :class:`LabelLayout`. Boxes of placed labels are pairwise disjoint, do not cover any point, and
    lie inside the domain.
    """
    xs = checks.array("x", x, ndim=1)
    ys = checks.array("y", y, ndim=1, shape=(len(xs),))
    labels = checks.strings("texts", texts, allow_empty_strings=True)
    if len(labels) != len(xs):
        raise ValueError(f"texts must hold one label per point ({len(xs)}), got {len(labels)}")
    if len(xs) == 0:
        raise ValueError("place_labels needs at least one point, got none")
    width = checks.real("width", width, minimum=50)
    height = checks.real("height", height, minimum=50)
    font_size = checks.real("font_size", font_size, minimum=1, maximum=min(width, height) / 4)
    point_radius = checks.real("point_radius", point_radius, minimum=0)
    gap = checks.real("gap", gap, minimum=0)

    widths = np.array([text_width(t, font_size) for t in labels])
    line = 1.2 * font_size   # a line of text, descenders included
    offset = point_radius + gap
    # Room for the widest label beside the outermost points (at most a quarter of the plot on each side;
    # a longer label then goes inwards), and a line above and below.
    side = min(widths.max(initial=0.0) + offset, width / 4)
    x_domain = _domain(xs, width, side, side)
    y_domain = _domain(ys, height, line + offset, line + offset)

    # Pixel coordinates, y downwards, as Vega draws.
    px = (xs - x_domain[0]) / (x_domain[1] - x_domain[0]) * width
    py = (y_domain[1] - ys) / (y_domain[1] - y_domain[0]) * height
    point_boxes = np.stack([px - point_radius, px + point_radius, py - point_radius, py + point_radius], axis=1)

    placed: list[np.ndarray] = []
    position: list[str | None] = []
    dx, dy = np.zeros(len(xs)), np.zeros(len(xs))
    pixel_boxes = np.full((len(xs), 4), np.nan)
    for i in range(len(xs)):
        if not labels[i]:
            position.append(None)
            continue
        for name, ((ux, uy), align, baseline) in POSITIONS.items():
            ax, ay = px[i] + ux * offset, py[i] + uy * offset
            x0 = {"left": ax, "right": ax - widths[i], "center": ax - widths[i] / 2}[align]
            y0 = {"top": ay, "bottom": ay - line, "middle": ay - line / 2}[baseline]
            box = np.array([x0, x0 + widths[i], y0, y0 + line])
            inside = box[0] >= 0 and box[1] <= width and box[2] >= 0 and box[3] <= height
            if inside and not _overlaps(box, placed) and not _overlaps(box, point_boxes):
                placed.append(box)
                position.append(name)
                dx[i], dy[i] = ux * offset, uy * offset
                pixel_boxes[i] = box
                break
        else:
            position.append(None)

    # Back to data units (y upwards): x0, x1, y0 (bottom), y1 (top).
    sx = (x_domain[1] - x_domain[0]) / width
    sy = (y_domain[1] - y_domain[0]) / height
    boxes = np.stack([x_domain[0] + pixel_boxes[:, 0] * sx, x_domain[0] + pixel_boxes[:, 1] * sx,
                      y_domain[1] - pixel_boxes[:, 3] * sy, y_domain[1] - pixel_boxes[:, 2] * sy], axis=1)
    return LabelLayout(x_domain, y_domain, position, offset, dx, dy, boxes)


def _overlaps(box: np.ndarray, others) -> bool:
    """Whether ``box`` (x0, x1, y0, y1) overlaps any of ``others`` (touching edges do not count)."""
    if len(others) == 0:
        return False
    o = np.asarray(others)
    return bool(np.any((box[0] < o[:, 1]) & (o[:, 0] < box[1]) & (box[2] < o[:, 3]) & (o[:, 2] < box[3])))
