"""What the trainers of the Words chapter return: word vectors plus what training learned and measured.

Every trainer returns an :class:`embedkit.Vectors` (rows most frequent word first), and what else it
produced is declared here, one type per kind of model:

* :class:`SVDVectors` (:func:`~embedkit.words.cooccurrence.ppmi_svd`): the word counts, the PPMI matrix
  and its singular values.
* :class:`TrainedVectors`: vectors learned by gradient steps, with the word counts, the loss history and
  the training time; :class:`Word2VecVectors` (:func:`~embedkit.words.word2vec.train_word2vec`) add the
  output vectors, :class:`GloVeVectors` (:func:`~embedkit.words.glove.train_glove`) the two GloVe tables,
  their biases and the co-occurrence counts. :class:`~embedkit.words.fasttext.FastTextVectors` are
  :class:`Word2VecVectors` that also embed unseen words.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..vectors import Vectors

__all__ = ["GloVeVectors", "SVDVectors", "TrainedVectors", "Word2VecVectors"]


class SVDVectors(Vectors):
    """Count-based vectors from :func:`~embedkit.words.cooccurrence.ppmi_svd`.

    Attributes:
        counts: ``(n_words,)`` how often each word occurs in the training text, in row order.
        singular_values: ``(dim,)`` the singular values of the PPMI matrix, largest first.
        ppmi: ``(n_words, n_words)`` the sparse PPMI matrix that was factorised.
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str], *, counts: np.ndarray,
                 singular_values: np.ndarray, ppmi: sp.spmatrix):
        super().__init__(vectors, words)
        self.counts = counts
        self.singular_values = singular_values
        self.ppmi = ppmi


class TrainedVectors(Vectors):
    """Vectors learned by gradient steps (word2vec, GloVe, FastText).

    Attributes:
        counts: ``(n_words,)`` how often each word occurs in the training text, in row order.
        history: the loss during training, a list of dicts with at least ``"epoch"``, ``"loss"`` and
            ``"seconds"`` (word2vec and FastText also record the learning rate ``"lr"``).
        seconds: wall-clock training time.
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str], *, counts: np.ndarray,
                 history: list[dict], seconds: float):
        super().__init__(vectors, words)
        self.counts = counts
        self.history = history
        self.seconds = seconds


class Word2VecVectors(TrainedVectors):
    """Skip-gram or CBOW vectors from :func:`~embedkit.words.word2vec.train_word2vec`: the rows are the
    input vectors.

    Attributes:
        output: ``(n_words, dim)`` the output (context) vectors that negative sampling trained beside them.
        counts, history, seconds: as in :class:`TrainedVectors`.
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str], *, counts: np.ndarray,
                 history: list[dict], seconds: float, output: np.ndarray):
        super().__init__(vectors, words, counts=counts, history=history, seconds=seconds)
        self.output = output


class GloVeVectors(TrainedVectors):
    """GloVe vectors from :func:`~embedkit.words.glove.train_glove`: the rows are ``word + context``, the
    sum Pennington et al. (2014) recommend.

    Attributes:
        word, context: ``(n_words, dim)`` the two trained tables :math:`W` and :math:`\\tilde W`.
        bias, context_bias: ``(n_words,)`` their biases :math:`b` and :math:`\\tilde b`.
        cooccurrence: ``(n_words, n_words)`` the sparse weighted co-occurrence counts :math:`X` trained on.
        counts, history, seconds: as in :class:`TrainedVectors`.
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str], *, counts: np.ndarray,
                 history: list[dict], seconds: float, word: np.ndarray, context: np.ndarray,
                 bias: np.ndarray, context_bias: np.ndarray, cooccurrence: sp.spmatrix):
        super().__init__(vectors, words, counts=counts, history=history, seconds=seconds)
        self.word, self.context = word, context
        self.bias, self.context_bias = bias, context_bias
        self.cooccurrence = cooccurrence
