"""The build refuses to drift: throwaway books built with *our* execution settings and our glue-record
extension must fail on a raising cell, a failing hidden assert, a missing glue key, a broken
cross-reference and a glued value that left its record, and pass when all is well."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import PAGE_FRONT_MATTER, ROOT, build_book, throwaway_book, toc_pages

FRONT = PAGE_FRONT_MATTER

GOOD = FRONT + textwrap.dedent(
    """
    (good-label)=
    # A good page

    ```{code-cell} ipython3
    from myst_nb import glue
    answer = 6 * 7
    glue("answer", answer, display=False)
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell]
    assert answer > 40, "the prose says above forty"
    ```

    The answer is {glue:text}`answer:d`; see {ref}`good-label`.
    """
)


RECORD = json.dumps({"page": "index.md", "values": {"answer": {"kind": "exact", "value": 42}}})


def make_book(tmp: Path, page: str) -> Path:
    """A one-page book with our settings and the glue-record extension, and a record for its one value."""
    throwaway_book(tmp, page, extensions=("glue_records",))
    (tmp / "index.record.json").write_text(RECORD)
    return tmp


def test_our_config_has_the_strict_settings():
    execute = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    assert execute["execute_notebooks"] == "force"
    assert execute["allow_errors"] is False and execute["raise_on_error"] is True
    assert 0 < execute["timeout"] <= 1200
    assert "-W --keep-going" in (ROOT / "Makefile").read_text()


def test_good_page_builds(tmp_path):
    result = build_book(make_book(tmp_path, GOOD))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "index.html").read_text()
    assert re.search(r"answer is <span[^>]*>42</span>", html)  # the glued value, computed at build time


@pytest.mark.parametrize(
    "name,page,symptom",
    [
        ("raising cell", GOOD.replace("answer = 6 * 7", "1 / 0\nanswer = 6 * 7"), "ZeroDivisionError"),
        ("failing hidden assert", GOOD.replace("answer > 40", "answer > 50"), "the prose says above forty"),
        ("value outside its record", GOOD.replace("answer = 6 * 7", "answer = 6 * 8"), "recorded 42, new 48"),
        ("glued value not recorded", GOOD.replace("display=False)", "display=False)\nglue('extra', 1, display=False)"),
         "'extra': is glued but not recorded"),
        ("missing glue key", GOOD.replace("{glue:text}`answer:d`", "{glue:text}`no_such_key:d`"), "no_such_key"),
        ("broken cross-reference", GOOD.replace("{ref}`good-label`", "{ref}`no-such-label`"), "no-such-label"),
    ],
)
def test_drift_fails_the_build(tmp_path, name, page, symptom):
    result = build_book(make_book(tmp_path, page))
    assert result.returncode != 0, f"a {name} did not fail the build"
    assert symptom in result.stdout + result.stderr


def _toc_files() -> list[Path]:
    return [ROOT / f"{f}.md" for f in toc_pages()]


def test_every_page_in_the_toc_exists_and_every_notebook_page_executes():
    """A MyST page with code cells but no jupytext front matter is silently NOT executed: forbid it."""
    for page in _toc_files():
        assert page.is_file(), f"{page.relative_to(ROOT)} is in _toc.yml but does not exist"
        text = page.read_text()
        if "```{code-cell}" in text:
            assert re.search(r"^jupytext:\s*$.*?format_name:\s*myst", text, re.S | re.M), (
                f"{page.relative_to(ROOT)} has code cells but no jupytext/myst front matter: it would not execute"
            )


def test_each_chapter_page_is_a_section_of_its_own_chapter_in_folder_order():
    """The sidebar follows the folders: chapters/<c>/index is a chapter whose sections are exactly the other
    pages of chapters/<c>/ (a page filed under another chapter's heading reads out of order)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [c for part in toc["parts"] for c in part["chapters"]]
    seen = set()
    for chapter in chapters:
        name = chapter["file"]
        if not name.startswith("chapters/"):
            continue
        folder = name.rsplit("/", 1)[0]
        if folder == "chapters":  # a single page that belongs to no chapter (chapters/thread): no sections
            assert not chapter.get("sections"), f"{name} is a single page and cannot hold sections"
            continue
        assert name == f"{folder}/index", f"{name} is listed as a chapter; chapters open with their index page"
        sections = [s["file"] for s in chapter.get("sections", [])]
        strays = [s for s in sections if s.rsplit("/", 1)[0] != folder]
        assert not strays, f"{name} holds pages of other chapters: {strays}"
        on_disk = {p.with_suffix("").relative_to(ROOT).as_posix() for p in (ROOT / folder).glob("*.md")}
        missing = on_disk - {name} - set(sections)
        assert not missing, f"pages of {folder}/ that are not sections of {name}: {sorted(missing)}"
        seen.add(folder)
    assert {"chapters/words", "chapters/tokens", "chapters/positions", "chapters/rotary", "chapters/lab"} <= seen


def test_the_api_reference_documents_every_module():
    listed = set(re.findall(r"\.\. auto(?:module|class):: (embedkit[\w.]*)", (ROOT / "book" / "api.md").read_text()))
    modules = {
        ".".join(p.with_suffix("").relative_to(ROOT).parts)
        for p in (ROOT / "embedkit").rglob("*.py")
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }
    # embedkit.vectors is documented through its one public class, as the package exports it.
    listed |= {"embedkit.vectors"} if "embedkit.Vectors" in listed else set()
    missing = sorted(m for m in modules if m not in listed)
    assert not missing, f"book/api.md does not document: {missing}"
