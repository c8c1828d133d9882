"""CoT-pass@k (an LLM judge of correct samples' reasoning) and the guessability filter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

import tests.helpers.fake_backend  # noqa: F401  (registers backend "fake")
from boundary import Run
from boundary.analysis import AnalysisConfig, analyze
from boundary.errors import BoundaryError
from boundary.judge import JudgeConfig, aggregate, cot_pass_at_k, guessability, judge_run, parse_verdict
from boundary.pipeline import guess_spec_run
from boundary.report import write_report
from boundary.sampling.backends import Backend, register_backend, unregister_backend
from boundary.sampling.types import Completion
from boundary.spec import JudgeSpec, parse_spec

ROOT = Path(__file__).resolve().parent.parent

# p0: four samples, three with a correct answer: one valid chain, one invalid, one the judge cannot read
P0 = [("VALIDCHAIN so \\boxed{4}", "correct"), ("muddle but \\boxed{4}", "correct"),
      ("muddle \\boxed{5}", "wrong"), ("GARBLE \\boxed{4}", "correct")]


class ScriptedJudge(Backend):
    """A judge whose verdict depends on the judged text: VALIDCHAIN -> valid, GARBLE -> no verdict."""
    name = "scripted-judge"

    def __init__(self, model_spec):
        self.prompts = []

    def generate(self, requests, params):
        for req in requests:
            self.prompts.append(req.prompt)
            if "VALIDCHAIN" in req.prompt:
                text = "Each step follows.\nVERDICT: VALID"
            elif "GARBLE" in req.prompt:
                text = "hard to say, the solution is hard to read"
            else:
                text = "Step 2 is unjustified.\nVerdict: **INVALID**"
            yield req, [Completion(text, "stop", 10, 5) for _ in range(req.n)]


@pytest.fixture(autouse=True)
def _scripted():
    register_backend("scripted-judge", ScriptedJudge)
    yield
    unregister_backend("scripted-judge")


def make_run(path, *, with_judge_spec=None):
    spec = {"judge": with_judge_spec} if with_judge_spec else None
    run = Run.create(path, spec=spec)
    run.write("problems", pa.Table.from_pylist([
        {"benchmark": "toy", "problem_id": p, "question": f"What is 2+2 ({p})?", "reference": "4", "metadata": "{}"}
        for p in ("p0", "p1")]))
    samples, verdicts = [], []
    for p, rows in (("p0", P0), ("p1", [("muddle \\boxed{5}", "wrong")] * 4)):
        for i, (text, status) in enumerate(rows):
            key = {"model": "base", "benchmark": "toy", "problem_id": p, "sample_index": i}
            samples.append({**key, "text": text, "finish_reason": "stop"})
            verdicts.append({**key, "status": status, "extracted": text.split("{")[-1].rstrip("}")})
    run.write("samples", pa.Table.from_pylist(samples))
    run.write("verdicts", pa.Table.from_pylist(verdicts))
    run.add_models(["base"])
    run.add_benchmarks(["toy"])
    return run


def jspec(backend="scripted-judge", **kw) -> JudgeConfig:
    return JudgeSpec.model_validate({"model": {"name": "judge", "backend": backend, "path": "none"},
                                     **kw}).to_config()


def test_verdict_parsing_and_votes():
    assert parse_verdict("fine.\nVERDICT: VALID") == "valid"
    assert parse_verdict("VERDICT: invalid") == "invalid"               # 'invalid' is not read as 'valid'
    assert parse_verdict("Verdict - `Valid`") == "valid"
    assert parse_verdict("\\boxed{INVALID}") == "invalid"
    assert parse_verdict("") == parse_verdict(None) == parse_verdict("it is valid") == "unparsed"
    assert aggregate(["valid", "invalid", "valid"]) == "valid"
    assert aggregate(["valid", "unparsed"]) == "invalid"                # unparsed never helps "valid"
    assert aggregate(["valid", "invalid"], "all") == "invalid"
    assert aggregate(["unparsed"] * 3, "any") == "unparsed"


def test_judge_labels_correct_samples_and_cot_pass_at_k_by_hand(tmp_path):
    run = make_run(tmp_path / "r")
    s = judge_run(run, jspec())
    assert s.judged == 3 and s.skipped == 0                             # only the correct samples
    assert s.labels == {"valid": 1, "invalid": 1, "unparsed": 1}
    t = run.read("judgments").to_pylist()
    by_index = {r["sample_index"]: r for r in t}
    assert set(by_index) == {0, 1, 3}
    assert by_index[3]["label"] == "unparsed"
    assert by_index[3]["outputs"] == ["hard to say, the solution is hard to read"]
    assert all(r["judge"] == s.judge and r["judge"].startswith("judge#") for r in t)
    # the prompt carried the question, the reference and the response
    prompt = run.manifest["judges"][s.judge]["spec"]["prompt"]
    assert "{response}" in prompt
    [row] = cot_pass_at_k(run, ks=[1, 2, 4])
    assert (row.correct, row.valid, row.invalid, row.unparsed, row.unjudged) == (3, 1, 1, 1, 0)
    # p0: n=4, c=3, d=1; p1: c=d=0.  pass@1 = (3/4+0)/2, CoT = (1/4)/2; pass@2 = (1+0)/2, CoT = (1-3/6)/2
    assert row.pass_at_k == pytest.approx((0.375, 0.5, 0.5))
    assert row.cot_pass_at_k == pytest.approx((0.125, 0.25, 0.5))
    # resume: nothing left to judge; another prompt is another judge, not mixed with this one
    assert judge_run(run, jspec()).judged == 0
    other = judge_run(run, jspec(prompt="Judge this: {response}\nVERDICT?"))
    assert other.judged == 3 and other.judge != s.judge
    assert run.read("judgments").num_rows == 6


def test_unparseable_judge_output_is_never_valid(tmp_path):
    """The standard fake engine answers '...\\boxed{k}' or 'Let me think': no verdict in it."""
    run = make_run(tmp_path / "r")
    s = judge_run(run, jspec(backend="fake"))
    assert s.labels == {"unparsed": 3}
    [row] = cot_pass_at_k(run)
    assert row.pass_at_k[0] > 0 and row.cot_pass_at_k == (0.0,) * len(row.ks)


def test_judge_prompt_is_rendered_literally(tmp_path):
    run = make_run(tmp_path / "r")
    engine = ScriptedJudge(None)
    judge_run(run, jspec(prompt="Q={question} R={reference} A={answer}\n{response}"), backend=engine)
    assert "Q=What is 2+2 (p0)? R=4 A=4\nVALIDCHAIN so \\boxed{4}" in engine.prompts


def test_votes_are_aggregated(tmp_path):
    run = make_run(tmp_path / "r")
    s = judge_run(run, jspec(votes=3, temperature=0.7))
    t = run.read("judgments").to_pylist()
    assert all(r["votes_total"] == 3 and len(r["outputs"]) == 3 for r in t)
    assert s.labels == {"valid": 1, "invalid": 1, "unparsed": 1}
    with pytest.raises(Exception, match="identical votes"):
        jspec(votes=3)                                                   # temperature 0 and 3 votes


def test_judge_needs_verdicts(tmp_path):
    run = Run.create(tmp_path / "r")
    with pytest.raises(BoundaryError, match="no verdicts"):
        judge_run(run, jspec())


def test_report_shows_cot_pass_next_to_pass_and_browser_shows_labels(tmp_path):
    run = make_run(tmp_path / "r")
    paths = write_report(analyze(run, AnalysisConfig(n_boot=50)), tmp_path / "rep")
    html = paths.index_html.read_text()
    assert "no CoT-pass@k" in html and "table-cot-pass" not in html
    judge_run(run, jspec())
    paths = write_report(analyze(run, AnalysisConfig(n_boot=50)), tmp_path / "rep")
    html = paths.index_html.read_text()
    assert 'id="table-cot-pass"' in html and "0.375 / 0.125" in html       # k=1: pass@1 / CoT-pass@1
    import base64
    import gzip
    import json
    import re
    blob = json.loads(re.search(r'id="payloads">(.*?)</script>', paths.samples_html.read_text(), re.S).group(1))
    p0 = next(json.loads(gzip.decompress(base64.b64decode(v))) for v in blob.values()
              if "(p0)" in json.loads(gzip.decompress(base64.b64decode(v)))["q"])
    labels = {s[0]: s[6] for s in p0["models"]["base"]["samples"]}
    assert labels == {0: "valid", 1: "invalid", 2: None, 3: "unparsed"}


def test_cli_judge_reads_the_spec(tmp_path):
    run = make_run(tmp_path / "r")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "models": [{"name": "base", "backend": "fake", "path": "none"}],
        "benchmarks": [{"name": "toy"}], "sampling": {"n": 4},
        "judge": {"model": {"name": "judge", "backend": "fake", "path": "none"}}}))
    env = {**os.environ, "BOUNDARY_PLUGINS": "tests.helpers.fake_backend", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "judge", str(run.path), "--spec", str(spec)],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "3 correct samples judged" in r.stdout and "unparsed 3" in r.stdout
    r = subprocess.run([sys.executable, "-m", "boundary.cli", "judge", str(run.path)],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 2 and "no `judge:` block" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------------------ guessing
def _bench(tmp_path) -> str:
    """Three problems; the fake engine answers \\boxed{k} with k uniform in 0..8 (k=9: no answer)."""
    f = tmp_path / "toy.jsonl"
    f.write_text("".join(f'{{"id": "g{i}", "question": "Guess {i}", "answer": "{a}"}}\n'
                         for i, a in enumerate(["3", "7", "99"])))
    return str(f)


def test_guess_filter_flags_problems_answered_without_reasoning(tmp_path):
    spec = parse_spec({
        "models": [{"name": "base", "backend": "fake", "path": "none"},
                   {"name": "rl", "backend": "fake", "path": "none"}],
        "benchmarks": [{"name": "toy", "source": _bench(tmp_path),
                        "fields": {"question": "question", "answer": "answer", "id": "id"}}],
        "sampling": {"n": 8, "max_tokens": 64},
        "guess": {"n": 64, "threshold": 0.2}})
    run = Run.create(tmp_path / "r", spec=spec.model_dump(mode="json"))
    s, v = guess_spec_run(spec, run)
    assert s.new_samples == 3 * 64 and v.verified == 3 * 64
    sub = Run(run.path / "guess")
    assert sub.models == ["base"]                                   # default: the reference model only
    assert "Do not show any reasoning" in sub.manifest["sampling"]["base"]["template"]["text"]
    assert sub.manifest["sampling"]["base"]["params"]["max_tokens"] == 24
    assert not run.shards("samples")                                # the main run is untouched
    rows = {r.problem_id: r for r in guessability(run)}
    counts = {r["problem_id"]: r["correct"] for r in sub.counts().to_pylist()}
    assert {p: r.c_direct for p, r in rows.items()} == counts
    assert rows["g2"].c_direct == 0 and rows["g2"].flag == "no"     # 99 is never drawn
    for p in ("g0", "g1"):
        r = rows[p]
        assert r.c_direct > 0
        assert r.flag == ("guessable" if r.c_direct / 64 < 0.2 else "direct")
    assert {r.flag for r in guessability(run, threshold=0.5) if r.c_direct} == {"guessable"}
    # rerun: nothing new; the report shows the table
    s2, _ = guess_spec_run(spec, run)
    assert s2.new_samples == 0
    from boundary.report.validity import guess_rows
    table, totals = guess_rows(guessability(run))
    assert totals["problems"] == 3 and {t["problem"] for t in table} == {"g0", "g1"}


@pytest.mark.slow
def test_judge_through_the_transformers_backend(tmp_path, tiny_checkpoint):
    """A real (tiny, random-weight) judge model: every correct sample gets a label, none silently valid."""
    run = make_run(tmp_path / "r")
    js = JudgeSpec.model_validate({
        "model": {"name": "tiny-judge", "backend": "transformers", "path": str(tiny_checkpoint),
                  "dtype": "float32", "engine_args": {"num_threads": 1}},
        "prompt": "{response}\nVERDICT:", "max_tokens": 8, "max_response_chars": 200})
    s = judge_run(run, js.to_config())
    assert s.judged == 3
    t = run.read("judgments").to_pylist()
    assert {r["sample_index"] for r in t} == {0, 1, 3}
    for r in t:
        assert r["label"] == parse_verdict(r["outputs"][0])         # the label is what the output says
        assert r["label"] in ("valid", "invalid", "unparsed")
    [row] = cot_pass_at_k(run)
    assert all(c <= p for c, p in zip(row.cot_pass_at_k, row.pass_at_k))
    assert run.manifest["judges"][s.judge]["engine"]["backend"] == "transformers"


def test_boundary_run_judges_and_guesses_when_the_spec_asks(tmp_path):
    """`boundary run` (run_spec) runs the judge and the guess filter when the spec has their blocks."""
    from boundary.pipeline import run_spec
    spec = parse_spec({
        "models": [{"name": "base", "backend": "fake", "path": "none"}],
        "benchmarks": [{"name": "toy", "source": _bench(tmp_path),
                        "fields": {"question": "question", "answer": "answer", "id": "id"}}],
        "sampling": {"n": 8, "max_tokens": 64},
        "analysis": {"n_boot": 50, "extrapolate": False},
        "judge": {"model": {"name": "judge", "backend": "scripted-judge", "path": "none"}},
        "guess": {"n": 16}})
    stages = []
    result = run_spec(spec, tmp_path / "r", on_stage=lambda s, m: stages.append(s))
    assert {"judge", "guess"} <= set(stages) and result.report
    run = Run(tmp_path / "r")
    correct = sum(r["correct"] for r in run.counts().to_pylist())
    labelled = run.read("judgments").num_rows if run.shards("judgments") else 0
    assert correct > 0 and labelled == correct       # every correct sample got a label
    assert Run(run.path / "guess").counts().num_rows == 3
