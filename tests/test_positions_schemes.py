"""embedkit.positions.schemes: the registry of position schemes. Each scheme declares what it acts on and
the lab model wires it in by that declaration alone: a scheme registered here, in a test, trains in
PositionLM with no other change."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from embedkit import checks
from embedkit.lab.model import SCHEMES, PositionLM
from embedkit.positions import (
    POSITION_SCHEMES,
    Option,
    PositionScheme,
    alibi_bias,
    get_scheme,
    register_scheme,
    sinusoidal,
)
from embedkit.positions.schemes import check_options

VOCAB = 11
SMALL = dict(d_model=16, n_heads=2, n_layers=2)


@pytest.fixture
def registry():
    """Register schemes inside a test only: the registry is restored afterwards."""
    before = dict(POSITION_SCHEMES)
    yield register_scheme
    POSITION_SCHEMES.clear()
    POSITION_SCHEMES.update(before)


def test_the_books_schemes_declare_where_position_enters():
    acts_on = {name: get_scheme(name).adds_to for name in SCHEMES}
    assert acts_on == {"nope": None, "learned": "input", "sinusoidal": "input", "alibi": "scores", "t5": "scores",
                       "rope": "qk", "rnope": "qk", "p_rope": "qk"}
    for name in SCHEMES:  # and the model puts each object where its declaration says, nowhere else
        torch.manual_seed(0)
        model = PositionLM(VOCAB, name, **SMALL)
        attn = model.blocks[0].attn
        assert (model.positions is not None) == (acts_on[name] == "input")
        assert (attn.bias is not None) == (acts_on[name] == "scores")
        assert (attn.rope is not None) == (acts_on[name] == "qk")


def test_a_scheme_registered_here_adds_to_the_input_of_the_lab_model(registry):
    """Half-strength sinusoids: the model's logits are exactly those of the same weights run on
    ``embed(ids) + 0.5 * PE``, computed by hand."""
    registry(PositionScheme("half_sinusoidal", adds_to="input", summary="sinusoids at half strength",
                            build=lambda shape, options: (lambda p: 0.5 * sinusoidal(len(p), shape.d_model))))
    torch.manual_seed(0)
    model = PositionLM(VOCAB, "half_sinusoidal", **SMALL).eval()
    ids = torch.randint(0, VOCAB, (3, 9))
    x = model.embed(ids) + 0.5 * sinusoidal(9, SMALL["d_model"])
    for block in model.blocks:
        x = block(x)
    with torch.no_grad():
        torch.testing.assert_close(model(ids), model.head(model.norm(x)), rtol=0, atol=0)


def test_a_scheme_registered_here_biases_the_scores_of_every_layer(registry):
    """The registry docstring's example: one ALiBi slope for all heads, with its own option."""
    registry(PositionScheme(
        "flat_alibi", adds_to="scores", summary="one ALiBi slope shared by all heads",
        build=lambda shape, options: partial(alibi_bias, torch.tensor([options["flat_slope"]])),
        options={"flat_slope": Option(0.5, lambda name, v: checks.real(name, v, minimum=0))}))
    model = PositionLM(VOCAB, "flat_alibi", flat_slope=0.25, **SMALL)
    bias = model.blocks[0].attn.bias
    assert all(block.attn.bias is bias for block in model.blocks)
    q = torch.arange(4)
    torch.testing.assert_close(bias(q, q), -0.25 * (q[:, None] - q[None, :]).abs().float()[None])
    # the model now sees order: permuting a prefix changes the last position's output
    ids = torch.randint(0, VOCAB, (1, 8))
    shuffled = torch.cat([ids[:, :7].flip(1), ids[:, 7:]], 1)
    with torch.no_grad():
        assert (model(ids)[0, -1] - model(shuffled)[0, -1]).abs().max() > 1e-4
    with pytest.raises(ValueError, match="flat_slope must be a finite number >= 0, got -1"):
        PositionLM(VOCAB, "nope", flat_slope=-1, **SMALL)  # every registered scheme's settings are checked


def test_an_unknown_scheme_lists_the_registered_ones(registry):
    with pytest.raises(ValueError, match="scheme must be one of 'nope', 'learned', 'sinusoidal', 'alibi', 't5', "
                                         "'rope', 'rnope', 'p_rope', got 'absolute'"):
        PositionLM(VOCAB, "absolute")
    registry(PositionScheme("none_at_all", adds_to=None))
    with pytest.raises(ValueError, match="'p_rope', 'none_at_all', got 'absolute'"):
        get_scheme("absolute")


def test_bad_declarations_and_options_are_refused(registry):
    with pytest.raises(ValueError, match="'alibi' is already registered"):
        registry(PositionScheme("alibi", adds_to="scores", build=lambda shape, options: None))
    with pytest.raises(ValueError, match="adds_to must be one of 'input', 'scores', 'qk', None, got 'keys'"):
        registry(PositionScheme("k_only", adds_to="keys", build=lambda shape, options: None))
    with pytest.raises(ValueError, match="needs a build function"):
        registry(PositionScheme("no_build", adds_to="scores"))
    with pytest.raises(ValueError, match="'max_len' already belong to 'learned'"):
        registry(PositionScheme("long", adds_to=None, options={"max_len": Option(1, lambda name, v: v)}))
    registry(PositionScheme("broken", adds_to="qk", build=lambda shape, options: torch.zeros(3)))
    with pytest.raises(TypeError, match="scheme 'broken' adds to 'qk' and must build a QKTransform"):
        PositionLM(VOCAB, "broken", **SMALL)
    with pytest.raises(TypeError, match="unknown position-scheme option.*'max_lenn'.*'max_len'"):
        PositionLM(VOCAB, "nope", max_lenn=8)
    assert check_options({})["t5_buckets"] == 32
