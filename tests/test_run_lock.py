"""The run lock: one driver per run at a time, on any host; a lock whose holder is gone is taken over
(at once on its own host, after a heartbeat timeout from another host); re-entrant in one process."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary.pipeline import run_spec, sample_spec
from boundary.spec import parse_spec
from boundary.store import Run, RunLockedError
from boundary.store.lock import LOCK_FILE, _start_time, holder, run_lock
from boundary.verify import MathVerifyConfig, verify_run
from tests.test_sample_stage import spec_dict

ROOT = Path(__file__).resolve().parent.parent


def _hold_in_subprocess(run_dir: Path) -> subprocess.Popen:
    """Another process that takes the run's lock and keeps it until killed."""
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT / 'src')!r}); from boundary.store.lock import run_lock\n"
            f"with run_lock({str(run_dir)!r}, 'sample (test holder)', heartbeat_s=0.2):\n"
            "    print('held', flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_driver_is_refused_while_the_first_lives_and_takes_over_once_it_is_killed(tmp_path):
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=2))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    proc = _hold_in_subprocess(run.path)
    try:
        with pytest.raises(RunLockedError) as e:
            sample_spec(spec, run)
        msg = str(e.value)
        assert f"pid {proc.pid}" in msg and "sample (test holder)" in msg and "wait for it to finish" in msg
        assert run.shards("samples") == []                       # refused before planning anything
        with pytest.raises(RunLockedError):
            verify_run(run, MathVerifyConfig(workers=1))
        assert holder(run.path)["pid"] == proc.pid
    finally:
        os.kill(proc.pid, signal.SIGKILL)                          # the first driver dies; its lock stays
        proc.wait()
    assert (run.path / LOCK_FILE).exists()
    s = sample_spec(spec, run)                                     # same host, process gone: taken over
    assert s.new_samples == 2 * 2 * 8
    assert not (run.path / LOCK_FILE).exists()                     # released when the stage ends


def test_run_spec_holds_the_lock_across_its_stages_reentrantly(tmp_path):
    spec = parse_spec(spec_dict(n=4, chunk=4, limit=2))
    seen = []

    def on_stage(stage, msg):
        seen.append((stage, holder(tmp_path / "r")))
    r = run_spec(spec, tmp_path / "r", report=False, on_stage=on_stage)
    assert r.new_samples == 16
    assert seen and all(h is not None and h["pid"] == os.getpid() and h["command"] == "run" for _, h in seen)
    assert holder(tmp_path / "r") is None


def _foreign_lock(run_dir: Path, age_s: float) -> None:
    p = run_dir / LOCK_FILE
    p.write_text(json.dumps({"host": "another-host", "pid": 4242, "pid_start": "1", "command": "run",
                             "taken": "2026-01-01T00:00:00+0000"}))
    t = time.time() - age_s
    os.utime(p, (t, t))


def test_a_lock_from_another_host_counts_while_its_heartbeat_is_fresh(tmp_path):
    run = Run.create(tmp_path / "r")
    _foreign_lock(run.path, age_s=5)
    with pytest.raises(RunLockedError, match="another-host, pid 4242"):
        with run.lock("verify"):
            pass
    _foreign_lock(run.path, age_s=10_000)                          # no heartbeat for long: stale
    with run.lock("verify"):
        assert holder(run.path)["host"] != "another-host"
    assert holder(run.path) is None


def test_a_reused_process_id_does_not_keep_a_dead_drivers_lock(tmp_path):
    run = Run.create(tmp_path / "r")
    if _start_time(os.getppid()) is None:
        pytest.skip("needs /proc to tell a reused process id apart")
    from boundary.store.lock import _HOST
    (run.path / LOCK_FILE).write_text(json.dumps({"host": _HOST, "pid": os.getppid(), "pid_start": "0",
                                                  "command": "run"}))
    with run.lock("sample"):                                       # alive pid, other start time: stale
        assert holder(run.path)["pid"] == os.getpid()


def test_the_heartbeat_refreshes_the_lock_and_nesting_releases_once(tmp_path):
    with run_lock(tmp_path, "run", heartbeat_s=0.05):
        p = tmp_path / LOCK_FILE
        t = time.time() - 100
        os.utime(p, (t, t))
        with run_lock(tmp_path, "sample"):                         # re-entrant: same process
            time.sleep(0.3)
            assert holder(tmp_path)["age_s"] < 50                 # the heartbeat touched it
        assert p.exists()                                          # the outer block still holds it
    assert not p.exists()
