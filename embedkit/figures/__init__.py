"""Figures the book draws at build time: one module per chapter, one function per figure.

Each function returns an Altair chart (themed for light and dark pages by :mod:`embedkit.charts`) with a
title and a ``description`` (the alt text), built on one small table that is the chart's top-level data
(``chart.data``), so a test can check every number drawn against the package function it came from.

* :mod:`~embedkit.figures.tokens`: :func:`~embedkit.figures.tokens.lookup_product` (an embedding lookup as a
  one-hot row times the table) and :func:`~embedkit.figures.tokens.bpe_merges` (a word's parts after each
  merge);
* :mod:`~embedkit.figures.words`: :func:`~embedkit.figures.words.skipgram_window` (a skip-gram window and its
  negative samples);
* :mod:`~embedkit.figures.positions`: :func:`~embedkit.figures.positions.sinusoid_waves` (a few pairs of the
  sinusoidal table against position);
* :mod:`~embedkit.figures.rotary`: :func:`~embedkit.figures.rotary.turned_query_key` (a query and a key
  turned in one plane), :func:`~embedkit.figures.rotary.channel_pairings` (the two layouts' pairs) and
  :func:`~embedkit.figures.rotary.extension_wavelengths` (what each context-extension method does to each
  pair's wavelength).
"""

import importlib

from ..charts import CHROME

HIGHLIGHT = "#f2b447"
"""The fill of what a figure points at (the looked-up row, the new part of a word): an amber that dark text
reads on, on a white or a dark page alike."""

INK = "#222"
"""Text drawn on a filled box (the box, not the page, is its background, so it need not follow the theme)."""

_MODULES = ("positions", "rotary", "tokens", "words")


def __getattr__(name: str):
    """Import a chapter's module on first use: a page pays only for the figures it draws."""
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHROME", "HIGHLIGHT", "INK", "positions", "rotary", "tokens", "words"]
