"""The checkers of the Tokens exercises: right answers pass, the typical wrong ones fail with their hint.

The right answers include independent ones (Python's codec, ``collections.Counter``, a from-scratch merge
in the style of minbpe, ``tiktoken``'s own encoder on the tiny merge table), and each wrong answer is
written as a reader would write it, not taken from the checker's list of mistakes.
"""

from collections import Counter

import pytest

from embedkit.exercises import check
from exercise_reports import assert_fails_with_hint
from embedkit.exercises import tokens as exercises

# -- answers as a reader would write them ---------------------------------------------------------------


def utf8_by_hand(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            out.append(cp)
        elif cp < 0x800:
            out += [0xC0 | cp >> 6, 0x80 | cp & 0x3F]
        elif cp < 0x10000:
            out += [0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F]
        else:
            out += [0xF0 | cp >> 18, 0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F]
    return out


def utf8_two_byte_bug(text):  # forgets the 3- and 4-byte forms
    out = []
    for ch in text:
        cp = ord(ch)
        out += [cp] if cp < 0x80 else [0xC0 | (cp >> 6) & 0x1F, 0x80 | cp & 0x3F]
    return out


def merge_minbpe(ids, new_id):
    counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    if not counts or max(counts.values()) < 2:
        return list(ids)
    best = max(counts.values())
    pair = min(p for p, c in counts.items() if c == best)
    out, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_most_common(ids, new_id):  # Counter.most_common breaks ties by first occurrence
    counts = Counter(zip(ids, ids[1:]))
    if not counts or counts.most_common(1)[0][1] < 2:
        return list(ids)
    pair = counts.most_common(1)[0][0]
    out, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def encode_by_rank(chunk, ranks):
    parts = [bytes([b]) for b in chunk]
    while len(parts) > 1:
        joined = [(ranks.get(parts[i] + parts[i + 1]), i) for i in range(len(parts) - 1)]
        joined = [j for j in joined if j[0] is not None]
        if not joined:
            break
        _, i = min(joined)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[p] for p in parts]


def encode_tiktoken(chunk, ranks):
    tiktoken = pytest.importorskip("tiktoken")
    encoding = tiktoken.Encoding("tiny", pat_str=r"[\s\S]+", mergeable_ranks=ranks, special_tokens={})
    return encoding.encode_ordinary(chunk.decode("utf-8"))


def encode_greedy_longest(chunk, ranks):
    ids, i = [], 0
    while i < len(chunk):
        for j in range(len(chunk), i, -1):
            if chunk[i:j] in ranks:
                ids.append(ranks[chunk[i:j]])
                i = j
                break
    return ids


# -- right answers pass -----------------------------------------------------------------------------------


@pytest.mark.parametrize("checker, answer", [
    (check.utf8_bytes, exercises.utf8_reference),
    (check.utf8_bytes, lambda text: list(text.encode("utf-8"))),
    (check.utf8_bytes, utf8_by_hand),
    (check.utf8_bytes, lambda text: bytes(text, "utf-8")),  # bytes is a sequence of ints: accepted
    (check.pair_counts, exercises.pair_counts_reference),
    (check.pair_counts, lambda ids: Counter(zip(ids, ids[1:]))),
    (check.bpe_merge, exercises.bpe_merge_reference),
    (check.bpe_merge, merge_minbpe),
    (check.bpe_encode, exercises.bpe_encode_reference),
    (check.bpe_encode, encode_by_rank),
    (check.bpe_encode, encode_tiktoken),
], ids=["utf8-package", "utf8-codec", "utf8-by-hand", "utf8-bytes-object", "pairs-package", "pairs-counter",
        "merge-package", "merge-minbpe", "encode-package", "encode-by-rank", "encode-tiktoken"])
def test_right_answers_pass(checker, answer):
    result = checker(answer)
    assert result.passed, result.message(width=None)
    assert result.cases >= 5 and f"passed all {result.cases} cases" in result.message(width=None)


# -- typical wrong answers fail, on a named case, with the hint for their mistake -------------------------


@pytest.mark.parametrize("checker, answer, case, hint", [
    (check.utf8_bytes, lambda text: [ord(ch) for ch in text], "two-byte letters", "code points"),
    (check.utf8_bytes, lambda text: list(text.encode("utf-16-le")), "ASCII", "UTF-16"),
    (check.utf8_bytes, utf8_two_byte_bug, "three-byte characters", "110xxxxx 10xxxxxx"),
    (check.pair_counts, lambda ids: dict.fromkeys(zip(ids, ids[1:]), 1), "banana", "every occurrence"),
    (check.pair_counts, lambda ids: Counter(zip(ids, ids[1:] + ids[:1])), "banana", "wrap around"),
    (check.bpe_merge, merge_most_common, "a tie", "smaller pair"),
    (check.bpe_merge, lambda ids, new_id: merge_minbpe(ids + ids, new_id)[: len(ids)], "banana", "count the pairs"),
    (check.bpe_encode, encode_greedy_longest, "leftmost first", "longest token from the left"),
], ids=["utf8-ord", "utf8-utf16", "utf8-no-3-byte", "pairs-once", "pairs-wrap", "merge-tie",
        "merge-garbled", "encode-longest"])
def test_typical_mistakes_get_their_hint(checker, answer, case, hint):
    assert_fails_with_hint(checker(answer), case, hint)


def test_the_tie_report_shows_both_answers():
    message = check.bpe_merge(merge_most_common).message(width=None)
    assert "expected [9, 8, 0, 9, 8, 300, 2, 300, 2], got [300, 0, 300, 0, 1, 2, 0, 1, 2]" in message


# -- functions that raise or return the wrong kind of thing are graded, not crashes ------------------------


@pytest.mark.parametrize("checker, answer, reason", [
    (check.utf8_bytes, lambda text: text.encode("ascii"), "raised UnicodeEncodeError"),
    (check.utf8_bytes, lambda text: "".join(map(str, text.encode())), "expected a list"),
    (check.pair_counts, lambda ids: list(zip(ids, ids[1:])), "expected a dict"),
    (check.pair_counts, lambda ids: {"ab": 1}, "expected (left, right) pairs"),
    (check.bpe_merge, lambda ids: ids, "raised TypeError"),
    (check.bpe_encode, lambda chunk, ranks: ranks[chunk], "raised KeyError"),
])
def test_wrong_results_are_graded(checker, answer, reason):
    result = checker(answer)
    assert not result.passed
    assert reason in result.message(width=None)


@pytest.mark.parametrize("checker", [check.utf8_bytes, check.pair_counts, check.bpe_merge, check.bpe_encode])
def test_a_result_instead_of_a_function_is_a_type_error(checker):
    with pytest.raises(TypeError, match="takes your function itself"):
        checker([256, 257])


def test_the_tiny_table_numbers_merges_after_the_bytes():
    ranks = exercises.tiny_ranks(exercises.TINY_MERGES)
    assert len(ranks) == 256 + len(exercises.TINY_MERGES) and ranks[b" the"] == 264
