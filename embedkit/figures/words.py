"""Figures of the Words chapter.

* :func:`skipgram_window` (page *word2vec*): one skip-gram example, a centre word, the context words inside
  its window, and ``K`` negative samples drawn from the unigram^0.75 distribution of a vocabulary
  (:func:`embedkit.words.vocab.noise_distribution`) by the trainer's own sampler
  (:class:`embedkit.words.vocab.AliasSampler`).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import torch

from .. import checks
from ..words.vocab import AliasSampler, Vocabulary, noise_distribution
from . import CHROME, INK

__all__ = ["ROLES", "skipgram_table", "skipgram_window"]

ROLES = ("centre", "context", "outside the window", "not in the vocabulary", "negative sample")
"""The role of each word drawn by :func:`skipgram_window`, in legend order."""

_COLOURS = ("#f2b447", "#8cc5e3", "transparent", "#8888884d", "#e4a0b4")


def skipgram_table(vocab: Vocabulary, sentence: str = "The cat sat on the mat", centre: int = 2,
                   window: int = 2, negative: int = 5, seed: int = 0) -> pd.DataFrame:
    """The words of :func:`skipgram_window`: the sentence, each with its role, then the negative samples.

    Args:
        vocab: the vocabulary the negatives are drawn from (its counts give ``P_n(w) ∝ count(w)^0.75``).
        sentence: words separated by spaces (looked up lower-cased, as the corpora are).
        centre: the index of the centre word in the sentence (a word of ``vocab``).
        window: the words up to ``window`` places away on either side are its context. Words ``vocab``
            does not hold are dropped before windowing, as word2vec does, so places count kept words.
        negative: ``K``, the number of negative samples.
        seed: seeds the ``torch.Generator`` the sampler draws with.

    Negatives are drawn ``K`` at a time with ``AliasSampler(noise_distribution(vocab.counts)).sample``;
    a draw that is a word of the window (the centre or one of its context words) is dropped and the
    sampler draws again, so the figure shows ``K`` noise words that are all distinct from the window.
    (word2vec itself only skips a noise word equal to the word being predicted.)

    Columns: ``row`` (``"sentence"`` or ``"negatives"``), ``slot`` (place in the row), ``word``, ``role``
    (one of :data:`ROLES`), ``offset`` (from the centre, in kept words; ``None`` for negatives and unknown
    words), ``id`` (in ``vocab``,
    ``-1`` for a sentence word it does not hold) and ``probability`` (``P_n`` of the word).
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an embedkit.words.vocab.Vocabulary, got {checks.describe(vocab)}")
    words = checks.text("sentence", sentence, allow_empty=False).split()
    if not words:
        raise ValueError("sentence must hold at least one word, got only spaces")
    centre = checks.integer("centre", centre, minimum=0, maximum=len(words) - 1)
    window = checks.integer("window", window, minimum=1)
    negative = checks.integer("negative", negative, minimum=1, maximum=20)
    seed = checks.integer("seed", seed, minimum=0, maximum=2**63 - 1)
    noise = noise_distribution(vocab.counts)
    index = vocab.index
    rows = []
    ids = [index.get(w.lower(), -1) for w in words]
    if ids[centre] < 0:
        raise ValueError(f"the centre word {words[centre]!r} is not in the vocabulary: choose another centre")
    # word2vec drops words it does not know before it slides the window (embedkit.words.vocab.encode),
    # so distances count kept words only
    kept = [slot for slot, i in enumerate(ids) if i >= 0]
    for slot, (w, i) in enumerate(zip(words, ids)):
        if i < 0:
            role, offset = ROLES[3], None
        else:
            offset = kept.index(slot) - kept.index(centre)
            role = ROLES[0] if offset == 0 else ROLES[1] if abs(offset) <= window else ROLES[2]
        rows.append({"row": "sentence", "slot": slot, "word": w, "role": role, "offset": offset, "id": i,
                     "probability": float(noise[i]) if i >= 0 else None})
    in_window = {r["id"] for r in rows if r["role"] in ROLES[:2] and r["id"] >= 0}
    if len(in_window) >= len(vocab):
        raise ValueError(f"vocab has only {len(vocab)} words, all in the window: nothing left to draw as noise")
    sampler = AliasSampler(noise)
    generator = torch.Generator().manual_seed(seed)
    drawn: list[int] = []
    while len(drawn) < negative:
        drawn += [i for i in sampler.sample((negative,), generator).tolist() if i not in in_window]
    for slot, i in enumerate(drawn[:negative]):
        rows.append({"row": "negatives", "slot": slot, "word": vocab.words[i], "role": ROLES[4], "offset": None,
                     "id": i, "probability": float(noise[i])})
    return pd.DataFrame(rows)


def skipgram_window(vocab: Vocabulary, sentence: str = "The cat sat on the mat", centre: int = 2,
                    window: int = 2, negative: int = 5, seed: int = 0) -> alt.LayerChart:
    """One skip-gram example drawn as boxes: the sentence with its centre word and the context words within
    ``window`` places, and below it ``negative`` noise words drawn from ``P_n(w) ∝ count(w)^0.75``, each
    with its probability. Arguments as :func:`skipgram_table`, which is the chart's data."""
    table = skipgram_table(vocab, sentence, centre, window, negative, seed)
    table["shown"] = [w if p is None or pd.isna(p) or r != "negatives" else f"{w} ({p:.2%})"
                      for w, p, r in zip(table.word, table.probability, table.row)]
    width = max(len(s) for s in table.shown) * 7 + 16
    n_slots = int(table.slot.max()) + 1
    base = alt.Chart().encode(
        x=alt.X("slot:O", title=None, axis=None),
        y=alt.Y("row:N", sort=["sentence", "negatives"], title=None,
                axis=alt.Axis(ticks=False, domain=False, labelExpr="datum.value === 'sentence' ? 'sentence' : "
                                                                   "'K negatives'")),
    )
    boxes = base.mark_rect(stroke=CHROME, strokeWidth=1, cornerRadius=4).encode(
        fill=alt.Fill("role:N", title=None, scale=alt.Scale(domain=list(ROLES), range=list(_COLOURS)),
                      legend=alt.Legend(orient="bottom", symbolStrokeColor=CHROME, symbolType="square")),
        tooltip=["word:N", "role:N", "offset:Q", alt.Tooltip("probability:Q", format=".3%", title="P_n(w)")],
    )
    words = base.mark_text(fontSize=12).encode(
        text="shown:N",
        color=alt.condition((alt.datum.role == ROLES[2]) | (alt.datum.role == ROLES[3]), alt.value(CHROME),
                            alt.value(INK)),
    )
    n_context = int((table.role == ROLES[1]).sum())
    missing = list(table.word[table.role == ROLES[3]])
    unknown = f" (not in the vocabulary, so dropped: {', '.join(missing)})" if missing else ""
    centre_word = table.word[(table.row == "sentence") & (table.role == ROLES[0])].iloc[0]
    return alt.layer(boxes, words, data=table).properties(
        width=width * n_slots, height=90,
        title=alt.Title(f"Skip-gram: centre {centre_word!r}, window {int(window)}, K = {int(negative)} negatives",
                        subtitle="noise words drawn from count^0.75 (their probability in brackets); "
                                 "unknown words are dropped before windowing"),
        description=(f"The sentence {sentence!r} with the centre word {centre_word!r} and its {n_context} context "
                     f"words within {int(window)} places{unknown}, and below it {int(negative)} negative samples drawn "
                     f"from the unigram distribution raised to 0.75: "
                     f"{', '.join(table.word[table.row == 'negatives'])}."),
    )
