"""Benchmark: math verification throughput on a realistic stream of 1024 samples per problem.

Stream (deterministic, seeded): problems drawn from MATH500 (``tests/data/math/math500.jsonl``,
field ``answer`` = the LaTeX reference) x n samples each. Per problem ``p_correct ~ Beta(0.5, 0.8)``
and every sample falls in one category:

- ``correct``      the reference in one of a few equivalent surface forms (as written,
                   ``\\dfrac``/``\\frac``, ``0.5``/``\\frac{1}{2}``, no spaces, ``a/b``, ``x = 3`` vs
                   ``3``, ``\\text{}`` dropped, ...), share ``p_correct`` of the non-rare mass;
- ``frequent``     2-4 frequent wrong answers (perturbations of the reference: +-1 on an integer,
                   swapped fraction, negated or otherwise changed expression);
- ``tail``         ~5%: rare wrong answers (random integers, fractions, decimals, surds);
- ``no_answer``    ~3%: reasoning text without a final answer (no box, no "the answer is"); some
                   end by restating the question or mention the reference value in passing;
- ``junk``         ~1%: unparseable junk inside the box;
- ``pathological`` ~0.05%: deeply nested braces, ``2^{2^{2^{...}}}`` towers, nested fractions and
                   roots, 200 KB boxes.

Every response is a few sentences of reasoning followed by an ending such as
``... so the answer is $\\boxed{...}$.`` (with or without ``$``, trailing ``.``, ``\\[ \\]``).

Reference: what a user would otherwise write, in one process, default math-verify settings (its
own 5 s ``signal.alarm`` time limits)::

    gold = parse("$" + reference + "$")        # once per problem
    for response in samples:
        ok = verify(gold, parse(response))     # once per sample

Time-outs inside math-verify are detected from its own "Timeout during ..." log warnings;
exceptions are caught per sample and counted as crashed. math-verify memoizes its LaTeX->SymPy
conversion (an ``lru_cache``) within the process, which the reference keeps.

Ours: ``MathVerifier(MathVerifyConfig(workers=2))``; pool start-up (forkserver importing SymPy and
math-verify, first worker call) is timed separately and included in the total.

Usage::

    .venv/bin/python bench/bench_verify.py                  # 128 problems x 1024; reference on 32 problems
    .venv/bin/python bench/bench_verify.py --quick          # 20 problems x 256
    .venv/bin/python bench/bench_verify.py --reference-subset 0   # reference on the FULL stream

Prints a Markdown table (the figures of docs/benchmarks.md, section "Math verification throughput").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA_CANDIDATES = (ROOT / "tests/data/math/math500.jsonl", Path("/work/shared/data/math/math500.jsonl"))
SEED = 20250418
PROBLEMS = 128
SAMPLES = 1024
DEFAULT_REFERENCE_SUBSET = 32_768
CATEGORIES = ("correct", "frequent", "tail", "no_answer", "junk", "pathological")
P_TAIL, P_NO_ANSWER, P_JUNK, P_PATHOLOGICAL = 0.05, 0.03, 0.01, 0.0005


# ============================================================================ stream generator

@dataclass(frozen=True)
class Sample:
    problem: int
    category: str
    kind: str          # finer label: the surface form, the pathological kind, ...
    boxed: str | None  # what was put in the box (None: no box)
    response: str


def load_problems(path: Path | None = None) -> list[dict]:
    for p in ([path] if path else DATA_CANDIDATES):
        if p and p.exists():
            with open(p) as f:
                return [json.loads(line) for line in f if line.strip()]
    raise SystemExit(f"math500.jsonl not found in {[str(p) for p in DATA_CANDIDATES]}")


_INT = re.compile(r"^-?\d+$")
_FRAC = re.compile(r"^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
_DEC = re.compile(r"^-?\d*\.\d+$")


def _as_fraction(ref: str) -> Fraction | None:
    s = ref.strip()
    if _INT.match(s) or _DEC.match(s):
        return Fraction(s)
    m = _FRAC.match(s)
    if m and int(m.group(3)) != 0:
        v = Fraction(int(m.group(2)), int(m.group(3)))
        return -v if m.group(1) else v
    return None


def _terminating(x: Fraction) -> bool:
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _decimal(x: Fraction) -> str:
    s = f"{float(x):.10f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def correct_forms(ref: str) -> list[tuple[str, str]]:
    """Equivalent surface forms of the reference: (kind, text). The first one is as written."""
    forms = [("as_written", ref)]
    s = ref.strip()
    if "\\frac" in s and "\\dfrac" not in s:
        forms.append(("dfrac", s.replace("\\frac", "\\dfrac")))
    if "\\dfrac" in s:
        forms.append(("frac", s.replace("\\dfrac", "\\frac")))
    x = _as_fraction(s)
    if x is not None:
        if x.denominator != 1 and _terminating(x) and not _DEC.match(s):
            forms.append(("decimal", _decimal(x)))
        if _DEC.match(s):
            forms.append(("fraction", f"\\frac{{{x.numerator}}}{{{x.denominator}}}" if x >= 0
                          else f"-\\frac{{{-x.numerator}}}{{{x.denominator}}}"))
        m = _FRAC.match(s)
        if m:
            forms.append(("slash", f"{m.group(1)}{m.group(2)}/{m.group(3)}"))
        if x.denominator == 1 and abs(x) >= 1000 and "," not in s:
            forms.append(("thousands", f"{int(x):,}"))
    if " " in s:
        forms.append(("no_spaces", s.replace(" ", "")))
    if "\\left" in s:
        forms.append(("no_left_right", s.replace("\\left", "").replace("\\right", "")))
    m = re.match(r"^([a-zA-Z])\s*=\s*(.+)$", s)
    if m:
        forms.append(("rhs_only", m.group(2)))
    elif re.match(r"^-?(\d|\\[dt]?frac|\\sqrt|\\pi)", s) and "=" not in s and "," not in s:
        forms.append(("with_variable", f"x = {s}"))
    m = re.match(r"^\\text\{([^{}]*)\}$", s)
    if m:
        forms.append(("no_text", m.group(1)))
    m = re.match(r"^(\d+)\^\\circ$", s)
    if m:
        forms.append(("no_degree", m.group(1)))
    if "\\sqrt" in s and re.search(r"\\sqrt\d", s):
        forms.append(("sqrt_braced", re.sub(r"\\sqrt(\d)", r"\\sqrt{\1}", s)))
    seen, out = set(), []
    for kind, text in forms:
        if text not in seen:
            seen.add(text)
            out.append((kind, text))
    return out


_NAMES = ("\\text{Bob}", "\\text{Alice}", "\\text{none}", "\\text{(B)}", "\\text{yes}")


def wrong_answers(ref: str, rng: random.Random, count: int) -> list[tuple[str, str]]:
    """``count`` distinct frequent wrong answers (kind, text): perturbations of the reference."""
    s = ref.strip()
    cands: list[tuple[str, str]] = []
    nums = [m for m in re.finditer(r"\d+", s)]
    for m in rng.sample(nums, len(nums)):
        n = int(m.group())
        for d in (1, -1, 2):
            if n + d >= 0:
                cands.append((f"int{d:+d}", s[:m.start()] + str(n + d) + s[m.end():]))
    for m in re.finditer(r"\\[dt]?frac\{(\d+)\}\{(\d+)\}", s):
        if m.group(1) != m.group(2) and m.group(1) != "0":
            cands.append(("swapped_fraction", s[:m.start()] + f"\\frac{{{m.group(2)}}}{{{m.group(1)}}}" + s[m.end():]))
    x = _as_fraction(s)
    if x is not None and x != 0:
        cands.append(("negated", _decimal(-x) if _DEC.match(s) else (s[1:] if s.startswith("-") else "-" + s)))
        doubled = 2 * x
        cands.append(("doubled", str(doubled) if doubled.denominator == 1
                      else f"\\frac{{{doubled.numerator}}}{{{doubled.denominator}}}"))
    if " - " in s:
        cands.append(("sign_flip", s.replace(" - ", " + ", 1)))
    if "\\sqrt" in s:
        cands.append(("sqrt_dropped", re.sub(r"\\sqrt\{?(\d+)\}?", r"\1", s, count=1)))
    if "\\pi" in s:
        cands.append(("pi_doubled", s.replace("\\pi", "2\\pi", 1)))
    if not cands or rng.random() < 0.3:
        cands.append(("other_expression", rng.choice(("0", "1", "\\frac{1}{2}", "2\\sqrt{2}", "\\infty",
                                                        "\\pi", "e", "10", "-1") + _NAMES)))
    out, seen = [], {s}
    for kind, text in cands:
        if text not in seen:
            seen.add(text)
            out.append((kind, text))
        if len(out) == count:
            break
    while len(out) < count:  # pad with random integers
        text = str(rng.randint(0, 99))
        if text not in seen:
            seen.add(text)
            out.append(("random_integer", text))
    return out


def tail_answer(rng: random.Random) -> tuple[str, str]:
    r = rng.random()
    if r < 0.5:
        return "integer", str(rng.randint(-20, 2000))
    if r < 0.75:
        return "fraction", f"\\frac{{{rng.randint(1, 99)}}}{{{rng.randint(2, 99)}}}"
    if r < 0.9:
        return "decimal", f"{rng.uniform(0, 100):.{rng.randint(1, 4)}f}"
    return "surd", f"{rng.randint(2, 20)}\\sqrt{{{rng.choice((2, 3, 5, 6, 7, 10, 11))}}}"


_JUNK = (
    lambda r: "\\frac{" + str(r.randint(1, 9)) + "}{}",
    lambda r: "?" * r.randint(1, 4),
    lambda r: "x^{" * r.randint(1, 3),
    lambda r: "\\sqrt",
    lambda r: ")(" + str(r.randint(0, 99)),
    lambda r: "\\begin{pmatrix} " + str(r.randint(0, 9)),
    lambda r: f"{r.randint(1, 9)} +* {r.randint(1, 9)}",
    lambda r: "\\\\ & = \\\\",
    lambda r: "\\text{I don't know}",
    lambda r: "=" * r.randint(1, 3),
    lambda r: "\\left( " + str(r.randint(0, 9)),
    lambda r: "\\frac{\\frac{}{}}{" + str(r.randint(0, 9)),
    lambda r: "".join(r.choice("^_&%#~") for _ in range(r.randint(2, 8))),
    lambda r: "\\undefinedmacro{" + str(r.randint(0, 99)) + "}",
    lambda r: "\\int_0^{" + str(r.randint(1, 9)) + "} d",
)


def junk_answer(rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(_JUNK))
    return f"junk{i}", _JUNK[i](rng)


def pathological_answer(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(("nested_braces", "tower", "huge_box", "huge_sum", "nested_frac", "nested_sqrt",
                       "huge_power"))
    if kind == "nested_braces":
        d = rng.randint(500, 5000)
        return kind, "{" * d + str(rng.randint(1, 9)) + "}" * d
    if kind == "tower":
        d = rng.randint(8, 40)
        return kind, "2^{" * d + str(rng.randint(2, 9)) + "}" * d
    if kind == "huge_box":  # ~200 KB of digits
        return kind, "".join(rng.choices("0123456789", k=200_000))
    if kind == "huge_sum":  # ~200 KB expression
        return kind, "+".join(str(rng.randint(1, 9)) for _ in range(100_000))
    if kind == "nested_frac":
        d = rng.randint(50, 300)
        return kind, "\\frac{1}{1+" * d + "x" + "}" * d
    if kind == "nested_sqrt":
        d = rng.randint(50, 300)
        return kind, "\\sqrt{" * d + str(rng.randint(2, 9)) + "}" * d
    return kind, f"{rng.randint(100, 999)}^{{{rng.randint(100, 999)}^{{{rng.randint(100, 999)}}}}}"


_SENTENCES = (
    "Let me set up the problem carefully.",
    "We start by writing ${a}x + {b} = {c}$ and solving for $x$.",
    "First, note that ${a}^2 = {a2}$.",
    "Substituting back, we get ${a} \\cdot {b} = {ab}$.",
    "By symmetry, it suffices to consider the case $x \\ge 0$.",
    "Using the identity $\\sin^2\\theta + \\cos^2\\theta = 1$, the expression simplifies.",
    "Combining the two cases gives the total count.",
    "We can factor the quadratic as $(x - {a})(x + {b})$.",
    "Checking the boundary values confirms the computation.",
    "The sum of the first ${a}$ terms is $\\frac{{{a}({a}+1)}}{{2}}$.",
    "Hence the ratio is $\\frac{{{a}}}{{{b}}}$ before simplification.",
    "Let me double-check the arithmetic once more.",
)
_ENDINGS = (
    "Therefore, so the answer is $\\boxed{{{x}}}$.",
    "So the answer is $\\boxed{{{x}}}$",
    "Thus the final answer is \\boxed{{{x}}}.",
    "\\[\n\\boxed{{{x}}}\n\\]",
    "The answer is $\\boxed{{{x}}}.$",
    "**Final Answer**\n\\boxed{{{x}}}",
)
_NO_ANSWER = (
    "Hmm, this doesn't look right. Let me recompute: ${a} \\times {b} = {ab}$. Wait, let me reconsider "
    "the problem from the beginning.",
    "I'm running out of space, so let me summarize where we are: we found that $x = {a}$ and the sum "
    "so far is ${c}$.",
    "Let me restate the problem. {question}",
    "At this point we have ${ref}$, but I need to double-check this step before concluding.",
    "So the key quantity is ${a}$. I am not sure how to proceed from here.",
)


def _fill(template: str, rng: random.Random, **extra) -> str:
    a, b = rng.randint(2, 30), rng.randint(2, 30)
    return template.format(a=a, b=b, c=rng.randint(1, 200), a2=a * a, ab=a * b, **extra)


def _reasoning(rng: random.Random) -> str:
    return " ".join(_fill(t, rng) for t in rng.sample(_SENTENCES, rng.randint(2, 4)))


def make_problem_stream(pid: int, problem: dict, samples: int, seed: int) -> list[Sample]:
    """The samples of one problem; deterministic in (seed, pid)."""
    rng = random.Random(f"{seed}:{pid}")
    nrng = np.random.default_rng([seed, pid])
    ref = problem["answer"]
    p_correct = float(nrng.beta(0.5, 0.8))
    forms = correct_forms(ref)
    form_w = np.array([6.0] + [1.0] * (len(forms) - 1))
    form_w /= form_w.sum()
    wrong = wrong_answers(ref, rng, rng.randint(2, 4))
    wrong_w = nrng.dirichlet(np.ones(len(wrong)))
    main = 1.0 - (P_TAIL + P_NO_ANSWER + P_JUNK + P_PATHOLOGICAL)
    probs = [main * p_correct, main * (1 - p_correct), P_TAIL, P_NO_ANSWER, P_JUNK, P_PATHOLOGICAL]
    cats = nrng.choice(len(CATEGORIES), size=samples, p=np.array(probs) / sum(probs))
    question = problem.get("problem", "")[:300]
    out = []
    for c in cats:
        cat = CATEGORIES[c]
        if cat == "no_answer":
            j = rng.randrange(len(_NO_ANSWER))
            if j == 3 and _as_fraction(ref) is None:
                j = 0
            text = _fill(_NO_ANSWER[j], rng, question=question, ref=ref)
            out.append(Sample(pid, cat, f"no_answer{j}", None, _reasoning(rng) + " " + text))
            continue
        if cat == "correct":
            kind, box = forms[int(nrng.choice(len(forms), p=form_w))]
        elif cat == "frequent":
            kind, box = wrong[int(nrng.choice(len(wrong), p=wrong_w))]
        elif cat == "tail":
            kind, box = tail_answer(rng)
        elif cat == "junk":
            kind, box = junk_answer(rng)
        else:
            kind, box = pathological_answer(rng)
        ending = rng.choice(_ENDINGS).format(x=box)
        out.append(Sample(pid, cat, kind, box, _reasoning(rng) + " " + ending))
    return out


def make_stream(problems: list[dict], n_problems: int, samples: int, seed: int = SEED):
    """Seeded choice of ``n_problems`` problems, ``samples`` samples each."""
    idx = sorted(random.Random(seed).sample(range(len(problems)), min(n_problems, len(problems))))
    refs, stream = [], []
    for pid, i in enumerate(idx):
        refs.append(problems[i]["answer"])
        stream.extend(make_problem_stream(pid, problems[i], samples, seed))
    return idx, refs, stream


# ============================================================================ reference

class _MVLog(logging.Handler):
    """Counts math-verify's own timeout warnings (it returns [] / False on a timeout)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.timeouts = 0

    def emit(self, record):
        if "Timeout" in record.getMessage()[:40]:
            self.timeouts += 1


def run_reference(refs: list[str], stream: list[Sample], which: list[int]):
    """math_verify.verify(gold, parse(response)) per sample, gold parsed once per problem.

    Returns (seconds, {index: True | False | "timeout" | "crashed"}, {index: seconds})."""
    from math_verify import parse, verify

    handler = _MVLog()
    for name in ("math_verify", "math_verify.parser", "math_verify.grader"):
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        lg.propagate = False
    results: dict[int, object] = {}
    times: dict[int, float] = {}
    golds: dict[int, object] = {}
    t0 = time.perf_counter()
    for i in which:
        s = stream[i]
        before = handler.timeouts
        ts = time.perf_counter()
        try:
            if s.problem not in golds:
                golds[s.problem] = parse("$" + refs[s.problem] + "$")
            ok = bool(verify(golds[s.problem], parse(s.response)))
            results[i] = "timeout" if handler.timeouts > before and not ok else ok
        except Exception:
            results[i] = "crashed"
        times[i] = time.perf_counter() - ts
    return time.perf_counter() - t0, results, times


# ============================================================================ ours

def run_ours(refs: list[str], stream: list[Sample], workers: int, per_problem: bool):
    from boundary.verify import MathItem, MathVerifier, MathVerifyConfig

    t0 = time.perf_counter()
    v = MathVerifier(MathVerifyConfig(workers=workers))
    # Start the pool (forkserver imports SymPy/math-verify) with one pair that is not in the stream.
    v.verify_batch([MathItem("\\boxed{1}", "\\text{warm-up}")])
    t_start = time.perf_counter() - t0
    checks0 = v.checks
    t1 = time.perf_counter()
    if per_problem:
        verdicts = []
        lo = 0
        while lo < len(stream):
            hi = lo
            while hi < len(stream) and stream[hi].problem == stream[lo].problem:
                hi += 1
            verdicts.extend(v.verify_batch([MathItem(s.response, refs[s.problem]) for s in stream[lo:hi]]))
            lo = hi
    else:
        verdicts = v.verify_batch([MathItem(s.response, refs[s.problem]) for s in stream])
    t_stream = time.perf_counter() - t1
    checks = v.checks - checks0
    restarts = getattr(v._pool, "restarts", None) if v._pool is not None else None
    v.close()
    return t_start, t_stream, verdicts, checks, restarts


# ============================================================================ main

def fmt_s(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def scaling(args) -> int:
    """Ours only: how time grows with samples per problem vs with distinct pairs."""
    problems = load_problems(args.data)
    print(f"# scaling of ours: {args.problems} problems, workers={args.workers}, nproc {os.cpu_count()}, "
          f"python {platform.python_version()}" + (f", without {', '.join(args.drop)}" if args.drop else ""),
          flush=True)
    print("| samples/problem | samples | distinct pairs checked | timeouts | start-up | stream time | "
          "ms per sample | ms per distinct pair | loadavg (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n_s in (128, 256, 512, 1024):
        _, refs, stream = make_stream(problems, args.problems, n_s, args.seed)
        stream = [s for s in stream if s.category not in args.drop]
        t_start, t_stream, verdicts, checks, _ = run_ours(refs, stream, args.workers, args.per_problem)
        timeouts = sum(v.status == "timeout" for v in verdicts)
        print(f"| {n_s} | {len(stream):,} | {checks:,} | {timeouts} | {fmt_s(t_start)} | {fmt_s(t_stream)} | "
              f"{1000 * t_stream / len(stream):.2f} | {1000 * t_stream / max(checks, 1):.1f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)
    return 0


_PROSE = ("I could not solve this problem", "the answer cannot be determined", "see the explanation above",
          "it depends on the value of n", "none of the above", "insufficient information")
_CODE = ("def f(n):\n    return n * 2", "print(sum(range(10)))", "x == 5", "return total",
         "```python\nans = 42\n```", "lambda x: x + 1 => 3")


def non_math_answers(n: int, rng: random.Random) -> list[str]:
    """Distinct answers that are plainly not mathematics: ``wrong-123456`` identifiers, prose, code."""
    out: set[str] = set()
    while len(out) < n:
        k = rng.randrange(3)
        if k == 0:
            out.add(f"{rng.choice(('wrong', 'error', 'answer', 'unknown', 'fail'))}-{rng.randrange(10**6)}")
        elif k == 1:
            out.add(f"{rng.choice(_PROSE)} ({rng.randrange(10**4)})")
        else:
            out.add(f"{rng.choice(_CODE)}  # {rng.randrange(10**4)}")
    return sorted(out)


def non_math(args) -> int:
    """Grade the same non-mathematical answers against MATH500 references in this process, with
    the cheap path off (every pair reaches SymPy) and on; verdict statuses must be identical."""
    from boundary.verify import math as vm
    rng = random.Random(args.seed)
    problems = load_problems(args.data)
    refs = [p["answer"] for p in rng.sample(problems, min(args.problems, len(problems)))]
    pairs = [(a, rng.choice(refs)) for a in non_math_answers(args.non_math, rng)]
    vm.warm_up()
    results = {}
    for cheap in (False, True):
        vm.CHEAP_NON_MATH = cheap
        t0 = time.perf_counter()
        results[cheap] = [vm.grade(a, r, "", "boundary") for a, r in pairs]
        results[cheap, "t"] = time.perf_counter() - t0
    vm.CHEAP_NON_MATH = True
    same = sum(x[0] == y[0] for x, y in zip(results[False], results[True]))
    cheap_n = sum(1 for v in results[True] if v[2] and v[2].startswith("not a mathematical"))
    print(f"| non-mathematical answers (distinct pairs, 1 process) | {len(pairs):,} |")
    print(f"| cheap path off: every pair through the exact paths and SymPy | {fmt_s(results[False, 't'])}, "
          f"{1000 * results[False, 't'] / len(pairs):.2f} ms/pair |")
    print(f"| cheap path on | {fmt_s(results[True, 't'])}, {1000 * results[True, 't'] / len(pairs):.2f} ms/pair |")
    print(f"| decided on the cheap path | {cheap_n:,} |")
    print(f"| identical verdict statuses | {same:,} / {len(pairs):,} |")
    print(f"| statuses | {dict(Counter(v[0] for v in results[True]))} |")
    return 0 if same == len(pairs) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=PROBLEMS)
    ap.add_argument("--samples", type=int, default=SAMPLES)
    ap.add_argument("--reference-subset", type=int, default=None,
                    help=f"run the reference on about this many samples (whole random problems) and "
                         f"extrapolate (default {DEFAULT_REFERENCE_SUBSET}; 0 = the full stream)")
    ap.add_argument("--quick", action="store_true", help="20 problems x 256 samples, reference on all")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--per-problem", action="store_true", help="one verify_batch per problem (default: one for all)")
    ap.add_argument("--scaling", action="store_true",
                    help="ours only, samples per problem in 128, 256, 512, 1024 on --problems problems: "
                         "distinct pairs, checks and time")
    ap.add_argument("--drop", action="append", default=[], choices=CATEGORIES,
                    help="leave this stream category out (repeatable), e.g. to see the cost of the rest")
    ap.add_argument("--ours-only", action="store_true", help="skip the reference")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--examples", type=int, default=5, help="disagreement examples to print per group")
    ap.add_argument("--dump", type=Path, default=None, help="write every disagreement as JSONL here")
    ap.add_argument("--non-math", type=int, default=0, metavar="N",
                    help="time N distinct non-mathematical answers (prose, code, wrong-123456) with "
                         "the cheap path off and on, in one process; nothing else runs")
    args = ap.parse_args(argv)
    if args.non_math:
        return non_math(args)
    if args.scaling:
        return scaling(args)
    if args.quick:
        args.problems, args.samples = 20, 256
        if args.reference_subset is None:
            args.reference_subset = 0

    import math_verify  # noqa: F401
    from importlib.metadata import version

    print("# math verification benchmark" + (" (quick)" if args.quick else ""), flush=True)
    print(f"python {platform.python_version()}, math-verify {version('math-verify')}, sympy {version('sympy')}, "
          f"nproc {os.cpu_count()}, {platform.machine()} {platform.system()}, "
          f"loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    t0 = time.perf_counter()
    problems = load_problems(args.data)
    idx, refs, stream = make_stream(problems, args.problems, args.samples, args.seed)
    if args.drop:
        stream = [s for s in stream if s.category not in args.drop]
        print(f"dropped categories: {', '.join(args.drop)}", flush=True)
    n = len(stream)
    cat_counts = Counter(s.category for s in stream)
    boxed_pairs = {(s.boxed, refs[s.problem]) for s in stream if s.boxed is not None}
    distinct_responses = len({s.response for s in stream})
    print(f"stream: {len(refs)} problems x {args.samples} = {n:,} samples (seed {args.seed}), generated in "
          f"{fmt_s(time.perf_counter() - t0)}; {len(boxed_pairs):,} distinct (boxed answer, reference) pairs; "
          f"{distinct_responses:,} distinct response texts", flush=True)
    print("categories: " + ", ".join(f"{c} {cat_counts[c]:,}" for c in CATEGORIES), flush=True)

    # --- ours
    t_start, t_stream, verdicts, checks, restarts = run_ours(refs, stream, args.workers, args.per_problem)
    t_ours = t_start + t_stream
    status_counts = Counter(v.status for v in verdicts)
    print(f"ours: start-up {fmt_s(t_start)}, stream {fmt_s(t_stream)}, total {fmt_s(t_ours)} "
          f"({n / t_ours:,.0f} samples/s); {checks:,} distinct pairs checked; worker restarts {restarts}",
          flush=True)
    print(f"loadavg after ours: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print("ours statuses: " + ", ".join(f"{k} {v:,}" for k, v in status_counts.most_common()), flush=True)
    by_cat = Counter((s.category, v.status) for s, v in zip(stream, verdicts))
    for c in CATEGORIES:
        print(f"  ours on {c:13s}: " + ", ".join(f"{st} {by_cat[c, st]:,}" for st in
                                                 ("correct", "wrong", "no_answer", "timeout", "error")
                                                 if by_cat[c, st]), flush=True)
    path_kinds = Counter((s.kind, v.status) for s, v in zip(stream, verdicts) if s.category == "pathological")
    print("  ours on pathological kinds: " + ", ".join(f"{k}/{st} {n}" for (k, st), n in sorted(path_kinds.items())),
          flush=True)
    path_counts = Counter(v.path for v in verdicts)
    print("ours paths (per sample): " + ", ".join(f"{k} {v:,}" for k, v in path_counts.most_common()), flush=True)

    if args.ours_only:
        return 0

    # --- reference
    subset = DEFAULT_REFERENCE_SUBSET if args.reference_subset is None else args.reference_subset
    if subset <= 0 or subset >= n:
        which = list(range(n))
        ref_note = "full stream, measured"
    else:
        # Whole problems, not scattered samples: math-verify's LaTeX->SymPy lru_caches (size 20) hit
        # when consecutive samples of a problem repeat an answer, as they do on the real stream.
        k = min(len(refs), -(-subset // args.samples))
        chosen = set(random.Random(args.seed + 1).sample(range(len(refs)), k))
        which = [i for i, s in enumerate(stream) if s.problem in chosen]
        ref_note = f"EXTRAPOLATED from {len(which):,} samples = {k} random whole problems"
    print(f"reference: math_verify per sample on {len(which):,} samples ...", flush=True)
    t_ref_run, ref, ref_times = run_reference(refs, stream, which)
    ref_counts = Counter(str(x) for x in ref.values())
    per_cat = {c: [ref_times[i] for i in which if stream[i].category == c] for c in CATEGORIES}
    print(f"reference: {fmt_s(t_ref_run)} for {len(which):,} samples ({len(which) / t_ref_run:,.1f} samples/s); "
          "verdicts: " + ", ".join(f"{k} {v:,}" for k, v in ref_counts.most_common()), flush=True)
    for c in CATEGORIES:
        if per_cat[c]:
            print(f"  reference {c:13s} {len(per_cat[c]):7,} samples, mean {1000 * np.mean(per_cat[c]):8.1f} ms, "
                  f"max {1000 * max(per_cat[c]):8.0f} ms", flush=True)
    if len(which) == n:
        t_ref = t_ref_run
    else:
        # Post-stratified by stream category: each category's mean time on the subset x its count in
        # the stream (corrects for the subset holding more or fewer of the rare, slow samples).
        t_scaled = t_ref_run * n / len(which)
        missing = [c for c in CATEGORIES if cat_counts[c] and not per_cat[c]]
        if missing:
            t_ref = t_scaled
            ref_note += f", scaled by {n / len(which):.2f} (no {', '.join(missing)} sample in the subset)"
        else:
            t_ref = sum(cat_counts[c] * float(np.mean(per_cat[c])) for c in CATEGORIES if cat_counts[c])
            ref_note += (f", post-stratified by category (plain scaling x{n / len(which):.2f} would give "
                         f"{fmt_s(t_scaled)})")
    print(f"loadavg after reference: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(f"reference on the stream: {fmt_s(t_ref)} for {n:,} samples ({ref_note})", flush=True)

    # --- agreement (on the samples the reference ran)
    agree = 0
    dis: Counter = Counter()
    examples: dict[tuple, list] = {}
    excluded = 0
    for i in which:
        r = ref[i]
        ours_ok = verdicts[i].status == "correct"
        if r in ("timeout", "crashed"):
            excluded += 1
            key = (stream[i].category, f"reference {r}", f"ours {verdicts[i].status}")
            dis[key] += 1
            examples.setdefault(key, []).append(i)
            continue
        if ours_ok == r:
            agree += 1
            continue
        key = (stream[i].category, "ours correct, math-verify False" if ours_ok else
               f"ours {verdicts[i].status}, math-verify True")
        dis[key] += 1
        examples.setdefault(key, []).append(i)
    compared = len(which) - excluded
    undecided = Counter((stream[i].category, verdicts[i].status, str(ref[i])) for i in which
                        if verdicts[i].status in ("timeout", "error") and ref[i] in (True, False))
    print(f"agreement: {agree:,} / {compared:,} = {100 * agree / max(compared, 1):.3f}% identical "
          f"({excluded} samples where the reference timed out or crashed left out)", flush=True)
    for key, cnt in sorted(dis.items(), key=lambda kv: -kv[1]):
        print(f"  {cnt:6,}  {key[0]:13s} {' / '.join(key[1:])}", flush=True)
        for i in examples[key][:args.examples]:
            s, v = stream[i], verdicts[i]
            print(f"          ref={refs[s.problem]!r:30.60} boxed={str(s.boxed)[:60]!r} kind={s.kind} "
                  f"ours={v.status}/{v.path} detail={str(v.detail)[:80]!r}", flush=True)
            if s.boxed is None:
                print(f"          response tail: {s.response[-160:]!r}", flush=True)
    if undecided:
        print("ours undecided where the reference decided (counted as agreement when the reference said "
              "False): " + ", ".join(f"{c}: ours {st}, reference {r}: {n}" for (c, st, r), n in undecided.items()),
              flush=True)
    if args.dump:
        with open(args.dump, "w") as f:
            for key, idxs in examples.items():
                for i in idxs:
                    s, v = stream[i], verdicts[i]
                    f.write(json.dumps({"group": list(key), "category": s.category, "kind": s.kind,
                                        "reference": refs[s.problem], "boxed": (s.boxed or "")[:500],
                                        "response": s.response[-500:], "ours": v.status, "path": v.path,
                                        "detail": v.detail, "math_verify": ref[i]}) + "\n")

    # --- Markdown
    ratio = t_ref / t_ours
    print()
    print(f"| measurement ({len(refs)} problems x {args.samples} samples) | value |")
    print("|---|---|")
    print(f"| samples | {n:,} |")
    print(f"| distinct (boxed answer, reference) pairs in the stream | {len(boxed_pairs):,} |")
    print(f"| distinct pairs our verifier checked (cache misses) | {checks:,} |")
    print(f"| reference: `verify(gold, parse(response))` per sample, 1 process ({ref_note}) | "
          f"{fmt_s(t_ref)}, {n / t_ref:,.0f} samples/s |")
    print(f"| ours: `MathVerifier(workers={args.workers})`, total incl. start-up | {fmt_s(t_ours)}, "
          f"{n / t_ours:,.0f} samples/s |")
    print(f"| ours: pool start-up / stream | {fmt_s(t_start)} / {fmt_s(t_stream)} |")
    print(f"| ratio reference / ours | **{ratio:,.0f}x** |")
    print(f"| identical verdicts (correct vs not) on {compared:,} compared samples | "
          f"{agree:,} ({100 * agree / max(compared, 1):.2f}%) |")
    print(f"| ours timeout/error where the reference decided (reference True / False) | "
          f"{sum(n for k, n in undecided.items() if k[2] == 'True')} / "
          f"{sum(n for k, n in undecided.items() if k[2] == 'False')} |")
    print(f"| reference timed out / crashed (left out) | {sum(1 for x in ref.values() if x == 'timeout')} / "
          f"{sum(1 for x in ref.values() if x == 'crashed')} |")
    print()
    print("| stream category | samples | disagreement | count |")
    print("|---|---|---|---|")
    for key, cnt in sorted(dis.items(), key=lambda kv: (CATEGORIES.index(kv[0][0]), -kv[1])):
        print(f"| {key[0]} | {cat_counts[key[0]]:,} | {' / '.join(key[1:])} | {cnt:,} |")
    print()
    print("| our status | samples |")
    print("|---|---|")
    for k, v in status_counts.most_common():
        print(f"| {k} | {v:,} |")
    print()
    print(f"Target >= 50x the per-sample reference: {'met' if ratio >= 50 else 'NOT met'} ({ratio:,.0f}x).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
