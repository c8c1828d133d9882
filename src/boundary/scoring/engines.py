"""Teacher-forced scoring engines: the log-probability a model gives to a response after a prompt.

A scorer takes ``(prompt token ids, response token ids)`` pairs and returns, for each, the sum of
``log P(y_t | x, y_<t)`` over the response tokens, under the model's own distribution (raw logits,
no temperature, no top-p): the quantity of PPL_M(Y) = exp(−(1/T) Σ_t log P_M(y_t | x, y_<t)).

- :class:`VLLMScorer`: one ``llm.generate`` per batch with ``SamplingParams(max_tokens=1,
  prompt_logprobs=0)``: vLLM returns the logprob of every prompt token (prompt and response are
  sent as one token sequence) and computes it from the raw logits (``logprobs_mode`` does not
  apply to prompt tokens). Sequences need ``len ≤ max_model_len − 1`` (one generated token).
- :class:`TransformersScorer`: a forward pass of the decoder (right-padded batch), then the output
  layer and ``log_softmax`` over the response positions only, in slices of ``logit_chunk``
  positions, so a 16k-token response never materialises a 16k × vocabulary matrix.

Both can reuse a sampling backend's engine (:meth:`from_backend`), so a run that sampled with a
model scores with the same loaded weights.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from boundary.errors import BoundaryError
from boundary.sampling.plan import EngineConfig

Pair = tuple[list[int], list[int]]


class Scorer:
    """An engine that owns a model and its tokenizer and scores (prompt, response) token pairs."""

    name = "scorer"
    tokenizer: Any
    max_len: int | None = None
    """Longest prompt + response the engine accepts (None: no limit known)."""

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        """Σ log P(response tokens | prompt) per pair (≤ 0)."""
        raise NotImplementedError

    def info(self) -> str:
        return self.name

    def close(self) -> None:
        pass

    # -- tokenization, shared -------------------------------------------------------------------
    def encode_prompt(self, prompt) -> list[int]:
        """Token ids of a rendered prompt as the sampling engines build them: text → tokenizer with
        its special tokens (vLLM and transformers do this for text prompts); chat messages → the
        tokenizer's chat template with the generation prompt."""
        tok = self.tokenizer
        if isinstance(prompt, str):
            return list(tok(prompt)["input_ids"])
        msgs = [{"role": r, "content": c} for r, c in prompt]
        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        return list(tok(text, add_special_tokens=False)["input_ids"])

    def encode_response(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])


class VLLMScorer(Scorer):
    """Prompt logprobs from a ``vllm.LLM`` (build one with :meth:`from_spec` or reuse a backend's)."""

    name = "vllm"

    def __init__(self, llm, *, version: str = "", owner=None):
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()
        mc = getattr(llm, "model_config", None) or llm.llm_engine.model_config
        self.max_len = int(mc.max_model_len) - 1          # one generated token must fit
        self._version = version
        self._owner = owner                                # a backend we built and must close

    @classmethod
    def from_backend(cls, backend) -> VLLMScorer:
        from boundary.sampling.backends.vllm import vllm_version
        dist = vllm_version() or ("vllm", "")
        return cls(backend.llm, version=f"{dist[0]} {dist[1]}".strip())

    @classmethod
    def from_spec(cls, model_spec) -> VLLMScorer:
        from boundary.sampling.backends.vllm import VLLMBackend, vllm_version
        backend = VLLMBackend(model_spec)
        dist = vllm_version() or ("vllm", "")
        return cls(backend.llm, version=f"{dist[0]} {dist[1]}".strip(), owner=backend)

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        if not pairs:
            return []
        from vllm import SamplingParams
        sp = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0, detokenize=False)
        prompts = [{"prompt_token_ids": list(p) + list(r)} for p, r in pairs]
        outs = self.llm.generate(prompts, sp, use_tqdm=False)
        result = []
        for (p, r), out in zip(pairs, outs, strict=True):
            ids = list(p) + list(r)
            plp = out.prompt_logprobs
            if plp is None or len(plp) != len(ids):
                raise BoundaryError(f"vLLM returned {0 if plp is None else len(plp)} prompt logprobs for a "
                                    f"sequence of {len(ids)} tokens; cannot score it.")
            total = 0.0
            for pos in range(len(p), len(ids)):
                entry = plp[pos]
                lp = entry.get(ids[pos]) if entry is not None else None
                if lp is None:
                    raise BoundaryError(f"vLLM gave no logprob for token {ids[pos]} at position {pos}.")
                total += float(lp.logprob)
            result.append(total)
        return result

    def info(self) -> str:
        return self._version or "vllm"

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()
            self._owner = None


class TransformersScorer(Scorer):
    """A forward pass of a ``transformers`` causal LM (build with :meth:`from_spec` or reuse a backend's)."""

    name = "transformers"

    def __init__(self, model, tokenizer, *, logit_chunk: int = 1024, max_len: int | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.logit_chunk = logit_chunk
        self.max_len = max_len
        import torch
        import transformers
        self._torch = torch
        self._version = f"transformers {transformers.__version__} (torch {torch.__version__})"

    @classmethod
    def from_backend(cls, backend) -> TransformersScorer:
        return cls(backend.model, backend.tokenizer, max_len=backend.spec.max_model_len)

    @classmethod
    def from_spec(cls, model_spec) -> TransformersScorer:
        from boundary.sampling.backends.hf import TransformersBackend
        return cls.from_backend(TransformersBackend(model_spec))

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        if not pairs:
            return []
        torch = self._torch
        device = next(self.model.parameters()).device
        seqs = [list(p) + list(r) for p, r in pairs]
        width = max(map(len, seqs))
        ids = torch.zeros((len(seqs), width), dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):                        # right padding: positions 0..len-1 as usual
            ids[i, :len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, :len(s)] = 1
        decoder = self.model.get_decoder()
        head = self.model.get_output_embeddings()
        scale = getattr(self.model.config, "final_logit_softcapping", None)
        out = []
        with torch.inference_mode():
            hidden = decoder(input_ids=ids.to(device), attention_mask=mask.to(device)).last_hidden_state
            for i, (p, r) in enumerate(pairs):
                total = 0.0
                # logits at position t predict token t+1: response token j sits at len(p)+j
                for start in range(0, len(r), self.logit_chunk):
                    stop = min(len(r), start + self.logit_chunk)
                    h = hidden[i, len(p) + start - 1: len(p) + stop - 1]
                    logits = head(h).float()
                    if scale:
                        logits = torch.tanh(logits / scale) * scale
                    target = torch.tensor(r[start:stop], dtype=torch.long, device=logits.device)
                    total += float(logits.log_softmax(-1).gather(-1, target[:, None]).sum())
                out.append(total)
        return out

    def info(self) -> str:
        return self._version


def create_scorer(model_spec: EngineConfig, engine: str | None = None) -> Scorer:
    """A scorer for a model's engine config, on ``engine`` (default: the model's backend when it is
    ``vllm`` or ``transformers``; an OpenAI-compatible server cannot score, use one of those)."""
    engine = engine or model_spec.backend
    if engine not in ("vllm", "transformers"):
        raise BoundaryError(f"model {model_spec.name!r} uses backend {engine!r}, which cannot score stored "
                            "responses; score with engine 'vllm' or 'transformers' on its checkpoint "
                            "(`--engine transformers --path DIR`).")
    if not model_spec.path:
        raise BoundaryError(f"model {model_spec.name!r} has no checkpoint `path` to score with; give one "
                            "(`--path DIR`).")
    spec = dataclasses.replace(model_spec, backend=engine)
    return VLLMScorer.from_spec(spec) if engine == "vllm" else TransformersScorer.from_spec(spec)


def scorer_from_backend(backend) -> Scorer:
    """Reuse a sampling backend's loaded model (``VLLMBackend`` or ``TransformersBackend``)."""
    if getattr(backend, "name", None) == "vllm":
        return VLLMScorer.from_backend(backend)
    if getattr(backend, "name", None) == "transformers":
        return TransformersScorer.from_backend(backend)
    raise BoundaryError(f"backend {getattr(backend, 'name', backend)!r} cannot score responses; use a vllm "
                        "or transformers backend.")


def perplexity(nll: float, tokens: int) -> float:
    """exp(nll / tokens): the perplexity of ``tokens`` tokens with total negative log-likelihood ``nll``."""
    return math.exp(nll / tokens) if tokens > 0 else math.nan
