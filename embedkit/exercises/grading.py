"""How a checker grades a reader's function: run it beside the package on chosen inputs, report the first miss.

Every checker of :mod:`embedkit.exercises.check` is a thin call of :func:`grade`. It takes the reader's
function, the package's own function as the reference, and a list of :class:`Case` inputs (ordinary ones first,
then the edges: one position, a single pair, an empty word); it calls both on each case and compares. The
answer reads like a teaching assistant's: either how many cases passed, or the first case that failed with
what was expected, what came, and a hint. A hint is specific when the reader's output matches a known
mistake (a :class:`Mistake`: sine and cosine swapped, the rotation turned the wrong way, an off-by-one
window), since recognising the mistake is the most useful thing a grader can say.

A reader's function that raises, returns the wrong type or shape, or returns NaN is graded, never crashes the
checker: the :class:`Result` says what happened on which input. In a notebook the result displays itself;
``bool(result)`` is whether every case passed, and :meth:`Result.raise_if_failed` turns a failure into an
``AssertionError`` (the book runs every written solution through its checker that way).
"""

from __future__ import annotations

import math
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import checks

__all__ = ["Case", "Mistake", "Result", "compare_arrays", "compare_exact", "grade"]

WIDTH = 88
"""Characters per line of a report (the book's code column), past which a line wraps."""


@dataclass(frozen=True)
class Case:
    """One input a checker tries: positional ``args`` and keyword ``kwargs`` for both functions.

    ``label`` says in words what the case is, as the report shows it ("8 positions, 4 channels" or
    "edge: a single position").
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def call(self, fn: Callable) -> Any:
        """``fn(*args, **kwargs)`` on copies, so that a function that writes into its input cannot spoil the
        reference's run (numpy arrays and tensors are copied; everything else is passed as is)."""
        return fn(*(_copy(a) for a in self.args), **{k: _copy(v) for k, v in self.kwargs.items()})

    def show(self) -> str:
        """The call as a reader would type it, with long arrays summarised by shape."""
        parts = [_short(a) for a in self.args] + [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        return f"({', '.join(parts)})"


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``wrong`` computes what that mistake returns (same signature as the reference),
    and ``hint`` is what to tell a reader whose output matches it."""

    wrong: Callable
    hint: str


@dataclass
class Result:
    """The grade of one exercise: ``passed``, the number of ``cases`` tried, and on failure the failing
    ``case``, ``expected`` and ``got`` (as shown), a ``reason`` and a ``hint``."""

    exercise: str
    passed: bool
    cases: int
    case: Case | None = None
    reason: str = ""
    hint: str = ""
    number: int = 0  # which case failed, counting from 1

    def __bool__(self) -> bool:
        return self.passed

    def message(self, width: int | None = WIDTH) -> str:
        """The report as text (what ``print(result)`` and the notebook display show), each line wrapped at
        ``width`` characters (``None``: one line per part of the report)."""
        if self.passed:
            return f"✓ {self.exercise}: passed all {self.cases} cases."
        lines = [f"✗ {self.exercise}: failed on case {self.number} of {self.cases}, {self.case.label}.",
                 f"  input: {self.case.show()}",
                 f"  {self.reason}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        if width is None:
            return "\n".join(lines)
        # wrapped to the width of the book's text column, so that no report scrolls sideways
        return "\n".join(textwrap.fill(line, width, subsequent_indent="    ", break_long_words=False,
                                        break_on_hyphens=False) for line in lines)

    def __str__(self) -> str:
        return self.message()

    def __repr__(self) -> str:
        return self.message()

    def _repr_markdown_(self) -> str:
        return "```text\n" + self.message() + "\n```"

    def raise_if_failed(self) -> Result:
        """Return ``self`` if every case passed, else raise ``AssertionError`` with the report."""
        if not self.passed:
            raise AssertionError(self.message())
        return self


Comparison = Callable[[Any, Any], "str | None"]


def grade(exercise: str, fn: object, reference: Callable, cases: Sequence[Case], *,
          compare: Comparison | None = None, mistakes: Sequence[Mistake] = (), hint: str = "") -> Result:
    """Run ``fn`` and ``reference`` on every case, in order; return the :class:`Result` of the first miss.

    Args:
        exercise: the exercise's name as the report shows it ("sinusoidal table").
        fn: the reader's function.
        reference: the package's function with the same signature.
        cases: the inputs, ordinary first, edges last.
        compare: ``compare(expected, got)`` returns ``None`` when ``got`` is right, else a sentence saying how
            it differs (default :func:`compare_arrays`).
        mistakes: known wrong answers, tried in order on a failing case; the first whose output ``got``
            matches gives its hint.
        hint: the general hint when no known mistake matches.
    """
    if not callable(fn):
        raise TypeError(f"the checker for the {exercise} takes your function itself, e.g. check(my_function) "
                        f"without parentheses after its name; got {checks.describe(fn)}")
    compare = compare or compare_arrays
    cases = list(cases)
    for number, case in enumerate(cases, start=1):
        expected = case.call(reference)
        try:
            got = case.call(fn)
        except Exception as error:  # the reader's code: any error is part of the grade
            where = traceback.extract_tb(error.__traceback__)[-1]
            return Result(exercise, False, len(cases), case,
                          f"your function raised {type(error).__name__}: {error} (line {where.lineno})",
                          hint, number)
        reason = compare(expected, got)
        if reason is None:
            continue
        return Result(exercise, False, len(cases), case, reason, _diagnose(case, got, mistakes, compare) or hint,
                      number)
    return Result(exercise, True, len(cases))


def _diagnose(case: Case, got, mistakes: Sequence[Mistake], compare: Comparison) -> str:
    for mistake in mistakes:
        try:
            wrong = case.call(mistake.wrong)
        except Exception:  # a mistake that does not apply to this input
            continue
        if compare(wrong, got) is None:
            return mistake.hint
    return ""


def as_array(value: object) -> np.ndarray | None:
    """``value`` as a float64 numpy array (from a tensor, an array, a list or a number), or ``None`` if it
    is not numeric."""
    if value is None or isinstance(value, (str, bytes)):  # a forgotten return, or text where numbers belong
        return None
    if hasattr(value, "detach"):  # a torch tensor, on any device and dtype
        value = value.detach().cpu()
        value = value.numpy() if value.is_complex() else value.double().numpy()
    if np.iscomplexobj(value):  # complex numbers are not the real values an exercise asks for
        return None
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return out


def compare_arrays(expected, got, *, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """``None`` if ``got`` has ``expected``'s shape and is close to it; else where and how it differs."""
    want, have = as_array(expected), as_array(got)
    if want is None or want.dtype == object:  # a known mistake's output that is not numeric (e.g. complex)
        return None if _same(expected, got) else f"expected {_short(expected)}, got {_short(got)}"
    if have is None or have.dtype == object:
        return f"expected numbers of shape {want.shape}, got {checks.describe(got)}"
    if have.shape != want.shape:
        return f"expected shape {want.shape}, got shape {have.shape}"
    if not np.isfinite(have).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(have))[0])
        return f"got {have[index]} at index {list(index)}, where {want[index]:.6g} was expected"
    close = np.isclose(have, want, rtol=rtol, atol=atol)
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    wrong = int((~close).sum())
    return (f"{wrong} of {want.size} values differ; the first at index {list(index)}: "
            f"expected {want[index]:.6g}, got {have[index]:.6g}")


def compare_exact(expected, got) -> str | None:
    """``None`` if ``got == expected`` (lists, tuples, strings, integers); else both, shown."""
    if type(got) is not type(expected) and not (isinstance(got, (list, tuple)) and isinstance(expected, (list, tuple))):
        return f"expected a {type(expected).__name__} such as {_short(expected)}, got {checks.describe(got)}"
    if isinstance(expected, (list, tuple)) and list(got) == list(expected):
        return None
    if got == expected:
        return None
    return f"expected {_short(expected, 200)}, got {_short(got, 200)}"


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # values that do not compare (arrays against text, ...) are not the same
        return False


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if hasattr(value, "clone"):
        return value.clone()
    return value


def _short(value, limit: int = 60) -> str:
    """``value`` as a report shows it: small tensors and arrays in full (as a reader would type them), larger
    ones by shape and dtype, anything else by a repr cut at ``limit`` characters."""
    if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        tensor = hasattr(value, "detach")
        if math.prod(value.shape) > 8:
            kind = "tensor" if tensor else "array"
            return f"<{kind} of shape {tuple(value.shape)}, {str(value.dtype).removeprefix('torch.')}>"
        if tensor:
            return f"torch.tensor({value.tolist()})"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
