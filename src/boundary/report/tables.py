"""Tables of a report: built as lists of dict rows, rendered to CSV, Markdown and LaTeX (booktabs).

The summary tables (pass@k, comparisons, coverage, ΔSE, histograms, statuses) hold display-ready
cells ("0.423 [0.401, 0.447]"); the two long tables (``curves``, ``differences``) hold raw numbers
at every k for plotting elsewhere.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from boundary.analysis.analyze import Analysis, headline_ks
from boundary.analysis.histogram import BIN_LABELS
from boundary.report._common import fmt_count, fmt_k_interval, fmt_p, level_pct

Row = dict


@dataclass(frozen=True)
class Table:
    name: str
    """File stem, e.g. ``passk``."""
    title: str
    rows: list[Row]
    caption: str = ""
    long: bool = False
    """Long raw-number tables are written as CSV only and not shown in the HTML page."""
    display_rows: list[Row] | None = None
    """A more compact arrangement of the same numbers for the HTML page (None: ``rows``)."""

    @property
    def columns(self) -> list[str]:
        return columns(self.rows)


def _ci(est: float, lo: float, hi: float, digits: int = 3) -> str:
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _k_max(bench) -> int:
    return int(next(iter(bench.curves.values())).ks[-1]) if bench.curves else 0


# --------------------------------------------------------------------------- builders
def passk_rows(analysis: Analysis) -> list[Row]:
    """pass@k with CI at the headline ks (powers of two up to k_max), per benchmark × model."""
    all_ks: list[int] = []
    for b in analysis.benchmarks:
        for k in headline_ks(_k_max(b)) if b.curves else []:
            if k not in all_ks:
                all_ks.append(k)
    all_ks.sort()
    rows = []
    for b in analysis.benchmarks:
        for m in b.models:
            band = b.curves[m]
            row: Row = {"benchmark": b.benchmark, "model": m, "problems": b.problems.get(m, 0)}
            for k in all_ks:
                row[f"pass@{k}"] = _ci(*band.at(k)) if k <= len(band.ks) else ""
            rows.append(row)
    return rows


def comparison_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for c in b.comparisons:
            x = c.crossover
            rows.append({
                "benchmark": b.benchmark, "reference": c.reference, "other": c.other,
                "problems": c.problems,
                "crossover k*": "none" if x.k is None else x.k,
                f"k* {level_pct(x.level)} CI": fmt_k_interval(x.lower, x.upper, x.k_max),
                "k_max": x.k_max,
                "no-crossover share": f"{x.no_crossover_fraction:.3f}",
            })
    return rows


def coverage_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for cv in b.coverages:
            def cell(name, cv=cv):
                return f"{fmt_count(getattr(cv, name), cv.exact)} ({cv.percent(name):.1f}%)"
            rows.append({
                "benchmark": b.benchmark, "A": cv.model_a, "B": cv.model_b, "k": cv.k,
                "counts": "exact" if cv.exact else "expected",
                "both": cell("both"), "only A": cell("only_a"), "only B": cell("only_b"),
                "neither": cell("neither"), "problems": cv.total,
                "McNemar p": fmt_p(cv.p_value) + ("" if cv.exact else " (approx.)"),
            })
    return rows


def efficiency_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for g in b.efficiency:
            rows.append({
                "benchmark": b.benchmark, "base": g.base, "other": g.other, "k_max": g.k_max,
                "base pass@k_max": f"{g.base_pass_at_kmax:.3f}",
                "other pass@1": f"{g.other_pass_at_1:.3f}",
                "ΔSE": f"{g.gap:.3f}",
                f"{level_pct(g.level)} CI": f"[{g.lower:.3f}, {g.upper:.3f}]",
            })
    return rows


def histogram_rows(analysis: Analysis) -> list[Row]:
    """Problems per accuracy bin: rows benchmark × bin, one column per model."""
    models: list[str] = []
    for b in analysis.benchmarks:
        models += [m for m in b.histograms if m not in models]
    rows = []
    for b in analysis.benchmarks:
        if not b.histograms:
            continue
        for i, label in enumerate(BIN_LABELS):
            row: Row = {"benchmark": b.benchmark, "accuracy bin": label}
            for m in models:
                h = b.histograms.get(m)
                row[m] = "" if h is None else int(h[i])
            rows.append(row)
    return rows


def histogram_rows_wide(analysis: Analysis) -> list[Row]:
    """Problems per accuracy bin: rows benchmark × model, one column per bin (compact for HTML)."""
    rows = []
    for b in analysis.benchmarks:
        for m, h in b.histograms.items():
            row: Row = {"benchmark": b.benchmark, "model": m}
            row.update({label: int(x) for label, x in zip(BIN_LABELS, h)})
            rows.append(row)
    return rows


def status_rows(analysis: Analysis) -> list[Row]:
    return [dict(r) for r in analysis.statuses]


def curve_rows(analysis: Analysis) -> list[Row]:
    """Every k of every model's curve: benchmark, model, k, pass_at_k, lower, upper."""
    rows = []
    for b in analysis.benchmarks:
        for m in b.models:
            band = b.curves[m]
            for k, e, lo, hi in zip(band.ks, band.estimate, band.lower, band.upper):
                rows.append({"benchmark": b.benchmark, "model": m, "k": int(k), "pass_at_k": float(e),
                             "lower": float(lo), "upper": float(hi)})
    return rows


def difference_rows(analysis: Analysis) -> list[Row]:
    """Every k of every comparison: reference − other with its band."""
    rows = []
    for b in analysis.benchmarks:
        for c in b.comparisons:
            d = c.diff
            for k, e, lo, hi in zip(d.ks, d.estimate, d.lower, d.upper):
                rows.append({"benchmark": b.benchmark, "reference": c.reference, "other": c.other,
                             "k": int(k), "difference": float(e), "lower": float(lo), "upper": float(hi)})
    return rows


def _r(x, digits: int = 3) -> str:
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def extrapolation_rows(analysis: Analysis) -> list[Row]:
    """Fitted parameters and predictions beyond n, per benchmark × model × fit."""
    rows = []
    for b in analysis.benchmarks:
        if not b.extrapolations:
            continue
        k_max = _k_max(b)
        for e in b.extrapolations:
            k_t = int(e.ks[-1])
            rows.append({
                "benchmark": b.benchmark, "model": e.model, "fit": e.fit.name,
                "alpha": f"{e.fit.alpha:.4g}", "beta": f"{e.fit.beta:.4g}", "zero mass π0": f"{e.fit.zero_mass:.3f}",
                "ceiling": f"{e.fit.asymptote:.3f}", "measured pass@k_max": f"{b.curves[e.model].estimate[-1]:.3f}",
                "fitted pass@k_max": f"{e.at(k_max)[0]:.3f}" if k_max in e.ks else "",
                "k": k_t, "predicted pass@k": _ci(*e.at(k_t)), "AIC": f"{e.fit.aic:.1f}",
            })
    return rows


def extrapolation_check_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for c in b.extrapolation_checks:
            rows.append({
                "benchmark": b.benchmark, "model": c.model,
                "fit": "zero-inflated beta-binomial" if c.zero_inflated else "beta-binomial",
                "fit on samples": c.fit_samples, "k": c.k, "predicted": _ci(c.predicted, c.lower, c.upper),
                "measured": f"{c.measured:.3f}", "error": f"{c.error:+.3f}", "inside CI": c.inside,
            })
    return rows


def support_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for x in b.support:
            rows.append({
                "benchmark": b.benchmark, "base": x.base, "other": x.other, "k": x.k,
                "counts": "exact" if x.exact else "expected",
                "preserved": fmt_count(x.preserved, x.exact), "shrunk": fmt_count(x.shrunk, x.exact),
                "expanded": fmt_count(x.expanded, x.exact), "out of support": fmt_count(x.out_of_support, x.exact),
                "SRR": _r(x.srr), "NDR": _r(x.ndr), "SDS": _r(x.sds), "NSCR": _r(x.nscr),
                "ε (ζ)": f"{x.epsilon:.3g} ({x.zeta:g})",
            })
    return rows


def budget_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        if b.budget is None:
            continue
        for c in b.budget.comparisons:
            rows.append({
                "benchmark": b.benchmark, "reference": c.reference, "other": c.other,
                "length ratio": f"{c.length_ratio:.2f}",
                "tokens per problem": "" if c.budget is None else f"{c.budget:,.0f}",
                "reference k": "" if c.reference_k is None else f"{c.reference_k:.1f}",
                "other k": "" if c.other_k is None else f"{c.other_k:.1f}",
                "reference pass": _r(c.reference_pass), "other pass": _r(c.other_pass),
                "catch-up budget": "" if c.crossover_budget is None else f"{c.crossover_budget:,.0f}",
            })
    return rows


def budget_curve_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        if b.budget is None:
            continue
        for m, cv in b.budget.curves.items():
            for x, e, k in zip(cv.budgets, cv.estimate, cv.k):
                if np.isfinite(e):
                    rows.append({"benchmark": b.benchmark, "model": m, "tokens_per_problem": float(x),
                                 "k": float(k), "pass": float(e)})
    return rows


def answers_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for m, d in b.answers.items():
            rows.append({
                "benchmark": b.benchmark, "model": m, "problems": d.problems, "samples": int(d.samples.sum()),
                "mean distinct answers": f"{d.mean_distinct:.2f}", "median distinct": f"{d.median_distinct:g}",
                "mean entropy (nats)": f"{d.mean_entropy:.3f}", "one answer": f"{d.single_answer_share:.1%}",
                "no answer": f"{d.no_answer_rate:.1%}",
            })
    return rows


def algorithm_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for r in b.algorithms:
            rows.append({
                "benchmark": b.benchmark, "model": r.model + (" (base)" if r.is_base else ""),
                "step": "" if r.step is None else r.step, "pass@1": _ci(r.pass_at_1, *r.pass_at_1_ci),
                f"pass@{r.k_max}": _ci(r.pass_at_kmax, *r.pass_at_kmax_ci),
                "ΔSE": "—" if r.delta_se is None or r.delta_se_ci is None else _ci(r.delta_se, *r.delta_se_ci),
            })
    return rows


def sweep_rows(analysis: Analysis) -> list[Row]:
    rows = []
    for b in analysis.benchmarks:
        for sw in b.sweeps:
            for p in sw.points:
                rows.append({"benchmark": b.benchmark, "run": sw.series, "step": p.step, "model": p.model,
                             "pass@1": _ci(p.pass_at_1, *p.pass_at_1_ci),
                             "pass@k_max": _ci(p.pass_at_kmax, *p.pass_at_kmax_ci), "k_max": sw.k_max})
    return rows


def further_tables(analysis: Analysis) -> list[Table]:
    """Tables of the further analyses; only those with rows (what was skipped is said elsewhere)."""
    lv = level_pct(analysis.config.level)
    cands = [
        Table("extrapolation", "pass@k beyond the sampled n", extrapolation_rows(analysis),
              "Maximum-likelihood beta-binomial fits of the per-problem success probabilities; predicted "
              f"pass@k = (1 − π0)(1 − B(α, β + k)/B(α, β)) with a {lv} bootstrap interval over problems; "
              "ceiling = 1 − π0."),
        Table("extrapolation_check", "Check of the extrapolation", extrapolation_check_rows(analysis),
              "Fit on a random subset of each problem's samples (hypergeometric counts), prediction of pass@n, "
              "and the pass@n measured on all samples."),
        Table("support", "Support dynamics", support_rows(analysis),
              "Wu et al. (2025): preserved (both solve), shrunk (only the base), expanded (only the other), out "
              "of support; SRR = P/(P+S), NDR = E/(P+E), SDS = harmonic mean, NSCR = (E−S)/(P+E+S); "
              "ε = −ln ζ / k bounds the success probability of an unsolved problem."),
        Table("budget", "Budget matching", budget_rows(analysis),
              "Models at equal generated tokens per problem: the largest budget both reach, the samples it buys "
              "each model and their pass; catch-up budget: where the reference reaches the other model."),
        Table("budget_curves", "Budget-matched pass at every budget", budget_curve_rows(analysis), long=True),
        Table("answers", "Answer diversity", answers_rows(analysis),
              "Distinct final answers per problem and answer-level entropy (nats); correct samples form one "
              "answer, samples without an answer another."),
        Table("algorithms", "Trained models against the base", algorithm_rows(analysis),
              f"pass@1, pass@k_max and ΔSE = pass@k_max(base) − pass@1(model) with {lv} bootstrap intervals; "
              "lower ΔSE is better (Yue et al. 2025, §4.3)."),
        Table("sweep", "Checkpoint sweep", sweep_rows(analysis),
              f"pass@1 and pass@k_max of each training run's checkpoints, by step, with {lv} intervals."),
    ]
    return [t for t in cands if t.rows]


def build_tables(analysis: Analysis) -> list[Table]:
    """Every table of the report, in the order the report shows them."""
    lv = level_pct(analysis.config.level)
    tables = [
        Table("passk", "pass@k at the headline k", passk_rows(analysis),
              f"Mean pass@k over problems (unbiased estimator) with {lv} percentile-bootstrap intervals."),
        Table("comparisons", "Crossover of the pass@k curves", comparison_rows(analysis),
              "k* is the smallest k at which the reference's pass@k is at least the other model's; "
              f"{lv} CI from the paired bootstrap (\">k_max\": no crossover within the sampled k)."),
        Table("coverage", "Solvable-problem coverage", coverage_rows(analysis),
              "Problems solved (≥ 1 correct) within k samples by both, only A (the reference), only B, "
              "or neither; exact McNemar test on the discordant problems. \"expected\": k < n, so the "
              "cells are expectations over k-subsets and the test is approximate."),
        Table("efficiency", "Sampling-efficiency gap ΔSE", efficiency_rows(analysis),
              f"ΔSE = pass@k_max(base) − pass@1(other); lower is better for the other model. {lv} "
              "paired-bootstrap interval."),
        Table("histograms", "Per-problem accuracy histogram", histogram_rows(analysis),
              "Number of problems in each accuracy bin (c/n).",
              display_rows=histogram_rows_wide(analysis)),
    ]
    tables += [t for t in further_tables(analysis) if not t.long]
    if analysis.statuses:
        tables.append(Table("statuses", "Sample verdict statuses", status_rows(analysis),
                            "Samples per model, benchmark and verifier status."))
    tables += [
        Table("curves", "pass@k at every k", curve_rows(analysis), long=True),
        Table("differences", "Difference curves at every k", difference_rows(analysis), long=True),
    ]
    tables += [t for t in further_tables(analysis) if t.long]
    return tables


# --------------------------------------------------------------------------- renderers
def columns(rows: list[Row]) -> list[str]:
    """Union of the rows' keys, in first-seen order."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    cols = columns(rows)
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else (repr(float(r[c])) if isinstance(r.get(c), (float, np.floating))
                                                    else r[c])) for c in cols})
    return out.getvalue()


def _md_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[Row]) -> str:
    cols = columns(rows)
    if not cols:
        return "_(empty)_\n"
    numeric = [all(isinstance(r.get(c), (int, float, np.integer, np.floating)) and not isinstance(r.get(c), bool)
                   for r in rows if r.get(c) not in (None, "")) for c in cols]
    lines = ["| " + " | ".join(_md_escape(c) for c in cols) + " |",
             "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_md_escape(_cell(r.get(c))) for c in cols) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "Δ": r"$\Delta$", "τ": r"$\tau$", "≤": r"$\leq$",
    "≥": r"$\geq$", "–": "--", "—": "---", "−": "$-$", "≈": r"$\approx$", "×": r"$\times$",
    "…": r"\ldots{}", "π": r"$\pi$", "ε": r"$\varepsilon$", "ζ": r"$\zeta$", "α": r"$\alpha$",
    "β": r"$\beta$", "→": r"$\to$",
}


_LATEX_SPECIAL.update({
    "·": r"$\cdot$", "±": r"$\pm$", "∞": r"$\infty$", "σ": r"$\sigma$", "μ": r"$\mu$", "γ": r"$\gamma$",
    "Σ": r"$\Sigma$", "√": r"$\surd$", "←": r"$\leftarrow$", "↑": r"$\uparrow$", "↓": r"$\downarrow$",
    "°": r"\ensuremath{^\circ}", "▲": r"$\blacktriangle$", "▼": r"$\blacktriangledown$", "◇": r"$\diamond$",
    "₀": r"$_0$", "₁": r"$_1$", "₂": r"$_2$", "³": r"$^3$", "²": r"$^2$", "¹": r"$^1$", "\u00a0": "~",
    "“": "``", "”": "''", "‘": "`", "’": "'", "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}",
})
_LATIN1 = frozenset(chr(c) for c in range(0xC0, 0x100)) - set("ÐðÞþ×÷")
"""Accented letters that LaTeX's default utf8 input and OT1 fonts typeset (ä, é, ñ, ß, ...)."""


def latex_escape(s: str) -> str:
    """``s`` as LaTeX text that pdflatex compiles without extra packages: the ten special characters
    escaped, the report's Greek letters and symbols in math mode, accented Latin-1 letters kept (LaTeX's
    default utf8 input), any other character replaced by ``?`` (pdflatex would stop on it)."""
    return "".join(_LATEX_SPECIAL.get(ch) or (ch if ord(ch) < 0x80 or ch in _LATIN1 else "?") for ch in s)


LATEX_PREAMBLE = "% requires \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)\n"
"""The first line of every ``.tex`` table: the one package it needs."""


def to_latex(rows: list[Row], *, caption: str = "", label: str = "") -> str:
    """A booktabs table (needs ``\\usepackage{booktabs}``; its first line says so)."""
    cols = columns(rows)
    if not cols:
        return "% (empty table: nothing to show)\n"
    numeric = [all(isinstance(r.get(c), (int, float, np.integer, np.floating)) and not isinstance(r.get(c), bool)
                   for r in rows if r.get(c) not in (None, "")) for c in cols]
    spec = "".join("r" if num else "l" for num in numeric)
    out = [LATEX_PREAMBLE.rstrip("\n"), r"\begin{table}[t]", r"\centering", r"\small"]
    if caption:
        out.append(r"\caption{" + latex_escape(caption) + "}")
    if label:
        out.append(r"\label{" + "".join(ch for ch in label if ch.isascii() and ch not in "\\{}%#&$^~ ") + "}")
    out += [r"\begin{tabular}{" + spec + "}", r"\toprule",
            " & ".join(latex_escape(c) for c in cols) + r" \\", r"\midrule"]
    prev_bench = None
    for r in rows:
        bench = r.get("benchmark")
        if prev_bench is not None and bench != prev_bench:
            out.append(r"\midrule")
        prev_bench = bench
        out.append(" & ".join(latex_escape(_cell(r.get(c))) for c in cols) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(out) + "\n"


def write_tables(analysis: Analysis, out_dir: str | Path, tables: list[Table] | None = None) -> list[Path]:
    """Write every table as CSV, Markdown and LaTeX (long tables: CSV only). Returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in tables if tables is not None else build_tables(analysis):
        p = out_dir / f"{t.name}.csv"
        p.write_text(to_csv(t.rows), encoding="utf-8")
        paths.append(p)
        if t.long:
            continue
        p = out_dir / f"{t.name}.md"
        p.write_text(f"**{t.title}.** {t.caption}\n\n" + to_markdown(t.rows), encoding="utf-8")
        paths.append(p)
        p = out_dir / f"{t.name}.tex"
        p.write_text(to_latex(t.rows, caption=f"{t.title}. {t.caption}", label=f"tab:{t.name}"),
                     encoding="utf-8")
        paths.append(p)
    return paths


__all__ = ["Table", "build_tables", "write_tables", "passk_rows", "comparison_rows", "coverage_rows",
           "efficiency_rows", "extrapolation_rows", "extrapolation_check_rows", "support_rows", "budget_rows",
           "budget_curve_rows", "answers_rows", "algorithm_rows", "sweep_rows", "further_tables", "histogram_rows",
           "histogram_rows_wide", "status_rows", "curve_rows", "difference_rows",
           "to_csv", "to_markdown", "to_latex", "latex_escape", "LATEX_PREAMBLE", "columns"]
