"""Show the package's own code on a page, highlighted: ``embedkit.source.show(rotary.apply)``.

The book shows the code it runs (CONTRIBUTING.md: "code shown is the package's code"). ``print(inspect.getsource(f))``
does that as an unhighlighted block of output text. :func:`show` returns a :class:`Source`, which IPython
displays as a Markdown fenced block of Python:

* in JupyterLab, Notebook and VS Code the front end highlights it with its own (light or dark) theme;
* in the built book myst-nb parses the Markdown, so the code becomes an ordinary Sphinx code block, a
  ``div class="highlight"`` that the theme's Pygments styles colour in light and in dark mode;
* anywhere else (a terminal, ``repr``, ``str``) it is the plain source, exactly ``inspect.getsource(obj)``.
"""

from __future__ import annotations

import inspect
import re
import textwrap

from .checks import describe

__all__ = ["Source", "show"]


class Source:
    """The source code of one or more functions, classes, methods or modules, for display.

    ``text`` is the plain source: ``inspect.getsource(obj)`` for one object, the sources of several joined
    by a blank line (as consecutive ``print`` calls would show them). ``str(source)`` and ``repr`` give
    ``text``; Jupyter and the book show ``_repr_markdown_`` (highlighted Python).
    """

    def __init__(self, *objs: object):
        if not objs:
            raise TypeError("show needs at least one function, class, method or module, got none")
        self.objects = objs
        self.sources = [_source_of(f"objs[{i}]" if len(objs) > 1 else "obj", o) for i, o in enumerate(objs)]
        self.text = "\n".join(self.sources)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(self.text)

    def _repr_markdown_(self) -> str:
        # Each object's source dedented (a method's body is indented in its class); a fence longer than any
        # run of backticks in the code (docstrings may hold ``` examples).
        body = "\n".join(textwrap.dedent(s) for s in self.sources).rstrip("\n")
        longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}python\n{body}\n{fence}\n"


def _source_of(name: str, obj: object) -> str:
    try:
        return inspect.getsource(obj)
    except TypeError:  # a built-in, an instance, a number: nothing to show
        raise TypeError(
            f"{name} must be a Python function, class, method or module, got {describe(obj)}"
        ) from None
    except OSError as e:  # defined interactively or in a compiled module: the source is not on disk
        raise ValueError(f"{name} has no source file to show ({e}), got {describe(obj)}") from None


def show(*objs: object) -> Source:
    """The source of ``objs`` (functions, classes, methods, modules) as highlighted Python.

    Put it last in a cell: ``show(rotary.angles, rotary.cos_sin)``. Raises ``TypeError`` for an object
    with no Python source (a built-in, a number) and ``ValueError`` when its source file cannot be read.
    """
    return Source(*objs)
