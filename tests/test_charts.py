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


def test_the_books_stylesheet_redraws_the_chart_chrome_colour():
    """Axis, legend and title text is drawn in charts.CHROME; the book's CSS must restyle exactly that colour
    (and Vega's roles for axes, legends and titles) with the theme's text colour, or dark mode loses it."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "_static" / "embedkit-book.css").read_text()
    config = charts._theme()["config"]
    colours = {config["axis"]["labelColor"], config["axis"]["titleColor"], config["legend"]["labelColor"],
               config["title"]["color"], config["header"]["labelColor"]}
    assert colours == {charts.CHROME}
    assert f'.embedkit-chart svg text[fill="{charts.CHROME}"]' in css
    for role in ("axis-label", "axis-title", "legend-label", "legend-title", "title-text"):
        assert f".embedkit-chart svg .role-{role} text" in css
    assert "fill: var(--pst-color-text-muted)" in css
