"""Exercises that check themselves: ``from embedkit.exercises import check``, then ``check.sinusoidal(my_fn)``.

Each chapter's exercise page ends its implementation exercises with a checker call. A checker runs the
reader's function beside the package's own on ordinary and edge inputs and answers with the first input that
fails, expected against got, and a hint (:mod:`embedkit.exercises.grading`). The checkers live with their
chapter (:mod:`~embedkit.exercises.words`, :mod:`~embedkit.exercises.tokens`,
:mod:`~embedkit.exercises.positions`, :mod:`~embedkit.exercises.rotary`, :mod:`~embedkit.exercises.lab`);
:mod:`~embedkit.exercises.check` gathers them under one name.
"""

from . import check
from .grading import Case, Mistake, Result, grade

__all__ = ["Case", "Mistake", "Result", "check", "grade"]
