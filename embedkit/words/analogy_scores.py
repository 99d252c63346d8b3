"""The scores analogy solvers rank candidates by, written once for the evaluation and the probes.

*a : b :: c : ?* is answered with the candidate word :math:`x` that scores best; the question's own words
never answer. Two scores are in use (Levy & Goldberg, 2014, compare them):

* **3CosAdd** (Mikolov et al., 2013): :math:`\\cos(x, \\hat b - \\hat a + \\hat c)`. It is
  :meth:`embedkit.Vectors.most_similar` with ``positive=[b, c], negative=[a]``, and
  :mod:`~embedkit.words.analogy_search` finds its best answer without scoring every word.
* **3CosMul** (Levy & Goldberg, 2014, eq. 4): :func:`cosmul`, a product of similarities instead of a sum,
  so that one large similarity cannot drown the other two. :func:`cosmul_terms` is the same rule for any
  number of positive and negative words, and :meth:`embedkit.Vectors.most_similar_cosmul` answers with it.

:func:`embedkit.words.analogies.evaluate_analogies` (in batches, and through
:meth:`~embedkit.Vectors.most_similar_cosmul` one question at a time) and
:func:`embedkit.probes.analogy.solve_analogy` (through :meth:`~embedkit.Vectors.most_similar_cosmul`) all
use this one formula; the tests check it against gensim's ``most_similar_cosmul``.
"""

from __future__ import annotations

__all__ = ["COSMUL_EPSILON", "METHODS", "cosmul", "cosmul_terms"]

METHODS = ("3cosadd", "3cosmul")
"""Analogy methods: ``"3cosadd"`` (vector offset, Mikolov et al. 2013) and ``"3cosmul"`` (Levy & Goldberg 2014)."""

COSMUL_EPSILON = 1e-6
"""Added to the denominator of 3CosMul, as gensim's ``most_similar_cosmul`` does (Levy & Goldberg used 0.001)."""


def cosmul(cos_a, cos_b, cos_c, *, epsilon: float = COSMUL_EPSILON, inplace: bool = False):
    """3CosMul scores from the cosines of every candidate with *a*, *b* and *c*.

    .. math:: \\frac{s_b \\, s_c}{s_a + \\varepsilon}, \\qquad s = \\tfrac{1}{2}(1 + \\cos) \\in [0, 1]

    Levy & Goldberg (2014, eq. 4 and footnote 7) shift the cosines to [0, 1] so that a negative cosine
    cannot flip the sign of the product; gensim's ``most_similar_cosmul`` does the same, with
    :math:`\\varepsilon = 10^{-6}` (the paper used 0.001).

    Args:
        cos_a, cos_b, cos_c: cosines of the candidates with the unit vectors of *a*, *b* and *c*, NumPy arrays
            or torch tensors of one shape (e.g. ``(words,)`` for one question, ``(questions, words)`` for a
            batch). The query words themselves are not masked here; the caller excludes them.
        epsilon: keeps the ratio finite where :math:`s_a = 0` (a candidate opposite to *a*).
        inplace: overwrite the inputs instead of allocating new arrays, for large batches: the result is
            ``cos_b``, and ``cos_c`` and ``cos_a`` are clobbered. ``cos_a`` may then be a function returning
            the *a* cosines, called only after ``cos_c`` has been used, so that the two can share one buffer.
            The arithmetic, and so every bit of the result, is the same either way.

    Returns:
        The scores, same shape and type as the inputs; higher is a better answer.
    """
    if not inplace:
        return cosmul_terms([cos_b, cos_c], [cos_a], epsilon=epsilon)
    for c in (cos_b, cos_c):  # (x + 1) * 0.5 rounds exactly as (1 + x) / 2
        c += 1
        c *= 0.5
    cos_b *= cos_c
    if callable(cos_a):
        cos_a = cos_a()
    cos_a += 1
    cos_a *= 0.5
    cos_a += epsilon
    cos_b /= cos_a
    return cos_b


def cosmul_terms(positive, negative=(), *, epsilon: float = COSMUL_EPSILON):
    """3CosMul for any number of terms: shifted cosines with the positive words multiplied in the numerator,
    those with the negative words in the denominator.

    .. math:: \\frac{\\prod_{p} s_p}{\\prod_{n} s_n + \\varepsilon}, \\qquad s = \\tfrac{1}{2}(1 + \\cos)

    With positive ``[b, c]`` and negative ``[a]`` it is :func:`cosmul` (Levy & Goldberg, 2014, eq. 4);
    with one positive word and no negative it ranks as cosine similarity does. gensim's
    ``most_similar_cosmul`` computes the same products, in the same order.

    Args:
        positive: a non-empty list of cosine arrays (NumPy or torch, one shape), one per positive word.
        negative: a list of cosine arrays of the same shape, one per negative word (may be empty: the
            denominator is then :math:`1 + \\varepsilon`).
        epsilon: keeps the ratio finite where a negative word's shifted cosine is 0.

    Returns:
        The scores, same shape and type as the inputs; higher is a better answer.
    """
    positive, negative = list(positive), list(negative)
    if not positive:
        raise ValueError("3CosMul needs at least one positive term")
    numerator = (1 + positive[0]) / 2
    for cos in positive[1:]:
        numerator = numerator * ((1 + cos) / 2)
    denominator = 1.0
    for i, cos in enumerate(negative):
        denominator = (1 + cos) / 2 if i == 0 else denominator * ((1 + cos) / 2)
    return numerator / (denominator + epsilon)
