"""embedkit/probes/labels.py and the word map's labels: every label the chart shows lies inside the plot,
overlaps no other label and covers no point, including in a dense cluster and beside the extreme points.

Overlap and containment are checked by brute force over the returned boxes, pair by pair, independently of
the placement code's own vectorised test.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit.probes.labels import POSITIONS, place_labels, text_width
from embedkit.probes.wordmap import word_map_chart

WIDTH, HEIGHT, FONT_SIZE, RADIUS = 520, 400, 11, 5


def _check_layout(x, y, texts, layout, width=WIDTH, height=HEIGHT, radius=RADIUS):
    """Assert the reader-visible promises of a layout; return the number of labels shown."""
    (x0, x1), (y0, y1) = layout.x_domain, layout.y_domain
    assert x0 < min(x) and max(x) < x1 and y0 < min(y) and max(y) < y1   # points strictly inside
    shown = [i for i, p in enumerate(layout.position) if p is not None]
    per_px_x, per_px_y = (x1 - x0) / width, (y1 - y0) / height
    eps = 1e-9 * max(x1 - x0, y1 - y0)
    for i in shown:
        bx0, bx1, by0, by1 = layout.boxes[i]
        assert x0 - eps <= bx0 < bx1 <= x1 + eps and y0 - eps <= by0 < by1 <= y1 + eps, (texts[i], layout.boxes[i])
        # The box is as wide as the text's estimate, in data units.
        assert math.isclose((bx1 - bx0) / per_px_x, text_width(texts[i], FONT_SIZE), rel_tol=1e-9)
        for px, py in zip(x, y):   # covers no point (its drawn square of half-side `radius`)
            rx, ry = radius * per_px_x, radius * per_px_y
            assert not (bx0 < px + rx - eps and px - rx + eps < bx1 and by0 < py + ry - eps and py - ry + eps < by1), texts[i]
    for i, j in itertools.combinations(shown, 2):
        a, b = layout.boxes[i], layout.boxes[j]
        disjoint = a[1] <= b[0] + eps or b[1] <= a[0] + eps or a[3] <= b[2] + eps or b[3] <= a[2] + eps
        assert disjoint, (texts[i], texts[j])
    for i, p in enumerate(layout.position):
        assert (p is None) == bool(np.isnan(layout.boxes[i]).any())
        if p is not None:
            (ux, uy), _, _ = POSITIONS[p]
            assert (layout.dx[i], layout.dy[i]) == pytest.approx((ux * layout.offset, uy * layout.offset))
    return len(shown)


def test_dense_cluster_labels_neither_overlap_nor_leave_the_plot():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.05, 60), [-3.0, 4.0]])   # a tight cluster and two far outliers
    y = np.concatenate([rng.normal(0, 0.05, 60), [2.0, -1.5]])
    texts = [f"word{i}" for i in range(60)] + ["westernmost", "easternmost"]
    layout = place_labels(x, y, texts, width=WIDTH, height=HEIGHT, font_size=FONT_SIZE, point_radius=RADIUS)
    shown = _check_layout(x, y, texts, layout)
    assert 0 < shown < 62                          # some of the cluster had to be dropped …
    assert layout.position[-2:] == ["right", "right"]   # … but the outliers, at the very edges, fit beside


def test_sparse_points_all_get_a_label_beside_the_extremes():
    """Long labels at the four corners of the data: the padding leaves room, nothing is dropped."""
    x, y = [0.0, 1.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0, 0.5]
    texts = ["bottom-left", "a rather long bottom-right label", "top-left", "top-right", "centre"]
    layout = place_labels(x, y, texts, font_size=FONT_SIZE, point_radius=RADIUS)
    assert _check_layout(x, y, texts, layout) == len(texts)


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=1, max_size=40),
       scale=st.sampled_from([1e-6, 1.0, 1e6]),
       words=st.lists(st.text("abcmwiMW -", min_size=0, max_size=14), min_size=40, max_size=40))
def test_any_points_any_words(points, scale, words):
    x = [p[0] * scale for p in points]
    y = [p[1] * scale for p in points]
    texts = words[: len(points)]
    layout = place_labels(x, y, texts, font_size=FONT_SIZE, point_radius=RADIUS)
    _check_layout(x, y, texts, layout)
    assert all(p is None for p, t in zip(layout.position, texts) if not t)   # nothing to draw, nothing placed


def test_word_map_chart_uses_the_layout():
    """The chart's scales are the layout's padded domains, and every shown word is drawn by exactly one text
    layer whose offset and alignment are its position's."""
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"word": [f"w{i}" for i in range(30)], "group": ["a", "b"] * 15,
                          "x": rng.normal(size=30), "y": rng.normal(size=30)})
    spec = word_map_chart(table).to_dict()
    layout = place_labels(table.x, table.y, list(table.word), font_size=FONT_SIZE,
                          point_radius=math.sqrt(70 / math.pi))
    points, *texts = spec["layer"]
    assert points["encoding"]["x"]["scale"]["domain"] == pytest.approx(list(layout.x_domain))
    assert points["encoding"]["y"]["scale"]["domain"] == pytest.approx(list(layout.y_domain))
    drawn = {}
    for layer in texts:
        name = re.fullmatch(r"\(datum.label_position === '(.+)'\)", layer["transform"][0]["filter"])[1]
        (ux, uy), align, baseline = POSITIONS[name]
        mark = layer["mark"]
        assert (mark["align"], mark["baseline"]) == (align, baseline)
        assert (mark["dx"], mark["dy"]) == pytest.approx((ux * layout.offset, uy * layout.offset))
        for word in table.word[[p == name for p in layout.position]]:
            assert word not in drawn
            drawn[word] = name
    assert drawn == {w: p for w, p in zip(table.word, layout.position) if p is not None}


@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: place_labels([0, 1], [0, 1], ["a"]), ValueError, "one label per point (2), got 1"),
    (lambda: place_labels([0, float("nan")], [0, 1], ["a", "b"]), ValueError, "x must be finite"),
    (lambda: place_labels([0, 1], [0, 1, 2], ["a", "b"]), ValueError, "y must have"),
    (lambda: place_labels([0, 1], [0, 1], "ab"), TypeError, "texts must be a collection of strings"),
    (lambda: place_labels([], [], []), ValueError, "at least one point"),
    (lambda: place_labels([0], [0], ["a"], width=0), ValueError, "width must be"),
    (lambda: place_labels([0], [0], ["a"], font_size=-1), ValueError, "font_size must be"),
])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc, match=None) as info:
        call()
    assert fragment in str(info.value)
