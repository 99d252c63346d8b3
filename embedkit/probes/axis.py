"""Semantic-axis probe: a direction between two poles (``he`` − ``she``, ``rich`` − ``poor``) and where
words fall along it.

The axis is the difference of the mean unit vectors of the two poles, scaled to unit length; a word's
position is the cosine between its vector and that axis, positive towards the first pole. With one word per
pole this is the *he − she* direction that Bolukbasi et al. (2016) used to show how occupations inherit the
gender associations of the training text; averaging several pairs (``he, him, his, man`` against ``she,
her, hers, woman``) gives a steadier direction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from .. import checks
from ..vectors import Vectors
from .widget_output import show as show_in
from .live import MESSAGE_ERRORS, as_text, choice_param, live_or_static, message

__all__ = ["AxisProbe", "axis_chart", "axis_table", "project", "semantic_axis"]

Pole = str | Sequence[str]


def _words(pole: Pole, name: str) -> list[str]:
    words = [pole] if isinstance(pole, str) else checks.strings(f"{name} pole", pole, allow_empty_strings=True)
    words = list(dict.fromkeys(w.strip().lower() for w in words if w.strip()))
    if not words:
        raise ValueError(f"{name} pole is empty: give at least one word")
    return words


def _check_vectors(vectors) -> None:
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be an embedkit.Vectors, got {checks.describe(vectors)}")


def semantic_axis(vectors: Vectors, positive: Pole, negative: Pole) -> np.ndarray:
    """Unit direction from the ``negative`` pole to the ``positive`` pole, shape ``(dim,)``, float32.

    Each pole is a word or a list of words (lower-cased, repeats counted once); a pole's point is the mean
    of its words' unit vectors.
    """
    _check_vectors(vectors)
    pos, neg = _words(positive, "positive"), _words(negative, "negative")
    if set(pos) & set(neg):
        raise ValueError(f"a word cannot be on both poles: {sorted(set(pos) & set(neg))}")
    unit = vectors.unit
    direction = unit[[vectors.row(w) for w in pos]].mean(axis=0) - unit[[vectors.row(w) for w in neg]].mean(axis=0)
    norm = np.linalg.norm(direction)
    if not norm > 1e-6:  # float32 means of the same words can differ in the last bit
        raise ValueError("the two poles have the same mean vector, so there is no direction between them")
    return (direction / norm).astype(np.float32)


def project(vectors: Vectors, axis: np.ndarray, words: Sequence[str]) -> np.ndarray:
    """Cosine of each word's vector with ``axis``: shape ``(len(words),)``, in [-1, 1]."""
    _check_vectors(vectors)
    axis = checks.array("axis", axis, shape=(vectors.dim,), dtype=np.float32)
    words = [words] if isinstance(words, str) else checks.strings("words", words)
    norm = np.linalg.norm(axis)
    if not norm > 0:
        raise ValueError("axis is the zero vector, so it has no direction to project on")
    axis = axis / norm
    return vectors.unit[[vectors.row(w) for w in words]] @ axis


def axis_table(
    vectors: Vectors,
    axes: Mapping[str, tuple[Pole, Pole]],
    words: Mapping[str, Sequence[str]] | Sequence[str],
) -> pd.DataFrame:
    """Long table of every word on every axis.

    Args:
        axes: name → (positive pole, negative pole), e.g. ``{"he − she": ("he", "she")}``.
        words: the words to place, as a list or as groups (group name → words).

    Columns: ``axis``, ``group``, ``word``, ``score`` (cosine with the axis, positive towards the first pole).
    """
    if not isinstance(axes, Mapping) or not axes:
        raise ValueError(f"give at least one axis: name -> (positive pole, negative pole), got {checks.describe(axes)}")
    for name, poles in axes.items():
        if isinstance(poles, (str, bytes)) or not isinstance(poles, Sequence) or len(poles) != 2:
            raise ValueError(f"axis {name!r} must be a (positive pole, negative pole) pair, got {poles!r}")
    groups = ({"words": checks.strings("words", words)} if not isinstance(words, Mapping)
              else {k: checks.strings(f"words[{k!r}]", v) for k, v in words.items()})
    if not any(groups.values()):
        raise ValueError("give at least one word to place on the axes")
    rows = []
    for name, (positive, negative) in axes.items():
        direction = semantic_axis(vectors, positive, negative)
        for group, members in groups.items():
            for word, score in zip(members, project(vectors, direction, members)):
                rows.append({"axis": name, "group": group, "word": word, "score": float(score)})
    return pd.DataFrame(rows)


def axis_chart(table: pd.DataFrame, start: str | None = None) -> alt.Chart:
    """Static face: words ordered along a chosen axis (drop-down), coloured by group; hover for values.

    Everything runs in the browser over the precomputed ``table`` (see :func:`axis_table`). A table of one
    axis has no drop-down.
    """
    names = list(dict.fromkeys(table["axis"]))
    pick = choice_param("axis", names, start or names[0], "Axis ")
    groups = alt.selection_point(fields=["group"], bind="legend")
    base = alt.Chart(table, description="Words placed along a semantic axis").transform_filter(alt.datum.axis == pick)
    y = alt.Y("word:N", sort=alt.EncodingSortField("score", order="descending"), title=None)
    rule = base.mark_rule(color="#888", strokeDash=[2, 2]).encode(x=alt.datum(0))
    bars = (
        base.mark_bar(height=10)
        .encode(
            x=alt.X("score:Q", title="cosine with the axis (← second pole · first pole →)"),
            x2=alt.datum(0),
            y=y,
            color=alt.Color("group:N", title="group (click to highlight)"),
            opacity=alt.condition(groups, alt.value(1.0), alt.value(0.2)),
            tooltip=["word", "group", alt.Tooltip("score:Q", format=".3f")],
        )
    )
    return (rule + bars).add_params(pick, groups).properties(width=380, height=alt.Step(14))


class AxisProbe:
    """Live face: two poles and a list of words; the words sorted along the axis between the poles.

    ``answer(positive, negative, words)`` is the callback (comma-separated strings or lists): a table
    (word, score) sorted from the first pole to the second, or a message (an empty box, an unknown word, a
    word on both poles, …) as a string; it never raises on input.
    """

    def __init__(self, vectors: Vectors):
        self.vectors = vectors

    @staticmethod
    def _split(text: str | Sequence[str] | None, name: str = "words") -> list[str]:
        """Comma- or line-separated words (or a list of them), stripped, lower-cased, each once."""
        if text is None or isinstance(text, str):
            items = as_text(name, text).replace("\n", ",").split(",")
        else:
            items = checks.strings(name, text, allow_empty_strings=True)
        return list(dict.fromkeys(w.strip().lower() for w in items if w.strip()))

    def answer(self, positive: str | Sequence[str], negative: str | Sequence[str], words: str | Sequence[str]) -> pd.DataFrame | str:
        try:
            direction = semantic_axis(self.vectors, self._split(positive, "pole +"), self._split(negative, "pole −"))
            chosen = self._split(words)
            if not chosen:
                return "List some words to place on the axis."
            scores = project(self.vectors, direction, chosen)
        except MESSAGE_ERRORS as err:
            return message(err)
        table = pd.DataFrame({"word": chosen, "score": scores.astype(float)})
        return table.sort_values("score", ascending=False, kind="stable").reset_index(drop=True).round(3)

    DEFAULTS = ("he, him, his, man", "she, her, hers, woman",
                "nurse, engineer, doctor, receptionist, programmer, librarian, surgeon, dancer")
    """The live face's starting poles and words."""

    def static_chart(self, positive: str = DEFAULTS[0], negative: str = DEFAULTS[1],
                     words: str = DEFAULTS[2]) -> alt.LayerChart | str:
        """The static face for these poles and words: :func:`axis_chart` of the one axis (click the legend to
        highlight), or the probe's message."""
        answer = self.answer(positive, negative, words)
        if isinstance(answer, str):
            return answer
        pos, neg = self._split(positive, "pole +"), self._split(negative, "pole −")
        name = f"{', '.join(pos)} − {', '.join(neg)}"
        return axis_chart(axis_table(self.vectors, {name: (pos, neg)}, {"words": self._split(words)}))

    def widget(self, positive: str = DEFAULTS[0], negative: str = DEFAULTS[1], words: str = DEFAULTS[2]):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(positive, negative, words),
                              lambda: self.static_chart(positive, negative, words))

    def _widget(self, positive: str, negative: str, words: str):
        import ipywidgets as w

        pos = w.Text(value=positive, description="pole +", continuous_update=False, layout=w.Layout(width="420px"))
        neg = w.Text(value=negative, description="pole −", continuous_update=False, layout=w.Layout(width="420px"))
        box = w.Textarea(value=words, description="words", continuous_update=False, layout=w.Layout(width="420px"))
        out = w.Output()

        def show(_=None):
            show_in(out, self.answer(pos.value, neg.value, box.value))

        for control in (pos, neg, box):
            control.observe(show, names="value")
        show()
        return w.VBox([pos, neg, box, out])
