"""embedkit.words.analogy_search: the bounded 3CosAdd search must return what scoring every word returns.

The reference here scores every (question, word) pair with one matrix product, the query words masked.
The bounded search must find the same best row, the same best score, and a runner-up that is exact
whenever it is close enough to matter (within the tie tolerance), on random vectors built to make the
bounds prune, with exact ties, and on the real GloVe vectors over the full 300,000 words."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import data
from embedkit.words import analogy_ranking, known_words
from embedkit.words.analogies import evaluate_analogies
from embedkit.words.analogy_search import best_3cosadd

TOL = analogy_ranking.TIE_TOLERANCE


def _brute_force(unit: torch.Tensor, abc: np.ndarray):
    """Every score, query words masked: best row, best and second-best cosine per question."""
    abc_t = torch.from_numpy(abc)
    q = unit[abc_t[:, 1]] - unit[abc_t[:, 0]] + unit[abc_t[:, 2]]
    q = q / q.norm(dim=1, keepdim=True)
    s = q @ unit.T
    s.scatter_(1, abc_t, float("-inf"))
    top, rows = s.topk(min(2, s.shape[1]), dim=1)
    return rows[:, 0].numpy(), top.numpy()


def _check(unit, abc, found):
    rows, top = _brute_force(unit, abc)
    np.testing.assert_allclose(found.scores[:, 0], top[:, 0], atol=1e-5)
    gap = top[:, 0] - top[:, 1]
    found_gap = found.scores[:, 0] - found.scores[:, 1]
    clear = gap > 3 * TOL
    # A clear winner: the same row, and no near tie is reported (the runner-up may be a lower bound).
    assert (found.rows[clear] == rows[clear]).all()
    assert (found_gap[clear] > TOL).all()
    # A near tie: the search must see it too, with the exact runner-up.
    close = gap <= TOL / 2
    assert (found_gap[close] <= TOL).all()
    np.testing.assert_allclose(found.scores[close, 1], top[close, 1], atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(4, 400),
    dim=st.integers(2, 12),
    n_questions=st.integers(1, 60),
    head=st.integers(1, 50),
    block=st.integers(1, 40),
    ties=st.booleans(),
)
def test_bounded_search_equals_scoring_every_word(seed, n, dim, n_questions, head, block, ties):
    rng = np.random.default_rng(seed)
    # Clustered vectors: blocks of similar rows make the bounds tight enough to skip most of them.
    centres = rng.normal(size=(max(1, n // 20), dim))
    m = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dim))
    if ties:  # exact ties between candidates
        m[n // 2 :: 7] = m[n // 2]
    unit = torch.from_numpy((m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32))
    abc = rng.integers(0, n, size=(n_questions, 3))
    found = best_3cosadd(unit, abc, tie_tolerance=TOL, head=head, block=block)
    _check(unit, abc, found)
    assert found.scored <= n_questions * n


def test_bounded_search_on_glove_equals_scoring_every_word_and_skips_most():
    glove = data.glove()
    unit = torch.from_numpy(np.ascontiguousarray(glove.unit[:300_000]))
    known = known_words.known_rows(glove, 300_000, True)
    questions = [q for qs in data.google_analogies().values() for q in qs[::10]]
    abc = np.array([[known[w.upper()] for w in (q.a, q.b, q.c)] for q in questions
                    if all(w.upper() in known for w in (q.a, q.b, q.c))])
    found = best_3cosadd(unit, abc, tie_tolerance=TOL)
    _check(unit, abc, found)
    assert found.scored < 0.25 * len(abc) * len(unit)


def test_no_questions_and_tiny_vocabularies():
    unit = torch.nn.functional.normalize(torch.randn(3, 4), dim=1)
    empty = best_3cosadd(unit, np.empty((0, 3), dtype=np.int64), tie_tolerance=TOL)
    assert empty.rows.shape == (0,) and empty.scores.shape == (0, 2) and empty.scored == 0
    # Three words and a question that uses all three: no candidate is left.
    none_left = best_3cosadd(unit, np.array([[0, 1, 2]]), tie_tolerance=TOL, head=1, block=1)
    assert np.isneginf(none_left.scores).all()


@pytest.mark.parametrize("restrict_vocab", [20_000, 300_000])
def test_evaluate_analogies_reports_how_much_the_bounds_skip(restrict_vocab):
    glove = data.glove()
    sample = {s: qs[::25] for s, qs in data.google_analogies().items()}
    add = evaluate_analogies(glove, sample, restrict_vocab=restrict_vocab)
    mul = evaluate_analogies(glove, sample, method="3cosmul", restrict_vocab=restrict_vocab)
    assert mul.scored == mul.n_evaluated * restrict_vocab  # 3CosMul scores every candidate
    assert 0 < add.scored < add.n_evaluated * restrict_vocab


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"head": 0}, ValueError, "head must be an integer >= 1, got 0"),
        ({"block": -1}, ValueError, "block must be an integer >= 1, got -1"),
        ({"query_batch": 2.0}, TypeError, "query_batch must be an integer >= 1"),
        ({"tie_tolerance": float("nan")}, ValueError, "tie_tolerance must be a finite number >= 0"),
        ({"unit": np.eye(5, 3)}, TypeError, "unit must be a torch.Tensor"),
        ({"abc": np.array([[0.0, 1.0, 2.0]])}, TypeError, "abc must hold integer row numbers"),
        ({"abc": np.array([[0, 1]])}, ValueError, r"abc must be \(questions, 3\)"),
        ({"abc": np.array([[0, 1, 9]])}, IndexError, "outside 0..4"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, match):
    unit = torch.nn.functional.normalize(torch.randn(5, 3), dim=1)
    args = {"unit": unit, "abc": np.array([[0, 1, 2]]), "tie_tolerance": TOL, **kwargs}
    with pytest.raises(error, match=match):
        best_3cosadd(**args)
