"""Partial rotation and decoupled RoPE: rotating only some channels of a head.

Two ways current models leave channels unrotated, the chapter's *partial* page:

* **partial rotation** (GPT-NeoX ``rotary_pct``, Hugging Face ``partial_rotary_factor``:
  Phi, GLM): the first ``rotary_dim`` channels of every head turn, the rest pass
  through. :func:`partial_rope` builds the :class:`~embedkit.rotary.RoPE` for a number
  of rotated channels and :func:`split_scores` splits a score into its rotated part (a
  function of the offset) and its pass-through part (position-free);
* **decoupled RoPE** of multi-head latent attention (DeepSeek-V2, DeepSeek-AI 2024,
  arXiv:2405.04434; DeepSeek-V3): keys and values are cached as one low-rank latent per
  token, plus one small rotated key shared by all heads. :class:`LatentAttention`
  computes attention from that cache alone (the key and value up-projections absorbed
  into the query and the output), and :func:`kv_cache_bytes` counts what the cache
  saves.

The rotation itself is :func:`~embedkit.rotary.apply` through :meth:`RoPE.rotate
<embedkit.rotary.RoPE.rotate>`; nothing here re-implements it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .. import checks
from .rope import RoPE

__all__ = ["LatentAttention", "kv_cache_bytes", "partial_rope", "split_scores"]

Cache = tuple[torch.Tensor, torch.Tensor]


def partial_rope(head_dim: int, rotary_dim: int, **options) -> RoPE:
    """A :class:`~embedkit.rotary.RoPE` turning the first ``rotary_dim`` channels only.

    The frequencies are taken over the rotated channels,
    ``θ_i = base**(-2i/rotary_dim)``, as GPT-NeoX and Hugging Face compute them;
    ``options`` are the other keywords of ``RoPE`` (``base``, ``layout``,
    ``max_positions``, ``scaling``). Raises ``ValueError`` if ``rotary_dim`` is odd or
    not in ``[2, head_dim]``.
    """
    head_dim = checks.integer("head_dim", head_dim, minimum=2)
    rotary_dim = checks.integer("rotary_dim", rotary_dim, minimum=2, maximum=head_dim)
    if rotary_dim % 2:
        raise ValueError(
            f"rotary_dim must be even (channels turn in pairs), got {rotary_dim}")
    fraction = rotary_dim / head_dim
    # RoPE rounds int(head_dim * fraction) as Hugging Face does; r/d·d can fall below r
    while int(head_dim * fraction) < rotary_dim:
        fraction = math.nextafter(fraction, 2.0)
    return RoPE(head_dim, rotary_fraction=min(fraction, 1.0), **options)


def _check_heads(name: str, x, head_dim: int) -> torch.Tensor:
    x = checks.tensor(name, x, min_ndim=2, floating=True, finite=True)
    if x.shape[-1] != head_dim:
        raise ValueError(
            f"{name} must have shape (..., seq, {head_dim}), got {tuple(x.shape)}")
    return x


def split_scores(q: torch.Tensor, k: torch.Tensor, rope: RoPE, *, q_positions=None,
                 k_positions=None) -> tuple[torch.Tensor, torch.Tensor]:
    """The scores ``R_m q · R_n k`` of a partially rotated head: ``(rotated, passed)``.

    Args:
        q: ``(..., seq_q, head_dim)`` queries, before rotation.
        k: ``(..., seq_k, head_dim)`` keys, before rotation.
        rope: the head's :class:`~embedkit.rotary.RoPE` (``rope.rotary_dim`` turn).
        q_positions, k_positions: LongTensors ``(seq_q,)``, ``(seq_k,)``; default
            ``0, 1, …``.

    Returns two ``(..., seq_q, seq_k)`` tensors whose sum is the dot product of the
    rotated query and key: the part of the first ``rotary_dim`` channels, which depends
    on ``n − m`` only, and the part of the channels that pass through, which does not
    depend on position at all.
    """
    if not isinstance(rope, RoPE):
        raise TypeError(
            f"rope must be an embedkit.rotary.RoPE, got {checks.describe(rope)}")
    q = _check_heads("q", q, rope.head_dim)
    k = _check_heads("k", k, rope.head_dim)
    r = rope.rotary_dim
    qr, kr = rope.rotate(q, q_positions), rope.rotate(k, k_positions)
    rotated = qr[..., :r] @ kr[..., :r].transpose(-1, -2)
    passed = qr[..., r:] @ kr[..., r:].transpose(-1, -2)
    return rotated, passed


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """RMSNorm as DeepSeek and Hugging Face compute it: in float32, cast back, gain."""
    x32 = x.to(torch.float32)
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(x.dtype)


@dataclass
class LatentAttention:
    """Multi-head latent attention with decoupled RoPE (DeepSeek-V2/V3), from its cache.

    Per token ``t`` with hidden state ``h_t`` the cache holds the latent
    ``c_t = norm(W_DKV h_t)`` (``kv_rank`` numbers) and one rotated key
    ``k^R_t = R_t W_KR h_t`` (``rope_dim`` numbers, shared by all heads). Head ``i``'s
    query is ``[q^C_i ; R_t q^R_i]`` and its score with token ``s`` is
    ``q^C_i · W_UK,i c_s + R_t q^R_i · k^R_s``, computed as ``(W_UK,iᵀ q^C_i) · c_s``:
    the key up-projection is absorbed into the query, so keys are never expanded.
    Values are absorbed the same way (``W_UV,i`` after the weighted sum of latents).

    Weights are in ``nn.Linear`` layout ``(out, in)``, named as in Hugging Face's
    ``DeepseekV3Attention`` (``qk = heads·(nope_dim + rope_dim)``):

    * ``q_proj`` ``(qk, hidden)``; or the low-rank query ``q_a_proj``
      ``(q_rank, hidden)``, ``q_a_norm`` ``(q_rank,)`` and ``q_b_proj``
      ``(qk, q_rank)``;
    * ``kv_a_proj`` ``(kv_rank + rope_dim, hidden)``: ``W_DKV`` over ``W_KR``;
    * ``kv_a_norm`` ``(kv_rank,)``, the latent's RMSNorm gain;
    * ``kv_b_proj`` ``(heads·(nope_dim + v_dim), kv_rank)``: ``W_UK`` and ``W_UV``;
    * ``o_proj`` ``(hidden, heads·v_dim)``.

    ``rope`` rotates the ``rope_dim`` channels (layout ``"interleaved"`` for checkpoints
    with ``rope_interleave=True``); ``scale`` multiplies the logits.
    """

    heads: int
    nope_dim: int
    rope_dim: int
    v_dim: int
    kv_a_proj: torch.Tensor
    kv_a_norm: torch.Tensor
    kv_b_proj: torch.Tensor
    o_proj: torch.Tensor
    rope: RoPE
    scale: float
    q_proj: torch.Tensor | None = None
    q_a_proj: torch.Tensor | None = None
    q_a_norm: torch.Tensor | None = None
    q_b_proj: torch.Tensor | None = None
    eps: float = 1e-6

    def __post_init__(self):
        self.heads = checks.integer("heads", self.heads, minimum=1)
        for name in ("nope_dim", "rope_dim", "v_dim"):
            setattr(self, name, checks.integer(name, getattr(self, name), minimum=1))
        if not isinstance(self.rope, RoPE):
            raise TypeError(
                "rope must be an embedkit.rotary.RoPE, "
                f"got {checks.describe(self.rope)}")
        if self.rope.head_dim != self.rope_dim or self.rope.rotary_dim != self.rope_dim:
            raise ValueError(
                f"rope must rotate all rope_dim={self.rope_dim} channels, "
                f"got {self.rope!r}")
        self.scale = checks.real("scale", self.scale, minimum=0, open_min=True)
        self.eps = checks.real("eps", self.eps, minimum=0)
        if (self.q_proj is None) == (self.q_a_proj is None):
            raise ValueError(
                "give q_proj, or q_a_proj, q_a_norm and q_b_proj (a low-rank query)")
        norm = checks.tensor("kv_a_norm", self.kv_a_norm, ndim=1)
        hidden = checks.tensor("kv_a_proj", self.kv_a_proj, ndim=2).shape[1]
        rank, qk = norm.shape[0], self.heads * (self.nope_dim + self.rope_dim)
        shapes = {"kv_a_proj": (rank + self.rope_dim, hidden), "kv_a_norm": (rank,),
                  "kv_b_proj": (self.heads * (self.nope_dim + self.v_dim), rank),
                  "o_proj": (hidden, self.heads * self.v_dim)}
        if self.q_proj is not None:
            shapes["q_proj"] = (qk, hidden)
        else:
            q_rank = checks.tensor("q_a_proj", self.q_a_proj, ndim=2).shape[0]
            shapes |= {"q_a_proj": (q_rank, hidden), "q_a_norm": (q_rank,),
                       "q_b_proj": (qk, q_rank)}
        for name, shape in shapes.items():
            w = checks.tensor(name, getattr(self, name), floating=True, finite=True)
            if tuple(w.shape) != shape:
                raise ValueError(
                    f"{name} must have shape {shape}, got {tuple(w.shape)}")

    @classmethod
    def from_hugging_face(cls, attention) -> LatentAttention:
        """The weights of a Hugging Face ``DeepseekV3Attention`` (shared, not copied).

        Reads the dimensions and ``rope_interleave`` from ``attention.config``, the
        logit scale from ``attention.scaling``, and builds the RoPE over
        ``qk_rope_head_dim`` channels with :meth:`RoPE.from_config
        <embedkit.rotary.RoPE.from_config>`.
        """
        config = attention.config
        if getattr(config, "attention_bias", False):
            raise ValueError("attention_bias=True is not supported: "
                             "the projections must have no bias")
        layout = "interleaved" if getattr(config, "rope_interleave", False) else "half"
        rope_dim = config.qk_rope_head_dim
        rope = RoPE.from_config(
            {"head_dim": rope_dim, "rope_parameters": config.rope_parameters,
             "max_position_embeddings": config.max_position_embeddings}, layout=layout)
        if attention.q_proj is not None:
            q = {"q_proj": attention.q_proj.weight}
        else:
            q = {"q_a_proj": attention.q_a_proj.weight,
                 "q_a_norm": attention.q_a_layernorm.weight,
                 "q_b_proj": attention.q_b_proj.weight}
        norm = attention.kv_a_layernorm
        return cls(heads=config.num_attention_heads, nope_dim=config.qk_nope_head_dim,
                   rope_dim=rope_dim, v_dim=config.v_head_dim,
                   kv_a_proj=attention.kv_a_proj_with_mqa.weight, kv_a_norm=norm.weight,
                   kv_b_proj=attention.kv_b_proj.weight, o_proj=attention.o_proj.weight,
                   rope=rope, scale=attention.scaling, eps=norm.variance_epsilon, **q)

    @property
    def kv_rank(self) -> int:
        return self.kv_a_norm.shape[0]

    def _hidden(self, hidden) -> torch.Tensor:
        hidden = checks.tensor("hidden", hidden, ndim=3, floating=True, finite=True)
        width = self.kv_a_proj.shape[-1]
        if hidden.shape[-1] != width:
            raise ValueError(f"hidden must have shape (batch, seq, {width}), "
                             f"got {tuple(hidden.shape)}")
        return hidden

    def compress(self, hidden: torch.Tensor, *, offset: int = 0) -> Cache:
        """What the cache keeps for ``hidden`` ``(batch, seq, hidden)`` at positions
        ``offset, …``: the latent ``(batch, seq, kv_rank)`` and the rotated shared key
        ``(batch, seq, rope_dim)``."""
        hidden = self._hidden(hidden)
        down = hidden @ self.kv_a_proj.T
        latent, k_rope = down.split([self.kv_rank, self.rope_dim], dim=-1)
        latent = _rms_norm(latent, self.kv_a_norm, self.eps)
        return latent, self.rope.rotate(k_rope, offset=offset)

    def queries(self, hidden: torch.Tensor, *, offset: int = 0) -> Cache:
        """``(q_nope, q_rope)``: ``(batch, heads, seq, nope_dim)`` and
        ``(batch, heads, seq, rope_dim)``, the latter rotated for ``offset, …``."""
        hidden = self._hidden(hidden)
        if self.q_proj is not None:
            q = hidden @ self.q_proj.T
        else:
            q_latent = _rms_norm(hidden @ self.q_a_proj.T, self.q_a_norm, self.eps)
            q = q_latent @ self.q_b_proj.T
        q = q.unflatten(-1, (self.heads, self.nope_dim + self.rope_dim)).transpose(1, 2)
        q_nope, q_rope = q.split([self.nope_dim, self.rope_dim], dim=-1)
        return q_nope, self.rope.rotate(q_rope, offset=offset)

    def _up(self) -> Cache:
        """The up-projections per head: ``W_UK`` ``(heads, nope_dim, kv_rank)`` and
        ``W_UV`` ``(heads, v_dim, kv_rank)``."""
        up = self.kv_b_proj.unflatten(0, (self.heads, self.nope_dim + self.v_dim))
        return up.split([self.nope_dim, self.v_dim], dim=1)

    def scores(self, hidden: torch.Tensor, cache: Cache, *, offset: int = 0) -> Cache:
        """The scaled logits of ``hidden`` (at ``offset, …``) against a cache, in parts.

        Returns ``(nope, rope)``, each ``(batch, heads, seq, cached)``: the content
        part, from the latents with ``W_UK`` absorbed into the query, and the rotary
        part, from the shared rotated key.
        """
        latent, k_rope = cache
        q_nope, q_rope = self.queries(hidden, offset=offset)
        w_uk, _ = self._up()
        q_latent = q_nope @ w_uk  # W_UKᵀ q (batch, heads, seq, kv_rank), once per query
        nope = q_latent @ latent[:, None].transpose(-1, -2)
        rope = q_rope @ k_rope[:, None].transpose(-1, -2)
        return nope * self.scale, rope * self.scale

    def __call__(self, hidden: torch.Tensor, *, cache: Cache | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, Cache]:
        """Causal attention of ``hidden`` ``(batch, seq, hidden)`` after cached tokens.

        Returns ``(output, weights, cache)``: the output ``(batch, seq, hidden)``, the
        attention weights ``(batch, heads, seq, cached + seq)`` and the cache extended
        by these tokens.
        """
        hidden = self._hidden(hidden)
        offset = 0 if cache is None else cache[0].shape[1]
        latent, k_rope = self.compress(hidden, offset=offset)
        if cache is not None:
            latent = torch.cat([cache[0], latent], dim=1)
            k_rope = torch.cat([cache[1], k_rope], dim=1)
        nope, rope = self.scores(hidden, (latent, k_rope), offset=offset)
        seq, keys = hidden.shape[1], latent.shape[1]
        future = torch.ones(seq, keys, dtype=torch.bool).triu(keys - seq + 1)
        logits = (nope + rope).masked_fill(future, -math.inf)
        weights = logits.softmax(dim=-1, dtype=torch.float32).to(hidden.dtype)
        _, w_uv = self._up()
        mixed = weights @ latent[:, None]  # (batch, heads, seq, kv_rank): still latent
        values = mixed @ w_uv.transpose(-1, -2)  # W_UV once per query, not per token
        output = values.transpose(1, 2).flatten(-2) @ self.o_proj.T
        return output, weights, (latent, k_rope)


def kv_cache_bytes(config, *, dtype: torch.dtype = torch.bfloat16) -> dict[str, int]:
    """KV-cache bytes per token over all layers: latent attention vs. plain multi-head.

    ``config`` is a Hugging Face DeepSeek configuration (or a dict) with
    ``num_hidden_layers``, ``num_attention_heads``, ``kv_lora_rank``,
    ``qk_rope_head_dim``, ``qk_nope_head_dim`` and ``v_head_dim``. Returns
    ``{"mla": …, "mha": …}``. MLA caches the latent and the shared rotated key,
    ``layers·(kv_lora_rank + qk_rope_head_dim)`` numbers; the same model with ordinary
    attention caches every head's key and value,
    ``layers·heads·(qk_nope_head_dim + qk_rope_head_dim + v_head_dim)``.
    """
    if not isinstance(dtype, torch.dtype):
        raise TypeError("dtype must be a torch.dtype such as torch.bfloat16, "
                        f"got {checks.describe(dtype)}")
    if isinstance(config, Mapping):
        get = config.get
    else:
        def get(key):
            return getattr(config, key, None)
    names = ("num_hidden_layers", "num_attention_heads", "kv_lora_rank",
             "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
    layers, heads, rank, rope, nope, v = (checks.integer(n, get(n), minimum=1)
                                          for n in names)
    size = torch.empty((), dtype=dtype).element_size()
    return {"mla": layers * (rank + rope) * size,
            "mha": layers * heads * (nope + rope + v) * size}
