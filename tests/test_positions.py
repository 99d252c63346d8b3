"""embedkit.positions: closed-form sinusoids, the shift-is-a-rotation and offset-only properties, ALiBi slopes
from Press et al., T5 buckets identical to Hugging Face transformers, and clear errors on bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from embedkit.positions import (
    ALiBi,
    LearnedPositions,
    T5RelativeBias,
    alibi_bias,
    alibi_slopes,
    relative_position_bucket,
    shift_matrix,
    sinusoidal,
    sinusoidal_dot,
    sinusoidal_frequencies,
)

dims = st.sampled_from([2, 4, 6, 16, 64, 128])


# -- sinusoidal ----------------------------------------------------------------------------------


def test_sinusoidal_closed_form_values():
    pe = sinusoidal(50, 8)
    assert pe.shape == (50, 8) and pe.dtype == torch.float32
    # position 0: sin 0 = 0 and cos 0 = 1 in every pair
    assert pe[0].tolist() == [0.0, 1.0] * 4
    # PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...) (Vaswani et al. 2017, section 3.5)
    for p in (1, 7, 49):
        for i in range(4):
            angle = p / 10000 ** (2 * i / 8)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-7)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-7)


def test_sinusoidal_matches_the_classic_numpy_recipe():
    import numpy as np

    n, d = 40, 32
    pos = np.arange(n)[:, None]
    div = np.exp(np.arange(0, d, 2) * (-math.log(10000.0) / d))
    ref = np.zeros((n, d))
    ref[:, 0::2], ref[:, 1::2] = np.sin(pos * div), np.cos(pos * div)
    np.testing.assert_allclose(sinusoidal(n, d).numpy(), ref, atol=1e-6)


def test_wavelengths_run_from_two_pi_towards_base_two_pi():
    omega = sinusoidal_frequencies(512)
    wavelengths = 2 * math.pi / omega
    assert wavelengths[0].item() == pytest.approx(2 * math.pi)
    assert wavelengths[-1].item() < 10000 * 2 * math.pi
    assert wavelengths[-1].item() == pytest.approx(2 * math.pi * 10000 ** (510 / 512))
    assert torch.all(wavelengths[1:] > wavelengths[:-1])


@given(p=st.integers(0, 2000), k=st.integers(-500, 500), dim=dims)
def test_shift_by_k_is_a_fixed_rotation(p, k, dim):
    assume(p + k >= 0)
    pe = sinusoidal(max(p, p + k) + 1, dim).double()
    m = shift_matrix(k, dim)
    torch.testing.assert_close(m @ pe[p], pe[p + k], atol=2e-6, rtol=0)
    # a rotation: orthogonal, determinant 1, and its inverse is the shift by -k
    torch.testing.assert_close(m @ m.T, torch.eye(dim, dtype=torch.float64))
    torch.testing.assert_close(shift_matrix(-k, dim), m.T)


@given(p=st.integers(0, 3000), q=st.integers(0, 3000), dim=dims, shift=st.integers(0, 3000))
def test_dot_product_depends_only_on_offset(p, q, dim, shift):
    pe = sinusoidal(max(p, q) + shift + 1, dim).double()
    dot = pe[p] @ pe[q]
    torch.testing.assert_close(dot, pe[p + shift] @ pe[q + shift], atol=1e-5, rtol=0)
    torch.testing.assert_close(dot, sinusoidal_dot(q - p, dim), atol=1e-5, rtol=0)


def test_sinusoidal_bad_inputs():
    with pytest.raises(ValueError, match="dim must be even .* got 63"):
        sinusoidal(10, 63)
    with pytest.raises(ValueError, match="n_positions must be an integer >= 0, got -1"):
        sinusoidal(-1, 8)
    with pytest.raises(ValueError, match="base must be a finite number > 1"):
        sinusoidal(4, 8, base=0.5)
    with pytest.raises(TypeError, match="n_positions must be an integer"):
        sinusoidal(4.5, 8)
    assert sinusoidal(0, 8).shape == (0, 8)


# -- learned -------------------------------------------------------------------------------------


def test_learned_positions_lookup_and_the_end_of_the_table():
    torch.manual_seed(0)
    table = LearnedPositions(16, 8)
    out = table(torch.arange(16))
    assert out.shape == (16, 8)
    assert torch.equal(out, table.table.weight)
    with pytest.raises(ValueError, match="position 16 is beyond the learned table: max_len=16"):
        table(torch.arange(17))
    with pytest.raises(ValueError, match=r"positions must be >= 0 \(token indices\), got -1"):
        table(torch.tensor([-1, 0]))
    with pytest.raises(TypeError, match="must hold integers"):
        table(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="max_len must be an integer >= 1, got 0"):
        LearnedPositions(0, 8)


def test_rows_never_looked_up_never_change():
    """The learned-positions page relies on this: training on short sequences leaves later rows untouched."""
    torch.manual_seed(0)
    table = LearnedPositions(10, 4)
    before = table.table.weight.detach().clone()
    opt = torch.optim.Adam(table.parameters(), lr=0.1)
    for _ in range(5):
        loss = table(torch.arange(6)).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = table.table.weight.detach()
    assert torch.equal(after[6:], before[6:])
    assert not torch.equal(after[:6], before[:6])


# -- ALiBi ---------------------------------------------------------------------------------------

# Reference values: Press et al. (2022), section 3, and the authors' get_slopes
# (github.com/ofirpress/attention_with_linear_biases).
ALIBI_REFERENCE = {
    8: [2.0 ** -i for i in range(1, 9)],
    16: [2.0 ** (-i / 2) for i in range(1, 17)],
    12: [2.0 ** -i for i in range(1, 9)] + [2.0 ** -0.5, 2.0 ** -1.5, 2.0 ** -2.5, 2.0 ** -3.5],
}


@pytest.mark.parametrize("n_heads", [8, 12, 16])
def test_alibi_slopes_match_press_et_al(n_heads):
    assert alibi_slopes(n_heads).tolist() == pytest.approx(ALIBI_REFERENCE[n_heads], rel=1e-7)


def test_alibi_slopes_other_head_counts():
    assert alibi_slopes(1).tolist() == [2.0 ** -8]
    assert alibi_slopes(6).tolist() == pytest.approx([2**-2, 2**-4, 2**-6, 2**-8, 2**-1, 2**-3])
    assert len(set(alibi_slopes(24).tolist())) == 24


def test_alibi_bias_is_linear_in_distance():
    bias = ALiBi(4)(torch.arange(5), torch.arange(5))
    assert bias.shape == (4, 5, 5)
    slopes = alibi_slopes(4)
    for h in range(4):
        for i in range(5):
            for j in range(i + 1):
                assert bias[h, i, j].item() == pytest.approx(-slopes[h].item() * (i - j))
    # adding m*j instead changes each row by a constant, so the causal softmax is unchanged (Press et al.)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    alt = slopes[:, None, None] * torch.arange(5.0)[None, None, :]
    a = torch.softmax(bias.masked_fill(~mask, -math.inf), -1)
    b = torch.softmax(alt.masked_fill(~mask, -math.inf), -1)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(alibi_bias(slopes, [3], [0, 1, 2, 3]), bias[:, 3:4, :4])


def test_alibi_bad_inputs():
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got 0"):
        alibi_slopes(0)
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got -3"):
        ALiBi(-3)
    with pytest.raises(ValueError, match="q_positions must be a 1-D tensor"):
        ALiBi(2)(torch.zeros(2, 2, dtype=torch.long), torch.arange(3))


# -- T5 ------------------------------------------------------------------------------------------

hf_bucket = pytest.importorskip("transformers.models.t5.modeling_t5").T5Attention._relative_position_bucket


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (16, 64), (8, 20), (64, 512)])
def test_t5_buckets_match_hugging_face(bidirectional, num_buckets, max_distance):
    rel = torch.arange(-2000, 2001)
    ours = relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                    max_distance=max_distance)
    ref = hf_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance)
    assert torch.equal(ours, ref)


def test_t5_bias_module_uses_memory_minus_query():
    torch.manual_seed(0)
    t5 = T5RelativeBias(3, num_buckets=16, max_distance=32, bidirectional=True)
    assert torch.count_nonzero(t5(torch.arange(4), torch.arange(4))) == 0  # starts at zero
    with torch.no_grad():
        t5.embedding.weight.normal_()
    q, k = torch.arange(5, 9), torch.arange(12)
    bias = t5(q, k)
    assert bias.shape == (3, 4, 12)
    buckets = hf_bucket(k[None, :] - q[:, None], bidirectional=True, num_buckets=16, max_distance=32)
    torch.testing.assert_close(bias, t5.embedding.weight[buckets].permute(2, 0, 1))


def test_t5_bad_inputs():
    with pytest.raises(ValueError, match="n_heads must be an integer >= 1, got 0"):
        T5RelativeBias(0)
    with pytest.raises(ValueError, match="max_distance > 8"):
        T5RelativeBias(2, num_buckets=32, max_distance=8, bidirectional=True)
    with pytest.raises(TypeError, match="relative_position must hold integers"):
        relative_position_bucket(torch.tensor([0.5]))
