"""embedkit.charts: the offline renderer's output, and NumPy scalars that glue like Python numbers."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from embedkit import charts


def test_glued_numpy_scalars_take_format_specs():
    from IPython.core.formatters import format_display_data
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()
    charts.setup()
    # myst-nb formats glued text/plain with float(...) before applying ":.2f": it must be a plain number.
    for value, text in [(np.float64(0.5), "0.5"), (np.float32(0.25), "0.25"), (np.int64(3), "3"), (np.bool_(True), "True")]:
        assert format_display_data(value)[0]["text/plain"] == text


def test_book_renderer_embeds_spec_with_the_pages_vega(monkeypatch):
    monkeypatch.setenv(charts.BOOK_ENV, "1")
    charts.setup()
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    bundle = chart._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    html = bundle["text/html"]
    assert 'class="embedkit-chart"' in html and "window.vegaEmbed(" in html
    assert "cdn" not in html.lower()  # nothing fetched from outside the book
    alt.renderers.enable("default")
