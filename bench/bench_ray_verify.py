"""Verification on a Ray cluster against the local verify stage, on the same run, in one run.

A run of N MATH500 problems × S samples (bench_verify.py's realistic stream: correct forms, wrong
answers, tail, junk, pathological boxes), one samples shard per problem, is verified:

- **local**: ``verify_run(run, MathVerifyConfig(workers=W))`` in this process (what a user runs today);
- **ray**: ``RayExecutor.verify`` on a local cluster of a head (0 CPUs) and K worker nodes of 1 CPU,
  one task per samples shard, each with one verifier worker.

Reported: wall time of each, the Ray run's effective parallelism (Σ task busy time / span: how many
tasks ran at once, robust on a shared machine), rows per node, and that both give the same verdicts.
The cluster runs in a loopback-only network namespace (the script re-executes itself under
``unshare -n``; run it as root).

    python bench/bench_ray_verify.py [--problems 16] [--samples 1024] [--nodes 2] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))


def build_run(path: Path, problems: int, samples: int) -> None:
    import pyarrow as pa

    from bench_verify import load_problems, make_stream
    from boundary.store import Run
    data = load_problems(ROOT / "tests" / "data" / "math" / "math500.jsonl")
    _, refs, stream = make_stream(data, problems, samples)
    run = Run.create(path)
    run.add_models(["m"])
    run.add_benchmarks(["math500"])
    run.write("problems", pa.Table.from_pylist([
        {"benchmark": "math500", "problem_id": str(i), "question": "q", "reference": r, "metadata": "{}"}
        for i, r in enumerate(refs)]))
    by_problem: dict[int, list] = {}
    for s in stream:
        by_problem.setdefault(s.problem, []).append(s)
    for pid, rows in by_problem.items():
        run.write("samples", pa.Table.from_pylist([
            {"model": "m", "benchmark": "math500", "problem_id": str(pid), "sample_index": j, "text": s.response,
             "finish_reason": "stop"} for j, s in enumerate(rows)]), unit=f"bench-{pid}")


def verdicts(path: Path) -> list:
    from boundary.store import Run
    t = Run(path).read("verdicts", ["model", "benchmark", "problem_id", "sample_index", "status"])
    return sorted(tuple(r.values()) for r in t.to_pylist())


def inner(args) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    from boundary.executors import ExecutorConfig
    from boundary.executors.ray import RayExecutor
    from boundary.verify import MathVerifyConfig, verify_run
    work = Path(args.work)
    base = work / "base"
    build_run(base, args.problems, args.samples)
    shutil.copytree(base, work / "local")
    shutil.copytree(base, work / "ray")
    t = time.perf_counter()
    verify_run(work / "local", MathVerifyConfig(workers=args.workers))
    local_s = time.perf_counter() - t

    t = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(args.nodes):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    start_s = time.perf_counter() - t
    try:
        ex = RayExecutor(ExecutorConfig(kind="ray", address=cluster.address, verify_cpus=1))
        ex._connect()
        t = time.perf_counter()
        from boundary.store import Run
        ex.verify(Run(work / "ray"), {"math": MathVerifyConfig(workers=1)})
        ray_s = time.perf_counter() - t
    finally:
        ray.shutdown()
        cluster.shutdown()
    same = verdicts(work / "local") == verdicts(work / "ray")
    return {"problems": args.problems, "samples": args.samples, "rows": args.problems * args.samples,
            "local_workers": args.workers, "local_s": round(local_s, 2), "nodes": args.nodes,
            "cluster_start_s": round(start_s, 1), "ray_s": round(ray_s, 2),
            "parallelism": round(ex.verify_stats.parallelism, 2), "per_node": ex.verify_stats.per_node,
            "tasks": len(ex.verify_stats.busy), "same_verdicts": same}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=16)
    ap.add_argument("--samples", type=int, default=1024)
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="verifier workers of the local run")
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if os.environ.get("BOUNDARY_BENCH_INNER"):
        print(json.dumps(inner(args)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bray", dir="/tmp"))
    env = dict(os.environ, BOUNDARY_BENCH_INNER="1", RAY_TMPDIR=str(work / "r"), RAY_USAGE_STATS_ENABLED="0")
    argv = " ".join(f'"{a}"' for a in sys.argv[1:])
    cmd = ["unshare", "-n", "sh", "-c",
           f'ip link set lo up && exec "{sys.executable}" "{__file__}" {argv} --work "{work}"']
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode or not lines:
        print(r.stderr[-3000:], file=sys.stderr)
        return 1
    res = json.loads(lines[-1])
    print(json.dumps(res, indent=1))
    print(f"\n| run | wall (s) | effective parallelism | verdicts |\n|---|---|---|---|\n"
          f"| local verify_run, {res['local_workers']} worker | {res['local_s']} | — | — |\n"
          f"| Ray, {res['nodes']} nodes × 1 CPU, {res['tasks']} tasks | {res['ray_s']} | {res['parallelism']} | "
          f"{'identical' if res['same_verdicts'] else 'DIFFER'} |")
    return 0 if res["same_verdicts"] else 1


if __name__ == "__main__":
    sys.exit(main())
