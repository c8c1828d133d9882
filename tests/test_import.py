"""Import of per-problem counts (CSV/Parquet) and of the paper's evaluation JSONL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boundary import Run, pass_at_k_curve
from boundary.analysis import analyze
from boundary.errors import InputError
from boundary.importers import import_counts, import_paper_jsonl, read_counts


def write_csv(path, text):
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# ------------------------------------------------------------------------------- counts
def test_counts_csv_round_trip(tmp_path):
    f = write_csv(tmp_path / "aime.csv", """
        problem_id,model,n,correct
        0,base,8,3
        1,base,8,0
        0,rl,8,8
        1,rl,8,1
    """)
    s = import_counts(f, tmp_path / "run")
    assert s.models == ["base", "rl"] and s.benchmarks == ["aime"] and s.rows == 4 and s.samples == 32
    c = Run(tmp_path / "run").counts()
    assert c.filter(pa.compute.equal(c["model"], "rl"))["correct"].to_pylist() == [8, 1]
    assert Run(tmp_path / "run").models == ["base", "rl"]


def test_counts_parquet_with_benchmark_and_run_columns_pools_runs(tmp_path):
    rows = [dict(problem_id=str(p), model="base", n=512, correct=c, benchmark="math", run=r)
            for r, cs in (("seed1", [3, 0, 512]), ("seed2", [5, 1, 511])) for p, c in enumerate(cs)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet")
    import_counts(tmp_path / "c.parquet", tmp_path / "run")
    c = Run(tmp_path / "run").counts().to_pylist()
    assert [(r["problem_id"], r["n"], r["correct"]) for r in c] == [("0", 1024, 8), ("1", 1024, 1), ("2", 1024, 1023)]


@pytest.mark.parametrize("body, line, field, message", [
    ("problem_id,model,n\n0,base,8\n", 1, "correct", "missing column"),
    ("problem_id,model,n,correct\n0,base,8,9\n", 2, "correct", "correct=9 exceeds n=8"),
    ("problem_id,model,n,correct\n0,base,8,3\n1,base,8,-1\n", 3, "correct", "negative"),
    ("problem_id,model,n,correct\n0,base,8,3\n0,base,8,2\n", 3, "problem_id", "duplicate problem_id '0'"),
    ("problem_id,model,n,correct\n0,base,eight,3\n", 2, "n", "whole number, got 'eight'"),
    ("problem_id,model,n,correct\n0,base,8,2.5\n", 2, "correct", "whole number, got '2.5'"),
    ("problem_id,model,n,correct\n0,,8,2\n", 2, "model", "empty"),
    ("problem_id,model,n,correct\n0,base,0,0\n", 2, "n", "must be >= 1"),
])
def test_malformed_counts_csv_names_file_line_and_field(tmp_path, body, line, field, message):
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(InputError) as e:
        import_counts(f, tmp_path / "run")
    err = e.value
    assert err.path == str(f) and err.line == line and err.field == field
    assert message in str(err) and str(f) in str(err) and f"line {line}" in str(err)
    assert not (tmp_path / "run").exists()          # nothing is written on error


def test_malformed_counts_parquet_names_row_and_field(tmp_path):
    t = pa.table({"problem_id": ["a", "b"], "model": ["m", "m"], "n": [4, 4], "correct": [1, 7]})
    pq.write_table(t, tmp_path / "bad.parquet")
    with pytest.raises(InputError, match=r"row 2, field 'correct': correct=7 exceeds n=4"):
        read_counts(tmp_path / "bad.parquet")
    t = pa.table({"problem_id": ["a"], "model": ["m"], "n": [4], "correct": [[1]]})
    pq.write_table(t, tmp_path / "types.parquet")
    with pytest.raises(InputError, match=r"field 'correct': column has type list"):
        read_counts(tmp_path / "types.parquet")


def test_counts_file_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_counts(tmp_path / "missing.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(InputError, match="suffix '.json'"):
        read_counts(tmp_path / "x.json")
    (tmp_path / "empty.csv").write_text("problem_id,model,n,correct\n")
    with pytest.raises(InputError, match="no rows"):
        read_counts(tmp_path / "empty.csv")
    (tmp_path / "ragged.csv").write_text("problem_id,model,n,correct\n0,m,4,1,extra\n")
    with pytest.raises(InputError, match="line 2: has 5 fields"):
        read_counts(tmp_path / "ragged.csv")


def test_importing_the_same_file_twice_is_refused(tmp_path):
    f = write_csv(tmp_path / "c.csv", "problem_id,model,n,correct\n0,base,8,3\n")
    import_counts(f, tmp_path / "run")
    with pytest.raises(InputError, match="already in"):
        import_counts(f, tmp_path / "run")
    assert Run(tmp_path / "run").counts()["n"].to_pylist() == [8]


# ------------------------------------------------------------------------------- paper JSONL
def paper_lines(problems=5, n=16, seed=0):
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(problems):
        score = (rng.random(n) < rng.random()).tolist()
        pred = ["42" if s else ("" if j % 5 == 0 else "7") for j, s in enumerate(score)]
        lines.append({"idx": i, "question": f"What is {i}?", "gt": "42", "level": 3,
                      "code": [f"reasoning {i}.{j} ... \\boxed{{{p}}}" for j, p in enumerate(pred)],
                      "pred": pred, "score": score, "finish_reason": ["stop"] * n})
    return lines


def write_jsonl(path, lines):
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_paper_jsonl_import_is_first_class(tmp_path):
    lines = paper_lines()
    f = write_jsonl(tmp_path / "aime24.jsonl", lines)
    s = import_paper_jsonl(f, tmp_path / "run", model="Qwen2.5-7B", benchmark="aime24")
    assert (s.problems, s.samples, s.skipped_samples) == (5, 80, 0)
    run = Run(tmp_path / "run")
    counts = run.counts()
    assert counts["correct"].to_pylist() == [sum(x["score"]) for x in lines]
    st = {r["status"]: r["samples"] for r in run.status_counts().to_pylist()}
    expected_no_answer = sum(1 for x in lines for s_, p in zip(x["score"], x["pred"]) if not s_ and p == "")
    assert st.get("no_answer", 0) == expected_no_answer
    assert sum(st.values()) == 80
    probs = run.problems().to_pylist()
    assert probs[0]["reference"] == "42" and json.loads(probs[0]["metadata"]) == {"level": 3}
    samples = run.samples(["problem_id", "sample_index", "text"]).to_pylist()
    assert any(r["text"] == lines[2]["code"][3] for r in samples if r["problem_id"] == "2" and r["sample_index"] == 3)
    # Every analysis works on the import.
    a = analyze(run)
    ks, curve = pass_at_k_curve([16] * 5, [sum(x["score"]) for x in lines])
    assert np.allclose(a.benchmarks[0].curves["Qwen2.5-7B"].estimate, curve)


@pytest.mark.parametrize("mutate, line, field, message", [
    (lambda x: x.pop("score"), 3, "score", "is missing"),
    (lambda x: x.update(pred=x["pred"][:-1]), 3, "pred", "has 15 entries but `code` has 16"),
    (lambda x: x.update(score=["yes"] * 16), 3, "score", "scores must be true/false"),
    (lambda x: x.update(idx=0), 3, "idx", "duplicate problem id '0' (first on line 1)"),
    (lambda x: x.update(code="one string"), 3, "code", "must be a list"),
])
def test_malformed_paper_jsonl_names_line_and_field(tmp_path, mutate, line, field, message):
    lines = paper_lines()
    mutate(lines[2])
    f = write_jsonl(tmp_path / "bad.jsonl", lines)
    with pytest.raises(InputError) as e:
        import_paper_jsonl(f, tmp_path / "run", model="m", benchmark="b")
    assert (e.value.line, e.value.field) == (line, field)
    assert message in str(e.value) and str(f) in str(e.value)
    assert not (tmp_path / "run").exists()


def test_paper_jsonl_broken_json_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(paper_lines(1)[0]) + "\n{\"idx\": 1, \"code\": [\n")
    with pytest.raises(InputError, match=r"line 2: is not valid JSON"):
        import_paper_jsonl(f, tmp_path / "run", model="m", benchmark="b")


IMPORT_CHILD = textwrap.dedent("""
    import sys, time
    import boundary.store.run as R
    from boundary.importers import import_paper_jsonl
    calls = {"n": 0}
    real = R.pq.write_table
    def hang_on_fifth(table, where, **kw):   # shards: problems, samples, verdicts, problems, SAMPLES
        calls["n"] += 1
        if calls["n"] == 5:
            print("MID", flush=True)
            time.sleep(600)
        return real(table, where, **kw)
    R.pq.write_table = hang_on_fifth
    import_paper_jsonl(sys.argv[1], sys.argv[2], model="m", benchmark="b", shard_samples=40)
""")


def test_paper_import_killed_midway_resumes_without_duplicates(tmp_path):
    lines = paper_lines(problems=12, n=16)
    f = write_jsonl(tmp_path / "big.jsonl", lines)
    run_dir = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", IMPORT_CHILD, str(f), str(run_dir)],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.stdout.readline().strip() != "MID":
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(run_dir).samples(["problem_id"]).num_rows
    assert 0 < partial < 12 * 16
    s = import_paper_jsonl(f, run_dir, model="m", benchmark="b")
    assert s.skipped_samples > 0
    run = Run(run_dir)
    counts = run.counts()
    assert counts["n"].to_pylist() == [16] * 12
    assert dict(zip(counts["problem_id"].to_pylist(), counts["correct"].to_pylist())) == \
        {str(i): sum(x["score"]) for i, x in enumerate(lines)}
    assert run.samples(["problem_id"]).num_rows == 12 * 16
    assert run.problems().num_rows == 12


def test_a_second_paper_file_for_the_same_model_and_benchmark_is_refused(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps(x) + "\n" for x in paper_lines(seed=0)), encoding="utf-8")
    b.write_text("".join(json.dumps(x) + "\n" for x in paper_lines(seed=1)), encoding="utf-8")
    import_paper_jsonl(a, tmp_path / "run", model="m", benchmark="aime24")
    before = Run(tmp_path / "run").counts().to_pylist()
    with pytest.raises(InputError, match="already stored with another text"):
        import_paper_jsonl(b, tmp_path / "run", model="m", benchmark="aime24")
    assert Run(tmp_path / "run").counts().to_pylist() == before
    again = import_paper_jsonl(a, tmp_path / "run", model="m", benchmark="aime24")     # the same file: resumes
    assert again.skipped_samples == again.samples
