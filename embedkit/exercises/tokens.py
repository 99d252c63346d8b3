"""Checkers for the Tokens exercises (``chapters/tokens/exercises.md``).

* :func:`utf8_bytes`: the UTF-8 bytes of a string, written by hand from code points, against the byte level
  of :class:`embedkit.tokens.BPETokenizer` (a tokenizer with the 256 byte tokens and no merge).
* :func:`pair_counts`: the counts of adjacent pairs of ids, against
  :func:`embedkit.tokens.bpe_train.count_pairs`.
* :func:`bpe_merge`: one training step of BPE on a list of ids, against
  :func:`~embedkit.tokens.bpe_train.count_pairs`, :func:`~embedkit.tokens.bpe_train.best_pair` and
  :func:`~embedkit.tokens.bpe_train.merge_pair` (ties go to the pair with the smaller ids; no merge when no
  pair occurs twice, where training stops).
* :func:`bpe_encode`: one chunk encoded with a merge table, against
  :meth:`embedkit.tokens.BPETokenizer.encode_chunk` (lowest rank first, leftmost among equals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np

from ..tokens.bpe import BPETokenizer
from ..tokens.bpe_train import _merge_word, best_pair, count_pairs, merge_pair
from .grading import Case, Mistake, Result, compare_exact, grade

__all__ = ["bpe_encode", "bpe_merge", "pair_counts", "utf8_bytes"]

BYTES = {bytes([b]): b for b in range(256)}
"""The 256 byte tokens, id = byte value: the start of every byte-level BPE vocabulary."""


# -- UTF-8 -----------------------------------------------------------------------------------------------


def utf8_reference(text: str) -> list[int]:
    """The package's byte ids of ``text``: a :class:`BPETokenizer` with only the 256 byte tokens."""
    return BPETokenizer(BYTES).encode_ordinary(text)


def _code_points(text):
    return [ord(ch) for ch in text]


def _utf16(text):
    return list(text.encode("utf-16-le"))


def _low_bytes(text):
    return [ord(ch) & 0xFF for ch in text]


def compare_byte_lists(expected: list[int], got) -> str | None:
    """:func:`compare_exact`, accepting a ``bytes`` object for its list of ints."""
    return compare_exact(expected, list(got) if isinstance(got, (bytes, bytearray)) else got)


def utf8_bytes(fn: Callable) -> Result:
    """Check ``fn(text) -> list[int]``: the UTF-8 bytes of ``text`` (each an int in 0..255), computed from
    the code points (``ord``) with the bit layout of UTF-8, one to four bytes per character (a ``bytes``
    object is accepted too)."""
    cases = [
        Case("ASCII", ("Hello, world",)),
        Case("two-byte letters", ("naïve café",)),
        Case("three-byte characters", ("日本語 €",)),
        Case("four-byte emoji", ("ok 👍🏽",)),
        Case("edge: the last code point of each length", ("\x7f\u07ff\uffff\U0010ffff",)),
        Case("edge: the empty string", ("",)),
    ]
    mistakes = [
        Mistake(_code_points, "those are code points (ord), not bytes: a code point above 127 takes 2 to 4 "
                              "bytes in UTF-8"),
        Mistake(_utf16, "those are UTF-16 bytes (two per character), not UTF-8"),
        Mistake(_low_bytes, "keeping the low 8 bits of a code point loses the rest: split it over several "
                            "bytes, 110xxxxx 10xxxxxx for 128 … 2047 and so on"),
    ]
    return grade("UTF-8 bytes", fn, utf8_reference, cases, compare=compare_byte_lists, mistakes=mistakes,
                 hint="below 128: one byte; below 2048: 110xxxxx 10xxxxxx; below 65536: 1110xxxx and two "
                      "continuation bytes; else 11110xxx and three, each 10xxxxxx holding 6 bits")


# -- pair counts -----------------------------------------------------------------------------------------


def pair_counts_reference(ids: list[int]) -> dict[tuple[int, int], int]:
    """The package's counts: :func:`count_pairs` of the one chunk ``ids``, as a plain dict."""
    return dict(count_pairs([list(ids)], [1]).counts)


def _pairs_once(ids):
    return {p: 1 for p in zip(ids, ids[1:])}


def _pairs_wrapped(ids):
    return dict(Counter(zip(ids, ids[1:] + ids[:1]))) if ids else {}


def _pairs_unordered(ids):
    return dict(Counter(tuple(sorted(p)) for p in zip(ids, ids[1:])))


def compare_counts(expected, got) -> str | None:
    """``None`` if ``got`` maps the same pairs to the same counts (any mapping; zero counts ignored)."""
    if not isinstance(got, Mapping):
        return f"expected a dict of (left, right) → count such as {dict(list(expected.items())[:2])!r}, got {got!r:.80}"
    try:
        have = {tuple(int(x) for x in p): int(c) for p, c in got.items() if c}
    except (TypeError, ValueError):
        return f"expected (left, right) pairs of ids as keys and counts as values, got {got!r:.80}"
    if have == expected:
        return None
    for pair in sorted(set(expected) | set(have)):
        if expected.get(pair, 0) != have.get(pair, 0):
            return (f"pair {pair}: expected count {expected.get(pair, 0)}, got {have.get(pair, 0)} "
                    f"({len(expected)} distinct pairs expected, {len(have)} given)")
    return None  # pragma: no cover


def pair_counts(fn: Callable) -> Result:
    """Check ``fn(ids) -> dict[tuple[int, int], int]``: how often each adjacent pair ``(ids[i], ids[i + 1])``
    occurs in ``ids``."""
    rng = np.random.default_rng(4)
    cases = [
        Case("the bytes of 'banana bandana'", (list(b"banana bandana"),)),
        Case("200 random ids in 0..9", ([int(i) for i in rng.integers(0, 10, 200)],)),
        Case("a run: overlapping pairs count", ([7, 7, 7, 7],)),
        Case("edge: two ids, one pair", ([1, 2],)),
        Case("edge: one id, no pair", ([5],)),
    ]
    mistakes = [
        Mistake(_pairs_once, "count every occurrence, not only whether a pair occurs"),
        Mistake(_pairs_wrapped, "the last id has no right neighbour: do not wrap around to the first"),
        Mistake(_pairs_unordered, "order matters: (a, b) and (b, a) are different pairs"),
    ]
    return grade("pair counts", fn, pair_counts_reference, cases, compare=compare_counts, mistakes=mistakes,
                 hint="zip(ids, ids[1:]) lists the adjacent pairs; count them with a dict or collections.Counter")


# -- one merge -------------------------------------------------------------------------------------------


def bpe_merge_reference(ids: list[int], new_id: int) -> list[int]:
    """The package's training step on one chunk: count the pairs, take the best (ties: smaller ids), and
    replace its non-overlapping occurrences, left to right, by ``new_id``. Unchanged if no pair occurs twice."""
    words = [list(ids)]
    table = count_pairs(words, [1])
    best = best_pair(table)
    if best is None:
        return list(ids)
    merge_pair(table, words, [1], best[0], new_id)
    return words[0]


def _replace(ids, pair, new_id):
    # the wrong answers below differ from the reference only in which pair they merge: the replacement
    # itself is the package's
    return _merge_word(list(ids), *pair, new_id) or list(ids)


def _merge_first_seen(ids, new_id):
    counts = Counter(zip(ids, ids[1:]))
    if not counts or max(counts.values()) < 2:
        return list(ids)
    return _replace(ids, max(counts, key=counts.get), new_id)


def _merge_even_once(ids, new_id):
    counts = Counter(zip(ids, ids[1:]))
    if not counts:
        return list(ids)
    return _replace(ids, min(counts, key=lambda p: (-counts[p], p)), new_id)


def _merge_first_only(ids, new_id):
    counts = Counter(zip(ids, ids[1:]))
    if not counts or max(counts.values()) < 2:
        return list(ids)
    pair = min(counts, key=lambda p: (-counts[p], p))
    i = next(i for i in range(len(ids) - 1) if (ids[i], ids[i + 1]) == pair)
    return list(ids[:i]) + [new_id] + list(ids[i + 2:])


def bpe_merge(fn: Callable) -> Result:
    """Check ``fn(ids, new_id) -> list[int]``: one BPE training step on ``ids``. Find the most frequent
    adjacent pair (a tie goes to the smaller pair, comparing ``(left, right)`` as tuples), replace each of
    its occurrences, left to right and without overlap, by ``new_id``; if no pair occurs twice, return
    ``ids`` unchanged (training stops there)."""
    rng = np.random.default_rng(5)
    cases = [
        Case("the bytes of 'banana bandana'", (list(b"banana bandana"), 256)),
        Case("300 random ids in 0..5", ([int(i) for i in rng.integers(0, 6, 300)], 256)),
        Case("a tie: (9, 8) comes first, (1, 2) is smaller", ([9, 8, 0, 9, 8, 0, 1, 2, 0, 1, 2], 300)),
        Case("a run of three: the pair overlaps itself", ([4, 4, 4, 0, 4, 4], 256)),
        Case("edge: every pair occurs once", ([1, 2, 3, 4], 256)),
        Case("edge: a single id", ([42], 256)),
    ]
    mistakes = [
        Mistake(_merge_first_seen, "a tie between pairs goes to the smaller pair (compare the (left, right) "
                                   "tuples), not to the one seen first, as the package and its tests do"),
        Mistake(_merge_even_once, "a pair that occurs once is not merged: training stops when no pair occurs "
                                  "twice, so return the ids unchanged"),
        Mistake(_merge_first_only, "replace every occurrence of the pair, not only the first"),
    ]
    return grade("BPE merge", fn, bpe_merge_reference, cases, compare=compare_exact, mistakes=mistakes,
                 hint="count the pairs, pick min(counts, key=lambda p: (-counts[p], p)), stop if its count is "
                      "below 2, then scan left to right, replacing the pair and jumping two places")


# -- encoding with a merge table ------------------------------------------------------------------------


def tiny_ranks(merges: list[bytes]) -> dict[bytes, int]:
    """The 256 byte tokens followed by ``merges`` (each a token made of two earlier ones), id = rank."""
    ranks = dict(BYTES)
    for piece in merges:
        ranks[piece] = len(ranks)
    return ranks


def bpe_encode_reference(chunk: bytes, ranks: dict[bytes, int]) -> list[int]:
    """The package's encoding: :meth:`BPETokenizer.encode_chunk` with the tokens ``ranks``."""
    return BPETokenizer(ranks).encode_chunk(chunk)


def _encode_longest_first(chunk, ranks):
    ids, i = [], 0
    while i < len(chunk):
        j = max(j for j in range(i + 1, len(chunk) + 1) if chunk[i:j] in ranks)
        ids.append(ranks[chunk[i:j]])
        i = j
    return ids


def _encode_highest_rank(chunk, ranks):
    parts = [bytes([b]) for b in chunk]
    while True:
        found = [(ranks[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if a + b in ranks]
        if not found:
            return [ranks[p] for p in parts]
        _, i = max(found, key=lambda f: (f[0], -f[1]))
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


def _encode_rightmost(chunk, ranks):
    parts = [bytes([b]) for b in chunk]
    while True:
        found = [(ranks[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if a + b in ranks]
        if not found:
            return [ranks[p] for p in parts]
        _, i = min(found, key=lambda f: (f[0], -f[1]))
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


TINY_MERGES = [b"an", b"ban", b"na", b"ana", b"nd", b"and", b"th", b"the", b" the"]
"""A merge table small enough to trace by hand (ids 256 … 264)."""


def bpe_encode(fn: Callable) -> Result:
    """Check ``fn(chunk, ranks) -> list[int]``: the token ids of the bytes ``chunk`` under the merge table
    ``ranks`` (token bytes → id; the id is the merge's rank). Start from single bytes; while some adjacent
    pair joins into a token, merge the pair whose token has the lowest rank (the leftmost if it occurs
    more than once)."""
    ranks = tiny_ranks(TINY_MERGES)
    aaa = tiny_ranks([b"aa", b"aaa"])
    cases = [
        Case("'banana' with the tiny table", (b"banana", ranks)),
        Case("' the bandana' with the tiny table", (b" the bandana", ranks)),
        Case("'aaaaa' with merges aa, aaa: leftmost first", (b"aaaaa", aaa)),
        Case("UTF-8 bytes of 'café' (no merge applies)", ("café".encode(), ranks)),
        Case("edge: one byte", (b"a", ranks)),
        Case("edge: the chunk is a token", (b" the", ranks)),
    ]
    mistakes = [
        Mistake(_encode_longest_first, "that is the longest token from the left (WordPiece's rule); BPE "
                                       "replays the merges: the lowest rank first"),
        Mistake(_encode_highest_rank, "merge the lowest rank first (the merge learned earliest), not the highest"),
        Mistake(_encode_rightmost, "when the best pair occurs twice, merge the leftmost first"),
    ]
    return grade("BPE encode", fn, bpe_encode_reference, cases, compare=compare_exact, mistakes=mistakes,
                 hint="keep a list of parts (bytes objects); repeatedly join the adjacent pair whose "
                      "joined bytes have the lowest rank in ranks, until no adjacent pair joins")
