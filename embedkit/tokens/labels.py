"""Printable labels for tokens: a token's bytes need not be a whole character, nor a visible one.

``token_label(b" the")`` is ``"␣the"``: the tables, charts and probes of the book label tokens this way, so
that a leading space, a line break or half of a multi-byte character can be seen.
"""

from __future__ import annotations

from ..checks import describe

__all__ = ["token_label"]


def token_label(piece: bytes) -> str:
    """A printable label for a token's bytes: ``␣`` for a space, ``↵`` for a line break, ``⇥`` for a tab,
    and ``<E2>``-style hex for bytes that are not a complete UTF-8 character on their own.

    >>> token_label(b" the"), token_label(b"\\xe2\\x82")
    ('␣the', '<E2><82>')
    """
    if not isinstance(piece, (bytes, bytearray)):
        raise TypeError(f"piece must be bytes (a token's bytes, e.g. tokenizer.token_bytes(i)), got {describe(piece)}")
    out = []
    i = 0
    while i < len(piece):
        # the longest valid UTF-8 character starting at i (1 to 4 bytes)
        for width in (1, 2, 3, 4):
            try:
                ch = piece[i : i + width].decode("utf-8")
            except UnicodeDecodeError:
                continue
            break
        else:
            out.append(f"<{piece[i]:02X}>")
            i += 1
            continue
        out.append({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}.get(ch, ch if ch.isprintable() else f"<U+{ord(ch):04X}>"))
        i += width
    return "".join(out)
