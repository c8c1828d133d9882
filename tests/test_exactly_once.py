"""Exactly once by names (every executor): a shard's name is a function of its work unit, so a unit
that runs twice — a worker that died after writing but before reporting, a retried task — replaces
its own shard instead of adding a second copy; verdict shards are named after the samples shard
they grade; temporary files name their host and process and are swept by owner or by age."""

import os
import shutil
import socket
import time

import pyarrow as pa
import pytest

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary.pipeline import sample_spec
from boundary.sampling.stage import sample_unit
from boundary.spec import parse_spec
from boundary.store import Run
from boundary.store.run import _HOST, _temp_name
from boundary.verify import MathVerifyConfig, verify_run
from tests.test_sample_stage import spec_dict

CONFIG = MathVerifyConfig(workers=1)


def _keys(run, table):
    t = run.read(table, ["model", "benchmark", "problem_id", "sample_index"])
    return list(zip(*(t[c].to_pylist() for c in t.column_names)))


def test_sample_shards_are_named_by_their_unit_and_a_rerun_unit_replaces_its_shard(tmp_path):
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=3))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run, batch_chunks=2)
    shards = run.shards("samples")
    assert shards and all(p.name.startswith("part-u-") for p in shards)
    keys = _keys(run, "samples")
    assert len(keys) == len(set(keys)) == 2 * 3 * 8
    # the same unit run again (a retried task whose first attempt had stored its shard): same name,
    # so the second write replaces the first
    first = shards[0]
    again = run.read_shard("samples", first)
    run.write("samples", again, unit=first.name.removeprefix("part-u-").removesuffix(".parquet"))
    assert run.shards("samples") == shards
    keys = _keys(run, "samples")
    assert len(keys) == len(set(keys))
    # the unit name is a function of the unit only
    from boundary.sampling.types import ChunkRequest
    chunks = [ChunkRequest("b", "p1", 0, 0, 4, 123, "x"), ChunkRequest("b", "p2", 1, 4, 4, 456, "y")]
    assert sample_unit("m", "b", chunks) == sample_unit("m", "b", list(chunks))
    assert sample_unit("m", "b", chunks) != sample_unit("m", "b", chunks[:1])
    assert sample_unit("m", "b", chunks) != sample_unit("other", "b", chunks)


def test_verdict_shards_are_named_after_their_samples_shard(tmp_path):
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=3))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run, batch_chunks=2)
    s = verify_run(run, CONFIG)
    assert s.verified == 48
    assert sorted(p.name for p in run.shards("verdicts")) == sorted(p.name for p in run.shards("samples"))
    for shard in run.shards("samples"):                       # row for row
        assert run.shard_rows(run.path / "verdicts" / shard.name) == run.shard_rows(shard)
    again = verify_run(run, CONFIG)
    assert again.verified == 0 and again.skipped == 48


def test_a_samples_shard_rewritten_with_more_rows_is_graded_again_without_duplicates(tmp_path):
    """A unit's first attempt stored part of its chunks, was graded, then the retry stored them all."""
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=2, models=("base",)))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run, batch_chunks=100)                  # one unit, one shard
    (shard,) = run.shards("samples")
    full = run.read_shard("samples", shard)
    unit = shard.name.removeprefix("part-u-").removesuffix(".parquet")
    run.write("samples", full.slice(0, 5), unit=unit)        # the first attempt: 5 of 16 rows
    assert verify_run(run, CONFIG).verified == 5
    run.write("samples", full, unit=unit)                     # the retry: all 16 rows, same name
    s = verify_run(run, CONFIG)
    assert s.verified == 16                                   # the shard is graded whole again ...
    keys = _keys(run, "verdicts")
    assert len(keys) == len(set(keys)) == 16                  # ... and its verdict shard replaced
    assert run.counts()["n"].to_pylist() == [8, 8]


def test_legacy_verdict_shards_still_count(tmp_path):
    """Verdicts written before shards were named (random names) are honoured: nothing graded twice."""
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=2, models=("base",)))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    sample_spec(spec, run)
    verify_run(run, CONFIG)
    (v,) = run.shards("verdicts")
    legacy = run.read_shard("verdicts", v)
    v.unlink()
    run.write("verdicts", legacy.slice(0, 10))               # an old-style shard with 10 of 16 verdicts
    s = verify_run(run, CONFIG)
    assert s.verified == 6 and s.skipped == 10
    keys = _keys(run, "verdicts")
    assert len(keys) == len(set(keys)) == 16
    assert verify_run(run, CONFIG).verified == 0              # the mixed shard now counts as graded


def test_temporaries_are_swept_by_owner_and_by_age(tmp_path):
    run = Run.create(tmp_path / "r")
    d = run.path / "samples"
    d.mkdir()
    mine = d / _temp_name("part-u-a.parquet")                 # this process: being written
    dead = d / f".part-u-b.parquet.{_HOST}.999999999.abcd1234.tmp"          # this host, process gone
    other = d / ".part-u-c.parquet.otherhost.1234.abcd1234.tmp"            # shared storage, fresh
    old_other = d / ".part-u-d.parquet.otherhost.1234.abcd1234.tmp"        # shared storage, abandoned
    legacy = d / ".part-0001-x.parquet.999999999.tmp"                      # pre-host name, process gone
    for f in (mine, dead, other, old_other, legacy):
        f.write_bytes(b"x")
    past = time.time() - 7 * 3600
    os.utime(old_other, (past, past))
    assert run.remove_stale_temporaries() == 3
    assert mine.exists() and other.exists()
    assert not dead.exists() and not old_other.exists() and not legacy.exists()
    assert run.remove_stale_temporaries(max_age_s=0) == 1     # an explicit age sweeps the fresh one too
    assert mine.exists() and not other.exists()
    assert _HOST and "." not in _HOST and len(_HOST) <= 63 and socket.gethostname()


def test_a_unit_name_must_be_a_plain_word(tmp_path):
    run = Run.create(tmp_path / "r")
    with pytest.raises(ValueError, match="unit name"):
        run.write("samples", pa.table({"model": ["m"]}), unit="../evil")
    with pytest.raises(ValueError, match="file name"):
        run.write("samples", pa.table({"model": ["m"]}), name="part-x/../../y.parquet")
    shutil.rmtree(run.path / "samples", ignore_errors=True)


def test_planning_from_unit_names_and_its_fallback(tmp_path, monkeypatch):
    """A run whose shards are all whole units of the fixed partition is planned from names and
    footers; a unit stored in part, or a foreign shard (an older run's random name), sends planning
    back to counting per chunk, which draws only the missing samples."""
    import boundary.sampling.stage as st
    calls = []
    real = st._plan_by_unit_names
    monkeypatch.setattr(st, "_plan_by_unit_names", lambda *a, **k: calls.append(r := real(*a, **k)) or r)
    spec = parse_spec(spec_dict(n=8, chunk=4, limit=3, models=("base",)))
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    first = sample_spec(spec, run, batch_chunks=2)
    assert first.new_samples == 24 and calls and calls[-1] is not None
    shards = run.shards("samples")
    shards[1].unlink()                                         # a unit never drawn
    again = sample_spec(spec, run, batch_chunks=2)
    assert calls[-1] is not None and again.new_samples == 8 and again.skipped_samples == 16
    shard = run.shards("samples")[0]
    full = run.read_shard("samples", shard)
    run.write("samples", full.slice(0, 3), name=shard.name)   # an engine failed after 3 of its samples
    again = sample_spec(spec, run, batch_chunks=2)
    assert calls[-1] is None and again.new_samples == full.num_rows - 3
    keys = _keys(run, "samples")
    assert len(keys) == len(set(keys)) == 24
