"""embedkit.rotary.kernel: the fast apply equals the complex reference, keeps norms pair by pair, stays
accurate in bfloat16, handles out=/in place/non-contiguous inputs, and differentiates."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from embedkit import rotary
from embedkit.rotary import RoPE, apply, rotate_reference
from embedkit.rotary.layouts import _halves

torch.set_num_threads(2)


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
    xa, xb = _halves(x, layout, pairs)
    ya, yb = _halves(y, layout, pairs)
    torch.testing.assert_close(ya**2 + yb**2, xa**2 + xb**2, rtol=1e-4, atol=1e-5)


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
