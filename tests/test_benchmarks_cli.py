"""The benchmark runner's command line: ``--help`` lists every benchmark, an unknown name is a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import __main__ as cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_help_lists_every_benchmark_module_with_its_summary():
    done = run("--help")
    assert done.returncode == 0 and not done.stderr
    modules = sorted(p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py"))
    assert modules and list(cli.available()) == modules
    for name, summary in cli.available().items():
        assert summary, f"benchmarks/bench_{name}.py has no docstring to list"
        assert f"  {name} " in done.stdout and summary[:40] in done.stdout


def test_an_unknown_name_is_an_error_naming_it_and_the_known_ones_and_runs_nothing():
    done = run("rotary", "rotery")
    assert done.returncode == 2
    assert "unknown benchmark 'rotery'" in done.stderr and "known: analogies" in done.stderr
    assert "== rotary" not in done.stdout  # the valid name did not start either


def test_names_run_in_the_order_given(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(cli.importlib, "import_module",
                        lambda module: type("M", (), {"main": staticmethod(lambda: ran.append(module))}))
    assert cli.main(["tokens", "rotary"]) == 0
    assert ran == ["benchmarks.bench_tokens", "benchmarks.bench_rotary"]
    assert capsys.readouterr().out.splitlines() == ["== tokens", "== rotary"]


@pytest.mark.parametrize("argv", [["--bogus"], ["-x"]])
def test_an_unknown_option_is_a_usage_error(argv):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
