"""The transformers backend on the tiny checkpoint: seeded per chunk, batched, stops and logprobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from boundary import Run
from boundary.errors import BoundaryError
from boundary.sampling.seeds import derive_seed
from boundary.pipeline import sample_spec as sample_run
from boundary.sampling.types import ChunkRequest, SamplingParams
from boundary.spec import ModelSpec, parse_spec

pytest.importorskip("torch", reason="the transformers backend needs torch")
pytest.importorskip("transformers", reason="the transformers backend needs transformers")

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")
STOP = list("aeiou")
MAX_TOKENS = 16


def model_spec(ckpt, batch_size=2, **extra):
    return ModelSpec(name="base", backend="transformers", path=str(ckpt), dtype="float32", batch_size=batch_size,
                     engine_args={"num_threads": 1}, **extra)


@pytest.fixture(scope="module")
def hf_backend(tiny_checkpoint):
    from boundary.sampling.backends.hf import TransformersBackend
    b = TransformersBackend(model_spec(tiny_checkpoint))
    yield b
    b.close()


def spec(ckpt, n=8, chunk=4, limit=3, seed=0, **sampling):
    s = {"n": n, "chunk_size": chunk, "temperature": 1.0, "top_p": 0.95, "max_tokens": MAX_TOKENS, "stop": STOP}
    s.update(sampling)
    return parse_spec({
        "seed": seed, "template": "qwen-boxed",
        "models": [{"name": "base", "backend": "transformers", "path": str(ckpt), "dtype": "float32",
                    "batch_size": 2, "engine_args": {"num_threads": 1}}],
        "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
        "sampling": s})


def rows(run_dir):
    return Run(run_dir).samples(["problem_id", "sample_index", "text", "seed", "finish_reason", "prompt_tokens",
                                 "completion_tokens", "logprobs"]).to_pylist()


def texts(run_dir):
    return {(r["problem_id"], r["sample_index"]): (r["text"], r["seed"]) for r in rows(run_dir)}


def test_deterministic_per_seed_and_raising_n_keeps_earlier_samples(hf_backend, tiny_checkpoint, tmp_path):
    b = {"base": hf_backend}
    s = sample_run(spec(tiny_checkpoint), tmp_path / "a", backends=b)
    assert s.new_samples == 3 * 8
    full = texts(tmp_path / "a")
    for (pid, i), (_, seed) in full.items():
        assert seed == derive_seed(0, "base", "aime24", pid, i // 4)
    for pid in {k[0] for k in full}:
        assert len({full[(pid, i)][0] for i in range(8)}) > 4
    sample_run(spec(tiny_checkpoint), tmp_path / "b", backends=b)
    assert texts(tmp_path / "b") == full
    # raising n: 4 -> 8 adds chunk 1; a partial chunk (n=6) redrawn with n=8 keeps samples 4, 5
    sample_run(spec(tiny_checkpoint, n=4), tmp_path / "grow", backends=b)
    assert texts(tmp_path / "grow") == {k: v for k, v in full.items() if k[1] < 4}
    assert sample_run(spec(tiny_checkpoint, n=8), tmp_path / "grow", backends=b).new_samples == 12
    assert texts(tmp_path / "grow") == full
    sample_run(spec(tiny_checkpoint, n=6), tmp_path / "partial", backends=b)
    sample_run(spec(tiny_checkpoint, n=8), tmp_path / "partial", backends=b)
    assert texts(tmp_path / "partial") == full
    other = sample_run(spec(tiny_checkpoint, seed=1), tmp_path / "c", backends=b)
    assert other.new_samples == 24
    c = texts(tmp_path / "c")
    assert sum(c[k][0] != full[k][0] for k in full) > len(full) // 2
    eng = Run(tmp_path / "a").manifest["sampling"]["base"]["engine"]
    assert eng["backend"] == "transformers" and eng["dtype"] == "float32" and eng["device"] == "cpu"
    assert eng["version"][0].isdigit() and eng["num_threads"] == 1


def test_a_chunk_does_not_depend_on_its_batch_mates(tiny_checkpoint, hf_backend):
    from boundary.sampling.backends.hf import TransformersBackend
    reqs = [ChunkRequest("b", "long", 0, 0, 3, 11, "A much longer prompt than the other one: " * 3),
            ChunkRequest("b", "short", 0, 0, 3, 22, "Short."),
            ChunkRequest("b", "chat", 0, 0, 3, 33, "", messages=(("user", "What is 2+2?"),))]
    params = SamplingParams(temperature=1.0, top_p=0.9, max_tokens=MAX_TOKENS)
    wide = TransformersBackend(model_spec(tiny_checkpoint, batch_size=8))     # all three in one padded batch
    together = dict((r.problem_id, c) for r, c in wide.generate(reqs, params))
    alone = {r.problem_id: c for req in reqs for r, c in hf_backend.generate([req], params)}
    assert together == alone
    assert all(len(c) == 3 for c in alone.values())


def test_finish_reasons_token_counts_and_logprobs(hf_backend, tiny_checkpoint):
    import torch
    tok = hf_backend.tokenizer
    prompt = "Solve: 12 + 30 = ?"
    reqs = [ChunkRequest("b", "p", j, 8 * j, 8, 1000 + j, prompt) for j in range(3)]
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=MAX_TOKENS, logprobs=True, stop=tuple(STOP))
    comps = [c for _, cs in hf_backend.generate(reqs, params) for c in cs]
    reasons = {c.finish_reason for c in comps}
    assert reasons == {"stop", "length"}, reasons
    p_ids = tok(prompt)["input_ids"]
    model = hf_backend.model
    for c in comps:
        assert c.prompt_tokens == len(p_ids)
        assert not any(s in c.text for s in STOP)
        assert 1 <= c.completion_tokens <= MAX_TOKENS
        if c.finish_reason == "length":
            assert c.completion_tokens == MAX_TOKENS
        assert len(c.logprobs) == c.completion_tokens
    # logprobs are the chosen tokens' log-probabilities under the model: check one by teacher forcing
    plain = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=MAX_TOKENS, logprobs=True)
    checked = 0
    for c in next(iter(hf_backend.generate([ChunkRequest("b", "q", 0, 0, 16, 7, prompt)], plain)))[1]:
        # random bytes are often not UTF-8: compare on the text before the first undecodable byte
        ids = tok(prompt + c.text.split("\ufffd")[0], add_special_tokens=False)["input_ids"]
        if len(ids) == len(p_ids):
            continue
        with torch.no_grad():
            lp = model(torch.tensor([ids])).logits[0].float().log_softmax(-1)
        want = [lp[len(p_ids) - 1 + j, ids[len(p_ids) + j]].item() for j in range(len(ids) - len(p_ids))]
        assert c.logprobs[:len(want)] == pytest.approx(want, abs=1e-4)
        checked += len(want)
    assert checked >= 3


def test_top_p_near_zero_is_greedy(hf_backend):
    import torch
    prompt = "The answer is"
    params = SamplingParams(temperature=1.0, top_p=1e-6, max_tokens=8)
    comps = next(iter(hf_backend.generate([ChunkRequest("b", "g", 0, 0, 4, 5, prompt)], params)))[1]
    assert len({c.text for c in comps}) == 1
    ids = torch.tensor([hf_backend.tokenizer(prompt)["input_ids"]])
    greedy = hf_backend.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=8)
    assert comps[0].text == hf_backend.tokenizer.decode(greedy[0, ids.shape[1]:], skip_special_tokens=True)


def test_missing_model_path_is_a_clear_error(tmp_path):
    from boundary.sampling.backends.hf import TransformersBackend
    with pytest.raises(BoundaryError, match=r"model 'base': the model path .*nope.* does not exist"):
        TransformersBackend(ModelSpec(name="base", backend="transformers", path=str(tmp_path / "nope")))
    with pytest.raises(BoundaryError, match=r"does not exist"):
        TransformersBackend(ModelSpec(name="base", backend="transformers", path="./models/not-here"))
