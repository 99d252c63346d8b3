"""A small decoder-only transformer whose only moving part is how it learns position.

Every model in the lab is the same stack: a token embedding, ``n_layers`` pre-norm blocks (causal
:class:`embedkit.positions.attention.SelfAttention` then a GELU MLP, each with a residual connection), a final
layer norm and a linear read-out to next-character logits. The ``scheme`` decides where position enters; each
is an entry of the registry :data:`embedkit.positions.schemes.POSITION_SCHEMES`, which declares what it acts on, and
the model wires it in by that declaration alone (a new registered scheme needs no change here):

* ``nope``: nothing; the causal mask alone lets a decoder infer order.
* ``learned``: a trained vector per position (:class:`~embedkit.positions.learned.LearnedPositions`), added to the input.
* ``sinusoidal``: fixed sine/cosine vectors (:func:`~embedkit.positions.sinusoids.sinusoidal`), added to the input.
* ``alibi``: a fixed linear penalty on distance (:class:`~embedkit.positions.relative.ALiBi`), added to the scores.
* ``t5``: a trained bias per distance bucket (:class:`~embedkit.positions.relative.T5RelativeBias`), added to the scores.
* ``rope``: rotation of queries and keys (:class:`~embedkit.rotary.rope.RoPE`).
* ``rnope``: RoPE in some layers, nothing in the others (Llama 4, SmolLM3): a
  :class:`~embedkit.lab.rope_variants.SomeLayers`, which declares its layers (:func:`layer_hooks`).
* ``p_rope``: RoPE whose slowest pairs do not turn (p-RoPE, :mod:`embedkit.lab.rope_variants`).

The schemes inside attention (ALiBi, T5, RoPE) are one object shared by all layers, as in T5 and as RoPE's
frequency table is in practice; :meth:`PositionLM.set_rope` swaps the RoPE object of every layer at once
(the lab does this at inference to try context-extension scalings on a trained model).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import checks
from .. import rotary  # noqa: F401  (registers the "rope" scheme)
from . import rope_variants  # noqa: F401  (registers "rnope" and "p_rope", after "rope")
from ..positions import schemes
from ..positions.attention import SelfAttention, is_qk_transform

__all__ = ["SCHEMES", "Block", "PositionLM", "layer_hooks"]

SCHEMES = tuple(schemes.POSITION_SCHEMES)
"""The position schemes registered when the lab is imported, in the order the lab reports them."""


def layer_hooks(
    entry: schemes.PositionScheme, built: object, n_layers: int
) -> list[dict[str, object]]:
    """The ``SelfAttention`` keyword arguments of each of ``n_layers`` layers.

    A scheme inside attention gives every layer the same object (``{"bias": built}``
    or ``{"rope": built}``), unless that object declares the layers it acts in, as
    :class:`~embedkit.lab.rope_variants.SomeLayers` does with
    ``acts_in(n_layers) -> list[bool]`` and ``transform``: then the layers that act
    get the ``transform`` and the others nothing (the RoPE/NoPE hybrid). A scheme on
    the input or on nothing gives every layer nothing.
    """
    acts_in = getattr(built, "acts_in", None)
    if acts_in is None:
        return [schemes.attention_hooks(entry, built)] * n_layers
    inner = schemes.attention_hooks(entry, built.transform)
    return [inner if acts else {} for acts in acts_in(n_layers)]


class Block(nn.Module):
    """Pre-norm decoder block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, rope=None, bias=None):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads, causal=True, rope=rope, bias=bias)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x: Tensor) -> Tensor:
        """``x: (batch, seq, d_model)`` → same shape."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PositionLM(nn.Module):
    """Decoder-only character language model with a pluggable position scheme.

    Args:
        vocab_size: number of distinct tokens.
        scheme: the name of a registered position scheme (:data:`SCHEMES`, or any registered since).
        d_model, n_heads, n_layers: width, heads per layer, number of blocks.
        d_ff: hidden width of the MLP (default ``4 * d_model``).
        options: the schemes' settings, declared in the registry; those of every registered scheme are
            checked, the one in use reads its own. The built-in ones:

            * ``max_len`` (1024): size of the learned position table (``"learned"``): the longest sequence
              the model can be run on. Rows past the training length exist but are never trained.
            * ``learned_init_std`` (1.0): standard deviation of the learned position vectors at
              initialisation, the scale of PyTorch's token embeddings (``N(0, 1)``), so positions and
              tokens start as equal partners, as in GPT-2 (0.01 and 0.02); rows that are never trained keep
              this random value.
            * ``t5_buckets`` (32), ``t5_max_distance`` (128): T5 relative-bias buckets and the distance from
              which all distances share the last bucket (``"t5"``).
            * ``rope_base`` (10000.0): RoPE's base (``"rope"``, and the rotating arms below).
            * ``rnope_interval`` (2): every ``rnope_interval``-th layer has no positions (``"rnope"``).
            * ``p_rope_fraction`` (0.75): the fraction of the pairs that turn, the fastest (``"p_rope"``).

    ``forward(ids)`` takes ``LongTensor (batch, seq)`` and returns logits ``(batch, seq, vocab_size)``.
    """

    def __init__(self, vocab_size: int, scheme: str, *, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int | None = None, **options):
        super().__init__()
        entry = schemes.get_scheme(scheme)
        vocab_size = checks.integer("vocab_size", vocab_size, minimum=2)
        d_model = checks.integer("d_model", d_model, minimum=1)
        n_heads = checks.integer("n_heads", n_heads, minimum=1)
        n_layers = checks.integer("n_layers", n_layers, minimum=1)
        if d_ff is not None:
            d_ff = checks.integer("d_ff", d_ff, minimum=1)
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        # settings of the other schemes are checked too: a typo should not wait for the day they are used
        options = schemes.check_options(options)
        self.scheme = entry.name
        self.vocab_size, self.d_model, self.n_heads = vocab_size, d_model, n_heads
        self.head_dim = d_model // n_heads
        self.embed = nn.Embedding(vocab_size, d_model)
        # built right after the token table, so the weights are drawn in the same order for every scheme
        built = schemes.build_scheme(entry, schemes.ModelShape(d_model, n_heads, self.head_dim), options)
        self.positions = built if entry.adds_to == "input" else None  # added to the token embeddings
        self.blocks = nn.ModuleList(Block(d_model, n_heads, d_ff or 4 * d_model, **hooks)
                                    for hooks in layer_hooks(entry, built, n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    @property
    def rope(self):
        """The RoPE object the layers use (``None`` unless the scheme transforms queries and keys)."""
        return next((block.attn.rope for block in self.blocks if block.attn.rope is not None), None)

    def set_rope(self, rope) -> None:
        """Give every layer that rotates ``rope`` (e.g. a RoPE with a context-extension scaling) in place of
        the current one; the NoPE layers of a hybrid stay without."""
        if schemes.get_scheme(self.scheme).adds_to != "qk":
            raise ValueError(f"set_rope needs a model with the 'rope' scheme (or another that transforms q and k), "
                             f"this one is {self.scheme!r}")
        if not is_qk_transform(rope):
            raise TypeError(f"rope must have a .rotate(x, positions) method, got {type(rope).__name__}")
        for block in self.blocks:
            if block.attn.rope is not None:
                block.attn.rope = rope

    def forward(self, ids: Tensor) -> Tensor:
        """``ids: LongTensor (batch, seq)`` → logits ``(batch, seq, vocab_size)``."""
        if not isinstance(ids, Tensor):
            raise TypeError(
                "ids must be a LongTensor of shape (batch, seq), "
                f"got {checks.describe(ids)}"
            )
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(
                "ids must be a LongTensor of shape (batch, seq), "
                f"got {tuple(ids.shape)} {ids.dtype}"
            )
        # the table in use (a lab may swap it for a larger alphabet)
        vocab = self.embed.num_embeddings
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab):
            bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
            raise ValueError(
                f"ids must be token ids in 0..{vocab - 1} (vocab_size={vocab}), "
                f"got {bad}"
            )
        seq = ids.shape[1]
        x = self.embed(ids)
        if self.positions is not None:  # a scheme that adds (seq, d_model) to the input
            x = x + self.positions(torch.arange(seq, device=ids.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

    def n_parameters(self) -> int:
        """Number of trained parameters (a shared T5 bias counted once)."""
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self) -> str:
        return f"scheme={self.scheme!r}"
