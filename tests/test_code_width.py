"""Code a reader sees fits the text column: no line of a visible code cell is longer than 88 characters.

At 1,400 px the book's text column holds about 88 characters of code; a longer line scrolls sideways (or
wraps in print), and the end of the line, often the argument that matters, is out of sight. Cells tagged
``remove-cell`` or ``remove-input`` do not show their code, so they are not checked.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap

import jupytext
import pytest

from conftest import ROOT, toc_pages

MAX_WIDTH = 88
HIDDEN_TAGS = {"remove-cell", "remove-input"}


def long_lines(source: str, limit: int = MAX_WIDTH) -> list[tuple[int, int, int, str]]:
    """``(cell number, line number, length, line)`` for each line longer than ``limit`` in the visible code
    cells of a MyST notebook page. Cells are numbered from 0 among the page's code cells, lines from 1."""
    nb = jupytext.reads(source, fmt="md:myst")
    out = []
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        if HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        for line_number, line in enumerate(cell.source.splitlines(), 1):
            if len(line) > limit:
                out.append((number, line_number, len(line), line))
    return out


def test_long_lines_finds_a_long_visible_line_and_ignores_hidden_cells():
    long = "x = " + "1 + " * 23 + "1000"  # 100 characters
    assert len(long) == 100
    page = ("---\njupytext:\n  text_representation: {extension: .md, format_name: myst}\n---\n\n"
            "Some prose that is much longer than eighty-eight characters, which the check must ignore.\n\n"
            f"```{{code-cell}} ipython3\n:tags: [remove-cell]\n{long}\n```\n\n"
            f"```{{code-cell}} ipython3\n:tags: [remove-input]\n{long}\n```\n\n"
            f"```{{code-cell}} ipython3\nshort = 1\n{long}\n```\n\n"
            f"```{{code-cell}} ipython3\n:tags: [hide-input]\ny = '{'a' * 82}'\n```\n")  # 88: shown, fits
    assert long_lines(page) == [(2, 2, 100, long)]


def test_a_line_of_exactly_the_limit_passes():
    page = f"```{{code-cell}} ipython3\n{'z = ' + '0' * (MAX_WIDTH - 4)}\n```\n"
    assert long_lines(page) == []
    assert long_lines(page, limit=MAX_WIDTH - 1) == [(0, 1, MAX_WIDTH, "z = " + "0" * (MAX_WIDTH - 4))]


@pytest.mark.parametrize("page", [p for p in toc_pages() if "```{code-cell}" in (ROOT / f"{p}.md").read_text()])
def test_visible_code_fits_the_text_column(page):
    found = long_lines((ROOT / f"{page}.md").read_text())
    report = "\n".join(f"  {page}.md, code cell {cell}, line {line}: {length} characters: {text}"
                       for cell, line, length, text in found)
    assert not found, (f"{page}.md: {len(found)} visible code line(s) longer than {MAX_WIDTH} characters "
                       f"(break them inside brackets):\n{report}")


# --- package code a page shows ---------------------------------------------------------------------------

LITERALINCLUDE = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::[\w-]+:.*\n)*)")


def shown_package_code(page: str) -> list[tuple[str, str]]:
    """``(what, source)`` for each piece of package code the page shows: a ``literalinclude`` of one
    ``:pyobject:``, or the objects a visible cell passes to ``source.show(...)`` (resolved by running that
    page's visible import statements, which only import the package)."""
    path = ROOT / f"{page}.md"
    text = path.read_text()
    shown = []
    for match in LITERALINCLUDE.finditer(text):
        options = dict(re.findall(r":([\w-]+):\s*(.*)", match[2]))
        file = (path.parent / match[1]).resolve()
        tree = ast.parse(file.read_text())
        name = options.get("pyobject", "")
        node = _find(tree, name.split("."))
        assert node is not None, f"{page}.md: literalinclude of {file.name} names no object {name!r}"
        lines = file.read_text().splitlines()[node.lineno - 1 - len(node.decorator_list):node.end_lineno]
        shown.append((f"{file.relative_to(ROOT)}::{name}", "\n".join(lines)))
    nb = jupytext.reads(text, fmt="md:myst")
    cells = [c.source for c in nb.cells
             if c.cell_type == "code" and not HIDDEN_TAGS & set(c.metadata.get("tags", []))]
    namespace: dict = {}
    for source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # an IPython magic line; such cells import nothing the listings need
            continue
        imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        exec(compile(ast.Module(imports, []), page, "exec"), namespace)
        for call in ast.walk(tree):
            if (isinstance(call, ast.Call) and isinstance(call.func, (ast.Attribute, ast.Name))
                    and ast.unparse(call.func) in ("source.show", "show")):
                for arg in call.args:
                    obj = eval(compile(ast.Expression(arg), page, "eval"), namespace)
                    shown.append((ast.unparse(arg), textwrap.dedent(inspect.getsource(obj))))
    return shown


DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _find(tree: ast.AST, names: list[str]):
    """The class or function ``names`` (``["Class", "method"]``) in a module's tree, or None."""
    scope = tree
    for name in names:
        scope = next((n for n in getattr(scope, "body", []) if isinstance(n, DEFINITIONS) and n.name == name),
                     None)
        if scope is None:
            return None
    return scope


def test_shown_package_code_is_found():
    """The finder sees both kinds of listing (else the width test below would pass on nothing)."""
    kinds = {"include": 0, "show": 0}
    for page in toc_pages():
        for what, _ in shown_package_code(page):
            kinds["include" if "::" in what else "show"] += 1
    assert kinds["include"] >= 10 and kinds["show"] >= 8, kinds


@pytest.mark.parametrize("page", [p for p in toc_pages()
                                  if re.search(r"literalinclude|show\(", (ROOT / f"{p}.md").read_text())])
def test_shown_package_code_fits_the_text_column(page):
    """A listing of package code is read like a code cell: no line over 88 characters."""
    found = [(what, n, line) for what, source in shown_package_code(page)
             for n, line in enumerate(source.splitlines(), 1) if len(line) > MAX_WIDTH]
    report = "\n".join(f"  {what}, line {n}: {len(line)} characters: {line.strip()[:70]}"
                       for what, n, line in found)
    assert not found, f"{page}.md shows {len(found)} package line(s) over {MAX_WIDTH} characters:\n{report}"
