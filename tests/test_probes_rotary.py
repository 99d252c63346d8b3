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
    with pytest.raises(TypeError, match="head_dim must be an integer"):
        dial_table(True)
    with pytest.raises(ValueError, match="base must be a finite number > 1"):
        dial_table(16, math.inf, pairs=(0,))
    with pytest.raises(TypeError, match="positions must hold integers"):
        dial_table(16, pairs=(0,), positions=[0.5])
    with pytest.raises(ValueError, match="positions must be >= 0"):
        dial_table(16, pairs=(0,), positions=[-1, 0])
    with pytest.raises(TypeError, match=r"pairs\[0\] must be an integer"):
        dial_table(16, pairs=("0",))


def test_dial_uses_the_package_frequencies():
    """The dial's θ is rotary.inverse_frequencies, bit for bit, and its angles are rotary.angles."""
    table = dial_table(head_dim=64, base=500000.0, pairs=(0, 5, 31), positions=range(0, 300, 7))
    inv = rotary.inverse_frequencies(64, 500000.0)
    lam = rotary.wavelengths(inv)
    for p in (0, 5, 31):
        rows = table[table.pair == p]
        assert (rows["wavelength"] == lam[p].item()).all()
        assert rows["angle"].tolist() == rotary.angles(range(0, 300, 7), inv)[:, p].tolist()


WIDGET_JUNK = [None, math.nan, math.inf, "10", -1, 10**6, 2.5, True]


@pytest.mark.parametrize("value", WIDGET_JUNK)
def test_live_callbacks_never_raise_on_widget_input(value):
    """Whatever a widget (or a notebook user) sends, answer returns a table or a message naming the control."""
    dial, score = RotationDialProbe(head_dim=16, pairs=(0, 3)), ScoreProbe(head_dim=16)
    for result, name in ((dial.answer(value), "position"), (dial.answer(3, value), "base"),
                         (score.answer(value), "base"), (score.answer(10000.0, "linear", value), "factor")):
        if isinstance(result, str):
            assert result.startswith(name) and "got" in result, result
        else:  # a value that is valid for that control (e.g. 10**6 as a base)
            assert len(result) > 0
    assert dial.answer(value).startswith("position")  # no junk here is a valid slider position
    message = score.answer(10000.0, value)
    assert message.startswith("scaling must be one of 'none', 'linear', 'yarn', 'llama3'"), message


def test_score_answer_is_the_score_table():
    got = ScoreProbe(head_dim=32).answer(500000.0, "yarn", 8.0)
    ref = score_table(32, [500000.0], {"yarn": ScoreProbe.SCALINGS["yarn"](8.0)})
    assert got.equals(ref)
    assert ScoreProbe().answer(scaling="ntk") == "scaling must be one of 'none', 'linear', 'yarn', 'llama3', got 'ntk'"


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


def test_widgets_draw_without_capturing_output():
    """The live faces fill their Output widget by setting its outputs, never by ``with out: display(...)``.

    Captured output makes a headless nbclient (the book build) send the widget state back on the kernel's
    shell channel while it waits there for the cell's reply, which can leave the cell idle until the timeout
    (the 600 s stall of chapters/rotary/probes.md; see embedkit/probes/widget_output.py). Checked in a real
    kernel: nbclient registers an output hook for every captured Output widget, and none may appear.
    """
    import nbclient
    import nbformat

    hooks = []

    class Client(nbclient.NotebookClient):
        def register_output_hook(self, msg_id, hook):
            hooks.append(msg_id)
            super().register_output_hook(msg_id, hook)

    code = ["from embedkit.probes.rotation import RotationDialProbe, ScoreProbe\n"
            "from embedkit.probes.position_similarity import PositionSimilarityProbe",
            "RotationDialProbe(head_dim=16, pairs=(0, 3)).widget(position=7)",
            "ScoreProbe(head_dim=16).widget()",
            "PositionSimilarityProbe(n_positions=32).widget(dim=16, position=5)",
            # the capture this test must be able to see: a plain Output widget used as a context manager
            "import ipywidgets as w\nfrom IPython.display import display\nout = w.Output()\nwith out:\n    display('captured')\nout"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code])
    client = Client(nb, timeout=120, kernel_name="python3")
    client.execute()
    assert len(hooks) == 1  # only the last cell's plain capture
    outputs = [s["outputs"] for s in client.widget_state.values() if s.get("_model_name") == "OutputModel"]
    assert len(outputs) == 4 and all(outputs)
    dial_outputs = outputs[0]
    assert len(dial_outputs) == 2  # the dial chart and the answer table
    assert "wavelength" in "".join(str(o["data"]) for o in dial_outputs)


def test_widget_callbacks_redraw_and_explain():
    """Moving a control re-runs the callback (a plain function) and redraws; junk shows the message."""
    probe = RotationDialProbe(head_dim=16, pairs=(0, 3))
    box = probe.widget(position=7)
    slider, out = box.children[0].children[0], box.children[1]
    first = out.outputs
    slider.value = 9
    assert out.outputs != first and len(out.outputs) == 2
    score = ScoreProbe(head_dim=16).widget()
    factor, out = score.children[0].children[2], score.children[1]
    factor.value = 32.0
    assert len(out.outputs) == 1
