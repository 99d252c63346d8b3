"""The Binder environment, tested here since Binder itself is out of reach: binder/requirements.txt is
installed into a fresh virtual environment, binder/postBuild runs, and every chapter page is executed as a
notebook (jupytext + nbclient) in that environment, as a reader's "launch" button would, with only the cells a
reader sees: hidden cells glue and assert for the build (which checks them and every recorded value), so a
reader running the visible code must never need them.

The only change made to the requirements: the PyTorch CPU index line is dropped and `torch==X+cpu` becomes
`torch==X`, which on this machine is the same CPU wheel from the local package index.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, toc_pages

pytestmark = pytest.mark.binder


def local_requirements(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if re.match(r"\s*--(extra-)?index-url\b", line):
            continue
        line = re.sub(r"^(torch==[\w.]+)\+cpu\b", r"\1", line)
        line = re.sub(r"^-r\s+\.\./", f"-r {ROOT}/", line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_local_requirements_rewrite():
    text = "--extra-index-url https://example.invalid/cpu\ntorch==2.13.0+cpu\n-r ../requirements.txt\njupyterlab>=4\n"
    assert local_requirements(text) == f"torch==2.13.0\n-r {ROOT}/requirements.txt\njupyterlab>=4\n"


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("binder") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    reqs = venv.parent / "requirements.txt"
    reqs.write_text(local_requirements((ROOT / "binder" / "requirements.txt").read_text()))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-r", str(reqs)], check=True, timeout=1800)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "HOME": str(venv.parent)}
    subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], cwd=ROOT, check=True, env=env, timeout=600)
    return venv


def test_binder_env_has_cpu_torch_jupytext_and_embedkit(binder_env):
    code = "import torch, jupytext, jupyterlab, embedkit; print(torch.__version__, torch.cuda.is_available())"
    out = subprocess.run([str(binder_env / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    version, cuda = out.stdout.split()
    assert "+cpu" in version or cuda == "False"
    settings = Path(binder_env.parent / ".jupyter" / "labconfig" / "default_setting_overrides.json").read_text()
    assert "Jupytext Notebook" in settings


def test_every_chapter_runs_in_the_binder_env(binder_env):
    pages = [p for p in toc_pages() if "```{code-cell}" in (ROOT / f"{p}.md").read_text()]
    assert any(p.startswith("chapters/") for p in pages)
    failures = []
    for page in pages:
        result = subprocess.run(
            [str(binder_env / "bin" / "python"), str(ROOT / "scripts" / "run-page.py"), "--visible-only", f"{page}.md"],
            cwd=ROOT, capture_output=True, text=True, timeout=1800,
        )
        if result.returncode != 0:
            failures.append(f"{page}: {result.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)
