"""The bibliography: every .bib entry parses to sensible names, every citation resolves, and the reference
list labels each entry as the text cites it, author–year (_ext/author_year.py, ``bibtex_default_style``).

A reader finds "(Ruoss et al., 2023)" in the text and looks for "Ruoss et al., 2023" in the list; an alpha
label, or a name pybtex splits wrongly (``Del{\\'e}tang`` once came out as "RDeletangG+23"), breaks that.
"""

from __future__ import annotations

import codecs
import re
import sys

import latexcodec  # noqa: F401  (registers the "ulatex" codec, an independent LaTeX decoder)
import pybtex.errors
import pybtex.plugin
import pytest
import yaml
from pybtex.database import parse_file

from conftest import ROOT, toc_pages

sys.path.insert(0, str(ROOT / "_ext"))
import author_year  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BIBFILES = [ROOT / name for name in CONFIG["bibtex_bibfiles"]]
STYLE = CONFIG["sphinx"]["config"]["bibtex_default_style"]
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _pages() -> list:
    """The pages the book builds (the table of contents), as paths."""
    return [ROOT / f"{name}.md" for name in toc_pages()]


def _parse(path):
    pybtex.errors.set_strict_mode(True)   # a syntax error or a duplicate key within a file raises
    return parse_file(str(path), bib_format="bibtex")


@pytest.fixture(scope="module")
def entries() -> dict:
    """key -> (file, pybtex Entry), over every bib file the book lists; no key twice across files."""
    seen: dict = {}
    for path in BIBFILES:
        for key, entry in _parse(path).entries.items():
            # BibTeX keys are case-insensitive: "Levy2014" and "levy2014" collide.
            twin = next((k for k in seen if k.lower() == key.lower()), None)
            assert twin is None, f"{key} in {path.relative_to(ROOT)} and {seen[twin][0].relative_to(ROOT)}"
            seen[key] = (path, entry)
    return seen


def _decode(latex: str) -> str:
    """Plain text of a LaTeX string, independently of pybtex: latexcodec, then drop grouping braces."""
    return codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")


def test_every_bib_file_is_listed():
    on_disk = {p for p in ROOT.glob("**/*.bib") if not {".venv", "_build"} & set(p.relative_to(ROOT).parts)}
    assert on_disk == set(BIBFILES)


def test_entries_have_author_title_year(entries):
    for key, (path, entry) in entries.items():
        assert entry.persons.get("author"), f"{key} ({path.relative_to(ROOT)}) has no author"
        assert entry.fields.get("title", "").strip(), f"{key} ({path.relative_to(ROOT)}) has no title"
        assert re.fullmatch(r"(1[89]|20)\d\d", entry.fields.get("year", "")), f"{key}: year {entry.fields.get('year')!r}"


# A surname word: letters (any script), inner hyphens or apostrophes ("Grau-Moya", "O'Neil").
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def test_author_names_parse_to_sensible_names(entries):
    for key, (path, entry) in entries.items():
        for person in entry.persons["author"]:
            raw = " ".join(person.prelast_names + person.last_names)
            if raw == "others":   # "and others" is BibTeX for "et al."
                continue
            where = f"{key} ({path.relative_to(ROOT)}): author {str(person)!r}"
            # Accents as UTF-8, not LaTeX macros: pybtex's label code works on the raw string.
            assert not set(raw) & set("\\{}"), f"{where}: write the name in UTF-8"
            assert person.first_names, f"{where}: no first name (a missing comma or 'and'?)"
            # A third comma part is a lineage ("Jr."); anything else there is a missing "and".
            assert set(person.lineage_names) <= {"Jr.", "Sr.", "II", "III", "IV"}, f"{where}: a missing 'and'?"
            assert all(_WORD.fullmatch(w) for w in person.last_names), f"{where}: last name {person.last_names}"
            assert person.last_names[0][0].isupper(), f"{where}: last name {person.last_names}"
            assert all(w.islower() for w in person.prelast_names), f"{where}: von part {person.prelast_names}"


def test_every_citation_resolves(entries):
    cited = {}
    for page in _pages():
        for match in CITE.finditer(page.read_text()):
            for key in match[1].split(","):
                cited.setdefault(key.strip(), page.relative_to(ROOT))
    assert cited, "no citations found: has the cite syntax changed?"
    missing = {key: str(page) for key, page in cited.items() if key not in entries}
    assert not missing


@pytest.fixture(scope="module")
def formatted(entries):
    """The reference list as the book formats it: the configured pybtex style over all entries."""
    author_year.register()
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", STYLE)()
    return list(style.format_entries(entry for _, entry in entries.values()))


def test_labels_are_author_year(entries, formatted):
    assert len(formatted) == len(entries)
    for item in formatted:
        entry = entries[item.key][1]
        first = entry.persons["author"][0]
        surname = _decode(" ".join(first.prelast_names + first.last_names))
        assert surname in item.label, f"{item.key}: label {item.label!r} lacks the first author {surname!r}"
        assert entry.fields["year"] in item.label, f"{item.key}: label {item.label!r} lacks the year"
        assert item.label.startswith(surname), item.label
    labels = [item.label for item in formatted]
    assert len(set(labels)) == len(labels), "two entries share a label (sphinxcontrib-bibtex warns, -W fails)"


def test_same_author_and_year_get_letters_in_list_and_text(entries, formatted):
    """Levy and Goldberg published two of our papers in 2014: "2014a" and "2014b", in the list's order
    (author, year, title), and the in-text year prints the same letter."""
    by_key = {item.key: item.label for item in formatted}
    assert by_key["levy2014linguistic"] == "Levy and Goldberg, 2014a"   # "Linguistic …" sorts first
    assert by_key["levy2014neural"] == "Levy and Goldberg, 2014b"
    assert by_key["ruoss2023randomized"] == "Ruoss et al., 2023"
    for item in formatted:
        year = author_year.year_as_labelled.format_data({"entry": entries[item.key][1], "formatted_entry": item})
        assert item.label.endswith(", " + year.render_as("text")), (item.label, year)


def test_and_others_reads_et_al(entries, formatted):
    """BibTeX's ``and others`` ends the author list as "et al.", never the literal word "others"."""
    with_others = [item for item in formatted
                   if any(author_year._is_others(p) for p in entries[item.key][1].persons.get("author", []))]
    assert with_others, "no entry ends its authors with 'and others': the test has nothing to check"
    for item in formatted:
        text = item.text.render_as("text")
        assert not re.search(r"\b(and|,) others\b", text), f"{item.key}: {text[:120]!r}"
    for item in with_others:
        last = entries[item.key][1].persons["author"][-2]  # the last named author, before "others"
        name = author_year._surname(last)
        assert re.search(re.escape(name) + r" et al\.", item.text.render_as("text")), item.key
