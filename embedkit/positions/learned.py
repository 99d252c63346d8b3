"""Learned absolute positions (GPT-2, BERT): a trained table of position vectors added to the input."""

from __future__ import annotations

from torch import Tensor, nn

from .. import checks
from .indices import as_positions

__all__ = ["LearnedPositions"]


class LearnedPositions(nn.Module):
    """A trained table of ``max_len`` position vectors, added to the token embeddings
    (GPT-2, BERT).

    ``forward(positions)`` looks rows up: ``positions`` is a LongTensor ``(seq,)`` and
    the result is ``(seq, dim)``. The table has no row for a position ``>= max_len``;
    asking for one raises a ``ValueError`` that names ``max_len`` (PyTorch would raise
    an opaque ``IndexError``). Rows start as ``N(0, init_std²)`` (GPT-2 uses 0.01 for
    positions, 0.02 for tokens).
    """

    def __init__(self, max_len: int, dim: int, *, init_std: float = 0.02):
        super().__init__()
        self.max_len = checks.integer("max_len", max_len, minimum=1)
        self.dim = checks.integer("dim", dim, minimum=1)
        init_std = checks.real("init_std", init_std, minimum=0)
        self.table = nn.Embedding(max_len, dim)
        nn.init.normal_(self.table.weight, std=init_std)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, dim={self.dim}"

    def forward(self, positions) -> Tensor:
        positions = as_positions(positions)
        if positions.numel():
            hi = int(positions.max())
            if hi >= self.max_len:
                raise ValueError(
                    f"position {hi} is beyond the learned table: "
                    f"max_len={self.max_len}, so positions "
                    f"0..{self.max_len - 1} have vectors and later ones were never "
                    "trained")
        return self.table(positions.to(self.table.weight.device))
