"""The organism's sampler (``backend: tiny``) against what a user would otherwise run:
``backend: transformers`` (``model.generate``) and ``backend: vllm`` (vLLM's CPU build).

Same checkpoint (the shipped organism base), same Countdown prompts, same sampling parameters
(temperature 1, top-p 1, 24 new tokens); each backend draws ``problems × n`` samples in one run of
this script. Reported: samples/s and generated tokens/s of each, the ratio to ours, and pass@1 of
each backend's samples (same model and temperature, so they should agree within sampling noise).

    MALLOC_MMAP_THRESHOLD_=1000000000 .venv/bin/python bench/bench_organism_sampler.py
    .venv/bin/python bench/bench_organism_sampler.py --problems 8 --n 64 --skip vllm
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for k, v in {"MALLOC_MMAP_THRESHOLD_": "1000000000", "MALLOC_TRIM_THRESHOLD_": "100000000000",
             "MALLOC_TOP_PAD_": "1000000000", "VLLM_CPU_KVCACHE_SPACE": "1",
             "TOKENIZERS_PARALLELISM": "false", "VLLM_LOGGING_LEVEL": "WARNING"}.items():
    os.environ.setdefault(k, v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", type=int, default=32)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--skip", nargs="*", default=[], choices=["tiny", "transformers", "vllm"])
    ap.add_argument("--base", default=str(ROOT / "src" / "boundary" / "organism" / "checkpoints" / "base"))
    args = ap.parse_args()

    import torch

    from boundary.organism import task
    from boundary.organism.train import heldout_sets
    from boundary.sampling.backends import create_backend
    from boundary.sampling.types import ChunkRequest, SamplingParams
    from boundary.spec import ModelSpec

    torch.set_num_threads(1)
    problems = heldout_sets()[0][:args.problems]
    reqs = [ChunkRequest("countdown", str(i), 0, 0, args.n, 1000 + i * args.n, p.question)
            for i, p in enumerate(problems)]
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=24)
    specs = {
        "tiny": ModelSpec(name="base", backend="tiny", path=args.base, engine_args={"num_threads": 1}),
        "transformers": ModelSpec(name="base", backend="transformers", path=args.base, batch_size=8,
                                  dtype="float32", engine_args={"num_threads": 1}),
        "vllm": ModelSpec(name="base", backend="vllm", path=args.base, dtype="float32", max_model_len=64,
                          engine_args={"enforce_eager": True}),
    }
    rows = []
    for name, spec in specs.items():
        if name in args.skip:
            continue
        t0 = time.perf_counter()
        backend = create_backend(spec)
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = list(backend.generate(reqs, params))
        secs = time.perf_counter() - t0
        backend.close()
        by_id = {r.problem_id: comps for r, comps in results}
        samples = sum(len(c) for c in by_id.values())
        tokens = sum(c.completion_tokens or 0 for cs in by_id.values() for c in cs)
        correct = sum(task.check(c.text, problems[int(pid)]).correct and c.finish_reason == "stop"
                      for pid, cs in by_id.items() for c in cs)
        rows.append((name, load, secs, samples, tokens, correct / samples))
        print(f"{name}: load {load:.1f} s, {samples} samples in {secs:.1f} s", flush=True)
    ours = next((r for r in rows if r[0] == "tiny"), None)
    print(f"\n{args.problems} problems x n={args.n}, 24 new tokens max, temperature 1, 1 torch thread\n")
    print("| backend | load (s) | sampling (s) | samples/s | tokens/s | tiny's speed-up | pass@1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, load, secs, samples, tokens, p1 in rows:
        ratio = f"{secs / ours[2]:.1f}x" if ours else "-"
        print(f"| {name} | {load:.1f} | {secs:.1f} | {samples / secs:,.0f} | {tokens / secs:,.0f} | {ratio} "
              f"| {p1:.3f} |")


if __name__ == "__main__":
    main()
