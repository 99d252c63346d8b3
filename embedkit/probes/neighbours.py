"""Nearest-neighbour probe: type a word, see the words whose vectors point the same way."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from .. import checks
from ..vectors import Vectors
from .live import MESSAGE_ERRORS, as_text, choice_param, live_or_static, message, text_probe


def neighbours_table(vectors: Vectors, words: Sequence[str], topn: int = 10) -> pd.DataFrame:
    """Long table of the ``topn`` nearest neighbours of each word.

    Columns: ``word``, ``rank`` (1 = nearest), ``neighbour``, ``similarity`` (cosine).
    """
    words = checks.strings("words", words, allow_empty=False)
    topn = checks.integer("topn", topn, minimum=1)
    rows = [
        {"word": w, "rank": r, "neighbour": n, "similarity": s}
        for w in words
        for r, (n, s) in enumerate(vectors.most_similar(w, topn=topn), start=1)
    ]
    return pd.DataFrame(rows)


def neighbours_chart(table: pd.DataFrame, start: str | None = None) -> alt.Chart:
    """Static face: a bar chart of one word's neighbours, with a drop-down to choose the word (no drop-down
    when the table holds one word).

    Everything runs in the browser (an Altair parameter bound to a select input filters the
    precomputed ``table``), so the chart stays interactive in the published book without a kernel.
    """
    words = list(dict.fromkeys(table["word"]))
    pick = choice_param("word", words, start or words[0], "Neighbours of ")
    return (
        alt.Chart(table, description="Nearest neighbours of a chosen word (cosine similarity)")
        .mark_bar()
        .encode(
            x=alt.X("similarity:Q", title="cosine similarity", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("neighbour:N", sort=alt.EncodingSortField("rank"), title=None),
            tooltip=["neighbour", alt.Tooltip("similarity:Q", format=".3f"), "rank"],
        )
        .add_params(pick)
        .transform_filter(alt.datum.word == pick)
        .properties(width=360, height=alt.Step(18))
    )


class NeighboursProbe:
    """Live face: a text box and the neighbours of whatever word is typed in it.

    ``answer(word)`` is the callback, a plain function: it returns a table of neighbours, or a message
    (nothing typed, unknown word with suggestions, not text at all) as a string; it never raises on input.
    """

    def __init__(self, vectors: Vectors, topn: int = 10):
        self.vectors = vectors
        self.topn = topn

    def answer(self, word: str) -> pd.DataFrame | str:
        try:
            word = as_text("word", word).lower()
            if not word:
                return "Type a word."
            pairs = self.vectors.most_similar(word, topn=self.topn)
        except MESSAGE_ERRORS as err:
            return message(err)
        return pd.DataFrame(pairs, columns=["neighbour", "similarity"]).round(3)

    def static_chart(self, start: str = "frog") -> alt.Chart | str:
        """The static face for ``start``: :func:`neighbours_chart` of its neighbours, or the probe's message."""
        answer = self.answer(start)
        if isinstance(answer, str):
            return answer
        return neighbours_chart(neighbours_table(self.vectors, [start.strip().lower()], topn=self.topn))

    def widget(self, start: str = "frog"):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: text_probe(self.answer, start, "word"), lambda: self.static_chart(start))
