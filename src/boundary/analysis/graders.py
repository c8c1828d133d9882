"""Grader sensitivity: does the boundary result depend on who graded the samples?

A run can hold several verdict sources (``Run.verdict_sources()``): its primary verdicts (imported
from another harness's grader, say) and the grades of other graders beside them (``boundary verify
RUN --regrade``). :func:`grader_sensitivity` compares two of them on the samples both graded:

- the per-sample confusion (correct / not correct under each grader), per benchmark and model;
- per problem, how many samples the graders disagree on;
- the **flips at k = n**: problems solved (at least one correct sample of the n) under one grader and
  not under the other, per model — the problems whose coverage cell depends on the grader;
- the headline numbers under each grader (pass@1, pass@k_max, the crossover k*, the coverage split at
  k = n with McNemar's p): :func:`~boundary.analysis.analyze.analyze_counts` on each source's counts.

"Not correct" is every other status (wrong, no_answer, truncated, timeout, error): only ``correct``
counts toward pass@k. Samples only one source graded are counted, and left out of everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pyarrow as pa
import pyarrow.compute as pc

from boundary.errors import AnalysisError

KEY = ["model", "benchmark", "problem_id", "sample_index"]

SENSITIVITY_N_BOOT = 200
"""Bootstrap replicates of the two re-analyses: only their point estimates (pass@k, k*) and McNemar's
exact p are reported, so the band's precision does not matter here."""


@dataclass(frozen=True)
class Confusion:
    """Samples of one (benchmark, model) by their grade under sources A and B."""

    benchmark: str
    model: str
    samples: int
    both: int
    """Correct under both."""
    only_a: int
    only_b: int
    neither: int
    statuses: dict[tuple[str, str], int] = field(default_factory=dict)
    """(status under A, status under B) -> samples, every pair that occurs."""

    @property
    def agreement(self) -> float:
        """Share of samples both graders call correct, or both not correct."""
        return (self.both + self.neither) / self.samples if self.samples else 1.0

    def as_row(self, a: str = "A", b: str = "B") -> dict:
        return {"benchmark": self.benchmark, "model": self.model, "samples": self.samples,
                "both correct": self.both, f"only {a}": self.only_a, f"only {b}": self.only_b,
                "neither": self.neither, "agreement": round(self.agreement, 4)}


@dataclass(frozen=True)
class ProblemGrades:
    """One problem of one model: its n samples graded by both sources, correct under each."""

    benchmark: str
    model: str
    problem_id: str
    n: int
    correct_a: int
    correct_b: int
    disagree: int
    """Samples correct under exactly one of the two."""

    @property
    def solved_by(self) -> str | None:
        """``"a"`` or ``"b"`` when only that source has a correct sample (a flip at k = n), ``"both"``,
        or None when neither has."""
        sa, sb = self.correct_a > 0, self.correct_b > 0
        return "both" if sa and sb else "a" if sa else "b" if sb else None

    @property
    def flips(self) -> bool:
        return (self.correct_a > 0) != (self.correct_b > 0)

    def as_row(self, a: str = "A", b: str = "B") -> dict:
        by = self.solved_by
        return {"benchmark": self.benchmark, "model": self.model, "problem_id": self.problem_id, "n": self.n,
                f"correct ({a})": self.correct_a, f"correct ({b})": self.correct_b,
                "samples graded differently": self.disagree,
                "solved at k = n by": {"a": f"only {a}", "b": f"only {b}", "both": "both", None: "neither"}[by]}


@dataclass(frozen=True)
class Flip:
    """A problem solved at k = n under one source only (``solved_by`` names it)."""

    benchmark: str
    model: str
    problem_id: str
    n: int
    correct_a: int
    correct_b: int
    solved_by: str

    def as_row(self, a: str = "A", b: str = "B") -> dict:
        return {"benchmark": self.benchmark, "model": self.model, "problem_id": self.problem_id, "n": self.n,
                f"correct ({a})": self.correct_a, f"correct ({b})": self.correct_b, "solved only by": self.solved_by}


@dataclass(frozen=True)
class HeadlineChange:
    """One model's headline numbers on one benchmark under source A and under source B."""

    benchmark: str
    model: str
    reference: str | None
    k_max: int
    pass1_a: float
    pass1_b: float
    passk_a: float
    """pass@k_max."""
    passk_b: float
    solved_a: int
    """Problems solved at k = n (at least one correct sample)."""
    solved_b: int
    kstar_a: int | None = None
    """Crossover k* against the reference (None: none within k_max, or this is the reference)."""
    kstar_b: int | None = None
    coverage_k: int | None = None
    only_ref_a: float | None = None
    """Coverage at k = ``coverage_k``: problems only the reference solves (None for the reference)."""
    only_model_a: float | None = None
    p_a: float | None = None
    only_ref_b: float | None = None
    only_model_b: float | None = None
    p_b: float | None = None

    def as_row(self, a: str = "A", b: str = "B") -> dict:
        row = {"benchmark": self.benchmark, "model": self.model, f"pass@1 ({a})": round(self.pass1_a, 4),
               f"pass@1 ({b})": round(self.pass1_b, 4), "k_max": self.k_max,
               f"pass@k_max ({a})": round(self.passk_a, 4), f"pass@k_max ({b})": round(self.passk_b, 4),
               f"solved ({a})": self.solved_a, f"solved ({b})": self.solved_b}
        if self.model != self.reference and self.only_ref_a is not None:
            cell = f"only {self.reference} / only {self.model}"
            row.update({f"k* ({a})": self.kstar_a, f"k* ({b})": self.kstar_b,
                        f"{cell} ({a})": f"{self.only_ref_a:g} / {self.only_model_a:g}",
                        f"{cell} ({b})": f"{self.only_ref_b:g} / {self.only_model_b:g}",
                        f"McNemar p ({a})": _round(self.p_a), f"McNemar p ({b})": _round(self.p_b)})
        return row


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass(frozen=True)
class GraderSensitivity:
    """Two verdict sources of one run compared on the samples both graded (:func:`grader_sensitivity`)."""

    source_a: str
    source_b: str
    verifiers_a: tuple[str, ...]
    """The verifier names of A's rows (e.g. ``lm-eval:exact_match,strict-match``)."""
    verifiers_b: tuple[str, ...]
    samples: int
    """Samples graded by both (everything below is about these)."""
    only_in_a: int
    """Samples graded by A and not by B (left out)."""
    only_in_b: int
    confusion: list[Confusion]
    problems: list[ProblemGrades]
    """Problems with at least one sample graded differently, or a flip; by benchmark, model, problem."""
    flips: list[Flip]
    headline: list[HeadlineChange]
    level: float
    """The significance level of McNemar's p in ``survives`` (1 − the analysis' confidence level)."""
    problems_total: int = 0
    """(benchmark, model, problem) triples graded by both."""

    @property
    def survives(self) -> bool | None:
        """Whether the coverage result of every comparison with the reference is the same under both
        graders: the same side solves more problems alone (or a tie), with the same significance
        (McNemar p < 1 − level). None when the run has no comparison (one model)."""
        pairs = [h for h in self.headline if h.only_ref_a is not None]
        if not pairs:
            return None
        return all(_coverage_result(h.only_ref_a, h.only_model_a, h.p_a, self.level)
                   == _coverage_result(h.only_ref_b, h.only_model_b, h.p_b, self.level) for h in pairs)

    @property
    def changed(self) -> list[HeadlineChange]:
        """The comparisons whose coverage result changes with the grader."""
        return [h for h in self.headline if h.only_ref_a is not None
                and _coverage_result(h.only_ref_a, h.only_model_a, h.p_a, self.level)
                != _coverage_result(h.only_ref_b, h.only_model_b, h.p_b, self.level)]


def _coverage_result(only_ref, only_model, p, alpha) -> tuple[int, bool]:
    side = (only_ref > only_model) - (only_ref < only_model)
    return side, p is not None and p < alpha


def grader_sensitivity(run, a: str, b: str, *, config=None, models: Sequence[str] | None = None) -> GraderSensitivity:
    """Compare verdict sources ``a`` and ``b`` of ``run`` (a ``Run`` or a path; names from
    ``Run.verdict_sources()``) on the samples both graded.

    ``config`` (an ``AnalysisConfig``): the reference model and the confidence level of the re-analyses
    (default: ``AnalysisConfig()``); k_max and the coverage k are those of the jointly graded samples.
    """
    from boundary.analysis.analyze import AnalysisConfig
    from boundary.store import Run
    run = run if isinstance(run, Run) else Run(run)
    config = config or AnalysisConfig()
    sources = run.verdict_sources()
    for s in (a, b):
        if s not in sources:
            raise AnalysisError(f"{run.path} has no verdict source {s!r}; its sources are {sources}. Grade into a "
                                "new one with `boundary verify RUN --regrade`.")
    if a == b:
        raise AnalysisError(f"compare two different verdict sources, got {a!r} twice; the run's sources are {sources}.")
    ta, tb = (_one_per_sample(run.source_statuses(s), s, run) for s in (a, b))
    joined = ta.join(tb, keys=KEY, join_type="inner", left_suffix="_a", right_suffix="_b")
    if joined.num_rows == 0:
        raise AnalysisError(f"sources {a!r} and {b!r} of {run.path} grade no sample in common ({ta.num_rows} and "
                            f"{tb.num_rows} samples); re-grade the samples of the primary verdicts with "
                            "`boundary verify RUN --regrade`.")
    ca = pc.equal(joined["status_a"], "correct")
    cb = pc.equal(joined["status_b"], "correct")
    joined = joined.append_column("ca", pc.cast(ca, pa.int64())).append_column("cb", pc.cast(cb, pa.int64()))
    joined = joined.append_column("both", pc.cast(pc.and_(ca, cb), pa.int64()))
    joined = joined.append_column("diff", pc.cast(pc.xor(ca, cb), pa.int64()))
    # -- per-sample confusion, per (benchmark, model)
    g = joined.group_by(["benchmark", "model"]).aggregate(
        [("sample_index", "count"), ("ca", "sum"), ("cb", "sum"), ("both", "sum")]).to_pylist()
    st = joined.group_by(["benchmark", "model", "status_a", "status_b"]).aggregate([("sample_index", "count")])
    pairs: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for r in st.to_pylist():
        pairs.setdefault((r["benchmark"], r["model"]), {})[(r["status_a"], r["status_b"])] = r["sample_index_count"]
    order = {m: i for i, m in enumerate(models or run.models)}
    confusion = []
    for r in sorted(g, key=lambda r: (r["benchmark"], order.get(r["model"], len(order)), r["model"])):
        n, both = r["sample_index_count"], r["both_sum"]
        oa, ob = r["ca_sum"] - both, r["cb_sum"] - both
        confusion.append(Confusion(r["benchmark"], r["model"], n, both, oa, ob, n - both - oa - ob,
                                   dict(sorted(pairs[(r["benchmark"], r["model"])].items()))))
    # -- per problem
    p = joined.group_by(["benchmark", "model", "problem_id"]).aggregate(
        [("sample_index", "count"), ("ca", "sum"), ("cb", "sum"), ("diff", "sum")])
    rows = sorted(p.to_pylist(), key=lambda r: (r["benchmark"], order.get(r["model"], len(order)), r["model"],
                                                r["problem_id"]))
    per = [ProblemGrades(r["benchmark"], r["model"], r["problem_id"], r["sample_index_count"], r["ca_sum"],
                         r["cb_sum"], r["diff_sum"]) for r in rows]
    flips = [Flip(q.benchmark, q.model, q.problem_id, q.n, q.correct_a, q.correct_b, a if q.solved_by == "a" else b)
             for q in per if q.flips]
    # -- the headline numbers under each source: the same analysis on each source's counts
    counts = {s: pa.table({"model": p["model"], "benchmark": p["benchmark"], "problem_id": p["problem_id"],
                           "n": pc.cast(p["sample_index_count"], pa.int64()),
                           "correct": pc.cast(p[col], pa.int64())})
              for s, col in ((a, "ca_sum"), (b, "cb_sum"))}
    headline = _headline(counts[a], counts[b], per, config, list(models or run.models))
    return GraderSensitivity(
        source_a=a, source_b=b, verifiers_a=tuple(run.source_verifiers(a)), verifiers_b=tuple(run.source_verifiers(b)),
        samples=joined.num_rows, only_in_a=ta.num_rows - joined.num_rows, only_in_b=tb.num_rows - joined.num_rows,
        confusion=confusion, problems=[q for q in per if q.disagree or q.flips], flips=flips, headline=headline,
        level=1 - config.level, problems_total=len(per))


def _one_per_sample(t: pa.Table, source: str, run) -> pa.Table:
    g = t.group_by(KEY).aggregate([("status", "count")])
    if g.num_rows != t.num_rows:
        r = g.filter(pc.greater(g["status_count"], 1)).slice(0, 1).to_pylist()[0]
        raise AnalysisError(f"{run.path}: source {source!r} grades sample {r['sample_index']} of problem "
                            f"{r['problem_id']!r} ({r['model']}, {r['benchmark']}) {r['status_count']} times; the "
                            "store was written outside boundary's writers: remove the duplicate shard.")
    return t.select(KEY + ["status"])


def _headline(counts_a: pa.Table, counts_b: pa.Table, per: list[ProblemGrades], config,
              models: list[str]) -> list[HeadlineChange]:
    from boundary.analysis.analyze import analyze_counts
    cfg = replace(config, k=None, k_max=None, extrapolate=False, power_law=False,
                  n_boot=min(config.n_boot, SENSITIVITY_N_BOOT))
    if cfg.reference is not None and cfg.reference not in set(counts_a["model"].to_pylist()):
        cfg = replace(cfg, reference=None)        # the reference was not graded by both: the first model is
    ra = analyze_counts(counts_a, config=cfg, models=models)
    rb = analyze_counts(counts_b, config=cfg, models=models)
    solved: dict[tuple[str, str], tuple[int, int]] = {}
    for q in per:
        x, y = solved.get((q.benchmark, q.model), (0, 0))
        solved[(q.benchmark, q.model)] = (x + (q.correct_a > 0), y + (q.correct_b > 0))
    out = []
    for ba, bb in zip(ra.benchmarks, rb.benchmarks):
        cmp_a = {c.other: c for c in ba.comparisons}
        cmp_b = {c.other: c for c in bb.comparisons}
        cov_a = {c.model_b: c for c in ba.coverages}
        cov_b = {c.model_b: c for c in bb.coverages}
        for m in ba.models:
            ca, cb = ba.curves[m], bb.curves[m]
            h = HeadlineChange(ba.benchmark, m, ba.reference, int(ca.ks[-1]), float(ca.estimate[0]),
                               float(cb.estimate[0]), float(ca.estimate[-1]), float(cb.estimate[-1]),
                               *solved.get((ba.benchmark, m), (0, 0)))
            if m in cmp_a and m in cov_a and m in cov_b:
                xa, xb = cov_a[m], cov_b[m]
                h = replace(h, kstar_a=cmp_a[m].crossover.k, kstar_b=cmp_b[m].crossover.k, coverage_k=xa.k,
                            only_ref_a=xa.only_a, only_model_a=xa.only_b, p_a=xa.p_value,
                            only_ref_b=xb.only_a, only_model_b=xb.only_b, p_b=xb.p_value)
            out.append(h)
    return out


def sensitivity_sentence(g: GraderSensitivity) -> str:
    """One plain sentence: how many problems flip at k = n, and whether the coverage result survives
    the change of grader."""
    a, b = g.source_a, g.source_b
    flips = (f"Grading with {b} instead of {a} changes the verdict of "
             f"{sum(c.only_a + c.only_b for c in g.confusion):,} of {g.samples:,} samples and flips the solved / "
             f"unsolved status at k = n of {len(g.flips)} of {g.problems_total:,} (model, problem) pairs")
    survives = g.survives
    if survives is None:
        moves = max((abs(h.passk_b - h.passk_a) for h in g.headline), default=0.0)
        return f"{flips}; pass@k_max moves by at most {moves:.3f}."
    if survives:
        return (f"{flips}; the coverage result survives the change of grader: in every comparison the same "
                "model solves more problems alone, with the same significance.")
    h = g.changed[0]
    more = f" (and {len(g.changed) - 1} more comparisons)" if len(g.changed) > 1 else ""
    return (f"{flips}; the coverage result does NOT survive the change of grader: on {h.benchmark}, only "
            f"{h.reference} / only {h.model} goes from {h.only_ref_a:g} / {h.only_model_a:g} (McNemar p = "
            f"{h.p_a:.3g}) under {a} to {h.only_ref_b:g} / {h.only_model_b:g} (p = {h.p_b:.3g}) under {b}{more}.")


def run_sensitivities(run, config=None, models: Sequence[str] | None = None) -> tuple[GraderSensitivity, ...]:
    """The primary verdicts against every other source of the run (none when it has one source)."""
    from boundary.store.schema import PRIMARY
    sources = run.verdict_sources()
    if len(sources) < 2:
        return ()
    first = PRIMARY if PRIMARY in sources else sources[0]
    return tuple(grader_sensitivity(run, first, s, config=config, models=models) for s in sources if s != first)


__all__ = ["Confusion", "Flip", "GraderSensitivity", "HeadlineChange", "ProblemGrades", "grader_sensitivity",
           "run_sensitivities", "sensitivity_sentence"]
