"""boundary export: samples, verdicts and problems joined, written as JSON Lines, Parquet or a `datasets`
dataset; the round trip gives back Run.counts() and the texts."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boundary.errors import BoundaryError, StoreError
from boundary.store import Run
from boundary.store.export import COUNT_ROWS, FORMATS, SAMPLE_ROWS, export_run

KEY = ["model", "benchmark", "problem_id", "sample_index"]


def _rows(model, benchmark, pid, n, correct, *, offset=0):
    """Samples and verdicts of one problem: ``correct`` of its ``n`` samples are correct."""
    samples = {"model": [model] * n, "benchmark": [benchmark] * n, "problem_id": [pid] * n,
               "sample_index": list(range(offset, offset + n)),
               "text": [f"{model}/{pid}/{i} — ∑ é 数学" for i in range(offset, offset + n)],
               "finish_reason": ["stop"] * n, "completion_tokens": [10 + i for i in range(n)], "seed": [7] * n}
    verdicts = {k: samples[k] for k in KEY}
    verdicts["status"] = ["correct"] * correct + ["wrong"] * (n - correct)
    verdicts["verifier"] = ["math-1"] * n
    return pa.table(samples), pa.table(verdicts)


@pytest.fixture
def run(tmp_path):
    """Two models on two benchmarks: a sampled model whose verdict shards are named after their samples
    shards (the verify stage's way), an imported one whose verdict shards are named otherwise (the paper
    importer's), and one sample without a verdict."""
    r = Run.create(tmp_path / "run")
    r.add_models(["base", "rl"])
    r.add_benchmarks(["aime", "math"])
    r.write("problems", pa.table({"benchmark": ["aime", "aime", "math"], "problem_id": ["a1", "a2", "m1"],
                                  "question": ["1+1?", "2+2?", "∫x dx?"], "reference": ["2", "4", "x^2/2"]}))
    # base: one samples shard per unit, its verdicts in the shard of the same name
    for unit, (b, p, n, c) in enumerate([("aime", "a1", 8, 3), ("aime", "a2", 8, 0), ("math", "m1", 4, 4)]):
        s, v = _rows("base", b, p, n, c)
        shard = r.write("samples", s, unit=f"u{unit}")
        r.write("verdicts", v, name=shard.name)
    # rl: imported, samples and verdicts in separately named shards, two flushes
    for p, n, c in [("a1", 8, 8), ("a2", 8, 1)]:
        s, v = _rows("rl", "aime", p, n, c)
        r.write("samples", s)
        r.write("verdicts", v)
    s, _ = _rows("rl", "math", "m1", 3, 0)           # sampled, not verified yet
    r.write("samples", s)
    return r


def _counts(table: pa.Table) -> dict:
    return {(r["model"], r["benchmark"], r["problem_id"]): (r["n"], r["correct"]) for r in table.to_pylist()}


def _per_problem(rows: list[dict]) -> dict:
    got: dict = {}
    for r in rows:
        if r["status"] is None:
            continue
        n, c = got.get((r["model"], r["benchmark"], r["problem_id"]), (0, 0))
        got[(r["model"], r["benchmark"], r["problem_id"])] = (n + 1, c + bool(r["correct"]))
    return got


def _load(fmt, out) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    if fmt == "parquet":
        return pq.read_table(out).to_pylist()
    datasets = pytest.importorskip("datasets")
    return datasets.load_from_disk(str(out)).to_list()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_the_runs_counts_and_texts(run, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    seen = []
    s = export_run(run, fmt, out, batch_size=3, progress=seen.append, total=lambda n: seen.insert(0, ("total", n)))
    rows = _load(fmt, out)
    assert s.rows == len(rows) == run.row_count("samples") == 39
    assert _per_problem(rows) == _counts(run.counts())
    texts = {tuple(r[k] for k in KEY): r["text"] for r in rows}
    stored = run.samples([*KEY, "text"]).to_pylist()
    assert texts == {tuple(r[k] for k in KEY): r["text"] for r in stored}
    assert list(rows[0]) == SAMPLE_ROWS.names
    one = next(r for r in rows if r["model"] == "base" and r["problem_id"] == "m1")
    assert (one["question"], one["reference"], one["status"], one["correct"], one["verifier"]) == \
        ("∫x dx?", "x^2/2", "correct", True, "math-1")
    unverified = [r for r in rows if r["model"] == "rl" and r["problem_id"] == "m1"]
    assert len(unverified) == 3 and all(r["status"] is None and r["correct"] is None for r in unverified)
    # within a shard, samples keep their order
    a1 = [r["sample_index"] for r in rows if r["model"] == "base" and r["problem_id"] == "a1"]
    assert a1 == list(range(8))
    assert seen[0] == ("total", 39) and sum(seen[1:]) == 39
    assert s.models == ["base", "rl"] and s.benchmarks == ["aime", "math"] and s.what == "samples"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []     # no temporary left


def test_filters_keep_only_the_selected_model_and_benchmark(run, tmp_path):
    out = tmp_path / "rl.parquet"
    seen = []
    s = export_run(run, "parquet", out, models=["rl"], benchmarks=["aime"], progress=seen.append)
    rows = pq.read_table(out).to_pylist()
    assert {(r["model"], r["benchmark"]) for r in rows} == {("rl", "aime")}
    assert len(rows) == s.rows == 16
    assert _per_problem(rows) == {k: v for k, v in _counts(run.counts()).items() if k[:2] == ("rl", "aime")}
    assert s.models == ["rl"] and s.benchmarks == ["aime"]


def test_a_counts_only_run_exports_its_counts(tmp_path):
    from boundary.importers import import_counts
    csv = tmp_path / "c.csv"
    csv.write_text("problem_id,model,n,correct\np1,base,16,3\np2,base,16,0\np1,rl,16,16\n")
    import_counts(csv, tmp_path / "run", benchmark="aime")
    run = Run(tmp_path / "run")
    s = export_run(run, "jsonl", tmp_path / "c.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert s.what == "counts" and "no samples" in s.reason and s.rows == 3
    assert list(rows[0]) == COUNT_ROWS.names
    assert {(r["model"], r["benchmark"], r["problem_id"]): (r["n"], r["correct"]) for r in rows} == \
        _counts(run.counts())


def test_counts_flag_and_models_with_counts_only_are_named(run, tmp_path):
    csv = tmp_path / "c.csv"
    csv.write_text("problem_id,model,n,correct\na1,sft,16,5\n")
    from boundary.importers import import_counts
    import_counts(csv, run, benchmark="aime")
    s = export_run(run, "parquet", tmp_path / "s.parquet")
    assert s.counts_only == ["sft"] and "sft" not in s.models
    c = export_run(run, "parquet", tmp_path / "c.parquet", counts=True)
    t = pq.read_table(tmp_path / "c.parquet")
    assert c.what == "counts" and _counts(t) == _counts(run.counts())
    # rl has no verdict on m1 yet, so Run.counts() (and the export) have only base there
    assert t.filter(pa.compute.equal(t["problem_id"], "m1"))["question"].to_pylist() == ["∫x dx?"]
    assert "sft" in c.models


@pytest.mark.parametrize("kwargs, message", [
    ({"to": "csv"}, "unknown export format 'csv'; choose one of hf, jsonl, parquet"),
    ({"to": "jsonl", "models": ["sft"]}, "model 'sft' is not in the run"),
    ({"to": "jsonl", "benchmarks": ["gsm8k"]}, "its benchmarks are aime, math"),
])
def test_errors_name_the_value_and_the_choices(run, tmp_path, kwargs, message):
    with pytest.raises(BoundaryError, match=message):
        export_run(run, out=tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_an_existing_output_needs_force_and_is_replaced_whole(run, tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text("old\n")
    with pytest.raises(BoundaryError, match="exists; .* --force"):
        export_run(run, "jsonl", out)
    assert out.read_text() == "old\n"
    export_run(run, "jsonl", out, force=True)
    assert len(out.read_text().splitlines()) == 39
    d = tmp_path / "notes"
    d.mkdir()
    (d / "keep.txt").write_text("mine")
    with pytest.raises(BoundaryError, match="holds no saved dataset"):
        export_run(run, "hf", d, force=True)
    assert (d / "keep.txt").read_text() == "mine"


def test_two_verdicts_of_one_sample_are_refused(run, tmp_path):
    _, v = _rows("rl", "aime", "a1", 1, 0)
    run.write("verdicts", v)
    with pytest.raises(StoreError, match="2 verdicts for the sample .*'a1'"):
        export_run(run, "parquet", tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


def test_a_run_with_nothing_to_export_says_so(tmp_path):
    run = Run.create(tmp_path / "run")
    with pytest.raises(StoreError, match="nothing to export"):
        export_run(run, "jsonl", tmp_path / "x.jsonl")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_cli_exports_and_errors_are_one_line_with_exit_code_2(run, tmp_path):
    out = tmp_path / "e.parquet"
    r = _cli("export", run.path, "--to", "parquet", "--out", out, "--model", "base")
    assert r.returncode == 0, r.stderr
    assert "exported 20 rows (samples) of base" in r.stdout
    assert pq.read_table(out).num_rows == 20
    for args, message in [(["--to", "xml", "--out", tmp_path / "y"], "choose one of hf, jsonl, parquet"),
                          (["--to", "parquet", "--out", out], "--force")]:
        r = _cli("export", run.path, *args)
        assert r.returncode == 2, r.stdout
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], r.stderr


def test_the_pandas_queries_of_run_format_md_agree_on_a_run_and_its_export(run, tmp_path, monkeypatch):
    """docs/run-format.md's pandas blocks: pass@1 per model and the problems only base solves, on the run's
    shards and on an export, equal to what Run.counts() gives."""
    import re
    from pathlib import Path
    pd = pytest.importorskip("pandas")
    doc = (Path(__file__).resolve().parent.parent / "docs" / "run-format.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Exporting a run"):]
    on_run, on_export, queries = re.findall(r"```python\n(.*?)```", section, re.S)[:3]
    export_run(run, "parquet", tmp_path / "export.parquet")
    monkeypatch.chdir(tmp_path)
    results = []
    for load in (on_run.replace('"RUN/', f'"{run.path}/'), on_export):
        scope: dict = {"pd": pd}
        exec(load + queries, scope)
        results.append((scope["pass_at_1"].round(12).to_dict(), scope["base_only"]))
    counts = run.counts().to_pylist()
    expected = {}
    for b, m in {(r["benchmark"], r["model"]) for r in counts}:
        ps = [r["correct"] / r["n"] for r in counts if (r["benchmark"], r["model"]) == (b, m)]
        expected[(b, m)] = round(sum(ps) / len(ps), 12)
    # base solves a1 and m1; rl solves a1 and a2 and has no verdict on m1: m1 is base's alone
    assert results[0] == results[1] == (expected, [("math", "m1")])
