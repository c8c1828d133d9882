"""The sample stage: ``boundary sample SPEC`` draws n samples per problem per model, resumably.

For each model (one engine, built once) and benchmark:

1. the problems are loaded and recorded in the run's ``problems`` table (once);
2. the prompt is rendered with the spec's template (recorded in the manifest with its fingerprint);
3. samples are planned as chunks of ``chunk_size``: chunk j of problem p covers sample indices
   ``j*chunk .. (j+1)*chunk-1`` and has the seed ``derive_seed(run seed, model, benchmark, p, j)``;
4. chunks whose samples are all stored are skipped; the rest go to the engine in batches, and
   every batch is flushed to a shard as soon as it completes — a crash loses at most one batch.

With ``sampling.logprobs`` each sample also gets ``logprob_sum`` (the sum of its sampled tokens'
logprobs; −logprob_sum / completion_tokens is the Monte-Carlo token-entropy estimate), and with
``logprobs: true`` the per-token list. A model's own ``temperature`` (a temperature sweep)
replaces ``sampling.temperature`` for that model; ``model_info`` in the manifest records each
model's group, training step (checkpoint sweeps) and temperature.

The manifest records, per model, the sampling parameters (all but n) and the engine; a later
spec that changes them for a model that already has samples is refused instead of mixing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from boundary.errors import BoundaryError, StoreError
from boundary.sampling.backends import Backend, create_backend
from boundary.sampling.images import (check_engine_takes_images, fingerprint_with_placeholder, images_as_parts,
                                     prompt_with_images, store_images)
from boundary.sampling.seeds import chunk_seeds, derive_seed
from boundary.sampling.types import ChunkRequest, Completion, SamplingParams
from boundary.sampling.plan import ModelPlan, SamplingPlan, adaptive_record
from boundary.store import Run, ShardIndex, StoredChunks, unit_name
from boundary.tasks import get_kind, kind_name


@dataclass(frozen=True)
class Progress:
    """One progress event: a batch of chunks landed in the store."""

    model: str
    benchmark: str
    samples_done: int
    samples_total: int
    new_samples: int
    new_tokens: int
    elapsed_s: float
    nodes: int = 0
    """Cluster nodes that have drawn samples so far (0 for a local run)."""
    retries: int = 0
    """Work units retried so far (a unit that failed, or whose node or engine died)."""


@dataclass(frozen=True)
class SampleSummary:
    run: str
    new_samples: int
    skipped_samples: int
    per_model: dict[str, dict[str, int]] = field(default_factory=dict)


def record_problems(run: Run, bench_name: str, problems) -> None:
    """Add the problems the run does not hold yet. A problem it holds whose images differ from the
    recorded ones (same id, another picture) is refused: its samples would mix two inputs."""
    import json
    t = run.read("problems", ["benchmark", "problem_id", "metadata"])
    have = {}
    for b, pid, meta in zip(t["benchmark"].to_pylist(), t["problem_id"].to_pylist(), t["metadata"].to_pylist()):
        if b == bench_name:
            have[pid] = meta
    for p in problems:
        if p.id in have and p.metadata.get("images"):
            old = [e.get("sha256") for e in (json.loads(have[p.id] or "{}").get("images") or [])]
            new = [e.get("sha256") for e in p.metadata["images"]]
            if old != new:
                raise StoreError(f"{run.path}: problem {p.id!r} of {bench_name!r} has other images than the run "
                                 f"recorded (sha256 {', '.join(str(x)[:12] for x in new)} now, "
                                 f"{', '.join(str(x)[:12] for x in old) or 'none'} recorded); its samples would mix "
                                 "two inputs. Use a new run directory, or restore the images.")
    rows = [{"benchmark": bench_name, "problem_id": p.id, "question": p.question, "reference": p.reference,
             "metadata": json.dumps(p.metadata, default=str)} for p in problems if p.id not in have]
    if rows:
        run.write("problems", pa.Table.from_pylist(rows))


def _template(model: ModelPlan):
    from boundary.prompts.templates import make_template
    t = model.template
    if isinstance(t, str) and t.strip().lower() == "chat":
        if model.engine.backend == "openai" and model.engine.api == "chat":
            return None                          # the server applies the model's chat template
        return make_template({"chat": True, "tokenizer": model.engine.path})
    return make_template(t)


def render_prompt(template, problem):
    """The model input for one problem: text, or chat messages ((role, content), ...) for a server.

    The problem's task kind renders it (:class:`boundary.tasks.TaskKind`): math problems through the
    run's template, code problems with their benchmark's official prompt (EvalPlus /
    LiveCodeBench), through the model's chat template when the spec asks for ``chat``.
    """
    return get_kind(kind_name(problem)).prompt(problem, template)


def check_sampling_compatible(run: Run, plan: SamplingPlan, model: ModelPlan, template_info: dict) -> None:
    """Refuse to mix samples drawn with different parameters under one model name."""
    rec = run.sampling_record(model.name)
    if rec is None:
        return
    want = {"fingerprint": model.fingerprint, "seed": plan.seed,
            "template": template_info.get("fingerprint")}
    have = {"fingerprint": rec.fingerprint, "seed": rec.seed, "template": rec.template.fingerprint}
    if want != have:
        diffs = []
        old, new = rec.params, model.params_record
        diffs += [f"{k}: stored {old.get(k)!r}, spec {new.get(k)!r}" for k in dict.fromkeys([*new, *old])
                  if old.get(k) != new.get(k)]
        if want["seed"] != have["seed"]:
            diffs.append(f"seed: stored {have['seed']}, spec {want['seed']}")
        if want["template"] != have["template"]:
            diffs.append(f"template: stored {rec.template.name!r}, "
                         f"spec {template_info.get('name')!r}")
        raise StoreError(f"{run.path}: model {model.name!r} already has samples drawn with other sampling "
                         f"parameters ({'; '.join(diffs)}). Pooling them would mix two distributions. "
                         "Use a new model name or a new run directory, or restore the old parameters."
                         + _adaptive_hint(old.get("adaptive"), new.get("adaptive")))
    stored_plan = rec.params.get("adaptive")
    want_plan = adaptive_record(plan.adaptive) if plan.adaptive is not None else None
    if stored_plan != want_plan:                  # (a library plan whose params record does not carry it)
        raise StoreError(f"{run.path}: model {model.name!r} already has samples drawn with "
                         f"{_plan_words(stored_plan)}; the plan asks for {_plan_words(want_plan)}. Its samples "
                         "would mix two sampling plans. Use a new model name or a new run directory."
                         + _adaptive_hint(stored_plan, want_plan))


def _plan_words(plan: Mapping[str, Any] | None) -> str:
    return "fixed n (no adaptive plan)" if not plan else f"the adaptive plan {dict(plan)}"


def _adaptive_hint(stored: Any, wanted: Any) -> str:
    if stored and stored != wanted:
        return (f" To continue the recorded adaptive plan (e.g. after raising n), write it out in the spec: "
                f"`adaptive: {json.dumps(stored)}` (`adaptive: true` takes defaults from n).")
    return ""


def plan_chunks(plan: SamplingPlan, model: ModelPlan, bench_name: str, problems, prompts: Mapping[str, Any],
                existing: StoredChunks | Collection[tuple[str, int]],
                images: Mapping[str, tuple[str, ...]] | None = None) -> tuple[list[ChunkRequest], int]:
    """Chunk requests still to draw, and the number of samples already stored.

    Chunk j covers indices ``j*chunk_size .. min((j+1)*chunk_size, n) - 1``. When n is not a
    multiple of chunk_size the last chunk is partial; raising n later redraws that chunk with its
    seed, and only its missing indices are stored (stored samples are never replaced). ``images``
    maps a problem id to its images' paths in the run (:mod:`boundary.sampling.images`).
    ``existing`` is what is stored: :meth:`Run.stored_chunks` (per-chunk counts), or a collection
    of (problem_id, sample_index) keys.
    """
    cs, n = plan.chunk_size, plan.n
    stored = (existing if isinstance(existing, StoredChunks)
              else StoredChunks.from_keys(existing, chunk_size=cs, n=n))
    if (stored.chunk_size, stored.n) != (cs, n):
        raise ValueError(f"stored chunks were counted for chunk_size={stored.chunk_size}, n={stored.n}; the plan "
                         f"has chunk_size={cs}, n={n}. Count them with the plan's (Run.stored_chunks).")
    todo, have = [], 0
    for p in problems:
        if p.id in stored.complete:
            have += n
            continue
        for j in range(-(-n // cs)):
            first = j * cs
            size = min(cs, n - first)
            got = stored.stored(p.id, j)
            have += got
            if got == size:
                continue
            prompt = prompts[p.id]
            todo.append(ChunkRequest(
                benchmark=bench_name, problem_id=p.id, chunk_index=j, first_index=first, n=size,
                seed=derive_seed(plan.seed, model.name, bench_name, p.id, j),
                prompt=prompt if isinstance(prompt, str) else "",
                messages=None if isinstance(prompt, str) else prompt, images=(images or {}).get(p.id, ())))
    return todo, have


@dataclass(frozen=True)
class WorkUnit:
    """Consecutive chunks of one (model, benchmark): what one engine call draws and one shard stores.

    Its shard's name is a function of its content (:attr:`name`), so running a unit twice stores it
    once. ``skip`` lists samples of its chunks that are already stored (a partial last chunk redrawn
    after raising n): they are drawn again, with the same seed, but not stored twice.
    """

    model: str
    benchmark: str
    chunks: tuple[ChunkRequest, ...]
    skip: frozenset[tuple[str, int]] = frozenset()

    @property
    def name(self) -> str:
        return sample_unit(self.model, self.benchmark, self.chunks, self.skip)

    @property
    def samples(self) -> int:
        """Samples this unit adds to the store."""
        return sum(c.n for c in self.chunks) - len(self.skip)


def plan_units(run: Run, plan: SamplingPlan, model: ModelPlan, bench_name: str, problems,
               prompts: Mapping[str, Any], *, unit_chunks: int,
               index: Mapping[tuple[str, str], Sequence[Path]] | None = None,
               images: Mapping[str, tuple[str, ...]] | None = None) -> tuple[list[WorkUnit], int]:
    """The work units still to draw for one model and benchmark, and the samples already stored.

    With ``index`` (:meth:`Run.shard_keys` of the samples, made once for a whole plan), a pair whose
    shards are all whole units of its fixed partition is planned from their names and row counts
    alone; otherwise what is stored is counted per chunk by Arrow (:meth:`Run.stored_chunks`, limited
    to the pair's shards when ``index`` is given), never as a set of every key. ``prompts`` (problem
    id -> prompt) is read only for the chunks to draw.
    """
    shards = None if index is None else index.get((model.name, bench_name), ())
    if shards is not None:
        rows_of = index.rows if isinstance(index, ShardIndex) else run.shard_rows
        fast = _plan_by_unit_names(run, plan, model, bench_name, problems, prompts, unit_chunks, shards, rows_of,
                                   images)
        if fast is not None:
            return fast
    stored = run.stored_chunks("samples", model.name, bench_name, chunk_size=plan.chunk_size, n=plan.n,
                               shards=shards)
    todo, have = plan_chunks(plan, model, bench_name, problems, prompts, stored, images)
    units = []
    for s in range(0, len(todo), unit_chunks):
        chunks = tuple(todo[s:s + unit_chunks])
        skip = frozenset((c.problem_id, i) for c in chunks for i in stored.indices(c.problem_id, c.chunk_index))
        units.append(WorkUnit(model.name, bench_name, chunks, skip))
    return units, have


def _plan_by_unit_names(run: Run, plan: SamplingPlan, model: ModelPlan, bench_name: str, problems,
                        prompts: Mapping[str, Any], unit_chunks: int, shards: Sequence[Path],
                        rows_of: Callable[[Path], int], images: Mapping[str, tuple[str, ...]] | None = None,
                        ) -> tuple[list[WorkUnit], int] | None:
    """The fast plan, from shard names and row counts alone: when every shard of this pair is a whole
    unit of the pair's fixed partition (all its chunks in order, ``unit_chunks`` at a time — what a
    fresh run draws), the units to draw are those without a shard. None when anything else is there
    — a unit stored in part (an engine failed midway), older runs' shards, imports, another unit size
    or n: the caller counts per chunk instead, so only missing samples are drawn.

    The partition's unit names are computed from the chunks' (problem, index, first sample, size,
    seed) alone; chunk requests (with their prompts) are built only for the units to draw. ``rows_of``
    gives a shard's rows (:meth:`ShardIndex.rows`: its footer, read or remembered for the plan)."""
    cs, n = plan.chunk_size, plan.n
    per_problem = -(-n // cs)
    sizes = [min(cs, n - j * cs) for j in range(per_problem)]
    chunks: list[tuple[str, int, int]] = []              # (problem_id, chunk_index, seed) of the partition
    for p in problems:
        for j, seed in enumerate(chunk_seeds(plan.seed, model.name, bench_name, p.id, per_problem)):
            chunks.append((p.id, j, seed))
    by_file: dict[str, tuple[int, int]] = {}             # shard name -> (first chunk of its unit, its samples)
    for s in range(0, len(chunks), unit_chunks):
        unit = chunks[s:s + unit_chunks]
        name = unit_name("samples", model.name, bench_name,      # sample_unit's parts, written out (no skip)
                         *[f"{pid}/{j}/{j * cs}/{sizes[j]}/{seed}" for pid, j, seed in unit])
        by_file[f"part-u-{name}.parquet"] = (s, sum(sizes[j] for _, j, _ in unit))
    stored: set[str] = set()
    for shard in shards:
        unit_at = by_file.get(shard.name)
        if unit_at is None or rows_of(shard) != unit_at[1]:
            return None                 # not a unit of the partition, or one stored in part: count per chunk
        stored.add(shard.name)
    todo, have = [], 0
    for f, (s, samples) in by_file.items():
        if f in stored:
            have += samples
            continue
        reqs = []
        for pid, j, seed in chunks[s:s + unit_chunks]:
            prompt = prompts[pid]
            reqs.append(ChunkRequest(
                benchmark=bench_name, problem_id=pid, chunk_index=j, first_index=j * cs, n=sizes[j], seed=seed,
                prompt=prompt if isinstance(prompt, str) else "",
                messages=None if isinstance(prompt, str) else prompt, images=(images or {}).get(pid, ())))
        todo.append(WorkUnit(model.name, bench_name, tuple(reqs)))
    return todo, have


@dataclass(frozen=True)
class UnitResult:
    """What drawing one unit stored: rows, generated tokens, and where and how long it ran."""

    unit: str
    model: str
    benchmark: str
    rows: int
    tokens: int
    seconds: float
    node: str = ""
    shard: str = ""
    """The file name of the samples shard it stored (empty when it stored nothing)."""


def run_unit(run: Run, engine: Backend, unit: WorkUnit, params: SamplingParams, *,
             keep_token_logprobs: bool = False) -> UnitResult:
    """Draw one work unit with ``engine`` and store it as the shard ``part-u-<unit.name>``.

    Every executor calls this (the local loop, a Ray engine actor). When the engine fails midway,
    the unit's finished chunks are stored under the unit's name and the error is raised; a rerun
    of the same unit replaces that shard whole.
    """
    t0 = time.monotonic()
    out: dict[str, Any] = {"rows": 0, "tokens": 0, "shard": ""}

    def write(_batch: list[ChunkRequest], chunks: list[tuple[ChunkRequest, list[Completion]]]) -> None:
        rows: list[dict] = []
        tokens = 0
        for req, completions in chunks:
            for i, c in enumerate(completions):
                if (req.problem_id, req.first_index + i) in unit.skip:
                    continue                     # a partial chunk redrawn after raising n
                rows.append({"model": unit.model, "benchmark": unit.benchmark, "problem_id": req.problem_id,
                             "sample_index": req.first_index + i, "text": c.text,
                             "finish_reason": c.finish_reason, "prompt_tokens": c.prompt_tokens,
                             "completion_tokens": c.completion_tokens, "seed": req.seed,
                             "logprobs": list(c.logprobs) if c.logprobs is not None and keep_token_logprobs
                             else None,
                             "logprob_sum": logprob_sum(c.logprobs)})
                tokens += c.completion_tokens or 0
        if rows:                             # the shard is named by its unit: a retried unit replaces it
            out["shard"] = run.write("samples", pa.Table.from_pylist(rows), unit=unit.name).name
        out["rows"], out["tokens"] = len(rows), tokens

    draw(engine, unit.chunks, params, batch_chunks=max(1, len(unit.chunks)), write=write,
         what=f"model {unit.model}")
    return UnitResult(unit.name, unit.model, unit.benchmark, out["rows"], out["tokens"], time.monotonic() - t0,
                      shard=out["shard"])


@dataclass
class ModelWork:
    """One model's part of a plan, as the driver prepared it: template, parameters and the units to draw."""

    model: ModelPlan
    template: Any
    template_info: dict
    params: SamplingParams
    units: list[WorkUnit]
    have: int
    totals: dict[str, int]
    """Samples per benchmark when complete."""
    prompts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Benchmark -> problem id -> its prompt (rendered when first asked for)."""
    images: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """Benchmark -> problem id -> its images' paths in the run."""

    def stored(self) -> dict[str, int]:
        """Samples per benchmark stored before its units run (the progress bars' starting points)."""
        return {b: self.totals[b] - sum(u.samples for u in self.units if u.benchmark == b) for b in self.totals}


def prepare(run: Run, plan: SamplingPlan, *, unit_chunks: int, plan_work: bool = True) -> list[ModelWork]:
    """The driver's half of the sample stage (any executor): record problems, models and their info,
    check each model's parameters against the run, render prompts and plan the work units (with
    ``plan_work=False`` none: the adaptive stage plans each round itself from the prompts)."""
    run.remove_stale_temporaries()
    run.add_models([m.name for m in plan.models])
    run.set_model_info({m.name: dict(m.info) for m in plan.models})
    run.add_benchmarks(list(plan.benchmarks))
    for b, problems in plan.benchmarks.items():
        if not problems:
            raise BoundaryError(f"benchmark {b!r} has no problems; check its source and `limit`.")
        record_problems(run, b, problems)
    work = []
    index = run.shard_keys("samples")           # which shards hold each (model, benchmark): footers, once
    images = {b: store_images(run, problems) for b, problems in plan.benchmarks.items()}   # copied once
    for model in plan.models:
        template = _template(model)
        tinfo = template.describe() if template is not None else {"name": "chat (server)", "fingerprint": "server"}
        if any(images.values()):
            tinfo = fingerprint_with_placeholder(tinfo, model.image_placeholder)
        check_sampling_compatible(run, plan, model, tinfo)
        units, have = [], 0
        prompts_of: dict[str, Mapping[str, Any]] = {}
        for bench_name, problems in plan.benchmarks.items():
            pics = images[bench_name]
            check_engine_takes_images(model.engine, model.name, bench_name, len(pics))
            prompts = _Prompts(problems, functools.partial(                  # rendered only for the chunks to draw
                _prompt_of, template=template, pics=pics, model=model.name, placeholder=model.image_placeholder,
                as_parts=images_as_parts(model.engine)))
            prompts_of[bench_name] = prompts
            if not plan_work:
                continue
            u, h = plan_units(run, plan, model, bench_name, problems, prompts, unit_chunks=unit_chunks,
                              index=index, images=pics)
            units += u
            have += h
        params = model.params
        # the template's own stop strings (e.g. <|im_end|> for the Qwen chat format) apply too
        params = dataclasses.replace(params, stop=tuple(dict.fromkeys(
            params.stop + tuple(getattr(template, "stop", ()) or ()))))
        work.append(ModelWork(model, template, tinfo, params, units, have,
                              {b: len(p) * plan.n for b, p in plan.benchmarks.items()}, prompts_of, images))
    return work


def _prompt_of(problem: Any, *, template: Any, pics: Mapping[str, tuple[str, ...]], model: str,
               placeholder: str | None, as_parts: bool) -> Any:
    """One problem's model input, its images referred to as the model expects (:mod:`boundary.sampling.images`)."""
    return prompt_with_images(render_prompt, template, problem, len(pics.get(problem.id, ())), model=model,
                              placeholder=placeholder, as_parts=as_parts)


class _Prompts(Mapping[str, Any]):
    """Problem id -> its rendered prompt, rendered when first asked for: a plan on a large store that is
    mostly drawn renders the prompts of the few chunks left, not every problem's for every model."""

    def __init__(self, problems: Sequence[Any], render: Callable[[Any], Any]):
        self._render = render
        self._problems = {p.id: p for p in problems}
        self._rendered: dict[str, Any] = {}

    def __getitem__(self, problem_id: str) -> Any:
        got = self._rendered.get(problem_id)
        if got is None:
            got = self._rendered[problem_id] = self._render(self._problems[problem_id])
        return got

    def __iter__(self):
        return iter(self._problems)

    def __len__(self) -> int:
        return len(self._problems)


def default_unit_chunks(plan: SamplingPlan) -> int:
    """Chunks per work unit: the spec's ``chunks_per_shard``, or about 1,024 samples."""
    return plan.chunks_per_shard or max(1, 1024 // min(plan.chunk_size, plan.n))


def sample_run(plan: SamplingPlan, run: Run | str | os.PathLike, *, batch_chunks: int | None = None,
               progress: Callable[[Progress], None] | None = None,
               backends: dict[str, Backend] | None = None) -> SampleSummary:
    """Draw every missing sample of the plan into the run (a spec's: :meth:`boundary.spec.Spec.sampling_plan`).

    Args:
        batch_chunks: chunks per engine call (and per shard); default keeps ~1024 samples in flight.
        backends: already-built engines by model name (tests, or to reuse an engine across runs).
    """
    if plan.adaptive is not None:
        raise BoundaryError("an adaptive plan verifies each batch before it plans the next: sample it with "
                            "boundary.sampling.adaptive.sample_adaptive(plan, run, verify=...), or "
                            "boundary.pipeline.sample_verify_spec on a spec.")
    run = run if isinstance(run, Run) else Run.create(run)
    with run.lock("sample"):
        return _sample_run(plan, run, batch_chunks, progress, backends)


def _sample_run(plan: SamplingPlan, run: Run, batch_chunks: int | None, progress: Callable[[Progress], None] | None,
                backends: dict[str, Backend] | None) -> SampleSummary:
    work = prepare(run, plan, unit_chunks=batch_chunks or default_unit_chunks(plan))
    per_model: dict[str, dict[str, int]] = {}
    new_total = skipped_total = 0
    for w in work:
        skipped_total += w.have
        model = w.model
        if not w.units:
            per_model[model.name] = {"new": 0}
            continue
        given = (backends or {}).get(model.name)
        own = given is None
        engine = create_backend(model.engine) if given is None else given
        new = 0
        stored = w.stored()
        t0 = time.monotonic()
        saved = time.monotonic()
        try:
            record_model(run, plan, model, engine.info(), w.template_info)
            for u in w.units:
                r = run_unit(run, engine, u, w.params, keep_token_logprobs=model.token_logprobs)
                new += r.rows
                stored[u.benchmark] += r.rows
                saved = note_unit(run, r, saved)
                if progress:
                    progress(Progress(model.name, u.benchmark, stored[u.benchmark], w.totals[u.benchmark], r.rows,
                                      r.tokens, time.monotonic() - t0))
        finally:
            run.save_notes()
            if own:
                engine.close()
        per_model[model.name] = {"new": new}
        new_total += new
    run.mark_stage("sample", samples=new_total)
    return SampleSummary(run=str(run.path), new_samples=new_total, skipped_samples=skipped_total,
                         per_model=per_model)


#: The driver adds the footers of the shards its units stored to the run's footers file this often (s).
NOTES_EVERY_S = 600.0


def note_unit(run: Run, result: UnitResult, saved: float) -> float:
    """The driver's record of a unit that landed: its shard's footer is noted (:meth:`Run.note_shard`)
    so that a plan resuming the stage need not read it, and the notes are saved every
    :data:`NOTES_EVERY_S`. Returns when they were last saved."""
    if result.rows:
        run.note_shard("samples", run.path / "samples" / f"part-u-{result.unit}.parquet")
    if time.monotonic() - saved >= NOTES_EVERY_S:
        run.save_notes()
        return time.monotonic()
    return saved


def record_model(run: Run, plan: SamplingPlan, model: ModelPlan, engine_info: dict, tinfo: dict) -> None:
    """Record how ``model``'s samples are drawn (the driver does this, before any unit of the model runs)."""
    params = dict(model.params_record)
    if plan.adaptive is not None:              # the plan is part of the data (docs/adaptive.md)
        params["adaptive"] = adaptive_record(plan.adaptive)
    run.record_sampling(model.name, {        # the store keeps the largest n recorded
        "fingerprint": model.fingerprint, "seed": plan.seed, "params": params, "n": plan.n,
        "template": {k: tinfo.get(k) for k in ("name", "kind", "fingerprint", "text", "source")},
        "engine": engine_info, "model": dict(model.record)})


def logprob_sum(logprobs) -> float | None:
    """Sum of a sample's token logprobs; None when absent or when a token's logprob is unknown (NaN)."""
    if logprobs is None:
        return None
    total = math.fsum(logprobs)
    return total if math.isfinite(total) else None


def sample_unit(model: str, benchmark: str, chunks: Iterable[ChunkRequest],
                skip: Iterable[tuple[str, int]] = ()) -> str:
    """The shard name of a work unit of the sample stage: its model, benchmark and chunks (with their
    seeds), and the samples of those chunks it leaves out because they are stored already (so a unit
    that redraws part of a chunk never takes the name, and replaces the shard, of one that drew it all)."""
    parts = [f"{c.problem_id}/{c.chunk_index}/{c.first_index}/{c.n}/{c.seed}" for c in chunks]
    left_out = sorted(skip)
    if left_out:
        parts.append("skip:" + ",".join(f"{p}/{i}" for p, i in left_out))
    return unit_name("samples", model, benchmark, *parts)


def draw(engine: Backend, requests: Iterable[ChunkRequest], params: SamplingParams, *, batch_chunks: int,
         write: Callable[[list[ChunkRequest], list[tuple[ChunkRequest, list[Completion]]]], None],
         what: str = "") -> None:
    """The drawing loop every stage that samples shares (the sample stage, the judge, answer-only sampling).

    Requests go to the engine ``batch_chunks`` at a time (a batch is a work unit); each batch's
    finished chunks are handed to ``write(batch, finished)`` — also when the engine fails (or the
    user presses Ctrl-C) midway, so a rerun does not draw them again — and a chunk whose completions
    are not ``request.n`` is refused. ``what`` names the caller in that error (e.g. ``model base``).
    """
    batch: list[ChunkRequest] = []

    def one() -> None:
        done: list[tuple[ChunkRequest, list[Completion]]] = []
        try:
            for req, completions in engine.generate(batch, params):
                if len(completions) != req.n:
                    raise BoundaryError(f"backend {engine.name} returned {len(completions)} completions for a chunk "
                                        f"of {req.n} ({what + ', ' if what else ''}problem {req.problem_id}); "
                                        "refusing to store it.")
                done.append((req, completions))
        finally:
            if done:
                write(list(batch), done)
        batch.clear()

    for req in requests:
        batch.append(req)
        if len(batch) >= batch_chunks:
            one()
    if batch:
        one()


