"""The checkers of the Positions exercises: right answers pass, the typical wrong ones fail with their hint.

Each wrong answer is written the way a reader would write it (not taken from the checker's own list of
mistakes), so a test fails if a checker stops recognising a mistake readers actually make.
"""

import math

import numpy as np
import pytest
import torch

from embedkit import positions
from exercise_reports import assert_fails_with_hint
from embedkit.exercises import check


# -- answers written from the formulas, as a reader would ------------------------------------------------

def sinusoidal_numpy(n_positions, dim, base=10000.0):
    """The table of Vaswani et al. (2017) from its formula, in numpy (not the package's code)."""
    pe = np.zeros((n_positions, dim))
    for p in range(n_positions):
        for i in range(dim // 2):
            pe[p, 2 * i] = math.sin(p / base ** (2 * i / dim))
            pe[p, 2 * i + 1] = math.cos(p / base ** (2 * i / dim))
    return pe


def sinusoidal_swapped(n_positions, dim, base=10000.0):
    pe = sinusoidal_numpy(n_positions, dim, base)
    return pe[:, [j + 1 if j % 2 == 0 else j - 1 for j in range(dim)]]


def sinusoidal_concatenated(n_positions, dim, base=10000.0):
    p = torch.arange(n_positions, dtype=torch.float64)[:, None]
    omega = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    return torch.cat([torch.sin(p * omega), torch.cos(p * omega)], dim=1)


def sinusoidal_exponent_over_d(n_positions, dim, base=10000.0):
    pe = np.zeros((n_positions, dim))
    for p in range(n_positions):
        for i in range(dim // 2):
            pe[p, 2 * i] = math.sin(p / base ** (i / dim))
            pe[p, 2 * i + 1] = math.cos(p / base ** (i / dim))
    return pe


def sinusoidal_channel_index(n_positions, dim, base=10000.0):
    pe = np.zeros((n_positions, dim))
    for p in range(n_positions):
        for j in range(0, dim, 2):  # j is the channel, used where the pair index belongs
            pe[p, j] = math.sin(p / base ** (2 * j / dim))
            pe[p, j + 1] = math.cos(p / base ** (2 * j / dim))
    return pe


def alibi_by_rule(n_heads):
    """Press et al.'s rule written from the paper's description and the authors' code."""
    def power_of_two(n):
        start = 2 ** (-8 / n)
        return [start ** (h + 1) for h in range(n)]
    c = 2 ** math.floor(math.log2(n_heads))
    return power_of_two(c) + power_of_two(2 * c)[0::2][: n_heads - c]


def t5_from_hugging_face(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    transformers_t5 = pytest.importorskip("transformers.models.t5.modeling_t5")
    return transformers_t5.T5Attention._relative_position_bucket(
        torch.as_tensor(relative_position), bidirectional=bidirectional, num_buckets=num_buckets,
        max_distance=max_distance)


# -- the package and independent answers pass ------------------------------------------------------------

@pytest.mark.parametrize("checker, answer", [
    (check.sinusoidal, positions.sinusoidal),
    (check.sinusoidal, sinusoidal_numpy),
    (check.sinusoidal, lambda n, d, base=10000.0: torch.tensor(sinusoidal_numpy(n, d, base), dtype=torch.float32)),
    (check.alibi_slopes, positions.alibi_slopes),
    (check.alibi_slopes, alibi_by_rule),
    (check.t5_bucket, positions.relative_position_bucket),
    (check.t5_bucket, t5_from_hugging_face),
], ids=["sinusoidal-package", "sinusoidal-numpy", "sinusoidal-float32", "alibi-package", "alibi-rule",
        "t5-package", "t5-hugging-face"])
def test_right_answers_pass(checker, answer):
    result = checker(answer)
    assert result, result.message(width=None)
    assert result.message(width=None) == f"✓ {result.exercise}: passed all {result.cases} cases."
    assert result.cases >= 6


# -- typical wrong answers fail, on a named case, with the hint for their mistake -------------------------

def alibi_naive(n_heads):
    return [2 ** (-8 * (h + 1) / n_heads) for h in range(n_heads)]


def alibi_from_one(n_heads):
    return [2 ** (-8 * h / n_heads) for h in range(n_heads)]


def alibi_even_extras(n_heads):
    c = 2 ** math.floor(math.log2(n_heads))
    return alibi_naive(c) + alibi_naive(2 * c)[1::2][: n_heads - c]


def t5_query_minus_key(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    return positions.relative_position_bucket(-torch.as_tensor(relative_position), bidirectional=bidirectional,
                                              num_buckets=num_buckets, max_distance=max_distance)


def t5_no_clamp(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    rel = torch.as_tensor(relative_position)
    n = num_buckets // 2 if bidirectional else num_buckets
    out = (rel > 0).long() * n if bidirectional else torch.zeros_like(rel)
    d = rel.abs() if bidirectional else torch.clamp(-rel, min=0)
    exact = n // 2
    log_bucket = exact + (torch.log(d.float().clamp(min=1) / exact) / math.log(max_distance / exact)
                          * (n - exact)).long()
    return out + torch.where(d < exact, d, log_bucket)


def t5_future_by_distance(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    rel = torch.as_tensor(relative_position)
    if not bidirectional:
        rel = -rel.abs()
    return positions.relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                              max_distance=max_distance)


@pytest.mark.parametrize("checker, wrong, fragment, case", [
    (check.sinusoidal, sinusoidal_swapped, "sines and cosines are swapped", "8 positions, 4 channels"),
    (check.sinusoidal, sinusoidal_concatenated, "all the sines first", "8 positions, 4 channels"),
    (check.sinusoidal, sinusoidal_exponent_over_d, "not base ** (-i/d)", "8 positions, 4 channels"),
    (check.sinusoidal, sinusoidal_channel_index, "gives 4i/d", "8 positions, 4 channels"),
    (check.alibi_slopes, alibi_from_one, "not 2^0 = 1", "8 heads"),
    (check.alibi_slopes, alibi_naive, "largest power of two c below n", "12 heads (not a power of two)"),
    (check.alibi_slopes, alibi_even_extras, "you started with the second", "12 heads (not a power of two)"),
    (check.t5_bucket, t5_query_minus_key, "key − query", "relative positions -200 … 200, both directions"),
    (check.t5_bucket, t5_no_clamp, "clamp the logarithmic bucket", "relative positions -200 … 200, both directions"),
    (check.t5_bucket, t5_future_by_distance, "all share bucket 0", "one direction (a decoder)"),
], ids=["swapped", "concatenated", "i-over-d", "channel-index", "alibi-from-one", "alibi-naive",
        "alibi-even", "t5-sign", "t5-clamp", "t5-future"])
def test_typical_mistakes_fail_with_their_hint(checker, wrong, fragment, case):
    assert_fails_with_hint(checker(wrong), case, fragment)


def test_an_unrecognised_mistake_gets_the_general_hint():
    result = check.sinusoidal(lambda n, d, base=10000.0: 2 * positions.sinusoidal(n, d, base))
    assert not result and "compare your first row" in result.hint


# -- a function that raises or returns the wrong thing is graded, not a crash -----------------------------

@pytest.mark.parametrize("checker, wrong, fragment", [
    (check.sinusoidal, lambda n, d, base=10000.0: positions.sinusoidal(n, d, base).T, "expected shape (8, 4), got shape (4, 8)"),
    (check.sinusoidal, lambda n, d, base=10000.0: None, "expected numbers of shape (8, 4), got None"),
    (check.alibi_slopes, lambda n: positions.alibi_slopes(n)[:-1], "expected shape (8,), got shape (7,)"),
    (check.alibi_slopes, lambda n: "slopes", "got 'slopes'"),
    (check.t5_bucket, lambda rel, **kw: positions.relative_position_bucket(rel, **kw)[None], "expected shape (401,), got shape (1, 401)"),
], ids=["transposed", "none", "short", "text", "extra-axis"])
def test_a_wrong_shape_or_type_is_graded(checker, wrong, fragment):
    result = checker(wrong)
    assert not result and result.number == 1
    assert fragment in result.reason, result.reason


def test_nan_is_graded():
    def with_nan(n, d, base=10000.0):
        pe = positions.sinusoidal(n, d, base).clone()
        pe[2, 1] = float("nan")
        return pe
    result = check.sinusoidal(with_nan)
    assert not result and "got nan at index [2, 1]" in result.reason


def test_an_input_the_function_writes_into_does_not_spoil_the_grade():
    def writes(relative_position, **kw):
        out = positions.relative_position_bucket(relative_position, **kw)
        relative_position.zero_()  # spoils the caller's tensor
        return out
    assert check.t5_bucket(writes)


@pytest.mark.parametrize("checker", [check.sinusoidal, check.alibi_slopes, check.t5_bucket])
def test_a_non_callable_is_a_clear_type_error(checker):
    with pytest.raises(TypeError, match=r"takes your function itself.*without parentheses"):
        checker(positions.sinusoidal(4, 4) if checker is check.sinusoidal else 3)


def test_the_checkers_are_gathered_under_check():
    from embedkit.exercises import positions as module
    assert set(module.__all__) == {"alibi_slopes", "sinusoidal", "t5_bucket"}
    assert all(getattr(check, name) is getattr(module, name) for name in module.__all__)
