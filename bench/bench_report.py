"""Time ``boundary report`` on a run (the demo's by default): this checkout against an earlier revision.

The earlier revision's ``src/`` is extracted with ``git archive`` into a temporary directory (the
repository and its work tree are not touched). Each measurement is a fresh Python process that
times ``analyze(run)`` and then ``write_report(analysis, tmp)`` (wall time; CPU time of the report
with its worker processes included) — what ``boundary report RUN`` does after importing; the two
code paths alternate, so a machine shared with other jobs slows both alike.

    .venv/bin/python bench/bench_report.py                       # runs/demo, this checkout vs main
    .venv/bin/python bench/bench_report.py RUN --before REV --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, tempfile, time
from boundary.analysis import analyze
from boundary.report import write_report
from boundary.store import Run
import boundary
t0 = time.perf_counter()
a = analyze(Run(sys.argv[1]))
analysis_wall = time.perf_counter() - t0
out = tempfile.mkdtemp(prefix="bench-report-")
c0 = resource.getrusage(resource.RUSAGE_SELF); k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
paths = write_report(a, out)
wall = time.perf_counter() - t0
c1 = resource.getrusage(resource.RUSAGE_SELF); k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) + (k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime)
figs = sorted(os.listdir(os.path.join(out, "figures")))
print(json.dumps({"analysis": analysis_wall, "wall": wall, "cpu": cpu, "files": len(figs),
                  "figures": len({f.rsplit(".", 1)[0] for f in figs}), "module": boundary.__file__}))
import shutil; shutil.rmtree(out)
"""


def extract(rev: str, into: Path) -> Path:
    """``src/`` of ``rev`` (git archive) under ``into``; returns the directory to put on PYTHONPATH."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def measure(src: Path, run: Path, workers: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "MPLBACKEND": "Agg", "BOUNDARY_REPORT_WORKERS": workers}
    r = subprocess.run([sys.executable, "-c", CHILD, str(run)], env=env, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise SystemExit(f"measurement with {src} failed:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert Path(out["module"]).resolve().is_relative_to(src.resolve()), out["module"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", nargs="?", default=str(ROOT / "runs" / "demo"), help="run directory (default runs/demo)")
    ap.add_argument("--before", default="main", help="git revision of the earlier code (default main)")
    ap.add_argument("--repeats", type=int, default=3, help="measurements of each code path (default 3)")
    ap.add_argument("--sequential-too", action="store_true",
                    help="also time this checkout with every figure drawn in the main process (1 worker)")
    args = ap.parse_args()
    run = Path(args.run)
    if not (run / "manifest.json").exists():
        raise SystemExit(f"{run} is not a run; make one with `make demo` or pass a run directory.")
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.before], check=True,
                         capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-report-before-") as tmp:
        paths = {f"before ({args.before} {rev})": (extract(args.before, Path(tmp)), ""),
                 f"after (this checkout, {head})": (ROOT / "src", "")}
        if args.sequential_too:
            paths[f"after, 1 process ({head})"] = (ROOT / "src", "1")
        results: dict[str, list[dict]] = {k: [] for k in paths}
        for i in range(args.repeats):
            for name, (src, workers) in paths.items():
                m = measure(src, run, workers)
                results[name].append(m)
                print(f"  {i + 1}/{args.repeats} {name}: analysis {m['analysis']:.2f} s, report {m['wall']:.2f} s "
                      f"wall, {m['cpu']:.2f} s CPU, "
                      f"{m['figures']} figures ({m['files']} files)", flush=True)
    load = os.getloadavg()
    print(f"\nrun {run}; {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| code | analyze + write_report (median) | min | analyze (median) | write_report (median) "
          "| write_report CPU incl. workers | figures | files |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, ms in results.items():
        totals = [m["analysis"] + m["wall"] for m in ms]
        med = {k: statistics.median(m[k] for m in ms) for k in ("analysis", "wall", "cpu")}
        print(f"| {name} | {statistics.median(totals):.2f} s | {min(totals):.2f} s | {med['analysis']:.2f} s "
              f"| {med['wall']:.2f} s | {med['cpu']:.2f} s | {ms[0]['figures']} | {ms[0]['files']} |")


if __name__ == "__main__":
    main()
