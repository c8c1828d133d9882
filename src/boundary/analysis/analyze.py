"""Run every analysis of a run's per-problem counts: the stage ``boundary analyze RUN``.

Reads ``Run.counts()`` (never the sample texts), and for each benchmark computes:
each model's pass@k curve with a bootstrap band, the reference model against every other model
(difference band, crossover k*, coverage split with McNemar, ΔSE, support dynamics), accuracy
histograms, Cover@τ, the chance floor when the answer-space size is known, pass@k beyond the sampled
n (beta-binomial fits, checked on a subsample), checkpoint sweeps and the algorithm table.

From a run (``analyze(run)``) it also reads, shard by shard and never the texts, the samples'
token counts (budget-matched pass@k), the verdicts' extracted answers (answer diversity), the
perplexities and recorded logprobs (``Analysis.perplexity``), and the judge's labels and the
answer-only run (``Analysis.validity``: CoT-pass@k, guessability). An analysis the data do not allow
is listed in ``BenchmarkAnalysis.skipped`` with the reason. The report draws the ``Analysis`` and
reads nothing else from the run except the sample texts of its browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from boundary.analysis.answers import AnswerDiversity, diversity_from_classes
from boundary.analysis.bootstrap import (DEFAULT_LEVEL, DEFAULT_N_BOOT, Band, Comparison,
                                         bootstrap_curve, compare)
from boundary.analysis.budget import BudgetAnalysis, budget_analysis
from boundary.analysis.cover import chance_floor, cover_at
from boundary.analysis.coverage import Coverage, coverage
from boundary.analysis.efficiency import EfficiencyGap, sampling_efficiency_gap
from boundary.analysis.extrapolate import (DEFAULT_EXTRAPOLATION_BOOT, Extrapolation, ExtrapolationCheck,
                                           PowerLawFit, check_extrapolation, extrapolation_ks, power_law_fit,
                                           predict_pass_at_k)
from boundary.analysis.adaptive import adaptive_pass_at_1
from boundary.analysis.graders import GraderSensitivity, run_sensitivities
from boundary.analysis.histogram import BIN_LABELS, accuracy_histogram, accuracy_histogram_of
from boundary.analysis.perplexity import PerplexityAnalysis, perplexity_analysis
from boundary.analysis.support import DEFAULT_ZETA, SupportDynamics, support_dynamics
from boundary.analysis.sweep import AlgorithmRow, Sweep, algorithm_table, checkpoint_sweeps, model_steps
from boundary.analysis.validity import ValidityAnalysis, validity_analysis
from boundary.adaptive_plan import AdaptivePlan
from boundary.errors import AnalysisError

TAUS = np.round(np.linspace(0.0, 1.0, 21), 4)


def _option(default, help: str, **limits):
    """A field of ``AnalysisConfig``: its default, its help text and its limits (``gt``, ``ge``, ``lt``,
    ``le``). The spec's ``analysis:`` block and the CLI's options of ``analyze``/``report`` are built
    from these fields (``boundary.spec.AnalysisSpec``), so an option is declared here once."""
    return field(default=default, metadata={"help": help, **limits})


@dataclass(frozen=True)
class AnalysisConfig:
    """What ``analyze`` computes. Every field has a default that reproduces the paper's setup.

    The single definition of the analysis options: the spec's ``analysis:`` block and the options
    of ``boundary analyze`` / ``boundary report`` are derived from these fields (help text, default,
    limits), and a test fails when a field is not reachable from both.
    """

    reference: str | None = _option(
        None, "Model that the others are compared against (the base model). Default: the first model "
              "recorded in the run (import order).")
    k: int | None = _option(None, "k for the coverage split. Default: the largest common n of the two models.", gt=0)
    k_max: int | None = _option(
        None, "Largest k of the curves and of ΔSE's pass@k_max. Default: the smallest n on the benchmark.", gt=0)
    n_boot: int = _option(DEFAULT_N_BOOT, "Bootstrap replicates for bands and intervals.", gt=0)
    level: float = _option(DEFAULT_LEVEL, "Confidence level of bands and intervals.", gt=0, lt=1)
    seed: int = _option(0, "Seed of the bootstrap's random draws (results are reproducible).")
    answer_space: int | None = _option(
        None, "Size m of the answer space for the chance floor 1-(1-1/m)^k (e.g. 4 for multiple choice, "
              "1000 for AIME). None: no chance floor is drawn.", gt=0)
    extrapolate: bool = _option(True, "Fit (zero-inflated) beta-binomials and predict pass@k beyond the sampled n.")
    extrapolate_to: int | None = _option(None, "Largest predicted k. Default: 4 × k_max.", gt=0)
    extrapolate_boot: int = _option(
        DEFAULT_EXTRAPOLATION_BOOT, "Bootstrap refits for the prediction intervals (each refit is one "
                                    "maximum-likelihood fit; 0: no interval).", ge=0)
    extrapolate_check_fraction: float = _option(
        0.25, "The check fits on this share of each problem's samples and predicts pass@n.", gt=0, lt=1)
    power_law: bool = _option(False, "Also fit Brown et al.'s pass@k ≈ exp(a·k^b) to each measured curve.")
    support_zeta: float = _option(DEFAULT_ZETA, "ζ of the support detection bound ε = −ln ζ / k.", gt=0, lt=1)
    budget_per_problem: bool = _option(
        False, "Budget matching with each problem's own mean answer length (default: the model's mean).")
    steps: dict[str, int] | None = _option(
        None, "Training step per model name for checkpoint sweeps (default: the run's recorded steps, then "
              "steps parsed from names such as grpo-step50, checkpoint-50, global_step_50).")


MIN_N_EXTRAPOLATE = 4
"""Fewest samples per problem for a beta-binomial fit (n = 1 cannot tell α from β)."""


@dataclass(frozen=True)
class Skipped:
    """An analysis the data did not allow, and why."""

    analysis: str
    reason: str

    def describe(self) -> str:
        return f"{self.analysis} skipped: {self.reason}"


@dataclass(frozen=True)
class BenchmarkAnalysis:
    benchmark: str
    models: list[str]
    reference: str | None
    problems: dict[str, int]
    curves: dict[str, Band]
    comparisons: list[Comparison] = field(default_factory=list)
    coverages: list[Coverage] = field(default_factory=list)
    efficiency: list[EfficiencyGap] = field(default_factory=list)
    histograms: dict[str, np.ndarray] = field(default_factory=dict)
    cover: dict[str, np.ndarray] = field(default_factory=dict)
    chance: np.ndarray | None = None
    """Chance floor at k = 1..k_max when ``answer_space`` was given."""
    notes: list[str] = field(default_factory=list)
    """Things the reader must know (problems dropped from a paired comparison, unequal n, ...)."""
    extrapolations: list[Extrapolation] = field(default_factory=list)
    """pass@k beyond n per model: the zero-inflated fit, then the plain beta-binomial."""
    extrapolation_checks: list[ExtrapolationCheck] = field(default_factory=list)
    power_laws: dict[str, PowerLawFit] = field(default_factory=dict)
    support: list[SupportDynamics] = field(default_factory=list)
    budget: BudgetAnalysis | None = None
    answers: dict[str, AnswerDiversity] = field(default_factory=dict)
    sweeps: list[Sweep] = field(default_factory=list)
    algorithms: list[AlgorithmRow] = field(default_factory=list)
    """The algorithm table (base row first), when several models are compared with one base."""
    steps: dict[str, int] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Analysis:
    run: str
    config: AnalysisConfig
    reference: str | None
    benchmarks: list[BenchmarkAnalysis]
    statuses: list[dict] = field(default_factory=list)
    """Samples per (model, benchmark, status), when the run has verdicts."""
    perplexity: PerplexityAnalysis | None = None
    """Perplexity matrix, box-plot data, token entropy and entropy matches (``analyze(run)``; None when
    the analysis is not attached to a run directory)."""
    validity: ValidityAnalysis | None = None
    """CoT-pass@k of the latest judge and the guessability rows (``analyze(run)``; None when the
    analysis is not attached to a run directory)."""
    templates: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    """The prompt template each sampled model used: model → (name, fingerprint), from the run's records."""
    runs: tuple[str, ...] = ()
    """Every run directory the analysis read: one for ``analyze(run)``, several for ``analyze_runs``
    (then ``run`` joins them with " + "), none for counts without a run."""
    graders: tuple[GraderSensitivity, ...] = ()
    """The run's primary verdicts against each other verdict source (``boundary verify RUN --regrade``):
    confusion, per-problem disagreement, flips at k = n, headline numbers under each grader
    (``analysis.graders``); empty when the run has one source."""
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """With several runs: model → (its run directory, its name in that run). A name that several runs
    share is qualified as ``<run directory name>/<model>``."""


def _arrays(counts: pa.Table, model: str, benchmark: str) -> dict[str, tuple[int, int]]:
    import pyarrow.compute as pc
    t = counts.filter((pc.field("model") == model) & (pc.field("benchmark") == benchmark))
    return {p: (n, c) for p, n, c in zip(t["problem_id"].to_pylist(), t["n"].to_pylist(), t["correct"].to_pylist())}


NO_TOKENS = "the analysis has per-problem counts only, no per-sample token counts"
NO_ANSWERS = "the analysis has per-problem counts only, no extracted answers"


@dataclass(frozen=True)
class SampleData:
    """What ``analyze(run)`` reads beyond the counts (each None when the run lacks it, with the reason)."""

    tokens: dict[tuple[str, str], dict[str, float]] | None = None
    """Mean completion tokens per sample: (model, benchmark) → {problem_id: mean}."""
    tokens_missing: str = NO_TOKENS
    answers: pa.Table | None = None
    """``answers.answer_classes`` rows of the run's verdicts."""
    answers_missing: str = NO_ANSWERS
    steps: dict[str, int] = field(default_factory=dict)
    """Training steps recorded in the run (``Run.model_steps``)."""
    groups: dict[str, str] = field(default_factory=dict)
    """The spec entry each model was expanded from (``Run.model_groups``)."""
    plans: dict[str, AdaptivePlan] = field(default_factory=dict)
    """Model → the adaptive plan (``boundary.adaptive_plan.AdaptivePlan``) its samples were drawn with;
    absent for fixed n. Its curves, bands, k* and ΔSE then use the sequential estimator."""
    chance: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per-problem probability that one blind guess is right (problem metadata ``chance``, e.g. the
    model organism's Countdown): benchmark → {problem_id: p}. Gives a per-problem chance floor."""


def analyze_counts(counts: pa.Table, *, config: AnalysisConfig = AnalysisConfig(),
                   models: list[str] | None = None, run: str = "", data: SampleData | None = None) -> Analysis:
    """All analyses of a per-problem counts table (columns model, benchmark, problem_id, n, correct).

    ``data``: token counts, extracted answers and training steps of the run (``analyze`` reads
    them); without it, budget matching and answer diversity are skipped with the reason.
    """
    if counts.num_rows == 0:
        raise AnalysisError(f"the run {run or ''} has no counts yet: import results or run the "
                            "sample and verify stages first.")
    present = sorted(set(counts["model"].to_pylist()))
    order = [m for m in (models or []) if m in present] + [m for m in present if m not in (models or [])]
    reference = config.reference if config.reference is not None else order[0]
    if reference not in order:
        raise AnalysisError(f"reference model {reference!r} is not in this run; models: {order}. "
                            "Pass one of them with --reference.")
    data = data or SampleData()
    diversity = diversity_from_classes(data.answers) if data.answers is not None else {}
    steps = model_steps(order, {**data.steps, **(config.steps or {})})
    benchmarks = []
    for bench in sorted(set(counts["benchmark"].to_pylist())):
        b = _analyze_benchmark(counts, bench, order, reference, config, data.chance.get(bench), data.plans)
        benchmarks.append(_further(b, counts, config, data, diversity, steps))
    return Analysis(run=run, config=config, reference=reference, benchmarks=benchmarks)


def _analyze_benchmark(counts, bench, order, reference, config, chance_p=None, plans=None) -> BenchmarkAnalysis:
    per_model = {m: _arrays(counts, m, bench) for m in order}
    per_model = {m: d for m, d in per_model.items() if d}
    models = list(per_model)
    notes: list[str] = []
    plans = {m: p for m, p in (plans or {}).items() if m in per_model}
    # an adaptive model's pass@k is defined up to its plan's cap, whatever each problem stopped at
    k_cap = min(plans[m].cap if m in plans else min(n for n, _ in d.values()) for m, d in per_model.items())
    if len({n for m, d in per_model.items() if m not in plans for n, _ in d.values()}) > 1:
        notes.append(f"Problems have different numbers of samples; curves stop at the smallest n = {k_cap}.")
    k_max = config.k_max or k_cap
    if k_max > k_cap:
        raise AnalysisError(f"k_max={k_max} exceeds the smallest n={k_cap} on {bench}; pass@k is "
                            f"undefined there. Use k_max <= {k_cap} or sample more.")
    curves, histograms, cover = {}, {}, {}
    for m, d in per_model.items():
        n = np.array([v[0] for v in d.values()])
        c = np.array([v[1] for v in d.values()])
        curves[m] = bootstrap_curve(n, c, k_max=k_max, n_boot=config.n_boot, level=config.level, seed=config.seed,
                                    plan=plans.get(m))
        if m in plans:                      # per-problem accuracy: the unbiased pass@1 of its stopping point
            acc = adaptive_pass_at_1(plans[m], n, c)
            histograms[m] = accuracy_histogram_of(acc)
            cover[m] = (acc[None, :] >= TAUS[:, None] - 1e-12).mean(axis=1)
        else:
            histograms[m] = accuracy_histogram(n, c)
            cover[m] = cover_at(n, c, TAUS)
    comparisons, coverages, gaps = [], [], []
    if reference in per_model:
        ref = per_model[reference]
        for m in models:
            if m == reference:
                continue
            common = sorted(set(ref) & set(per_model[m]))
            if not common:
                notes.append(f"{reference} and {m} share no problems on {bench}; not compared.")
                continue
            dropped = len(set(ref) ^ set(per_model[m]))
            if dropped:
                notes.append(f"{reference} vs {m}: {dropped} problems present for only one model "
                             f"were left out of the paired comparison ({len(common)} compared).")
            rn = np.array([ref[p][0] for p in common])
            rc = np.array([ref[p][1] for p in common])
            on = np.array([per_model[m][p][0] for p in common])
            oc = np.array([per_model[m][p][1] for p in common])
            pair = [plans.get(reference), plans.get(m)]
            comparisons.append(compare(rn, rc, on, oc, reference=reference, other=m, k_max=k_max,
                                       n_boot=config.n_boot, level=config.level, seed=config.seed, plans=pair))
            coverages.append(coverage(rn, rc, on, oc, k=config.k, model_a=reference, model_b=m,
                                      problem_ids=common, plans=pair))
            gaps.append(sampling_efficiency_gap(rn, rc, on, oc, base=reference, other=m, k_max=k_max,
                                                n_boot=config.n_boot, level=config.level, seed=config.seed,
                                                plans=pair))
    elif len(models) > 1:
        notes.append(f"the reference model {reference} has no results on {bench}; no comparisons.")
    chance = chance_floor(config.answer_space, np.arange(1, k_max + 1)) if config.answer_space else None
    ids = set(per_model.get(reference) or next(iter(per_model.values()), {}))
    if chance is None and chance_p and ids and ids <= set(chance_p):
        # per-problem blind-guess probabilities: the floor is the mean of 1 - (1 - p_i)^k
        p = np.array([chance_p[i] for i in sorted(ids)], dtype=np.float64)
        ks = np.arange(1, k_max + 1, dtype=np.float64)
        chance = -np.expm1(np.outer(np.log1p(-np.clip(p, 0.0, 1 - 1e-15)), ks)).mean(axis=0)
        notes.append(f"chance floor: blind guessing with each problem's own success probability "
                     f"(median {np.median(p):.2g}), from the problems' metadata.")
    return BenchmarkAnalysis(benchmark=bench, models=models, reference=reference if reference in per_model else None,
                             problems={m: len(d) for m, d in per_model.items()}, curves=curves,
                             comparisons=comparisons, coverages=coverages, efficiency=gaps,
                             histograms=histograms, cover=cover, chance=chance, notes=notes)


def _further(b: BenchmarkAnalysis, counts: pa.Table, config: AnalysisConfig, data: SampleData,
             diversity: dict, steps: dict[str, int]) -> BenchmarkAnalysis:
    """The analyses beyond the paper's core: extrapolation, support, budget, answers, sweeps."""
    from dataclasses import replace
    per_model = {m: _arrays(counts, m, b.benchmark) for m in b.models}
    skipped: list[Skipped] = []
    level, k_max = config.level, int(next(iter(b.curves.values())).ks[-1])
    # adaptively sampled models: these analyses assume n fixed in advance (docs/adaptive.md)
    adaptive = sorted(set(data.plans) & set(b.models))
    why = "sampled adaptively, and this analysis assumes n samples of every problem fixed in advance " \
          "(docs/adaptive.md)"
    for m in adaptive:
        skipped.append(Skipped(f"budget matching of {m}", why))
    # -- pass@k beyond n
    extrapolations, checks, laws = [], [], {}
    if not config.extrapolate:
        skipped.append(Skipped("pass@k beyond the sampled n", "turned off by extrapolate = False"))
    elif k_max < MIN_N_EXTRAPOLATE:
        skipped.append(Skipped("pass@k beyond the sampled n",
                               f"n = {k_max} samples per problem is too few to fit a distribution of "
                               f"success probabilities (need at least {MIN_N_EXTRAPOLATE})"))
    else:
        k_target = max(config.extrapolate_to or 4 * k_max, k_max)
        ks = extrapolation_ks(k_max, k_target)
        for m, d in per_model.items():
            n = np.array([v[0] for v in d.values()])
            c = np.array([v[1] for v in d.values()])
            plan = data.plans.get(m)              # adaptive: the sequential likelihood of the stopping points
            for zi in (True, False):
                extrapolations.append(predict_pass_at_k(n, c, ks, zero_inflated=zi, n_boot=config.extrapolate_boot,
                                                        level=level, seed=config.seed, model=m, plan=plan))
            if plan is not None:
                skipped.append(Skipped(f"check of the extrapolation of {m}",
                                       "it refits on the same share of every problem's samples, and a problem "
                                       "sampled adaptively that stopped early has fewer (docs/adaptive.md)"))
            elif int(np.floor(k_max * config.extrapolate_check_fraction)) >= 2:
                for zi in (True, False):
                    checks.append(check_extrapolation(n, c, fraction=config.extrapolate_check_fraction,
                                                      zero_inflated=zi, n_boot=config.extrapolate_boot,
                                                      level=level, seed=config.seed, model=m))
            if config.power_law:
                try:
                    laws[m] = power_law_fit(b.curves[m].ks, b.curves[m].estimate)
                except AnalysisError as e:
                    b.notes.append(f"power law of {m} not fitted: {e}")
        if not checks and set(per_model) - set(adaptive):
            skipped.append(Skipped("check of the extrapolation",
                                   f"n = {k_max} samples per problem leaves fewer than 2 for a fit on "
                                   f"{config.extrapolate_check_fraction:.0%} of them"))
    # -- support dynamics (same pairs and k as the coverage split)
    support = []
    for cov in b.coverages:
        if cov.model_a in adaptive or cov.model_b in adaptive:
            skipped.append(Skipped(f"support dynamics of {cov.model_a} vs {cov.model_b}", why))
            continue
        ref, oth = per_model[cov.model_a], per_model[cov.model_b]
        common = sorted(set(ref) & set(oth))
        support.append(support_dynamics([ref[p][0] for p in common], [ref[p][1] for p in common],
                                        [oth[p][0] for p in common], [oth[p][1] for p in common], k=cov.k,
                                        zeta=config.support_zeta, base=cov.model_a, other=cov.model_b,
                                        problem_ids=common))
    if not b.coverages:
        skipped.append(Skipped("support dynamics", "it compares two models, and this benchmark has no pair "
                                                   "with the reference model"))
    # -- budget matching
    budget = None
    if data.tokens is None:
        skipped.append(Skipped("budget matching", data.tokens_missing))
    else:
        inputs, missing = {}, []
        for m, d in per_model.items():
            if m in adaptive:
                continue
            means = data.tokens.get((m, b.benchmark), {})
            ids = [p for p in d if p in means]
            if not ids:
                missing.append(m)
                continue
            if len(ids) < len(d):
                b.notes.append(f"budget matching: {len(d) - len(ids)} problems of {m} have no token counts "
                               "and were left out.")
            inputs[m] = (ids, np.array([d[p][0] for p in ids]), np.array([d[p][1] for p in ids]),
                         np.maximum(np.array([means[p] for p in ids], dtype=np.float64), 1.0))
        if missing:
            b.notes.append(f"budget matching: no token counts for {', '.join(missing)}.")
        if len(inputs) < 2:
            skipped.append(Skipped("budget matching", "it needs token counts of at least two models on "
                                                      f"{b.benchmark}; {len(inputs)} have them"))
        else:
            try:
                budget = budget_analysis(inputs, reference=b.reference, per_problem=config.budget_per_problem)
            except AnalysisError as e:
                skipped.append(Skipped("budget matching", str(e)))
    # -- answer diversity
    answers = {m: diversity[(m, b.benchmark)] for m in b.models if (m, b.benchmark) in diversity}
    if data.answers is None:
        skipped.append(Skipped("answer diversity", data.answers_missing))
    elif not answers:
        skipped.append(Skipped("answer diversity", f"no extracted answers on {b.benchmark}"))
    # -- checkpoint sweeps and the algorithm table
    bsteps = {m: s for m, s in steps.items() if m in b.curves}
    sweeps = checkpoint_sweeps(b.curves, bsteps, reference=b.reference, groups=data.groups or None)
    if not sweeps:
        skipped.append(Skipped("checkpoint sweep", "only one checkpoint per training run" if bsteps else
                               "no model carries a training step — give one with a checkpoint sweep in the spec, "
                               "a name like grpo-step50 or checkpoint-50, or AnalysisConfig.steps"))
    others = [m for m in b.models if m != b.reference]
    algorithms = []
    if b.reference is not None and len(others) >= 2:
        algorithms = algorithm_table(b.curves, b.efficiency, reference=b.reference, steps=bsteps)
    else:
        skipped.append(Skipped("algorithm table", "it compares several trained models with one base; "
                               f"{b.benchmark} has {len(others)} model{'s' if len(others) != 1 else ''} besides "
                               "the reference, whose ΔSE is in the efficiency table"))
    return replace(b, extrapolations=extrapolations, extrapolation_checks=checks, power_laws=laws, support=support,
                   budget=budget, answers=answers, sweeps=sweeps, algorithms=algorithms, steps=bsteps,
                   skipped=skipped)


def sample_data(run) -> SampleData:
    """Token means, answer classes and recorded steps of a run, with reasons for what is missing."""
    from boundary.analysis.answers import run_answer_classes
    from boundary.analysis.budget import run_token_means
    has_samples = bool(run.shards("samples"))
    tokens = run_token_means(run) if has_samples else None
    if not has_samples:
        why_tokens = "the run holds imported counts only, no samples, so no per-sample token counts"
    else:
        why_tokens = "the run's samples carry no token counts: their completion_tokens column is empty"
    answers = run_answer_classes(run)
    why_answers = ("the run holds imported counts only, no verdicts with extracted answers"
                   if not run.shards("verdicts") else "the run's verdicts carry no extracted answers")
    steps = run.model_steps() if hasattr(run, "model_steps") else {}
    groups = run.model_groups() if hasattr(run, "model_groups") else {}
    groups = {m: g for m, g in groups.items() if m in steps}
    return SampleData(tokens=tokens, tokens_missing=why_tokens, answers=answers, answers_missing=why_answers,
                      steps=steps, groups=groups, chance=problem_chances(run))


def problem_chances(run) -> dict[str, dict[str, float]]:
    """benchmark → {problem_id: p}: the probability that one blind guess is right, for problems whose
    metadata records a ``chance``, and for every problem of the ``visual`` kind (:func:`visual_chances`)."""
    import json
    out: dict[str, dict[str, float]] = {}
    if not run.shards("problems"):
        return out
    t = run.problems(["benchmark", "problem_id", "reference", "metadata"])
    visual: dict[str, list[tuple[str, str, dict]]] = {}
    for b, pid, ref, meta in zip(*(t[c].to_pylist() for c in ("benchmark", "problem_id", "reference", "metadata"))):
        if meta and '"chance"' in meta:
            p = json.loads(meta).get("chance")
            if isinstance(p, (int, float)):
                out.setdefault(b, {})[pid] = float(p)
                continue
        if meta and '"visual"' in meta:
            md = json.loads(meta)
            if md.get("kind") == "visual":
                visual.setdefault(b, []).append((pid, ref or "", md))
    for b, rows in visual.items():
        out.setdefault(b, {}).update(visual_chances(rows))
    return out


def visual_chances(rows: list[tuple[str, str, dict]]) -> dict[str, float]:
    """One blind guess's success probability for each ``(problem_id, reference, metadata)`` of one
    visual benchmark: ``1/m`` for multiple choice with m options (a uniform letter guess); for a
    free-form answer, the leave-one-out share of the other free-form problems *of its answer type*
    whose normalized reference equals it (:func:`~boundary.analysis.cover.prior_guess_probabilities`):
    a guesser that never sees the image and draws from the benchmark's own answers."""
    from boundary.analysis.cover import prior_guess_probabilities
    from boundary.verify.normalize import normalize_answer
    out: dict[str, float] = {}
    free: list[tuple[str, str, str]] = []
    for pid, ref, md in rows:
        choices = md.get("choices")
        if choices:
            out[pid] = 1.0 / len(choices)
        else:
            unit = md.get("unit")
            free.append((pid, normalize_answer(ref, {"unit": unit} if unit else None), str(md.get("answer_type"))))
    if free:
        probs = prior_guess_probabilities([a for _, a, _ in free], [g for _, _, g in free])
        out.update({pid: float(p) for (pid, _, _), p in zip(free, probs)})
    return out


def analyze(run, config: AnalysisConfig = AnalysisConfig()) -> Analysis:
    """All analyses of a run (a ``Run`` or a path), from its per-problem counts, token counts and
    extracted answers (never the sample texts).

    A list of runs puts their models on the same figures and tables:
    :func:`boundary.analysis.runs.analyze_runs` (a list of one run is that run)."""
    if isinstance(run, (list, tuple)):
        from boundary.analysis.runs import analyze_runs
        return analyze_runs(run, config)
    from boundary.store import Run
    run = run if isinstance(run, Run) else Run(run)
    from dataclasses import replace as _replace

    plans = run_plans(run)
    result = analyze_counts(run.counts(), config=config, models=run.models, run=str(run.path),
                            data=_replace(sample_data(run), plans=plans))
    adaptive_notes(result.benchmarks, plans)
    statuses = run.status_counts().to_pylist()
    return Analysis(run=result.run, config=config, reference=result.reference,
                    benchmarks=result.benchmarks, statuses=statuses,
                    perplexity=perplexity_analysis(run, result.reference), validity=validity_analysis(run),
                    templates={m: (r.template.name, r.template.fingerprint)
                               for m, r in run.sampling_records().items()},
                    runs=(str(run.path),), graders=run_sensitivities(run, config, run.models))


def run_plans(run) -> dict[str, AdaptivePlan]:
    """Model → the adaptive plan its samples were drawn with, from the run's sampling records
    (fixed-n models are absent)."""
    from boundary.sampling.plan import adaptive_from_record
    plans: dict[str, AdaptivePlan] = {}
    for m, r in run.sampling_records().items():
        plan = adaptive_from_record((r.params or {}).get("adaptive"), r.n)
        if plan is not None:
            plans[m] = plan
    return plans


def adaptive_notes(benchmarks: list[BenchmarkAnalysis], plans: dict[str, AdaptivePlan]) -> None:
    """Add to each benchmark's notes which models were sampled adaptively, and what uses their plan."""
    for b in benchmarks:
        shown = [m for m in sorted(plans) if m in b.models]
        if shown:                           # what uses the sequential estimator, and what does not yet
            b.notes.append(f"{', '.join(shown)} sampled adaptively (docs/adaptive.md): the pass@k curves, their "
                           "bands, k*, ΔSE, per-problem accuracies (histograms, cover), the coverage table "
                           "and the checkpoint sweeps use the unbiased sequential estimator; the fits beyond n "
                           "use the sequential likelihood of each problem's stopping point (t, s); budget "
                           "matching and support dynamics, which assume n fixed in advance, are skipped for them.")


def headline_ks(k_max: int) -> list[int]:
    """Powers of two up to k_max, plus k_max itself: the columns of the paper's tables."""
    ks = [1 << i for i in range(int(np.log2(k_max)) + 1)]
    return ks if ks[-1] == k_max else ks + [k_max]


__all__ = ["AnalysisConfig", "Analysis", "BenchmarkAnalysis", "Skipped", "SampleData", "analyze", "analyze_counts",
           "adaptive_what_if", "run_plans", "adaptive_notes",
           "sample_data", "headline_ks", "BIN_LABELS", "TAUS"]


def adaptive_what_if(run, plans: list[tuple[int, int, int]] | None = None) -> list:
    """For a finished fixed-n run: what each adaptive plan ``(initial, successes, batch)`` would have
    cost per model and benchmark, and the precision it would have kept (:func:`boundary.analysis.adaptive.what_if`,
    at each problem's observed rate). Default plans: m = r = b = n/64, n/32, n/16, n/8 (at least 1).
    Models sampled adaptively, or with unequal n, are left out."""
    from boundary.analysis.adaptive import WhatIf, what_if
    from boundary.store import Run
    run = run if isinstance(run, Run) else Run(run)
    counts = run.counts()
    if counts.num_rows == 0:
        raise AnalysisError(f"the run {run.path} has no counts yet: sample and verify first.")
    out: list[WhatIf] = []
    for bench in sorted(set(counts["benchmark"].to_pylist())):
        for m in run.models:
            d = _arrays(counts, m, bench)
            rec = run.sampling_record(m)
            if not d or (rec is not None and (rec.params or {}).get("adaptive")):
                continue
            n = np.array([v[0] for v in d.values()])
            c = np.array([v[1] for v in d.values()])
            if len(set(n.tolist())) != 1:
                continue
            cap = int(n[0])
            grid = plans or sorted({(max(1, cap // f),) * 3 for f in (64, 32, 16, 8)})
            for initial, successes, batch in grid:
                plan = AdaptivePlan(initial=min(initial, cap), successes=min(successes, initial, cap),
                                    batch=batch, cap=cap)
                out.append(what_if(n, c, plan, model=m, benchmark=bench))
    if not out:
        raise AnalysisError(f"{run.path}: no model with the same n for every problem and fixed-n sampling; "
                            "adaptive_what_if needs a finished fixed-n run.")
    return out
