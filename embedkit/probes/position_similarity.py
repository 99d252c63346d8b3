"""Position-similarity probe: pick a width ``d`` and a position, see how alike its sinusoidal encoding is to the
encoding of every other position.

The cosine similarity of two sinusoidal encodings depends only on their offset (every encoding has norm
``√(d/2)``, and their dot product is ``Σ_i cos(offset · ω_i)``; see :func:`embedkit.positions.sinusoidal_dot`).
The static face uses that: it embeds one small table of similarity against *offset* per width and base, and
the browser shifts it to the chosen position. A test checks that this shifted table equals the similarities
computed directly from the encodings.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd
import torch

from .. import checks
from .live import choice_param, live_or_static
from .widget_output import show as show_in
from ..positions import sinusoidal, sinusoidal_dot

__all__ = ["PositionSimilarityProbe", "cosine_matrix", "offset_table", "similarity_chart", "similarity_profile"]


def cosine_matrix(table) -> np.ndarray:
    """Cosine similarity of every pair of rows of a ``(n, dim)`` table (NumPy array or tensor); ``(n, n)``
    float64 NumPy array. Zero rows get similarity 0."""
    t = torch.as_tensor(checks.array("table", table.detach().cpu().numpy() if isinstance(table, torch.Tensor) else table))
    if t.dim() != 2:
        raise ValueError(f"table must be a 2-D (n, dim) matrix, got shape {tuple(t.shape)}")
    unit = torch.nn.functional.normalize(t, dim=1)
    return (unit @ unit.T).numpy()


def similarity_profile(position: int, dim: int, *, n_positions: int = 128, base: float = 10000.0) -> pd.DataFrame:
    """Cosine similarity between the sinusoidal encoding of ``position`` and of every position
    ``0 … n_positions - 1``, computed from the encodings themselves.

    Columns: ``other`` (the other position), ``offset`` (``other - position``), ``similarity``.
    """
    n_positions = checks.integer("n_positions", n_positions, minimum=1)
    position = checks.integer("position", position)
    if not 0 <= position < n_positions:
        raise ValueError(f"position must be in 0..{n_positions - 1}, got {position}")
    pe = sinusoidal(n_positions, dim, base).double()
    sims = torch.nn.functional.cosine_similarity(pe[position][None, :], pe, dim=1)
    other = np.arange(n_positions)
    return pd.DataFrame({"other": other, "offset": other - position, "similarity": sims.numpy()})


def offset_table(dims: Sequence[int] = (16, 32, 64, 128, 256), *, n_positions: int = 128,
                 bases: Sequence[float] = (100.0, 1000.0, 10000.0)) -> pd.DataFrame:
    """Cosine similarity against offset ``-(n_positions - 1) … n_positions - 1`` for each width and base, in
    closed form (``sinusoidal_dot(offset) / (dim / 2)``). Columns: ``dim``, ``base``, ``offset``,
    ``similarity``. This is the data of :func:`similarity_chart`."""
    n_positions = checks.integer("n_positions", n_positions, minimum=1)
    for name, values in (("dims", dims), ("bases", bases)):
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{name} must be a list, got {checks.describe(values)}")
    offsets = torch.arange(-(n_positions - 1), n_positions)
    frames = [
        pd.DataFrame({"dim": d, "base": float(b), "offset": offsets.numpy(),
                      "similarity": (sinusoidal_dot(offsets, d, b) / (d / 2)).numpy().round(4)})
        for d in dims for b in bases
    ]
    return pd.concat(frames, ignore_index=True)


def similarity_chart(table: pd.DataFrame, *, n_positions: int = 128, dim: int | None = None,
                     position: int = 40, base: float | None = None) -> alt.LayerChart:
    """Static face: similarity of one position to all others, with a width and base drop-down and a
    position slider. Runs in the browser (the chosen position shifts the precomputed offset curve), so it
    stays interactive in the published book without a kernel."""
    dims = sorted(table["dim"].unique().tolist())
    bases = sorted(table["base"].unique().tolist())
    dim = dims[len(dims) // 2] if dim is None else dim
    base = bases[-1] if base is None else base
    p_dim = choice_param("dim", dims, dim, "width d ")
    p_base = choice_param("base", bases, base, "base ")
    p_pos = alt.param(name="position", value=position,
                      bind=alt.binding_range(min=0, max=n_positions - 1, step=1, name="position "))
    chosen = (
        alt.Chart(table, description="Cosine similarity of one sinusoidal position encoding to every other")
        .transform_filter((alt.datum.dim == p_dim) & (alt.datum.base == p_base))
        .transform_calculate(other=alt.datum.offset + p_pos)
        .transform_filter((alt.datum.other >= 0) & (alt.datum.other < n_positions))
    )
    x = alt.X("other:Q", title="other position", scale=alt.Scale(domain=[0, n_positions - 1]))
    line = chosen.mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=x,
        y=alt.Y("similarity:Q", title="cosine similarity", scale=alt.Scale(domain=[-1, 1])),
        tooltip=[alt.Tooltip("other:Q", title="position"), "offset:Q", alt.Tooltip("similarity:Q", format=".3f")],
    )
    rule = chosen.transform_filter(alt.datum.offset == 0).mark_rule(color="#d62728", strokeDash=[4, 3]).encode(x=x)
    return alt.layer(line, rule).add_params(p_dim, p_base, p_pos).properties(width=520, height=220)


class PositionSimilarityProbe:
    """Live face: drop-downs for the width and base and a slider for the position, redrawing the similarity
    of that position to every other.

    ``answer(position, dim, base)`` is the callback, a plain function: it returns the
    :func:`similarity_profile` table, or a message (as a string) for a setting that has no answer.
    """

    MAX_DIM = 4096
    """The widest encoding the live callback computes (the drop-down offers up to 512)."""

    DIMS = (8, 16, 32, 64, 128, 256, 512)
    """The widths the live face's drop-down offers (and its static face too)."""

    BASES = (100.0, 1000.0, 10000.0, 500000.0)
    """The bases the live face's drop-down offers (and its static face too)."""

    def __init__(self, n_positions: int = 128):
        self.n_positions = checks.integer("n_positions", n_positions, minimum=1, maximum=100_000)

    def answer(self, position: int, dim: int, base: float = 10000.0) -> pd.DataFrame | str:
        """The :func:`similarity_profile`, or for a setting that has no answer (``None``, NaN, a string, an odd
        width or one above ``MAX_DIM``, a position out of range, a base <= 1) a message saying why. Never raises on widget input."""
        try:
            position = checks.integer("position", position)
            dim = checks.integer("dim", dim, minimum=2, maximum=self.MAX_DIM)
            base = checks.real("base", base, minimum=1, open_min=True)
            if dim % 2:
                raise ValueError(f"dim must be even (sines and cosines come in pairs), got {dim}")
            if not 0 <= position < self.n_positions:
                raise ValueError(f"position must be in 0..{self.n_positions - 1}, got {position}")
        except (ValueError, TypeError) as err:
            return str(err)
        return similarity_profile(position, dim, n_positions=self.n_positions, base=base)

    def chart(self, profile: pd.DataFrame) -> alt.LayerChart:
        x = alt.X("other:Q", title="other position")
        line = alt.Chart(profile).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
            x=x, y=alt.Y("similarity:Q", title="cosine similarity", scale=alt.Scale(domain=[-1, 1])),
            tooltip=["other", "offset", alt.Tooltip("similarity:Q", format=".3f")])
        rule = alt.Chart(profile[profile["offset"] == 0]).mark_rule(color="#d62728", strokeDash=[4, 3]).encode(x=x)
        return (line + rule).properties(width=520, height=220)

    def static_chart(self, dim: int = 64, position: int = 40, base: float = 10000.0) -> alt.LayerChart | str:
        """The static face: :func:`similarity_chart` over every width and base of the live face, so that its
        drop-downs and position slider all run in the browser (the similarity depends on the offset only);
        or the probe's message for a setting that has no answer."""
        answer = self.answer(position, dim, base)
        if isinstance(answer, str):
            return answer
        dims = sorted({*self.DIMS, int(dim)})
        bases = sorted({*self.BASES, float(base)})
        table = offset_table(dims, n_positions=self.n_positions, bases=bases)
        return similarity_chart(table, n_positions=self.n_positions, dim=int(dim), position=int(position), base=float(base))

    def widget(self, dim: int = 64, position: int = 40, base: float = 10000.0):
        """The ipywidgets UI (a ``VBox``); its callbacks run only with a live kernel. In the book build,
        :meth:`static_chart` with the note instead (a :class:`~embedkit.probes.live.StaticFace`)."""
        return live_or_static(lambda: self._widget(dim, position, base), lambda: self.static_chart(dim, position, base))

    def _widget(self, dim: int, position: int, base: float):
        import ipywidgets as w

        d = w.Dropdown(options=list(self.DIMS), value=dim, description="width d")
        b = w.Dropdown(options=list(self.BASES), value=base, description="base")
        p = w.IntSlider(value=position, min=0, max=self.n_positions - 1, description="position",
                        continuous_update=False)
        out = w.Output()

        def show(_=None):
            result = self.answer(p.value, d.value, b.value)
            show_in(out, result if isinstance(result, str) else self.chart(result))

        for control in (d, b, p):
            control.observe(show, names="value")
        show()
        return w.VBox([w.HBox([d, b]), p, out])
