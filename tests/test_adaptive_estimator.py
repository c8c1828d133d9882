"""The sequential-plan estimator: exact unbiasedness by enumerating every 0/1 sequence, the fixed
plan equals Chen et al.'s, stability at n = 1024, grouping, the expected cost, the plan's errors."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from boundary.adaptive_plan import AdaptivePlan
from boundary.analysis.adaptive import (
    adaptive_pass_at_1,
    adaptive_pass_at_k,
    adaptive_pass_at_k_curve,
    adaptive_pass_at_k_table,
    adaptive_problem_curves,
    estimator_variance,
    expected_cost,
    path_count,
    stop_distribution,
    stopping_points,
)
from boundary.analysis.passk import pass_at_k, pass_at_k_table
from boundary.errors import AnalysisError, InputError

# (n, m, r, batch or "doubling"): per-sample, batched (with a short last batch), doubling, r < m,
# r = 1 (first success), the fixed plan, a batch larger than what is left after m.
PLANS = [
    (12, 4, 2, 1), (12, 4, 4, 3), (16, 4, 3, 5), (16, 2, 2, "doubling"), (13, 3, 2, "doubling"),
    (10, 1, 1, 1), (8, 8, 8, 1), (14, 6, 3, 20), (16, 8, 8, 8),
]
PS = [0.0, 0.003, 0.05, 0.3, 0.5, 0.77, 0.99, 1.0]


def make_plan(n: int, m: int, r: int, b: int | str) -> AdaptivePlan:
    if b == "doubling":
        return AdaptivePlan(initial=m, successes=r, batch=None, cap=n, schedule="doubling")
    assert isinstance(b, int)
    return AdaptivePlan(initial=m, successes=r, batch=b, cap=n)


def enumerate_stops(plan: AdaptivePlan) -> dict[tuple[int, int], int]:
    """Every 0/1 sequence of length n, run through the plan by brute force: the number of distinct
    admissible prefixes ending at each stopping point (sequences that share a prefix past the stop
    are one path)."""
    n, checks = plan.cap, set(plan.check_times)
    seqs = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    running = np.cumsum(seqs, axis=1)
    stop_t = np.full(len(seqs), n)
    done = np.zeros(len(seqs), dtype=bool)
    for t in range(1, n + 1):
        if t in checks:
            hit = ~done & (running[:, t - 1] >= plan.successes)
            stop_t[hit] = t
            done |= hit
    stop_s = running[np.arange(len(seqs)), stop_t - 1]
    counts: dict[tuple[int, int], int] = {}
    for t, s in zip(stop_t.tolist(), stop_s.tolist()):
        counts[(t, s)] = counts.get((t, s), 0) + 1
    return {key: c // 2 ** (n - key[0]) for key, c in counts.items()}


@pytest.mark.parametrize("spec", PLANS, ids=lambda s: "n{}-m{}-r{}-b{}".format(*s))
def test_unbiased_for_every_k_by_enumeration(spec: tuple[int, int, int, int | str]) -> None:
    plan = make_plan(*spec)
    paths = enumerate_stops(plan)
    t, s = stopping_points(plan)
    # The plan's stopping points, and their path counts, are the enumeration's: cap + 1 of them.
    assert sorted(paths) == sorted(zip(t.tolist(), s.tolist()))
    assert len(t) == plan.cap + 1
    assert all(path_count(plan, tv, sv) == paths[(tv, sv)] for tv, sv in paths)
    table = adaptive_pass_at_k_table(plan, t, s)
    assert table.shape == (plan.cap + 1, plan.cap)
    ks = np.arange(1, plan.cap + 1)
    for p in PS:
        weight = np.array([paths[(tv, sv)] * p ** sv * (1 - p) ** (tv - sv) for tv, sv in zip(t.tolist(), s.tolist())])
        assert abs(weight.sum() - 1) < 1e-12
        expected = weight @ table
        truth = 1 - (1 - p) ** ks
        assert np.max(np.abs(expected - truth)) < 1e-12, (p, expected - truth)
        _, _, prob = stop_distribution(plan, p)
        np.testing.assert_allclose(prob, weight, rtol=1e-12, atol=1e-300)


def test_estimates_are_the_exact_rational_conditional_expectation() -> None:
    """1 - F_k / N with F_k counted by brute force over the admissible sequences, as Fractions."""
    plan = make_plan(10, 3, 2, 2)
    t, s = stopping_points(plan)
    table = adaptive_pass_at_k_table(plan, t, s)
    admissible: dict[tuple[int, int], list[tuple[int, ...]]] = {}
    for seq in itertools.product((0, 1), repeat=plan.cap):
        for check in plan.check_times:
            if plan.stops(check, sum(seq[:check])):
                admissible.setdefault((check, sum(seq[:check])), []).append(seq[:check])
                break
    for i, (tv, sv) in enumerate(zip(t.tolist(), s.tolist())):
        prefixes = sorted(set(admissible[(tv, sv)]))
        for k in range(1, plan.cap + 1):
            hits = sum(1 for q in prefixes if any(q[:k]) or (k > tv and sv > 0))
            assert abs(table[i, k - 1] - float(Fraction(hits, len(prefixes)))) < 1e-15


@pytest.mark.parametrize("n", [1, 7, 64, 1024])
def test_the_fixed_plan_is_chen(n: int) -> None:
    plan = AdaptivePlan.fixed(n)
    t, s = stopping_points(plan)
    assert set(t.tolist()) == {n} and s.tolist() == list(range(n + 1))
    got = adaptive_pass_at_k_table(plan, t, s)
    assert np.array_equal(got, pass_at_k_table(n, s))            # bit for bit
    np.testing.assert_allclose(got[:, 0], s / n, rtol=1e-14)
    rng = np.random.default_rng(0)
    cs, ks = rng.integers(0, n + 1, 50), rng.integers(1, n + 1, 50)
    assert np.array_equal(adaptive_pass_at_k(plan, n, cs, ks), pass_at_k(n, cs, ks))


def test_closed_forms_of_the_per_sample_plan() -> None:
    """b = 1: Chen with n = m at the first check, Haldane-type 1 - C(t-1-k, r-1)/C(t-1, r-1) after."""
    plan = AdaptivePlan(initial=5, successes=3, batch=1, cap=40)
    for t in range(6, 40):
        want = [1 - math.comb(t - 1 - k, 2) / math.comb(t - 1, 2) if k < t else 1.0 for k in range(1, 41)]
        np.testing.assert_allclose(adaptive_pass_at_k_table(plan, [t], [3])[0], want, rtol=1e-13, atol=1e-15)
        assert adaptive_pass_at_1(plan, [t], [3])[0] == pytest.approx(2 / (t - 1), rel=1e-14)
    for s in range(3, 6):
        row = adaptive_pass_at_k_table(plan, [5], [s])[0]
        np.testing.assert_array_equal(row[:5], pass_at_k_table(5, [s])[0])
        assert np.all(row[5:] == 1.0)
    np.testing.assert_allclose(adaptive_pass_at_k_table(plan, [40], [1])[0], pass_at_k_table(40, [1])[0], rtol=1e-13)


@pytest.mark.parametrize("plan", [
    AdaptivePlan(initial=64, successes=64, batch=1, cap=1024),
    AdaptivePlan(initial=16, successes=8, batch=32, cap=1024),
    AdaptivePlan(initial=64, successes=64, batch=None, cap=1024, schedule="doubling"),
], ids=["per-sample", "batch32", "doubling"])
def test_stable_at_n_1024(plan: AdaptivePlan) -> None:
    t, s = stopping_points(plan)
    table = adaptive_pass_at_k_table(plan, t, s)
    assert table.shape == (1025, 1024)
    assert np.all(np.isfinite(table)) and table.min() >= 0.0 and table.max() <= 1.0
    assert np.all(np.diff(table, axis=1) >= 0)                  # monotone in k
    # pass@n = 1{solved}: the event of fixed-n sampling (coverage is unchanged).
    np.testing.assert_array_equal(table[:, -1], (s > 0).astype(float))
    # Exact unbiasedness survives at this size (up to rounding) for a few p.
    for p in (0.001, 0.02, 0.2, 0.9):
        _, _, prob = stop_distribution(plan, p)
        assert abs(prob.sum() - 1) < 1e-9
        truth = 1 - (1 - p) ** np.arange(1, 1025)
        assert np.max(np.abs(prob @ table - truth)) < 1e-9


def test_grouped_table_equals_per_problem_results() -> None:
    plan = AdaptivePlan(initial=8, successes=4, batch=4, cap=64)
    rng = np.random.default_rng(1)
    all_t, all_s = stopping_points(plan)
    pick = rng.integers(0, all_t.size, 300)
    t, s = all_t[pick], all_s[pick]
    table = adaptive_pass_at_k_table(plan, t, s)
    one_by_one = np.array([adaptive_pass_at_k_table(plan, [tv], [sv])[0] for tv, sv in zip(t, s)])
    np.testing.assert_array_equal(table, one_by_one)
    curves, groups, ks = adaptive_problem_curves(plan, t, s)
    assert len(curves) == len(set(zip(t.tolist(), s.tolist())))
    np.testing.assert_array_equal(curves[groups], table)
    assert ks.tolist() == list(range(1, 65))
    ks2, curve = adaptive_pass_at_k_curve(plan, t, s)
    np.testing.assert_allclose(curve, table.mean(axis=0), rtol=1e-13)
    k = rng.integers(1, 65, 300)
    np.testing.assert_array_equal(adaptive_pass_at_k(plan, t, s, k), table[np.arange(300), k - 1])
    np.testing.assert_array_equal(adaptive_pass_at_1(plan, t, s), table[:, 0])
    assert adaptive_pass_at_k_table(plan, t, s, 10).shape == (300, 10)


def test_expected_cost_matches_enumeration_and_the_survival_form() -> None:
    for spec in [(12, 4, 2, 1), (16, 2, 2, "doubling"), (14, 6, 3, 20)]:
        plan = make_plan(*spec)
        paths = enumerate_stops(plan)
        for p in PS:
            want = sum(c * p ** s * (1 - p) ** (t - s) * t for (t, s), c in paths.items())
            assert expected_cost(plan, p) == pytest.approx(want, rel=1e-12, abs=1e-12)
    # E[T] = m + sum over later checks of (batch) * P(fewer than r correct at the previous check).
    plan = AdaptivePlan(initial=32, successes=16, batch=8, cap=1024)
    times = plan.check_times
    for p in (0.0, 0.001, 0.013, 0.1, 0.6, 1.0):
        survive = [sum(math.comb(tp, u) * p ** u * (1 - p) ** (tp - u) for u in range(16)) for tp in times[:-1]]
        want = 32 + sum((b - a) * q for a, b, q in zip(times[:-1], times[1:], survive))
        assert expected_cost(plan, p) == pytest.approx(want, rel=1e-10)
    costs = expected_cost(plan, np.array([0.0, 0.5, 1.0]))
    assert isinstance(costs, np.ndarray) and costs[0] == pytest.approx(1024) and costs[2] == pytest.approx(32)


def test_expected_cost_against_simulation() -> None:
    plan = AdaptivePlan(initial=8, successes=4, batch=4, cap=256)
    rng = np.random.default_rng(2)
    for p in (0.01, 0.05, 0.3):
        draws = rng.random((4000, plan.cap)) < p
        running = np.cumsum(draws, axis=1)
        times = np.asarray(plan.check_times)
        hit = running[:, times - 1] >= plan.successes
        first = np.where(hit.any(axis=1), times[np.argmax(hit, axis=1)], plan.cap)
        se = first.std() / math.sqrt(len(first))
        assert abs(first.mean() - expected_cost(plan, p)) < 4 * se


@pytest.mark.parametrize("spec", PLANS[:5], ids=lambda s: "n{}-m{}-r{}-b{}".format(*s))
def test_stopping_point_of_verdicts_is_the_plan_run_by_hand(spec: tuple[int, int, int, int | str]) -> None:
    plan = make_plan(*spec)
    rng = np.random.default_rng(3)
    for seq in (rng.random((300, plan.cap)) < rng.random((300, 1))).astype(int).tolist():
        t = s = 0
        for check in plan.check_times:                 # the plan, step by step as a sampler runs it
            s += sum(seq[t:check])
            t = check
            if plan.stops(t, s):
                break
        assert plan.stopping_point(seq) == (t, s)
        assert plan.stopping_point(seq[:t]) == (t, s)  # samples past the stop do not matter
        if t > plan.initial:
            partial = seq[:t - 1]                      # killed inside the last batch
            assert plan.stopping_point(partial) is None and plan.next_check(len(partial)) == t
    with pytest.raises(InputError, match=r"exceed the cap n="):
        plan.stopping_point([0] * (plan.cap + 1))


def test_plan_check_times_and_decisions() -> None:
    assert AdaptivePlan(initial=4, successes=2, batch=3, cap=12).check_times == (4, 7, 10, 12)
    assert AdaptivePlan(initial=4, successes=2, batch=1, cap=6).check_times == (4, 5, 6)
    assert AdaptivePlan(initial=5, successes=5, batch=None, cap=40, schedule="doubling").check_times == (5, 10, 20, 40)
    plan = AdaptivePlan(initial=4, successes=2, batch=3, cap=12)
    assert not plan.stops(7, 1) and plan.stops(7, 2) and plan.stops(12, 0)
    assert plan.next_check(0) == 4 and plan.next_check(10) == 12
    assert plan.check_index(7) == 1 and plan.check_index(8) == -1
    assert AdaptivePlan.fixed(10).is_fixed and not plan.is_fixed
    with pytest.raises(InputError, match=r"t=5 samples is not a check time"):
        plan.stops(5, 3)
    with pytest.raises(InputError, match=r"reached the cap"):
        plan.next_check(12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(initial=0, successes=1, batch=1, cap=8), r"initial=0 must be in 1\.\.cap=8"),
    (dict(initial=16, successes=4, batch=1, cap=8), r"initial=16 must be in 1\.\.cap=8.*Set initial <= 8, or raise n"),
    (dict(initial=4, successes=5, batch=1, cap=8), r"successes=5 must be in 1\.\.initial=4.*Set successes <= 4"),
    (dict(initial=4, successes=0, batch=1, cap=8), r"successes=0 must be in 1\.\.initial=4"),
    (dict(initial=4, successes=2, batch=0, cap=8), r"batch=0 must be >= 1.*batch=1 to check after every sample"),
    (dict(initial=4, successes=2, batch=None, cap=8), r"batch must be a whole number >= 1"),
    (dict(initial=4, successes=2, batch=4, cap=8, schedule="doubling"),
     r"batch=4 has no meaning with schedule 'doubling'"),
    (dict(initial=4, successes=2, batch=1, cap=8, schedule="halving"),
     r"schedule='halving' is not one of fixed, doubling"),
    (dict(initial=4, successes=2.5, batch=1, cap=8), r"successes must be a whole number, got 2\.5"),
    (dict(initial=4, successes=2, batch=1, cap=0), r"cap=0 must be >= 1"),
])
def test_bad_plans_are_rejected_with_the_value_the_limit_and_the_fix(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        AdaptivePlan(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("t, s, message", [
    (5, 3, r"\(t=5, s=3\).*t is not a check time of the plan \(it checks at 4, 6, 8\)"),
    (6, 1, r"stops before the cap n=8 only with >= r=2 correct"),
    (6, 4, r"would have stopped at the previous check"),
    (8, 4, r"would have stopped at the previous check"),
    (4, 5, r"s exceeds the t samples"),
    (4, -1, r"cannot be negative"),
])
def test_impossible_stopping_points_are_refused(t: int, s: int, message: str) -> None:
    plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=8)
    with pytest.raises(AnalysisError, match=message):
        adaptive_pass_at_k_table(plan, [4, t], [2, s])


def test_k_beyond_the_cap_is_refused() -> None:
    plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=8)
    with pytest.raises(AnalysisError, match=r"k_max=9 must be in 1\.\.n=8.*not estimable without a model"):
        adaptive_pass_at_k_table(plan, [4], [2], 9)
    with pytest.raises(AnalysisError, match=r"k_max=9"):
        adaptive_pass_at_k(plan, 4, 2, 9)
    with pytest.raises(AnalysisError, match=r"p=1\.5"):
        expected_cost(plan, 1.5)
    with pytest.raises(AnalysisError, match=r"no problems"):
        adaptive_problem_curves(plan, [], [])


def test_estimator_variance_by_enumeration_and_against_fixed_n() -> None:
    for spec in [(12, 4, 2, 1), (16, 2, 2, "doubling"), (14, 6, 3, 20)]:
        plan = make_plan(*spec)
        paths = enumerate_stops(plan)
        t, s = stopping_points(plan)
        table = adaptive_pass_at_k_table(plan, t, s)
        ks = np.arange(1, plan.cap + 1)
        got = estimator_variance(plan, np.array(PS))
        assert got.shape == (len(PS), plan.cap)
        for i, p in enumerate(PS):
            weight = np.array([paths[(a, b)] * p ** b * (1 - p) ** (a - b) for a, b in zip(t.tolist(), s.tolist())])
            want = weight @ (table - (1 - (1 - p) ** ks)) ** 2
            np.testing.assert_allclose(got[i], want, rtol=1e-9, atol=1e-14)
    # Chen's estimator is the best unbiased one from n samples: a plan capped at n never beats it.
    plan = AdaptivePlan(initial=16, successes=8, batch=16, cap=256)
    ps = np.array([0.001, 0.01, 0.05, 0.2, 0.6])
    adaptive, fixed = estimator_variance(plan, ps), estimator_variance(AdaptivePlan.fixed(256), ps)
    assert np.all(adaptive >= fixed - 1e-13)
    assert adaptive[3, 0] > 1.5 * fixed[3, 0]               # pass@1 of an easy problem: fewer samples
    np.testing.assert_allclose(adaptive[:, -1], fixed[:, -1], rtol=1e-9, atol=1e-15)   # pass@n: the same event
    assert estimator_variance(plan, 0.2, 4).shape == (4,)


def test_bootstrap_intervals_of_an_adaptive_run_cover_the_truth_at_the_advertised_rate():
    """200 simulated benchmarks (100 problems, rates drawn from a Beta population, each sampled under an
    adaptive plan): the 95% paired-bootstrap band of the sequential estimator covers the population's
    pass@k at k = 1, 8 and 64 in at least 90% of them; the mean samples drawn match the plan's expected cost."""
    from scipy.special import betaln

    from boundary.analysis.adaptive import expected_cost
    from boundary.analysis.bootstrap import bootstrap_curve
    plan = AdaptivePlan(initial=8, successes=8, batch=8, cap=64)
    a, b = 0.4, 1.2
    ks = [1, 8, 64]
    truth = {k: 1 - np.exp(betaln(a, b + k) - betaln(a, b)) for k in ks}
    rng = np.random.default_rng(2026)
    hits = {k: 0 for k in ks}
    drawn, expected = [], []
    reps = 200
    for r in range(reps):
        p = rng.beta(a, b, size=100)
        seqs = rng.random((100, 64)) < p[:, None]
        points = [plan.stopping_point(row.tolist()) for row in seqs]
        t = np.array([x[0] for x in points])
        s = np.array([x[1] for x in points])
        band = bootstrap_curve(t, s, n_boot=400, level=0.95, seed=r, plan=plan)
        for k in ks:
            hits[k] += band.lower[k - 1] <= truth[k] <= band.upper[k - 1]
        drawn.append(t.sum())
        expected.append(float(np.sum(expected_cost(plan, p))))
    assert all(hits[k] >= 0.90 * reps for k in ks), hits
    assert abs(np.mean(drawn) / np.mean(expected) - 1) < 0.02
    assert np.mean(drawn) < 0.75 * 100 * 64                      # the plan saved samples (~30% here)


# ------------------------------------------------------------------------- pass@k beyond n: the fits

def _stopped(plan, p, rng):
    seqs = rng.random((p.size, plan.cap)) < p[:, None]
    points = [plan.stopping_point(row.tolist()) for row in seqs]
    return np.array([x[0] for x in points]), np.array([x[1] for x in points])


def test_the_sequential_likelihood_is_the_beta_binomials_with_path_counts():
    """With a plan, each problem's likelihood is N(t, s) ∫ p^s (1 − p)^(t − s): the same maximiser as the
    beta-binomial on (t, s), a log-likelihood that differs by exactly Σ log N(t, s) − Σ log C(t, s)."""
    from boundary.analysis.extrapolate import predict_pass_at_k
    plan = AdaptivePlan(initial=4, successes=2, batch=4, cap=32)
    rng = np.random.default_rng(5)
    t, s = _stopped(plan, rng.beta(0.5, 0.8, size=300), rng)
    assert len(set(t.tolist())) > 3                               # some stopped early, some went on
    for zi in (True, False):
        seq = predict_pass_at_k(t, s, [1, 32, 128], zero_inflated=zi, n_boot=0, plan=plan)
        naive = predict_pass_at_k(t, s, [1, 32, 128], zero_inflated=zi, n_boot=0)
        assert seq.sampled_n == 32 and naive.sampled_n == int(t.min())
        assert np.allclose(seq.estimate, naive.estimate, atol=1e-6)
        shift = sum(math.log(path_count(plan, int(a), int(b))) - math.log(math.comb(int(a), int(b)))
                    for a, b in zip(t, s))
        assert shift < -1.0                                        # N < C for stops after the first check
        assert seq.fit.log_likelihood - naive.fit.log_likelihood == pytest.approx(shift, abs=1e-6)


def test_the_fit_of_adaptive_samples_recovers_the_population():
    """2,000 problems from a zero-inflated Beta population, each sampled under the plan: the fit's
    pass@k beyond the cap (k = 256, 4 × n) is within its 95% interval of the population's, as close as
    the same fit on fixed-n samples of the same problems."""
    from boundary.analysis.extrapolate import population_pass_at_k, predict_pass_at_k
    plan = AdaptivePlan(initial=8, successes=8, batch=8, cap=64)
    rng = np.random.default_rng(11)
    p = np.where(rng.random(2000) < 0.2, 0.0, rng.beta(0.6, 0.6, size=2000))
    t, s = _stopped(plan, p, rng)
    ks = [1, 64, 256]
    truth = population_pass_at_k(0.6, 0.6, np.array(ks), zero_mass=0.2)
    e = predict_pass_at_k(t, s, ks, zero_inflated=True, n_boot=60, plan=plan)
    assert t.sum() < 0.8 * 2000 * 64
    assert np.all(e.lower <= truth) and np.all(truth <= e.upper), (e.lower, e.estimate, e.upper, truth)
    assert abs(e.fit.zero_mass - 0.2) < 0.05
    fixed = predict_pass_at_k(np.full(2000, 64), (rng.random((2000, 64)) < p[:, None]).sum(1), ks,
                              zero_inflated=True, n_boot=0)
    assert np.max(np.abs(e.estimate - truth)) < max(0.02, 2 * np.max(np.abs(fixed.estimate - truth)))
