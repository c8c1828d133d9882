"""pass@k beyond the sampled n: beta-binomial and zero-inflated beta-binomial fits, and a power law.

Model (Kazdan, Schaeffer et al. 2025, arXiv 2510.05197): problem i has an unknown success
probability p_i drawn from a population distribution, and its c_i correct of n_i samples are
Binomial(n_i, p_i). With p ~ Beta(α, β) the counts are beta-binomial::

    P(c | n) = C(n, c) · B(c + α, n − c + β) / B(α, β)

and the population pass@k for *any* k, including k far above the sampled n, is::

    pass@k = 1 − E[(1 − p)^k] = 1 − B(α, β + k) / B(α, β)

A plain Beta puts no mass at p = 0, so it predicts that every problem is solved eventually (an
upward bias at large k). The zero-inflated model adds a point mass π₀ at p = 0 (problems the model
can never solve)::

    P(c | n) = π₀ · 1[c = 0] + (1 − π₀) · BB(c | n, α, β)
    pass@k   = (1 − π₀) · (1 − B(α, β + k) / B(α, β))       → 1 − π₀ as k → ∞ ("coverage wall")

α, β (and π₀) are maximum-likelihood estimates over the problems' (n_i, c_i), which handles
unequal n_i. The interval of a prediction is a percentile bootstrap over problems (each replicate
redraws the problems with replacement and refits). ``check_extrapolation`` validates the method
on the run itself: it draws, for every problem, the correct count of a random subset of m < n of
its samples (hypergeometric: the counts a fit on the first m samples would see), fits on those,
predicts pass@n and compares with the measured (unbiased) pass@n.

Brown et al. 2024 (arXiv 2407.21787, §3.1) fit coverage against k with ``pass@k ≈ exp(a·k^b)``
(a, b < 0); ``power_law_fit`` does that by least squares of log(−log pass@k) on log k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from boundary.adaptive_plan import AdaptivePlan
from boundary.analysis.bootstrap import DEFAULT_LEVEL
from boundary.analysis.passk import _as_int_array, _check_counts, pass_at_k
from boundary.errors import AnalysisError

DEFAULT_EXTRAPOLATION_BOOT = 100
_LOG_BOUNDS = (np.log(1e-4), np.log(1e5))
_LOGIT_BOUNDS = (-25.0, 25.0)


@dataclass(frozen=True)
class BetaBinomialFit:
    """Maximum-likelihood fit of p ~ (π₀ δ₀ +) (1 − π₀) Beta(α, β) to per-problem counts."""

    alpha: float
    beta: float
    zero_mass: float
    """π₀: share of problems with p = 0 (always 0 for the plain beta-binomial)."""
    zero_inflated: bool
    log_likelihood: float
    """Log-likelihood of the counts, binomial coefficients included."""
    problems: int
    converged: bool

    @property
    def name(self) -> str:
        return "zero-inflated beta-binomial" if self.zero_inflated else "beta-binomial"

    @property
    def parameters(self) -> int:
        return 3 if self.zero_inflated else 2

    @property
    def aic(self) -> float:
        return 2 * self.parameters - 2 * self.log_likelihood

    @property
    def asymptote(self) -> float:
        """lim pass@k as k → ∞: the share of problems with p > 0."""
        return 1.0 - self.zero_mass

    @property
    def mean_p(self) -> float:
        """Population pass@1."""
        return (1.0 - self.zero_mass) * self.alpha / (self.alpha + self.beta)

    def pass_at_k(self, k) -> np.ndarray | float:
        """Population pass@k = (1 − π₀)(1 − B(α, β + k) / B(α, β)), for any k ≥ 1."""
        return population_pass_at_k(self.alpha, self.beta, k, self.zero_mass)


def population_pass_at_k(alpha, beta, k, zero_mass=0.0):
    """(1 − π₀)(1 − B(α, β + k) / B(α, β)): pass@k of a (zero-inflated) Beta population.

    Floats, or arrays that broadcast together (e.g. α, β, π₀ of shape (B, 1) against ks (1, K)).

    Examples:
        >>> round(float(population_pass_at_k(1.0, 1.0, 3)), 12)      # uniform p: k / (k + 1)
        0.75
        >>> round(float(population_pass_at_k(1.0, 1.0, 3, zero_mass=0.2)), 12)
        0.6
    """
    from scipy.special import betaln
    k_arr = np.asarray(k, dtype=np.float64)
    out = (1.0 - zero_mass) * -np.expm1(betaln(alpha, beta + k_arr) - betaln(alpha, beta))
    return float(out) if out.ndim == 0 else out


def _groups(n, c) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    if n.shape != c.shape:
        raise AnalysisError(f"n and c must have one entry per problem, got {n.size} and {c.size}.")
    if n.size == 0:
        raise AnalysisError("no problems: cannot fit a distribution of success probabilities.")
    _check_counts(n, c)
    pairs, inv = np.unique(np.stack([n, c], axis=1), axis=0, return_inverse=True)
    return pairs[:, 0].astype(np.float64), pairs[:, 1].astype(np.float64), inv.ravel(), n


def _log_sigmoid(t):
    return -np.logaddexp(0.0, -t)


def _log_binom(gn, gc):
    from scipy.special import gammaln
    return gammaln(gn + 1) - gammaln(gc + 1) - gammaln(gn - gc + 1)


def _log_pmf(gn, gc, alpha, beta, logit_pi0, zero_inflated, grad: bool = False, log_binom=None):
    """Log-probabilities of the groups' counts and, with ``grad``, their derivatives with respect
    to (log α, log β[, logit π₀]) (d/dx ln B(x, y) = ψ(x) − ψ(x + y)).

    The parameters are scalars (arrays of the groups' shape come back) or columns of shape (B, 1),
    one row per parameter set (arrays of shape (B, groups) come back, derivatives (d, B, groups))."""
    from scipy.special import betaln, digamma
    if log_binom is None:
        log_binom = _log_binom(gn, gc)
    log_bb = log_binom + betaln(gc + alpha, gn - gc + beta) - betaln(alpha, beta)
    if grad:
        common = digamma(alpha + beta) - digamma(gn + alpha + beta)
        d_la = alpha * (digamma(gc + alpha) - digamma(alpha) + common)
        d_lb = beta * (digamma(gn - gc + beta) - digamma(beta) + common)
    if not zero_inflated:
        return (log_bb, np.stack([d_la, d_lb])) if grad else log_bb
    log_pi0, log_keep = _log_sigmoid(logit_pi0), _log_sigmoid(-logit_pi0)
    zero = gc == 0                           # only these groups see π₀: the work below is on them alone
    out = log_keep + log_bb
    bb_zero = log_bb[..., zero]
    out[..., zero] = np.logaddexp(log_pi0, out[..., zero])
    if not grad:
        return out
    # c > 0: d/dt ln(1 − π₀) = −π₀. c = 0: L = π₀ + (1 − π₀) BB₀, d ln L / dt = π₀(1 − π₀)(1 − BB₀) / L,
    # and d ln L / d ln BB₀ = r = (1 − π₀) BB₀ / L.
    d_t = np.broadcast_to(-np.exp(log_pi0), out.shape).copy()
    if np.any(zero):
        out_zero = out[..., zero]
        r = np.exp(log_keep + bb_zero - out_zero)
        with np.errstate(divide="ignore"):
            d_t[..., zero] = np.exp(log_pi0 + log_keep + np.log1p(-np.exp(np.minimum(bb_zero, 0.0))) - out_zero)
        d_la, d_lb = d_la.copy(), d_lb.copy()
        d_la[..., zero] *= r
        d_lb[..., zero] *= r
    return out, np.stack([d_la, d_lb, d_t])


def _start(gn, gc, w, zero_inflated) -> list[np.ndarray]:
    p = gc / gn
    keep = (gc > 0) if zero_inflated and np.any(gc > 0) else np.ones_like(p, dtype=bool)
    ww = w * keep
    m = float(np.clip(np.sum(ww * p) / max(np.sum(ww), 1e-12), 1e-3, 1 - 1e-3))
    v = float(np.sum(ww * (p - m) ** 2) / max(np.sum(ww), 1e-12))
    s = m * (1 - m) / v - 1 if v > 1e-9 else 10.0
    s = float(np.clip(s, 0.05, 1e4))
    base = np.array([np.log(m * s), np.log((1 - m) * s)])
    base = np.clip(base, *_LOG_BOUNDS)
    if not zero_inflated:
        return [base]
    zero_frac = float(np.sum(w * (gc == 0)) / np.sum(w))
    starts = [np.r_[base, -6.0]]
    if zero_frac > 0:
        pi0 = float(np.clip(0.8 * zero_frac, 1e-3, 1 - 1e-3))
        starts.append(np.r_[base, np.log(pi0 / (1 - pi0))])
    return starts


def _fit_groups(gn, gc, w, zero_inflated: bool, starts: list[np.ndarray] | None = None, log_count=None):
    """The maximum-likelihood fit (scipy's result object) from each start (default ``_start``'s), the
    best of SLSQP's and of a Newton polish from its optimum and the starts: near π₀ = 0 the
    likelihood is nearly flat in logit π₀ and SLSQP can stop short of the optimum."""
    res = _slsqp(gn, gc, w, zero_inflated, starts, log_count)
    if not np.all(np.isfinite(res.x)):
        return res
    first = starts if starts is not None else _start(gn, gc, w, zero_inflated)
    X, converged = _refit_replicates(gn, gc, np.asarray(w, dtype=np.float64)[None], zero_inflated,
                                     [res.x, *first], log_count)
    if converged[0]:
        a, b = np.exp(X[0, 0]), np.exp(X[0, 1])
        t = X[0, 2] if zero_inflated else 0.0
        lp = _log_pmf(gn, gc, a, b, t, zero_inflated,
                      log_binom=_log_binom(gn, gc) if log_count is None else log_count)
        f = -float(np.dot(w, lp))
        if f < res.fun:
            res.x, res.fun, res.success = X[0], f, True
    return res


def _slsqp(gn, gc, w, zero_inflated: bool, starts: list[np.ndarray] | None = None, log_count=None):
    from scipy.optimize import minimize

    log_binom = _log_binom(gn, gc) if log_count is None else log_count

    def nll(theta):
        a, b = np.exp(theta[0]), np.exp(theta[1])
        t = theta[2] if zero_inflated else 0.0
        lp, g = _log_pmf(gn, gc, a, b, t, zero_inflated, grad=True, log_binom=log_binom)
        return -float(np.dot(w, lp)), -(g @ w)

    bounds = [_LOG_BOUNDS, _LOG_BOUNDS] + ([_LOGIT_BOUNDS] if zero_inflated else [])
    best = None
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        for x0 in starts if starts is not None else _start(gn, gc, w, zero_inflated):
            res = minimize(nll, x0, jac=True, method="SLSQP", bounds=bounds)
            if best is None or res.fun < best.fun:
                best = res
    return best


def _refit_replicates(gn, gc, weights: np.ndarray, zero_inflated: bool, starts: list[np.ndarray],
                      log_count=None) -> tuple[np.ndarray, np.ndarray]:
    """The maximum-likelihood parameters of every row of ``weights`` (bootstrap replicates of the
    groups' counts), all rows at once, from each of ``starts``; per row the best converged optimum.

    Several starts matter for the zero-inflated model: from the full data's optimum with π₀ ≈ 0 the
    likelihood is nearly flat in logit π₀, and a replicate whose optimum has π₀ > 0 is found from a
    start with π₀ > 0 (from one start, SLSQP left replicates of the demo up to 1.8 in log-likelihood
    short of their optimum). Returns the parameters (B, d) and which rows converged from some start;
    the caller refits the others with ``_slsqp``.
    """
    best_x = np.zeros((weights.shape[0], 3 if zero_inflated else 2))
    best_f = np.full(weights.shape[0], np.inf)
    for x0 in starts:
        X, f, converged = _newton_rows(gn, gc, weights, zero_inflated, x0, log_count)
        better = converged & (f < best_f)
        best_x[better], best_f[better] = X[better], f[better]
    return best_x, np.isfinite(best_f)


def _newton_rows(gn, gc, weights: np.ndarray, zero_inflated: bool, x0: np.ndarray, log_count=None,
                 *, max_iter: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A projected Newton method from ``x0`` for every row of ``weights`` at once, inside the bounds
    of ``_fit_groups``: the parameters (B, d), the negative log-likelihoods (B,) and which rows
    converged (a projected gradient below 1e-6 per problem).

    The Hessian is the forward difference of the analytic gradient; one that is not positive
    definite is shifted until it is, and every step backtracks until the likelihood rises (Armijo).
    A replicate costs what ~10 evaluations of a (B, groups) array cost, against one scipy
    ``minimize`` call (~1 ms) per replicate.
    """
    B, d = weights.shape[0], (3 if zero_inflated else 2)
    lo = np.array([_LOG_BOUNDS[0]] * 2 + ([_LOGIT_BOUNDS[0]] if zero_inflated else []))
    hi = np.array([_LOG_BOUNDS[1]] * 2 + ([_LOGIT_BOUNDS[1]] if zero_inflated else []))
    log_binom = _log_binom(gn, gc) if log_count is None else log_count
    tol = 1e-6 * weights.sum(axis=1)

    def f_and_g(X, W):
        lp, g = _log_pmf(gn, gc, np.exp(X[:, :1]), np.exp(X[:, 1:2]), X[:, 2:3] if zero_inflated else 0.0,
                         zero_inflated, grad=True, log_binom=log_binom)
        return -(lp * W).sum(axis=1), -(g * W).sum(axis=2).T

    X = np.tile(np.clip(np.asarray(x0, dtype=np.float64)[:d], lo, hi), (B, 1))
    converged = np.zeros(B, dtype=bool)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        f, g = f_and_g(X, weights)
        todo = np.arange(B)
        for _ in range(max_iter):
            Xa, fa, ga, Wa = X[todo], f[todo], g[todo], weights[todo]
            # a coordinate on its bound whose gradient pushes outwards stays there (the active set)
            held = ((Xa <= lo + 1e-9) & (ga > 0)) | ((Xa >= hi - 1e-9) & (ga < 0))
            pg = np.where(held, 0.0, ga)
            ok = np.all(np.isfinite(pg), axis=1) & np.isfinite(fa)
            done = ok & (np.abs(pg).max(axis=1) <= tol[todo])
            converged[todo[done]] = True
            keep = ok & ~done
            todo, Xa, fa, pg, held, Wa = todo[keep], Xa[keep], fa[keep], pg[keep], held[keep], Wa[keep]
            if todo.size == 0:
                break
            H = np.empty((todo.size, d, d))
            ga = g[todo]
            for j in range(d):               # forward differences: exact enough for the direction
                h = 1e-6 * np.maximum(1.0, np.abs(Xa[:, j]))
                step = np.zeros_like(Xa)
                step[:, j] = h
                H[:, :, j] = (f_and_g(Xa + step, Wa)[1] - ga) / h[:, None]
            H = 0.5 * (H + H.transpose(0, 2, 1))
            free = ~held
            H = np.where(free[:, :, None] & free[:, None, :], H, np.eye(d)[None])
            H = np.where(np.isfinite(H), H, 0.0)
            low = np.linalg.eigvalsh(H)[:, 0]
            scale = np.maximum(1.0, np.abs(H).max(axis=(1, 2)))
            shift = np.where(low < 1e-8 * scale, 1e-6 * scale - low, 0.0)
            p = -np.linalg.solve(H + shift[:, None, None] * np.eye(d)[None], pg[:, :, None])[:, :, 0]
            t = np.ones(todo.size)
            moved = np.zeros(todo.size, dtype=bool)
            for _ in range(40):              # backtracking until the objective falls (Armijo)
                trial = ~moved
                Xt = np.clip(Xa[trial] + t[trial, None] * p[trial], lo, hi)
                ft, gt = f_and_g(Xt, Wa[trial])
                good = np.isfinite(ft) & (ft <= fa[trial] + 1e-4 * np.sum(pg[trial] * (Xt - Xa[trial]), axis=1))
                idx = np.flatnonzero(trial)[good]
                X[todo[idx]], f[todo[idx]], g[todo[idx]] = Xt[good], ft[good], gt[good]
                moved[idx] = True
                t[np.flatnonzero(trial)[~good]] *= 0.5
                if moved.all():
                    break
            todo = todo[moved]               # a row that cannot descend is left to _slsqp
    return X, f, converged


def _fit_from_result(res, zero_inflated: bool, problems: int) -> BetaBinomialFit:
    th = res.x
    pi0 = float(1.0 / (1.0 + np.exp(-th[2]))) if zero_inflated else 0.0
    if zero_inflated and pi0 < 1e-9:
        pi0 = 0.0
    return BetaBinomialFit(alpha=float(np.exp(th[0])), beta=float(np.exp(th[1])), zero_mass=pi0,
                           zero_inflated=zero_inflated, log_likelihood=-float(res.fun), problems=problems,
                           converged=bool(res.success))


def fit_beta_binomial(n, c, *, zero_inflated: bool = False) -> BetaBinomialFit:
    """Maximum-likelihood (zero-inflated) beta-binomial fit to per-problem counts (n_i, c_i).

    Examples:
        >>> f = fit_beta_binomial([10] * 4, [0, 3, 7, 10])
        >>> f.alpha > 0 and f.beta > 0 and f.zero_mass == 0.0
        True
    """
    gn, gc, inv, n_arr = _groups(n, c)
    w = np.bincount(inv, minlength=len(gn)).astype(np.float64)
    return _fit_from_result(_fit_groups(gn, gc, w, zero_inflated), zero_inflated, int(n_arr.size))


@dataclass(frozen=True)
class Extrapolation:
    """Predicted pass@k of one model at k up to (and beyond) the sampled n, with a bootstrap interval."""

    model: str
    fit: BetaBinomialFit
    ks: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float
    n_boot: int
    sampled_n: int
    """The smallest n among the problems: measured pass@k exists up to here."""

    def at(self, k: int) -> tuple[float, float, float]:
        idx = np.flatnonzero(self.ks == k)
        if idx.size == 0:
            raise AnalysisError(f"k={k} is not among the predicted ks of {self.model}.")
        i = int(idx[0])
        return float(self.estimate[i]), float(self.lower[i]), float(self.upper[i])


def extrapolation_ks(k_max: int, k_target: int) -> np.ndarray:
    """k grid of a prediction: powers of two, k_max, k_target and ~48 log-spaced points up to k_target."""
    if k_target < 1:
        raise AnalysisError(f"k_target must be >= 1, got {k_target}.")
    grid = np.unique(np.round(np.logspace(0, np.log10(k_target), 48)).astype(np.int64))
    pow2 = 1 << np.arange(int(np.log2(k_target)) + 1)
    return np.unique(np.r_[grid, pow2, [k_max, k_target]]).astype(np.int64)


def predict_pass_at_k(n, c, ks=None, *, k_target: int | None = None, zero_inflated: bool = True,
                      n_boot: int = DEFAULT_EXTRAPOLATION_BOOT, level: float = DEFAULT_LEVEL, seed: int = 0,
                      model: str = "model", plan: AdaptivePlan | None = None) -> Extrapolation:
    """Fit a (zero-inflated) beta-binomial to (n_i, c_i) and predict pass@k at ``ks``.

    ``ks`` default: a log grid up to ``k_target`` (default 4 × the smallest n). The interval is a
    percentile bootstrap over problems with ``n_boot`` refits (0: no interval).

    ``plan``: the counts are an adaptive model's stopping points (t_i, s_i) under this sequential
    plan. Their likelihood is the sequential one: a stopped sequence has probability
    N(t, s) p^s (1 − p)^(t − s) given p, N the plan's path count
    (:func:`boundary.analysis.adaptive.path_count`), so each problem's marginal is the
    beta-binomial's with N(t, s) in place of C(t, s). The stopping rule looks only at the draws, so
    N does not depend on (α, β, π₀): the same parameters maximise it (the likelihood principle),
    and the fit's log-likelihood is exact. Measured pass@k then exists up to the plan's cap.
    """
    gn, gc, inv, n_arr = _groups(n, c)
    sampled_n = int(n_arr.min()) if plan is None else plan.cap
    log_count = None
    if plan is not None:
        from boundary.analysis.adaptive import path_count
        log_count = np.array([math.log(path_count(plan, int(t), int(x))) for t, x in zip(gn, gc)])
    if ks is None:
        ks = extrapolation_ks(sampled_n, k_target or 4 * sampled_n)
    ks = _as_int_array("k", ks).ravel()
    if np.any(ks < 1):
        raise AnalysisError("every k must be >= 1.")
    w = np.bincount(inv, minlength=len(gn)).astype(np.float64)
    res = _fit_groups(gn, gc, w, zero_inflated, log_count=log_count)
    fit = _fit_from_result(res, zero_inflated, int(n_arr.size))
    est = np.asarray(fit.pass_at_k(ks), dtype=np.float64)
    lo, hi = est.copy(), est.copy()
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        P = n_arr.size
        weights = np.stack([np.bincount(inv[rng.integers(0, P, P)], minlength=len(gn)).astype(np.float64)
                            for _ in range(n_boot)])
        # from the full data's optimum, and (zero-inflated) from the data's start with π₀ > 0
        starts = [res.x] + (_start(gn, gc, w, zero_inflated)[1:] if zero_inflated else [])
        X, converged = _refit_replicates(gn, gc, weights, zero_inflated, starts, log_count)
        for b in np.flatnonzero(~converged):       # rare: the one-at-a-time optimizer
            X[b] = _slsqp(gn, gc, weights[b], zero_inflated, [res.x], log_count).x
        pi0 = 1.0 / (1.0 + np.exp(-X[:, 2])) if zero_inflated else np.zeros(n_boot)
        pi0 = np.where(pi0 < 1e-9, 0.0, pi0)
        reps = np.asarray(population_pass_at_k(np.exp(X[:, :1]), np.exp(X[:, 1:2]), ks[None, :], pi0[:, None]))
        alpha = (1 - level) / 2
        lo, hi = np.quantile(reps, [alpha, 1 - alpha], axis=0)
    return Extrapolation(model=model, fit=fit, ks=ks, estimate=est, lower=np.asarray(lo), upper=np.asarray(hi),
                         level=level, n_boot=n_boot, sampled_n=sampled_n)


@dataclass(frozen=True)
class ExtrapolationCheck:
    """A fit on m < n samples per problem, its prediction of pass@k at k = n, and the measured value."""

    model: str
    zero_inflated: bool
    fit_samples: int
    """m: samples per problem the fit saw."""
    k: int
    """The predicted k (the smallest n of the run)."""
    predicted: float
    lower: float
    upper: float
    measured: float
    """Unbiased pass@k from all n samples."""
    level: float

    @property
    def inside(self) -> bool:
        return self.lower <= self.measured <= self.upper

    @property
    def error(self) -> float:
        return self.predicted - self.measured


def subsample_counts(n, c, m: int, rng: np.random.Generator) -> np.ndarray:
    """Correct counts of a uniformly random m-subset of each problem's n samples (hypergeometric)."""
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    _check_counts(n, c)
    if not 1 <= m <= int(n.min()):
        raise AnalysisError(f"a subsample of m={m} needs 1 <= m <= the smallest n={int(n.min())}.")
    return rng.hypergeometric(c, n - c, m).astype(np.int64)


def check_extrapolation(n, c, *, fraction: float = 0.25, zero_inflated: bool = True,
                        n_boot: int = DEFAULT_EXTRAPOLATION_BOOT, level: float = DEFAULT_LEVEL, seed: int = 0,
                        model: str = "model") -> ExtrapolationCheck:
    """Fit on ``fraction`` of each problem's samples, predict pass@n, compare with the measured pass@n."""
    n_arr = _as_int_array("n", n).ravel()
    c_arr = _as_int_array("c", c).ravel()
    _check_counts(n_arr, c_arr)
    k = int(n_arr.min())
    m = int(np.floor(k * fraction))
    if not 0 < fraction < 1 or m < 1 or m >= k:
        raise AnalysisError(f"cannot fit on a fraction {fraction} of n={k} samples per problem "
                            "(need at least 1 and fewer than n).")
    rng = np.random.default_rng(seed)
    sub = subsample_counts(n_arr, c_arr, m, rng)
    ex = predict_pass_at_k(np.full(n_arr.shape, m), sub, [k], zero_inflated=zero_inflated, n_boot=n_boot,
                           level=level, seed=seed, model=model)
    measured = float(np.mean(pass_at_k(n_arr, c_arr, k)))
    return ExtrapolationCheck(model=model, zero_inflated=zero_inflated, fit_samples=m, k=k,
                              predicted=float(ex.estimate[0]), lower=float(ex.lower[0]), upper=float(ex.upper[0]),
                              measured=measured, level=level)


@dataclass(frozen=True)
class PowerLawFit:
    """Brown et al. (2024): pass@k ≈ exp(a · k^b), fitted on log(−log pass@k) = log(−a) + b log k."""

    a: float
    b: float
    k_min: int
    k_max: int
    r2: float
    """Coefficient of determination of the linear fit in log-log space."""

    def pass_at_k(self, k) -> np.ndarray | float:
        k_arr = np.asarray(k, dtype=np.float64)
        out = np.exp(self.a * k_arr ** self.b)
        return float(out) if out.ndim == 0 else out


def power_law_fit(ks, curve, *, points: int = 40) -> PowerLawFit:
    """Fit ``pass@k ≈ exp(a k^b)`` to a measured curve on ``points`` log-spaced ks (Brown et al. 2024).

    Points with pass@k of exactly 0 or 1 carry no information for the fit and are left out.

    Examples:
        >>> ks = np.arange(1, 65); f = power_law_fit(ks, np.exp(-0.9 * ks ** -0.4))
        >>> round(f.a, 6), round(f.b, 6)
        (-0.9, -0.4)
    """
    ks = np.asarray(ks, dtype=np.float64).ravel()
    curve = np.asarray(curve, dtype=np.float64).ravel()
    if ks.shape != curve.shape or ks.size == 0:
        raise AnalysisError("power_law_fit needs one pass@k value per k.")
    idx = np.unique(np.round(np.logspace(0, np.log10(ks.size), points)).astype(int) - 1)
    x, y = ks[idx], curve[idx]
    ok = (y > 0) & (y < 1 - 1e-12)
    if ok.sum() < 2:
        raise AnalysisError("power_law_fit needs at least two ks with 0 < pass@k < 1.")
    lx, ly = np.log(x[ok]), np.log(-np.log(y[ok]))
    b, intercept = np.polyfit(lx, ly, 1)
    pred = intercept + b * lx
    ss_res = float(np.sum((ly - pred) ** 2))
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return PowerLawFit(a=-float(np.exp(intercept)), b=float(b), k_min=int(x[ok][0]), k_max=int(x[ok][-1]), r2=r2)


__all__ = ["BetaBinomialFit", "Extrapolation", "ExtrapolationCheck", "PowerLawFit", "population_pass_at_k",
           "fit_beta_binomial", "predict_pass_at_k", "check_extrapolation", "subsample_counts",
           "power_law_fit", "extrapolation_ks", "DEFAULT_EXTRAPOLATION_BOOT"]
