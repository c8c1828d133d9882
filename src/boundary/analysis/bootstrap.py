"""Paired bootstrap over problems: bands on pass@k curves, on their difference, and on k*.

Problems are the random unit (Miller 2024, "Adding Error Bars to Evals"): each replicate draws
P problems with replacement and recomputes the mean pass@k curve of every model on the *same*
draw, so differences between models keep their pairing. Samples inside a problem are never
resampled (duplicated samples would bias the unbiased estimator).

Cost: a replicate is a weight vector over the distinct (n, c) groups times the group-curve
matrix, so B replicates of P problems cost B x G x K with G <= n + 1 distinct counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collections.abc import Sequence

from boundary.adaptive_plan import AdaptivePlan
from boundary.analysis.adaptive import adaptive_problem_curves
from boundary.analysis.passk import problem_curves
from boundary.errors import AnalysisError

DEFAULT_N_BOOT = 2000
DEFAULT_LEVEL = 0.95
# Two curves closer than this are equal (both at 1.0, say): floating-point noise is no lead.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Band:
    """A pass@k curve with a pointwise percentile-bootstrap band."""

    ks: np.ndarray
    """k = 1..k_max."""
    estimate: np.ndarray
    """Mean pass@k over problems (the point estimate)."""
    lower: np.ndarray
    """Lower band edge at each k."""
    upper: np.ndarray
    """Upper band edge at each k."""
    level: float
    """Coverage of the band, e.g. 0.95."""

    def at(self, k: int) -> tuple[float, float, float]:
        """(estimate, lower, upper) at one k."""
        if not 1 <= k <= len(self.ks):
            raise AnalysisError(f"k={k} is outside 1..{len(self.ks)}, the range of this curve.")
        return float(self.estimate[k - 1]), float(self.lower[k - 1]), float(self.upper[k - 1])


@dataclass(frozen=True)
class Crossover:
    """The smallest k at which the reference model's pass@k is >= the other model's."""

    k: int | None
    """Point estimate; None when the reference stays behind at every k <= k_max."""
    lower: int | None
    """Lower end of the interval; None when most replicates have no crossover."""
    upper: int | None
    """Upper end; None means "beyond k_max" (too many replicates never cross)."""
    k_max: int
    level: float
    no_crossover_fraction: float
    """Share of bootstrap replicates in which the reference never catches up within k_max."""

    def describe(self) -> str:
        def fmt(v):
            return f"> {self.k_max}" if v is None else str(v)
        if self.k is None:
            return f"no crossover within k <= {self.k_max}"
        return f"k* = {self.k} ({int(self.level * 100)}% CI {fmt(self.lower)}–{fmt(self.upper)})"


@dataclass(frozen=True)
class Comparison:
    """Reference model (usually the base) against another model on the same problems."""

    reference: str
    other: str
    problems: int
    ref: Band
    oth: Band
    diff: Band
    """reference minus other; positive where the reference is ahead."""
    crossover: Crossover


def _group_sums(weights: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the problem weights (B x P) within each group -> (B x G)."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    out = np.zeros((weights.shape[0], n_groups))
    out[:, sorted_groups[starts]] = np.add.reduceat(weights[:, order], starts, axis=1)
    return out


def _replicate_weights(problems: int, n_boot: int, rng: np.random.Generator, chunk: int):
    """Yield (b x P) multiplicity matrices of bootstrap draws, chunk by chunk."""
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, problems, size=(b, problems))
        flat = (idx + problems * np.arange(b)[:, None]).ravel()
        yield np.bincount(flat, minlength=b * problems).reshape(b, problems).astype(np.float64)


def bootstrap_replicates(counts: list[tuple[np.ndarray, np.ndarray]], *, k_max: int | None = None,
                         n_boot: int = DEFAULT_N_BOOT, seed: int = 0,
                         plans: Sequence[AdaptivePlan | None] | None = None):
    """Point-estimate curves and B paired replicate curves for models on the same problems.

    Args:
        counts: one ``(n, c)`` pair of arrays per model, aligned by problem (row i = problem i).
        k_max: largest k (default: the smallest n of any model on any problem).
        plans: per model, the adaptive plan its samples were drawn with (None: fixed n). For such a
            model ``(n, c)`` are the stopping points (t, s), its per-problem curves come from the
            sequential estimator (:mod:`boundary.analysis.adaptive`), and its k reaches the plan's cap.

    Returns:
        ``(ks, estimates, replicates)`` with ``estimates[m]`` of shape (K,) and
        ``replicates[m]`` of shape (B, K).
    """
    if not counts:
        raise AnalysisError("bootstrap needs at least one model's counts.")
    sizes = {len(np.ravel(n)) for n, _ in counts}
    if len(sizes) != 1:
        raise AnalysisError(f"paired bootstrap needs the same problems for every model, got sizes {sorted(sizes)}.")
    problems = sizes.pop()
    if n_boot < 1:
        raise AnalysisError(f"n_boot must be >= 1, got {n_boot}.")
    plans = list(plans) if plans is not None else [None] * len(counts)
    if len(plans) != len(counts):
        raise AnalysisError(f"plans: one per model ({len(counts)}), got {len(plans)}.")
    k_cap = min(p.cap if p is not None else int(np.min(n)) for (n, _), p in zip(counts, plans))
    k_max = k_cap if k_max is None else k_max
    prepared = [adaptive_problem_curves(p, n, c, k_max) if p is not None else problem_curves(n, c, k_max)
                for (n, c), p in zip(counts, plans)]
    ks = prepared[0][2]
    estimates = []
    for curves, groups, _ in prepared:
        w = np.bincount(groups, minlength=len(curves)).astype(np.float64)
        estimates.append(w @ curves / problems)
    rng = np.random.default_rng(seed)
    replicates = [np.empty((n_boot, len(ks))) for _ in counts]
    chunk = max(1, min(n_boot, 2_000_000 // max(problems, 1)))
    row = 0
    for weights in _replicate_weights(problems, n_boot, rng, chunk):
        b = weights.shape[0]
        for m, (curves, groups, _) in enumerate(prepared):
            replicates[m][row:row + b] = _group_sums(weights, groups, len(curves)) @ curves / problems
        row += b
    return ks, estimates, replicates


def _band(ks, estimate, reps, level) -> Band:
    alpha = (1 - level) / 2
    lo, hi = np.quantile(reps, [alpha, 1 - alpha], axis=0)
    return Band(ks=ks, estimate=estimate, lower=lo, upper=hi, level=level)


def _first_crossing(diff: np.ndarray) -> np.ndarray:
    """Index (0-based) of the first k with diff >= 0 along the last axis, or -1 if none."""
    ok = diff >= -TIE_TOLERANCE
    first = np.argmax(ok, axis=-1)
    return np.where(ok.any(axis=-1), first, -1)


def bootstrap_curve(n, c, *, k_max: int | None = None, n_boot: int = DEFAULT_N_BOOT,
                    level: float = DEFAULT_LEVEL, seed: int = 0, plan: AdaptivePlan | None = None) -> Band:
    """Mean pass@k curve of one model with a pointwise bootstrap band (``plan``: an adaptive run's)."""
    _check_level(level)
    ks, est, reps = bootstrap_replicates([(n, c)], k_max=k_max, n_boot=n_boot, seed=seed, plans=[plan])
    return _band(ks, est[0], reps[0], level)


def compare(ref_n, ref_c, other_n, other_c, *, reference: str = "reference", other: str = "other",
            k_max: int | None = None, n_boot: int = DEFAULT_N_BOOT, level: float = DEFAULT_LEVEL,
            seed: int = 0, plans: Sequence[AdaptivePlan | None] | None = None) -> Comparison:
    """Paired comparison of two models on the same problems (arrays aligned by problem).

    The crossover k* is the smallest k at which the reference's pass@k is >= the other's (the
    paper: the base model catches up with the RL model). Its interval comes from the bootstrap
    distribution of k*; replicates that never cross count as "beyond k_max".
    """
    _check_level(level)
    ks, est, reps = bootstrap_replicates([(ref_n, ref_c), (other_n, other_c)], k_max=k_max,
                                         n_boot=n_boot, seed=seed, plans=plans)
    diff_est = est[0] - est[1]
    diff_reps = reps[0] - reps[1]
    k_max = len(ks)
    first = _first_crossing(diff_est)
    point = int(first) + 1 if first >= 0 else None
    rep_first = _first_crossing(diff_reps).astype(np.float64)
    never = rep_first < 0
    rep_k = np.where(never, np.inf, rep_first + 1)
    alpha = (1 - level) / 2
    lo = np.quantile(rep_k, alpha, method="lower")
    hi = np.quantile(rep_k, 1 - alpha, method="higher")
    crossover = Crossover(
        k=point,
        lower=None if not np.isfinite(lo) else int(lo),
        upper=None if not np.isfinite(hi) else int(hi),
        k_max=k_max, level=level, no_crossover_fraction=float(never.mean()),
    )
    return Comparison(reference=reference, other=other, problems=len(np.ravel(ref_n)),
                      ref=_band(ks, est[0], reps[0], level), oth=_band(ks, est[1], reps[1], level),
                      diff=_band(ks, diff_est, diff_reps, level), crossover=crossover)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise AnalysisError(f"confidence level must be in (0, 1), got {level}; e.g. 0.95.")
