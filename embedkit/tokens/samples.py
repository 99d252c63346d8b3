"""Text samples for comparing tokenizers across kinds of text, all read from installed packages.

* :func:`translations`: real human translations, the message catalogues that Sphinx ships for its user
  interface (``sphinx/locale/<language>/LC_MESSAGES/sphinx.mo``, written by Sphinx's volunteer
  translators). Each entry pairs an English message with its translation, so the same content can be
  measured in several languages.
* :func:`python_source`: the source code of a module of Python's standard library.
"""

from __future__ import annotations

import gettext
import importlib
import inspect
from functools import lru_cache

from .. import checks
from ..data import package_dir
from ..errors import MissingDataError

__all__ = ["LANGUAGES", "translations", "python_source"]

LANGUAGES = {"de": "German", "fr": "French", "ru": "Russian", "el": "Greek", "ar": "Arabic", "hi": "Hindi",
             "ja": "Japanese", "zh_CN": "Chinese (simplified)", "ko": "Korean"}
"""Languages of Sphinx's catalogues used in the book, by locale code."""


def translations(language: str) -> tuple[tuple[str, str], ...]:
    """``(english, translated)`` message pairs from Sphinx's catalogue for ``language`` (e.g. ``"de"``),
    sorted by the English text; untranslated and empty entries are left out.

    Raises ``ValueError`` for a language Sphinx does not ship, :class:`~embedkit.MissingDataError` if
    Sphinx is not installed.
    """
    checks.text("language", language, allow_empty=False)
    return _translations(language)


@lru_cache(maxsize=32)
def _translations(language: str) -> tuple[tuple[str, str], ...]:
    root = package_dir("sphinx", "sphinx") / "locale"
    available = sorted(p.name for p in root.iterdir() if (p / "LC_MESSAGES" / "sphinx.mo").is_file())
    if language not in available:  # a locale code, never a path
        raise ValueError(f"Sphinx ships no catalogue for language {language!r}; available: {', '.join(available)}")
    path = root / language / "LC_MESSAGES" / "sphinx.mo"
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    pairs = sorted(
        (str(k), str(v))
        for k, v in catalog.items()
        if isinstance(k, str) and k and v and v != k and "\x00" not in k
    )
    if len(pairs) < 50:
        raise MissingDataError(f"{path} holds only {len(pairs)} translations. Fix: pip install --force-reinstall sphinx")
    return tuple(pairs)


def python_source(module: str = "argparse") -> str:
    """The source code of an installed Python module (default: the standard library's ``argparse``)."""
    checks.text("module", module, allow_empty=False)
    try:
        return inspect.getsource(importlib.import_module(module))
    except (ImportError, OSError, TypeError) as err:
        raise ValueError(f"cannot read the source of module {module!r}: {err}") from None
