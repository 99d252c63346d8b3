"""Drawing into a live probe's ``ipywidgets.Output`` without capturing output.

The obvious way to redraw an ``Output`` widget is ``with out: display(chart)``. While a notebook is executed
headless (the book build, ``scripts/run-page.py``, nbconvert), nbclient stands in for the browser's Output
widget: for every output captured that way it sends the widget's new state back to the kernel *on the
shell channel*, from the same event loop that is waiting on that channel for the cell's ``execute_reply``.
That send can swallow the socket's wake-up for the reply, and the cell then sits idle (kernel at 0% CPU)
until the cell timeout expires, after which the reply is found and the cell "passes" (nbclient issue 312;
reproduced here: cells displaying into an Output widget stalled for exactly the timeout, 5 in 60).

:func:`show` sets the widget's ``outputs`` instead: the kernel formats each object itself and sends the
state as one ordinary comm update on IOPub, which nobody has to answer. A browser renders it the same way.
"""

from __future__ import annotations

__all__ = ["show"]


def _bundle(obj) -> dict:
    """``obj`` as a ``display_data`` output: IPython's formatters when in a kernel, ``repr`` otherwise."""
    if isinstance(obj, str):
        return {"output_type": "display_data", "data": {"text/plain": obj}, "metadata": {}}
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        get_ipython = lambda: None  # noqa: E731
    shell = get_ipython()
    if shell is None:
        data, metadata = {"text/plain": repr(obj)}, {}
    else:
        data, metadata = shell.display_formatter.format(obj)
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def show(out, *objects) -> None:
    """Replace what the ``ipywidgets.Output`` ``out`` shows with ``objects`` (charts, tables, messages).

    Unlike ``with out: display(...)`` nothing is captured, so a headless execution never waits on the
    kernel's shell channel for it (see the module docstring)."""
    out.outputs = tuple(_bundle(obj) for obj in objects)
