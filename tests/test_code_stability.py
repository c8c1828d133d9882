"""Verdicts depend on CPU time, not on the number of workers or the load of the machine."""

import multiprocessing as mp

import pytest

from boundary.tasks.problem import Problem
from boundary.verify.code import CodeVerifier, CodeVerifyConfig

REF = "def work(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\n"


def work_problem() -> Problem:
    inputs = [[20000], [30000], [40000]]
    return Problem("toy", "work", "Sum of squares below n.", REF,
                   {"kind": "code", "test_type": "functional", "entry_point": "work", "inputs": inputs,
                    "outputs": [sum(i * i for i in range(n)) for (n,) in inputs], "segments": [("base", 3)]})


PROGRAMS = {
    "correct": "def work(n):\n    return (n - 1) * n * (2 * n - 1) // 6\n",
    "correct-loop": REF,
    "slow-but-correct": ("def work(n):\n    s = 0\n    for _ in range(8):\n        s = 0\n"
                         "        for i in range(n):\n            s += i * i\n    return s\n"),
    "wrong": "def work(n):\n    return n * n\n",
    "wrong-and-slow": ("def work(n):\n    s = 0\n    for _ in range(8):\n        for i in range(n):\n"
                       "            s += i\n    return s\n"),
    "too-slow": ("def work(n):\n    s = 0\n    for _ in range(10**6):\n        for i in range(n):\n"
                 "            s += i * i\n    return s\n"),
    "crash-late": ("def work(n):\n    if n > 30000:\n        raise ValueError(n)\n"
                   "    return (n - 1) * n * (2 * n - 1) // 6\n"),
}
EXPECTED = {"correct": ("correct", "pass"), "correct-loop": ("correct", "pass"),
            "slow-but-correct": ("correct", "pass"), "wrong": ("wrong", "fail"),
            "wrong-and-slow": ("wrong", "fail"), "too-slow": ("wrong", "time_limit"),
            "crash-late": ("wrong", "runtime_error")}


def _burn():
    while True:
        pass


def _run(workers, cache_dir):
    cfg = CodeVerifyConfig(workers=workers, min_test_s=0.3, min_total_s=1.0, cache_dir=cache_dir)
    prob = work_problem()
    items = [(p, prob) for p in PROGRAMS.values()] * 2
    with CodeVerifier(cfg) as v:
        return [(x.status, x.path, x.detail) for x in v.verify_batch(items)]


@pytest.mark.slow
def test_verdicts_identical_across_workers_and_load(tmp_path):
    cache = str(tmp_path)
    base = _run(1, cache)
    assert [(s, p) for s, p, _ in base] == [EXPECTED[k] for k in PROGRAMS] * 2
    assert _run(2, cache) == base
    assert _run(4, cache) == base
    burners = [mp.get_context("fork").Process(target=_burn, daemon=True) for _ in range(3)]
    for b in burners:
        b.start()
    try:
        assert _run(4, cache) == base
        assert _run(2, cache) == base
    finally:
        for b in burners:
            b.kill()
            b.join()


def test_wrong_and_slow_but_correct_are_told_apart(tmp_path):
    cfg = CodeVerifyConfig(workers=2, min_test_s=0.3, min_total_s=1.0, cache_dir=str(tmp_path))
    prob = work_problem()
    with CodeVerifier(cfg) as v:
        slow, wrong, too_slow = v.verify_batch([(PROGRAMS[k], prob) for k in ("slow-but-correct", "wrong", "too-slow")])
    assert (slow.status, slow.path) == ("correct", "pass")
    assert (wrong.status, wrong.path) == ("wrong", "fail")
    assert (too_slow.status, too_slow.path) == ("wrong", "time_limit")


def test_duplicates_run_once(tmp_path):
    prob = work_problem()
    with CodeVerifier(CodeVerifyConfig(workers=1, cache_dir=str(tmp_path))) as v:
        a = "```python\n" + PROGRAMS["correct"] + "```"
        b = "Sure:\n```python\n\n" + PROGRAMS["correct"].replace("\n", "   \n") + "\n```\n"
        out = v.verify_batch([(a, prob), (b, prob), (a, prob)])
        assert [x.status for x in out] == ["correct"] * 3 and v.executions == 1
        v.verify_batch([(a, prob)])
        assert v.executions == 1
