"""embedkit.tokens.subword: WordPiece, Unigram and Hugging Face BPE behave as the chapter says, against our
merges, greedy longest match and the most probable split."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from embedkit.tokens import BPETokenizer


def test_wordpiece_and_unigram_behave_as_described():
    from embedkit.tokens.subword import segment, train_hf_bpe, train_unigram, train_wordpiece

    text = "the cat sat on the mat and the cats sat on the mats while the dog slept\n" * 50
    wp = train_wordpiece(text, 120)
    assert segment(wp, "the ħat") == ["the", "[UNK]"]
    uni = train_unigram(text, 100)
    assert uni.decode(uni.encode("the cats sat").ids) == "the cats sat"
    hf = train_hf_bpe(text, 300)
    assert hf.decode(hf.encode("the cats sat").ids) == "the cats sat"
    with pytest.raises(ValueError, match="vocab_size must be at least 256, got 100"):
        train_hf_bpe(text, 100)


def test_hf_bpe_trainer_learns_our_merges():
    """Hugging Face's Rust trainer and ours count the same pairs: the vocabularies agree up to ties in the
    last merge counts (the two break ties differently)."""
    from embedkit import data
    from embedkit.tokens.subword import train_hf_bpe

    text = data.lee().text[:60_000].replace("\n", " ")  # one line: HF trains line by line
    ours = BPETokenizer.train(text, 400)
    hf = train_hf_bpe(text, 400)
    # GPT-2's printable stand-ins for bytes (ByteLevel), mapped back to the bytes
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [b for b in range(256) if b not in printable]
    to_byte = {chr(c): b for b, c in zip(printable + others, printable + [256 + k for k in range(len(others))])}
    hf_tokens = {bytes(to_byte[ch] for ch in t) for t in hf.get_vocab()}
    last = ours.merges[-1].count
    sure = [ours.tokens[m.new] for m in ours.merges if m.count > last]
    assert len(sure) > 100 and set(sure) <= hf_tokens
    assert len(hf_tokens ^ set(ours.tokens)) <= 2 * sum(m.count == last for m in ours.merges)


SUBWORD_TEXT = "the cat sat on the mat and the cats sat on the mats while the dog slept\n" * 50


@pytest.fixture(scope="module")
def wordpiece():
    from embedkit.tokens.subword import train_wordpiece

    return train_wordpiece(SUBWORD_TEXT, 120)


@pytest.fixture(scope="module")
def unigram():
    from embedkit.tokens.subword import train_unigram

    return train_unigram(SUBWORD_TEXT, 100)


@given(st.lists(st.text(alphabet="thecasomndwilgp,ħ", min_size=1, max_size=9), min_size=1, max_size=4))
def test_wordpiece_segment_is_greedy_longest_match_first(wordpiece, words):
    """The rule the page states, written out: per word, the longest known prefix, then the longest known
    ``##`` continuation, and so on; a word with a part no piece matches is one ``[UNK]``."""
    from embedkit.tokens.subword import segment

    vocab = wordpiece.get_vocab()
    expected = []
    for word, _ in wordpiece.pre_tokenizer.pre_tokenize_str(" ".join(words)):
        pieces, start = [], 0
        while start < len(word):
            prefix = "##" if start else ""
            end = next((e for e in range(len(word), start, -1) if prefix + word[start:e] in vocab), None)
            if end is None:
                pieces = ["[UNK]"]
                break
            pieces.append(prefix + word[start:end])
            start = end
        expected += pieces
    assert segment(wordpiece, " ".join(words)) == expected


@given(st.text(alphabet="thecasomndwilgp", min_size=1, max_size=9))
def test_unigram_segment_is_the_most_probable_split(unigram, word):
    """Brute force over every way to cut ``▁word`` into known pieces: Unigram picks the one with the highest
    total log-probability (Kudo 2018); its Viterbi search must find the same."""
    import itertools
    import json

    from embedkit.tokens.subword import segment

    scores = dict(map(tuple, json.loads(unigram.to_str())["model"]["vocab"]))
    piece = "▁" + word
    best, best_score = None, -math.inf
    for cuts in itertools.product([False, True], repeat=len(piece) - 1):
        bounds = [0, *[i + 1 for i, c in enumerate(cuts) if c], len(piece)]
        parts = [piece[a:b] for a, b in zip(bounds, bounds[1:])]
        if all(p in scores for p in parts):
            total = sum(scores[p] for p in parts)
            if total > best_score + 1e-9:
                best, best_score = parts, total
    assert best is not None
    got = segment(unigram, word)
    assert sum(scores[p] for p in got) == pytest.approx(best_score, abs=1e-6)
    assert "".join(got) == piece
