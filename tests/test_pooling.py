"""Pooling runs: summing (n, c) per problem is exact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import pool_counts
from boundary.analysis.passk import pass_at_k_curve


def counts_table(model, benchmark, ids, n, correct) -> pa.Table:
    return pa.table({
        "model": [model] * len(ids), "benchmark": [benchmark] * len(ids), "problem_id": list(ids),
        "n": pa.array(n, pa.int64()), "correct": pa.array(correct, pa.int64()),
    })


def test_two_runs_of_512_equal_one_run_of_1024():
    rng = np.random.default_rng(7)
    P = 200
    ids = [f"p{i:03d}" for i in range(P)]
    c1 = rng.binomial(512, rng.beta(0.3, 0.7, size=P))
    c2 = rng.binomial(512, rng.beta(0.3, 0.7, size=P))
    run1 = counts_table("base", "aime", ids, [512] * P, c1)
    # the second run lists the problems in another order
    perm = rng.permutation(P)
    run2 = counts_table("base", "aime", [ids[i] for i in perm], [512] * P, c2[perm])
    pooled = pool_counts(run1, run2)
    assert pooled.num_rows == P
    assert pooled.column("problem_id").to_pylist() == ids
    assert pooled.column("n").to_pylist() == [1024] * P
    assert pooled.column("correct").to_pylist() == (c1 + c2).tolist()

    single = counts_table("base", "aime", ids, [1024] * P, c1 + c2)
    ks_p, curve_p = pass_at_k_curve(pooled.column("n").to_numpy(), pooled.column("correct").to_numpy())
    ks_s, curve_s = pass_at_k_curve(single.column("n").to_numpy(), single.column("correct").to_numpy())
    assert len(ks_p) == 1024
    np.testing.assert_array_equal(ks_p, ks_s)
    np.testing.assert_array_equal(curve_p, curve_s)
    # and pooling is not the same as either run alone
    _, curve_1 = pass_at_k_curve(np.full(P, 512), c1)
    assert not np.allclose(curve_1, curve_p[:512])


def test_models_and_benchmarks_stay_apart():
    a1 = counts_table("base", "aime", ["x", "y"], [4, 4], [1, 0])
    a2 = counts_table("base", "aime", ["x", "y"], [4, 4], [2, 3])
    b1 = counts_table("rl", "aime", ["x", "y"], [4, 4], [4, 4])
    m1 = counts_table("base", "math", ["x"], [8], [5])
    out = pool_counts(a1, b1, a2, m1)
    rows = sorted(zip(out["model"].to_pylist(), out["benchmark"].to_pylist(), out["problem_id"].to_pylist(),
                      out["n"].to_pylist(), out["correct"].to_pylist()))
    assert rows == [
        ("base", "aime", "x", 8, 3),
        ("base", "aime", "y", 8, 3),
        ("base", "math", "x", 8, 5),
        ("rl", "aime", "x", 4, 4),
        ("rl", "aime", "y", 4, 4),
    ]


def test_extra_columns_and_order_ignored():
    t = pa.table({"correct": pa.array([2], pa.int64()), "extra": ["z"], "n": pa.array([5], pa.int64()),
                  "problem_id": ["q"], "benchmark": ["b"], "model": ["m"]})
    out = pool_counts(t, t)
    assert out.column_names == ["model", "benchmark", "problem_id", "n", "correct"]
    assert out.to_pylist() == [{"model": "m", "benchmark": "b", "problem_id": "q", "n": 10, "correct": 4}]


def test_empty_input():
    out = pool_counts()
    assert out.num_rows == 0
    assert out.column_names == ["model", "benchmark", "problem_id", "n", "correct"]
    empty = counts_table("m", "b", [], [], [])
    out2 = pool_counts(empty, empty)
    assert out2.num_rows == 0
    assert out2.column_names == ["model", "benchmark", "problem_id", "n", "correct"]


def test_missing_column_raises():
    from boundary.errors import AnalysisError
    t = pa.table({"model": ["m"], "benchmark": ["b"], "problem_id": ["q"], "n": [3]})
    with pytest.raises(AnalysisError, match=r"lacks column\(s\) \['correct'\]"):
        pool_counts(t)


def test_pool_counts_names_missing_columns():
    import pyarrow as pa
    import pytest
    from boundary.errors import AnalysisError
    with pytest.raises(AnalysisError, match=r"lacks column\(s\) \['benchmark'\]"):
        pool_counts(pa.table({"model": ["m"], "problem_id": ["p"], "n": [4], "correct": [1]}))
