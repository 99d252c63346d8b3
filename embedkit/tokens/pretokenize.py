"""Pre-tokenization: the regular expression that cuts text into chunks before BPE sees it.

BPE never merges across a chunk boundary, so the pattern decides what a token *can* be: with the GPT
patterns a token never spans a letter and a digit, never joins a word to the space after it, and a space
travels with the word that follows it (``" the"``, not ``"the "``).

* :data:`GPT2_PATTERN`: GPT-2's split (Radford et al., 2019).
* :data:`CL100K_PATTERN`: the split of ``cl100k_base`` (GPT-3.5/GPT-4), character for character the one
  ``tiktoken`` uses: case-insensitive contractions, digits in groups of at most three, and line breaks kept
  with the punctuation before them.

Both need the third-party :mod:`regex` module (``\\p{L}`` is "any letter", ``?+``/``++`` are possessive
quantifiers); ``tiktoken`` itself depends on it.
"""

from __future__ import annotations

from functools import lru_cache

import regex

from ..checks import describe

__all__ = ["GPT2_PATTERN", "CL100K_PATTERN", "PATTERNS", "compile_pattern", "pretokenize", "split_chunks", "without_surrogates"]

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
"""GPT-2: contractions, an optional space plus letters / digits / other symbols, then white space."""

CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
"""``cl100k_base``: as GPT-2, but any one non-letter may lead a word, numbers split into ≤ 3 digits."""

PATTERNS = {"gpt2": GPT2_PATTERN, "cl100k": CL100K_PATTERN}
"""The patterns by short name (any string that is not a key is taken as a pattern itself)."""


@lru_cache(maxsize=16)
def compile_pattern(pattern: str) -> regex.Pattern:
    """Compile ``pattern`` (or a short name from :data:`PATTERNS`) once; a bad pattern raises ``ValueError``."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a string (a regular expression or one of {sorted(PATTERNS)}), got {describe(pattern)}")
    source = PATTERNS.get(pattern, pattern)
    try:
        return regex.compile(source)
    except regex.error as err:
        raise ValueError(f"pattern is not a valid regular expression ({err}): {source!r}") from None


def split_chunks(compiled: regex.Pattern, text: str) -> list[str]:
    """The matches of ``compiled`` in ``text``, in order, which must cover every character of it.

    A pattern that skips characters (say ``\\w+`` on ``"hello, world!"``) would make a tokenizer drop them
    silently, so that ``decode(encode(text)) != text``; that is refused with a ``ValueError`` naming the
    first span no match covers. Whole matches are returned even if the pattern has capturing groups.
    """
    chunks = compiled.findall(text) if compiled.groups == 0 else [m.group() for m in compiled.finditer(text)]
    # non-overlapping matches in order cover the text exactly when their lengths add up to it
    if sum(map(len, chunks)) != len(text):
        position, stop = 0, len(text)
        for m in compiled.finditer(text):
            if m.start() > position:
                stop = m.start()
                break
            position = m.end()
        gap = text[position:stop]
        shown = repr(gap) if len(gap) <= 40 else repr(gap[:40]) + "…"
        raise ValueError(
            f"the pre-split pattern does not cover the text: characters {position} .. {stop - 1} ({shown}) match "
            f"no alternative and would be dropped. Add a catch-all alternative (e.g. end the pattern with "
            f"r'|\\s+|.' ) or use CL100K_PATTERN. Pattern: {compiled.pattern!r}"
        )
    return chunks


def pretokenize(text: str, pattern: str = CL100K_PATTERN) -> list[str]:
    """Cut ``text`` into the chunks BPE works on, in order; joined again they give ``text`` back (a
    pattern that would skip characters raises ``ValueError``, see :func:`split_chunks`).

    >>> pretokenize("Hello world, it's 2024!")
    ['Hello', ' world', ',', ' it', "'s", ' ', '202', '4', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {describe(text)}")
    return split_chunks(compile_pattern(pattern), text)


def without_surrogates(text: str) -> str:
    """``text`` with lone surrogates (possible in a Python ``str``, impossible in UTF-8) replaced by U+FFFD,
    as ``tiktoken`` does, so that it can be encoded to UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
