"""OpenAI-compatible HTTP backend: ``vllm serve``, SGLang, llama.cpp server, hosted APIs.

One chunk is one request (``n = chunk.n``, ``seed = chunk.seed``) to ``/completions`` or
``/chat/completions``. Requests run on an asyncio loop in a background thread (aiohttp, one
connection pool per backend), at most ``max_concurrency`` in flight; ``generate`` yields each chunk
as soon as its response is complete, so the stage can store it while the others are still running.

Engine arguments (``engine_args`` of the model spec), all optional:

``timeout_s`` (1800)
    Total time limit of one HTTP request (connect + queue + generate + read). A request that exceeds
    it is abandoned and retried; the server may still finish it, which costs compute but not
    correctness. The default is generous on purpose: one request of n = 64 samples × 16k tokens waits
    in the server's queue behind the other requests in flight, and a timeout that is shorter than a
    legitimate request makes every retry time out too.
``max_retries`` (6)
    Retries per request after the first attempt, on HTTP 408/409/425/429/5xx, timeouts, refused
    or dropped connections and truncated or malformed responses. Other 4xx (a bad request, a wrong
    model name, a missing API key) fail at once. After the last retry the run stops with a
    :class:`~boundary.errors.BoundaryError` naming the endpoint, the last status and the attempts.
``backoff_s`` (0.5), ``backoff_max_s`` (30)
    Exponential backoff with jitter: before retry r the request waits a random time in
    ``[d/2, d]`` with ``d = min(backoff_max_s, backoff_s * 2**r)``, or the server's ``Retry-After``
    when it sends one (capped at ``backoff_max_s``).
``max_n`` (none)
    The largest ``n`` the server accepts in one request. A chunk with more samples is split into
    ``ceil(n / max_n)`` requests; sub-request 0 keeps the chunk's seed and sub-request s > 0 gets
    ``sub_seed(seed, s)`` (a hash of both). The samples then depend on ``max_n``: keep it fixed for
    a model within one run. Hosted APIs that ignore ``n`` need ``max_n: 1``.
``return_token_ids`` ("auto")
    vLLM's extension that returns each choice's token ids, which gives exact per-sample completion
    token counts. "auto" sends it only when the server identifies itself as vLLM (``GET /version``);
    hosted APIs reject unknown fields.
``extra_body`` ({})
    Fields merged into every request body (e.g. ``top_k``, ``repetition_penalty`` on vLLM).
``headers`` ({})
    Extra HTTP headers.

Token counts. ``prompt_tokens`` is ``usage.prompt_tokens`` of the request (the OpenAI API and vLLM
count the prompt once per request, not once per choice). ``completion_tokens`` is per sample when
the server gives it: the length of the choice's ``token_ids`` (vLLM), of its logprobs (when asked
for), or ``usage.completion_tokens`` when the request had a single choice. Otherwise it is ``None``:
the API reports only the total over all n choices, and dividing it evenly would invent numbers.

Seeds. The same spec gives the same samples only on a server that honours ``seed`` per request
(vLLM does; hosted APIs call it best effort) and the same model, engine version and dtype.

Images (``ChunkRequest.images``) need ``api: chat``: each image goes as an ``image_url`` content
part holding a data URI (``data:image/<png|jpeg|webp|gif>;base64,...`` of the file's own bytes;
other formats re-encoded as PNG), encoded once per image path (a small cache), placed before the
text of the last user message; the server's chat template puts the model's image tokens there.
The text therefore must not hold an image placeholder of its own. With ``api: completions`` a
request with images is an error (the completions API has no field for them).

Never twice: a chunk is yielded once, after all its sub-requests succeeded; a retried request
repeats the same seed, so a retry returns what the lost attempt would have.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import queue
import random
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from boundary.errors import BoundaryError
from boundary.sampling.backends.base import Backend
from boundary.sampling.backends.images import ImageCache
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams

RETRY_STATUS = frozenset({408, 409, 425, 429})
ENGINE = "openai-http"


def sub_seed(seed: int, index: int) -> int:
    """Seed of sub-request ``index`` of a chunk split because the server caps n (index 0: ``seed``)."""
    if index == 0:
        return seed
    h = hashlib.sha256(f"{int(seed)}\x1f{int(index)}".encode()).digest()
    return int.from_bytes(h[:8], "big") & (2**63 - 1)


class _Retryable(Exception):
    def __init__(self, what: str, retry_after: float | None = None):
        super().__init__(what)
        self.what, self.retry_after = what, retry_after


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, model_spec):
        if not model_spec.endpoint:
            raise BoundaryError(f"model {model_spec.name!r}: the openai backend needs `endpoint` "
                                "(e.g. http://localhost:8000/v1).")
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            raise BoundaryError("the openai backend needs aiohttp: pip install aiohttp "
                                "(it comes with vllm).") from None
        self.spec = model_spec
        self.endpoint = model_spec.endpoint.rstrip("/")
        if urlsplit(self.endpoint).scheme not in ("http", "https"):
            raise BoundaryError(f"model {model_spec.name!r}: endpoint {model_spec.endpoint!r} is not an "
                                "http(s) URL; expected e.g. http://localhost:8000/v1.")
        self.api = model_spec.api
        ea = dict(model_spec.engine_args or {})
        known = {"timeout_s", "max_retries", "backoff_s", "backoff_max_s", "max_n", "return_token_ids",
                 "extra_body", "headers", "connect_timeout_s"}
        unknown = sorted(set(ea) - known)
        if unknown:
            raise BoundaryError(f"model {model_spec.name!r}: unknown engine_args {unknown} for the openai "
                                f"backend; known: {sorted(known)}.")
        self.timeout_s = float(ea.get("timeout_s", 1800.0))
        self.connect_timeout_s = float(ea.get("connect_timeout_s", min(30.0, self.timeout_s)))
        self.max_retries = int(ea.get("max_retries", 6))
        self.backoff_s = float(ea.get("backoff_s", 0.5))
        self.backoff_max_s = float(ea.get("backoff_max_s", 30.0))
        self.max_n = int(ea["max_n"]) if ea.get("max_n") is not None else None
        if self.max_n is not None and self.max_n < 1:
            raise BoundaryError(f"model {model_spec.name!r}: engine_args.max_n must be >= 1, got {self.max_n}.")
        self.return_token_ids = ea.get("return_token_ids", "auto")
        self.extra_body = dict(ea.get("extra_body") or {})
        self.headers = {"Content-Type": "application/json", **dict(ea.get("headers") or {})}
        if model_spec.api_key_env:
            key = os.environ.get(model_spec.api_key_env)
            if not key:
                raise BoundaryError(f"model {model_spec.name!r}: api_key_env names {model_spec.api_key_env!r}, "
                                    "but that environment variable is unset or empty. Export the API key "
                                    "in it, or drop api_key_env for a server without authentication.")
            self.headers["Authorization"] = f"Bearer {key}"
        self.max_concurrency = int(model_spec.max_concurrency)
        self.model: str | None = model_spec.path
        self._server: dict[str, Any] | None = None
        self._jitter = random.Random()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session = None
        self._sem: asyncio.Semaphore | None = None
        self.stats = {"requests": 0, "attempts": 0, "retries": 0}
        self.images = ImageCache()

    # -- event loop in a background thread --------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="boundary-openai", daemon=True)
            self._thread.start()
        return self._loop

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop()).result()

    async def _get_session(self):
        if self._session is None:
            import aiohttp
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.max_concurrency + 2),
                headers=self.headers)
            self._sem = asyncio.Semaphore(self.max_concurrency)
        return self._session

    def close(self) -> None:
        if self._loop is None:
            return
        if self._session is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._session.close(), self._loop).result(timeout=10)
            except Exception:
                pass
            self._session = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- HTTP with retries ------------------------------------------------------------------------

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max_s)
        d = min(self.backoff_max_s, self.backoff_s * 2 ** retry)
        return self._jitter.uniform(d / 2, d)

    async def _attempt(self, method: str, url: str, body: dict | None, timeout: float, parse=None) -> Any:
        import aiohttp
        session = await self._get_session()
        assert self._sem is not None  # _get_session made it with the session
        t = aiohttp.ClientTimeout(total=timeout, sock_connect=min(self.connect_timeout_s, timeout))
        try:
            async with self._sem:
                self.stats["attempts"] += 1
                async with session.request(method, url, json=body, timeout=t) as resp:
                    raw = await resp.read()
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
        except TimeoutError:
            raise _Retryable(f"no complete response within {timeout:g} s (timeout)") from None
        except aiohttp.ClientError as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from None
        except OSError as e:
            raise _Retryable(f"{type(e).__name__}: {e}") from None
        if status >= 500 or status in RETRY_STATUS:
            ra = None
            if retry_after:
                try:
                    ra = float(retry_after)
                except ValueError:
                    ra = None
            raise _Retryable(f"HTTP {status}: {_snippet(raw)}", ra)
        if status >= 400:
            raise BoundaryError(f"{method} {url} was refused with HTTP {status}: {_snippet(raw)}"
                                f"{_hint(status)}")
        try:
            data = json.loads(raw)
        except ValueError:
            raise _Retryable(f"HTTP {status} with a body that is not JSON: {_snippet(raw)}") from None
        return parse(data) if parse is not None else data

    async def _request(self, method: str, url: str, body: dict | None = None, *, parse=None,
                       timeout: float | None = None, retries: int | None = None) -> Any:
        retries = self.max_retries if retries is None else retries
        timeout = self.timeout_s if timeout is None else timeout
        self.stats["requests"] += 1
        for attempt in range(retries + 1):
            try:
                return await self._attempt(method, url, body, timeout, parse)
            except _Retryable as e:
                if attempt == retries:
                    raise BoundaryError(
                        f"{method} {url} failed after {attempt + 1} attempt(s); last error: {e.what}. "
                        f"Check that the server at {self.endpoint} is up and healthy, or raise "
                        "engine_args.max_retries / timeout_s.") from None
                self.stats["retries"] += 1
                await asyncio.sleep(self._delay(attempt, e.retry_after))
        raise AssertionError("unreachable")

    # -- server facts -----------------------------------------------------------------------------

    async def _discover(self) -> dict[str, Any]:
        """The served model (when `path` is unset), the server's kind and version; once per backend."""
        if self._server is not None:
            return self._server
        server: dict[str, Any] = {"server": None, "server_version": None}
        url = self.endpoint + "/models"
        if self.model is None:
            listing = await self._request("GET", url, timeout=min(60.0, self.timeout_s))
        else:    # only to learn the server's kind: one attempt, failures ignored (hosted APIs may hide it)
            try:
                listing = await self._attempt("GET", url, None, min(30.0, self.timeout_s))
            except (BoundaryError, _Retryable):
                listing = None
        models = [m for m in (listing or {}).get("data", []) if isinstance(m, dict)] \
            if isinstance(listing, dict) else []
        if self.model is None:
            ids = [m.get("id") for m in models]
            if len(ids) != 1:
                raise BoundaryError(f"model {self.spec.name!r}: `path` is not set, so the served model is taken "
                                    f"from {url}, which lists {len(ids)} models {ids[:10]}; set `path` to the "
                                    "served model name.")
            self.model = ids[0]
        if any(m.get("owned_by") == "vllm" for m in models):
            server["server"] = "vllm"
            parts = urlsplit(self.endpoint)
            root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
            try:   # vLLM answers GET /version at the root
                v = await self._attempt("GET", root + "/version", None, min(30.0, self.timeout_s))
                if isinstance(v, dict) and v.get("version"):
                    server["server_version"] = f"vllm {v['version']}"
            except (BoundaryError, _Retryable):
                pass
        rti = self.return_token_ids
        server["return_token_ids"] = server["server"] == "vllm" if rti == "auto" else bool(rti)
        self._server = server
        return server

    def info(self) -> dict[str, Any]:
        server = self._call(self._discover())
        return {"backend": self.name, "engine": ENGINE, "endpoint": self.endpoint, "api": self.api,
                "model": self.model, "server": server["server"], "server_version": server["server_version"],
                "max_concurrency": self.max_concurrency, "max_n": self.max_n, "timeout_s": self.timeout_s,
                "per_sample_completion_tokens": server["return_token_ids"]}

    # -- sampling ---------------------------------------------------------------------------------

    def _body(self, req: ChunkRequest, params: SamplingParams, n: int, seed: int) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "n": n, "seed": seed, "temperature": params.temperature,
                                "top_p": params.top_p, "max_tokens": params.max_tokens}
        if params.stop:
            body["stop"] = list(params.stop)
        if self.api == "chat":
            msgs = req.messages if req.messages else (("user", req.prompt),)
            body["messages"] = [{"role": r, "content": c} for r, c in msgs]
            if req.images:
                self._attach_images(req, body["messages"])
            if params.logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = 0
        else:
            if req.messages and not req.prompt:
                raise BoundaryError(f"model {self.spec.name!r}: chat messages need `api: chat` (the server "
                                    "applies the model's chat template); this model uses api 'completions'.")
            body["prompt"] = req.prompt
            if params.logprobs:
                body["logprobs"] = 0
        if self._server and self._server.get("return_token_ids"):
            body["return_token_ids"] = True
        body.update(self.extra_body)
        return body

    def _attach_images(self, req: ChunkRequest, messages: list[dict[str, Any]]) -> None:
        """The request's images as ``image_url`` parts before the text of the last user message."""
        last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last is None:
            raise BoundaryError(f"model {self.spec.name!r}: problem {req.problem_id!r} has images but its chat "
                                "messages have no user turn to attach them to.")
        parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": uri}}
                                       for uri in self.images.data_uris(req)]
        parts.append({"type": "text", "text": messages[last]["content"]})
        messages[last] = {"role": messages[last]["role"], "content": parts}

    def _check_images(self, requests: Sequence[ChunkRequest]) -> None:
        req = next((r for r in requests if r.images), None)
        if req is not None and self.api != "chat":
            raise BoundaryError(f"model {self.spec.name!r}: problem {req.problem_id!r} of {req.benchmark!r} has "
                                f"{len(req.images)} image(s), which the completions API cannot carry. Use "
                                "`api: chat` (the images go as image_url content parts and the server's chat "
                                "template places them).")
        for r in requests:                     # a missing image stops the batch before any request goes out
            for path in r.images:
                if not os.path.isfile(path):
                    raise BoundaryError(f"model {self.spec.name!r}: problem {r.problem_id!r} of {r.benchmark!r}: "
                                        f"image {path!r} does not exist.")

    def _parse(self, data: Any, n: int, url: str) -> list[Completion]:
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise _Retryable(f"a response without `choices`: {_snippet(json.dumps(data).encode())}")
        choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
        if len(choices) != n:
            raise BoundaryError(f"POST {url} returned {len(choices)} choices for n={n}; the server does not "
                                "honour `n`. Set engine_args.max_n to the largest n it accepts (1 for servers "
                                "that ignore n).")
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        out = []
        for c in choices:
            if self.api == "chat":
                text = (c.get("message") or {}).get("content") or ""
                lp = c.get("logprobs") or {}
                raw_lps = [t.get("logprob") for t in (lp.get("content") or [])] if lp else None
            else:
                text = c.get("text") or ""
                lp = c.get("logprobs") or {}
                raw_lps = list(lp.get("token_logprobs") or []) if lp else None
            lps: tuple[float, ...] | None = None
            if raw_lps is not None:
                lps = tuple(float("nan") if v is None else float(v) for v in raw_lps)
            ctoks = None
            if isinstance(c.get("token_ids"), list):
                ctoks = len(c["token_ids"])
            elif lps:
                ctoks = len(lps)
            elif n == 1:
                ctoks = usage.get("completion_tokens")
            out.append(Completion(text=text, finish_reason=c.get("finish_reason"), prompt_tokens=prompt_tokens,
                                  completion_tokens=ctoks, logprobs=lps))
        return out

    async def _chunk(self, req: ChunkRequest, params: SamplingParams) -> list[Completion]:
        url = self.endpoint + ("/chat/completions" if self.api == "chat" else "/completions")
        per = self.max_n or req.n
        parts = [(s, min(per, req.n - s * per)) for s in range(math.ceil(req.n / per))]

        async def one(s: int, n: int) -> list[Completion]:
            body = self._body(req, params, n, sub_seed(req.seed, s))
            return await self._request("POST", url, body, parse=lambda d: self._parse(d, n, url))
        results = await asyncio.gather(*(one(s, n) for s, n in parts))
        return [c for r in results for c in r]

    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        if not requests:
            return
        self._check_images(requests)
        out: queue.Queue = queue.Queue()
        fut = asyncio.run_coroutine_threadsafe(self._run_batch(requests, params, out), self._ensure_loop())
        remaining = len(requests)
        try:
            while remaining:
                try:
                    item = out.get(timeout=0.5)
                except queue.Empty:
                    if fut.done() and out.empty():
                        fut.result()          # raises the batch's error
                        raise BoundaryError("the openai backend stopped before answering every chunk") from None
                    continue
                if isinstance(item, BaseException):
                    raise item
                remaining -= 1
                yield item
            fut.result()
        finally:
            if not fut.done():
                fut.cancel()
                try:
                    fut.result(timeout=30)
                except BaseException:
                    pass

    async def _run_batch(self, requests, params, out: queue.Queue) -> None:
        async def run(req):
            return req, await self._chunk(req, params)
        try:
            await self._discover()
        except BaseException as e:
            out.put(e)
            raise
        tasks = [asyncio.ensure_future(run(r)) for r in requests]
        try:
            for fut in asyncio.as_completed(tasks):
                out.put(await fut)
        except BaseException as e:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            out.put(e)
            raise


def _snippet(raw: bytes, limit: int = 300) -> str:
    text = raw.decode("utf-8", "replace").strip().replace("\n", " ")
    return (text[:limit] + "...") if len(text) > limit else (text or "(empty body)")


def _hint(status: int) -> str:
    return {401: ". The server wants an API key: set api_key_env to the variable that holds it.",
            403: ". The API key was rejected.",
            404: ". Check the endpoint (it usually ends in /v1) and the model name (`path`)."}.get(status, ".")
