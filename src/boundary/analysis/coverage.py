"""Solvable-problem coverage: which problems each model solves at all, and McNemar's exact test.

At k equal to every problem's n, "solved" is exactly "at least one of the n samples correct",
and the four cells (both / only A / only B / neither) are counts of problems — the paper's
Table 2 (AIME24 at k = 1024: 19 both, 4 base only, 0 RL only, 7 neither).

At k < n we do not know which k samples "were drawn", so each cell is the *expected* number of
problems over all k-subsets: E[both] = sum_i pA_i(k) pB_i(k) with the unbiased per-problem
pass@k (the models' samples are independent). These are real-valued, and McNemar's test is then
run on the rounded discordant counts and flagged as approximate.

McNemar's exact test: under H0 each discordant problem is equally likely to favour A or B, so
p = min(1, 2 * P[Binomial(b + c, 1/2) <= min(b, c)]). AIME24, 4 vs 0: p = 0.125.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from typing import Any

import numpy as np

from boundary.analysis.passk import _as_int_array, _check_counts, pass_at_k
from boundary.errors import AnalysisError


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar (sign) test on the discordant counts.

    Examples:
        >>> mcnemar_exact(4, 0)
        0.125
        >>> round(mcnemar_exact(18, 5), 4)
        0.0106
    """
    b, c = int(only_a), int(only_b)
    if b < 0 or c < 0:
        raise AnalysisError(f"discordant counts must be >= 0, got {b} and {c}.")
    total = b + c
    if total == 0:
        return 1.0
    tail = sum(comb(total, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2 ** total)


@dataclass(frozen=True)
class Coverage:
    """Four-way split of problems by whether model A and model B solve them within k samples."""

    model_a: str
    model_b: str
    k: int
    exact: bool
    """True when k equals every problem's n: cells are counts of problems, not expectations."""
    both: float
    only_a: float
    only_b: float
    neither: float
    total: int
    p_value: float
    """Exact McNemar p-value on (only_a, only_b); on rounded expectations when ``exact`` is False."""
    ids: dict[str, list[str]] = field(default_factory=dict)
    """Problem ids in each cell (only when ``exact``)."""

    def percent(self, cell: str) -> float:
        return 100.0 * getattr(self, cell) / self.total

    def as_rows(self) -> list[dict]:
        names = {"both": "both", "only_a": f"only {self.model_a}", "only_b": f"only {self.model_b}",
                 "neither": "neither"}
        return [{"cell": names[c], "problems": getattr(self, c), "percent": self.percent(c)}
                for c in ("both", "only_a", "only_b", "neither")]


def coverage(a_n, a_c, b_n, b_c, *, k: int | None = None, model_a: str = "A", model_b: str = "B",
             problem_ids: list[str] | None = None, plans: Sequence[Any] | None = None) -> Coverage:
    """Coverage split of two models on the same problems (arrays aligned by problem).

    ``k`` defaults to the largest common n (the smallest n of any problem of either model).
    """
    a_n, a_c = _as_int_array("n", a_n).ravel(), _as_int_array("c", a_c).ravel()
    b_n, b_c = _as_int_array("n", b_n).ravel(), _as_int_array("c", b_c).ravel()
    if not (a_n.size == a_c.size == b_n.size == b_c.size):
        raise AnalysisError("coverage needs both models' counts on the same problems (equal lengths).")
    if a_n.size == 0:
        raise AnalysisError("coverage of an empty problem set is undefined.")
    _check_counts(a_n, a_c)
    _check_counts(b_n, b_c)
    # ``plans``: per model, the adaptive plan of its samples (None: fixed n); its (n, c) are then the
    # stopping points (t, s), its pass@k the sequential estimator's, defined up to the plan's cap
    pa_plan, pb_plan = plans if plans is not None else (None, None)
    k_cap = int(min(pa_plan.cap if pa_plan else a_n.min(), pb_plan.cap if pb_plan else b_n.min()))
    k = k_cap if k is None else int(k)
    if not 1 <= k <= k_cap:
        raise AnalysisError(f"coverage at k={k} needs k in 1..{k_cap} (the smallest n); sample more or lower k.")
    # exact when every problem's pass@k is 0 or 1: n = k for fixed n; k = the cap for an adaptive plan
    exact = bool((k == pa_plan.cap if pa_plan else np.all(a_n == k)) and (k == pb_plan.cap if pb_plan
                                                                           else np.all(b_n == k)))

    def at_k(n, c, plan):
        if plan is None:
            return np.asarray(pass_at_k(n, c, k))
        from boundary.analysis.adaptive import adaptive_pass_at_k
        return np.asarray(adaptive_pass_at_k(plan, n, c, k), dtype=np.float64)
    pa_, pb_ = at_k(a_n, a_c, pa_plan), at_k(b_n, b_c, pb_plan)  # 1-D: one per problem
    cells = {
        "both": pa_ * pb_, "only_a": pa_ * (1 - pb_), "only_b": (1 - pa_) * pb_,
        "neither": (1 - pa_) * (1 - pb_),
    }
    sums = {name: float(v.sum()) for name, v in cells.items()}
    ids: dict[str, list[str]] = {}
    if exact:
        sums = {name: float(round(v)) for name, v in sums.items()}
        if problem_ids is not None:
            ids = {name: [p for p, x in zip(problem_ids, v) if x > 0.5] for name, v in cells.items()}
    p = mcnemar_exact(round(sums["only_a"]), round(sums["only_b"]))
    return Coverage(model_a=model_a, model_b=model_b, k=k, exact=exact, total=int(a_n.size),
                    p_value=p, ids=ids, **sums)
