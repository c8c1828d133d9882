"""Answer validity beyond the verifier, read from the run: CoT-pass@k from the judge's labels, and the
guessability flags from the answer-only run ``RUN/guess``.

This module only *reads* what ``boundary.judge`` stored (the ``judgments`` table, the answer-only
sub-run) and aggregates it; drawing the judgments and the answer-only samples is ``boundary.judge``'s
job. ``validity_analysis(run)`` is what ``analyze(run)`` puts into ``Analysis.validity``.

CoT-pass@k (Wen et al. 2025, arXiv 2506.14245 §3.1): per problem 1 − C(n − d, k) / C(n, k) with d the
correct samples judged valid (the unbiased estimator of Chen et al. with c replaced by d).

Guessability (Yue et al. 2025, App. D.2): each problem gets, per sampled model, c_direct of n_direct
answer-only samples correct, and the flag ``guessable`` (0 < c_direct / n_direct < threshold),
``direct`` (>= threshold) or ``no`` (never answered correctly without reasoning).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boundary.errors import BoundaryError
from boundary.store import Run

GUESS_DIR = "guess"
"""The answer-only run lives in ``RUN/guess`` (same format as any run)."""


# ---------------------------------------------------------------------------------------- CoT-pass@k
def judges(run: Run) -> list[str]:
    """Judge ids with labels in the run, in the order they were first recorded."""
    recorded = list(run.judge_records())
    if not run.shards("judgments"):
        return []
    present = set(run.read("judgments", ["judge"])["judge"].unique().to_pylist())
    return [j for j in recorded if j in present] + sorted(present - set(recorded))


def judgment_labels(run: Run, judge: str | None = None) -> pa.Table | None:
    """(model, benchmark, problem_id, sample_index, label) of one judge (default: the latest), or None."""
    ids = judges(run)
    if not ids:
        return None
    jid = judge or ids[-1]
    if jid not in ids:
        raise BoundaryError(f"{run.path} has no judgments of {jid!r}; judges: {ids}.")
    t = run.read("judgments", ["judge", "model", "benchmark", "problem_id", "sample_index", "label"],
                 filter=pc.field("judge") == jid)
    return t.drop_columns(["judge"])


@dataclass(frozen=True)
class CotPassRow:
    benchmark: str
    model: str
    judge: str
    problems: int
    correct: int
    """Correct samples (verdicts)."""
    valid: int
    invalid: int
    unparsed: int
    unjudged: int
    """Correct samples without a label (counted as not valid)."""
    ks: tuple[int, ...]
    pass_at_k: tuple[float, ...]
    cot_pass_at_k: tuple[float, ...]


def cot_pass_at_k(run: Run | str | os.PathLike, judge: str | None = None, ks: Sequence[int] | None = None
                  ) -> list[CotPassRow]:
    """pass@k and CoT-pass@k per (benchmark, model) for the models whose correct samples were judged.

    CoT-pass@k uses d = correct samples labelled ``valid``; unjudged and unparsed ones count as not
    valid, and the row says how many there were. ``ks`` default: powers of two up to the smallest n.
    """
    from boundary.analysis.passk import pass_at_k
    run = run if isinstance(run, Run) else Run(run)
    labels = judgment_labels(run, judge)
    if labels is None:
        return []
    jid = judge or judges(run)[-1]
    v = run.verdicts(["model", "benchmark", "problem_id", "sample_index", "status"])
    joined = v.join(labels, keys=["model", "benchmark", "problem_id", "sample_index"], join_type="left outer")
    per: dict[tuple, list[int]] = {}   # (model, bench, pid) -> [n, correct, valid, invalid, unparsed]
    columns = ["model", "benchmark", "problem_id", "status", "label"]
    for m, b, p, st, lab in zip(*(joined[c].to_pylist() for c in columns)):
        r = per.setdefault((m, b, p), [0, 0, 0, 0, 0])
        r[0] += 1
        if st == "correct":
            r[1] += 1
            if lab == "valid":
                r[2] += 1
            elif lab == "invalid":
                r[3] += 1
            elif lab == "unparsed":
                r[4] += 1
    judged_models = set(labels["model"].unique().to_pylist())
    out = []
    groups: dict[tuple, list] = {}
    for (m, b, _p), r in per.items():
        if m in judged_models:
            groups.setdefault((b, m), []).append(r)
    border = {b: i for i, b in enumerate(run.benchmarks)}
    morder = {m: i for i, m in enumerate(run.models)}
    for (b, m), rows in sorted(groups.items(), key=lambda kv: (border.get(kv[0][0], 1e9), morder.get(kv[0][1], 1e9))):
        a = np.array(rows, dtype=np.int64)
        n_min = int(a[:, 0].min())
        use = [k for k in (ks or _powers(n_min)) if 1 <= k <= n_min]
        pk = tuple(float(np.mean(pass_at_k(a[:, 0], a[:, 1], k))) for k in use)
        ck = tuple(float(np.mean(pass_at_k(a[:, 0], a[:, 2], k))) for k in use)
        c, val, inv, unp = (int(a[:, j].sum()) for j in (1, 2, 3, 4))
        out.append(CotPassRow(benchmark=b, model=m, judge=jid, problems=len(rows), correct=c, valid=val,
                              invalid=inv, unparsed=unp, unjudged=c - val - inv - unp, ks=tuple(use),
                              pass_at_k=pk, cot_pass_at_k=ck))
    return out


def _powers(n: int) -> list[int]:
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]


# ---------------------------------------------------------------------------------------- guessability
@dataclass(frozen=True)
class GuessRow:
    benchmark: str
    problem_id: str
    model: str
    n_direct: int
    c_direct: int
    accuracy_direct: float
    flag: str
    """``guessable`` (0 < accuracy < threshold), ``direct`` (>= threshold) or ``no``."""
    n: int | None
    """Samples of this model with reasoning in the main run (None if it has none)."""
    c: int | None


def guessability(run: Run | str | os.PathLike, threshold: float | None = None) -> list[GuessRow]:
    """One row per (benchmark, problem, model) of the answer-only run ``RUN/guess``.

    ``threshold`` default: the one recorded by ``guess_run`` (else 0.05).
    """
    run = run if isinstance(run, Run) else Run(run)
    sub = run.path / GUESS_DIR
    if not Run.is_run(sub):
        return []
    if threshold is None:
        st = run.stage("guess")
        threshold = st.threshold if st is not None and st.threshold is not None else 0.05
    direct = Run(sub).counts().to_pylist()
    main = {(r["model"], r["benchmark"], r["problem_id"]): (r["n"], r["correct"]) for r in run.counts().to_pylist()}
    out = []
    for r in direct:
        a = r["correct"] / r["n"] if r["n"] else 0.0
        flag = "no" if r["correct"] == 0 else ("guessable" if a < threshold else "direct")
        n, c = main.get((r["model"], r["benchmark"], r["problem_id"]), (None, None))
        out.append(GuessRow(benchmark=r["benchmark"], problem_id=r["problem_id"], model=r["model"],
                            n_direct=r["n"], c_direct=r["correct"], accuracy_direct=a, flag=flag, n=n, c=c))
    return out


def guessable_problems(run: Run | str | os.PathLike, threshold: float | None = None) -> set[tuple[str, str]]:
    """(benchmark, problem_id) pairs the guess filter removes (flagged ``guessable`` for any model)."""
    return {(r.benchmark, r.problem_id) for r in guessability(run, threshold) if r.flag == "guessable"}


# ---------------------------------------------------------------------------------------- for the Analysis
@dataclass(frozen=True)
class ValidityAnalysis:
    """What the report's "Answer validity" section shows beyond the sample browser."""

    judge: str | None
    """The latest judge with labels in the run (the one ``cot`` uses), or None when nothing was judged."""
    cot: tuple[CotPassRow, ...]
    """pass@k and CoT-pass@k per (benchmark, model) judged; empty when nothing was judged."""
    guess: tuple[GuessRow, ...]
    """Every (benchmark, problem, model) of the answer-only run; empty when there is none."""


def validity_analysis(run: Run | str | os.PathLike) -> ValidityAnalysis:
    """CoT-pass@k of the latest judge and the guessability rows of a run (each empty when absent)."""
    run = run if isinstance(run, Run) else Run(run)
    cot = tuple(cot_pass_at_k(run))
    return ValidityAnalysis(judge=judges(run)[-1] if cot else None, cot=cot, guess=tuple(guessability(run)))


__all__ = ["judges", "judgment_labels", "cot_pass_at_k", "CotPassRow", "GUESS_DIR", "GuessRow", "guessability",
           "guessable_problems", "ValidityAnalysis", "validity_analysis"]
