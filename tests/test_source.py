"""embedkit.source.show: the package's code shown on a page, highlighted, and exactly inspect.getsource as text."""

from __future__ import annotations

import inspect
import re

import pytest
from markdown_it import MarkdownIt

from embedkit import rotary, source
from embedkit.tokens import BPETokenizer
from embedkit.vectors import Vectors


def _fenced_code(markdown: str) -> list[tuple[str, str]]:
    """(info, content) of each fenced code block, parsed by a CommonMark parser (myst-nb's own, markdown-it)."""
    return [(t.info.strip(), t.content) for t in MarkdownIt("commonmark").parse(markdown) if t.type == "fence"]


@pytest.mark.parametrize("obj", [rotary.apply, rotary.RoPE, Vectors.most_similar, BPETokenizer.encode_chunk, rotary])
def test_plain_text_is_exactly_the_source(obj):
    shown = source.show(obj)
    assert str(shown) == repr(shown) == shown.text == inspect.getsource(obj)


def test_ipython_shows_highlighted_python_and_the_plain_source():
    from IPython.core.formatters import format_display_data
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()
    data, _ = format_display_data(source.show(rotary.apply))
    assert data["text/plain"] == inspect.getsource(rotary.apply)
    # Markdown, not HTML: myst-nb turns it into a Sphinx code block (Pygments, light and dark CSS) and
    # JupyterLab highlights it with its own theme.
    assert "text/html" not in data
    blocks = _fenced_code(data["text/markdown"])
    assert blocks == [("python", inspect.getsource(rotary.apply))]


def test_a_method_is_dedented_for_display_only():
    shown = source.show(Vectors.most_similar)
    assert shown.text.startswith("    def most_similar")  # as inspect gives it
    [(info, code)] = _fenced_code(shown._repr_markdown_())
    assert info == "python" and code.startswith("def most_similar")
    original = inspect.getsource(Vectors.most_similar).splitlines()
    assert code.splitlines() == [line.removeprefix("    ") for line in original]  # one class level less


def test_several_objects_read_like_consecutive_prints(capsys):
    shown = source.show(rotary.angles, rotary.cos_sin)
    print(inspect.getsource(rotary.angles))
    print(inspect.getsource(rotary.cos_sin))
    assert shown.text + "\n" == capsys.readouterr().out
    assert [code for _, code in _fenced_code(shown._repr_markdown_())] == [
        inspect.getsource(rotary.angles) + "\n" + inspect.getsource(rotary.cos_sin)
    ]


def test_backticks_in_the_source_do_not_end_the_fence(tmp_path, monkeypatch):
    # A module's docstring holds a fenced example at column 0: a ``` fence around it would end there.
    module = tmp_path / "ticks.py"
    module.write_text('"""Example:\n\n```python\nf()\n```\n"""\n\n\ndef f():\n    return 1\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    import ticks

    [(info, code)] = _fenced_code(source.show(ticks)._repr_markdown_())
    assert info == "python" and code == inspect.getsource(ticks)


@pytest.mark.parametrize(
    "objs,exc,fragment",
    [
        ((), TypeError, "at least one"),
        ((3,), TypeError, "obj must be a Python function, class, method or module, got 3 (int)"),
        ((len,), TypeError, "got <built-in function len>"),
        ((rotary.apply, "apply"), TypeError, "objs[1] must be a Python function"),
    ],
)
def test_objects_without_source_are_refused_clearly(objs, exc, fragment):
    with pytest.raises(exc, match=re.escape(fragment)):
        source.show(*objs)


def test_source_that_is_not_on_disk_is_a_value_error():
    namespace: dict = {}
    exec(compile("def made_here():\n    return 1\n", "<made here>", "exec"), namespace)
    with pytest.raises(ValueError, match="obj has no source file to show"):
        source.show(namespace["made_here"])
