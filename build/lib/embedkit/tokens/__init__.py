"""Tokens: from text to the integer ids a language model reads, and the table that turns ids into vectors.

* :mod:`~embedkit.tokens.pretokenize`: the GPT regular expressions that cut text into chunks.
* :mod:`~embedkit.tokens.bpe`: byte-level BPE (:class:`BPETokenizer`): train, encode, decode, save, load,
  and conversion from and to ``tiktoken``.
* :mod:`~embedkit.tokens.stats`: vocabulary growth, out-of-vocabulary rates, Zipf's law.
* :mod:`~embedkit.tokens.subword`: WordPiece and Unigram (trained with Hugging Face ``tokenizers``).
* :mod:`~embedkit.tokens.embedding`: the token-embedding table and a small language model that trains one.
* :mod:`~embedkit.tokens.samples`: text for comparisons: Sphinx's human translations, Python source.
"""

from .bpe import BPETokenizer, Merge, token_label
from .pretokenize import CL100K_PATTERN, GPT2_PATTERN, pretokenize

__all__ = ["BPETokenizer", "CL100K_PATTERN", "GPT2_PATTERN", "Merge", "pretokenize", "token_label"]
