"""Budget matching: pass@k against generated tokens per problem, so models are compared at equal cost.

pass@k compares models at equal *numbers of samples*; a model whose answers are twice as long pays
twice as much for each sample. Following Brown et al. 2024 (arXiv 2407.21787, §2.3: coverage
against inference cost instead of k) and methods.md §2.G ("token-budget-matched pass@k"), a budget
of B generated tokens per problem buys model m

    k_m(B) = B / L̄_m       samples, L̄_m = mean completion tokens per sample of m on the benchmark

(``per_problem=True``: k_{m,i}(B) = B / L̄_{m,i} with each problem's own mean length, so a model
that writes long answers on hard problems pays more there), and its budget-matched coverage is

    pass_m(B) = mean_i pass_i@k_m(B)

with the unbiased per-problem pass@k (Chen et al. 2021) interpolated linearly between the integer
k around a fractional k. pass_m(B) is defined for 1 ≤ k ≤ n, i.e. from one sample's cost to n
samples' cost. Truncated samples count with their tokens (they were paid for).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from boundary.analysis.bootstrap import TIE_TOLERANCE
from boundary.analysis.passk import _as_int_array, _check_counts, pass_at_k_curve, problem_curves
from boundary.errors import AnalysisError

DEFAULT_POINTS = 64


def _interp_rows(curves: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Row i of ``curves`` (pass@1..k_max) at fractional k[i], linearly between the integers."""
    k_max = curves.shape[1]
    k = np.clip(k, 1.0, float(k_max))
    lo = np.floor(k).astype(np.int64)
    hi = np.minimum(lo + 1, k_max)
    frac = k - lo
    rows = np.arange(curves.shape[0])
    return curves[rows, lo - 1] * (1 - frac) + curves[rows, hi - 1] * frac


@dataclass(frozen=True)
class BudgetCurve:
    """Budget-matched pass of one model: ``estimate[j]`` at ``budgets[j]`` tokens per problem (NaN
    where the budget buys less than one sample or more than n)."""

    model: str
    mean_tokens: float
    """Mean completion tokens per sample (L̄_m)."""
    budgets: np.ndarray
    estimate: np.ndarray
    k: np.ndarray
    """Samples per problem the budget buys (B / L̄_m; NaN outside the defined range)."""
    min_budget: float
    max_budget: float
    per_problem: bool

    def at(self, budget: float) -> float:
        """Budget-matched pass at a budget inside the computed grid (linear between grid budgets, as k is)."""
        ok = np.isfinite(self.estimate)
        if not ok.any() or not (self.budgets[ok][0] * (1 - 1e-9) <= budget <= self.budgets[ok][-1] * (1 + 1e-9)):
            raise AnalysisError(f"{self.model}: budget {budget:.0f} is outside the computed range "
                                f"{self.min_budget:.0f}–{self.max_budget:.0f} tokens per problem.")
        return float(np.interp(budget, self.budgets[ok], self.estimate[ok]))


def budget_curve(n, c, tokens, budgets, *, model: str = "model", per_problem: bool = False) -> BudgetCurve:
    """Budget-matched pass of one model at ``budgets`` (tokens per problem).

    Args:
        n, c: samples and correct samples per problem.
        tokens: mean completion tokens per sample of each problem (aligned with n).
        budgets: token budgets per problem.
        per_problem: use each problem's own mean length (default: the model's mean over problems,
            weighted by samples).
    """
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    _check_counts(n, c)
    tok = np.asarray(tokens, dtype=np.float64).ravel()
    if tok.shape != n.shape:
        raise AnalysisError("budget_curve needs one mean token count per problem.")
    if not np.all(np.isfinite(tok)) or np.any(tok <= 0):
        raise AnalysisError("mean token counts must be positive numbers (a problem has no token counts?).")
    budgets = np.asarray(budgets, dtype=np.float64).ravel()
    k_max = int(n.min())
    mean_tokens = float(np.sum(tok * n) / np.sum(n))
    est = np.full(budgets.shape, np.nan)
    if per_problem:
        lo_b, hi_b = float(tok.max()), float(k_max * tok.min())
        k = np.full(budgets.shape, np.nan)
        ok = (budgets >= lo_b * (1 - 1e-12)) & (budgets <= hi_b * (1 + 1e-12))
        if np.any(ok):
            curves, groups, _ = problem_curves(n, c, k_max)
            per = curves[groups]                                   # P x k_max
            for j in np.flatnonzero(ok):
                est[j] = float(np.mean(_interp_rows(per, budgets[j] / tok)))
            k[ok] = budgets[ok] / mean_tokens
    else:
        lo_b, hi_b = mean_tokens, k_max * mean_tokens
        k = budgets / mean_tokens
        ok = (k >= 1 - 1e-12) & (k <= k_max * (1 + 1e-12))
        ks, curve = pass_at_k_curve(n, c, k_max)
        est[ok] = np.interp(k[ok], ks, curve)
        k = np.where(ok, k, np.nan)
    return BudgetCurve(model=model, mean_tokens=mean_tokens, budgets=budgets, estimate=est, k=k,
                       min_budget=lo_b, max_budget=hi_b, per_problem=per_problem)


@dataclass(frozen=True)
class BudgetComparison:
    """Reference against another model at equal tokens per problem."""

    reference: str
    other: str
    length_ratio: float
    """Mean answer length of other / reference."""
    budget: float | None
    """The largest budget both curves reach (None: their budget ranges do not overlap)."""
    reference_pass: float | None
    other_pass: float | None
    reference_k: float | None
    other_k: float | None
    crossover_budget: float | None
    """Smallest budget on the common grid at which the reference is at least level with the other
    model, when the other model leads at the smallest common budget; None otherwise."""
    other_leads_at_start: bool
    problems: int


@dataclass(frozen=True)
class BudgetAnalysis:
    budgets: np.ndarray
    curves: dict[str, BudgetCurve]
    comparisons: list[BudgetComparison] = field(default_factory=list)
    per_problem: bool = False


def budget_grid(curves_ranges: list[tuple[float, float]], points: int = DEFAULT_POINTS) -> np.ndarray:
    """Log-spaced budgets covering every model's [min, max] range (both ends included)."""
    lo = min(r[0] for r in curves_ranges)
    hi = max(r[1] for r in curves_ranges)
    ends = sorted({float(x) for r in curves_ranges for x in r})
    grid = np.geomspace(lo, hi, points) if hi > lo else np.array([lo])
    return np.unique(np.r_[grid, ends])


def budget_analysis(models: dict[str, tuple], *, reference: str | None = None, per_problem: bool = False,
                    points: int = DEFAULT_POINTS) -> BudgetAnalysis:
    """Budget-matched curves of several models on one benchmark, and the reference against each.

    ``models`` maps a name to ``(problem_ids, n, c, mean_tokens)`` (arrays aligned by problem).
    Comparisons use the problems both models have.
    """
    if not models:
        raise AnalysisError("budget matching needs at least one model with token counts.")
    ranges = {}
    for m, (_, n, _, tok) in models.items():
        tok = np.asarray(tok, dtype=np.float64)
        n = np.asarray(n)
        if per_problem:
            ranges[m] = (float(tok.max()), float(n.min() * tok.min()))
        else:
            mt = float(np.sum(tok * n) / np.sum(n))
            ranges[m] = (mt, float(n.min()) * mt)
    usable = {m: r for m, r in ranges.items() if r[1] >= r[0] * (1 - 1e-12)}
    if not usable:
        raise AnalysisError("no model's budget range is defined (per-problem lengths vary too much "
                            "for n samples); use the mean-length mode.")
    grid = budget_grid(list(usable.values()), points)
    curves = {m: budget_curve(n, c, tok, grid, model=m, per_problem=per_problem)
              for m, (_, n, c, tok) in models.items() if m in usable}
    comparisons = []
    if reference is not None and reference in curves:
        rid, rn, rc, rt = models[reference]
        rpos = {p: i for i, p in enumerate(rid)}
        for m, (oid, on, oc, ot) in models.items():
            if m == reference or m not in curves:
                continue
            common = [p for p in oid if p in rpos]
            if not common:
                continue
            oi = {p: i for i, p in enumerate(oid)}
            ri = np.array([rpos[p] for p in common])
            mi = np.array([oi[p] for p in common])
            rcv = budget_curve(np.asarray(rn)[ri], np.asarray(rc)[ri], np.asarray(rt)[ri], grid, model=reference,
                               per_problem=per_problem)
            ocv = budget_curve(np.asarray(on)[mi], np.asarray(oc)[mi], np.asarray(ot)[mi], grid, model=m,
                               per_problem=per_problem)
            comparisons.append(_compare(rcv, ocv, len(common)))
    return BudgetAnalysis(budgets=grid, curves=curves, comparisons=comparisons, per_problem=per_problem)


def _compare(ref: BudgetCurve, oth: BudgetCurve, problems: int) -> BudgetComparison:
    lo, hi = max(ref.min_budget, oth.min_budget), min(ref.max_budget, oth.max_budget)
    ratio = oth.mean_tokens / ref.mean_tokens
    if hi < lo * (1 - 1e-12):
        return BudgetComparison(reference=ref.model, other=oth.model, length_ratio=ratio, budget=None,
                                reference_pass=None, other_pass=None, reference_k=None, other_k=None,
                                crossover_budget=None, other_leads_at_start=False, problems=problems)
    both = np.isfinite(ref.estimate) & np.isfinite(oth.estimate)
    d = ref.estimate[both] - oth.estimate[both]
    b = ref.budgets[both]
    leads = bool(d.size and d[0] < -TIE_TOLERANCE)
    cross = None
    if leads:
        at = np.flatnonzero(d >= -TIE_TOLERANCE)
        cross = float(b[at[0]]) if at.size else None
    return BudgetComparison(reference=ref.model, other=oth.model, length_ratio=ratio, budget=hi,
                            reference_pass=ref.at(hi), other_pass=oth.at(hi),
                            reference_k=hi / ref.mean_tokens, other_k=hi / oth.mean_tokens,
                            crossover_budget=cross, other_leads_at_start=leads, problems=problems)


def run_token_means(run) -> dict[tuple[str, str], dict[str, float]] | None:
    """Mean completion tokens per sample for every (model, benchmark) → {problem_id: mean}, from the
    samples' ``completion_tokens`` column (read shard by shard, never the text). None when the run
    has no samples with token counts."""
    import pyarrow as pa
    keys = ["model", "benchmark", "problem_id"]
    parts = []
    for t in run.iter_shards("samples", keys + ["completion_tokens"]):
        t = t.filter(t["completion_tokens"].is_valid())
        if t.num_rows:
            parts.append(t.group_by(keys).aggregate([("completion_tokens", "sum"), ("completion_tokens", "count")]))
    if not parts:
        return None
    g = pa.concat_tables(parts).group_by(keys).aggregate([("completion_tokens_sum", "sum"),
                                                          ("completion_tokens_count", "sum")])
    out: dict[tuple[str, str], dict[str, float]] = {}
    for m, b, p, s, c in zip(g["model"].to_pylist(), g["benchmark"].to_pylist(), g["problem_id"].to_pylist(),
                             g["completion_tokens_sum_sum"].to_pylist(), g["completion_tokens_count_sum"].to_pylist()):
        if c:
            out.setdefault((m, b), {})[p] = s / c
    return out or None


__all__ = ["BudgetCurve", "BudgetComparison", "BudgetAnalysis", "budget_curve", "budget_analysis", "budget_grid",
           "run_token_means", "DEFAULT_POINTS"]
