"""Plugins: the toy task kind of examples/plugins end to end through `boundary run`, the registries'
errors, and the model organism loaded through its entry point like any other plugin."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from boundary import plugins
from boundary.analysis import pass_at_k
from boundary.errors import BoundaryError, InputError
from boundary.store import Run
from boundary.tasks import (Problem, TaskKind, get_benchmark, get_kind, kind_names, load_benchmark, register_benchmark,
                            register_kind, unregister_kind)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plugins"
BOUNDARY = Path(sys.executable).with_name("boundary")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "BOUNDARY_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXAMPLE), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def test_toy_plugin_runs_end_to_end(tmp_path):
    """No edit to src/boundary: the plugin's benchmark, kind, verifier and backend through `boundary run`."""
    run_dir = tmp_path / "run"
    r = subprocess.run([str(BOUNDARY), "run", str(EXAMPLE / "parity.yaml"), "--run", str(run_dir)],
                       env=_env(BOUNDARY_PLUGINS="boundary_parity"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    run = Run(run_dir)
    assert run.models == ["fair", "biased"] and run.benchmarks == ["parity"]
    v = run.verdicts(["model", "problem_id", "sample_index", "status", "extracted", "verifier"])
    assert v.num_rows == 2 * 24 * 16
    assert set(v["verifier"].to_pylist()) == {"parity-last-word-1"}
    # the verdicts are the plugin's checker applied to the stored texts
    s = run.samples(["model", "problem_id", "sample_index", "text"])
    texts = {(m, p, j): t for m, p, j, t in zip(*(s[c].to_pylist() for c in s.column_names))}
    for m, p, j, status, ex, _ in zip(*(v[c].to_pylist() for c in v.column_names)):
        truth = "even" if int(p) % 2 == 0 else "odd"
        assert ex == texts[(m, p, j)].split()[-1]
        assert (status == "correct") == (ex == truth)
    # the biased coin says "even" 90% of the time: on even problems it is right far more often
    c = run.counts().to_pylist()
    rate = {m: sum(r["correct"] for r in c if r["model"] == m and int(r["problem_id"]) % 2 == 0)
            / sum(r["n"] for r in c if r["model"] == m and int(r["problem_id"]) % 2 == 0) for m in ("fair", "biased")}
    assert rate["biased"] > rate["fair"] + 0.2
    # the report's pass@1 is the estimator over these counts
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    b = summary["benchmarks"][0]
    for m in ("fair", "biased"):
        rows = [r for r in c if r["model"] == m]
        want = sum(pass_at_k(r["n"], r["correct"], 1) for r in rows) / len(rows)
        got = next(pt["pass_at_k"] for pt in b["pass_at_k"][m] if pt["k"] == 1)
        assert got == pytest.approx(want, abs=1e-9)


def test_unknown_plugin_module_is_a_clear_error(tmp_path):
    r = subprocess.run([str(BOUNDARY), "info", str(tmp_path)], env=_env(BOUNDARY_PLUGINS="no_such_plugin_mod"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "no_such_plugin_mod" in r.stderr and "BOUNDARY_PLUGINS" in r.stderr and "Traceback" not in r.stderr


def test_organism_is_a_plugin_loaded_by_entry_point():
    assert "countdown" in kind_names()
    assert any(m.__name__ == "boundary.organism.plugin" for m in plugins.loaded_plugins())
    assert get_benchmark("Countdown-Hard").name == "countdown-hard"
    problems = load_benchmark("countdown")
    assert len(problems) == 100 and problems[0].metadata["kind"] == "countdown"


def test_registries_refuse_duplicates_and_name_what_is_known():
    with pytest.raises(ValueError, match="already registered"):
        register_benchmark("math-500", lambda name, source: [])
    with pytest.raises(ValueError, match="already registered"):
        register_kind(TaskKind("math", lambda cfg: None))
    with pytest.raises(InputError, match="unknown task kind 'nope'.*math"):
        get_kind("nope")
    with pytest.raises(InputError, match="takes no option"):
        load_benchmark("countdown", colour="red")
    with pytest.raises(ValueError, match="must be a word"):
        TaskKind("two words", lambda cfg: None)


def test_unknown_kind_in_a_run_fails_before_any_verdict(tmp_path):
    """A run whose problems name a kind no plugin registers: a clear error, nothing written."""
    from boundary.verify import verify_run
    run = Run.create(tmp_path / "r")
    run.add_models(["m"])
    run.add_benchmarks(["b"])
    run.write("problems", pa.Table.from_pylist([{"benchmark": "b", "problem_id": "1", "question": "q",
                                                 "reference": "x", "metadata": json.dumps({"kind": "alien"})}]))
    run.write("samples", pa.Table.from_pylist([{"model": "m", "benchmark": "b", "problem_id": "1",
                                               "sample_index": 0, "text": "x", "finish_reason": "stop",
                                               "seed": 0}]))
    with pytest.raises(BoundaryError, match="unknown task kind 'alien'"):
        verify_run(run)
    assert run.verdicts().num_rows == 0


def test_a_registered_kind_is_used_by_the_stages(tmp_path):
    """register_kind from a test: the verify stage dispatches to it by the problems' metadata."""
    from boundary.sampling.stage import render_prompt
    from boundary.tasks import Verdict

    class Upper:
        name = "upper-1"

        def __init__(self, cfg):
            self.cfg = cfg

        def verify_batch(self, items, progress=None):
            return [Verdict("correct" if it.response.isupper() else "wrong", it.response) for it in items]

        def close(self):
            pass

    kind = register_kind(TaskKind("shout", Upper, lambda p, t: f"SHOUT: {p.question}"))
    try:
        p = Problem("b", "1", "hello", "HELLO", {"kind": "shout"})
        assert render_prompt(None, p) == "SHOUT: hello"
        from boundary.verify import verify_run
        run = Run.create(tmp_path / "r")
        run.write("problems", pa.Table.from_pylist([{"benchmark": "b", "problem_id": "1", "question": "hello",
                                                     "reference": "HELLO", "metadata": json.dumps(p.metadata)}]))
        run.write("samples", pa.Table.from_pylist([
            {"model": "m", "benchmark": "b", "problem_id": "1", "sample_index": i, "text": t, "finish_reason": "stop",
             "seed": 0} for i, t in enumerate(["HI", "hi", "OK"])]))
        s = verify_run(run, configs={"shout": "loud"})
        assert s.statuses == {"correct": 2, "wrong": 1} and s.verifier == "upper-1"
    finally:
        unregister_kind(kind.name)


def test_top_level_surface_is_small_and_every_name_resolves():
    import boundary
    assert len(boundary.__all__) <= 15
    for name in boundary.__all__:
        assert getattr(boundary, name) is not None
    with pytest.raises(AttributeError, match="boundary.analysis"):
        boundary.mcnemar_exact  # noqa: B018


def test_a_plugin_backend_declares_whether_it_needs_a_path():
    """`tiny` (the organism's) needs a checkpoint path; the toy `coin` backend does not."""
    from boundary.spec import parse_spec
    base = {"benchmarks": [{"name": "countdown"}], "sampling": {"n": 2}}
    with pytest.raises(InputError, match="backend 'tiny' and needs `path`"):
        parse_spec({**base, "models": [{"name": "m", "backend": "tiny"}]})
    from boundary.sampling import register_backend, unregister_backend
    register_backend("pathless", lambda engine: None)
    try:
        assert parse_spec({**base, "models": [{"name": "m", "backend": "pathless"}]}).models[0].path is None
    finally:
        unregister_backend("pathless")
