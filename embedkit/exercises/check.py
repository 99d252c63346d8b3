"""Every checker of the book's exercises under one name: ``check.sinusoidal(my_fn)``, ``check.bpe_merge(my_fn)``.

A checker takes the reader's function (not its result), runs it against the package on random and edge
inputs, and returns a :class:`~embedkit.exercises.grading.Result` that displays itself: passed, or the first
failing input with expected, got and a hint.
"""

from .lab import *  # noqa: F403
from .positions import *  # noqa: F403
from .rotary import *  # noqa: F403
from .tokens import *  # noqa: F403
from .words import *  # noqa: F403
from . import lab, positions, rotary, tokens, words

__all__ = sorted(set(lab.__all__) | set(positions.__all__) | set(rotary.__all__) | set(tokens.__all__) | set(words.__all__))
