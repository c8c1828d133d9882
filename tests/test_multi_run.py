"""Comparing runs (analysis/runs.py, ``boundary report RUN_A RUN_B``): the models of several runs in one
analysis, with the same numbers as each run's own analysis, shared names qualified by the run, and
runs whose benchmarks hold different problems refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import AnalysisConfig, analyze
from boundary.analysis.coverage import coverage
from boundary.analysis.runs import analyze_runs, qualified_names, run_labels
from boundary.errors import AnalysisError
from boundary.importers import import_counts
from boundary.report import read_summary, summary_dict, write_report
from boundary.store import Run

P, N = 40, 16
CFG = AnalysisConfig(n_boot=100, extrapolate_boot=0)


def _import(path: Path, rows: list[dict]) -> Run:
    csv = path.with_suffix(".csv")
    lines = ["problem_id,model,benchmark,n,correct"] + [
        f"{r['problem_id']},{r['model']},{r['benchmark']},{r['n']},{r['correct']}" for r in rows]
    csv.write_text("\n".join(lines) + "\n")
    import_counts(csv, path)
    return Run(path)


def _rows(model: str, p: np.ndarray, rng, bench: str = "toy", problems: int = P) -> list[dict]:
    c = rng.binomial(N, p[:problems])
    return [dict(model=model, benchmark=bench, problem_id=f"p{i:03d}", n=N, correct=int(c[i]))
            for i in range(problems)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """a: base, rl on toy; b: base (other counts), sft on toy, and base on solo (only in b);
    c: toy with 30 of the 40 problems."""
    d = tmp_path_factory.mktemp("runs")
    rng = np.random.default_rng(7)
    pb = rng.beta(0.4, 0.8, P)
    a = _import(d / "a", _rows("base", pb, rng) + _rows("rl", np.minimum(1, 2 * pb), rng))
    b = _import(d / "b", _rows("base", pb, rng) + _rows("sft", np.clip(1.3 * pb, 0, 1), rng)
                + _rows("base", pb, rng, bench="solo"))
    c = _import(d / "c", _rows("base", pb, rng, problems=30) + _rows("dpo", pb, rng, problems=30))
    return a, b, c


@pytest.fixture(scope="module")
def ab(runs):
    return analyze_runs(runs[:2], CFG)


def _bench(a, name):
    return next(b for b in a.benchmarks if b.benchmark == name)


def test_labels_and_qualified_names():
    assert run_labels([Path("x/qwen/demo"), Path("y/qwen/demo"), Path("z/b")]) == ["x/qwen/demo", "y/qwen/demo", "b"]
    assert qualified_names([["base", "rl"], ["base", "sft"]], ["a", "b"]) == [
        {"base": "a/base", "rl": "rl"}, {"base": "b/base", "sft": "sft"}]
    with pytest.raises(AnalysisError, match="ambiguous"):
        qualified_names([["base"], ["base", "a/base"]], ["a", "b"])


def test_models_of_both_runs_with_shared_names_qualified(ab, runs):
    toy = _bench(ab, "toy")
    assert toy.models == ["a/base", "rl", "b/base", "sft"]
    assert ab.reference == toy.reference == "a/base"              # the first run's reference
    assert [(c.reference, c.other) for c in toy.comparisons] == [("a/base", "rl"), ("a/base", "b/base"),
                                                                  ("a/base", "sft")]
    assert ab.runs == (str(runs[0].path), str(runs[1].path))
    assert ab.run == f"{runs[0].path} + {runs[1].path}"
    assert ab.origins["b/base"] == (str(runs[1].path), "base") and ab.origins["rl"] == (str(runs[0].path), "rl")
    assert any("base is a name of several runs" in n and "RUN_DIR/MODEL" in n for n in toy.notes)
    assert {r["model"] for r in ab.statuses} <= set(ab.origins)


def test_numbers_equal_each_runs_own_analysis(ab, runs):
    """Counts-based numbers of a model (and of a pair within one run) do not depend on the other run."""
    toy = _bench(ab, "toy")
    for run, names in ((runs[0], {"base": "a/base", "rl": "rl"}), (runs[1], {"base": "b/base", "sft": "sft"})):
        own = _bench(analyze(run, CFG), "toy")
        for m, q in names.items():
            for part in ("estimate", "lower", "upper"):
                np.testing.assert_array_equal(getattr(toy.curves[q], part), getattr(own.curves[m], part))
            np.testing.assert_array_equal(toy.histograms[q], own.histograms[m])
            np.testing.assert_array_equal(toy.cover[q], own.cover[m])
    own_a = _bench(analyze(runs[0], CFG), "toy")
    mine, theirs = toy.comparisons[0], own_a.comparisons[0]
    np.testing.assert_array_equal(mine.diff.estimate, theirs.diff.estimate)
    np.testing.assert_array_equal(mine.diff.lower, theirs.diff.lower)
    assert (mine.crossover.k, mine.crossover.lower, mine.crossover.upper) == (
        theirs.crossover.k, theirs.crossover.lower, theirs.crossover.upper)
    assert toy.efficiency[0].gap == own_a.efficiency[0].gap
    assert toy.coverages[0].p_value == own_a.coverages[0].p_value


def test_a_pair_across_runs_is_paired_by_problem(ab, runs):
    """a/base against b/base: the coverage split of the two runs' counts, problem by problem."""
    ca = {r["problem_id"]: (r["n"], r["correct"]) for r in runs[0].counts().to_pylist() if r["model"] == "base"}
    cb = {r["problem_id"]: (r["n"], r["correct"]) for r in runs[1].counts().to_pylist()
          if r["model"] == "base" and r["benchmark"] == "toy"}
    ids = sorted(ca)
    want = coverage(*(np.array([d[p][j] for p in ids]) for d in (ca, cb) for j in (0, 1)), model_a="a/base",
                    model_b="b/base", problem_ids=ids)
    got = next(c for c in _bench(ab, "toy").coverages if c.model_b == "b/base")
    assert (got.both, got.only_a, got.only_b, got.neither, got.p_value) == (
        want.both, want.only_a, want.only_b, want.neither, want.p_value)


def test_a_benchmark_of_one_run_is_analysed_with_its_models(ab, runs):
    solo = _bench(ab, "solo")
    assert solo.models == ["b/base"] and solo.reference is None and not solo.comparisons
    assert any(f"solo is not in {runs[0].path}" in n for n in solo.notes)
    assert not any("is not in" in n for n in _bench(ab, "toy").notes)


def test_different_problems_under_one_benchmark_are_refused(runs):
    a, _, c = runs
    with pytest.raises(AnalysisError) as e:
        analyze_runs([a, c], CFG)
    msg = str(e.value)
    assert "'toy'" in msg and str(a.path) in msg and str(c.path) in msg
    assert "10 problem ids only in the first, 0 only in the second" in msg and "same problems" in msg


def test_same_ids_but_different_questions_are_refused(tmp_path):
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, P)
    runs = []
    for name, q in (("x", "What is 1+1?"), ("y", "What is 2+2?")):
        r = _import(tmp_path / name, _rows("m", p, rng))
        r.write("problems", pa.table({"benchmark": ["toy"] * P, "problem_id": [f"p{i:03d}" for i in range(P)],
                                      "question": [q if i < 3 else f"q{i}" for i in range(P)],
                                      "reference": ["2"] * P}))
        runs.append(r)
    with pytest.raises(AnalysisError, match=r"same 40 problem ids .* but 3 of them have a different question"):
        analyze_runs(runs, CFG)
    with pytest.raises(AnalysisError, match="given twice"):
        analyze_runs([runs[0], Run(tmp_path / "x")], CFG)


def test_reference_and_steps_take_either_name(runs):
    a, b, _ = runs
    x = analyze_runs([a, b], AnalysisConfig(n_boot=50, extrapolate=False, reference="b/base"))
    assert x.reference == "b/base" and _bench(x, "solo").reference == "b/base"
    y = analyze_runs([a, b], AnalysisConfig(n_boot=50, extrapolate=False, reference="base"))
    assert y.reference == "a/base"
    assert any("reference 'base' is a model of several runs" in n for n in _bench(y, "toy").notes)
    z = analyze_runs([a, b], AnalysisConfig(n_boot=50, extrapolate=False, reference="sft"))
    assert z.reference == "sft"
    with pytest.raises(AnalysisError, match="'nope' is not a model of these runs"):
        analyze_runs([a, b], AnalysisConfig(reference="nope"))
    s = analyze_runs([a, b], AnalysisConfig(n_boot=50, extrapolate=False, steps={"base": 0, "rl": 100}))
    assert _bench(s, "toy").steps == {"a/base": 0, "rl": 100, "b/base": 0}


def test_one_run_in_a_list_is_that_runs_analysis(runs):
    one = analyze_runs([runs[0]], CFG)
    assert summary_dict(one) == summary_dict(analyze(runs[0], CFG))
    assert "runs" not in summary_dict(one)
    assert summary_dict(analyze(list(runs[:2]), CFG)) == summary_dict(analyze_runs(runs[:2], CFG))


def test_the_report_of_two_runs(ab, runs, tmp_path):
    paths = write_report(ab, tmp_path / "rep")
    html = paths.index_html.read_text()
    for m in ("a/base", "b/base", "rl", "sft"):
        assert m in html
    assert paths.samples_html is None
    assert any("compares 2 runs" in n for n in paths.validity_notes)
    s = read_summary(tmp_path / "rep" / "summary.json")
    assert s.runs is not None and [r.path for r in s.runs] == list(ab.runs)
    assert s.runs[0].models == {"a/base": "base", "rl": "rl"}
    assert s.runs[1].models == {"b/base": "base", "sft": "sft"}
    assert set(s.benchmarks[1].pass_at_k) == {"a/base", "rl", "b/base", "sft"}


def _boundary(*args):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def test_cli_report_and_analyze_of_two_runs(runs, tmp_path):
    a, b, c = runs
    r = _boundary("report", a.path, b.path, "--out", tmp_path / "rep", "--n-boot", 50, "--no-extrapolate")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "rep" / "index.html").is_file()
    assert json.loads((tmp_path / "rep" / "summary.json").read_text())["reference"] == "a/base"
    assert not (a.path / "report").exists() and a.stage("report") is None     # the runs are left as they were
    r = _boundary("analyze", a.path, b.path, "--out", tmp_path / "an", "--n-boot", 50, "--no-extrapolate",
                  "--reference", "b/base")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "an" / "summary.json").read_text())["reference"] == "b/base"
    for args, needle in (((a.path, b.path), "needs --out DIR"),
                         ((a.path, c.path, "--out", tmp_path / "x"), "has different problems")):
        r = _boundary("report", *args)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr


def test_runs_whose_specs_set_other_analysis_options_get_a_note(runs, tmp_path):
    import shutil
    a, b, _ = runs
    for src, level in ((a, 0.9), (b, 0.95)):
        shutil.copytree(src.path, tmp_path / src.path.name)
        Run(tmp_path / src.path.name).update_manifest(
            lambda m, level=level: m.__setitem__("spec", {"analysis": {"level": level, "n_boot": 50}}))
    r = _boundary("analyze", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "an", "--no-extrapolate")
    assert r.returncode == 0, r.stderr
    note = " ".join(r.stderr.split())
    assert "the runs' specs set other analysis options (level: 0.9 in" in note and "0.95 in" in note, note
    assert "n_boot" not in note and "the first run's are used" in note
    assert json.loads((tmp_path / "an" / "summary.json").read_text())["config"]["level"] == 0.9
    r = _boundary("analyze", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "an2", "--no-extrapolate",
                  "--level", "0.8")
    assert r.returncode == 0 and "other analysis options" not in r.stderr      # chosen on the command line


def test_an_adaptive_run_keeps_its_plan_next_to_a_fixed_one(tmp_path):
    """An adaptively sampled run and a fixed-n run of the same problems (fake engine): the adaptive
    model's curve is its own run's (the sequential estimator with its plan); token counts and answers
    come from each model's run."""
    import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
    from tests.test_adaptive_sampling import run_adaptive, spec_dict
    run_adaptive(spec_dict(models=("base", "rl")), tmp_path / "adaptive")
    run_adaptive(spec_dict(adaptive=False, models=("base", "sft")), tmp_path / "fixed")
    cfg = AnalysisConfig(n_boot=50, extrapolate=False)
    x = analyze_runs([tmp_path / "adaptive", tmp_path / "fixed"], cfg)
    b = x.benchmarks[0]
    assert b.models == ["adaptive/base", "rl", "fixed/base", "sft"]
    own = analyze(tmp_path / "adaptive", cfg).benchmarks[0]
    fixed = analyze(tmp_path / "fixed", cfg).benchmarks[0]
    np.testing.assert_array_equal(b.curves["adaptive/base"].estimate, own.curves["base"].estimate)
    np.testing.assert_array_equal(b.curves["rl"].upper, own.curves["rl"].upper)
    np.testing.assert_array_equal(b.curves["sft"].estimate, fixed.curves["sft"].estimate)
    assert any("adaptive/base, rl sampled adaptively" in n for n in b.notes)
    assert set(b.answers) == {"adaptive/base", "rl", "fixed/base", "sft"}
    assert x.templates.keys() == {"adaptive/base", "rl", "fixed/base", "sft"}


def test_checkpoint_sweeps_across_runs(tmp_path):
    """Checkpoints of one training run spread over runs form one sweep; the same checkpoint in two runs
    splits the series by run (else step 50 would appear twice)."""
    rng = np.random.default_rng(3)
    p = rng.beta(0.4, 0.8, P)
    a = _import(tmp_path / "a", _rows("base", p, rng) + _rows("grpo-step25", p, rng) + _rows("grpo-step50", p, rng))
    b = _import(tmp_path / "b", _rows("base", p, rng) + _rows("grpo-step50", p, rng))
    c = _import(tmp_path / "c", _rows("grpo-step75", p, rng))
    cfg = AnalysisConfig(n_boot=50, extrapolate=False)
    x = analyze_runs([a, b], cfg).benchmarks[0]
    assert [(s.series, [q.model for q in s.points]) for s in x.sweeps] == [("a/grpo", ["grpo-step25", "a/grpo-step50"])]
    y = analyze_runs([a, c], cfg).benchmarks[0]
    assert [(s.series, [q.step for q in s.points]) for s in y.sweeps] == [("grpo", [25, 50, 75])]
