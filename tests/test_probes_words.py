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
    if np.linalg.norm(a.unit[0] - a.unit[1]) < 1e-2:
        # the poles (nearly) coincide: no direction, or one whose float32 rounding (about 1e-7 per unit
        # vector, divided by the poles' distance when normalised) exceeds the tolerance below
        return
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


# -- the pages' results against references -----------------------------------------------------------

from conftest import keyed_vectors  # noqa: E402
from embedkit.probes.neighbours import NeighboursProbe, neighbours_table  # noqa: E402


def test_neighbours_table_and_probe_equal_gensim(glove, gensim_glove):
    """The intro's and the probing page's neighbour lists are gensim's ``most_similar``."""
    table = neighbours_table(glove, ["frog", "jaguar"], topn=8)
    for word, rows in table.groupby("word", sort=False):
        theirs = gensim_glove.most_similar(word, topn=8)
        assert list(rows.sort_values("rank")["neighbour"]) == [w for w, _ in theirs]
        np.testing.assert_allclose(rows.sort_values("rank")["similarity"], [s for _, s in theirs], atol=1e-5)
    live = NeighboursProbe(glove, topn=8).answer("  Frog ")
    assert list(live["neighbour"]) == [w for w, _ in gensim_glove.most_similar("frog", topn=8)]


def test_analogy_and_arithmetic_tables_equal_gensim(glove, gensim_glove):
    table = analogy_table(glove, QUESTIONS, topn=5)
    for (a, b, c) in QUESTIONS:
        query = f"{a} : {b} :: {c} : ?"
        for method, reference in (("3cosadd", gensim_glove.most_similar), ("3cosmul", gensim_glove.most_similar_cosmul)):
            rows = table[(table["query"] == query) & (table["method"] == method)].sort_values("rank")
            theirs = reference(positive=[b, c], negative=[a], topn=5)
            assert list(rows["answer"]) == [w for w, _ in theirs]
            np.testing.assert_allclose(rows["score"], [s for _, s in theirs], rtol=1e-5)
    sums = arithmetic_table(glove, ["sushi - japan + germany", "river + money"], topn=5)
    for expr, positive, negative in (("sushi - japan + germany", ["sushi", "germany"], ["japan"]), ("river + money", ["river", "money"], [])):
        rows = sums[sums["query"] == expr].sort_values("rank")
        assert list(rows["answer"]) == [w for w, _ in gensim_glove.most_similar(positive=positive, negative=negative, topn=5)]


def _unit64(vectors, words):
    m = np.asarray(vectors[words], dtype=np.float64)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_axis_table_and_probe_equal_brute_force(glove):
    """Every cell of the probing page's axis table, recomputed in float64 NumPy from the raw vectors."""
    male, female = ["he", "him", "his", "man"], ["she", "her", "hers", "woman"]
    words = ["nurse", "engineer", "captain", "secretary", "yesterday", "table"]
    table = axis_table(glove, {"gender": (male, female), "he − she": ("he", "she")}, {"jobs": words[:4], "other": words[4:]})
    for name, (pos, neg) in {"gender": (male, female), "he − she": (["he"], ["she"])}.items():
        direction = _unit64(glove, pos).mean(0) - _unit64(glove, neg).mean(0)
        expected = _unit64(glove, words) @ (direction / np.linalg.norm(direction))
        np.testing.assert_allclose(table[table["axis"] == name]["score"], expected, atol=1e-6)
    answer = AxisProbe(glove).answer(", ".join(male), ", ".join(female), ", ".join(words))
    brute = dict(zip(words, _unit64(glove, words) @ semantic_axis(glove, male, female).astype(np.float64)))
    assert list(answer["word"]) == sorted(words, key=brute.get, reverse=True)
    np.testing.assert_allclose(answer["score"], [brute[w] for w in answer["word"]], atol=5e-4)  # rounded to 3 places


def test_word_map_equals_brute_force_pca(glove):
    """The map's coordinates and explained variance from the eigenvectors of the covariance matrix of the
    unit vectors (float64), signs fixed as documented (largest coordinate of each axis positive)."""
    groups = {"countries": ["france", "germany", "italy", "japan", "kenya"], "capitals": ["paris", "berlin", "rome", "tokyo", "nairobi"]}
    table = word_map(glove, groups)
    words = [w for ws in groups.values() for w in ws]
    centred = _unit64(glove, words) - _unit64(glove, words).mean(0)
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(values)[::-1][:2]
    coords = centred @ vectors[:, order]
    coords *= np.sign(coords[np.abs(coords).argmax(0), [0, 1]])
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), coords, atol=1e-5)
    np.testing.assert_allclose(table.attrs["explained"], values[order] / values.sum(), atol=1e-6)
    assert list(table["word"]) == words and list(table["group"]) == ["countries"] * 5 + ["capitals"] * 5


# -- callbacks never raise on what a text box (or a caller) can give them ------------------------------

TINY_WORDS = ["king", "queen", "man", "woman", "cat", "dog", "paris", "france", "42", "naïve"]


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(1)
    return Vectors(rng.normal(size=(len(TINY_WORDS), 6)).astype(np.float32), TINY_WORDS)


def _callbacks(vectors):
    """Every word probe's callback as a function of one text (the other boxes filled sensibly)."""
    return {
        "neighbours": NeighboursProbe(vectors, topn=3).answer,
        "analogy a": lambda t: AnalogyProbe(vectors, topn=3).answer(t, "king", "woman"),
        "analogy all": lambda t: AnalogyProbe(vectors, topn=3).answer(t, t, t),
        "analogy method": lambda t: AnalogyProbe(vectors, topn=3).answer("man", "king", "woman", method=t),
        "arithmetic": ArithmeticProbe(vectors, topn=3).answer,
        "axis pole": lambda t: AxisProbe(vectors).answer(t, "woman", "cat, dog"),
        "axis words": lambda t: AxisProbe(vectors).answer("man", "woman", t),
        "axis both poles": lambda t: AxisProbe(vectors).answer(t, t, t),
        "word map": WordMapProbe(vectors).answer,
    }


BAD_TEXT = [None, "", "   ", "\n\t", 42, 3.5, ["king"], "xqzwv", "kign", "3.14", "🐸", "\u200b", "ﬁsh", "Ｋｉｎｇ",
            "king\x00", "a" * 5000, "-", "+ -", "king,,,queen", ":", "a: , ,", "\ud800"]


@pytest.mark.parametrize("text", BAD_TEXT, ids=repr)
def test_every_callback_answers_bad_text_with_a_message(glove, text):
    import pandas as pd

    for name, callback in _callbacks(glove).items():
        result = callback(text)
        assert isinstance(result, (str, pd.DataFrame)), (name, text, result)
        if isinstance(result, str):
            assert result.strip() and "Traceback" not in result, (name, text)


def test_callback_messages_say_what_to_do(glove):
    assert NeighboursProbe(glove).answer(None) == NeighboursProbe(glove).answer("  ") == "Type a word."
    assert "must be text, got 3.5 (float)" in NeighboursProbe(glove).answer(3.5)
    assert "did you mean" in NeighboursProbe(glove).answer("kign")
    assert isinstance(NeighboursProbe(glove).answer("42"), __import__("pandas").DataFrame)  # numbers are GloVe words
    assert "a and b are both 'king'" in AnalogyProbe(glove).answer("king", "king", "king")
    assert "Fill in" in AnalogyProbe(glove).answer(None, "king", "woman")
    assert "must be text" in AnalogyProbe(glove).answer(1, "king", "woman")
    assert "cancel out" in ArithmeticProbe(glove).answer("king - king")
    assert "Type a sum" in ArithmeticProbe(glove).answer(None)
    assert "both poles" in AxisProbe(glove).answer("he", "he", "nurse")
    assert "pole + must be a collection of strings" in AxisProbe(glove).answer(123, "she", "nurse")
    assert "List some words" in AxisProbe(glove).answer("he", "she", None)
    assert "Type groups" in WordMapProbe(glove).answer(None)
    assert "'cat' is twice in group 'a'" in WordMapProbe(glove).answer("a: cat, cat, dog")
    assert "not in the vocabulary" in WordMapProbe(glove).answer("a: 🐸, cat, dog")


def test_word_map_lines_with_one_name_are_one_group(glove):
    assert WordMapProbe.parse("a: cat, dog\nb: car\na: cow") == {"a": ["cat", "dog", "cow"], "b": ["car"]}
    assert WordMapProbe.parse("cat, dog\n: cow") == {"group 1": ["cat", "dog"], "group 2": ["cow"]}


@settings(max_examples=60, deadline=None)
@given(text=st.one_of(
    st.none(),
    st.text(),
    st.lists(st.sampled_from(TINY_WORDS + ["xq", "", " ", ",", "+", "-", ":", "\n"]), max_size=8).map(" ".join),
))
def test_callbacks_never_raise_on_any_text(tiny, text):
    import pandas as pd

    for name, callback in _callbacks(tiny).items():
        assert isinstance(callback(text), (str, pd.DataFrame)), name


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda g: solve_analogy(g, None, "king", "woman"), TypeError, "a must be a string, got None"),
        (lambda g: solve_analogy(g, "man", "king", "woman", method="3cosmul", topn=True), TypeError, "topn must be an integer"),
        (lambda g: solve_analogy(g, "man", "king", "woman", method="3cosmul", restrict_vocab=0), ValueError, "restrict_vocab must be an integer >= 1"),
        (lambda g: solve_analogy(np.zeros((3, 3)), "man", "king", "woman"), TypeError, "vectors must be an embedkit.Vectors"),
        (lambda g: analogy_table(g, "man king woman"), ValueError, "give at least one (a, b, c) question"),
        (lambda g: analogy_table(g, [("man", "king")]), ValueError, "three words"),
        (lambda g: arithmetic_table(g, "king - man"), TypeError, "expressions must be a collection of strings"),
        (lambda g: neighbours_table(g, "frog"), TypeError, "words must be a collection of strings"),
        (lambda g: neighbours_table(g, ["frog"], topn=0), ValueError, "topn must be an integer >= 1"),
        (lambda g: semantic_axis(g, [None], ["she"]), TypeError, "positive pole[0] must be a string"),
        (lambda g: project(g, np.full(50, np.nan), ["nurse"]), ValueError, "axis must be finite"),
        (lambda g: project(g, np.zeros(50), ["nurse"]), ValueError, "axis is the zero vector"),
        (lambda g: axis_table(g, {"x": ("he",)}, ["nurse"]), ValueError, "must be a (positive pole, negative pole) pair"),
        (lambda g: word_map(g, ["cat", "dog", "cow"]), TypeError, "groups must be a dict"),
        (lambda g: pca(np.ones((4, 3)), 2.0), TypeError, "n_components must be an integer"),
        (lambda g: pca(np.full((4, 3), np.inf)), ValueError, "matrix must be finite"),
    ],
)
def test_probe_functions_refuse_bad_arguments_clearly(glove, call, error, message):
    with pytest.raises(error) as err:
        call(glove)
    assert message in str(err.value)
