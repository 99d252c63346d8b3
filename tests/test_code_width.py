"""Code a reader sees fits the text column: no line of a visible code cell is longer than 88 characters.

At 1,400 px the book's text column holds about 88 characters of code; a longer line scrolls sideways (or
wraps in print), and the end of the line, often the argument that matters, is out of sight. Cells tagged
``remove-cell`` or ``remove-input`` do not show their code, so they are not checked.
"""

from __future__ import annotations

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
