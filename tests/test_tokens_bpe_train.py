"""embedkit.tokens.bpe_train: incremental training equals the full recount, the merge history, and what
training refuses."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer
from embedkit.tokens.pretokenize import CL100K_PATTERN


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


def test_merge_history_describes_the_vocabulary(trained):
    for m in trained.merges:
        assert trained.tokens[m.new] == trained.tokens[m.left] + trained.tokens[m.right]
    counts = [m.count for m in trained.merges]
    assert counts[0] == max(counts)


def test_vocab_size_below_256_is_refused():
    with pytest.raises(ValueError, match="vocab_size must be at least 256.*got 200"):
        BPETokenizer.train("some text", 200)
    with pytest.raises(ValueError, match="at least 256.*1 special tokens = 257, got 256"):
        BPETokenizer.train("some text", 256, special_tokens=["<|endoftext|>"])


BYTES_ONLY = {bytes([i]): i for i in range(256)}


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


@given(st.lists(st.lists(st.integers(0, 5), max_size=12), min_size=1, max_size=8),
       st.lists(st.integers(1, 4), min_size=8, max_size=8))
def test_each_step_keeps_the_counts_of_a_full_recount(chunks, freqs):
    """The three steps the page explains, one at a time: after every incremental merge the pair counts are
    those of counting every chunk again, and the best pair is the most frequent (ties: smaller ids)."""
    from embedkit.tokens.bpe_train import best_pair, count_pairs, merge_pair

    words, freqs = [list(c) for c in chunks], freqs[: len(chunks)]
    table = count_pairs(words, freqs)
    new = 6
    while True:
        recount = Counter()
        for word, f in zip(words, freqs):
            for pair in zip(word, word[1:]):
                recount[pair] += f
        assert {p: c for p, c in table.counts.items() if c} == dict(recount)
        best = best_pair(table)
        frequent = [p for p, c in recount.items() if c >= 2]
        if best is None:
            assert not frequent
            break
        assert best == (min(frequent, key=lambda p: (-recount[p], p)), recount[best[0]])
        merge_pair(table, words, freqs, best[0], new)
        new += 1
