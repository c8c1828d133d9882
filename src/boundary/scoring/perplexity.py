"""Perplexity of stored responses under a scoring model: PPL_M(Y_S) for the models of a run.

    PPL_M(y | x) = exp(−(1/T) Σ_{t=1..T} log P_M(y_t | x, y_<t))

over the T response tokens (M's tokenizer), conditioned on the prompt x that model S was given
(rebuilt from the run, :mod:`boundary.scoring.prompts`). Yue et al. (Fig. 6, App. C.4) compare
PPL_Base(Y_Base), PPL_Base(Y_RL), PPL_RL(Y_RL): if the RL model's answers are ones the base model
already finds likely, PPL_Base(Y_RL) sits in the lower part of PPL_Base(Y_Base).

:func:`score_perplexity` streams one model's (or every model's) samples from the store in record
batches, scores them with M (vLLM prompt logprobs or a transformers forward pass,
:mod:`boundary.scoring.engines`) and writes the per-sample results as ``perplexity`` shards;
samples already scored by M are skipped, so a killed scoring run resumes. Memory is one batch of
texts, whatever n is. :func:`perplexity_by_problem` and :func:`perplexity_matrix` summarise the
table: per-problem medians (the paper's statistic), and their mean over problems for every
(scorer, model) pair.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boundary.errors import BoundaryError
from boundary.sampling.plan import EngineConfig
from boundary.scoring.engines import Scorer, create_scorer, perplexity, scorer_from_backend
from boundary.scoring.prompts import problems_of, render, template_of
from boundary.store import Run


@dataclass(frozen=True)
class PerplexityProgress:
    scorer: str
    model: str
    benchmark: str
    scored: int
    elapsed_s: float


@dataclass(frozen=True)
class PerplexitySummary:
    run: str
    scorer: str
    engine: str
    scored: int
    """Samples scored now (rows written)."""
    already: int
    """Samples this scorer had already scored (skipped)."""
    unscored: int
    """Rows written without a perplexity (empty response, too long for the scorer); see ``detail``."""
    per_model: dict[str, int] = field(default_factory=dict)


def _scorer_spec(run: Run, scorer: str, path: str | None, engine: str | None, dtype: str | None,
                 max_model_len: int | None) -> EngineConfig:
    """The scorer's engine: its sampling record's (the run's manifest), or a checkpoint ``path``."""
    sampled = run.sampling_record(scorer)
    rec = sampled.model if sampled is not None else None
    if rec:
        d = dict(rec)
        if path:
            d["path"] = path
    elif path:
        d = {"name": scorer, "backend": engine or "transformers", "path": path}
    else:
        raise BoundaryError(f"{run.path}: {scorer!r} is not a sampled model of this run (models with a "
                            f"sampling record: {sorted(run.sampling_records())}); give its checkpoint "
                            "with `--path DIR`.")
    if engine:
        d["backend"] = engine
    if dtype:
        d["dtype"] = dtype
    if max_model_len:
        d["max_model_len"] = max_model_len
    known = {f.name for f in dataclasses.fields(EngineConfig)}
    return EngineConfig(**{k: v for k, v in d.items() if k in known})


def score_perplexity(run: Run | str | os.PathLike, scorer: str, *, models: Iterable[str] | None = None,
                     benchmarks: Iterable[str] | None = None, samples_per_problem: int | None = None,
                     engine: str | None = None, path: str | None = None, dtype: str | None = None,
                     max_model_len: int | None = None, backend: Any = None, batch_size: int = 32,
                     shard_rows: int = 1024, template: Any = None,
                     progress: Callable[[PerplexityProgress], None] | None = None) -> PerplexitySummary:
    """Score stored samples with model ``scorer`` and store PPL_scorer(Y_model) per sample.

    Args:
        scorer: the scoring model M: a sampled model of the run (its checkpoint and engine come
            from the manifest) or any name together with ``path``.
        models: whose responses to score (default: every model with samples).
        samples_per_problem: score only sample indices ``< K`` (the paper: 16 or 32 per problem).
        engine: ``vllm`` or ``transformers`` (default: the scorer's sampling backend).
        backend: an already-built engine to reuse (a ``Scorer``, ``VLLMBackend`` or
            ``TransformersBackend``); it is not closed.
        batch_size: sequences per engine call; shard_rows: rows per written shard (a crash loses
            at most one shard's work).
        template: prompt template for models without a sampling record (imported samples).
    """
    run = run if isinstance(run, Run) else Run(run)
    run.remove_stale_temporaries()
    have = run.read("samples", ["model", "benchmark"])
    pairs = sorted(set(zip(have["model"].to_pylist(), have["benchmark"].to_pylist())))
    if not pairs:
        raise BoundaryError(f"{run.path} holds no samples to score; run the sample stage first "
                            "(imported counts have no texts).")
    present = {m for m, _ in pairs}
    wanted = list(models) if models is not None else [m for m in run.models if m in present] + \
        sorted(present - set(run.models))
    missing = [m for m in wanted if m not in present]
    if missing:
        raise BoundaryError(f"{run.path}: no samples of model(s) {missing} to score; models with samples: "
                            f"{sorted(present)}.")
    bench_filter = set(benchmarks) if benchmarks is not None else None
    if samples_per_problem is not None and samples_per_problem <= 0:
        raise BoundaryError(f"samples_per_problem must be > 0, got {samples_per_problem}.")

    own = False
    if isinstance(backend, Scorer):
        sc = backend
    elif backend is not None:
        sc = scorer_from_backend(backend)
    else:
        sc = create_scorer(_scorer_spec(run, scorer, path, engine, dtype, max_model_len))
        own = True
    engine_name = sc.info()
    total = already = unscored = 0
    per_model: dict[str, int] = {}
    t0 = time.monotonic()
    try:
        for model in wanted:
            tmpl = None
            for model_, bench in pairs:
                if model_ != model or (bench_filter is not None and bench not in bench_filter):
                    continue
                if tmpl is None:
                    tmpl = template_of(run, model, template)
                done = run.keys("perplexity", model, bench, scorer=scorer)
                already += len(done)
                n, u = _score_one(run, sc, scorer, model, bench, tmpl, done, samples_per_problem, batch_size,
                                  shard_rows, engine_name, progress, t0)
                total += n
                unscored += u
                per_model[model] = per_model.get(model, 0) + n
    finally:
        if own:
            sc.close()
    run.mark_stage(f"perplexity:{scorer}", engine=engine_name, scored=total)
    return PerplexitySummary(run=str(run.path), scorer=scorer, engine=engine_name, scored=total,
                             already=already, unscored=unscored, per_model=per_model)


def _score_one(run, sc: Scorer, scorer, model, bench, tmpl, done, k, batch_size, shard_rows, engine_name,
               progress, t0) -> tuple[int, int]:
    problems = problems_of(run, bench)
    prompt_ids: dict[str, list[int]] = {}
    where = (pc.field("model") == model) & (pc.field("benchmark") == bench)
    if k is not None:
        where = where & (pc.field("sample_index") < k)
    rows: list[dict] = []
    pending: list[tuple[dict, list[int], list[int]]] = []
    written = unscored = 0

    def flush_engine():
        nonlocal unscored
        if not pending:
            return
        order = sorted(range(len(pending)), key=lambda i: len(pending[i][1]) + len(pending[i][2]))
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            lps = sc.score([(pending[i][1], pending[i][2]) for i in idx])
            for i, lp in zip(idx, lps):
                row, _, resp = pending[i]
                nll = -float(lp)
                rows.append({**row, "tokens": len(resp), "nll": nll, "ppl": perplexity(nll, len(resp))})
        pending.clear()

    def flush_store(final: bool = False):
        nonlocal written
        while len(rows) >= shard_rows or (final and rows):
            part = rows[:shard_rows]
            run.write("perplexity", pa.Table.from_pylist(part))
            written += len(part)
            del rows[:shard_rows]
            if progress:
                progress(PerplexityProgress(scorer, model, bench, written, time.monotonic() - t0))

    for batch in run.batches("samples", ["problem_id", "sample_index", "text"], filter=where,
                             batch_size=max(batch_size, 64)):
        for pid, idx, text in zip(batch.column("problem_id").to_pylist(), batch.column("sample_index").to_pylist(),
                                  batch.column("text").to_pylist()):
            if (pid, idx) in done:
                continue
            done.add((pid, idx))
            row = {"scorer": scorer, "model": model, "benchmark": bench, "problem_id": pid, "sample_index": idx,
                   "engine": engine_name}
            if pid not in prompt_ids:
                if pid not in problems:
                    raise BoundaryError(f"{run.path}: sample of problem {pid!r} ({bench}) has no row in the "
                                        "problems table, so its prompt is unknown.")
                prompt_ids[pid] = sc.encode_prompt(render(tmpl, problems[pid]))
            p = prompt_ids[pid]
            r = sc.encode_response(text or "")
            detail = None
            if not r:
                detail = "empty response"
            elif not p:
                detail = "empty prompt: the first response token has no context"
            elif sc.max_len is not None and len(p) + len(r) > sc.max_len:
                detail = (f"prompt + response = {len(p) + len(r)} tokens exceeds the scorer's limit of "
                          f"{sc.max_len}; raise max_model_len")
            if detail:
                rows.append({**row, "tokens": len(r), "nll": None, "ppl": None, "detail": detail})
                unscored += 1
                continue
            pending.append((row, p, r))
            if len(pending) >= min(batch_size * 4, shard_rows):     # sort a few batches by length, then score
                flush_engine()
            flush_store()
    flush_engine()
    flush_store(final=True)
    return written, unscored


# ------------------------------------------------------------------------------------ summaries
@dataclass(frozen=True)
class ProblemPerplexity:
    benchmark: str
    scorer: str
    model: str
    problem_id: str
    samples: int
    median: float
    q1: float
    q3: float


def _groups(t: pa.Table, keys: list[str]):
    """(key tuple, ppl array) per group of a perplexity table (rows with a perplexity only)."""
    t = t.filter(pc.is_valid(t["ppl"]))
    if t.num_rows == 0:
        return
    t = t.sort_by([(k, "ascending") for k in keys])
    cols = [t[k].to_pylist() for k in keys]
    ppl = t["ppl"].to_numpy()
    start = 0
    for i in range(1, t.num_rows + 1):
        if i == t.num_rows or any(c[i] != c[start] for c in cols):
            yield tuple(c[start] for c in cols), ppl[start:i]
            start = i


def perplexity_by_problem(run: Run | str | os.PathLike) -> list[ProblemPerplexity]:
    """Per (benchmark, scorer, model, problem): median and quartiles of the samples' perplexities."""
    run = run if isinstance(run, Run) else Run(run)
    t = run.perplexity(["benchmark", "scorer", "model", "problem_id", "ppl"])
    out = []
    for (b, s, m, p), v in _groups(t, ["benchmark", "scorer", "model", "problem_id"]):
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        out.append(ProblemPerplexity(b, s, m, p, len(v), float(med), float(q1), float(q3)))
    return out


@dataclass(frozen=True)
class PerplexityCell:
    """PPL_scorer(Y_model) on one benchmark: the mean over problems of each problem's median
    (Yue et al. App. C.4), the median over problems of those medians, and counts."""

    benchmark: str
    scorer: str
    model: str
    problems: int
    samples: int
    mean_of_medians: float
    median_of_medians: float


def perplexity_matrix(run: Run | str | os.PathLike) -> list[PerplexityCell]:
    """One cell per (benchmark, scorer, model) that was scored."""
    cells: dict[tuple, list[ProblemPerplexity]] = {}
    for r in perplexity_by_problem(run):
        cells.setdefault((r.benchmark, r.scorer, r.model), []).append(r)
    out = []
    for (b, s, m), rows in sorted(cells.items()):
        med = np.array([r.median for r in rows])
        out.append(PerplexityCell(b, s, m, len(rows), sum(r.samples for r in rows), float(med.mean()),
                                  float(np.median(med))))
    return out


def perplexity_values(run: Run | str | os.PathLike, *, benchmark: str, scorer: str, model: str,
                      problem_id: str | None = None) -> np.ndarray:
    """The per-sample perplexities of one (scorer, model) pair: the data of one box in Fig. 6."""
    run = run if isinstance(run, Run) else Run(run)
    where = (pc.field("benchmark") == benchmark) & (pc.field("scorer") == scorer) & (pc.field("model") == model)
    if problem_id is not None:
        where = where & (pc.field("problem_id") == problem_id)
    t = run.read("perplexity", ["ppl"], filter=where)
    return t.filter(pc.is_valid(t["ppl"]))["ppl"].to_numpy()
