#!/usr/bin/env python3
"""Execute book pages as notebooks, the way the build does, and hold them to the same contract.

    .venv/bin/python scripts/run-page.py chapters/rotary/derivation.md [more pages] [--save out.ipynb]
    .venv/bin/python scripts/run-page.py --record chapters/words/glove.md      # what `make record PAGE=…` runs

Each page runs in a fresh kernel from its own folder, with ``EMBEDKIT_BOOK=1``, and fails (exit 1) on:

* a cell that raises (cells tagged ``raises-exception`` may raise, as in the build);
* a glue key the text uses (``{glue:text}`key:.2f``` and friends) that no cell glued, or a format spec that
  fails on the glued value;
* a glued value outside its record (``<page>.record.json``, see ``_ext/glue_records.py``).

With ``--visible-only`` the hidden (``remove-cell``) cells are dropped first: the page must still run, because
hidden cells may only glue and assert (the Binder test runs every chapter this way).

With ``--record`` the page's glued values are written to its record instead of compared (after printing what
changes); hand-chosen kinds and tolerances are kept. Cross-references and citations need the whole book:
``make book`` checks those. Reports time and peak kernel memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbclient
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import glue_records  # noqa: E402


def peak_rss_of_children() -> int:
    peak = 0
    for child in psutil.Process().children(recursive=True):
        try:
            peak = max(peak, child.memory_info().rss)
        except psutil.Error:
            pass
    return peak


def page_name(page: Path) -> str:
    page = page.resolve()
    try:
        return page.relative_to(ROOT).as_posix()
    except ValueError:
        return page.as_posix()


def toc_pages() -> list[Path]:
    """Every page of ``_toc.yml`` that has code cells, in reading order."""
    return [p for p in glue_records.toc_pages(ROOT) if "```{code-cell}" in p.read_text()]


def visible_cells_only(nb):
    """The page as a reader running its visible code sees it: hidden (``remove-cell``) cells dropped."""
    nb.cells = [c for c in nb.cells if "remove-cell" not in c.metadata.get("tags", [])]
    return nb


def execute(page: Path, timeout: int, *, visible_only: bool = False):
    """The executed notebook, or the error message of the first failing cell."""
    nb = jupytext.read(page)
    if visible_only:
        nb = visible_cells_only(nb)
    os.environ["EMBEDKIT_BOOK"] = "1"
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(page.parent)}})
    start = time.perf_counter()
    peak = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            t = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except nbclient.exceptions.CellTimeoutError as err:
                return None, f"cell {index} timed out after {timeout} s:\n{err}", 0.0, peak
            except nbclient.exceptions.CellExecutionError as err:
                return None, f"cell {index} failed after {time.perf_counter() - start:.1f}s:\n{err}", 0.0, peak
            peak = max(peak, peak_rss_of_children())
            dt = time.perf_counter() - t
            if dt > 5:
                first = cell.source.splitlines()[0][:70] if cell.source else ""
                print(f"  cell {index}: {dt:.1f}s  {first}")
    return nb, None, time.perf_counter() - start, peak


def run(page: Path, *, record: bool, timeout: int, save: Path | None, visible_only: bool = False) -> int:
    name = page_name(page)
    nb, error, seconds, peak = execute(page, timeout, visible_only=visible_only)
    if error:
        where = " (visible cells only: a visible cell needs something only a hidden cell defines?)" if visible_only else ""
        print(f"{name}{where}: {error}", file=sys.stderr)
        return 1
    if visible_only:  # hidden cells glue and assert; without them only "runs on its own" is checked
        print(f"{name}: visible cells ran on their own in {seconds:.1f}s, kernel peak RSS {peak / 2**30:.2f} GB")
        return 0
    bundles = glue_records.glue_outputs(nb)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    problems = glue_records.check_references(name, markdown, bundles, page.parent)
    observed = {k: glue_records.observe(v) for k, v in bundles.items()}
    old = glue_records.load_record(page)
    if record:
        changes = glue_records.diff_lines(old, observed)
        if observed or old:
            path = glue_records.write_record(page, name, glue_records.updated_record(old, observed))
            print(f"{name}: recorded {len(observed)} value(s) in {page_name(path)}"
                  + (":\n" + "\n".join(changes) if changes else " (no change)"))
    else:
        problems += glue_records.compare(name, old, observed)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"{name}: {seconds:.1f}s, kernel peak RSS {peak / 2**30:.2f} GB (sampled per cell), "
          f"{len(observed)} glued value(s), {len(problems)} problem(s)")
    if save:
        import nbformat
        nbformat.write(nb, save)
    return 1 if problems else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pages", type=Path, nargs="*", help="MyST pages, e.g. chapters/words/glove.md")
    ap.add_argument("--all", action="store_true", help="every page of _toc.yml that has code cells")
    ap.add_argument("--record", action="store_true", help="write the glued values to each page's record")
    ap.add_argument("--visible-only", action="store_true",
                    help="run only the cells a reader sees (hidden cells may only glue and assert)")
    ap.add_argument("--save", type=Path, help="write the executed notebook here (one page only)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (the book's limit)")
    args = ap.parse_args()
    if args.all:
        args.pages += toc_pages()
    if not args.pages:
        ap.error("give at least one page, or --all")
    if args.save and len(args.pages) > 1:
        ap.error("--save takes one page")
    if args.record and args.visible_only:
        ap.error("--record needs the hidden cells (they glue the values)")
    failed = [p for p in args.pages
              if run(p, record=args.record, timeout=args.timeout, save=args.save, visible_only=args.visible_only)]
    if failed and len(args.pages) > 1:
        print(f"{len(failed)} of {len(args.pages)} page(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
