#!/usr/bin/env python3
"""A quick local rebuild: `make book-cached`.

Like `make book`, but notebooks are executed through jupyter-cache (`execute_notebooks: cache`), so a rebuild
with nothing changed re-executes nothing. jupyter-cache keys on the code cells only: a change to `embedkit`,
the data or the library versions would NOT invalidate it (jupyter-book issue #1633), and the book would show
outputs the current code no longer produces. So we keep a stamp of everything the outputs depend on besides
the cells, and wipe the cache whenever it changes. CI and `make book` always use `force`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STAMP = ROOT / "_build" / ".inputs-stamp"


def inputs_stamp(root: Path = ROOT) -> str:
    """SHA-256 over the package source, the benchmark results the book shows, the requirements, the book
    config and the installed versions."""
    h = hashlib.sha256()
    files = sorted(root.glob("embedkit/**/*.py")) + sorted(root.glob("benchmarks/results/*.json")) + [root / n for n in ("requirements.txt", "pyproject.toml", "_config.yml")]
    for f in files:
        if f.is_file():
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    # embedkit itself is hashed above; its editable entry in `pip freeze` names the git commit, which would
    # wipe the cache on every commit.
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                            capture_output=True, text=True).stdout
    h.update(freeze.encode())
    return h.hexdigest()


def main() -> int:
    stamp = inputs_stamp()
    if not STAMP.is_file() or STAMP.read_text() != stamp:
        print("embedkit, requirements or config changed since the last cached build: clearing _build")
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "cache"
    cached = ROOT / "_config.cached.yml"
    cached.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        jb = Path(sys.executable).with_name("jupyter-book")
        code = subprocess.run([str(jb), "build", "-W", "--keep-going", "--config", str(cached), str(ROOT)]).returncode
    finally:
        cached.unlink()
    if code == 0:
        STAMP.write_text(stamp)
    return code


if __name__ == "__main__":
    sys.exit(main())
