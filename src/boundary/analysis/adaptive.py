"""pass@k from sequentially stopped samples: the path-counting estimator of an :class:`AdaptivePlan`.

A pair sampled under the plan (``boundary.adaptive_plan``) ends at a *stopping point* (t, s):
t samples drawn, s of them correct. Given (t, s), every 0/1 sequence the plan admits that ends
there is equally likely (each has probability p^s (1-p)^(t-s)), so::

    pass@k^ = E[1{a success among the first k draws} | t, s] = 1 - F_k(t, s) / N(t, s)

where N counts the admissible sequences ending at (t, s) and F_k those with no success in the
first k positions (Girshick-Mosteller-Savage 1946; Rao-Blackwell). The plan never stops before
the cap n without a success, so the indicator is decided on every path for every k <= n and the
estimate is **exactly unbiased for every k <= n** (docs/adaptive.md; the tests check it by
enumerating every sequence).

How it is computed. Let t' be the check time before t and b = t - t'. The admissible sequences
are those with u < r successes among the first t' draws, so, with C the binomial coefficient,
N = sum_u C(t', u) C(b, s-u) and, given (t, s), u has the weights w_u = C(t', u) C(b, s-u) / N.
Given u, the first t' draws are a uniformly shuffled set of u successes, so::

    k <= t':       pass@k^ = sum_u w_u * chen(t', u, k)              (chen = pass_at_k)
    t' < k <= t:   pass@k^ = (1 - w_0) + w_0 * chen(b, s, k - t')     (success in the first t', or in the batch)
    k > t:         pass@k^ = 1                                        (t < n only after s >= r >= 1)

A stop at the first check t = m is Chen's estimator with n = m (and 1 for k > m). The weights
are exact ratios of Python integers, correctly rounded (no overflow at n = 1024 or far beyond);
the chen terms are ``pass_at_k_table``'s log-space products. Problems with equal stopping points
have equal curves, so every function works on the distinct (t, s) like ``problem_curves`` works
on the distinct (n, c). For a plan with initial = cap (never stops early) every value is
``pass_at_k``'s exactly.

>>> plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=8)
>>> table = adaptive_pass_at_k_table(plan, [4, 6, 8], [3, 2, 1])
>>> table[0].round(4).tolist()      # 3 of 4 at the first check: Chen with n = 4, then 1
[0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
>>> table[1].round(4).tolist()      # 2 of 6: N = 9 paths (8 with a success among the first 4)
[0.2222, 0.4444, 0.6667, 0.8889, 1.0, 1.0, 1.0, 1.0]
>>> table[2].round(4).tolist()      # 1 of 8 at the cap: Chen with n = 8
[0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]
>>> round(float(expected_cost(plan, 0.5)), 5)   # samples a pair with p = 0.5 draws on average
4.84375
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from boundary.adaptive_plan import AdaptivePlan
from boundary.analysis.passk import _as_int_array, pass_at_k_table
from boundary.errors import AnalysisError

__all__ = [
    "adaptive_pass_at_1",
    "adaptive_pass_at_k",
    "adaptive_pass_at_k_curve",
    "adaptive_pass_at_k_table",
    "adaptive_problem_curves",
    "estimator_variance",
    "expected_cost",
    "path_count",
    "stop_distribution",
    "stopping_points",
    "what_if",
    "WhatIf",
]


# --------------------------------------------------------------------------- the plan's stopping points

@lru_cache(maxsize=64)
def _stopping_points(plan: AdaptivePlan) -> tuple[np.ndarray, np.ndarray]:
    times, r, n = plan.check_times, plan.successes, plan.cap
    ts: list[int] = []
    ss: list[int] = []
    for j, t in enumerate(times):
        if j == 0:
            lo, hi = (0 if t == n else r), t
        else:
            lo, hi = (0 if t == n else r), min(t, r - 1 + t - times[j - 1])
        ts.extend([t] * (hi - lo + 1))
        ss.extend(range(lo, hi + 1))
    t_arr, s_arr = np.asarray(ts, dtype=np.int64), np.asarray(ss, dtype=np.int64)
    t_arr.setflags(write=False)
    s_arr.setflags(write=False)
    return t_arr, s_arr


def stopping_points(plan: AdaptivePlan) -> tuple[np.ndarray, np.ndarray]:
    """Every stopping point (t, s) the plan can end at, ordered by t then s: ``(t, s)`` arrays.

    There are always cap + 1 of them (the plan's sufficient statistic takes cap + 1 values).

    >>> t, s = stopping_points(AdaptivePlan(initial=2, successes=1, batch=1, cap=3))
    >>> list(zip(t.tolist(), s.tolist()))
    [(2, 1), (2, 2), (3, 0), (3, 1)]
    """
    t, s = _stopping_points(plan)
    return t.copy(), s.copy()


def _terms(plan: AdaptivePlan, t: int, s: int) -> tuple[int, list[int]]:
    """(t', [C(t', u) C(t - t', s - u) for u = 0..r-1]) for a stop after the first check."""
    times = plan.check_times
    tp = times[plan.check_index(t) - 1]
    b = t - tp
    return tp, [math.comb(tp, u) * math.comb(b, s - u) if 0 <= s - u <= b else 0 for u in range(plan.successes)]


def path_count(plan: AdaptivePlan, t: int, s: int) -> int:
    """N(t, s): the number of 0/1 sequences the plan admits that end at the stopping point (t, s).

    Exact (a Python integer, however large).

    >>> path_count(AdaptivePlan(initial=2, successes=1, batch=1, cap=3), 3, 1)
    1
    """
    _check_points(plan, np.asarray([t]), np.asarray([s]))
    if plan.check_index(t) == 0:
        return math.comb(t, s)
    return sum(_terms(plan, t, s)[1])


# --------------------------------------------------------------------------- validation

def _check_points(plan: AdaptivePlan, t: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Check index of every (t, s); raises AnalysisError naming the first point the plan cannot end at."""
    times = np.asarray(plan.check_times, dtype=np.int64)
    pos = np.searchsorted(times, t)
    on_check = (pos < times.size) & (times[np.minimum(pos, times.size - 1)] == t)
    prev = np.where(pos > 0, times[np.maximum(pos - 1, 0)], 0)
    r, n = plan.successes, plan.cap
    reasons = [
        (~on_check, "t is not a check time of the plan (it checks at {times}); a pair stops only at a check"),
        (s < 0, "a correct count cannot be negative"),
        (s > t, "s exceeds the t samples drawn"),
        ((t < n) & (s < r), f"the plan stops before the cap n={n} only with >= r={r} correct samples"),
        ((pos > 0) & (s > r - 1 + t - prev),
         f"the plan would have stopped at the previous check: it had < r={r} correct then, so s <= r - 1 + "
         "(samples since that check)"),
    ]
    for bad, why in reasons:
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            shown = ", ".join(map(str, plan.check_times)) if len(plan.check_times) <= 8 else (
                f"{times[0]}, {times[1]}, ..., {times[-1]}")
            raise AnalysisError(
                f"stopping point (t={int(t[i])}, s={int(s[i])}) is impossible under the adaptive plan "
                f"{plan.describe()}: {why.format(times=shown)}. Estimate counts with the plan that drew "
                "them (the run's recorded plan), or with pass_at_k if they come from a fixed-n run.")
    return pos


def _points(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t_arr = _as_int_array("t", t).ravel()
    s_arr = _as_int_array("s", s).ravel()
    if t_arr.shape != s_arr.shape:
        raise AnalysisError(f"t and s must have one entry per problem, got {t_arr.size} and {s_arr.size}.")
    _check_points(plan, t_arr, s_arr)
    return t_arr, s_arr


def _k_max(plan: AdaptivePlan, k_max: int | None) -> int:
    k = plan.cap if k_max is None else int(k_max)
    if not 1 <= k <= plan.cap:
        raise AnalysisError(
            f"k_max={k} must be in 1..n={plan.cap} (the plan's cap); pass@k beyond the cap is not estimable "
            f"without a model under any plan capped at n. Use k <= {plan.cap} or raise n.")
    return k


# --------------------------------------------------------------------------- the estimator

def _table(plan: AdaptivePlan, t: np.ndarray, s: np.ndarray, k_max: int) -> np.ndarray:
    """pass@k, k = 1..k_max, for valid stopping points (one row per point; distinct points are cheaper)."""
    out = np.ones((t.size, k_max))
    times, r = plan.check_times, plan.successes
    index = np.searchsorted(np.asarray(times, dtype=np.int64), t)
    for j in np.unique(index).tolist():
        rows = np.flatnonzero(index == j)
        tj = times[j]
        if j == 0:                                  # stopped at the first check: Chen with n = m
            kk = min(tj, k_max)
            out[rows, :kk] = pass_at_k_table(tj, s[rows], kk)
            continue
        tp = times[j - 1]
        b = tj - tp
        weights = np.empty((rows.size, r))
        rest = np.empty(rows.size)                  # 1 - w_0, exactly rounded
        for i, sv in enumerate(s[rows].tolist()):
            _, terms = _terms(plan, tj, sv)
            total = sum(terms)
            weights[i] = [a / total for a in terms]  # int / int: correctly rounded
            rest[i] = (total - terms[0]) / total
        kk = min(tp, k_max)
        chen_u = pass_at_k_table(tp, np.arange(r), kk)
        # sum_u w_u chen(t', u, k), added in a fixed order (not a BLAS product), so a point's
        # values do not depend on k_max or on which other points share the call.
        acc = np.zeros((rows.size, kk))
        for u in range(1, r):                       # chen(t', 0, k) = 0
            acc += weights[:, u:u + 1] * chen_u[u]
        out[rows, :kk] = np.minimum(acc, 1.0)
        if k_max > tp:
            kb = min(tj, k_max) - tp
            chen = pass_at_k_table(b, np.minimum(s[rows], b), kb)   # w_0 = 0 whenever s > b
            out[rows, tp:tp + kb] = np.minimum(rest[:, None] + weights[:, :1] * chen, 1.0)
    # Exact values are nondecreasing in k; keep the float ones so (a dot product may differ by an ulp).
    return np.maximum.accumulate(out, axis=1, out=out)


def _distinct(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs, groups = np.unique(np.stack([t, s], axis=1), axis=0, return_inverse=True)
    return pairs, groups.ravel()


def adaptive_pass_at_k_table(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike, k_max: int | None = None) -> np.ndarray:
    """pass@k for k = 1..k_max (default: the cap n) at each stopping point (t[i], s[i]).

    Returns an array of shape ``(len(t), k_max)``; column ``k-1`` holds pass@k. Repeated points
    are computed once.

    Raises:
        AnalysisError: a (t, s) the plan cannot end at, or k_max outside 1..cap.
    """
    t_arr, s_arr = _points(plan, t, s)
    k = _k_max(plan, k_max)
    if t_arr.size == 0:
        return np.empty((0, k))
    pairs, groups = _distinct(t_arr, s_arr)
    table: np.ndarray = _table(plan, pairs[:, 0], pairs[:, 1], k)[groups]
    return table


def adaptive_pass_at_k(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    """Unbiased pass@k of pairs stopped at (t, s) under ``plan``, elementwise with broadcasting.

    The sequential counterpart of ``pass_at_k``; for ``AdaptivePlan.fixed(n)`` it is
    ``pass_at_k(n, s, k)``.

    >>> plan = AdaptivePlan(initial=4, successes=2, batch=1, cap=16)
    >>> round(adaptive_pass_at_k(plan, 9, 2, 1), 12)    # Haldane: (r - 1) / (t - 1)
    0.125
    """
    t_a, s_a, k_a = np.broadcast_arrays(_as_int_array("t", t), _as_int_array("s", s), _as_int_array("k", k))
    flat_t, flat_s, flat_k = t_a.ravel(), s_a.ravel(), k_a.ravel()
    _check_points(plan, flat_t, flat_s)
    if np.any(flat_k < 1):
        raise AnalysisError(f"k must be >= 1, got k={int(flat_k[flat_k < 1][0])}.")
    k_top = int(flat_k.max()) if flat_k.size else 1
    _k_max(plan, k_top)
    result = np.empty(flat_t.shape)
    if flat_t.size:
        pairs, groups = _distinct(flat_t, flat_s)
        table = _table(plan, pairs[:, 0], pairs[:, 1], k_top)
        result[:] = table[groups, flat_k - 1]
    shaped = result.reshape(t_a.shape)
    return float(shaped) if shaped.ndim == 0 else shaped


def adaptive_pass_at_1(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike) -> np.ndarray:
    """The unbiased per-problem accuracy (pass@1) of each stopping point: the histogram's input.

    It is s / t for a stop at the first check or at the cap, (r - 1) / (t - 1) for a per-sample
    plan that stopped at its r-th success (Haldane 1945) — never the biased s / t of a stop
    after the first check.
    """
    return adaptive_pass_at_k_table(plan, t, s, 1)[:, 0]


def adaptive_problem_curves(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike,
                            k_max: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Curves of the distinct stopping points of a set of problems, and how problems map to them.

    The counterpart of ``passk.problem_curves``: returns ``(curves, groups, ks)`` with
    ``curves[g, j]`` = pass@ks[j] of group g, ``groups[i]`` the group of problem i, ``ks = 1..k_max``
    (default: the cap n — every problem's pass@k is defined up to n whatever it stopped at).
    """
    t_arr, s_arr = _points(plan, t, s)
    if t_arr.size == 0:
        raise AnalysisError("no problems: cannot compute a pass@k curve of an empty set.")
    k = _k_max(plan, k_max)
    pairs, groups = _distinct(t_arr, s_arr)
    return _table(plan, pairs[:, 0], pairs[:, 1], k), groups, np.arange(1, k + 1)


def adaptive_pass_at_k_curve(plan: AdaptivePlan, t: ArrayLike, s: ArrayLike,
                             k_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean pass@k over problems for every k = 1..k_max (default: the cap). Returns ``(ks, curve)``."""
    curves, groups, ks = adaptive_problem_curves(plan, t, s, k_max)
    weights = np.bincount(groups, minlength=len(curves)).astype(np.float64)
    return ks, (weights @ curves) / weights.sum()


# --------------------------------------------------------------------------- planning: what a plan costs

@lru_cache(maxsize=64)
def _log_path_counts(plan: AdaptivePlan) -> np.ndarray:
    t, s = _stopping_points(plan)
    logs = np.empty(t.size)
    for i, (tv, sv) in enumerate(zip(t.tolist(), s.tolist())):
        count = math.comb(tv, sv) if tv == plan.initial else sum(_terms(plan, tv, sv)[1])
        logs[i] = math.log(count)
    logs.setflags(write=False)
    return logs


def stop_distribution(plan: AdaptivePlan, p: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact distribution of the stopping point for a pair whose samples are correct with probability p.

    Returns ``(t, s, prob)``: the plan's stopping points (``stopping_points``) and
    ``prob[..., i] = N(t_i, s_i) p^s_i (1 - p)^(t_i - s_i)``, with a leading axis per entry of
    ``p`` when p is an array. Each row sums to 1.
    """
    p_arr = np.asarray(p, dtype=np.float64)
    if not np.all((p_arr >= 0) & (p_arr <= 1)):
        bad = p_arr[~((p_arr >= 0) & (p_arr <= 1))].ravel()[0]
        raise AnalysisError(f"a success rate p must be in [0, 1], got p={float(bad)!r}.")
    t, s = _stopping_points(plan)
    pc = p_arr[..., None]
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(pc), np.log1p(-pc)
    # x * log(y) with 0 * log(0) = 0: p = 0 or 1 put all mass on one stopping point.
    log_prob = (_log_path_counts(plan)
                + np.where(s == 0, 0.0, s * np.where(s == 0, 0.0, log_p))
                + np.where(t - s == 0, 0.0, (t - s) * np.where(t - s == 0, 0.0, log_q)))
    return t.copy(), s.copy(), np.exp(log_prob)


def expected_cost(plan: AdaptivePlan, p: ArrayLike) -> float | np.ndarray:
    """Expected samples a pair draws under ``plan`` when each sample is correct with probability p.

    Exact (a sum over the plan's stopping points); elementwise over an array of p. Averaged over a
    previous run's per-problem rates it says what the plan would have cost; ``plan.cap`` is the
    cost of fixed-n sampling.

    >>> plan = AdaptivePlan(initial=64, successes=64, batch=64, cap=1024)
    >>> [round(float(c), 1) for c in expected_cost(plan, [0.0, 0.01, 0.1, 0.5, 1.0])]
    [1024.0, 1024.0, 671.5, 157.7, 64.0]
    """
    t, _, prob = stop_distribution(plan, p)
    cost = prob @ t.astype(np.float64)
    return float(cost) if np.ndim(cost) == 0 else cost


@lru_cache(maxsize=4)
def _full_table(plan: AdaptivePlan) -> np.ndarray:
    t, s = _stopping_points(plan)
    table = _table(plan, t, s, plan.cap)
    table.setflags(write=False)
    return table


def estimator_variance(plan: AdaptivePlan, p: ArrayLike, k_max: int | None = None) -> np.ndarray:
    """Exact variance of one pair's pass@k^ under ``plan`` for a success rate p, k = 1..k_max.

    The sampling noise of a problem with the problems held fixed (what a plan gives up against
    fixed n: compare with ``estimator_variance(AdaptivePlan.fixed(n), p)``, which is never larger:
    Chen's estimator is the best unbiased one from n samples). Absolute error about 1e-16.
    Shape ``(k_max,)`` for a scalar p, ``(len(p), k_max)`` for an array. The first call per plan
    computes all cap + 1 curves (about 0.5 s at n = 1024, checked per sample) and keeps them.

    >>> plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=8)
    >>> estimator_variance(plan, 0.5, 2).round(5).tolist()
    [0.06007, 0.06318]
    """
    k = _k_max(plan, k_max)
    p_arr = np.asarray(p, dtype=np.float64)
    _, _, prob = stop_distribution(plan, p_arr.ravel())
    table = _full_table(plan)[:, :k]
    with np.errstate(divide="ignore"):
        truth = -np.expm1(np.arange(1, k + 1) * np.log1p(-p_arr.ravel())[:, None])
    # E[g^2] - g^2 (the estimate's mean is g exactly): absolute error ~1e-16, so standard errors
    # below ~1e-8 are rounding. Plenty for planning; a few ms for 1,000 rates.
    var = np.maximum(prob @ (table * table) - truth * truth, 0.0)
    shaped: np.ndarray = var.reshape(p_arr.shape + (k,))
    return shaped


@dataclass(frozen=True)
class WhatIf:
    """What an adaptive plan would have cost on a finished fixed-n run, and what precision it keeps."""

    model: str
    benchmark: str
    plan: str
    """The plan (``AdaptivePlan.describe()``)."""
    problems: int
    fixed_samples: int
    """Samples the fixed-n run drew (n × problems)."""
    expected_samples: float
    """Expected samples under the plan, at each problem's observed success rate c/n."""
    se_fixed: tuple[float, float]
    """Conditional standard error of the mean pass@1 and pass@n with fixed n (problems held fixed)."""
    se_plan: tuple[float, float]
    """The same under the plan."""

    @property
    def fraction(self) -> float:
        return self.expected_samples / self.fixed_samples


def what_if(n: ArrayLike, c: ArrayLike, plan: AdaptivePlan, *, model: str = "", benchmark: str = "") -> WhatIf:
    """Cost and precision of ``plan`` on problems a fixed-n run sampled ``n`` times each with ``c``
    correct: expected samples at the plug-in rates p = c/n (:func:`expected_cost`) and the conditional
    standard error of the mean pass@1 and pass@n (:func:`estimator_variance`), against fixed n.

    >>> w = what_if([64] * 4, [64, 32, 1, 0], AdaptivePlan(initial=16, successes=16, batch=16, cap=64))
    >>> round(w.fraction, 3), abs(w.se_plan[1] - w.se_fixed[1]) < 1e-12   # pass@n: as precise as fixed n
    (0.715, True)
    """
    n_arr = _as_int_array("n", n).ravel()
    c_arr = _as_int_array("c", c).ravel()
    if n_arr.size == 0 or np.any(n_arr != plan.cap):
        raise AnalysisError(f"what_if needs a fixed-n run with n = the plan's cap ({plan.cap}) for every problem; "
                            f"got n in {sorted(set(n_arr.tolist()))[:5]}. Give the plan cap = n.")
    p = c_arr / n_arr
    cost = np.asarray(expected_cost(plan, p), dtype=np.float64)
    fixed = AdaptivePlan.fixed(plan.cap)
    k = plan.cap
    v_plan = np.asarray(estimator_variance(plan, p, k))
    v_fixed = np.asarray(estimator_variance(fixed, p, k))
    problems = n_arr.size

    def se(v: np.ndarray) -> tuple[float, float]:
        v = v.reshape(problems, -1)
        return (float(np.sqrt(v[:, 0].sum()) / problems), float(np.sqrt(v[:, -1].sum()) / problems))
    return WhatIf(model=model, benchmark=benchmark, plan=plan.describe(), problems=problems,
                  fixed_samples=int(n_arr.sum()), expected_samples=float(cost.sum()), se_fixed=se(v_fixed),
                  se_plan=se(v_plan))
