"""Checkpoint sweeps (step parsing, series, pass@1 / pass@k_max against step) and the algorithm table."""

from __future__ import annotations

import numpy as np
import pytest

from boundary.analysis.bootstrap import bootstrap_curve
from boundary.analysis.efficiency import sampling_efficiency_gap
from boundary.analysis.sweep import algorithm_table, checkpoint_sweeps, model_steps, parse_step, series_name


@pytest.mark.parametrize("name,step", [
    ("grpo-step50", 50), ("grpo@step50", 50), ("checkpoint-50", 50), ("out/checkpoint-1200", 1200),
    ("global_step_50", 50), ("verl/global_step50/actor", 50), ("ckpt_7", 7), ("iter-300", 300),
    ("run2-step10-step20", 20), ("Qwen2.5-7B", None), ("base", None), ("steps", None)])
def test_parse_step(name, step):
    assert parse_step(name) == step


def test_series_and_explicit_steps():
    assert series_name("grpo-step150") == series_name("grpo-step450") == "grpo"
    assert series_name("ppo@step10") == "ppo"
    steps = model_steps(["base", "grpo-step150", "my-final"], explicit={"my-final": 999, "grpo-step150": 150})
    assert steps == {"grpo-step150": 150, "my-final": 999}


def _band(n, c):
    return bootstrap_curve(np.asarray(n), np.asarray(c), n_boot=50, seed=0)


def test_sweep_by_hand():
    # Two problems, 4 samples each.  pass@1 = mean c/4; pass@4 = share of problems with c > 0.
    #   base        c = (1, 1): pass@1 0.25, pass@4 1.0
    #   grpo-step10 c = (3, 0): pass@1 0.375, pass@4 0.5
    #   grpo-step20 c = (4, 0): pass@1 0.5,  pass@4 0.5
    #   ppo-step10  c = (2, 2): a one-checkpoint run, not a sweep
    counts = {"base": (1, 1), "grpo-step20": (4, 0), "grpo-step10": (3, 0), "ppo-step10": (2, 2)}
    curves = {m: _band([4, 4], c) for m, c in counts.items()}
    sweeps = checkpoint_sweeps(curves, model_steps(list(curves)), reference="base")
    assert len(sweeps) == 1
    s = sweeps[0]
    assert s.series == "grpo" and s.steps == [10, 20] and s.k_max == 4
    assert [p.model for p in s.points] == ["grpo-step10", "grpo-step20"]
    assert [p.pass_at_1 for p in s.points] == pytest.approx([0.375, 0.5])
    assert [p.pass_at_kmax for p in s.points] == pytest.approx([0.5, 0.5])
    assert s.base == "base" and s.base_pass_at_1 == pytest.approx(0.25) and s.base_pass_at_kmax == pytest.approx(1.0)
    # Recorded groups override the name-derived series: all three checkpoints in one run.
    grouped = checkpoint_sweeps(curves, model_steps(list(curves)), reference="base",
                                groups={"grpo-step10": "x", "grpo-step20": "x", "ppo-step10": "x"})
    assert [p.model for p in grouped[0].points] == ["grpo-step10", "ppo-step10", "grpo-step20"]


def test_algorithm_table_by_hand():
    counts = {"base": (1, 1), "grpo": (3, 0), "ppo": (2, 2)}
    curves = {m: _band([4, 4], c) for m, c in counts.items()}
    gaps = [sampling_efficiency_gap(np.array([4, 4]), np.array(counts["base"]), np.array([4, 4]), np.array(counts[m]),
                                    base="base", other=m, n_boot=50) for m in ("grpo", "ppo")]
    rows = algorithm_table(curves, gaps, reference="base")
    assert [r.model for r in rows] == ["base", "grpo", "ppo"]
    assert rows[0].is_base and rows[0].delta_se is None
    # ΔSE = pass@4(base) − pass@1(model) = 1.0 − 0.375 and 1.0 − 0.5.
    assert rows[1].delta_se == pytest.approx(0.625) and rows[2].delta_se == pytest.approx(0.5)
    assert rows[2].pass_at_kmax == pytest.approx(1.0) and rows[1].pass_at_kmax == pytest.approx(0.5)
    lo, hi = rows[1].delta_se_ci
    assert lo <= 0.625 <= hi
