"""The adaptive sample stage: a sequential plan per (model, problem), sampling and verification interleaved.

Every pair gets the plan's first m samples; at each check time (:attr:`AdaptivePlan.check_times`:
m, m + b, ..., n, or m, 2m, 4m, ..., n) a pair whose stored verdicts count at least r correct among
its samples so far stops, the others draw on to the next check time, up to the cap n
(:mod:`boundary.adaptive_plan`, docs/adaptive.md).

One round per check interval, per model (its benchmarks together: :func:`model_rounds`):

1. the pairs still active are those whose verdicts of the samples before the round's start do not
   reach r correct — read from the store (only the verdict shards new since the last round:
   :class:`Outcomes`), so a decision is a function of stored verdicts only;
2. their chunks of the round (chunk j of problem p, seed ``derive_seed(run seed, model, benchmark,
   p, j)``, exactly as in the fixed-n stage: an adaptive run's samples are the fixed run's samples
   of the indices it draws) are cut, in problem order, into work units of ``unit_chunks`` chunks,
   named as the fixed stage names them (:func:`boundary.sampling.stage.sample_unit`); units whose
   chunks are all stored are skipped, the rest drawn with :func:`run_unit` (here, or on the Ray
   executor's engine actors);
3. the caller's ``verify(run)`` grades what was drawn before the next round is planned (on Ray,
   each unit's shard is graded as it lands and the round ends when every grade is in).

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
from collections.abc import Callable, Iterator, Mapping, Sequence
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


class Outcomes:
    """Each problem's verdicts of a (model, benchmark) in sample order, read incrementally: a round
    reads only the verdict shards that are new or changed since the last (by inode, size and mtime),
    so planning a round costs its own verdicts, not every verdict of the pair again."""

    def __init__(self, run: Run):
        self.run = run
        self._seen: dict[tuple[str, str], dict[str, tuple[int, int, int]]] = {}
        self._got: dict[tuple[str, str], dict[str, dict[int, bool]]] = {}

    def __call__(self, model: str, benchmark: str) -> dict[str, list[bool]]:
        """Problem id -> correct or not, for the contiguous prefix of sample indices 0, 1, ... that
        have a verdict (a gap ends it)."""
        pair = (model, benchmark)
        shards = self.run.shard_keys("verdicts").get(pair, [])
        stamps = {}
        for s in shards:
            try:
                st = os.stat(s)
            except FileNotFoundError:
                continue
            stamps[s.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
        seen = self._seen.get(pair, {})
        if any(stamps.get(n) != st for n, st in seen.items()):      # a shard rewritten or gone: read all
            seen, self._got[pair] = {}, {}
        got = self._got.setdefault(pair, {})
        flt = (pc.field("model") == model) & (pc.field("benchmark") == benchmark)
        for s in shards:
            if s.name not in stamps or s.name in seen:
                continue
            t = self.run.read_shard("verdicts", s, ["model", "benchmark", "problem_id", "sample_index", "status"])
            t = t.filter(flt)
            for pid, i, st in zip(t["problem_id"].to_pylist(), t["sample_index"].to_pylist(),
                                  t["status"].to_pylist()):
                got.setdefault(pid, {})[i] = st == "correct"
            seen[s.name] = stamps[s.name]
        self._seen[pair] = seen
        out = {}
        for pid, by_index in got.items():
            seq: list[bool] = []
            while len(seq) in by_index:
                seq.append(by_index[len(seq)])
            out[pid] = seq
        return out


def outcomes(run: Run, model: str, benchmark: str) -> dict[str, list[bool]]:
    """Each problem's verdicts of ``model`` in sample order, as correct or not: the contiguous
    prefix of sample indices 0, 1, ... that have a verdict (a gap ends it)."""
    return Outcomes(run)(model, benchmark)


def active_at(run: Run, plan: AdaptivePlan, start: int, model: str, benchmark: str,
              problems: Sequence[str], got: Mapping[str, list[bool]] | None = None) -> list[str]:
    """The problems that draw on past the check time ``start``: their stored verdicts of the first
    ``start`` samples do not stop the plan (:meth:`AdaptivePlan.stopping_point`). Refused when a
    problem has verdicts for fewer samples and has not stopped (its decision is not yet known).
    ``got``: the pair's :class:`Outcomes` (read from the run when not given)."""
    got = outcomes(run, model, benchmark) if got is None else got
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


def model_rounds(plan: SamplingPlan, ap: AdaptivePlan, run: Run, w: ModelWork, unit_chunks: int
                 ) -> Iterator[list[WorkUnit]]:
    """One model's rounds: for each check interval, the work units still to draw of every benchmark
    (:func:`round_units`). The caller draws a round's units and verifies them before it asks for the
    next round, which is planned from the stored verdicts (:func:`active_at`). Every executor
    draws the same rounds: the local one here (:func:`sample_adaptive`), the Ray executor on its
    engine actors (``RayExecutor.sample_and_verify``)."""
    got = Outcomes(run)
    ids = {bench: [p.id for p in problems] for bench, problems in plan.benchmarks.items()}
    active = dict(ids)
    start = 0
    for end in ap.check_times:
        if start:
            active = {b: active_at(run, ap, start, w.model.name, b, ids[b], got(w.model.name, b)) for b in active}
            active = {b: a for b, a in active.items() if a}
        if not active:
            return
        index = run.shard_keys("samples")
        units: list[WorkUnit] = []
        for bench, act in active.items():
            stored = run.stored_chunks("samples", w.model.name, bench, chunk_size=plan.chunk_size, n=plan.n,
                                       shards=index.get((w.model.name, bench), ()))
            units += round_units(plan, w.model.name, bench, act, start, end, unit_chunks, w.prompts[bench],
                                 w.images.get(bench, {}), stored)
        yield units
        start = end


def _sample_model(plan: SamplingPlan, ap: AdaptivePlan, run: Run, w: ModelWork, verify: VerifyFn, unit_chunks: int,
                  progress: Callable[[Progress], None] | None, given: Backend | None,
                  before: Mapping[tuple[str, str], int]) -> int:
    model = w.model
    engine: Backend | None = None
    new = 0
    done = {b: before[(model.name, b)] for b in plan.benchmarks}
    t0 = saved = time.monotonic()
    try:
        for units in model_rounds(plan, ap, run, w, unit_chunks):
            for u in units:
                if engine is None:
                    engine = create_backend(model.engine) if given is None else given
                    record_model(run, plan, model, engine.info(), w.template_info)
                r = run_unit(run, engine, u, w.params, keep_token_logprobs=model.token_logprobs)
                new += r.rows
                done[u.benchmark] += r.rows
                saved = note_unit(run, r, saved)
                if progress:
                    progress(Progress(model.name, u.benchmark, done[u.benchmark], w.totals[u.benchmark], r.rows,
                                      r.tokens, time.monotonic() - t0))
            if units:
                verify(run)                      # this round's verdicts decide the next round
    finally:
        run.save_notes()
        if engine is not None and given is None:
            engine.close()
    return new
