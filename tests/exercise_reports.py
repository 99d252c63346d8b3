"""What every checker's answer to a known wrong solution must look like, whichever chapter it belongs to."""

from __future__ import annotations

import pytest


def assert_fails_with_hint(result, case: str, hint: str) -> None:
    """``result`` failed on a case described by ``case``, with a hint containing ``hint``, and its report has
    the shape readers see: the verdict and the case, the input, what differed, the hint."""
    message = result.message(width=None)
    assert not result, message
    assert message.startswith(f"✗ {result.exercise}: failed on case {result.number} of {result.cases}, ")
    assert case in message and "input: (" in message
    assert hint in result.hint and f"hint: {result.hint}" in message, message
    with pytest.raises(AssertionError, match="failed on case"):
        result.raise_if_failed()
