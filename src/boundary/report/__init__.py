"""The report stage (``boundary report RUN``): figures, tables, a JSON summary and one HTML page.

    from boundary.analysis import analyze
    from boundary.report import write_report
    paths = write_report(analyze("runs/qwen"), "runs/qwen/report")
    print(paths.index_html)

Layout of ``out_dir``::

    index.html          self-contained page (figures embedded; links to the files below)
    summary.json        the numbers of the analysis (see ``summary_dict``)
    figures/*.png|svg   one pair per figure (``figures.figure_stems`` gives the names)
    tables/*.csv|md|tex summary tables; curves.csv and differences.csv hold every k
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from boundary.analysis.analyze import TAUS, Analysis, headline_ks
from boundary.analysis.histogram import BIN_LABELS
from boundary.report.figures import FigureFile, render_figures
from boundary.report.html import render_html, write_html
from boundary.report.reading import Reading, reading_text, readings
from boundary.report.tables import Table, build_tables, write_tables


@dataclass(frozen=True)
class ReportPaths:
    root: Path
    index_html: Path
    figures_dir: Path
    tables_dir: Path
    summary_json: Path
    figures: tuple[Path, ...]
    """Every figure file written (PNG and SVG)."""
    tables: tuple[Path, ...]
    """Every table file written (CSV, Markdown, LaTeX)."""
    samples_html: Path | None = None
    """The sample browser (``samples.html``), or None (``validity_notes`` says why)."""
    validity_notes: tuple[str, ...] = ()
    """What the answer-validity section skipped and why (no texts, no judgments, ...)."""


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
            "zero_mass": _f(e.fit.zero_mass), "ceiling": _f(e.fit.asymptote), "log_likelihood": _f(e.fit.log_likelihood),
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
    """JSON-serialisable summary of an analysis: the numbers ``summary.json`` holds."""
    cfg = {k: (v if not isinstance(v, (np.generic,)) else v.item()) for k, v in asdict(analysis.config).items()}
    out: dict = {
        "run": analysis.run,
        "reference": analysis.reference,
        "config": cfg,
        "benchmarks": [],
        "statuses": [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                     for r in analysis.statuses],
    }
    texts = {(r.benchmark, r.other): r.text for r in readings(analysis)}
    for b in analysis.benchmarks:
        k_max = int(next(iter(b.curves.values())).ks[-1]) if b.curves else None
        ks = headline_ks(k_max) if k_max else []
        bench = {
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
    return out


def write_report(analysis: Analysis, out_dir: str | Path, *, browser=True) -> ReportPaths:
    """Write figures, tables, ``summary.json`` and ``index.html`` of ``analysis`` into ``out_dir``.

    ``browser``: write the sample browser ``samples.html`` and the answer-validity section
    (True, a ``browser.BrowserConfig``, or False to skip both).
    """
    root = Path(out_dir)
    figures_dir, tables_dir = root / "figures", root / "tables"
    for d in (root, figures_dir, tables_dir):
        d.mkdir(parents=True, exist_ok=True)
    figs = render_figures(analysis, figures_dir)
    tables = build_tables(analysis)
    table_paths = write_tables(analysis, tables_dir, tables)
    summary = root / "summary.json"
    summary.write_text(json.dumps(summary_dict(analysis), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                       encoding="utf-8")
    extras, samples_html, notes = [], None, ()
    if browser is not False:
        from boundary.report.browser import validity_section
        section, samples_html, notes = validity_section(analysis, root, None if browser is True else browser)
        extras.append(section)
    from boundary.report.perplexity import perplexity_section     # perplexity, token entropy (or why skipped)
    extras.append(perplexity_section(analysis, root)[0])
    index = write_html(analysis, figs, tables, root, extras=extras)
    files = tuple(p for f in figs for p in (f.png, f.svg))
    return ReportPaths(root=root, index_html=index, figures_dir=figures_dir, tables_dir=tables_dir,
                       summary_json=summary, figures=files, tables=tuple(table_paths),
                       samples_html=samples_html, validity_notes=tuple(notes))


__all__ = ["ReportPaths", "write_report", "summary_dict", "render_figures", "build_tables", "write_tables",
           "render_html", "readings", "reading_text", "Reading", "FigureFile", "Table"]
