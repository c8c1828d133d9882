"""A short plain-language reading of each comparison: who is ahead where, coverage, ΔSE.

Example (reference ``base``, other ``rl``)::

    rl is ahead of base for k < 4; base catches up at k* = 4 (95% CI 4–5) and stays ahead up to
    k = 128. pass@1: base 0.337, rl 0.487; pass@128: base 0.825, rl 0.760. At k = 128, 17 problems
    are solved only by base and 4 only by rl (McNemar p = 0.0072); 148 by both, 31 by neither.
    ΔSE = 0.338 (95% CI 0.279–0.397): base pass@128 0.825 − rl pass@1 0.487.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boundary.analysis.analyze import Analysis, BenchmarkAnalysis
from boundary.analysis.bootstrap import TIE_TOLERANCE, Comparison
from boundary.analysis.coverage import Coverage
from boundary.analysis.efficiency import EfficiencyGap
from boundary.report._common import fmt_count, fmt_k_interval, fmt_p_eq, level_pct


@dataclass(frozen=True)
class Reading:
    """Plain-language sentences about one comparison (or about a benchmark without one)."""

    benchmark: str
    reference: str | None
    other: str | None
    sentences: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """The benchmark's analysis notes (repeated on each reading of that benchmark)."""

    @property
    def title(self) -> str:
        if self.other is None:
            return self.benchmark
        return f"{self.benchmark}: {self.reference} vs {self.other}"

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def _problems(x: float, exact: bool) -> str:
    s = fmt_count(x, exact)
    return f"{s} problem" if s == "1" else f"{s} problems"


def crossover_sentence(comp: Comparison) -> str:
    """Where the other model leads and where the reference catches up."""
    ref, oth, x = comp.reference, comp.other, comp.crossover
    d = np.asarray(comp.diff.estimate)
    k_max = x.k_max
    lv = level_pct(x.level)
    tol = TIE_TOLERANCE
    if x.k is None:
        s = (f"{oth} is ahead of {ref} at every k up to {k_max}: no crossover within k ≤ {k_max}")
        s += (f" ({ref} does not catch up in {x.no_crossover_fraction:.0%} of bootstrap replicates)."
              if x.no_crossover_fraction < 1 else " (nor in any bootstrap replicate).")
        return s
    ci = fmt_k_interval(x.lower, x.upper, k_max)
    later = d[x.k - 1:]
    stays = bool(np.all(later >= -tol))
    if x.k == 1:
        if np.all(np.abs(d) <= tol):
            return f"{ref} and {oth} have the same pass@k at every k ≤ {k_max}."
        s = (f"{ref} is ahead of {oth} already at k = 1 (difference {d[0]:+.3f}), so there is no "
             f"crossover: the reference leads from the start")
        if stays:
            s += f" and {oth} is never ahead up to k = {k_max}"
        else:
            first_behind = int(np.argmax(later < -tol)) + 1
            s += f", though {oth} pulls ahead again at k = {first_behind}"
        if x.upper is None or x.upper > 1:
            s += f" ({lv} CI of k*: {ci})"
        return s + "."
    s = f"{oth} is ahead of {ref} for k < {x.k}; {ref} catches up at k* = {x.k} ({lv} CI {ci})"
    if stays:
        s += f" and stays ahead up to k = {k_max}." if later[-1] > tol else f" and is level up to k = {k_max}."
    else:
        again = x.k + int(np.argmax(later < -tol))
        s += f", but {oth} is ahead again at k = {again} (see the difference figure)."
    if x.upper is None:
        s += (f" In {x.no_crossover_fraction:.0%} of bootstrap replicates {ref} never catches up "
              f"within k ≤ {k_max}.")
    return s


def levels_sentence(comp: Comparison) -> str:
    k = int(comp.ref.ks[-1])
    r1, o1 = float(comp.ref.estimate[0]), float(comp.oth.estimate[0])
    rk, ok = float(comp.ref.estimate[-1]), float(comp.oth.estimate[-1])
    if k == 1:
        return f"pass@1: {comp.reference} {r1:.3f}, {comp.other} {o1:.3f}."
    return (f"pass@1: {comp.reference} {r1:.3f}, {comp.other} {o1:.3f}; "
            f"pass@{k}: {comp.reference} {rk:.3f}, {comp.other} {ok:.3f}.")


def coverage_sentence(cov: Coverage) -> str:
    a, b = cov.model_a, cov.model_b
    if cov.exact:
        return (f"At k = {cov.k}, {_problems(cov.only_a, True)} {'is' if round(cov.only_a) == 1 else 'are'} "
                f"solved only by {a} and {fmt_count(cov.only_b, True)} only by {b} "
                f"(McNemar {fmt_p_eq(cov.p_value)}); {fmt_count(cov.both, True)} by both, "
                f"{fmt_count(cov.neither, True)} by neither (of {cov.total}).")
    return (f"At k = {cov.k} (fewer than the samples drawn, so these are expected counts over "
            f"k-subsets), an expected {_problems(cov.only_a, False)} are solved only by {a} and "
            f"{fmt_count(cov.only_b, False)} only by {b} (approximate McNemar {fmt_p_eq(cov.p_value)}); "
            f"an expected {fmt_count(cov.both, False)} by both, {fmt_count(cov.neither, False)} by neither "
            f"(of {cov.total}).")


def efficiency_sentence(g: EfficiencyGap) -> str:
    return (f"ΔSE = {g.gap:.3f} ({level_pct(g.level)} CI {g.lower:.3f} to {g.upper:.3f}): "
            f"{g.base} pass@{g.k_max} {g.base_pass_at_kmax:.3f} − {g.other} pass@1 {g.other_pass_at_1:.3f}.")


def comparison_reading(bench: BenchmarkAnalysis, comp: Comparison) -> Reading:
    sentences = [crossover_sentence(comp), levels_sentence(comp)]
    cov = next((c for c in bench.coverages if (c.model_a, c.model_b) == (comp.reference, comp.other)), None)
    if cov is not None:
        sentences.append(coverage_sentence(cov))
    gap = next((g for g in bench.efficiency if (g.base, g.other) == (comp.reference, comp.other)), None)
    if gap is not None:
        sentences.append(efficiency_sentence(gap))
    return Reading(benchmark=bench.benchmark, reference=comp.reference, other=comp.other,
                   sentences=tuple(sentences), notes=tuple(bench.notes))


def benchmark_readings(bench: BenchmarkAnalysis) -> list[Reading]:
    """One reading per comparison; a single reading when the benchmark has nothing to compare."""
    if bench.comparisons:
        return [comparison_reading(bench, c) for c in bench.comparisons]
    parts = []
    for m in bench.models:
        band = bench.curves[m]
        k = int(band.ks[-1])
        parts.append(f"{m}: pass@1 {band.estimate[0]:.3f}" + (f", pass@{k} {band.estimate[-1]:.3f}" if k > 1 else ""))
    if len(bench.models) == 1:
        lead = f"Only one model ({bench.models[0]}) has results on {bench.benchmark}: nothing to compare."
    else:
        lead = f"No comparison on {bench.benchmark}."
    return [Reading(benchmark=bench.benchmark, reference=bench.reference, other=None,
                    sentences=(lead, "; ".join(parts) + "."), notes=tuple(bench.notes))]


def benchmark_sentence(bench: BenchmarkAnalysis) -> str:
    """ONE sentence that reads a whole benchmark: who wins at small k, where the reference catches up
    (with the interval), and how many problems only the reference solves.

    With one comparison: "rl wins at small k (pass@1 0.487 vs base 0.337); base catches up at k* = 4
    (95% CI 4–5) and at k = 128 solves 17 problems rl does not (rl alone: 4; McNemar p = 0.0072)."
    With several, the ranges over the models and the numbers of the model best at k = 1: "At small k
    every model is ahead of base (all significantly; pass@1 0.096–0.125 vs 0.049, highest: ppo 0.125);
    base catches up with 7 of them at k* = 5–10 (ppo: 6, 95% CI 4–10) but not with distilled within
    k ≤ 256; at k = 256 base alone solves 2–39 problems per model (ppo: 35, against 2; McNemar
    p < 0.0001)."
    """
    if not bench.comparisons:
        return " ".join(benchmark_readings(bench)[0].sentences)
    comps = bench.comparisons
    ref = comps[0].reference
    r1 = float(comps[0].ref.estimate[0])
    best = max(comps, key=lambda c: float(c.oth.estimate[0]))
    b1 = float(best.oth.estimate[0])
    ahead = [c for c in comps if float(c.oth.estimate[0]) > r1 + TIE_TOLERANCE]
    covs = {(c.model_a, c.model_b): c for c in bench.coverages}
    x = best.crossover
    lv = level_pct(x.level)
    k_max = x.k_max

    def k_ci(c: Comparison) -> str:
        return f"{lv} CI {fmt_k_interval(c.crossover.lower, c.crossover.upper, k_max)}"

    if len(comps) == 1:
        oth = best.other
        if ahead:
            sig1 = "" if float(best.diff.upper[0]) < 0 else f", not significant at {lv}"
            s = f"{oth} wins at small k (pass@1 {b1:.3f} vs {ref} {r1:.3f}{sig1}); "
            s += (f"{ref} does not catch up within k ≤ {k_max}" if x.k is None else
                  f"{ref} catches up at k* = {x.k} ({k_ci(best)})")
        else:
            s = f"{ref} leads already at k = 1 (pass@1 {r1:.3f} vs {oth} {b1:.3f})"
        cov = covs.get((ref, oth))
        if cov is not None:
            exp = "" if cov.exact else "an expected "
            s += (f" and at k = {cov.k} solves {exp}{_problems(cov.only_a, cov.exact)} {oth} does not "
                  f"({oth} alone: {fmt_count(cov.only_b, cov.exact)}; "
                  f"{'approximate ' if not cov.exact else ''}McNemar {fmt_p_eq(cov.p_value)})")
        return s + "."
    p1 = [float(c.oth.estimate[0]) for c in ahead]
    sig = sum(float(c.diff.upper[0]) < 0 for c in ahead)
    sig_s = ("all significantly" if sig == len(ahead) else f"{sig} significantly") if len(ahead) > 1 else \
        ("significantly" if sig else "not significantly")
    if len(ahead) == len(comps):
        s = (f"At small k every model is ahead of {ref} ({sig_s}; pass@1 {min(p1):.3f}–{max(p1):.3f} vs "
             f"{r1:.3f}, highest: {best.other} {b1:.3f})")
    elif ahead:
        s = (f"At small k {len(ahead)} of {len(comps)} models are ahead of {ref} ({sig_s}; pass@1 up to "
             f"{b1:.3f}, {best.other}, vs {r1:.3f})")
    else:
        s = f"{ref} leads already at k = 1 (pass@1 {r1:.3f}; best other model: {best.other} {b1:.3f})"
    crossed = [c for c in ahead if c.crossover.k is not None]
    never = [c.other for c in ahead if c.crossover.k is None]
    if crossed:
        ks = [c.crossover.k for c in crossed if c.crossover.k is not None]
        who = "all of them" if len(crossed) == len(ahead) and len(ahead) > 1 else \
            crossed[0].other if len(crossed) == 1 else f"{len(crossed)} of them"
        s += f"; {ref} catches up with {who} at k* = {min(ks)}" + (f"–{max(ks)}" if max(ks) != min(ks) else "")
        if best in crossed:
            s += f" ({best.other}: {x.k}, {k_ci(best)})"
        if never:
            s += f" but not with {_join(never) if len(never) <= 2 else f'{len(never)} models'} within k ≤ {k_max}"
    elif never:
        s += f"; {ref} catches up with none of them within k ≤ {k_max}"
    mine = [covs[(ref, c.other)] for c in comps if (ref, c.other) in covs]
    if mine:
        exact = all(c.exact for c in mine)
        lo, hi = fmt_count(min(c.only_a for c in mine), exact), fmt_count(max(c.only_a for c in mine), exact)
        s += (f"; at k = {mine[0].k} {ref} alone solves {'an expected ' if not exact else ''}{lo}"
              + (f"–{hi}" if hi != lo else "") + " problems per model")
        cb = covs.get((ref, best.other))
        if cb is not None:
            s += (f" ({best.other}: {fmt_count(cb.only_a, cb.exact)}, against {fmt_count(cb.only_b, cb.exact)}; "
                  f"{'approximate ' if not cb.exact else ''}McNemar {fmt_p_eq(cb.p_value)})")
    return s + "."


def readings(analysis: Analysis) -> list[Reading]:
    """Readings of every benchmark of the analysis, in order."""
    out: list[Reading] = []
    for b in analysis.benchmarks:
        out += benchmark_readings(b)
    return out


def reading_lines(bench: BenchmarkAnalysis) -> list[str]:
    """One line per comparison of a benchmark (prefixed with the pair when there are several),
    then one line per analysis note: what ``boundary analyze`` prints."""
    rs = benchmark_readings(bench)
    lines = [f"{r.reference} vs {r.other}: {r.text}" if len(rs) > 1 and r.other else r.text for r in rs]
    lines += further_sentences(bench)
    lines += skipped_lines(bench)
    return lines + [f"note: {n}" for n in bench.notes]


def reading_text(analysis: Analysis) -> str:
    """All readings as plain text, one paragraph per comparison, notes after each benchmark."""
    lines = []
    for b in analysis.benchmarks:
        for r in benchmark_readings(b):
            lines.append(f"{r.title}\n{r.text}\n")
        further = further_sentences(b)
        if further:
            lines.append(f"{b.benchmark}: further analyses\n" + " ".join(further) + "\n")
        for sk in skipped_lines(b):
            lines.append(f"Skipped ({b.benchmark}): {sk}\n")
        for n in b.notes:
            lines.append(f"Note ({b.benchmark}): {n}\n")
    return "\n".join(lines)


# --------------------------------------------------------------------------- further analyses
def _fmt_tokens(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def extrapolation_sentences(bench: BenchmarkAnalysis) -> list[str]:
    """pass@k beyond n: the zero-inflated prediction per model, the extrapolated crossover, the check."""
    zi = [e for e in bench.extrapolations if e.fit.zero_inflated]
    if not zi:
        return []
    k_target = int(zi[0].ks[-1])
    k_max = int(next(iter(bench.curves.values())).ks[-1])
    lv = level_pct(zi[0].level)
    parts = []
    for e in zi:
        est, lo, hi = e.at(k_target)
        parts.append(f"{e.model} {est:.3f} ({lo:.3f}–{hi:.3f}; ceiling {e.fit.asymptote:.2f})")
    out = [f"Beyond the sampled n, the zero-inflated beta-binomial fit predicts pass@{k_target} "
           f"({lv} CI; ceiling = share of problems it finds solvable at all): {_join(parts)}."]
    walls = [e.model for e in zi if e.fit.zero_mass > 0.005]
    if walls:
        out.append(f"The fit puts a share of problems at p = 0 for {_join(walls)}: the plain beta-binomial, "
                   "which has no such mass, predicts these eventually solved and lies above (extrapolation "
                   "table).")
    # Extrapolated crossover for comparisons that do not cross within the sampled k.
    by_model = {e.model: e for e in zi}
    for comp in bench.comparisons:
        if comp.crossover.k is not None or comp.reference not in by_model or comp.other not in by_model:
            continue
        r, o = by_model[comp.reference], by_model[comp.other]
        beyond = r.ks > k_max
        d = r.estimate[beyond] - o.estimate[beyond]
        ks = r.ks[beyond]
        if d.size and np.any(d >= 0):
            out.append(f"Extrapolated, {comp.reference} would catch up with {comp.other} at k ≈ "
                       f"{int(ks[np.argmax(d >= 0)])} (no crossover within the sampled k ≤ {k_max}).")
        elif d.size:
            out.append(f"Extrapolated, {comp.reference} stays behind {comp.other} up to k = {k_target}.")
    checks = [c for c in bench.extrapolation_checks if c.zero_inflated]
    if checks:
        c0 = checks[0]
        inside = sum(c.inside for c in checks)
        worst = max(checks, key=lambda c: abs(c.error))
        out.append(f"Check: fitted on {c0.fit_samples} of the {c0.k} samples per problem, the zero-inflated fit "
                   f"predicted the measured pass@{c0.k} within its {lv} interval for {inside} of {len(checks)} "
                   f"model{'s' if len(checks) != 1 else ''} (largest error {worst.error:+.3f}, {worst.model}: "
                   f"predicted {worst.predicted:.3f}, measured {worst.measured:.3f}).")
    for m, law in bench.power_laws.items():
        out.append(f"Power law (Brown et al.) for {m}: pass@k ≈ exp({law.a:.3f}·k^{law.b:.3f}), "
                   f"pass@{k_target} ≈ {law.pass_at_k(k_target):.3f} (R² {law.r2:.3f} in log-log space).")
    return out


def support_sentence(s) -> str:
    direction = ("grew" if s.nscr > 0 else "shrank" if s.nscr < 0 else "kept its size") if s.nscr == s.nscr else \
        "is undefined (neither model solves anything)"
    sets = (f"{fmt_count(s.preserved, s.exact)} preserved, {fmt_count(s.shrunk, s.exact)} shrunk (only "
            f"{s.base}), {fmt_count(s.expanded, s.exact)} expanded (only {s.other}), "
            f"{fmt_count(s.out_of_support, s.exact)} outside both")
    def r(x):
        return "n/a" if x != x else f"{x:.2f}"
    return (f"Support dynamics {s.base} → {s.other} at k = {s.k}{'' if s.exact else ' (expected counts)'}: "
            f"{sets}; SRR {r(s.srr)}, NDR {r(s.ndr)}, SDS {r(s.sds)}, NSCR {r(s.nscr)}, so the support "
            f"{direction}. A problem unsolved in {s.k} samples has p ≤ ε = {s.epsilon:.3g} with "
            f"{1 - s.zeta:.0%} confidence.")


def budget_sentences(bench: BenchmarkAnalysis) -> list[str]:
    b = bench.budget
    if b is None:
        return []
    out = []
    lengths = ", ".join(f"{m} {_fmt_tokens(c.mean_tokens)}" for m, c in b.curves.items())
    out.append(f"Budget matching (mean completion tokens per sample: {lengths}):")
    for c in b.comparisons:
        if c.budget is None:
            out.append(f"{c.reference} and {c.other} share no budget range.")
            continue
        s = (f"{c.other} writes {c.length_ratio:.2f}× as many tokens per answer as {c.reference}; at "
             f"{_fmt_tokens(c.budget)} tokens per problem ({c.reference}: {c.reference_k:.0f} samples, "
             f"{c.other}: {c.other_k:.0f}) {c.reference} solves {c.reference_pass:.3f} and {c.other} "
             f"{c.other_pass:.3f}")
        if c.other_leads_at_start:
            s += (f"; {c.other} leads at small budgets and {c.reference} catches up at "
                  f"{_fmt_tokens(c.crossover_budget)} tokens." if c.crossover_budget is not None else
                  f"; {c.other} leads at every common budget.")
        else:
            s += "."
        out.append(s)
    out[0] = out[0] + " " + out.pop(1) if len(out) > 1 else out[0]
    return out


def answers_sentence(bench: BenchmarkAnalysis) -> str | None:
    if not bench.answers:
        return None
    parts = [f"{m} {d.mean_distinct:.1f} (entropy {d.mean_entropy:.2f} nats, one answer on "
             f"{d.single_answer_share:.0%} of problems)" for m, d in bench.answers.items()]
    s = "Answer diversity, mean distinct final answers per problem: " + _join(parts) + "."
    ref = bench.answers.get(bench.reference) if bench.reference else None
    if ref is not None:
        fewer = [m for m, d in bench.answers.items() if m != bench.reference and d.mean_entropy < ref.mean_entropy]
        more = [m for m, d in bench.answers.items() if m != bench.reference and d.mean_entropy > ref.mean_entropy]
        if fewer:
            s += f" {_join(fewer)} concentrate{'s' if len(fewer) == 1 else ''} on fewer answers than {bench.reference}."
        if more:
            s += f" {_join(more)} spread{'s' if len(more) == 1 else ''} over more answers than {bench.reference}."
    return s


def sweep_sentence(sw) -> str:
    a, z = sw.points[0], sw.points[-1]
    def trend(x0, x1):
        return "rises" if x1 > x0 + 1e-12 else "falls" if x1 < x0 - 1e-12 else "stays"
    s = (f"Checkpoints of {sw.series} (steps {a.step}–{z.step}): pass@1 {trend(a.pass_at_1, z.pass_at_1)} from "
         f"{a.pass_at_1:.3f} to {z.pass_at_1:.3f} while pass@{sw.k_max} {trend(a.pass_at_kmax, z.pass_at_kmax)} "
         f"from {a.pass_at_kmax:.3f} to {z.pass_at_kmax:.3f}")
    if sw.base is not None:
        s += f" ({sw.base}: pass@1 {sw.base_pass_at_1:.3f}, pass@{sw.k_max} {sw.base_pass_at_kmax:.3f})"
    return s + "."


def algorithms_sentence(rows) -> str | None:
    trained = [r for r in rows if not r.is_base and r.delta_se is not None]
    if len(trained) < 2:
        return None
    best = min(trained, key=lambda r: r.delta_se)
    worst = max(trained, key=lambda r: r.delta_se)
    base = next((r for r in rows if r.is_base), None)
    s = (f"Algorithm table: the smallest sampling-efficiency gap is {best.model}'s (ΔSE {best.delta_se:.3f}), "
         f"the largest {worst.model}'s ({worst.delta_se:.3f})")
    if base is not None:
        above = [r.model for r in trained if r.pass_at_kmax > base.pass_at_kmax]
        s += (f"; pass@{base.k_max} above {base.model}'s ({base.pass_at_kmax:.3f}): "
              f"{_join(above) if above else 'none of the trained models'}")
    return s + "."


def further_sentences(bench: BenchmarkAnalysis) -> list[str]:
    """Sentences that read the analyses beyond the paper's core, in report order."""
    out = extrapolation_sentences(bench)
    out += [support_sentence(s) for s in bench.support]
    out += budget_sentences(bench)
    a = answers_sentence(bench)
    if a:
        out.append(a)
    out += [sweep_sentence(sw) for sw in bench.sweeps]
    a = algorithms_sentence(bench.algorithms)
    if a:
        out.append(a)
    return out


def skipped_lines(bench: BenchmarkAnalysis) -> list[str]:
    """'budget matching skipped: the run has ...' for every analysis the data did not allow."""
    return [s.describe() for s in bench.skipped]


__all__ = ["benchmark_sentence",
           "further_sentences", "skipped_lines", "extrapolation_sentences", "support_sentence", "budget_sentences",
           "answers_sentence", "sweep_sentence", "algorithms_sentence",
           "Reading", "readings", "benchmark_readings", "comparison_reading", "reading_text", "reading_lines",
           "crossover_sentence", "coverage_sentence", "efficiency_sentence"]
