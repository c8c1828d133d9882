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


@dataclass(frozen=True)
class AdaptivePlan:
    """The sequential plan of adaptive sampling, the same for every (model, problem) pair (docs/adaptive.md).

    Each pair gets ``initial`` samples (m); at each check time it stops when at least
    ``until_correct`` (r) of its samples so far are correct, otherwise it draws ``batch`` (b) more,
    up to the cap n. The check times are m, m + b, m + 2b, ... and n (:meth:`check_times`); a pair
    that never reaches r correct gets all n samples. Decisions read only the pair's own verdicts, in
    sample order, so the stopping point (t, s) of a pair is a function of its stored verdicts:
    :meth:`stopping_point`. The analysis side (the sequential estimator) reads the plan back from
    the run with :meth:`from_record` (``manifest["sampling"][model]["params"]["adaptive"]``).
    """

    initial: int
    """m: samples every pair gets first (a multiple of the chunk size, or n)."""
    until_correct: int
    """r: a pair stops at a check time once it has at least this many correct samples (1 <= r <= m)."""
    batch: int
    """b: samples drawn between two check times (a multiple of the chunk size)."""

    def __post_init__(self) -> None:
        if self.initial < 1 or self.batch < 1 or self.until_correct < 1:
            raise ValueError(f"adaptive: initial, until_correct and batch must be >= 1, got {self.record()}.")
        if self.until_correct > self.initial:
            raise ValueError(f"adaptive: until_correct={self.until_correct} must be <= initial={self.initial} "
                             "(a pair must be able to stop at its first check).")

    def check_times(self, n: int) -> tuple[int, ...]:
        """The sample counts at which a pair's verdicts are checked, for the cap n: m, m + b, ..., n."""
        if n < self.initial:
            raise ValueError(f"adaptive: initial={self.initial} exceeds n={n}.")
        return (*range(self.initial, n, self.batch), n)

    def stopping_point(self, n: int, outcomes: Sequence[bool]) -> tuple[bool, int, int]:
        """Walk the check times over one pair's outcomes (correct or not, by sample index from 0):
        ``(True, t, s)`` when the plan stops at check t with s correct among the first t samples;
        ``(False, t, s)`` when it needs samples up to t (the next check time past what is there)
        and s correct among those it has checked."""
        s = prev = 0
        for t in self.check_times(n):
            if len(outcomes) < t:
                return False, t, s
            s += sum(1 for x in outcomes[prev:t] if x)
            prev = t
            if s >= self.until_correct or t == n:
                return True, t, s
        raise AssertionError("unreachable: the last check time is n")

    def validate(self, n: int, chunk_size: int) -> None:
        """Refuse a plan the chunks cannot draw: m a multiple of the chunk size (or n), b a multiple of it, m <= n."""
        if self.initial > n:
            raise ValueError(f"adaptive: initial={self.initial} exceeds n={n}.")
        if self.initial % chunk_size and self.initial != n:
            raise ValueError(f"adaptive: initial={self.initial} must be a multiple of chunk_size={chunk_size} "
                             "(or n): every check time falls on a chunk boundary, so samples keep their seeds.")
        if self.batch % chunk_size:
            raise ValueError(f"adaptive: batch={self.batch} must be a multiple of chunk_size={chunk_size}.")

    def record(self) -> dict[str, int]:
        """As the manifest records it (``sampling.<model>.params.adaptive``)."""
        return {"initial": self.initial, "until_correct": self.until_correct, "batch": self.batch}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> AdaptivePlan | None:
        """The plan a model's samples were drawn with, from its manifest record (None: fixed n)."""
        if not record:
            return None
        return cls(int(record["initial"]), int(record["until_correct"]), int(record["batch"]))

    @classmethod
    def defaults(cls, n: int, chunk_size: int, *, initial: int | None = None, until_correct: int | None = None,
                 batch: int | None = None) -> AdaptivePlan:
        """``adaptive: true`` (docs/adaptive.md, §3.4 of the design): r = n/16 (at least 1), m = r rounded up
        to a multiple of the chunk size (at most n), b = the chunk size; any of them may be given."""
        r = until_correct if until_correct is not None else max(1, n // 16)
        m = initial if initial is not None else min(n, -(-max(r, 1) // chunk_size) * chunk_size)
        if until_correct is None:
            r = min(r, m)
        return cls(m, r, batch if batch is not None else chunk_size)


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
    """The sequential plan (None: every problem gets n samples). The sample stage then needs a verify
    callback (:func:`boundary.sampling.adaptive.sample_adaptive`)."""

    def __post_init__(self) -> None:
        if self.n < 1 or self.chunk_size < 1:
            raise ValueError(f"n and chunk_size must be >= 1, got n={self.n}, chunk_size={self.chunk_size}.")
        if self.adaptive is not None:
            self.adaptive.validate(self.n, self.chunk_size)
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique in a plan, got {names}.")


__all__ = ["AdaptivePlan", "EngineConfig", "ModelPlan", "SamplingPlan"]
