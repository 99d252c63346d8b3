"""Bad input gets a clear error: a table of misuses across the public API of ``embedkit``.

Each case is ``(id, call, exception type, fragment of the message)``. The fragment is what a reader needs to
fix the call: usually the argument's name and what was expected. A case fails when the call succeeds, raises
another type (an ``AttributeError`` or ``IndexError`` from deep inside is exactly what this file exists to
prevent), or says something that does not contain the fragment.

Calls are zero-argument lambdas so that building the table costs nothing; expensive inputs (GloVe, a trained
tokenizer) come from the small cached builders below.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest
import torch

nan, inf = math.nan, math.inf


@functools.cache
def small_vectors():
    from embedkit import Vectors

    rng = np.random.default_rng(0)
    return Vectors(rng.normal(size=(6, 8)), ["king", "queen", "man", "woman", "cat", "mat"])


def case(id_, call, exc, fragment):
    return pytest.param(call, exc, fragment, id=id_)


# -- checks (the shared validation module) ------------------------------------------------------------------
from embedkit import checks  # noqa: E402

CHECKS = [
    case("integer refuses bool", lambda: checks.integer("window", True, minimum=1), TypeError, "window must be an integer"),
    case("integer refuses float", lambda: checks.integer("window", 2.0, minimum=1), TypeError, "got 2.0 (float)"),
    case("integer below minimum", lambda: checks.integer("window", 0, minimum=1), ValueError, "window must be an integer >= 1, got 0"),
    case("real refuses nan", lambda: checks.real("alpha", nan), ValueError, "alpha must be a finite number"),
    case("real refuses a string", lambda: checks.real("alpha", "0.1"), TypeError, "alpha must be a finite number"),
    case("strings refuses a bare str", lambda: checks.strings("special_tokens", "<|eot|>"), TypeError, "single str"),
    case("array refuses nan", lambda: checks.array("query", [1.0, nan]), ValueError, "query must be finite"),
    case("tensor refuses an ndarray", lambda: checks.tensor("q", np.zeros(4)), TypeError, "q must be a torch.Tensor"),
]

# -- vectors, data, corpus, words probes and evaluation --------------------------------------------------
from embedkit import Corpus, Vectors, data  # noqa: E402
from embedkit.probes import analogy as _analogy, axis as _axis, wordmap as _wordmap  # noqa: E402
from embedkit import words as _evaluate  # noqa: E402  (evaluate_word_pairs, evaluate_analogies)

_ABC = ["king", "queen", "man", "woman", "cat", "mat"]
_M = np.random.default_rng(0).normal(size=(6, 8))
_NAN_ROW = np.where(np.arange(6)[:, None] == 2, nan, _M)  # row 2 ("man") holds NaN

VECTORS = [
    case("Vectors refuses NaN rows, naming the word", lambda: Vectors(_NAN_ROW, _ABC), ValueError, "row 2 (word 'man') holding nan"),
    case("Vectors refuses inf", lambda: Vectors(np.full((2, 2), inf), ["a", "b"]), ValueError, "vectors must be finite"),
    case("Vectors with words and matrix swapped", lambda: Vectors(_ABC, _M), TypeError, "the matrix comes first"),
    case("Vectors with a bare string of words", lambda: Vectors(_M[:3], "abc"), TypeError, "words must be a collection of strings"),
    case("Vectors with duplicate words", lambda: Vectors(_M[:3], ["a", "b", "a"]), ValueError, "got 'a' at rows 0 and 2"),
    case("Vectors with too few words", lambda: Vectors(_M, _ABC[:4]), ValueError, "got 4 words for 6 vector rows"),
    case("Vectors empty", lambda: Vectors(np.zeros((0, 8)), []), ValueError, "at least one row and one column"),
    case("most_similar(42)", lambda: data.glove().most_similar(42), TypeError, "positive must be a word, a vector, or a list"),
    case("most_similar NaN query vector", lambda: data.glove().most_similar([np.full(50, nan)]), ValueError, "positive[0] must be finite"),
    case("most_similar topn=True", lambda: data.glove().most_similar("frog", topn=True), TypeError, "topn must be an integer >= 1, got True (bool)"),
    case("most_similar topn=0", lambda: data.glove().most_similar("frog", topn=0), ValueError, "topn must be an integer >= 1, got 0"),
    case("most_similar terms that cancel out", lambda: data.glove().most_similar("king", negative="king"), ValueError, "query vector is zero"),
    case("similarity of None", lambda: data.glove().similarity(None, "frog"), TypeError, "word must be a string, got None"),
    case("word pairs with a NaN score", lambda: _evaluate.evaluate_word_pairs(data.glove(), [("cat", "dog", nan), ("cat", "car", 2.0)]),
         ValueError, "pairs[0] score must be a finite number, got nan"),
    case("analogy of five words", lambda: _evaluate.evaluate_analogies(data.glove(), [("a", "b", "c", "d", "e")]),
         ValueError, "four words (a, b, c, d), got 5 words"),
    case("analogy given as one string", lambda: _evaluate.evaluate_analogies(data.glove(), ["abcd"]), TypeError, "got a single string 'abcd'"),
    case("evaluation restrict_vocab=0", lambda: _evaluate.evaluate_word_pairs(data.glove(), data.wordsim353(), restrict_vocab=0),
         ValueError, "restrict_vocab must be an integer >= 1, got 0"),
    case("word pairs by name", lambda: _evaluate.evaluate_word_pairs(data.glove(), "wordsim353"),
         TypeError, "load a data set with embedkit.data, e.g. data.wordsim353()"),
    case("most_similar_cosmul with no positive", lambda: data.glove().most_similar_cosmul(negative=["man"]),
         ValueError, "give at least one word or vector in positive="),
    case("most_similar_cosmul topn=0", lambda: data.glove().most_similar_cosmul("frog", topn=0), ValueError,
         "topn must be an integer >= 1, got 0"),
    case("evaluation restrict_vocab=2.5e4", lambda: _evaluate.evaluate_analogies(data.glove(), data.google_analogies(), restrict_vocab=2.5e4),
         TypeError, "restrict_vocab must be an integer >= 1, got 25000.0 (float)"),
    case("solve_analogy with None", lambda: _analogy.solve_analogy(data.glove(), None, "king", "woman"), TypeError, "a must be a string, got None"),
    case("semantic axis pole of None", lambda: _axis.semantic_axis(data.glove(), [None], "she"), TypeError, "positive pole[0] must be a string"),
    case("axis of NaN", lambda: _axis.project(data.glove(), np.full(50, nan), ["nurse"]), ValueError, "axis must be finite"),
    case("word map of a list", lambda: _wordmap.word_map(data.glove(), ["cat", "dog", "cow"]), TypeError, "groups must be a dict"),
    case("corpus titles do not match", lambda: Corpus("c", ("one", "two"), ("a",)), ValueError, "1 titles for 2 documents"),
    case("missing data package", lambda: data.package_dir("no_such_pkg", "no-such-pkg"), data.MissingDataError, "pip install no-such-pkg"),
]

# -- word trainers: word2vec, GloVe, FastText, PPMI + SVD --------------------------------------------------
@functools.cache
def _lee200():
    from embedkit import data

    return data.lee().sentences[:200]


def _w2v(**kw):
    from embedkit.words import train_word2vec

    return train_word2vec(_lee200(), **{"dim": 8, "min_count": 2, "epochs": 1, **kw})


def _fasttext(**kw):
    from embedkit.words import train_fasttext

    return train_fasttext(_lee200(), **{"dim": 8, "min_count": 2, "epochs": 1, **kw})


def _glove(**kw):
    from embedkit.words import train_glove

    return train_glove(_lee200(), **{"dim": 8, "min_count": 2, "epochs": 2, **kw})


def _ppmi_svd(**kw):
    from embedkit.words import ppmi_svd

    return ppmi_svd(_lee200(), **{"dim": 8, "min_count": 2, **kw})


def _lab_config(**kw):
    from embedkit.lab.train import TrainConfig

    return TrainConfig(**{"seq_len": 16, "steps": 6, "batch_size": 4, "warmup": 1, **kw})


def _lab_train(**kw):
    from embedkit.lab.tasks import CharText
    from embedkit.lab.train import train_lm

    text = CharText.from_text("in the beginning was the word\n" * 40, valid_fraction=0.25)
    return train_lm(text, "rope", _lab_config(**kw), d_model=16, n_heads=2, n_layers=1)


def _tokens_lm(**kw):
    from embedkit.tokens.embedding import train_lm

    ids = np.random.default_rng(0).integers(0, 40, 6000)
    return train_lm(ids, 40, **{"steps": 6, "batch_size": 4, "d_model": 16, "n_heads": 2, "n_layers": 1,
                                "context": 16, **kw})


TRAINERS = [
    case("FastText query that is neither word nor vector", lambda: _fasttext().most_similar(42), TypeError, "positive"),
    case("small vectors: topn as bool", lambda: small_vectors().most_similar("king", topn=True), TypeError, "topn must be an integer"),
    case("word2vec alpha inf", lambda: _w2v(alpha=inf), ValueError,
         "alpha (the starting learning rate) must be a finite number > 0, got inf"),
    case("word2vec alpha 0", lambda: _w2v(alpha=0), ValueError, "alpha (the starting learning rate) must be a finite number > 0, got 0"),
    case("word2vec alpha string", lambda: _w2v(alpha="0.025"), TypeError, "alpha (the starting learning rate) must be a finite number"),
    case("skip-gram alpha 1e6 diverges", lambda: _w2v(alpha=1e6), ValueError, "try 250000) or a smaller batch_size"),
    case("skip-gram alpha 1e6 diverges in threads", lambda: _w2v(alpha=1e6, workers=2), ValueError,
         "word2vec (skip-gram) training diverged"),
    case("CBOW alpha 1e6 diverges", lambda: _w2v(sg=False, alpha=1e6), ValueError, "word2vec (CBOW) training diverged"),
    case("word2vec min_alpha above alpha", lambda: _w2v(min_alpha=0.5), ValueError,
         "min_alpha (the final learning rate) must be a finite number >= 0 and <= 0.025, got 0.5"),
    case("word2vec min_alpha nan", lambda: _w2v(min_alpha=nan), ValueError, "min_alpha (the final learning rate) must be a finite number"),
    case("word2vec window float", lambda: _w2v(window=2.5), TypeError, "window must be an integer >= 1, got 2.5 (float)"),
    case("word2vec negative bool", lambda: _w2v(negative=True), TypeError, "negative must be an integer >= 1, got True (bool)"),
    case("word2vec epochs 0", lambda: _w2v(epochs=0), ValueError, "epochs must be an integer >= 1, got 0"),
    case("word2vec sample negative", lambda: _w2v(sample=-0.1), ValueError,
         "sample (the subsampling threshold) must be a finite number >= 0 and < 1, got -0.1"),
    case("word2vec sample nan", lambda: _w2v(sample=nan), ValueError, "sample (the subsampling threshold) must be a finite number"),
    case("word2vec seed negative", lambda: _w2v(seed=-1), ValueError, "seed must be an integer >= 0"),
    case("word2vec workers 0", lambda: _w2v(workers=0), ValueError, "workers must be an integer >= 1, got 0"),
    case("word2vec batch_size float", lambda: _w2v(batch_size=1e3), TypeError, "batch_size must be an integer >= 1, got 1000.0 (float)"),
    case("fasttext alpha 1e6 diverges", lambda: _fasttext(alpha=1e6), ValueError, "FastText training diverged"),
    case("fasttext maxn float", lambda: _fasttext(maxn=2.5), TypeError, "maxn must be an integer >= 0, got 2.5 (float)"),
    case("glove learning_rate inf", lambda: _glove(learning_rate=inf), ValueError, "learning_rate must be a finite number > 0, got inf"),
    case("glove learning_rate negative", lambda: _glove(learning_rate=-0.05), ValueError, "learning_rate must be a finite number > 0"),
    case("glove learning_rate 1e30 diverges", lambda: _glove(learning_rate=1e30), ValueError,
         "GloVe training diverged: the loss became NaN or infinite in epoch 1 of 2"),
    case("glove x_max inf", lambda: _glove(x_max=inf), ValueError, "x_max (where the weighting f reaches 1) must be a finite number > 0"),
    case("glove alpha 0", lambda: _glove(alpha=0), ValueError, "alpha (the exponent of the weighting f) must be a finite number > 0 and <= 1"),
    case("glove window 0", lambda: _glove(window=0), ValueError, "window must be an integer >= 1, got 0"),
    case("ppmi_svd eig nan", lambda: _ppmi_svd(eig=nan), ValueError, "eig (the exponent of the singular values) must be a finite number >= 0"),
    case("ppmi_svd cds 0", lambda: _ppmi_svd(cds=0), ValueError, "cds (the context-distribution smoothing exponent) must be a finite number > 0"),
    case("ppmi_svd window float", lambda: _ppmi_svd(window=1.5), TypeError, "window must be an integer >= 1, got 1.5 (float)"),
    case("cooccurrence weighting unknown",
         lambda: __import__("embedkit.words.cooccurrence", fromlist=["x"]).cooccurrence_matrix(
             np.array([0, 1]), np.array([0, 0]), 2, 2, weighting="log"),
         ValueError, "weighting must be one of 'uniform', 'harmonic', got 'log'"),
    case("lab lr inf", lambda: _lab_config(lr=inf), ValueError, "lr (the peak learning rate) must be a finite number > 0, got inf"),
    case("lab clip 0", lambda: _lab_config(clip=0), ValueError, "clip (the largest gradient norm) must be a finite number > 0"),
    case("lab warmup float", lambda: _lab_config(warmup=1.5), TypeError, "warmup must be an integer >= 0, got 1.5 (float)"),
    case("lab lr 1e6 diverges", lambda: _lab_train(lr=1e6), ValueError, "training diverged: the loss became NaN or infinite at step"),
    case("small LM lr 1e6 diverges", lambda: _tokens_lm(lr=1e6), ValueError, "Train again with a smaller lr (it is 1e+06"),
]

# -- tokens: BPE, pre-split, subword schemes, token embeddings, tokenizer probe ----------------------------
@functools.cache
def small_tokenizer():
    from embedkit.tokens import BPETokenizer

    return BPETokenizer.train("the cat sat on the mat; the cats sat on the mats. " * 20, 300, special_tokens=["<|eot|>"])


def _tok(name):
    import embedkit.tokens.embedding as embedding
    import embedkit.tokens.stats as stats
    import embedkit.tokens.subword as subword
    from embedkit.probes import tokenizer as probe
    from embedkit.tokens import BPETokenizer, pretokenize, token_label

    return {"BPETokenizer": BPETokenizer, "pretokenize": pretokenize, "token_label": token_label, "stats": stats,
            "subword": subword, "embedding": embedding, "probe": probe}[name]


def _tok_file(tmp_name, content):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / tmp_name
    path.write_bytes(content)
    return path


TOKENS = [
    case("train special_tokens as one str", lambda: _tok("BPETokenizer").train("a <|eot|> b", 300, special_tokens="<|eot|>"),
         TypeError, "special_tokens must be a collection of strings such as ['<|eot|>']"),
    case("train an empty special token", lambda: _tok("BPETokenizer").train("abc", 300, special_tokens=[""]),
         ValueError, "special_tokens[0] must be a non-empty string"),
    case("train vocab_size float", lambda: _tok("BPETokenizer").train("abc", 300.0), TypeError, "vocab_size must be an integer, got 300.0 (float)"),
    case("train vocab_size below 256", lambda: _tok("BPETokenizer").train("abc", 100), ValueError, "vocab_size must be at least 256"),
    case("train text None", lambda: _tok("BPETokenizer").train(None, 300), TypeError, "text must be a string, got None"),
    case("train progress not callable", lambda: _tok("BPETokenizer").train("abc", 300, progress=5), TypeError, "progress must be a function"),
    case("pattern that drops text", lambda: _tok("BPETokenizer")({bytes([i]): i for i in range(256)}, pattern=r"\w+").encode("hello, world!"),
         ValueError, "does not cover the text: characters 5 .. 6 (', ')"),
    case("pattern not a regex", lambda: _tok("pretokenize")("abc", "(unclosed"), ValueError, "pattern is not a valid regular expression"),
    case("encode bytes", lambda: small_tokenizer().encode(b"the cat"), TypeError, "text must be a string, got b'the cat' (bytes)"),
    case("encode_chunk str", lambda: small_tokenizer().encode_chunk("the"), TypeError, "chunk must be bytes"),
    case("allowed_special with a non-string", lambda: small_tokenizer().encode("x", allowed_special=[1]), TypeError, "allowed_special[0] must be a string"),
    case("decode None", lambda: small_tokenizer().decode(None), TypeError, "ids must be a sequence of token ids"),
    case("decode a string", lambda: small_tokenizer().decode("the"), TypeError, "ids must be a sequence of token ids"),
    case("decode id out of range", lambda: small_tokenizer().decode([5000]), ValueError, "invalid token id 5000: expected 0 .."),
    case("decode negative id", lambda: small_tokenizer().decode([-1]), ValueError, "invalid token id -1"),
    case("decode bool id", lambda: small_tokenizer().decode([True]), TypeError, "token ids are integers, got bool"),
    case("decode float id", lambda: small_tokenizer().decode([3.0]), TypeError, "token ids are integers, got float"),
    case("decode unknown errors handler", lambda: small_tokenizer().decode([1], errors="nope"), ValueError, "errors must be a codec error handler"),
    case("truncate float", lambda: small_tokenizer().truncate(260.0), TypeError, "n_tokens must be an integer, got 260.0 (float)"),
    case("special token id inside the ordinary ids", lambda: _tok("BPETokenizer")({bytes([i]): i for i in range(256)}, special_tokens={"<s>": 3}),
         ValueError, "special ids must be integers >= 256"),
    case("load a missing file", lambda: _tok("BPETokenizer").load("/nonexistent/tokenizer.json"), FileNotFoundError, "no tokenizer file at"),
    case("load a binary file", lambda: _tok("BPETokenizer").load(_tok_file("t.json", b"\xff\xfe\x00")), ValueError, "not JSON"),
    case("load a record without tokens", lambda: _tok("BPETokenizer").load(_tok_file("t.json", b'{"format": "embedkit-bpe/1", "name": "x"}')),
         ValueError, "field 'pattern' must be a str"),
    case("token_label of a str", lambda: _tok("token_label")("the"), TypeError, "piece must be bytes"),
    case("vocabulary_growth of a str", lambda: _tok("stats").vocabulary_growth("the cat sat"), TypeError, "tokens must be a list of words"),
    case("vocabulary_growth points float", lambda: _tok("stats").vocabulary_growth(["a", "b"] * 50, points=5.5), TypeError, "points must be an integer >= 2"),
    case("oov_rate vocab_size bool", lambda: _tok("stats").oov_rate(["a"], ["a"], vocab_size=True), TypeError, "vocab_size must be an integer >= 1, got True"),
    case("zipf_fit with a zero count", lambda: _tok("stats").zipf_fit({f"w{i}": i for i in range(100)}, ranks=(1, 50)), ValueError, "counts must be positive"),
    case("wordpiece vocab_size as a str", lambda: _tok("subword").train_wordpiece("a b c", "200"), TypeError, "vocab_size must be an integer, got '200'"),
    case("unigram text of ints", lambda: _tok("subword").train_unigram([1, 2], 200), TypeError, "text[0] must be a str"),
    case("one_hot_lookup float ids", lambda: _tok("embedding").one_hot_lookup(torch.tensor([1.0]), torch.zeros(4, 2)), TypeError, "ids must be an integer tensor"),
    case("TinyLM forward ids out of range", lambda: _tok("embedding").TinyLM(10, d_model=8, n_heads=2, n_layers=1, context=4)(torch.tensor([[3, 12]])),
         ValueError, "ids must lie in 0 .. 9"),
    case("train_lm valid_fraction 1", lambda: _tok("embedding").train_lm(list(range(10)) * 100, 10, valid_fraction=1.0), ValueError, "valid_fraction must be a finite number > 0 and < 1"),
    case("train_lm ids beyond n_vocab", lambda: _tok("embedding").train_lm([0, 5, 11] * 500, 10), ValueError, "ids must lie in 0 .. 9"),
    case("token_vectors with too few rows", lambda: _tok("embedding").token_vectors(np.zeros((10, 4)), small_tokenizer()), ValueError, "weight has 10 rows"),
    case("inspector with a non-tokenizer", lambda: _tok("probe").TokenizerInspector({"x": "cl100k"}), TypeError, "must be an embedkit BPETokenizer or a tiktoken.Encoding"),
    case("token_table width 0", lambda: _tok("probe").token_table({"s": small_tokenizer()}, {"a": "the cat"}, width=0), ValueError, "width must be an integer >= 1"),
    case("token_neighbours_table with one str", lambda: _tok("probe").token_neighbours_table(
        _tok("embedding").token_vectors(np.eye(300)[:, :20] + 0.01, small_tokenizer()), "␣the"), TypeError, "tokens must be a collection of strings"),
]

# -- positions, attention, rotary, RoPE scaling, their probes, the lab --------------------------------------
from embedkit import positions as _positions, rotary as _rotary  # noqa: E402
from embedkit.positions import attention as _attention  # noqa: E402
from embedkit.rotary import scaling as _scaling  # noqa: E402
from embedkit.lab import evaluate as _lab_evaluate, model as _lab_model, tasks as _lab_tasks  # noqa: E402
from embedkit.probes import position_similarity as _similarity, rotation as _rotation  # noqa: E402

POSITIONS = [
    case("RoPE head_dim bool", lambda: _rotary.RoPE(True), TypeError, "head_dim must be an integer >= 1, got True (bool)"),
    case("RoPE head_dim float", lambda: _rotary.RoPE(64.0), TypeError, "head_dim must be an integer >= 1, got 64.0 (float)"),
    case("RoPE odd head_dim", lambda: _rotary.RoPE(63), ValueError, "head_dim must be even"),
    case("RoPE base inf", lambda: _rotary.RoPE(8, base=inf), ValueError, "base must be a finite number > 1, got inf"),
    case("RoPE base <= 1", lambda: _rotary.RoPE(8, base=1.0), ValueError, "base must be a finite number > 1, got 1.0"),
    case("RoPE rotary_fraction rotates no channel", lambda: _rotary.RoPE(64, rotary_fraction=0.01), ValueError,
         "rotates 0 channels; it must be a positive even number"),
    case("RoPE rotary_fraction odd rotated dim", lambda: _rotary.RoPE(10, rotary_fraction=0.5), ValueError,
         "rotates 5 channels; it must be a positive even number"),
    case("RoPE max_positions past the limit", lambda: _rotary.RoPE(8, max_positions=2**60), ValueError,
         "max_positions must be an integer >= 1 and <= 9007199254740992"),
    case("RoPE positions float", lambda: _rotary.RoPE(8).rotate(torch.zeros(2, 8), [0.0, 1.0]), TypeError,
         "positions must hold integers (token indices), got dtype torch.float32"),
    case("RoPE positions 2-D", lambda: _rotary.RoPE(8).rotate(torch.zeros(2, 8), [[0, 1]]), ValueError,
         "positions must be a 1-D tensor of positions (seq,), got shape (1, 2)"),
    case("RoPE negative position", lambda: _rotary.RoPE(8).cos_sin([3, -1]), ValueError, "positions must be >= 0 (token indices), got -1"),
    case("RoPE offset float", lambda: _rotary.RoPE(8).rotate(torch.zeros(2, 8), offset=1.5), TypeError,
         "offset must be an integer >= 0, got 1.5 (float)"),
    case("apply integer x", lambda: _rotary.apply(torch.zeros(3, 8, dtype=torch.long), torch.zeros(3, 4), torch.zeros(3, 4)),
         TypeError, "x must be a floating-point tensor"),
    case("angles inv_freq list", lambda: _rotary.angles([0, 1], [1.0, 0.1]), TypeError, "inv_freq must be a torch.Tensor"),
    case("M-RoPE sections not summing to the pairs",
         lambda: _rotary.mrope_cos_sin([0, 1], _rotary.inverse_frequencies(16), [2, 3, 2]), ValueError,
         "mrope_section must add up to the number of pairs (head_dim / 2 = 8), got [2, 3, 2] (sum 7)"),
    case("M-RoPE positions of the wrong shape",
         lambda: _rotary.mrope_cos_sin([[0, 1]], _rotary.inverse_frequencies(16), [2, 3, 3]), ValueError,
         "positions must have shape (seq,) for text or (3, seq) for (time, height, width), got shape (1, 2)"),
    case("M-RoPE x nan", lambda: _rotary.apply_mrope(torch.full((2, 16), nan), [0, 1], _rotary.inverse_frequencies(16),
                                                    [2, 3, 3]), ValueError, "x must be finite, got 32 non-finite value(s)"),
    case("M-RoPE sections that cannot interleave", lambda: _rotary.pair_axes([16, 24, 24], layout="interleaved"),
         ValueError, "mrope_section [16, 24, 24] cannot be interleaved over 64 pairs: the pattern t, h, w, … gives [22, 21, 21]"),
    case("M-RoPE image short of placeholders", lambda: _rotary.rope_index([1, 9, 9, 2], 9, [[1, 4, 4]]), ValueError,
         "image 0 with grid (1, 4, 4) needs 4 placeholder tokens from index 1, got 2"),
    case("scaling unknown type lists the known", lambda: _rotary.RoPE(8, scaling={"rope_type": "ntk", "factor": 2.0}),
         ValueError, "unknown scaling rope_type 'ntk'; expected one of default, linear, dynamic, yarn, llama3, longrope"),
    case("scaling factor nan", lambda: _scaling.check_scaling({"rope_type": "linear", "factor": nan}), ValueError,
         "scaling factor must be a finite number >= 1, got nan"),
    case("scaling factor zero", lambda: _scaling.check_scaling({"rope_type": "linear", "factor": 0}), ValueError,
         "scaling factor must be a finite number >= 1, got 0.0"),
    case("scaling factor string", lambda: _scaling.check_scaling({"rope_type": "linear", "factor": "2"}), TypeError,
         "scaling factor must be a finite number >= 1, got '2' (str)"),
    case("yarn beta_fast below beta_slow", lambda: _scaling.check_scaling(
        {"rope_type": "yarn", "factor": 2.0, "original_max_position_embeddings": 64, "beta_fast": 1, "beta_slow": 4}),
         ValueError, "yarn scaling needs beta_fast > beta_slow"),
    case("longrope zero factor", lambda: _scaling.check_scaling(
        {"rope_type": "longrope", "factor": 2.0, "original_max_position_embeddings": 16, "short_factor": [0, 1], "long_factor": [1, 1]}),
         ValueError, "scaling short_factor must be a non-empty list of positive numbers"),
    case("dynamic without the model's length", lambda: _rotary.RoPE.from_rope_parameters(8, {"type": "dynamic", "factor": 2.0}),
         ValueError, "dynamic scaling needs the model's max_position_embeddings"),
    case("sinusoidal base nan", lambda: _positions.sinusoidal(4, 8, nan), ValueError, "base must be a finite number > 1, got nan"),
    case("sinusoidal dim bool", lambda: _positions.sinusoidal(4, True), TypeError, "dim must be an integer >= 2, got True (bool)"),
    case("sinusoidal_dot float offset", lambda: _positions.sinusoidal_dot(1.5, 8), TypeError, "offset must hold integers"),
    case("ALiBi head count float", lambda: _positions.ALiBi(2.0), TypeError, "n_heads must be an integer >= 1, got 2.0 (float)"),
    case("ALiBi head count zero", lambda: _positions.alibi_slopes(0), ValueError, "n_heads must be an integer >= 1, got 0"),
    case("alibi_bias slopes list", lambda: _positions.alibi_bias([0.5, 0.25], [0, 1], [0, 1]), TypeError, "slopes must be a torch.Tensor"),
    case("T5 bidirectional string", lambda: _positions.relative_position_bucket(torch.arange(3), bidirectional="yes"), TypeError,
         "bidirectional must be True or False, got 'yes' (str)"),
    case("T5 odd buckets bidirectional", lambda: _positions.T5RelativeBias(2, num_buckets=31, bidirectional=True), ValueError,
         "num_buckets must be even when bidirectional"),
    case("T5 max_distance too small", lambda: _positions.T5RelativeBias(2, num_buckets=32, max_distance=8, bidirectional=True),
         ValueError, "max_distance > 8"),
    case("learned positions negative", lambda: _positions.LearnedPositions(4, 8)([0, -2]), ValueError,
         "positions must be >= 0 (token indices), got -2"),
    case("attention int q/k/v", lambda: _attention.attention(*(torch.zeros(1, 2, 3, 4, dtype=torch.long),) * 3), TypeError,
         "q must have a floating dtype, got torch.int64"),
    case("attention q/k head_dim mismatch", lambda: _attention.attention(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 5),
                                                                         torch.zeros(1, 2, 3, 5)), ValueError, "must agree in batch (dim 0) and head_dim (dim 3)"),
    case("attention q/k dtype mismatch", lambda: _attention.attention(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4, dtype=torch.float64),
                                                                      torch.zeros(1, 2, 3, 4, dtype=torch.float64)), TypeError, "q, k and v must have the same dtype"),
    case("attention causal string", lambda: _attention.attention(*(torch.zeros(1, 2, 3, 4),) * 3, causal="no"), TypeError,
         "causal must be True or False, got 'no' (str)"),
    case("SelfAttention n_heads bool", lambda: _attention.SelfAttention(4, True), TypeError, "n_heads must be an integer >= 1, got True (bool)"),
    case("lab scheme unknown", lambda: _lab_model.PositionLM(10, "ROPE"), ValueError,
         "scheme must be one of 'nope', 'learned', 'sinusoidal', 'alibi', 't5', 'rope', 'rnope', 'p_rope', got 'ROPE'"),
    case("lab vocab_size float", lambda: _lab_model.PositionLM(10.0, "rope"), TypeError, "vocab_size must be an integer >= 2, got 10.0 (float)"),
    case("lab ids beyond the vocabulary", lambda: _lab_model.PositionLM(10, "nope")(torch.tensor([[3, 12]])), ValueError,
         "ids must be token ids in 0..9 (vocab_size=10), got 12"),
    case("lab window length float", lambda: _lab_tasks.spaced_windows(torch.arange(100), 2.5, 3), TypeError,
         "length must be an integer >= 1, got 2.5 (float)"),
    case("lab window length past the text", lambda: _lab_tasks.random_windows(torch.arange(10), 10, 2, torch.Generator()),
         ValueError, "length must be shorter than the text (10 ids), got 10"),
    case("lab evaluate length zero", lambda: _lab_evaluate.evaluate(_lab_model.PositionLM(10, "nope"), torch.arange(100) % 10, [4, 0]),
         ValueError, "lengths[1] must be an integer >= 1, got 0"),
    case("lab scaled_ropes factor nan", lambda: _lab_evaluate.scaled_ropes(_rotary.RoPE(8), factor=nan, original_length=16),
         ValueError, "factor must be a finite number >= 1, got nan"),
    case("dial table float positions", lambda: _rotation.dial_table(16, pairs=(0,), positions=[0.5]), TypeError,
         "positions must hold integers"),
    case("similarity profile float position", lambda: _similarity.similarity_profile(2.5, 16), TypeError,
         "position must be an integer, got 2.5 (float)"),
    case("partial_rope odd rotary_dim", lambda: _rotary.partial_rope(16, 5), ValueError,
         "rotary_dim must be even (channels turn in pairs), got 5"),
    case("partial_rope rotary_dim above head_dim", lambda: _rotary.partial_rope(16, 20), ValueError,
         "rotary_dim must be an integer >= 2 and <= 16, got 20"),
    case("split_scores non-finite q", lambda: _rotary.split_scores(
        torch.full((2, 8), nan), torch.zeros(2, 8), _rotary.partial_rope(8, 4)), ValueError, "q must be finite"),
    case("kv_cache_bytes config without heads", lambda: _rotary.kv_cache_bytes({"num_hidden_layers": 2}),
         TypeError, "num_attention_heads must be an integer >= 1, got None"),
    case("rope_layers list too short", lambda: _rotary.rope_layers(4, no_rope_layers=[1, 0]), ValueError,
         "no_rope_layers must have at least num_layers=4 entries, got 2"),
    case("rope_layers flag 2", lambda: _rotary.rope_layers(2, no_rope_layers=[1, 2]), ValueError,
         "no_rope_layers[1] must be an integer >= 0 and <= 1, got 2"),
    case("attention_temperature floor_scale 0", lambda: _rotary.attention_temperature([0], floor_scale=0),
         ValueError, "floor_scale must be an integer >= 1, got 0"),
    case("layer_attention rope not a RoPE", lambda: _rotary.layer_attention(
        torch.zeros(1, 1, 2, 8), torch.zeros(1, 1, 2, 8), torch.zeros(1, 1, 2, 8), rope=object()),
         TypeError, "rope must be None (a NoPE layer) or an embedkit.rotary.RoPE"),
]


@pytest.mark.parametrize("call,exc,fragment", CHECKS + VECTORS + TRAINERS + TOKENS + POSITIONS)
def test_bad_input_gets_a_clear_error(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc or isinstance(info.value, exc)
    message = str(info.value)
    assert fragment in message, f"message {message!r} does not say {fragment!r}"
    assert not re.search(r"\bNone\b.*has no attribute|index \d+ is out of bounds", message)


def test_the_table_covers_every_area():
    sizes = {"vectors": len(VECTORS), "trainers": len(TRAINERS), "tokens": len(TOKENS), "positions": len(POSITIONS)}
    assert sum(sizes.values()) + len(CHECKS) >= 60, sizes
    assert all(n >= 8 for n in sizes.values()), sizes
