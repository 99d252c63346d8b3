"""The checkers of the Rotary exercises: right answers pass, the typical wrong ones fail with their hint.

The right answers are written from the formulas (complex numbers, Hugging Face's ``rotate_half``, the
YaRN paper's ramp) rather than with the package's code; the wrong ones the way a reader would write them.
"""

import math

import pytest
import torch

from embedkit import rotary
from exercise_reports import assert_fails_with_hint
from embedkit.exercises import check


# -- answers written from the formulas ------------------------------------------------------------------

def rotate_pair_complex(x, y, angle):
    z = complex(x, y) * complex(math.cos(angle), math.sin(angle))
    return z.real, z.imag


def rope_complex(x, positions, base=10000.0, layout="half"):
    """RoPE as complex multiplication (RoFormer, eq. 34), any layout."""
    d = x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    turn = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64),
                       torch.as_tensor(positions).double()[:, None] * theta)
    if layout == "half":
        z = torch.complex(x[..., : d // 2].double(), x[..., d // 2:].double()) * turn
        return torch.cat([z.real, z.imag], dim=-1).to(x.dtype)
    z = torch.view_as_complex(x.double().reshape(*x.shape[:-1], d // 2, 2).contiguous()) * turn
    return torch.view_as_real(z).reshape(x.shape).to(x.dtype)


def rope_hugging_face(x, positions, base=10000.0, layout="half"):
    """Hugging Face's rotate_half formula for the half layout; the interleaved layout through the permutation
    that maps it onto the half one (checked on the implementation page)."""
    llama = pytest.importorskip("transformers.models.llama.modeling_llama")
    d = x.shape[-1]
    perm = rotary.layout_permutation(d)
    if layout == "interleaved":
        return rope_hugging_face(x[..., perm], positions)[..., torch.argsort(perm)]
    theta = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    freqs = torch.as_tensor(positions).double()[:, None] * theta
    emb = torch.cat([freqs, freqs], dim=-1)
    return (x * emb.cos() + llama.rotate_half(x) * emb.sin()).to(x.dtype)


def yarn_ramp_from_paper(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    """The ramp of Peng et al. (2023), as their code computes it: the pair index that turns β times in L."""
    def pair(turns):
        return dim * math.log(original_max_position_embeddings / (turns * 2 * math.pi)) / (2 * math.log(base))
    low, high = max(math.floor(pair(beta_fast)), 0), min(math.ceil(pair(beta_slow)), dim - 1)
    if low == high:
        high += 0.001
    return [min(max((i - low) / (high - low), 0.0), 1.0) for i in range(dim // 2)]


def ntk_from_formula(base, dim, factor, original_max_position_embeddings, seq_len):
    length = original_max_position_embeddings
    seq = length if seq_len is None else max(seq_len, length)
    return base * (factor * seq / length - (factor - 1)) ** (dim / (dim - 2))


def rope_package(x, positions, base=10000.0, layout="half"):
    return rotary.RoPE(x.shape[-1], base=base, layout=layout, max_positions=int(max(positions)) + 1)(x, positions)


def rotate_pair_package(x, y, angle):
    out = rotary.rotate_reference(torch.tensor([[x, y]], dtype=torch.float64), [1], torch.tensor([angle]),
                                  layout="interleaved")
    return out[0]


def yarn_ramp_package(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    inv = rotary.inverse_frequencies(dim, base)
    scaled, _ = rotary.yarn(inv, dim, base, {"factor": factor, "beta_fast": beta_fast, "beta_slow": beta_slow,
                                             "original_max_position_embeddings": original_max_position_embeddings})
    return (inv - scaled) / (inv - inv / factor)


@pytest.mark.parametrize("checker, answer", [
    (check.rotate_pair, rotate_pair_complex),
    (check.rotate_pair, rotate_pair_package),
    (check.rope, rope_complex),
    (check.rope, rope_hugging_face),
    (check.rope, rope_package),
    (check.yarn_ramp, yarn_ramp_from_paper),
    (check.yarn_ramp, yarn_ramp_package),
    (check.ntk_base, ntk_from_formula),
    (check.ntk_base, rotary.dynamic_ntk_base),
], ids=["pair-complex", "pair-package", "rope-complex", "rope-hugging-face", "rope-package", "yarn-paper",
        "yarn-package", "ntk-formula", "ntk-package"])
def test_right_answers_pass(checker, answer):
    result = checker(answer)
    assert result, result.message(width=None)
    assert result.message(width=None) == f"✓ {result.exercise}: passed all {result.cases} cases."
    assert result.cases >= 6


def test_rope_in_float32_passes():
    """A reader who computes in float32 (angles included) is not failed for rounding."""
    def rope_float32(x, positions, base=10000.0, layout="half"):
        return rope_complex(x.float(), positions, base, layout)
    assert check.rope(rope_float32)


# -- typical wrong answers fail, on a named case, with the hint for their mistake -------------------------

def rotate_pair_clockwise(x, y, angle):
    c, s = math.cos(angle), math.sin(angle)
    return x * c + y * s, -x * s + y * c


def rotate_pair_degrees(x, y, angle):
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return x * c - y * s, x * s + y * c


def rope_wrong_layout(x, positions, base=10000.0, layout="half"):
    return rope_complex(x, positions, base, "interleaved" if layout == "half" else "half")


def rope_from_one(x, positions, base=10000.0, layout="half"):
    return rope_complex(x, torch.as_tensor(positions) + 1, base, layout)


def rope_from_minus_one(x, positions, base=10000.0, layout="half"):
    return rope_complex(x, torch.as_tensor(positions) - 1, base, layout)


def rope_clockwise(x, positions, base=10000.0, layout="half"):
    return _rope_by_angle(x, positions, base, layout, sign=-1)


def _rope_by_angle(x, positions, base, layout, sign):
    d = x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    a = torch.as_tensor(positions).double()[:, None] * theta * sign
    first, second = (x[..., : d // 2], x[..., d // 2:]) if layout == "half" else (x[..., 0::2], x[..., 1::2])
    r1, r2 = first * a.cos() - second * a.sin(), second * a.cos() + first * a.sin()
    return torch.cat([r1, r2], -1) if layout == "half" else torch.stack([r1, r2], -1).reshape(x.shape)


def yarn_reversed(*args, **kwargs):
    return [1 - r for r in yarn_ramp_from_paper(*args, **kwargs)]


def yarn_radians(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    def pair(turns):  # forgot that β counts turns of 2π
        return dim * math.log(original_max_position_embeddings / turns) / (2 * math.log(base))
    low, high = max(math.floor(pair(beta_fast)), 0), min(math.ceil(pair(beta_slow)), dim - 1)
    return [min(max((i - low) / (high - low), 0.0), 1.0) for i in range(dim // 2)]


def yarn_wavelengths(dim, base, factor, original_max_position_embeddings, beta_fast=32, beta_slow=1):
    # the pair whose wavelength 2π/θ_i is β, instead of the pair that turns β times in L
    low = max(math.floor(dim * math.log(beta_fast / (2 * math.pi)) / (2 * math.log(base))), 0)
    high = min(math.ceil(dim * math.log(beta_slow / (2 * math.pi)) / (2 * math.log(base))), dim - 1)
    if low == high:
        high += 0.001
    return [min(max((i - low) / (high - low), 0.0), 1.0) for i in range(dim // 2)]


def ntk_static(base, dim, factor, original_max_position_embeddings, seq_len):
    return base * factor ** (dim / (dim - 2))


def ntk_no_max(base, dim, factor, original_max_position_embeddings, seq_len):
    seq = original_max_position_embeddings if seq_len is None else seq_len
    return base * (factor * seq / original_max_position_embeddings - (factor - 1)) ** (dim / (dim - 2))


def ntk_no_max_torch(base, dim, factor, original_max_position_embeddings, seq_len):
    """The same mistake in torch, where a negative number to a fractional power is NaN, not complex."""
    seq = original_max_position_embeddings if seq_len is None else seq_len
    bracket = torch.tensor(factor * seq / original_max_position_embeddings - (factor - 1), dtype=torch.float64)
    return base * bracket ** (dim / (dim - 2))


def ntk_inverted(base, dim, factor, original_max_position_embeddings, seq_len):
    seq = original_max_position_embeddings if seq_len is None else max(seq_len, original_max_position_embeddings)
    return base * (factor * seq / original_max_position_embeddings - (factor - 1)) ** ((dim - 2) / dim)


@pytest.mark.parametrize("checker, wrong, fragment, case", [
    (check.rotate_pair, rotate_pair_clockwise, "turns clockwise", "(0.6, -0.8) turned by 1 radian"),
    (check.rotate_pair, rotate_pair_degrees, "the angle is in radians", "(0.6, -0.8) turned by 1 radian"),
    (check.rope, rope_wrong_layout, "other layout's", "6 positions, head_dim 8, half layout"),
    (check.rope, rope_from_one, "one too far", "6 positions, head_dim 8, half layout"),
    (check.rope, rope_from_minus_one, "one short", "6 positions, head_dim 8, half layout"),
    (check.rope, rope_clockwise, "turns clockwise", "6 positions, head_dim 8, half layout"),
    (check.yarn_ramp, yarn_reversed, "ramp is reversed", "head_dim 128, base 10,000, factor 4"),
    (check.yarn_ramp, yarn_radians, "β counts full turns, not radians", "head_dim 128, base 10,000, factor 4"),
    (check.yarn_ramp, yarn_wavelengths, "not a wavelength", "head_dim 128, base 10,000, factor 4"),
    (check.ntk_base, ntk_static, "static NTK-aware base", "16,384 tokens"),
    (check.ntk_base, ntk_no_max, "use max(ℓ, L)", "shorter than L"),
    (check.ntk_base, ntk_no_max_torch, "use max(ℓ, L)", "shorter than L"),
    (check.ntk_base, ntk_inverted, "not (d − 2)/d", "16,384 tokens"),
], ids=["pair-clockwise", "pair-degrees", "rope-layout", "rope-plus-one", "rope-minus-one", "rope-clockwise",
        "yarn-reversed", "yarn-radians", "yarn-wavelengths", "ntk-static", "ntk-no-max", "ntk-no-max-torch",
        "ntk-inverted"])
def test_typical_mistakes_fail_with_their_hint(checker, wrong, fragment, case):
    assert_fails_with_hint(checker(wrong), case, fragment)


def test_a_failing_rope_case_shows_its_tensors_by_shape():
    message = check.rope(rope_wrong_layout).message(width=None)
    assert "input: (<tensor of shape (6, 8), float64>, torch.tensor([0, 1, 2, 3, 4, 5]))" in message


def test_an_interleaved_only_mistake_fails_on_an_interleaved_case():
    """Treating every layout as "half" passes the half cases and fails on the first interleaved one."""
    result = check.rope(lambda x, positions, base=10000.0, layout="half": rope_complex(x, positions, base, "half"))
    assert not result and result.number == 2 and "interleaved" in result.case.label
    assert "other layout's" in result.hint


# -- a function that raises or returns the wrong thing is graded, not a crash -----------------------------

@pytest.mark.parametrize("checker, wrong, fragment", [
    (check.rotate_pair, lambda x, y, angle: x, "expected shape (2,), got shape ()"),
    (check.rope, lambda x, positions, base=10000.0, layout="half": x[..., :4], "expected shape (6, 8), got shape (6, 4)"),
    (check.rope, lambda x, positions, base=10000.0, layout="half": None, "expected numbers of shape (6, 8), got None"),
    (check.yarn_ramp, lambda dim, *a, **k: [0.0] * dim, "expected shape (64,), got shape (128,)"),
    (check.ntk_base, lambda *args: [1.0, 2.0], "expected shape (), got shape (2,)"),
    (check.ntk_base, lambda *args: "10000", "expected the real number"),
], ids=["pair-scalar", "rope-half", "rope-none", "yarn-channels", "ntk-list", "ntk-text"])
def test_a_wrong_shape_or_type_is_graded(checker, wrong, fragment):
    result = checker(wrong)
    assert not result and result.number == 1
    assert fragment in result.reason, result.reason


@pytest.mark.parametrize("checker", [check.rotate_pair, check.rope, check.yarn_ramp, check.ntk_base])
def test_a_non_callable_is_a_clear_type_error(checker):
    with pytest.raises(TypeError, match=r"takes your function itself.*without parentheses"):
        checker(rotate_pair_complex(1.0, 0.0, 0.5))


def test_the_checkers_are_gathered_under_check():
    from embedkit.exercises import rotary as module
    assert set(module.__all__) == {"ntk_base", "rope", "rotate_pair", "yarn_ramp"}
    assert all(getattr(check, name) is getattr(module, name) for name in module.__all__)
