"""Word vectors learned from text, and how to tell good ones from bad: the Words chapter.

Trainers (all take ``sentences``, a list of token lists such as ``embedkit.data.kjv().sentences``, and return
:class:`embedkit.Vectors` whose rows are ordered by descending word frequency, of the types declared in
:mod:`~embedkit.words.trained`):

* :func:`ppmi_svd` (:mod:`~embedkit.words.cooccurrence`): counts → positive PMI → truncated SVD.
* :func:`train_word2vec` (:mod:`~embedkit.words.word2vec`): skip-gram and CBOW with negative sampling.
* :func:`train_glove` (:mod:`~embedkit.words.glove`): weighted least squares on log co-occurrences.
* :func:`train_fasttext` (:mod:`~embedkit.words.fasttext`): skip-gram over character n-grams.

The vocabulary, subsampling and noise distribution they share are in :mod:`~embedkit.words.vocab`.

Evaluation (equal to gensim's; the data sets come from :mod:`embedkit.data`):

* :func:`evaluate_word_pairs` (:mod:`~embedkit.words.word_pairs`): Spearman's ρ with human similarity scores.
* :func:`evaluate_analogies` (:mod:`~embedkit.words.analogies`): *a : b :: c : ?* by 3CosAdd or 3CosMul
  (:mod:`~embedkit.words.analogy_scores`), with a bounded search (:mod:`~embedkit.words.analogy_search`)
  and gensim's ranking rules (:mod:`~embedkit.words.analogy_ranking`) over the known words
  (:mod:`~embedkit.words.known_words`).
"""

from .analogies import SEMANTIC_SECTIONS, AnalogyScores, SectionScore, evaluate_analogies
from .cooccurrence import ppmi_svd
from .fasttext import FastTextVectors, train_fasttext
from .glove import train_glove
from .trained import GloVeVectors, SVDVectors, TrainedVectors, Word2VecVectors
from .word2vec import train_word2vec
from .word_pairs import PairScores, evaluate_word_pairs

__all__ = [
    "AnalogyScores",
    "FastTextVectors",
    "GloVeVectors",
    "PairScores",
    "SEMANTIC_SECTIONS",
    "SVDVectors",
    "SectionScore",
    "TrainedVectors",
    "Word2VecVectors",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "ppmi_svd",
    "train_fasttext",
    "train_glove",
    "train_word2vec",
]
