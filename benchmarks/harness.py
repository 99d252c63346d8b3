"""A small benchmark harness: medians of repeated runs, ratios against a peer timed in the same run,
results written as JSON to ``benchmarks/results/<name>.json`` for the book's benchmark page.

    from benchmarks.harness import Benchmark
    bench = Benchmark("vectors", "Vectors.most_similar vs gensim KeyedVectors")
    ours = bench.time("embedkit most_similar", lambda: glove.most_similar("frog"))
    peer = bench.time("gensim most_similar", lambda: kv.most_similar("frog"), peer=True)
    bench.compare("most_similar", ours, peer, target=">= 1x gensim", min_speedup=1.0)
    bench.write()

Times are wall-clock medians (``time.perf_counter``); the spread (min, max) is kept so a noisy machine
shows itself. No timing is asserted here: a benchmark reports, the book shows, people judge.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

RESULTS = Path(__file__).parent / "results"


@dataclass
class Timing:
    label: str
    median_s: float
    min_s: float
    max_s: float
    repeats: int
    peer: bool = False


@dataclass
class Comparison:
    what: str
    ours: str
    peer: str
    ratio: float  # peer time / our time: > 1 means we are faster
    target: str
    meets_target: bool | None = None
    note: str = ""


@dataclass
class Benchmark:
    name: str
    description: str
    timings: list[Timing] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def time(self, label: str, fn: Callable[[], object], repeats: int = 5, warmup: int = 1, peer: bool = False) -> Timing:
        """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times; record the median."""
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        timing = Timing(label, statistics.median(samples), min(samples), max(samples), repeats, peer)
        self.timings.append(timing)
        print(f"  {label:<50} median {timing.median_s * 1e3:10.2f} ms  (min {timing.min_s * 1e3:.2f}, max {timing.max_s * 1e3:.2f})")
        return timing

    def compare(self, what: str, ours: Timing, peer: Timing, target: str = "", min_speedup: float | None = None,
                note: str = "", condition: bool | None = None) -> Comparison:
        """Record ``peer.median / ours.median`` (our speed-up over the peer); ``min_speedup`` is the target.

        ``condition``: a further requirement of the target that is not a time (e.g. equal quality); the
        target is met only if it holds too."""
        ratio = peer.median_s / ours.median_s
        meets = None if min_speedup is None else ratio >= min_speedup and condition is not False
        comp = Comparison(what, ours.label, peer.label, ratio, target, meets, note)
        self.comparisons.append(comp)
        print(f"  => {what}: {ratio:.2f}x the peer's speed (target {target or 'none'}){'' if meets is None else ' OK' if meets else ' MISSED'}")
        return comp

    def write(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        record = {
            "name": self.name,
            "description": self.description,
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "processor": platform.machine(), "cpus": _cpus()},
            "timings": [asdict(t) for t in self.timings],
            "comparisons": [asdict(c) for c in self.comparisons],
            "extra": self.extra,
        }
        path.write_text(json.dumps(record, indent=2) + "\n")
        print(f"  wrote {path}")
        return path


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_all() -> list[dict]:
    """Every result file, sorted by name (used by the book's benchmark page)."""
    return [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
