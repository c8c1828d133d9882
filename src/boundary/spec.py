"""The experiment spec: one YAML file that says what to sample, verify, analyse and report.

Validated with pydantic; every error names the field and says what is expected::

    spec.yaml: models[1].backend: 'vlm' is not allowed; expected one of 'vllm', 'openai', 'transformers'.

Example (a GPU user; Qwen2.5-7B against its SimpleRL-Zoo version on AIME24 at n = 1024)::

    seed: 0
    template: qwen-boxed
    models:
      - {name: base, path: Qwen/Qwen2.5-7B, backend: vllm, dtype: bfloat16}
      - {name: rl, path: hkust-nlp/SimpleRL-Zoo-Qwen2.5-7B, backend: vllm, dtype: bfloat16}
    benchmarks:
      - {name: aime24}
    sampling: {n: 1024, temperature: 0.6, top_p: 0.95, max_tokens: 16000, chunk_size: 64}
    analysis: {reference: base}

Sweeps expand into one model per value when the spec is read (see :func:`expand_models`)::

    models:
      - {name: base, path: Qwen/Qwen2.5-7B, backend: vllm}
      - {name: grpo, checkpoints: ckpts/grpo, backend: vllm}      # grpo@step50, grpo@step100, ...
      - {name: rl, path: ..., backend: vllm, temperatures: [0.6, 1.0, 1.2]}   # rl@T=0.6, rl@T=1.0, ...
    sampling: {n: 256, temperatures: [0.6, 1.0]}                  # every model at both temperatures
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_type_hints

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from boundary.errors import InputError
from boundary.executors import ExecutorConfig
from boundary.verify.code import CodeVerifyConfig
from boundary.verify.math import MathVerifyConfig
from boundary.verify.visual import VisualVerifyConfig

if TYPE_CHECKING:
    from boundary.judge.cot import JudgeConfig
    from boundary.adaptive_plan import AdaptivePlan
    from boundary.sampling.plan import EngineConfig, SamplingPlan



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    name: str = Field(min_length=1, description="Name used in the store and the report.")
    backend: str = Field(description="Sampling engine: vllm, openai or transformers.")
    path: str | None = Field(None, description="Checkpoint directory or hub id (vllm, transformers); "
                                               "the served model name (openai).")
    endpoint: str | None = Field(None, description="Base URL of an OpenAI-compatible server, e.g. "
                                                   "http://localhost:8000/v1 (openai backend).")
    api: Literal["completions", "chat"] = Field("completions", description="openai backend endpoint kind.")
    api_key_env: str | None = Field(None, description="Environment variable holding the API key.")
    template: str | dict[str, Any] | None = Field(None, description="Prompt template for this model "
                                                  "(default: the spec's).")
    dtype: str = Field("auto", description="Weights dtype: auto, float32, bfloat16, float16.")
    max_model_len: int | None = Field(None, gt=0, description="Context length (prompt + completion).")
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs per model (vllm).")
    max_concurrency: int = Field(16, ge=1, description="Requests in flight (openai backend).")
    batch_size: int = Field(8, ge=1, description="Prompts per generate call (transformers backend).")
    engine_args: dict[str, Any] = Field(default_factory=dict, description="Extra engine arguments.")
    temperature: float | None = Field(None, ge=0.0, description="Sampling temperature of this model "
                                      "(default: sampling.temperature); set by a temperature sweep.")
    step: int | None = Field(None, ge=0, description="Training step of this checkpoint; set by a "
                             "`checkpoints` expansion (or by hand), read back with Run.model_steps().")
    group: str | None = Field(None, description="The spec entry this model was expanded from "
                              "(checkpoint or temperature sweep); default: its own name.")
    image_placeholder: str | None = Field(None, min_length=1, description="Visual benchmarks with a text "
                                          "prompt: the string this model's processor expands into one image's "
                                          "tokens ('<image>' for LLaVA and Idefics3, "
                                          "'<|vision_start|><|image_pad|><|vision_end|>' for Qwen2/2.5-VL); it "
                                          "replaces {image} in the template, else goes before the question.")

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, v):
        from boundary.sampling.backends import backend_names
        names = backend_names()
        if v not in names:
            raise ValueError(f"{v!r} is not a known backend; expected one of {', '.join(map(repr, names))}")
        return v

    def engine_config(self) -> EngineConfig:
        """The engine's keyword arguments as a value (what a backend is built from)."""
        from boundary.sampling.plan import EngineConfig
        return EngineConfig(name=self.name, backend=self.backend, path=self.path, endpoint=self.endpoint,
                            api=self.api, api_key_env=self.api_key_env, dtype=self.dtype,
                            max_model_len=self.max_model_len, tensor_parallel_size=self.tensor_parallel_size,
                            max_concurrency=self.max_concurrency, batch_size=self.batch_size,
                            engine_args=dict(self.engine_args))

    @model_validator(mode="after")
    def _where(self):
        from boundary.sampling.backends import NEEDS_PATH
        if self.backend in NEEDS_PATH and not self.path:
            raise ValueError(f"model {self.name!r} uses backend {self.backend!r} and needs `path` "
                             "(a checkpoint directory or hub id)")
        if self.backend == "openai" and not self.endpoint:
            raise ValueError(f"model {self.name!r} uses backend 'openai' and needs `endpoint` "
                             "(e.g. http://localhost:8000/v1)")
        return self


class BenchmarkSpec(_Strict):
    name: str = Field(min_length=1, description="Known benchmark (math500, aime24, ...) or your own name.")
    source: str | None = Field(None, description="Local file; default: the Hugging Face hub.")
    fields: dict[str, str] | None = Field(None, description="Field mapping for your own file: "
                                                            "question, answer, id.")
    options: dict[str, Any] = Field(default_factory=dict, description="The benchmark loader's own options "
                                    "(e.g. split, revision for the hub; a plugin's benchmark documents its own).")
    limit: int | None = Field(None, gt=0, description="Use only the first `limit` problems.")


class AdaptiveSpec(_Strict):
    initial: int | None = Field(None, gt=0, description="m: samples every problem gets first (a multiple of "
                                "chunk_size, or n; default: successes rounded up to a chunk).")
    successes: int | None = Field(None, gt=0, description="r: a problem stops at a check once at least this many "
                                  "of its samples are correct (default: n/16).")
    batch: int | None = Field(None, gt=0, description="b: samples drawn between two checks with schedule fixed "
                              "(a multiple of chunk_size; default: chunk_size).")
    schedule: Literal["fixed", "doubling"] = Field("fixed", description="Check times: fixed (m, m+b, ..., n) or "
                                                   "doubling (m, 2m, 4m, ..., n).")


class SamplingSpec(_Strict):
    n: int = Field(gt=0, description="Samples per problem.")
    temperature: float = Field(0.6, ge=0.0, description="Sampling temperature (the paper: 0.6).")
    top_p: float = Field(0.95, gt=0.0, le=1.0, description="Nucleus sampling (the paper: 0.95).")
    max_tokens: int = Field(16000, gt=0, description="Completion token limit (the paper: 16000).")
    chunk_size: int = Field(64, gt=0, description="Samples per request; each chunk has its own seed.")
    logprobs: bool | Literal["sum"] = Field(False, description="Record the sampled tokens' logprobs: true "
                                            "stores the per-token list and its sum, 'sum' only the sum (one "
                                            "number per sample: enough for the token entropy).")
    stop: list[str] = Field(default_factory=list, description="Extra stop strings.")
    chunks_per_shard: int | None = Field(None, gt=0, description="Chunks per engine call and per stored "
                                         "shard (default: ~1024 samples); a crash loses at most one shard.")
    adaptive: bool | AdaptiveSpec = Field(False, description="Sequential sampling (docs/adaptive.md): true for "
                                          "the defaults, or {initial, successes, batch, schedule}; n is the cap.")

    @model_validator(mode="after")
    def _chunks(self):
        if self.temperature == 0 and self.n > 1:
            raise ValueError(f"temperature=0 is greedy decoding: all n={self.n} samples would be identical; "
                             "use temperature > 0 (the paper: 0.6)")
        self.adaptive_plan()                                  # its values checked against n and chunk_size
        return self

    def adaptive_plan(self) -> AdaptivePlan | None:
        """The sequential plan with its defaults filled in and cap n (None when sampling is not adaptive)."""
        from boundary.sampling.plan import adaptive_plan
        a = self.adaptive
        if a is False:
            return None
        given = a.model_dump() if isinstance(a, AdaptiveSpec) else {}
        return adaptive_plan(self.n, self.chunk_size, **given)

    def record(self) -> dict[str, Any]:
        """The parameters as the manifest records them (``sampling.<model>.params``): all but n and the
        shard size; the adaptive plan (its values, defaults filled in) only when there is one."""
        d = self.model_dump(exclude={"n", "chunks_per_shard", "adaptive"})
        plan = self.adaptive_plan()
        if plan is not None:
            from boundary.sampling.plan import adaptive_record
            d["adaptive"] = adaptive_record(plan)
        return d

    def fingerprint(self) -> str:
        """Hash of everything but n: samples of one model must share it to be pooled."""
        return hashlib.sha256(json.dumps(self.record(), sort_keys=True).encode()).hexdigest()[:16]


class _ConfigSpec(_Strict):
    """A spec block derived from a library config dataclass: same fields, same defaults, same checks."""

    __config__: ClassVar[type]

    @model_validator(mode="after")
    def _valid_config(self):
        try:
            self.to_config()          # the dataclass's own checks
        except ValueError as e:       # "timeout_s must be > 0 ...": the error names the field (see _explain)
            field = str(e).split(" ", 1)[0]
            raise ValueError(f"@{field}@{e}" if field in type(self).model_fields else str(e)) from None
        return self

    def to_config(self) -> Any:
        cls = type(self).__config__
        return cls(**{f.name: getattr(self, f.name) for f in dataclasses.fields(cls)})


def config_spec(config_cls: type, name: str, **extra: Any) -> type[_ConfigSpec]:
    """The pydantic spec block for a frozen config dataclass: one definition, read by spec, CLI and library."""
    hints = get_type_hints(config_cls)
    fields: dict[str, Any] = {f.name: (hints[f.name], f.default) for f in dataclasses.fields(config_cls)}
    fields.update(extra)
    model = create_model(name, __base__=_ConfigSpec, __doc__=config_cls.__doc__, **fields)
    model.__config__ = config_cls
    return model


if TYPE_CHECKING:
    # The blocks are made at run time from the config dataclasses (below); a type checker needs classes,
    # so it sees these stubs: what the package reads of them statically.
    class CodeVerifySpec(_ConfigSpec):
        pass

    class VisualVerifySpec(_ConfigSpec):
        pass

    class VerifySpec(_ConfigSpec):
        code: CodeVerifySpec = CodeVerifySpec()
        visual: VisualVerifySpec = VisualVerifySpec()

    class ExecutorSpec(_ConfigSpec):
        kind: str = "local"
else:
    #: ``executor:`` — where the sample and verify stages run (``ExecutorConfig``; docs/scale-out.md).
    ExecutorSpec = config_spec(ExecutorConfig, "ExecutorSpec")
    CodeVerifySpec = config_spec(CodeVerifyConfig, "CodeVerifySpec")
    VisualVerifySpec = config_spec(VisualVerifyConfig, "VisualVerifySpec")
    #: ``verify:`` — the math verifier's options (``MathVerifyConfig``), under ``code:`` the code sandbox's
    #: (``CodeVerifyConfig``), under ``visual:`` the visual kind's (``VisualVerifyConfig``: ``mode``, ...).
    VerifySpec = config_spec(MathVerifyConfig, "VerifySpec", code=(CodeVerifySpec, CodeVerifySpec()),
                             visual=(VisualVerifySpec, VisualVerifySpec()))


def _analysis_fields() -> dict[str, Any]:
    """The ``analysis:`` block's fields, one per ``AnalysisConfig`` field (type, default, help, limits)."""
    import dataclasses
    import typing

    from boundary.analysis.analyze import AnalysisConfig
    hints = typing.get_type_hints(AnalysisConfig)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(AnalysisConfig):
        meta = dict(f.metadata)
        out[f.name] = (hints[f.name], Field(f.default, description=meta.pop("help", None), **meta))
    return out


class _AnalysisBase(_Strict):
    def to_config(self, **override: Any):
        """The ``AnalysisConfig`` of this block (``override``: fields to replace)."""
        from boundary.analysis.analyze import AnalysisConfig
        return AnalysisConfig(**{**dict(self), **override})


if TYPE_CHECKING:
    class AnalysisSpec(_AnalysisBase):
        """Stub for the type checker (see VerifySpec): the block is made at run time by ``create_model``."""

        reference: str | None = None
else:
    AnalysisSpec = create_model("AnalysisSpec", __base__=_AnalysisBase, __module__=__name__,
                                __doc__="The `analysis:` block: every field of `boundary.analysis.AnalysisConfig`.",
                                **_analysis_fields())


#: The CoT judge's default prompt (placeholders: {question}, {reference}, {answer}, {response}).
DEFAULT_JUDGE_PROMPT = (
    "You are checking a solution to a math problem. Its final answer has already been verified as correct; "
    "your job is to decide whether the REASONING is valid: each step follows from the previous ones, there "
    "are no unjustified leaps or errors that happen to cancel out, and the final answer is derived rather "
    "than guessed or stated without support. Small slips that are corrected right away are acceptable.\n\n"
    "Problem:\n{question}\n\nReference answer: {reference}\n\nSolution:\n{response}\n\n"
    "Give a short justification, then end with one line that is exactly \"VERDICT: VALID\" or "
    "\"VERDICT: INVALID\".\n")

#: The guessability filter's default answer-only prompt (placeholder: {question}).
DEFAULT_GUESS_TEMPLATE = ("{question}\nDo not show any reasoning or working. Reply with the final answer only, "
                          "written as \\boxed{answer}.\nFinal answer:")


class JudgeSpec(_Strict):
    """An LLM judge of correct samples' reasoning (``boundary judge RUN``; CoT-pass@k)."""
    model: ModelSpec = Field(description="The judge model: any backend (vllm, openai, transformers, ...).")
    prompt: str = Field(DEFAULT_JUDGE_PROMPT, description="Judge prompt with {response} and optionally "
                        "{question}, {reference}, {answer}; it must ask for 'VERDICT: VALID' or 'VERDICT: INVALID'.")
    chat: bool = Field(False, description="Render the prompt through the judge model's chat template.")
    votes: int = Field(1, ge=1, description="Judgments per sample (aggregated by `aggregate`).")
    aggregate: Literal["majority", "any", "all"] = "majority"
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(1024, gt=0, description="Tokens the judge may write.")
    max_response_chars: int | None = Field(None, gt=0, description="Cut longer responses (head and tail kept) "
                                           "to fit the judge's context.")
    seed: int = 0
    batch_samples: int = Field(256, gt=0, description="Samples judged per engine call and stored shard.")

    def to_config(self) -> JudgeConfig:
        """The judge as values (what ``boundary.judge.judge_run`` takes)."""
        from boundary.judge.cot import JudgeConfig
        return JudgeConfig(engine=self.model.engine_config(), prompt=self.prompt, chat=self.chat, votes=self.votes,
                           aggregate=self.aggregate, temperature=self.temperature, top_p=self.top_p,
                           max_tokens=self.max_tokens, max_response_chars=self.max_response_chars, seed=self.seed,
                           batch_samples=self.batch_samples, record=self.model_dump(mode="json"))

    @model_validator(mode="after")
    def _judge(self):
        if "{response}" not in self.prompt:
            raise ValueError("judge.prompt must contain {response} (where the judged solution goes)")
        if self.temperature == 0 and self.votes > 1:
            raise ValueError(f"judge.votes={self.votes} with temperature=0 gives identical votes; "
                             "use temperature > 0 or votes: 1")
        return self


class GuessSpec(_Strict):
    """The guessability filter: sample answer-only (no reasoning) and flag problems answered by guessing."""
    n: int = Field(64, gt=0, description="Answer-only samples per problem.")
    models: list[str] | None = Field(None, description="Models to sample (default: the reference model).")
    template: str = Field(DEFAULT_GUESS_TEMPLATE, description="Answer-only prompt with {question}.")
    max_tokens: int = Field(24, gt=0, description="Token budget: too short to reason in.")
    temperature: float | None = Field(None, ge=0.0, description="Default: the spec's sampling temperature.")
    threshold: float = Field(0.05, gt=0, le=1, description="Flag 0 < direct accuracy < threshold "
                             "(Yue et al. App. D.2: 5%).")


class PerplexitySpec(_Strict):
    """Score stored responses: PPL_M(Y_S) for every scorer M and model S (``boundary perplexity``)."""

    scorers: list[str] = Field(min_length=1, description="Scoring models M (model or group names; a group "
                               "scores with its first member).")
    models: list[str] | None = Field(None, description="Whose responses to score (model or group names; "
                                     "default: every model).")
    samples_per_problem: int | None = Field(None, gt=0, description="Score sample indices below this "
                                            "(the paper: 16 or 32); default: all.")
    engine: Literal["vllm", "transformers"] | None = Field(None, description="Scoring engine (default: the "
                                                           "scorer's backend).")
    batch_size: int = Field(32, gt=0, description="Sequences per engine call.")


class Spec(_Strict):
    run: str | None = Field(None, description="Run directory (default: runs/<spec file stem>).")
    seed: int = Field(0, description="Run seed; every chunk's seed derives from it.")
    template: str | dict[str, Any] = Field("qwen-boxed", description="Prompt template for every model: a "
                                           "name (qwen-boxed, abel, r1-zero, ...), 'chat', or your own text "
                                           "with {question}.")
    allow_template_mismatch: bool = Field(False, description="Let models use different templates.")
    models: list[ModelSpec] = Field(min_length=1)
    benchmarks: list[BenchmarkSpec] = Field(min_length=1)
    sampling: SamplingSpec
    verify: VerifySpec = VerifySpec()
    executor: ExecutorSpec = ExecutorSpec()
    analysis: AnalysisSpec = AnalysisSpec()
    judge: JudgeSpec | None = Field(None, description="LLM judge of reasoning validity (CoT-pass@k).")
    guess: GuessSpec | None = Field(None, description="Guessability filter (answer-only sampling).")
    perplexity: PerplexitySpec | None = Field(None, description="Score the responses with these models "
                                              "after sampling (perplexity, Yue et al. Fig. 6).")

    @field_validator("models", "benchmarks")
    @classmethod
    def _unique_names(cls, v, info):
        names = [x.name for x in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            what = "model" if info.field_name == "models" else "benchmark"
            raise ValueError(f"{what} names must be unique; {sorted(dup)} appear more than once")
        return v

    @model_validator(mode="after")
    def _checks(self):
        names = [m.name for m in self.models]
        if self.analysis.reference is not None and self.analysis.reference not in names:
            raise ValueError(f"analysis.reference {self.analysis.reference!r} is not a model of this spec; "
                             f"models: {names}")
        for m in self.models:
            if m.temperature == 0 and self.sampling.n > 1:
                raise ValueError(f"model {m.name!r}: temperature=0 is greedy decoding: all n={self.sampling.n} "
                                 "samples would be identical; use temperature > 0")
        if self.perplexity is not None:
            known = set(names) | {m.group for m in self.models if m.group}
            for field_name in ("scorers", "models"):
                for x in getattr(self.perplexity, field_name) or []:
                    if x not in known:
                        raise ValueError(f"perplexity.{field_name}: {x!r} is not a model of this spec; models: "
                                         f"{names}")
        templates = {m.name: m.template or self.template for m in self.models}
        distinct = {json.dumps(t, sort_keys=True) for t in templates.values()}
        if len(distinct) > 1 and not self.allow_template_mismatch:
            raise ValueError(f"models get different prompt templates {templates}; the base and RL model of a "
                             "comparison must get the same prompt. Set one `template`, or "
                             "`allow_template_mismatch: true` if you mean it")
        return self

    def template_for(self, model: ModelSpec) -> str | dict[str, Any]:
        return model.template or self.template

    def members(self, name: str) -> list[str]:
        """Model names a spec name stands for: itself, or every model expanded from group ``name``."""
        if any(m.name == name for m in self.models):
            return [name]
        return [m.name for m in self.models if m.group == name]

    def sampling_plan(self) -> SamplingPlan:
        """The sample stage's input as values: engines, templates, parameters, and the loaded problems."""
        from boundary.sampling.plan import ModelPlan, SamplingPlan
        from boundary.sampling.types import SamplingParams
        from boundary.tasks import load_benchmark
        models = []
        for m in self.models:
            s = self.sampling_for(m)
            params = SamplingParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens,
                                    logprobs=bool(s.logprobs), stop=tuple(s.stop))
            models.append(ModelPlan(
                engine=m.engine_config(), params=params, template=self.template_for(m),
                token_logprobs=s.logprobs is True, fingerprint=s.fingerprint(),
                params_record=s.record(), record=m.model_dump(mode="json"),
                info={"group": m.group or m.name, "step": m.step, "path": m.path, "temperature": s.temperature},
                image_placeholder=m.image_placeholder))
        benchmarks = {}
        for b in self.benchmarks:
            problems = load_benchmark(b.name, source=b.source, **dict(b.fields or {}), **b.options)
            benchmarks[b.name] = tuple(problems[: b.limit] if b.limit else problems)
        return SamplingPlan(seed=self.seed, n=self.sampling.n, chunk_size=self.sampling.chunk_size,
                            models=tuple(models), benchmarks=benchmarks,
                            chunks_per_shard=self.sampling.chunks_per_shard,
                            adaptive=self.sampling.adaptive_plan())

    def guess_spec(self) -> Spec:
        """The spec of the answer-only run (``guess:``): the chosen models, the answer-only prompt and budget."""
        g = self.guess or GuessSpec()
        names = g.models or [self.analysis.reference or self.models[0].name]
        by_name = {m.name: m for m in self.models}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise InputError(f"guess.models {unknown} are not models of the spec; models: {list(by_name)}.")
        models = []
        for n in names:
            d = by_name[n].model_dump(mode="json", exclude_none=True)
            d.pop("template", None)
            d.pop("temperature", None)
            models.append(d)
        temperature = g.temperature if g.temperature is not None else self.sampling.temperature
        if temperature == 0 and g.n > 1:
            raise InputError(f"guess.n={g.n} answer-only samples at temperature 0 would be identical; "
                             "set guess.temperature > 0.")
        return parse_spec({
            "seed": self.seed, "template": g.template, "models": models,
            "benchmarks": [b.model_dump(mode="json", exclude_none=True) for b in self.benchmarks],
            "sampling": {"n": g.n, "temperature": temperature, "top_p": self.sampling.top_p,
                         "max_tokens": g.max_tokens, "chunk_size": min(g.n, 64)},
        }, where="guess")

    def sampling_for(self, model: ModelSpec) -> SamplingSpec:
        """The sampling parameters of one model: ``sampling`` with the model's own temperature."""
        if model.temperature is None or model.temperature == self.sampling.temperature:
            return self.sampling
        return self.sampling.model_copy(update={"temperature": model.temperature})

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data):
        return expand_models(data)


# ------------------------------------------------------------------------------ sweep expansion
#: Subdirectory names of a checkpoint directory, with the training step as the number:
#: ``global_step_50`` (verl), ``checkpoint-50`` (transformers Trainer, TRL), ``step_50``/``step-50``.
CHECKPOINT_PATTERN = re.compile(r"^(?:global_step_|checkpoint-|step[_-])(\d+)$")
# where the Hugging Face files of one checkpoint live inside its subdirectory (verl keeps them in
# actor/huggingface after merging)
_HF_SUBDIRS = ("", "actor/huggingface", "huggingface", "hf")


def find_checkpoints(directory: str | Path, *, where: str = "checkpoints") -> list[tuple[int, str]]:
    """``(step, checkpoint path)`` of every ``global_step_N`` / ``checkpoint-N`` subdirectory, by step.

    A checkpoint path is the subdirectory (or its ``actor/huggingface``, ``huggingface`` folder)
    that holds ``config.json``. Raises ValueError naming the directory, what was found and the fix.
    """
    d = Path(directory).expanduser()
    if not d.exists():
        raise ValueError(f"{where}: directory {str(directory)!r} does not exist; give the directory that holds "
                         "the global_step_N / checkpoint-N subdirectories")
    if not d.is_dir():
        raise ValueError(f"{where}: {str(directory)!r} is a file, not a directory; give the directory that "
                         "holds the global_step_N / checkpoint-N subdirectories (use `path` for one checkpoint)")
    entries = sorted(p.name for p in d.iterdir())
    if not entries:
        raise ValueError(f"{where}: directory {str(directory)!r} is empty; it must hold at least one "
                         "checkpoint subdirectory named global_step_N or checkpoint-N")
    found: dict[int, str] = {}
    for name in entries:
        m = CHECKPOINT_PATTERN.match(name)
        if not m or not (d / name).is_dir():
            continue
        step = int(m.group(1))
        for sub in _HF_SUBDIRS:
            cand = d / name / sub if sub else d / name
            if (cand / "config.json").is_file():
                break
        else:
            raise ValueError(f"{where}: checkpoint {str(d / name)!r} holds no config.json (looked in "
                             f"{', '.join(repr(s or '.') for s in _HF_SUBDIRS)}); convert it to a Hugging Face "
                             "checkpoint first (verl: `python -m verl.model_merger merge`), or remove it")
        if step in found:
            raise ValueError(f"{where}: two checkpoints of step {step} in {str(directory)!r} "
                             f"({Path(found[step]).name} and {name}); keep one")
        found[step] = str(cand)
    if not found:
        shown = ", ".join(entries[:8]) + (f", ... ({len(entries)} entries)" if len(entries) > 8 else "")
        raise ValueError(f"{where}: directory {str(directory)!r} holds no checkpoint subdirectories named "
                         f"global_step_N or checkpoint-N (found: {shown}); point `checkpoints` at the directory "
                         "that holds them, or use `path` for a single checkpoint")
    return sorted(found.items())


def _temperature_name(t: float) -> str:
    return f"T={float(t)}"


def _float_list(value, where: str) -> list[float]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{where} must be a non-empty list of temperatures, e.g. [0.6, 1.0, 1.2]; got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ValueError(f"{where}: {v!r} is not a temperature (a number >= 0)")
        out.append(float(v))
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: {value!r} lists a temperature twice")
    return out


def expand_models(data: Any) -> Any:
    """Expand checkpoint and temperature sweeps of a raw spec dict into one model entry per value.

    - ``checkpoints: DIR`` on a model → one model per ``global_step_N``/``checkpoint-N`` subdirectory,
      named ``NAME@stepN``, with ``path`` set to it and ``step: N`` (optional ``steps: [..]`` keeps
      only those steps);
    - ``temperatures: [..]`` on a model or in ``sampling`` → one model per temperature, named
      ``NAME@T=1.0``, with ``temperature`` set;
    - every expanded model records ``group: NAME``; ``analysis.reference`` may name a group (its
      first member is used).

    A spec without sweeps is returned unchanged; an expanded spec expands to itself.
    """
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        return data
    sampling = data.get("sampling")
    global_temps = None
    if isinstance(sampling, dict) and "temperatures" in sampling:
        global_temps = _float_list(sampling["temperatures"], "sampling.temperatures")
    models = data["models"]
    if global_temps is None and not any(isinstance(m, dict) and ("checkpoints" in m or "temperatures" in m)
                                        for m in models):
        return data
    data = dict(data)
    if global_temps is not None:
        assert isinstance(sampling, dict)  # global_temps came from it
        data["sampling"] = {k: v for k, v in sampling.items() if k != "temperatures"}
    out: list[Any] = []
    groups: dict[str, list[Any]] = {}  # group → its members' names (as given: not validated yet)
    for i, m in enumerate(models):
        if not isinstance(m, dict):
            out.append(m)
            continue
        m = dict(m)
        name = m.get("name")
        variants = [m]
        if "checkpoints" in m:
            ck = m.pop("checkpoints")
            steps = m.pop("steps", None)
            where = f"models[{i}].checkpoints"
            if m.get("path"):
                raise ValueError(f"models[{i}] has both `path` and `checkpoints`; give `path` for one checkpoint "
                                 "or `checkpoints` for a directory of them")
            if not isinstance(ck, str) or not ck:
                raise ValueError(f"{where} must be a directory path, got {ck!r}")
            found = find_checkpoints(ck, where=where)
            if steps is not None:
                if not isinstance(steps, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                                          for s in steps):
                    raise ValueError(f"models[{i}].steps must be a list of training steps, got {steps!r}")
                have = dict(found)
                missing = [s for s in steps if s not in have]
                if missing:
                    raise ValueError(f"models[{i}].steps: step(s) {missing} are not in {ck!r}; it holds steps "
                                     f"{sorted(have)}")
                found = [(s, have[s]) for s in sorted(set(steps))]
            variants = [{**m, "name": f"{name}@step{step}", "path": path, "step": step,
                         "group": m.get("group", name)} for step, path in found]
        elif "steps" in m:
            raise ValueError(f"models[{i}].steps selects checkpoints and needs `checkpoints: DIR`")
        temps = None
        if "temperatures" in m:
            temps = _float_list(m["temperatures"], f"models[{i}].temperatures")
            if m.get("temperature") is not None:
                raise ValueError(f"models[{i}] has both `temperature` and `temperatures`; give one")
        elif global_temps is not None and m.get("temperature") is None:
            temps = global_temps
        if temps is not None:
            variants = [{**{k: v for k, v in v_.items() if k != "temperatures"},
                         "name": f"{v_.get('name')}@{_temperature_name(t)}", "temperature": t,
                         "group": v_.get("group", name)} for v_ in variants for t in temps]
        groups[str(name)] = [v_.get("name") for v_ in variants]
        out.extend(variants)
    data["models"] = out
    analysis = data.get("analysis")
    if isinstance(analysis, dict) and isinstance(analysis.get("reference"), str):
        ref = analysis["reference"]
        names = {v.get("name") for v in out if isinstance(v, dict)}
        if ref not in names and groups.get(ref):
            data["analysis"] = {**analysis, "reference": groups[ref][0]}
    return data


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(e: ValidationError, where: str, prefix: tuple = ()) -> InputError:
    lines = []
    for err in e.errors():
        loc = _loc(prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            msg = "is not a known field (a typo?)"
        elif kind == "missing":
            msg = "is required"
        elif kind == "literal_error":
            msg = f"{err.get('input')!r} is not allowed; expected {msg.removeprefix('Input should be ')}"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ").rstrip(".")
            if msg.startswith("@"):                  # a config block's check that names its field
                field, _, msg = msg[1:].partition("@")
                loc = f"{loc}.{field}" if loc != "(top level)" else field
        else:
            msg = f"{msg} (got {err.get('input')!r})"
        if loc == "(top level)" and re.match(r"^(models|sampling|analysis)[\[.]", msg):
            lines.append(msg)                    # a sweep expansion error names its own field
        else:
            lines.append(f"{loc}: {msg}")
    return InputError("; ".join(lines) + ".", path=where)


def parse_block(model: type[BaseModel], data: Any, *, where: str, prefix: str) -> Any:
    """Validate one block of a spec (e.g. ``verify``) given alone: the same checks and messages as in a spec."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise _explain(e, where, (prefix,)) from None


def parse_spec(data: Any, *, where: str = "spec") -> Spec:
    """Validate a spec given as a dict (e.g. parsed YAML)."""
    if not isinstance(data, dict):
        raise InputError(f"a spec must be a mapping of fields, got {type(data).__name__}.", path=where)
    try:
        return Spec.model_validate(data)
    except ValidationError as e:
        raise _explain(e, where) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a YAML spec file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist or is not a file.", path=str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise InputError(f"is not valid YAML: {e}", path=str(path)) from None
    return parse_spec(data, where=str(path))
