"""Probes: every probe has a live face (ipywidgets, needs a kernel) and a static face (an Altair chart
over precomputed data, interactive in the published HTML). Their callbacks are plain functions, tested
like any other code."""

from .neighbours import NeighboursProbe, neighbours_chart, neighbours_table

__all__ = ["NeighboursProbe", "neighbours_chart", "neighbours_table"]
