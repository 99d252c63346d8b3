"""Word vectors learned from text: the trainers of the Words chapter.

* :func:`ppmi_svd` (:mod:`~embedkit.words.cooccurrence`): counts → positive PMI → truncated SVD.
* :func:`train_word2vec` (:mod:`~embedkit.words.word2vec`): skip-gram and CBOW with negative sampling.
* :func:`train_glove` (:mod:`~embedkit.words.glove`): weighted least squares on log co-occurrences.
* :func:`train_fasttext` (:mod:`~embedkit.words.fasttext`): skip-gram over character n-grams.

All take ``sentences``, a list of token lists such as ``embedkit.data.kjv().sentences``, and return
:class:`embedkit.Vectors` whose rows are ordered by descending word frequency. The vocabulary, subsampling
and noise distribution they share are in :mod:`~embedkit.words.vocab`.
"""

from .cooccurrence import ppmi_svd
from .fasttext import FastTextVectors, train_fasttext
from .glove import train_glove
from .word2vec import train_word2vec

__all__ = ["FastTextVectors", "ppmi_svd", "train_fasttext", "train_glove", "train_word2vec"]
