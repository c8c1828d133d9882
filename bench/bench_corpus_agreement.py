"""Agreement with careful human labels on the hard-case corpus (tests/data/math_hard_cases.jsonl).

Graders compared:

- **math-verify 0.9.0, called once per case as users do**: ``verify(parse(gold), parse(response))``
  with every setting at its default. The reference is wrapped before parsing, in two ways (two
  rows): ``"\\boxed{" + ref + "}"`` (what verl's and simpleRL's reward functions do) and
  ``"$" + ref + "$"`` (what the Math-Verify README shows). ``True`` counts as "correct"; ``False``
  (or an exception) as "not correct", so a case labelled ``wrong`` or ``no_answer`` agrees when
  math-verify returns ``False``.
- **boundary** ``verify_math_batch`` with default settings (if importable; otherwise "not
  available"). Binary agreement uses the same rule (status ``correct`` vs anything else); the
  exact-status agreement also requires ``wrong`` and ``no_answer`` to be told apart.

A false accept is a case labelled ``wrong``/``no_answer`` that the grader calls correct (it
inflates pass@k at large k); a false reject is a case labelled ``correct`` that it does not.

Usage::

    .venv/bin/python bench/bench_corpus_agreement.py            # both graders
    .venv/bin/python bench/bench_corpus_agreement.py --no-boundary
    .venv/bin/python bench/bench_corpus_agreement.py --list-disagreements

Prints Markdown tables (the figures of docs/verifier-corpus.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "math_hard_cases.jsonl"


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_math_verify(cases: list[dict], wrap: str) -> list[bool]:
    """One ``verify(parse(gold), parse(response))`` per case, defaults everywhere."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    out = []
    for c in cases:
        gold_text = ("\\boxed{" + c["reference"] + "}") if wrap == "boxed" else ("$" + c["reference"] + "$")
        try:
            out.append(bool(verify(parse(gold_text), parse(c["response"]))))
        except Exception:
            out.append(False)
    return out


def run_boundary(cases: list[dict]):
    try:
        from boundary.verify import verify_math_batch  # noqa: F401
    except ImportError:
        return None
    from boundary.verify import verify_math_batch
    items = [{"response": c["response"], "reference": c["reference"], "hints": c.get("hints") or None,
              "finish_reason": c.get("finish_reason")} for c in cases]
    return verify_math_batch(items)


def score(cases: list[dict], said_correct: list[bool]) -> dict:
    """Binary agreement: a grader 'says correct' or not; human label correct vs not."""
    per_cat = defaultdict(lambda: [0, 0, 0, 0])  # n, agree, false accepts, false rejects
    tot = [0, 0, 0, 0]
    for c, s in zip(cases, said_correct):
        human = c["expected"] == "correct"
        row = per_cat[c["category"]]
        for r in (row, tot):
            r[0] += 1
            r[1] += human == s
            r[2] += (not human) and s
            r[3] += human and (not s)
    return {"total": tot, "per_category": dict(per_cat)}


def pct(a: int, n: int) -> str:
    return f"{100.0 * a / n:.1f}%" if n else "-"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--no-boundary", action="store_true", help="only measure math-verify")
    ap.add_argument("--list-disagreements", action="store_true",
                    help="list the cases each grader gets wrong")
    args = ap.parse_args(argv)

    cases = load(args.corpus)
    n = len(cases)
    labels = defaultdict(int)
    for c in cases:
        labels[c["expected"]] += 1
    try:
        from importlib.metadata import version
        mv_version = version("math-verify")
    except Exception:
        mv_version = "?"

    graders: dict[str, list[bool]] = {}
    timings: dict[str, float] = {}
    for wrap in ("boxed", "dollar"):
        name = f"math-verify {mv_version}, gold " + ("`\\boxed{ref}`" if wrap == "boxed" else "`$ref$`")
        t0 = time.perf_counter()
        graders[name] = run_math_verify(cases, wrap)
        timings[name] = time.perf_counter() - t0

    verdicts = None
    if not args.no_boundary:
        t0 = time.perf_counter()
        verdicts = run_boundary(cases)
        if verdicts is not None:
            timings["boundary verify_math"] = time.perf_counter() - t0
            graders["boundary verify_math"] = [v.status == "correct" for v in verdicts]

    print(f"Corpus: {args.corpus.name}: {n} cases ({labels['correct']} correct, {labels['wrong']} wrong, "
          f"{labels['no_answer']} no_answer). Python {platform.python_version()}, math-verify {mv_version}.\n")

    print("| grader | agreement | false accepts | false rejects | time |")
    print("| --- | --- | --- | --- | --- |")
    results = {}
    for name, said in graders.items():
        s = score(cases, said)
        results[name] = s
        t = s["total"]
        print(f"| {name} | {t[1]}/{t[0]} = {pct(t[1], t[0])} | {t[2]} ({pct(t[2], n - labels['correct'])} of "
              f"{n - labels['correct']} not-correct) | {t[3]} ({pct(t[3], labels['correct'])} of "
              f"{labels['correct']} correct) | {timings[name]:.1f} s |")
    if verdicts is None and not args.no_boundary:
        print("| boundary verify_math | not available | | | |")
    if verdicts is not None:
        exact = sum(1 for c, v in zip(cases, verdicts) if c["expected"] == v.status)
        statuses = defaultdict(int)
        for v in verdicts:
            statuses[v.status] += 1
        print(f"\nboundary exact-status agreement (wrong and no_answer told apart): {exact}/{n} = {pct(exact, n)}; "
              "statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))

    names = list(graders)
    print("\nPer category (agreement; FA = false accepts, FR = false rejects):\n")
    print("| category | n | " + " | ".join(names) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in names) + " |")
    cats = sorted({c["category"] for c in cases})
    for cat in cats:
        cells = []
        for name in names:
            r = results[name]["per_category"][cat]
            cells.append(f"{pct(r[1], r[0])} (FA {r[2]}, FR {r[3]})")
        print(f"| {cat} | {results[names[0]]['per_category'][cat][0]} | " + " | ".join(cells) + " |")

    if args.list_disagreements:
        for name, said in graders.items():
            print(f"\n### {name}: cases that disagree with the label\n")
            for i, (c, s) in enumerate(zip(cases, said)):
                if (c["expected"] == "correct") != s:
                    extra = ""
                    if name.startswith("boundary") and verdicts is not None:
                        v = verdicts[i]
                        extra = f" status={v.status} path={v.path} extracted={v.extracted!r}"
                    print(f"- {c['id']} (label {c['expected']}, said {'correct' if s else 'not correct'}){extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
