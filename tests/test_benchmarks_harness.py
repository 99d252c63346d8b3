"""The benchmark harness reports what the book's benchmark page shows: medians, ratios and targets."""

from __future__ import annotations

import json

import pytest

from benchmarks import harness
from benchmarks.harness import Benchmark, Timing


def test_time_records_the_median_and_spread_of_the_repeats(monkeypatch):
    ticks = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])  # three runs of 1 s, 3 s and 2 s
    monkeypatch.setattr(harness.time, "perf_counter", lambda: next(ticks))
    calls = []
    timing = Benchmark("t", "").time("fn", lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5  # warm-up runs are run but not timed
    assert (timing.median_s, timing.min_s, timing.max_s, timing.repeats) == (2.0, 1.0, 3.0, 3)


@pytest.mark.parametrize(
    ("ours", "peer", "min_speedup", "condition", "ratio", "meets"),
    [
        (1.0, 20.0, 20.0, None, 20.0, True),
        (1.0, 19.9, 20.0, None, 19.9, False),
        (2.0, 1.0, 0.5, None, 0.5, True),  # half the peer's speed meets a 0.5x target
        (2.0, 1.0, 0.5, False, 0.5, False),  # ... unless a further condition (quality) fails
        (1.0, 3.0, None, None, 3.0, None),  # no target: reported, not judged
    ],
)
def test_compare_is_the_peers_time_over_ours(ours, peer, min_speedup, condition, ratio, meets):
    bench = Benchmark("t", "")
    comp = bench.compare("x", Timing("ours", ours, ours, ours, 1), Timing("peer", peer, peer, peer, 1, True),
                         min_speedup=min_speedup, condition=condition)
    assert comp.ratio == pytest.approx(ratio)
    assert comp.meets_target is meets


def test_write_produces_the_json_the_book_page_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "RESULTS", tmp_path)
    bench = Benchmark("demo", "a demo")
    a, b = Timing("ours", 1.0, 1.0, 1.0, 1), Timing("peer", 4.0, 4.0, 4.0, 1, True)
    bench.timings += [a, b]
    bench.compare("speed", a, b, target=">= 2x", min_speedup=2.0)
    record = json.loads(bench.write().read_text())
    assert record["name"] == "demo" and record["machine"]["cpus"] >= 1
    assert record["comparisons"][0]["ratio"] == 4.0 and record["comparisons"][0]["meets_target"] is True
    assert [t["label"] for t in record["timings"]] == ["ours", "peer"]


def test_the_committed_results_have_the_shape_the_book_page_reads():
    results = sorted(harness.RESULTS.glob("*.json"))
    assert {p.stem for p in results} >= {"vectors", "analogies", "word2vec", "tokens", "rotary"}
    for path in results:
        record = json.loads(path.read_text())
        assert record["comparisons"], f"{path.name} compares nothing"
        for c in record["comparisons"]:
            assert c["ratio"] > 0 and c["meets_target"] in (True, False, None), path.name
