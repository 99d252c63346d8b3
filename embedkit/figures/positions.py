"""Figures of the Positions chapter.

* :func:`sinusoid_waves` (page *sinusoidal*): the sine and cosine channels of a few pairs of the sinusoidal
  table (:func:`embedkit.positions.sinusoidal`) against position, one row per pair, fast pairs first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from .. import checks
from ..positions.sinusoids import sinusoidal, sinusoidal_frequencies

__all__ = ["sinusoid_table", "sinusoid_waves"]


def sinusoid_table(dim: int = 64, pairs: Sequence[int] = (0, 4, 8, 12), n_positions: int = 64,
                   base: float = 10000.0) -> pd.DataFrame:
    """The values of :func:`sinusoid_waves`: ``PE[p, 2i]`` (sine) and ``PE[p, 2i + 1]`` (cosine) of
    :func:`~embedkit.positions.sinusoidal` for each chosen pair ``i`` and position ``p < n_positions``.

    Columns: ``pair``, ``channel``, ``function`` (``"sin"`` or ``"cos"``), ``position``, ``value``,
    ``wavelength`` (``2π / ω_i``, from :func:`~embedkit.positions.sinusoidal_frequencies`) and ``label``.
    """
    table = sinusoidal(n_positions, dim, base)  # checks dim, n_positions and base
    omega = sinusoidal_frequencies(dim, base)
    if isinstance(pairs, (str, bytes)) or not hasattr(pairs, "__iter__"):
        raise TypeError(f"pairs must be a list of pair indices, got {checks.describe(pairs)}")
    pairs = [checks.integer(f"pairs[{k}]", p, minimum=0, maximum=dim // 2 - 1) for k, p in enumerate(pairs)]
    if not pairs or len(set(pairs)) != len(pairs) or len(pairs) > 8:
        raise ValueError(f"pairs must be 1 to 8 distinct pair indices, got {pairs}")
    rows = []
    for i in pairs:
        wavelength = 2 * math.pi / float(omega[i])
        label = f"pair {i} (channels {2 * i}, {2 * i + 1}): wavelength {wavelength:,.1f}"
        for function, channel in (("sin", 2 * i), ("cos", 2 * i + 1)):
            for p in range(int(n_positions)):
                rows.append({"pair": i, "channel": channel, "function": function, "position": p,
                             "value": float(table[p, channel]), "wavelength": wavelength, "label": label})
    return pd.DataFrame(rows)


def sinusoid_waves(dim: int = 64, pairs: Sequence[int] = (0, 4, 8, 12), n_positions: int = 64,
                   base: float = 10000.0) -> alt.FacetChart:
    """Sine and cosine of each chosen pair against position (points at the integer positions the table
    holds), one row per pair, each labelled with its wavelength. Data: :func:`sinusoid_table`."""
    table = sinusoid_table(dim, pairs, n_positions, base)
    order = list(dict.fromkeys(table.sort_values("pair").label))
    chart = alt.Chart().mark_line(point=alt.OverlayMarkDef(size=12), strokeWidth=1.5).encode(
        x=alt.X("position:Q", title="position p", scale=alt.Scale(domain=[0, int(n_positions) - 1], nice=False)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[-1, 1]), axis=alt.Axis(values=[-1, 0, 1], format="~g")),
        color=alt.Color("function:N", title=None, sort=["sin", "cos"],
                        legend=alt.Legend(orient="top", labelExpr="datum.value + '(p·ω)'")),
        tooltip=["label:N", "function:N", "channel:Q", "position:Q", alt.Tooltip("value:Q", format=".3f")],
    ).properties(width=480, height=56)
    n = len(order)
    shown = ", ".join(str(p) for p in sorted(set(table.pair)))
    return chart.facet(
        row=alt.Row("label:N", sort=order, title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top")),
        data=table, spacing=6,
    ).properties(
        title=alt.Title(f"{n} pairs of the sinusoidal table (d = {int(dim)}) against position",
                        subtitle="each pair is a sine and a cosine of one wavelength; later pairs turn slower"),
        description=(f"Line charts of the sine and cosine channels of pairs {shown} of a "
                     f"{int(dim)}-dimensional sinusoidal encoding over positions 0 "
                     f"to {int(n_positions) - 1}; the wavelengths grow from "
                     f"{table.wavelength.min():.1f} to {table.wavelength.max():,.1f} positions."),
    )
