"""The further analyses through ``analyze(run)`` and the report: a run with samples (token counts)
and verdicts (extracted answers) of a base model and two checkpoints, and a counts-only run."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import AnalysisConfig, analyze
from boundary.analysis.passk import pass_at_k
from boundary.report import write_report
from boundary.report.reading import further_sentences
from boundary.store import Run

MODELS = {"base": 100, "rl-step10": 200, "rl-step20": 250}     # tokens per answer
P, N = 24, 16
CFG = AnalysisConfig(n_boot=100, extrapolate_boot=30)


def _make_run(path) -> Run:
    rng = np.random.default_rng(7)
    run = Run.create(path)
    run.add_models(list(MODELS))
    run.add_benchmarks(["toy"])
    pb = rng.beta(0.5, 1.0, P)
    probs = {"base": pb, "rl-step10": np.where(pb > 0.3, np.minimum(1, pb * 2), 0.0),
             "rl-step20": np.where(pb > 0.4, np.minimum(1, pb * 2.5), 0.0)}
    for m, tokens in MODELS.items():
        rows_s, rows_v = [], []
        for i in range(P):
            ok = rng.random(N) < probs[m][i]
            for j in range(N):
                key = dict(model=m, benchmark="toy", problem_id=f"p{i:02d}", sample_index=j)
                rows_s.append({**key, "text": "...", "completion_tokens": tokens})
                wrong = str(rng.integers(0, 2 if m == "base" else 1) + 100 + i)   # base guesses more widely
                rows_v.append({**key, "status": "correct" if ok[j] else "wrong",
                               "extracted": str(i) if ok[j] else wrong})
        run.write("samples", pa.Table.from_pylist(rows_s))
        run.write("verdicts", pa.Table.from_pylist(rows_v))
    return run


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    run = _make_run(tmp_path_factory.mktemp("run") / "r")
    a = analyze(run, CFG)
    return run, a, write_report(a, run.path / "report", browser=False)


def test_every_further_analysis_runs_on_a_sampled_run(sampled):
    run, a, _ = sampled
    b = a.benchmarks[0]
    assert [s.analysis for s in b.skipped] == []
    counts = {m: dict(zip(t["problem_id"].to_pylist(), zip(t["n"].to_pylist(), t["correct"].to_pylist())))
              for m in MODELS for t in [run.counts().filter(pa.compute.field("model") == m)]}
    # Budget: mean lengths from the samples; rl-step10 writes 2x longer answers than base.
    cmp_ = next(c for c in b.budget.comparisons if c.other == "rl-step10")
    assert b.budget.curves["base"].mean_tokens == 100 and cmp_.length_ratio == pytest.approx(2.0)
    assert cmp_.budget == pytest.approx(N * 100) and cmp_.other_k == pytest.approx(N / 2)
    n = np.array([counts["rl-step10"][p][0] for p in sorted(counts["rl-step10"])])
    c = np.array([counts["rl-step10"][p][1] for p in sorted(counts["rl-step10"])])
    assert cmp_.other_pass == pytest.approx(np.mean(pass_at_k(n, c, N // 2)))
    # Answers: base spreads over two wrong answers, the checkpoints over one.
    assert set(b.answers) == set(MODELS)
    assert b.answers["base"].mean_entropy > b.answers["rl-step20"].mean_entropy
    assert np.all(b.answers["rl-step20"].distinct <= 2)
    # Sweep: one training run "rl" with steps 10 and 20; base is the reference line.
    assert b.steps == {"rl-step10": 10, "rl-step20": 20}
    assert len(b.sweeps) == 1 and b.sweeps[0].series == "rl" and b.sweeps[0].steps == [10, 20]
    assert [r.model for r in b.algorithms] == ["base", "rl-step10", "rl-step20"]
    # Support: base's support holds every problem the checkpoints solve (p = 0 elsewhere for them).
    for s in b.support:
        assert s.expanded == 0 and s.ndr == 0
    assert len(b.extrapolations) == 2 * len(MODELS) and len(b.extrapolation_checks) == 2 * len(MODELS)


def test_report_shows_figures_tables_and_sentences(sampled):
    _, a, paths = sampled
    stems = {p.stem for p in paths.figures}
    assert {"toy_extrapolation", "toy_budget", "toy_answers", "toy_sweep_rl"} <= stems
    for name in ("extrapolation", "extrapolation_check", "support", "budget", "answers", "algorithms", "sweep"):
        assert (paths.tables_dir / f"{name}.csv").stat().st_size > 0, name
    assert (paths.tables_dir / "budget_curves.csv").exists()
    html = paths.index_html.read_text(encoding="utf-8")
    b = a.benchmarks[0]
    sentences = further_sentences(b)
    assert any(s.startswith("Budget matching") for s in sentences)
    assert any(s.startswith("Answer diversity") for s in sentences)
    assert any(s.startswith("Checkpoints of rl (steps 10–20)") for s in sentences)
    assert any(s.startswith("Support dynamics base → rl-step10") for s in sentences)
    from html import escape
    for s in sentences:
        assert escape(s, quote=True) in html
    assert "skipped" not in html.split('id="notes"')[1].split("</section>")[0]
    summary = json.loads(paths.summary_json.read_text(encoding="utf-8"))["benchmarks"][0]
    assert summary["budget"]["mean_tokens"]["rl-step20"] == 250
    assert summary["sweeps"][0]["points"][1]["step"] == 20
    assert summary["answers"]["base"]["mean_distinct"] == pytest.approx(b.answers["base"].mean_distinct)
    assert summary["skipped"] == [] and summary["further_reading"] == sentences


def test_counts_only_run_says_what_was_skipped(tmp_path):
    rng = np.random.default_rng(1)
    run = Run.create(tmp_path / "c")
    run.add_models(["base", "rl"])
    run.add_benchmarks(["toy"])
    p = rng.beta(0.5, 1, 20)
    rows = [dict(model=m, benchmark="toy", problem_id=f"p{i}", n=8, correct=int(rng.binomial(8, q[i])), source="x")
            for m, q in {"base": p, "rl": np.minimum(1, p * 1.5)}.items() for i in range(20)]
    run.write("counts", pa.Table.from_pylist(rows))
    a = analyze(run, CFG)
    b = a.benchmarks[0]
    reasons = {s.analysis: s.reason for s in b.skipped}
    assert "imported counts only" in reasons["budget matching"]
    assert "imported counts only" in reasons["answer diversity"]
    assert "training step" in reasons["checkpoint sweep"]
    assert "algorithm table" in reasons
    assert b.budget is None and not b.answers and not b.sweeps
    assert b.extrapolations and b.support                     # counts suffice for these
    paths = write_report(a, tmp_path / "report", browser=False)
    html = paths.index_html.read_text(encoding="utf-8")
    assert "budget matching skipped: the run holds imported counts only" in html
    assert "answer diversity skipped" in html and "checkpoint sweep skipped" in html
    assert not (paths.tables_dir / "budget.csv").exists()


def test_explicit_steps_and_switches(tmp_path):
    run = _make_run(tmp_path / "r")
    a = analyze(run, AnalysisConfig(n_boot=50, extrapolate=False, steps={"base": 0, "rl-step10": 5}))
    b = a.benchmarks[0]
    assert not b.extrapolations
    assert any(s.analysis == "pass@k beyond the sampled n" and "extrapolate = False" in s.reason for s in b.skipped)
    # The explicit mapping wins over the name; the reference is never a checkpoint of the sweep.
    assert b.steps == {"base": 0, "rl-step10": 5, "rl-step20": 20}
    assert b.sweeps[0].steps == [5, 20]
