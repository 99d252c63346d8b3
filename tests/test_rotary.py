"""RoPE (embedkit.rotary): against Hugging Face's Llama rotary code and Meta's complex form, the layout
permutation, the properties the book proves, precision, autograd and errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import RoPE, apply, convert_projection, layout_permutation, rotate_reference

torch.set_num_threads(2)


def hf_rope(head_dim: int, positions: torch.Tensor, x: torch.Tensor, base: float = 10000.0, rope_parameters=None):
    """Rotate x (batch, heads, seq, head_dim) with transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb."""
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb

    params = rope_parameters or {"rope_type": "default", "rope_theta": base}
    config = LlamaConfig(hidden_size=head_dim * 4, num_attention_heads=4, head_dim=head_dim,
                         max_position_embeddings=4096, rope_parameters=params)
    cos, sin = LlamaRotaryEmbedding(config)(x, positions[None])
    out, _ = apply_rotary_pos_emb(x, x, cos, sin)
    return out


def meta_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Meta's Llama formulation, written from its description: pairs (2i, 2i+1) as complex numbers times
    freqs_cis = polar(1, m·θ_i)."""
    d = x.shape[-1]
    freqs = 1.0 / (base ** (torch.arange(0, d, 2)[: d // 2].float() / d))
    freqs_cis = torch.polar(torch.ones(len(positions), d // 2), torch.outer(positions.float(), freqs))
    xc = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(xc * freqs_cis).flatten(-2)


# -- against independent implementations -------------------------------------------------------------

@pytest.mark.parametrize("head_dim,base", [(64, 10000.0), (128, 500000.0), (32, 10000.0)])
@pytest.mark.parametrize("offset", [0, 1000])
def test_half_layout_equals_hugging_face_llama(head_dim, base, offset):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 12, head_dim)
    positions = torch.arange(offset, offset + 12)
    rope = RoPE(head_dim, base=base)
    ours = rope.rotate(x, positions)
    # HF forms the angles m·θ_i in float32 (error ≈ m·2^-24 rad); ours are float64, then cast.
    tol = 1e-5 + 2 * offset * 2**-24 * float(x.abs().max())
    torch.testing.assert_close(ours, hf_rope(head_dim, positions, x, base), rtol=1e-5, atol=tol)
    exact = rotate_reference(x, positions, rope.inv_freq)
    assert (ours.double() - exact).abs().max() < 2e-6


def test_interleaved_layout_equals_meta_complex_form():
    torch.manual_seed(1)
    x = torch.randn(1, 3, 20, 64)
    positions = torch.arange(5, 25)
    ours = RoPE(64, layout="interleaved").rotate(x, positions)
    torch.testing.assert_close(ours, meta_rope(x, positions), rtol=1e-5, atol=1e-5)


def test_partial_rotary_equals_hugging_face_partial_rotary_factor():
    """HF (e.g. GPT-NeoX, Phi) rotates the first int(d·f) channels with frequencies over that sub-dimension."""
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    torch.manual_seed(2)
    x = torch.randn(1, 2, 9, 64)
    positions = torch.arange(9)
    rope = RoPE(64, rotary_fraction=0.25)
    assert rope.rotary_dim == 16
    inv = 1.0 / (10000 ** (torch.arange(0, 16, 2).float() / 16))
    emb = torch.cat([torch.outer(positions.float(), inv)] * 2, -1)
    rotated, _ = apply_rotary_pos_emb(x[..., :16], x[..., :16], emb.cos()[None], emb.sin()[None])
    expected = torch.cat([rotated, x[..., 16:]], -1)
    torch.testing.assert_close(rope.rotate(x, positions), expected)
    assert torch.equal(rope.rotate(x, positions)[..., 16:], x[..., 16:])


@given(
    pairs=st.integers(1, 24),
    seq=st.integers(1, 16),
    offset=st.integers(0, 3000),
    layout=st.sampled_from(rotary.LAYOUTS),
    fraction=st.sampled_from([1.0, 0.5]),
)
def test_fast_apply_equals_complex_reference(pairs, seq, offset, layout, fraction):
    head_dim = 4 * pairs if fraction == 0.5 else 2 * pairs
    torch.manual_seed(pairs * 31 + seq)
    x = torch.randn(2, seq, head_dim)
    rope = RoPE(head_dim, layout=layout, rotary_fraction=fraction, max_positions=offset + seq)
    positions = torch.arange(offset, offset + seq)
    expected = rotate_reference(x, positions, rope.inv_freq, layout=layout)
    torch.testing.assert_close(rope.rotate(x, positions).double(), expected, rtol=1e-5, atol=1e-5)


# -- the two layouts are one function ----------------------------------------------------------------------

def test_layout_permutation_value():
    assert layout_permutation(8).tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    assert layout_permutation(8, rotary_fraction=0.5).tolist() == [0, 2, 1, 3, 4, 5, 6, 7]


@given(
    pairs=st.integers(1, 32),
    seq=st.integers(1, 12),
    offset=st.integers(0, 2000),
    fraction=st.sampled_from([1.0, 0.5]),
)
def test_layouts_are_the_same_function_up_to_the_permutation(pairs, seq, offset, fraction):
    head_dim = 4 * pairs if fraction == 0.5 else 2 * pairs
    torch.manual_seed(seq + pairs)
    x = torch.randn(3, 2, seq, head_dim)
    positions = torch.randint(0, offset + seq, (seq,))
    half = RoPE(head_dim, layout="half", rotary_fraction=fraction, max_positions=offset + seq)
    inter = RoPE(head_dim, layout="interleaved", rotary_fraction=fraction, max_positions=offset + seq)
    perm = layout_permutation(head_dim, rotary_fraction=fraction)
    # permute, rotate the half way  ==  rotate the interleaved way, permute
    torch.testing.assert_close(half.rotate(x[..., perm], positions), inter.rotate(x, positions)[..., perm], rtol=0, atol=0)


def test_checkpoint_conversion_matches_the_transformers_converter_and_keeps_scores():
    """An interleaved (Meta) q/k projection, converted, gives identical attention scores in the half layout.
    The reference is the permutation written in transformers' Llama conversion script:
    w.view(n_heads, d/2, 2, dim).transpose(1, 2).reshape(dim_out, dim)."""
    torch.manual_seed(3)
    n_heads, head_dim, d_model, seq = 4, 16, 64, 10
    wq = torch.randn(n_heads * head_dim, d_model)
    wk = torch.randn(2 * head_dim, d_model)  # 2 key/value heads
    hf_style = wq.view(n_heads, head_dim // 2, 2, d_model).transpose(1, 2).reshape(n_heads * head_dim, d_model)
    assert torch.equal(convert_projection(wq, n_heads, to="half"), hf_style)
    assert torch.equal(convert_projection(convert_projection(wq, n_heads), n_heads, to="interleaved"), wq)

    x = torch.randn(1, seq, d_model)
    positions = torch.arange(seq)

    def scores(wq, wk, layout):
        q = (x @ wq.T).view(1, seq, n_heads, head_dim).transpose(1, 2)
        k = (x @ wk.T).view(1, seq, 2, head_dim).transpose(1, 2).repeat_interleave(2, dim=1)
        rope = RoPE(head_dim, layout=layout)
        return rope.rotate(q, positions) @ rope.rotate(k, positions).transpose(-1, -2)

    meta = scores(wq, wk, "interleaved")
    converted = scores(convert_projection(wq, n_heads), convert_projection(wk, 2), "half")
    unconverted = scores(wq, wk, "half")
    torch.testing.assert_close(converted, meta, rtol=1e-4, atol=1e-4)
    assert (unconverted - meta).abs().max() > 1.0  # forgetting the conversion changes the model


# -- properties -------------------------------------------------------------------------------------------------

@given(
    pairs=st.integers(1, 64),
    m=st.integers(0, 5000),
    n=st.integers(0, 5000),
    shift=st.integers(-3000, 3000),
    base=st.sampled_from([10000.0, 500000.0, 100.0]),
    layout=st.sampled_from(rotary.LAYOUTS),
)
def test_score_depends_only_on_the_offset(pairs, m, n, shift, base, layout):
    shift = max(shift, -min(m, n))
    d = 2 * pairs
    torch.manual_seed(pairs)
    q, k = torch.randn(1, d, dtype=torch.float64), torch.randn(1, d, dtype=torch.float64)
    inv = rotary.inverse_frequencies(d, base)

    def score(a, b):
        return (rotate_reference(q, [a], inv, layout=layout) * rotate_reference(k, [b], inv, layout=layout)).sum()

    assert math.isclose(score(m, n), score(m + shift, n + shift), rel_tol=1e-9, abs_tol=1e-9)
    # and the fast float32 path agrees to float32 precision
    rope = RoPE(d, base=base, layout=layout, max_positions=8001)
    fast = (rope.rotate(q.float(), [m + shift]) * rope.rotate(k.float(), [n + shift])).sum()
    assert math.isclose(float(fast), float(score(m, n)), rel_tol=1e-3, abs_tol=1e-3 * d)


@given(
    shape=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    seq=st.integers(1, 20),
    pairs=st.integers(1, 40),
    offset=st.integers(0, 4000),
    layout=st.sampled_from(rotary.LAYOUTS),
)
def test_rotation_preserves_norms(shape, seq, pairs, offset, layout):
    d = 2 * pairs
    torch.manual_seed(seq * pairs)
    x = torch.randn(*shape, seq, d)
    rope = RoPE(d, layout=layout, max_positions=offset + seq)
    y = rope.rotate(x, offset=offset)
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=1e-5, atol=1e-5)
    # pair by pair, not just overall
    xa, xb = rotary._halves(x, layout, pairs)
    ya, yb = rotary._halves(y, layout, pairs)
    torch.testing.assert_close(ya**2 + yb**2, xa**2 + xb**2, rtol=1e-4, atol=1e-5)


def test_position_zero_is_the_identity_and_rotation_is_counter_clockwise():
    x = torch.tensor([[1.0, 0.0]])
    rope = RoPE(2, base=10000.0)
    assert torch.equal(rope.rotate(x, [0]), x)
    # a single pair has θ_0 = 1: position 1 turns (1, 0) to (cos 1, sin 1)
    torch.testing.assert_close(rope.rotate(x, [1]), torch.tensor([[math.cos(1), math.sin(1)]]))


# -- precision, layouts in memory, autograd ------------------------------------------------------------

def test_bfloat16_is_accurate_and_positions_do_not_collapse():
    torch.manual_seed(4)
    x = torch.randn(2, 4, 8, 64)
    positions = torch.arange(2048, 2056)  # bf16 cannot even represent 2049
    rope = RoPE(64, max_positions=4096)
    exact = rotate_reference(x.bfloat16(), positions, rope.inv_freq)
    got = rope.rotate(x.bfloat16(), positions)
    assert got.dtype == torch.bfloat16
    assert (got.double() - exact).abs().max() < 0.05  # bf16 keeps ~3 significant digits
    # Computing the angles in bf16 (positions rounded to multiples of 16 near 2048) would be far worse:
    inv_bf = rope.inv_freq.bfloat16()
    naive = positions.bfloat16()[:, None] * inv_bf
    naive_cos, naive_sin = naive.cos(), naive.sin()
    bad = apply(x.bfloat16(), naive_cos, naive_sin)
    assert (bad.double() - exact).abs().max() > 10 * (got.double() - exact).abs().max()


def test_out_in_place_and_non_contiguous_inputs_agree():
    torch.manual_seed(5)
    x = torch.randn(2, 10, 4, 32).transpose(1, 2)  # (batch, heads, seq, head_dim) view, as in attention
    assert not x.is_contiguous()
    for layout in rotary.LAYOUTS:
        rope = RoPE(32, layout=layout)
        expected = rotate_reference(x, torch.arange(3, 13), rope.inv_freq, layout=layout).float()
        torch.testing.assert_close(rope.rotate(x, offset=3), expected)
        out = torch.empty_like(x)
        assert rope.rotate(x, offset=3, out=out) is out
        torch.testing.assert_close(out, expected)
        y = x.contiguous()
        rope.rotate(y, offset=3, out=y)
        torch.testing.assert_close(y, expected)
        big = torch.randn(1, 3, 700, 32)  # long enough to be processed in several chunks
        torch.testing.assert_close(rope.rotate(big).double(), rotate_reference(big, range(700), rope.inv_freq, layout=layout),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", rotary.LAYOUTS)
def test_autograd(layout):
    rope = RoPE(12, layout=layout, rotary_fraction=2 / 3)
    cos, sin = rope.cos_sin(torch.arange(7), dtype=torch.float64)
    x = torch.randn(2, 7, 12, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: apply(t, cos, sin, layout=layout), (x,))
    assert torch.autograd.gradgradcheck(lambda t: apply(t, cos, sin, layout=layout) ** 2, (x,))
    # The gradient of a rotation is the rotation by the opposite angle.
    g = torch.randn(2, 7, 12, dtype=torch.float64)
    (grad,) = torch.autograd.grad(apply(x, cos, sin, layout=layout), x, g)
    torch.testing.assert_close(grad, apply(g, cos, -sin, layout=layout))
    # cos and sin may be trained too (plain formula path)
    c, s = cos.clone().requires_grad_(), sin.clone().requires_grad_()
    y = apply(x, c, s, layout=layout)
    torch.testing.assert_close(y, apply(x.detach(), cos, sin, layout=layout))
    assert torch.autograd.gradcheck(lambda a, b: apply(x.detach(), a, b, layout=layout), (c, s))


def test_dynamic_ntk_leaves_short_sequences_alone():
    scaled = RoPE(32, scaling={"rope_type": "dynamic", "factor": 4.0, "original_max_position_embeddings": 64}, max_positions=512)
    plain = RoPE(32, max_positions=512)
    x = torch.randn(1, 64, 32)
    torch.testing.assert_close(scaled.rotate(x), plain.rotate(x))
    assert not torch.allclose(scaled.rotate(torch.randn(1, 200, 32)), plain.rotate(torch.randn(1, 200, 32)))


# -- errors ---------------------------------------------------------------------------------------------------

def test_clear_errors():
    with pytest.raises(ValueError, match="head_dim must be even.*63"):
        RoPE(63)
    with pytest.raises(ValueError, match="head_dim .* must be even, got 7"):
        apply(torch.randn(3, 7), torch.randn(3, 3), torch.randn(3, 3))
    rope = RoPE(16, max_positions=100)
    with pytest.raises(ValueError, match="position 100 is beyond the cos/sin cache \\(max_positions=100\\)"):
        rope.rotate(torch.randn(1, 101, 16))
    with pytest.raises(ValueError, match="position 150 is beyond"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([3, 150]))
    with pytest.raises(ValueError, match="got 3 positions for a sequence of 2"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([0, 1, 2]))
    with pytest.raises(TypeError, match="positions must hold integers"):
        rope.rotate(torch.randn(1, 2, 16), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="shape \\(\\.\\.\\., seq, 16\\)"):
        rope.rotate(torch.randn(1, 2, 32))
    cos, sin = rope.cos_sin(torch.arange(4))
    with pytest.raises(TypeError, match="cos is torch.float32 but x is torch.bfloat16"):
        apply(torch.randn(4, 16, dtype=torch.bfloat16), cos, sin)
    with pytest.raises(ValueError, match="cos is on cpu but x is on meta"):
        apply(torch.empty(4, 16, device="meta"), cos, sin)
    with pytest.raises(ValueError, match="cover 4 positions but x has 5"):
        apply(torch.randn(5, 16), cos, sin)
    with pytest.raises(ValueError, match="layout must be one of 'half', 'interleaved', got 'neox'"):
        RoPE(16, layout="neox")
    with pytest.raises(ValueError, match="unknown scaling rope_type 'ntk'"):
        RoPE(16, scaling={"rope_type": "ntk", "factor": 2.0})
    with pytest.raises(ValueError, match="'yarn' needs 'original_max_position_embeddings'"):
        RoPE(16, scaling={"rope_type": "yarn", "factor": 2.0})
    with pytest.raises(ValueError, match="'linear' needs 'factor'"):
        RoPE(16, scaling={"rope_type": "linear"})
    with pytest.raises(ValueError, match="rotary_fraction=0.1 of head_dim=16 rotates 1 channels"):
        RoPE(16, rotary_fraction=0.1)
    x = torch.randn(4, 16, requires_grad=True)
    with pytest.raises(ValueError, match="out= cannot be used"):
        apply(x, cos, sin, out=torch.empty(4, 16))


# -- inside attention ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layout", rotary.LAYOUTS)
def test_kv_cache_decoding_equals_the_full_pass_and_trains(layout):
    from embedkit.attention import KVCache, SelfAttention

    torch.manual_seed(6)
    layer = SelfAttention(32, 4, causal=True, rope=RoPE(8, layout=layout))
    x = torch.randn(2, 15, 32)
    with torch.no_grad():
        full = layer(x)
        cache = KVCache()
        parts = [layer(x[:, :6], cache=cache)] + [layer(x[:, t : t + 1], cache=cache) for t in range(6, 15)]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-5, atol=1e-5)
    # gradients flow through the rotation into the projections
    layer(x).square().sum().backward()
    assert layer.q_proj.weight.grad is not None and layer.q_proj.weight.grad.abs().sum() > 0
    assert layer.k_proj.weight.grad.abs().sum() > 0


# -- the lazy cos/sin cache --------------------------------------------------------------------------------


def test_huge_max_positions_allocates_nothing_up_front_and_cache_grows_in_chunks():
    rope = RoPE(8, max_positions=10**9)
    assert rope.cached_positions == 0
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    near_end = rope.rotate(x, offset=10**9 - 5)  # past what is kept: computed for the call only
    assert rope.cached_positions == 0
    positions = torch.arange(10**9 - 5, 10**9)
    torch.testing.assert_close(near_end, rotate_reference(x, positions, rope.inv_freq), rtol=0, atol=1e-6)
    rope.rotate(x, offset=1500)
    assert rope.cached_positions == 2 * rotary.CACHE_CHUNK  # position 1504 needs the second chunk
    with pytest.raises(ValueError, match="the full cos/sin table of max_positions=1,000,000,000 rows is not kept"):
        rope.cos


@pytest.mark.parametrize("layout", ["half", "interleaved"])
def test_cache_grown_in_steps_equals_one_built_at_once(layout):
    """Whatever order positions are asked in, the cached cos/sin equal cos_sin over the whole range."""
    rope = RoPE(16, layout=layout, max_positions=5000)
    for last in (3, 1025, 700, 4999):
        rope.cos_sin(torch.tensor([last]))
    full_cos, full_sin = rotary.cos_sin(torch.arange(5000), rope.inv_freq)
    assert torch.equal(rope.cos, full_cos) and torch.equal(rope.sin, full_sin)
    assert rope.cos.shape == (5000, 8)


def test_one_position_rule_for_rotary_and_positions():
    """rotary and positions share embedkit.positions.as_positions: the same inputs pass and fail alike."""
    from embedkit.positions import ALiBi, as_positions

    for good in ([0, 2, 5], range(3), torch.tensor([1, 2], dtype=torch.int32), __import__("numpy").arange(4), []):
        assert torch.equal(rotary.angles(good, torch.ones(1, dtype=torch.float64))[:, 0].long(), as_positions(good))
        ALiBi(2)(good, good)
    for bad, exc in (([0.5], TypeError), ([[0, 1]], ValueError), ([-1], ValueError), ("012", TypeError),
                     (torch.tensor([True]), TypeError), (None, TypeError), (range(2, -2, -1), ValueError)):
        for call in (lambda: rotary.angles(bad, torch.ones(1, dtype=torch.float64)), lambda: ALiBi(2)(bad, [0]),
                     lambda: as_positions(bad)):
            with pytest.raises(exc, match="positions"):
                call()


# -- what the book prints: closed forms and brute force ----------------------------------------------------


def test_wavelengths_and_full_turns_closed_form():
    inv = rotary.inverse_frequencies(64, 10000.0)
    lam = rotary.wavelengths(inv)
    for i in (0, 7, 31):
        assert lam[i].item() == pytest.approx(2 * math.pi * 10000.0 ** (2 * i / 64), rel=1e-12)
    turns = rotary.full_turns(inv, 4096)
    # brute force: the angle of the last position divided by a full turn
    torch.testing.assert_close(turns, rotary.angles([4095], inv)[0] / (2 * math.pi), rtol=1e-15, atol=0)
    assert turns[0].item() == pytest.approx(4095 / (2 * math.pi))


def test_pair_channels_are_what_apply_rotates_together():
    """Rotating a vector with a single nonzero channel moves it only within that channel's pair."""
    for layout in ("half", "interleaved"):
        pairs = rotary.pair_channels(12, layout, rotary_fraction=2 / 3)
        rope = RoPE(12, layout=layout, rotary_fraction=2 / 3)
        assert len(pairs) == rope.pairs == 4
        for first, second in pairs:
            x = torch.zeros(1, 12)
            x[0, first] = 1.0
            y = rope.rotate(x, [3])[0]
            assert set(torch.nonzero(y.abs() > 1e-9).flatten().tolist()) == {first, second}
    assert rotary.pair_channels(8, "half") == [(0, 4), (1, 5), (2, 6), (3, 7)]
    assert rotary.pair_channels(8, "interleaved") == [(0, 1), (2, 3), (4, 5), (6, 7)]


@pytest.mark.parametrize("factor", [1.0, 1.3])
def test_mean_cos_score_is_the_score_of_rotated_unit_queries_and_keys(factor):
    """Brute force: rotate q = k = (1, 0) in every pair to positions 0 and Δ and take the dot product."""
    inv = rotary.inverse_frequencies(32, 500.0)
    distances = [0, 1, 7, 100, 3000]
    unit = torch.zeros(1, 32, dtype=torch.float64)
    unit[0, :16] = 1.0  # half layout: the first channel of every pair
    q = rotate_reference(unit, [0], inv, attention_factor=factor)
    brute = [(q * rotate_reference(unit, [d], inv, attention_factor=factor)).sum().item() / 16 for d in distances]
    torch.testing.assert_close(rotary.mean_cos_score(distances, inv, factor), torch.tensor(brute, dtype=torch.float64))


def test_decay_bound_is_the_abel_sum_computed_directly():
    """(1/P)·Σ_j |Σ_{k<=j} e^{iΔθ_k}| summed with Python complex numbers, term by term."""
    import cmath

    inv = rotary.inverse_frequencies(16, 10000.0)
    for delta in (0, 3, 250):
        partial, total = 0j, 0.0
        for theta in inv.tolist():
            partial += cmath.exp(1j * delta * theta)
            total += abs(partial)
        assert rotary.decay_bound([delta], inv).item() == pytest.approx(total / len(inv), rel=1e-12)
