"""embedkit.tokens.bpe_files: a saved tokenizer loads back the same, and a broken file is refused clearly."""

from __future__ import annotations

import pytest

from embedkit.tokens import BPETokenizer


@pytest.fixture(scope="module")
def trained():
    from embedkit import data

    return BPETokenizer.train(data.lee().text[:150_000], 600, special_tokens=["<|endoftext|>"])


def test_save_load_round_trip(trained, tmp_path):
    path = trained.save(tmp_path / "tok.json")
    again = BPETokenizer.load(path)
    assert again.ranks == trained.ranks and again.special_tokens == trained.special_tokens
    assert again.merges == trained.merges and again.pattern == trained.pattern
    text = "Mr Howard said the government would act."
    assert again.encode(text) == trained.encode(text)


@pytest.mark.parametrize("content,fragment", [
    (b"\xff\xfe not text", "not JSON"),
    (b"[1, 2]", "its format is None"),
    (b'{"format": "embedkit-bpe/1"}', "field 'name' must be a str"),
    (b'{"format": "embedkit-bpe/1", "name": "x", "pattern": "\\\\w", "special_tokens": {}, "tokens": ["***"], "merges": []}',
     "not base64"),
    (b'{"format": "embedkit-bpe/1", "name": "x", "pattern": "\\\\w", "special_tokens": {}, "tokens": ["YQ=="], "merges": []}',
     "all 256 single bytes"),
    (b'{"format": "embedkit-bpe/1", "name": "x", "pattern": "\\\\w", "special_tokens": {}, "tokens": [], "merges": [[1, 2]]}',
     "four integers"),
])
def test_load_refuses_broken_files(tmp_path, content, fragment):
    path = tmp_path / "tok.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a tokenizer file written by BPETokenizer.save") as info:
        BPETokenizer.load(path)
    assert fragment in str(info.value)


def test_load_of_a_missing_file_or_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer file at"):
        BPETokenizer.load(tmp_path / "missing.json")
    with pytest.raises(FileNotFoundError, match="it is a directory"):
        BPETokenizer.load(tmp_path)
    with pytest.raises(TypeError, match="path must be a file path"):
        BPETokenizer.load(None)
