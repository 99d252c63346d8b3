"""The position lab (embedkit.lab): task windows, the pluggable model, training and RoPE stretching."""

from __future__ import annotations

import math

import pytest
import torch

from embedkit.lab.evaluate import evaluate, loss_by_position, rope_swapped, scaled_ropes, token_losses
from embedkit.lab.model import SCHEMES, PositionLM
from embedkit.lab.tasks import CharText, bigram_loss, kjv_characters, random_windows, spaced_windows
from embedkit.lab.train import TrainConfig, train, train_lm

VOCAB = 11
SMALL = dict(d_model=16, n_heads=2, n_layers=2, max_len=32)


def small_model(scheme: str, seed: int = 0) -> PositionLM:
    torch.manual_seed(seed)
    model = PositionLM(VOCAB, scheme, **SMALL).eval()
    if scheme == "t5":  # T5's bias starts at zero (an untrained bias changes nothing): give it values
        torch.nn.init.normal_(model.blocks[0].attn.bias.embedding.weight)
    return model


# -- the task ---------------------------------------------------------------------------------------


def test_chartext_round_trip_and_split():
    text = CharText.from_text("in the beginning was the word\n" * 20, valid_fraction=0.25)
    assert text.alphabet == "".join(sorted(set("in the beginning was the word\n")))
    assert len(text.train) + len(text.valid) == 30 * 20
    assert text.decode(text.encode("the word")) == "the word"
    assert text.decode(torch.cat([text.train, text.valid])) == "in the beginning was the word\n" * 20
    with pytest.raises(KeyError, match="'z' is not in the alphabet"):
        text.encode("z")
    with pytest.raises(ValueError, match="valid_fraction"):
        CharText.from_text("abc", valid_fraction=1.5)


def test_kjv_characters_holds_out_the_end_of_the_book():
    text = kjv_characters()
    assert text.vocab_size == 65
    assert text.decode(text.train[:16]) == "In the beginning"
    assert text.decode(text.valid[-30:]).endswith("be with you all. Amen.")


def test_windows_are_shifted_targets_and_long_windows_extend_short_ones():
    ids = torch.arange(1000)
    x, y = random_windows(ids, 16, 8, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 16)
    assert torch.equal(y[:, :-1], x[:, 1:]) and torch.equal(y[:, -1], x[:, -1] + 1)
    short, _ = spaced_windows(ids, 16, 5)
    long, _ = spaced_windows(ids, 64, 5)
    assert torch.equal(long[:, :16], short)
    with pytest.raises(ValueError, match="length must be shorter than the text"):
        spaced_windows(ids, 1000, 2)


def test_bigram_loss_matches_closed_form():
    # "abab…": after 'a' always 'b' and vice versa; with add-one smoothing p = (n + 1) / (n + 2) per transition
    text = CharText.from_text("ab" * 500, valid_fraction=0.1)
    train = text.decode(text.train)
    n_ab = train.count("ab")
    n_ba = train.count("ba")
    valid = text.decode(text.valid)
    expected = [-math.log((n_ab + 1) / (n_ab + 2)) if a == "a" else -math.log((n_ba + 1) / (n_ba + 2))
                for a in valid[:-1]]
    assert bigram_loss(text) == pytest.approx(sum(expected) / len(expected), rel=1e-12)


# -- the model --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_logits_have_one_row_per_position(scheme):
    logits = small_model(scheme)(torch.randint(0, VOCAB, (3, 20)))
    assert logits.shape == (3, 20, VOCAB)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_scheme_makes_the_model_see_order(scheme):
    # One causal attention layer with no positions is blind to the order of the earlier tokens: the last
    # position's output is the same for any permutation of the prefix. Every position scheme must break that.
    # (With two or more layers NoPE is not blind: earlier positions see different prefixes.)
    model = small_model(scheme)
    model.blocks = model.blocks[:1]
    torch.manual_seed(1)
    ids = torch.randint(0, VOCAB, (1, 24))
    shuffled = ids.clone()
    shuffled[0, :-1] = ids[0, :-1][torch.randperm(23)]
    with torch.no_grad():
        a, b = model(ids)[0, -1], model(shuffled)[0, -1]
    if scheme == "nope":
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    else:
        assert (a - b).abs().max() > 1e-3


def test_relative_schemes_are_shared_by_all_layers_and_counted_once():
    model = small_model("t5")
    assert model.blocks[0].attn.bias is model.blocks[1].attn.bias
    assert model.n_parameters() - small_model("nope").n_parameters() == 32 * SMALL["n_heads"]
    rope_model = small_model("rope")
    assert rope_model.blocks[0].attn.rope is rope_model.blocks[1].attn.rope


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="scheme must be one of 'nope', 'learned'"):
        PositionLM(VOCAB, "absolute")
    with pytest.raises(ValueError, match="d_model .* divisible by n_heads"):
        PositionLM(VOCAB, "nope", d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="ids must be a LongTensor"):
        small_model("nope")(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="max_len=32"):
        small_model("learned")(torch.zeros(1, 33, dtype=torch.long))
    with pytest.raises(ValueError, match="set_rope needs a model with the 'rope' scheme"):
        small_model("alibi").set_rope(small_model("rope").rope)
    with pytest.raises(ValueError, match="steps must be an integer >= 1, got 0"):
        TrainConfig(steps=0)


# -- training and measuring -------------------------------------------------------------------------


def test_training_is_deterministic_and_beats_chance():
    text = kjv_characters()
    config = TrainConfig(seq_len=32, steps=60, batch_size=16, warmup=10, seed=3)
    kwargs = dict(d_model=32, n_heads=2, n_layers=1)
    run = train_lm(text, "alibi", config, **kwargs)
    again = train(PositionLM(text.vocab_size, "alibi", **kwargs), text.train,
                  TrainConfig(seq_len=32, steps=3, batch_size=16, warmup=1, seed=3))
    first = train(PositionLM(text.vocab_size, "alibi", **kwargs), text.train,
                  TrainConfig(seq_len=32, steps=3, batch_size=16, warmup=1, seed=3))
    assert len(run.losses) == 60
    (row,) = evaluate(run.model, text.valid, [32], n_windows=16)
    most_frequent = torch.bincount(text.valid).max().item() / len(text.valid)  # always guessing ' '
    assert row["loss"] < math.log(text.vocab_size) - 1.0       # far below a uniform guess (4.17 nats)
    assert row["accuracy"] > most_frequent + 0.05
    # the same seed gives the same batches; (weights differ here: they were not seeded alike)
    assert first.losses != [] and len(again.losses) == 3


def test_same_seed_same_run():
    text = kjv_characters()
    config = TrainConfig(seq_len=16, steps=4, batch_size=4, warmup=1, seed=7)
    a = train_lm(text, "rope", config, d_model=16, n_heads=2, n_layers=1)
    b = train_lm(text, "rope", config, d_model=16, n_heads=2, n_layers=1)
    assert a.losses == b.losses


def test_evaluate_matches_token_losses_and_splits_beyond_the_first_length():
    text = kjv_characters()
    model = small_model("alibi")
    model.embed = torch.nn.Embedding(text.vocab_size, SMALL["d_model"])
    model.head = torch.nn.Linear(SMALL["d_model"], text.vocab_size)
    short, long = evaluate(model, text.valid, [8, 24], n_windows=4)
    losses, correct = token_losses(model, *spaced_windows(text.valid, 24, 4))
    assert long["loss"] == pytest.approx(losses.mean().item(), rel=1e-6)
    assert long["loss_beyond"] == pytest.approx(losses[:, 8:].mean().item(), rel=1e-6)
    assert long["accuracy"] == pytest.approx(correct.float().mean().item())
    assert math.isnan(short["loss_beyond"])
    # causal: the first 8 predictions of a 24-window are those of the 8-window
    assert short["loss"] == pytest.approx(losses[:, :8].mean().item(), rel=1e-5)
    torch.testing.assert_close(loss_by_position(model, text.valid, 24, n_windows=4), losses.mean(0))


@pytest.mark.parametrize("warmup", [0, 1, 10])
def test_learning_rate_is_torchs_linear_warmup_then_cosine_to_a_tenth(warmup):
    # the reference: torch's own schedulers, chained as the docstring describes
    config = TrainConfig(steps=50, warmup=warmup, lr=3e-3)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=config.lr)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.steps - warmup, eta_min=config.lr / 10)
    if warmup:
        linear = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1 / warmup, end_factor=1.0,
                                                   total_iters=max(1, warmup - 1))
        schedule = torch.optim.lr_scheduler.SequentialLR(optimizer, [linear, cosine], milestones=[warmup])
    else:
        schedule = cosine
    reference = []
    for _ in range(config.steps):
        reference.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    ours = [config.learning_rate(step) for step in range(config.steps)]
    assert ours == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_train_steps_with_the_schedule_decays_only_matrices_and_sees_the_seeded_batches(monkeypatch):
    import embedkit.lab.train as lab_train

    text = kjv_characters()
    config = TrainConfig(seq_len=16, steps=12, batch_size=4, warmup=3, lr=2e-3, seed=5)
    optimizers = []
    rates = []

    class SpyAdamW(torch.optim.AdamW):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            optimizers.append(self)

        def step(self, *args, **kwargs):
            rates.append([g["lr"] for g in self.param_groups])
            return super().step(*args, **kwargs)

    monkeypatch.setattr(lab_train.torch.optim, "AdamW", SpyAdamW)
    torch.manual_seed(config.seed)
    fresh = PositionLM(text.vocab_size, "learned", d_model=16, n_heads=2, n_layers=1, max_len=32)
    run = train_lm(text, "learned", config, d_model=16, n_heads=2, n_layers=1, max_len=32)
    # the rate each step was taken with is the schedule's, in every parameter group
    assert rates == [[config.learning_rate(k)] * 2 for k in range(config.steps)]
    # weight decay on the matrices of the blocks and the head; never on embeddings, positions, norms or biases
    (optimizer,) = optimizers
    decayed, plain = optimizer.param_groups
    assert decayed["weight_decay"] == config.weight_decay and plain["weight_decay"] == 0.0
    names = {id(p): n for n, p in run.model.named_parameters()}
    assert all(p.dim() >= 2 and "embed" not in names[id(p)] and "positions" not in names[id(p)] for p in decayed["params"])
    assert {names[id(p)] for p in plain["params"]} >= {"embed.weight", "positions.table.weight", "norm.weight", "head.bias"}
    assert {names[id(p)] for p in decayed["params"]} >= {"head.weight", "blocks.0.attn.q_proj.weight", "blocks.0.mlp.0.weight"}
    assert len(decayed["params"]) + len(plain["params"]) == len(names)
    # the first loss is the seeded model's loss on the first batch of the separately seeded batch generator
    x, y = random_windows(text.train, config.seq_len, config.batch_size, torch.Generator().manual_seed(10_000 + config.seed))
    with torch.no_grad():
        logits = fresh.train()(x)
    first = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    assert run.losses[0] == pytest.approx(first, rel=1e-5)


def test_divergence_is_caught_before_it_reaches_the_weights():
    text = kjv_characters()
    torch.manual_seed(0)
    model = PositionLM(text.vocab_size, "rope", d_model=16, n_heads=2, n_layers=1)
    with pytest.raises(ValueError, match=r"training diverged: .* at step \d+ of 20 .*smaller lr"):
        train(model, text.train, TrainConfig(seq_len=16, steps=20, batch_size=4, warmup=1, lr=1e6))
    assert all(torch.isfinite(p).all() for p in model.parameters())


# -- stretching RoPE --------------------------------------------------------------------------------


def test_scaled_ropes_change_the_frequencies_as_configured():
    model = small_model("rope")
    rope = model.rope
    d, base, s, L = rope.head_dim, rope.base, 4.0, 64
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    torch.testing.assert_close(rope.inv_freq.double(), theta)
    ropes = scaled_ropes(rope, factor=s, original_length=L)
    assert set(ropes) == {"linear", "dynamic", "yarn"}
    # position interpolation: every frequency divided by the factor
    torch.testing.assert_close(ropes["linear"].inv_freq.double(), theta / s)
    # dynamic NTK: unchanged up to L, then the base grows to base·(s·n/L − (s − 1))^(d/(d−2))
    torch.testing.assert_close(ropes["dynamic"].frequencies(L)[0].double(), theta)
    n = 4 * L
    big = base * (s * n / L - (s - 1)) ** (d / (d - 2))
    torch.testing.assert_close(ropes["dynamic"].frequencies(n)[0].double(),
                               big ** (-torch.arange(0, d, 2, dtype=torch.float64) / d))
    # YaRN: the fastest pair kept, the slowest interpolated, logits scaled by (0.1 ln s + 1)²
    yarn = ropes["yarn"].inv_freq.double()
    assert yarn[0].item() == pytest.approx(theta[0].item())
    assert yarn[-1].item() == pytest.approx(theta[-1].item() / s)
    assert ropes["yarn"].attention_factor == pytest.approx(0.1 * math.log(s) + 1)
    with pytest.raises(ValueError, match="factor must be a finite number >= 1, got 0.5"):
        scaled_ropes(rope, factor=0.5, original_length=L)


def test_swapping_rope_changes_long_outputs_and_is_undone():
    model = small_model("rope")
    ids = torch.randint(0, VOCAB, (1, 30))
    with torch.no_grad():
        before = model(ids)
        stretched = scaled_ropes(model.rope, factor=4, original_length=8)
        with rope_swapped(model, stretched["linear"]) as m:
            assert all(b.attn.rope is stretched["linear"] for b in m.blocks)
            changed = model(ids)
        with rope_swapped(model, stretched["dynamic"]):
            dynamic_short = model(ids[:, :8])  # dynamic NTK leaves sequences up to the original length alone
        after = model(ids)
    assert (changed - before).abs().max() > 1e-3
    torch.testing.assert_close(dynamic_short, before[:, :8])
    torch.testing.assert_close(after, before)


# -- the rotary arms: the RoPE/NoPE hybrid and p-RoPE ------------------------------------------------


def test_new_schemes_are_registered_after_rope_and_found_by_name():
    from embedkit.positions import get_scheme
    from embedkit.positions.schemes import POSITION_SCHEMES

    assert SCHEMES[-3:] == ("rope", "rnope", "p_rope")
    for name, option, default in (("rnope", "rnope_interval", 2), ("p_rope", "p_rope_fraction", 0.75)):
        entry = get_scheme(name)
        assert entry is POSITION_SCHEMES[name] and entry.name == name and entry.adds_to == "qk"
        assert entry.options[option].default == default


def _last_query_weights(layer, ids_embedded):
    """The attention weights of the last query of one SelfAttention layer, ``(heads, seq)``."""
    _, weights = layer(ids_embedded, return_weights=True)
    return weights[0, :, -1]


@pytest.mark.parametrize("n_layers, interval", [(2, 2), (4, 2), (4, 4), (6, 3)])
def test_hybrid_rotates_in_the_layers_rope_layers_names_and_nowhere_else(n_layers, interval):
    from embedkit.rotary import RoPE, rope_layers

    torch.manual_seed(0)
    model = PositionLM(VOCAB, "rnope", d_model=16, n_heads=2, n_layers=n_layers, rnope_interval=interval)
    flags = [block.attn.rope is not None for block in model.blocks]
    # Hugging Face's rule: layer i has no positions iff (i + 1) % interval == 0
    assert flags == rope_layers(n_layers, interval=interval) == [(i + 1) % interval != 0 for i in range(n_layers)]
    ropes = [block.attn.rope for block in model.blocks if block.attn.rope is not None]
    assert all(type(r) is RoPE and r is ropes[0] for r in ropes)  # one plain RoPE, shared, as in "rope"
    assert model.rope is ropes[0]


def test_hybrid_nope_layer_scores_ignore_positions_and_its_rope_layer_does_not():
    # Moving the keys to other positions (a permutation of the prefix) only permutes the last query's
    # weights in a NoPE layer: its scores depend on content alone. In the RoPE layer they change.
    model = small_model("rnope")
    rope_layer, nope_layer = (block.attn for block in model.blocks)
    assert rope_layer.rope is not None and nope_layer.rope is None
    torch.manual_seed(2)
    x = torch.randn(1, 24, SMALL["d_model"])
    perm = torch.randperm(23)
    moved = x.clone()
    moved[0, :-1] = x[0, :-1][perm]
    with torch.no_grad():
        for layer, blind in ((nope_layer, True), (rope_layer, False)):
            before, after = _last_query_weights(layer, x), _last_query_weights(layer, moved)
            if blind:
                torch.testing.assert_close(after[:, :-1], before[:, :-1][:, perm], atol=1e-6, rtol=1e-5)
            else:
                assert (after[:, :-1] - before[:, :-1][:, perm]).abs().max() > 1e-3
    # and the same for the whole block stack cut to each layer: the NoPE block alone is blind to order
    ids = torch.randint(0, VOCAB, (1, 24))
    shuffled = ids.clone()
    shuffled[0, :-1] = ids[0, :-1][perm]
    with torch.no_grad():
        for keep, blind in ((slice(1, 2), True), (slice(0, 1), False)):
            cut = small_model("rnope")
            cut.blocks = cut.blocks[keep]
            a, b = cut(ids)[0, -1], cut(shuffled)[0, -1]
            assert torch.allclose(a, b, atol=1e-5) == blind


def test_swapping_the_rope_of_a_hybrid_leaves_its_nope_layers_alone():
    model = small_model("rnope")
    stretched = scaled_ropes(model.rope, factor=4, original_length=8)["yarn"]
    original = model.rope
    with rope_swapped(model, stretched):
        assert [b.attn.rope for b in model.blocks] == [stretched, None]
    assert [b.attn.rope for b in model.blocks] == [original, None]


def test_p_rope_turns_the_fast_pairs_like_rope_and_leaves_the_slow_ones_still():
    # a direct computation: pair i (channels i and i + d/2, the "half" layout) turns by m·base**(-2i/d)
    # for the first int(p·d/2) pairs and by 0 for the others
    d, p, base = 16, 0.75, 10000.0
    model = PositionLM(VOCAB, "p_rope", d_model=32, n_heads=2, n_layers=1, p_rope_fraction=p)
    rope = model.rope
    assert rope.head_dim == d
    turning = int(p * d / 2)
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    theta[turning:] = 0
    torch.manual_seed(3)
    x = torch.randn(1, 1, 40, d, dtype=torch.float64)
    m = torch.arange(40, dtype=torch.float64)[:, None]
    cos, sin = torch.cos(m * theta), torch.sin(m * theta)
    a, b = x[..., : d // 2], x[..., d // 2:]
    expected = torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    got = rope.rotate(x.float(), torch.arange(40)).double()
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    slow = [*range(turning, d // 2), *range(d // 2 + turning, d)]
    torch.testing.assert_close(got[..., slow], x[..., slow], atol=1e-6, rtol=0)  # never turned
    # the fast pairs are exactly plain RoPE's (the full-head exponent, not partial rotary's)
    plain = small_model("rope").rope.__class__(d).rotate(x.float(), torch.arange(40)).double()
    fast = [*range(turning), *range(d // 2, d // 2 + turning)]
    torch.testing.assert_close(got[..., fast], plain[..., fast], atol=1e-6, rtol=1e-6)


def test_evaluate_with_profile_is_evaluate_and_loss_by_position_in_one_pass():
    from embedkit.lab.evaluate import evaluate_with_profile

    text = kjv_characters()
    torch.manual_seed(0)
    model = PositionLM(text.vocab_size, "rnope", d_model=16, n_heads=2, n_layers=2).eval()
    rows, profile = evaluate_with_profile(model, text.valid, [8, 16, 32], n_windows=4)
    assert rows == evaluate(model, text.valid, [8, 16, 32], n_windows=4)
    torch.testing.assert_close(profile, loss_by_position(model, text.valid, 32, n_windows=4))


@pytest.mark.parametrize("scheme, options, exc, message", [
    ("rnope", {"rnope_interval": 1}, ValueError, "rnope_interval must be an integer >= 2, got 1"),
    ("rnope", {"rnope_interval": 2.5}, TypeError, r"rnope_interval must be an integer >= 2, got 2.5 \(float\)"),
    ("p_rope", {"p_rope_fraction": 0}, ValueError, "p_rope_fraction must be a finite number > 0 and <= 1, got 0"),
    ("p_rope", {"p_rope_fraction": 1.5}, ValueError, "p_rope_fraction must be a finite number > 0 and <= 1, got 1.5"),
    ("p_rope", {"p_rope_fraction": "0.75"}, TypeError, "p_rope_fraction must be a finite number"),
    # a head of 8 channels has 4 pairs: 0.2 of them is none
    ("p_rope", {"p_rope_fraction": 0.2, "d_model": 16, "n_heads": 2}, ValueError,
     "p_rope_fraction=0.2 turns no pair of a head of 8 channels .4 pairs.: it must be at least 0.25"),
    ("p_rope", {"d_model": 6, "n_heads": 2}, ValueError, "p-RoPE needs an even head_dim, got d_model / n_heads = 3"),
    ("rnope", {"d_model": 6, "n_heads": 2}, ValueError, "RoPE/NoPE hybrid needs an even head_dim"),
    ("nope", {"p_rope_interval": 2}, TypeError, "unknown position-scheme option.*'p_rope_interval'"),
])
def test_bad_options_of_the_rotary_arms_are_named(scheme, options, exc, message):
    with pytest.raises(exc, match=message):
        PositionLM(VOCAB, scheme, **options)


def test_a_transform_in_some_layers_must_flag_every_layer():
    from embedkit.lab.rope_variants import SomeLayers
    from embedkit.positions import PositionScheme
    from embedkit.lab.model import layer_hooks
    from embedkit.rotary import RoPE

    entry = PositionScheme("probe", adds_to="qk", build=lambda shape, o: None)
    rope = RoPE(8)
    assert layer_hooks(entry, SomeLayers(rope, lambda n: [False, True, True]), 3) == [{}, {"rope": rope}, {"rope": rope}]
    with pytest.raises(ValueError, match=r"layers\(3\) must give one flag per layer, got 2"):
        layer_hooks(entry, SomeLayers(rope, lambda n: [True, False]), 3)
