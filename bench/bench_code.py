"""Code verification throughput: boundary's sandbox vs evalplus's own executor, same programs.

Mix per HumanEval+ task (first --tasks tasks): the canonical solution twice (a duplicate, as at
large n), a wrong program (returns None), a whitespace variant of the canonical solution, and for
every 10th task an infinite loop. Both harnesses use 2 workers (the core count), EvalPlus's
default budgets (per test max(1 s, 4 × reference time); boundary: CPU time, evalplus: wall time)
and fail-fast. Calibration / ground-truth computation is done before timing, for both.

    pip install evalplus        # bench only
    python bench/bench_code.py --tasks 164 [--burn 2]

``--burn N`` runs N busy-loop processes during both measurements (a loaded machine). A canonical
solution scored as anything but a pass is a false timeout/failure, reported for both.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT / "tests" / "data" / "code" / "HumanEvalPlus-v0.1.10.jsonl.gz"


def _burn():
    while True:
        pass


def make_mix(problems, n_tasks):
    mix = []  # (problem index, program, kind)
    for i, p in enumerate(problems[:n_tasks]):
        ref = p.reference
        entry = p.metadata["entry_point"]
        mix.append((i, ref, "canonical"))
        mix.append((i, ref, "canonical"))
        mix.append((i, ref.replace("\n", "  \n"), "canonical"))
        mix.append((i, p.question + "    return None\n", "wrong"))
        if i % 10 == 0:
            mix.append((i, f"def {entry}(*args, **kwargs):\n    while True:\n        pass\n", "timeout"))
    return mix


def run_boundary(problems, mix, workers, cache_dir):
    from boundary.verify.code import CodeVerifier, CodeVerifyConfig
    cfg = CodeVerifyConfig(workers=workers, cache_dir=cache_dir, min_total_s=60.0)
    with CodeVerifier(cfg) as v:
        v.prepare([problems[i] for i, _, _ in mix])  # calibration (cached), not timed
        v.isolation  # noqa: B018 - workers up before timing
        t = time.perf_counter()
        out = v.verify_batch([("```python\n" + prog + "\n```", problems[i]) for i, prog, _ in mix])
        dt = time.perf_counter() - t
        iso = v.isolation
    status = ["pass" if o.status == "correct" else o.path for o in out]
    return dt, status, iso, v.executions


def _evalplus_check(args):
    from evalplus.evaluate import check_correctness
    problem, solution, expected = args
    r = check_correctness("humaneval", 0, problem, solution, expected, fast_check=True)
    base, plus = r["base"][0], r["plus"][0]
    return "pass" if base == "pass" and plus == "pass" else (base if base != "pass" else plus)


def run_evalplus(mix, workers, n_tasks):
    tmp = Path(tempfile.mkdtemp())
    plain = tmp / "HumanEvalPlus.jsonl"
    with gzip.open(DATA, "rt") as f, open(plain, "w") as g:
        shutil.copyfileobj(f, g)
    os.environ["HUMANEVAL_OVERRIDE_PATH"] = str(plain)
    from evalplus.data import get_human_eval_plus, get_human_eval_plus_hash
    from evalplus.evaluate import get_groundtruth
    problems = get_human_eval_plus()
    expected = get_groundtruth(problems, get_human_eval_plus_hash(), [])  # cached by evalplus; not timed
    ids = list(problems)[:n_tasks]
    args = [(problems[ids[i]], prog, expected[ids[i]]) for i, prog, _ in mix]
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as ex:
        status = list(ex.map(_evalplus_check, args))
    dt = time.perf_counter() - t
    shutil.rmtree(tmp, ignore_errors=True)
    return dt, status


def summarize(name, dt, status, mix):
    n = len(mix)
    false = sum(1 for (_, _, kind), s in zip(mix, status) if kind == "canonical" and s != "pass")
    wrong_pass = sum(1 for (_, _, kind), s in zip(mix, status) if kind != "canonical" and s == "pass")
    print(f"{name:9s} {n} programs in {dt:7.2f} s = {n / dt:7.1f} programs/s; canonical not passing: {false}; "
          f"non-canonical passing: {wrong_pass}")
    return n / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=164)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--burn", type=int, default=0)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--skip-evalplus", action="store_true")
    a = ap.parse_args()
    from boundary.tasks.code import load_code_benchmark
    problems = load_code_benchmark("humaneval+", DATA)
    mix = make_mix(problems, a.tasks)
    burners = [mp.get_context("fork").Process(target=_burn, daemon=True) for _ in range(a.burn)]
    for b in burners:
        b.start()
    try:
        dt_b, st_b, iso, execs = run_boundary(problems, mix, a.workers, a.cache_dir)
        print(f"tasks={a.tasks} workers={a.workers} burners={a.burn} isolation={iso} executions={execs}")
        rb = summarize("boundary", dt_b, st_b, mix)
        if not a.skip_evalplus:
            dt_e, st_e = run_evalplus(mix, a.workers, a.tasks)
            re_ = summarize("evalplus", dt_e, st_e, mix)
            print(f"speed-up: {rb / re_:.2f}x")
    finally:
        for b in burners:
            b.kill()
            b.join()


if __name__ == "__main__":
    main()
