"""Which channels form a pair is a memory layout, not a different function.

* ``"half"`` (GPT-NeoX, Hugging Face ``rotate_half``): pair ``i`` = channels ``(i, i + d/2)``;
* ``"interleaved"`` (RoFormer, Meta's Llama code, GPT-J): pair ``i`` = channels ``(2i, 2i + 1)``.

:func:`layout_permutation` maps one onto the other, and :func:`convert_projection` rewrites a checkpoint's
query/key projection so a model trained with one layout runs with the other (the *implementation* page).
"""

from __future__ import annotations

import torch

from .. import checks
from .frequencies import rotary_dim

__all__ = ["LAYOUTS", "check_layout", "convert_projection", "layout_permutation", "pair_channels"]

LAYOUTS = ("half", "interleaved")
"""The two channel layouts: ``half`` pairs channel ``i`` with ``i + d/2``; ``interleaved`` pairs ``2i`` with ``2i + 1``."""


def check_layout(layout: str) -> None:
    checks.choice("layout", layout, LAYOUTS)



def pair_channels(head_dim: int, layout: str = "half", *, rotary_fraction: float = 1.0) -> list[tuple[int, int]]:
    """The two channels of each rotated pair, ``[(first, second), …]`` for pairs ``0 … d/2 − 1``.

    ``half``: ``(i, i + d/2)``; ``interleaved``: ``(2i, 2i + 1)``; ``d`` is the rotated dimension.
    """
    check_layout(layout)
    d = rotary_dim(head_dim, rotary_fraction)
    if layout == "half":
        return [(i, i + d // 2) for i in range(d // 2)]
    return [(2 * i, 2 * i + 1) for i in range(d // 2)]


def layout_permutation(head_dim: int, *, rotary_fraction: float = 1.0) -> torch.Tensor:
    """``perm`` with ``x_half = x_interleaved[..., perm]``: ``[0, 2, …, d−2, 1, 3, …, d−1]`` then the pass-through.

    Slot ``j`` of the half layout holds interleaved channel ``perm[j]``. Its inverse,
    ``torch.argsort(perm)``, goes back. Channels beyond the rotated ``d`` are not moved.
    """
    d = rotary_dim(head_dim, rotary_fraction)
    return torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2), torch.arange(d, head_dim)])


def convert_projection(
    weight: torch.Tensor,
    n_heads: int,
    *,
    to: str = "half",
    rotary_fraction: float = 1.0,
) -> torch.Tensor:
    """Rewrite a query or key projection so a checkpoint trained with one layout runs
    with the other.

    Args:
        weight: ``(n_heads * head_dim, d_model)`` (an ``nn.Linear`` weight; a bias of
            shape ``(n_heads * head_dim,)`` works too). For the key projection pass the
            number of key/value heads.
        n_heads: heads in this projection.
        to: ``"half"`` converts an interleaved checkpoint (Meta) to the half layout
            (Hugging Face); ``"interleaved"`` goes back.

    Returns a new tensor whose output rows are permuted within each head. Values and
    the output projection are untouched: the rotation acts on queries and keys only,
    and the dot product of two vectors permuted the same way is unchanged.
    """
    check_layout(to)
    weight = checks.tensor("weight", weight)
    if weight.dim() not in (1, 2):
        raise ValueError(
            "weight must be (n_heads * head_dim, d_model) or a bias "
            f"(n_heads * head_dim,), got shape {tuple(weight.shape)}"
        )
    n_heads = checks.integer("n_heads", n_heads, minimum=1)
    rows = weight.shape[0]
    if rows % n_heads:
        raise ValueError(
            f"weight has {rows} output rows, not a multiple of n_heads={n_heads}"
        )
    head_dim = rows // n_heads
    perm = layout_permutation(head_dim, rotary_fraction=rotary_fraction)
    if to == "interleaved":
        perm = torch.argsort(perm)
    heads = weight.reshape(n_heads, head_dim, *weight.shape[1:])
    return heads[:, perm.to(weight.device)].reshape(weight.shape).clone()


def _halves(t: torch.Tensor, layout: str, pairs: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Views of the first and second channel of every pair: ``(..., pairs)`` each."""
    if layout == "half":
        return t[..., :pairs], t[..., pairs : 2 * pairs]
    return t[..., 0 : 2 * pairs : 2], t[..., 1 : 2 * pairs : 2]

