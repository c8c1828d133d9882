"""`boundary verify RUN`: verdicts for every sample, resumable, statuses kept apart, graders compared."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pytest

from boundary import Run
from boundary.errors import StoreError
from boundary.verify import MathVerifyConfig, compare_graders, verify_run

CONFIG = MathVerifyConfig(workers=2, timeout_s=3.0)

RESPONSES = [
    ("so the answer is $\\boxed{\\frac{1}{2}}$.", "stop"),      # correct (symbolic/numeric)
    ("The answer is \\boxed{0.5}", "stop"),                       # correct
    ("I get \\boxed{0.25}", "stop"),                              # wrong
    ("Let me think about 1/2 and 3 more...", "stop"),             # no_answer (no marked answer)
    ("... \\boxed{1/2}", "length"),                               # truncated
]


def make_run(path, problems=3, copies=4, shard_rows=None):
    run = Run.create(path)
    run.write("problems", pa.Table.from_pylist([
        {"benchmark": "toy", "problem_id": f"p{i}", "question": "half?", "reference": "\\frac{1}{2}",
         "metadata": json.dumps({"level": 1})} for i in range(problems)]))
    rows = []
    for i in range(problems):
        for c in range(copies):
            for j, (text, fr) in enumerate(RESPONSES):
                rows.append({"model": "m", "benchmark": "toy", "problem_id": f"p{i}",
                             "sample_index": c * len(RESPONSES) + j, "text": text, "finish_reason": fr})
    step = shard_rows or len(rows)
    for i in range(0, len(rows), step):                    # one samples shard per `shard_rows` samples
        run.write("samples", pa.Table.from_pylist(rows[i:i + step]))
    run.add_models(["m"])
    run.add_benchmarks(["toy"])
    return run


def test_verify_run_writes_statuses_and_resumes(tmp_path):
    run = make_run(tmp_path / "r")
    s = verify_run(run, CONFIG, flush_every=7)
    n = 3 * 4 * len(RESPONSES)
    assert s.verified == n and s.skipped == 0
    assert s.statuses == {"correct": 24, "wrong": 12, "no_answer": 12, "truncated": 12}
    assert s.distinct_checks <= 3          # three distinct answers over 60 samples
    counts = run.counts().to_pylist()
    assert [(c["n"], c["correct"]) for c in counts] == [(20, 8)] * 3
    v = run.verdicts().to_pylist()
    assert all(x["verifier"].startswith("boundary-math/1;grader=boundary") for x in v)
    assert {x["path"] for x in v if x["status"] == "truncated"} == {"finish_reason"}
    again = verify_run(run, CONFIG)
    assert again.verified == 0 and again.skipped == n
    assert run.verdicts().num_rows == n
    assert "verify" in run.manifest["stages"]


def test_allow_truncated_grades_cut_off_samples(tmp_path):
    run = make_run(tmp_path / "r", problems=1, copies=1)
    s = verify_run(run, MathVerifyConfig(workers=1, allow_truncated=True))
    assert s.statuses == {"correct": 3, "wrong": 1, "no_answer": 1}


def test_a_hanging_check_is_a_timeout_and_the_run_goes_on(tmp_path):
    run = make_run(tmp_path / "r", problems=1, copies=1)
    run.write("samples", pa.Table.from_pylist([
        {"model": "m", "benchmark": "toy", "problem_id": "p0", "sample_index": 100,
         "text": "\\boxed{" + "2^{" * 30 + "2" + "}" * 30 + "}", "finish_reason": "stop"},
        {"model": "m", "benchmark": "toy", "problem_id": "p0", "sample_index": 101,
         "text": "\\boxed{" + "\\frac{1}{" * 3000 + "2" + "}" * 3000 + "}", "finish_reason": "stop"},
    ]))
    s = verify_run(run, MathVerifyConfig(workers=1, timeout_s=2.0))
    assert s.verified == 7
    v = {x["sample_index"]: x for x in run.verdicts().to_pylist()}
    assert v[100]["status"] in ("timeout", "error", "wrong")
    assert v[101]["status"] in ("timeout", "error", "wrong")
    assert v[0]["status"] == "correct" and v[1]["status"] == "correct"


def test_samples_without_a_problem_record_are_refused(tmp_path):
    run = Run.create(tmp_path / "r")
    run.write("samples", pa.Table.from_pylist([
        {"model": "m", "benchmark": "toy", "problem_id": "ghost", "sample_index": 0, "text": "\\boxed{1}"}]))
    with pytest.raises(StoreError, match="ghost"):
        verify_run(run, CONFIG)


def test_compare_graders_lists_disagreements(tmp_path):
    run = make_run(tmp_path / "r", problems=1, copies=1)
    total, diffs = compare_graders(run, MathVerifyConfig(workers=1), MathVerifyConfig(workers=1, grader="strict"))
    assert total == len(RESPONSES)
    # \frac{1}{2} vs 0.5 are equal numbers: both graders agree; any disagreement must name a sample.
    for d in diffs:
        assert d.a != d.b and d.problem_id == "p0"


KILL_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import boundary.store.run as R
    from boundary.verify import MathVerifyConfig, verify_run
    real = R.Run.write
    calls = {{"n": 0}}
    def write(self, table, data, **kw):
        calls["n"] += 1
        if table == "verdicts" and calls["n"] == 3:
            print("MID", flush=True)
            import time; time.sleep(600)
        return real(self, table, data, **kw)
    R.Run.write = write
    verify_run(sys.argv[1], MathVerifyConfig(workers=1), flush_every=10)
""")


def test_verify_killed_midway_resumes_to_the_same_verdicts(tmp_path):
    """Verdicts land per samples shard (a verdict shard is named after its samples shard): a kill
    loses at most the shards in flight, and the rerun grades only the shards without verdicts."""
    run = make_run(tmp_path / "r", shard_rows=10)
    ref = make_run(tmp_path / "ref")
    verify_run(ref, CONFIG)
    from pathlib import Path
    code = KILL_CHILD.format(tests=str(Path(__file__).parent))
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "r")], stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.stdout.readline().strip() != "MID":
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(tmp_path / "r").verdicts().num_rows
    assert partial == 20                     # two shards of 10 landed, the third never did
    names = sorted(p.name for p in Run(tmp_path / "r").shards("verdicts"))
    assert set(names) <= {p.name for p in Run(tmp_path / "r").shards("samples")}
    assert verify_run(run, CONFIG).verified == 60 - 20
    key = ["model", "benchmark", "problem_id", "sample_index", "status"]
    got = sorted(tuple(r[k] for k in key) for r in Run(tmp_path / "r").verdicts().to_pylist())
    want = sorted(tuple(r[k] for k in key) for r in Run(tmp_path / "ref").verdicts().to_pylist())
    assert got == want


def test_verify_math_works_from_a_script_without_a_main_guard(tmp_path):
    """Workers never re-import the caller's script (no `if __name__ == "__main__":` needed)."""
    script = tmp_path / "check.py"
    script.write_text("from boundary import verify_math\n"
                      "print(verify_math('so $\\\\boxed{2.4 \\\\text{ km}}$', '2.4', hints={'unit': 'm'}).status)\n"
                      "print(verify_math('so $\\\\boxed{10\\\\,080}$', '10080').status)\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["wrong", "correct"]


def test_cli_verify_and_compare(tmp_path):
    run = make_run(tmp_path / "r", problems=2, copies=1)
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "verify", str(run.path), "--workers", "1"],
                       capture_output=True, text=True, cwd=str(root), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "verified 10 samples" in r.stdout and "correct 4" in r.stdout and "truncated 2" in r.stdout
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "verify", str(run.path), "--compare", "--workers", "1"],
                       capture_output=True, text=True, cwd=str(root), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "graded differently" in r.stdout
    assert (run.path / "analysis" / "grader_disagreements.csv").is_file()
    assert Run(run.path).verdicts().num_rows == 10          # --compare writes no verdicts
