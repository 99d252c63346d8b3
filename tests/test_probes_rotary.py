"""Rotary probes: the dial's callback puts each pair where RoPE rotates it; the score probe's curves are the
closed forms the book plots, and RoFormer's bound really bounds the score."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from embedkit import rotary
from embedkit.probes.rotation import RotationDialProbe, ScoreProbe, dial_chart, dial_table, score_chart, score_table


def test_dial_puts_each_pair_where_rope_rotates_it():
    table = dial_table(head_dim=16, base=10000.0, pairs=(0, 3, 7), positions=range(0, 50))
    rope = rotary.RoPE(16, layout="interleaved")
    for (pair, position), row in table.set_index(["pair", "position"]).iloc[::17].iterrows():
        x = torch.zeros(1, 16)
        x[0, 2 * pair] = 1.0
        y = rope.rotate(x, [position])[0]
        ring = 1 + (0, 3, 7).index(pair)
        assert math.isclose(row["x"] / ring, float(y[2 * pair]), abs_tol=1e-5)
        assert math.isclose(row["y"] / ring, float(y[2 * pair + 1]), abs_tol=1e-5)
    spec = dial_chart(table).to_dict()
    assert spec["params"][0]["bind"]["input"] == "range"


def test_dial_answer_and_errors():
    answer = RotationDialProbe(head_dim=128).answer(10)
    assert answer.loc[answer.pair == 16, "angle"].item() == pytest.approx(1.0)  # θ_16 = 10000^(-32/128) = 0.1
    with pytest.raises(ValueError, match="pairs must be in 0 … 63"):
        dial_table(128, pairs=(64,))
    with pytest.raises(ValueError, match="scaling must be one of"):
        ScoreProbe().answer(scaling="ntk")


def test_score_table_closed_forms_and_bound():
    table = score_table(64, bases=[10000.0], scalings={"none": None, "yarn": {"rope_type": "yarn", "factor": 4.0,
                                                                                 "original_max_position_embeddings": 512}})
    plain = table[(table.scaling == "none")].pivot(index="distance", columns="curve", values="value")
    assert plain.loc[0, "score"] == pytest.approx(1.0)
    assert plain.loc[0, "bound (shape)"] == pytest.approx(1.0)
    yarn0 = table[(table.scaling == "yarn") & (table.curve == "score") & (table.distance == 0)].value.item()
    assert yarn0 == pytest.approx((0.1 * math.log(4) + 1) ** 2)  # attention factor on both q and k
    # The Abel-summation bound holds for the all-(1, 0) query/key: |Σ cos| ≤ max|h_{j+1} - h_j|·Σ|S_j| with
    # h_j = 1 for j < P and h_P = 0 (the sum's boundary term), so max|Δh| = 1.
    bound = rotary.decay_bound(plain.index.to_numpy(), rotary.inverse_frequencies(64)).numpy()
    assert bool((plain["score"].abs().to_numpy() <= bound + 1e-9).all())
    np.testing.assert_allclose(plain["bound (shape)"].to_numpy(), bound / 16.5)  # (P + 1)/2 with P = 32
    assert score_chart(table).to_dict()["params"][1]["bind"]["input"] == "select"


def test_decay_bound_values_from_the_notes():
    """d = 128, base 10,000: ≈32.5 at distance 0, 10.2 at 100, 4.5 at 1000."""
    bound = rotary.decay_bound([0, 100, 1000], rotary.inverse_frequencies(128)).numpy()
    np.testing.assert_allclose(bound, [32.5, 10.2, 4.5], atol=0.05)
