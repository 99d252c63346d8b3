"""Checkers for the position lab's exercises (``chapters/lab/exercises.md``).

* :func:`bigram_loss`: the lab's reference line, the held-out loss of an add-``smoothing`` bigram model,
  against :func:`embedkit.lab.tasks.bigram_loss`.
* :func:`token_losses`: the loss and correctness of every prediction of a model, the numbers every lab
  table averages, against :func:`embedkit.lab.evaluate.token_losses`.

Cases are small seeded texts and the King James Bible of the lab (:func:`embedkit.lab.tasks.kjv_characters`),
and small untrained :class:`~embedkit.lab.model.PositionLM` models of several position schemes (an untrained
model's predictions are as good a test of the arithmetic as a trained one's, and take no training time).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..lab.evaluate import token_losses as token_losses_reference
from ..lab.model import PositionLM
from ..lab.tasks import CharText, kjv_characters, spaced_windows
from ..lab.tasks import bigram_loss as bigram_loss_reference
from .grading import Case, Mistake, Result, compare_arrays, grade

__all__ = ["bigram_loss", "token_losses"]


# -- the bigram reference line ---------------------------------------------------------------------------


def _bigram(text: CharText, smoothing: float, *, rows: bool = True, part: str = "train", log=torch.log) -> float:
    v = text.vocab_size
    ids = getattr(text, part)
    counts = torch.zeros(v, v, dtype=torch.float64)
    counts.index_put_((ids[:-1], ids[1:]), torch.ones(len(ids) - 1, dtype=torch.float64), accumulate=True)
    counts += smoothing
    total = counts.sum(1, keepdim=True) if rows else counts.sum(0, keepdim=True)
    log_probs = log(counts) - log(total)
    return float(-log_probs[text.valid[:-1], text.valid[1:]].mean())


def _bigram_bits(text, smoothing=1.0):
    return _bigram(text, smoothing, log=torch.log2)


def _bigram_columns(text, smoothing=1.0):
    return _bigram(text, smoothing, rows=False)


def _bigram_on_valid(text, smoothing=1.0):
    return _bigram(text, smoothing, part="valid")


def _bigram_add_one(text, smoothing=1.0):
    return _bigram(text, 1.0)


def bigram_loss(fn: Callable) -> Result:
    """Check ``fn(text, smoothing=1.0) -> float``: the held-out cross-entropy, in nats per character, of a bigram
    model counted on ``text.train`` with ``smoothing`` added to every count, scored on each pair of
    consecutive characters of ``text.valid``.

    ``text`` is a :class:`~embedkit.lab.tasks.CharText`: ``text.train`` and ``text.valid`` are tensors of
    character ids in ``0 .. text.vocab_size - 1``.
    """
    sentence = CharText.from_text("the cat sat on the mat and the dog sat on the log. " * 20, valid_fraction=0.1)
    generator = torch.Generator().manual_seed(6)
    letters = "abcdefgh "
    noise = "".join(letters[i] for i in torch.randint(0, len(letters), (3000,), generator=generator))
    cases = [
        Case("a repeated sentence, add-one", (sentence,), {"smoothing": 1.0}),
        Case("3,000 random letters, add-0.5", (CharText.from_text(noise),), {"smoothing": 0.5}),
        Case("the lab's King James Bible, add-one", (kjv_characters(),), {"smoothing": 1.0}),
        Case("the lab's King James Bible, add-0.01", (kjv_characters(),), {"smoothing": 0.01}),
        Case("edge: a held-out part of one pair", (CharText.from_text("abcabcabcabc", valid_fraction=0.2),),
             {"smoothing": 1.0}),
    ]
    mistakes = [
        Mistake(_bigram_bits, "that is in bits (log base 2); the lab reports nats (natural log): divide by ln 2 "
                              "less, i.e. use torch.log"),
        Mistake(_bigram_columns, "normalise each row (the current character) so that P(next | current) sums to 1 "
                                 "over the next character; you normalised the columns"),
        Mistake(_bigram_on_valid, "count the pairs on text.train and score them on text.valid: counting on the "
                                  "held-out text itself is cheating"),
        Mistake(_bigram_add_one, "add the smoothing asked for (the second argument), not always 1"),
    ]
    return grade("bigram loss", fn, bigram_loss_reference, cases, mistakes=mistakes,
                 hint="count[a, b] = times b follows a in text.train, plus smoothing; P(b | a) = count[a, b] / "
                      "row sum; return the mean of −log P(b | a) over consecutive pairs of text.valid")


# -- per-token losses ------------------------------------------------------------------------------------


def _losses_bits(model, inputs, targets):
    losses, correct = token_losses_reference(model, inputs, targets)
    return losses / math.log(2), correct


@torch.no_grad()
def _losses_against_inputs(model, inputs, targets):
    logits = model(inputs)
    return (F.cross_entropy(logits.transpose(1, 2), inputs, reduction="none"), logits.argmax(-1) == inputs)


@torch.no_grad()
def _losses_of_probabilities(model, inputs, targets):
    logits = model(inputs)
    probs = logits.softmax(-1)
    nll = -probs.gather(-1, targets[..., None])[..., 0]
    return nll, logits.argmax(-1) == targets


def compare_losses(expected, got) -> str | None:
    """``None`` if ``got`` is a pair (losses, correct) close to ``expected``; else what differs."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return f"expected a pair (losses, correct) of (n, length) tensors, got {type(got).__name__}"
    for name, want, have in zip(("losses", "correct"), expected, got):
        if name == "correct" and hasattr(have, "dtype") and have.dtype == torch.bool:
            have = have.float()
        reason = compare_arrays(want.float() if name == "correct" else want, have, rtol=1e-4, atol=1e-5)
        if reason is not None:
            return f"{name}: {reason}"
    return None


class _LabCase(Case):
    """A case whose report names models and tensors briefly ("<PositionLM rope>", "<tensor of shape (4, 16)>")."""

    def show(self) -> str:
        def short(value):
            if isinstance(value, PositionLM):
                return f"<PositionLM {value.scheme}>"
            if isinstance(value, torch.Tensor):
                return f"<tensor of shape {tuple(value.shape)}>"
            return repr(value)

        return f"({', '.join(short(a) for a in self.args)})"


def _model(scheme: str, vocab: int, seed: int) -> PositionLM:
    torch.manual_seed(seed)
    return PositionLM(vocab, scheme, d_model=32, n_heads=4, n_layers=1)


def token_losses(fn: Callable) -> Result:
    """Check ``fn(model, inputs, targets) -> (losses, correct)``: for windows ``inputs`` and their next
    characters ``targets`` (both ``LongTensor (n, length)``), the cross-entropy in nats of every prediction
    of ``model`` (``model(inputs)`` gives logits ``(n, length, vocab)``) and whether its most likely
    character is the target, both ``(n, length)``."""
    text = CharText.from_text("in the beginning god created the heaven and the earth. " * 40)
    short = spaced_windows(text.train, 16, 4)
    long = spaced_windows(text.train, 48, 3)
    cases = [
        _LabCase("NoPE model, 4 windows of 16", (_model("nope", text.vocab_size, 0), *short)),
        _LabCase("RoPE model, 3 windows of 48", (_model("rope", text.vocab_size, 1), *long)),
        _LabCase("ALiBi model, 4 windows of 16", (_model("alibi", text.vocab_size, 2), *short)),
        _LabCase("edge: one window of one character",
                 (_model("learned", text.vocab_size, 3), *spaced_windows(text.train, 1, 1))),
    ]
    mistakes = [
        Mistake(_losses_bits, "those losses are in bits; the lab uses nats (F.cross_entropy's natural log)"),
        Mistake(_losses_against_inputs, "score the prediction at position t against targets[:, t], the next "
                                        "character, not against the input at t"),
        Mistake(_losses_of_probabilities, "cross-entropy is −log of the softmax probability of the target, not "
                                          "minus the probability itself"),
    ]
    return grade("token losses", fn, token_losses_reference, cases, compare=compare_losses, mistakes=mistakes,
                 hint="logits = model(inputs); F.cross_entropy(logits.transpose(1, 2), targets, reduction='none') "
                      "keeps one loss per position; correct is logits.argmax(-1) == targets")
