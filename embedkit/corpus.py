"""A corpus: raw text, and the same text as lower-cased word tokens grouped into sentences."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from . import checks

__all__ = ["Corpus", "split_sentences", "tokenize"]

# A word is a run of letters, optionally with inner apostrophes (don't, o'er) or hyphens (well-being).
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# A sentence ends at . ! or ? followed by white space (good enough for edited prose such as speeches).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of ``text``; digits and punctuation are dropped.

    >>> tokenize("The King's men, 1611.")
    ["the", "king's", "men"]
    """
    return _WORD.findall(checks.text("text", text).lower())


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences at ``.``, ``!`` or ``?`` followed by white space."""
    return [s for s in _SENTENCE_END.split(checks.text("text", text)) if s.strip()]


@dataclass(frozen=True)
class Corpus:
    """A named collection of documents.

    Attributes:
        name: short name, e.g. ``"sotu"``.
        documents: raw text of each document (a speech, a verse, a news article).
        titles: one label per document.
        one_sentence_per_document: treat each document as one sentence (KJV verses) instead of
            splitting it at sentence punctuation.
    """

    name: str
    documents: tuple[str, ...]
    titles: tuple[str, ...]
    one_sentence_per_document: bool = False

    def __post_init__(self):
        checks.text("name", self.name, allow_empty=False)
        # Stored as tuples (the dataclass is frozen, and a corpus must not change under a cached_property).
        object.__setattr__(self, "documents", tuple(checks.strings("documents", self.documents, allow_empty_strings=True)))
        object.__setattr__(self, "titles", tuple(checks.strings("titles", self.titles, allow_empty_strings=True)))
        if len(self.titles) != len(self.documents):
            raise ValueError(f"titles must give one label per document, got {len(self.titles):,} titles for "
                             f"{len(self.documents):,} documents")
        if not isinstance(self.one_sentence_per_document, bool):
            raise TypeError(f"one_sentence_per_document must be True or False, got "
                            f"{checks.describe(self.one_sentence_per_document)}")

    @property
    def text(self) -> str:
        """All documents joined by blank lines."""
        return "\n\n".join(self.documents)

    @cached_property
    def sentences(self) -> list[list[str]]:
        """Tokenized sentences (lists of lower-cased words), empty ones dropped."""
        out: list[list[str]] = []
        for doc in self.documents:
            pieces = [doc] if self.one_sentence_per_document else split_sentences(doc)
            out.extend(toks for toks in map(tokenize, pieces) if toks)
        return out

    @property
    def n_words(self) -> int:
        """Number of word tokens."""
        return sum(map(len, self.sentences))

    def counts(self) -> Counter:
        """Word frequencies."""
        return Counter(w for s in self.sentences for w in s)

    def __repr__(self) -> str:
        return f"Corpus({self.name!r}, {len(self.documents):,} documents)"
