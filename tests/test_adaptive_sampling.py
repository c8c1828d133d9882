"""Adaptive sampling (sampling.adaptive): the sequential plan in the sample stage, with a fake engine of
known per-problem success rates (tests/helpers/fake_backend.py: engine_args p and answers).

What must hold: a pair stops at the first check time with at least r correct, else draws on to n; its
samples are exactly the fixed-n run's samples of the indices it drew (same chunk seeds); decisions
read stored verdicts only, so a run killed with SIGKILL between or during rounds resumes to the same
store; the plan is recorded per model and a run refuses another plan; raising n continues the plan.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run
from boundary.errors import BoundaryError, InputError, StoreError
from boundary.pipeline import sample_spec, sample_verify_spec
from boundary.sampling.adaptive import outcomes
from boundary.adaptive_plan import AdaptivePlan
from boundary.sampling.plan import adaptive_from_record, adaptive_plan, adaptive_record
from boundary.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")
ANSWERS = {"60": "204", "61": "113", "62": "371", "63": "385", "64": "110", "65": "104"}
#: known success rates: always, never, and in between
RATES = {"60": 1.0, "61": 0.0, "62": 0.5, "63": 0.15, "64": 0.8, "65": 0.03}


def spec_dict(n=32, chunk=4, adaptive=None, limit=6, models=("base", "rl"), delay=0.0, **extra):
    if adaptive is None:
        adaptive = {"initial": 8, "successes": 4, "batch": 4}
    args = {"p": RATES, "answers": ANSWERS}
    if delay:
        args["delay_s"] = delay
    d = {"seed": 0, "template": "qwen-boxed",
         "models": [{"name": m, "backend": "fake", "path": "none", "engine_args": args} for m in models],
         "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
         "sampling": {"n": n, "chunk_size": chunk, "max_tokens": 64, "adaptive": adaptive},
         "verify": {"workers": 1}}
    if adaptive is False:
        del d["sampling"]["adaptive"]
    d.update(extra)
    return d


def samples(run_dir):
    t = Run(run_dir).samples(["model", "problem_id", "sample_index", "text", "seed"]).to_pylist()
    return {(r["model"], r["problem_id"], r["sample_index"]): (r["text"], r["seed"]) for r in t}


def drawn(run_dir):
    """(model, problem) -> samples stored."""
    out: dict = {}
    for (m, p, _i) in samples(run_dir):
        out[(m, p)] = out.get((m, p), 0) + 1
    return out


def run_adaptive(d, run_dir):
    return sample_verify_spec(parse_spec(d), run_dir)


# ------------------------------------------------------------------------------------------- the plan
def test_the_stage_plan_defaults_chunks_and_record():
    assert adaptive_plan(1024, 64) == AdaptivePlan(initial=64, successes=64, batch=64, cap=1024)
    assert adaptive_plan(128, 64) == AdaptivePlan(initial=64, successes=8, batch=64, cap=128)
    assert adaptive_plan(32, 4, schedule="doubling") == AdaptivePlan(4, 2, None, 32, "doubling")
    p = adaptive_plan(20, 4, initial=8, successes=4)
    assert p.check_times == (8, 12, 16, 20)
    assert adaptive_record(p) == {"initial": 8, "successes": 4, "batch": 4, "schedule": "fixed"}
    assert adaptive_from_record(adaptive_record(p), 20) == p and adaptive_from_record(None, 20) is None
    with pytest.raises(InputError, match="initial=6 must be a multiple of chunk_size=4"):
        adaptive_plan(20, 4, initial=6, successes=2)


@pytest.mark.parametrize("adaptive, message", [
    ({"initial": 6}, "initial=6 must be a multiple of chunk_size=4"),
    ({"batch": 6}, "batch=6 must be a multiple of chunk_size=4"),
    ({"initial": 40}, "initial=40 must be in 1..cap=32"),
    ({"schedule": "doubling", "batch": 8}, "no meaning with schedule 'doubling'"),
    ({"initial": 8, "successes": 12}, "successes=12 must be in 1..initial=8"),
    ({"initial": 0}, "greater than 0"),
    ({"start": 8}, "start"),
])
def test_spec_refuses_plans_the_chunks_cannot_draw(adaptive, message):
    with pytest.raises(InputError, match=message):
        parse_spec(spec_dict(adaptive=adaptive))


def test_spec_records_the_resolved_plan_in_params_and_fingerprint():
    fixed = parse_spec(spec_dict(adaptive=False))
    default = parse_spec(spec_dict(adaptive=True))
    assert "adaptive" not in fixed.sampling.record()
    assert default.sampling.record()["adaptive"] == {"initial": 4, "successes": 2, "batch": 4, "schedule": "fixed"}
    assert default.sampling_plan().adaptive == AdaptivePlan(4, 2, 4, 32)
    fps = {parse_spec(spec_dict(adaptive=a)).sampling.fingerprint()
           for a in (False, True, {"initial": 8, "successes": 4}, {"initial": 8, "successes": 4, "batch": 8})}
    assert len(fps) == 4
    on_ray = parse_spec(spec_dict(adaptive=True, executor={"kind": "ray"}))      # the Ray executor draws it too
    assert on_ray.sampling_plan().adaptive == AdaptivePlan(4, 2, 4, 32)


# ------------------------------------------------------------------------------------------ the stage
def test_easy_problems_stop_after_m_unsolved_ones_get_n(tmp_path):
    s, v = run_adaptive(spec_dict(), tmp_path / "a")
    got = drawn(tmp_path / "a")
    for m in ("base", "rl"):
        assert got[(m, "60")] == 8                  # p = 1: 8 correct of the first 8: stops at m
        assert got[(m, "61")] == 32                 # p = 0: never r correct: all n
    assert s.new_samples == sum(got.values()) < 2 * 6 * 32
    assert v.verified == s.new_samples
    run = Run(tmp_path / "a")
    plan = AdaptivePlan(8, 4, 4, 32)
    assert run.manifest["sampling"]["base"]["params"]["adaptive"] == adaptive_record(plan)
    rec = run.sampling_record("rl")
    assert adaptive_from_record(rec.params.get("adaptive"), rec.n) == plan
    # every pair's stored samples end exactly at the stopping point its verdicts give
    for m in ("base", "rl"):
        seqs = outcomes(run, m, "aime24")
        for pid in RATES:
            t, s_ = plan.stopping_point(seqs[pid])
            assert t == got[(m, pid)] == len(seqs[pid])
            assert s_ >= 4 or t == 32
    counts = {(r["model"], r["problem_id"]): (r["n"], r["correct"]) for r in run.counts().to_pylist()}
    assert counts[("base", "60")] == (8, 8) and counts[("base", "61")] == (32, 0)
    again, _ = run_adaptive(spec_dict(), tmp_path / "a")          # a rerun draws nothing
    assert again.new_samples == 0 and again.skipped_samples == s.new_samples


def test_adaptive_samples_are_the_fixed_runs_samples(tmp_path):
    run_adaptive(spec_dict(), tmp_path / "a")
    sample_spec(parse_spec(spec_dict(adaptive=False)), tmp_path / "f")
    a, f = samples(tmp_path / "a"), samples(tmp_path / "f")
    assert len(f) == 2 * 6 * 32 and a and all(f[k] == v for k, v in a.items())
    # and each pair's indices are a prefix 0..t-1
    for (m, pid), t in drawn(tmp_path / "a").items():
        assert {i for (mm, p, i) in a if (mm, p) == (m, pid)} == set(range(t))


def test_doubling_schedule(tmp_path):
    run_adaptive(spec_dict(adaptive={"initial": 4, "successes": 2, "schedule": "doubling"}), tmp_path / "a")
    got = drawn(tmp_path / "a")                              # checks at 4, 8, 16, 32
    assert got[("base", "60")] == 4 and got[("base", "61")] == 32 and set(got.values()) <= {4, 8, 16, 32}
    sample_spec(parse_spec(spec_dict(adaptive=False)), tmp_path / "f")
    f = samples(tmp_path / "f")
    assert all(f[k] == v for k, v in samples(tmp_path / "a").items())


def test_another_plan_for_a_model_with_samples_is_refused(tmp_path):
    run_adaptive(spec_dict(), tmp_path / "a")
    with pytest.raises(StoreError, match="adaptive: stored"):
        run_adaptive(spec_dict(adaptive={"initial": 8, "successes": 2, "batch": 4}), tmp_path / "a")
    with pytest.raises(StoreError, match="adaptive: stored"):
        sample_verify_spec(parse_spec(spec_dict(adaptive=False)), tmp_path / "a")
    sample_spec(parse_spec(spec_dict(adaptive=False)), tmp_path / "f")
    with pytest.raises(StoreError, match="adaptive: stored None"):
        run_adaptive(spec_dict(), tmp_path / "f")
    # a new model name in the same run is fine
    s, _ = run_adaptive(spec_dict(models=("base", "rl", "rl2")), tmp_path / "a")
    assert s.new_samples == sum(n for (m, _p), n in drawn(tmp_path / "a").items() if m == "rl2") > 0


def test_library_plan_mismatch_is_refused_and_fixed_stage_refuses_adaptive(tmp_path):
    import dataclasses

    from boundary.sampling.adaptive import sample_adaptive
    from boundary.sampling.stage import sample_run
    run_adaptive(spec_dict(), tmp_path / "a")
    plan = parse_spec(spec_dict()).sampling_plan()
    with pytest.raises(BoundaryError, match="verifies each batch"):
        sample_run(plan, tmp_path / "a")
    other = dataclasses.replace(plan, adaptive=AdaptivePlan(8, 2, 4, 32))   # a library plan: same fingerprint
    with pytest.raises(StoreError, match="mix two sampling plans"):
        sample_adaptive(other, tmp_path / "a", verify=lambda run: None)


def test_raising_n_continues_the_plan(tmp_path):
    run_adaptive(spec_dict(n=16), tmp_path / "r")
    first = samples(tmp_path / "r")
    s, _ = run_adaptive(spec_dict(n=32), tmp_path / "r")
    assert s.new_samples > 0
    after = samples(tmp_path / "r")
    assert all(after[k] == v for k, v in first.items())
    run_adaptive(spec_dict(n=32), tmp_path / "fresh")
    assert samples(tmp_path / "fresh") == after
    assert Run(tmp_path / "r").manifest["sampling"]["base"]["n"] == 32
    # `adaptive: true` takes its defaults from n: raising n would change the plan, refused with the way out
    run_adaptive(spec_dict(n=16, adaptive=True), tmp_path / "d")
    with pytest.raises(StoreError, match=r'write it out in the spec: `adaptive: \{"initial": 4'):
        run_adaptive(spec_dict(n=64, adaptive=True), tmp_path / "d")


def test_n_not_on_the_check_grid_and_a_partial_last_chunk(tmp_path):
    run_adaptive(spec_dict(n=18), tmp_path / "r")         # checks at 8, 12, 16, 18; the last chunk has 2
    got = drawn(tmp_path / "r")
    assert got[("base", "61")] == 18 and got[("base", "60")] == 8
    run_adaptive(spec_dict(n=32), tmp_path / "r")         # the partial chunk is completed, never stored twice
    t = Run(tmp_path / "r").samples(["model", "problem_id", "sample_index"])
    keys = list(zip(*(t[c].to_pylist() for c in t.column_names)))
    assert len(keys) == len(set(keys))
    run_adaptive(spec_dict(n=32), tmp_path / "fresh")
    assert samples(tmp_path / "fresh") == samples(tmp_path / "r")


def test_sample_command_verifies_between_rounds_and_an_executor_gets_the_verifier_configs(tmp_path):
    s = sample_spec(parse_spec(spec_dict()), tmp_path / "a")
    assert s.new_samples == Run(tmp_path / "a").verdicts(["sample_index"]).num_rows
    calls = []

    class Executor:                     # the Ray executor's interface (tests/test_ray.py runs the real one)
        def sample_and_verify(self, run, plan, configs, **kw):
            calls.append((plan.adaptive, sorted(configs)))
            return "sampled", "verified"

    assert sample_spec(parse_spec(spec_dict()), tmp_path / "b", executor=Executor()) == "sampled"
    assert calls == [(AdaptivePlan(8, 4, 4, 32), ["code", "math", "visual"])]


# ------------------------------------------------------------------------------------------- kill -9
def write_spec(path, d):
    path.write_text(yaml.safe_dump(d))
    return path


def _env():
    return dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))   # this checkout, not an installed one


def shard_names(run_dir, table):
    return sorted(p.name for p in (Path(run_dir) / table).glob("part-*.parquet"))


@pytest.mark.parametrize("table, at", [("samples", 1), ("verdicts", 1), ("samples", 8)])
def test_killed_adaptive_run_resumes_to_the_same_store(tmp_path, table, at):
    """SIGKILL during round 1 (after its first unit), while round 1 is verified, and in a later round."""
    d = spec_dict(n=24, delay=0.15)
    d["sampling"]["chunks_per_shard"] = 2
    spec = write_spec(tmp_path / "spec.yaml", d)
    proc = subprocess.Popen([sys.executable, "-m", "boundary.cli", "sample", str(spec), "--run",
                             str(tmp_path / "run")], env=_env(), cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    where = tmp_path / "run" / table
    deadline = time.time() + 120
    while time.time() < deadline and len(list(where.glob("part-*.parquet"))) < at and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(tmp_path / "run").samples(["sample_index"]).num_rows
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "sample", str(spec), "--run", str(tmp_path / "run")],
                       env=_env(), cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    ref = spec_dict(n=24)                                   # uninterrupted, without the delay
    ref["sampling"]["chunks_per_shard"] = 2
    run_adaptive(ref, tmp_path / "ref")
    assert 0 < partial < len(samples(tmp_path / "ref"))              # killed midway
    assert samples(tmp_path / "run") == samples(tmp_path / "ref")
    assert shard_names(tmp_path / "run", "samples") == shard_names(tmp_path / "ref", "samples")
    t = Run(tmp_path / "run").verdicts(["model", "problem_id", "sample_index", "status"]).to_pylist()
    u = Run(tmp_path / "ref").verdicts(["model", "problem_id", "sample_index", "status"]).to_pylist()
    key = lambda r: (r["model"], r["problem_id"], r["sample_index"])  # noqa: E731
    assert sorted(t, key=key) == sorted(u, key=key)


def test_cli_adaptive_flag_takes_the_default_plan(tmp_path):
    spec = write_spec(tmp_path / "spec.yaml", spec_dict(n=16, adaptive=False))
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "sample", str(spec), "--run", str(tmp_path / "run"),
                        "--adaptive"], env=_env(), cwd=str(ROOT), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    run = Run(tmp_path / "run")
    assert run.manifest["sampling"]["base"]["params"]["adaptive"] == {"initial": 4, "successes": 1, "batch": 4,
                                                                    "schedule": "fixed"}
    assert drawn(tmp_path / "run")[("base", "60")] == 4
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "sample", str(spec), "--run", str(tmp_path / "ray"),
                        "--adaptive", "--executor", "ray", "--address", "auto"],
                       env={k: v for k, v in _env().items() if k != "RAY_ADDRESS"}, cwd=str(ROOT),
                       capture_output=True, text=True, timeout=600)
    # accepted on Ray (tests/test_ray.py draws it on a cluster); here no cluster runs
    assert r.returncode == 2 and "cannot connect to the Ray cluster" in r.stdout + r.stderr, r.stdout + r.stderr


def test_ray_sample_alone_refuses_an_adaptive_plan(tmp_path):
    pytest.importorskip("ray")
    from boundary.executors import ExecutorConfig
    from boundary.executors.ray import RayExecutor
    plan = parse_spec(spec_dict()).sampling_plan()
    with pytest.raises(BoundaryError, match="use RayExecutor.sample_and_verify"):
        RayExecutor(ExecutorConfig(kind="ray", address="auto")).sample(Run.create(tmp_path / "r"), plan)


def test_the_analysis_uses_the_sequential_estimator_for_an_adaptive_run(tmp_path):
    import numpy as np

    from boundary.analysis import AnalysisConfig, analyze
    from boundary.analysis.adaptive import adaptive_pass_at_k_curve
    run_adaptive(spec_dict(), tmp_path / "a")
    run = Run(tmp_path / "a")
    b = analyze(run, AnalysisConfig(n_boot=50)).benchmarks[0]
    assert any("base, rl sampled adaptively" in note and "sequential estimator" in note for note in b.notes)
    plan = AdaptivePlan(8, 4, 4, 32)
    counts = [r for r in run.counts().to_pylist() if r["model"] == "base"]
    t = np.array([r["n"] for r in counts])
    s = np.array([r["correct"] for r in counts])
    ks, want = adaptive_pass_at_k_curve(plan, t, s)
    band = b.curves["base"]
    assert len(band.ks) == 32 and int(t.min()) < 32              # to the cap, not the smallest t
    assert np.allclose(band.estimate, want, atol=1e-12)
    assert band.estimate[-1] == np.mean(s > 0)                    # pass@n: the share solved
    assert b.comparisons and len(b.comparisons[0].diff.ks) == 32
    from boundary.analysis.adaptive import adaptive_pass_at_1
    from boundary.analysis.histogram import accuracy_histogram_of
    acc = adaptive_pass_at_1(plan, t, s)
    assert list(b.histograms["base"]) == list(accuracy_histogram_of(acc)) and b.histograms["base"].sum() == 6
    assert b.cover["base"][0] == 1.0 and np.isclose(b.cover["base"][-1], np.mean(acc >= 1 - 1e-12))
    cov = b.coverages[0]                                           # at the cap: exact, solved = s > 0
    rl = {r["problem_id"]: r["correct"] for r in run.counts().to_pylist() if r["model"] == "rl"}
    base = {r["problem_id"]: r["correct"] for r in counts}
    assert cov.k == 32 and cov.exact
    assert cov.both == sum(1 for p in base if base[p] > 0 and rl[p] > 0)
    assert cov.neither == sum(1 for p in base if base[p] == 0 and rl[p] == 0)


def test_accuracy_histogram_of_numbers_matches_the_counts_histogram():
    import numpy as np

    from boundary.analysis.histogram import accuracy_histogram, accuracy_histogram_of
    n = np.array([10, 10, 10, 100, 7, 7, 3])
    c = np.array([0, 1, 10, 10, 3, 6, 2])
    assert list(accuracy_histogram_of(c / n)) == list(accuracy_histogram(n, c))


def test_plan_adaptive_prices_plans_on_a_fixed_run(tmp_path):
    from boundary.analysis.analyze import adaptive_what_if
    run_adaptive(spec_dict(adaptive=False), tmp_path / "f")              # a fixed-n run
    rows = adaptive_what_if(tmp_path / "f", [(8, 4, 4)])
    assert {(w.model, w.plan) for w in rows} == {("base", rows[0].plan), ("rl", rows[0].plan)}
    for w in rows:
        assert w.fixed_samples == 6 * 32 and 6 * 8 <= w.expected_samples < w.fixed_samples
        assert w.se_plan[0] >= w.se_fixed[0] - 1e-12 and abs(w.se_plan[1] - w.se_fixed[1]) < 1e-12
    from typer.testing import CliRunner

    from boundary.cli import app
    r = CliRunner().invoke(app, ["plan-adaptive", str(tmp_path / "f")])
    assert r.exit_code == 0 and "SE pass@1" in r.output and "base" in r.output
    r = CliRunner().invoke(app, ["plan-adaptive", str(tmp_path / "f"), "--initial", "8"])
    assert r.exit_code != 0
