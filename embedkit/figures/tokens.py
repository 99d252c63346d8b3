"""Figures of the Tokens chapter: an embedding lookup as a one-hot product, and BPE merging one word.

* :func:`lookup_product` (page *embeddings*): a tiny vocabulary, the one-hot row of one token, the table
  ``E`` and the product ``x E``, which is the token's row of ``E`` (computed by
  :func:`embedkit.tokens.embedding.one_hot_lookup`);
* :func:`bpe_merges` (page *bpe*): the parts of one word after each merge that applies to it, each state
  encoded by the package's own encoder (:meth:`embedkit.tokens.BPETokenizer.encode_chunk`) with the
  tokenizer cut down to the merges learned so far (:meth:`~embedkit.tokens.BPETokenizer.truncate`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import torch

from .. import checks
from ..tokens.bpe import BPETokenizer
from ..tokens.embedding import one_hot_lookup
from ..tokens.labels import token_label
from . import CHROME, HIGHLIGHT, INK

__all__ = ["bpe_merge_table", "bpe_merges", "lookup_product", "lookup_table"]

_PANELS = ("one-hot row x", "table E", "x E")


def lookup_table(tokens: Sequence[str] = ("the", "cat", "sat", "on", "mat"), token: str = "sat", dim: int = 4,
                 seed: int = 0) -> pd.DataFrame:
    """The cells of :func:`lookup_product`, one row per drawn number.

    ``E`` is a ``(len(tokens), dim)`` table drawn from ``N(0, 1)`` with ``seed``. The one-hot row is
    :func:`~embedkit.tokens.embedding.one_hot_lookup` of the token's id in the identity matrix (the one-hot
    matrix is the lookup of the identity), and the product is ``one_hot_lookup(id, E)``.

    Columns: ``panel`` (``"one-hot row x"``, ``"table E"``, ``"x E"``), ``row`` and ``column`` (the cell's
    place in its panel: token labels for the rows of ``E`` and the columns of ``x``, channel numbers for the
    columns of ``E`` and ``x E``), ``value``, ``label`` (the number as drawn) and ``selected`` (the one of
    ``x``, the token's row of ``E``, and all of ``x E``).
    """
    tokens = checks.strings("tokens", tokens, allow_empty=False)
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"tokens must be distinct, got {tokens}")
    checks.text("token", token)
    if token not in tokens:
        raise ValueError(f"token must be one of tokens {tokens}, got {token!r}")
    dim = checks.integer("dim", dim, minimum=1, maximum=16)
    seed = checks.integer("seed", seed, minimum=0)
    n = len(tokens)
    weight = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    ids = torch.tensor([tokens.index(token)])
    x = one_hot_lookup(ids, torch.eye(n, dtype=torch.float64))[0]
    product = one_hot_lookup(ids, weight)[0]
    rows = []
    for v, t in enumerate(tokens):
        rows.append({"panel": _PANELS[0], "row": "x", "column": t, "value": float(x[v]),
                     "label": f"{x[v]:.0f}", "selected": t == token})
        for j in range(dim):
            rows.append({"panel": _PANELS[1], "row": t, "column": str(j), "value": float(weight[v, j]),
                         "label": f"{weight[v, j]:.2f}", "selected": t == token})
    for j in range(dim):
        rows.append({"panel": _PANELS[2], "row": "x E", "column": str(j), "value": float(product[j]),
                     "label": f"{product[j]:.2f}", "selected": True})
    return pd.DataFrame(rows)


def _cells(panel: str, columns: list[str], rows: list[str], title: str, cell: int) -> alt.LayerChart:
    """One panel of the lookup: boxes (the selected ones filled) with their numbers."""
    base = alt.Chart().transform_filter(alt.datum.panel == panel).encode(
        x=alt.X("column:N", sort=columns, title=None, axis=alt.Axis(orient="top", labelAngle=0, ticks=False,
                                                                       domain=False)),
        y=alt.Y("row:N", sort=rows, title=None, axis=alt.Axis(ticks=False, domain=False)),
    )
    boxes = base.mark_rect(stroke=CHROME, strokeWidth=1).encode(
        fill=alt.condition(alt.datum.selected, alt.value(HIGHLIGHT), alt.value("transparent")),
        tooltip=["panel:N", "row:N", "column:N", alt.Tooltip("value:Q", format=".4f")],
    )
    numbers = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition(alt.datum.selected, alt.value(INK), alt.value(CHROME)),
    )
    return alt.layer(boxes, numbers).properties(
        width=cell * len(columns), height=cell * len(rows) * 0.6, title=title)


def lookup_product(tokens: Sequence[str] = ("the", "cat", "sat", "on", "mat"), token: str = "sat",
                   dim: int = 4, seed: int = 0) -> alt.HConcatChart:
    """A lookup drawn as a product: the one-hot row ``x`` of ``token`` (1 × V), the table ``E`` (V × d) and
    ``x E`` (1 × d), which is the token's row of ``E``; the 1, the row it selects and the result are filled.

    Data: :func:`lookup_table` (``chart.data``), ``V·(d + 1) + d`` cells.
    """
    table = lookup_table(tokens, token, dim, seed)
    tokens = list(table.loc[table.panel == _PANELS[0], "column"])
    channels = [str(j) for j in range(int(dim))]
    cell = 44
    return alt.hconcat(
        _cells(_PANELS[0], tokens, ["x"], "one-hot row x (1 × V)", cell),
        _cells(_PANELS[1], channels, tokens, "table E (V × d)", cell),
        _cells(_PANELS[2], channels, ["x E"], "x E = row of E (1 × d)", cell),
        data=table,
        spacing=28,
    ).properties(
        title=alt.Title(f"Looking up {token!r} is multiplying its one-hot row by E",
                        subtitle="the 1 in x picks one row of E; the product is that row"),
        description=(f"Three panels: the one-hot row of {token!r} over a vocabulary of {len(tokens)} tokens, "
                     f"with a single 1; the {len(tokens)} by {dim} embedding table E with the row of {token!r} "
                     f"highlighted; and their product x E, which equals that highlighted row."),
    )


def bpe_merge_table(tok: BPETokenizer, word: str | bytes) -> pd.DataFrame:
    """The parts of ``word`` after each merge that changes them, as BPE encodes it.

    Encoding by rank merges, at every step, the adjacent pair whose joined bytes have the lowest rank, so
    the parts after all merges of rank below ``r`` are what the tokenizer cut down to its first ``r`` tokens
    encodes. State ``k`` is therefore ``tok.truncate(r + 1).encode_chunk(word)`` for the ``k``-th rank
    ``r`` (in increasing order) at which the encoding changes; the candidates are the ranks of the word's
    substrings that are tokens. The last state is ``tok.encode_chunk(word)``.

    Columns: ``step`` (0 = single bytes), ``rank`` (the token formed at this step; ``-1`` at step 0),
    ``part`` (index within the step), ``start``/``end`` (byte offsets), ``id``, ``label``
    (:func:`~embedkit.tokens.token_label`) and ``new`` (the part this step formed).
    """
    if not isinstance(tok, BPETokenizer):
        raise TypeError(f"tok must be a BPETokenizer, got {checks.describe(tok)}")
    if isinstance(word, str):
        word = word.encode("utf-8")
    if not isinstance(word, bytes):
        raise TypeError(f"word must be a str or bytes, got {checks.describe(word)}")
    if not 2 <= len(word) <= 40:
        raise ValueError(f"word must be 2 to 40 bytes long (one row per merge), got {len(word)} bytes")
    n_ordinary = len(tok.tokens)
    candidates = sorted({r for i in range(len(word)) for j in range(i + 2, len(word) + 1)
                         if (r := tok.ranks.get(word[i:j])) is not None and r < n_ordinary})
    # step 0: single bytes (a byte-level vocabulary holds all 256)
    states = [(-1, [tok.ranks[word[i:i + 1]] for i in range(len(word))])]
    for r in candidates:
        ids = tok.truncate(max(r + 1, 256)).encode_chunk(word)
        if ids != states[-1][1]:
            states.append((r, ids))
    rows = []
    previous: set[tuple[int, int]] = set()
    for step, (rank, ids) in enumerate(states):
        spans, start = [], 0
        for part, i in enumerate(ids):
            end = start + len(tok.token_bytes(i))
            spans.append((start, end))
            rows.append({"step": step, "rank": rank, "part": part, "start": start, "end": end, "id": i,
                         "label": token_label(tok.token_bytes(i)), "new": step > 0 and (start, end) not in previous})
            start = end
        previous = set(spans)
    return pd.DataFrame(rows)


def bpe_merges(tok: BPETokenizer, word: str | bytes = " unconstitutionally") -> alt.LayerChart:
    """One row per merge: the parts of ``word`` after each merge that applies to it, the part it formed
    filled, the merged token's rank at the left. Data: :func:`bpe_merge_table` (``chart.data``)."""
    table = bpe_merge_table(tok, word)
    n_bytes = int(table.end.max())
    n_steps = int(table.step.max())
    table["row"] = [f"merge {s}: rank {r}" if s else "bytes" for s, r in zip(table.step, table["rank"])]
    order = list(dict.fromkeys(table.row))
    y = alt.Y("row:N", sort=order, title=None, axis=alt.Axis(ticks=False, domain=False))
    boxes = alt.Chart().mark_rect(stroke=CHROME, strokeWidth=1, cornerRadius=3).encode(
        x=alt.X("start:Q", title="byte offset in the word", scale=alt.Scale(domain=[0, n_bytes], nice=False),
                axis=alt.Axis(tickMinStep=1, format="d", grid=False)),
        x2="end:Q",
        y=y,
        fill=alt.condition(alt.datum.new, alt.value(HIGHLIGHT), alt.value("transparent")),
        tooltip=["step:Q", "rank:Q", "label:N", "id:Q", "start:Q", "end:Q"],
    )
    labels = alt.Chart().transform_calculate(middle="(datum.start + datum.end) / 2").mark_text(
        fontSize=11).encode(
        x="middle:Q", y=y, text="label:N",
        color=alt.condition(alt.datum.new, alt.value(INK), alt.value(CHROME)),
    )
    shown = table.label[table.step == 0].str.cat()
    # the title names the word as text (a leading space said in words): ␣ is not in every title font
    text = tok.decode_bytes(list(table.id[table.step == 0])).decode("utf-8", "replace")
    text = text.strip() + (" (with its leading space)" if text.startswith(" ") else "")
    return alt.layer(boxes, labels, data=table).properties(
        width=max(300, 30 * n_bytes), height=20 * (n_steps + 1),
        title=alt.Title(f"BPE merging {text}, one merge rule per row ({tok.name})",
                        subtitle="each row applies one learned merge wherever it occurs (the parts it forms are filled); lower ranks were learned earlier"),
        description=(f"The {n_bytes} bytes of {shown!r} and, row by row, its parts after each of the "
                     f"{n_steps} merges that apply to it, in rank order, ending with the tokenizer's encoding "
                     f"of the word: {' '.join(table.label[table.step == n_steps])}."),
    )
