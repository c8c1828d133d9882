"""The OpenAI-compatible HTTP backend against a real vLLM server on loopback (fixture ``vllm_server``).

Counts, seeds, both endpoints, the sample stage end to end, and faults: a proxy between client and
server injects HTTP 500s, delays past the client's timeout and dropped connections, and every sample
must still be stored exactly once, identical to a fault-free run. Connection-refused and HTTP 4xx
errors must be quick and clear.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from boundary import Run
from boundary.errors import BoundaryError
from boundary.sampling.backends import create_backend
from boundary.pipeline import sample_spec as sample_run
from boundary.sampling.types import ChunkRequest, SamplingParams
from boundary.spec import ModelSpec, parse_spec
from tests.helpers.faultproxy import FaultProxy
from tests.helpers.server import SERVED_MODEL

pytest.importorskip("aiohttp", reason="the openai backend needs aiohttp (it comes with vllm)")

ROOT = Path(__file__).resolve().parent.parent
AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")
TOKENS = 12


def spec_dict(endpoint, *, n=8, chunk=4, limit=3, api="completions", template="qwen-boxed", engine_args=None,
              max_concurrency=4, logprobs=False, name="base"):
    return {"seed": 0, "template": template,
            "models": [{"name": name, "backend": "openai", "endpoint": endpoint, "api": api,
                        "max_concurrency": max_concurrency, "engine_args": engine_args or {}}],
            "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
            "sampling": {"n": n, "chunk_size": chunk, "temperature": 1.0, "max_tokens": TOKENS,
                         "logprobs": logprobs}}


def stored(run_dir):
    t = Run(run_dir).samples(["model", "problem_id", "sample_index", "text", "seed", "finish_reason",
                              "prompt_tokens", "completion_tokens"]).to_pylist()
    keys = [(r["model"], r["problem_id"], r["sample_index"]) for r in t]
    assert len(keys) == len(set(keys)), "a sample was stored twice"
    return {k: r for k, r in zip(keys, t)}


def requests(n=5, count=4):
    return [ChunkRequest("demo", str(i), 0, 0, n, 1000 + i, f"Question {i}: what is {i} + {i}? Answer:")
            for i in range(count)]


def backend(url, **kw):
    return create_backend(ModelSpec(name="m", backend="openai", **{"endpoint": url + "/v1", **kw}))


@pytest.mark.vllm
def test_completions_counts_seeds_and_info(vllm_server):
    params = SamplingParams(temperature=1.0, top_p=0.95, max_tokens=TOKENS, logprobs=True)
    with backend(vllm_server, max_concurrency=3) as b:
        info = b.info()
        first = {r.problem_id: cs for r, cs in b.generate(requests(), params)}
        again = {r.problem_id: cs for r, cs in b.generate(requests(), params)}
    assert info["engine"] == "openai-http" and info["model"] == SERVED_MODEL      # found via /v1/models
    assert info["server_version"].startswith("vllm ") and info["endpoint"] == vllm_server + "/v1"
    assert sorted(first) == ["0", "1", "2", "3"] and all(len(cs) == 5 for cs in first.values())
    assert first == again                                               # the same seeds, the same samples
    c = first["0"][0]
    assert c.finish_reason in ("stop", "length") and c.prompt_tokens > 10
    assert 0 < c.completion_tokens <= TOKENS and len(c.logprobs) == c.completion_tokens
    assert len({x.text for x in first["0"]}) > 1                        # n choices differ within a chunk
    assert first["0"][0].text != first["1"][0].text


@pytest.mark.vllm
def test_capped_n_splits_a_chunk_with_sub_seeds(vllm_server):
    params = SamplingParams(temperature=1.0, max_tokens=TOKENS)
    with backend(vllm_server, engine_args={"max_n": 2}) as b:
        split = {r.problem_id: cs for r, cs in b.generate(requests(n=5, count=2), params)}
        again = {r.problem_id: cs for r, cs in b.generate(requests(n=5, count=2), params)}
        assert b.stats["requests"] >= 2 * 3 * 2                          # ceil(5/2) = 3 requests per chunk
    assert split == again and all(len(cs) == 5 for cs in split.values())
    assert len({c.text for c in split["0"]}) == 5


@pytest.mark.vllm
def test_sample_run_through_http_is_reproducible(vllm_server, tmp_path):
    url = vllm_server + "/v1"
    s = sample_run(parse_spec(spec_dict(url)), tmp_path / "a")
    assert s.new_samples == 3 * 8
    sample_run(parse_spec(spec_dict(url)), tmp_path / "b")
    a, b = stored(tmp_path / "a"), stored(tmp_path / "b")
    assert len(a) == 24 and a == b
    assert all(r["completion_tokens"] and r["prompt_tokens"] for r in a.values())
    engine = Run(tmp_path / "a").manifest["sampling"]["base"]["engine"]
    assert engine["engine"] == "openai-http" and engine["endpoint"] == url and engine["model"] == SERVED_MODEL
    again = sample_run(parse_spec(spec_dict(url)), tmp_path / "a")          # resume: nothing left to draw
    assert again.new_samples == 0 and again.skipped_samples == 24


@pytest.mark.vllm
def test_chat_endpoint(vllm_server, tmp_path):
    url = vllm_server + "/v1"
    d = spec_dict(url, api="chat", template="chat", n=4, chunk=2, limit=2, logprobs=True)
    assert sample_run(parse_spec(d), tmp_path / "c").new_samples == 8
    rows = stored(tmp_path / "c")
    assert all(r["completion_tokens"] and r["finish_reason"] in ("stop", "length") for r in rows.values())
    lp = Run(tmp_path / "c").samples(["logprobs", "completion_tokens", "logprob_sum"]).to_pylist()
    assert all(len(r["logprobs"]) == r["completion_tokens"] for r in lp)
    assert all(r["logprob_sum"] == pytest.approx(sum(r["logprobs"]), abs=1e-3) for r in lp)
    sample_run(parse_spec(d), tmp_path / "d")
    assert stored(tmp_path / "d") == rows
    # the server applied the chat template: the prompt is longer than the question
    assert Run(tmp_path / "c").manifest["sampling"]["base"]["template"]["name"] == "chat (server)"


@pytest.mark.vllm
def test_faults_every_sample_exactly_once(vllm_server, tmp_path):
    """500s, delays past the timeout and dropped connections on ~10% of requests each."""
    url = vllm_server + "/v1"
    host, port = vllm_server.removeprefix("http://").split(":")
    base = spec_dict(url, n=16, chunk=2, limit=4)
    base["sampling"]["chunks_per_shard"] = 8
    sample_run(parse_spec(base), tmp_path / "clean")
    want = stored(tmp_path / "clean")
    assert len(want) == 4 * 16
    args = {"timeout_s": 3.0, "backoff_s": 0.1, "backoff_max_s": 1.0, "max_retries": 8}
    t0 = time.monotonic()
    with FaultProxy(host, int(port), error=0.1, delay=0.1, drop=0.1, delay_s=5.0, seed=3) as proxy:
        faulty = parse_spec(spec_dict(proxy.url + "/v1", n=16, chunk=2, limit=4, engine_args=args))
        engine = create_backend(faulty.models[0])
        try:
            sample_run(faulty, tmp_path / "faulty", backends={"base": engine})
        finally:
            engine.close()
        stats = dict(proxy.stats)
    elapsed = time.monotonic() - t0
    got = stored(tmp_path / "faulty")                                   # asserts no duplicates
    assert set(got) == set(want)                                        # none missing, none extra
    assert {k: r["text"] for k, r in got.items()} == {k: r["text"] for k, r in want.items()}
    assert all(stats[f] >= 1 for f in ("error", "delay", "drop")), stats
    assert engine.stats["retries"] >= stats["error"] + stats["delay"] + stats["drop"] - 1, (engine.stats, stats)
    assert elapsed < 120, f"the faulty run took {elapsed:.0f} s"


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]                                       # closed again: nothing listens


def test_refused_connections_fail_quickly_and_clearly(tmp_path):
    url = f"http://127.0.0.1:{_refused_port()}/v1"
    args = {"max_retries": 2, "backoff_s": 0.1}
    t0 = time.monotonic()
    with pytest.raises(BoundaryError, match=r"127\.0\.0\.1.*failed after 3 attempt\(s\).*(Connect|refused)"):
        sample_run(parse_spec(spec_dict(url, engine_args=args)), tmp_path / "r")
    assert time.monotonic() - t0 < 10
    # the default policy is bounded too: a served model name skips discovery, sampling retries 6 times
    b = create_backend(ModelSpec(name="m", backend="openai", endpoint=url, path="x",
                                 engine_args={"backoff_s": 0.01}))
    with b, pytest.raises(BoundaryError, match="failed after 7 attempt"):
        list(b.generate(requests(count=1), SamplingParams(max_tokens=4)))


def test_missing_api_key_and_bad_engine_args_are_clear(monkeypatch):
    monkeypatch.delenv("BOUNDARY_TEST_KEY", raising=False)
    with pytest.raises(BoundaryError, match="BOUNDARY_TEST_KEY.*unset"):
        create_backend(ModelSpec(name="m", backend="openai", endpoint="http://127.0.0.1:1/v1",
                                 api_key_env="BOUNDARY_TEST_KEY"))
    with pytest.raises(BoundaryError, match="unknown engine_args.*timeout"):
        create_backend(ModelSpec(name="m", backend="openai", endpoint="http://127.0.0.1:1/v1",
                                 engine_args={"timeout": 5}))


@pytest.mark.vllm
def test_client_errors_are_not_retried(vllm_server):
    params = SamplingParams(max_tokens=TOKENS)
    with backend(vllm_server, path="no-such-model") as b:                 # HTTP 404 from vLLM
        t0 = time.monotonic()
        with pytest.raises(BoundaryError, match=r"HTTP 404"):
            list(b.generate(requests(count=1), params))
        assert b.stats["retries"] == 0 and time.monotonic() - t0 < 10
    long = [ChunkRequest("demo", "0", 0, 0, 2, 1, "x" * 3000)]         # longer than --max-model-len
    with backend(vllm_server) as b, pytest.raises(BoundaryError, match=r"HTTP 400"):
        list(b.generate(long, params))


@pytest.mark.vllm
def test_api_key_is_sent_as_bearer(vllm_server, monkeypatch):
    """vLLM without --api-key ignores the header; check what goes over the wire through the proxy."""
    host, port = vllm_server.removeprefix("http://").split(":")
    monkeypatch.setenv("BOUNDARY_TEST_KEY", "sk-test-123")
    seen = []
    with FaultProxy(host, int(port)) as proxy:
        orig = proxy._read_request

        async def spy(reader):
            req = await orig(reader)
            if req:
                seen.append(req[0])
            return req
        proxy._read_request = spy
        with backend(proxy.url, api_key_env="BOUNDARY_TEST_KEY") as b:
            out = list(b.generate(requests(n=1, count=1), SamplingParams(max_tokens=4)))
    assert len(out) == 1 and seen and all(b"Authorization: Bearer sk-test-123" in h for h in seen)


def test_chunks_finished_before_a_backend_error_are_kept(tmp_path):
    """A server that dies mid-batch: the chunks that completed are stored, a rerun draws only the rest."""
    from tests.helpers.fake_backend import FakeBackend

    class DiesAfterTwo(FakeBackend):
        def generate(self, requests, params):
            for i, item in enumerate(super().generate(requests, params)):
                if i == 2:
                    raise BoundaryError("POST http://x/v1/completions failed after 7 attempt(s)")
                yield item

    d = spec_dict("http://unused/v1", n=8, chunk=4, limit=3)
    d["models"] = [{"name": "base", "backend": "fake", "path": "none"}]
    spec = parse_spec(d)
    with pytest.raises(BoundaryError, match="failed after 7"):
        sample_run(spec, tmp_path / "r", backends={"base": DiesAfterTwo(spec.models[0])})
    assert len(stored(tmp_path / "r")) == 2 * 4
    again = sample_run(spec, tmp_path / "r", backends={"base": FakeBackend(spec.models[0])})
    assert again.new_samples == 3 * 8 - 8 and len(stored(tmp_path / "r")) == 24
