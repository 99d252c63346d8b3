"""IPython startup for `make lab` (copied into the lab's own IPython profile under .tools/lab/).

Altair's default renderer loads Vega from a CDN, and JupyterLab's built-in Vega renderer stops at Vega-Lite 5
(Altair 6 writes Vega-Lite 6). The "jupyter" renderer in offline mode draws each chart as a widget whose
JavaScript comes from the installed vl-convert-python package, so the book's charts (and the live probes'
charts inside their widgets) render with no network. The book build is untouched: there
``embedkit.charts.setup()`` switches to the book's own renderer.
"""

try:
    import altair as alt
    import anywidget  # noqa: F401  (the widget the renderer draws with)
    import vl_convert  # noqa: F401  (its JavaScript bundle)

    alt.renderers.enable("jupyter", offline=True)
except Exception as err:  # a missing optional package must not stop the kernel
    print(f"make lab: Altair's offline renderer is not available ({err}); charts load Vega from the network.")
