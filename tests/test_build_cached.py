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
