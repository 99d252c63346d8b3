"""Run every benchmark module (``benchmarks/bench_*.py``), or those named: ``python -m benchmarks vectors``."""

import importlib
import sys
from pathlib import Path

names = sys.argv[1:] or sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
for name in names:
    print(f"== {name}")
    importlib.import_module(f"benchmarks.bench_{name}").main()
