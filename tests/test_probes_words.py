"""Probes of the Words chapter (analogy solver, vector arithmetic, semantic axis, word map) against gensim,
closed forms and properties, and their answers to bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embedkit import UnknownWordError, Vectors, data
from embedkit.probes.analogy import (
    AnalogyProbe,
    ArithmeticProbe,
    analogy_chart,
    analogy_table,
    arithmetic_table,
    parse_expression,
    solve_analogy,
)
from embedkit.probes.axis import AxisProbe, axis_chart, axis_table, project, semantic_axis
from embedkit.probes.wordmap import WordMapProbe, pca, word_map, word_map_chart

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


QUESTIONS = [("man", "king", "woman"), ("france", "paris", "japan"), ("walk", "walked", "swim"), ("good", "better", "bad")]


# -- analogies and arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize("a,b,c", QUESTIONS)
def test_solve_analogy_equals_gensim(glove, gensim_glove, a, b, c):
    ours = solve_analogy(glove, a, b, c, topn=5)
    theirs = gensim_glove.most_similar(positive=[b, c], negative=[a], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    ours = solve_analogy(glove, a, b, c, method="3cosmul", topn=5)
    theirs = gensim_glove.most_similar_cosmul(positive=[b, c], negative=[a], topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)


def test_the_famous_analogy_and_its_table(glove):
    table = analogy_table(glove, QUESTIONS[:2], topn=3)
    assert len(table) == 2 * 2 * 3 and set(table["method"]) == {"3cosadd", "3cosmul"}
    firsts = table.query("rank == 1").set_index(["query", "method"])["answer"]
    assert firsts[("man : king :: woman : ?", "3cosadd")] == "queen"
    assert firsts[("france : paris :: japan : ?", "3cosmul")] == "tokyo"


@pytest.mark.parametrize(
    "text,positive,negative",
    [
        ("king - man + woman", ["king", "woman"], ["man"]),
        ("  King-man ", ["king-man"], []),  # a hyphen inside a word belongs to the word
        ("-man +woman", ["woman"], ["man"]),
        ("paris - france + italy - rome", ["paris", "italy"], ["france", "rome"]),
    ],
)
def test_parse_expression(text, positive, negative):
    assert parse_expression(text) == (positive, negative)


@pytest.mark.parametrize("text,message", [("", "empty"), ("king man", "missing"), ("king + - man", "two operators"), ("king +", "ends with")])
def test_bad_expressions_are_explained(text, message):
    with pytest.raises(ValueError, match=message):
        parse_expression(text)


def test_arithmetic_probe_equals_gensim_and_explains_errors(glove, gensim_glove):
    table = ArithmeticProbe(glove, topn=5).answer("paris - france + germany")
    theirs = gensim_glove.most_similar(positive=["paris", "germany"], negative=["france"], topn=5)
    assert list(table["word"]) == [w for w, _ in theirs]
    assert "did you mean" in ArithmeticProbe(glove).answer("king - man + wman")
    assert "ends with" in ArithmeticProbe(glove).answer("king -")
    assert "at least one word" in ArithmeticProbe(glove).answer("- king")
    long = arithmetic_table(glove, ["king - man + woman", "berlin"], topn=4)
    assert list(long.groupby("query").size()) == [4, 4]


def test_analogy_probe_answers_and_messages(glove):
    probe = AnalogyProbe(glove, topn=3)
    assert probe.answer("man", "king", "woman").iloc[0]["answer"] == "queen"
    assert "Fill in" in probe.answer("man", "", "woman")
    assert "did you mean" in probe.answer("man", "kign", "woman")
    assert "method must be one of" in probe.answer("man", "king", "woman", method="pairdirection")


def test_analogy_chart_is_interactive_without_a_kernel(glove):
    spec = analogy_chart(analogy_table(glove, QUESTIONS, topn=3)).to_dict()
    (param,) = spec["params"]
    assert param["bind"]["input"] == "select" and len(param["bind"]["options"]) == len(QUESTIONS)


# -- semantic axis ---------------------------------------------------------------------------------


def test_axis_is_the_normalised_difference_of_pole_means(glove):
    direction = semantic_axis(glove, ["he", "him"], ["she", "her"])
    u = glove.unit
    expected = (u[glove.row("he")] + u[glove.row("him")]) / 2 - (u[glove.row("she")] + u[glove.row("her")]) / 2
    np.testing.assert_allclose(direction, expected / np.linalg.norm(expected), atol=1e-6)
    nurse = glove["nurse"] / np.linalg.norm(glove["nurse"])
    assert project(glove, direction, ["nurse"])[0] == pytest.approx(float(nurse @ direction), abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(-5, 5), min_size=5, max_size=5), min_size=4, max_size=8), st.floats(0.1, 10))
def test_swapping_poles_negates_and_scaling_changes_nothing(rows, scale):
    m = np.array(rows, dtype=np.float32)
    if (np.linalg.norm(m, axis=1) < 1e-2).any():
        return
    words = [f"w{i}" for i in range(len(m))]
    a, b = Vectors(m, words), Vectors(m * scale, words)
    if np.linalg.norm(a.unit[0] - a.unit[1]) < 1e-3:
        return  # the poles coincide: no direction
    forward = project(a, semantic_axis(a, "w0", "w1"), words)
    np.testing.assert_allclose(project(a, semantic_axis(a, "w1", "w0"), words), -forward, atol=1e-5)
    np.testing.assert_allclose(project(b, semantic_axis(b, "w0", "w1"), words), forward, atol=1e-5)
    assert np.all(np.abs(forward) <= 1 + 1e-5)


def test_axis_table_chart_and_probe(glove):
    table = axis_table(glove, {"he − she": ("he", "she"), "rich − poor": ("rich", "poor")},
                       {"jobs": ["nurse", "engineer"], "other": ["money"]})
    assert len(table) == 6
    spec = axis_chart(table).to_dict()
    assert any(p.get("bind", {}).get("input") == "select" for p in spec["params"])
    answer = AxisProbe(glove).answer("he", "she", "nurse, engineer, carpenter")
    assert list(answer["score"]) == sorted(answer["score"], reverse=True)
    assert "both poles" in AxisProbe(glove).answer("he", "he, she", "nurse")
    assert "empty" in AxisProbe(glove).answer("", "she", "nurse")
    assert "did you mean" in AxisProbe(glove).answer("he", "she", "nurse, enginer")


# -- word map --------------------------------------------------------------------------------------


def test_pca_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6))
    coords, components, ratio = pca(x, 2)
    centred = x - x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    order = np.argsort(values)[::-1]
    for k in range(2):
        top = vectors[:, order[k]]
        assert abs(abs(components[k] @ top) - 1) < 1e-8  # same direction up to sign
        np.testing.assert_allclose(np.abs(coords[:, k]), np.abs(centred @ top), atol=1e-8)
    np.testing.assert_allclose(ratio, values[order[:2]] / values.sum(), atol=1e-10)
    for k in range(2):  # sign convention: the largest coordinate of each component is positive
        assert coords[np.abs(coords[:, k]).argmax(), k] > 0


def test_word_map_separates_groups_and_reports_variance(glove):
    groups = {"animals": ["cat", "dog", "horse", "cow"], "vehicles": ["car", "truck", "bus", "train"]}
    table = word_map(glove, groups)
    assert list(table.columns) == ["word", "group", "x", "y"] and len(table) == 8
    side = table.groupby("group")["x"].mean()
    assert np.sign(side["animals"]) != np.sign(side["vehicles"])  # PC1 splits animals from vehicles
    assert 0 < table.attrs["explained"][1] <= table.attrs["explained"][0] < 1
    spec = word_map_chart(table).to_dict()
    assert {"word", "group"} <= {t["field"] for layer in spec["layer"] for t in layer["encoding"].get("tooltip", [])}


def test_word_map_errors_and_probe(glove):
    with pytest.raises(ValueError, match="two groups"):
        word_map(glove, {"a": ["cat", "dog"], "b": ["dog", "car"]})
    with pytest.raises(ValueError, match="at least three"):
        word_map(glove, {"a": ["cat", "dog"]})
    with pytest.raises(UnknownWordError):
        word_map(glove, {"a": ["cat", "dog", "xqzwv"]})
    probe = WordMapProbe(glove)
    assert probe.parse("pets: cat, dog\nbirds: owl, crow") == {"pets": ["cat", "dog"], "birds": ["owl", "crow"]}
    assert len(probe.answer("pets: cat, dog\nbirds: owl, crow")) == 4
    assert "did you mean" in probe.answer("pets: cat, dgo, bird")
