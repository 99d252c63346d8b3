"""Probes: every probe has a live face (ipywidgets, needs a kernel) and a static face (an Altair chart
over precomputed data, interactive in the published HTML). Their callbacks are plain functions, tested
like any other code.

Modules: :mod:`~embedkit.probes.neighbours` (intro), :mod:`~embedkit.probes.analogy`,
:mod:`~embedkit.probes.axis` and :mod:`~embedkit.probes.wordmap` (Words), :mod:`~embedkit.probes.tokenizer`
(Tokens), :mod:`~embedkit.probes.position_similarity` (Positions), :mod:`~embedkit.probes.rotation` (Rotary);
:mod:`~embedkit.probes.live` holds the text-box face they share. Import probes from their modules; only the
intro's neighbour probe is re-exported here, so that importing it does not load torch.
"""

from .neighbours import NeighboursProbe, neighbours_chart, neighbours_table

__all__ = ["NeighboursProbe", "neighbours_chart", "neighbours_table"]
