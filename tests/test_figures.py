"""embedkit.figures: every number a figure draws is the package's, checked against an independent reference
(a closed form, a brute-force scan, torch's own embedding); each figure has a title and alt text; the data
it embeds stays small; and bad arguments fail clearly.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from embedkit import data, rotary
from embedkit.figures import positions as fig_positions
from embedkit.figures import rotary as fig_rotary
from embedkit.figures import tokens as fig_tokens
from embedkit.figures import words as fig_words
from embedkit.positions import sinusoidal, sinusoidal_frequencies
from embedkit.tokens import BPETokenizer
from embedkit.words.vocab import AliasSampler, build_vocab, noise_distribution


@pytest.fixture(scope="module")
def lee_bpe() -> BPETokenizer:
    return BPETokenizer.train(data.lee().text, 600, name="lee-600")


@pytest.fixture(scope="module")
def lee_vocab():
    return build_vocab(data.lee().sentences, min_count=2)


# -- the lookup ----------------------------------------------------------------------------------------------

def test_lookup_highlights_the_row_the_one_hot_product_selects():
    tokens, token, dim, seed = ["a", "b", "c", "d", "e", "f"], "d", 3, 7
    table = fig_tokens.lookup_product(tokens, token, dim, seed).data
    weight = torch.randn(len(tokens), dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    expected = torch.nn.functional.embedding(torch.tensor([tokens.index(token)]), weight)[0].tolist()
    x = table[table.panel == "one-hot row x"]
    assert list(x.column) == tokens and list(x.value) == [0, 0, 0, 1, 0, 0]
    assert list(x.column[x.selected]) == [token]
    E = table[table.panel == "table E"]
    assert np.allclose(E.value.to_numpy().reshape(len(tokens), dim), weight.numpy(), rtol=0, atol=0)
    assert set(E.row[E.selected]) == {token} and E.selected.sum() == dim
    xe = table[table.panel == "x E"]
    assert list(xe.value) == expected == list(E.value[E.selected])   # the product is exactly that row
    assert all(lab == f"{v:.2f}" for lab, v in zip(xe.label, xe.value))


# -- BPE merges ----------------------------------------------------------------------------------------------

def _scan_trace(tok: BPETokenizer, word: bytes) -> list[tuple[int, list[bytes]]]:
    """Brute force: merge the lowest-rank adjacent pair (leftmost on ties) until none is a token."""
    parts = [word[i:i + 1] for i in range(len(word))]
    states = [(-1, list(parts))]
    while True:
        candidates = [(tok.ranks[a + b], i) for i, (a, b) in enumerate(zip(parts, parts[1:])) if a + b in tok.ranks]
        if not candidates:
            return states
        rank, i = min(candidates)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
        states.append((rank, list(parts)))


@pytest.mark.parametrize("word", [" unconstitutionally", " government", "Mississippi", " 2001-02"])
def test_bpe_rows_are_the_scan_grouped_by_merge_rule(lee_bpe, word):
    table = fig_tokens.bpe_merges(lee_bpe, word).data
    scan = _scan_trace(lee_bpe, word.encode())
    # the figure's row for a rank is the scan's state after the last merge of that rank
    expected = [(rank, parts) for k, (rank, parts) in enumerate(scan) if k + 1 == len(scan) or scan[k + 1][0] != rank]
    rows = []
    for step, group in table.groupby("step"):
        parts = [lee_bpe.token_bytes(i) for i in group.id]
        assert b"".join(parts) == word.encode()
        assert list(group.start) == [0, *group.end[:-1]] and group.end.iloc[-1] == len(word.encode())
        rows.append((int(group["rank"].iloc[0]), parts))
        if step:
            assert set(group.id[group.new]) == {group["rank"].iloc[0]}   # the new parts are the merged token
    assert rows == expected
    assert list(table.id[table.step == table.step.max()]) == lee_bpe.encode_chunk(word.encode())


# -- skip-gram -----------------------------------------------------------------------------------------------

def test_skipgram_negatives_come_from_the_sampler_and_avoid_the_window(lee_vocab):
    sentence, centre, window, k, seed = "the minister said on sunday that the talks would resume", 2, 2, 7, 3
    table = fig_words.skipgram_window(lee_vocab, sentence, centre, window, k, seed).data
    words = sentence.split()
    # brute force over the kept (known) words: distance in kept words decides context
    kept = [j for j, w in enumerate(words) if w in lee_vocab.index]
    want = []
    for j, w in enumerate(words):
        if w not in lee_vocab.index:
            want.append("not in the vocabulary")
        else:
            d = abs(kept.index(j) - kept.index(centre))
            want.append("centre" if d == 0 else "context" if d <= window else "outside the window")
    sent = table[table.row == "sentence"]
    assert list(sent.word) == words and list(sent.role) == want
    neg = table[table.row == "negatives"]
    assert len(neg) == k and neg.role.eq("negative sample").all()
    window_ids = set(sent.id[sent.role.isin(["centre", "context"])])
    assert all(lee_vocab.words[i] == w for i, w in zip(neg.id, neg.word))      # words of the vocabulary
    assert lee_vocab.index[words[centre]] not in set(neg.id) and not window_ids & set(neg.id)
    noise = noise_distribution(lee_vocab.counts)
    assert np.allclose(neg.probability, noise[neg.id.to_numpy()])
    # the same draws as the trainer's sampler with the same generator, window words skipped
    gen = torch.Generator().manual_seed(seed)
    sampler, drawn = AliasSampler(noise), []
    while len(drawn) < k:
        drawn += [i for i in sampler.sample((k,), gen).tolist() if i not in window_ids]
    assert list(neg.id) == drawn[:k]


def test_skipgram_marks_words_the_vocabulary_lacks_and_keeps_the_books_sentence():
    vocab = build_vocab([["the", "sat", "on", "the", "dog"]] * 5, min_count=1)
    table = fig_words.skipgram_window(vocab, "The cat sat on the mat", centre=2, window=2, negative=3).data
    assert list(table.role[:6]) == ["context", "not in the vocabulary", "centre", "context", "context",
                                    "not in the vocabulary"]
    assert set(table.word[table.row == "negatives"]) == {"dog"}   # the only word outside the window
    # distances count kept words: with window 1, "The" (two places left, one kept word left) is context
    table = fig_words.skipgram_window(vocab, "The cat sat on the mat", centre=2, window=1, negative=3).data
    assert list(table.role[:6]) == ["context", "not in the vocabulary", "centre", "context",
                                    "outside the window", "not in the vocabulary"]
    assert list(table.offset[:6].fillna(99)) == [-1, 99, 0, 1, 2, 99]


# -- sinusoids -----------------------------------------------------------------------------------------------

def test_sinusoid_waves_are_the_tables_channels_and_the_closed_form():
    dim, pairs, n = 32, (0, 3, 9), 40
    table = fig_positions.sinusoid_waves(dim, pairs, n).data
    pe = sinusoidal(n, dim)
    for (i, fn), g in table.groupby(["pair", "function"]):
        channel = 2 * i + (fn == "cos")
        assert (g.channel == channel).all() and list(g.position) == list(range(n))
        assert np.array_equal(g.value.to_numpy(), pe[:, channel].double().numpy())
        closed = (np.sin if fn == "sin" else np.cos)(np.arange(n) * 10000.0 ** (-2 * i / dim))
        assert np.allclose(g.value, closed, atol=1e-6)
        assert g.wavelength.iloc[0] == pytest.approx(2 * math.pi * 10000.0 ** (2 * i / dim), rel=1e-12)
        assert g.wavelength.iloc[0] == 2 * math.pi / float(sinusoidal_frequencies(dim)[i])
    assert sorted(set(table.pair)) == list(pairs)


# -- the rotary figures --------------------------------------------------------------------------------------

def test_turned_vectors_keep_their_norms_and_their_angle():
    q, k, theta, positions = (1.0, 0.5), (0.3, -1.2), 0.2, ((1, 4), (8, 11), (30, 33))
    table = fig_rotary.turned_query_key(q, k, theta, positions).data

    def rot(v, a):   # the rotation matrix R(a) written out
        return (v[0] * math.cos(a) - v[1] * math.sin(a), v[0] * math.sin(a) + v[1] * math.cos(a))

    before = math.degrees(math.atan2(q[0] * k[1] - q[1] * k[0], q[0] * k[0] + q[1] * k[1]))
    angles = set()
    for (m, n), (panel, g) in zip(positions, table.groupby("panel", sort=False)):
        v = {r.vector: (r.x, r.y) for r in g.itertuples()}
        assert v["q"] == q and v["k"] == k
        assert v["q at m"] == pytest.approx(rot(q, m * theta), abs=1e-12)
        assert v["k at n"] == pytest.approx(rot(k, n * theta), abs=1e-12)
        assert math.hypot(*v["q at m"]) == pytest.approx(math.hypot(*q), abs=1e-12)
        assert math.hypot(*v["k at n"]) == pytest.approx(math.hypot(*k), abs=1e-12)
        after = g.angle[g.stage == "after"].iloc[0]
        # the angle from q to k grows by (n - m)θ, whatever m is
        assert after == pytest.approx((before + math.degrees((n - m) * theta) + 180) % 360 - 180, abs=1e-9)
        angles.add(round(after, 9))
    assert len(angles) == 1   # same offset, same angle


@pytest.mark.parametrize("head_dim", [2, 8, 16])
def test_pairings_match_layouts(head_dim):
    table = fig_rotary.channel_pairings(head_dim).data
    for layout in rotary.LAYOUTS:
        boxes = table[(table.part == "box") & (table.layout == layout)]
        assert sorted(boxes.channel) == list(range(head_dim))          # every channel once
        pairs = rotary.pair_channels(head_dim, layout)
        for r in boxes.itertuples():
            a, b = pairs[r.pair]
            assert {r.channel, r.partner} == {a, b} and r.channel == (a, b)[r.seat]
        brackets = table[(table.part == "bracket") & (table.layout == layout)]
        ends = {p: (g.bx.iloc[0], g.bx.iloc[-1]) for p, g in brackets.sort_values("order").groupby("pair")}
        assert ends == {p: ab for p, ab in enumerate(pairs)}
    half = table[(table.part == "box") & (table.layout == "half")]
    assert set(zip(half.channel, half.partner)) >= {(i, i + head_dim // 2) for i in range(head_dim // 2)}


def test_extension_wavelengths_are_the_scalings_and_the_closed_forms():
    s, d, base, L = 4.0, 64, 10000.0, 2048
    table = fig_rotary.extension_wavelengths(s, d, base, L).data
    i = np.arange(d // 2)
    original = 2 * math.pi * base ** (2 * i / d)
    got = {m: g.set_index("pair").wavelength for (m, stage), g in table.groupby(["method", "stage"]) if stage == "scaled"}
    for (m, stage), g in table.groupby(["method", "stage"]):
        if stage == "original":
            assert np.allclose(g.wavelength, original, rtol=1e-12)
    assert np.allclose(got["linear"], s * original, rtol=1e-12)
    ntk_base = base * (s * (s * L) / L - (s - 1)) ** (d / (d - 2))           # dynamic NTK at sL tokens
    assert np.allclose(got["dynamic NTK"], 2 * math.pi * ntk_base ** (2 * i / d), rtol=1e-9)
    for m in ("YaRN", "Llama 3"):   # fast pairs untouched, slow pairs interpolated fully
        assert got[m].iloc[0] == pytest.approx(original[0], rel=1e-12)
        assert got[m].iloc[-1] == pytest.approx(s * original[-1], rel=1e-12)
        inv, _ = rotary.scaled_inverse_frequencies(d, base, fig_rotary.extension_scaling(m, s, L), seq_len=int(s * L))
        assert np.allclose(got[m], rotary.wavelengths(inv).numpy(), rtol=0, atol=0)
    # Llama 3's rule by wavelength: shorter than L/4 kept, longer than L divided by s
    assert np.allclose(got["Llama 3"][original < L / 4], original[original < L / 4], rtol=1e-12)
    assert np.allclose(got["Llama 3"][original > L], s * original[original > L], rtol=1e-12)
    # ... and in between a blend with weight (L/λ − 1)/(4 − 1) on the unchanged frequency (Llama 3.1's factors)
    mid = (original >= L / 4) & (original <= L)
    smooth = (L / original[mid] - 1) / (4 - 1)
    theta = 2 * math.pi / original[mid]
    assert np.allclose(2 * math.pi / got["Llama 3"][mid], (1 - smooth) * theta / s + smooth * theta, rtol=1e-12)
    assert mid.sum() >= 3


# -- every figure --------------------------------------------------------------------------------------------

def _figures(lee_bpe, lee_vocab):
    return {
        "lookup": fig_tokens.lookup_product(),
        "bpe": fig_tokens.bpe_merges(lee_bpe),
        "skipgram": fig_words.skipgram_window(lee_vocab, "the minister said on sunday"),
        "sinusoids": fig_positions.sinusoid_waves(),
        "turned": fig_rotary.turned_query_key(),
        "pairings": fig_rotary.channel_pairings(),
        "extension": fig_rotary.extension_wavelengths(),
    }


def test_every_figure_has_a_title_alt_text_and_small_data(lee_bpe, lee_vocab):
    import vl_convert

    for name, chart in _figures(lee_bpe, lee_vocab).items():
        spec = chart.to_dict()
        title = spec["title"]
        assert (title["text"] if isinstance(title, dict) else title).strip(), name
        assert len(spec["description"]) > 40, name
        assert len(chart.data) <= 1000, name                       # a few hundred rows at most
        assert len(json.dumps(spec)) < 200_000, name
        svg = vl_convert.vegalite_to_svg(json.dumps(spec))         # a valid spec that draws something
        assert "<svg" in svg and svg.count("<text") > 5, name


# -- bad input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: fig_tokens.lookup_product(["a", "b"], "c"), ValueError, "token must be one of tokens"),
    (lambda: fig_tokens.lookup_product(["a", "a"], "a"), ValueError, "tokens must be distinct"),
    (lambda: fig_tokens.lookup_product("abc", "a"), TypeError, "tokens must be"),
    (lambda: fig_tokens.lookup_product(dim=2.5), TypeError, "dim must be an integer"),
    (lambda: fig_tokens.bpe_merges("not a tokenizer"), TypeError, "tok must be a BPETokenizer"),
    (lambda: fig_positions.sinusoid_waves(pairs=[40]), ValueError, "pairs[0] must be an integer >= 0 and <= 31"),
    (lambda: fig_positions.sinusoid_waves(pairs=[1, 1]), ValueError, "distinct"),
    (lambda: fig_positions.sinusoid_waves(dim=63), ValueError, "dim must be even"),
    (lambda: fig_rotary.turned_query_key(q=(0.0, 0.0)), ValueError, "q must not be the zero vector"),
    (lambda: fig_rotary.turned_query_key(k=(1.0, 2.0, 3.0)), TypeError, "k must be a plane vector"),
    (lambda: fig_rotary.turned_query_key(theta=float("nan")), ValueError, "theta must be"),
    (lambda: fig_rotary.turned_query_key(positions=[(1, -2)]), ValueError, "positions[0][1] must be an integer >= 0"),
    (lambda: fig_rotary.channel_pairings(7), ValueError, "even"),
    (lambda: fig_rotary.extension_wavelengths(factor=0.5), ValueError, "factor must be"),
    (lambda: fig_rotary.extension_scaling("rope", 2.0, 10), ValueError, "method must be one of"),
])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_bad_input_needing_data(lee_bpe, lee_vocab):
    with pytest.raises(ValueError, match="word must be 2 to 40 bytes"):
        fig_tokens.bpe_merges(lee_bpe, "a")
    with pytest.raises(ValueError, match="the centre word 'zzzq' is not in the vocabulary"):
        fig_words.skipgram_window(lee_vocab, "the zzzq said", centre=1)
    with pytest.raises(ValueError, match="centre must be an integer >= 0 and <= 2"):
        fig_words.skipgram_window(lee_vocab, "the minister said", centre=3)
    with pytest.raises(TypeError, match="vocab must be"):
        fig_words.skipgram_window({"the": 1})
