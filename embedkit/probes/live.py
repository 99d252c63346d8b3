"""What the probes share: the text-box face of text-driven probes, and what a live probe's cell shows in the book.

A live face (ipywidgets) runs its callbacks in a Python kernel. The published book has none, so a saved
snapshot of the controls would look live and do nothing. While the book is built (``EMBEDKIT_BOOK=1``, see
:func:`embedkit.charts.building_book`) every probe's ``widget()`` therefore returns a :class:`StaticFace`
instead: the probe's Altair chart for the same settings (its drop-downs and sliders run in the browser) and
the one-line :data:`NOTE` saying where the live controls are. In a notebook ``widget()`` is the widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt

from .. import checks
from ..charts import building_book
from .widget_output import show as show_in

NOTE = "Live in a notebook: run this cell in Binder or `make lab` to use the controls."
"""The note a live probe's cell shows in the book, above the probe's static face (Markdown)."""


class StaticFace:
    """A live probe as the book shows it: :data:`NOTE`, then ``chart`` (an Altair chart, or a message string
    when the probe has no answer for its starting settings).

    IPython displays it as two outputs, the note (Markdown, so the book renders ``make lab`` as code) and the
    chart (through the renderer :func:`embedkit.charts.setup` chose). Nothing here needs a kernel to respond.
    """

    def __init__(self, chart: alt.TopLevelMixin | str, note: str = NOTE):
        if not isinstance(chart, (alt.TopLevelMixin, str)):
            raise TypeError(f"chart must be an Altair chart or a message string, got {checks.describe(chart)}")
        self.chart = chart
        self.note = checks.text("note", note)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display({"text/markdown": self.note, "text/plain": self.note}, raw=True)
        if isinstance(self.chart, str):
            display({"text/plain": self.chart}, raw=True)
        else:
            # A face embeds the answer of every setting its controls offer (the score probe's over 5,000
            # rows): past Altair's default row limit, which guards against plotting a DataFrame by mistake.
            # Lifted for this display only, so a reader's notebook without embedkit.charts.setup() shows it.
            with alt.data_transformers.disable_max_rows():
                display(self.chart)

    def __repr__(self) -> str:
        what = self.chart if isinstance(self.chart, str) else f"<{type(self.chart).__name__}>"
        return f"{self.note}\n{what}"


def live_or_static(make_widget: Callable[[], object], make_chart: Callable[[], alt.TopLevelMixin | str]):
    """``make_widget()`` in a notebook; ``StaticFace(make_chart())`` while the book is being built.

    The widget is not even built for the book: its callbacks could never run there, and nbclient would save
    its state into the page."""
    if building_book():
        return StaticFace(make_chart())
    return make_widget()


def choice_param(name: str, options: Sequence, value, label: str) -> alt.Parameter:
    """An Altair parameter holding one of ``options``: bound to a drop-down when there is a choice to make,
    a fixed value (no control at all) when ``options`` has a single entry, so that no menu offers one item."""
    options = list(options)
    if len(options) > 1:
        return alt.param(name=name, value=value, bind=alt.binding_select(options=options, name=label))
    return alt.param(name=name, value=value)


MESSAGE_ERRORS = (KeyError, ValueError, TypeError)
"""What a probe's callback turns into a message instead of raising (unknown words are ``KeyError``\\ s)."""


def as_text(name: str, value: object) -> str:
    """A widget's text, stripped; ``None`` (an empty box) is ``""``. Anything but a string is a ``TypeError``
    that names the box, e.g. ``word must be text, got 3.5 (float)``."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text, got {checks.describe(value)}")
    return value.strip()


def message(err: BaseException) -> str:
    """The text of an error as a probe shows it (a ``KeyError``'s message without the quotes ``str`` adds)."""
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    return str(err)


def text_probe(answer: Callable[[str], object], start: str, description: str, width: str | None = None):
    """An ipywidgets ``VBox``: a ``Text`` box and an ``Output`` showing ``answer(text)``.

    ``answer`` is the probe's plain callback (tested on its own); it runs again each time the text changes,
    which needs a live kernel (Binder, JupyterLab). The first answer is computed now.
    """
    import ipywidgets as w

    layout = w.Layout(width=width) if width else w.Layout()
    box = w.Text(value=start, description=description, continuous_update=False, layout=layout)
    out = w.Output()

    def show(_=None):
        show_in(out, answer(box.value))

    box.observe(show, names="value")
    show()
    return w.VBox([box, out])
