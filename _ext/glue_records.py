"""Recorded glue values: a page whose computed values change fails until a person re-records them.

Every value a page glues (``myst_nb.glue``) is recorded in a committed file beside the page,
``chapters/words/glove.md`` → ``chapters/words/glove.record.json``, with its kind:

``exact``
    strings, integers, word lists, tables: the new value must equal the recorded one.
``number``
    a float, or a list of numbers with at least one float: equal within ``rtol``/``atol``, chosen per value
    (``rtol`` defaults to 1e-6, about float32 rounding; widen it in the record file for a value that
    legitimately wobbles, and say why in ``why``).
``measured``
    a timing or a reading of the machine (versions): recorded so a diff shows it, never compared.

A record entry is ``{"kind": ..., "value": ...}`` (``"text": [lines]`` for values that are not Python
literals, such as a DataFrame's text form; ``"sha256"`` for a chart, whose spec carries its data). Editing
``kind``, ``rtol``, ``atol`` or ``why`` by hand is expected; re-recording keeps them.

The same comparison runs in two places: in the book build (this Sphinx extension, after each page executes),
and in ``scripts/run-page.py`` for a single page. Both print page, key, recorded and new value, and both
fail. ``make record PAGE=chapters/words/glove.md`` re-records a page after you have read the diff.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".record.json"
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-12
KINDS = ("exact", "number", "measured")
RECORD_COMMAND = "make record PAGE={page}"

# Roles and directives that read a glued value: {glue}`k`, {glue:text}`k:.2f`, {glue:md}`k:myst`,
# ```{glue:figure} k``` and the cross-page form `other.md::k`.
_ROLE = re.compile(r"\{glue(?::(any|text|md|math|figure))?\}`([^`]+)`")
_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{glue(?::(any|figure|math|md))?\}\s+(\S+)", re.M)


# -- reading glued values ------------------------------------------------------------------------------


def glue_outputs(notebook) -> dict[str, dict]:
    """``{key: mimebundle}`` for every glued value of an executed notebook (as myst-nb extracts them)."""
    from myst_nb.ext.glue import extract_glue_data_cell

    data = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for key, output in extract_glue_data_cell(copy.deepcopy(cell)):
                data[key] = dict(output["data"])
    return data


def _jsonable(value):
    """A Python literal as JSON would hold it (tuples become lists), or raise ``TypeError``."""
    return json.loads(json.dumps(value, allow_nan=True))


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


def observe(bundle: dict) -> dict:
    """The record entry (without kind options) that a glued mimebundle gives.

    A value whose text form is a Python literal is kept as that literal; a chart (an HTML ``div`` with a
    Vega spec, as :mod:`embedkit.charts` writes it) as the SHA-256 of its spec; anything else as its text
    lines.
    """
    html = bundle.get("text/html", "")
    if "embedkit-chart" in html or "vegaEmbed" in html:
        return {"kind": "exact", "sha256": hashlib.sha256(html.encode()).hexdigest()}
    text = bundle.get("text/plain")
    if text is None:
        mimes = sorted(bundle)
        return {"kind": "exact", "sha256": hashlib.sha256(json.dumps(bundle, sort_keys=True).encode()).hexdigest(),
                "mimetypes": mimes}
    try:
        value = _jsonable(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return {"kind": "exact", "text": text.splitlines()}
    return {"kind": "number" if _has_float(value) else "exact", "value": value}


# -- comparing --------------------------------------------------------------------------------------------


def _close(new, old, rtol: float, atol: float) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return new is old or new == old
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) and math.isnan(new)
        return abs(new - old) <= atol + rtol * abs(old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_close(n, o, rtol, atol) for n, o in zip(new, old))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_close(new[k], old[k], rtol, atol) for k in old)
    return new == old


def _payload(entry: dict):
    for field in ("value", "text", "sha256"):
        if field in entry:
            return field, entry[field]
    return None, None


def matches(recorded: dict, observed: dict) -> bool:
    """Whether an observed value stays within its record."""
    kind = recorded.get("kind", "exact")
    if kind == "measured":
        return True
    field, old = _payload(recorded)
    new_field, new = _payload(observed)
    if field != new_field:
        return False
    if kind == "number" and field == "value":
        return _close(new, old, float(recorded.get("rtol", DEFAULT_RTOL)), float(recorded.get("atol", DEFAULT_ATOL)))
    return new == old


def _show(entry: dict | None, limit: int = 300) -> str:
    if entry is None:
        return "(nothing)"
    field, value = _payload(entry)
    text = "\n".join(value) if field == "text" else (f"sha256 {value[:16]}…" if field == "sha256" else repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Problem:
    page: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.page}: glue key {self.key!r}: {self.message}"


def record_path(page: Path) -> Path:
    """``chapters/words/glove.md`` → ``chapters/words/glove.record.json``."""
    return page.with_suffix(SUFFIX)


def load_record(page: Path) -> dict[str, dict]:
    path = record_path(page)
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["values"]


def compare(page_name: str, record: dict[str, dict], observed: dict[str, dict]) -> list[Problem]:
    """Every way ``observed`` leaves ``record``: a changed value, a new key, a recorded key no cell glued."""
    problems = []
    hint = f"if the change is intended, read the diff and re-record: {RECORD_COMMAND.format(page=page_name)}"
    for key in sorted(observed.keys() | record.keys()):
        old, new = record.get(key), observed.get(key)
        if old is None:
            problems.append(Problem(page_name, key, f"is glued but not recorded (new value {_show(new)}); {hint}"))
        elif new is None:
            problems.append(Problem(page_name, key, f"is recorded ({_show(old)}) but no cell glued it; {hint}"))
        elif not matches(old, new):
            tol = ""
            if old.get("kind") == "number":
                tol = f" (number, rtol {old.get('rtol', DEFAULT_RTOL):g}, atol {old.get('atol', DEFAULT_ATOL):g})"
            problems.append(Problem(page_name, key, f"recorded {_show(old)}, new {_show(new)}{tol}; {hint}"))
    return problems


def updated_record(record: dict[str, dict], observed: dict[str, dict]) -> dict[str, dict]:
    """The record after re-recording: new values, with each kept key's hand-chosen kind and tolerances."""
    out = {}
    for key in sorted(observed):
        entry = dict(observed[key])
        old = record.get(key)
        if old is not None:
            kind = old.get("kind", entry["kind"])
            if kind == "number" and not (entry.get("kind") == "number" or "value" in entry):
                kind = entry["kind"]
            entry["kind"] = kind
            for option in ("rtol", "atol", "why"):
                if option in old:
                    entry[option] = old[option]
        out[key] = {"kind": entry.pop("kind"), **entry}
    return out


def write_record(page: Path, page_name: str, values: dict[str, dict]) -> Path:
    path = record_path(page)
    body = {
        "page": page_name,
        "about": "Recorded glue values of this page (see _ext/glue_records.py). "
                 f"Re-record after reading the diff: {RECORD_COMMAND.format(page=page_name)}",
        "values": values,
    }
    # One line per value (several for a text value), so that a re-record's diff reads value by value.
    head = json.dumps({k: body[k] for k in ("page", "about")}, indent=1, ensure_ascii=False)[:-2]
    entries = []
    for key, entry in values.items():
        if "text" in entry:
            rest = {k: v for k, v in entry.items() if k != "text"}
            lines = ",\n".join("   " + json.dumps(line, ensure_ascii=False) for line in entry["text"])
            entries.append(f"  {json.dumps(key)}: {json.dumps(rest, ensure_ascii=False)[:-1]}, \"text\": [\n{lines}\n  ]}}")
        else:
            entries.append(f"  {json.dumps(key)}: {json.dumps(entry, ensure_ascii=False)}")
    text = head + ',\n "values": {\n' + ",\n".join(entries) + "\n }\n}\n"
    json.loads(text)  # the hand-made layout is still JSON
    path.write_text(text, encoding="utf-8")
    return path


def diff_lines(record: dict[str, dict], observed: dict[str, dict]) -> list[str]:
    """Human-readable changes between a record and new values (what re-recording would change)."""
    lines = []
    for key in sorted(observed.keys() | record.keys()):
        old, new = record.get(key), observed.get(key)
        if old is not None and new is not None and _payload(old) == _payload(new):
            continue
        if old is not None and new is not None and old.get("kind") == "measured":
            lines.append(f"  ~ {key}: {_show(old, 80)} -> {_show(new, 80)} (measured)")
            continue
        lines.append(f"  {'+' if old is None else '-' if new is None else '*'} {key}: {_show(old, 120)} -> {_show(new, 120)}")
    return lines


# -- glue keys the prose uses -------------------------------------------------------------------------------


def used_keys(markdown: str) -> list[tuple[str | None, str, str | None, str]]:
    """``(other page or None, key, format spec or None, role)`` for every glue reference in ``markdown``."""
    refs = []
    for role, body in _ROLE.findall(markdown):
        role = role or "any"
        fmt = None
        if role in ("text", "md") and ":" in body.replace("::", "\0"):
            head, fmt = body.replace("::", "\0").rsplit(":", 1)
            body = head.replace("\0", "::")
        page, _, key = body.rpartition("::")
        refs.append((page or None, key, fmt, role))
    for role, body in _DIRECTIVE.findall(markdown):
        page, _, key = body.rpartition("::")
        refs.append((page or None, key, None, role or "any"))
    return refs


def check_references(page_name: str, markdown: str, bundles: dict[str, dict], page_dir: Path) -> list[Problem]:
    """Glue keys the text uses that no cell produced, and text formats that fail on the glued value."""
    from myst_nb.core.variables import format_plain_text

    problems = []
    for other, key, fmt, role in used_keys(markdown):
        if other is not None:
            if role == "text" and fmt is None:  # myst-nb reads the whole text as a local key otherwise
                problems.append(Problem(page_name, key, f"is read from {other} by {{glue:text}} without a format "
                                                        "spec; cross-page text needs one, e.g. other.md::key:d"))
            if key not in load_record(page_dir / other):
                problems.append(Problem(page_name, key, f"is read from {other}, which records no such key"))
            continue
        if key not in bundles:
            problems.append(Problem(page_name, key, "is used in the text but no cell glued it"))
            continue
        if role == "text":
            text = bundles[key].get("text/plain")
            if text is None:
                problems.append(Problem(page_name, key, "has no text/plain form for {glue:text}"))
                continue
            try:
                format_plain_text(text, fmt if fmt is not None else "s")
            except Exception as err:  # what the build reports as "Failed to format text/plain data"
                problems.append(Problem(page_name, key, f"cannot be formatted with {fmt!r}: {err}"))
    return problems


# -- the Sphinx side --------------------------------------------------------------------------------------


def _check_doc(app, doctree) -> None:
    from sphinx.util import logging

    env = app.env
    docname = env.docname
    glue_file = Path(env.mystnb_config.output_folder) / f"{docname}.glue.json"
    source = Path(env.doc2path(docname))
    page_name = source.relative_to(app.srcdir).as_posix()
    record = load_record(source)
    observed = {}
    if glue_file.is_file():
        observed = {k: observe(v["data"]) for k, v in json.loads(glue_file.read_text(encoding="utf-8")).items()}
        glue_file_mtime = glue_file.stat().st_mtime
        if glue_file_mtime < getattr(app, "_glue_records_started", 0):
            observed = {}  # left over from an earlier build: this page glued nothing this time
    if not observed and not record:
        return
    problems = compare(page_name, record, observed)
    logger = logging.getLogger("glue_records")
    for problem in problems:
        logger.warning(str(problem), location=docname, type="glue_records", subtype="changed")
    app._glue_records_problems = getattr(app, "_glue_records_problems", 0) + len(problems)


def _started(app) -> None:
    import time

    app._glue_records_started = time.time() - 1


def _finished(app, exception) -> None:
    from sphinx.errors import ExtensionError

    count = getattr(app, "_glue_records_problems", 0)
    if exception is None and count:
        raise ExtensionError(f"{count} glued value(s) left their record (listed above as glue_records warnings)")


def setup(app):
    app.connect("builder-inited", _started)
    app.connect("doctree-read", _check_doc)
    app.connect("build-finished", _finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# -- the book's own figures (book/checks.md) -------------------------------------------------------------------


def toc_pages(root: Path) -> list[Path]:
    """Every page of ``root/_toc.yml``, in reading order."""
    names = re.findall(r"(?:root|file):\s*(\S+)", (root / "_toc.yml").read_text(encoding="utf-8"))
    return [root / f"{n}.md" for n in names]


def hidden_asserts(source: str) -> int:
    """The number of ``assert`` statements in the hidden (``remove-cell``) code cells of a MyST page."""
    import jupytext

    count = 0
    for cell in jupytext.reads(source, fmt="md:myst").cells:
        if cell.cell_type != "code" or "remove-cell" not in cell.metadata.get("tags", []):
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            count += sum(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(code)))
        except SyntaxError:
            count += len(re.findall(r"^\s*assert\b", code, re.M))
    return count


def book_summary(root: Path) -> dict[str, int]:
    """Counts over every page of the book: pages, pages with a record, recorded values by kind, hidden asserts."""
    pages = toc_pages(root)
    summary = {"pages": len(pages), "recorded_pages": 0, "values": 0, "hidden_asserts": 0}
    summary.update({kind: 0 for kind in KINDS})
    for page in pages:
        summary["hidden_asserts"] += hidden_asserts(page.read_text(encoding="utf-8"))
        record = load_record(page)
        if record:
            summary["recorded_pages"] += 1
            summary["values"] += len(record)
            for entry in record.values():
                summary[entry.get("kind", "exact")] += 1
    return summary
