"""WordPiece, Unigram and BPE trained with Hugging Face ``tokenizers``, for contrast with our BPE.

* **WordPiece** (BERT; Schuster & Nakajima 2012, Wu et al. 2016): words split on white space and
  punctuation, then cut greedily into the longest known pieces; pieces inside a word carry ``##``. A word
  it cannot cut becomes ``[UNK]``.
* **Unigram** (SentencePiece; Kudo 2018): a probabilistic model over pieces; a word is cut into the most
  probable sequence of pieces (Viterbi). Spaces become ``▁`` and stay part of the text.
* **BPE** (byte level, as GPT-2): the same algorithm as :class:`embedkit.tokens.BPETokenizer`, in Rust.
"""

from __future__ import annotations

from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from .. import checks
from ..checks import describe
from .pretokenize import CL100K_PATTERN, compile_pattern

__all__ = ["train_wordpiece", "train_unigram", "train_hf_bpe", "segment"]


def _lines(text: str | Iterable[str]) -> list[str]:
    """Training text as lines: a string is split at line breaks; an iterable must yield strings."""
    if isinstance(text, str):
        return text.splitlines()
    if isinstance(text, bytes) or not isinstance(text, Iterable):
        raise TypeError(f"text must be a str or an iterable of str, got {describe(text)}")
    lines = list(text)
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise TypeError(f"text[{i}] must be a str, got {describe(line)}")
    return lines


def _check(vocab_size: int, at_least: int) -> None:
    checks.integer("vocab_size", vocab_size)
    if vocab_size < at_least:
        raise ValueError(f"vocab_size must be at least {at_least}, got {vocab_size}")


def train_wordpiece(text: str | Iterable[str], vocab_size: int) -> Tokenizer:
    """A BERT-style WordPiece tokenizer (case kept, ``[UNK]`` for the unsplittable) trained on ``text``."""
    _check(vocab_size, 100)
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], show_progress=False)
    tok.train_from_iterator(_lines(text), trainer)
    return tok


def train_unigram(text: str | Iterable[str], vocab_size: int) -> Tokenizer:
    """A SentencePiece-style Unigram tokenizer (``▁`` marks a space) trained on ``text``."""
    _check(vocab_size, 100)
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=["<unk>"], unk_token="<unk>", show_progress=False)
    tok.train_from_iterator(_lines(text), trainer)
    return tok


def train_hf_bpe(text: str | Iterable[str], vocab_size: int, pattern: str = CL100K_PATTERN) -> Tokenizer:
    """Byte-level BPE in Rust, pre-split by the same regular expression as our tokenizer (the peer of
    :meth:`embedkit.tokens.BPETokenizer.train` in the benchmark)."""
    _check(vocab_size, 256)
    compile_pattern(pattern)  # a clear error for a pattern that is not a valid regular expression
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(pattern), behavior="isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(_lines(text), trainer)
    return tok


def segment(tokenizer: Tokenizer, text: str) -> list[str]:
    """The pieces a ``tokenizers.Tokenizer`` cuts ``text`` into (its own notation: ``##``, ``▁``, ``Ġ``)."""
    if not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a tokenizers.Tokenizer (from train_wordpiece, train_unigram or train_hf_bpe), got {describe(tokenizer)}")
    checks.text("text", text)
    return tokenizer.encode(text, add_special_tokens=False).tokens
