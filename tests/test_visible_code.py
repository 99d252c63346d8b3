"""Visible code runs on its own: a reader who runs only the cells they see (in Binder, JupyterLab, Thebe, or
by copying them) never meets a name that only a hidden cell defined. Hidden (``remove-cell``) cells may
only glue and assert.

This is the fast, static half of the check: every name a visible cell reads that a hidden cell binds must
be bound by an earlier visible cell too. The Binder test runs every chapter with its hidden cells removed
(``scripts/run-page.py --visible-only``), which is the dynamic half.
"""

from __future__ import annotations

import ast
import builtins

import jupytext
import pytest

from conftest import ROOT, toc_pages

IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "_", "__"}


def _code(cell) -> str:
    # IPython magics and shell escapes are not Python; they bind nothing a later cell reads here.
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())


def bound_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def read_names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def leaks(source: str) -> list[tuple[int, str]]:
    """``(cell number, name)`` for each visible cell that reads a name only a hidden cell has bound."""
    nb = jupytext.reads(source, fmt="md:myst")
    visible, hidden, out = set(), set(), []
    for number, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        try:
            tree = ast.parse(_code(cell))
        except SyntaxError:
            continue
        if "remove-cell" in cell.metadata.get("tags", []):
            hidden |= bound_names(tree)
            continue
        own = bound_names(tree)
        for name in sorted(read_names(tree) - own - visible - set(dir(builtins)) - IPYTHON_NAMES):
            if name in hidden:
                out.append((number, name))
        visible |= own
    return out


def test_leaks_finds_a_name_defined_only_in_a_hidden_cell():
    page = ("```{code-cell} ipython3\n:tags: [remove-cell]\nimport numpy as np\nx = 1\n```\n\n"
            "```{code-cell} ipython3\ny = np.zeros(3)\n```\n\n"
            "```{code-cell} ipython3\nimport numpy as np\nz = np.ones(2) + x\n```\n")
    assert leaks(page) == [(1, "np"), (2, "x")]


@pytest.mark.parametrize("page", [p for p in toc_pages() if "```{code-cell}" in (ROOT / f"{p}.md").read_text()])
def test_visible_cells_do_not_need_hidden_ones(page):
    found = leaks((ROOT / f"{page}.md").read_text())
    assert not found, (f"{page}.md: visible code cells read names that only hidden cells define "
                       f"(cell number, name): {found}; import or define them in a visible cell")
