"""Small Sphinx fixes for the published book.

* **Deliberate errors read as their message.** A cell tagged ``raises-exception`` exists to show the error a
  reader would get (``ValueError: head_dim must be even …``). myst-nb renders the whole IPython traceback:
  frames of the package, with the build machine's paths, and the message that is the point of the cell last,
  below the fold. :class:`ErrorMessageOnly` keeps only the exception's own lines (type, message and any
  notes, of the last exception of a chain), with ANSI colour codes removed. It changes only what is
  *shown*: execution is untouched, so an unexpected error still fails the build (``raise_on_error``), and
  the full traceback is still in the executed notebook and in Sphinx's error report.
* **Duplicate scripts.** sphinx-thebe adds its inline configuration (``const THEBE_JS_URL = …``) once per
  read phase, so with ``--all`` a page can carry the same script twice and the browser logs "Identifier
  'THEBE_JS_URL' has already been declared". We drop exact duplicate scripts from each page, keeping the
  first.
* **Reading CSS.** ``_static/embedkit-book.css`` (outputs that wrap, tables that fit, dark mode for charts,
  tables, widgets and the probes' HTML) is added to every page.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
# The header IPython prints above each exception of a chain:
# "ValueError                                Traceback (most recent call last)"
_HEADER = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)\s+Traceback \(most recent call last\)\s*$", re.M)
# Python's own form of the line (also IPython's for SyntaxError, which has no header).
_EXCEPTION_LINE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration))(?::|$)", re.M)


def exception_message(traceback: str) -> str:
    """The lines that name the exception and carry its message, from a rendered (IPython) traceback.

    For ``… ValueError: head_dim must be even, got 63`` that is the last line; a message of several lines,
    or an exception with notes, keeps all its lines. With a chain (``raise … from …``), the last exception
    is the one the cell raised. Without anything recognisable the text is returned whole (minus ANSI codes):
    better a long block than a lost message.
    """
    text = _ANSI.sub("", traceback).rstrip()
    headers = list(_HEADER.finditer(text))
    if headers:
        name = headers[-1]["name"]
        tail = text[headers[-1].end():]
        # The exception's line starts with its name; frame lines start with "File", "Cell" or digits.
        found = re.search(rf"^(?:[\w.]+\.)?{re.escape(name)}(?::|$)", tail, re.M)
        if found:
            return tail[found.start():].strip("\n")
    lines = list(_EXCEPTION_LINE.finditer(text))
    if lines:
        return text[lines[-1].start():].strip("\n")
    return text


class ErrorMessageOnly(SphinxTransform):
    """Replace each notebook error output (myst-nb's ``literal_block`` with class ``traceback``) by the
    exception's own lines; see :func:`exception_message`. Runs on the doctree right after parsing."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        for block in list(self.document.findall(nodes.literal_block)):
            if "traceback" not in block["classes"]:
                continue
            message = exception_message(block.astext())
            block.children = []
            block += nodes.Text(message)
            block.rawsource = message
            block["classes"].append("embedkit-error")


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # Same file and attributes; inline scripts have filename "" or None, and priorities may differ.
        filename = str(getattr(js, "filename", js) or "")
        key = (filename, repr(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique  # in place: later handlers append to this very list


def setup(app):
    # Early: html-page-context stops at the first handler that returns a template name.
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    app.add_transform(ErrorMessageOnly)
    app.add_css_file("embedkit-book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
