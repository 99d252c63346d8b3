"""The book's prose lint: no number in the text that the code did not compute.

CONTRIBUTING.md asks that every number in the prose be glued from a code cell and every claim be asserted.
This file enforces what can be enforced by reading the pages:

* **no hand-typed numbers** — the prose of every page in ``_toc.yml`` (front matter, code, math, MyST roles,
  inline code, link targets, labels, directive options and comments left out) may contain a digit or a number
  word (``seven``, ``hundreds``, ``twice``, ``half``, …) only when it is part of a name listed in
  :data:`NAMES_WITH_DIGITS` (``GPT-2``, ``UTF-8``) or of a constant listed, with its reason, in the page's own
  front matter under ``prose_constants:`` (a year, a paper's parameter, a size chosen as an input);
* **every glue key used in the prose is glued** by a code cell of the same page (or, for a cross-page
  reference ``other.md::key``, by that page);
* **shown code is whole** — every ``literalinclude`` names a ``:pyobject:`` (and nothing that cuts it short),
  and every ``inspect.getsource`` result is shown as it is, not sliced.

The lint functions work on a page's text, so the tests at the bottom prove on small synthetic pages that a
newly typed number fails and that gluing or listing it passes.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, toc_pages

# Names that contain digits or number words and are not results. Matched case-insensitively as whole words
# (a trailing plural "s" or possessive is allowed), before digits are looked for.
NAMES_WITH_DIGITS: dict[str, str] = {
    "word2vec": "the model's name (Mikolov et al. 2013)",
    "GPT-2": "a model's name",
    "GPT-3": "a model's name",
    "GPT-3.5": "a model's name",
    "GPT-4": "a model's name",
    "GPT-4o": "a model's name",
    "UTF-8": "the encoding's name",
    "UTF-16": "the encoding's name",
    "T5": "a model's name (Raffel et al. 2020), also its relative-bias scheme",
    "Llama 2": "a model family's name",
    "Llama 3": "a model family's name (also its RoPE scaling rule)",
    "Llama 4": "a model family's name",
    "Gemma 3": "a model family's name",
    "SmolLM3": "a model's name",
    "Qwen2-VL": "a model's name",
    "Qwen3-VL": "a model's name",
    "DeepSeek-V2": "a model's name",
    "DeepSeek-V3": "a model's name",
    "Llama-3": "a model family's name, as Hugging Face spells its rope_type",
    "llama3": "Hugging Face's rope_type string",
    "cl100k_base": "tiktoken's encoding name",
    "cl100k": "tiktoken's encoding name, short form",
    "o200k_base": "tiktoken's encoding name",
    "p50k_base": "tiktoken's encoding name",
    "r50k_base": "tiktoken's encoding name",
    "WordSim-353": "the data set's name",
    "SimLex-999": "the data set's name",
    "3CosAdd": "the analogy method's name (Levy and Goldberg 2014)",
    "3CosMul": "the analogy method's name (Levy and Goldberg 2014)",
    "2-D": "a chart's kind (a plane), not a result",
    "GloVe 6B": "the vector set's name (trained on 6 billion tokens)",
    "glove.6B.50d": "the vector file's name",
    "6B": "the GloVe vector set's name",
    "float64": "a dtype",
    "float32": "a dtype",
    "float16": "a dtype",
    "bfloat16": "a dtype",
    "int64": "a dtype",
    "base64": "an encoding's name",
    "FNV-1a": "the hash function's name",
    "fnv1a_hash": "a function's name",
    "BERT-base": "a model's name",
    "Mistral 7B": "a model's name",
    "x86": "a processor family",
    "x86-64": "a processor family",
    "Python 3": "the language version the kernel runs",
    "Python 3.11": "the language version the README names",
    "Unicode 15": "a standard's version",
    "ISO-8859-1": "an encoding's name",
    "Latin-1": "an encoding's name",
    "text8": "a corpus's name",
    "Word2Vec": "gensim's class name",
}

_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
).split()
_LARGE = "hundred hundreds thousand thousands million millions billion billions trillion trillions".split()
_OTHER = "dozen dozens twice thrice half halves".split()
NUMBER_WORDS = _SMALL + _LARGE + _OTHER
_NUMWORD = r"(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
# A number phrase: number words joined by spaces, hyphens, "and" or "of" ("hundreds of thousands",
# "twenty-one", "one in five").
_PHRASE = re.compile(
    rf"\b{_NUMWORD}(?:(?:[\s-]+|\s+(?:and|of|in|or|to|out\s+of)\s+){_NUMWORD})*\b", re.IGNORECASE
)
# A run of characters holding a digit ("4,096", "0.08", "3/4", "10x", "50-dimensional").
_DIGITS = re.compile(r"[\w.,/%+−-]*\d[\w.,/%+−-]*")

# Directives whose body is prose (the rest, code-cell, literalinclude, math, eval-rst, … are not).
PROSE_DIRECTIVES = {
    "note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso",
    "admonition", "margin", "sidebar", "dropdown", "glossary", "epigraph", "topic", "div", "card",
    "exercise", "solution",  # sphinx-exercise: an exercise's text and its written solution are prose too
}


@dataclass(frozen=True)
class Finding:
    page: str
    line: int
    number: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.number!r} is typed by hand (glue it, or list it as a constant)"


def split_front_matter(text: str) -> tuple[dict, str]:
    """The page's front matter as a dict and the text with the front matter blanked (line numbers kept)."""
    m = re.match(r"---\n(.*?\n)---\n", text, re.DOTALL)
    if not m:
        return {}, text
    meta = yaml.safe_load(m.group(1)) or {}
    return meta, _blank(m.group(0)) + text[m.end():]


def _blank(s: str) -> str:
    """``s`` with every character but newlines turned into a space (so offsets and line numbers stay)."""
    return re.sub(r"[^\n]", " ", s)


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{([\w:.-]+)\})?(.*)$")


def blocks(text: str):
    """Yield ``(kind, name, start, end, body_lines)`` for every fenced block (code, directive) at the top
    level or inside prose directives: ``kind`` is "prose" for prose directives, else "code"; lines are
    0-based, ``end`` is the closing fence's line."""
    lines = text.split("\n")
    stack: list[tuple[str, int, str, str, int]] = []  # (fence char, length, kind, name, start)
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if stack:
            char, length, kind, name, start = stack[-1]
            if m and m.group(2)[0] == char and len(m.group(2)) >= length and not m.group(3) and not m.group(5).strip():
                stack.pop()
                yield kind, name, start, i, lines[start + 1 : i]
                continue
            if kind == "code":
                continue
        if m:
            name = m.group(4) or ""
            kind = "prose" if name in PROSE_DIRECTIVES else "code"
            stack.append((m.group(2)[0], len(m.group(2)), kind, name, i))


def prose(text: str) -> tuple[dict, str]:
    """``(front matter, prose)``: the page with everything that is not running text blanked, line for line."""
    meta, text = split_front_matter(text)
    lines = text.split("\n")
    for kind, name, start, end, body in blocks(text):
        if kind == "code":
            for i in range(start, end + 1):
                lines[i] = ""
            continue
        # A prose directive: blank its fences and its leading ":option: value" lines; keep its body.
        lines[start] = lines[end] = ""
        for i in range(start + 1, end):
            if re.match(r"\s*:[\w-]+:", lines[i]):
                lines[i] = ""
            else:
                break
    text = "\n".join(lines)
    patterns = [
        r"<!--.*?-->",                                  # HTML comments
        r"(?m)^\s*%.*$",                                # MyST comments
        r"(?m)^\s*\([^)\s]+\)=\s*$",                     # labels
        r"(?m)^\s*\d+[.)](?=\s)",                        # ordered-list markers
        r"\$\$.*?\$\$",                                 # display math
        r"(?<![\\$])\$(?!\$)[^$\n]+?(?:\n[^$\n]+?)?\$",   # inline math (at most one line break)
        r"\{[\w:.-]+\}(`+).*?\1",                        # roles: glue, cite, doc, ref, term, math, …
        r"(`+).+?\1",                                   # inline code
        r"\]\([^)]*\)",                                 # link targets
        r"(?m)^\s*\[[^\]]+\]:\s*\S+.*$",                # reference-style link definitions
        r"<https?://[^>]*>|https?://\S+",               # URLs
        r"\[\^[^\]]+\]",                                # footnote references
        r"</?[a-zA-Z][^>]*>",                           # HTML tags
    ]
    for p in patterns:
        text = re.sub(p, lambda m: _blank(m.group(0)), text, flags=re.DOTALL)
    return meta, text


def _phrase_regex(phrase: str) -> re.Pattern:
    """A constant or name as a pattern: whole words, any whitespace between words, optional plural."""
    words = [re.escape(w) for w in phrase.split()]
    return re.compile(r"(?<![\w.-])" + r"\s+".join(words) + r"(?:s|'s|’s)?(?![\w])", re.IGNORECASE)


def _is_number_phrase(match: re.Match, text: str) -> bool:
    """A lone "one" is usually a pronoun or an article ("one vector per word", "the one that…"); it is a
    number only in a number phrase ("one in five", "one hundred") or before "times"/"percent"."""
    phrase = match.group(0)
    if phrase.lower() != "one":
        return True
    after = text[match.end() : match.end() + 20].lower()
    return bool(re.match(r"[\s-]*(?:times|percent|per cent|%|\d)", after))


def unglued_numbers(page: str, text: str) -> list[Finding]:
    """Every digit run and number phrase in ``text``'s prose that is neither a name of
    :data:`NAMES_WITH_DIGITS` nor a constant of the page's ``prose_constants``."""
    meta, body = prose(text)
    constants = meta.get("prose_constants") or {}
    if not isinstance(constants, dict) or not all(isinstance(v, str) and v.strip() for v in constants.values()):
        return [Finding(page, 1, "prose_constants must map each constant to its reason (a non-empty string)")]
    for phrase in sorted([*NAMES_WITH_DIGITS, *map(str, constants)], key=len, reverse=True):
        body = _phrase_regex(phrase).sub(lambda m: _blank(m.group(0)), body)
    found = []
    for m in _DIGITS.finditer(body):
        token = m.group(0).strip(".,-/+")
        if re.search(r"\d", token):
            found.append((m.start(), token))
    for m in _PHRASE.finditer(body):
        if _is_number_phrase(m, body):
            found.append((m.start(), re.sub(r"\s+", " ", m.group(0))))
    return [Finding(page, body.count("\n", 0, pos) + 1, token) for pos, token in sorted(found)]


def unused_constants(text: str) -> list[str]:
    """Constants listed in the front matter that the prose never uses (a stale list hides nothing, but it
    misleads whoever reads it)."""
    meta, body = prose(text)
    return [c for c in (meta.get("prose_constants") or {}) if not _phrase_regex(str(c)).search(body)]


# --- glue keys -------------------------------------------------------------------------------------------

_GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
_GLUE_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)
_GLUE_CALL = re.compile(r"\bglue\(\s*(f?)(['\"])(.*?)\2")


def code_cells(text: str) -> list[tuple[int, str]]:
    """``(first line, source)`` of every ``code-cell`` (1-based line of the cell's first source line)."""
    cells = []
    for kind, name, start, end, body in blocks(text):
        if name == "code-cell":
            src = [line for line in body]
            # Drop the cell's leading ":tags: …" options and its "---" metadata block.
            while src and re.match(r"\s*:[\w-]+:", src[0]):
                src.pop(0)
            cells.append((start + 2, "\n".join(src)))
    return cells


def glued_keys(text: str) -> list[re.Pattern]:
    """Patterns of the keys the page's code cells glue (an f-string key becomes a pattern)."""
    keys = []
    for _, src in code_cells(text):
        for f, _, key in _GLUE_CALL.findall(src):
            if f:
                parts = re.split(r"\{[^}]*\}", key)
                keys.append(re.compile(".+".join(map(re.escape, parts)) + r"\Z"))
            else:
                keys.append(re.compile(re.escape(key) + r"\Z"))
    return keys


def used_keys(text: str) -> list[tuple[int, str | None, str]]:
    """``(line, other page or None, key)`` for every glue role and directive in the page's prose."""
    _, body = split_front_matter(text)
    lines = body.split("\n")
    for kind, _, start, end, _ in blocks(body):
        if kind == "code" and not lines[start].lstrip().lstrip("`:").startswith("{glue"):
            for i in range(start, end + 1):
                lines[i] = ""
    body = "\n".join(lines)
    used = []
    for m in [*_GLUE_ROLE.finditer(body), *_GLUE_DIRECTIVE.finditer(body)]:
        ref = m.group(1)
        other, _, key = ref.rpartition("::")
        used.append((body.count("\n", 0, m.start()) + 1, other or None, key.split(":")[0]))
    return used


def missing_glue(page: Path) -> list[str]:
    """Glue keys used in ``page``'s prose that no code cell of the page (or of the referenced page) glues."""
    text = page.read_text()
    problems = []
    for line, other, key in used_keys(text):
        source = page
        if other:
            source = (page.parent / other).resolve()
            if not source.suffix:
                source = source.with_suffix(".md")
            source = source.with_suffix(".md")
            if not source.exists():
                problems.append(f"{page.relative_to(ROOT)}:{line}: glue key {other}::{key} names a missing page")
                continue
        if not any(p.match(key) for p in glued_keys(source.read_text())):
            where = f" (in {other})" if other else ""
            problems.append(f"{page.relative_to(ROOT)}:{line}: glue key {key!r} is not glued{where}")
    return problems


# --- shown code ------------------------------------------------------------------------------------------

_CUTTING_OPTIONS = ("lines", "start-after", "end-before", "start-at", "end-at")


def shown_code_problems(page: str, text: str, page_dir: Path | None = None) -> list[str]:
    """Ways the page shows less than a whole function: a ``literalinclude`` without ``:pyobject:`` or with an
    option that cuts it, a ``:pyobject:`` the file lacks, or an ``inspect.getsource(...)`` result that is
    indexed, sliced or split before it is shown."""
    problems = []
    for kind, name, start, end, body in blocks(text):
        if name != "literalinclude":
            continue
        options = dict(re.findall(r"^\s*:([\w-]+):\s*(.*)$", "\n".join(body), re.MULTILINE))
        where = f"{page}:{start + 1}"
        if "pyobject" not in options:
            problems.append(f"{where}: literalinclude without :pyobject: (show a whole function or class)")
        for option in _CUTTING_OPTIONS:
            if option in options:
                problems.append(f"{where}: literalinclude with :{option}: cuts the code short")
        target = re.match(r"\s*(?:`{3,}|:{3,})\{literalinclude\}\s+(\S+)", text.split("\n")[start])
        if page_dir is not None and target and "pyobject" in options:
            source = (page_dir / target.group(1)).resolve()
            if not source.exists():
                problems.append(f"{where}: literalinclude of a missing file {target.group(1)}")
            elif not _defines(source.read_text(), options["pyobject"].strip()):
                problems.append(f"{where}: {target.group(1)} defines no {options['pyobject'].strip()}")
    for first, src in code_cells(text):
        if "getsource" not in src:
            continue
        clean = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in src.split("\n"))
        tree = ast.parse(clean)
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            func = getattr(node, "func", None)
            fname = getattr(func, "attr", None) or getattr(func, "id", None)
            if isinstance(node, ast.Call) and fname in ("getsource", "getsourcelines", "getlines"):
                parent = parents.get(node)
                if fname != "getsource" or isinstance(parent, (ast.Subscript, ast.Attribute)):
                    problems.append(
                        f"{page}:{first + node.lineno - 1}: {ast.unparse(parent or node)} shows part of the source"
                    )
    return problems


def _defines(source: str, dotted: str) -> bool:
    """Whether the module source defines ``dotted`` ("func" or "Class.method") at top level."""
    scope = ast.parse(source).body
    for part in dotted.split("."):
        found = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part]
        if not found:
            return False
        scope = found[0].body
    return True


# --- the tests over the book -----------------------------------------------------------------------------

PAGES = [ROOT / f"{p}.md" for p in toc_pages()]
IDS = [str(p.relative_to(ROOT)) for p in PAGES]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_hand_typed_numbers(page):
    findings = unglued_numbers(str(page.relative_to(ROOT)), page.read_text())
    assert not findings, "\n".join(map(str, findings))


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_constants_are_used(page):
    assert not unused_constants(page.read_text()), f"{page.relative_to(ROOT)}: prose_constants not in the prose"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_glue_key_is_glued(page):
    problems = missing_glue(page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_shown_code_is_whole(page):
    problems = shown_code_problems(str(page.relative_to(ROOT)), page.read_text(), page.parent)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", [p for p in PAGES if "prose_constants" in p.read_text()], ids=str)
def test_front_matter_keeps_the_page_a_notebook(page):
    """Extra front-matter keys must not stop jupytext from reading the page as a notebook (without its
    kernelspec the build silently skips execution)."""
    import jupytext

    nb = jupytext.reads(page.read_text(), fmt="md:myst")
    if "jupytext" in split_front_matter(page.read_text())[0]:
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert any(c.cell_type == "code" for c in nb.cells)
    assert isinstance(nb.metadata.get("prose_constants"), dict)


# --- the lint itself, on synthetic pages -----------------------------------------------------------------

FRONT = "---\njupytext:\n  text_representation: {extension: .md, format_name: myst}\n"
CELL = "```{code-cell} ipython3\n:tags: [remove-cell]\nglue(\"n_words\", 400_000, display=False)\nassert True\n```\n"


def _page(prose_text: str, constants: str = "") -> str:
    return FRONT + constants + "---\n\n" + CELL + "\n" + prose_text + "\n"


def test_lint_fails_on_a_typed_number_and_names_page_line_and_number():
    text = _page("The vocabulary holds\n400,000 words, and the loss fell to 0.08 nats.")
    findings = unglued_numbers("demo.md", text)
    assert [(f.line, f.number) for f in findings] == [(13, "400,000"), (13, "0.08")]
    assert "demo.md:13: '400,000'" in str(findings[0])


def test_lint_fails_on_number_words():
    text = _page("It runs hundreds of thousands of checks, twice as fast, in one in five cases, with seventy-two heads.")
    numbers = [f.number for f in unglued_numbers("demo.md", text)]
    assert numbers == ["hundreds of thousands", "twice", "one in five", "seventy-two"]


def test_lint_passes_when_the_number_is_glued():
    text = _page("The vocabulary holds {glue:text}`n_words:,` words.")
    assert unglued_numbers("demo.md", text) == []
    assert missing_glue_in_text(text) == []


def test_lint_passes_when_the_number_is_a_listed_constant():
    constants = "prose_constants:\n  '2014': the year the paper appeared\n  four times: the lab's test length, an input\n"
    text = _page("GloVe (2014) is measured at four\ntimes its length.", constants)
    assert unglued_numbers("demo.md", text) == []
    assert unused_constants(text) == []
    # A constant must carry its reason.
    assert unglued_numbers("demo.md", _page("In 2014.", "prose_constants:\n  '2014': ''\n"))


def test_lint_ignores_code_math_roles_names_and_the_pronoun_one():
    text = _page(
        "Inline `x = 3`, math $d = 64$ and\n$$\nn = 2\n$$\n{cite:t}`vaswani2017`, [a link](https://x.org/v2),"
        " GPT-2 and UTF-8, word2vec's trick; one vector per word, the one that wins.\n"
        "```python\nprint(12)\n```\n(label-3)=\n% a comment with 7\n<!-- and 8 -->\n"
        "```{note}\n:class: tip-5\nThis note says nothing numeric.\n```"
    )
    assert unglued_numbers("demo.md", text) == []
    # ...but a number in a prose directive's body is prose.
    assert [f.number for f in unglued_numbers("demo.md", _page("```{note}\nIt took 90 s.\n```"))] == ["90"]


def missing_glue_in_text(text: str) -> list[str]:
    keys = glued_keys(text)
    return [key for _, other, key in used_keys(text) if not other and not any(p.match(key) for p in keys)]


def test_glue_check_finds_a_key_nobody_glues():
    text = _page("{glue:text}`n_words:,` and {glue:text}`n_wrods`.")
    assert missing_glue_in_text(text) == ["n_wrods"]
    fstring = _page("{glue:text}`loss_rope_4`").replace('"n_words"', 'f"loss_{m}_{k}"')
    assert missing_glue_in_text(fstring) == []


def test_shown_code_check():
    cut = "```{literalinclude} ../../embedkit/rotary/kernel.py\n:pyobject: apply\n:end-before: return\n```\n"
    assert any(":end-before:" in p for p in shown_code_problems("demo.md", cut))
    nopy = "```{literalinclude} ../../embedkit/rotary/kernel.py\n:lines: 1-20\n```\n"
    assert len(shown_code_problems("demo.md", nopy)) == 2
    sliced = "```{code-cell} ipython3\nimport inspect\nprint(inspect.getsource(f).split('return')[0])\n```\n"
    assert shown_code_problems("demo.md", sliced)
    whole = "```{code-cell} ipython3\nimport inspect\nprint(inspect.getsource(f))\n```\n"
    assert shown_code_problems("demo.md", whole) == []
    missing = "```{literalinclude} ../../embedkit/rotary/kernel.py\n:pyobject: no_such_function\n```\n"
    assert shown_code_problems("demo.md", missing, ROOT / "chapters" / "rotary")
