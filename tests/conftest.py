"""Shared fixtures. The whole-book build runs once per session (it is the slowest thing we test)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")

settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile("ci")


def toc_pages() -> list[str]:
    """Every page of _toc.yml, as paths without extension (``"intro"``, ``"chapters/words/index"``)."""
    return re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text())


PAGE_FRONT_MATTER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
"""
"""The front matter every executed MyST page needs (without ``jupytext`` a page is silently not run)."""


def throwaway_book(tmp: Path, page: str, *, extensions: tuple[str, ...], timeout: int = 60) -> Path:
    """A one-page book in ``tmp`` with the real execution and parse settings of _config.yml and the named
    extensions from ``_ext/``, for proving what the build does with one page."""
    import yaml

    ours = yaml.safe_load((ROOT / "_config.yml").read_text())
    config = {
        "title": "throwaway",
        "only_build_toc_files": True,
        "execute": {**ours["execute"], "timeout": timeout},
        "parse": ours["parse"],
        "sphinx": {"local_extensions": {name: str(ROOT / "_ext") for name in extensions}},
    }
    (tmp / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (tmp / "index.md").write_text(page)
    return tmp


def build_book(source: Path, *, all_files: bool = True, timeout: int = 3000) -> subprocess.CompletedProcess:
    """Run the README's build (`jupyter-book build --all -W --keep-going`) on ``source``."""
    env = {**os.environ, "EMBEDKIT_BOOK": "1"}
    cmd = [str(JB), "build", *(["--all"] if all_files else []), "-W", "--keep-going", str(source)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


def keyed_vectors(vectors, stop: int | None = None):
    """gensim ``KeyedVectors`` holding the first ``stop`` rows of an ``embedkit.Vectors`` (the reference
    implementation our vectors, evaluators and probes are compared with)."""
    import numpy as np
    from gensim.models import KeyedVectors

    words = vectors.words[:stop]
    kv = KeyedVectors(vector_size=vectors.dim)
    kv.add_vectors(words, np.asarray(vectors.vectors[: len(words)], dtype=np.float32))
    return kv


def label_reference(piece: bytes) -> str:
    """token_label by another road: Python's UTF-8 decoder with ``surrogateescape``, which turns each byte
    that is not part of a valid character into U+DC80..U+DCFF (never the result of valid UTF-8)."""
    out = []
    for ch in piece.decode("utf-8", errors="surrogateescape"):
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"<{ord(ch) - 0xDC00:02X}>")
        else:
            out.append({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch if ch.isprintable() else f"<U+{ord(ch):04X}>"))
    return "".join(out)


@pytest.fixture(scope="session")
def glove():
    """Pretrained GloVe 6B 50-d from embedkit.data (loaded once per test session)."""
    from embedkit import data

    return data.glove()


@pytest.fixture(scope="session")
def gensim_glove(glove):
    """The same GloVe vectors in gensim's KeyedVectors."""
    return keyed_vectors(glove)


@pytest.fixture(scope="session")
def built_book() -> Path:
    """The whole book built from this checkout into _build/html (fails the test on a failed build).

    Set EMBEDKIT_REUSE_BUILD=1 to reuse an existing _build/html (e.g. right after `make book`).
    """
    html = ROOT / "_build" / "html"
    if os.environ.get("EMBEDKIT_REUSE_BUILD") == "1" and (html / "intro.html").is_file():
        return html
    shutil.rmtree(html, ignore_errors=True)  # no stale pages from an earlier layout
    result = build_book(ROOT)
    log = ROOT / "_build" / "build.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text(result.stdout + "\n" + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        pytest.fail(f"the book build failed (exit {result.returncode}); full log in {log}\n{tail}")
    return html
