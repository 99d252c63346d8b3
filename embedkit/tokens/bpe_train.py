"""Training byte-level BPE: merge the most frequent pair of tokens, again and again.

The steps are those of the Tokens chapter (``chapters/tokens/bpe.md``). First :func:`count_chunks` cuts the
text into chunks (GPT-style pre-tokenization) and counts each distinct chunk once, with its frequency; each
chunk is a list of byte ids. Then:

1. :func:`count_pairs`: count every pair of adjacent ids, weighted by chunk frequency, and remember which
   chunks hold each pair.
2. :func:`best_pair`: take the most frequent pair (ties: the pair with the smaller ids).
3. :func:`merge_pair`: replace it by the new id in every chunk that holds it, and adjust the counts of
   the pairs around it.

:func:`learn_merges` repeats 2 and 3 until the vocabulary has the size asked for. Recounting every pair
after every merge (step 1 each time) would cost the whole corpus per merge; only the chunks that hold the
merged pair change, and in them only the pairs touching the merged spot, so step 3 updates the counts
**incrementally**, and a max-heap with lazy deletion (stale entries are skipped when popped) gives the next
best pair without scanning all pairs. :meth:`embedkit.tokens.BPETokenizer.train` wraps it.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from .pretokenize import compile_pattern, split_chunks

__all__ = ["Merge", "PairTable", "best_pair", "count_chunks", "count_pairs", "learn_merges", "merge_pair"]

Pair = tuple[int, int]


@dataclass(frozen=True)
class Merge:
    """One step of training: tokens ``left`` and ``right`` were joined into ``new`` (all ids), because the
    pair occurred ``count`` times in the training text (counting each chunk once per occurrence)."""

    left: int
    right: int
    new: int
    count: int


@dataclass
class PairTable:
    """The pair counts that training keeps up to date.

    Attributes:
        counts: adjacent pair of ids → its number of occurrences, weighted by chunk frequency.
        where: pair → the chunks (indices) that hold it; may include chunks that no longer do.
        heap: ``(-count, pair)`` entries, a max-heap by count; an entry whose count is no longer the
            pair's is stale and skipped.
    """

    counts: defaultdict[Pair, int] = field(default_factory=lambda: defaultdict(int))
    where: defaultdict[Pair, set[int]] = field(default_factory=lambda: defaultdict(set))
    heap: list[tuple[int, Pair]] = field(default_factory=list)


def count_chunks(text: str, pattern: str, specials: Sequence[str] = ()) -> tuple[list[list[int]], list[int]]:
    """Step 0: the distinct chunks of ``text`` as lists of byte ids, and how often each occurs.

    Identical chunks (``"␣the"`` appears thousands of times) are processed once. Occurrences of the
    ``specials`` are cut out of the text first, so that they never take part in a merge.
    """
    pieces = regex.split("|".join(map(regex.escape, specials)), text) if specials else [text]
    compiled = compile_pattern(pattern)
    chunk_counts = Counter(chunk for piece in pieces for chunk in split_chunks(compiled, piece))
    return [list(chunk.encode("utf-8")) for chunk in chunk_counts], list(chunk_counts.values())


def count_pairs(words: Sequence[Sequence[int]], freqs: Sequence[int]) -> PairTable:
    """Step 1, done once: every adjacent pair of ids, counted over the chunks ``words``
    weighted by their ``freqs``, with the chunks that hold it and a heap ordered by
    count."""
    table = PairTable()
    for w, (word, f) in enumerate(zip(words, freqs)):
        for pair in zip(word, word[1:]):
            table.counts[pair] += f
            table.where[pair].add(w)
    table.heap = [(-c, pair) for pair, c in table.counts.items()]
    heapq.heapify(table.heap)
    return table


def best_pair(table: PairTable) -> tuple[Pair, int] | None:
    """Step 2: the most frequent pair and its count (ties: the smaller ids), or ``None``
    when no pair occurs twice any more. Pops heap entries until one is current (counts
    change under the heap)."""
    while table.heap:
        neg, pair = heapq.heappop(table.heap)
        count = table.counts.get(pair, 0)
        if count != -neg:
            continue
        return (pair, count) if count >= 2 else None
    return None


def merge_pair(
    table: PairTable,
    words: list[list[int]],
    freqs: Sequence[int],
    pair: Pair,
    new: int,
) -> None:
    """Step 3: replace ``pair`` by the id ``new`` in every chunk that holds it
    (``words`` is rewritten in place), subtract the chunks' old pairs, add their new
    ones, and push the changed counts on the heap."""
    left, right = pair
    changed: set[Pair] = set()
    counts, where = table.counts, table.where
    for w in where.pop(pair):
        word, f = words[w], freqs[w]
        merged = _merge_word(word, left, right, new)
        # a stale entry: an earlier merge already consumed this pair here
        if merged is None:
            continue
        for p in zip(word, word[1:]):
            counts[p] -= f
            changed.add(p)
        for p in zip(merged, merged[1:]):
            counts[p] += f
            where[p].add(w)
            changed.add(p)
        words[w] = merged
    counts.pop(pair, None)
    changed.discard(pair)
    for p in changed:
        c = counts[p]
        if c > 0:
            heapq.heappush(table.heap, (-c, p))
        else:
            del counts[p]


def learn_merges(
    text: str,
    wanted: int,
    *,
    pattern: str,
    specials: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[bytes], list[Merge]]:
    """Up to ``wanted`` new tokens learned from ``text``: the 256 byte tokens followed
    by the new ones (id = position), and the :class:`Merge` that made each. Stops early
    if no pair occurs twice any more. ``progress(tokens_made, tokens_wanted)`` is called
    every 100 merges."""
    words, freqs = count_chunks(text, pattern, specials)
    table = count_pairs(words, freqs)
    tokens = [bytes([b]) for b in range(256)]
    index = {t: i for i, t in enumerate(tokens)}
    merges: list[Merge] = []
    while len(tokens) < 256 + wanted:
        best = best_pair(table)
        if best is None:
            break
        (left, right), count = best
        joined = tokens[left] + tokens[right]
        # the same bytes may already be a token, made from another split
        new = index.get(joined)
        if new is None:
            new = len(tokens)
            tokens.append(joined)
            index[joined] = new
        merges.append(Merge(left, right, new, count))
        merge_pair(table, words, freqs, (left, right), new)
        if progress and len(merges) % 100 == 0:
            progress(len(tokens) - 256, wanted)
    return tokens, merges


def _merge_word(word: list[int], left: int, right: int, new: int) -> list[int] | None:
    """``word`` with every non-overlapping ``left right`` (scanning left to right) replaced by ``new``;
    ``None`` if the pair does not occur."""
    out: list[int] = []
    i, n, hit = 0, len(word), False
    while i < n:
        if i + 1 < n and word[i] == left and word[i + 1] == right:
            out.append(new)
            i += 2
            hit = True
        else:
            out.append(word[i])
            i += 1
    return out if hit else None
