"""embedkit.words.known_words: which rows count as known words (restrict_vocab), through both evaluations."""

from __future__ import annotations

import numpy as np
import pytest

from embedkit import Vectors, data
from embedkit.data import Analogy
from embedkit.words.analogies import evaluate_analogies
from embedkit.words.word_pairs import evaluate_word_pairs


pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")


def test_restrict_vocab_larger_than_the_model_uses_every_row(glove):
    tiny = Vectors(np.asarray(glove.vectors[:1000]), glove.words[:1000])
    questions = [Analogy("x", "he", "she", "his", "her")]
    assert evaluate_analogies(tiny, questions, restrict_vocab=300_000).restrict_vocab == 1000


@pytest.mark.parametrize("value,error", [(0, ValueError), (-5, ValueError), (1.5, TypeError), (True, TypeError),
                                         ("300000", TypeError), (None, TypeError)])
def test_restrict_vocab_out_of_range_is_a_clear_error(glove, value, error):
    with pytest.raises(error, match="restrict_vocab must be an integer >= 1"):
        evaluate_analogies(glove, data.google_analogies(), restrict_vocab=value)
    with pytest.raises(error, match="restrict_vocab must be an integer >= 1"):
        evaluate_word_pairs(glove, data.wordsim353(), restrict_vocab=value)
