"""FastText: a word is the sum of its character n-grams (Bojanowski et al., 2017).

word2vec gives every word its own vector and knows nothing of spelling: *nation*, *nations* and *national*
are three unrelated symbols. FastText represents a word by itself *and* its character n-grams. The word is
wrapped in boundary markers, ``<where>``, so that a prefix n-gram (``<wh``) differs from the same letters
inside a word; with n from 3 to 6 *where* has the 3-grams ``<wh, whe, her, ere, re>``, the 4-grams
``<whe, wher, here, ere>`` and so on up to ``<where>`` itself.

There are millions of distinct n-grams, so fastText does not keep a vocabulary of them: it *hashes* each one
(32-bit FNV-1a of its UTF-8 bytes) into one of ``bucket`` rows (2,000,000 by default), and lets unrelated
n-grams that collide share a row. Training is skip-gram with negative sampling
(:mod:`embedkit.words.word2vec`) whose input vector is the mean of the word's row and its n-gram rows.
A word never seen in training still has n-grams, hence a vector.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from ..errors import UnknownWordError
from .trained import Word2VecVectors
from .vocab import build_vocab, check_positive_int, encode, keep_probabilities
from .word2vec import Bags, NegativeSamplingTrainer, _check_common, _SkipGram

__all__ = [
    "FNV_OFFSET",
    "FNV_PRIME",
    "FastTextVectors",
    "character_ngrams",
    "fnv1a_hash",
    "ngram_buckets",
    "train_fasttext",
]

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619


def character_ngrams(word: str, minn: int = 3, maxn: int = 6) -> list[str]:
    """The character n-grams of ``<word>``, ``minn ≤ n ≤ maxn``, ordered by start, then
    length, as fastText does. Lengths count characters (Unicode code points), not bytes.
    Single characters at the boundaries (``<`` and ``>`` alone) are never n-grams.

    >>> character_ngrams("where", 3, 4)
    ['<wh', '<whe', 'whe', 'wher', 'her', 'here', 'ere', 'ere>', 're>']
    """
    if not 1 <= minn <= maxn:
        raise ValueError(f"need 1 <= minn <= maxn, got minn={minn}, maxn={maxn}")
    ext = f"<{word}>"
    grams = []
    for i in range(len(ext)):
        for n in range(minn, min(maxn, len(ext) - i) + 1):
            if not (n == 1 and (i == 0 or i + n == len(ext))):
                grams.append(ext[i:i + n])
    return grams


def fnv1a_hash(text: str | bytes) -> int:
    """fastText's hash of a string: 32-bit FNV-1a over its UTF-8 bytes.

    One quirk is kept on purpose: the C++ code reads bytes as *signed* ``char``, so a
    byte ≥ 128 (any non-ASCII character) is sign-extended to 32 bits before the XOR.
    Matching it keeps our buckets equal to fastText's and gensim's.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    h = FNV_OFFSET
    for byte in data:
        h ^= byte if byte < 128 else byte | 0xFFFFFF00  # int8 → uint32 sign extension
        h = (h * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_buckets(word: str, minn: int = 3, maxn: int = 6, bucket: int = 2_000_000) -> list[int]:
    """The bucket (row) of each character n-gram of ``word``: ``fnv1a_hash(ngram) % bucket``."""
    return [fnv1a_hash(g) % bucket for g in character_ngrams(word, minn, maxn)]


class FastTextVectors(Word2VecVectors):
    """Word vectors that can also embed words they have never seen.

    ``vectors[i]`` is the vector of the known word ``words[i]``: the mean of its own row and its n-gram rows.
    For any other string, ``self[word]`` is the mean of the rows of those of its n-grams whose bucket was
    trained (fastText would also average buckets no training word reached, which hold only their random
    initial values; we leave those out). ``in`` still means "in the training vocabulary".

    Attributes:
        ngram_vectors: ``(n_buckets_used, dim)`` the trained n-gram rows.
        bucket_rows: bucket number → row of ``ngram_vectors``.
        minn, maxn, bucket: the n-gram settings.
        counts, history, seconds, output: as in :class:`~embedkit.words.trained.Word2VecVectors`.
    """

    def __init__(self, vectors: np.ndarray, words: Sequence[str], ngram_vectors: np.ndarray,
                 bucket_rows: dict[int, int], minn: int, maxn: int, bucket: int, *, counts: np.ndarray,
                 history: list[dict], seconds: float, output: np.ndarray):
        super().__init__(vectors, words, counts=counts, history=history, seconds=seconds, output=output)
        self.ngram_vectors = ngram_vectors
        self.bucket_rows = bucket_rows
        self.minn, self.maxn, self.bucket = minn, maxn, bucket

    def __repr__(self) -> str:
        return f"FastTextVectors({len(self):,} words + {len(self.ngram_vectors):,} n-gram buckets × {self.dim} dims)"

    def known_ngrams(self, word: str) -> list[str]:
        """The n-grams of ``word`` whose bucket was trained."""
        return [g for g in character_ngrams(word, self.minn, self.maxn)
                if fnv1a_hash(g) % self.bucket in self.bucket_rows]

    def vector(self, word: str) -> np.ndarray:
        """The vector of any word, shape ``(dim,)``: its trained vector if known, else the mean of its
        known n-gram rows. Raises :class:`UnknownWordError` if no n-gram of it was ever trained."""
        if not isinstance(word, str):
            raise TypeError(f"words are strings, got {type(word).__name__}: {word!r}")
        if word in self.index:
            return np.asarray(self.vectors[self.index[word]])
        rows = [self.bucket_rows[b] for b in ngram_buckets(word, self.minn, self.maxn, self.bucket)
                if b in self.bucket_rows]
        if not rows:
            raise UnknownWordError(word, self.suggest(word))
        return self.ngram_vectors[rows].mean(0)

    def __getitem__(self, word: str | Iterable[str]) -> np.ndarray:
        if isinstance(word, str):
            return self.vector(word)
        return np.stack([self.vector(w) for w in word])

    def _as_unit(self, item) -> np.ndarray:
        if isinstance(item, str) and item not in self.index:
            item = self.vector(item)
        return super()._as_unit(item)

    def most_similar(self, positive=(), negative=(), topn: int = 10, restrict_vocab: int | None = None):
        """As :meth:`Vectors.most_similar`, and unseen words are welcome (they are embedded by n-grams)."""
        positive, negative = self._terms("positive", positive), self._terms("negative", negative)
        positive = [self.vector(w) if isinstance(w, str) and w not in self.index else w for w in positive]
        negative = [self.vector(w) if isinstance(w, str) and w not in self.index else w for w in negative]
        return super().most_similar(positive, negative, topn=topn, restrict_vocab=restrict_vocab)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words, seen in training or not."""
        return float(self._as_unit(a) @ self._as_unit(b))


class _FastTextSkipGram(_SkipGram):
    """Skip-gram whose input is the mean of the centre word's row and its n-gram rows."""

    name = "FastText"

    def __init__(self, vocab, window, keep, subword_offsets, subword_rows, **kw):
        NegativeSamplingTrainer.__init__(self, vocab, int(subword_rows.max()) + 1, **kw)
        self.window, self.keep = window, keep
        self.offsets = torch.from_numpy(subword_offsets)  # (n_words + 1,) CSR offsets
        self.lengths = self.offsets[1:] - self.offsets[:-1]
        self.rows = torch.from_numpy(subword_rows)  # (total,) the word's own row, then its n-gram rows

    def inputs(self, centers: torch.Tensor) -> Bags:
        # Examples come in corpus order, a centre word once per context word: compute each bag once.
        words, select = torch.unique_consecutive(centers, return_inverse=True)
        lengths = self.lengths[words]
        owner = torch.repeat_interleave(torch.arange(len(words)), lengths)
        first = torch.cumsum(lengths, 0) - lengths  # where each bag's rows start in the batch
        flat = self.rows[self.offsets[words][owner] + torch.arange(len(owner)) - first[owner]]
        return Bags(flat, owner, lengths.unsqueeze(1).float(), select)


def train_fasttext(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    min_count: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    alpha: float = 0.025,
    seed: int = 0,
    minn: int = 3,
    maxn: int = 6,
    bucket: int = 2_000_000,
    min_alpha: float = 1e-4,
    batch_size: int = 1024,
    workers: int = 1,
) -> FastTextVectors:
    """Train FastText (skip-gram with character n-grams, negative sampling).

    Args:
        sentences: a list of token lists, e.g. ``embedkit.data.sotu().sentences``.
        dim, window, negative, min_count, sample, epochs, alpha, seed, min_alpha, batch_size, workers: as for
            :func:`~embedkit.words.word2vec.train_word2vec`.
        minn: shortest n-gram (3 in fastText).
        maxn: longest n-gram (6 in fastText); ``maxn=0`` turns n-grams off (plain skip-gram).
        bucket: the number of hash buckets (2,000,000 in fastText and gensim). Only the buckets that the
            vocabulary's n-grams reach are stored, so a large ``bucket`` costs no memory.

    Returns:
        :class:`FastTextVectors` (most frequent word first), with ``history``, ``counts``, ``output`` and
        ``seconds`` as for word2vec.

    Reference: Bojanowski, Grave, Joulin and Mikolov (2017), "Enriching word vectors with subword information".
    """
    _check_common(dim, window, negative, epochs, alpha, min_alpha, batch_size, sample, seed, workers)
    check_positive_int("bucket", bucket)
    check_positive_int("minn", minn)
    check_positive_int("maxn", maxn, minimum=0)
    if maxn != 0 and not 1 <= minn <= maxn:
        raise ValueError(f"need 1 <= minn <= maxn (or maxn=0 for no n-grams), got minn={minn}, maxn={maxn}")
    vocab = build_vocab(sentences, min_count)
    ids, sentence = encode(sentences, vocab)
    n = len(vocab)
    # Each word's input rows: its own row, then the row of each of its n-grams' buckets (an n-gram that
    # occurs twice, as "ana" in "banana", counts twice, as in fastText). Rows n, n+1, … are the buckets
    # that some vocabulary n-gram reaches, in increasing bucket order.
    hash_cache: dict[str, int] = {}
    word_buckets = []
    for w in vocab.words:
        buckets = []
        if maxn:
            for g in character_ngrams(w, minn, maxn):
                if g not in hash_cache:
                    hash_cache[g] = fnv1a_hash(g) % bucket
                buckets.append(hash_cache[g])
        word_buckets.append(buckets)
    used = np.unique(np.fromiter((b for bs in word_buckets for b in bs), dtype=np.int64))
    bucket_rows = {int(b): r for r, b in enumerate(used)}
    lists = [[i] + [n + bucket_rows[b] for b in bs] for i, bs in enumerate(word_buckets)]
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(x) for x in lists])
    flat = np.fromiter((r for x in lists for r in x), dtype=np.int64, count=int(offsets[-1]))

    keep = keep_probabilities(vocab.counts, sample)
    trainer = _FastTextSkipGram(vocab, window, keep, offsets, flat, dim=dim, negative=negative, alpha=alpha,
                                min_alpha=min_alpha, epochs=epochs, batch_size=batch_size, seed=seed)
    trainer.train(ids, sentence, workers)
    w_in = trainer.w_in
    # a known word's vector: the mean of its own row and its n-gram rows
    word_vectors = torch.zeros(n, dim).index_add_(
        0, torch.repeat_interleave(torch.arange(n), trainer.lengths), w_in[trainer.rows]) / trainer.lengths.unsqueeze(1)
    return FastTextVectors(word_vectors.numpy(), vocab.words, w_in[n:].numpy(), bucket_rows, minn, maxn, bucket,
                           counts=vocab.counts, history=trainer.history, seconds=trainer.seconds,
                           output=trainer.w_out.numpy())
