"""pass@k beyond the sampled n: beta-binomial fits, their predictions, the subsample check, power law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from boundary.analysis.extrapolate import (check_extrapolation, fit_beta_binomial, population_pass_at_k,
                                           power_law_fit, predict_pass_at_k, subsample_counts)
from boundary.analysis.passk import pass_at_k
from boundary.errors import AnalysisError


def _draw(P, n, a, b, zero_mass, seed):
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, P)
    p[rng.random(P) < zero_mass] = 0.0
    return np.full(P, n), rng.binomial(n, p)


# --------------------------------------------------------------------------- hand-computed values

@pytest.mark.parametrize("k", [1, 2, 7, 100, 5000])
def test_uniform_population_pass_at_k_is_k_over_k_plus_1(k):
    # p ~ Uniform(0,1) = Beta(1,1): 1 - E[(1-p)^k] = 1 - 1/(k+1).
    assert population_pass_at_k(1.0, 1.0, k) == pytest.approx(k / (k + 1), rel=1e-12)
    # A quarter of the problems unsolvable scales it by 3/4.
    assert population_pass_at_k(1.0, 1.0, k, zero_mass=0.25) == pytest.approx(0.75 * k / (k + 1), rel=1e-12)


def test_beta_2_1_population_by_hand():
    # p ~ Beta(2,1) (density 2p): E[(1-p)^k] = 2/((k+1)(k+2)); k=3 -> 1 - 2/20 = 0.9.
    assert population_pass_at_k(2.0, 1.0, 3) == pytest.approx(0.9, rel=1e-12)


def test_log_likelihood_matches_scipy_betabinom():
    n, c = _draw(300, 20, 0.7, 1.8, 0.0, seed=1)
    f = fit_beta_binomial(n, c)
    want = stats.betabinom.logpmf(c, n, f.alpha, f.beta).sum()
    assert f.log_likelihood == pytest.approx(want, rel=1e-9)
    z = fit_beta_binomial(n, c, zero_inflated=True)
    pmf = (1 - z.zero_mass) * stats.betabinom.pmf(c, n, z.alpha, z.beta) + z.zero_mass * (c == 0)
    assert z.log_likelihood == pytest.approx(np.log(pmf).sum(), rel=1e-9)
    # The zero-inflated model nests the plain one: its maximum likelihood is never lower.
    assert z.log_likelihood >= f.log_likelihood - 1e-6


def test_fit_is_the_maximum():
    n, c = _draw(300, 16, 0.5, 1.5, 0.0, seed=2)
    f = fit_beta_binomial(n, c)
    best = stats.betabinom.logpmf(c, n, f.alpha, f.beta).sum()
    for da, db in [(1.05, 1), (0.95, 1), (1, 1.05), (1, 0.95), (1.05, 1.05)]:
        assert stats.betabinom.logpmf(c, n, f.alpha * da, f.beta * db).sum() < best


# --------------------------------------------------------------------------- synthetic recovery

def test_beta_fit_recovers_parameters_and_predicts_4n():
    a, b, n = 0.5, 2.0, 32
    ns, cs = _draw(2000, n, a, b, 0.0, seed=3)
    f = fit_beta_binomial(ns, cs)
    assert f.alpha == pytest.approx(a, rel=0.15) and f.beta == pytest.approx(b, rel=0.2)
    ex = predict_pass_at_k(ns, cs, [n, 4 * n], zero_inflated=False, n_boot=200, seed=0)
    truth = population_pass_at_k(a, b, 4 * n)
    est, lo, hi = ex.at(4 * n)
    assert lo <= truth <= hi
    assert lo < est < hi and hi - lo < 0.1
    # Within the sampled range the fit agrees with the measured unbiased estimate.
    assert ex.at(n)[0] == pytest.approx(np.mean(pass_at_k(ns, cs, n)), abs=0.02)


def test_zero_inflated_fit_recovers_parameters_and_predicts_4n():
    a, b, pi0, n = 0.8, 2.5, 0.3, 32
    ns, cs = _draw(3000, n, a, b, pi0, seed=4)
    z = fit_beta_binomial(ns, cs, zero_inflated=True)
    assert z.zero_mass == pytest.approx(pi0, abs=0.05)
    assert z.alpha == pytest.approx(a, rel=0.25) and z.beta == pytest.approx(b, rel=0.3)
    assert z.asymptote == pytest.approx(1 - pi0, abs=0.05)
    ex = predict_pass_at_k(ns, cs, [4 * n, 64 * n], zero_inflated=True, n_boot=200, seed=0)
    truth = population_pass_at_k(a, b, 4 * n, zero_mass=pi0)
    _, lo, hi = ex.at(4 * n)
    assert lo <= truth <= hi
    # The plain beta-binomial ignores the unsolvable problems: it predicts they are eventually
    # solved, so far beyond n it overshoots the truth and the zero-inflated fit does not.
    plain = predict_pass_at_k(ns, cs, [64 * n], zero_inflated=False, n_boot=0)
    far_truth = population_pass_at_k(a, b, 64 * n, zero_mass=pi0)
    assert plain.estimate[0] > far_truth + 0.03
    assert abs(ex.at(64 * n)[0] - far_truth) < abs(plain.estimate[0] - far_truth)
    # On these data the zero-inflated model is preferred by AIC.
    assert z.aic < fit_beta_binomial(ns, cs).aic


def test_check_extrapolation_on_a_quarter_of_the_samples():
    n = 64
    ns, cs = _draw(800, n, 0.6, 2.0, 0.2, seed=5)
    chk = check_extrapolation(ns, cs, fraction=0.25, zero_inflated=True, n_boot=200, seed=1)
    assert chk.fit_samples == 16 and chk.k == n
    assert chk.measured == pytest.approx(np.mean(cs > 0))          # pass@n at k = n: any correct
    assert chk.inside and chk.lower < chk.predicted < chk.upper
    assert abs(chk.error) < 0.05


def test_subsample_counts_are_a_hypergeometric_draw():
    rng = np.random.default_rng(0)
    n = np.array([10, 10, 10, 10])
    c = np.array([0, 10, 3, 7])
    draws = np.array([subsample_counts(n, c, 4, rng) for _ in range(4000)])
    assert draws[:, 0].max() == 0 and draws[:, 1].min() == 4
    assert draws.min() >= 0 and np.all(draws <= np.minimum(c, 4))
    assert draws[:, 2].mean() == pytest.approx(4 * 3 / 10, abs=0.05)
    with pytest.raises(AnalysisError):
        subsample_counts(n, c, 11, rng)


# --------------------------------------------------------------------------- power law, errors

def test_power_law_recovers_exact_form_and_extrapolates():
    ks = np.arange(1, 257)
    curve = np.exp(-1.3 * ks ** -0.35)
    f = power_law_fit(ks, curve)
    assert (f.a, f.b) == (pytest.approx(-1.3, rel=1e-9), pytest.approx(-0.35, rel=1e-9))
    assert f.r2 == pytest.approx(1.0)
    assert f.pass_at_k(1024) == pytest.approx(np.exp(-1.3 * 1024 ** -0.35), rel=1e-9)


def test_errors():
    with pytest.raises(AnalysisError):
        fit_beta_binomial([], [])
    with pytest.raises(AnalysisError):
        fit_beta_binomial([4], [5])
    with pytest.raises(AnalysisError):
        predict_pass_at_k([4, 4], [1, 2], [0])
    with pytest.raises(AnalysisError):
        check_extrapolation([2, 2], [1, 0], fraction=0.25)          # floor(2/4) = 0 samples
    with pytest.raises(AnalysisError):
        power_law_fit(np.arange(1, 9), np.ones(8))


# 60 problems, 64 samples each (a fit on a quarter of the demo's countdown/base samples): the full
# fit has π₀ ≈ 0, where the likelihood is nearly flat in logit π₀, and many bootstrap replicates
# have their optimum at π₀ > 0 — a refit started only from the full fit stopped short of it
FLAT_PI0_COUNTS = [1, 9, 3, 4, 4, 2, 1, 5, 3, 0, 0, 0, 1, 5, 4, 1, 4, 1, 1, 4, 1, 0, 0, 0, 2, 0, 3, 2, 0, 0, 1, 1, 1,
                   1, 2, 1, 0, 3, 1, 2, 0, 3, 4, 0, 2, 5, 8, 1, 6, 0, 3, 0, 2, 1, 0, 0, 3, 2, 1, 6]


@pytest.mark.parametrize("zero_inflated", [True, False])
@pytest.mark.parametrize("data", ["flat_pi0", "beta"])
def test_bootstrap_refits_reach_the_optimum_of_every_replicate(zero_inflated, data):
    from boundary.analysis.extrapolate import _groups, _log_pmf, _refit_replicates, _slsqp, _start
    if data == "flat_pi0":
        n, c = np.full(60, 64), np.array(FLAT_PI0_COUNTS)
    else:
        rng = np.random.default_rng(3)
        p = np.where(rng.random(200) < 0.3, 0.0, rng.beta(0.5, 2.0, 200))
        n = np.full(200, 32)
        c = rng.binomial(n, p)
    gn, gc, inv, _ = _groups(n, c)
    w = np.bincount(inv, minlength=len(gn)).astype(np.float64)
    full = _slsqp(gn, gc, w, zero_inflated)
    rng = np.random.default_rng(0)
    weights = np.stack([np.bincount(inv[rng.integers(0, n.size, n.size)], minlength=len(gn)).astype(np.float64)
                        for _ in range(40)])
    starts = [full.x] + (_start(gn, gc, w, zero_inflated)[1:] if zero_inflated else [])
    X, converged = _refit_replicates(gn, gc, weights, zero_inflated, starts)
    assert converged.all()
    worse_before = 0
    for b in range(len(weights)):
        x = X[b]
        lp = _log_pmf(gn, gc, np.exp(x[0]), np.exp(x[1]), x[2] if zero_inflated else 0.0, zero_inflated)
        ours = -float(np.dot(weights[b], lp))
        best = _slsqp(gn, gc, weights[b], zero_inflated, [full.x, *_start(gn, gc, w, zero_inflated)]).fun
        assert ours <= best + 1e-4, (b, ours, best)
        worse_before += _slsqp(gn, gc, weights[b], zero_inflated, [full.x]).fun > ours + 1e-2
    if data == "flat_pi0" and zero_inflated:
        assert worse_before >= 5          # what the one-start refit missed (and the Newton refit finds)


def test_a_zero_inflated_estimate_lies_inside_its_bootstrap_interval():
    ex = predict_pass_at_k(np.full(60, 64), FLAT_PI0_COUNTS, [64, 256, 1024], zero_inflated=True, n_boot=100)
    assert np.all(ex.lower <= ex.estimate) and np.all(ex.estimate <= ex.upper)
    # the replicates with π₀ > 0 widen the interval far below the estimate at large k
    assert ex.lower[-1] < ex.estimate[-1] - 0.1
