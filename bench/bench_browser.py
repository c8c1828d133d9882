"""Size and build cost of the sample browser (``samples.html``) for a paper-sized run.

Builds a synthetic run of ``--models`` models × ``--problems`` problems × ``--n`` samples
(default 2 × 500 × 1024 = 1,024,000 samples) with verdicts, then times ``write_browser`` in a
child process and reports the page size, the child's peak RSS, and (when Chromium and Playwright
are available) how long headless Chromium takes to show the problem list and to open a problem.

Texts are realistic in length, not in content: each is a slice of a 4 MB pseudo-text of
Zipf-distributed words, numbers and LaTeX fragments, with lengths drawn log-normally (median
~2,400 characters ≈ 700 tokens, 5% cut at 48,000 characters ≈ 16k tokens). Slices rarely
overlap, so gzip cannot exploit cross-sample repeats that real samples of one problem would have
(real pages compress at least as well).

    .venv/bin/python bench/bench_browser.py                     # 2 × 500 × 1024 (about 10 minutes here)
    .venv/bin/python bench/bench_browser.py --problems 50 --n 64 --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent


def corpus(rng, chars=4_000_000) -> str:
    words = ["the", "we", "so", "then", "let", "is", "of", "and", "to", "a", "number", "sum", "equation",
             "therefore", "substitute", "solve", "x", "y", "n", "k", "square", "root", "\\frac{1}{2}",
             "$x^2 + y^2$", "\\sqrt{3}", "triangle", "angle", "divisible", "prime", "modulo", "case", "check",
             "wait,", "hmm,", "now", "both", "sides", "gives", "answer", "=", "+", "-", "\\cdot", "factor",
             "probability", "integer", "positive", "because", "since", "first", "second", "step", "compute"]
    p = 1.0 / np.arange(1, len(words) + 1) ** 1.1
    p /= p.sum()
    out, size = [], 0
    while size < chars:
        idx = rng.choice(len(words), size=20000, p=p)
        nums = rng.integers(0, 10_000, size=20000)
        chunk = " ".join(words[i] if nums[j] % 6 else str(nums[j]) for j, i in enumerate(idx))
        out.append(chunk + ".\n")
        size += len(chunk)
    return "".join(out)[:chars]


def make_run(path: Path, models: int, problems: int, n: int, seed: int = 0) -> dict:
    from boundary import Run
    rng = np.random.default_rng(seed)
    text = corpus(rng)
    run = Run.create(path)
    run.write("problems", pa.table({
        "benchmark": ["bench"] * problems, "problem_id": [f"q{i:04d}" for i in range(problems)],
        "question": [f"Problem {i}: " + text[i * 300:i * 300 + 300] for i in range(problems)],
        "reference": [str(i) for i in range(problems)], "metadata": ["{}"] * problems}))
    names = [f"model{j}" for j in range(models)]
    total_chars = 0
    p_base = rng.beta(0.3, 0.7, problems)
    for j, m in enumerate(names):
        acc = p_base if j == 0 else np.where(p_base > 0.2, np.minimum(1, p_base * 2), p_base * 0.1)
        per_shard = max(1, 50_000 // n)
        for s in range(0, problems, per_shard):
            pids = range(s, min(problems, s + per_shard))
            rows = len(pids) * n
            lengths = np.minimum(np.exp(rng.normal(np.log(2400), 1.0, rows)).astype(int) + 50, 48_000)
            starts = rng.integers(0, len(text) - 48_001, rows)
            texts = [text[a:a + b] for a, b in zip(starts, lengths)]
            total_chars += int(lengths.sum())
            pid_col = [f"q{i:04d}" for i in pids for _ in range(n)]
            idx = np.tile(np.arange(n, dtype=np.int32), len(pids))
            correct = np.concatenate([rng.random(n) < acc[i] for i in pids])
            wrong_ans = rng.integers(0, 50, rows).astype(str)
            ref = np.repeat([str(i) for i in pids], n)
            extracted = np.where(correct, ref, wrong_ans)
            status = np.where(correct, "correct", np.where(lengths >= 48_000, "truncated", "wrong"))
            key = {"model": [m] * rows, "benchmark": ["bench"] * rows, "problem_id": pid_col, "sample_index": idx}
            run.write("samples", pa.table({**key, "text": texts, "finish_reason": ["stop"] * rows,
                                           "completion_tokens": (lengths // 3.5).astype(np.int32)}))
            run.write("verdicts", pa.table({**key, "status": status.tolist(), "extracted": extracted.tolist(),
                                            "path": ["exact"] * rows, "verifier": ["bench"] * rows}))
    run.add_models(names)
    run.add_benchmarks(["bench"])
    return {"samples": models * problems * n, "text_chars": total_chars}


CHILD = r"""
import json, resource, sys, time
from boundary.report.browser import BrowserConfig, write_browser
t = time.perf_counter()
r = write_browser(sys.argv[1], sys.argv[2], BrowserConfig(samples_per_model=int(sys.argv[3])))
el = time.perf_counter() - t
print(json.dumps({"seconds": el, "bytes": r.bytes, "problems": r.problems, "embedded": r.samples_embedded,
                  "total": r.samples_total, "truncated": r.truncated_texts,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def chromium_timing(page: Path) -> dict | None:
    exe = os.environ.get("BOUNDARY_CHROMIUM", "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(exe):
        return None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        pg = b.new_page()
        t = time.perf_counter()
        pg.goto(page.as_uri(), timeout=300_000)
        pg.wait_for_selector("#problems tbody tr", timeout=300_000)
        load = time.perf_counter() - t
        t = time.perf_counter()
        pg.click("#problems tbody tr")
        pg.wait_for_selector("#samples .sample", timeout=60_000)
        open_ = time.perf_counter() - t
        t = time.perf_counter()
        pg.select_option("#f-solved", "only:model0")
        pg.wait_for_function("!document.getElementById('count').textContent.startsWith('searching')")
        filt = time.perf_counter() - t
        heap = pg.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
        b.close()
    return {"load_s": load, "open_problem_s": open_, "filter_s": filt,
            "js_heap_mb": heap / 1e6 if heap else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=2)
    ap.add_argument("--problems", type=int, default=500)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--cap", type=int, default=8, help="samples per model and problem embedded")
    ap.add_argument("--keep", help="build the run here and keep it (default: a temporary directory)")
    ap.add_argument("--quick", action="store_true", help="skip the Chromium timing")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(a.keep) if a.keep else Path(tmp) / "run"
        t = time.perf_counter()
        info = make_run(run, a.models, a.problems, a.n) if not (run / "manifest.json").exists() else {}
        build = time.perf_counter() - t
        store_mb = sum(f.stat().st_size for f in run.rglob("*.parquet")) / 1e6
        out = Path(tmp) / "report"
        res = subprocess.run([sys.executable, "-c", CHILD, str(run), str(out), str(a.cap)], check=True,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        r = json.loads(res.stdout.strip().splitlines()[-1])
        page = out / "samples.html"
        import gzip
        gz = len(gzip.compress(page.read_bytes(), 6))
        print(f"run: {a.models} models × {a.problems} problems × n = {a.n} = {a.models * a.problems * a.n:,} samples; "
              f"{info.get('text_chars', 0) / 1e9:.2f} G characters of text; store {store_mb:,.0f} MB "
              f"(built in {build:.0f} s)")
        print(f"write_browser: {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB; "
              f"{r['embedded']:,} of {r['total']:,} samples embedded ({r['truncated']:,} texts cut)")
        print(f"samples.html: {r['bytes'] / 1e6:.1f} MB ({gz / 1e6:.1f} MB gzip-ed for transfer)")
        if not a.quick:
            c = chromium_timing(page)
            if c:
                heap = f", JS heap {c['js_heap_mb']:.0f} MB" if c["js_heap_mb"] else ""
                print(f"headless Chromium: list shown after {c['load_s']:.1f} s, a problem opens in "
                      f"{c['open_problem_s']:.2f} s, a filter applies in {c['filter_s']:.2f} s{heap}")
            else:
                print("headless Chromium: not available (playwright or chromium missing)")


if __name__ == "__main__":
    main()
