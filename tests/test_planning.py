"""Planning the sample stage from per-chunk counts (Run.stored_chunks, Run.shard_keys) gives exactly the
plan of the former planner, which held a Python set of every stored key (Run.keys): same chunks to
draw, same samples counted as stored, same work units with the same skipped samples."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary.pipeline import sample_spec
from boundary.sampling.plan import SamplingPlan
from boundary.sampling.stage import plan_units
from boundary.spec import parse_spec
from boundary.store import Run, StoredChunks
from tests.helpers.old_planner import old_plan_units
from tests.test_sample_stage import spec_dict


def assert_same_plan(run, plan, unit_chunks=3):
    index = run.shard_keys("samples")
    plans = 0
    for model in plan.models:
        for bench, problems in plan.benchmarks.items():
            prompts = {p.id: f"question {p.id}" for p in problems}
            want = old_plan_units(run, plan, model, bench, problems, prompts, unit_chunks=unit_chunks)
            for ix in (index, None):                 # the driver's way (one footer index) and standalone
                got = plan_units(run, plan, model, bench, problems, prompts, unit_chunks=unit_chunks, index=ix)
                assert got == want, (model.name, bench)
                assert [u.name for u in got[0]] == [u.name for u in want[0]]
            plans += 1
    return plans


def make_plan(n, chunk, models=("base", "rl"), benchmarks=("aime24", "other"), limit=5):
    base = parse_spec(spec_dict(n=n, chunk=chunk, limit=limit, models=models)).sampling_plan()
    problems = next(iter(base.benchmarks.values()))
    return SamplingPlan(seed=base.seed, n=n, chunk_size=chunk, models=base.models,
                        benchmarks={b: problems for b in benchmarks})


def write_keys(run, rows, *, unit=None):
    t = pa.table({"model": [r[0] for r in rows], "benchmark": [r[1] for r in rows],
                  "problem_id": [r[2] for r in rows], "sample_index": pa.array([r[3] for r in rows], pa.int32())})
    run.write("samples", t, unit=unit)


def test_nothing_stored(tmp_path):
    run = Run.create(tmp_path / "r")
    plan = make_plan(8, 4)
    assert assert_same_plan(run, plan) == 4
    units, have = plan_units(run, plan, plan.models[0], "aime24", plan.benchmarks["aime24"],
                             {p.id: "q" for p in plan.benchmarks["aime24"]}, unit_chunks=3)
    assert have == 0 and sum(u.samples for u in units) == 5 * 8


def test_everything_stored_holes_and_a_partial_chunk(tmp_path):
    spec = parse_spec(spec_dict(n=6, chunk=4, limit=4))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run, batch_chunks=2)
    everything = spec.sampling_plan()
    assert assert_same_plan(run, everything)
    units, have = plan_units(run, everything, everything.models[0], "aime24", everything.benchmarks["aime24"],
                             {}, unit_chunks=2)
    assert units == [] and have == 4 * 6
    # n raised from 6 to 8 with chunk 4: the last chunk of every problem is partial (indices 4, 5 stored)
    raised = parse_spec(spec_dict(n=8, chunk=4, limit=4)).sampling_plan()
    assert assert_same_plan(run, raised, unit_chunks=2)
    stored = run.stored_chunks("samples", "base", "aime24", chunk_size=4, n=8)
    pid = raised.benchmarks["aime24"][0].id
    assert stored.stored(pid, 1) == 2 and stored.indices(pid, 1) == frozenset({4, 5})
    # holes: some shards removed
    for shard in run.shards("samples")[::3]:
        shard.unlink()
    assert assert_same_plan(run, everything)
    assert assert_same_plan(run, raised, unit_chunks=2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_interleaved_models_and_benchmarks_in_shards(tmp_path, seed):
    """Shards that mix models and benchmarks (imports, older writers), with holes, indices beyond n and
    the same sample twice: the counts still give the old plan."""
    rnd = random.Random(seed)
    plan = make_plan(10, 4)
    pids = [p.id for p in plan.benchmarks["aime24"]]
    keys = [(m.name, b, p, i) for m in plan.models for b in plan.benchmarks for p in pids for i in range(12)]
    keys = [k for k in keys if rnd.random() < 0.8]                     # holes
    keys += rnd.sample(keys, 10)                                       # duplicates
    rnd.shuffle(keys)
    run = Run.create(tmp_path / "r")
    for s in range(0, len(keys), 37):
        write_keys(run, keys[s:s + 37])
    # and unit-named shards of one pair each, the way work units write them
    write_keys(run, [("base", "aime24", pids[0], i) for i in range(12)], unit="abc")
    write_keys(run, [("rl", "other", pids[1], i) for i in range(3)], unit="def")
    index = run.shard_keys("samples")
    assert set(index) == {(m.name, b) for m in plan.models for b in plan.benchmarks}
    assert [run.path / "samples" / "part-u-abc.parquet"] == [p for p in index[("base", "aime24")]
                                                            if p.name.startswith("part-u-")]
    for n, chunk in ((10, 4), (8, 4), (12, 4), (10, 3), (1, 1), (16, 16)):
        assert assert_same_plan(run, make_plan(n, chunk), unit_chunks=rnd.choice([1, 2, 5]))


def test_from_keys_matches_the_arrow_counts(tmp_path):
    rnd = random.Random(7)
    keys = [(f"p{p % 4}", rnd.randrange(-2, 14)) for p in range(120)]
    run = Run.create(tmp_path / "r")
    write_keys(run, [("m", "b", p, i) for p, i in keys])
    for n, cs in ((10, 4), (13, 5), (3, 8)):
        assert run.stored_chunks("samples", "m", "b", chunk_size=cs, n=n) == StoredChunks.from_keys(
            keys, chunk_size=cs, n=n)
    with pytest.raises(ValueError, match="chunk_size and n must be >= 1"):
        run.stored_chunks("samples", "m", "b", chunk_size=0, n=4)
