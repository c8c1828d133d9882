"""A run with a code benchmark samples, verifies in the sandbox and reports pass@k like a math run."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run, load_benchmark
from boundary.analysis import AnalysisConfig, analyze
from boundary.pipeline import sample_spec as sample_run
from boundary.spec import parse_spec
from boundary.verify import verify_run

ROOT = Path(__file__).resolve().parent.parent
HEP = str(ROOT / "tests" / "data" / "code" / "HumanEvalPlus-v0.1.10.jsonl.gz")


def test_code_benchmark_through_sample_and_verify(tmp_path):
    spec = parse_spec({"models": [{"name": "m", "backend": "fake", "path": "x"}],
                       "benchmarks": [{"name": "humaneval+", "source": HEP, "limit": 2}],
                       "sampling": {"n": 4, "chunk_size": 4, "max_tokens": 64}})
    run = Run.create(tmp_path / "r")
    sample_run(spec, run)
    texts = run.samples(["text"])["text"].to_pylist()
    assert len(texts) == 8 and all("```python" in t for t in texts)
    # Add two samples that are the canonical solutions: the sandbox must pass them.
    problems = load_benchmark("humaneval+", source=HEP)[:2]
    run.write("samples", pa.Table.from_pylist([
        {"model": "m", "benchmark": "humaneval+", "problem_id": p.id, "sample_index": 4,
         "text": f"Here it is:\n```python\n{p.reference}\n```", "finish_reason": "stop"} for p in problems]))
    s = verify_run(run)
    assert s.verified == 10
    v = run.verdicts().to_pylist()
    by_index = {(x["problem_id"], x["sample_index"]): x for x in v}
    for p in problems:
        assert by_index[(p.id, 4)]["status"] == "correct", by_index[(p.id, 4)]
        assert by_index[(p.id, 0)]["status"] == "wrong"
    assert all(x["verifier"].startswith("boundary-code/") for x in v)
    stage = run.manifest["stages"]["verify"]
    assert stage["complete"] is True and "isolation=" in json.dumps(stage["verifiers"])
    a = analyze(run, AnalysisConfig(n_boot=50))
    band = a.benchmarks[0].curves["m"]
    assert abs(band.estimate[0] - 2 / 10) < 1e-12        # pass@1 = mean over problems of c/n = 1/5
