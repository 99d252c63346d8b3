"""o200k_base (GPT-4o's vocabulary) in the book's BPETokenizer: the same ids as tiktoken on hard texts and on
arbitrary Unicode, and tiktoken's encoding built offline by embedkit.data agrees with bpe-openai, an independent
Rust implementation that ships its own copy of the pattern and special tokens."""

from __future__ import annotations

import bpe_openai
import pytest
from bpe_openai import registry
from hypothesis import given, strategies as st
from test_tokens_bpe import VARIED

from embedkit import data
from embedkit.tokens import BPETokenizer, pretokenize
from embedkit.tokens.pretokenize import CL100K_PATTERN

O200K = data.o200k_base()
OURS = BPETokenizer.from_tiktoken(O200K)
RUST = bpe_openai.get_encoding("o200k_base")

pytestmark = pytest.mark.filterwarnings("ignore:open_binary is deprecated:DeprecationWarning")  # bpe-openai's

# where o200k's pre-split differs from cl100k's (chunks asserted below), on top of the cl100k texts
O200K_HARD = [
    "They'll say I'D do it, it's DON'T",  # contractions stay with their word
    "camelCaseName XMLHttpRequest iPhone MacBook HTTPServer",  # a case change starts a chunk
    "हिन्दी में लिखा गया पाठ",  # vowel signs and the virama are marks, now inside words
    "nai\u0308ve cafe\u0301 A\u030a",  # decomposed accents: combining marks
    "x;\n/y\n\n/z",  # punctuation keeps a trailing slash
    "ქართული ენა, فارسی, Ελληνικά, 한국어",
]


@pytest.mark.parametrize("text", VARIED + O200K_HARD)
def test_o200k_ids_match_tiktoken_and_bpe_openai(text):
    ids = O200K.encode(text, disallowed_special=())
    assert OURS.encode(text, disallowed_special=()) == ids
    assert RUST.encode(text, disallowed_special=()) == ids
    assert OURS.decode(ids) == text


def test_o200k_special_tokens_and_sizes():
    assert OURS.special_tokens == {"<|endoftext|>": 199_999, "<|endofprompt|>": 200_018}
    text = "one<|endoftext|>two<|endofprompt|>"
    assert OURS.encode(text, allowed_special="all") == O200K.encode(text, allowed_special="all")
    assert OURS.encode(text, allowed_special="all") == RUST.encode(text, allowed_special="all")
    assert len(OURS.tokens) == data.O200K_TOKENS and OURS.n_vocab == O200K.n_vocab == 200_019


def test_the_pattern_and_specials_agree_with_bpe_openais_copy():
    # tiktoken's definition (read by data.o200k_base) and bpe-openai's own, typed separately
    theirs = registry.o200k_base()
    assert O200K._pat_str == theirs["pat_str"] and O200K._special_tokens == theirs["special_tokens"]
    assert O200K._pat_str != CL100K_PATTERN


@pytest.mark.parametrize(
    "text,cl100k,o200k",
    [
        ("They'll", ["They", "'ll"], ["They'll"]),
        ("camelCase", ["camelCase"], ["camel", "Case"]),
        ("हिन्दी", ["ह", "िन", "्द", "ी"], ["हिन्दी"]),
        (";\n/", [";\n", "/"], [";\n/"]),
    ],
)
def test_what_the_o200k_pattern_changed(text, cl100k, o200k):
    assert pretokenize(text, CL100K_PATTERN) == cl100k
    assert pretokenize(text, OURS.pattern) == o200k


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_o200k_equals_tiktoken_on_arbitrary_unicode(text):
    # lone surrogates included: both replace them with U+FFFD before encoding
    assert OURS.encode_ordinary(text) == O200K.encode_ordinary(text)


@given(st.text(max_size=80))
def test_o200k_round_trip(text):
    assert OURS.decode(OURS.encode_ordinary(text)) == text
