"""_ext/book_fixes.py: a deliberate error (a cell tagged raises-exception) reads as its message in the built
HTML, with no traceback and no path of the build machine, while an unexpected error still fails the build."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PAGE_FRONT_MATTER, ROOT, build_book, throwaway_book

sys.path.insert(0, str(ROOT / "_ext"))
from book_fixes import exception_message  # noqa: E402

# IPython 9's rendering of `raise ValueError(...) from KeyError(...)`, colours and all.
CHAINED = (
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m\n"
    "\x1b[31mKeyError\x1b[39m                                  Traceback (most recent call last)\n"
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[4]\x1b[39m\x1b[32m, line 4\x1b[39m\n"
    "----> 4     inner()\n\n"
    "\x1b[31mKeyError\x1b[39m: 'x'\n\n"
    "The above exception was the direct cause of the following exception:\n\n"
    "\x1b[31mValueError\x1b[39m                                Traceback (most recent call last)\n"
    "\x1b[36mFile \x1b[39m\x1b[32m/work/main/embedkit/rotary/frequencies.py:65\x1b[39m, in \x1b[36mrotary_dim\x1b[39m\x1b[34m(head_dim)\x1b[39m\n"
    "\x1b[32m     64\x1b[39m \x1b[38;5;28;01mif\x1b[39;00m head_dim % \x1b[32m2\x1b[39m:\n"
    "\x1b[32m---> 65\x1b[39m     \x1b[38;5;28;01mraise\x1b[39;00m \x1b[38;5;167;01mValueError\x1b[39;00m(\x1b[33mf\x1b[39m\x1b[33m\"head_dim\"\x1b[39m)\n\n"
    "\x1b[31mValueError\x1b[39m: head_dim must be even, got 63\nsecond line of the message\n"
)


@pytest.mark.parametrize(
    "traceback,message",
    [
        (CHAINED, "ValueError: head_dim must be even, got 63\nsecond line of the message"),
        # A frame line that mentions the exception's name is not the exception's line.
        ("KeyError                 Traceback (most recent call last)\nFile /x.py:3, in f()\n"
         "----> 3 raise KeyError(k)\n\nKeyError: 'catt'", "KeyError: 'catt'"),
        # An exception with a dotted name and notes (Python 3.11 add_note).
        ("UnknownWordError         Traceback (most recent call last)\nCell In[1], line 1\n----> 1 v['catt']\n\n"
         "embedkit.errors.UnknownWordError: 'catt' is not in the vocabulary\nTry data.glove()",
         "embedkit.errors.UnknownWordError: 'catt' is not in the vocabulary\nTry data.glove()"),
        # SyntaxError has no header in IPython.
        ("  Cell In[2], line 1\n    x = = 1\n        ^\nSyntaxError: invalid syntax\n", "SyntaxError: invalid syntax"),
        # An exception with no message.
        ("StopIteration            Traceback (most recent call last)\nCell In[1], line 1\n----> 1 next(it)\n\n"
         "StopIteration", "StopIteration"),
        # Nothing recognisable: everything is kept rather than the message lost.
        ("something odd\nhappened", "something odd\nhappened"),
    ],
)
def test_exception_message_is_the_exceptions_own_lines(traceback, message):
    assert exception_message(traceback) == message


FRONT = PAGE_FRONT_MATTER

PAGE = FRONT + textwrap.dedent(
    """
    # Errors on purpose

    ```{code-cell} ipython3
    :tags: [raises-exception]
    from embedkit import rotary
    rotary.RoPE(63)
    ```

    ```{code-cell} ipython3
    :tags: [raises-exception]
    try:
        {}["x"]
    except KeyError as e:
        raise ValueError("first line\\nsecond line") from e
    ```

    ```{code-cell} ipython3
    print("\\x1b[31mstill coloured\\x1b[0m")
    ```
    """
)


def make_book(tmp: Path, page: str) -> Path:
    """A one-page book with the real execution settings, the book_fixes extension and the book's stylesheet."""
    throwaway_book(tmp, page, extensions=("book_fixes",), timeout=120)
    (tmp / "_static").mkdir()
    shutil.copy(ROOT / "_static" / "embedkit-book.css", tmp / "_static")
    return tmp


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> str:
    tmp = make_book(tmp_path_factory.mktemp("errors"), PAGE)
    result = build_book(tmp)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return (tmp / "_build" / "html" / "index.html").read_text()


def _outputs(html: str, kind: str) -> list[str]:
    blocks = re.findall(rf'<div class="output {kind}[^"]*">(.*?)</pre>', html, re.S)
    return [re.sub(r"<[^>]+>", "", b).replace("&#39;", "'").replace("&quot;", '"').strip() for b in blocks]


def test_deliberate_errors_show_their_message_and_nothing_else(built):
    assert _outputs(built, "traceback") == [
        "ValueError: head_dim must be even (channels are rotated in pairs), got 63",
        "ValueError: first line\nsecond line",
    ]
    outputs = "".join(re.findall(r'<div class="cell_output.*?</pre>', built, re.S))
    for unwanted in ("Traceback", "most recent call last", str(ROOT), "site-packages", "\x1b", "[0;31m", "[31m"):
        assert unwanted not in outputs, unwanted
    assert 'href="_static/embedkit-book.css' in built


def test_other_outputs_are_untouched(built):
    # An ordinary stream keeps its ANSI colours, rendered as colour classes by myst-nb's lexer.
    assert _outputs(built, "stream") == ["still coloured"]
    assert '<span class=" -Color -Color-Red">still coloured</span>' in built


def test_an_unexpected_error_still_fails_the_build(tmp_path):
    page = PAGE.replace("print(", "rotary.RoPE(62)\nrotary.RoPE(61)\nprint(")
    result = build_book(make_book(tmp_path, page))
    assert result.returncode != 0
    assert "head_dim must be even" in result.stdout + result.stderr
