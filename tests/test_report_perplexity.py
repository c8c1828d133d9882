"""The report's perplexity/entropy section: box plots, matrix, entropy, readings, or why each was skipped."""

from __future__ import annotations

import math

import pyarrow as pa

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run
from boundary.analysis import AnalysisConfig, analyze
from boundary.report import write_report
from boundary.pipeline import sample_spec as sample_run
from boundary.spec import parse_spec
from boundary.verify import MathVerifyConfig, verify_run
from tests.test_sample_stage import AIME


def make_run(path):
    spec = parse_spec({"seed": 0, "template": "qwen-boxed",
                       "models": [{"name": m, "backend": "fake", "path": "none"} for m in ("base", "rl")],
                       "benchmarks": [{"name": "aime24", "source": AIME, "limit": 3}],
                       "sampling": {"n": 4, "chunk_size": 4, "max_tokens": 64}})
    run = Run.create(path)
    sample_run(spec, run)
    verify_run(run, MathVerifyConfig(workers=1))
    return run


def test_report_says_what_was_skipped_and_why(tmp_path):
    run = make_run(tmp_path / "r")
    html = write_report(analyze(run, AnalysisConfig(n_boot=20)), run.path / "report",
                        browser=False).index_html.read_text()
    assert 'id="perplexity"' in html and "Perplexity and entropy" in html
    assert "Perplexity (Fig. 6) skipped:</strong> the run holds no perplexities" in html
    assert "Token entropy skipped:</strong> no logprobs recorded" in html


def test_report_shows_box_plots_matrix_and_entropy_with_readings(tmp_path):
    run = make_run(tmp_path / "r")
    pids = sorted(set(run.samples(["problem_id"])["problem_id"].to_pylist()))
    rows = []
    for model, base_ppl in (("base", 1.30), ("rl", 1.20)):
        for p in pids:
            for i in range(4):
                v = base_ppl + 0.01 * i
                rows.append({"scorer": "base", "model": model, "benchmark": "aime24", "problem_id": p,
                             "sample_index": i, "tokens": 20, "nll": 20 * math.log(v), "ppl": v})
    run.write("perplexity", pa.Table.from_pylist(rows))
    run.write("samples", pa.Table.from_pylist([
        {"model": m, "benchmark": "aime24", "problem_id": "extra", "sample_index": 0, "completion_tokens": 100,
         "logprob_sum": -100 * h} for m, h in (("base", 0.5), ("rl", 0.25))]))
    paths = write_report(analyze(run, AnalysisConfig(n_boot=20)), run.path / "report", browser=False)
    html = paths.index_html.read_text()
    assert (paths.figures_dir / "aime24-perplexity-base.svg").is_file()
    assert (paths.figures_dir / "aime24-token-entropy.svg").is_file()
    assert not (paths.figures_dir / "aime24-token-entropy.png").exists()     # PNG on request (png=True)
    assert "PPL_base(Y_rl) = 1.215 against PPL_base(Y_base) = 1.315: no higher than on its own answers" in html
    assert "base 0.500; rl 0.250 nats per token" in html and "rl samples the most concentrated" in html
    assert "skipped" not in html.split('id="perplexity"')[1].split("</section>")[0]
