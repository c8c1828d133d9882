"""Cover@tau and the chance floor of blind guessing.

Cover@tau (Dragoi et al. 2025, arXiv 2510.08325) is the fraction of problems whose empirical
accuracy c/n is at least tau. A guesser covers many problems at tau -> 0 but few as tau grows,
so the curve separates skill from luck better than pass@k at large k. Identities:
``integral_0^1 Cover@tau dtau = mean accuracy``.

The chance floor is pass@k of a uniform guesser over an answer space of size m:
``1 - (1 - 1/m)^k`` (m = 4 multiple choice: 0.990 at k = 16; AIME, m = 1000: 0.641 at k = 1024).
Per-problem floors (:func:`guess_floor`) average ``1 - (1 - p_i)^k`` over problems whose one-guess
success probabilities p_i differ: ``1/m_i`` for multiple choice with m_i options
(:func:`multiple_choice_floor`), or the *prior-guess* probability of a free-form answer — how often
a guesser that never sees the problem and draws from the benchmark's own answers hits it, counted
leave-one-out (:func:`prior_guess_probabilities`; on MathVista's free-form problems this reaches
pass@128 ≈ 0.70, ``docs/visual.md``).
"""

from __future__ import annotations

import numpy as np

from collections.abc import Hashable, Sequence

from boundary.analysis.passk import _as_int_array, _check_counts
from boundary.errors import AnalysisError


def cover_at(n, c, taus) -> np.ndarray:
    """Fraction of problems with accuracy c/n >= tau, for each tau in ``taus`` (0 <= tau <= 1)."""
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    _check_counts(n, c)
    taus = np.atleast_1d(np.asarray(taus, dtype=np.float64))
    if np.any((taus < 0) | (taus > 1)):
        raise AnalysisError(f"tau must lie in [0, 1], got {taus[(taus < 0) | (taus > 1)][0]}.")
    acc = c / n
    # c/n >= tau, with a tolerance so that tau = 0.3 and c/n = 3/10 compare equal.
    return (acc[None, :] >= taus[:, None] - 1e-12).mean(axis=1)


def chance_floor(m, k):
    """pass@k of blind uniform guessing over ``m`` equally likely answers: ``1 - (1 - 1/m)^k``.

    Examples:
        >>> round(chance_floor(1000, 1024), 3)
        0.641
        >>> round(chance_floor(4, 16), 3)
        0.99
    """
    m_a = np.asarray(m, dtype=np.float64)
    k_a = np.asarray(k, dtype=np.float64)
    if np.any(m_a < 1):
        raise AnalysisError(f"answer-space size m must be >= 1, got m={m_a[m_a < 1].ravel()[0]:g}.")
    if np.any(k_a < 0):
        raise AnalysisError(f"k must be >= 0, got k={k_a[k_a < 0].ravel()[0]:g}.")
    out = -np.expm1(k_a * np.log1p(-1.0 / m_a)) if np.all(m_a > 1) else \
        np.where(m_a == 1, np.where(k_a > 0, 1.0, 0.0), -np.expm1(k_a * np.log1p(-1.0 / np.maximum(m_a, 2))))
    return float(out) if np.ndim(out) == 0 else out


def guess_floor(p, k):
    """Mean over problems of ``1 - (1 - p_i)^k``: pass@k of a guesser whose one guess solves problem i
    with probability ``p_i`` (independent guesses), for each k in ``k``.

    Examples:
        >>> round(guess_floor([0.25, 0.5], 2), 4)      # (0.4375 + 0.75) / 2
        0.5938
        >>> guess_floor([0.0, 1.0], [0, 1, 8]).tolist()
        [0.0, 0.5, 0.5]
    """
    p_a = np.atleast_1d(np.asarray(p, dtype=np.float64)).ravel()
    k_a = np.asarray(k, dtype=np.float64)
    if p_a.size == 0:
        raise AnalysisError("guess_floor needs at least one problem's probability.")
    if np.any(~np.isfinite(p_a)) or np.any((p_a < 0) | (p_a > 1)):
        bad = p_a[~np.isfinite(p_a) | (p_a < 0) | (p_a > 1)][0]
        raise AnalysisError(f"guess probabilities must lie in [0, 1], got {bad:g}.")
    if np.any(k_a < 0):
        raise AnalysisError(f"k must be >= 0, got k={k_a[k_a < 0].ravel()[0]:g}.")
    ks = np.atleast_1d(k_a).ravel()
    safe = np.where(p_a >= 1.0, 0.0, p_a)               # p = 1 handled apart: (1 - 1)^0 = 1, (1 - 1)^k = 0
    miss = np.where(p_a[:, None] >= 1.0, np.where(ks[None, :] > 0, 0.0, 1.0),
                    np.exp(np.log1p(-safe)[:, None] * ks[None, :]))
    out = (1.0 - miss).mean(axis=0)
    return float(out[0]) if np.ndim(k_a) == 0 else out.reshape(np.shape(k_a))


def multiple_choice_floor(m, k):
    """The chance floor of a benchmark's multiple-choice problems with ``m_i`` options each: the mean
    of ``1 - (1 - 1/m_i)^k`` (a uniform letter guesser), for each k in ``k``.

    Examples:
        >>> round(multiple_choice_floor([4, 4], 16), 3) == round(chance_floor(4, 16), 3)
        True
        >>> round(multiple_choice_floor([2, 8], 1), 4)     # (1/2 + 1/8) / 2
        0.3125
    """
    m_a = np.atleast_1d(np.asarray(m, dtype=np.float64)).ravel()
    if m_a.size == 0 or np.any(m_a < 1) or np.any(m_a != np.floor(m_a)):
        raise AnalysisError(f"option counts must be whole numbers >= 1, got {m_a.tolist()[:5]}.")
    return guess_floor(1.0 / m_a, k)


def prior_guess_probabilities(answers: Sequence[Hashable], groups: Sequence[Hashable] | None = None) -> np.ndarray:
    """Leave-one-out prior-guess probability of each problem's answer: the share of the *other*
    problems of its group (e.g. its answer type) whose answer equals it — the chance that one draw
    from the benchmark's own answer distribution, without the problem itself, is right.

    ``answers`` must be canonical keys (``"2"`` and ``"2.0"`` differ here: canonicalize first); a
    problem alone in its group gets 0.

    Examples:
        >>> prior_guess_probabilities(["1", "1", "2", "3"]).tolist()
        [0.3333333333333333, 0.3333333333333333, 0.0, 0.0]
        >>> prior_guess_probabilities(["1", "1", "1.5"], groups=["integer", "integer", "float"]).tolist()
        [1.0, 1.0, 0.0]
    """
    from collections import Counter
    if groups is None:
        groups = [None] * len(answers)
    if len(groups) != len(answers):
        raise AnalysisError(f"{len(answers)} answers but {len(groups)} groups; give one group per answer.")
    sizes = Counter(groups)
    same = Counter(zip(groups, answers))
    out = np.zeros(len(answers), dtype=np.float64)
    for i, (g, a) in enumerate(zip(groups, answers)):
        if sizes[g] > 1:
            out[i] = (same[(g, a)] - 1) / (sizes[g] - 1)
    return out
