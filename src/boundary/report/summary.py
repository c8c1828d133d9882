"""``summary.json``: the numbers of an analysis in one versioned JSON document.

    from boundary.report import read_summary, summary_schema
    s = read_summary("runs/qwen/report/summary.json")     # a Summary (pydantic model)
    s.benchmarks[0].pass_at_k["base"][0].pass_at_k       # pass@1 of model "base"
    summary_schema()                                      # its JSON Schema (a dict)

``summary_dict(analysis)`` builds the document (``write_report`` and ``boundary analyze`` write it);
``Summary`` is its typed form and ``summary_schema()`` the JSON Schema derived from it.
``read_summary`` accepts every summary written so far: documents written before the
``format``/``version`` fields existed read as version 1 (their content is the same).

Versioning: ``SUMMARY_VERSION`` is bumped when a field changes meaning or disappears; adding a
field is compatible. A reader refuses a newer version with the version it supports.
Non-finite numbers (NaN, ±inf) are written as ``null``. ``docs/summary.md`` describes the fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from boundary.analysis.analyze import TAUS, Analysis, headline_ks
from boundary.analysis.histogram import BIN_LABELS
from boundary.errors import BoundaryError
from boundary.report.reading import readings

SUMMARY_FORMAT: Final = "boundary.summary"
"""The ``format`` field of every summary.json."""
SUMMARY_VERSION = 1
"""The ``version`` field written now (and the newest one this reader understands)."""


def _f(x) -> float | None:
    """A JSON-safe float (NaN and infinities become None)."""
    if x is None:
        return None
    v = float(x)
    return v if math.isfinite(v) else None


def _point(band, k: int) -> dict:
    e, lo, hi = band.at(k)
    return {"k": int(k), "pass_at_k": _f(e), "lower": _f(lo), "upper": _f(hi)}


def _ci_dict(est, lo, hi) -> dict:
    return {"estimate": _f(est), "lower": _f(lo), "upper": _f(hi)}


def _further_dict(b) -> dict:
    """The further analyses of one benchmark (extrapolation, support, budget, answers, sweeps)."""
    from boundary.report.reading import further_sentences, skipped_lines
    k_max = int(next(iter(b.curves.values())).ks[-1]) if b.curves else None
    extrap = []
    for e in b.extrapolations:
        pts = sorted({k for k in headline_ks(int(e.ks[-1])) if k in e.ks} | {int(e.ks[-1])})
        extrap.append({
            "model": e.model, "fit": e.fit.name, "alpha": _f(e.fit.alpha), "beta": _f(e.fit.beta),
            "zero_mass": _f(e.fit.zero_mass), "ceiling": _f(e.fit.asymptote),
            "log_likelihood": _f(e.fit.log_likelihood),
            "aic": _f(e.fit.aic), "converged": e.fit.converged, "problems": e.fit.problems, "level": e.level,
            "n_boot": e.n_boot, "predicted": [{"k": int(k), **_ci_dict(*e.at(k))} for k in pts],
        })
    checks = [{"model": c.model, "zero_inflated": c.zero_inflated, "fit_samples": c.fit_samples, "k": c.k,
               "predicted": _f(c.predicted), "lower": _f(c.lower), "upper": _f(c.upper), "measured": _f(c.measured),
               "inside": bool(c.inside)} for c in b.extrapolation_checks]
    budget = None
    if b.budget is not None:
        budget = {
            "per_problem": b.budget.per_problem,
            "mean_tokens": {m: _f(c.mean_tokens) for m, c in b.budget.curves.items()},
            "comparisons": [{"reference": c.reference, "other": c.other, "length_ratio": _f(c.length_ratio),
                             "budget": _f(c.budget), "reference_k": _f(c.reference_k), "other_k": _f(c.other_k),
                             "reference_pass": _f(c.reference_pass), "other_pass": _f(c.other_pass),
                             "crossover_budget": _f(c.crossover_budget),
                             "other_leads_at_start": c.other_leads_at_start} for c in b.budget.comparisons],
        }
    return {
        "extrapolation": extrap,
        "extrapolation_checks": checks,
        "power_laws": {m: {"a": _f(x.a), "b": _f(x.b), "r2": _f(x.r2)} for m, x in b.power_laws.items()},
        "support": [{k: (_f(v) if isinstance(v, float) else v) for k, v in x.as_dict().items()} for x in b.support],
        "budget": budget,
        "answers": {m: {"problems": d.problems, "mean_distinct": _f(d.mean_distinct),
                        "median_distinct": _f(d.median_distinct), "mean_entropy": _f(d.mean_entropy),
                        "single_answer_share": _f(d.single_answer_share), "no_answer_rate": _f(d.no_answer_rate)}
                    for m, d in b.answers.items()},
        "steps": dict(b.steps),
        "sweeps": [{"series": sw.series, "k_max": sw.k_max, "base": sw.base,
                    "base_pass_at_1": _f(sw.base_pass_at_1), "base_pass_at_kmax": _f(sw.base_pass_at_kmax),
                    "points": [{"model": p.model, "step": p.step, "pass_at_1": _ci_dict(p.pass_at_1, *p.pass_at_1_ci),
                                "pass_at_kmax": _ci_dict(p.pass_at_kmax, *p.pass_at_kmax_ci)} for p in sw.points]}
                   for sw in b.sweeps],
        "algorithms": [{"model": r.model, "base": r.is_base, "step": r.step, "k_max": r.k_max,
                        "pass_at_1": _ci_dict(r.pass_at_1, *r.pass_at_1_ci),
                        "pass_at_kmax": _ci_dict(r.pass_at_kmax, *r.pass_at_kmax_ci),
                        "delta_se": None if r.delta_se is None else _ci_dict(r.delta_se, *r.delta_se_ci)}
                       for r in b.algorithms],
        "skipped": [{"analysis": x.analysis, "reason": x.reason} for x in b.skipped],
        "further_reading": further_sentences(b),
        "skipped_reading": skipped_lines(b),
        "k_max_sampled": k_max,
    }


def summary_dict(analysis: Analysis) -> dict:
    """JSON-serialisable summary of an analysis: the numbers ``summary.json`` holds (see ``Summary``)."""
    cfg = {k: (v if not isinstance(v, (np.generic,)) else v.item()) for k, v in asdict(analysis.config).items()}
    out: dict = {
        "format": SUMMARY_FORMAT,
        "version": SUMMARY_VERSION,
        "run": analysis.run,
        "reference": analysis.reference,
        "config": cfg,
        "benchmarks": [],
        "statuses": [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                     for r in analysis.statuses],
    }
    runs = list(analysis.runs)
    if len(runs) > 1:                   # several runs compared (analyze_runs): which model came from which
        out["runs"] = [{"path": r, "models": {m: orig for m, (p, orig) in analysis.origins.items() if p == r}}
                       for r in runs]
    texts = {(r.benchmark, r.other): r.text for r in readings(analysis)}
    for b in analysis.benchmarks:
        k_max = int(next(iter(b.curves.values())).ks[-1]) if b.curves else None
        ks = headline_ks(k_max) if k_max else []
        bench: dict[str, Any] = {
            "benchmark": b.benchmark,
            "models": list(b.models),
            "reference": b.reference,
            "k_max": k_max,
            "problems": {m: int(v) for m, v in b.problems.items()},
            "level": analysis.config.level,
            "pass_at_k": {m: [_point(b.curves[m], k) for k in ks] for m in b.models},
            "comparisons": [],
            "coverage": [],
            "efficiency": [],
            "histograms": {"bins": list(BIN_LABELS),
                           "counts": {m: [int(x) for x in h] for m, h in b.histograms.items()}},
            "cover": {"taus": [float(t) for t in TAUS],
                      "values": {m: [float(x) for x in v] for m, v in b.cover.items()}},
            "chance": None if b.chance is None else {
                "answer_space": analysis.config.answer_space,
                "at_headline_k": [{"k": k, "pass_at_k": _f(b.chance[k - 1])} for k in ks]},
            "notes": list(b.notes),
        }
        for c in b.comparisons:
            x = c.crossover
            bench["comparisons"].append({
                "reference": c.reference, "other": c.other, "problems": int(c.problems),
                "crossover": {"k": x.k, "lower": x.lower, "upper": x.upper, "k_max": int(x.k_max),
                              "level": x.level, "no_crossover_fraction": _f(x.no_crossover_fraction),
                              "description": x.describe()},
                "difference": [{"k": int(k), "difference": _f(c.diff.estimate[k - 1]),
                                "lower": _f(c.diff.lower[k - 1]), "upper": _f(c.diff.upper[k - 1])}
                               for k in ks],
                "reading": texts.get((b.benchmark, c.other)),
            })
        for cv in b.coverages:
            bench["coverage"].append({
                "model_a": cv.model_a, "model_b": cv.model_b, "k": int(cv.k), "exact": bool(cv.exact),
                "both": _f(cv.both), "only_a": _f(cv.only_a), "only_b": _f(cv.only_b),
                "neither": _f(cv.neither), "total": int(cv.total), "p_value": _f(cv.p_value),
                "percent": {cell: _f(cv.percent(cell)) for cell in ("both", "only_a", "only_b", "neither")},
                "ids": {k: list(v) for k, v in cv.ids.items()},
            })
        for g in b.efficiency:
            bench["efficiency"].append({
                "base": g.base, "other": g.other, "k_max": int(g.k_max),
                "base_pass_at_kmax": _f(g.base_pass_at_kmax), "other_pass_at_1": _f(g.other_pass_at_1),
                "gap": _f(g.gap), "lower": _f(g.lower), "upper": _f(g.upper), "level": g.level,
            })
        bench.update(_further_dict(b))
        out["benchmarks"].append(bench)
    if analysis.graders:                # two verdict sources (analysis.graders): absent otherwise
        out["graders"] = [_graders_dict(g) for g in analysis.graders]
    return out


def _graders_dict(g) -> dict:
    from boundary.analysis.graders import sensitivity_sentence

    def plain(row: dict) -> dict:
        return {k: (_f(v) if isinstance(v, float) else v) for k, v in row.items()}
    return {"source_a": g.source_a, "source_b": g.source_b, "verifiers_a": list(g.verifiers_a),
            "verifiers_b": list(g.verifiers_b), "samples": int(g.samples), "only_in_a": int(g.only_in_a),
            "only_in_b": int(g.only_in_b), "survives": g.survives, "reading": sensitivity_sentence(g),
            "confusion": [plain({k: v for k, v in asdict(c).items() if k != "statuses"}) for c in g.confusion],
            "flips": [plain(asdict(f)) for f in g.flips],
            "headline": [plain(asdict(h)) for h in g.headline]}


def summary_json(analysis: Analysis) -> str:
    """``summary.json``'s text: ``summary_dict`` as indented JSON (non-finite numbers are already null)."""
    return json.dumps(summary_dict(analysis), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------------------------------------ typed form
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Num = float | None
"""A number; null where it is undefined or not finite."""


class Point(_Model):
    k: int
    pass_at_k: Num
    lower: Num
    upper: Num


class CrossoverSummary(_Model):
    k: int | None = Field(description="Smallest k where the reference's pass@k is >= the other's; null: none <= k_max.")
    lower: int | None
    upper: int | None = Field(description="null: beyond k_max.")
    k_max: int
    level: float
    no_crossover_fraction: Num
    description: str


class DifferencePoint(_Model):
    k: int
    difference: Num = Field(description="pass@k(reference) − pass@k(other).")
    lower: Num
    upper: Num


class ComparisonSummary(_Model):
    reference: str
    other: str
    problems: int
    crossover: CrossoverSummary
    difference: list[DifferencePoint]
    reading: str | None


class CoverageSummary(_Model):
    model_a: str
    model_b: str
    k: int
    exact: bool
    both: Num
    only_a: Num
    only_b: Num
    neither: Num
    total: int
    p_value: Num = Field(description="McNemar's exact test (approximate when not exact).")
    percent: dict[str, Num]
    ids: dict[str, list[str]]


class EfficiencySummary(_Model):
    base: str
    other: str
    k_max: int
    base_pass_at_kmax: Num
    other_pass_at_1: Num
    gap: Num = Field(description="ΔSE = pass@k_max(base) − pass@1(other).")
    lower: Num
    upper: Num
    level: float


class Histograms(_Model):
    bins: list[str]
    counts: dict[str, list[int]]


class CoverSummary(_Model):
    taus: list[float]
    values: dict[str, list[float]]


class ChancePoint(_Model):
    k: int
    pass_at_k: Num


class ChanceSummary(_Model):
    answer_space: int | None
    at_headline_k: list[ChancePoint]


class Interval(_Model):
    estimate: Num
    lower: Num
    upper: Num


class PredictedPoint(Interval):
    k: int


class ExtrapolationSummary(_Model):
    model: str
    fit: str
    alpha: Num
    beta: Num
    zero_mass: Num
    ceiling: Num
    log_likelihood: Num
    aic: Num
    converged: bool
    problems: int
    level: float
    n_boot: int
    predicted: list[PredictedPoint]


class ExtrapolationCheckSummary(_Model):
    model: str
    zero_inflated: bool
    fit_samples: int
    k: int
    predicted: Num
    lower: Num
    upper: Num
    measured: Num
    inside: bool


class PowerLawSummary(_Model):
    a: Num
    b: Num
    r2: Num


class SupportSummary(_Model):
    base: str
    other: str
    k: int
    exact: bool
    preserved: Num
    expanded: Num
    shrunk: Num
    out_of_support: Num
    total: int
    srr: Num
    ndr: Num
    sds: Num
    nscr: Num
    zeta: Num
    epsilon: Num


class BudgetComparisonSummary(_Model):
    reference: str
    other: str
    length_ratio: Num
    budget: Num
    reference_k: Num
    other_k: Num
    reference_pass: Num
    other_pass: Num
    crossover_budget: Num
    other_leads_at_start: bool | None


class BudgetSummary(_Model):
    per_problem: bool
    mean_tokens: dict[str, Num]
    comparisons: list[BudgetComparisonSummary]


class AnswersSummary(_Model):
    problems: int
    mean_distinct: Num
    median_distinct: Num
    mean_entropy: Num
    single_answer_share: Num
    no_answer_rate: Num


class SweepPoint(_Model):
    model: str
    step: int | None
    pass_at_1: Interval
    pass_at_kmax: Interval


class SweepSummary(_Model):
    series: str
    k_max: int
    base: str | None
    base_pass_at_1: Num
    base_pass_at_kmax: Num
    points: list[SweepPoint]


class AlgorithmSummary(_Model):
    model: str
    base: bool
    step: int | None
    k_max: int
    pass_at_1: Interval
    pass_at_kmax: Interval
    delta_se: Interval | None


class SkippedSummary(_Model):
    analysis: str
    reason: str


class BenchmarkSummary(_Model):
    benchmark: str
    models: list[str]
    reference: str | None
    k_max: int | None
    problems: dict[str, int]
    level: float
    pass_at_k: dict[str, list[Point]] = Field(description="Per model, pass@k with its band at the headline k "
                                                          "(powers of two up to k_max, and k_max).")
    comparisons: list[ComparisonSummary]
    coverage: list[CoverageSummary]
    efficiency: list[EfficiencySummary]
    histograms: Histograms
    cover: CoverSummary
    chance: ChanceSummary | None
    notes: list[str]
    # the further analyses (present in every summary written by boundary; optional when reading)
    extrapolation: list[ExtrapolationSummary] = []
    extrapolation_checks: list[ExtrapolationCheckSummary] = []
    power_laws: dict[str, PowerLawSummary] = {}
    support: list[SupportSummary] = []
    budget: BudgetSummary | None = None
    answers: dict[str, AnswersSummary] = {}
    steps: dict[str, int] = {}
    sweeps: list[SweepSummary] = []
    algorithms: list[AlgorithmSummary] = []
    skipped: list[SkippedSummary] = []
    further_reading: list[str] = []
    skipped_reading: list[str] = []
    k_max_sampled: int | None = None


class GraderSummary(_Model):
    """Two verdict sources of the run compared on the samples both graded (``analysis.graders``)."""

    source_a: str
    source_b: str
    verifiers_a: list[str]
    verifiers_b: list[str]
    samples: int = Field(description="Samples graded by both sources; every number below is on those.")
    only_in_a: int
    only_in_b: int
    survives: bool | None = Field(description="Whether every comparison's coverage result (which model solves "
                                              "more problems alone, and McNemar's significance) is the same "
                                              "under both graders; null without a comparison.")
    reading: str
    confusion: list[dict[str, Any]] = Field(description="Per benchmark and model: samples, both (correct under "
                                                        "both), only_a, only_b, neither.")
    flips: list[dict[str, Any]] = Field(description="Problems solved at k = n under one source only: benchmark, "
                                                    "model, problem_id, n, correct_a, correct_b, solved_by.")
    headline: list[dict[str, Any]] = Field(description="Per benchmark and model: pass1_a/_b, passk_a/_b "
                                                       "(pass@k_max), solved_a/_b, kstar_a/_b, only_ref_a/_b, "
                                                       "only_model_a/_b, p_a/_b under each source.")


class RunSource(_Model):
    """One of the runs a comparison of several runs read (``boundary report RUN_A RUN_B``)."""

    path: str = Field(description="The run directory.")
    models: dict[str, str] = Field(description="Model name in the summary → its name in this run (they differ "
                                               "when several runs share a name: RUN_DIR/MODEL).")


class Summary(_Model):
    """The typed form of ``summary.json`` (``read_summary`` gives one; ``summary_schema`` its JSON Schema)."""

    format: Literal["boundary.summary"] = Field(SUMMARY_FORMAT, description="Always \"boundary.summary\".")
    version: int = Field(SUMMARY_VERSION, ge=1, description="Summary-format version; absent (read as 1) in "
                                                          "summaries written before it was recorded.")
    run: str = Field(description="The run directory the analysis read (\"\" for counts without a run; with "
                                 "several runs, their directories joined by \" + \", listed in runs).")
    reference: str | None
    config: dict[str, Any] = Field(description="The AnalysisConfig the numbers were computed with.")
    benchmarks: list[BenchmarkSummary]
    statuses: list[dict[str, Any]] = Field(description="Samples per (model, benchmark, status).")
    runs: list[RunSource] | None = Field(None, description="When several runs are compared: each run and its "
                                                            "models; absent for one run.")
    graders: list[GraderSummary] | None = Field(None, description="When the run has two verdict sources: the "
                                                                  "primary against each other; absent otherwise.")

    @model_serializer(mode="wrap")
    def _omit_runs_of_one_run(self, handler):
        """A summary of one run has no ``runs`` field (as before comparisons of runs existed), a run with one
        verdict source no ``graders``."""
        data = handler(self)
        for key in ("runs", "graders"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


def summary_schema() -> dict:
    """The JSON Schema of ``summary.json`` (draft 2020-12), derived from ``Summary``."""
    schema = Summary.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://boundary/schemas/summary-v{SUMMARY_VERSION}.json"
    return schema


def read_summary(source: str | Path | dict) -> Summary:
    """A ``summary.json`` (path or already-parsed dict) as a ``Summary``; summaries without ``format``
    and ``version`` (written before they existed) read as version 1."""
    where = "the summary"
    if isinstance(source, dict):
        data = dict(source)
    else:
        where = str(source)
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise BoundaryError(f"cannot read {where}: {e}. Pass a summary.json written by `boundary analyze` "
                                "or `boundary report`.") from e
    if not isinstance(data, dict):
        raise BoundaryError(f"{where} is a JSON {type(data).__name__}, not an object; a summary.json is an object "
                            "with the fields run, reference, config, benchmarks.")
    fmt = data.setdefault("format", SUMMARY_FORMAT)
    if fmt != SUMMARY_FORMAT:
        raise BoundaryError(f"{where} has format {fmt!r}; expected {SUMMARY_FORMAT!r}. Is it a boundary summary.json?")
    version = data.setdefault("version", 1)
    if not isinstance(version, int) or version > SUMMARY_VERSION or version < 1:
        raise BoundaryError(f"{where} has summary version {version!r}; this boundary reads versions 1 to "
                            f"{SUMMARY_VERSION}. Upgrade boundary to read it.")
    from pydantic import ValidationError
    try:
        return Summary.model_validate(data)
    except ValidationError as e:
        raise BoundaryError(f"{where} does not match the summary format version {version}: {e}") from e


__all__ = ["SUMMARY_FORMAT", "SUMMARY_VERSION", "Summary", "BenchmarkSummary", "summary_dict", "summary_json",
           "summary_schema", "read_summary"]
