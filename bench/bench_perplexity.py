"""Perplexity scoring throughput: boundary's batched transformers scorer against the per-sample
forward loop a user would write (model(ids).logits → log_softmax → gather), on the tiny checkpoint.

    MALLOC_MMAP_THRESHOLD_=1000000000 .venv/bin/python bench/bench_perplexity.py [--samples 64]

Prints both rates, their ratio, and the largest relative PPL difference between the two.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=600)
    ap.add_argument("--response", type=int, default=200)
    a = ap.parse_args()
    torch.set_num_threads(1)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from boundary.organism import make_tiny_checkpoint
    from boundary.scoring import TransformersScorer
    ck = make_tiny_checkpoint(tempfile.mkdtemp() + "/ck")
    model = AutoModelForCausalLM.from_pretrained(ck, dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(ck)
    g = torch.Generator().manual_seed(0)
    vocab = 95                                                   # printable ASCII ids of the byte tokenizer
    pairs = [(torch.randint(3, vocab, (a.prompt,), generator=g).tolist(),
              torch.randint(3, vocab, (int(a.response * (0.5 + i / a.samples)),), generator=g).tolist())
             for i in range(a.samples)]
    t0 = time.perf_counter()
    ref = []
    with torch.inference_mode():
        for p, r in pairs:
            logp = model(torch.tensor([p + r])).logits[0].float().log_softmax(-1)
            pos = torch.arange(len(p) - 1, len(p) + len(r) - 1)
            ref.append(float(logp[pos, torch.tensor(r)].sum()))
    t_ref = time.perf_counter() - t0
    sc = TransformersScorer(model, tok)
    t0 = time.perf_counter()
    got = []
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][1]))
    for s in range(0, len(order), 16):
        idx = order[s:s + 16]
        got += list(zip(idx, sc.score([pairs[i] for i in idx])))
    t_ours = time.perf_counter() - t0
    got = [v for _, v in sorted(got)]
    diff = max(abs(math.exp(-x / len(r)) / math.exp(-y / len(r)) - 1) for x, y, (_, r) in zip(got, ref, pairs))
    print(f"samples {a.samples}, prompt {a.prompt} tokens, responses {a.response // 2}-{int(a.response * 1.5)} tokens")
    print(f"per-sample forward loop: {a.samples / t_ref:.1f} samples/s")
    print(f"boundary TransformersScorer (batch 16): {a.samples / t_ours:.1f} samples/s  ratio {t_ref / t_ours:.2f}x")
    print(f"max relative PPL difference: {diff:.2e}")


if __name__ == "__main__":
    main()
