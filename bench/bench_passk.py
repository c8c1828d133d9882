"""Benchmark: the full pass@k curve (10,000 problems x n = 1024, every k = 1..1024).

Compares ``boundary.pass_at_k_curve`` with the algorithm of the paper's released ``pass@k.py``
(LeapLabTHU/limit-of-RLVR ``math/pass@k.py``, the same estimator as human-eval): a Python loop
over problems, for each k, of ``1 - prod(1 - k / arange(n - c + 1, n + 1))``, averaged.

Also measures the peak memory of ``pass_at_k_curve`` (tracemalloc) for n in {256, 1024, 4096,
16384} with 10,000 problems, and times the paired bootstrap (``compare``, B = 2000).

Usage::

    .venv/bin/python bench/bench_passk.py            # full run (reference loop takes ~1-2 min)
    .venv/bin/python bench/bench_passk.py --quick    # reference on a subset, extrapolated

Prints a Markdown table (the figures of docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc

import numpy as np

from boundary import pass_at_k_curve
from boundary.analysis import compare
from boundary.analysis import passk as passk_mod

PROBLEMS = 10_000
N = 1024
SEED = 20250418
MEMORY_NS = (256, 1024, 4096, 16384)
# Run the reference on every problem only if its estimated time is below this many seconds.
REFERENCE_FULL_LIMIT_S = 300.0


# ----------------------------------------------------------------------------- reference

def reference_pass_at_k(n, c, k):
    """Per-problem estimator of the paper's pass@k.py (and human-eval)."""
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def reference_curve(n: np.ndarray, c: np.ndarray, k_max: int) -> np.ndarray:
    """Mean over problems for each k = 1..k_max, in a Python loop (what users would otherwise run)."""
    n_list, c_list = [int(x) for x in n], [int(x) for x in c]
    return np.array([np.mean([reference_pass_at_k(ni, ci, k) for ni, ci in zip(n_list, c_list)])
                     for k in range(1, k_max + 1)])


# ----------------------------------------------------------------------------- helpers

def make_counts(problems: int, n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Per-problem accuracy p ~ Beta(0.3, 0.7), correct count c ~ Binomial(n, p)."""
    rng = np.random.default_rng(seed)
    p = rng.beta(0.3, 0.7, size=problems)
    return np.full(problems, n, dtype=np.int64), rng.binomial(n, p).astype(np.int64)


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_memory(fn) -> float:
    """Peak traced allocation (bytes) during fn(), NumPy buffers included."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return float(peak)


def fmt_s(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


# ----------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="reference on 200 problems (extrapolated), fewer repeats, B=200 bootstrap")
    ap.add_argument("--reference-subset", type=int, default=None,
                    help="run the reference loop on this many random problems and extrapolate")
    args = ap.parse_args(argv)

    repeats = 3 if args.quick else 7
    n_boot = 200 if args.quick else 2000
    n, c = make_counts(PROBLEMS, N)

    print(f"# pass@k benchmark ({'quick' if args.quick else 'full'})", flush=True)
    print(f"python {platform.python_version()}, numpy {np.__version__}, nproc {os.cpu_count()}, "
          f"{platform.machine()} {platform.system()}", flush=True)
    print(f"counts: {PROBLEMS} problems x n={N}, p ~ Beta(0.3, 0.7), c ~ Binomial(n, p), seed {SEED}; "
          f"{len(np.unique(c))} distinct c", flush=True)

    # 1. ours
    t_ours, (ks, ours) = best_of(lambda: pass_at_k_curve(n, c), repeats)
    print(f"boundary.pass_at_k_curve: best of {repeats}: {fmt_s(t_ours)}", flush=True)

    # 2. reference: estimate from a small probe, then run fully if cheap enough
    subset = args.reference_subset or (200 if args.quick else None)
    rng = np.random.default_rng(SEED + 1)
    if subset is None:
        probe = rng.choice(PROBLEMS, size=100, replace=False)
        t_probe, _ = best_of(lambda: reference_curve(n[probe], c[probe], N), 1)
        estimate = t_probe * PROBLEMS / probe.size
        print(f"reference probe: 100 problems in {fmt_s(t_probe)} -> ~{estimate:.0f} s for all", flush=True)
        if estimate > REFERENCE_FULL_LIMIT_S:
            subset = 1000
    if subset is None or subset >= PROBLEMS:
        t_ref, ref = best_of(lambda: reference_curve(n, c, N), 1)
        ref_note = f"all {PROBLEMS} problems, measured"
        t_ref_full = t_ref
        diff = float(np.max(np.abs(ref - ours)))
        diff_note = "full curves"
    else:
        idx = np.sort(rng.choice(PROBLEMS, size=subset, replace=False))
        t_ref, ref = best_of(lambda: reference_curve(n[idx], c[idx], N), 1)
        t_ref_full = t_ref * PROBLEMS / subset
        ref_note = f"EXTRAPOLATED from {subset} random problems ({fmt_s(t_ref)}) x {PROBLEMS // subset}"
        _, ours_sub = pass_at_k_curve(n[idx], c[idx])
        diff = float(np.max(np.abs(ref - ours_sub)))
        diff_note = f"curves of the {subset}-problem subset"
    print(f"reference loop: {fmt_s(t_ref_full)} ({ref_note})", flush=True)
    print(f"max |ours - reference| over k = 1..{N} ({diff_note}): {diff:.3e}", flush=True)

    # 3. peak memory vs n
    mem_rows = []
    for nv in MEMORY_NS:
        nn, cc = make_counts(PROBLEMS, nv)
        peak = peak_memory(lambda nn=nn, cc=cc: pass_at_k_curve(nn, cc))
        t_nv, _ = best_of(lambda nn=nn, cc=cc: pass_at_k_curve(nn, cc), 1 if nv >= 4096 else 3)
        mem_rows.append((nv, len(np.unique(cc)), peak, t_nv))
        print(f"n={nv}: {len(np.unique(cc))} distinct c, peak {peak / 2**20:.1f} MiB, {fmt_s(t_nv)}", flush=True)
    block_mib = passk_mod._BLOCK_ELEMENTS * 8 / 2**20

    # 4. paired bootstrap
    _, rl_c = make_counts(PROBLEMS, N, seed=SEED + 2)
    t_boot, cmp_ = best_of(lambda: compare(n, c, n, rl_c, reference="base", other="rl", n_boot=n_boot, seed=0),
                           1 if not args.quick else 1)
    print(f"compare (B={n_boot}): {fmt_s(t_boot)}; crossover {cmp_.crossover.describe()}", flush=True)

    # Markdown
    print()
    print(f"| measurement ({PROBLEMS:,} problems, n = {N}, k = 1..{N}) | time |")
    print("|---|---|")
    print(f"| `boundary.pass_at_k_curve` (best of {repeats}) | {fmt_s(t_ours)} |")
    print(f"| reference loop of the paper's `pass@k.py` ({ref_note}) | {fmt_s(t_ref_full)} |")
    print(f"| ratio reference / ours | {t_ref_full / t_ours:,.0f}x |")
    print(f"| max abs difference of the curves ({diff_note}) | {diff:.2e} |")
    print(f"| `boundary.analysis.compare`, paired bootstrap B = {n_boot} | {fmt_s(t_boot)} |")
    print()
    print("| n (10,000 problems, all k = 1..n) | distinct c | peak traced memory | time |")
    print("|---|---|---|---|")
    for nv, g, peak, t_nv in mem_rows:
        print(f"| {nv:,} | {g:,} | {peak / 2**20:.1f} MiB | {fmt_s(t_nv)} |")
    print()
    print(f"Work block: `_BLOCK_ELEMENTS` = {passk_mod._BLOCK_ELEMENTS:,} float64 = {block_mib:.1f} MiB.")
    ok = t_ours < 0.5
    print(f"Target full curve < 0.5 s: {'met' if ok else 'NOT met'} ({fmt_s(t_ours)}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
