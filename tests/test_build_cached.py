"""The cached local build must not serve stale outputs: its stamp changes with embedkit's source."""

from __future__ import annotations

import importlib.util
import shutil

from conftest import ROOT

spec = importlib.util.spec_from_file_location("build_cached", ROOT / "scripts" / "build_cached.py")
build_cached = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_cached)


def test_stamp_changes_when_embedkit_changes(tmp_path):
    for name in ("requirements.txt", "pyproject.toml", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "embedkit").mkdir()
    module = tmp_path / "embedkit" / "rotary.py"
    module.write_text("BASE = 10_000\n")
    before = build_cached.inputs_stamp(tmp_path)
    assert build_cached.inputs_stamp(tmp_path) == before  # deterministic
    module.write_text("BASE = 500_000\n")
    assert build_cached.inputs_stamp(tmp_path) != before
    module.write_text("BASE = 10_000\n")
    (tmp_path / "requirements.txt").write_text("numpy>=1\n")
    assert build_cached.inputs_stamp(tmp_path) != before


def test_stamp_changes_when_benchmark_results_change(tmp_path):
    """book/benchmarks.md shows benchmarks/results/*.json: new results must re-execute it."""
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    result = tmp_path / "benchmarks" / "results" / "rotary.json"
    result.write_text('{"ratio": 4.1}\n')
    before = build_cached.inputs_stamp(tmp_path)
    result.write_text('{"ratio": 5.0}\n')
    assert build_cached.inputs_stamp(tmp_path) != before
