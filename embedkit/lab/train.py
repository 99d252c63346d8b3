"""Training loop for the lab: AdamW, linear warm-up then cosine decay, gradient clipping, fixed seeds.

Every model sees exactly the same batches in the same order (the batch generator is seeded separately
from the weights), so differences between schemes come from the schemes, not from the data.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .. import checks
from .model import PositionLM
from .tasks import CharText, random_windows


@dataclass
class TrainConfig:
    """Settings of one training run.

    Attributes:
        seq_len: training window length (the "training length" the lab measures against).
        steps: optimiser steps.
        batch_size: windows per step.
        lr: peak learning rate; warm-up over ``warmup`` steps, then cosine decay to ``lr / 10``.
        weight_decay: AdamW weight decay (matrices only; not embeddings, norms or biases).
        clip: gradient-norm clip.
        seed: seeds the weights (``torch.manual_seed``) and, separately, the batches.
    """

    seq_len: int = 64
    steps: int = 300
    batch_size: int = 32
    lr: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.01
    clip: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("seq_len", "steps", "batch_size"):
            checks.integer(name, getattr(self, name), minimum=1)
        checks.integer("warmup", self.warmup, minimum=0)
        checks.real("lr (the peak learning rate)", self.lr, minimum=0, open_min=True)
        checks.real("weight_decay", self.weight_decay, minimum=0)
        checks.real("clip (the largest gradient norm)", self.clip, minimum=0, open_min=True)
        checks.integer("seed", self.seed, minimum=0, maximum=2**63 - 1)

    def learning_rate(self, step: int) -> float:
        """Learning rate at ``step`` (0-based)."""
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        progress = (step - self.warmup) / max(1, self.steps - self.warmup)
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@dataclass
class TrainResult:
    """A trained model and how it got there: the training loss per step and the wall time in seconds."""

    model: PositionLM
    config: TrainConfig
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0


def diverged(step: int, config: TrainConfig, what: str) -> ValueError:
    """The error :func:`train` raises when ``what`` stopped being finite at ``step``: the fix is a smaller step."""
    return ValueError(
        f"training diverged: {what} became NaN or infinite at step {step} of {config.steps} (learning rate "
        f"{config.learning_rate(step):.3g}). Train again with a smaller lr (it is {config.lr:g}; try "
        f"{config.lr / 10:g}), a longer warmup or a smaller clip")


def train(model: PositionLM, ids: torch.Tensor, config: TrainConfig) -> TrainResult:
    """Train ``model`` in place on random windows of ``ids`` (``LongTensor (n,)``) and return the record.

    Raises ``ValueError`` as soon as the loss or the gradient norm is NaN or infinite (before the step that
    would write it into the weights), naming the fix."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n and "positions" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n and "positions" not in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr, betas=(0.9, 0.98))
    batches = torch.Generator().manual_seed(10_000 + config.seed)
    result = TrainResult(model, config)
    start = time.perf_counter()
    model.train()
    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate(step)
        inputs, targets = random_windows(ids, config.seq_len, config.batch_size, batches)
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        value = loss.item()  # read every step anyway; checking it and the gradient norm costs nothing
        if not (math.isfinite(value) and math.isfinite(float(norm))):
            raise diverged(step, config, "the loss" if not math.isfinite(value) else "the gradient")
        optimizer.step()
        result.losses.append(value)
    model.eval()
    result.seconds = time.perf_counter() - start
    return result


def train_lm(text: CharText, scheme: str, config: TrainConfig, **model_kwargs) -> TrainResult:
    """Build a :class:`PositionLM` with ``scheme`` (weights seeded by ``config.seed``) and train it on
    ``text.train``. ``model_kwargs`` go to :class:`PositionLM` (``d_model``, ``n_layers``, ``max_len`` …)."""
    torch.manual_seed(config.seed)
    model = PositionLM(text.vocab_size, scheme, **model_kwargs)
    return train(model, text.train, config)
