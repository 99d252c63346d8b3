"""embedkit.words.analogy_scores: the one 3CosMul, against gensim's most_similar_cosmul, in place and not,
and called by every user (the probe, Vectors.most_similar_cosmul, the evaluation)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import keyed_vectors
from embedkit.data import Analogy
from embedkit.words import analogy_scores
from embedkit.words.analogy_scores import COSMUL_EPSILON


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


_keyed = keyed_vectors


@pytest.mark.parametrize("a,b,c", [("man", "king", "woman"), ("japan", "yen", "india"), ("walk", "walked", "swim")])
def test_the_one_3cosmul_equals_gensim_most_similar_cosmul(glove, a, b, c):
    """:func:`analogy_scores.cosmul` against gensim's ``most_similar_cosmul`` scores for every word (``topn=None``):
    both shift cosines to [0, 1] (Levy & Goldberg 2014, footnote 7), so the book's 3CosMul numbers are gensim's."""
    kv = _keyed(glove, 20_000)
    theirs = kv.most_similar_cosmul(positive=[b, c], negative=[a], topn=None)
    unit = glove.unit[:20_000]
    ours = analogy_scores.cosmul(*(unit @ glove.unit[glove.row(w)] for w in (a, b, c)))
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-7)
    assert ours.min() >= 0  # shifted cosines; raw ones would make products of two negatives win


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shape=st.tuples(st.integers(1, 4), st.integers(1, 50)))
def test_cosmul_in_place_is_bit_for_bit_the_same(seed, shape):
    """The batched evaluation (torch, in place, the a cosines computed late) and the probe (NumPy, new arrays)
    run the one formula with the same rounding."""
    import torch

    rng = np.random.default_rng(seed)
    cos = rng.uniform(-1, 1, size=(3, *shape)).astype(np.float32)
    plain = analogy_scores.cosmul(*cos)
    t = [torch.from_numpy(c.copy()) for c in cos]
    in_place = analogy_scores.cosmul(lambda: t[0], t[1], t[2], inplace=True)
    np.testing.assert_array_equal(in_place.numpy(), plain)
    shifted = (1 + cos) / 2  # the formula written out
    np.testing.assert_array_equal(plain, shifted[1] * shifted[2] / (shifted[0] + np.float32(COSMUL_EPSILON)))


def test_evaluation_and_probe_call_the_one_3cosmul(glove, monkeypatch):
    """The probe, :meth:`Vectors.most_similar_cosmul` and both evaluation paths (batched, and exact for near
    ties) score with :mod:`analogy_scores` itself, not with a copy of the formula."""
    from embedkit.probes import analogy as probe
    from embedkit.words import analogies, analogy_ranking

    calls = []
    terms, cosmul = analogy_scores.cosmul_terms, analogy_scores.cosmul

    def spy_terms(*args, **kwargs):
        calls.append("terms")
        return terms(*args, **kwargs)

    def spy_cosmul(*args, **kwargs):
        calls.append("in place" if kwargs.get("inplace") else "cosmul")
        return cosmul(*args, **kwargs)

    monkeypatch.setattr(analogy_scores, "cosmul_terms", spy_terms)
    monkeypatch.setattr(analogy_ranking, "cosmul", spy_cosmul)
    assert probe.solve_analogy(glove, "man", "king", "woman", method="3cosmul", topn=1)[0][0] == "queen"
    assert calls == ["terms"]  # through Vectors.most_similar_cosmul
    questions = [Analogy("x", "man", "king", "woman", "queen")]
    assert analogies.evaluate_analogies(glove, questions, method="3cosmul", restrict_vocab=10_000).n_evaluated == 1
    assert calls == ["terms", "in place"]
    ranker = analogy_ranking.ExactRanker(glove, 1_000, "3cosmul")
    ranker.candidates(glove.row("man"), glove.row("king"), glove.row("woman"))
    assert calls == ["terms", "in place", "terms"]
    assert probe.METHODS is analogies.METHODS is analogy_scores.METHODS
