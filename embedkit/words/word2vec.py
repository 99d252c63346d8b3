"""word2vec: skip-gram and CBOW with negative sampling (Mikolov et al., 2013), as a batched PyTorch trainer.

The algorithm is the one of the original C code and of gensim, step for step:

1. count words, drop those seen fewer than ``min_count`` times (:mod:`embedkit.words.vocab`);
2. every epoch, *subsample* frequent words (keep each occurrence with probability
   :func:`~embedkit.words.vocab.keep_probabilities`), then give each remaining position a random window
   ``b ∈ {1, …, window}`` (nearby words count more often) and list its context words (:func:`context_windows`);
3. for each (input, target) example, push ``σ(h · u_target)`` towards 1 and ``σ(h · u_noise)`` towards 0 for
   ``negative`` noise words drawn from the unigram^0.75 distribution;
4. with plain SGD whose step size falls linearly from ``alpha`` to ``min_alpha`` over training.

What differs is only *how*: instead of one example at a time, a batch of about a thousand (input word,
output word) pairs is computed at once with tensor operations, and the gradients are written back with
``index_add_`` (so two examples that share a word in one batch add their updates, as the parallel threads of
the C code do). Gradients are written by hand (no autograd): the update of negative sampling is short enough
to read.

The price of batching is staleness: every update in a batch is computed from the values before the batch,
and a frequent word's row receives the sum of all of them at once, where the C code would have let each see
the one before. That is why a batch is counted in pairs for CBOW too (one CBOW example updates the rows of
all its context words), and why training checks that it stays finite: a step too large for the data raises a
``ValueError`` that says to lower ``alpha`` or ``batch_size``, instead of returning NaN vectors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

from .. import checks
from .trained import Word2VecVectors
from .vocab import (AliasSampler, Vocabulary, build_vocab, check_positive_int, check_seed, diverged, encode,
                    keep_probabilities, noise_distribution)

__all__ = ["Bags", "NegativeSamplingTrainer", "context_windows", "train_word2vec"]


def context_windows(ids: np.ndarray, sentence: np.ndarray, window: int, rng: np.random.Generator,
                    keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Subsample a corpus and list the context of every remaining position.

    Args:
        ids: ``(n,)`` word ids of the corpus.
        sentence: ``(n,)`` the sentence of each token.
        window: the maximum distance; each position draws its own ``b`` uniformly from ``1..window``
            and uses the ``b`` words on either side (word2vec's "reduced window").
        rng: NumPy generator for the subsampling and window draws.
        keep: optional ``(n_words,)`` probability of keeping each word (subsampling); ``None`` keeps all.

    Returns:
        ``(centers, contexts)``: ``centers`` ``(m,)`` the kept word ids, and ``contexts`` ``(m, 2·window)``
        the ids of their context words, ``-1`` where there is none. Column ``window − d`` holds the word
        ``d`` places to the left, column ``window + d − 1`` the word ``d`` places to the right.
    """
    if keep is not None:
        mask = rng.random(len(ids)) < keep[ids]
        ids, sentence = ids[mask], sentence[mask]
    m = len(ids)
    b = rng.integers(1, window + 1, size=m)
    contexts = np.full((m, 2 * window), -1, dtype=np.int64)
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        right = same & (b[:-d] >= d)  # position i sees i + d
        left = same & (b[d:] >= d)  # position i + d sees i
        contexts[:-d, window + d - 1] = np.where(right, ids[d:], -1)
        contexts[d:, window - d] = np.where(left, ids[:-d], -1)
    return ids, contexts


class _Workspace:
    """Reusable buffers for :func:`_batch_update` (allocating ~1 MB temporaries every step costs more than
    the arithmetic done in them)."""

    def __init__(self):
        self.buffers: dict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor]] = {}

    def get(self, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        if shape not in self.buffers:
            self.buffers[shape] = (torch.empty(shape), torch.empty(shape))
        return self.buffers[shape]


class Bags(NamedTuple):
    """Inputs that are the mean of several rows of ``w_in`` (CBOW: the context words; FastText: a word and its
    n-grams). ``flat``: ``(N,)`` row ids; ``owner``: ``(N,)`` the bag (0..n_bags−1) each row belongs to;
    ``counts``: ``(n_bags, 1)`` float, rows per bag; ``select``: ``(B,)`` the bag of each example, or ``None``
    when bag ``i`` is example ``i`` (several examples may share a bag: a FastText centre word and its
    contexts; its mean is then computed once)."""

    flat: torch.Tensor
    owner: torch.Tensor
    counts: torch.Tensor
    select: torch.Tensor | None = None


def _batch_update(
    w_in: torch.Tensor,
    w_out: torch.Tensor,
    inputs: torch.Tensor | Bags,
    targets: torch.Tensor,
    noise: torch.Tensor,
    lr: float,
    work: _Workspace,
    with_loss: bool = False,
) -> float:
    """One SGD step of negative sampling on a batch of ``B`` examples; updates ``w_in``
    and ``w_out`` in place.

    Args:
        w_in, w_out: ``(n_rows, d)`` input vectors and ``(n_words, d)`` output vectors.
        inputs: ``(B,)`` the input row of each example (skip-gram), or :class:`Bags`
            whose mean is the input.
        targets: ``(B,)`` the word each example must predict.
        noise: ``(B, K)`` negative samples.
        lr: the step size.
        work: reusable buffers.

    Returns the mean loss ``−log σ(h·u_t) − Σ_k log σ(−h·u_k)`` if ``with_loss``
    (else 0).
    """
    n, dim = len(targets), w_in.shape[1]
    if isinstance(inputs, Bags):
        bags = len(inputs.counts)
        h = torch.zeros(bags, dim).index_add_(
            0, inputs.owner, w_in.index_select(0, inputs.flat)
        ) / inputs.counts
        if inputs.select is not None:
            h = h.index_select(0, inputs.select)
    else:
        h = w_in.index_select(0, inputs)  # (B, d)
    # (B·(1 + K),): target, then noise words
    out = torch.cat([targets.unsqueeze(1), noise], 1).view(-1)
    u, tmp = work.get((n, noise.shape[1] + 1, dim))
    # (B, 1 + K, d) output vectors
    torch.index_select(w_out, 0, out, out=u.view(-1, dim))
    # (B, 1 + K) dot products h·u_k
    scores = torch.bmm(h.unsqueeze(1), u.transpose(1, 2)).squeeze(1)
    # The loss is −log σ(target score) − Σ log σ(−noise score); its derivative with
    # respect to a score is σ(score) − label. We step against it:
    # g = lr · (label − σ(score)). A noise word equal to the target is skipped, as in
    # word2vec.
    g = torch.sigmoid(scores).neg_()
    g[:, 0] += 1.0
    g[:, 1:].mul_(noise != targets.unsqueeze(1))
    g.mul_(lr)
    grad_h = torch.bmm(g.unsqueeze(1), u).squeeze(1)  # (B, d) = Σ_k g_k u_k
    w_out.index_add_(  # u_k += g_k h
        0, out, torch.mul(h.unsqueeze(1), g.unsqueeze(2), out=tmp).view(-1, dim)
    )
    # every row of a mean gets the whole gradient, as in word2vec's CBOW and fastText
    if isinstance(inputs, Bags):
        # sum the gradients of the examples that share a bag
        if inputs.select is not None:
            grad_h = torch.zeros(bags, dim).index_add_(0, inputs.select, grad_h)
        w_in.index_add_(0, inputs.flat, grad_h.index_select(0, inputs.owner))
    else:
        w_in.index_add_(0, inputs, grad_h)
    if not with_loss:
        return 0.0
    sign = torch.full_like(scores, -1.0)
    sign[:, 0] = 1.0
    return float(-torch.nn.functional.logsigmoid(sign * scores).sum(1).mean())


def _check_common(dim, window, negative, epochs, alpha, min_alpha, batch_size, sample, seed, workers):
    """Check the settings every negative-sampling trainer shares, where they enter (:mod:`embedkit.checks`)."""
    for name, value in (("dim", dim), ("window", window), ("negative", negative), ("epochs", epochs),
                        ("batch_size", batch_size), ("workers", workers)):
        check_positive_int(name, value)
    alpha = checks.real("alpha (the starting learning rate)", alpha, minimum=0, open_min=True)
    checks.real("min_alpha (the final learning rate)", min_alpha, minimum=0, maximum=alpha)
    checks.real("sample (the subsampling threshold)", sample, minimum=0, maximum=1, open_max=True)
    check_seed(seed)


class NegativeSamplingTrainer:
    """The training loop shared by skip-gram, CBOW and FastText: batches, noise, learning-rate decay, history.

    Subclasses say what an *example* is: :meth:`examples` lists those of one epoch in corpus order, and
    :meth:`inputs` turns a slice of them into the input rows of :func:`_batch_update`.

    Training never diverges silently: the loss measured every ``log_every`` batches and, after each epoch,
    both matrices must be finite, else a ``ValueError`` names the point where it went wrong and the fix.
    """

    name = "negative sampling"

    def __init__(self, vocab: Vocabulary, n_input_rows: int, *, dim: int, negative: int, alpha: float,
                 min_alpha: float, epochs: int, batch_size: int, seed: int):
        self.vocab = vocab
        self.dim, self.negative, self.epochs, self.batch_size = dim, negative, epochs, batch_size
        self.alpha, self.min_alpha = alpha, min_alpha
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        # word2vec's initialisation: inputs uniform in ±0.5/dim, outputs zero.
        self.w_in = (torch.rand(n_input_rows, dim, generator=self.generator) - 0.5) / dim
        self.w_out = torch.zeros(len(vocab), dim)
        self.noise = AliasSampler(noise_distribution(vocab.counts))
        self.history: list[dict] = []

    def examples(self, ids: np.ndarray, sentence: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
        """``(sources, targets, positions)`` of one epoch: what each example's input is made from, the word
        it must predict, and its corpus position (used for the learning-rate schedule)."""
        raise NotImplementedError

    def inputs(self, sources: torch.Tensor) -> torch.Tensor | Bags:
        """The input rows of a batch of examples (default: ``sources`` are the rows)."""
        return sources

    def batch_bounds(self, sources: torch.Tensor) -> np.ndarray:
        """``(n_batches + 1,)`` where each batch starts, then the end: ``batch_size`` examples per batch
        (skip-gram and FastText, where an example is one (input word, output word) pair)."""
        n = len(sources)
        return np.append(np.arange(0, n, self.batch_size), n)

    def diverged(self, what: str, when: str) -> ValueError:
        """The error to raise when ``what`` (the loss, the vectors) stopped being finite ``when``."""
        return diverged(self.name, what, when, "alpha", self.alpha, self.batch_size)

    def train(self, ids: np.ndarray, sentence: np.ndarray, workers: int = 1, log_every: int = 100) -> None:
        """Run all epochs. With ``workers > 1``, that many threads take turns over the batches of an epoch and
        update the shared matrices without locks ("Hogwild", as word2vec's and gensim's threads do): faster on
        several cores, but no longer bit-for-bit reproducible. Each tensor operation runs single-threaded."""
        n = len(ids)
        total = self.epochs * n
        generators = [self.generator] + [torch.Generator().manual_seed(int(self.rng.integers(2**62)))
                                         for _ in range(workers - 1)]
        start = time.perf_counter()
        threads_before = torch.get_num_threads()
        torch.set_num_threads(1)  # small batches: one thread per op beats thread-pool hand-offs
        try:
            for epoch in range(self.epochs):
                sources, targets, positions = self.examples(ids, sentence)
                progress = (epoch * n + positions) / total  # fraction of training done at each example
                bounds = self.batch_bounds(sources)
                n_batches = len(bounds) - 1
                # A non-finite loss seen by a worker: where it was seen. The workers stop; the
                # main thread raises (an exception inside a thread would not reach the caller).
                blew_up: list[str] = []

                def run(worker: int) -> None:
                    work = _Workspace()
                    chunk = 64  # batches whose noise words are drawn in one call
                    for c in range(worker * chunk, n_batches, workers * chunk):
                        lo_c, hi_c = bounds[c], bounds[min(c + chunk, n_batches)]
                        noise = self.noise.sample((hi_c - lo_c, self.negative), generators[worker])
                        for k in range(c, min(c + chunk, n_batches)):
                            if blew_up:
                                return
                            lo, hi = bounds[k], bounds[k + 1]
                            lr = self.alpha - (self.alpha - self.min_alpha) * float(progress[lo])
                            record = worker == 0 and k % log_every == 0
                            loss = _batch_update(self.w_in, self.w_out, self.inputs(sources[lo:hi]), targets[lo:hi],
                                                 noise[lo - lo_c:hi - lo_c], lr, work, record)
                            if record:
                                at = epoch + float(positions[lo]) / n
                                self.history.append({"epoch": at, "loss": loss, "lr": lr,
                                                     "seconds": time.perf_counter() - start})
                                if not np.isfinite(loss):  # checked on the batches that measure the loss
                                    blew_up.append(f"at epoch {at:.2f} (learning rate {lr:.3g})")

                if workers == 1:
                    run(0)
                else:
                    pool = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
                    for t in pool:
                        t.start()
                    for t in pool:
                        t.join()
                if blew_up:
                    raise self.diverged("the loss", blew_up[0])
                # once per epoch: one pass over both matrices, negligible next to the epoch's updates
                if not (bool(torch.isfinite(self.w_in).all()) and bool(torch.isfinite(self.w_out).all())):
                    raise self.diverged("the vectors", f"in epoch {epoch + 1} of {self.epochs}")
        finally:
            torch.set_num_threads(threads_before)
        self.seconds = time.perf_counter() - start


class _SkipGram(NegativeSamplingTrainer):
    name = "word2vec (skip-gram)"

    def __init__(self, vocab, window, keep, **kw):
        super().__init__(vocab, len(vocab), **kw)
        self.window, self.keep = window, keep

    def examples(self, ids, sentence):
        centers, contexts = context_windows(ids, sentence, self.window, self.rng, self.keep)
        pos, col = np.nonzero(contexts >= 0)  # row-major: corpus order
        positions = pos * (len(ids) / max(len(centers), 1))
        return torch.from_numpy(centers[pos]), torch.from_numpy(contexts[pos, col]), positions


class _CBOW(NegativeSamplingTrainer):
    name = "word2vec (CBOW)"

    def __init__(self, vocab, window, keep, **kw):
        super().__init__(vocab, len(vocab), **kw)
        self.window, self.keep = window, keep

    def examples(self, ids, sentence):
        centers, contexts = context_windows(ids, sentence, self.window, self.rng, self.keep)
        has = (contexts >= 0).any(1)
        positions = np.nonzero(has)[0] * (len(ids) / max(len(centers), 1))
        return torch.from_numpy(contexts[has]), torch.from_numpy(centers[has]), positions

    def inputs(self, contexts):
        valid = contexts >= 0
        owner, column = valid.nonzero(as_tuple=True)
        return Bags(contexts[owner, column], owner, valid.sum(1, keepdim=True).float())

    def batch_bounds(self, contexts):
        """Batches of about ``batch_size`` (context word, centre word) pairs, as skip-gram's, not
        ``batch_size`` examples: a CBOW example updates the input vector of each of its ~``window`` context
        words, so a batch of ``batch_size`` examples would sum ~``window`` times more stale updates into the
        rows of frequent words than a skip-gram batch does. With ``sample=0`` that made *the* receive
        ~500 updates per batch, computed from the same old values, and CBOW diverged to NaN."""
        pairs = (contexts >= 0).sum(1).numpy()  # ≥ 1: examples without any context were dropped
        before = np.cumsum(pairs) - pairs  # pairs in the examples before each one
        # batch k starts at the first example with k·batch_size pairs before it
        starts = np.searchsorted(before, np.arange(0, before[-1] + 1 if len(before) else 0, self.batch_size))
        return np.append(np.unique(starts), len(contexts))


def train_word2vec(
    sentences: Sequence[Sequence[str]],
    *,
    sg: bool = True,
    dim: int = 100,
    window: int = 5,
    negative: int = 5,
    min_count: int = 5,
    sample: float = 1e-3,
    epochs: int = 5,
    alpha: float = 0.025,
    seed: int = 0,
    min_alpha: float = 1e-4,
    batch_size: int = 1024,
    workers: int = 1,
) -> Word2VecVectors:
    """Train word2vec with negative sampling: skip-gram (``sg=True``) or CBOW (``sg=False``).

    Args:
        sentences: a list of token lists, e.g. ``embedkit.data.kjv().sentences``.
        sg: skip-gram predicts each context word from the centre word; CBOW predicts the centre word from
            the mean of its context vectors.
        dim: vector size.
        window: maximum distance of a context word (each position draws its window from 1..window).
        negative: noise words per example, drawn from unigram^0.75.
        min_count: words seen fewer times are dropped.
        sample: subsampling threshold ``t`` (:func:`~embedkit.words.vocab.keep_probabilities`); 0 = off.
        epochs: passes over the corpus.
        alpha: the learning rate at the start; it decays linearly to ``min_alpha`` over the whole run.
        seed: seeds the initialisation, subsampling, windows and noise.
        min_alpha: the learning rate at the end.
        batch_size: (input word, output word) pairs per tensor step: skip-gram examples, or CBOW examples
            weighted by their number of context words. About a thousand keeps every intermediate array in
            the CPU cache; much larger batches are slower per example, and update more words from stale values.
        workers: threads updating the shared vectors concurrently (as gensim's ``workers``). ``1`` (the
            default) is reproducible bit for bit; more is faster on several cores but not reproducible.

    Returns:
        :class:`~embedkit.words.trained.Word2VecVectors` (an :class:`embedkit.Vectors`) of the input vectors,
        most frequent word first, shape ``(n_words, dim)``, with ``history`` (a list of ``{"epoch", "loss",
        "lr", "seconds"}`` dicts, the loss averaged over one batch every 100 batches), ``counts``
        (``(n_words,)`` word counts), ``output`` (``(n_words, dim)`` the output/context vectors) and
        ``seconds`` (training time).

    Raises:
        TypeError, ValueError: a setting of the wrong type or out of range (``alpha`` finite and > 0,
            ``0 <= min_alpha <= alpha``, ``0 <= sample < 1``, integers >= 1 for the sizes and counts).
        ValueError: training diverged (the loss or a vector became NaN or infinite); the message says where,
            and to lower ``alpha`` or ``batch_size``.

    References: Mikolov et al. (2013a, b), "Efficient estimation of word representations in vector space"
    and "Distributed representations of words and phrases and their compositionality".
    """
    _check_common(dim, window, negative, epochs, alpha, min_alpha, batch_size, sample, seed, workers)
    vocab = build_vocab(sentences, min_count)
    ids, sentence = encode(sentences, vocab)
    kw = dict(dim=dim, negative=negative, alpha=alpha, min_alpha=min_alpha, epochs=epochs,
              batch_size=batch_size, seed=seed)
    keep = keep_probabilities(vocab.counts, sample)
    trainer = (_SkipGram if sg else _CBOW)(vocab, window, keep, **kw)
    trainer.train(ids, sentence, workers)
    return _result(trainer.w_in.numpy(), vocab, trainer)


def _result(matrix: np.ndarray, vocab: Vocabulary, trainer: NegativeSamplingTrainer) -> Word2VecVectors:
    return Word2VecVectors(matrix, vocab.words, counts=vocab.counts, history=trainer.history,
                           seconds=trainer.seconds, output=trainer.w_out.numpy())
