"""Token entropy from recorded logprobs (hand-made numbers), runs without logprobs, the
entropy-matched temperature (Yue et al. §4.5), and the sweep mappings of the manifest."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run
from boundary.pipeline import sample_spec as sample_run
from boundary.scoring import entropy_matched, match_temperature, token_entropy
from boundary.spec import parse_spec
from tests.test_sample_stage import AIME


def write_samples(run, rows):
    run.write("samples", pa.Table.from_pylist(
        [{"benchmark": "b", "text": "", "sample_index": i, "problem_id": "p", **r} for i, r in enumerate(rows)]))


def test_token_entropy_by_hand(tmp_path):
    run = Run.create(tmp_path / "r")
    run.add_models(["base", "rl"])
    write_samples(run, [{"model": "base", "logprob_sum": -6.0, "completion_tokens": 10},
                        {"model": "base", "logprob_sum": -2.0, "completion_tokens": 30},
                        {"model": "rl", "logprob_sum": -1.0, "completion_tokens": 20},
                        {"model": "rl", "logprob_sum": None, "completion_tokens": 5}])   # not recorded
    base, rl = token_entropy(run)
    assert (base.model, base.samples, base.tokens) == ("base", 2, 40)
    assert base.entropy == pytest.approx(8.0 / 40)                          # −Σ logprob / Σ tokens
    assert base.mean_per_sample == pytest.approx((0.6 + 2.0 / 30) / 2)
    assert (rl.samples, rl.entropy) == (1, pytest.approx(0.05))


def test_runs_without_the_logprob_sum_column_still_load(tmp_path):
    """A shard written before `logprob_sum` existed (per-token lists only), and one without any logprobs."""
    run = Run.create(tmp_path / "r")
    run.add_models(["old"])
    old_schema = pa.schema([f for f in run_schema() if f.name != "logprob_sum"])
    t = pa.Table.from_pylist([
        {"model": "old", "benchmark": "b", "problem_id": "p", "sample_index": 0, "text": "x",
         "completion_tokens": 2, "logprobs": [-0.5, -1.5]},
        {"model": "old", "benchmark": "b", "problem_id": "p", "sample_index": 1, "text": "y",
         "completion_tokens": 3, "logprobs": None}], schema=old_schema)
    (run.path / "samples").mkdir()
    pq.write_table(t, run.path / "samples" / "part-00000000000000000001-old.parquet")
    got = run.samples(["sample_index", "logprob_sum"]).to_pylist()
    assert sorted((r["sample_index"], r["logprob_sum"]) for r in got) == [(0, None), (1, None)]
    (e,) = token_entropy(run)
    assert (e.samples, e.tokens, e.entropy) == (1, 2, pytest.approx(1.0))
    assert token_entropy(Run.create(tmp_path / "empty")) == []


def run_schema():
    from boundary.store.schema import SAMPLES
    return SAMPLES


def test_match_temperature_hand_made():
    # the paper's AMC23 row: base entropy 0.51 at T = 0.6; the RL model at 0.6 has 0.22
    sweep = {0.6: 0.22, 0.8: 0.38, 0.9: 0.47, 1.0: 0.55, 1.2: 0.71}
    m = match_temperature(0.50, sweep)
    assert (m.nearest, m.nearest_entropy) == (0.9, 0.47)
    assert m.interpolated == pytest.approx(0.9 + 0.1 * 0.03 / 0.08)
    assert match_temperature(0.5, {0.6: 0.4, 1.0: 0.6}).nearest == 0.6   # a tie goes to the lower temperature
    assert match_temperature(0.9, sweep).interpolated is None and match_temperature(0.9, sweep).nearest == 1.2
    assert match_temperature(0.38, sweep).interpolated == pytest.approx(0.8)
    with pytest.raises(ValueError):
        match_temperature(0.5, {})


def test_temperature_sweep_run_records_temperatures_and_matches_entropy(tmp_path):
    d = {"seed": 0, "template": "qwen-boxed",
         "models": [{"name": "base", "backend": "fake", "path": "none"},
                    {"name": "rl", "backend": "fake", "path": "none", "temperatures": [0.6, 1.0, 1.2]}],
         "benchmarks": [{"name": "aime24", "source": AIME, "limit": 2}],
         "sampling": {"n": 2, "chunk_size": 2, "max_tokens": 64}}
    run = Run.create(tmp_path / "r")
    sample_run(parse_spec(d), run)
    assert run.models == ["base", "rl@T=0.6", "rl@T=1.0", "rl@T=1.2"]
    assert run.model_temperatures() == {"base": 0.6, "rl@T=0.6": 0.6, "rl@T=1.0": 1.0, "rl@T=1.2": 1.2}
    assert run.model_groups()["rl@T=1.0"] == "rl" and run.model_steps() == {}
    assert run.manifest["sampling"]["rl@T=1.2"]["params"]["temperature"] == 1.2
    # the fake engine records no logprobs: no entropy, and the match says why
    with pytest.raises(ValueError, match="no token entropy of model 'base' at T=0.6"):
        entropy_matched(run, base="base", rl="rl", benchmark="aime24")
    # logprob sums written by hand: base 0.5 nats/token at 0.6; rl 0.2 / 0.45 / 0.7
    ent = {"base": 0.5, "rl@T=0.6": 0.2, "rl@T=1.0": 0.45, "rl@T=1.2": 0.7}
    rows = []
    for m, h in ent.items():
        rows.append({"model": m, "benchmark": "aime24", "problem_id": "x", "sample_index": 0,
                     "completion_tokens": 100, "logprob_sum": -100 * h})
    run.write("samples", pa.Table.from_pylist(rows))
    m = entropy_matched(run, base="base", rl="rl", benchmark="aime24")
    assert m.target == pytest.approx(0.5) and m.nearest == 1.0
    assert m.interpolated == pytest.approx(1.0 + 0.2 * 0.05 / 0.25)


def test_checkpoint_sweep_steps_in_the_manifest(tmp_path):
    ck = tmp_path / "ckpts"
    for step in (100, 50):
        (ck / f"global_step_{step}").mkdir(parents=True)
        (ck / f"global_step_{step}" / "config.json").write_text("{}")
    d = {"seed": 0, "template": "qwen-boxed",
         "models": [{"name": "base", "backend": "fake", "path": "none"},
                    {"name": "grpo", "backend": "fake", "checkpoints": str(ck)}],
         "benchmarks": [{"name": "aime24", "source": AIME, "limit": 1}],
         "sampling": {"n": 2, "chunk_size": 2, "max_tokens": 64}}
    run = Run.create(tmp_path / "r")
    s = sample_run(parse_spec(d), run)
    assert s.new_samples == 3 * 2
    assert run.model_steps() == {"grpo@step50": 50, "grpo@step100": 100}
    assert run.model_info()["grpo@step100"]["path"] == str(ck / "global_step_100")
    assert run.model_groups() == {"base": "base", "grpo@step50": "grpo", "grpo@step100": "grpo"}
    t = run.samples(["model"])["model"].to_pylist()
    assert sorted(set(t)) == ["base", "grpo@step100", "grpo@step50"]
