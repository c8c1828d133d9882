"""Budget matching: pass@k against generated tokens per problem."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis.budget import budget_analysis, budget_curve, run_token_means
from boundary.analysis.passk import pass_at_k
from boundary.errors import AnalysisError

# Two problems, 4 samples each, c = (2, 0): pass@1 = 0.25, pass@2 = (1 - 1/6)/2 = 5/12,
# pass@3 = pass@4 = 0.5 (n - c = 2 < k draws cannot all be wrong).
N, C = [4, 4], [2, 0]


def test_hand_computed_budgets():
    short = budget_curve(N, C, [100, 100], [100, 200, 300, 400], model="short")
    long = budget_curve(N, C, [200, 200], [100, 200, 300, 400], model="long")
    # 100 tokens per answer: budget B buys k = B/100 samples.
    assert short.estimate == pytest.approx([0.25, 5 / 12, 0.5, 0.5])
    assert short.k.tolist() == [1, 2, 3, 4]
    # 200 tokens per answer: 100 tokens buy half a sample (undefined), 300 buy 1.5 (interpolated).
    assert np.isnan(long.estimate[0])
    assert long.estimate[1:] == pytest.approx([0.25, (0.25 + 5 / 12) / 2, 5 / 12])
    assert (long.min_budget, long.max_budget) == (200, 800)
    assert long.at(400) == pytest.approx(5 / 12)
    assert short.at(150) == pytest.approx((0.25 + 5 / 12) / 2)   # between grid points: k = 1.5
    with pytest.raises(AnalysisError):
        long.at(100)


def test_per_problem_lengths():
    # Problem 0 (c=2) costs 100 tokens per answer, problem 1 (c=0) 300: mean 200.
    # Budget 300: problem 0 gets k=3 -> 1.0, problem 1 k=1 -> 0: mean 0.5.
    cv = budget_curve(N, C, [100, 300], [300, 400], per_problem=True)
    assert cv.mean_tokens == 200
    assert (cv.min_budget, cv.max_budget) == (300, 400)
    assert cv.estimate == pytest.approx([0.5, 0.5])
    # The mean-length mode at 400 tokens buys k = 2 for both problems: 5/12.
    assert budget_curve(N, C, [100, 300], [400]).estimate == pytest.approx([5 / 12])


def test_longer_answers_lose_at_equal_cost():
    rng = np.random.default_rng(0)
    P, n = 80, 32
    p = rng.beta(0.5, 1.5, P)
    c = rng.binomial(n, p)
    ids = [f"p{i}" for i in range(P)]
    # Same success rates, but "verbose" writes answers twice as long.
    a = budget_analysis({"base": (ids, np.full(P, n), c, np.full(P, 100.0)),
                         "verbose": (ids, np.full(P, n), c, np.full(P, 200.0))}, reference="base")
    cmp_ = a.comparisons[0]
    assert cmp_.length_ratio == pytest.approx(2.0)
    assert cmp_.budget == pytest.approx(n * 100)                 # the largest budget both reach
    assert cmp_.reference_k == pytest.approx(n) and cmp_.other_k == pytest.approx(n / 2)
    assert cmp_.reference_pass == pytest.approx(np.mean(pass_at_k(n, c, n)))
    assert cmp_.other_pass == pytest.approx(np.mean(pass_at_k(n, c, n // 2)))
    assert cmp_.reference_pass > cmp_.other_pass
    assert not cmp_.other_leads_at_start and cmp_.crossover_budget is None
    base, verbose = a.curves["base"], a.curves["verbose"]
    both = np.isfinite(base.estimate) & np.isfinite(verbose.estimate)
    assert np.all(base.estimate[both] >= verbose.estimate[both] - 1e-12)


def test_budget_crossover_when_the_short_model_is_weak_at_one_sample():
    # "rl" is better per sample at k=1 but writes 4x longer answers: at equal cost base catches up.
    ids = ["a", "b", "c", "d"]
    # base: pass@k = k/8 at 50 tokens a sample; rl: 0.5 at any k, 100 tokens a sample.
    # At 100 tokens rl 0.5 vs base pass@2 = 0.25; base is level at 200 tokens (k = 4).
    a = budget_analysis({"base": (ids, [8] * 4, [1, 1, 1, 1], [50.0] * 4),
                         "rl": (ids, [8] * 4, [8, 8, 0, 0], [100.0] * 4)}, reference="base")
    c = a.comparisons[0]
    assert c.other_leads_at_start
    assert c.crossover_budget is not None and 200 <= c.crossover_budget <= 200 * 1.1
    assert c.budget == 400 and c.reference_pass == pytest.approx(1.0) and c.other_pass == pytest.approx(0.5)


def test_token_means_from_the_store(tmp_path):
    from boundary.store import Run
    run = Run.create(tmp_path / "r")
    assert run_token_means(run) is None
    run.write("samples", pa.table({"model": ["m"] * 3, "benchmark": ["b"] * 3, "problem_id": ["p", "p", "q"],
                                   "sample_index": pa.array([0, 1, 0], pa.int32()),
                                   "completion_tokens": pa.array([10, 30, None], pa.int32())}))
    run.write("samples", pa.table({"model": ["m"], "benchmark": ["b"], "problem_id": ["p"],
                                   "sample_index": pa.array([2], pa.int32()),
                                   "completion_tokens": pa.array([50], pa.int32())}))
    assert run_token_means(run) == {("m", "b"): {"p": 30.0}}


def test_errors():
    with pytest.raises(AnalysisError):
        budget_curve(N, C, [100], [100])
    with pytest.raises(AnalysisError):
        budget_curve(N, C, [0, 100], [100])
    with pytest.raises(AnalysisError):
        budget_analysis({})
