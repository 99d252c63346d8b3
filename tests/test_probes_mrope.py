"""The M-RoPE probe's data is the package's pair-to-axis assignment, and its menu is live."""

from __future__ import annotations

import pytest

from embedkit import rotary
from embedkit.probes import mrope as probe


def test_table_marks_exactly_the_axis_each_pair_reads():
    table = probe.pair_axes_table()
    for layout, section in probe.QWEN_SECTIONS.items():
        axes = rotary.pair_axes(list(section), layout=layout).tolist()
        rows = table[(table.layout == layout) & (table.turns == 1)].sort_values("pair")
        assert rows.pair.tolist() == list(range(64))
        assert rows.axis.tolist() == [rotary.mrope.AXES[a] for a in axes]
    wl = table[(table.layout == "sections") & (table.axis == "time")].wavelength
    assert wl.is_monotonic_increasing                      # fast pairs on the left


def test_chart_has_a_layout_menu_that_filters_the_data():
    spec = probe.pair_axes_chart().to_dict()
    (param,) = spec["params"]
    assert param["bind"]["options"] == ["sections", "interleaved"]
    assert spec["transform"] == [{"filter": "(datum.layout === layout)"}]


def test_bad_sections_are_refused():
    with pytest.raises(ValueError, match="mrope_section must add up"):
        probe.pair_axes_table(64, {"sections": (16, 24, 24)})
    with pytest.raises(ValueError, match="layout must be one of"):
        probe.pair_axes_table(128, {"zigzag": (16, 24, 24)})
