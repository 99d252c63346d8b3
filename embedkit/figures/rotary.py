"""Figures of the Rotary chapter.

* :func:`turned_query_key` (page *derivation*): a query and a key in one plane, before and after RoPE turns
  them by ``mθ`` and ``nθ`` (:func:`embedkit.rotary.rotate_reference`), at two pairs of positions with the
  same offset: the lengths are kept, and the angle between the turned vectors is the same in both;
* :func:`channel_pairings` (page *implementation*): which channel pairs with which in the ``"half"`` and
  ``"interleaved"`` layouts (:func:`embedkit.rotary.pair_channels`);
* :func:`extension_wavelengths` (page *extension*): the wavelength of every pair before and after linear,
  dynamic NTK, YaRN and Llama 3 scaling (:func:`embedkit.rotary.scaled_inverse_frequencies`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd
import torch

from .. import checks
from ..rotary.frequencies import inverse_frequencies, wavelengths
from ..rotary.layouts import LAYOUTS, pair_channels
from ..rotary.reference import rotate_reference
from ..rotary.scaling import scaled_inverse_frequencies
from . import CHROME, INK

__all__ = ["EXTENSION_METHODS", "channel_pairings", "extension_scaling", "extension_table",
           "extension_wavelengths", "pairing_table", "turned_query_key", "turned_table"]


def _vector(name: str, v) -> tuple[float, float]:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != 2:
        raise TypeError(f"{name} must be a plane vector (x, y), got {checks.describe(v)}")
    x, y = (checks.real(f"{name}[{i}]", c) for i, c in enumerate(v))
    if x == 0 and y == 0:
        raise ValueError(f"{name} must not be the zero vector (it has no direction), got {v}")
    return x, y


def turned_table(q: Sequence[float] = (1.0, 0.5), k: Sequence[float] = (0.3, -1.2), theta: float = 0.2,
                 positions: Sequence[tuple[int, int]] = ((1, 4), (8, 11))) -> pd.DataFrame:
    """The vectors of :func:`turned_query_key`.

    For each ``(m, n)`` in ``positions``: ``q`` and ``k`` as given, and turned by
    :func:`~embedkit.rotary.rotate_reference` (one pair, ``inv_freq = [theta]``) to positions ``m`` and ``n``.

    Columns: ``panel`` (``"m = …, n = …"``), ``m``, ``n``, ``vector`` (``"q"``, ``"k"``, ``"q at m"``,
    ``"k at n"``), ``stage`` (``"before"``/``"after"``), ``x``, ``y``, ``norm`` and ``angle`` (the angle
    from the query to the key of the same stage, in degrees, counter-clockwise, in ``(-180, 180]``).
    """
    q, k = _vector("q", q), _vector("k", k)
    theta = checks.real("theta", theta)
    if isinstance(positions, (str, bytes)) or not hasattr(positions, "__iter__"):
        raise TypeError(f"positions must be a list of (m, n) pairs, got {checks.describe(positions)}")
    positions = list(positions)
    if not 1 <= len(positions) <= 4:
        raise ValueError(f"positions must hold 1 to 4 (m, n) pairs, got {len(positions)}")
    inv_freq = torch.tensor([theta], dtype=torch.float64)
    before = torch.tensor([q, k], dtype=torch.float64)  # (2, 2): the query and the key
    rows = []
    for j, mn in enumerate(positions):
        if isinstance(mn, (str, bytes)) or not hasattr(mn, "__len__") or len(mn) != 2:
            raise TypeError(f"positions[{j}] must be a pair (m, n), got {checks.describe(mn)}")
        m, n = (checks.integer(f"positions[{j}][{i}]", p, minimum=0) for i, p in enumerate(mn))
        # row 0 is the query at position m, row 1 the key at position n
        after = rotate_reference(before, [m, n], inv_freq)
        panel = f"m = {m}, n = {n}"
        for stage, vectors, names in (("before", before, ("q", "k")), ("after", after, ("q at m", "k at n"))):
            (qx, qy), (kx, ky) = vectors.tolist()
            angle = math.degrees(math.atan2(qx * ky - qy * kx, qx * kx + qy * ky))
            for name, (x, y) in zip(names, vectors.tolist()):
                rows.append({"panel": panel, "m": m, "n": n, "vector": name, "stage": stage, "x": x, "y": y,
                             "norm": math.hypot(x, y), "angle": angle})
    return pd.DataFrame(rows)


def turned_query_key(q: Sequence[float] = (1.0, 0.5), k: Sequence[float] = (0.3, -1.2), theta: float = 0.2,
                     positions: Sequence[tuple[int, int]] = ((1, 4), (8, 11))) -> alt.FacetChart:
    """``q`` and ``k`` (dashed) and RoPE's ``R(mθ) q`` and ``R(nθ) k`` (solid) in one plane, one panel per
    ``(m, n)``; each panel's header gives the angle between the turned vectors. With the same ``n − m`` in
    every panel the panels differ by one rotation of the whole picture. Data: :func:`turned_table`."""
    table = turned_table(q, k, theta, positions)
    after = table[table.stage == "after"].groupby("panel", sort=False).angle.first()
    # two header lines (split in the chart): the positions, then the angles
    table["header"] = [f"{p}: q turned by {table.m[i] * theta:.1f} rad, k by {table.n[i] * theta:.1f} rad|"
                       f"angle from turned q to turned k: {after[p]:.1f}°" for i, p in enumerate(table.panel)]
    reach = 1.15 * float(table.norm.max())
    scale = alt.Scale(domain=[-reach, reach], nice=False)
    vector_order = ["q", "k", "q at m", "k at n"]
    colour = alt.Color("who:N", title=None, scale=alt.Scale(domain=["query", "key"], range=["#4c9be8", "#e8744c"]),
                       legend=alt.Legend(orient="top"))
    base = alt.Chart().transform_calculate(
        who="indexof(datum.vector, 'q') === 0 ? 'query' : 'key'", x0="0", y0="0")
    arrows = base.mark_rule(strokeWidth=2.5).encode(
        x=alt.X("x0:Q", scale=scale, title=None), y=alt.Y("y0:Q", scale=scale, title=None),
        x2="x:Q", y2="y:Q", color=colour,
        strokeDash=alt.StrokeDash("stage:N", title=None, sort=["before", "after"],
                                  scale=alt.Scale(domain=["before", "after"], range=[[4, 3], [1, 0]]),
                                  legend=alt.Legend(orient="top")),
        opacity=alt.condition(alt.datum.stage == "before", alt.value(0.6), alt.value(1.0)),
        tooltip=["vector:N", "stage:N", alt.Tooltip("x:Q", format=".3f"), alt.Tooltip("y:Q", format=".3f"),
                 alt.Tooltip("norm:Q", format=".6f"), alt.Tooltip("angle:Q", format=".2f", title="angle k from q (°)")],
    )
    tips = base.mark_point(filled=True, size=40).encode(x="x:Q", y="y:Q", color=colour)
    names = base.mark_text(fontSize=12, dx=8, dy=-8, align="left", color=CHROME).encode(
        x="x:Q", y="y:Q", text=alt.Text("vector:N"))
    layers = alt.layer(arrows, tips, names).properties(width=220, height=220)
    offsets = sorted(set(table.n - table.m))
    return layers.facet(
        column=alt.Column("header:N", title=None, sort=list(dict.fromkeys(table.header)),
                          header=alt.Header(labelFontSize=11, labelExpr="split(datum.value, '|')")),
        data=table, spacing=24,
    ).properties(
        title=alt.Title(f"RoPE in one plane: q turned by mθ, k by nθ (θ = {theta:g})",
                        subtitle="lengths are kept; with the same n − m the angle between them is the same"),
        description=(f"{len(set(table.panel))} panels of a plane, one per pair of positions "
                     f"({'; '.join(dict.fromkeys(table.panel))}), offsets n − m {offsets}. Each shows a query q "
                     f"and a key k dashed and the same vectors turned by m theta and n theta solid. The turned "
                     f"vectors keep their lengths ({table.norm[table.vector == 'q'].iloc[0]:.2f} and "
                     f"{table.norm[table.vector == 'k'].iloc[0]:.2f}), and the angle from the turned query to the "
                     f"turned key is {', '.join(f'{a:.1f}' for a in after)} degrees."),
    )


def pairing_table(head_dim: int = 8) -> pd.DataFrame:
    """The channels of :func:`channel_pairings`: for each layout of :data:`embedkit.rotary.LAYOUTS` and each
    channel of the head, the pair it belongs to and its partner, from :func:`~embedkit.rotary.pair_channels`.

    Columns: ``layout``, ``channel``, ``pair``, ``partner``, ``seat`` (0 for the pair's first channel, the
    ``x`` of the plane; 1 for its second, ``y``).
    """
    head_dim = checks.integer("head_dim", head_dim, minimum=2, maximum=32)
    rows = []
    for layout in LAYOUTS:
        for pair, (a, b) in enumerate(pair_channels(head_dim, layout)):  # checks head_dim is even
            rows.append({"layout": layout, "channel": a, "pair": pair, "partner": b, "seat": 0})
            rows.append({"layout": layout, "channel": b, "pair": pair, "partner": a, "seat": 1})
    return pd.DataFrame(rows).sort_values(["layout", "channel"], kind="stable").reset_index(drop=True)


_LAYOUT_NAMES = {"half": "half (GPT-NeoX, Hugging Face rotate_half)",
                 "interleaved": "interleaved (GPT-J, RoFormer, Meta's Llama code)"}


def channel_pairings(head_dim: int = 8) -> alt.FacetChart:
    """The channels of one head in a row for each layout, coloured by the pair they belong to, with a bracket
    under each pair joining its two channels. Data: :func:`pairing_table` (with the brackets' corners)."""
    table = pairing_table(head_dim)
    table["name"] = table.layout.map(_LAYOUT_NAMES)
    table["part"] = "box"
    # A bracket per pair below the boxes: down from the first channel, across, up to the second.
    # Each pair drops to its own depth, so that brackets that cross stay apart.
    brackets = []
    for (layout, pair), group in table.groupby(["layout", "pair"]):
        a, b = sorted(group.channel)
        depth = -0.25 - 0.6 * (pair + 1) / (head_dim // 2) if layout == "half" else -0.35
        for order, (cx, cy) in enumerate(((a, -0.05), (a, depth), (b, depth), (b, -0.05))):
            brackets.append({"layout": layout, "name": _LAYOUT_NAMES[layout], "pair": pair, "part": "bracket",
                             "channel": a, "partner": b, "seat": -1, "bx": cx, "by": cy, "order": order})
    data = pd.concat([table, pd.DataFrame(brackets)], ignore_index=True)
    pair_colour = alt.Color("pair:O", title="pair i", scale=alt.Scale(scheme="set2"),
                            legend=alt.Legend(orient="right", symbolType="square"))
    x_scale = alt.Scale(domain=[-0.6, head_dim - 0.4], nice=False)
    y_scale = alt.Scale(domain=[-1.0, 1.0], nice=False)
    boxes_only = alt.Chart().transform_filter(alt.datum.part == "box").transform_calculate(
        x0="datum.channel - 0.42", x1="datum.channel + 0.42", y0="0", y1="0.9", middle="0.45")
    boxes = boxes_only.mark_rect(stroke=CHROME, strokeWidth=1, cornerRadius=3).encode(
        x=alt.X("x0:Q", scale=x_scale, axis=None), x2="x1:Q",
        y=alt.Y("y0:Q", scale=y_scale, axis=None), y2="y1:Q",
        fill=pair_colour,
        tooltip=["layout:N", "channel:Q", "pair:Q", "partner:Q"],
    )
    numbers = boxes_only.mark_text(fontSize=12, color=INK).encode(
        x=alt.X("channel:Q", scale=x_scale), y=alt.Y("middle:Q", scale=y_scale), text="channel:Q")
    lines = alt.Chart().transform_filter(alt.datum.part == "bracket").mark_line(strokeWidth=2).encode(
        x=alt.X("bx:Q", scale=x_scale), y=alt.Y("by:Q", scale=y_scale),
        color=alt.Color("pair:O", scale=alt.Scale(scheme="set2"), legend=None),
        detail="pair:N", order="order:Q")
    layers = alt.layer(boxes, numbers, lines).properties(width=46 * head_dim, height=70)
    return layers.facet(
        row=alt.Row("name:N", title=None, sort=[_LAYOUT_NAMES[layout] for layout in LAYOUTS],
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                      labelFontSize=12)),
        data=data, spacing=8,
    ).properties(
        title=alt.Title(f"Which channels form a pair: the two RoPE layouts (head_dim = {head_dim})",
                        subtitle="boxes are channels 0 … d − 1, coloured by pair; a bracket joins the two of a pair"),
        description=(f"Two rows of {head_dim} channel boxes. In the half layout pair i joins channels i and "
                     f"i + {head_dim // 2}: " + ", ".join(f"{a}–{b}" for a, b in pair_channels(head_dim, "half"))
                     + ". In the interleaved layout pair i joins channels 2i and 2i + 1: "
                     + ", ".join(f"{a}–{b}" for a, b in pair_channels(head_dim, "interleaved")) + "."),
    )


EXTENSION_METHODS = ("linear", "dynamic NTK", "YaRN", "Llama 3")
"""The methods :func:`extension_wavelengths` draws, in its panels' order."""


def extension_scaling(method: str, factor: float, original_max_position_embeddings: int) -> dict:
    """The Hugging Face ``rope_parameters`` of ``method`` (one of :data:`EXTENSION_METHODS`) with factor ``s``
    and training length ``L``; Llama 3's frequency thresholds are Llama 3.1's (``low_freq_factor`` 1,
    ``high_freq_factor`` 4), YaRN's ``beta`` the defaults."""
    checks.choice("method", method, EXTENSION_METHODS)
    kind = {"linear": "linear", "dynamic NTK": "dynamic", "YaRN": "yarn", "Llama 3": "llama3"}[method]
    scaling = {"rope_type": kind, "factor": float(factor)}
    if kind != "linear":
        scaling["original_max_position_embeddings"] = int(original_max_position_embeddings)
    if kind == "llama3":
        scaling.update(low_freq_factor=1.0, high_freq_factor=4.0)
    return scaling


def extension_table(factor: float = 4.0, head_dim: int = 128, base: float = 10000.0,
                    original_max_position_embeddings: int = 4096) -> pd.DataFrame:
    """The wavelengths of :func:`extension_wavelengths`: for each method and pair, ``2π/θ_i`` before
    (:func:`~embedkit.rotary.inverse_frequencies`) and after
    (:func:`~embedkit.rotary.scaled_inverse_frequencies`, dynamic NTK at a sequence of ``s·L`` tokens).

    Columns: ``method``, ``pair``, ``stage`` (``"original"``/``"scaled"``), ``wavelength``, ``ratio``
    (scaled over original wavelength, ``θ_i / θ'_i``).
    """
    factor = checks.real("factor", factor, minimum=1)
    length = checks.integer("original_max_position_embeddings", original_max_position_embeddings, minimum=1)
    before = wavelengths(inverse_frequencies(head_dim, base)).tolist()
    rows = []
    for method in EXTENSION_METHODS:
        inv, _ = scaled_inverse_frequencies(head_dim, base, extension_scaling(method, factor, length),
                                            seq_len=math.ceil(factor * length))
        after = wavelengths(inv).tolist()
        for i, (w0, w1) in enumerate(zip(before, after)):
            rows.append({"method": method, "pair": i, "stage": "original", "wavelength": w0, "ratio": 1.0})
            rows.append({"method": method, "pair": i, "stage": "scaled", "wavelength": w1, "ratio": w1 / w0})
    return pd.DataFrame(rows)


def extension_wavelengths(factor: float = 4.0, head_dim: int = 128, base: float = 10000.0,
                          original_max_position_embeddings: int = 4096) -> alt.FacetChart:
    """Wavelength of every pair (log scale) before and after each method of :data:`EXTENSION_METHODS`, one
    panel per method, with the training length ``L`` and the extended length ``s·L`` as horizontal lines.
    Data: :func:`extension_table`."""
    table = extension_table(factor, head_dim, base, original_max_position_embeddings)
    length = int(original_max_position_embeddings)
    stage = alt.Color("stage:N", title=None, sort=["original", "scaled"],
                      scale=alt.Scale(domain=["original", "scaled"], range=[CHROME, "#e8744c"]),
                      legend=alt.Legend(orient="top"))
    lines = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=10), strokeWidth=1.5).encode(
        x=alt.X("pair:Q", title="pair i (fast → slow)"),
        y=alt.Y("wavelength:Q", scale=alt.Scale(type="log"), title="wavelength (positions, log scale)",
                axis=alt.Axis(values=[10.0 ** e for e in range(0, 8)], format="~s")),
        color=stage, detail="stage:N",
        tooltip=["method:N", "pair:Q", "stage:N", alt.Tooltip("wavelength:Q", format=",.1f"),
                 alt.Tooltip("ratio:Q", format=".3f", title="scaled / original")],
    )
    # One row per panel carries each line (a facet's layers share the panel's rows).
    one = alt.Chart().transform_filter((alt.datum.pair == 0) & (alt.datum.stage == "original"))
    rules, rule_names = [], []
    for y, what in ((length, f"L = {length:,}"), (factor * length, f"sL = {factor * length:,.0f}")):
        rules.append(one.mark_rule(strokeDash=[4, 3], color=CHROME).encode(y=alt.datum(y)))
        rule_names.append(one.mark_text(align="left", dx=3, dy=-6, fontSize=10, color=CHROME).encode(
            x=alt.datum(0), y=alt.datum(y), text=alt.value(what)))
    layers = alt.layer(lines, *rules, *rule_names).properties(width=230, height=170)
    return layers.facet(
        facet=alt.Facet("method:N", title=None, sort=list(EXTENSION_METHODS), header=alt.Header(labelFontSize=12)),
        columns=2, data=table, spacing=16,
    ).properties(
        title=alt.Title(f"Wavelength of each pair before and after scaling by s = {factor:g}",
                        subtitle=f"head_dim = {head_dim}, base {base:,.0f}, trained on L = {length:,} tokens"),
        description=(f"Four panels, linear, dynamic NTK, YaRN and Llama 3, each plotting the wavelength of the "
                     f"{head_dim // 2} RoPE pairs on a log scale before (grey) and after (orange) scaling by "
                     f"{factor:g}, with dashed lines at the training length {length} and at {factor * length:.0f}. "
                     f"Linear scaling lengthens every wavelength {factor:g} times; the others leave the fast "
                     f"pairs almost or exactly alone and lengthen the slow ones."),
    )
