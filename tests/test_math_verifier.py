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
    # complex numbers in polar form: expanded exactly; a different angle or modulus stays wrong
    ("\\boxed{e^{i\\pi}}", "-1", "correct"),
    ("\\boxed{e^{i\\pi}}", "1", "wrong"),
    ("\\boxed{e^{\\pi i/3}}", "\\frac{1}{2} + \\frac{\\sqrt{3}}{2}i", "correct"),
    ("\\boxed{\\sqrt{2}e^{i 9\\pi/4}}", "1+i", "correct"),
    ("\\boxed{\\sqrt{2}e^{i 3\\pi/4}}", "1+i", "wrong"),
    ("\\boxed{e^{i\\theta}}", "1", "wrong"),
    # a number times a matrix of numbers is multiplied out; a factor in variables is not
    ("\\boxed{\\frac{1}{3}\\begin{pmatrix} 3 & 6 \\\\ 9 & 1 \\end{pmatrix}}",
     "\\begin{pmatrix} 1 & 2 \\\\ 3 & 1/3 \\end{pmatrix}", "correct"),
    ("\\boxed{\\frac{1}{3}\\begin{pmatrix} 3 & 6 \\\\ 9 & 1 \\end{pmatrix}}",
     "\\begin{pmatrix} 1 & 2 \\\\ 3 & 1 \\end{pmatrix}", "wrong"),
    ("\\boxed{x\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "wrong"),
    # j for the imaginary unit only against a complex reference
    ("\\boxed{-j}", "-i", "correct"),
    ("\\boxed{2j}", "-2i", "wrong"),
    ("\\boxed{2j}", "2", "wrong"),
    # arbitrary constants renamed in a general solution; never a shared or a lone given constant
    ("\\boxed{Ax+B}", "Dx+C", "correct"),
    ("\\boxed{Ax^2+B}", "Cx+D", "wrong"),
    ("\\boxed{A-B}", "B-A", "wrong"),
    # roots of expressions in positive variables; a root on one side only is not rewritten
    ("\\boxed{\\sqrt{x^2 y}}", "x\\sqrt{y}", "correct"),
    ("\\boxed{\\sqrt{x^2}}", "x", "wrong"),
    # scientific notation before a unit; ratios of known units are converted
    ("so $\\boxed{3.0 \\times 10^5 \\text{ km/s}}$", "3 \\times 10^{8}", "correct"),
    ("so $\\boxed{3.0 \\times 10^8 \\text{ km/s}}$", "3 \\times 10^{8}", "wrong"),
    ("so $\\boxed{72 \\text{ km/h}}$", "20", "correct"),
    ("so $\\boxed{2^8 \\text{ cm}}$", "2", "wrong"),
]
HINTS = {"so $\\boxed{2.4 \\text{ km}}$": {"unit": "m"}, "so $\\boxed{7.5 \\text{ mm}}$": {"unit": "cm"},
         "so $\\boxed{3.0 \\times 10^5 \\text{ km/s}}$": {"unit": "m/s"},
         "so $\\boxed{3.0 \\times 10^8 \\text{ km/s}}$": {"unit": "m/s"},
         "so $\\boxed{72 \\text{ km/h}}$": {"unit": "m/s"}}


def test_regressions():
    items = [(r, ref, HINTS.get(r)) for r, ref, _ in CASES]
    got = [v.status for v in verify_math_batch(items)]
    assert got == [want for _, _, want in CASES]


def test_non_mathematics_decided_without_sympy_and_same_status():
    """Prose, code and ``wrong-123456`` against a constant are wrong on the cheap path (path "type"),
    with the status the SymPy path gives."""
    from boundary.verify import math as vm
    pairs = [("wrong-123456", "5"), ("I could not solve this", "\\frac{1}{2}"), ("return total", "3\\sqrt{13}"),
             ("def f(n): return n", "42")]
    try:
        vm.CHEAP_NON_MATH = False
        slow = [vm.grade(a, r, "", "boundary") for a, r in pairs]
    finally:
        vm.CHEAP_NON_MATH = True
    fast = [vm.grade(a, r, "", "boundary") for a, r in pairs]
    assert [v[0] for v in fast] == [v[0] for v in slow] == ["wrong"] * len(pairs)
    assert all(v[1] == "type" and v[2].startswith("not a mathematical answer") for v in fast), fast
    # a function name is not prose: sin(pi/6) still reaches the exact/symbolic paths and is correct
    assert vm.grade("\\sin(\\pi/6)", "\\frac{1}{2}", "", "boundary")[0] == "correct"
