"""Regression cases found by the verification benchmark (bench/bench_verify.py) and the corpus."""

from __future__ import annotations


from boundary.verify import verify_math_batch

CASES = [
    # math-verify's LaTeX parser reads only the leading number of a malformed answer
    ("So the answer is $\\boxed{2 ** 3}$", "2", "wrong"),
    ("Thus the final answer is \\boxed{1 +* 9}.", "1", "wrong"),
    ("The answer is $\\boxed{2 & 3}.$", "2", "wrong"),
    # numbers in a base: the subscript matters
    ("\\boxed{4210_{6}}", "4210_{5}", "wrong"),
    ("\\boxed{4210_{5}}", "4210_{5}", "correct"),
    # a huge digit string is a wrong answer, not a crash
    ("\\boxed{" + "7" * 200_000 + "}", "10080", "wrong"),
    ("\\boxed{010080}", "10080", "correct"),
    # explicit units are converted, not deleted
    ("so $\\boxed{2.4 \\text{ km}}$", "2.4", "wrong"),
    ("so $\\boxed{7.5 \\text{ mm}}$", "0.75", "correct"),
    ("so $\\boxed{\\$5.40}$", "5.4 \\text{ cents}", "wrong"),
    # well-formed answers keep working
    ("\\boxed{\\begin{pmatrix} 1 & 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", "correct"),
    ("\\boxed{2^3}", "8", "correct"),
    ("\\boxed{1\x002}", "3", "wrong"),
]
HINTS = {"so $\\boxed{2.4 \\text{ km}}$": {"unit": "m"}, "so $\\boxed{7.5 \\text{ mm}}$": {"unit": "cm"}}


def test_regressions():
    items = [(r, ref, HINTS.get(r)) for r, ref, _ in CASES]
    got = [v.status for v in verify_math_batch(items)]
    assert got == [want for _, _, want in CASES]
