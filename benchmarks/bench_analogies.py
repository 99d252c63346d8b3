"""Analogy evaluation on the full Google set and 300,000 GloVe words: embedkit's ``evaluate_analogies``
(3CosAdd: all questions at once, blocks of candidates skipped when a bound rules them out) against gensim's
``evaluate_word_analogies`` (one matrix-vector product per question over every candidate), same vectors,
same rules. gensim runs once (it takes minutes); ours is the median of three runs. The per-section counts
of both are compared and must be identical."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from benchmarks.harness import Benchmark

RESTRICT_VOCAB = 300_000  # gensim's default


def _write_questions(sections, path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for name, questions in sections.items():
            f.write(f": {name}\n")
            for q in questions:
                f.write(f"{q.a} {q.b} {q.c} {q.d}\n")


def main() -> None:
    import torch
    from gensim.models import KeyedVectors

    from embedkit import data
    from embedkit.words import evaluate_analogies

    torch.set_num_threads(2)
    glove = data.glove()
    sections = data.google_analogies()
    bench = Benchmark(
        "analogies",
        "Google analogy set (19,544 questions), GloVe 6B 50-d, restrict_vocab=300,000: "
        "embedkit evaluate_analogies (bounded search) vs gensim evaluate_word_analogies",
    )
    results = {}

    def ours_add():
        results["3cosadd"] = evaluate_analogies(glove, sections, method="3cosadd", restrict_vocab=RESTRICT_VOCAB)

    ours = bench.time("embedkit evaluate_analogies 3CosAdd", ours_add, repeats=3, warmup=1)

    kv = KeyedVectors(vector_size=glove.dim)
    kv.add_vectors(glove.words, np.asarray(glove.vectors))
    kv.fill_norms()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "questions-words.txt"
        _write_questions(sections, path)

        def peer_add():
            results["gensim"] = kv.evaluate_word_analogies(str(path), restrict_vocab=RESTRICT_VOCAB)

        peer = bench.time("gensim evaluate_word_analogies (3CosAdd)", peer_add, repeats=1, warmup=0, peer=True)

    ratio = bench.compare("analogy evaluation, 3CosAdd", ours, peer, target=">= 20x gensim", min_speedup=20.0)

    total, gensim_sections = results["gensim"]
    mine = results["3cosadd"]
    counts_ours = [(s.section, s.n_correct, s.n_evaluated) for s in mine.sections]
    counts_gensim = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in gensim_sections[:-1]]
    identical = counts_ours == counts_gensim and abs(total - mine.accuracy) == 0.0
    print(f"  accuracy: embedkit {mine.accuracy:.6f}, gensim {total:.6f}; per-section counts identical: {identical}")

    cosmul = bench.time(
        "embedkit evaluate_analogies 3CosMul (no gensim peer)",
        lambda: evaluate_analogies(glove, sections, method="3cosmul", restrict_vocab=RESTRICT_VOCAB),
        repeats=1,
    )
    bench.extra.update(
        {
            "restrict_vocab": RESTRICT_VOCAB,
            "questions": mine.n_questions,
            "evaluated": mine.n_evaluated,
            "accuracy_embedkit": mine.accuracy,
            "accuracy_gensim": total,
            "per_section_identical": identical,
            "exact_checks": mine.exact_checks,
            "scored_fraction": mine.scored / (mine.n_evaluated * mine.restrict_vocab),
            "speedup": ratio.ratio,
            "cosmul_seconds": cosmul.median_s,
        }
    )
    bench.write()
    if not identical:
        raise SystemExit("embedkit and gensim disagree on the analogy counts")


if __name__ == "__main__":
    main()
