"""The typed manifest: old runs read and round-trip without losing keys, the JSON Schema validates
what the writers produce, a malformed manifest fails with the field and the file named, and the
store's accessors read what modules used to read from the files."""

from __future__ import annotations

import copy
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from boundary.errors import StoreError
from boundary.store import (
    FORMAT_VERSION,
    ImportRecord,
    Manifest,
    Run,
    SamplingRecord,
    StageRecord,
    manifest_schema,
)
from boundary.store.manifest import manifest_dict, parse_manifest

#: The shape today's writers produce (Run.create, the sample, verify, guess, judge, perplexity,
#: analyze and report stages, both importers), with a key from an earlier version (stages.verify.
#: verifier) and keys no version knows, which must survive a read and a write.
OLD = {
    "format": "boundary-run",
    "version": 1,
    "boundary_version": "0.1.0",
    "created": "2026-12-05T22:56:45+00:00",
    "updated": "2026-12-05T22:56:55+00:00",
    "spec": {"run": None, "seed": 0, "template": "qwen-boxed",
             "models": [{"name": "base", "backend": "fake", "path": "none", "template": None, "step": None}],
             "sampling": {"n": 8, "temperature": 0.6, "stop": []}, "judge": None},
    "models": ["base", "rl@step50", "imported"],
    "benchmarks": ["aime24"],
    "imports": [
        {"kind": "counts", "file": "/data/counts.csv", "sha256": "ab" * 32, "rows": 12},
        {"kind": "paper-jsonl", "file": "/data/p.jsonl", "sha256": "cd" * 32, "model": "imported",
         "benchmark": "aime24", "problems": 3, "samples": 24},
    ],
    "stages": {
        "sample": {"completed": "2026-12-05T22:56:51+00:00", "samples": 80},
        "verify": {"completed": "2026-12-05T22:56:51+00:00", "verifiers": {"math": "math-verify 0.7"},
                   "verified": 80, "complete": True, "unresolved_errors": 0, "verifier": "old-name"},
        "guess": {"completed": "2026-12-05T22:57:00+00:00", "run": "/runs/r/guess", "threshold": 0.05},
        "judge": {"completed": "2026-12-05T22:58:00+00:00", "judge": "j#1234", "judged": 10},
        "perplexity:base": {"completed": "2026-12-05T22:59:00+00:00", "engine": "transformers 4.1", "scored": 40},
        "analyze": {"completed": "2026-12-05T23:00:00+00:00", "summary": "/runs/r/analysis/summary.json"},
        "report": {"completed": "2026-12-05T23:01:00+00:00", "index": "/runs/r/report/index.html",
                   "future_stage_key": [1, 2]},
    },
    "model_info": {
        "base": {"group": "base", "path": "none", "temperature": 0.6},
        "rl@step50": {"group": "rl", "step": 50, "path": "/ckpt/global_step_50", "temperature": 0.6},
    },
    "sampling": {
        "base": {
            "fingerprint": "fb3be259757e7f07", "seed": 0,
            "params": {"temperature": 0.6, "top_p": 0.95, "max_tokens": 64, "chunk_size": 4,
                       "logprobs": False, "stop": []},
            "n": 8,
            "template": {"name": "qwen-boxed", "kind": "text", "fingerprint": "5052ba8126623888",
                         "text": "{question}\nPlease reason step by step.", "source": None},
            "engine": {"backend": "fake", "version": "1", "pid": 7076},
            "model": {"name": "base", "backend": "fake", "path": "none", "template": None},
        },
    },
    "judges": {"j#1234": {"spec": {"model": {"name": "judge"}, "votes": 3}, "engine": {"backend": "fake"}}},
    "a_key_from_the_future": {"kept": True},
}


def write_run(path, manifest):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return Run(path)


def test_an_old_manifest_reads_with_types_and_round_trips_every_key(tmp_path):
    run = write_run(tmp_path / "r", OLD)
    m = run.read_manifest()
    assert isinstance(m, Manifest) and m.version == 1
    assert m.models == ["base", "rl@step50", "imported"]
    assert m.sampling["base"].n == 8 and m.sampling["base"].template.fingerprint == "5052ba8126623888"
    assert m.imports[1] == ImportRecord(kind="paper-jsonl", file="/data/p.jsonl", sha256="cd" * 32,
                                        model="imported", benchmark="aime24", problems=3, samples=24)
    assert m.stages["guess"].threshold == 0.05 and m.stages["verify"].verifiers == {"math": "math-verify 0.7"}
    assert m.model_extra == {"a_key_from_the_future": {"kept": True}}
    assert m.stages["report"].model_extra == {"future_stage_key": [1, 2]}
    # the JSON view is the file, key for key
    assert run.manifest == OLD
    # a write through the store keeps every key it does not touch
    run.add_models(["distill"])
    after = json.loads((tmp_path / "r" / "manifest.json").read_text())
    expected = copy.deepcopy(OLD)
    expected["models"].append("distill")
    expected["updated"] = after["updated"]
    assert after == expected


def test_a_minimal_old_manifest_takes_defaults(tmp_path):
    run = write_run(tmp_path / "r", {"format": "boundary-run", "version": 1, "models": ["m"], "benchmarks": ["b"]})
    m = run.read_manifest()
    assert (m.spec, m.imports, m.stages, m.sampling, m.model_info, m.judges) == ({}, [], {}, {}, {}, {})
    assert run.sampling_record("m") is None and run.stage("verify") is None
    assert run.model_steps() == {} and run.spec == {}
    run.mark_stage("analyze", summary="s.json")     # a manifest without "stages" gains one
    assert run.stage("analyze").summary == "s.json"
    assert sorted(run.manifest) == ["benchmarks", "format", "models", "stages", "updated", "version"]


def test_accessors_read_the_manifest(tmp_path):
    run = write_run(tmp_path / "r", OLD)
    rec = run.sampling_record("base")
    assert isinstance(rec, SamplingRecord) and rec.params["top_p"] == 0.95 and rec.model["path"] == "none"
    assert list(run.sampling_records()) == ["base"]
    assert run.sampling_record("imported") is None
    st = run.stage("perplexity:base")
    assert isinstance(st, StageRecord) and st.engine == "transformers 4.1" and st.scored == 40
    assert list(run.judge_records()) == ["j#1234"] and run.judge_records()["j#1234"].spec["votes"] == 3
    assert run.model_steps() == {"rl@step50": 50}
    assert run.model_groups() == {"base": "base", "rl@step50": "rl"}
    assert run.model_temperatures() == {"base": 0.6, "rl@step50": 0.6}
    assert run.model_info()["rl@step50"] == OLD["model_info"]["rl@step50"]
    assert run.spec["template"] == "qwen-boxed"
    with pytest.raises(ValueError, match="frozen"):          # frozen value objects
        rec.n = 3  # type: ignore[misc]


def test_typed_writers(tmp_path):
    run = Run.create(tmp_path / "r")
    run.add_import(ImportRecord(kind="counts", file="/f.csv", sha256="00", rows=2))
    run.add_import({"kind": "paper-jsonl", "file": "/p.jsonl", "model": "m", "samples": 4})
    assert [i.kind for i in run.read_manifest().imports] == ["counts", "paper-jsonl"]
    assert run.manifest["imports"][0] == {"kind": "counts", "file": "/f.csv", "sha256": "00", "rows": 2}
    run.record_sampling("m", {"fingerprint": "f", "seed": 0, "n": 16, "params": {"temperature": 1.0},
                              "template": {"name": "t", "fingerprint": "x"}, "engine": {"backend": "fake"},
                              "model": {"name": "m"}})
    run.record_sampling("m", SamplingRecord(fingerprint="f", seed=0, n=8))   # lowering n never forgets
    assert run.sampling_record("m").n == 16
    run.record_judge("j#1", spec={"votes": 1})
    run.record_judge("j#1", spec={"votes": 1}, engine={"backend": "fake"})
    run.record_judge("j#1", spec={"votes": 2})
    assert run.judge_records()["j#1"].engine == {"backend": "fake"}
    assert run.judge_records()["j#1"].spec == {"votes": 2}
    with pytest.raises(StoreError, match=r"ImportRecord field 'rows'.*'many'"):
        run.add_import({"kind": "counts", "rows": "many"})
    with pytest.raises(StoreError, match=r"field 'stages.verify.verified'.*not written"):
        run.mark_stage("verify", verified="all")
    assert run.stage("verify") is None and len(run.read_manifest().imports) == 2


@pytest.mark.parametrize("change, field, got", [
    (lambda m: m.update(models="base"), "models", "'base'"),
    (lambda m: m["sampling"]["base"].update(n="eight"), "sampling.base.n", "'eight'"),
    (lambda m: m["model_info"]["rl@step50"].update(step="fifty"), "model_info.rl@step50.step", "'fifty'"),
    (lambda m: m["imports"][0].pop("kind"), "imports.0.kind", ""),
    (lambda m: m.update(stages=[]), "stages", "[]"),
])
def test_a_malformed_manifest_names_the_field_and_the_file(tmp_path, change, field, got):
    bad = copy.deepcopy(OLD)
    change(bad)
    d = tmp_path / "r"
    d.mkdir()
    (d / "manifest.json").write_text(json.dumps(bad))
    with pytest.raises(StoreError) as e:
        Run(d)
    msg = str(e.value)
    assert str(d / "manifest.json") in msg and f"field '{field}'" in msg and got in msg
    assert "restore the field" in msg


@pytest.mark.parametrize("data, words", [
    ({**OLD, "format": "something-else"}, ["field 'format'", "'something-else'", "boundary-run"]),
    ({k: v for k, v in OLD.items() if k != "format"}, ["field 'format'", "None"]),
    ({**OLD, "version": FORMAT_VERSION + 1}, [f"version {FORMAT_VERSION + 1}", "Upgrade boundary"]),
    ({**OLD, "version": "1"}, ["field 'version'", "'1'"]),
    ([1, 2], ["JSON list", "not a boundary run manifest"]),
])
def test_a_manifest_of_another_format_or_version_is_refused(tmp_path, data, words):
    d = tmp_path / "r"
    d.mkdir()
    (d / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(StoreError) as e:
        Run(d)
    assert str(d / "manifest.json") in str(e.value)
    for w in words:
        assert w in str(e.value)


def _real_run(tmp_path) -> Run:
    """A run written by Run.create and the store's writers, the way the stages call them."""
    run = Run.create(tmp_path / "r", spec={"seed": 0, "models": [{"name": "base"}]})
    run.add_models(["base", "rl@step50"])
    run.add_benchmarks(["aime24"])
    run.set_model_info({"base": {"group": "base", "step": None, "path": "none", "temperature": 0.6},
                        "rl@step50": {"group": "rl", "step": 50, "path": "/c", "temperature": 1.0}})
    run.update_manifest(lambda m: m.setdefault("sampling", {}).update(base=OLD["sampling"]["base"]))
    run.record_sampling("rl@step50", OLD["sampling"]["base"])
    run.add_import(ImportRecord(kind="counts", file="/f.csv", sha256="00", rows=2))
    run.mark_stage("sample", samples=80)
    run.mark_stage("verify", verifiers={"math": "v"}, verified=80, complete=True, unresolved_errors=0)
    run.mark_stage("guess", run=str(tmp_path / "r" / "guess"), threshold=0.05)
    run.record_judge("j#1", spec={"votes": 1}, engine={"backend": "fake"})
    run.mark_stage("judge", judge="j#1", judged=3)
    run.mark_stage("perplexity:base", engine="transformers", scored=4)
    run.mark_stage("analyze", summary="s.json")
    run.mark_stage("report", index="index.html")
    return run


def test_the_schema_validates_real_and_old_manifests(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = manifest_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    run = _real_run(tmp_path)
    on_disk = json.loads((run.path / "manifest.json").read_text())
    validator.validate(on_disk)
    validator.validate(OLD)
    errors = {e.json_path for e in validator.iter_errors({**OLD, "models": "base"})}
    assert errors == {"$.models"}
    bad = copy.deepcopy(OLD)
    bad["sampling"]["base"]["n"] = "eight"
    assert [e.json_path for e in validator.iter_errors(bad)] == ["$.sampling.base.n"]
    assert not validator.is_valid({**OLD, "format": "other"})
    # the schema documents the fields
    assert "first is the default reference" in schema["properties"]["models"]["description"]


def test_the_model_and_the_file_agree(tmp_path):
    run = _real_run(tmp_path)
    on_disk = json.loads((run.path / "manifest.json").read_text())
    assert manifest_dict(parse_manifest(on_disk)) == on_disk == run.manifest
    assert list(on_disk)[:10] == ["format", "version", "boundary_version", "created", "updated", "spec",
                                  "models", "benchmarks", "imports", "stages"]
    assert on_disk["model_info"]["base"] == {"group": "base", "path": "none", "temperature": 0.6}


def test_iter_batches_streams_shard_by_shard_with_filters_and_old_shards(tmp_path):
    run = Run.create(tmp_path / "r")
    for s in range(3):
        run.write("samples", pa.Table.from_pylist([
            {"model": m, "benchmark": "b", "problem_id": f"p{s}", "sample_index": i, "text": f"{m}{s}{i}",
             "completion_tokens": i, "logprob_sum": -1.0 * i}
            for m in ("a", "b") for i in range(5)]))
    # a shard written before logprob_sum existed
    old = pa.table({"model": ["a"], "benchmark": ["b"], "problem_id": ["p9"], "sample_index": pa.array([0], pa.int32()),
                    "text": ["old"]})
    pq.write_table(old, tmp_path / "r" / "samples" / "part-99999999999999999999-old.parquet")
    rows = [r for b in run.iter_batches("samples", ["problem_id", "sample_index", "logprob_sum"], batch_size=2,
                                        filter=pc.field("model") == "a")
            for r in b.to_pylist()]
    assert [(r["problem_id"], r["sample_index"]) for r in rows] == \
        [(f"p{s}", i) for s in range(3) for i in range(5)] + [("p9", 0)]
    assert rows[-1]["logprob_sum"] is None
    assert all(b.num_rows <= 2 for b in run.iter_batches("samples", ["text"], batch_size=2))
    # the same rows, in the same order, as the whole-table reader
    whole = run.read("samples", ["model", "problem_id", "sample_index", "text"])
    streamed = pa.Table.from_batches(list(run.iter_batches("samples", ["model", "problem_id", "sample_index",
                                                                         "text"], batch_size=3)))
    assert streamed.equals(whole)
    assert list(run.batches("samples", ["text"])) == list(run.iter_batches("samples", ["text"], batch_size=256))
    shards = list(run.iter_shards("samples", ["problem_id"]))
    assert [t.num_rows for t in shards] == [10, 10, 10, 1]
    assert run.row_count("samples") == 31 and run.row_count("verdicts") == 0
    assert list(run.iter_batches("verdicts", ["status"])) == []
    assert Run.is_run(tmp_path / "r") and not Run.is_run(tmp_path) and not Run.is_run(None)


def test_a_damaged_shard_is_named(tmp_path):
    run = Run.create(tmp_path / "r")
    (tmp_path / "r" / "samples").mkdir()
    (tmp_path / "r" / "samples" / "part-0.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="part-0.parquet"):
        list(run.iter_batches("samples", ["text"]))
    with pytest.raises(StoreError, match="part-0.parquet"):
        list(run.iter_shards("samples", ["text"]))
