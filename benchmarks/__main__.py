"""Run every benchmark (``benchmarks/bench_*.py``), or those named: ``python -m benchmarks rotary tokens``.

``--help`` lists the benchmarks with the first line of each module's docstring; an unknown name is an error
that lists the known ones, and nothing runs.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).parent


def available() -> dict[str, str]:
    """Benchmark name → the first line of its module docstring (read without importing the module, so that
    ``--help`` is instant and works without the peer libraries)."""
    found = {}
    for path in sorted(HERE.glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        found[path.stem.removeprefix("bench_")] = doc.split("\n")[0].strip()
    return found


def parser(benchmarks: dict[str, str]) -> argparse.ArgumentParser:
    listing = "\n".join(f"  {name:<10} {summary}" for name, summary in benchmarks.items())
    return argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time embedkit against its peer library in the same run; results go to benchmarks/results/.",
        epilog=f"benchmarks:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: list[str] | None = None) -> int:
    benchmarks = available()
    cli = parser(benchmarks)
    cli.add_argument("names", nargs="*", metavar="name", help="benchmarks to run (default: all, in the order listed)")
    names = cli.parse_args(argv).names or list(benchmarks)
    unknown = [name for name in names if name not in benchmarks]
    if unknown:
        cli.error(f"unknown benchmark {', '.join(map(repr, unknown))}; known: {', '.join(benchmarks)}")
    for name in names:
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
