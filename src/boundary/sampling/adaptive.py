"""The adaptive sample stage: a sequential plan per (model, problem), sampling and verification interleaved.

Every pair gets the plan's first m samples; at each check time (:attr:`AdaptivePlan.check_times`:
m, m + b, ..., n, or m, 2m, 4m, ..., n) a pair whose stored verdicts count at least r correct among
its samples so far stops, the others draw on to the next check time, up to the cap n
(:mod:`boundary.adaptive_plan`, docs/adaptive.md).

One round per check interval, per model and benchmark:

1. the pairs still active are those whose verdicts of the samples before the round's start do not
   reach r correct — read from the store, so a decision is a function of stored verdicts only;
2. their chunks of the round (chunk j of problem p, seed ``derive_seed(run seed, model, benchmark,
   p, j)``, exactly as in the fixed-n stage: an adaptive run's samples are the fixed run's samples
   of the indices it draws) are cut, in problem order, into work units of ``unit_chunks`` chunks,
   named as the fixed stage names them (:func:`boundary.sampling.stage.sample_unit`); units whose
   chunks are all stored are skipped, the rest drawn with :func:`run_unit`;
3. the caller's ``verify(run)`` grades what was drawn before the next round is planned.

A killed run (kill -9 between or during a round) resumes to the same store: the first call
verifies whatever was stored without verdicts, then every round is replanned from the store —
the same active pairs, the same chunks, the same unit names — and only missing units are drawn.
Nothing is recorded per pair beyond samples and verdicts: a pair's stopping point (t, s) is
:meth:`AdaptivePlan.stopping_point` of its verdicts in sample order. The plan itself is recorded
in the model's sampling record (``sampling.<model>.params.adaptive``, its cap the record's ``n``:
:func:`boundary.sampling.plan.adaptive_from_record`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow.compute as pc

from boundary.errors import StoreError
from boundary.sampling.backends import Backend, create_backend
from boundary.adaptive_plan import AdaptivePlan
from boundary.sampling.plan import SamplingPlan
from boundary.sampling.seeds import derive_seed
from boundary.sampling.stage import (ModelWork, Progress, SampleSummary, WorkUnit, default_unit_chunks, note_unit,
                                     prepare, record_model, run_unit)
from boundary.sampling.types import ChunkRequest
from boundary.store import Run

#: What the sample stage calls to grade every stored sample that has no verdict yet (the pipeline
#: passes :func:`boundary.verify.verify_run` with the spec's verifier configs).
VerifyFn = Callable[[Run], Any]


def outcomes(run: Run, model: str, benchmark: str) -> dict[str, list[bool]]:
    """Each problem's verdicts of ``model`` in sample order, as correct or not: the contiguous
    prefix of sample indices 0, 1, ... that have a verdict (a gap ends it)."""
    flt = (pc.field("model") == model) & (pc.field("benchmark") == benchmark)
    by_problem: dict[str, dict[int, bool]] = {}
    for t in run.iter_shards("verdicts", ["problem_id", "sample_index", "status"], filter=flt):
        for pid, i, st in zip(t["problem_id"].to_pylist(), t["sample_index"].to_pylist(), t["status"].to_pylist()):
            by_problem.setdefault(pid, {})[i] = st == "correct"
    out = {}
    for pid, got in by_problem.items():
        seq: list[bool] = []
        while len(seq) in got:
            seq.append(got[len(seq)])
        out[pid] = seq
    return out


def active_at(run: Run, plan: AdaptivePlan, start: int, model: str, benchmark: str,
              problems: Sequence[str]) -> list[str]:
    """The problems that draw on past the check time ``start``: their stored verdicts of the first
    ``start`` samples do not stop the plan (:meth:`AdaptivePlan.stopping_point`). Refused when a
    problem has verdicts for fewer samples and has not stopped (its decision is not yet known)."""
    got = outcomes(run, model, benchmark)
    active = []
    for pid in problems:
        seq = got.get(pid, [])[:start]
        if plan.stopping_point(seq) is None:
            if len(seq) < start:
                raise StoreError(f"{run.path}: problem {pid!r} of {benchmark!r} (model {model!r}) has verdicts "
                                 f"for {len(seq)} of its first {start} samples; verify the run, then sample again.")
            active.append(pid)
    return active


def round_units(plan: SamplingPlan, model: str, benchmark: str, active: Sequence[str], start: int, end: int,
                unit_chunks: int, prompts: Mapping[str, Any], images: Mapping[str, tuple[str, ...]],
                stored: Any) -> list[WorkUnit]:
    """The work units of one round (samples ``start .. end-1`` of the ``active`` problems) still to draw.

    The round's chunks are cut into units in problem order, ``unit_chunks`` at a time, so an
    uninterrupted run and a resumed one cut them alike; a unit whose chunks are all stored is
    dropped, one stored in part leaves its stored samples out (``skip``), as the fixed stage does."""
    cs, n = plan.chunk_size, plan.n
    chunks = [(pid, j) for pid in active for j in range(start // cs, -(-end // cs))]
    units = []
    for s in range(0, len(chunks), unit_chunks):
        part = chunks[s:s + unit_chunks]
        if all(stored.stored(pid, j) == min(cs, n - j * cs) for pid, j in part):
            continue
        reqs = []
        for pid, j in part:
            prompt = prompts[pid]
            reqs.append(ChunkRequest(
                benchmark=benchmark, problem_id=pid, chunk_index=j, first_index=j * cs, n=min(cs, n - j * cs),
                seed=derive_seed(plan.seed, model, benchmark, pid, j),
                prompt=prompt if isinstance(prompt, str) else "",
                messages=None if isinstance(prompt, str) else prompt, images=images.get(pid, ())))
        skip = frozenset((pid, i) for pid, j in part for i in stored.indices(pid, j))
        units.append(WorkUnit(model, benchmark, tuple(reqs), skip))
    return units


def sample_adaptive(plan: SamplingPlan, run: Run | str | os.PathLike, verify: VerifyFn, *,
                    batch_chunks: int | None = None, progress: Callable[[Progress], None] | None = None,
                    backends: dict[str, Backend] | None = None) -> SampleSummary:
    """Draw the adaptive plan (``plan.adaptive``) into the run, verifying each round before planning the next.

    ``verify(run)`` must give every stored sample without a verdict its verdict (the pipeline
    passes :func:`boundary.verify.verify_run` with the spec's verifier configs; sampling may import
    verify, but the configs belong to the caller). Resumable at any point: see the module docstring.
    """
    if plan.adaptive is None:
        raise ValueError("sample_adaptive needs a plan with `adaptive`; use sample_run for fixed n.")
    run = run if isinstance(run, Run) else Run.create(run)
    with run.lock("sample (adaptive)"):
        return _sample_adaptive(plan, plan.adaptive, run, verify, batch_chunks, progress, backends)


def _sample_adaptive(plan: SamplingPlan, ap: AdaptivePlan, run: Run, verify: VerifyFn, batch_chunks: int | None,
                     progress: Callable[[Progress], None] | None,
                     backends: dict[str, Backend] | None) -> SampleSummary:
    unit_chunks = batch_chunks or default_unit_chunks(plan)
    work = prepare(run, plan, unit_chunks=unit_chunks, plan_work=False)
    index = run.shard_keys("samples")
    before = {(w.model.name, b): sum(index.rows(s) for s in index.get((w.model.name, b), ()))
              for w in work for b in plan.benchmarks}
    if any(before.values()):
        verify(run)                               # a killed run's last samples get their verdicts first
    per_model: dict[str, dict[str, int]] = {}
    new_total = 0
    for w in work:
        new = _sample_model(plan, ap, run, w, verify, unit_chunks, progress, (backends or {}).get(w.model.name),
                            before)
        per_model[w.model.name] = {"new": new}
        new_total += new
    run.mark_stage("sample", samples=new_total)
    return SampleSummary(run=str(run.path), new_samples=new_total, skipped_samples=sum(before.values()),
                         per_model=per_model)


def _sample_model(plan: SamplingPlan, ap: AdaptivePlan, run: Run, w: ModelWork, verify: VerifyFn, unit_chunks: int,
                  progress: Callable[[Progress], None] | None, given: Backend | None,
                  before: Mapping[tuple[str, str], int]) -> int:
    model = w.model
    engine: Backend | None = None
    new = 0
    t0 = saved = time.monotonic()
    try:
        for bench, problems in plan.benchmarks.items():
            ids = [p.id for p in problems]
            done = before[(model.name, bench)]
            start = 0
            for end in ap.check_times:
                active = ids if start == 0 else active_at(run, ap, start, model.name, bench, ids)
                if not active:
                    break
                stored = run.stored_chunks("samples", model.name, bench, chunk_size=plan.chunk_size, n=plan.n,
                                           shards=run.shard_keys("samples").get((model.name, bench), ()))
                units = round_units(plan, model.name, bench, active, start, end, unit_chunks, w.prompts[bench],
                                    w.images.get(bench, {}), stored)
                for u in units:
                    if engine is None:
                        engine = create_backend(model.engine) if given is None else given
                        record_model(run, plan, model, engine.info(), w.template_info)
                    r = run_unit(run, engine, u, w.params, keep_token_logprobs=model.token_logprobs)
                    new += r.rows
                    done += r.rows
                    saved = note_unit(run, r, saved)
                    if progress:
                        progress(Progress(model.name, u.benchmark, done, w.totals[bench], r.rows, r.tokens,
                                          time.monotonic() - t0))
                if units:
                    verify(run)                  # this round's verdicts decide the next round
                start = end
    finally:
        run.save_notes()
        if engine is not None and given is None:
            engine.close()
    return new
