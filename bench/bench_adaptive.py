"""Adaptive sampling against fixed n through the real sample and verify stages, on the same problems.

A fake engine with known per-problem success rates (``tests/helpers/fake_backend.py``: the answer is
the reference with probability p, decided by the seed) stands in for a model; the rates are drawn
from a Beta population fitted by eye to a base model's MATH500 rates (many problems near 0 or 1).
N problems of MATH500 × n samples, fixed n and ``sampling.adaptive`` (m = r = b given), each run
sampled and verified by ``boundary.pipeline.sample_verify_spec`` in this process, then analyzed.

Reported: samples drawn, wall time of sample + verify, and the analysis' pass@1 and pass@n with their
95% bootstrap half-widths for both runs.

    python bench/bench_adaptive.py [--problems 200] [--n 256] [--m 16]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
MATH500 = ROOT / "tests" / "data" / "math" / "math500.jsonl"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=200)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--m", type=int, default=16, help="m = r = b of the adaptive plan")
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--beta", type=float, nargs=2, default=(0.35, 0.25), help="the population of rates")
    args = ap.parse_args()

    import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
    from boundary import Run
    from boundary.analysis import AnalysisConfig, analyze
    from boundary.pipeline import sample_verify_spec
    from boundary.spec import parse_spec
    from boundary.tasks import load_benchmark
    problems = load_benchmark("math500", source=str(MATH500))[: args.problems]
    rng = np.random.default_rng(0)
    rates = {p.id: float(x) for p, x in zip(problems, rng.beta(*args.beta, size=len(problems)))}
    answers = {p.id: p.reference for p in problems}
    work = Path(tempfile.mkdtemp(prefix="badapt"))
    out: dict = {"problems": len(problems), "n": args.n, "m=r=b": args.m, "beta": list(args.beta)}
    try:
        for mode in ("fixed", "adaptive"):
            sampling = {"n": args.n, "chunk_size": args.chunk, "max_tokens": 64}
            if mode == "adaptive":
                sampling["adaptive"] = {"initial": args.m, "successes": args.m, "batch": args.m}
            spec = parse_spec({"seed": 0, "template": "raw",
                               "models": [{"name": "base", "backend": "fake", "path": "none",
                                           "engine_args": {"p": rates, "answers": answers}}],
                               "benchmarks": [{"name": "math500", "source": str(MATH500), "limit": args.problems}],
                               "sampling": sampling, "verify": {"workers": 1}})
            run = Run.create(work / mode, spec=spec.model_dump(mode="json"))
            t0 = time.perf_counter()
            s, _ = sample_verify_spec(spec, run)
            wall = time.perf_counter() - t0
            band = analyze(run, AnalysisConfig(n_boot=1000)).benchmarks[0].curves["base"]
            out[mode] = {"samples": s.new_samples, "wall_s": round(wall, 1),
                         "pass@1": round(float(band.estimate[0]), 4),
                         "pass@1 ±": round(float(band.upper[0] - band.lower[0]) / 2, 4),
                         "pass@n": round(float(band.estimate[-1]), 4),
                         "pass@n ±": round(float(band.upper[-1] - band.lower[-1]) / 2, 4)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    truth1 = float(np.mean(list(rates.values())))
    truthn = float(np.mean([1 - (1 - p) ** args.n for p in rates.values()]))
    out["truth (these problems)"] = {"pass@1": round(truth1, 4), "pass@n": round(truthn, 4)}
    print(json.dumps(out, indent=1))
    f, a = out["fixed"], out["adaptive"]
    print("\n| run | samples | sample + verify (s) | pass@1 ± half-width | pass@n ± half-width |\n"
          "|---|---:|---:|---|---|\n"
          f"| fixed n = {args.n} | {f['samples']:,} | {f['wall_s']} | {f['pass@1']} ± {f['pass@1 ±']} | "
          f"{f['pass@n']} ± {f['pass@n ±']} |\n"
          f"| adaptive m = r = b = {args.m} | {a['samples']:,} ({a['samples'] / f['samples']:.0%}) | {a['wall_s']} | "
          f"{a['pass@1']} ± {a['pass@1 ±']} | {a['pass@n']} ± {a['pass@n ±']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
