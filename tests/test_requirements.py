"""The book's own requirements are enough to build it.

`make book` and Binder install requirements.txt only; `make test` adds requirements-test.txt. A chapter that
imports something only the test extras bring in builds under `make test` and fails for every reader, so this
checks, without building anything, that every module the book's code cells and `embedkit` import comes from
a distribution that requirements.txt names or that one of those depends on."""

from __future__ import annotations

import ast
import sys
from importlib import metadata
from pathlib import Path

import jupytext
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as canonical

from conftest import ROOT, toc_pages

def requirement_names(path: Path, *, includes: bool = True) -> set[str]:
    """Distribution names listed in a requirements file (and in the files it ``-r`` includes, if ``includes``)."""
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            if includes:
                names |= requirement_names(path.parent / line[2:].strip())
        elif line and not line.startswith("-"):
            names.add(canonical(Requirement(line).name))
    return names


def closure(names: set[str]) -> set[str]:
    """``names`` and everything they depend on, as installed here (extras ignored, markers evaluated)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonical(req.name))
    return seen


def imported_modules(source: str) -> set[str]:
    """Top-level module names imported by a piece of Python source (IPython magics skipped)."""
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def third_party(modules: set[str]) -> set[str]:
    local = {"embedkit", "benchmarks", "conftest", "glue_records"}  # glue_records: the book's own Sphinx extension (_ext/)
    return {m for m in modules if m not in sys.stdlib_module_names and m not in local}


def book_imports() -> dict[str, set[str]]:
    """Third-party modules imported by each page's code cells and by the embedkit package."""
    found = {}
    for page in toc_pages():
        notebook = jupytext.read(ROOT / f"{page}.md")  # as the build reads it: cell options are metadata
        cells = [c.source for c in notebook.cells if c.cell_type == "code"]
        found[page] = third_party(set().union(set(), *map(imported_modules, cells)))
    for module in sorted((ROOT / "embedkit").rglob("*.py")):
        found[str(module.relative_to(ROOT))] = third_party(imported_modules(module.read_text()))
    found["benchmarks/harness.py"] = third_party(imported_modules((ROOT / "benchmarks/harness.py").read_text()))
    return found


def test_the_parser_sees_imports():
    """Guards the check below against passing because it found nothing."""
    imports = book_imports()
    assert {"torch", "altair", "transformers"} <= imports["chapters/rotary/extension"]
    assert "gensim" in imports["chapters/words/evaluation"]


def test_every_import_of_the_book_is_in_requirements_txt():
    runtime = closure(requirement_names(ROOT / "requirements.txt"))
    providers = metadata.packages_distributions()
    missing = {}
    for where, modules in book_imports().items():
        for module in modules:
            dists = {canonical(d) for d in providers.get(module, [])}
            assert dists, f"{where} imports {module!r}, which no installed distribution provides"
            if not dists & runtime:
                missing.setdefault(where, []).append(f"{module} (from {', '.join(sorted(dists))})")
    assert not missing, (
        "these imports come only from the test extras, so `make book` and Binder would fail; "
        f"add their distributions to requirements.txt: {missing}"
    )


def test_test_extras_do_not_repeat_the_runtime_requirements():
    """Each distribution is listed once: in requirements.txt if the book needs it, else in the test extras."""
    test_only = requirement_names(ROOT / "requirements-test.txt", includes=False)
    assert test_only and not test_only & requirement_names(ROOT / "requirements.txt")
