"""Tokens: from text to the integer ids a language model reads, and the table that turns ids into vectors.

* :mod:`~embedkit.tokens.pretokenize`: the GPT regular expressions that cut text into chunks.
* :mod:`~embedkit.tokens.bpe`: byte-level BPE (:class:`BPETokenizer`): encode, decode, save, load, and
  conversion from and to ``tiktoken``; trained by :mod:`~embedkit.tokens.bpe_train` (count pairs, pick
  the best, merge), stored by :mod:`~embedkit.tokens.bpe_files`.
* :mod:`~embedkit.tokens.labels`: printable labels for a token's bytes (``␣the``).
* :mod:`~embedkit.tokens.stats`: vocabulary growth, out-of-vocabulary rates, Zipf's law.
* :mod:`~embedkit.tokens.subword`: WordPiece and Unigram (trained with Hugging Face ``tokenizers``).
* :mod:`~embedkit.tokens.embedding`: the token-embedding table and a small language model that trains one.

The text samples the chapter compares tokenizers on (Sphinx's human translations, Python source) come from
:mod:`embedkit.data`.
"""

from .bpe import BPETokenizer
from .bpe_train import Merge
from .labels import token_label
from .pretokenize import CL100K_PATTERN, GPT2_PATTERN, pretokenize

__all__ = ["BPETokenizer", "CL100K_PATTERN", "GPT2_PATTERN", "Merge", "pretokenize", "token_label"]
