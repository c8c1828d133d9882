"""Sampling throughput: boundary's vLLM backend against raw ``vllm.LLM.generate``.

One process, ONE engine (the tiny random-weight Qwen2 checkpoint of ``boundary.organism``):

- **raw**: ``llm.generate(prompts, [SamplingParams(n=chunk, seed=chunk seed, ...)])`` on the
  rendered prompts, what a user would otherwise write;
- **boundary**: ``boundary.sampling.stage.sample_run`` into a fresh run directory (prompt
  rendering, chunk planning, seeds, Parquet shard writes and manifest included) with the same
  engine passed in ``backends=``.

Both paths send the same requests (same prompts, chunk sizes and seeds), so they generate the
same tokens; the script checks that the texts agree. Each path is warmed up once, then timed
``--repeats`` times, alternating; the table gives the median. Figure of merit: generated tokens/s
of boundary / raw (target >= 0.95).

    .venv/bin/python bench/bench_sampling.py            # 8 AIME24 problems x n=64, 64 tokens, 5 repeats
    .venv/bin/python bench/bench_sampling.py --quick    # 4 problems x n=16, 1 repeat
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AIME = ROOT / "tests" / "data" / "math" / "aime24.jsonl"
ENV = {  # see DESIGN.md "Testing without a GPU": glibc's mmap threshold makes torch page-fault
    "MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "100000000000",
    "MALLOC_TOP_PAD_": "1000000000", "VLLM_CPU_KVCACHE_SPACE": "1", "TOKENIZERS_PARALLELISM": "false",
    "VLLM_LOGGING_LEVEL": "WARNING",
}
MAX_MODEL_LEN = 1024


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=8)
    ap.add_argument("--n", type=int, default=64, help="samples per problem")
    ap.add_argument("--chunk", type=int, default=16, help="samples per request (chunk_size)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="4 problems x n=16, 1 repeat")
    a = ap.parse_args()
    if a.quick:
        a.problems, a.n, a.repeats = 4, 16, 1
    return a


def main():
    # malloc tunables are read at process start: re-exec once with them set
    if any(k not in os.environ for k in ENV) and not os.environ.get("_BOUNDARY_BENCH_REEXEC"):
        env = {**ENV, **os.environ, "_BOUNDARY_BENCH_REEXEC": "1"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    args = parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    import vllm

    from boundary import Run
    from boundary.organism import make_tiny_checkpoint
    from boundary.sampling.backends.vllm import VLLMBackend, vllm_version
    from boundary.pipeline import sample_spec
    from boundary.sampling.stage import _template, plan_chunks
    from boundary.spec import parse_spec

    tmp = Path(tempfile.mkdtemp(prefix="bench-sampling-"))
    ckpt = make_tiny_checkpoint(tmp / "ckpt")
    spec = parse_spec({
        "seed": 0, "template": "qwen-boxed",
        "models": [{"name": "base", "backend": "vllm", "path": str(ckpt), "dtype": "float32",
                    "max_model_len": MAX_MODEL_LEN}],
        "benchmarks": [{"name": "aime24", "source": str(AIME), "limit": args.problems}],
        "sampling": {"n": args.n, "chunk_size": args.chunk, "temperature": 0.6, "top_p": 0.95,
                     "max_tokens": args.max_tokens}})
    plan = spec.sampling_plan()
    model = plan.models[0]
    bench_name, problems = next(iter(plan.benchmarks.items()))

    # the raw path's requests: the very prompts and seeds the stage plans
    template = _template(model)
    prompts = {p.id: template.render(p) for p in problems}
    todo, _ = plan_chunks(plan, model, bench_name, problems, prompts, set())
    raw_prompts = [r.prompt for r in todo]
    raw_params = [vllm.SamplingParams(n=r.n, seed=r.seed, temperature=0.6, top_p=0.95,
                                      max_tokens=args.max_tokens) for r in todo]

    t0 = time.monotonic()
    backend = VLLMBackend(model.engine)
    start_s = time.monotonic() - t0
    llm = backend.llm

    def raw():
        t = time.perf_counter()
        outs = llm.generate(raw_prompts, raw_params, use_tqdm=False)
        dt = time.perf_counter() - t
        texts = {(r.problem_id, r.first_index + c.index): c.text for r, o in zip(todo, outs) for c in o.outputs}
        return dt, sum(len(c.token_ids) for o in outs for c in o.outputs), texts

    runs = iter(range(10**6))

    def ours():
        d = tmp / f"run{next(runs)}"
        t = time.perf_counter()
        sample_spec(spec, d, backends={"base": backend})
        dt = time.perf_counter() - t
        rows = Run(d).samples(["problem_id", "sample_index", "text", "completion_tokens"]).to_pylist()
        return dt, sum(r["completion_tokens"] for r in rows), {(r["problem_id"], r["sample_index"]): r["text"]
                                                                for r in rows}

    raw(), ours()                                               # warm-up
    res = {"raw": [], "boundary": []}
    texts = {}
    for _ in range(args.repeats):
        for name, fn in (("raw", raw), ("boundary", ours)):
            dt, tokens, tx = fn()
            res[name].append((dt, tokens))
            texts[name] = tx
    backend.close()

    same = texts["raw"] == texts["boundary"]
    samples = len(problems) * args.n
    dist, version = vllm_version()
    print(f"vLLM {dist} {version}, engine start {start_s:.0f} s; {len(problems)} AIME24 problems (qwen-boxed) x "
          f"n={args.n} in chunks of {args.chunk} = {samples} samples, max_tokens={args.max_tokens}, "
          f"temperature 0.6, top_p 0.95; {args.repeats} timed repeats each after one warm-up; "
          f"same texts on both paths: {same}")
    print(f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    print()
    print("| path | samples | generated tokens | wall s (median) | tokens/s (median) | all repeats, tokens/s |")
    print("|---|---:|---:|---:|---:|---|")
    rate = {}
    for name in ("raw", "boundary"):
        rs = res[name]
        tps = [tok / dt for dt, tok in rs]
        rate[name] = statistics.median(tps)
        label = "raw `LLM.generate`" if name == "raw" else "boundary `sample_run` (vllm backend + store)"
        print(f"| {label} | {samples} | {rs[0][1]} | {statistics.median(dt for dt, _ in rs):.2f} | "
              f"{rate[name]:.0f} | {', '.join(f'{x:.0f}' for x in tps)} |")
    print(f"| **ratio boundary / raw** | | | | **{rate['boundary'] / rate['raw']:.3f}** | target >= 0.95 |")
    if not same:
        print("\nWARNING: the two paths produced different texts for the same seeds.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
