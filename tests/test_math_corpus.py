"""The labeled hard-case corpus and the pathological inputs, run through the public math verifier.

- ``tests/data/math_hard_cases.jsonl``: model responses with a reference answer and a careful human
  label (correct / wrong / no_answer), each built from a real failure report (``source``). Every case
  must get exactly its label from ``boundary.verify_math_batch``; labels are never loosened to make
  the suite pass. Cases the verifier is known to get wrong are listed in ``KNOWN_GAPS`` below and
  run as ``xfail(strict=True)``: when a fix lands they XPASS and must be removed from the list.
- ``tests/data/math_pathological.py``: inputs built to hang, blow up or crash a verifier. Each must
  finish within the time limit with a status in {timeout, error, wrong, no_answer}, and the run must
  go on. They run in a child process with an address-space limit, so a blow-up in the verifier fails
  this test instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CORPUS_PATH = DATA / "math_hard_cases.jsonl"
PATHOLOGICAL_PATH = DATA / "math_pathological.py"

LABELS = ("correct", "wrong", "no_answer")
REQUIRED_KEYS = {"id", "response", "reference", "expected", "category", "source", "note", "finish_reason", "hints"}
SOURCE_RE = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/(issues|pull|blob)/\S+$")

# ---------------------------------------------------------------------------------------------
# Known verifier gaps: cases whose human label the verifier does not (yet) reproduce.
# Each runs as xfail(strict=True); remove an entry as soon as the verifier gets it right.
# The label stays what a careful grader says; the reason records what the verifier said.
# ---------------------------------------------------------------------------------------------
# Measured against the verifier as of this file's writing (label mismatches in a clean environment):
# (Fixed since: tex-pi-over-2-plain, tex-neg-2pi -- bare pi; inf-oo -- SymPy's oo; rep-ellipsis --
# 0.777\ldots; mat-vector-as-tuple -- one-column pmatrix as a tuple; cplx-float-form -- 14.0 + -1.0i;
# cplx-i-squared -- exact evaluation with i; sym-exp16 -- exp(16); time-pm -- \text{ PM} is no longer
# dropped as a unit; int-x-in-closed, tup-set-for-tuple, pct-increase-prose, obox-*, mat-one-entry, mat-array --
# a concluding sentence, a Final Answer sentence, bold, #### 42 (extract.py); mc-plain-vs-text,
# fmt-left-right-frac, fmt-display-math -- a response that is one math span; final-last-statement-over-boxes
# -- a Final Answer line after the boxes; final-hallucinated-turn -- text after <|im_start|> cut;
# none-unclosed-box, none-placeholder-letter -- a marked answer cut off is no answer; cplx-polar,
# cplx-polar-sqrt2 -- polar form expanded exactly (math._polar); cplx-j -- j against a complex reference;
# mat-scalar-factor -- a number times a matrix of numbers multiplied out (normalize._scalar_times_matrix);
# sci-unit -- the exponent of 10^8 \mathrm{~m/s} is no longer dropped with the unit; km/s converted;
# sym-renamed-constants -- arbitrary constants renamed (math._renamed_constants); sym-sqrt-1-over-n --
# roots equal for positive variables (math._positive_variables).)
KNOWN_GAPS: dict[str, str] = {}


# Flaky: the check of this case sometimes overruns the 5 s limit (timeout) and sometimes finishes
# (wrong). Non-strict so a fix does not fail the suite, and a timeout is not hidden as a pass.
FLAKY_GAPS: dict[str, str] = {
    "sym-sum-bounds": "label wrong; verifier says wrong or timeout (the symbolic check of two sums takes ~5 s)",
}

# Pathological inputs the verifier is known to mishandle (crash the caller, or call correct).
# (Fixed: boxed-nested-50k -- nested boxes are no longer chained; nul-bytes -- control characters
# are stripped before normalization.)
KNOWN_PATHOLOGICAL_GAPS: dict[str, str] = {}
# ---------------------------------------------------------------------------------------------


def load_corpus() -> list[dict]:
    with open(CORPUS_PATH, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = load_corpus()


# ------------------------------------------------------------------------------ corpus schema
def test_corpus_schema():
    assert len(CASES) >= 220
    ids = [c["id"] for c in CASES]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, f"duplicate ids: {dup}"
    for c in CASES:
        assert set(c) == REQUIRED_KEYS, (c["id"], set(c) ^ REQUIRED_KEYS)
        assert c["expected"] in LABELS, c["id"]
        assert isinstance(c["response"], str) and isinstance(c["reference"], str), c["id"]
        assert c["reference"].strip(), f"{c['id']}: empty reference"
        assert SOURCE_RE.match(c["source"]), f"{c['id']}: source is not a GitHub issue/pull/file URL"
        assert c["note"].strip() and "\n" not in c["note"], f"{c['id']}: note must be one line"
        assert c["finish_reason"] is None or isinstance(c["finish_reason"], str), c["id"]
        assert isinstance(c["hints"], dict), c["id"]
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", c["id"]), f"bad id {c['id']!r}"
    per_cat = Counter(c["category"] for c in CASES)
    small = {k: v for k, v in per_cat.items() if v < 3}
    assert not small, f"categories with fewer than 3 cases: {small}"


def test_corpus_balance():
    labels = Counter(c["expected"] for c in CASES)
    n = len(CASES)
    assert labels["wrong"] >= 0.35 * n, labels
    assert labels["correct"] >= 0.35 * n, labels
    assert labels["no_answer"] >= 15, labels


def test_known_gap_lists_name_real_cases():
    ids = {c["id"] for c in CASES}
    assert not set(KNOWN_GAPS) - ids, set(KNOWN_GAPS) - ids
    assert not set(FLAKY_GAPS) - ids and not set(FLAKY_GAPS) & set(KNOWN_GAPS)
    spec = _load_pathological()
    assert not set(KNOWN_PATHOLOGICAL_GAPS) - {c["id"] for c in spec.cases()}


# ------------------------------------------------------------------------------ the verifier
def _verifier():
    try:
        from boundary.verify import verify_math_batch
    except ImportError as e:  # the verifier lands with issue 3; until then these tests skip
        pytest.skip(f"boundary.verify_math is not importable yet: {e}")
    return verify_math_batch


_CORPUS_CHILD = textwrap.dedent("""
    import json, sys
    from boundary.verify import verify_math_batch

    def main():
        with open(sys.argv[1], encoding="utf-8") as f:
            cases = [json.loads(line) for line in f if line.strip()]
        items = [{{"response": c["response"], "reference": c["reference"], "hints": c["hints"] or None,
                  "finish_reason": c["finish_reason"]}} for c in cases]
        verdicts = verify_math_batch(items)
        print(json.dumps({{c["id"]: [v.status, v.path, (v.extracted or "")[:200], (v.detail or "")[:200]]
                          for c, v in zip(cases, verdicts)}}))

    if __name__ == "__main__":
        main()
""")

# tests/conftest.py sets glibc malloc tuning variables for torch. Under them (MALLOC_TOP_PAD_=1e9)
# the verifier's workers, which run under a 2048 MB address-space limit, hit MemoryErrors that
# math-verify/SymPy swallow, and verdicts change silently and nondeterministically. The corpus and
# the pathological inputs therefore run in a child without them (a user's `boundary verify` has
# none), and test_verdicts_do_not_depend_on_malloc_env records the problem separately.
MALLOC_ENV = {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}


def _child_env(malloc: bool = False) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    if malloc:
        env.update(MALLOC_ENV or {"MALLOC_MMAP_THRESHOLD_": "1000000000",
                                  "MALLOC_TRIM_THRESHOLD_": "100000000000", "MALLOC_TOP_PAD_": "1000000000"})
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run_corpus_child(tmp_dir: Path, malloc: bool = False) -> dict:
    script = tmp_dir / "corpus_child.py"
    script.write_text(_CORPUS_CHILD.format())
    p = subprocess.run([sys.executable, str(script), str(CORPUS_PATH)], capture_output=True, text=True,
                       timeout=1800, env=_child_env(malloc), preexec_fn=_limit_memory)
    assert p.returncode == 0, "verifying the corpus crashed:\n" + "\n".join(p.stderr.splitlines()[-8:])
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def corpus_verdicts(tmp_path_factory) -> dict:
    _verifier()
    return _run_corpus_child(tmp_path_factory.mktemp("corpus"))


@pytest.mark.slow
def test_verdicts_do_not_depend_on_malloc_env(corpus_verdicts, tmp_path):
    with_malloc = _run_corpus_child(tmp_path, malloc=True)
    changed = {i: (corpus_verdicts[i][0], with_malloc[i][0]) for i in corpus_verdicts
               if corpus_verdicts[i][0] != with_malloc[i][0]}
    assert not changed, f"{len(changed)} verdicts change under the malloc variables: {changed}"


def _params():
    out = []
    for c in CASES:
        marks = ()
        if c["id"] in KNOWN_GAPS:
            marks = (pytest.mark.xfail(strict=True, reason="known verifier gap: " + KNOWN_GAPS[c["id"]]),)
        elif c["id"] in FLAKY_GAPS:
            marks = (pytest.mark.xfail(strict=False, reason="known flaky verifier gap: " + FLAKY_GAPS[c["id"]]),)
        out.append(pytest.param(c, id=c["id"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_corpus_case(case, corpus_verdicts):
    status, path, extracted, detail = corpus_verdicts[case["id"]]
    assert status == case["expected"], (
        f"{case['id']} [{case['category']}]: expected {case['expected']}, verifier said {status} "
        f"(path={path}, extracted={extracted!r}, detail={detail!r}); label note: {case['note']}; "
        f"source: {case['source']}")


# ------------------------------------------------------------------------------ pathological
def _load_pathological():
    import importlib.util
    spec = importlib.util.spec_from_file_location("math_pathological", PATHOLOGICAL_PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


PATHOLOGICAL = _load_pathological()
PATHOLOGICAL_IDS = [c["id"] for c in PATHOLOGICAL.cases()]
TIMEOUT_S = 2.0
# Address-space limit for the child that runs the verifier (its workers set their own lower limit).
CHILD_MEMORY_BYTES = 12 * 1024**3
# Wall-clock budget for the whole pathological batch: every item timing out, run serially, with a
# worker restart each, stays well below this.
BATCH_BUDGET_S = 60 + 4 * TIMEOUT_S * len(PATHOLOGICAL_IDS)

_CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {data!r})
    import math_pathological as mp
    from boundary.verify import MathVerifyConfig, verify_math_batch

    def main():
        ids = set(json.loads(sys.argv[1]))
        cases = [c for c in mp.cases() if c["id"] in ids]
        config = MathVerifyConfig(timeout_s={timeout!r})
        t0 = time.monotonic()
        verdicts = verify_math_batch([(c["response"], c["reference"]) for c in cases], config=config)
        elapsed = time.monotonic() - t0
        after = verify_math_batch([("\\\\boxed{{2}}", "2")], config=config)[0]
        print(json.dumps({{"elapsed": elapsed, "after": after.status,
                           "verdicts": {{c["id"]: [v.status, v.path, (v.detail or "")[:200]]
                                        for c, v in zip(cases, verdicts)}}}}))

    if __name__ == "__main__":
        main()
""")


def _limit_memory():  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def _run_child(tmp_dir: Path, ids: list[str], budget_s: float) -> dict:
    """Verify the named pathological cases in a child process; return its report or the failure."""
    script = tmp_dir / "pathological_child.py"
    script.write_text(_CHILD.format(data=str(DATA), timeout=TIMEOUT_S))
    env = _child_env()
    try:
        p = subprocess.run([sys.executable, str(script), json.dumps(ids)], capture_output=True, text=True,
                           timeout=budget_s, env=env, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return {"failure": f"did not finish within {budget_s:.0f} s"}
    if p.returncode != 0:
        tail = "\n".join(p.stderr.strip().splitlines()[-6:])
        return {"failure": f"child exited with {p.returncode} (caller crashed):\n{tail}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pathological_report(tmp_path_factory) -> dict:
    _verifier()
    ids = [i for i in PATHOLOGICAL_IDS if i not in KNOWN_PATHOLOGICAL_GAPS]
    return _run_child(tmp_path_factory.mktemp("pathological"), ids, BATCH_BUDGET_S)


def test_pathological_count():
    assert len(PATHOLOGICAL_IDS) >= 30
    assert len(set(PATHOLOGICAL_IDS)) == len(PATHOLOGICAL_IDS)


@pytest.mark.slow
def test_pathological_batch_finishes_and_run_goes_on(pathological_report):
    assert "failure" not in pathological_report, pathological_report.get("failure")
    assert pathological_report["elapsed"] < BATCH_BUDGET_S
    assert pathological_report["after"] == "correct", \
        "after the pathological batch, \\boxed{2} vs 2 no longer verifies as correct"


@pytest.mark.slow
@pytest.mark.parametrize("case_id", [i for i in PATHOLOGICAL_IDS if i not in KNOWN_PATHOLOGICAL_GAPS])
def test_pathological_case(case_id, pathological_report):
    if "failure" in pathological_report:
        pytest.fail("the pathological batch did not complete: " + pathological_report["failure"])
    status, path, detail = pathological_report["verdicts"][case_id]
    assert status in PATHOLOGICAL.ALLOWED_STATUSES, f"{case_id}: status {status} (path={path}, detail={detail!r})"


@pytest.mark.slow
@pytest.mark.parametrize("case_id", [pytest.param(i, marks=pytest.mark.xfail(
    strict=True, reason="known verifier gap: " + r)) for i, r in KNOWN_PATHOLOGICAL_GAPS.items()])
def test_pathological_known_gap(case_id, tmp_path):
    _verifier()
    report = _run_child(tmp_path, [case_id], 60 + 4 * TIMEOUT_S)
    assert "failure" not in report, report.get("failure")
    status = report["verdicts"][case_id][0]
    assert status in PATHOLOGICAL.ALLOWED_STATUSES, f"{case_id}: status {status}"
    assert report["after"] == "correct"
