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
    return Vectors(["king", "queen", "man", "woman", "cat", "mat"], rng.normal(size=(6, 8)))


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
VECTORS = [
]

# -- word trainers: word2vec, GloVe, FastText, PPMI + SVD --------------------------------------------------
TRAINERS = [
]

# -- tokens: BPE, pre-split, subword schemes, token embeddings, tokenizer probe ----------------------------
TOKENS = [
]

# -- positions, attention, rotary, RoPE scaling, their probes, the lab --------------------------------------
POSITIONS = [
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
