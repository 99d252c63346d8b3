"""embedkit: the code of the book *Embeddings in LLMs*.

One module per idea of the book: :mod:`embedkit.vectors` (keyed word vectors), :mod:`embedkit.data`
(every data set, offline), :mod:`embedkit.charts` (Altair in the static book), :mod:`embedkit.probes`
(live and static probes), and one module or subpackage per chapter.
"""

from .corpus import Corpus, tokenize
from .errors import MissingDataError, UnknownWordError
from .vectors import Vectors

__version__ = "0.1.0"
__all__ = ["Corpus", "MissingDataError", "UnknownWordError", "Vectors", "tokenize", "__version__"]
