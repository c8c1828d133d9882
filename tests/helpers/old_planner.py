"""The sample stage's planner as it was before per-chunk counts (commit 459fd75), kept verbatim:
the reference tests/test_planning.py compares the current planner with, and the "keys" method of
bench/bench_planning.py (a Python set of every stored key of a (model, benchmark))."""

from __future__ import annotations

from boundary.sampling.seeds import derive_seed
from boundary.sampling.stage import WorkUnit
from boundary.sampling.types import ChunkRequest


def old_plan_units(run, plan, model, bench_name, problems, prompts, *, unit_chunks):
    """The planner as it was before per-chunk counts (commit 459fd75), kept verbatim as the reference."""
    existing = run.keys("samples", model.name, bench_name)
    cs, n = plan.chunk_size, plan.n
    todo, have = [], 0
    for p in problems:
        for j in range(-(-n // cs)):
            first = j * cs
            size = min(cs, n - first)
            stored = sum((p.id, i) in existing for i in range(first, first + size))
            have += stored
            if stored == size:
                continue
            prompt = prompts[p.id]
            todo.append(ChunkRequest(
                benchmark=bench_name, problem_id=p.id, chunk_index=j, first_index=first, n=size,
                seed=derive_seed(plan.seed, model.name, bench_name, p.id, j),
                prompt=prompt if isinstance(prompt, str) else "",
                messages=None if isinstance(prompt, str) else prompt))
    units = []
    for s in range(0, len(todo), unit_chunks):
        chunks = tuple(todo[s:s + unit_chunks])
        skip = frozenset(k for c in chunks for k in ((c.problem_id, c.first_index + i) for i in range(c.n))
                         if k in existing)
        units.append(WorkUnit(model.name, bench_name, chunks, skip))
    return units, have
