"""Attention sinks: a learned per-head sink logit (gpt-oss) and kept first tokens (StreamingLLM).

A softmax has to hand out all of its weight. When a query finds nothing worth reading it still must put
the mass somewhere, and trained models learn to put it on the first token, which every causal query can
see (Xiao et al. 2024, *Efficient Streaming Language Models with Attention Sinks*). Two ways to live
with that:

* give each head a place to put weight "nowhere": gpt-oss (OpenAI 2025) learns one scalar logit per head
  that joins every row of scores as an extra column; after the softmax that column is dropped, so a row's
  weights sum to ``1 − sink weight`` (:func:`attention_with_sinks`). It is the same as one more key that
  every query scores at the head's sink logit, with a value vector of zeros, and that is how it is
  computed here, with :func:`embedkit.positions.attention`;
* keep the first few tokens in a sliding-window cache (StreamingLLM's sink tokens): :func:`window_mask`
  says which keys a query sees, :func:`streaming_logits` runs a trained lab model that way, with RoPE
  positions counted within the cache as StreamingLLM assigns them.

:func:`layer_weights` returns a lab model's attention weights per layer, to measure where they go.
Shapes follow PyTorch's ``(batch, heads, seq, head_dim)``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .. import checks
from ..positions.attention import attention, causal_mask

__all__ = ["attention_with_sinks", "layer_weights", "streaming_logits", "window_mask"]


def window_mask(q_len: int, k_len: int | None = None, *, window: int | None = None,
                sink_tokens: int = 0,
                device: torch.device | str | None = None) -> Tensor:
    """Boolean ``(q_len, k_len)``, True where query ``i`` may attend to key ``j``.

    Causal (the queries are the last ``q_len`` of ``k_len`` positions, as in
    :func:`embedkit.positions.causal_mask`); with ``window``, a sliding window:
    query ``i`` at absolute position ``t`` sees the ``window`` keys
    ``t − window + 1 … t`` (itself included, as Hugging Face's ``sliding_window``),
    plus the first ``sink_tokens`` keys, which StreamingLLM never evicts.
    ``window=None`` is full causal attention.
    """
    mask = causal_mask(q_len, k_len, device=device)
    sink_tokens = checks.integer("sink_tokens", sink_tokens, minimum=0)
    if window is None:
        return mask
    window = checks.integer("window", window, minimum=1)
    k_len = mask.shape[1]
    q_pos = torch.arange(k_len - mask.shape[0], k_len, device=device)[:, None]
    k_pos = torch.arange(k_len, device=device)[None, :]
    return mask & ((q_pos - k_pos < window) | (k_pos < sink_tokens))


def _sink_logits(sinks, heads: int, like: Tensor) -> Tensor:
    if not isinstance(sinks, Tensor):
        raise TypeError(f"sinks must be a torch.Tensor of shape (heads,) = ({heads},), one logit per head, "
                        f"got {checks.describe(sinks)}")
    if sinks.shape != (heads,):
        raise ValueError(f"sinks must have shape (heads,) = ({heads},), one logit per query head, "
                         f"got {tuple(sinks.shape)}")
    if not sinks.is_floating_point():
        raise TypeError(f"sinks must have a floating dtype, got {sinks.dtype}")
    # -inf is allowed (no sink: ordinary attention); NaN and +inf are not logits anyone can mean
    if bool(torch.isnan(sinks).any()) or bool((sinks == float("inf")).any()):
        raise ValueError(f"sinks must be finite or -inf (no sink), got {sinks.tolist()}")
    return sinks.to(dtype=like.dtype, device=like.device)


def attention_with_sinks(q: Tensor, k: Tensor, v: Tensor, sinks: Tensor, *,
                         mask: Tensor | None = None,
                         window: int | None = None) -> tuple[Tensor, Tensor]:
    """Causal attention with a learned sink logit per head, as in gpt-oss (OpenAI 2025).

    Each row of scaled scores ``q·kᵀ/√head_dim`` gets one more column, the head's
    ``sinks[h]``; the softmax runs over the row and that column together, and the
    column is then dropped. So a head can put weight on no token at all: a row's
    weights sum to ``1 − p_sink``, ``p_sink = e^{s_h} / (e^{s_h} + Σ_j e^{score_j})``.
    Computed as :func:`embedkit.positions.attention` over one extra key whose score
    is ``sinks[h]`` (through the bias) and whose value is zero.

    Args:
        q: ``(batch, heads, q_len, head_dim)``.
        k, v: ``(batch, kv_heads, k_len, head_dim)``; ``kv_heads`` divides ``heads``.
        sinks: ``(heads,)`` sink logits, finite or ``-inf`` (``-inf`` in every head
            is ordinary attention).
        mask: boolean, True where a query may attend, broadcastable to
            ``(batch, heads, q_len, k_len)``; by default causal (the queries are
            the last ``q_len`` positions).
        window: a sliding window on top of the default causal mask: each query
            sees its last ``window`` keys, itself included (Hugging Face's
            ``sliding_window``; gpt-oss has 128 in every other layer).

    Returns:
        ``(output, weights)``: ``(batch, heads, q_len, head_dim)`` and
        ``(batch, heads, q_len, k_len)``; masked entries are exactly 0 and each row
        sums to ``1 − p_sink``, so ``p_sink = 1 − weights.sum(-1)``.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        checks.tensor(name, t, ndim=4, floating=True)
    batch, heads, q_len, _ = q.shape
    sinks = _sink_logits(sinks, heads, q)
    shape = (batch, heads, q_len, k.shape[2])
    if mask is None:
        mask = window_mask(q_len, k.shape[2], window=window, device=q.device)
    else:
        mask = _check_mask(mask, window, shape)
    bias = torch.zeros(shape, dtype=q.dtype, device=q.device)
    bias = bias.masked_fill(~mask, float("-inf"))
    sink_column = sinks.view(1, heads, 1, 1).expand(batch, heads, q_len, 1)
    # the sink is one more key: its score is the head's logit, its value is zero
    zero = k.new_zeros(k.shape[0], k.shape[1], 1, k.shape[3])
    k, v = torch.cat([k, zero], dim=2), torch.cat([v, zero], dim=2)
    out, weights = attention(q, k, v, bias=torch.cat([bias, sink_column], dim=-1))
    return out, weights[..., :-1]


def _check_mask(mask, window, shape) -> Tensor:
    if window is not None:
        raise ValueError("give either mask or window, not both (put the window into the mask)")
    checks.tensor("mask", mask)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a boolean tensor (True = may attend), got dtype {mask.dtype}")
    try:
        return torch.broadcast_to(mask, shape)
    except RuntimeError:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to (batch, heads, q_len, "
                         f"k_len) = {shape}") from None


def _check_lab_model(model) -> None:
    # the lab comes after this chapter, so it is recognised by its parts, not imported
    parts = ("embed", "blocks", "norm", "head")
    if not all(hasattr(model, p) for p in parts) or not all(
            hasattr(b, "attn") and hasattr(b.attn, "q_proj") for b in model.blocks):
        raise TypeError(f"model must be a trained embedkit.lab.model.PositionLM, got {checks.describe(model)}")
    if getattr(model, "positions", None) is not None or any(b.attn.bias is not None for b in model.blocks):
        raise ValueError(f"model must use a position scheme inside attention through q and k (the 'rope' "
                         f"scheme) or none ('nope'), got {getattr(model, 'scheme', '?')!r}")


def _check_ids(model, ids) -> Tensor:
    ids = checks.tensor("ids", ids, ndim=2, floating=False)
    vocab = model.embed.num_embeddings
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab):
        raise ValueError(f"ids must be token ids in 0..{vocab - 1}, got values from {int(ids.min())} to "
                         f"{int(ids.max())}")
    return ids


def _run(model, ids: Tensor, *, window: int | None, sink_tokens: int, cache_positions: bool):
    seq = ids.shape[1]
    positions = torch.arange(seq, device=ids.device)
    mask = window_mask(seq, window=window, sink_tokens=sink_tokens, device=ids.device)
    # StreamingLLM numbers the tokens by their slot in the cache: once the window slides, a query sits at
    # slot sink_tokens + window - 1 and sink j at slot j. The other keys keep their offsets from the query,
    # so with RoPE (which sees offsets only) just the sink columns change.
    moved = window is not None and sink_tokens > 0 and cache_positions
    slot = positions.clamp(max=sink_tokens + window - 1) if moved else positions
    x = model.embed(ids)
    all_weights = []
    for block in model.blocks:
        attn, h = block.attn, block.norm1(x)
        b = h.shape[0]
        q, k, v = (proj(h).view(b, seq, attn.n_heads, attn.head_dim).transpose(1, 2)
                   for proj in (attn.q_proj, attn.k_proj, attn.v_proj))
        q_raw = q
        if attn.rope is not None:
            q, k = attn.rope.rotate(q, positions), attn.rope.rotate(k, positions)
        scores = q @ k.transpose(-2, -1) / math.sqrt(attn.head_dim)
        if moved and attn.rope is not None:
            n = min(sink_tokens, seq)
            q_slot = attn.rope.rotate(q_raw, slot)
            sink_scores = q_slot @ k[:, :, :n].transpose(-2, -1) / math.sqrt(attn.head_dim)
            scores = torch.cat([sink_scores, scores[..., n:]], dim=-1)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        all_weights.append(weights)
        out = (weights @ v).transpose(1, 2).reshape(b, seq, attn.d_model)
        x = x + attn.out_proj(out)
        x = x + block.mlp(block.norm2(x))
    return model.head(model.norm(x)), all_weights


@torch.no_grad()
def layer_weights(model, ids: Tensor) -> list[Tensor]:
    """The attention weights of every layer of a lab model (``embedkit.lab.model.PositionLM`` with the
    ``"rope"`` or ``"nope"`` scheme) on ``ids`` ``LongTensor (batch, seq)``: one
    ``(batch, heads, seq, seq)`` tensor per layer, each row summing to 1."""
    _check_lab_model(model)
    ids = _check_ids(model, ids)
    return _run(model, ids, window=None, sink_tokens=0, cache_positions=True)[1]


@torch.no_grad()
def streaming_logits(model, ids: Tensor, *, window: int | None, sink_tokens: int = 0,
                     cache_positions: bool = True) -> Tensor:
    """Next-token logits ``(batch, seq, vocab)`` of a lab model whose every layer attends through
    :func:`window_mask`: the last ``window`` tokens plus the first ``sink_tokens`` (StreamingLLM).

    Equivalent to decoding token by token with a KV cache that keeps the first ``sink_tokens`` entries and
    the ``window`` most recent ones. ``cache_positions=True`` numbers the tokens by their slot in that cache
    (StreamingLLM, Xiao et al. 2024, §3.2): a query at most ``sink_tokens + window − 1`` positions from any
    key it sees, so no RoPE offset exceeds the cache size; ``False`` keeps each token's position in the text,
    so the sinks drift ever further from the queries. ``window=None`` is the model's own full attention.
    """
    _check_lab_model(model)
    ids = _check_ids(model, ids)
    if window is not None:
        window = checks.integer("window", window, minimum=1)
    sink_tokens = checks.integer("sink_tokens", sink_tokens, minimum=0)
    if not isinstance(cache_positions, bool):
        raise TypeError(f"cache_positions must be True or False, got {checks.describe(cache_positions)}")
    if window is None and sink_tokens:
        raise ValueError(f"sink_tokens={sink_tokens} needs a window (with window=None every token is kept)")
    was_training = model.training
    model.eval()
    try:
        return _run(model, ids, window=window, sink_tokens=sink_tokens, cache_positions=cache_positions)[0]
    finally:
        model.train(was_training)
