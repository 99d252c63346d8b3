"""The file format of a BPE tokenizer: one JSON record, written and read back exactly.

``{"format": "embedkit-bpe/1", "name", "pattern", "special_tokens", "tokens", "merges"}``: the tokens'
bytes as base64 in id order (the id is the merge rank), the pre-tokenization pattern itself, the special
tokens with their ids, and the training history as ``[left, right, new, count]`` lists.
:meth:`embedkit.tokens.BPETokenizer.save` and :meth:`~embedkit.tokens.BPETokenizer.load` use it; reading
checks every field, so a damaged file is refused with a message instead of giving a wrong tokenizer.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

from ..checks import describe
from .bpe_train import Merge

__all__ = ["FORMAT", "read_tokenizer", "write_tokenizer"]

FORMAT = "embedkit-bpe/1"
"""The ``format`` field of a tokenizer file."""


def write_tokenizer(tokenizer, path: str | Path) -> Path:
    """Write ``tokenizer`` (a :class:`~embedkit.tokens.BPETokenizer`) as JSON: its tokens as base64 in id
    order, pattern, special tokens and merge history. Returns the path written."""
    path = _path(path)
    record = {
        "format": FORMAT,
        "name": tokenizer.name,
        "pattern": tokenizer.pattern,
        "special_tokens": tokenizer.special_tokens,
        "tokens": [base64.b64encode(t).decode("ascii") for t in tokenizer.tokens],
        "merges": [[m.left, m.right, m.new, m.count] for m in tokenizer.merges],
    }
    path.write_text(json.dumps(record, ensure_ascii=False))
    return path


def read_tokenizer(cls, path: str | Path):
    """A ``cls`` (:class:`~embedkit.tokens.BPETokenizer`) read from a file written by :func:`write_tokenizer`.

    A missing file raises ``FileNotFoundError``; a file that is not a complete, consistent tokenizer
    record (not JSON, another format, missing or malformed fields) raises ``ValueError`` saying what is wrong.
    """
    path = _path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no tokenizer file at {path}" + (" (it is a directory)" if path.is_dir() else ""))

    def bad(what: str) -> ValueError:
        return ValueError(f"{path} is not a tokenizer file written by BPETokenizer.save (format {FORMAT!r}): {what}")

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise bad(f"not JSON ({err})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise bad(f"its format is {record.get('format') if isinstance(record, dict) else None!r}")
    fields = {"name": str, "pattern": str, "special_tokens": dict, "tokens": list, "merges": list}
    for key, kind in fields.items():
        if not isinstance(record.get(key), kind):
            raise bad(f"field {key!r} must be a {kind.__name__}, got {describe(record.get(key))}")
    try:
        tokens = [base64.b64decode(t, validate=True) for t in record["tokens"]]
    except (binascii.Error, TypeError, ValueError) as err:
        raise bad(f"a token is not base64 ({err})") from None
    if not all(isinstance(m, list) and len(m) == 4 and all(type(x) is int for x in m) for m in record["merges"]):
        raise bad("each merge must be a list of four integers [left, right, new, count]")
    try:
        return cls(
            {t: i for i, t in enumerate(tokens)},
            pattern=record["pattern"],
            special_tokens=record["special_tokens"],
            name=record["name"],
            merges=[Merge(*m) for m in record["merges"]],
        )
    except (TypeError, ValueError) as err:
        raise bad(str(err)) from None


def _path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or pathlib.Path), got {describe(path)}")
    return Path(path)
