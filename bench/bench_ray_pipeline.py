"""Sampling and verification on a Ray cluster: verification pipelined behind sampling against the two
stages one after the other, on the same spec, in one run.

The engine is a stand-in for a GPU: backend ``stream`` (registered below) sleeps ``--delay`` seconds per
chunk, as if the GPU were generating, and returns bench_verify.py's realistic answers for the problem
(correct forms, wrong answers, junk, pathological boxes), so verification costs what it costs on real
samples. N MATH500 problems × n samples, 2 models; a local cluster of a head (0 CPUs) and K worker
nodes of ``--cpus`` CPUs, one engine actor per model (1 CPU), verification tasks of 1 CPU.

- **sequential**: ``RayExecutor.sample`` then ``RayExecutor.verify`` (what the executor did before);
- **pipelined**: ``RayExecutor.sample_and_verify`` (each samples shard graded as its unit lands).

Reported: wall time of each, and that both runs hold the same samples and verdicts. The cluster runs
in a loopback-only network namespace (the script re-executes itself under ``unshare -n``; run as root).

    python bench/bench_ray_pipeline.py [--problems 24] [--samples 256] [--delay 0.25] [--nodes 2] [--cpus 2]
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
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
MATH500 = ROOT / "tests" / "data" / "math" / "math500.jsonl"

# ------------------------------------------------------------------------------------ the stand-in engine
from boundary.sampling.backends import Backend, register_backend  # noqa: E402
from boundary.sampling.types import Completion  # noqa: E402


@lru_cache(maxsize=1)
def _problems() -> dict[str, tuple[int, dict]]:
    rows = [json.loads(line) for line in MATH500.read_text().splitlines() if line.strip()]
    return {r["unique_id"]: (i, r) for i, r in enumerate(rows)}


@lru_cache(maxsize=64)
def _answers(problem_id: str, samples: int) -> list[str]:
    from bench_verify import make_problem_stream
    i, row = _problems()[problem_id]
    return [s.response for s in make_problem_stream(i, row, samples, 0)]


class StreamBackend(Backend):
    name = "stream"

    def __init__(self, engine):
        self.delay = float(engine.engine_args.get("delay_s", 0.0))
        self.samples = int(engine.engine_args.get("samples", 1024))

    def generate(self, requests, params):
        for req in requests:
            time.sleep(self.delay)                  # the GPU at work
            answers = _answers(req.problem_id, self.samples)
            yield req, [Completion(answers[(req.first_index + i) % len(answers)], "stop", 50, 200)
                        for i in range(req.n)]

    def info(self):
        return {"backend": "stream", "version": "1"}


register_backend("stream", StreamBackend)


# ------------------------------------------------------------------------------------------------ bench
def spec(args, work: Path):
    from boundary.spec import parse_spec
    return parse_spec({
        "seed": 0, "template": "raw",
        "models": [{"name": m, "backend": "stream", "path": "none",
                    "engine_args": {"delay_s": args.delay, "samples": args.samples}} for m in ("base", "rl")],
        "benchmarks": [{"name": "math500", "source": str(MATH500), "limit": args.problems}],
        "sampling": {"n": args.samples, "chunk_size": 64, "max_tokens": 256},
        "verify": {"workers": 1}})


def table(path: Path, name: str, cols: list[str]) -> list:
    from boundary.store import Run
    t = Run(path).read(name, cols)
    return sorted(tuple(r[c] for c in cols) for r in t.to_pylist())


def inner(args) -> dict:
    import ray
    from ray.cluster_utils import Cluster

    from boundary.executors import ExecutorConfig
    from boundary.executors.ray import RayExecutor
    from boundary.store import Run
    work = Path(args.work)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(args.nodes):
        cluster.add_node(num_cpus=args.cpus)
    cluster.wait_for_nodes()
    out: dict = {"problems": args.problems, "samples": args.samples, "models": 2, "delay_s": args.delay,
                 "nodes": args.nodes, "cpus_per_node": args.cpus}
    try:
        cfg = ExecutorConfig(kind="ray", address=cluster.address, unit_samples=args.unit, replicas=1, verify_cpus=1)
        s = spec(args, work)
        plan = s.sampling_plan()
        configs = {"math": s.verify.to_config()}
        ex = RayExecutor(cfg)
        ex._connect()
        # warm-up (worker processes, imports) on a throwaway run, so neither timed run pays it
        warm = spec(argparse.Namespace(**{**vars(args), "problems": 2, "samples": 64, "delay": 0.0}), work)
        ex.sample_and_verify(Run.create(work / "warm"), warm.sampling_plan(), configs)
        for mode in ("sequential", "pipelined", "sequential2", "pipelined2"):
            run = Run.create(work / mode)
            t = time.perf_counter()
            if mode.startswith("sequential"):
                ex.sample(run, plan)
                v = ex.verify(run, configs)
            else:
                _, v = ex.sample_and_verify(run, plan, configs)
            out[f"{mode}_s"] = round(time.perf_counter() - t, 2)
            out[f"{mode}_verified"] = v.verified
    finally:
        ray.shutdown()
        cluster.shutdown()
    cols = ["model", "problem_id", "sample_index", "text"]
    vcols = ["model", "problem_id", "sample_index", "status"]
    out["same_samples"] = table(work / "sequential", "samples", cols) == table(work / "pipelined", "samples", cols)
    out["same_verdicts"] = table(work / "sequential", "verdicts", vcols) == table(work / "pipelined", "verdicts",
                                                                                 vcols)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=24)
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--delay", type=float, default=0.25, help="seconds per chunk of 64 (the stand-in GPU)")
    ap.add_argument("--unit", type=int, default=256, help="samples per work unit")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if os.environ.get("BOUNDARY_BENCH_INNER"):
        print(json.dumps(inner(args)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bpipe", dir="/tmp"))
    env = dict(os.environ, BOUNDARY_BENCH_INNER="1", RAY_TMPDIR=str(work / "r"), RAY_USAGE_STATS_ENABLED="0",
               BOUNDARY_PLUGINS="bench_ray_pipeline",
               PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    argv = " ".join(f'"{a}"' for a in sys.argv[1:])
    cmd = ["unshare", "-n", "sh", "-c",
           f'ip link set lo up && exec "{sys.executable}" "{__file__}" {argv} --work "{work}"']
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode or not lines:
        print(r.stderr[-3000:], file=sys.stderr)
        return 1
    res = json.loads(lines[-1])
    print(json.dumps(res, indent=1))
    print(f"\n| mode | wall (s), 1st | wall (s), 2nd |\n|---|---|---|\n"
          f"| sample, then verify | {res['sequential_s']} | {res['sequential2_s']} |\n"
          f"| verification pipelined behind sampling | {res['pipelined_s']} | {res['pipelined2_s']} |")
    return 0 if res["same_samples"] and res["same_verdicts"] else 1


if __name__ == "__main__":
    sys.exit(main())
