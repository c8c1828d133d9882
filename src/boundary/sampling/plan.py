"""What the sample stage is asked to do, as values: engines, prompts' template, parameters, problems.

The spec is read once, at the edge (:meth:`boundary.spec.Spec.sampling_plan`), into a
:class:`SamplingPlan`; the stage (:func:`boundary.sampling.stage.sample_run`) takes only this, so a
library user can sample problems with an engine without writing a spec::

    from boundary.sampling import EngineConfig, ModelPlan, SamplingParams, SamplingPlan
    plan = SamplingPlan(seed=0, n=64, chunk_size=16, benchmarks={"mine": problems},
                        models=(ModelPlan.of(EngineConfig(name="base", backend="vllm", path="Qwen/Qwen2.5-7B"),
                                             SamplingParams(temperature=0.6, top_p=0.95, max_tokens=4096),
                                             template="qwen-boxed"),))
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from boundary.adaptive_plan import AdaptivePlan, Schedule
from boundary.errors import InputError
from boundary.sampling.types import SamplingParams
from boundary.tasks import Problem


@dataclass(frozen=True)
class EngineConfig:
    """How to build one model's engine: the backend's name and its keyword arguments.

    Backends read these attributes (``backend: vllm`` uses path, dtype, max_model_len,
    tensor_parallel_size, engine_args; ``openai`` endpoint, api, api_key_env, max_concurrency; ...).
    """

    name: str
    """The model's name in the run."""
    backend: str
    path: str | None = None
    endpoint: str | None = None
    api: str = "completions"
    api_key_env: str | None = None
    dtype: str = "auto"
    max_model_len: int | None = None
    tensor_parallel_size: int = 1
    max_concurrency: int = 16
    batch_size: int = 8
    engine_args: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ModelPlan:
    """One model's sampling: its engine, template, parameters, and what the run records of them."""

    engine: EngineConfig
    params: SamplingParams
    """Per-request parameters (the template's own stop strings are added by the stage)."""
    template: str | Mapping[str, Any] = "raw"
    """A template name (``qwen-boxed``, ``chat`` for the model's chat template, ...) or its mapping."""
    token_logprobs: bool = False
    """Store each sample's per-token logprobs (``logprob_sum`` is stored whenever ``params.logprobs``)."""
    fingerprint: str = ""
    """Hash of the parameters that must match for samples to be pooled under one model name."""
    params_record: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The parameters as the run's manifest records them (``sampling.<model>.params``)."""
    record: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """The model's entry as the manifest records it (``sampling.<model>.model``)."""
    info: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """``model_info`` of the manifest: group, training step, path, temperature."""
    image_placeholder: str | None = None
    """The string the model's processor expands into one image's tokens (``<image>``): it replaces
    ``{image}`` in a text prompt (else goes before the question), once per image. Needed for problems
    with images unless the server applies the chat template (``openai`` with ``api: chat``)."""

    @property
    def name(self) -> str:
        return self.engine.name

    @classmethod
    def of(cls, engine: EngineConfig, params: SamplingParams, *, template: str | Mapping[str, Any] = "raw",
           chunk_size: int = 64, token_logprobs: bool = False, image_placeholder: str | None = None) -> ModelPlan:
        """A plan for a library user: the records and the fingerprint derived from the arguments."""
        rec = {"temperature": params.temperature, "top_p": params.top_p, "max_tokens": params.max_tokens,
               "chunk_size": chunk_size, "logprobs": token_logprobs or params.logprobs, "stop": list(params.stop)}
        fp = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:16]
        engine_rec = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in dataclasses.asdict(engine).items()}
        return cls(engine, params, template, token_logprobs, fp, rec, engine_rec,
                   {"group": engine.name, "step": None, "path": engine.path, "temperature": params.temperature},
                   image_placeholder)


def adaptive_plan(n: int, chunk_size: int, *, initial: int | None = None, successes: int | None = None,
                  batch: int | None = None, schedule: Schedule = "fixed") -> AdaptivePlan:
    """The sample stage's adaptive plan with the cap n, its defaults filled in (``adaptive: true``;
    docs/adaptive.md): r = n/16 (at least 1), m = r rounded up to a multiple of the chunk size (at most
    n), b = the chunk size (``schedule: fixed``; none for ``doubling``). Checked against the chunks
    (:func:`check_chunks`)."""
    r = successes if successes is not None else max(1, n // 16)
    m = initial if initial is not None else min(n, -(-r // chunk_size) * chunk_size)
    if successes is None:
        r = min(r, m)
    b = (batch if batch is not None else chunk_size) if schedule == "fixed" else batch
    plan = AdaptivePlan(initial=m, successes=r, batch=b, cap=n, schedule=schedule)
    check_chunks(plan, chunk_size)
    return plan


def check_chunks(plan: AdaptivePlan, chunk_size: int) -> None:
    """Refuse a plan whose check times do not fall on chunk boundaries (the cap n aside): a batch is
    whole chunks, so every sample keeps the seed of its chunk as in a fixed-n run."""
    if plan.initial % chunk_size and plan.initial != plan.cap:
        raise InputError(f"adaptive: initial={plan.initial} must be a multiple of chunk_size={chunk_size} (or n): "
                         "every check time falls on a chunk boundary, so samples keep their seeds.")
    if plan.schedule == "fixed" and plan.batch is not None and plan.batch % chunk_size:
        raise InputError(f"adaptive: batch={plan.batch} must be a multiple of chunk_size={chunk_size}.")


def adaptive_record(plan: AdaptivePlan) -> dict[str, Any]:
    """The plan as the manifest records it (``sampling.<model>.params.adaptive``); its cap is the
    record's ``n``, which may rise (raising n continues the plan)."""
    return {"initial": plan.initial, "successes": plan.successes, "batch": plan.batch, "schedule": plan.schedule}


def adaptive_from_record(record: Mapping[str, Any] | None, n: int) -> AdaptivePlan | None:
    """The plan a model's samples were drawn with, from its sampling record: ``params.get("adaptive")``
    and the record's ``n`` (None: fixed n). For the estimator of a run."""
    if not record:
        return None
    return AdaptivePlan(initial=int(record["initial"]), successes=int(record["successes"]),
                        batch=None if record.get("batch") is None else int(record["batch"]), cap=n,
                        schedule=record.get("schedule", "fixed"))


@dataclass(frozen=True)
class SamplingPlan:
    """Everything the sample stage draws: n samples of every problem from every model, in chunks."""

    seed: int
    n: int
    chunk_size: int
    models: tuple[ModelPlan, ...]
    benchmarks: Mapping[str, Sequence[Problem]] = field(hash=False)
    """Benchmark name → its problems (already loaded)."""
    chunks_per_shard: int | None = None
    adaptive: AdaptivePlan | None = None
    """The sequential plan, with cap n (None: every problem gets n samples); :func:`adaptive_plan` builds
    one. The sample stage then needs a verify callback (:func:`boundary.sampling.adaptive.sample_adaptive`)."""

    def __post_init__(self) -> None:
        if self.n < 1 or self.chunk_size < 1:
            raise ValueError(f"n and chunk_size must be >= 1, got n={self.n}, chunk_size={self.chunk_size}.")
        if self.adaptive is not None:
            if self.adaptive.cap != self.n:
                raise ValueError(f"the adaptive plan's cap ({self.adaptive.cap}) must be the plan's n ({self.n}).")
            check_chunks(self.adaptive, self.chunk_size)
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique in a plan, got {names}.")


__all__ = ["EngineConfig", "ModelPlan", "SamplingPlan", "adaptive_from_record", "adaptive_plan", "adaptive_record",
           "check_chunks"]
