"""The grading core every exercise checker uses: a reader's function is graded, never crashes the checker,
and a failure names the case, expected against got, and the hint of the mistake it matches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from embedkit.exercises import Case, Mistake, check, grade
from embedkit.exercises.grading import compare_arrays, compare_exact


def squares(n):
    return np.arange(n, dtype=float) ** 2


CASES = [Case("three numbers", (3,)), Case("five numbers", (5,)), Case("edge: none", (0,))]
OFF_BY_ONE = Mistake(lambda n: np.arange(1, n + 1, dtype=float) ** 2, "start counting at 0")


def test_the_reference_itself_passes_every_case_and_says_how_many():
    result = grade("squares", squares, squares, CASES)
    assert result and result.passed and result.cases == 3
    assert result.message() == "✓ squares: passed all 3 cases."
    assert result.raise_if_failed() is result


def test_a_known_mistake_is_named_with_its_hint_and_the_first_failing_case():
    result = grade("squares", lambda n: np.arange(1, n + 1, dtype=float) ** 2, squares, CASES,
                   mistakes=[OFF_BY_ONE], hint="general hint")
    assert not result and result.number == 1 and result.case is CASES[0]
    text = result.message(width=None)
    assert "failed on case 1 of 3, three numbers" in text and "input: (3)" in text
    assert "expected 0, got 1" in text and "hint: start counting at 0" in text
    with pytest.raises(AssertionError, match="start counting at 0"):
        result.raise_if_failed()


def test_an_unknown_mistake_gets_the_general_hint_and_a_later_case_can_be_the_one_that_fails():
    result = grade("squares", lambda n: squares(n) + (n == 5), squares, CASES, mistakes=[OFF_BY_ONE],
                   hint="general hint")
    assert result.number == 2 and "five numbers" in result.message() and "hint: general hint" in result.message()
    assert "5 of 5 values differ" in result.message()


@pytest.mark.parametrize("answer, fragment", [
    (lambda n: 1 / 0, "your function raised ZeroDivisionError: division by zero"),
    (lambda n: np.zeros((n, 2)), "expected shape (3,), got shape (3, 2)"),
    (lambda n: "squares", "expected numbers of shape (3,)"),
    (lambda n: None, "expected numbers of shape (3,)"),
    (lambda n: np.full(n, np.nan), "got nan at index [0]"),
])
def test_a_function_that_raises_or_returns_the_wrong_thing_is_graded_not_a_crash(answer, fragment):
    result = grade("squares", answer, squares, CASES)
    assert not result and fragment in result.message()


def test_tensors_lists_and_arrays_are_all_accepted_as_answers():
    for answer in (lambda n: torch.arange(n) ** 2, lambda n: [i * i for i in range(n)], squares):
        assert grade("squares", answer, squares, CASES)


def test_a_function_that_writes_into_its_input_cannot_change_what_the_reference_sees():
    def scale(x):
        return x * 2

    def scale_in_place(x):
        x *= 2
        return x

    cases = [Case("four values", (np.arange(4.0),)), Case("a tensor", (torch.arange(3.0),))]
    assert grade("scale", scale_in_place, scale, cases)
    assert np.array_equal(cases[0].args[0], np.arange(4.0))


def test_not_passing_a_function_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"takes your function itself.*got 1 \(int\)"):
        grade("squares", 1, squares, CASES)


def test_exact_comparison_for_lists_and_strings():
    assert compare_exact([1, 2], (1, 2)) is None
    assert compare_exact("ab", "ab") is None
    assert "expected [1, 2], got [2, 1]" in compare_exact([1, 2], [2, 1])
    assert "expected a list" in compare_exact([1, 2], 3)
    assert compare_arrays(np.ones(3), np.ones(3) + 1e-9) is None


def test_the_result_displays_itself_in_a_notebook():
    result = grade("squares", squares, squares, CASES)
    assert result._repr_markdown_() == "```text\n✓ squares: passed all 3 cases.\n```"
    assert repr(result) == str(result) == result.message()


def test_a_failing_case_with_a_tensor_argument_is_reported_with_its_shape():
    cases = [Case("a 3 × 4 tensor", (torch.ones(3, 4),))]
    result = grade("double", lambda t: t * 3, lambda t: t * 2, cases)
    assert "input: (<tensor of shape (3, 4), float32>)" in result.message() and "expected 2, got 3" in result.message()


def test_a_known_mistake_that_returns_complex_numbers_neither_crashes_nor_matches_a_real_answer():
    mistake = Mistake(lambda x: (-x) ** 0.5, "square root of a negative")  # Python gives a complex number
    result = grade("root", lambda x: x + 1, lambda x: x ** 0.5, [Case("four", (4.0,))], mistakes=[mistake],
                   hint="general")
    assert not result and "hint: general" in result.message()
    complex_answer = grade("double", lambda t: t * 1j, lambda t: t * 2, [Case("ones", (torch.ones(2),))])
    assert "dtype torch.complex64" in complex_answer.message()


def test_a_long_hint_wraps_to_the_text_column_and_keeps_every_word():
    hint = "turn the other way: " + " ".join(f"word{i}" for i in range(60))
    result = grade("squares", lambda n: np.arange(1, n + 1, dtype=float) ** 2, squares, CASES,
                   mistakes=[Mistake(OFF_BY_ONE.wrong, hint)])
    lines = result.message().split("\n")
    assert max(len(line) for line in lines) <= 88 and len(lines) > 4
    assert " ".join(result.message().split()).endswith(" ".join(hint.split()))


def unfinished(*args, **kwargs):
    raise RuntimeError("not written yet")


@pytest.mark.parametrize("name", check.__all__)
def test_every_checker_grades_a_function_that_raises_on_its_first_case(name):
    result = getattr(check, name)(unfinished)
    assert not result and result.number == 1
    assert "your function raised RuntimeError: not written yet" in result.reason
    assert result.message(width=None).startswith(f"✗ {result.exercise}: failed on case 1 of {result.cases}, ")
