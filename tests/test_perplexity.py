"""Perplexity PPL_M(Y_S) of stored samples: vLLM prompt logprobs and a transformers forward pass agree
with each other and with exp(mean NLL) computed by hand from the model's logits; the scoring stage
streams the store, resumes, and summarises per problem and per (scorer, model) pair.

Responses come from the fake engine (two models, deterministic texts); the scorer is the real tiny
Qwen2 checkpoint on the real engines (transformers; vLLM through the session's shared engine).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run
from boundary.errors import BoundaryError
from boundary.pipeline import sample_spec as sample_run
from boundary.scoring import (TransformersScorer, VLLMScorer, perplexity_by_problem, perplexity_matrix,
                              perplexity_values, score_perplexity)
from boundary.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")
N = 6
PROBLEMS = 2


def hand_nll(model, prompt_ids, response_ids) -> float:
    """−Σ log P(response | prompt) from one unbatched forward pass: logits → log_softmax → gather."""
    import torch
    ids = torch.tensor([list(prompt_ids) + list(response_ids)])
    with torch.no_grad():
        logp = model(ids).logits[0].float().log_softmax(-1)
    pos = torch.arange(len(prompt_ids) - 1, len(prompt_ids) + len(response_ids) - 1)
    return -float(logp[pos, torch.tensor(response_ids)].sum())


@pytest.fixture(scope="module")
def hf(tiny_checkpoint):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model = AutoModelForCausalLM.from_pretrained(tiny_checkpoint, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(tiny_checkpoint)


@pytest.fixture(scope="module")
def pairs(hf):
    _, tok = hf
    sc = TransformersScorer(*hf)
    texts = [("Question: what is 1+1?\n", "The answer is \\boxed{2}."),
             ("Solve x^2 = 4.", " x = 2 or x = -2, so the answer is 2." * 3),
             ("Q", "z")]
    return [(sc.encode_prompt(p), sc.encode_response(r)) for p, r in texts]


@pytest.fixture(scope="module")
def sampled_run(tmp_path_factory):
    """Two fake models' responses (n = 6 on two AIME24 problems) in a run with its sampling records."""
    d = tmp_path_factory.mktemp("ppl") / "run"
    spec = parse_spec({"seed": 0, "template": "qwen-boxed",
                       "models": [{"name": m, "backend": "fake", "path": "none"} for m in ("base", "rl")],
                       "benchmarks": [{"name": "aime24", "source": AIME, "limit": PROBLEMS}],
                       "sampling": {"n": N, "chunk_size": 3, "max_tokens": 64}})
    sample_run(spec, d)
    return d


def test_transformers_scorer_equals_hand_computed_nll(hf, pairs):
    model, tok = hf
    got = TransformersScorer(model, tok, logit_chunk=4).score(pairs)     # batched, padded, chunked head
    want = [-hand_nll(model, p, r) for p, r in pairs]
    assert got == pytest.approx(want, rel=1e-5, abs=1e-4)
    assert all(g < 0 for g in got)


@pytest.mark.vllm
def test_vllm_scorer_equals_transformers_and_hand(vllm_backend, hf, pairs):
    model, tok = hf
    got = VLLMScorer.from_backend(vllm_backend).score(pairs)
    want = [-hand_nll(model, p, r) for p, r in pairs]
    hf_got = TransformersScorer(model, tok).score(pairs)
    # perplexities agree to 1e-4 relative (float32 kernels differ in the last bits)
    for (_, resp), g, w, h in zip(pairs, got, want, hf_got):
        n = len(resp)
        assert math.exp(-g / n) == pytest.approx(math.exp(-w / n), rel=1e-4)
        assert math.exp(-g / n) == pytest.approx(math.exp(-h / n), rel=1e-4)


def test_score_run_with_transformers_resumes_and_matches_hand(sampled_run, tiny_checkpoint, hf):
    from boundary.prompts.templates import get_template
    model, tok = hf
    run = Run(sampled_run)
    s = score_perplexity(run, "tiny", path=str(tiny_checkpoint), engine="transformers", dtype="float32",
                         batch_size=4, shard_rows=5)
    assert s.scored == 2 * PROBLEMS * N and s.already == 0 and s.unscored == 0
    assert s.per_model == {"base": PROBLEMS * N, "rl": PROBLEMS * N}
    assert len(run.shards("perplexity")) >= 2 * PROBLEMS * N // 5      # streamed in shards of ≤ 5 rows
    t = run.perplexity().to_pylist()
    assert len(t) == 2 * PROBLEMS * N
    assert all(r["ppl"] == pytest.approx(math.exp(r["nll"] / r["tokens"])) for r in t)
    # one sample by hand: the prompt rebuilt independently from the benchmark file and the template
    row = next(r for r in t if r["model"] == "rl" and r["sample_index"] == 4)
    sample = next(x for x in run.samples(["model", "problem_id", "sample_index", "text"]).to_pylist()
                  if (x["model"], x["problem_id"], x["sample_index"]) == ("rl", row["problem_id"], 4))
    question = next(p["question"] for p in run.problems().to_pylist() if p["problem_id"] == row["problem_id"])
    prompt = tok(get_template("qwen-boxed").render(question))["input_ids"]
    resp = tok(sample["text"], add_special_tokens=False)["input_ids"]
    nll = hand_nll(model, prompt, resp)
    assert row["tokens"] == len(resp)
    assert row["ppl"] == pytest.approx(math.exp(nll / len(resp)), rel=1e-5)
    # a second call scores nothing; limiting samples per problem never re-scores
    again = score_perplexity(run, "tiny", path=str(tiny_checkpoint), engine="transformers", dtype="float32")
    assert again.scored == 0 and again.already == 2 * PROBLEMS * N
    assert run.perplexity().num_rows == 2 * PROBLEMS * N


def test_samples_per_problem_and_model_selection(sampled_run, tiny_checkpoint, tmp_path):
    import shutil
    d = tmp_path / "copy"
    shutil.copytree(sampled_run, d, ignore=shutil.ignore_patterns("perplexity"))
    s = score_perplexity(d, "tiny", models=["rl"], samples_per_problem=2, path=str(tiny_checkpoint),
                         engine="transformers", dtype="float32")
    assert s.scored == PROBLEMS * 2
    t = Run(d).perplexity(["model", "sample_index"]).to_pylist()
    assert {r["model"] for r in t} == {"rl"} and max(r["sample_index"] for r in t) == 1
    with pytest.raises(BoundaryError, match="no samples of model"):
        score_perplexity(d, "tiny", models=["nope"], path=str(tiny_checkpoint), engine="transformers")
    with pytest.raises(BoundaryError, match="--path"):
        score_perplexity(d, "stranger")


def test_too_long_for_the_scorer_is_recorded_not_scored(sampled_run, tiny_checkpoint, tmp_path):
    import shutil
    d = tmp_path / "copy"
    shutil.copytree(sampled_run, d, ignore=shutil.ignore_patterns("perplexity"))
    s = score_perplexity(d, "short", models=["base"], path=str(tiny_checkpoint), engine="transformers",
                         dtype="float32", max_model_len=64)        # the AIME prompts are longer than 64 tokens
    assert s.unscored == s.scored == PROBLEMS * N
    rows = Run(d).perplexity(["ppl", "detail"]).to_pylist()
    assert all(r["ppl"] is None and "exceeds the scorer's limit of 64" in r["detail"] for r in rows)
    assert perplexity_matrix(d) == []


@pytest.mark.vllm
def test_vllm_and_transformers_agree_on_every_stored_sample(sampled_run, vllm_backend, tiny_checkpoint):
    run = Run(sampled_run)
    score_perplexity(run, "tiny", path=str(tiny_checkpoint), engine="transformers", dtype="float32")
    s = score_perplexity(run, "tiny-vllm", backend=vllm_backend, batch_size=8)
    assert s.scored == 2 * PROBLEMS * N and s.engine.startswith("vllm")
    by = {}
    for r in run.perplexity(["scorer", "model", "problem_id", "sample_index", "ppl", "tokens"]).to_pylist():
        by.setdefault((r["model"], r["problem_id"], r["sample_index"]), {})[r["scorer"]] = (r["ppl"], r["tokens"])
    assert len(by) == 2 * PROBLEMS * N
    for key, v in by.items():
        assert v["tiny"][1] == v["tiny-vllm"][1]
        assert v["tiny-vllm"][0] == pytest.approx(v["tiny"][0], rel=1e-4), key


def test_matrix_and_per_problem_medians_by_hand(tmp_path):
    import pyarrow as pa
    run = Run.create(tmp_path / "r")
    rows = []
    ppl = {("base", "base", "p1"): [1.0, 2.0, 3.0], ("base", "base", "p2"): [5.0, 7.0],
           ("base", "rl", "p1"): [1.5, 1.1, 1.2, 1.3], ("base", "rl", "p2"): [2.0]}
    for (sc, m, p), vals in ppl.items():
        for i, v in enumerate(vals):
            rows.append({"scorer": sc, "model": m, "benchmark": "b", "problem_id": p, "sample_index": i,
                         "tokens": 10, "nll": 10 * math.log(v), "ppl": v})
    rows.append({"scorer": "base", "model": "rl", "benchmark": "b", "problem_id": "p2", "sample_index": 9,
                 "tokens": 0, "nll": None, "ppl": None, "detail": "empty response"})
    run.write("perplexity", pa.Table.from_pylist(rows[:5]))
    run.write("perplexity", pa.Table.from_pylist(rows[5:]))
    per = {(r.model, r.problem_id): (r.samples, r.median) for r in perplexity_by_problem(run)}
    assert per == {("base", "p1"): (3, 2.0), ("base", "p2"): (2, 6.0), ("rl", "p1"): (4, 1.25), ("rl", "p2"): (1, 2.0)}
    cells = {c.model: c for c in perplexity_matrix(run)}
    assert cells["base"].mean_of_medians == pytest.approx(4.0) and cells["base"].problems == 2
    assert cells["rl"].mean_of_medians == pytest.approx(1.625) and cells["rl"].samples == 5
    assert sorted(perplexity_values(run, benchmark="b", scorer="base", model="rl")) == [1.1, 1.2, 1.3, 1.5, 2.0]
    assert np.all(perplexity_values(run, benchmark="b", scorer="base", model="rl", problem_id="p2") == [2.0])


def test_spec_perplexity_block_and_cli_command(tmp_path, tiny_checkpoint):
    """`boundary run` with a `perplexity:` block scores during the pipeline; `boundary perplexity` adds a scorer."""
    import os
    import subprocess
    import sys

    import yaml
    d = {"seed": 0, "template": "qwen-boxed",
         "models": [{"name": "base", "backend": "fake", "path": str(tiny_checkpoint)},
                    {"name": "rl", "backend": "fake", "path": str(tiny_checkpoint)}],
         "benchmarks": [{"name": "aime24", "source": AIME, "limit": 2}],
         "sampling": {"n": 4, "chunk_size": 4, "max_tokens": 64},
         "analysis": {"n_boot": 20},
         "perplexity": {"scorers": ["base"], "samples_per_problem": 2, "engine": "transformers"}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(d))
    env = dict(os.environ, BOUNDARY_PLUGINS="tests.helpers.fake_backend", PYTHONPATH=str(ROOT))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True,
                              text=True, env=env, cwd=str(ROOT), timeout=600)
    r = cli("run", tmp_path / "spec.yaml", "--run", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    assert "perplexity: 8 samples scored by base" in r.stdout
    t = Run(tmp_path / "run").perplexity(["scorer", "model", "sample_index"]).to_pylist()
    assert len(t) == 8 and {x["model"] for x in t} == {"base", "rl"} and max(x["sample_index"] for x in t) == 1
    html = (tmp_path / "run" / "report" / "index.html").read_text()
    assert "PPL_base(Y_rl) = " in html and "Token entropy skipped" in html
    r = cli("perplexity", tmp_path / "run", "--model", "other", "--path", tiny_checkpoint, "--engine",
            "transformers", "--of", "rl", "--samples", "1")
    assert r.returncode == 0, r.stderr
    assert "2 samples scored by other" in r.stdout and "PPL_M(Y_S)" in r.stdout
    r = cli("perplexity", tmp_path / "run", "--model", "nobody")
    assert r.returncode == 2 and "--path DIR" in r.stderr and "Traceback" not in r.stderr
