"""The lab's task: next-character prediction on the King James Bible.

Predicting the next character needs order: "dog" and "god" are the same bag of letters, and what follows
depends on which letter came last. The dependencies are mostly short (a few characters to a few words), so
a model that has learned *relative* order can keep working on windows longer than it was trained on, while
a model that has learned *absolute* positions meets positions it has never seen. That makes the task a
clean test of length extrapolation: the text itself is the same at every length.

Text is split into a training part and a held-out part (the last 5%: Colossians to Revelation), encoded
as one long tensor of character ids, and cut into windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .. import checks


@dataclass(frozen=True)
class CharText:
    """A text encoded as character ids, split into a training and a held-out part.

    Attributes:
        alphabet: the characters, in id order (sorted), so ``alphabet[i]`` is character id ``i``.
        train: ``LongTensor (n_train,)`` of ids.
        valid: ``LongTensor (n_valid,)`` of ids, the text after ``train``.
    """

    alphabet: str
    train: torch.Tensor
    valid: torch.Tensor

    @classmethod
    def from_text(cls, text: str, *, valid_fraction: float = 0.05) -> CharText:
        """Encode ``text``; the last ``valid_fraction`` of it is held out."""
        checks.text("text", text)
        valid_fraction = checks.real("valid_fraction", valid_fraction, minimum=0, maximum=1, open_min=True, open_max=True)
        if len(text) < 2:
            raise ValueError(f"text must have at least 2 characters, got {len(text)}")
        alphabet = "".join(sorted(set(text)))
        codes = torch.from_numpy(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64))
        table = torch.full((max(map(ord, alphabet)) + 1,), -1, dtype=torch.int64)
        table[[ord(c) for c in alphabet]] = torch.arange(len(alphabet))
        encoded = table[codes]
        n_valid = max(1, int(len(text) * valid_fraction))
        return cls(alphabet, encoded[:-n_valid].clone(), encoded[-n_valid:].clone())

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters."""
        return len(self.alphabet)

    def encode(self, text: str) -> torch.Tensor:
        """``LongTensor (len(text),)`` of ids; a character outside the alphabet raises ``KeyError``."""
        checks.text("text", text)
        index = {c: i for i, c in enumerate(self.alphabet)}
        try:
            return torch.tensor([index[c] for c in text], dtype=torch.int64)
        except KeyError as err:
            raise KeyError(f"character {err.args[0]!r} is not in the alphabet of {self.vocab_size} characters") from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids."""
        return "".join(self.alphabet[int(i)] for i in ids)

    def __repr__(self) -> str:
        return f"CharText({self.vocab_size} characters, {len(self.train):,} train, {len(self.valid):,} held out)"


@lru_cache(maxsize=1)
def kjv_characters(valid_fraction: float = 0.05) -> CharText:
    """The King James Bible (``embedkit.data.kjv``), one verse per line, as characters."""
    from .. import data

    return CharText.from_text("\n".join(data.kjv().documents), valid_fraction=valid_fraction)


def random_windows(ids: torch.Tensor, length: int, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``batch_size`` windows at random offsets: inputs and next-character targets, both ``(batch, length)``."""
    ids, length = _check_length(ids, length)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (seeded, so batches repeat), got {checks.describe(generator)}")
    starts = torch.randint(0, len(ids) - length, (batch_size,), generator=generator)
    windows = ids[starts[:, None] + torch.arange(length + 1)]
    return windows[:, :-1], windows[:, 1:]


def spaced_windows(ids: torch.Tensor, length: int, n_windows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n_windows`` windows at evenly spaced offsets (deterministic), inputs and targets ``(n, length)``.

    Windows of every length start at the same offsets, so the first characters of a long window are those
    of the short one: a comparison across lengths measures the model, not a different sample of text.
    """
    ids, length = _check_length(ids, length)
    n_windows = checks.integer("n_windows", n_windows, minimum=1)
    stride = (len(ids) - 1) // n_windows  # independent of length: every length uses the same starts
    if (n_windows - 1) * stride + length + 1 > len(ids):
        raise ValueError(f"{n_windows} windows of length {length} do not fit in {len(ids)} ids")
    starts = torch.arange(n_windows) * stride
    windows = ids[starts[:, None] + torch.arange(length + 1)]
    return windows[:, :-1], windows[:, 1:]


def _check_length(ids: torch.Tensor, length: int) -> tuple[torch.Tensor, int]:
    ids = checks.tensor("ids", ids, ndim=1, floating=False)
    length = checks.integer("length", length, minimum=1)
    if len(ids) <= length:
        raise ValueError(f"length must be shorter than the text ({len(ids)} ids), got {length}")
    return ids, length


def bigram_loss(text: CharText, *, smoothing: float = 1.0) -> float:
    """Held-out cross-entropy (nats per character) of a bigram model counted on ``text.train``.

    A reference line: the best a model can do from the current character alone, with no use of anything
    earlier. Add-``smoothing`` (Laplace) counts keep unseen pairs finite.
    """
    if not isinstance(text, CharText):
        raise TypeError(f"text must be a CharText, got {checks.describe(text)}")
    smoothing = checks.real("smoothing", smoothing, minimum=0, open_min=True)
    v = text.vocab_size
    counts = torch.bincount(text.train[:-1] * v + text.train[1:], minlength=v * v).double().view(v, v) + smoothing
    log_probs = counts.log() - counts.sum(1, keepdim=True).log()
    return float(-log_probs[text.valid[:-1], text.valid[1:]].mean())
