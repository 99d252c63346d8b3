"""The position-similarity probe: the browser-side table reproduces the direct computation, and the live
callback answers or explains."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from embedkit.positions import sinusoidal
from embedkit.probes.position_similarity import (
    PositionSimilarityProbe,
    cosine_matrix,
    offset_table,
    similarity_chart,
    similarity_profile,
)


def test_profile_is_cosine_of_the_encodings():
    prof = similarity_profile(7, 32, n_positions=20)
    pe = sinusoidal(20, 32).double().numpy()
    ref = pe @ pe[7] / (np.linalg.norm(pe, axis=1) * np.linalg.norm(pe[7]))
    np.testing.assert_allclose(prof["similarity"], ref, atol=1e-6)
    assert prof.loc[7, "similarity"] == pytest.approx(1.0)
    assert prof["offset"].tolist() == list(range(-7, 13))


@pytest.mark.parametrize("dim,base,position", [(16, 100.0, 0), (64, 10000.0, 40), (256, 1000.0, 127)])
def test_static_chart_data_shifted_in_the_browser_equals_direct_computation(dim, base, position):
    n = 128
    table = offset_table(n_positions=n)
    # the chart's transforms, replayed in pandas
    rows = table[(table["dim"] == dim) & (table["base"] == base)].assign(other=lambda t: t["offset"] + position)
    rows = rows[(rows["other"] >= 0) & (rows["other"] < n)].sort_values("other")
    direct = similarity_profile(position, dim, n_positions=n, base=base)
    assert rows["other"].tolist() == direct["other"].tolist()
    np.testing.assert_allclose(rows["similarity"], direct["similarity"], atol=1e-4)


def test_chart_has_working_controls():
    spec = similarity_chart(offset_table(n_positions=32), n_positions=32).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert set(params) == {"dim", "base", "position"}
    assert params["position"]["bind"]["max"] == 31
    assert params["dim"]["bind"]["options"] == [16, 32, 64, 128, 256]


def test_live_callback_answers_or_explains():
    probe = PositionSimilarityProbe(n_positions=64)
    assert isinstance(probe.answer(3, 16), pd.DataFrame)
    assert probe.answer(64, 16) == "position must be in 0..63, got 64"
    assert "dim must be even" in probe.answer(3, 15)


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), "3", 2.7, True, -1, 10**9])
def test_live_callback_never_raises_on_widget_input(value):
    """Each control's junk gets a message that names the control (a float position is not truncated to int)."""
    probe = PositionSimilarityProbe(n_positions=64)
    for message, name in ((probe.answer(value, 16), "position"), (probe.answer(3, value), "dim"),
                          (probe.answer(3, 16, value), "base")):
        if isinstance(message, str):
            assert message.startswith(name) and "got" in message, message
        else:
            assert name == "base" and value in (2.7, 10**9)  # valid (if odd) bases
    assert isinstance(probe.answer(value, 16), str)


def test_cosine_matrix():
    m = cosine_matrix(torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]))
    np.testing.assert_allclose(m, [[1, 2**-0.5, 0], [2**-0.5, 1, 2**-0.5], [0, 2**-0.5, 1]], atol=1e-12)
    with pytest.raises(ValueError, match="must be a 2-D"):
        cosine_matrix(np.zeros(3))
