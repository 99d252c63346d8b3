"""The checkers of the position lab's exercises: right answers pass, the typical wrong ones fail with their hint.

The right answers include independent ones (counting with ``collections.Counter`` and ``math.log``; the
log-softmax gathered by hand), and each wrong answer is written as a reader would write it.
"""

import math
from collections import Counter

import pytest
import torch

from embedkit.exercises import check
from embedkit.lab.evaluate import token_losses
from exercise_reports import assert_fails_with_hint
from embedkit.lab.tasks import bigram_loss

# -- answers as a reader would write them ---------------------------------------------------------------


def bigram_counter(text, smoothing=1.0):
    train, valid, v = text.train.tolist(), text.valid.tolist(), text.vocab_size
    pairs = Counter(zip(train, train[1:]))
    rows = Counter(train[:-1])
    total = 0.0
    for a, b in zip(valid, valid[1:]):
        total -= math.log((pairs[a, b] + smoothing) / (rows[a] + v * smoothing))
    return total / (len(valid) - 1)


def bigram_bits(text, smoothing=1.0):
    return bigram_counter(text, smoothing) / math.log(2)


def bigram_fixed_smoothing(text, smoothing=1.0):
    return bigram_counter(text, 1.0)


def losses_by_hand(model, inputs, targets):
    with torch.no_grad():
        logits = model(inputs)
    log_probs = logits.log_softmax(-1)
    return -log_probs.gather(-1, targets[..., None])[..., 0], logits.argmax(-1) == targets


def losses_shifted(model, inputs, targets):  # scores position t against the input at t
    return losses_by_hand(model, inputs, inputs)


def losses_mean(model, inputs, targets):
    losses, correct = losses_by_hand(model, inputs, targets)
    return losses.mean(), correct


# -- right answers pass -----------------------------------------------------------------------------------


@pytest.mark.parametrize("checker, answer", [
    (check.bigram_loss, bigram_loss),
    (check.bigram_loss, bigram_counter),
    (check.token_losses, token_losses),
    (check.token_losses, losses_by_hand),
    (check.token_losses, lambda m, i, t: tuple(x.numpy() for x in losses_by_hand(m, i, t))),  # numpy is fine
], ids=["bigram-package", "bigram-counter", "losses-package", "losses-by-hand", "losses-numpy"])
def test_right_answers_pass(checker, answer):
    result = checker(answer)
    assert result.passed, result.message(width=None)
    assert result.cases >= 4 and f"passed all {result.cases} cases" in result.message(width=None)


# -- typical wrong answers fail, on a named case, with the hint for their mistake -------------------------


@pytest.mark.parametrize("checker, answer, case, hint", [
    (check.bigram_loss, bigram_bits, "a repeated sentence", "in bits"),
    (check.bigram_loss, bigram_fixed_smoothing, "add-0.5", "smoothing asked for"),
    (check.token_losses, losses_shifted, "NoPE model", "not against the input"),
], ids=["bigram-bits", "bigram-add-one", "losses-shifted"])
def test_typical_mistakes_get_their_hint(checker, answer, case, hint):
    assert_fails_with_hint(checker(answer), case, hint)


def test_a_mean_loss_is_reported_as_a_shape_and_the_models_by_name():
    message = check.token_losses(losses_mean).message(width=None)
    assert "losses: expected shape (4, 16), got shape ()" in message
    assert "input: (<PositionLM nope>, <tensor of shape (4, 16)>, <tensor of shape (4, 16)>)" in message


def test_wrong_correctness_flags_fail_even_with_right_losses():
    def flipped(model, inputs, targets):
        losses, correct = losses_by_hand(model, inputs, targets)
        return losses, ~correct

    result = check.token_losses(flipped)
    assert not result.passed and "correct:" in result.message(width=None)


# -- functions that raise or return the wrong kind of thing are graded, not crashes ------------------------


@pytest.mark.parametrize("checker, answer, reason", [
    (check.bigram_loss, lambda text, smoothing=1.0: text.nonsense, "raised AttributeError"),
    (check.bigram_loss, lambda text, smoothing=1.0: "2.3", "expected numbers"),
    (check.bigram_loss, lambda text, smoothing=1.0: float("nan"), "got nan"),
    (check.token_losses, lambda model, inputs, targets: model(inputs), "expected a pair (losses, correct)"),
    (check.token_losses, lambda model, inputs: None, "raised TypeError"),
])
def test_wrong_results_are_graded(checker, answer, reason):
    result = checker(answer)
    assert not result.passed and result.number == 1
    assert reason in result.message(width=None)


@pytest.mark.parametrize("checker", [check.bigram_loss, check.token_losses])
def test_a_result_instead_of_a_function_is_a_type_error(checker):
    with pytest.raises(TypeError, match="takes your function itself"):
        checker(2.3)
