"""The live face shared by text-driven probes: a text box, and the probe's answer shown below it."""

from __future__ import annotations

from collections.abc import Callable

from .. import checks
from .widget_output import show as show_in

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
    which needs a live kernel (Binder, JupyterLab). The first answer is computed now, so the saved page
    shows it too.
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
