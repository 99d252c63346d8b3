"""gensim's analogy evaluation as the reference the analogy tests compare with: the same questions written to
gensim's file format, a KeyedVectors that answers with 3CosMul, and both sides' per-section counts."""

from __future__ import annotations

from pathlib import Path

from conftest import keyed_vectors


def cosmul_keyed(vectors, stop: int):
    """gensim's evaluate_word_analogies answering with most_similar_cosmul. most_similar_cosmul ignores
    restrict_vocab, so the model is cut to the first ``stop`` words instead."""
    from gensim.models import KeyedVectors

    kv = keyed_vectors(vectors, stop)
    kv.most_similar = lambda positive, negative, topn, restrict_vocab: KeyedVectors.most_similar_cosmul(
        kv, positive=positive, negative=negative, topn=topn
    )
    return kv


def write_questions(sections: dict, path: Path) -> Path:
    """``{section: [Analogy, ...]}`` in the questions-words.txt format gensim reads."""
    with path.open("w", encoding="utf-8") as f:
        for name, questions in sections.items():
            f.write(f": {name}\n")
            for q in questions:
                f.write(f"{q.a} {q.b} {q.c} {q.d}\n")
    return path


def gensim_counts(sections_out) -> list[tuple[str, int, int]]:
    """(section, correct, evaluated) per section of gensim's result, without its "Total accuracy" entry."""
    return [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections_out[:-1]]


def our_counts(result) -> list[tuple[str, int, int]]:
    """(section, correct, evaluated) per section of an embedkit AnalogyResult."""
    return [(s.section, s.n_correct, s.n_evaluated) for s in result.sections]
