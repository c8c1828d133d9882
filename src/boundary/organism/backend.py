"""``backend: tiny``: the organism's batched KV-cache sampler for small Qwen2 checkpoints on CPU.

For models of a few hundred thousand parameters (the model organism) per-call overhead, not
arithmetic, dominates ``generate`` and vLLM; this backend runs
:class:`boundary.organism.sampler.TinySampler` on the weights that transformers loads, many
chunks per batch (``bench/bench_organism_sampler.py`` has the figures). Use vLLM or transformers
for real models: this backend refuses checkpoints that are not Qwen2 with default RoPE.

Determinism: sample i of a chunk is drawn with seed ``chunk seed + i`` by a counter-based hash,
so it depends on its prompt and seed only, as with vLLM. Stops: end-of-sequence and
``params.stop`` strings (the text is cut before the stop string). Logprobs: of the sampled
tokens under the model at temperature 1 (vLLM's default raw logprobs).

``engine_args``: ``num_threads`` (default 1 thread per process, which avoids stalls on shared
cores), ``rows`` (samples per batch, default 4096).

The visual organism's checkpoints (a LLaVA whose language model is such a Qwen2,
:mod:`boundary.organism.visual`) run here too: each request's prompt and images go through the
checkpoint's own processor (as with ``backend: transformers``), the vision tower encodes each image
once, and the sampler splices its features in place of the image tokens.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator, Sequence
from typing import Any

from boundary.errors import BoundaryError
from boundary.sampling.backends.base import Backend
from boundary.sampling.backends.hf import check_model_path, prompt_ids
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams


class TinyBackend(Backend):
    name = "tiny"

    def __init__(self, model_spec):
        self.spec = model_spec
        path = check_model_path(model_spec.path, model=model_spec.name, backend="tiny")
        try:
            import torch
            from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise BoundaryError(f"model {model_spec.name!r} uses backend 'tiny', which needs torch and transformers "
                                f"({e}). Install them with: pip install 'boundary[hf]' torch==2.13.0.") from e
        from boundary.organism.sampler import TinySampler

        args = dict(model_spec.engine_args)
        torch.set_num_threads(int(args.pop("num_threads", 1)))
        self.rows = int(args.pop("rows", 4096))
        if args:
            raise BoundaryError(f"model {model_spec.name!r}: backend 'tiny' takes engine_args num_threads and rows, "
                                f"not {sorted(args)}.")
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()                # "Loading weights" bars clutter a run's output
        self.vlm = None
        self.processor = None
        try:
            if AutoConfig.from_pretrained(path).model_type == "llava":
                from transformers import AutoModelForImageTextToText, AutoProcessor
                self.processor = AutoProcessor.from_pretrained(path)
                self.tokenizer = self.processor.tokenizer
                self.vlm = AutoModelForImageTextToText.from_pretrained(path, dtype=torch.float32).eval()
                from boundary.organism.visual import _LM
                model = _LM(self.vlm)
            else:
                self.tokenizer = AutoTokenizer.from_pretrained(path)
                model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        except Exception as e:
            raise BoundaryError(f"model {model_spec.name!r}: transformers could not load {path!r}: "
                                f"{type(e).__name__}: {e}") from e
        if model.config.model_type != "qwen2":
            raise BoundaryError(f"model {model_spec.name!r}: backend 'tiny' runs Qwen2 checkpoints (and LLaVAs whose "
                                f"language model is a Qwen2) only, and {path!r} is {model.config.model_type!r}; use "
                                "backend 'transformers' or 'vllm'.")
        eos = (self.vlm if self.vlm is not None else model).generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_id = int(eos[0] if isinstance(eos, (list, tuple)) else eos)
        try:
            image_id = self.vlm.config.image_token_index if self.vlm is not None else None
            self.sampler = TinySampler(model, eos_id=self.eos_id, image_token_id=image_id)
        except ValueError as e:
            raise BoundaryError(f"model {model_spec.name!r}: {e}") from e
        self.max_len = model_spec.max_model_len or model.config.max_position_embeddings
        self._dtype = str((self.vlm if self.vlm is not None else model).dtype).removeprefix("torch.")
        self._torch = torch
        self._features: dict[tuple[str, ...], Any] = {}
        from boundary.sampling.backends.images import ImageCache
        self.images = ImageCache()

    def _ids(self, r: ChunkRequest) -> list[int]:
        if self.vlm is None:
            if r.images:
                from boundary.sampling.backends.images import not_multimodal
                raise not_multimodal(self.spec.name, [r], "backend 'tiny' loads it as a text-only Qwen2")
            return prompt_ids(self.tokenizer, r, add_special_tokens=False)
        if r.messages is not None:
            raise BoundaryError(f"model {self.spec.name!r}: backend 'tiny' takes text prompts (a named template), "
                                "not chat messages; use `template: raw` with `image_placeholder: '<image>'`.")
        token = self.processor.image_token
        if r.prompt.count(token) != len(r.images):
            raise BoundaryError(f"model {self.spec.name!r}: problem {r.problem_id!r} of {r.benchmark!r} has "
                                f"{len(r.images)} image(s) but its prompt holds the image token {token!r} "
                                f"{r.prompt.count(token)} time(s); set `image_placeholder: {token!r}` on the model.")
        enc = self.processor(text=[r.prompt], images=self.images.pil(r) or None, return_tensors="pt")
        if r.images and r.images not in self._features:
            from boundary.organism.visual import image_features
            with self._torch.inference_mode():
                pv = enc["pixel_values"]
                feats = image_features(self.vlm, pv)
            self._features[r.images] = feats.reshape(-1, feats.shape[-1])
        return enc["input_ids"][0].tolist()

    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        batch: list[tuple[ChunkRequest, list[int]]] = []
        size = 0
        self._features = {}                           # image features of the batch being built
        for r in requests:
            if batch and size + r.n > self.rows:
                yield from self._run(batch, params)
                batch, size = [], 0
                self._features = {}
            batch.append((r, self._ids(r)))
            size += r.n
        if batch:
            yield from self._run(batch, params)

    def _run(self, batch, params: SamplingParams):
        longest = max(len(ids) for _, ids in batch)
        max_new = min(params.max_tokens, self.max_len - longest)
        if max_new <= 0:
            raise BoundaryError(f"model {self.spec.name!r}: a prompt of {longest} tokens leaves no room to generate "
                                f"within {self.max_len} positions; shorten the prompt or the template.")
        prompts: list[list[int]] = []
        seeds: list[int] = []
        images: list[Any] = []
        for r, ids in batch:
            prompts.extend([ids] * r.n)
            seeds.extend(r.seed + i for i in range(r.n))
            images.extend([self._features.get(r.images) if r.images else None] * r.n)
        samples = self.sampler.sample(prompts, seeds, max_new_tokens=max_new, temperature=params.temperature,
                                      top_p=params.top_p, images=images if self.vlm is not None else None)
        k = 0
        for r, ids in batch:
            comps = []
            for s in samples[k:k + r.n]:
                comps.append(self._completion(s, len(ids), params))
            k += r.n
            yield r, comps

    def _completion(self, s, n_prompt: int, params: SamplingParams) -> Completion:
        toks = list(s.tokens)
        text = self.tokenizer.decode(toks, skip_special_tokens=True)
        count = len(toks) + (1 if s.finished else 0)
        reason = "stop" if s.finished else "length"
        lps = list(s.token_logprobs)
        cut = min((p for p in (text.find(x) for x in params.stop if x) if p >= 0), default=-1)
        if cut >= 0:                       # one token per character for the organism's tokenizer
            lo = next(j for j in range(1, len(toks) + 1)
                      if any(x and x in self.tokenizer.decode(toks[:j], skip_special_tokens=True)
                             for x in params.stop))
            text, count, reason, lps = text[:cut], lo, "stop", lps[:lo]
        return Completion(text=text, finish_reason=reason, prompt_tokens=n_prompt, completion_tokens=count,
                          logprobs=tuple(lps[:count]) if params.logprobs else None)

    def info(self) -> dict[str, Any]:
        try:
            version = importlib.metadata.version("boundary")
        except importlib.metadata.PackageNotFoundError:     # pragma: no cover
            version = None
        return {"backend": "tiny", "engine": "boundary.organism.sampler", "version": version,
                "torch": self._torch.__version__, "dtype": "float32", "weights_dtype": self._dtype,
                "tensor_parallel_size": 1, "rows": self.rows, "num_threads": self._torch.get_num_threads(),
                "path": self.spec.path, "multimodal": self.vlm is not None}

    def close(self) -> None:
        self.sampler = None
