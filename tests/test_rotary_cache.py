"""embedkit.rotary.cache: the lazy cos/sin cache allocates nothing up front, grows in chunks, and equals a
table built at once."""

from __future__ import annotations

import pytest
import torch

from embedkit import rotary
from embedkit.rotary import RoPE, rotate_reference

torch.set_num_threads(2)


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
