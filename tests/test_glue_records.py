"""Recorded glue values (``_ext/glue_records.py``): how values are read, compared and re-recorded, and
``scripts/run-page.py`` failing a throwaway page on a changed value, a missing glue key and a failing hidden
assert. The same failures in the full build are proved in ``test_build_contract.py``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PAGE_FRONT_MATTER, ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import glue_records as gr  # noqa: E402

FRONT = PAGE_FRONT_MATTER

PAGE = FRONT + textwrap.dedent(
    """
    # A throwaway page

    ```{code-cell} ipython3
    from myst_nb import glue
    answer = 6 * 7
    ratio = 2 / 3
    glue("answer", answer, display=False)
    glue("ratio", ratio, display=False)
    glue("words", ["queen", "king"], display=False)
    ```

    ```{code-cell} ipython3
    :tags: [remove-cell]
    assert answer > 40, "the prose says the answer is above forty"
    ```

    The answer is {glue:text}`answer:d`, the ratio {glue:text}`ratio:.3f`, the words {glue:text}`words`.
    """
)


# -- reading values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("42", {"kind": "exact", "value": 42}),
        ("'queen'", {"kind": "exact", "value": "queen"}),
        ("['queen', 'king']", {"kind": "exact", "value": ["queen", "king"]}),
        ("(1, 2)", {"kind": "exact", "value": [1, 2]}),
        ("0.8523", {"kind": "number", "value": 0.8523}),
        ("[1, 0.5]", {"kind": "number", "value": [1, 0.5]}),
        ("   a  b\n0  1  2", {"kind": "exact", "text": ["   a  b", "0  1  2"]}),
    ],
)
def test_observe_keeps_literals_and_classifies_numbers(text, expected):
    assert gr.observe({"text/plain": text}) == expected


def test_a_chart_is_recorded_by_the_hash_of_its_spec():
    a = gr.observe({"text/html": '<div class="embedkit-chart"></div><script>var spec={"data":[1]}</script>'})
    b = gr.observe({"text/html": '<div class="embedkit-chart"></div><script>var spec={"data":[2]}</script>'})
    assert set(a) == {"kind", "sha256"} and a["sha256"] != b["sha256"]


# -- comparing ------------------------------------------------------------------------------------------------


def test_numbers_compare_within_their_tolerance_and_exact_values_exactly():
    rec = {"kind": "number", "value": 0.85, "rtol": 1e-3}
    assert gr.matches(rec, {"kind": "number", "value": 0.85 * (1 + 9e-4)})
    assert not gr.matches(rec, {"kind": "number", "value": 0.85 * (1 + 2e-3)})
    assert gr.matches({"kind": "number", "value": 0.5}, {"kind": "number", "value": 0.5 + 1e-9})
    assert not gr.matches({"kind": "number", "value": 0.5}, {"kind": "number", "value": 0.5 + 1e-5})
    assert not gr.matches({"kind": "exact", "value": ["queen"]}, {"kind": "exact", "value": ["king"]})
    assert not gr.matches({"kind": "number", "value": [0.5, 0.25]}, {"kind": "number", "value": [0.5]})
    assert not gr.matches({"kind": "exact", "value": 42}, {"kind": "exact", "text": ["42 rows"]})


def test_measured_values_are_never_compared():
    assert gr.matches({"kind": "measured", "value": 1.5}, {"kind": "number", "value": 99.0})


def test_compare_names_page_key_recorded_and_new_value():
    record = {"loss": {"kind": "number", "value": 2.0}, "gone": {"kind": "exact", "value": 1}}
    observed = {"loss": {"kind": "number", "value": 0.08}, "new": {"kind": "exact", "value": "x"}}
    problems = {p.key: str(p) for p in gr.compare("chapters/x.md", record, observed)}
    assert set(problems) == {"loss", "gone", "new"}
    assert "chapters/x.md" in problems["loss"] and "recorded 2.0, new 0.08" in problems["loss"]
    assert "make record PAGE=chapters/x.md" in problems["loss"]
    assert "no cell glued it" in problems["gone"] and "not recorded" in problems["new"]


def test_re_recording_keeps_hand_chosen_kind_and_tolerance():
    record = {"loss": {"kind": "number", "value": 2.0, "rtol": 0.01, "why": "training noise"},
              "seconds": {"kind": "measured", "value": 3.0}}
    observed = {"loss": {"kind": "number", "value": 2.1}, "seconds": {"kind": "number", "value": 4.0},
                "n": {"kind": "exact", "value": 7}}
    out = gr.updated_record(record, observed)
    assert out["loss"] == {"kind": "number", "value": 2.1, "rtol": 0.01, "why": "training noise"}
    assert out["seconds"] == {"kind": "measured", "value": 4.0}
    assert out["n"] == {"kind": "exact", "value": 7}


def test_record_files_round_trip(tmp_path):
    page = tmp_path / "page.md"
    values = {"t": {"kind": "exact", "text": ["a  b", "1  2"]}, "x": {"kind": "number", "value": 0.5, "rtol": 0.1}}
    path = gr.write_record(page, "page.md", values)
    assert path.name == "page.record.json"
    assert gr.load_record(page) == values
    assert json.loads(path.read_text())["page"] == "page.md"


def test_used_keys_reads_roles_directives_formats_and_other_pages():
    md = ("{glue:text}`acc:.1%` and {glue}`chart` and {glue:text}`other.md::n:d` and {glue:md}`tbl`\n"
          "```{glue:figure} fig\n:name: f\n```\n")
    assert gr.used_keys(md) == [(None, "acc", ".1%", "text"), (None, "chart", None, "any"),
                                ("other.md", "n", "d", "text"), (None, "tbl", None, "md"),
                                (None, "fig", None, "figure")]


def test_every_book_page_that_glues_has_a_record_and_records_only_known_kinds():
    """The build fails a page that glues without a record; here the records themselves are checked."""
    from conftest import toc_pages

    for name in toc_pages():
        if re.search(r"^\s*glue\(", (ROOT / f"{name}.md").read_text(), re.M):
            assert gr.record_path(ROOT / f"{name}.md").is_file(), f"{name}.md glues values but has no record"
    records = sorted(ROOT.glob("**/*.record.json"))
    records = [r for r in records if ".venv" not in r.parts and "_build" not in r.parts]
    assert records, "no recorded values at all"
    for path in records:
        page = path.with_name(path.name.removesuffix(gr.SUFFIX) + ".md")
        assert page.is_file(), f"{path.relative_to(ROOT)} records a page that does not exist"
        body = json.loads(path.read_text())
        assert body["page"] == page.relative_to(ROOT).as_posix()
        for key, entry in body["values"].items():
            assert entry["kind"] in gr.KINDS, (path.name, key)
            assert f'"{key}"' in page.read_text() or f"'{key}'" in page.read_text() or "glue(f" in page.read_text(), (
                f"{path.name} records {key!r}, which its page never names")


# -- scripts/run-page.py on a throwaway page -------------------------------------------------------------------


def run_page(page: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "run-page.py"), str(page), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def recorded_page(tmp_path_factory) -> Path:
    page = tmp_path_factory.mktemp("page") / "page.md"
    page.write_text(PAGE)
    result = run_page(page, "--record")
    assert result.returncode == 0, result.stderr
    return page


def test_run_page_passes_against_its_own_record_twice(recorded_page):
    for _ in range(2):
        result = run_page(recorded_page)
        assert result.returncode == 0, result.stderr
    assert gr.load_record(recorded_page)["words"] == {"kind": "exact", "value": ["queen", "king"]}


@pytest.mark.parametrize(
    "name,edit,symptom",
    [
        ("changed value", lambda s: s.replace("answer = 6 * 7", "answer = 6 * 8"), "recorded 42, new 48"),
        ("changed number", lambda s: s.replace("ratio = 2 / 3", "ratio = 2 / 3 + 1e-4"), "'ratio': recorded 0.666"),
        ("changed word list", lambda s: s.replace('["queen", "king"]', '["king", "queen"]'), "'words'"),
        ("missing glue key", lambda s: s.replace("{glue:text}`answer:d`", "{glue:text}`no_such_key:d`"),
         "'no_such_key': is used in the text but no cell glued it"),
        ("format that fails", lambda s: s.replace("{glue:text}`words`", "{glue:text}`words:.2f`"), "cannot be formatted"),
        ("failing hidden assert", lambda s: s.replace("answer > 40", "answer > 50"), "the prose says the answer"),
        ("raising cell", lambda s: s.replace("ratio = 2 / 3", "ratio = 2 / 0"), "ZeroDivisionError"),
    ],
)
def test_run_page_fails_on_drift(recorded_page, tmp_path, name, edit, symptom):
    page = tmp_path / "page.md"
    page.write_text(edit(PAGE))
    (tmp_path / "page.record.json").write_text(gr.record_path(recorded_page).read_text())
    result = run_page(page)
    assert result.returncode != 0, f"a {name} did not fail run-page.py"
    assert symptom in result.stdout + result.stderr


def test_recording_prints_the_diff_and_then_passes(recorded_page, tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE.replace("answer = 6 * 7", "answer = 6 * 8"))
    (tmp_path / "page.record.json").write_text(gr.record_path(recorded_page).read_text())
    result = run_page(page, "--record")
    assert result.returncode == 0 and "* answer: 42 -> 48" in result.stdout
    assert run_page(page).returncode == 0


def test_hidden_asserts_are_counted_in_hidden_cells_only():
    page = PAGE + textwrap.dedent(
        """
        ```{code-cell} ipython3
        assert True  # visible: a reader's check, not a hidden claim
        ```

        ```{code-cell} ipython3
        :tags: [remove-cell]
        %time x = 1
        for k in range(2):
            assert k < 2
        assert x == 1, "two more"
        ```
        """
    )
    assert gr.hidden_asserts(PAGE) == 1
    assert gr.hidden_asserts(page) == 3


def test_book_summary_counts_the_records(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: other\n")
    (tmp_path / "index.md").write_text(PAGE)
    (tmp_path / "other.md").write_text(FRONT + "# Other\n")
    gr.write_record(tmp_path / "index.md", "index.md", {"a": {"kind": "exact", "value": 1},
                                                        "b": {"kind": "number", "value": 0.5},
                                                        "c": {"kind": "measured", "value": 2.0}})
    assert gr.book_summary(tmp_path) == {"pages": 2, "recorded_pages": 1, "values": 3, "hidden_asserts": 1,
                                         "exact": 1, "number": 1, "measured": 1}


def test_visible_only_run_fails_when_visible_code_needs_a_hidden_cell(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(FRONT + "\n```{code-cell} ipython3\n:tags: [remove-cell]\nimport math\n```\n\n"
                    "```{code-cell} ipython3\nmath.sqrt(2)\n```\n")
    assert run_page(page, "--visible-only").returncode != 0
    page.write_text(page.read_text().replace("\nmath.sqrt(2)", "\nimport math\nmath.sqrt(2)"))
    assert run_page(page, "--visible-only").returncode == 0


def test_cross_page_text_needs_a_format_spec(tmp_path):
    gr.write_record(tmp_path / "other.md", "other.md", {"n": {"kind": "exact", "value": 18}})
    bad = gr.check_references("page.md", "{glue:text}`other.md::n`", {}, tmp_path)
    good = gr.check_references("page.md", "{glue:text}`other.md::n:d`", {}, tmp_path)
    assert len(bad) == 1 and "format spec" in str(bad[0]) and good == []
