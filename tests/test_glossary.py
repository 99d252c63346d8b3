"""The glossary is real: every term a page uses is linked to it, the first time the page uses it.

``book/glossary.md`` holds one ``{glossary}`` directive. Pages link a term with `` {term}`softmax` `` or, for
another form of the word, `` {term}`queries <query>` ``. This file checks, by reading the pages:

(a) every ``{term}`` target exists in the glossary, compared case-insensitively as Sphinx resolves it (an
    unknown target is a Sphinx warning, which fails the -W build far later and less clearly);
(b) every glossary term is linked from at least one page (a term nobody links is dead weight);
(c) on every page of ``_toc.yml`` (the glossary itself aside), the first prose use of each glossary entry is a
    ``{term}`` link or comes after one: no page uses a term plainly before linking it.

"Prose" is what ``test_prose.prose`` keeps (no code cells, math, roles, inline code, comments, front matter),
minus headings and the text of ``[links](...)``. A use is a whole-word, case-insensitive match of one of the
entry's forms: the term itself with a plural ``s``/``es`` by default, or the inflections and synonyms listed
in :data:`FORMS`. Where two forms overlap ("attention heads" and "attention"), the longer use wins, so
"token embedding table" is a use of *embedding table*, not of *token*. An entry with several term lines
(*query*, *key*, *value*) is one entry: a link to any of its terms counts for all of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT, toc_pages
from test_prose import _blank, _phrase_regex, prose, split_front_matter

GLOSSARY = ROOT / "book" / "glossary.md"

# How each term is recognised in running text, when not just as itself (+ plural). Alternatives are regexes
# (whitespace in them matches any run of whitespace, so a use may break across lines); each is a whole word.
FORMS: dict[str, list[str]] = {
    "analogy": ["analogy", "analogies"],
    "3CosAdd": ["3CosAdd"],
    "3CosMul": ["3CosMul"],
    "attention": ["self-attention", "attention"],
    "attention head": ["attention heads?", "multi-head", "heads?"],
    "byte-pair encoding": ["byte-pair encoding", "BPEs?"],
    "byte-level BPE": ["byte-level (?:BPEs?|byte-pair encoding|tokenizers?|vocabular(?:y|ies))", "byte-level"],
    "causal mask": ["causal mask(?:s|ing)?", "causal"],
    "character n-gram": ["character n-grams?", "n-grams?"],
    "co-occurrence matrix": ["co-occurrence (?:matrix|matrices|counts?|statistics|probabilities)"],
    "context extension": ["context[- ]extensions?"],
    "context length": ["context lengths?", "context windows?", "training lengths?"],
    "cosine similarity": ["cosine similarit(?:y|ies)"],
    "embedding": ["embeddings?"],
    "embedding table": ["(?:token[- ])?embedding (?:tables?|matri(?:x|ces)|layers?)"],
    "FastText": ["FastText"],
    "language model": ["language models?", "LLMs?"],
    "logit": ["logits?"],
    "merge": ["merges?", "merged", "merging"],
    "nat": ["nats?"],
    "NTK-aware scaling": ["(?:dynamic )?NTK(?:-aware)?(?: scaling)?"],
    "one-hot": ["one-hot"],
    "perplexity": ["perplexit(?:y|ies)"],
    "position interpolation": ["(?:linear )?position interpolation", "linear interpolation"],
    "positional encoding": ["position(?:al)? encodings?", "position schemes?", "position vectors?"],
    "absolute position": ["absolute positions?", "absolute position (?:tables?|vectors?)", "absolute schemes?",
                          "learned absolute"],
    "relative position": ["relative[- ]positions?", "relative bias(?:es)?", "relative schemes?"],
    "PPMI": ["PPMI", "PMI", "pointwise mutual information"],
    "pre-norm": ["pre-norm"],
    "pre-tokenization": ["pre-split", "pre-tokeni[sz](?:ation|ers?|ed)"],
    "query": ["query", "queries"],
    # "key" and "value" also mean glue keys, dictionary keys and byte values here: their entry is found by
    # "query", which every page about attention uses first or close by.
    "key": [],
    "value": [],
    "RoPE": ["RoPE", "rotary position embeddings?"],
    "rotation frequency": ["rotation frequenc(?:y|ies)"],   # plain "frequency" is mostly a word's frequency
    "sinusoidal encoding": ["sinusoidal(?: position vectors?| positions?| encodings?)?", "sinusoids?"],
    "softmax": ["softmax(?:es)?"],
    "special token": ["special[- ]tokens?"],
    "Spearman rank correlation": ["Spearman(?: rank correlation)?"],
    "subsampling": ["subsampl(?:ing|es|ed)"],
    "subword": ["sub-?words?"],
    "SVD": ["SVD", "singular value decomposition"],
    "token": ["tokens?"],
    "token id": ["(?:token )?ids?"],
    "tokenizer": ["tokeni[sz]ers?"],
    "transformer": ["transformers?"],
    "transformer block": ["transformer blocks?"],
    "unknown token": ["unknown[- ](?:tokens?|words?|symbols?)"],
    "wavelength": ["wavelengths?"],
    "weight tying": ["weight tying", "tying", "tied", "untied"],
}

# Terms matched with their case: lower-case "unigram" is the word-frequency distribution of word2vec's noise,
# capitalised "Unigram" the tokenizer.
CASE_SENSITIVE = {"Unigram"}

# Phrases in which a glossary word means something else; they are not uses of the term.
OTHER_SENSES: dict[str, str] = {
    r"query words": "the words of a probe's query (the vector-arithmetic probe), not attention's query",
    r"can query": "the verb: vectors one can look words up in",
}

# Pages checked for (c): every page of _toc.yml but the glossary, whose entries are the definitions.
PAGES = [p for p in toc_pages() if p != "book/glossary"]

_TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{glossary\}")


def glossary_entries(text: str) -> list[list[str]]:
    """The entries of the page's ``{glossary}`` directive, each as its list of term lines (Sphinx's format:
    unindented lines are terms, consecutive ones share the indented definition below them)."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if _FENCE.match(line))
    fence = _FENCE.match(lines[start]).group(1)
    entries: list[list[str]] = []
    previous_was_term = False
    for line in lines[start + 1 :]:
        if line.strip() == fence:
            break
        if not line.strip() or line.startswith(":"):   # blank line, or a directive option such as :sorted:
            previous_was_term = False
            continue
        if line[0].isspace():
            previous_was_term = False
            continue
        if previous_was_term:
            entries[-1].append(line.strip())
        else:
            entries.append([line.strip()])
        previous_was_term = True
    return entries


def role_target(content: str) -> str:
    """What a ``{term}`` role points at: ``text <Target>`` → ``Target``, ``Term`` → ``Term``."""
    m = re.match(r"(?s)(.*?)\s*<([^<>]+)>\s*$", content)
    return (m.group(2) if m else content).strip()


def term_links(text: str) -> list[tuple[int, str]]:
    """``(offset, target)`` of every ``{term}`` role in the prose of a page (roles inside code cells and other
    non-prose blocks do not count)."""
    _, body = split_front_matter(text)
    code_lines = _non_prose_lines(body)
    out = []
    for m in _TERM_ROLE.finditer(body):
        if body.count("\n", 0, m.start()) not in code_lines:
            out.append((m.start(), role_target(m.group(1))))
    return out


def _non_prose_lines(body: str) -> set[int]:
    """0-based numbers of the lines that ``prose`` empties (code cells, fences)."""
    _, kept = prose(body)
    return {i for i, (raw, line) in enumerate(zip(body.split("\n"), kept.split("\n"))) if raw and not line}


def plain_text(text: str) -> str:
    """The page's running text, offsets kept: ``prose`` (which blanks every role, so linked uses vanish here)
    with headings, link texts, the page's own ``prose_constants`` phrases and :data:`OTHER_SENSES` blanked too.
    A constant is typed as a phrase that the number lint matches whole, so its words stay plain."""
    meta, _ = split_front_matter(text)
    _, body = split_front_matter(text)
    body = re.sub(r"\[[^\[\]\n]*\]\([^)\n]*\)", lambda m: _blank(m.group(0)), body)   # [text](target)
    _, kept = prose(body)
    raw_lines, lines = body.split("\n"), kept.split("\n")
    # prose() empties code lines; give them back their length so offsets match the raw text.
    lines = [(" " * len(raw) if raw and not line else line) for raw, line in zip(raw_lines, lines)]
    lines = [(_blank(line) if re.match(r"\s*#{1,6}\s", line) else line) for line in lines]
    kept = "\n".join(lines)
    for phrase in [*map(str, (meta.get("prose_constants") or {})), *OTHER_SENSES]:
        pattern = _phrase_regex(phrase) if phrase not in OTHER_SENSES else re.compile(rf"\b{phrase}\b", re.I)
        kept = pattern.sub(lambda m: _blank(m.group(0)), kept)
    return kept


def form_regex(term: str) -> re.Pattern:
    """Whole-word pattern of a term's forms, longest alternative first."""
    forms = FORMS[term] if term in FORMS else [re.escape(term) + "(?:s|es)?"]
    if not forms:
        return re.compile(r"(?!)")   # a term with no forms of its own is never a plain use
    forms = [f.replace(r"\ ", " ").replace(" ", r"\s+") for f in sorted(forms, key=len, reverse=True)]
    flags = 0 if term in CASE_SENSITIVE else re.IGNORECASE
    return re.compile(r"(?<![\w])(?:" + "|".join(forms) + r")(?![\w])", flags)


def uses(text: str, entries: list[list[str]]) -> list[tuple[int, int, int]]:
    """``(start, end, entry index)`` of every plain use of a glossary entry in the page's running text. Where
    uses of different entries overlap, the one that starts first, then the longer one, is kept."""
    body = plain_text(text)
    found = []
    for index, terms in enumerate(entries):
        for term in terms:
            found += [(m.start(), m.end(), index) for m in form_regex(term).finditer(body)]
    found.sort(key=lambda u: (u[0], -(u[1] - u[0])))
    kept, reach = [], -1
    for start, end, index in found:
        if start >= reach:
            kept.append((start, end, index))
            reach = end
    return kept


def unlinked_first_uses(text: str, entries: list[list[str]]) -> list[tuple[int, str, str]]:
    """``(line, term, word)`` for each entry whose first plain use on the page comes before any link to it."""
    _, body = split_front_matter(text)
    lookup = {t.lower(): i for i, terms in enumerate(entries) for t in terms}
    first_link: dict[int, int] = {}
    for offset, target in term_links(text):
        index = lookup.get(target.lower())
        if index is not None:
            first_link.setdefault(index, offset)
    problems, seen = [], set()
    for start, end, index in uses(text, entries):
        if index in seen:
            continue
        seen.add(index)
        if first_link.get(index, len(body) + 1) > start:
            problems.append((body.count("\n", 0, start) + 1, entries[index][0], re.sub(r"\s+", " ", body[start:end])))
    return problems


# --- the tests over the book -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def entries() -> list[list[str]]:
    return glossary_entries(GLOSSARY.read_text())


def test_glossary_is_sorted_and_has_no_duplicates(entries):
    terms = [t.lower() for e in entries for t in e]
    assert len(terms) == len(set(terms)), "a term is defined twice (Sphinx warns on duplicate terms)"
    assert ":sorted:" in GLOSSARY.read_text(), "the glossary should be sorted by Sphinx (:sorted:)"
    assert set(FORMS) <= set(t for e in entries for t in e), f"FORMS names terms the glossary lacks: " \
        f"{sorted(set(FORMS) - set(t for e in entries for t in e))}"


def test_every_term_link_names_a_glossary_term(entries):
    known = {t.lower() for e in entries for t in e}
    unknown = [
        f"{page}.md:{(ROOT / f'{page}.md').read_text().count(chr(10), 0, offset) + 1}: {target!r}"
        for page in toc_pages()
        for offset, target in term_links((ROOT / f"{page}.md").read_text())
        if target.lower() not in known
    ]
    assert not unknown, "{term} links to terms the glossary does not define:\n" + "\n".join(unknown)


def test_every_glossary_term_is_linked_from_a_page(entries):
    linked = {target.lower() for page in PAGES for _, target in term_links((ROOT / f"{page}.md").read_text())}
    dead = [t for e in entries for t in e if t.lower() not in linked]
    assert not dead, f"glossary terms no page links to: {dead}"


@pytest.mark.parametrize("page", PAGES)
def test_term_links_sit_in_running_text(page):
    """No ``{term}`` in a heading (it would link the whole heading in the page's table of contents)."""
    text = (ROOT / f"{page}.md").read_text()
    lines = text.split("\n")
    bad = [n + 1 for n in {text.count("\n", 0, off) for off, _ in term_links(text)} if re.match(r"\s*#{1,6}\s", lines[n])]
    assert not bad, f"{page}.md: {{term}} links in headings on lines {sorted(bad)}"


@pytest.mark.parametrize("page", PAGES)
def test_first_use_of_each_term_is_linked(page, entries):
    problems = unlinked_first_uses((ROOT / f"{page}.md").read_text(), entries)
    assert not problems, "\n".join(
        f"{page}.md:{line}: {word!r} is used before it is linked; make it {{term}}`{word} <{term}>`"
        if word.lower() != term.lower() else f"{page}.md:{line}: {word!r} is used before {{term}}`{term}` links it"
        for line, term, word in problems
    )


# --- the checks themselves, on synthetic pages -------------------------------------------------------------

DEMO_GLOSSARY = """# Glossary

```{glossary}
:sorted:

softmax
  A function.

query
key
  Vectors of attention.

attention
  Mixing.

attention head
  One of several.
```
"""


def _demo(prose_text: str) -> str:
    return "---\nprose_constants:\n  '4,096 tokens': an input\n---\n\n" + prose_text + "\n"


def test_entries_are_parsed_with_shared_definitions():
    assert glossary_entries(DEMO_GLOSSARY) == [["softmax"], ["query", "key"], ["attention"], ["attention head"]]


def test_first_use_must_be_linked():
    entries = glossary_entries(DEMO_GLOSSARY)
    page = _demo("The softmax turns scores into weights; a {term}`softmax` is smooth.")
    assert unlinked_first_uses(page, entries) == [(6, "softmax", "softmax")]
    page = _demo("The {term}`softmax` turns scores into weights; a softmax is smooth.")
    assert unlinked_first_uses(page, entries) == []


def test_inflections_aliases_and_longest_match():
    entries = glossary_entries(DEMO_GLOSSARY)
    # "queries" is a form of "query"; a link to "key" counts for the whole entry.
    assert unlinked_first_uses(_demo("Rotate {term}`keys <key>` and queries."), entries) == []
    assert unlinked_first_uses(_demo("Rotate queries and {term}`keys <key>`."), entries) == [(6, "query", "queries")]
    # "attention heads" is a use of "attention head", not of "attention".
    page = _demo("Several {term}`attention heads <attention head>`, then attention.")
    assert unlinked_first_uses(page, entries) == [(6, "attention", "attention")]


def test_code_math_headings_links_constants_and_other_senses_are_not_uses():
    entries = glossary_entries(DEMO_GLOSSARY)
    page = _demo(
        "# The softmax\n\n`softmax(x)` and $\\operatorname{softmax}$ and [the softmax](https://x.org), "
        "{doc}`softmax <other>`, 4,096 tokens, query words.\n\n"
        "```{code-cell} ipython3\nsoftmax = 1\n```\n\nThe {term}`softmax` and its {term}`heads <attention head>`."
    )
    assert unlinked_first_uses(page, entries) == []


def test_unknown_targets_are_found():
    page = "Some {term}`softmax` and {term}`the thing <no such term>`.\n\n```{code-cell} ipython3\n{term}`x`\n```\n"
    assert [t for _, t in term_links(page)] == ["softmax", "no such term"]
