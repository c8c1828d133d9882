"""Planning the sample stage on a large store: per-chunk counts (today) against a set of every key (before).

Builds a synthetic run store of the six math benchmarks (2,836 problems) × n samples per problem for
1, 5, 10, ... models: only the key columns are filled (the others are null), in unit-named shards of
``--unit-chunks`` chunks (1,024 rows by default, the stage's default unit), with a fraction
``--holes`` of the units left out (a study that crashed midway). Then it times the driver's whole
plan (every model × benchmark) in a fresh subprocess per method, on the same store:

- ``counts``: ``Run.shard_keys`` once, then ``plan_units`` per pair (what ``prepare`` does now:
  from unit names and row counts where every shard of the pair is a whole unit, else
  ``Run.stored_chunks``' Arrow counts). Timed twice: ``counts-cold`` without the run's remembered
  footers (``footers-samples.parquet`` removed first: every shard's footer is read, and the file
  written), then ``counts-warm`` with them (only a stat per shard).
- ``keys``: the former planner (``tests/helpers/old_planner.py``): ``Run.keys`` (a Python set of every
  stored key of the pair) and a membership test per sample index. Quadratic: skipped on stores of more
  than ``--keys-max-models`` models.

Each subprocess reports wall time, its peak resident memory (``ru_maxrss``), its resident memory
before planning (interpreter and imports), Arrow's peak allocation, and a digest of the plan
(units, their skipped samples, samples already stored); the digests must agree. The store is built
``--jobs`` models at a time (~1.5 ms a shard; 100 models are ~283,000 shards, ~1.7 GB).

    PYTHONPATH=src python bench/bench_planning.py --models 1,5,10
    PYTHONPATH=src python bench/bench_planning.py --models 10,50,100 --methods counts
    PYTHONPATH=src python bench/bench_planning.py --models 1,5,10
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The six math benchmarks of the paper's study and their sizes (2,836 problems).
BENCHMARKS = {"gsm8k": 1319, "math500": 500, "minerva": 272, "olympiadbench": 675, "aime24": 30, "amc23": 40}


def problem_ids(bench: str, size: int) -> list[str]:
    return [f"{bench}-{i:04d}" for i in range(size)]


def build_model(run_dir: Path, m: int, *, n: int, chunk: int, unit_chunks: int, holes: float, seed: int) -> int:
    """Write the shards of model ``m`` (an index) into the run; returns the number written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from boundary.sampling.seeds import derive_seed
    from boundary.sampling.stage import sample_unit
    from boundary.sampling.types import ChunkRequest
    from boundary.store import schema as S

    d = run_dir / "samples"
    model = f"ckpt-{m:03d}"
    rnd = random.Random(seed * 100_003 + m)
    keys = ("model", "benchmark", "problem_id", "sample_index")
    nulls: dict[int, list[pa.Array]] = {}                  # the other columns, all null, by shard length
    written = 0
    for bench, size in BENCHMARKS.items():
        chunks = [(p, j) for p in problem_ids(bench, size) for j in range(-(-n // chunk))]
        for s in range(0, len(chunks), unit_chunks):
            if rnd.random() < holes:
                continue
            unit = chunks[s:s + unit_chunks]
            pids, idx = [], []
            for p, j in unit:
                rows = range(j * chunk, min((j + 1) * chunk, n))
                pids += [p] * len(rows)
                idx += rows
            k = len(idx)
            if k not in nulls:
                nulls[k] = [pa.nulls(k, f.type) for f in S.SAMPLES if f.name not in keys]
            t = pa.Table.from_arrays([pa.array([model] * k), pa.array([bench] * k), pa.array(pids),
                                      pa.array(idx, pa.int32()), *nulls[k]], schema=S.SAMPLES)
            # named as the sample stage names a unit of a fresh run (plan seed 0, as worker() plans)
            name = sample_unit(model, bench, [
                ChunkRequest(bench, p, j, j * chunk, min(chunk, n - j * chunk),
                             derive_seed(0, model, bench, p, j), "") for p, j in unit])
            # the store's writer without its fsync (Run.write): same schema, compression and naming
            pq.write_table(t, d / f"part-u-{name}.parquet", compression="zstd")
            written += 1
    return written


def build(run_dir: Path, models: range, *, jobs: int, **kw) -> int:
    """Write the shards of ``models`` (indices) into the run, ``jobs`` models at a time; returns the number written."""
    from concurrent.futures import ProcessPoolExecutor

    from boundary.store import Run

    run = Run.create(run_dir)
    (run.path / "samples").mkdir(exist_ok=True)
    if jobs <= 1:
        return sum(build_model(run_dir, m, **kw) for m in models)
    with ProcessPoolExecutor(jobs) as ex:
        return sum(ex.map(functools.partial(build_model, run_dir, **kw), models))


def worker(args) -> None:
    """Plan every model × benchmark of the store with one method; print one JSON line."""
    sys.path.insert(0, str(ROOT))
    from tests.helpers.old_planner import old_plan_units      # the former planner, one copy for bench and test
    import pyarrow as pa

    from boundary.sampling.plan import EngineConfig, ModelPlan, SamplingPlan
    from boundary.sampling.stage import plan_units
    from boundary.sampling.types import SamplingParams
    from boundary.store import Run
    from boundary.tasks import Problem

    benchmarks = {b: [Problem(b, p, "q", "0") for p in problem_ids(b, size)] for b, size in BENCHMARKS.items()}
    models = tuple(ModelPlan.of(EngineConfig(name=f"ckpt-{m:03d}", backend="tiny"), SamplingParams(),
                                chunk_size=args.chunk) for m in range(args.models))
    plan = SamplingPlan(seed=0, n=args.n, chunk_size=args.chunk, models=models, benchmarks=benchmarks)
    prompts = {b: {p.id: p.question for p in ps} for b, ps in benchmarks.items()}
    run = Run(args.run)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digest = hashlib.sha256()
    units = have = 0
    t0 = time.perf_counter()
    index = run.shard_keys("samples") if args.worker == "counts" else None
    for model in plan.models:
        for bench, problems in plan.benchmarks.items():
            if args.worker == "counts":
                u, h = plan_units(run, plan, model, bench, problems, prompts[bench], unit_chunks=args.unit_chunks,
                                  index=index)
            else:
                u, h = old_plan_units(run, plan, model, bench, problems, prompts[bench],
                                      unit_chunks=args.unit_chunks)
            units += len(u)
            have += h
            for w in u:
                digest.update(f"{w.name}:{sorted(w.skip)}\n".encode())
            digest.update(f"{model.name}/{bench}:{h}\n".encode())
    seconds = time.perf_counter() - t0
    print(json.dumps({"method": args.worker, "seconds": seconds, "units": units, "have": have,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "base_rss_mb": base_kb / 1024, "arrow_peak_mb": pa.default_memory_pool().max_memory() / 2**20,
                      "digest": digest.hexdigest()[:16]}))


def measure(method: str, run_dir: Path, models: int, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--run", str(run_dir), "--models", str(models),
           "--n", str(args.n), "--chunk", str(args.chunk), "--unit-chunks", str(args.unit_chunks)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"method": method, "seconds": None, "timeout": args.timeout}
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"the {method} planner failed on {models} models:\n{e.stderr}") from None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="1,5,10", help="store sizes, in models (each × 2,836 problems × n)")
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--chunk", type=int, default=64, help="chunk_size (the spec's default)")
    ap.add_argument("--unit-chunks", type=int, default=16, help="chunks per unit = per shard (16 × 64 = 1,024 rows)")
    ap.add_argument("--holes", type=float, default=0.01, help="fraction of units left out of the store")
    ap.add_argument("--methods", default="counts,keys",
                    help="counts: the driver's plan, timed twice (cold: no footers file; warm: with the one "
                         "the cold plan wrote); keys: the former planner")
    ap.add_argument("--keys-max-models", type=int, default=5,
                    help="skip the keys planner on larger stores (it is quadratic: hours at 100 models)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes building the store")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per planning subprocess")
    ap.add_argument("--dir", type=Path, default=None, help="where to build the store (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the store")
    ap.add_argument("--worker", choices=["counts", "keys"], help=argparse.SUPPRESS)
    ap.add_argument("--run", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker:
        args.models = int(args.models)
        worker(args)
        return

    sizes = sorted({int(x) for x in args.models.split(",")})
    base = args.dir or Path(tempfile.mkdtemp(prefix="bench-planning-"))
    run_dir = base / "run"
    print(f"store {run_dir}: {len(BENCHMARKS)} benchmarks, {sum(BENCHMARKS.values())} problems, n = {args.n}, "
          f"chunk {args.chunk}, {args.unit_chunks * args.chunk} rows a shard, holes {args.holes:.0%}")
    built = shards = 0
    rows = []
    try:
        for m in sizes:
            t0 = time.perf_counter()
            shards += build(run_dir, range(built, m), jobs=args.jobs, n=args.n, chunk=args.chunk,
                            unit_chunks=args.unit_chunks, holes=args.holes, seed=1)
            built = m
            size_mb = sum(f.stat().st_size for f in (run_dir / "samples").iterdir()) / 2**20
            print(f"\n{m} models: {shards} shards, {size_mb:.0f} MB on disk (built in "
                  f"{time.perf_counter() - t0:.0f} s)", flush=True)
            results = []
            for meth in args.methods.split(","):
                if meth == "counts":
                    (run_dir / "footers-samples.parquet").unlink(missing_ok=True)
                    results.append({**measure(meth, run_dir, m, args), "method": "counts-cold"})
                    results.append({**measure(meth, run_dir, m, args), "method": "counts-warm"})
                elif m <= args.keys_max_models:
                    results.append(measure(meth, run_dir, m, args))
            for r in results:
                if r.get("seconds") is None:
                    print(f"  {r['method']:>11}: over {r['timeout']:.0f} s (stopped)", flush=True)
                    continue
                print(f"  {r['method']:>11}: {r['seconds']:8.1f} s  peak RSS {r['peak_rss_mb']:7.0f} MB (before "
                      f"planning {r['base_rss_mb']:.0f} MB; Arrow peak {r['arrow_peak_mb']:.0f} MB)  "
                      f"{r['units']} units to draw, {r['have']:,} samples stored, plan {r['digest']}", flush=True)
                rows.append({"models": m, "shards": shards, **r})
            digests = {r["digest"] for r in results if r.get("digest")}
            if len(digests) > 1:
                raise SystemExit(f"the planners disagree on {m} models: {digests}")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    print("\n" + json.dumps(rows))


if __name__ == "__main__":
    main()
