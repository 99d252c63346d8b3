"""The one rule for position arguments, and for the integer tensors and flags the position schemes take.

Every function of :mod:`embedkit.positions` and :mod:`embedkit.rotary` that takes token positions reads them
with :func:`as_positions`, so the same inputs pass and fail alike everywhere (a float is not a token index, a
boolean tensor is a mask, not positions). :func:`integer_tensor` is the same rule for integer tensors of any
shape (offsets, relative positions), and :func:`flag` the check for ``True``/``False`` switches, which
:mod:`embedkit.checks` does not have.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .. import checks

__all__ = ["as_positions", "flag", "integer_tensor"]


def flag(name: str, value) -> bool:
    """``value`` as a ``bool``; a ``TypeError`` for anything but ``True``/``False`` (``"no"`` and 1 included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {checks.describe(value)}")
    return bool(value)


def integer_tensor(name: str, value, *, expected: str, holds: str = "integers") -> Tensor:
    """``value`` (a tensor, a NumPy array, a list or a number) as an integer tensor of any shape.

    ``expected`` completes the ``TypeError`` for what cannot be a tensor ("``name`` must be ``expected``, got
    …"), ``holds`` the one for a float, complex or boolean dtype ("``name`` must hold ``holds``, got dtype …").
    """
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise TypeError(f"{name} must be {expected}, got {checks.describe(value)}")
    if not isinstance(value, Tensor):
        try:
            value = torch.as_tensor(value if isinstance(value, (list, tuple)) else np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be {expected}, got {checks.describe(value)} ({err})") from None
    if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must hold {holds}, got dtype {value.dtype}")
    return value


def as_positions(positions, name: str = "positions") -> Tensor:
    """``positions`` as a 1-D ``LongTensor`` of token indices ``>= 0``: the one rule for positions in
    :mod:`embedkit.positions` and :mod:`embedkit.rotary`.

    Accepts a ``range``, a list or tuple of integers, a NumPy integer array or an integer tensor (its device
    is kept). Refuses floats, booleans and strings (``TypeError``: ``1.5`` is not a token index, and
    ``[True, False]`` is a mask, not positions), anything that is not 1-D and negative indices (``ValueError``).
    """
    if isinstance(positions, range):
        if positions.step < 0 and len(positions):  # a descending range ends at its last element
            lowest = positions[-1]
        else:
            lowest = positions.start
        if len(positions) and lowest < 0:
            raise ValueError(f"{name} must be >= 0 (token indices), got {lowest}")
        return torch.arange(positions.start, positions.stop, positions.step, dtype=torch.long)
    if isinstance(positions, (list, tuple)) and len(positions) == 0:
        return torch.zeros(0, dtype=torch.long)
    positions = integer_tensor(name, positions, expected="a 1-D sequence of integer positions (seq,)",
                               holds="integers (token indices)")
    if positions.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of positions (seq,), got shape {tuple(positions.shape)}")
    if positions.numel() and int(positions.min()) < 0:
        raise ValueError(f"{name} must be >= 0 (token indices), got {int(positions.min())}")
    return positions.long()
