"""Importers of other harnesses' sample files (docs/import.md): fixtures in tests/data/import follow
each writer field for field (tests/data/import/make_fixtures.py reproduces the writer)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from boundary import Run
from boundary.analysis import analyze
from boundary.errors import InputError
from boundary.importers import run_import

DATA = Path(__file__).resolve().parent / "data" / "import"
LM = DATA / "lm_eval" / "Qwen__Qwen2.5-Math-1.5B"
GSM = sorted(LM.glob("samples_gsm8k_*.jsonl"))
AIME = LM / "samples_aime24_2025-03-01T08-00-00.000001.jsonl"
OLD = DATA / "lm_eval" / "old-0.4.5" / "samples_gsm8k_2024-06-01T00-00-00.000000.jsonl"

_spec = importlib.util.spec_from_file_location("make_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def counts(run) -> dict[tuple[str, str, str], tuple[int, int]]:
    return {(r["model"], r["benchmark"], r["problem_id"]): (r["n"], r["correct"])
            for r in Run(run).counts().to_pylist()}


def store(run) -> dict[str, list]:
    r = Run(run)
    key = ["model", "benchmark", "problem_id", "sample_index"]
    return {"samples": sorted(tuple(x.values()) for x in r.samples(key + ["text"]).to_pylist()),
            "verdicts": sorted(tuple(x.values()) for x in r.verdicts(key + ["status", "verifier"]).to_pylist()),
            "problems": sorted(tuple(x.values()) for x in r.problems(["problem_id", "reference"]).to_pylist())}


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


# ------------------------------------------------------------------------------ lm-eval
def test_lm_eval_two_runs_of_gsm8k_are_two_samples_per_doc_graded_by_the_first_filter(tmp_path):
    s = run_import("lm-eval", GSM, tmp_path / "run")
    (part,) = s.parts
    assert (part.model, part.benchmark) == ("Qwen__Qwen2.5-Math-1.5B", "gsm8k")
    assert (part.problems, part.samples, part.verdicts) == (4, 8, 8)
    assert part.verifier == "lm-eval:exact_match,strict-match"
    m = "Qwen__Qwen2.5-Math-1.5B"
    # strict-match: run 1 gets all four; run 2 only doc 0 ("#### 4", no "####", no answer)
    assert counts(tmp_path / "run") == {(m, "gsm8k", "0"): (2, 2), (m, "gsm8k", "1"): (2, 1),
                                        (m, "gsm8k", "2"): (2, 1), (m, "gsm8k", "3"): (2, 1)}
    run = Run(tmp_path / "run")
    probs = {p["problem_id"]: p for p in run.problems().to_pylist()}
    assert probs["2"]["reference"] == "70000"            # GSM8K's "#### 70000"
    assert json.loads(probs["0"]["metadata"])["kind"] == "math"
    assert probs["0"]["question"].startswith("Question: Janet’s ducks")
    texts = {(r["problem_id"], r["sample_index"]): r["text"] for r in run.samples().to_pylist()}
    assert texts[("2", 0)] == " Die Kosten: 130.000 €; Wert 200.000 €. Gewinn: 70,000 €.\n#### 70,000"
    assert texts[("2", 1)] == " The profit is 70000 dollars."   # sample 1 comes from the second file
    assert {v["verifier"] for v in run.verdicts().to_pylist()} == {"lm-eval:exact_match,strict-match"}
    assert [i.kind for i in run.read_manifest().imports] == ["lm-eval", "lm-eval"]
    a = analyze(run)
    assert a.benchmarks[0].curves[m].estimate[0] == pytest.approx(5 / 8)


def test_lm_eval_other_filter_and_model_and_benchmark_names(tmp_path):
    s = run_import("lm-eval", GSM, tmp_path / "run", model="qwen-math", benchmark="gsm8k-test",
                   options={"filter": "flexible-extract"})
    assert s.parts[0].verifier == "lm-eval:exact_match,flexible-extract"
    assert [c for c in counts(tmp_path / "run").values()] == [(2, 2), (2, 1), (2, 2), (2, 1)]


def test_lm_eval_repeats_import_texts_only_and_boundary_verify_grades_them(tmp_path):
    s = run_import("lm-eval", [AIME], tmp_path / "run", model="m")
    (part,) = s.parts
    assert (part.problems, part.samples, part.verdicts) == (2, 8, 0)
    assert "4 responses for one document" in part.note
    run = Run(tmp_path / "run")
    assert run.verdicts().num_rows == 0
    r = cli("verify", tmp_path / "run", "--workers", "1")
    assert r.returncode == 0, r.stderr
    v = {(x["problem_id"], x["sample_index"]): x["status"] for x in Run(tmp_path / "run").verdicts().to_pylist()}
    assert [v[("0", j)] for j in range(4)] == ["correct", "correct", "wrong", "correct"]
    assert [v[("1", j)] for j in range(4)][:2] == ["correct", "correct"] and v[("1", 3)] == "wrong"
    assert counts(tmp_path / "run") == {("m", "aime24", "0"): (4, 3), ("m", "aime24", "1"): (4, 2)}


def test_lm_eval_before_0_4_7_without_filter_names_takes_the_first_filter(tmp_path):
    s = run_import("lm-eval", [OLD], tmp_path / "run", model="old")
    assert s.parts[0].verifier == "lm-eval:exact_match,#1" and s.parts[0].samples == 2
    assert counts(tmp_path / "run") == {("old", "gsm8k", "0"): (1, 1), ("old", "gsm8k", "1"): (1, 1)}


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.mark.parametrize("mutate, field, message", [
    (lambda r: r.pop("resps"), "resps", "is missing"),
    (lambda r: r.update(resps=[[["-1.5", "False"]]]), "resps", "loglikelihood or multiple-choice"),
    (lambda r: r.update(exact_match=0.5), "exact_match", "is 0.5, not 0/1"),
    (lambda r: r.pop("exact_match"), "exact_match", "is missing the metric 'exact_match'"),
    (lambda r: r.update(doc_id=0), "doc_id", "document '0' with filter 'strict-match' appears twice (first on line 1)"),
    (lambda r: r.update(doc_id=[3]), "doc_id", "must be a number or a string"),
])
def test_malformed_lm_eval_names_file_line_and_field(tmp_path, mutate, field, message):
    lines = _lines(GSM[0])
    rec = json.loads(lines[2])
    mutate(rec)
    lines[2] = json.dumps(rec) + "\n"
    bad = tmp_path / GSM[0].name
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as e:
        run_import("lm-eval", [bad], tmp_path / "run", model="m")
    assert (e.value.path, e.value.line, e.value.field) == (str(bad), 3, field)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()                # nothing is written on error


def test_lm_eval_broken_json_and_unknown_option(tmp_path):
    bad = tmp_path / GSM[0].name
    bad.write_text(_lines(GSM[0])[0] + '{"doc_id": 1, "resps": [\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2: is not valid JSON"):
        run_import("lm-eval", [bad], tmp_path / "run", model="m")
    with pytest.raises(InputError, match=r"unknown option\(s\) metrc for the lm-eval format; it takes filter"):
        run_import("lm-eval", GSM, tmp_path / "run", options={"metrc": "x"})
    other = tmp_path / "results.jsonl"
    shutil.copy(GSM[0], other)
    with pytest.raises(InputError, match="give it with --benchmark"):
        run_import("lm-eval", [other], tmp_path / "run", model="m")


def test_lm_eval_partial_import_then_full_gives_the_same_store(tmp_path):
    full = tmp_path / "full"
    run_import("lm-eval", GSM, full)
    prefix = tmp_path / "prefix" / "Qwen__Qwen2.5-Math-1.5B" / GSM[0].name
    prefix.parent.mkdir(parents=True)
    prefix.write_text("".join(_lines(GSM[0])[:3]), encoding="utf-8")     # 3 docs of the first file
    run_import("lm-eval", [prefix], tmp_path / "resumed")
    assert Run(tmp_path / "resumed").samples().num_rows == 3
    s = run_import("lm-eval", GSM, tmp_path / "resumed")
    assert s.parts[0].skipped_samples == 3
    assert store(tmp_path / "resumed") == store(full)
    s = run_import("lm-eval", GSM, tmp_path / "resumed")                 # again: nothing new
    assert s.parts[0].skipped_samples == 8 and store(tmp_path / "resumed") == store(full)


def test_lm_eval_other_files_imported_alone_are_refused_not_skipped(tmp_path):
    # each file is one run of gsm8k: imported alone, each numbers its samples from 0
    run_import("lm-eval", [GSM[0]], tmp_path / "run")
    before = store(tmp_path / "run")
    with pytest.raises(InputError, match=r"sample 0 of problem '0' is already stored with another text.*"
                                         r"Give the earlier files first, in their order, then the new ones"):
        run_import("lm-eval", [GSM[1]], tmp_path / "run")
    assert store(tmp_path / "run") == before                          # nothing lost, nothing added
    s = run_import("lm-eval", GSM, tmp_path / "run")                 # the way out the message gives
    assert s.parts[0].skipped_samples == 4
    run_import("lm-eval", GSM, tmp_path / "direct")
    assert store(tmp_path / "run") == store(tmp_path / "direct")


KILL_CHILD = textwrap.dedent("""
    import sys, time
    import boundary.store.run as R
    from boundary.importers import run_import
    calls = {"n": 0}
    real = R.pq.write_table
    def hang(table, where, **kw):      # shards: problems, samples, verdicts, problems, SAMPLES <- killed here
        calls["n"] += 1
        if calls["n"] == 5:
            print("MID", flush=True)
            time.sleep(600)
        return real(table, where, **kw)
    R.pq.write_table = hang
    from boundary.importers import lm_eval
    lm_eval.import_lm_eval([sys.argv[1]], sys.argv[2], model="m", shard_samples=10)
""")


def test_lm_eval_import_killed_midway_resumes_to_the_same_store(tmp_path):
    kw = {"until": ["Question:"], "do_sample": True, "temperature": 1.0}
    big = tmp_path / "samples_synthetic_2025-01-01T00-00-00.000000.jsonl"
    with open(big, "w", encoding="utf-8") as f:
        for i in range(60):
            doc = {"question": f"q{i}", "answer": f"#### {i}"}
            resp = f" so #### {i if i % 3 else i + 1}"
            f.write(fixtures.lm_eval_line(i, doc, doc["answer"], f"Question: q{i}\nAnswer:", kw, [[resp]],
                                          [resp.split()[-1]], "none", {"exact_match": float(i % 3 != 0)}))
    proc = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(big), str(tmp_path / "killed")],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.stdout.readline().strip() != "MID":
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(tmp_path / "killed").samples().num_rows
    assert 0 < partial < 60
    s = run_import("lm-eval", [big], tmp_path / "killed", model="m")
    assert s.parts[0].skipped_samples == partial
    run_import("lm-eval", [big], tmp_path / "direct", model="m")
    assert store(tmp_path / "killed") == store(tmp_path / "direct")
    assert sum(c for _, c in counts(tmp_path / "killed").values()) == 40


# ------------------------------------------------------------------------------ CLI
def test_cli_import_lm_eval_then_analyze(tmp_path):
    r = cli("import", "lm-eval", *GSM, "--run", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    assert "imported 4 problems, 8 samples of Qwen__Qwen2.5-Math-1.5B on gsm8k" in r.stdout
    assert "lm-eval:exact_match,strict-match" in r.stdout
    r = cli("analyze", tmp_path / "run", "--n-boot", "50")
    assert r.returncode == 0, r.stderr


def test_cli_malformed_file_is_one_line_with_exit_code_2(tmp_path):
    bad = tmp_path / GSM[0].name
    bad.write_text('{"doc_id": 0, "resps": "x"}\n', encoding="utf-8")
    r = cli("import", "lm-eval", bad, "--run", tmp_path / "run", "--model", "m")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert f"{bad}, line 1, field 'resps'" in r.stderr.replace("\n", "")


# ------------------------------------------------------------------------------ NeMo-Skills
NEMO = DATA / "nemo_skills" / "eval-results" / "math-500"
NEMO_FILES = [NEMO / f"output-rs{s}.jsonl" for s in (2, 0, 1)]          # any order: sorted by seed
NEMO_GEN = sorted((DATA / "nemo_skills" / "generation-only" / "aime24").glob("output-rs*.jsonl"))


def test_nemo_skills_seed_files_are_samples_of_the_line_problems(tmp_path):
    s = run_import("nemo-skills", NEMO_FILES, tmp_path / "run", model="qwen")
    (part,) = s.parts
    assert (part.benchmark, part.problems, part.samples, part.verdicts) == ("math-500", 3, 9, 9)
    assert part.verifier == "nemo-skills:symbolic_correct"
    assert counts(tmp_path / "run") == {("qwen", "math-500", "0"): (3, 2), ("qwen", "math-500", "1"): (3, 2),
                                        ("qwen", "math-500", "2"): (3, 1)}
    run = Run(tmp_path / "run")
    rows = {(r["problem_id"], r["sample_index"]): r for r in run.samples().to_pylist()}
    assert rows[("1", 1)]["text"] == "I give up" and rows[("1", 1)]["seed"] == 1
    assert rows[("0", 0)]["finish_reason"] is None and rows[("0", 2)]["finish_reason"] == "stop"
    v = {(r["problem_id"], r["sample_index"]): r["status"] for r in run.verdicts().to_pylist()}
    assert v[("1", 1)] == "no_answer" and v[("2", 1)] == "wrong"
    probs = {p["problem_id"]: p for p in run.problems().to_pylist()}
    assert probs["1"]["reference"] == "\\frac{1}{2}" and probs["1"]["question"] == "Find $x$ with $2x = 1$ (½ of 1)."
    assert json.loads(probs["1"]["metadata"])["subject"] == "Algebra"
    assert analyze(run).benchmarks[0].curves["qwen"].estimate[0] == pytest.approx(5 / 9)


def test_nemo_skills_judge_verdicts_carry_the_judge_name(tmp_path):
    s = run_import("nemo-skills", NEMO_FILES, tmp_path / "run", model="qwen",
                   options={"verdict": "judge_correct", "id": "id"})
    assert s.parts[0].verifier == "nemo-skills:judge_correct"
    # the judge accepts "twelve" (problem p2, seed 1), symbolic_correct does not
    assert counts(tmp_path / "run") == {("qwen", "math-500", "p0"): (3, 2), ("qwen", "math-500", "p1"): (3, 2),
                                        ("qwen", "math-500", "p2"): (3, 2)}


def test_nemo_skills_generation_only_imports_samples_and_resumes(tmp_path):
    s = run_import("nemo-skills", NEMO_GEN[:1], tmp_path / "run", model="m")
    assert (s.parts[0].benchmark, s.parts[0].samples, s.parts[0].verdicts) == ("aime24", 2, 0)
    s = run_import("nemo-skills", NEMO_GEN, tmp_path / "run", model="m")      # the second seed added later
    assert (s.parts[0].samples, s.parts[0].skipped_samples) == (4, 2)
    run_import("nemo-skills", NEMO_GEN, tmp_path / "direct", model="m")
    assert store(tmp_path / "run") == store(tmp_path / "direct")
    assert Run(tmp_path / "run").verdicts().num_rows == 0


@pytest.mark.parametrize("mutate, line, field, message", [
    (lambda r: r.pop("generation"), 2, "generation", "is missing"),
    (lambda r: r.update(symbolic_correct="yes"), 2, "symbolic_correct", "must be true or false"),
    (lambda r: r.pop("symbolic_correct"), 2, "symbolic_correct", "has no symbolic_correct while other lines"),
    (lambda r: r.update(problem="another"), 2, None, "holds another problem on this line"),
])
def test_malformed_nemo_skills_names_file_line_and_field(tmp_path, mutate, line, field, message):
    d = tmp_path / "math-500"
    d.mkdir()
    for f in NEMO_FILES:
        shutil.copy(f, d / f.name)
    bad = d / "output-rs1.jsonl"
    lines = _lines(bad)
    rec = json.loads(lines[1])
    mutate(rec)
    lines[1] = json.dumps(rec) + "\n"
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as e:
        run_import("nemo-skills", sorted(d.iterdir()), tmp_path / "run", model="m")
    assert (e.value.path, e.value.line, e.value.field) == (str(bad), line, field)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------------------ Inspect AI
INSPECT = DATA / "inspect"
INSPECT_JSON = INSPECT / "2026-05-01T10-00-00+00-00_gsm8k_b0undaryTaskId00000001.json"
INSPECT_ZSTD = INSPECT / "2026-05-02T09-00-00+00-00_math_zstd.eval"
INSPECT_KILLED = INSPECT / "2025-03-01T09-00-00+00-00_math_killed.eval"
INSPECT_REAL = INSPECT / "inspect_tests"
GPT = "openai/gpt-4o-mini"


def test_inspect_json_log_epochs_are_samples_and_the_chosen_scorer_the_verdicts(tmp_path):
    with pytest.raises(InputError, match=r"several scorers \(match, model_graded_fact\); choose the verdicts with "
                                         r"-o scorer=NAME"):
        run_import("inspect", [INSPECT_JSON], tmp_path / "run")
    assert not (tmp_path / "run").exists()
    s = run_import("inspect", [INSPECT_JSON], tmp_path / "run", options={"scorer": "match"})
    (part,) = s.parts
    assert (part.model, part.benchmark) == (GPT, "gsm8k")        # inspect_evals/gsm8k: the task's own name
    assert (part.problems, part.samples, part.verdicts) == (3, 8, 8)
    assert part.verifier == "inspect:match"
    assert "1 sample(s) ended in an error before scoring and were not imported" in part.note
    # match: problem 1 C C I; problem 2 I I (epoch 3 failed: not a sample); café-3 C C I
    assert counts(tmp_path / "run") == {(GPT, "gsm8k", "1"): (3, 2), (GPT, "gsm8k", "2"): (2, 0),
                                        (GPT, "gsm8k", "café-3"): (3, 2)}
    run = Run(tmp_path / "run")
    rows = {(r["problem_id"], r["sample_index"]): r for r in run.samples().to_pylist()}
    assert rows[("café-3", 0)]["text"] == "4 × 2,50 € = 10 €\nANSWER: 10" and rows[("1", 2)]["text"] == "ANSWER: 16"
    assert rows[("1", 0)]["finish_reason"] == "stop"
    v = {(r["problem_id"], r["sample_index"]): r for r in run.verdicts().to_pylist()}
    assert v[("2", 1)]["status"] == "wrong" and v[("2", 1)]["extracted"] == "three"
    assert v[("2", 1)]["verifier"] == "inspect:match" and v[("2", 1)]["path"] == "imported"
    probs = {p["problem_id"]: p for p in run.problems().to_pylist()}
    assert probs["café-3"]["question"] == "Un café coûte 2,50 €. Combien coûtent 4 cafés ?"
    assert probs["café-3"]["reference"] == "10"
    meta = json.loads(probs["1"]["metadata"])
    assert (meta["kind"], meta["source"], meta["task"]) == ("math", "inspect", "inspect_evals/gsm8k")
    assert [i.kind for i in run.read_manifest().imports] == ["inspect"]
    assert analyze(run).benchmarks[0].curves[GPT].estimate[0] == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)


def test_inspect_the_other_scorer_grades_differently(tmp_path):
    s = run_import("inspect", [INSPECT_JSON], tmp_path / "run", options={"scorer": "model_graded_fact"})
    assert s.parts[0].verifier == "inspect:model_graded_fact"
    # the model grader accepts "three" (problem 2, epoch 2), match does not
    assert counts(tmp_path / "run")[(GPT, "gsm8k", "2")] == (2, 1)
    s = run_import("inspect", [INSPECT_JSON], tmp_path / "texts", model="gpt", benchmark="gsm",
                   options={"scorer": "none"})
    assert (s.parts[0].samples, s.parts[0].verdicts, s.parts[0].model) == (8, 0, "gpt")
    assert Run(tmp_path / "texts").verdicts().num_rows == 0


def test_inspect_eval_log_zstd_members_and_a_relogged_sample(tmp_path):
    pytest.importorskip("zstandard")
    s = run_import("inspect", [INSPECT_ZSTD], tmp_path / "run")
    (part,) = s.parts
    assert (part.model, part.benchmark, part.problems, part.samples) == ("anthropic/claude-3-5-haiku", "math", 2, 4)
    assert part.verifier == "inspect:exact" and part.note is None
    m = "anthropic/claude-3-5-haiku"
    # exact: problem 1 True True (epoch 2 failed first, then its requeued record: the last member wins);
    # problem 2 False, 1.0
    assert counts(tmp_path / "run") == {(m, "math", "1"): (2, 2), (m, "math", "2"): (2, 1)}
    run = Run(tmp_path / "run")
    texts = {(r["problem_id"], r["sample_index"]): r["text"] for r in run.samples().to_pylist()}
    assert texts[("1", 0)] == "$\\boxed{\\frac{3}{4}}$"          # the text part, not the reasoning part
    assert texts[("1", 1)] == "$\\boxed{0.75}$"
    probs = {p["problem_id"]: p for p in run.problems().to_pylist()}
    assert probs["2"]["question"] == "Solve $x^2 = 9$ for $x > 0$. ∴ x = ?"      # the last user message
    assert probs["1"]["reference"] == "\\frac{3}{4}"                              # target list: the first
    assert json.loads(probs["1"]["metadata"])["target"] == ["\\frac{3}{4}", "0.75"]


def test_inspect_zstd_log_without_zstandard_says_how_to_read_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(InputError, match=r"header.json is zstd-compressed \(Inspect 0.3.206 and later\); reading it "
                                         r"needs the zstandard package"):
        run_import("inspect", [INSPECT_ZSTD], tmp_path / "run")


def test_inspect_killed_eval_log_without_header_imports_its_finished_samples(tmp_path):
    s = run_import("inspect", [INSPECT_KILLED], tmp_path / "run")
    (part,) = s.parts
    assert (part.problems, part.samples, part.verdicts) == (2, 3, 3)
    assert "has no header.json" in part.note
    m = "anthropic/claude-3-5-haiku"
    assert counts(tmp_path / "run") == {(m, "math", "1"): (2, 2), (m, "math", "2"): (1, 0)}
    texts = {(r["problem_id"], r["sample_index"]): r["text"] for r in Run(tmp_path / "run").samples().to_pylist()}
    assert texts[("2", 0)] == "$\\boxed{-3}$"                     # 0.3.120: no output.completion, the message


def test_inspect_reads_inspects_own_test_logs(tmp_path):
    s = run_import("inspect", sorted(INSPECT_REAL.glob("*.eval")), tmp_path / "run")
    got = {(p.model, p.benchmark): (p.problems, p.samples, p.verifier) for p in s.parts}
    assert got == {("ollama/gemma3", "popularity"): (1, 1, "inspect:match"),
                   ("openai/gpt-4o", "mmlu_0_shot"): (1, 1, "inspect:choice")}
    assert counts(tmp_path / "run") == {("ollama/gemma3", "popularity", "1"): (1, 1),
                                        ("openai/gpt-4o", "mmlu_0_shot", "1"): (1, 0)}
    v = {r["verifier"]: r["extracted"] for r in Run(tmp_path / "run").verdicts().to_pylist()}
    assert v == {"inspect:match": "Yes", "inspect:choice": "C"}


@pytest.mark.parametrize("value, status", [("C", "correct"), ("I", "wrong"), ("N", "no_answer"), (True, "correct"),
                                           (0, "wrong"), (1.0, "correct"), ("yes", "correct"), ("False", "wrong"),
                                           ("1", "correct"), ("P", None), (0.5, None), ("maybe", None),
                                           ({"a": 1}, None)])
def test_inspect_score_values_read_as_value_to_float_reads_them(value, status):
    from boundary.importers.inspect_logs import score_status
    assert score_status(value) == status


def _inspect_json_with(tmp_path, mutate, index=4):
    log = json.loads(INSPECT_JSON.read_text(encoding="utf-8"))
    mutate(log["samples"][index])
    bad = tmp_path / INSPECT_JSON.name
    bad.write_text(json.dumps(log, indent=2, ensure_ascii=False), encoding="utf-8")
    return bad


@pytest.mark.parametrize("mutate, field, message", [
    (lambda r: r.pop("epoch"), "epoch", "sample 2 epoch None (samples[4]): is missing"),
    (lambda r: r["scores"]["match"].update(value="P"), "scores.match.value",
     "sample 2 epoch 2 (samples[4]): is 'P', not correct/incorrect"),
    (lambda r: r["scores"].pop("match"), "scores.match", "is missing while other samples have a match score"),
    (lambda r: r.update(epoch=1), "id", "appears twice with this epoch"),
    (lambda r: r.update(output=["x"]), "output", "must be a ModelOutput object"),
])
def test_malformed_inspect_names_file_sample_and_field(tmp_path, mutate, field, message):
    bad = _inspect_json_with(tmp_path, mutate)
    with pytest.raises(InputError) as e:
        run_import("inspect", [bad], tmp_path / "run", options={"scorer": "match"})
    assert (e.value.path, e.value.field) == (str(bad), field)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()


def test_malformed_inspect_files(tmp_path):
    broken = tmp_path / "log.json"
    broken.write_text('{"version": 2,\n "eval": {"task": "t", "model": "m"},\n "samples": [\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"log.json, line 4: is not valid JSON"):
        run_import("inspect", [broken], tmp_path / "run")
    header = tmp_path / "header.json"
    header.write_text('{"version": 2, "eval": {"task": "t", "model": "m"}, "status": "success"}', encoding="utf-8")
    with pytest.raises(InputError, match=r"field 'samples': holds no samples \(a log written with --no-log-samples"):
        run_import("inspect", [header], tmp_path / "run")
    notlog = tmp_path / "other.eval"
    import zipfile
    with zipfile.ZipFile(notlog, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(InputError, match=r"other.eval: is a zip without header.json or _journal/start.json"):
        run_import("inspect", [notlog], tmp_path / "run")
    truncated = tmp_path / "cut.eval"
    truncated.write_bytes(INSPECT_KILLED.read_bytes()[:1000])
    with pytest.raises(InputError, match=r"cut.eval: is not a readable zip"):
        run_import("inspect", [truncated], tmp_path / "run")


def test_inspect_partial_import_then_full_gives_the_same_store(tmp_path):
    run_import("inspect", [INSPECT_JSON], tmp_path / "full", options={"scorer": "match"})
    log = json.loads(INSPECT_JSON.read_text(encoding="utf-8"))
    log["samples"] = log["samples"][:4]                   # an earlier snapshot: epoch 1 and the first of epoch 2
    part = tmp_path / "part" / INSPECT_JSON.name
    part.parent.mkdir()
    part.write_text(json.dumps(log), encoding="utf-8")
    run_import("inspect", [part], tmp_path / "resumed", options={"scorer": "match"})
    assert Run(tmp_path / "resumed").samples().num_rows == 4
    s = run_import("inspect", [INSPECT_JSON], tmp_path / "resumed", options={"scorer": "match"})
    assert s.parts[0].skipped_samples == 4
    assert store(tmp_path / "resumed") == store(tmp_path / "full")


KILL_INSPECT = KILL_CHILD.replace("from boundary.importers import lm_eval\n", "").replace(
    'lm_eval.import_lm_eval([sys.argv[1]], sys.argv[2], model="m", shard_samples=10)',
    'run_import.__globals__["get_importer"]("inspect").load()([sys.argv[1]], sys.argv[2], shard_samples=10)')


def test_inspect_import_killed_midway_resumes_to_the_same_store(tmp_path):
    samples = [fixtures.inspect_sample(i, e, f"q{i}", str(i), f"ANSWER: {i + e % 2}", {"match": fixtures.score(
        "C" if e % 2 == 0 else "I", str(i + e % 2))}) for e in (1, 2, 3) for i in range(20)]
    log = {"version": 2, "status": "success", "plan": fixtures.PLAN, "samples": samples,
           "eval": fixtures.inspect_eval_spec("synthetic", "m", 3, 20, "0.3.260")}
    big = tmp_path / "synthetic.json"
    big.write_bytes(fixtures.to_json_safe(log))
    proc = subprocess.Popen([sys.executable, "-c", KILL_INSPECT, str(big), str(tmp_path / "killed")],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.stdout.readline().strip() != "MID":
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Run(tmp_path / "killed").samples().num_rows
    assert 0 < partial < 60
    s = run_import("inspect", [big], tmp_path / "killed")
    assert s.parts[0].skipped_samples == partial
    run_import("inspect", [big], tmp_path / "direct")
    assert store(tmp_path / "killed") == store(tmp_path / "direct")
    assert sum(c for _, c in counts(tmp_path / "killed").values()) == 20        # epoch 2 of each problem


def test_cli_import_inspect_then_analyze_and_a_malformed_log(tmp_path):
    r = cli("import", "inspect", INSPECT_JSON, "--run", tmp_path / "run", "-o", "scorer=match")
    assert r.returncode == 0, r.stderr
    assert "imported 3 problems, 8 samples of openai/gpt-4o-mini on gsm8k" in r.stdout.replace("\n", " ")
    r = cli("analyze", tmp_path / "run", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    bad = _inspect_json_with(tmp_path, lambda s: s["scores"]["match"].update(value=0.5))
    r = cli("import", "inspect", bad, "--run", tmp_path / "bad", "-o", "scorer=match")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert "field 'scores.match.value': sample 2 epoch 2 (samples[4]): is 0.5" in r.stderr.replace("\n", "")


# ------------------------------------------------------------------------------ EvalPlus
EP = DATA / "evalplus"
EP_HE = EP / "humaneval" / "Qwen--Qwen2.5-Coder-1.5B_vllm_temp_0.8.jsonl"
EP_COMPLETIONS = EP / "humaneval" / "completions.jsonl"
EP_MBPP = EP / "mbpp" / "deepseek-ai--deepseek-coder-1.3b-instruct_openai_temp_0.0"
CODE = Path(__file__).resolve().parent / "data" / "code"
QWEN = "Qwen--Qwen2.5-Coder-1.5B_vllm_temp_0.8"
DS = "deepseek-ai--deepseek-coder-1.3b-instruct_openai_temp_0.0"
PLUS_MBPP3 = len(fixtures.evalplus_prompt("Mbpp/3")[2])


@pytest.fixture
def no_caches(tmp_path, monkeypatch):
    """No HumanEval+/MBPP+ release file in boundary's or EvalPlus's cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_evalplus_jsonl_and_directory_with_their_eval_results(tmp_path, no_caches):
    s = run_import("evalplus", [EP_HE, EP_MBPP], tmp_path / "run")
    got = {(p.model, p.benchmark): (p.problems, p.samples, p.verdicts, p.verifier) for p in s.parts}
    assert got == {(QWEN, "humaneval+"): (3, 9, 9, "evalplus:plus"), (DS, "mbpp+"): (2, 6, 6, "evalplus:plus")}
    assert "tests are not recorded" in s.parts[0].note
    # humaneval: one passing solution of three per task; Mbpp/2: 0.py and 1.py pass; Mbpp/3: only 0.py
    # passes the plus tests (1.py stops dividing at 11: 7921 = 89² is "prime" to it)
    assert counts(tmp_path / "run") == {(QWEN, "humaneval+", "HumanEval/0"): (3, 1),
                                        (QWEN, "humaneval+", "HumanEval/2"): (3, 1),
                                        (QWEN, "humaneval+", "HumanEval/12"): (3, 1),
                                        (DS, "mbpp+", "Mbpp/2"): (3, 2), (DS, "mbpp+", "Mbpp/3"): (3, 1)}
    run = Run(tmp_path / "run")
    rows = {(r["problem_id"], r["sample_index"]): r for r in run.samples().to_pylist()}
    assert rows[("HumanEval/0", 2)]["text"].endswith("    return True  # « toujours vrai » ≈ always\n")
    # the directory's samples are numbered by file (1.py is sample 1) although eval_results.json lists
    # them in os.listdir order: matched by solution text
    assert rows[("Mbpp/3", 1)]["text"].endswith("range(2, min(n, 12)))\n")
    v = {(r["problem_id"], r["sample_index"]): r for r in run.verdicts().to_pylist()}
    assert v[("Mbpp/3", 1)]["status"] == "wrong" and v[("Mbpp/2", 1)]["status"] == "correct"
    assert json.loads(v[("Mbpp/3", 1)]["detail"])["base_status"] == "pass"
    assert [i.kind for i in run.read_manifest().imports] == ["evalplus", "evalplus"]
    a = analyze(run)
    mbpp = next(b for b in a.benchmarks if b.benchmark == "mbpp+")
    assert mbpp.curves[DS].estimate[0] == pytest.approx((2 / 3 + 1 / 3) / 2)


def test_evalplus_base_verdicts_and_a_base_only_evaluation(tmp_path, no_caches):
    run_import("evalplus", [EP_MBPP], tmp_path / "run", options={"verdict": "base"})
    assert counts(tmp_path / "run")[(DS, "mbpp+", "Mbpp/3")] == (3, 2)        # 1.py passes the base tests
    assert {r["verifier"] for r in Run(tmp_path / "run").verdicts().to_pylist()} == {"evalplus:base"}
    # HumanEval's `completion` format, evaluated --base-only before v0.3 (<name>_eval_results.json)
    s = run_import("evalplus", [EP_COMPLETIONS], tmp_path / "b", model="m")
    assert (s.parts[0].verifier, s.parts[0].samples) == ("evalplus:base", 2)
    assert "base tests only" in s.parts[0].note
    assert counts(tmp_path / "b") == {("m", "humaneval+", "HumanEval/2"): (2, 1)}
    with pytest.raises(InputError, match=r"-o verdict=plus: the results hold base tests only"):
        run_import("evalplus", [EP_COMPLETIONS], tmp_path / "c", options={"verdict": "plus"})


def test_evalplus_samples_only_with_the_release_file_are_regraded_by_boundary_verify(tmp_path, no_caches):
    with pytest.raises(InputError, match=r"boundary cannot grade them without humaneval\+'s tests: pass "
                                         r"-o source=PATH"):
        run_import("evalplus", [EP_HE], tmp_path / "run", options={"verdict": "none"})
    s = run_import("evalplus", [EP_HE, EP_MBPP, EP_COMPLETIONS], tmp_path / "run",
                   options={"verdict": "none", "source": str(CODE)})
    assert [(p.samples, p.verdicts) for p in s.parts] == [(9, 0), (6, 0), (2, 0)]
    run = Run(tmp_path / "run")
    probs = {p["problem_id"]: json.loads(p["metadata"]) for p in run.problems().to_pylist()}
    assert (probs["Mbpp/3"]["kind"], probs["Mbpp/3"]["entry_point"]) == ("code", "is_not_prime")
    assert probs["Mbpp/3"]["segments"] == [["base", 5], ["plus", PLUS_MBPP3]]       # the release's tests
    texts = {(r["model"], r["problem_id"], r["sample_index"]): r["text"] for r in run.samples().to_pylist()}
    assert texts[("completions", "HumanEval/2", 0)].startswith("\n\ndef truncate_number")  # prompt + completion
    r = cli("verify", tmp_path / "run", "--workers", "1")
    assert r.returncode == 0, r.stderr
    # boundary's code verifier agrees with EvalPlus's plus verdicts on every sample
    c = counts(tmp_path / "run")
    assert c[(QWEN, "humaneval+", "HumanEval/0")] == (3, 1) and c[(DS, "mbpp+", "Mbpp/3")] == (3, 1)
    assert c[(DS, "mbpp+", "Mbpp/2")] == (3, 2) and c[("completions", "humaneval+", "HumanEval/2")] == (2, 1)


def test_evalplus_completions_imported_again_with_the_release_file_are_the_same_samples(tmp_path, no_caches):
    # first without the release file: the completion alone is stored; then with it (prompt + completion):
    # the same samples, skipped as stored, not refused as other files
    run_import("evalplus", [EP_COMPLETIONS], tmp_path / "run", model="m")
    before = store(tmp_path / "run")
    s = run_import("evalplus", [EP_COMPLETIONS], tmp_path / "run", model="m", options={"source": str(CODE)})
    assert s.parts[0].skipped_samples == 2 and store(tmp_path / "run") == before


def _copy_evalplus(tmp_path):
    d = tmp_path / "humaneval"
    d.mkdir()
    shutil.copy(EP_HE, d / EP_HE.name)
    res = EP_HE.with_name(EP_HE.name.replace(".jsonl", ".eval_results.json"))
    shutil.copy(res, d / res.name)
    return d / EP_HE.name, d / res.name


@pytest.mark.parametrize("mutate, field, message", [
    (lambda r: r.pop("task_id"), "task_id", "is missing"),
    (lambda r: r.pop("solution"), "solution", "has neither `solution` nor `completion`"),
    (lambda r: r.update(solution=["a", "b"]), "solution", "must be a string (several solutions: repeat the task_id)"),
    (lambda r: r.update(task_id="Mbpp/2"), "task_id", "'Mbpp/2' is not a task of humaneval+"),
    (lambda r: r.update(solution="def other(): pass\n"), "solution", "is for another solution than this sample"),
])
def test_malformed_evalplus_samples_name_file_line_and_field(tmp_path, no_caches, mutate, field, message):
    samples, _ = _copy_evalplus(tmp_path)
    lines = _lines(samples)
    rec = json.loads(lines[4])
    mutate(rec)
    lines[4] = json.dumps(rec) + "\n"
    samples.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as e:
        run_import("evalplus", [samples], tmp_path / "run")
    assert (e.value.path, e.value.line, e.value.field) == (str(samples), 5, field)
    assert message in str(e.value)
    assert not (tmp_path / "run").exists()


def test_malformed_evalplus_results_name_the_task_and_field(tmp_path, no_caches):
    samples, res = _copy_evalplus(tmp_path)
    data = json.loads(res.read_text())
    data["eval"]["HumanEval/2"][1]["plus_status"] = "passed"
    res.write_text(json.dumps(data))
    with pytest.raises(InputError) as e:
        run_import("evalplus", [samples], tmp_path / "run")
    assert (e.value.path, e.value.field) == (str(res), "eval.HumanEval/2[1].plus_status")
    data["eval"]["HumanEval/2"][1]["plus_status"] = "pass"
    data["eval"]["HumanEval/2"].pop()
    res.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"holds 2 results for HumanEval/2 but the samples have 3"):
        run_import("evalplus", [samples], tmp_path / "run")
    data["eval"] = {"HumanEval/0": {"nfiles": 3, "base": [], "plus": []}}
    res.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"written before EvalPlus 0.2.1"):
        run_import("evalplus", [samples], tmp_path / "run")
    r = cli("import", "evalplus", samples, "--run", tmp_path / "run")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert f"{res}, field 'eval.HumanEval/0': must be a list" in r.stderr.replace("\n", "")


def test_evalplus_partial_import_then_full_gives_the_same_store(tmp_path, no_caches):
    run_import("evalplus", [EP_HE], tmp_path / "full")
    samples, res = _copy_evalplus(tmp_path)
    lines = _lines(samples)
    samples.write_text("".join(lines[:4]), encoding="utf-8")     # codegen stopped after four samples
    data = json.loads(res.read_text())
    data["eval"] = {"HumanEval/0": data["eval"]["HumanEval/0"], "HumanEval/2": data["eval"]["HumanEval/2"][:1]}
    res.write_text(json.dumps(data))
    run_import("evalplus", [samples], tmp_path / "resumed")
    assert Run(tmp_path / "resumed").samples().num_rows == 4
    samples.write_text("".join(lines), encoding="utf-8")         # codegen resumed (appends), then evaluate
    shutil.copy(EP_HE.with_name(res.name), res)
    s = run_import("evalplus", [samples], tmp_path / "resumed")
    assert s.parts[0].skipped_samples == 4
    assert store(tmp_path / "resumed") == store(tmp_path / "full")


def test_cli_import_evalplus_then_analyze(tmp_path, no_caches):
    r = cli("import", "evalplus", EP_MBPP, "--run", tmp_path / "run", "--model", "ds")
    assert r.returncode == 0, r.stderr
    assert "imported 2 problems, 6 samples of ds on mbpp+" in r.stdout.replace("\n", " ")
    r = cli("analyze", tmp_path / "run", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
