"""Verdict sources and grader sensitivity: `boundary verify RUN --regrade` grades beside the primary
verdicts (exactly once, resumable); `--compare` and the report's "Grader sensitivity" section compare
two sources — checked on a run whose two graders disagree by construction, with every number
computed by hand in the comments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from boundary import Run
from boundary.analysis import AnalysisConfig, analyze
from boundary.analysis.graders import grader_sensitivity, sensitivity_sentence
from boundary.errors import AnalysisError, StoreError
from boundary.importers import run_import
from boundary.store.run import grades_shard_name
from boundary.verify import MathVerifyConfig, verify_run

DATA = Path(__file__).resolve().parent / "data" / "import"
LM = DATA / "lm_eval" / "Qwen__Qwen2.5-Math-1.5B"
CONFIG = MathVerifyConfig(workers=1, timeout_s=5.0)
C, W, N = "correct", "wrong", "no_answer"

# Grades by (model, problem): (primary = an imported "lm-eval" grader, "boundary" = the re-grade).
#   base p0: 1 correct vs 0          -> solved only under primary (a flip at k = n = 4)
#   base p1: 2 correct vs 3          -> one sample graded differently, solved under both
#   base p2: 0 vs 0                  (+ a fifth sample only the primary graded: left out)
#   rl   p0: 4 vs 4
#   rl   p1: 0 vs 1 (wrong vs no_answer on sample 0: both "not correct") -> solved only under boundary
#   rl   p2: 0 vs 0
GRADES = {
    ("base", "p0"): ([C, W, W, W], [W, W, W, W]),
    ("base", "p1"): ([C, C, W, W], [C, C, C, W]),
    ("base", "p2"): ([W, W, W, W], [W, W, W, W]),
    ("rl", "p0"): ([C, C, C, C], [C, C, C, C]),
    ("rl", "p1"): ([W, W, W, W], [N, C, W, W]),
    ("rl", "p2"): ([W, W, W, W], [W, W, W, W]),
}


def disagreeing_run(path, *, with_grades=True) -> Run:
    run = Run.create(path)
    run.write("problems", pa.Table.from_pylist([
        {"benchmark": "toy", "problem_id": p, "question": "?", "reference": "1", "metadata": "{}"}
        for p in ("p0", "p1", "p2")]))
    samples, verdicts, grades = [], [], []
    for (m, p), (prim, regr) in GRADES.items():
        for j, (sa, sb) in enumerate(zip(prim, regr)):
            key = {"model": m, "benchmark": "toy", "problem_id": p, "sample_index": j}
            samples.append({**key, "text": "x"})
            verdicts.append({**key, "status": sa, "path": "imported", "verifier": "lm-eval:exact_match"})
            grades.append({**key, "status": sb, "path": "exact", "verifier": "boundary-math/1", "source": "boundary"})
    extra = {"model": "base", "benchmark": "toy", "problem_id": "p2", "sample_index": 4}
    samples.append({**extra, "text": "x"})
    verdicts.append({**extra, "status": W, "path": "imported", "verifier": "lm-eval:exact_match"})
    run.write("samples", pa.Table.from_pylist(samples))
    run.write("verdicts", pa.Table.from_pylist(verdicts))
    if with_grades:
        run.write("grades", pa.Table.from_pylist(grades))
    run.add_models(["base", "rl"])
    run.add_benchmarks(["toy"])
    return run


# ------------------------------------------------------------------------------ the store
def test_sources_and_counts_per_source(tmp_path):
    run = disagreeing_run(tmp_path / "r")
    assert run.verdict_sources() == ["primary", "boundary"]
    assert run.source_verifiers("primary") == ["lm-eval:exact_match"]
    assert run.source_verifiers("boundary") == ["boundary-math/1"]
    prim = {(r["model"], r["problem_id"]): (r["n"], r["correct"]) for r in run.counts().to_pylist()}
    regr = {(r["model"], r["problem_id"]): (r["n"], r["correct"]) for r in run.counts("boundary").to_pylist()}
    assert prim == {("base", "p0"): (4, 1), ("base", "p1"): (4, 2), ("base", "p2"): (5, 0),
                    ("rl", "p0"): (4, 4), ("rl", "p1"): (4, 0), ("rl", "p2"): (4, 0)}
    assert run.counts("primary").to_pylist() == run.counts().to_pylist()
    assert regr == {("base", "p0"): (4, 0), ("base", "p1"): (4, 3), ("base", "p2"): (4, 0),
                    ("rl", "p0"): (4, 4), ("rl", "p1"): (4, 1), ("rl", "p2"): (4, 0)}
    with pytest.raises(StoreError, match="no verdict source 'strict'.*'primary', 'boundary'"):
        run.counts("strict")


def test_one_source_run_has_one_source(tmp_path):
    assert disagreeing_run(tmp_path / "r", with_grades=False).verdict_sources() == ["primary"]


def test_a_source_grading_a_sample_twice_is_refused(tmp_path):
    run = disagreeing_run(tmp_path / "r")
    run.write("grades", pa.Table.from_pylist([{"model": "rl", "benchmark": "toy", "problem_id": "p0",
                                               "sample_index": 0, "status": W, "source": "boundary"}]))
    with pytest.raises(StoreError, match="same sample twice.*'rl'.*'p0'"):
        run.counts("boundary")


# ------------------------------------------------------------------------------ the regrade
def imported(tmp_path) -> Run:
    run_import("lm-eval", sorted(LM.glob("samples_gsm8k_*.jsonl")), tmp_path / "run")
    return Run(tmp_path / "run")


def grades_of(run: Run) -> list[tuple]:
    t = run.read("grades", ["source", "model", "benchmark", "problem_id", "sample_index", "status"])
    return sorted(tuple(r.values()) for r in t.to_pylist())


def test_regrade_of_an_import_grades_beside_its_verdicts_exactly_once(tmp_path):
    run = imported(tmp_path)
    before = sorted(tuple(r.values()) for r in run.verdicts().to_pylist())
    s = verify_run(run, CONFIG, source="boundary")
    assert s.verified == 8 and s.skipped == 0
    assert sorted(tuple(r.values()) for r in run.verdicts().to_pylist()) == before   # the import's verdicts stay
    assert run.verdict_sources() == ["primary", "boundary"]
    assert run.source_verifiers("boundary")[0].startswith("boundary-math/1;grader=boundary")
    names = sorted(p.name for p in run.shards("grades"))
    assert names == sorted(grades_shard_name(p.name, "boundary") for p in run.shards("samples"))
    assert run.stage("regrade:boundary").verified == 8
    first = grades_of(run)
    assert len(first) == 8 and len(set(r[1:5] for r in first)) == 8      # one grade per sample
    again = verify_run(run, CONFIG, source="boundary")
    assert (again.verified, again.skipped) == (0, 8)
    assert grades_of(run) == first and sorted(p.name for p in run.shards("grades")) == names
    # a second source is a second set of shards, and counted apart
    verify_run(run, MathVerifyConfig(workers=1, grader="strict"), source="strict")
    assert run.verdict_sources() == ["primary", "boundary", "strict"]
    assert sum(r[0] == "strict" for r in grades_of(run)) == 8


def test_regrade_killed_midway_resumes_to_the_same_grades(tmp_path, monkeypatch):
    ref = imported(tmp_path / "ref")
    verify_run(ref, CONFIG, source="boundary")
    run = imported(tmp_path / "cut")
    real = Run.write
    calls = {"grades": 0}

    def write(self, table, data, **kw):
        if table == "grades":
            calls["grades"] += 1
            if calls["grades"] == 2:
                raise KeyboardInterrupt("killed after the first grades shard")
        return real(self, table, data, **kw)
    monkeypatch.setattr(Run, "write", write)
    with pytest.raises(KeyboardInterrupt):
        verify_run(run, CONFIG, source="boundary", flush_every=1)
    monkeypatch.setattr(Run, "write", real)
    assert len(run.shards("grades")) == 1
    done = len(grades_of(run))
    s = verify_run(run, CONFIG, source="boundary")
    assert (s.skipped, s.verified) == (done, 8 - done)
    assert grades_of(run) == grades_of(ref)


def test_regrade_names_are_checked(tmp_path):
    run = disagreeing_run(tmp_path / "r")
    for bad in ("primary", "has space", ""):
        with pytest.raises(StoreError, match="verdict source is named"):
            verify_run(run, CONFIG, source=bad)


# ------------------------------------------------------------------------------ the comparison
def test_sensitivity_of_the_disagreeing_run_matches_the_hand_computation(tmp_path):
    g = grader_sensitivity(disagreeing_run(tmp_path / "r"), "primary", "boundary")
    assert (g.samples, g.only_in_a, g.only_in_b, g.problems_total) == (24, 1, 0, 6)
    assert g.verifiers_a == ("lm-eval:exact_match",) and g.verifiers_b == ("boundary-math/1",)
    # per-sample confusion: base p0 1 only-A + 3 neither; p1 2 both, 1 only-B, 1 neither; p2 4 neither
    conf = {c.model: (c.samples, c.both, c.only_a, c.only_b, c.neither) for c in g.confusion}
    assert conf == {"base": (12, 2, 1, 1, 8), "rl": (12, 4, 0, 1, 7)}
    rl = next(c for c in g.confusion if c.model == "rl")
    assert rl.statuses == {(C, C): 4, (W, C): 1, (W, N): 1, (W, W): 6}
    assert rl.agreement == pytest.approx(11 / 12)
    # per-problem disagreement (samples correct under exactly one grader)
    assert [(q.model, q.problem_id, q.correct_a, q.correct_b, q.disagree) for q in g.problems] == [
        ("base", "p0", 1, 0, 1), ("base", "p1", 2, 3, 1), ("rl", "p1", 0, 1, 1)]
    # the flips at k = n = 4
    assert [(f.model, f.problem_id, f.solved_by) for f in g.flips] == [("base", "p0", "primary"),
                                                                       ("rl", "p1", "boundary")]
    h = {x.model: x for x in g.headline}
    # pass@1: base (1/4 + 2/4)/3 under A, (3/4)/3 under B; rl 4/4 / 3 under A, (1 + 1/4)/3 under B
    assert (h["base"].pass1_a, h["base"].pass1_b) == pytest.approx((0.25, 0.25))
    assert (h["rl"].pass1_a, h["rl"].pass1_b) == pytest.approx((1 / 3, 5 / 12))
    # pass@4 = solved / 3
    assert (h["base"].passk_a, h["base"].passk_b, h["rl"].passk_a, h["rl"].passk_b) == pytest.approx(
        (2 / 3, 1 / 3, 1 / 3, 2 / 3))
    assert (h["base"].solved_a, h["base"].solved_b, h["rl"].solved_a, h["rl"].solved_b) == (2, 1, 1, 2)
    # k*: under A base reaches rl at k = 2 (base (1/2 + 5/6)/3 = 0.444 > 1/3); under B never (1/3 < (1 + k/4)/3)
    assert (h["rl"].kstar_a, h["rl"].kstar_b) == (2, None)
    # coverage at k = 4: A: only base p1, only rl none; B: only base none, only rl p0
    assert (h["rl"].only_ref_a, h["rl"].only_model_a, h["rl"].only_ref_b, h["rl"].only_model_b) == (1, 0, 0, 1)
    assert h["rl"].p_a == h["rl"].p_b == 1.0 and h["base"].only_ref_a is None
    assert g.survives is False and [x.model for x in g.changed] == ["rl"]
    sentence = sensitivity_sentence(g)
    assert "3 of 24 samples" in sentence and "2 of 6 (model, problem) pairs" in sentence
    assert "does NOT survive" in sentence and "from 1 / 0" in sentence and "to 0 / 1" in sentence


def test_identical_sources_survive_with_no_flip(tmp_path):
    run = disagreeing_run(tmp_path / "r", with_grades=False)
    same = run.verdicts().append_column("source", pa.array(["copy"] * run.row_count("verdicts")))
    run.write("grades", same)
    g = grader_sensitivity(run, "primary", "copy")
    assert g.flips == [] and g.problems == [] and g.survives is True
    assert "survives the change of grader" in sensitivity_sentence(g)


def test_sensitivity_errors_name_the_sources(tmp_path):
    run = disagreeing_run(tmp_path / "r")
    with pytest.raises(AnalysisError, match="no verdict source 'strict'.*'primary', 'boundary'"):
        grader_sensitivity(run, "primary", "strict")
    with pytest.raises(AnalysisError, match="two different"):
        grader_sensitivity(run, "boundary", "boundary")


def test_analyze_attaches_the_sensitivity_only_with_two_sources(tmp_path):
    cfg = AnalysisConfig(n_boot=50, extrapolate=False)
    a = analyze(disagreeing_run(tmp_path / "two"), cfg)
    assert [(g.source_a, g.source_b, len(g.flips)) for g in a.graders] == [("primary", "boundary", 2)]
    assert analyze(disagreeing_run(tmp_path / "one", with_grades=False), cfg).graders == ()


def cli(*args):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})


def test_compare_cli_prints_the_flips_and_writes_the_tables(tmp_path):
    run = disagreeing_run(tmp_path / "r")
    res = cli("verify", run.path, "--compare")
    assert res.returncode == 0, res.stderr
    assert "2 problems solved at k = n under one grader only" in res.stdout
    assert "does NOT survive" in res.stdout
    lines = (run.path / "analysis" / "grader_flips.csv").read_text().splitlines()
    assert lines[0] == "benchmark,model,problem_id,n,correct (primary),correct (boundary),solved only by"
    assert lines[1:] == ["toy,base,p0,4,1,0,primary", "toy,rl,p1,4,0,1,boundary"]
    bad = cli("verify", run.path, "--compare", "--source", "primary")
    assert bad.returncode == 2 and "two sources" in bad.stderr


def test_regrade_cli_then_compare(tmp_path):
    run = imported(tmp_path)
    res = cli("verify", run.path, "--workers", "1")           # nothing to verify: says how to re-grade
    assert res.returncode == 0, res.stderr
    assert "verified 0 samples" in res.stdout and "--regrade" in res.stdout and "lm-eval:" in res.stdout
    res = cli("verify", run.path, "--regrade", "--workers", "1")
    assert res.returncode == 0, res.stderr
    assert "re-graded 8 samples as source 'boundary'" in res.stdout
    res = cli("verify", run.path, "--compare")
    assert res.returncode == 0, res.stderr
    assert "8 samples graded by both" in res.stdout


# ------------------------------------------------------------------------------ the report
def test_report_shows_the_grader_sensitivity_section_with_two_sources_only(tmp_path):
    from boundary.report import read_summary, write_report
    from boundary.report.graders import graders_section
    cfg = AnalysisConfig(n_boot=50, extrapolate=False)
    two = analyze(disagreeing_run(tmp_path / "two"), cfg)
    paths = write_report(two, tmp_path / "rep", browser=False)
    html = paths.index_html.read_text()
    assert '<a href="#graders">Grader sensitivity</a>' in html            # listed in the contents bar
    section = html[html.index('<section id="graders">'):]
    section = section[:section.index("</section>")]
    assert "does NOT survive" in section and "Problems that flip at k = n" in section
    assert "<td>p0</td>" in section and "<td>p1</td>" in section
    assert "0.333 → 0.667" in section and "2 → none" in section              # rl's pass@4 and k* under each
    s = read_summary(paths.summary_json)
    assert s.graders is not None and s.graders[0].survives is False
    assert [(f["model"], f["problem_id"], f["solved_by"]) for f in s.graders[0].flips] == [
        ("base", "p0", "primary"), ("rl", "p1", "boundary")]
    one = analyze(disagreeing_run(tmp_path / "one", with_grades=False), cfg)
    assert graders_section(one) is None
    from boundary.report.summary import summary_dict
    assert "graders" not in summary_dict(one)
