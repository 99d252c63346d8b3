"""Argument checks at the boundary of the package: one rule for each kind of input, one message shape.

Every public function and probe of ``embedkit`` checks what it is given with these helpers before doing any
work, so bad input fails at once with an error that names the argument, says what was expected and shows
what came::

    >>> integer("window", 2.5, minimum=1)
    Traceback (most recent call last):
    TypeError: window must be an integer >= 1, got 2.5 (float)

The rules: integers refuse ``bool`` and ``float`` (``True`` is not a window size, and ``2.0`` hides a bug
upstream more often than not); real numbers must be finite; a collection of strings refuses a bare string
(``"abc"`` is not the three tokens ``"a"``, ``"b"``, ``"c"``); arrays and tensors are checked for shape,
dtype and finiteness where they enter. Wrong type is a ``TypeError``, a wrong value of the right type a
``ValueError``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "array",
    "choice",
    "describe",
    "finite_array",
    "integer",
    "mapping",
    "real",
    "strings",
    "tensor",
    "text",
]


def describe(value: object, limit: int = 60) -> str:
    """``value`` as an error message shows it: a short repr and its type, e.g. ``2.5 (float)``."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if type(value).__module__.startswith("torch") and hasattr(value, "shape"):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    text_ = repr(value)
    if len(text_) > limit:
        text_ = text_[: limit - 1] + "…"
    return f"{text_} ({type(value).__name__})"


def _bounds(minimum, maximum, *, open_min: bool = False, open_max: bool = False) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if open_min else '>='} {minimum}")
    if maximum is not None:
        parts.append(f"{'<' if open_max else '<='} {maximum}")
    return " and ".join(parts)


def integer(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``[minimum, maximum]``.

    Accepts ``int`` and NumPy integers; refuses ``bool``, floats (even ``2.0``) and strings with a
    ``TypeError``, and an integer out of range with a ``ValueError``.
    """
    bounds = _bounds(minimum, maximum)
    expected = f"an integer {bounds}".rstrip()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be {expected}, got {describe(value)}")
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def real(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """``value`` as a finite Python ``float`` within the bounds (``open_min``: strictly above ``minimum``).

    Accepts ints, floats and NumPy scalars; refuses ``bool`` and non-numbers with a ``TypeError``, NaN,
    infinities and out-of-range values with a ``ValueError``.
    """
    bounds = _bounds(minimum, maximum, open_min=open_min, open_max=open_max)
    expected = f"a finite number {bounds}".rstrip()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be {expected}, got {describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {expected}, got {value}")
    too_low = minimum is not None and (value <= minimum if open_min else value < minimum)
    too_high = maximum is not None and (value >= maximum if open_max else value > maximum)
    if too_low or too_high:
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def choice(name: str, value: object, options: Iterable[str]) -> str:
    """``value`` if it is one of ``options``; else a ``ValueError`` (``TypeError`` for a non-string) listing them."""
    options = tuple(options)
    listed = ", ".join(repr(o) for o in options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed}, got {describe(value)}")
    if value not in options:
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def text(name: str, value: object, *, allow_empty: bool = True) -> str:
    """``value`` if it is a ``str`` (non-empty unless ``allow_empty``); ``TypeError`` otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {describe(value)}")
    if not allow_empty and not value:
        raise ValueError(f"{name} must be a non-empty string, got ''")
    return value


def strings(name: str, value: object, *, allow_empty_strings: bool = False, allow_empty: bool = True) -> list[str]:
    """``value`` as a list of strings. A bare ``str`` is refused (it is a collection of characters, and
    treating ``"<|eot|>"`` as seven one-character items is never what was meant)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a collection of strings such as [{value!r}], got a single "
                        f"{type(value).__name__} {describe(value)}")
    if isinstance(value, Mapping) or not isinstance(value, (Collection, Iterable)):
        raise TypeError(f"{name} must be a collection of strings, got {describe(value)}")
    items = list(value)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a string, got {describe(item)}")
        if not allow_empty_strings and not item:
            raise ValueError(f"{name}[{i}] must be a non-empty string, got ''")
    if not allow_empty and not items:
        raise ValueError(f"{name} must hold at least one string, got an empty collection")
    return items


def mapping(name: str, value: object) -> Mapping:
    """``value`` if it is a mapping (a ``dict``); ``TypeError`` otherwise."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict, got {describe(value)}")
    return value


def finite_array(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` unchanged if every entry is finite; else a ``ValueError`` that counts and locates the bad ones."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)[0]
        index = tuple(int(i) for i in where)
        raise ValueError(f"{name} must be finite, got {int(bad.sum())} non-finite value(s), the first at "
                         f"index {index[0] if len(index) == 1 else index}: {values[index]}")
    return values


def _shape_ok(shape: tuple[int, ...], expected: Sequence[int | None]) -> bool:
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))


def _shape_text(expected: Sequence[int | None] | None, ndim: int | None) -> str:
    if expected is not None:
        return "shape (" + ", ".join("any" if e is None else str(e) for e in expected) + (",)" if len(expected) == 1 else ")")
    return f"{ndim} dimension(s)"


def array(
    name: str,
    value: object,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    dtype=np.float64,
    finite: bool = True,
) -> np.ndarray:
    """``value`` as a NumPy array of ``dtype`` (``None`` keeps its own), with ``ndim`` dimensions or the
    given ``shape`` (``None`` entries match any length); refuses strings, ragged input and (by default)
    non-finite numbers."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}")
    try:
        out = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)} ({err})") from None
    if out.dtype == object or out.dtype.kind in "USV":
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}")
    if shape is not None and not _shape_ok(out.shape, shape):
        raise ValueError(f"{name} must have {_shape_text(shape, None)}, got shape {out.shape}")
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"{name} must have {_shape_text(None, ndim)}, got shape {out.shape}")
    if finite and out.dtype.kind in "fc":
        finite_array(name, out)
    return out


def tensor(
    name: str,
    value: object,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    floating: bool | None = None,
    finite: bool = False,
):
    """``value`` if it is a ``torch.Tensor`` with ``ndim`` (or at least ``min_ndim``) dimensions;
    ``floating=True`` demands a floating dtype, ``False`` an integer one; ``finite=True`` scans for NaN and
    infinities (one pass over the data, so only where values enter, not in hot loops)."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {describe(value)}")
    if ndim is not None and value.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(value.shape)}")
    if min_ndim is not None and value.dim() < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {tuple(value.shape)}")
    if floating is True and not value.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {value.dtype}")
    if floating is False and (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool):
        raise TypeError(f"{name} must have an integer dtype, got {value.dtype}")
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name} must be finite, got {bad} non-finite value(s)")
    return value
