"""Hugging Face transformers ``generate`` (``backend: transformers``): CPU-friendly, no server.

Batching: up to ``model_spec.batch_size`` prompts per ``generate`` call (left padding), each
expanded to its chunk's n rows with ``num_return_sequences``; chunks of different sizes go to
separate calls.

Determinism: every row draws its tokens from its own ``torch.Generator``, seeded ``chunk seed +
i`` for the chunk's i-th sample (what vLLM does with ``SamplingParams(n, seed)``). A sample
therefore depends on its prompt and seed only, not on which other chunks share the batch, and a
partial last chunk redrawn with a larger n keeps its first samples. (Logits of a row can differ
in the last float bits between batch shapes; a flipped token is possible but very rare.)
The row sampler (:class:`SeededSampler`) applies temperature and top-p to the raw logits and
leaves one finite logit, so ``generate(do_sample=True)`` takes exactly that token.

Stops: eos (the model's generation config), and ``params.stop`` strings (the text is cut before
the stop string, as vLLM does). ``finish_reason`` is ``length`` when ``max_tokens`` were
generated without a stop. Logprobs: the chosen tokens' log-probabilities under the raw logits
(before temperature and top-p), like vLLM's default.

Vision-language checkpoints (a config that ``AutoModelForImageTextToText`` knows and that has a
``vision_config``, e.g. LLaVA, Qwen2.5-VL, Idefics3) load with ``AutoModelForImageTextToText`` and
``AutoProcessor``; the processor builds each request's inputs from its text and images (decoded
once per problem, RGB): a text prompt must hold the processor's image token (``<image>``,
``<|image_pad|>``, ...) once per image, chat messages get the images as ``{"type": "image"}``
parts before the last user message's text and are rendered with the processor's chat template.
Every sample is one row of the batch (the prompt's rows repeated n times, images with them), so
the seeded row sampler and its guarantees are the same as for text models, for any number of images
per prompt and any model's pixel layout; the cost is that the vision tower encodes an image once per
row (use vLLM for large VLMs at large n). Images for a text-only model are an error naming the model.

``engine_args``: ``num_threads`` (``torch.set_num_threads``; default: torch's), ``device``
(default ``cuda`` when available, else ``cpu``); anything else goes to ``from_pretrained``
(e.g. ``attn_implementation``, ``trust_remote_code``, ``revision``).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from boundary.errors import BoundaryError
from boundary.sampling.backends.base import Backend
from boundary.sampling.backends.images import ImageCache, not_multimodal
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_SEED_MOD = 2**64


def check_model_path(path: str | None, *, model: str, backend: str) -> str:
    """A local checkpoint directory must exist and hold a config.json; a hub id passes through.

    Raises BoundaryError naming the model, the path and what was expected.
    """
    if not path:
        raise BoundaryError(f"model {model!r} (backend {backend!r}) needs `path`: a checkpoint directory "
                            "or a Hugging Face hub id.")
    p = Path(path).expanduser()
    if p.exists():
        if p.is_dir() and not (p / "config.json").is_file():
            raise BoundaryError(f"model {model!r}: path {path!r} is a directory but not a model checkpoint "
                                "(no config.json in it). Point `path` at the directory written by "
                                "save_pretrained.")
        return str(p)
    looks_local = (os.path.isabs(path) or path.startswith((".", "~")) or path.endswith(("/", os.sep))
                   or path.count("/") > 1 or os.sep != "/" and os.sep in path or not _HUB_ID.match(path))
    if looks_local:
        raise BoundaryError(f"model {model!r}: the model path {path!r} does not exist. Give an existing "
                            "checkpoint directory (with config.json) or a Hugging Face hub id like "
                            "'Qwen/Qwen2.5-7B'.")
    return path                                     # a hub id: the engine downloads or finds it in the cache


def prompt_ids(tokenizer, req: ChunkRequest, *, add_special_tokens: bool = True) -> list[int]:
    """Token ids of a request's prompt: its chat messages through the tokenizer's chat template, or its text."""
    if req.messages is not None:
        msgs = [{"role": role, "content": content} for role, content in req.messages]
        text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])
    return list(tokenizer(req.prompt, add_special_tokens=add_special_tokens)["input_ids"])


def is_vlm_config(config) -> bool:
    """Whether a transformers config is a vision-language model's (image-text-to-text with a vision tower)."""
    try:
        from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
    except ImportError:                             # transformers without image-text-to-text models
        return False
    return (getattr(config, "model_type", None) in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
            and getattr(config, "vision_config", None) is not None)


def _dtype(name: str):
    import torch
    if name in (None, "auto"):
        return "auto"
    dt = getattr(torch, str(name).removeprefix("torch."), None)
    if not isinstance(dt, torch.dtype):
        raise BoundaryError(f"dtype {name!r} is not a torch dtype; expected auto, float32, bfloat16 or float16.")
    return dt


class SeededSampler:
    """Logits processor: temperature + top-p sampling with one ``torch.Generator`` per row.

    Returns scores with a single finite entry (0.0) per row, the sampled token, so that the
    ``generate`` sampling step that follows (multinomial over one token) takes it. Sampling is
    the exponential race (argmax p / E, E ~ Exp(1)), the same as vLLM's.
    """

    def __init__(self, generators, temperature: float, top_p: float):
        self.generators = generators
        self.temperature = temperature
        self.top_p = top_p

    def __call__(self, input_ids, scores):
        import torch
        logits = scores.float()
        if self.temperature > 0:
            logits = logits / self.temperature
        probs = torch.softmax(logits, dim=-1)
        if self.top_p < 1.0:
            sp, idx = probs.sort(dim=-1, descending=False)
            cum = sp.cumsum(dim=-1)
            drop = cum <= 1 - self.top_p
            drop[:, -1] = False                     # keep at least the most likely token
            probs = probs.scatter(-1, idx, sp.masked_fill(drop, 0.0))
        if self.temperature == 0:
            chosen = probs.argmax(dim=-1)
        else:
            q = torch.empty_like(probs)
            for i, g in enumerate(self.generators):
                q[i].exponential_(generator=g)
            chosen = (probs / q).argmax(dim=-1)
        out = torch.full_like(scores, float("-inf"))
        out.scatter_(1, chosen.unsqueeze(1), 0.0)
        return out


class TransformersBackend(Backend):
    """``AutoModelForCausalLM.generate`` (``AutoModelForImageTextToText`` + ``AutoProcessor`` for a
    vision-language checkpoint) on ``model_spec.path`` (a checkpoint directory or a hub id)."""

    name = "transformers"

    def __init__(self, model_spec):
        self.spec = model_spec
        path = check_model_path(model_spec.path, model=model_spec.name, backend="transformers")
        try:
            import torch
            import transformers
            from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise BoundaryError(f"model {model_spec.name!r} uses backend 'transformers', which needs torch and "
                                f"transformers ({e}). Install them with: pip install 'boundary[hf]' torch.") from e
        self._torch = torch
        args = dict(model_spec.engine_args)
        threads = args.pop("num_threads", None)
        if threads is not None:
            torch.set_num_threads(int(threads))
        device = args.pop("device", None) or ("cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(device)
        remote = args.get("trust_remote_code", False)
        self.processor = None
        self.images = ImageCache()
        try:
            config = AutoConfig.from_pretrained(path, trust_remote_code=remote)
            self.multimodal = is_vlm_config(config)
            self.model_class = type(config).__name__
            if self.multimodal:
                from transformers import AutoModelForImageTextToText, AutoProcessor
                self.processor = AutoProcessor.from_pretrained(path, trust_remote_code=remote)
                self.tokenizer = self.processor.tokenizer
                self.model = AutoModelForImageTextToText.from_pretrained(path, dtype=_dtype(model_spec.dtype), **args)
            else:
                self.tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=remote)
                self.model = AutoModelForCausalLM.from_pretrained(path, dtype=_dtype(model_spec.dtype), **args)
        except Exception as e:
            raise BoundaryError(f"model {model_spec.name!r}: transformers could not load {path!r}: "
                                f"{type(e).__name__}: {e}") from e
        self.model.to(self.device).eval()
        self.tokenizer.padding_side = "left"
        gc = self.model.generation_config
        eos = gc.eos_token_id if gc.eos_token_id is not None else self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, (list, tuple)) else ([eos] if eos is not None else []))
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = gc.pad_token_id if gc.pad_token_id is not None else next(iter(sorted(self.eos_ids)), 0)
        self.pad_id = pad
        self._versions = {"transformers": transformers.__version__, "torch": torch.__version__}

    # -- prompts ---------------------------------------------------------------------------------

    def _prompt_ids(self, req: ChunkRequest) -> list[int]:
        return prompt_ids(self.tokenizer, req)

    # -- generation ------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        requests = list(requests)
        by_n: dict[int, list[ChunkRequest]] = {}
        for r in requests:                           # num_return_sequences is per call: group by n
            by_n.setdefault(r.n, []).append(r)
        if any(r.images for r in requests) and not self.multimodal:
            raise not_multimodal(self.spec.name, requests,
                                 f"transformers loads {self.spec.path!r} as {self.model_class}, "
                                 "not an image-text-to-text model")
        bs = self.spec.batch_size
        for n, reqs in by_n.items():
            for s in range(0, len(reqs), bs):
                if self.multimodal:                  # prompts with the same number of images share a call
                    by_images: dict[int, list[ChunkRequest]] = {}
                    for r in reqs[s:s + bs]:
                        by_images.setdefault(len(r.images), []).append(r)
                    for group in by_images.values():
                        yield from self._generate_batch(group, n, params)
                else:
                    yield from self._generate_batch(reqs[s:s + bs], n, params)

    # -- vision-language inputs ------------------------------------------------------------------

    def _vlm_text(self, req: ChunkRequest) -> str:
        """The processor's text: the prompt, or the messages (images as parts) through the chat template."""
        assert self.processor is not None
        if req.messages is None:
            return req.prompt
        msgs: list[dict[str, Any]] = [{"role": role, "content": content} for role, content in req.messages]
        if req.images:
            last = max((i for i, m in enumerate(msgs) if m["role"] == "user"), default=None)
            if last is None:
                raise BoundaryError(f"model {self.spec.name!r}: problem {req.problem_id!r} has images but its "
                                    "chat messages have no user turn to attach them to.")
            msgs[last] = {"role": "user", "content": [{"type": "image"} for _ in req.images]
                          + [{"type": "text", "text": msgs[last]["content"]}]}
        render = self.processor if getattr(self.processor, "chat_template", None) else self.tokenizer
        return render.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)

    def _vlm_inputs(self, req: ChunkRequest) -> dict[str, Any]:
        """The processor's tensors for one request (batch of 1): input_ids, attention_mask, pixel_values, ..."""
        assert self.processor is not None
        text = self._vlm_text(req)
        token = getattr(self.processor, "image_token", None)
        if isinstance(token, str) and token and text.count(token) != len(req.images):
            raise BoundaryError(
                f"model {self.spec.name!r}: problem {req.problem_id!r} of {req.benchmark!r} has "
                f"{len(req.images)} image(s) but its prompt holds the image token {token!r} "
                f"{text.count(token)} time(s); a text prompt needs the model's placeholder once per image.")
        images = self.images.pil(req) or None
        try:
            enc = self.processor(text=[text], images=images, return_tensors="pt",
                                 add_special_tokens=req.messages is None)
        except Exception as e:
            raise BoundaryError(f"model {self.spec.name!r}: the processor refused problem {req.problem_id!r} "
                                f"of {req.benchmark!r}: {type(e).__name__}: {e}") from e
        return dict(enc)

    def _vlm_batch(self, reqs: list[ChunkRequest], n: int):
        """Rows of a call: each request's inputs n times (prompt-major), left-padded; the other tensors
        (pixel values, grids, ...) repeated with their rows, so every sample is a batch row of its own."""
        torch = self._torch
        encs = [self._vlm_inputs(r) for r in reqs]
        ids = [e["input_ids"][0].tolist() for e in encs]
        width = max(map(len, ids))
        rows = len(reqs) * n
        input_ids = torch.full((rows, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((rows, width), dtype=torch.long)
        per_token: dict[str, Any] = {}
        extras: dict[str, list[Any]] = {}
        for k, (e, row) in enumerate(zip(encs, ids)):
            length = len(row)
            for key, value in e.items():
                if key in ("input_ids", "attention_mask") or not hasattr(value, "shape"):
                    continue
                if value.dim() == 2 and value.shape == e["input_ids"].shape:    # per token (e.g. mm_token_type_ids)
                    t = per_token.setdefault(key, torch.zeros((rows, width), dtype=value.dtype))
                    t[k * n:(k + 1) * n, width - length:] = value[0]
                else:
                    extras.setdefault(key, []).extend([value] * n)
            input_ids[k * n:(k + 1) * n, width - length:] = torch.tensor(row, dtype=torch.long)
            mask[k * n:(k + 1) * n, width - length:] = 1
        kwargs = {key: torch.cat(v, dim=0).to(self.device) for key, v in extras.items()}
        kwargs.update({key: v.to(self.device) for key, v in per_token.items()})
        if "pixel_values" in kwargs and kwargs["pixel_values"].is_floating_point():
            kwargs["pixel_values"] = kwargs["pixel_values"].to(self.model.dtype)
        return ids, input_ids, mask, kwargs

    def _generate_batch(self, reqs: list[ChunkRequest], n: int, params: SamplingParams):
        torch = self._torch
        from transformers import GenerationConfig, LogitsProcessorList

        extra: dict[str, Any] = {}
        if self.multimodal:
            ids, input_ids, mask, extra = self._vlm_batch(reqs, n)
            returns = 1
        else:
            ids = [self._prompt_ids(r) for r in reqs]
            returns = n
        max_new = params.max_tokens
        if self.spec.max_model_len is not None:
            longest = max(map(len, ids))
            if longest >= self.spec.max_model_len:
                raise BoundaryError(f"model {self.spec.name!r}: a prompt of {longest} tokens does not fit "
                                    f"max_model_len={self.spec.max_model_len}.")
            max_new = min(max_new, self.spec.max_model_len - longest)
        width = max(map(len, ids))
        if not self.multimodal:
            input_ids = torch.full((len(ids), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(ids), width), dtype=torch.long)
            for i, row in enumerate(ids):
                if row:
                    input_ids[i, width - len(row):] = torch.tensor(row, dtype=torch.long)
                    mask[i, width - len(row):] = 1
        gens = []
        for r in reqs:                               # row order of num_return_sequences: prompt-major
            for i in range(n):
                g = torch.Generator(device=self.device)
                g.manual_seed((r.seed + i) % _SEED_MOD)
                gens.append(g)
        config = GenerationConfig(
            do_sample=True, temperature=1.0, top_p=1.0, top_k=0, repetition_penalty=1.0,
            num_return_sequences=returns, max_new_tokens=max_new, min_new_tokens=0,
            eos_token_id=sorted(self.eos_ids) or None, pad_token_id=self.pad_id,
            stop_strings=list(params.stop) or None,
            return_dict_in_generate=True, output_logits=bool(params.logprobs))
        kwargs = {"tokenizer": self.tokenizer} if params.stop else {}
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                generation_config=config,
                logits_processor=LogitsProcessorList([SeededSampler(gens, params.temperature, params.top_p)]),
                **extra, **kwargs)
        seqs = out.sequences[:, width:].cpu()
        logp = None
        if params.logprobs:
            steps = torch.stack([x.float() for x in out.logits], dim=1).log_softmax(dim=-1)   # rows × steps × V
            logp = steps.gather(-1, seqs[:, :steps.shape[1]].unsqueeze(-1)).squeeze(-1).cpu()
        for k, r in enumerate(reqs):
            comps = []
            for i in range(n):
                j = k * n + i
                comps.append(self._completion(seqs[j].tolist(), len(ids[k]), max_new, params,
                                              None if logp is None else logp[j]))
            yield r, comps

    def _decode(self, toks: list[int]) -> str:
        return self.tokenizer.decode(toks, skip_special_tokens=True)

    def _completion(self, toks: list[int], n_prompt: int, max_new: int, params: SamplingParams, logp
                    ) -> Completion:
        end = next((j for j, t in enumerate(toks) if t in self.eos_ids), None)
        body = toks if end is None else toks[:end]
        text = self._decode(body)
        count, reason = (len(toks), "length") if end is None else (end + 1, "stop")
        cut = min((p for p in (text.find(s) for s in params.stop if s) if p >= 0), default=-1)
        if cut >= 0:
            # the fewest tokens whose text holds a stop string: that is where generation stopped
            lo, hi = 1, len(body)
            while lo < hi:
                mid = (lo + hi) // 2
                t = self._decode(body[:mid])
                if any(s and s in t for s in params.stop):
                    hi = mid
                else:
                    lo = mid + 1
            count, reason, text = lo, "stop", text[:cut]
        elif end is None and len(toks) < max_new:
            reason = "stop"                          # padded: ended early (a stop the scan missed)
        lps = None if logp is None else tuple(float(x) for x in logp[:count].tolist())
        return Completion(text=text, finish_reason=reason, prompt_tokens=n_prompt, completion_tokens=count,
                          logprobs=lps)

    def info(self) -> dict[str, Any]:
        try:
            version = importlib.metadata.version("transformers")
        except importlib.metadata.PackageNotFoundError:
            version = self._versions["transformers"]
        return {"backend": "transformers", "engine": "transformers", "version": version,
                "torch": self._versions["torch"], "dtype": str(self.model.dtype).removeprefix("torch."),
                "tensor_parallel_size": 1, "device": str(self.device), "batch_size": self.spec.batch_size,
                "num_threads": self._torch.get_num_threads(), "path": self.spec.path,
                "model_class": type(self.model).__name__, "multimodal": self.multimodal}

    def close(self) -> None:
        self.model = None
        self.processor = None
