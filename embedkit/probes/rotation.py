"""Rotary probes: a rotation dial (each pair of channels turning as the position moves) and the score of a
query with a key against their distance, for a chosen base and context-extension scaling.

Both have a static face (an Altair chart with sliders and drop-downs over precomputed data, live in the
published book) and a live face (ipywidgets, for Binder/JupyterLab). Their callbacks, :func:`dial_table`
and :func:`score_table`, are plain functions that check their arguments and raise on bad ones; the live
faces' ``answer`` methods never raise on what a widget sends them (``None``, NaN, a string, a value out of
range): they return a message to show instead. The frequencies are the package's
(:func:`embedkit.rotary.inverse_frequencies`, :func:`embedkit.rotary.scaled_inverse_frequencies`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from .. import checks
from .live import choice_param, live_or_static
from .widget_output import show as show_in
from ..positions import as_positions
from ..rotary import angles, decay_bound, inverse_frequencies, mean_cos_score, scaled_inverse_frequencies, wavelengths

__all__ = ["RotationDialProbe", "ScoreProbe", "dial_chart", "dial_live_chart", "dial_table", "score_chart", "score_table"]


def dial_table(head_dim: int = 128, base: float = 10000.0, pairs: Sequence[int] = (0, 8, 16, 32, 63),
               positions: Sequence[int] | range = range(0, 101)) -> pd.DataFrame:
    """Where the unit vector ``(1, 0)`` of each chosen pair points at each position.

    Columns: ``pair``, ``label``, ``position``, ``angle`` (radians, ``position·θ_pair``), ``x``, ``y`` (on a
    ring of radius ``1 + ring``, one ring per pair so the hands do not overlap), ``wavelength``.
    ``θ`` is :func:`embedkit.rotary.inverse_frequencies` and the angles :func:`embedkit.rotary.angles`.
    """
    inv_freq = inverse_frequencies(head_dim, base)  # checks head_dim (even, >= 2) and base (> 1, finite)
    if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
        raise TypeError(f"pairs must be a list of pair indices, got {checks.describe(pairs)}")
    pairs = [checks.integer(f"pairs[{i}]", p) for i, p in enumerate(pairs)]
    bad = [p for p in pairs if not 0 <= p < head_dim // 2]
    if bad:
        raise ValueError(f"pairs must be in 0 … {head_dim // 2 - 1} for head_dim={head_dim}, got {bad}")
    positions = as_positions(positions)  # 1-D, integers, >= 0
    turned = angles(positions, inv_freq).numpy()  # (positions, pairs), float64
    positions = positions.numpy()
    rows = []
    lam = wavelengths(inv_freq)
    for ring, p in enumerate(pairs):
        angle = turned[:, p]
        radius = 1.0 + ring
        wavelength = float(lam[p])
        label = f"pair {p} (one turn per {wavelength:,.0f} positions)"
        for m, a in zip(positions, angle):
            rows.append({"pair": p, "label": label, "position": int(m), "angle": float(a),
                         "x": radius * math.cos(a), "y": radius * math.sin(a), "wavelength": wavelength})
    return pd.DataFrame(rows)


def dial_chart(table: pd.DataFrame, start: int = 10) -> alt.LayerChart:
    """Static face of the dial: concentric rings, one hand per pair, and a slider for the position.

    The fastest pair (innermost) spins; the slowest barely moves. Faint dots trace the positions passed.
    """
    top = int(table["position"].max())
    pos = alt.param(name="position", value=min(start, top),
                    bind=alt.binding_range(min=int(table["position"].min()), max=top, step=1, name="position "))
    rings = table.groupby("label", sort=False)["x"].apply(lambda s: float(np.hypot(s.iloc[0], table.loc[s.index[0], "y"])))
    circle = pd.DataFrame([
        {"label": lab, "t": t, "x": r * math.cos(t), "y": r * math.sin(t)}
        for lab, r in rings.items() for t in np.linspace(0, 2 * math.pi, 73)
    ])
    scale = alt.Scale(domain=[-len(rings) - 0.3, len(rings) + 0.3])
    color = alt.Color("label:N", title=None, sort=list(rings.index), legend=alt.Legend(orient="bottom", columns=1, labelLimit=400))
    x, y = alt.X("x:Q", scale=scale, axis=None), alt.Y("y:Q", scale=scale, axis=None)
    base = alt.Chart(table).encode(x=x, y=y, color=color)
    guide = alt.Chart(circle).mark_line(strokeWidth=0.7, opacity=0.4).encode(x=x, y=y, color=color, order="t:Q")
    trail = base.mark_circle(size=12, opacity=0.25).transform_filter(alt.datum.position <= pos)
    now = base.transform_filter(alt.datum.position == pos)
    hand = now.mark_rule(strokeWidth=2.5).encode(x2=alt.datum(0), y2=alt.datum(0))
    tip = now.mark_circle(size=90, opacity=1).encode(
        tooltip=["label:N", "position:Q", alt.Tooltip("angle:Q", format=".2f", title="angle (rad)")])
    return alt.layer(guide, trail, hand, tip).add_params(pos).properties(
        width=340, height=340, description="RoPE rotation dial: each pair of channels turns by position × θ_i")


def dial_live_chart(head_dim: int = 128, pairs: Sequence[int] = (0, 8, 16, 32, 63),
                    bases: Sequence[float] = (100.0, 10000.0, 500000.0), *, position: int = 10,
                    base: float = 10000.0, max_position: int = 5000, trail: int = 40) -> alt.LayerChart:
    """The dial with its angles computed in the browser: a position slider ``0 … max_position`` and a base
    drop-down, like the live face, with no kernel.

    The chart embeds one row per base and pair, ``θ`` (:func:`embedkit.rotary.inverse_frequencies`) and the
    ring's radius; Vega computes each hand's angle ``position·θ`` and the ``trail`` positions before it
    (faint dots), so the data stay small however far the slider goes.
    """
    bases = [checks.real(f"bases[{i}]", b, minimum=1, open_min=True) for i, b in enumerate(bases)]
    base = checks.real("base", base, minimum=1, open_min=True)
    max_position = checks.integer("max_position", max_position, minimum=1)
    position = checks.integer("position", position, minimum=0, maximum=max_position)
    trail = checks.integer("trail", trail, minimum=0)
    if base not in bases:
        raise ValueError(f"base must be one of bases {bases}, got {base}")
    rows = []
    for b in bases:
        table = dial_table(head_dim, b, pairs, [0])  # checks head_dim and pairs
        inv = inverse_frequencies(head_dim, b)
        for ring, (p, wavelength) in enumerate(zip(table["pair"], table["wavelength"])):
            rows.append({"base": b, "pair": int(p), "radius": 1.0 + ring, "theta": float(inv[int(p)]),
                         "wavelength": float(wavelength)})
    data = pd.DataFrame(rows)
    n = len(data["pair"].unique())
    circle = pd.DataFrame([{"pair": int(p), "t": t, "x": (1.0 + ring) * math.cos(t), "y": (1.0 + ring) * math.sin(t)}
                           for ring, p in enumerate(dict.fromkeys(data["pair"])) for t in np.linspace(0, 2 * math.pi, 73)])
    pos = alt.param(name="position", value=position,
                    bind=alt.binding_range(min=0, max=max_position, step=1, name="position "))
    pick = choice_param("base", bases, base, "base ")
    scale = alt.Scale(domain=[-n - 0.3, n + 0.3])
    x, y = alt.X("x:Q", scale=scale, axis=None), alt.Y("y:Q", scale=scale, axis=None)
    color = alt.Color("pair:N", title="pair", sort=list(dict.fromkeys(data["pair"])), legend=alt.Legend(orient="bottom"))
    guide = alt.Chart(circle).mark_line(strokeWidth=0.7, opacity=0.4).encode(x=x, y=y, color=color, order="t:Q")
    chosen = alt.Chart(data).transform_filter(alt.datum.base == pick)
    trail_dots = (
        chosen.transform_calculate(k=f"sequence(1, {trail + 1})")
        .transform_flatten(["k"])
        .transform_calculate(p="position - datum.k")
        .transform_filter("datum.p >= 0")
        .transform_calculate(x="datum.radius * cos(datum.p * datum.theta)", y="datum.radius * sin(datum.p * datum.theta)")
        .mark_circle(size=12, opacity=0.25)
        .encode(x=x, y=y, color=color)
    )
    now = chosen.transform_calculate(
        angle="position * datum.theta", turns="position * datum.theta / (2 * PI)",
        x="datum.radius * cos(position * datum.theta)", y="datum.radius * sin(position * datum.theta)")
    hand = now.mark_rule(strokeWidth=2.5).encode(x=x, y=y, x2=alt.datum(0), y2=alt.datum(0), color=color)
    tip = now.mark_circle(size=90, opacity=1).encode(
        x=x, y=y, color=color,
        tooltip=["pair:N", alt.Tooltip("wavelength:Q", format=",.0f", title="one turn per (positions)"),
                 alt.Tooltip("angle:Q", format=".2f", title="angle (rad)"), alt.Tooltip("turns:Q", format=".3f")])
    caption = (
        chosen.transform_aggregate(count="count()")
        .transform_calculate(text="'position ' + format(position, ',') + ', base ' + format(base, ',')")
        .mark_text(align="left", fontSize=12, color="#888")
        .encode(text="text:N", x=alt.value(0), y=alt.value(-8))
    )
    return alt.layer(guide, trail_dots, hand, tip, caption).add_params(pos, pick).properties(
        width=340, height=340, description="RoPE rotation dial, computed in the browser: each pair turns by position × θ_i")


def score_table(head_dim: int = 128, bases: Sequence[float] = (10000.0, 500000.0),
                scalings: Mapping[str, Mapping | None] | None = None,
                distances: Sequence[int] | np.ndarray | None = None) -> pd.DataFrame:
    """Score against distance for every base and scaling: the callback of the score-vs-distance probe.

    For each combination, two curves: ``score`` (:func:`embedkit.rotary.mean_cos_score`: a query and a key
    that are ``(1, 0)`` in every pair, divided by the number of pairs, attention factor included) and
    ``bound (shape)`` (RoFormer's relative bound, :func:`embedkit.rotary.decay_bound`, divided by its value
    at distance 0 and times the squared attention factor, so both curves start at the same height and
    compare in shape; in absolute terms the bound is ``(P + 1)/2`` times higher). Long format with columns
    ``base``, ``scaling``, ``curve``, ``distance``, ``value``.
    """
    inverse_frequencies(head_dim)  # checks head_dim
    if isinstance(bases, (str, bytes)) or not hasattr(bases, "__iter__"):
        raise TypeError(f"bases must be a list of RoPE bases, got {checks.describe(bases)}")
    bases = [checks.real(f"bases[{i}]", b, minimum=1, open_min=True) for i, b in enumerate(bases)]
    scalings = {"none": None} if scalings is None else dict(checks.mapping("scalings", scalings))
    if distances is None:
        distances = np.unique(np.round(np.geomspace(1, 32768, 160)).astype(int))
        distances = np.concatenate([[0], distances])
    distances = checks.array("distances", distances, ndim=1, dtype=None)
    frames = []
    for base in bases:
        for name, scaling in scalings.items():
            inv, factor = scaled_inverse_frequencies(head_dim, base, scaling)
            bound = decay_bound(distances, inv)
            bound = bound / ((inv.shape[0] + 1) / 2) * factor**2  # relative to Δ = 0, where it is (P + 1)/2
            for curve, values in (("score", mean_cos_score(distances, inv, factor)), ("bound (shape)", bound)):
                frames.append(pd.DataFrame({"base": f"{base:,.0f}", "scaling": name, "curve": curve,
                                            "distance": distances, "value": values.numpy()}))
    return pd.concat(frames, ignore_index=True)


def score_chart(table: pd.DataFrame, base: str | None = None, scaling: str | None = None) -> alt.Chart:
    """Static face: score and bound against distance (log scale), with drop-downs for base and scaling (none
    for a table of one base or one scaling)."""
    bases = list(dict.fromkeys(table["base"]))
    scalings = list(dict.fromkeys(table["scaling"]))
    pick_base = choice_param("base", bases, base or bases[0], "base ")
    pick_scaling = choice_param("scaling", scalings, scaling or scalings[0], "scaling ")
    data = table[table["distance"] > 0]
    return (
        alt.Chart(data, description="RoPE score against relative distance, with the RoFormer bound")
        .mark_line()
        .encode(
            x=alt.X("distance:Q", scale=alt.Scale(type="log"), title="relative distance m − n (positions)"),
            y=alt.Y("value:Q", title="score / pairs"),
            color=alt.Color("curve:N", title=None),
            strokeDash=alt.StrokeDash("curve:N", title=None),
            tooltip=["curve:N", "distance:Q", alt.Tooltip("value:Q", format=".3f")],
        )
        .add_params(pick_base, pick_scaling)
        .transform_filter((alt.datum.base == pick_base) & (alt.datum.scaling == pick_scaling))
        .properties(width=480, height=260)
    )


class RotationDialProbe:
    """Live face of the dial: sliders for the position and the base; ``answer`` is the callback."""

    MAX_POSITION = 5000
    """The live slider's range is ``0 … MAX_POSITION``."""

    def __init__(self, head_dim: int = 128, pairs: Sequence[int] = (0, 8, 16, 32, 63)):
        dial_table(head_dim, 10000.0, pairs, [0])  # checks head_dim and pairs once, here
        self.head_dim = int(head_dim)
        self.pairs = tuple(int(p) for p in pairs)

    def answer(self, position: int, base: float = 10000.0) -> pd.DataFrame | str:
        """Angle (radians, and in turns) of each chosen pair at ``position``; for a setting that has no answer
        (``None``, NaN, a string, a position outside ``0 … MAX_POSITION``, a base <= 1) a message saying why."""
        try:
            position = checks.integer("position", position, minimum=0, maximum=self.MAX_POSITION)
            base = checks.real("base", base, minimum=1, open_min=True)
        except (TypeError, ValueError) as err:
            return str(err)
        table = dial_table(self.head_dim, base, self.pairs, [position])
        table["turns"] = table["angle"] / (2 * math.pi)
        return table[["pair", "wavelength", "angle", "turns", "x", "y"]].round(4)

    BASES = (100.0, 10000.0, 500000.0)
    """The bases the live face's drop-down offers (and its static face too)."""

    def static_chart(self, position: int = 10, base: float = 10000.0) -> alt.LayerChart | str:
        """The static face: :func:`dial_live_chart` with the live face's slider range and bases, all in the
        browser; or the probe's message for a setting that has no answer."""
        answer = self.answer(position, base)
        if isinstance(answer, str):
            return answer
        bases = sorted({*self.BASES, float(base)})
        return dial_live_chart(self.head_dim, self.pairs, bases, position=int(position), base=float(base),
                               max_position=self.MAX_POSITION)

    def widget(self, position: int = 10, base: float = 10000.0):
        """The ipywidgets UI (a ``VBox``); its callbacks run only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(position, base), lambda: self.static_chart(position, base))

    def _widget(self, position: int, base: float):
        import ipywidgets as w

        slider = w.IntSlider(value=position, min=0, max=self.MAX_POSITION, description="position")
        bases = w.Dropdown(options=list(self.BASES), value=base, description="base")
        out = w.Output()

        def show(_=None):
            m = slider.value
            answer = self.answer(m, bases.value)
            if isinstance(answer, str):
                show_in(out, answer)
                return
            chart = dial_chart(dial_table(self.head_dim, bases.value, self.pairs, range(max(0, m - 40), m + 1)), start=m)
            show_in(out, chart, answer)

        slider.observe(show, names="value")
        bases.observe(show, names="value")
        show()
        return w.VBox([w.HBox([slider, bases]), out])


class ScoreProbe:
    """Live face of the score-vs-distance probe: base, scaling type and factor as controls."""

    SCALINGS = {
        "none": lambda s: None,
        "linear": lambda s: {"rope_type": "linear", "factor": s},
        "yarn": lambda s: {"rope_type": "yarn", "factor": s, "original_max_position_embeddings": 4096},
        "llama3": lambda s: {"rope_type": "llama3", "factor": s, "original_max_position_embeddings": 8192,
                             "low_freq_factor": 1.0, "high_freq_factor": 4.0},
    }

    MAX_FACTOR = 32.0
    """The live factor slider's range is ``1 … MAX_FACTOR``."""

    def __init__(self, head_dim: int = 128):
        inverse_frequencies(head_dim)  # checks head_dim
        self.head_dim = int(head_dim)

    def answer(self, base: float = 10000.0, scaling: str = "none", factor: float = 4.0) -> pd.DataFrame | str:
        """The :func:`score_table` of one base and scaling; for a setting that has no answer (an unknown
        scaling, ``None``, NaN, a factor outside ``1 … MAX_FACTOR``, a base <= 1) a message saying why."""
        try:
            base = checks.real("base", base, minimum=1, open_min=True)
            checks.choice("scaling", scaling, self.SCALINGS)
            factor = checks.real("factor", factor, minimum=1, maximum=self.MAX_FACTOR)
        except (TypeError, ValueError) as err:
            return str(err)
        return score_table(self.head_dim, [base], {scaling: self.SCALINGS[scaling](factor)})

    BASES = (100.0, 10000.0, 500000.0)
    """The bases the live face's drop-down offers (and its static face too)."""

    FACTORS = (2.0, 4.0, 8.0, 16.0, 32.0)
    """The factors the static face offers for each scaling (the live slider takes any in ``1 … MAX_FACTOR``)."""

    def static_chart(self, base: float = 10000.0, scaling: str = "linear", factor: float = 4.0) -> alt.Chart | str:
        """The static face: :func:`score_chart` over every base of the live face and every scaling at each of
        :data:`FACTORS` (one menu entry per scaling and factor, such as ``"yarn, s = 8"``), all in the browser;
        or the probe's message for a setting that has no answer. 64 distances and values to 4 decimals keep
        the embedded data small."""
        answer = self.answer(base, scaling, factor)
        if isinstance(answer, str):
            return answer
        label = lambda kind, s: "none" if kind == "none" else f"{kind}, s = {s:g}"  # noqa: E731
        factors = sorted({*self.FACTORS, float(factor)})
        scalings = {label(kind, s): make(s) for kind, make in self.SCALINGS.items()
                    for s in (factors if kind != "none" else [1.0])}
        distances = np.concatenate([[0], np.unique(np.round(np.geomspace(1, 32768, 64)).astype(int))])
        bases = sorted({*self.BASES, float(base)})
        table = score_table(self.head_dim, bases, scalings, distances).round({"value": 4})  # 4 digits: half the page weight
        return score_chart(table, base=f"{float(base):,.0f}", scaling=label(scaling, float(factor)))

    def widget(self, base: float = 10000.0, scaling: str = "none", factor: float = 4.0):
        """The ipywidgets UI (a ``VBox``); its callbacks run only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`), which starts
        at linear scaling when ``scaling`` is ``"none"`` so that both of its menus change the curve."""
        return live_or_static(lambda: self._widget(base, scaling, factor),
                              lambda: self.static_chart(base, "linear" if scaling == "none" else scaling, factor))

    def _widget(self, base: float, scaling: str, factor: float):
        import ipywidgets as w

        base = w.Dropdown(options=list(self.BASES), value=base, description="base")
        kind = w.Dropdown(options=list(self.SCALINGS), value=scaling, description="scaling")
        factor = w.FloatSlider(value=factor, min=1.0, max=self.MAX_FACTOR, step=0.5, description="factor")
        out = w.Output()

        def show(_=None):
            answer = self.answer(base.value, kind.value, factor.value)
            show_in(out, answer if isinstance(answer, str) else score_chart(answer))

        for control in (base, kind, factor):
            control.observe(show, names="value")
        show()
        return w.VBox([w.HBox([base, kind, factor]), out])
