"""Planning from unit names with remembered footers (issue 12, "Scale"): the fast path gives exactly
the per-chunk plan (and the former planner's) on stores with holes, units stored in part, foreign
shards and old runs; the footers file (RUN/footers-samples.parquet) is used only for shards whose
file is unchanged, and planning works when it is missing, damaged or cannot be written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary.pipeline import sample_spec
from boundary.sampling.plan import EngineConfig, ModelPlan, SamplingPlan
from boundary.sampling.seeds import chunk_seeds, derive_seed
from boundary.sampling.stage import plan_units, prepare, sample_unit
from boundary.sampling.types import SamplingParams
from boundary.spec import parse_spec
from boundary.store import Run, ShardIndex
from boundary.store import _footers
from boundary.tasks import Problem
from tests.helpers.old_planner import old_plan_units
from tests.test_sample_stage import spec_dict

DATA = Path(__file__).resolve().parent / "data" / "runs"
FOOTERS = "footers-samples.parquet"


PAST = 1_600_000_000.0


def age(run: Run) -> None:
    """Give every shard one mtime in the past (shards written just now are not remembered): a shard
    rewritten since then keeps that mtime, so only its inode or size tells it apart."""
    for shard in run.shards("samples"):
        os.utime(shard, (PAST, PAST))


def spy_fast_path(monkeypatch) -> list:
    import boundary.sampling.stage as st
    calls: list = []
    real = st._plan_by_unit_names
    monkeypatch.setattr(st, "_plan_by_unit_names", lambda *a, **k: calls.append(r := real(*a, **k)) or r)
    return calls


def count_footer_reads(monkeypatch) -> list:
    reads: list = []
    real = Run._shard_facts
    monkeypatch.setattr(Run, "_shard_facts", lambda self, table, shard: reads.append(shard.name)
                        or real(self, table, shard))
    return reads


def plans(run: Run, plan: SamplingPlan, unit_chunks: int, index=None):
    """(fast or per-chunk plan with the driver's index, per-chunk plan without it, the former planner)
    of every (model, benchmark)."""
    index = run.shard_keys("samples") if index is None else index
    out = []
    for model in plan.models:
        for bench, problems in plan.benchmarks.items():
            prompts = {p.id: f"question {p.id}" for p in problems}
            out.append((plan_units(run, plan, model, bench, problems, prompts, unit_chunks=unit_chunks, index=index),
                        plan_units(run, plan, model, bench, problems, prompts, unit_chunks=unit_chunks),
                        old_plan_units(run, plan, model, bench, problems, prompts, unit_chunks=unit_chunks)))
    return out


def assert_same(run: Run, plan: SamplingPlan, unit_chunks: int, index=None) -> None:
    for fast, counted, old in plans(run, plan, unit_chunks, index):
        assert fast == counted == old
        assert [u.name for u in fast[0]] == [u.name for u in old[0]]


def sampled(tmp_path, *, n=8, chunk=4, limit=4, unit_chunks=2):
    spec = parse_spec(spec_dict(n=n, chunk=chunk, limit=limit))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run, batch_chunks=unit_chunks)
    return run, spec.sampling_plan()


def test_chunk_seeds_are_derive_seed():
    for pid in ("0", "gsm8k-0001", "ünï/cödé", ""):
        assert chunk_seeds(7, "m", "b", pid, 23) == [derive_seed(7, "m", "b", pid, j) for j in range(23)]
    assert chunk_seeds(0, "m", "b", "p", 0) == []


def test_the_fast_path_plans_as_the_per_chunk_path_with_holes_and_partial_units(tmp_path, monkeypatch):
    calls = spy_fast_path(monkeypatch)
    run, plan = sampled(tmp_path)
    age(run)
    assert_same(run, plan, 2)
    assert calls and all(c is not None for c in calls)               # every shard is a whole unit
    assert all(fast == ([], 4 * 8) for fast, _, _ in plans(run, plan, 2))
    shards = run.shards("samples")
    for shard in shards[::3]:                                         # holes: units never drawn
        shard.unlink()
    calls.clear()
    assert_same(run, plan, 2)
    assert calls and all(c is not None for c in calls)
    assert sum(len(fast[0]) for fast, _, _ in plans(run, plan, 2)) == len(shards[::3])
    # a unit stored in part (its engine failed midway): that pair is counted per chunk
    shard = run.shards("samples")[0]
    full = run.read_shard("samples", shard)
    run.write("samples", full.slice(0, 3), name=shard.name)
    calls.clear()
    assert_same(run, plan, 2)
    assert None in calls and any(c is not None for c in calls)
    # another unit size or a raised n: never the fast path's partition, same plan as before
    for other, k in ((plan, 3), (SamplingPlan(plan.seed, 12, plan.chunk_size, plan.models, plan.benchmarks), 2)):
        calls.clear()
        assert_same(run, other, k)


def test_footers_are_remembered_and_read_again_only_for_changed_shards(tmp_path, monkeypatch):
    run, plan = sampled(tmp_path)
    age(run)
    first = run.shard_keys("samples")
    assert (run.path / FOOTERS).is_file()
    reads = count_footer_reads(monkeypatch)
    again = run.shard_keys("samples")
    assert reads == []                                                # every footer remembered
    assert dict(again) == dict(first) and all(again.rows(p) == first.rows(p) for ps in first.values() for p in ps)
    # a unit rewritten in part under its own name (new inode, fewer rows): its footer is read again
    shard = run.shards("samples")[1]
    run.write("samples", run.read_shard("samples", shard).slice(0, 2), name=shard.name)
    age(run)
    index = run.shard_keys("samples")
    assert reads == [shard.name] and index.rows(shard) == 2
    assert_same(run, plan, 2, index)
    reads.clear()
    run.shard_keys("samples")
    assert reads == []                                                # and remembered from then on
    # a shard changed in place (same inode): size and mtime differ, so it is read again
    data = run.read_shard("samples", shard).slice(0, 1)
    with open(shard, "r+b") as f:
        pq.write_table(data, f)
        f.truncate()
    age(run)
    run.shard_keys("samples")
    assert reads == [shard.name] and run.shard_keys("samples").rows(shard) == 1
    # a shard removed: its entry is dropped from the file
    shard.unlink()
    run.shard_keys("samples")
    assert shard.name not in set(pq.read_table(run.path / FOOTERS)["name"].to_pylist())


def test_a_remembered_entry_whose_file_differs_is_never_used(tmp_path, monkeypatch):
    """A forged entry (wrong rows and pair) for a file whose inode, size or mtime differs is ignored."""
    run, plan = sampled(tmp_path)
    age(run)
    run.shard_keys("samples")
    t = pq.read_table(run.path / FOOTERS).to_pylist()
    shard = run.shards("samples")[0]
    for field in ("ino", "size", "mtime_ns"):
        forged = [dict(r, rows=1, model="nobody", **{field: r[field] + 1}) if r["name"] == shard.name else r
                  for r in t]
        pq.write_table(pa.Table.from_pylist(forged, schema=_footers.SCHEMA), run.path / FOOTERS)
        index = run.shard_keys("samples", remember=False)
        assert index.rows(shard) == 8 and ("nobody", "aime24") not in index
        assert_same(run, plan, 2, index)


def test_recent_shards_are_not_remembered(tmp_path):
    run = Run.create(tmp_path / "r")
    for u in ("a", "b", "c"):                                         # written just now, not by the stage
        run.write("samples", pa.table({"model": ["m"] * 2, "benchmark": ["b"] * 2, "problem_id": [u] * 2,
                                       "sample_index": [0, 1]}), unit=u)
    index = run.shard_keys("samples")
    assert sum(len(v) for v in index.values()) == len(run.shards("samples"))
    assert not (run.path / FOOTERS).exists()                         # nothing to remember yet
    age(run)
    run.shard_keys("samples")
    assert pq.read_table(run.path / FOOTERS).num_rows == len(run.shards("samples"))


@pytest.mark.parametrize("damage", [b"", b"not parquet", "other schema"])
def test_a_damaged_footers_file_is_ignored_and_rewritten(tmp_path, damage):
    run, plan = sampled(tmp_path)
    age(run)
    want = {k: list(v) for k, v in run.shard_keys("samples").items()}
    path = run.path / FOOTERS
    if damage == "other schema":
        pq.write_table(pa.table({"name": ["x"], "rows": [1]}), path)
    else:
        path.write_bytes(damage)
    assert {k: list(v) for k, v in run.shard_keys("samples").items()} == want
    assert pq.read_table(path).schema.equals(_footers.SCHEMA)
    assert_same(run, plan, 2)


def test_planning_works_when_the_footers_file_cannot_be_written(tmp_path, monkeypatch):
    import boundary.store.run as store_run
    run, plan = sampled(tmp_path)
    age(run)

    def read_only(path, data):
        raise PermissionError(13, "Read-only file system", str(path))

    (run.path / FOOTERS).unlink()
    monkeypatch.setattr(store_run, "atomic_write_bytes", read_only)
    assert_same(run, plan, 2)
    run.note_shard("samples", run.shards("samples")[0])
    run.save_notes()
    assert not (run.path / FOOTERS).exists()


def test_shard_index_rows_names_a_foreign_path(tmp_path):
    run, _ = sampled(tmp_path)
    index = run.shard_keys("samples")
    assert isinstance(index, ShardIndex)
    with pytest.raises(KeyError, match="not a shard of this index"):
        index.rows(tmp_path / "part-u-nothing.parquet")


def test_an_old_run_plans_per_chunk_and_remembers_its_footers(tmp_path):
    """A run written before unit names (random shard names) is planned per chunk, as before."""
    run_dir = tmp_path / "run"
    shutil.copytree(DATA / "v0.1-demo", run_dir)
    run = Run(run_dir)
    age(run)
    problems: dict[str, list[Problem]] = {}
    for b, p in zip(*run.read("problems", ["benchmark", "problem_id"]).to_pydict().values()):
        problems.setdefault(b, []).append(Problem(b, p, "q", "0"))
    models = tuple(ModelPlan.of(EngineConfig(name=m, backend="tiny"), SamplingParams(), chunk_size=4)
                   for m in run.models)
    for n, chunk in ((8, 4), (8, 8), (12, 4), (10, 3)):
        plan = SamplingPlan(seed=0, n=n, chunk_size=chunk, models=models, benchmarks=problems)
        assert_same(run, plan, 2)
    assert (run_dir / FOOTERS).is_file()
    stored = sum(fast[1] for fast, _, _ in plans(run, SamplingPlan(0, 8, 4, models, problems), 2))
    assert stored == run.row_count("samples") > 0


def test_prepare_renders_prompts_only_for_the_chunks_to_draw(tmp_path, monkeypatch):
    import boundary.sampling.stage as st
    run, plan = sampled(tmp_path, limit=3)
    age(run)
    rendered: list = []
    real = st.render_prompt
    monkeypatch.setattr(st, "render_prompt", lambda t, p: rendered.append(p.id) or real(t, p))
    work = prepare(run, plan, unit_chunks=2)
    assert rendered == [] and all(w.units == [] for w in work)
    run.shards("samples")[0].unlink()
    work = prepare(run, plan, unit_chunks=2)
    units = [u for w in work for u in w.units]
    assert len(units) == 1 and sorted(set(rendered)) == sorted({c.problem_id for c in units[0].chunks})
    assert all(c.prompt == real(work[0].template, next(p for p in plan.benchmarks["aime24"] if p.id == c.problem_id))
               for c in units[0].chunks)
    assert units[0].name == sample_unit(units[0].model, units[0].benchmark, units[0].chunks)


def test_the_driver_notes_the_shards_its_units_store(tmp_path, monkeypatch):
    """Shards the stage stored are in the footers file when it ends (so a resumed plan reads no footer
    of them), with their rows as their footers give them; a unit stored in part is read again."""
    run, plan = sampled(tmp_path)
    shards = run.shards("samples")
    t = pq.read_table(run.path / FOOTERS)
    assert sorted(t["name"].to_pylist()) == sorted(p.name for p in shards)
    assert set(t["rows"].to_pylist()) == {8} and set(t["model"].to_pylist()) == {"base", "rl"}
    reads = count_footer_reads(monkeypatch)
    calls = spy_fast_path(monkeypatch)
    assert_same(run, plan, 2)
    assert reads == [] and calls and all(c is not None for c in calls)
    shard = shards[0]
    run.write("samples", run.read_shard("samples", shard).slice(0, 3), name=shard.name)   # a failed engine
    index = run.shard_keys("samples")
    assert reads == [shard.name] and index.rows(shard) == 3
    assert_same(run, plan, 2, index)


def test_noting_a_missing_or_damaged_shard_is_skipped(tmp_path):
    run, _ = sampled(tmp_path)
    (run.path / "samples" / "part-u-broken.parquet").write_bytes(b"PAR1 not really")
    run.note_shard("samples", run.path / "samples" / "part-u-gone.parquet")
    run.note_shard("samples", run.path / "samples" / "part-u-broken.parquet")
    run.save_notes()
    assert not {"part-u-gone.parquet", "part-u-broken.parquet"} & set(
        pq.read_table(run.path / FOOTERS)["name"].to_pylist())
