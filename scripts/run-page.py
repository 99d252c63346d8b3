#!/usr/bin/env python3
"""Execute one MyST page as a notebook, the way the book build does, and report time and peak memory.

    .venv/bin/python scripts/run-page.py chapters/rotary/derivation.md [--save out.ipynb]

Fails (exit 1) on the first cell error, like the book. Much faster than a whole-book build while writing
a page; the book build (`make book`) is still the final word (glue keys, cross-references, warnings).
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


def peak_rss_of_children() -> int:
    peak = 0
    for child in psutil.Process().children(recursive=True):
        try:
            peak = max(peak, child.memory_info().rss)
        except psutil.Error:
            pass
    return peak


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("page", type=Path)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    nb = jupytext.read(args.page)
    os.environ["EMBEDKIT_BOOK"] = "1"
    client = nbclient.NotebookClient(nb, timeout=args.timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(args.page.parent)}})
    start = time.perf_counter()
    peak = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            t = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except nbclient.exceptions.CellExecutionError as err:
                print(f"cell {index} failed after {time.perf_counter() - start:.1f}s:\n{err}", file=sys.stderr)
                return 1
            peak = max(peak, peak_rss_of_children())
            dt = time.perf_counter() - t
            if dt > 5:
                print(f"  cell {index}: {dt:.1f}s  {cell.source.splitlines()[0][:70] if cell.source else ''}")
    print(f"{args.page}: {time.perf_counter() - start:.1f}s, kernel peak RSS {peak / 2**30:.2f} GB (sampled per cell)")
    if args.save:
        import nbformat
        nbformat.write(nb, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
