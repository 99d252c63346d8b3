"""Analogy and vector-arithmetic probes: *a* is to *b* as *c* is to ?, and sums like ``king - man + woman``.

Both ask the same question of the vectors: which word is nearest (cosine) to a combination of other words?
An analogy *a : b :: c : ?* is the expression ``b - a + c`` (3CosAdd, Mikolov et al., 2013), or, with
``method="3cosmul"``, Levy & Goldberg's (2014) product of shifted cosines. Query words never answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from .. import checks
from ..vectors import Vectors
from .widget_output import show as show_in
from ..words.analogy_scores import METHODS
from .live import MESSAGE_ERRORS, as_text, choice_param, live_or_static, message, text_probe

__all__ = [
    "AnalogyProbe",
    "ArithmeticProbe",
    "analogy_chart",
    "arithmetic_table",
    "parse_expression",
    "solve_analogy",
    "analogy_table",
]


def solve_analogy(
    vectors: Vectors, a: str, b: str, c: str, *, method: str = "3cosadd", topn: int = 5, restrict_vocab: int | None = None
) -> list[tuple[str, float]]:
    """The ``topn`` best answers to *a : b :: c : ?*, best first, with their scores.

    ``"3cosadd"``: cosine with the unit mean of ``b``, ``c`` and ``-a`` (exactly ``vectors.most_similar(
    positive=[b, c], negative=[a])``). ``"3cosmul"``: ``s(x,b) s(x,c) / (s(x,a) + ε)`` with
    ``s = (1 + cos) / 2``, exactly ``vectors.most_similar_cosmul(positive=[b, c], negative=[a])``, the
    package's one 3CosMul, which the evaluation uses too. ``restrict_vocab`` limits candidates to the most
    frequent rows.
    """
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be an embedkit.Vectors, got {checks.describe(vectors)}")
    for name, word in (("a", a), ("b", b), ("c", c)):
        checks.text(name, word)
    method = checks.choice("method", method, METHODS)
    if method == "3cosadd":
        return vectors.most_similar(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)
    return vectors.most_similar_cosmul(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)


def analogy_table(
    vectors: Vectors, questions: Sequence[tuple[str, str, str]], *, topn: int = 5, methods: Sequence[str] = METHODS
) -> pd.DataFrame:
    """Long table of the ``topn`` answers to each question by each method.

    Columns: ``query`` (``"man : king :: woman : ?"``), ``method``, ``rank`` (1 = best), ``answer``, ``score``.
    """
    if isinstance(questions, (str, bytes)) or not isinstance(questions, Sequence) or not questions:
        raise ValueError(f"give at least one (a, b, c) question, got {checks.describe(questions)}")
    rows = []
    for q in questions:
        if isinstance(q, (str, bytes)) or not isinstance(q, Sequence) or len(q) != 3:
            raise ValueError(f"an analogy question is three words (a, b, c), got {q!r}")
        a, b, c = q
        for method in methods:
            for rank, (word, score) in enumerate(solve_analogy(vectors, a, b, c, method=method, topn=topn), start=1):
                rows.append({"query": f"{a} : {b} :: {c} : ?", "method": method, "rank": rank, "answer": word, "score": score})
    return pd.DataFrame(rows)


def analogy_chart(table: pd.DataFrame, start: str | None = None, *, title: str = "Question ") -> alt.Chart:
    """Static face of both probes: the answers to one query, chosen from a drop-down, one panel per method.

    ``table`` has columns ``query``, ``rank``, ``answer``, ``score`` and optionally ``method`` (from
    :func:`analogy_table` or :func:`arithmetic_table`). Runs in the browser without a kernel. A table of
    one query has no drop-down.
    """
    queries = list(dict.fromkeys(table["query"]))
    pick = choice_param("query", queries, start or queries[0], title)
    base = (
        alt.Chart(table, description="Best answers to a chosen analogy or vector sum")
        .mark_bar()
        .encode(
            x=alt.X("score:Q", title="score"),
            y=alt.Y("answer:N", sort=alt.EncodingSortField("rank"), title=None),
            color=alt.condition(alt.datum.rank == 1, alt.value("#d62728"), alt.value("#4c78a8")),
            tooltip=["answer", alt.Tooltip("score:Q", format=".3f"), "rank"],
        )
        .add_params(pick)
        .transform_filter(alt.datum.query == pick)
        .properties(width=260, height=alt.Step(18))
    )
    if "method" in table.columns and table["method"].nunique() > 1:
        return base.encode(
            x=alt.X("score:Q", title="score", scale=alt.Scale(zero=False))
        ).facet(column=alt.Column("method:N", title=None)).resolve_scale(x="independent", y="independent")
    return base


# -- vector arithmetic ----------------------------------------------------------------------------

def parse_expression(expression: str) -> tuple[list[str], list[str]]:
    """Split ``"king - man + woman"`` into positive ``["king", "woman"]`` and negative ``["man"]`` words.

    Terms are words joined by ``+`` or ``-``; a leading ``-`` makes the first term negative. A ``-`` that
    stands alone or starts a word subtracts; inside a word it is a hyphen (``well-being`` is one word), so
    write ``paris - france`` with spaces. Words are lower-cased (the book's vectors are).
    """
    if not isinstance(expression, str):
        raise TypeError(f"expression must be a string like 'king - man + woman', got {type(expression).__name__}")
    text = expression.strip().lower()
    if not text:
        raise ValueError("expression is empty: write words joined by + and -, e.g. 'king - man + woman'")
    tokens: list[str] = []
    for piece in text.replace("+", " + ").split():
        if piece.startswith("-") and len(piece) > 1:  # "-man"; inner hyphens stay: "well-being" is one word
            tokens += ["-", piece[1:]]
        else:
            tokens.append(piece)
    positive, negative, sign, expect_word = [], [], "+", True
    for i, tok in enumerate(tokens):
        if tok in ("+", "-"):
            if expect_word and i > 0:
                raise ValueError(f"two operators in a row in {expression!r}: write words joined by + and -")
            sign, expect_word = tok, True
        elif not expect_word:
            raise ValueError(f"missing + or - between {tokens[i - 1]!r} and {tok!r} in {expression!r}")
        else:
            (positive if sign == "+" else negative).append(tok)
            sign, expect_word = "+", False
    if expect_word:
        raise ValueError(f"{expression!r} ends with an operator: add a word after it")
    return positive, negative


class ArithmeticProbe:
    """Live face of vector arithmetic: type ``king - man + woman``, see the nearest words.

    ``answer(expression)`` is the callback, a plain function: a table of the nearest words (query words
    excluded), or a message (bad syntax, unknown word with suggestions, terms that cancel out) as a string;
    it never raises on input.
    """

    def __init__(self, vectors: Vectors, topn: int = 8):
        self.vectors = vectors
        self.topn = topn

    def answer(self, expression: str) -> pd.DataFrame | str:
        try:
            text = as_text("expression", expression)
            if not text:
                return "Type a sum of words, e.g. 'king - man + woman'."
            positive, negative = parse_expression(text)
            if not positive:
                return "Give at least one word with a + sign, e.g. 'king - man + woman'."
            pairs = self.vectors.most_similar(positive=positive, negative=negative, topn=self.topn)
        except MESSAGE_ERRORS as err:
            return message(err)
        return pd.DataFrame(pairs, columns=["word", "similarity"]).round(3)

    def static_chart(self, start: str = "king - man + woman") -> alt.Chart | str:
        """The static face for ``start``: :func:`analogy_chart` of its nearest words, or the probe's message."""
        answer = self.answer(start)
        if isinstance(answer, str):
            return answer
        return analogy_chart(arithmetic_table(self.vectors, [start.strip()], topn=self.topn), title="Sum ")

    def widget(self, start: str = "king - man + woman"):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: text_probe(self.answer, start, "sum", width="420px"),
                              lambda: self.static_chart(start))


def arithmetic_table(vectors: Vectors, expressions: Sequence[str], topn: int = 8) -> pd.DataFrame:
    """Long table of the nearest words to each expression: columns ``query``, ``rank``, ``answer``, ``score``."""
    expressions = checks.strings("expressions", expressions, allow_empty=False)
    rows = []
    for expr in expressions:
        positive, negative = parse_expression(expr)
        for rank, (word, score) in enumerate(vectors.most_similar(positive=positive, negative=negative, topn=topn), start=1):
            rows.append({"query": expr, "rank": rank, "answer": word, "score": score})
    return pd.DataFrame(rows)


class AnalogyProbe:
    """Live face of the analogy solver: three words and a method, the best answers.

    ``answer(a, b, c, method)`` is the callback: a table (answer, score) or a message as a string (an
    empty box, an unknown word, ``a`` and ``b`` the same word, an unknown method); it never raises on input.
    """

    def __init__(self, vectors: Vectors, topn: int = 5):
        self.vectors = vectors
        self.topn = topn

    def answer(self, a: str, b: str, c: str, method: str = "3cosadd") -> pd.DataFrame | str:
        try:
            words = [as_text(name, w).lower() for name, w in (("a", a), ("b", b), ("c", c))]
            if not all(words):
                return "Fill in all three words: a is to b as c is to ?"
            if words[0] == words[1]:
                # b − a = 0: the "analogy" would only list the neighbours of c.
                return f"a and b are both {words[0]!r}, so there is no relation to carry over: give two different words."
            pairs = solve_analogy(self.vectors, *words, method=method, topn=self.topn)
        except MESSAGE_ERRORS as err:
            return message(err)
        return pd.DataFrame(pairs, columns=["answer", "score"]).round(3)

    def static_chart(self, a: str = "man", b: str = "king", c: str = "woman") -> alt.Chart | str:
        """The static face for *a : b :: c : ?*: :func:`analogy_chart` of the answers by both methods side by
        side (the live face's method menu), or the probe's message."""
        answer = self.answer(a, b, c)
        if isinstance(answer, str):
            return answer
        words = tuple(w.strip().lower() for w in (a, b, c))
        return analogy_chart(analogy_table(self.vectors, [words], topn=self.topn))

    def widget(self, a: str = "man", b: str = "king", c: str = "woman"):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(a, b, c), lambda: self.static_chart(a, b, c))

    def _widget(self, a: str, b: str, c: str):
        import ipywidgets as w

        boxes = [w.Text(value=v, layout=w.Layout(width="120px"), continuous_update=False) for v in (a, b, c)]
        method = w.Dropdown(options=list(METHODS), value="3cosadd", layout=w.Layout(width="110px"))
        out = w.Output()

        def show(_=None):
            show_in(out, self.answer(*(box.value for box in boxes), method=method.value))

        for control in (*boxes, method):
            control.observe(show, names="value")
        show()
        row = w.HBox([boxes[0], w.Label("is to"), boxes[1], w.Label("as"), boxes[2], w.Label("is to ?"), method])
        return w.VBox([row, out])
