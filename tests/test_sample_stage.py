"""The sample stage with a fake engine: seeds, chunks, resume, raising n, refusing to mix parameters.

The fake engine is registered through the same registry as the real backends (tests/helpers/
fake_backend.py); the real engines have their own tests (test_backend_*.py).
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
from boundary.errors import StoreError
from boundary.sampling.seeds import derive_seed
from boundary.pipeline import sample_spec as sample_run
from boundary.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")


def spec_dict(n=8, chunk=4, limit=5, seed=0, temperature=0.6, models=("base", "rl"), **extra):
    d = {"seed": seed, "template": "qwen-boxed",
         "models": [{"name": m, "backend": "fake", "path": "none"} for m in models],
         "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
         "sampling": {"n": n, "chunk_size": chunk, "temperature": temperature, "max_tokens": 64}}
    d.update(extra)
    return d


def samples(run_dir):
    t = Run(run_dir).samples(["model", "problem_id", "sample_index", "text", "seed"]).to_pylist()
    return {(r["model"], r["problem_id"], r["sample_index"]): (r["text"], r["seed"]) for r in t}


def test_samples_have_derived_seeds_and_are_reproducible(tmp_path):
    s = sample_run(parse_spec(spec_dict()), tmp_path / "a")
    assert s.new_samples == 2 * 5 * 8
    sample_run(parse_spec(spec_dict()), tmp_path / "b")
    a, b = samples(tmp_path / "a"), samples(tmp_path / "b")
    assert a == b and len(a) == 80
    pid = sorted({k[1] for k in a})[0]
    assert a[("base", pid, 5)][1] == derive_seed(0, "base", "aime24", pid, 1)     # chunk 1 = indices 4..7
    assert a[("base", pid, 0)][0] != a[("rl", pid, 0)][0]                          # models get their own seeds
    other = sample_run(parse_spec(spec_dict(seed=1)), tmp_path / "c")
    assert other.new_samples == 80 and samples(tmp_path / "c") != a


def test_rerun_skips_and_raising_n_only_adds(tmp_path):
    sample_run(parse_spec(spec_dict(n=8)), tmp_path / "r")
    first = samples(tmp_path / "r")
    again = sample_run(parse_spec(spec_dict(n=8)), tmp_path / "r")
    assert again.new_samples == 0 and again.skipped_samples == 80
    more = sample_run(parse_spec(spec_dict(n=16)), tmp_path / "r")
    assert more.new_samples == 80
    after = samples(tmp_path / "r")
    assert len(after) == 160 and all(after[k] == v for k, v in first.items())
    # the same as sampling n=16 from scratch
    sample_run(parse_spec(spec_dict(n=16)), tmp_path / "fresh")
    assert samples(tmp_path / "fresh") == after
    assert Run(tmp_path / "r").manifest["sampling"]["base"]["n"] == 16


def test_partial_last_chunk_never_writes_a_sample_twice(tmp_path):
    sample_run(parse_spec(spec_dict(n=6, chunk=4)), tmp_path / "r")
    first = samples(tmp_path / "r")
    sample_run(parse_spec(spec_dict(n=8, chunk=4)), tmp_path / "r")
    after = samples(tmp_path / "r")
    t = Run(tmp_path / "r").samples(["model", "problem_id", "sample_index"])
    keys = list(zip(*(t[c].to_pylist() for c in t.column_names)))
    assert len(keys) == len(set(keys)) == 80
    assert all(after[k] == v for k, v in first.items())


def test_changed_sampling_parameters_are_refused(tmp_path):
    sample_run(parse_spec(spec_dict()), tmp_path / "r")
    with pytest.raises(StoreError, match=r"temperature: stored 0.6, spec 1.0"):
        sample_run(parse_spec(spec_dict(temperature=1.0)), tmp_path / "r")
    with pytest.raises(StoreError, match=r"seed: stored 0, spec 5"):
        sample_run(parse_spec(spec_dict(seed=5)), tmp_path / "r")
    with pytest.raises(StoreError, match="template"):
        sample_run(parse_spec(spec_dict(template="abel")), tmp_path / "r")
    # a new model name in the same run is fine
    assert sample_run(parse_spec(spec_dict(models=("base", "rl", "rl2"))), tmp_path / "r").new_samples == 40


def test_manifest_records_engine_template_and_problems(tmp_path):
    sample_run(parse_spec(spec_dict()), tmp_path / "r")
    run = Run(tmp_path / "r")
    rec = run.manifest["sampling"]["rl"]
    assert rec["engine"]["backend"] == "fake" and rec["template"]["name"] == "qwen-boxed"
    assert rec["template"]["fingerprint"] == run.manifest["sampling"]["base"]["template"]["fingerprint"]
    assert run.problems().num_rows == 5


def write_spec(path, d):
    path.write_text(yaml.safe_dump(d))
    return path


def cli(*args, env_extra=None, **kw):
    env = dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend", PYTHONPATH=str(ROOT))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=600, **kw)


def test_boundary_run_end_to_end_with_report(tmp_path):
    spec = write_spec(tmp_path / "spec.yaml", spec_dict(n=8, limit=4, analysis={"n_boot": 100}))
    r = cli("run", spec, "--run", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    assert "sample:" in r.stdout and "verify:" in r.stdout and "report:" in r.stdout
    assert (tmp_path / "run" / "report" / "index.html").is_file()
    counts = Run(tmp_path / "run").counts()
    assert sorted(set(counts["n"].to_pylist())) == [8]
    r2 = cli("run", spec, "--run", tmp_path / "run")
    assert r2.returncode == 0 and "0 new samples" in r2.stdout


@pytest.mark.parametrize("kill_after", [1, 3])
def test_boundary_run_killed_resumes_to_the_same_store(tmp_path, kill_after):
    d = spec_dict(n=8, chunk=4, limit=6, analysis={"n_boot": 50})
    d["sampling"]["chunks_per_shard"] = 2
    d["models"][0]["engine_args"] = {"delay_s": 0.3}
    d["models"][1]["engine_args"] = {"delay_s": 0.3}
    spec = write_spec(tmp_path / "spec.yaml", d)
    env = dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "boundary.cli", "sample", str(spec), "--run",
                             str(tmp_path / "run")], env=env, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    shards = tmp_path / "run" / "samples"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(shards.glob("part-*.parquet"))) < kill_after:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(tmp_path / "run").samples(["sample_index"]).num_rows
    assert 0 < partial < 2 * 6 * 8
    r = cli("run", spec, "--run", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    ref = write_spec(tmp_path / "ref.yaml", d)
    assert cli("sample", ref, "--run", tmp_path / "ref").returncode == 0
    got, want = samples(tmp_path / "run"), samples(tmp_path / "ref")
    assert got == want
    t = Run(tmp_path / "run").samples(["model", "problem_id", "sample_index"])
    keys = list(zip(*(t[c].to_pylist() for c in t.column_names)))
    assert len(keys) == len(set(keys))


def test_report_records_which_prompt_the_models_got(tmp_path):
    from boundary.analysis import AnalysisConfig, analyze
    from boundary.report import write_report
    from boundary.verify import MathVerifyConfig, verify_run
    run = Run.create(tmp_path / "r")
    sample_run(parse_spec(spec_dict(n=4, limit=3)), run)
    verify_run(run, MathVerifyConfig(workers=1))
    paths = write_report(analyze(run, AnalysisConfig(n_boot=20)), run.path / "report")
    html = paths.index_html.read_text()
    fp = run.manifest["sampling"]["base"]["template"]["fingerprint"]
    assert f"qwen-boxed ({fp}): base, rl" in html and "the same prompt for every model" in html
