"""embedkit.tokens.stats: vocabulary growth, Heaps' and Zipf's fits, out-of-vocabulary rates, against exact
power laws and brute force."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, strategies as st

from embedkit.tokens import stats


def test_vocabulary_growth_counts_distinct_prefix_words():
    rng = np.random.default_rng(0)
    tokens = [f"w{int(z)}" for z in rng.zipf(1.5, 5000)]
    growth = stats.vocabulary_growth(tokens, points=12)
    for n, types in zip(growth.tokens, growth.types):
        assert types == len(set(tokens[:n]))
    assert growth.tokens.iloc[-1] == len(tokens)


def test_heaps_and_zipf_fits_recover_exact_power_laws():
    import pandas as pd

    n = np.geomspace(100, 1e6, 20)
    k, beta = stats.heaps_fit(pd.DataFrame({"tokens": n, "types": 7.0 * n**0.6}))
    assert k == pytest.approx(7.0, rel=1e-6) and beta == pytest.approx(0.6, rel=1e-6)
    counts = {f"w{r}": 1e6 / r**1.1 for r in range(1, 20_001)}
    assert stats.zipf_fit(counts) == pytest.approx(1.1, rel=1e-6)


def test_oov_rate_counts_running_words():
    train = ["a", "a", "b", "c"]
    assert stats.oov_rate(train, ["a", "d", "d", "b"]) == 0.5
    assert stats.oov_rate(train, ["a", "b", "c", "x"], vocab_size=1) == 0.75
    with pytest.raises(ValueError, match="test_tokens is empty"):
        stats.oov_rate(train, [])
    with pytest.raises(ValueError, match="tokens is empty"):
        stats.vocabulary_growth([])


def test_zipf_table_is_sorted_by_rank():
    table = stats.zipf_table(Counter("the cat and the hat and the bat".split()))
    assert table["word"].iloc[0] == "the" and table["count"].is_monotonic_decreasing
    assert table["share"].iloc[0] == pytest.approx(3 / 8)


@given(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=300))
def test_zipf_table_and_oov_rate_equal_brute_force(words):
    counts = Counter(words)
    table = stats.zipf_table(counts, max_rows=5)
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first-seen order, as most_common
    for rank, word, count, share in table[["rank", "word", "count", "share"]].itertuples(index=False):
        assert (word, count) == ordered[rank - 1] and share == pytest.approx(count / len(words))
    assert list(table["rank"]) == sorted(set(table["rank"])) and table["rank"].iloc[0] == 1
    test = words[::-1][:50] + ["zz"]
    for k in (None, 1, 3):
        vocab = {w for w, _ in ordered[:k]} if k else set(words)
        assert stats.oov_rate(words, test, k) == pytest.approx(sum(w not in vocab for w in test) / len(test))
