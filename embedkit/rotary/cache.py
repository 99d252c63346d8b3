"""RoPE's cos/sin cache: a float32 table of positions ``0 … rows − 1`` that grows on demand, in chunks, to the
longest position seen (the *implementation* page), cast once per dtype and device the model asks for."""

from __future__ import annotations

import torch

from .frequencies import cos_sin

__all__ = ["CACHE_CHUNK", "CACHE_ELEMENTS", "CosSinCache"]

CACHE_CHUNK = 1024
"""The cos/sin cache of :class:`~embedkit.rotary.RoPE` grows in steps of this many positions, to the longest
position seen."""

CACHE_ELEMENTS = 1 << 22
"""At most this many entries (positions × pairs) are kept in each of the cos and sin caches (16 MB of
float32 each); positions past that are computed for the call and not kept."""


class CosSinCache:
    """``attention_factor·cos(mθ_i)`` and ``attention_factor·sin(mθ_i)`` for positions ``m`` below
    :attr:`rows`, float32 ``(rows, pairs)`` each.

    Nothing is allocated up front. :meth:`grow` extends the table in steps of :data:`CACHE_CHUNK` positions,
    never past ``max_positions`` nor :data:`CACHE_ELEMENTS` entries (:attr:`limit`); :meth:`lookup` returns a
    slice (consecutive positions) or a gather, in the dtype and on the device asked for.
    """

    def __init__(self, inv_freq: torch.Tensor, attention_factor: float, max_positions: int):
        self.inv_freq, self.attention_factor, self.max_positions = inv_freq, attention_factor, max_positions
        pairs = inv_freq.shape[0]
        self._cached = torch.zeros(0, pairs), torch.zeros(0, pairs)  # float32 (rows, pairs)
        self._cast: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def rows(self) -> int:
        """How many positions the cache holds now."""
        return self._cached[0].shape[0]

    @property
    def limit(self) -> int:
        """The most positions the cache will ever hold."""
        return min(self.max_positions, max(CACHE_CHUNK, CACHE_ELEMENTS // self.inv_freq.shape[0]))

    def grow(self, last: int) -> None:
        """Extend the cache to cover positions ``0 … last − 1`` (rounded up to a chunk, within the limits)."""
        have = self.rows
        if last <= have:
            return
        rows = min(self.limit, -(-last // CACHE_CHUNK) * CACHE_CHUNK)
        if rows <= have:
            return
        cos, sin = cos_sin(torch.arange(have, rows), self.inv_freq, attention_factor=self.attention_factor)
        self._cached = torch.cat([self._cached[0], cos]), torch.cat([self._cached[1], sin])
        self._cast.clear()

    def table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The whole ``(max_positions, pairs)`` table; a ``ValueError`` if it is longer than :attr:`limit`."""
        if self.max_positions > self.limit:
            raise ValueError(
                f"the full cos/sin table of max_positions={self.max_positions:,} rows is not kept (at most "
                f"{self.limit:,} rows are cached); ask rope.cos_sin(positions) for the positions you need")
        self.grow(self.max_positions)
        return self._cached

    def lookup(self, positions: torch.Tensor | None, offset: int, last: int, *, dtype: torch.dtype,
               device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin of ``positions`` (a LongTensor ``(seq,)``), or of ``offset … last − 1`` when
        ``positions`` is ``None``: rows ``< last <= limit`` of the table, grown if needed."""
        self.grow(last)
        key = (dtype, device)
        if key not in self._cast:
            self._cast[key] = (self._cached[0].to(device=device, dtype=dtype), self._cached[1].to(device=device, dtype=dtype))
        cos, sin = self._cast[key]
        if positions is None:
            return cos[offset:last], sin[offset:last]
        positions = positions.to(device)
        return cos.index_select(0, positions), sin.index_select(0, positions)
