"""M-RoPE probe: which rotation pairs turn with which axis (time, height, width).

A static face only: an Altair heat strip of pair index × axis with a drop-down for the
layout (Qwen2-VL's contiguous sections or Qwen3-VL's interleaving), running in the
browser over the table of :func:`pair_axes_table`. The assignment is the package's
(:func:`embedkit.rotary.pair_axes`), the wavelengths
:func:`embedkit.rotary.wavelengths`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .. import checks
from .live import choice_param
from ..rotary import MROPE_LAYOUTS, inverse_frequencies, pair_axes, wavelengths
from ..rotary.mrope import AXES, check_sections

__all__ = ["QWEN_SECTIONS", "pair_axes_chart", "pair_axes_table"]

QWEN_SECTIONS = {"sections": (16, 24, 24), "interleaved": (24, 20, 20)}
"""Each layout with its model's ``mrope_section`` for ``head_dim`` 128: Qwen2-VL's
sections, Qwen3-VL's interleaving."""


def pair_axes_table(head_dim: int = 128, sections=None, *,
                    base: float = 1_000_000.0) -> pd.DataFrame:
    """One row per (layout, pair, axis): ``turns`` is 1 if the pair follows that axis.

    ``sections`` maps a layout (``"sections"``, ``"interleaved"``) to its
    ``mrope_section`` (default :data:`QWEN_SECTIONS`). Columns: ``layout``,
    ``mrope_section`` (as text), ``pair``, ``axis`` (a name of :data:`AXES`), ``turns``
    (0 or 1), ``wavelength`` (positions per full turn of the pair, ``2π/θ_i``).
    """
    if sections is None:
        sections = QWEN_SECTIONS
    sections = dict(checks.mapping("sections", sections))
    inv_freq = inverse_frequencies(head_dim, base)
    lam = wavelengths(inv_freq).tolist()
    rows = []
    for layout, section in sections.items():
        checks.choice("layout", layout, MROPE_LAYOUTS)
        check_sections(section, inv_freq.numel())
        axes = pair_axes(section, layout=layout).tolist()
        for pair, owner in enumerate(axes):
            for k, axis in enumerate(AXES):
                rows.append({"layout": layout, "mrope_section": str(list(section)),
                             "pair": pair, "axis": axis, "turns": int(owner == k),
                             "wavelength": lam[pair]})
    return pd.DataFrame(rows)


def pair_axes_chart(head_dim: int = 128, sections=None, *,
                    base: float = 1_000_000.0) -> alt.Chart:
    """Heat strip: pairs (fast to slow, left to right) × axes, filled where a pair turns
    with an axis; a drop-down picks the layout (no menu when only one is given)."""
    data = pair_axes_table(head_dim, sections, base=base)
    names = list(dict.fromkeys(data["layout"]))
    layout = choice_param("layout", names, names[0], "layout")
    ticks = list(range(0, head_dim // 2, 8))
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("pair:O", title="pair i (fast → slow)",
                axis=alt.Axis(labelAngle=0, values=ticks)),
        y=alt.Y("axis:N", sort=list(AXES), title=None),
        color=alt.Color("turns:Q", legend=None,
                        scale=alt.Scale(domain=[0, 1], range=["#eeeeee", "#3366aa"])),
        tooltip=["layout:N", "mrope_section:N", "pair:O", "axis:N",
                 alt.Tooltip("wavelength:Q", format=",.0f")],
    ).add_params(layout).transform_filter(alt.datum.layout == layout).properties(
        width=640, height=90, title="which pairs turn with which axis")
