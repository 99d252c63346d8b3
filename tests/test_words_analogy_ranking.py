"""embedkit.words.analogy_ranking: gensim's ranking rules (case variants, repeated words, exact ties), through
the evaluation, against gensim's evaluate_word_analogies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analogy_reference import cosmul_keyed, gensim_counts, our_counts, write_questions
from conftest import keyed_vectors
from embedkit import Vectors
from embedkit.data import Analogy
from embedkit.words.analogies import evaluate_analogies


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


words = st.sampled_from(["Paris", "paris", "France", "france", "Rome", "ITALY", "italy", "king", "King", "queen", "man", "woman"])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    questions=st.lists(st.tuples(words, words, words, words), min_size=1, max_size=12),
    duplicates=st.booleans(),
    method=st.sampled_from(["3cosadd", "3cosmul"]),
)
def test_rules_equal_gensim_on_cased_vocabularies_with_ties(tmp_path_factory, seed, questions, duplicates, method):
    """Case variants, repeated words and exactly tied vectors: the same answers as gensim."""
    rng = np.random.default_rng(seed)
    vocab = ["the", "Paris", "France", "paris", "Rome", "Italy", "ITALY", "king", "queen", "King", "man", "woman",
             "france", "italy", "rome", "prince", "princess", "Queen", "berlin", "germany"]
    m = rng.normal(size=(len(vocab), 6)).astype(np.float32)
    if duplicates:  # exact ties between candidates
        m[-1] = m[-2] = m[-3]
        m[9] = m[7]
    vectors = Vectors(m, vocab)
    sections = {"one": [Analogy("one", *q) for q in questions[: len(questions) // 2]],
                "two": [Analogy("two", *q) for q in questions[len(questions) // 2 :]]}
    path = write_questions(sections, tmp_path_factory.mktemp("q") / "q.txt")
    kv = keyed_vectors(vectors) if method == "3cosadd" else cosmul_keyed(vectors, len(vocab))
    total, theirs = kv.evaluate_word_analogies(str(path), restrict_vocab=len(vocab))
    ours = evaluate_analogies(vectors, sections, method=method, restrict_vocab=len(vocab))
    assert our_counts(ours) == gensim_counts(theirs)
    assert ours.accuracy == total
