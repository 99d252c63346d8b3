"""The token-embedding table, and a small language model that learns one.

An embedding layer is a matrix ``E`` of shape ``(n_vocab, d)``; token id ``i`` is turned into row ``E[i]``.
That lookup is the same as multiplying a one-hot vector by ``E`` (:func:`one_hot_lookup`), which is why
only the rows of tokens present in a batch receive gradient. With **weight tying** (Press & Wolf, 2017)
the same matrix, transposed, also scores every token as the next one at the output.

:class:`TinyLM` is a small decoder-only transformer with a tied embedding, and :func:`train_lm` trains it
on a stream of token ids within a fixed number of steps, so a page can train one during the book build.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import checks
from ..checks import describe
from ..vectors import Vectors
from .bpe import BPETokenizer
from .labels import token_label

__all__ = ["one_hot_lookup", "TinyLM", "train_lm", "token_vectors"]


def one_hot_lookup(ids: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Embedding lookup written as a matrix product: ``one_hot(ids) @ weight``.

    ids: integer tensor of any shape ``(...)``; weight: ``(n_vocab, d)``. Returns
    ``(..., d)``, equal to ``weight[ids]`` (and to
    ``torch.nn.functional.embedding(ids, weight)``), only slower.
    """
    checks.tensor("weight", weight, ndim=2, floating=True)
    checks.tensor("ids", ids)
    if ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"ids must be an integer tensor, got {ids.dtype}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= weight.shape[0]):
        raise ValueError(
            f"ids must lie in 0 .. {weight.shape[0] - 1} (the rows of weight), "
            f"got {int(ids.min())} .. {int(ids.max())}"
        )
    return nn.functional.one_hot(ids.long(), weight.shape[0]).to(weight.dtype) @ weight


class TinyLM(nn.Module):
    """A small GPT-style language model: token embedding + learned positions, ``n_layers`` pre-norm
    transformer blocks with causal self-attention, a final layer norm, and an output layer **tied** to the
    token embedding (``logits = h @ E.T``).

    Args:
        n_vocab: rows of the embedding table (e.g. ``tokenizer.n_vocab``).
        d_model: width of every vector; n_heads: attention heads; n_layers: blocks;
        context: the longest sequence it reads; tie: share the embedding with the output layer.

    ``forward(ids)``: ids ``(batch, seq)`` with ``seq <= context`` → logits ``(batch, seq, n_vocab)``.
    """

    def __init__(self, n_vocab: int, d_model: int = 128, n_heads: int = 4, n_layers: int = 2, context: int = 64, tie: bool = True):
        super().__init__()
        checks.integer("n_vocab", n_vocab, minimum=1)
        checks.integer("d_model", d_model, minimum=1)
        checks.integer("n_heads", n_heads, minimum=1)
        checks.integer("n_layers", n_layers, minimum=1)
        checks.integer("context", context, minimum=1)
        if not isinstance(tie, bool):
            raise TypeError(f"tie must be True or False, got {describe(tie)}")
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
        self.context = context
        self.embed = nn.Embedding(n_vocab, d_model)
        self.positions = nn.Embedding(context, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=4 * d_model, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_vocab, bias=False)
        if tie:
            self.head.weight = self.embed.weight  # one matrix, two jobs
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        mask = torch.triu(torch.full((context, context), float("-inf")), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)

    @property
    def tied(self) -> bool:
        return self.head.weight is self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        checks.tensor("ids", ids, ndim=2, floating=False)
        seq = ids.shape[-1]
        n_vocab = self.embed.num_embeddings
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= n_vocab):
            raise ValueError(f"ids must lie in 0 .. {n_vocab - 1} (the model's vocabulary), got {int(ids.min())} .. {int(ids.max())}")
        if seq > self.context:
            raise ValueError(f"sequence length {seq} exceeds the model's context of {self.context} tokens")
        x = self.embed(ids) + self.positions(torch.arange(seq, device=ids.device))
        x = self.blocks(x, mask=self.mask[:seq, :seq], is_causal=True)
        return self.head(self.norm(x))


def train_lm(
    ids: Sequence[int] | np.ndarray,
    n_vocab: int,
    *,
    steps: int = 1500,
    batch_size: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    valid_fraction: float = 0.05,
    max_seconds: float | None = None,
    **model_options,
) -> tuple[TinyLM, pd.DataFrame]:
    """Train a :class:`TinyLM` to predict the next token of ``ids`` (one long stream of token ids).

    Random windows of ``context + 1`` tokens are drawn from the first ``1 - valid_fraction`` of the stream;
    the rest is held out. AdamW with warm-up and cosine decay. Stops after ``steps`` steps, or earlier when
    ``max_seconds`` have passed (the history says how many steps ran).

    Returns the model (in eval mode) and a history with columns ``step``, ``train_loss`` and
    ``valid_loss`` (cross-entropy in nats per token; ``valid_loss`` every 100 steps).
    """
    checks.integer("n_vocab", n_vocab, minimum=1)
    checks.integer("steps", steps, minimum=1)
    checks.integer("batch_size", batch_size, minimum=1)
    checks.real("lr", lr, minimum=0, open_min=True)
    checks.integer("seed", seed, minimum=0)
    checks.real("valid_fraction", valid_fraction, minimum=0, maximum=1, open_min=True, open_max=True)
    if max_seconds is not None:
        checks.real("max_seconds", max_seconds, minimum=0, open_min=True)
    array = checks.array("ids", ids, ndim=1, dtype=None)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"ids must be integer token ids, got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= n_vocab):
        raise ValueError(f"ids must lie in 0 .. {n_vocab - 1} (n_vocab = {n_vocab}), got {array.min()} .. {array.max()}")
    torch.manual_seed(seed)
    data = torch.as_tensor(array, dtype=torch.long)
    model = TinyLM(n_vocab, **model_options)
    ctx = model.context
    cut = int(len(data) * (1 - valid_fraction))
    if cut < 10 * (ctx + 1) or len(data) - cut < 4 * (ctx + 1):
        raise ValueError(f"{len(data):,} token ids are too few to train and validate with a context of {ctx}")
    train, valid = data[:cut], data[cut:]
    gen = torch.Generator().manual_seed(seed)
    valid_windows = valid[: (len(valid) // (ctx + 1)) * (ctx + 1)].view(-1, ctx + 1)[:64]

    def windows(n):
        starts = torch.randint(0, len(train) - ctx - 1, (n,), generator=gen)
        return torch.stack([train[s : s + ctx + 1] for s in starts.tolist()])

    def loss_of(batch):
        logits = model(batch[:, :-1])
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))

    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.95))
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))
    )
    history = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        model.train()
        loss = loss_of(windows(batch_size))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        if not (math.isfinite(loss.item()) and math.isfinite(norm)):  # before the step writes NaN into the weights
            raise ValueError(
                f"training diverged: {'the loss' if not math.isfinite(loss.item()) else 'the gradient'} became NaN "
                f"or infinite at step {step} of {steps} (learning rate {schedule.get_last_lr()[0]:.3g}). Train again "
                f"with a smaller lr (it is {lr:g}; try {lr / 10:g}) or a smaller batch_size")
        optimiser.step()
        schedule.step()
        row = {"step": step, "train_loss": loss.item(), "valid_loss": float("nan")}
        out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
        if step % 100 == 0 or step == steps or out_of_time:
            model.eval()
            with torch.no_grad():
                row["valid_loss"] = float(loss_of(valid_windows))
        history.append(row)
        if out_of_time:
            break
    model.eval()
    return model, pd.DataFrame(history)


def token_vectors(weight: torch.Tensor | np.ndarray, tokenizer: BPETokenizer, ids: Sequence[int] | None = None) -> Vectors:
    """Rows of an embedding matrix as :class:`embedkit.Vectors`, keyed by printable token labels
    (:func:`~embedkit.tokens.labels.token_label`, e.g. ``"␣king"``), so that the book's neighbour tools work
    on tokens. ``ids`` selects rows (default: every ordinary token). Labels are made unique by suffixing
    ``#id`` where two tokens would print alike."""
    if not isinstance(tokenizer, BPETokenizer):
        raise TypeError(f"tokenizer must be an embedkit BPETokenizer, got {describe(tokenizer)}")
    matrix = weight.detach().cpu().numpy() if isinstance(weight, torch.Tensor) else weight
    matrix = checks.array("weight", matrix, ndim=2, dtype=None)
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"ids must be a list of token ids, got {describe(ids)}")
    ids = list(range(len(tokenizer.tokens))) if ids is None else [tokenizer._check_id(i) for i in ids]
    if ids and max(ids) >= matrix.shape[0]:
        raise ValueError(f"weight has {matrix.shape[0]} rows but token id {max(ids)} needs row {max(ids)}: "
                         f"give the embedding matrix of this tokenizer (n_vocab = {tokenizer.n_vocab})")
    labels, seen = [], set()
    for i in ids:
        label = token_label(tokenizer.token_bytes(i))
        if label in seen:
            label = f"{label}#{i}"
        seen.add(label)
        labels.append(label)
    return Vectors(matrix[ids].astype(np.float32), labels)
