"""What the *properties* page measures about RoPE: the long-range decay bound, the mean score of unit
queries and keys, and how many full turns each pair makes over a context."""

from __future__ import annotations

import torch

from .. import checks
from .frequencies import check_inv_freq

__all__ = ["decay_bound", "full_turns", "mean_cos_score"]


def _distances(distances) -> torch.Tensor:
    """Relative distances ``Δ`` as a float64 ``(n,)`` tensor: finite numbers (the closed forms take any real Δ)."""
    if isinstance(distances, torch.Tensor):
        distances = distances.detach().cpu().numpy()
    return torch.as_tensor(checks.array("distances", distances, ndim=1), dtype=torch.float64)


def decay_bound(distances, inv_freq: torch.Tensor) -> torch.Tensor:
    """RoFormer's relative upper bound on the score at relative distance ``Δ``: ``(1/P)·Σ_{j=1..P} |S_j|``.

    With ``h_j`` the complex products of the query and key pairs and ``S_j = Σ_{k<j} e^{iΔθ_k}``, Abel
    summation gives ``|Σ_j h_j e^{iΔθ_j}| ≤ max_j |h_{j+1} − h_j| · Σ_j |S_j|`` (Su et al. 2021, §3.4.3).
    ``P = len(inv_freq)`` pairs; returns float64 ``(len(distances),)``. It equals ``(P + 1)/2`` at ``Δ = 0``.
    """
    d = _distances(distances)
    inv_freq = check_inv_freq(inv_freq)
    if not inv_freq.numel():
        raise ValueError("inv_freq must hold at least one pair")
    turns = torch.exp(1j * d[:, None] * inv_freq.to(torch.float64)[None, :])  # (n, P)
    partial = torch.cumsum(turns, dim=1)  # S_1 … S_P
    return partial.abs().sum(dim=1) / inv_freq.shape[0]


def mean_cos_score(distances, inv_freq: torch.Tensor, attention_factor: float = 1.0) -> torch.Tensor:
    """``(af²/P)·Σ_i cos(Δ·θ_i)``: the score between a query and a key that are both ``(1, 0)`` in every pair,
    ``Δ`` positions apart, divided by the number of pairs ``P`` (1 at ``Δ = 0`` without scaling)."""
    d = _distances(distances)
    inv_freq = check_inv_freq(inv_freq)
    attention_factor = checks.real("attention_factor", attention_factor, minimum=0, open_min=True)
    return torch.cos(d[:, None] * inv_freq.to(torch.float64)[None, :]).mean(dim=1) * attention_factor**2


def full_turns(inv_freq: torch.Tensor, context_length: int) -> torch.Tensor:
    """How many full turns each pair makes over positions ``0 … context_length − 1``: ``(L − 1)·θ_i / 2π``."""
    context_length = checks.integer("context_length", context_length, minimum=1)
    return (context_length - 1) * check_inv_freq(inv_freq).to(torch.float64) / (2 * torch.pi)
