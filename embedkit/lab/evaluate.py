"""Measuring a trained model at and beyond its training length, and stretching RoPE at inference.

:func:`token_losses` gives the loss and correctness of every predicted character in a set of windows;
:func:`evaluate` averages them into one row per window length (:func:`evaluate_with_profile` keeps the
longest windows' position axis as well); :func:`loss_by_position` keeps the position
axis, which is where extrapolation failures show (the loss is flat up to the training length and then
either stays flat or climbs). :func:`scaled_ropes` builds the context-extension variants of a trained
model's RoPE (:mod:`embedkit.rotary.scaling`), to be swapped in with :meth:`PositionLM.set_rope`.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from .. import checks
from .model import PositionLM
from .tasks import spaced_windows

EXTENSIONS = ("linear", "dynamic", "yarn")
"""The context-extension scalings the lab applies to a trained RoPE model, as Hugging Face names them."""


@torch.no_grad()
def token_losses(model: PositionLM, inputs: torch.Tensor, targets: torch.Tensor, *,
                 batch_size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy (nats) and correctness (argmax == target) of every prediction, each ``(n, length)``."""
    _check_model(model)
    inputs = checks.tensor("inputs", inputs, floating=False)
    targets = checks.tensor("targets", targets, floating=False)
    batch_size = checks.integer("batch_size", batch_size, minimum=1)
    if inputs.shape != targets.shape or inputs.dim() != 2:
        raise ValueError(f"inputs and targets must both be (n, length), got {tuple(inputs.shape)} and {tuple(targets.shape)}")
    was_training = model.training
    model.eval()
    losses, correct = [], []
    for i in range(0, len(inputs), batch_size):
        logits = model(inputs[i:i + batch_size])
        y = targets[i:i + batch_size]
        losses.append(F.cross_entropy(logits.transpose(1, 2), y, reduction="none"))
        correct.append(logits.argmax(-1) == y)
    model.train(was_training)
    return torch.cat(losses), torch.cat(correct)


def evaluate(model: PositionLM, ids: torch.Tensor, lengths, *, n_windows: int = 64) -> list[dict]:
    """Mean loss (nats per character) and accuracy over ``n_windows`` held-out windows of each length.

    Every prediction in the window counts, so a window of 4× the training length mixes the first quarter
    (positions the model was trained on) with three quarters it never saw. Returns one dict per length:
    ``length``, ``loss``, ``accuracy``, ``loss_beyond`` / ``accuracy_beyond`` — the same over the
    positions after the first length in ``lengths`` only (NaN for that first length).
    """
    return _measure(model, ids, lengths, n_windows)[0]


def evaluate_with_profile(model: PositionLM, ids: torch.Tensor, lengths, *,
                          n_windows: int = 64) -> tuple[list[dict], torch.Tensor]:
    """:func:`evaluate` and, from the same windows, the mean loss at each position of the longest length
    (``(max(lengths),)``, what :func:`loss_by_position` gives for it), so the longest windows, the dearest
    to run, are run once instead of twice."""
    return _measure(model, ids, lengths, n_windows)


def _measure(model, ids, lengths, n_windows) -> tuple[list[dict], torch.Tensor]:
    _check_model(model)
    lengths = _check_lengths(lengths)
    n_windows = checks.integer("n_windows", n_windows, minimum=1)
    first, longest = lengths[0], max(lengths)
    rows, profile = [], None
    for length in lengths:
        losses, correct = token_losses(model, *spaced_windows(ids, length, n_windows))
        beyond = losses[:, first:], correct[:, first:].float()
        rows.append({
            "length": length,
            "loss": losses.mean().item(),
            "accuracy": correct.float().mean().item(),
            "loss_beyond": beyond[0].mean().item() if length > first else math.nan,
            "accuracy_beyond": beyond[1].mean().item() if length > first else math.nan,
        })
        if length == longest and profile is None:
            profile = losses.mean(0)
    return rows, profile


def loss_by_position(model: PositionLM, ids: torch.Tensor, length: int, *, n_windows: int = 64) -> torch.Tensor:
    """Mean loss at each position of ``n_windows`` held-out windows of ``length``: ``(length,)``."""
    _check_model(model)
    losses, _ = token_losses(model, *spaced_windows(ids, length, n_windows))
    return losses.mean(0)


def scaled_ropes(rope, *, factor: float, original_length: int, kinds=EXTENSIONS) -> dict:
    """Context-extension variants of ``rope`` (an :class:`embedkit.rotary.RoPE`), keyed by scaling type.

    Each has the same ``head_dim``, ``base`` and layout and a Hugging Face ``rope_parameters`` scaling
    ``{"rope_type": kind, "factor": factor, "original_max_position_embeddings": original_length}``:
    ``linear`` divides every frequency by ``factor`` (position interpolation); ``dynamic`` raises the base
    once a sequence is longer than ``original_length`` (NTK-aware, no change up to it); ``yarn`` interpolates
    only the slow pairs and scales the logits.
    """
    from ..rotary import RoPE, get_scaling

    if not isinstance(rope, RoPE):
        raise TypeError(f"rope must be an embedkit.rotary.RoPE (a trained model's model.rope), got {checks.describe(rope)}")
    kinds = checks.strings("kinds", kinds)
    unknown = [k for k in kinds if k not in EXTENSIONS]
    if unknown:
        raise ValueError(f"kinds must be among {', '.join(EXTENSIONS)}; got {unknown}")
    factor = checks.real("factor", factor, minimum=1)  # the context is stretched, not shrunk
    original_length = checks.integer("original_length", original_length, minimum=2)
    out = {}
    for kind in kinds:
        scaling = {"rope_type": kind, "factor": float(factor)}
        if "original_max_position_embeddings" in get_scaling(kind).required:  # linear needs no reference length
            scaling["original_max_position_embeddings"] = int(original_length)
        out[kind] = RoPE(rope.head_dim, base=rope.base, layout=rope.layout, rotary_fraction=rope.rotary_fraction,
                         max_positions=rope.max_positions, scaling=scaling)
    return out


def _check_model(model) -> None:
    if not isinstance(model, PositionLM):
        raise TypeError(f"model must be an embedkit.lab.model.PositionLM, got {checks.describe(model)}")


def _check_lengths(lengths) -> list[int]:
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise TypeError(f"lengths must be a list of window lengths, got {checks.describe(lengths)}")
    lengths = [checks.integer(f"lengths[{i}]", n, minimum=1) for i, n in enumerate(lengths)]
    if not lengths:
        raise ValueError("lengths must hold at least one length, got an empty list")
    return lengths


@contextmanager
def rope_swapped(model: PositionLM, rope):
    """Run ``model`` with ``rope`` in every layer inside the ``with`` block; the original comes back after."""
    _check_model(model)
    original = model.rope
    model.set_rope(rope)
    try:
        yield model
    finally:
        model.set_rope(original)
