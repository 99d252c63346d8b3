"""Altair charts that render in the static book with no network, and the book's chart defaults.

Altair's own HTML renderer loads Vega from a CDN. The book ships Vega itself (``_static/vega-bundle.js``,
made by ``scripts/vendor-js.sh``), so when the book is built we register a renderer that writes the spec
inline and calls the page's ``window.vegaEmbed``. In JupyterLab or Binder nothing changes: Altair's
default renderer is kept, because there is no ``window.vegaEmbed`` there.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os

import altair as alt

__all__ = ["BOOK_ENV", "CHROME", "building_book", "setup"]

BOOK_ENV = "EMBEDKIT_BOOK"
"""Set to ``1`` by ``make book`` and by the tests' build: the sign that a page is executing for the book."""


def building_book() -> bool:
    """True while the book is being built (``EMBEDKIT_BOOK=1`` in the kernel's environment)."""
    return os.environ.get(BOOK_ENV) == "1"


_serial = itertools.count()


def _book_renderer(spec: dict, **_: object) -> dict:
    """Mimebundle with a ``div`` and a script that embeds ``spec`` with the page's own Vega."""
    payload = json.dumps(spec, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    # Deterministic and unique per page: two builds give identical HTML.
    div = f"vega-{next(_serial)}-{hashlib.sha1(payload.encode()).hexdigest()[:10]}"
    body = (
        f'<div id="{div}" class="embedkit-chart"></div>\n'
        "<script>(function(){"
        f'var el=document.getElementById("{div}");'
        f"var spec={payload};"
        'if(!window.vegaEmbed){el.textContent="This chart needs the book\'s Vega bundle (_static/vega-bundle.js).";return;}'
        'window.vegaEmbed(el,spec,{renderer:"svg",actions:false}).catch(function(e){el.textContent=String(e);console.error(e);});'
        "})();</script>"
    )
    alt_text = html.escape(spec.get("description", "An Altair chart"))
    return {"text/html": body, "text/plain": f"<Altair chart: {alt_text}>"}


def setup() -> None:
    """Use the offline book renderer when building the book; Altair's default elsewhere.

    Also lifts Altair's 5,000-row limit (our charts embed precomputed data on purpose), sets a theme that
    reads well in light and dark mode, and displays NumPy scalars as plain numbers (for glue).
    """
    alt.data_transformers.disable_max_rows()
    alt.renderers.register("embedkit-book", _book_renderer)
    if building_book():
        alt.renderers.enable("embedkit-book")
    alt.theme.register("embedkit", enable=True)(_theme)
    _plain_numpy_scalars()


def _plain_numpy_scalars() -> None:
    """Show NumPy scalars as plain numbers (``0.85``, not ``np.float64(0.85)``), so that a glued NumPy
    value takes a format spec such as ``{glue:text}`key:.2f``` like a Python float does."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import numpy as np

    plain = shell.display_formatter.formatters["text/plain"]
    # Exact types: IPython's own printer for ``float`` would otherwise win for np.float64 (a float subclass).
    for t in (np.float16, np.float32, np.float64, np.longdouble):
        plain.for_type(t, lambda x, p, cycle: p.text(repr(float(x))))
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64):
        plain.for_type(t, lambda x, p, cycle: p.text(repr(int(x))))
    plain.for_type(np.bool_, lambda x, p, cycle: p.text(repr(bool(x))))


CHROME = "#888"
"""The colour of the charts' axes, legends and titles (and of text marks meant to read like them). No single
colour reads at 4.5:1 on both a white and a dark page, so the book's stylesheet (``_static/embedkit-book.css``)
redraws text in this colour with the theme's muted text colour, in light and in dark mode; elsewhere (JupyterLab)
this mid grey is legible on either background."""


def _theme() -> alt.theme.ThemeConfig:
    g = CHROME
    return {
        "config": {
            "background": "transparent",
            "view": {"stroke": "transparent"},
            "axis": {"labelColor": g, "titleColor": g, "gridColor": g + "4", "domainColor": g, "tickColor": g},
            "legend": {"labelColor": g, "titleColor": g},
            "title": {"color": g, "subtitleColor": g},
            "header": {"labelColor": g, "titleColor": g},
        }
    }
