"""Exceptions that say what went wrong and how to fix it."""

from __future__ import annotations

__all__ = ["MissingDataError", "UnknownWordError"]


class MissingDataError(RuntimeError):
    """A data package is not installed, or its files are not what we expect.

    The message names the package and the exact command that fixes it.
    """


class UnknownWordError(KeyError):
    """A word is not in the vocabulary. ``suggestions`` holds the closest known spellings."""

    def __init__(self, word: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.word = word
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{word!r} is not in the vocabulary{hint}")

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return self.args[0]
