"""Word-map probe: chosen groups of words drawn in 2-D by principal component analysis (PCA).

Fifty (or three hundred) dimensions cannot be drawn, but the two directions along which the chosen words
vary most can: centre their unit vectors, take the top two right singular vectors of that matrix, and plot
each word's coordinates along them. The map depends on the words chosen (PCA of a different set gives
different axes) and keeps only the share of variance it reports; words close on the map may be far apart in
the dimensions it drops, so read it together with the cosine similarities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from .. import checks
from ..charts import CHROME
from ..vectors import Vectors
from .widget_output import show as show_in
from .labels import FONT, POSITIONS, place_labels
from .live import MESSAGE_ERRORS, as_text, live_or_static, message

__all__ = ["WordMapProbe", "pca", "word_map", "word_map_chart"]


def pca(matrix: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal components of the rows of ``matrix`` ``(n, dim)``.

    Returns ``(coordinates (n, k), components (k, dim), explained_variance_ratio (k,))``. The rows are
    centred first. Signs follow scikit-learn's convention (in each component, the coordinate of largest
    magnitude is positive), so that a map does not flip between runs.
    """
    x = checks.array("matrix", matrix, ndim=2)
    if x.shape[0] < 2:
        raise ValueError(f"PCA needs a 2-D matrix with at least two rows, got shape {x.shape}")
    n_components = checks.integer("n_components", n_components, minimum=1, maximum=min(x.shape))
    x = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    u, vt = u * signs, vt * signs[:, None]
    variance = s**2
    ratio = variance / variance.sum() if variance.sum() > 0 else np.zeros_like(variance)
    k = n_components
    return u[:, :k] * s[:k], vt[:k], ratio[:k]


def word_map(vectors: Vectors, groups: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """2-D PCA coordinates of the unit vectors of the given words.

    Args:
        groups: group name → words, e.g. ``{"countries": [...], "capitals": [...]}``. A word may appear in
            one group only.

    Returns a DataFrame with columns ``word``, ``group``, ``x``, ``y``; ``table.attrs["explained"]`` holds
    the share of the words' variance along each of the two axes.
    """
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be an embedkit.Vectors, got {checks.describe(vectors)}")
    checks.mapping("groups", groups)
    pairs = [(g, w.strip().lower()) for g, words in groups.items()
             for w in checks.strings(f"groups[{g!r}]", words, allow_empty_strings=True) if w.strip()]
    if len(pairs) < 3:
        raise ValueError(f"a map needs at least three words, got {len(pairs)}")
    seen: dict[str, str] = {}
    for g, w in pairs:
        if w in seen:
            where = f"twice in group {g!r}" if seen[w] == g else f"in two groups ({seen[w]!r} and {g!r})"
            raise ValueError(f"{w!r} is {where}; put each word on the map once")
        seen[w] = g
    words = [w for _, w in pairs]
    coords, _, ratio = pca(vectors.unit[[vectors.row(w) for w in words]], 2)
    table = pd.DataFrame({"word": words, "group": [g for g, _ in pairs], "x": coords[:, 0], "y": coords[:, 1]})
    table.attrs["explained"] = tuple(float(r) for r in ratio)
    return table


def word_map_chart(table: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """Static face: the map as a scatter plot with labels; hover a point for its word, click a legend entry
    to highlight a group, drag to pan and scroll to zoom. Runs in the browser without a kernel.

    Labels are laid out by :func:`~embedkit.probes.labels.place_labels`: the scales are padded so that
    every label fits inside the plot, and a label that would overlap another label or a point moves to
    another side of its point, or is left out (hover the point for its word).
    """
    explained = table.attrs.get("explained")
    label = (lambda i: f"PC{i + 1} ({explained[i]:.0%} of variance)") if explained else (lambda i: f"PC{i + 1}")
    width, height, size, font_size = 520, 400, 70, 11
    layout = place_labels(table["x"], table["y"], list(table["word"]), width=width, height=height,
                          font_size=font_size, point_radius=math.sqrt(size / math.pi))
    data = table.assign(label_position=layout.position)
    groups = alt.selection_point(fields=["group"], bind="legend")
    zoom = alt.selection_interval(bind="scales")
    axis = alt.Axis(labels=False, ticks=False)
    base = alt.Chart(data, description=title or "2-D PCA map of chosen words").encode(
        x=alt.X("x:Q", title=label(0), axis=axis, scale=alt.Scale(domain=layout.x_domain, nice=False, zero=False)),
        y=alt.Y("y:Q", title=label(1), axis=axis, scale=alt.Scale(domain=layout.y_domain, nice=False, zero=False)),
        opacity=alt.condition(groups, alt.value(1.0), alt.value(0.15)),
    )
    points = base.mark_circle(size=size, clip=True).encode(
        color=alt.Color("group:N", title="group (click to highlight)"),
        tooltip=["word", "group", alt.Tooltip("x:Q", format=".2f"), alt.Tooltip("y:Q", format=".2f")],
    )
    # One text layer per side: Vega's align, baseline and pixel offset are per mark, not per datum.
    labels = [
        base.transform_filter(alt.datum.label_position == name)
        .mark_text(align=align, baseline=baseline, dx=ux * layout.offset, dy=uy * layout.offset,
                   font=FONT, fontSize=font_size, clip=True, color=CHROME)
        .encode(text="word:N")  # the neutral text colour (see embedkit.charts.CHROME): legible on any theme
        for name, ((ux, uy), align, baseline) in POSITIONS.items() if name in layout.position
    ]
    chart = alt.layer(points, *labels).add_params(groups, zoom).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


class WordMapProbe:
    """Live face: type groups of words (one group a line, ``name: word, word, …``), see their map.

    ``answer(text)`` is the callback: the map's table, or a message (nothing typed, an unknown word, a word
    given twice, fewer than three words, …) as a string; it never raises on input.
    """

    def __init__(self, vectors: Vectors):
        self.vectors = vectors

    @staticmethod
    def parse(text: str) -> dict[str, list[str]]:
        """``"animals: cat, dog\\nfruit: apple, pear"`` → ``{"animals": ["cat", "dog"], "fruit": [...]}``.

        A line without a colon is a group of its own (``"group 2"``); two lines with one name are one group.
        """
        groups: dict[str, list[str]] = {}
        for n, line in enumerate(l for l in as_text("text", text).splitlines() if l.strip()):
            name, _, words = line.partition(":") if ":" in line else (f"group {n + 1}", "", line)
            name = name.strip() or f"group {n + 1}"
            groups.setdefault(name, []).extend(w.strip().lower() for w in words.split(",") if w.strip())
        return groups

    def answer(self, text: str) -> pd.DataFrame | str:
        try:
            groups = self.parse(text)
            if not groups:
                return "Type groups of words, one group a line: name: word, word, …"
            return word_map(self.vectors, groups)
        except MESSAGE_ERRORS as err:
            return message(err)

    DEFAULT = ("animals: cat, dog, horse, cow, sheep\nvehicles: car, truck, bus, train, bicycle\n"
               "fruit: apple, banana, cherry, grape, pear")
    """The live face's starting groups."""

    def static_chart(self, text: str = DEFAULT) -> alt.Chart | str:
        """The static face for ``text``: :func:`word_map_chart` of its map (legend, pan and zoom run in the
        browser), or the probe's message."""
        result = self.answer(text)
        return word_map_chart(result) if isinstance(result, pd.DataFrame) else result

    def widget(self, text: str = DEFAULT):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(text), lambda: self.static_chart(text))

    def _widget(self, text: str):
        import ipywidgets as w

        box = w.Textarea(value=text, continuous_update=False, layout=w.Layout(width="520px", height="90px"))
        out = w.Output()

        def show(_=None):
            result = self.answer(box.value)
            show_in(out, word_map_chart(result) if isinstance(result, pd.DataFrame) else result)

        box.observe(show, names="value")
        show()
        return w.VBox([w.Label("One group a line — name: word, word, …"), box, out])
