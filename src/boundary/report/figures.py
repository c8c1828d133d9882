"""Static figures of a report (PNG and SVG), one function per kind of figure.

Uses matplotlib's object API with the Agg canvas (``matplotlib.figure.Figure``), never ``pyplot``:
no global figure registry, nothing to leak between figures or into a user's notebook. Styling is
applied with ``rc_context`` only while a figure is drawn and saved.

Figures per benchmark:

* ``{bench}_passk``: pass@k of every model on a log2 k axis with the bootstrap band, and the chance
  floor when the answer-space size is known;
* ``{bench}_diff_{ref}_vs_{other}``: reference − other with its band, and the crossover k*;
* ``{bench}_histogram``: per-problem accuracy histograms (the paper's Fig. 5);
* ``{bench}_coverage_{ref}_vs_{other}``: both / only A / only B / neither with McNemar's p;
* ``{bench}_cover``: Cover@τ curves;
* ``{bench}_extrapolation``: measured pass@k and the beta-binomial predictions beyond n;
* ``{bench}_budget``: pass against generated tokens per problem (budget matching);
* ``{bench}_answers``: per-problem answer entropy of each model;
* ``{bench}_sweep_{series}``: pass@1 and pass@k_max against training step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

from boundary.analysis.analyze import TAUS, Analysis, BenchmarkAnalysis
from boundary.analysis.histogram import BIN_LABELS
if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from boundary.report._common import (fmt_count, fmt_k_interval, fmt_p_eq, level_pct, model_colors,
                                     slug)

DPI = 150

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.grid": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "grid.linestyle": "-",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "path",          # exact glyphs in any viewer, no font needed
    "svg.hashsalt": "boundary",      # stable element ids -> reproducible SVG files
    "lines.linewidth": 1.8,
}

NEUTRAL = "#6b6b6b"
LIGHT = "#c7c7c7"


@dataclass(frozen=True)
class FigureFile:
    """One saved figure (the same drawing as PNG and SVG)."""

    benchmark: str
    kind: str
    """passk | diff | histogram | coverage | cover | extrapolation | budget | answers | sweep"""
    title: str
    caption: str
    png: Path
    svg: Path
    pair: tuple[str, str] | None = None
    """(reference, other) for the per-comparison figures (diff, coverage)."""

    @property
    def stem(self) -> str:
        return self.png.stem


# --------------------------------------------------------------------------- helpers
def _new_figure(width: float = 6.2, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out_dir: Path, stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    # the tight box once for both files (bbox_inches="tight" would lay the figure out twice per file)
    fig.canvas.draw()
    # every figure here is drawn on an Agg canvas (FigureCanvasAgg(fig) when it is made)
    box = fig.get_tightbbox(cast(FigureCanvasAgg, fig.canvas).get_renderer()).padded(0.08)
    fig.savefig(png, dpi=DPI, bbox_inches=box, metadata={"Software": None})
    fig.savefig(svg, bbox_inches=box, metadata={"Date": None, "Creator": None})
    fig.clear()
    return png, svg


def _log2_k_axis(ax, k_max: int) -> None:
    ax.set_xscale("log", base=2)
    ticks = [1 << i for i in range(int(np.log2(max(k_max, 1))) + 1)]
    if ticks[-1] != k_max:
        ticks.append(k_max)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))
    ax.xaxis.set_minor_locator(NullLocator())
    if k_max == 1:
        ax.set_xlim(0.8, 1.25)
    else:
        ax.set_xlim(1 / 1.12, k_max * 1.12)
    ax.set_xlabel("k (samples per problem)")


def _suptitle(ax, title: str, subtitle: str | None = None) -> None:
    ax.set_title(title, pad=18 if subtitle else 8)
    if subtitle:
        ax.text(0.0, 1.015, subtitle, transform=ax.transAxes, fontsize=8.5, color="#555555",
                va="bottom", ha="left")


def _short(name: str, limit: int = 32) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# --------------------------------------------------------------------------- figures
def passk_figure(bench: BenchmarkAnalysis, colors: dict[str, str], level: float,
                 answer_space: int | None = None) -> Figure:
    fig = _new_figure()
    ax = fig.add_subplot()
    k_max = 1
    for m in bench.models:
        band = bench.curves[m]
        ks = band.ks
        k_max = max(k_max, int(ks[-1]))
        c = colors.get(m, NEUTRAL)
        ax.fill_between(ks, band.lower, band.upper, color=c, alpha=0.18, linewidth=0)
        lw = 2.2 if m == bench.reference else 1.8
        ax.plot(ks, band.estimate, color=c, lw=lw, label=f"{_short(m)}  (P={bench.problems[m]})")
        pow2 = ks[(ks & (ks - 1)) == 0]
        ax.plot(pow2, band.estimate[pow2 - 1], "o", color=c, ms=3.6, zorder=3)
        if len(ks) == 1:
            ax.errorbar(ks, band.estimate, yerr=[band.estimate - band.lower, band.upper - band.estimate],
                        color=c, capsize=4, lw=1.2, fmt="none")
    if bench.chance is not None:
        ks = np.arange(1, len(bench.chance) + 1)
        # without an answer-space size the floor comes from each problem's own guess probability
        label = f"chance floor (m={answer_space})" if answer_space is not None else "chance floor (blind guessing)"
        ax.plot(ks, bench.chance, "--", color="#8c8c8c", lw=1.3, label=label,
                marker="D" if len(ks) == 1 else None, ms=4)
    _log2_k_axis(ax, k_max)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}"))
    ax.set_ylabel("pass@k")
    _suptitle(ax, f"{bench.benchmark}: pass@k",
              f"unbiased estimator; shaded: {level_pct(level)} bootstrap band over problems")
    ax.legend(loc="best")
    return fig


def diff_figure(bench: BenchmarkAnalysis, comparison, colors: dict[str, str]) -> Figure:
    fig = _new_figure()
    ax = fig.add_subplot()
    d = comparison.diff
    ks = d.ks
    k_max = int(ks[-1])
    ref, oth = comparison.reference, comparison.other
    ax.axhline(0, color="#222222", lw=0.9, zorder=1)
    ax.fill_between(ks, d.lower, d.upper, color="#555555", alpha=0.18, linewidth=0,
                    label=f"{level_pct(d.level)} bootstrap band")
    ax.plot(ks, d.estimate, color="#222222", lw=2.0, label=f"{_short(ref, 24)} − {_short(oth, 24)}",
            marker="o" if len(ks) <= 4 else None, ms=4)
    if len(ks) == 1:  # a band of one point is invisible: draw it as an error bar
        ax.errorbar(ks, d.estimate, yerr=[d.estimate - d.lower, d.upper - d.estimate], color="#555555",
                    capsize=4, lw=1.2, fmt="none")
    # Shade where each model is ahead, in that model's colour, for a quick reading.
    ax.fill_between(ks, 0, d.estimate, where=d.estimate >= 0, color=colors.get(ref, NEUTRAL),
                    alpha=0.12, linewidth=0, interpolate=True)
    ax.fill_between(ks, 0, d.estimate, where=d.estimate < 0, color=colors.get(oth, NEUTRAL),
                    alpha=0.12, linewidth=0, interpolate=True)
    x = comparison.crossover
    if x.k is not None:
        lo = x.lower if x.lower is not None else x.k
        hi = x.upper if x.upper is not None else k_max
        if hi > lo:
            ax.axvspan(lo, hi, color="#E69F00", alpha=0.16, linewidth=0,
                       label=f"k* {level_pct(x.level)} CI {fmt_k_interval(x.lower, x.upper, k_max)}")
        ax.axvline(x.k, color="#B36B00", lw=1.4, ls="--", label=f"crossover k* = {x.k}")
    else:
        ax.text(0.98, 0.04, f"no crossover within k ≤ {k_max}\n"
                f"({x.no_crossover_fraction:.0%} of replicates never cross)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=9, color="#333333",
                bbox=dict(boxstyle="round,pad=0.35", fc="white", ec="#bbbbbb", lw=0.7))
    _log2_k_axis(ax, k_max)
    lim = max(float(np.max(np.abs(np.r_[d.lower, d.upper]))), 0.02) * 1.15
    ax.set_ylim(-lim, lim)
    ax.set_ylabel("Δ pass@k")
    box = dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85)
    ax.text(0.012, 0.985, f"▲ {_short(ref)} ahead", transform=ax.transAxes, fontsize=8.5, zorder=5,
            color=colors.get(ref, NEUTRAL), va="top", ha="left", fontweight="bold", bbox=box)
    ax.text(0.012, 0.015, f"▼ {_short(oth)} ahead", transform=ax.transAxes, fontsize=8.5, zorder=5,
            color=colors.get(oth, NEUTRAL), va="bottom", ha="left", fontweight="bold", bbox=box)
    _suptitle(ax, f"{bench.benchmark}: {_short(ref, 28)} − {_short(oth, 28)}",
              f"paired bootstrap over {comparison.problems} common problems")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=8.5)
    return fig


def histogram_figure(bench: BenchmarkAnalysis, colors: dict[str, str]) -> Figure:
    models = [m for m in bench.models if m in bench.histograms]
    fig = _new_figure(6.8, 4.0)
    ax = fig.add_subplot()
    nb = len(BIN_LABELS)
    x = np.arange(nb)
    width = 0.8 / max(len(models), 1)
    for i, m in enumerate(models):
        h = np.asarray(bench.histograms[m])
        ax.bar(x + (i - (len(models) - 1) / 2) * width, h, width=width * 0.95,
               color=colors.get(m, NEUTRAL), label=f"{_short(m)}  (P={int(h.sum())})", zorder=2)
    ax.set_xticks(x)
    ax.set_xticklabels(BIN_LABELS, rotation=35, ha="right", fontsize=8.5)
    ax.grid(axis="x", visible=False)
    ax.set_xlim(-0.6, nb - 0.4)
    ax.set_xlabel("per-problem accuracy c/n")
    ax.set_ylabel("problems")
    top = max((float(np.max(bench.histograms[m])) for m in models), default=1.0)
    ax.set_ylim(0, max(top, 1) * 1.08)
    totals = {int(np.sum(bench.histograms[m])) for m in models}
    if len(totals) == 1 and totals != {0}:
        total = totals.pop()
        right = ax.twinx()
        right.spines["right"].set_visible(True)
        right.spines["top"].set_visible(False)
        right.grid(False)
        lo, hi = ax.get_ylim()
        right.set_ylim(100 * lo / total, 100 * hi / total)
        right.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        right.set_ylabel("% of problems")
        sub = f"{total} problems per model; left: count, right: share"
    else:
        sub = "models have different problem counts: counts only"
    _suptitle(ax, f"{bench.benchmark}: accuracy distribution", sub)
    ax.legend(loc="upper center")
    return fig


def coverage_figure(bench: BenchmarkAnalysis, cov, colors: dict[str, str]) -> Figure:
    fig = _new_figure(5.4, 3.2)
    ax = fig.add_subplot()
    a, b = cov.model_a, cov.model_b
    cells = [("both", "both", "#8a8a8a"), ("only_a", f"only {_short(a, 26)}", colors.get(a, NEUTRAL)),
             ("only_b", f"only {_short(b, 26)}", colors.get(b, NEUTRAL)), ("neither", "neither", LIGHT)]
    values = [float(getattr(cov, c)) for c, _, _ in cells]
    y = np.arange(len(cells))[::-1]
    ax.barh(y, values, color=[c for _, _, c in cells], height=0.62, zorder=2)
    ax.set_yticks(y)
    ax.set_yticklabels([lab for _, lab, _ in cells])
    ax.grid(axis="y", visible=False)
    vmax = max(max(values), 1.0)
    for yi, v, (c, _, _) in zip(y, values, cells):
        ax.text(v + vmax * 0.015, yi, f"{fmt_count(v, cov.exact)}  ({cov.percent(c):.1f}%)",
                va="center", ha="left", fontsize=9)
    ax.set_xlim(0, vmax * 1.28)
    ax.set_xlabel("problems" if cov.exact else "expected problems")
    solved = f"solved within k={cov.k}" + ("" if cov.exact else " (expected, k < n)")
    p = fmt_p_eq(cov.p_value) + ("" if cov.exact else ", approx.")
    _suptitle(ax, f"{bench.benchmark}: coverage — McNemar {p}",
              f"{solved}; {cov.total} common problems")
    return fig


def cover_figure(bench: BenchmarkAnalysis, colors: dict[str, str]) -> Figure:
    fig = _new_figure()
    ax = fig.add_subplot()
    for m in bench.models:
        if m not in bench.cover:
            continue
        ax.plot(TAUS, bench.cover[m], "-o", ms=3.2, color=colors.get(m, NEUTRAL),
                lw=2.2 if m == bench.reference else 1.8, label=_short(m))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("accuracy threshold τ")
    ax.set_ylabel("Cover@τ")
    _suptitle(ax, f"{bench.benchmark}: Cover@τ",
              "share of problems with accuracy c/n ≥ τ; area under a curve = mean accuracy")
    ax.legend(loc="upper right")
    return fig


def extrapolation_figure(bench: BenchmarkAnalysis, colors: dict[str, str]) -> Figure:
    from matplotlib.lines import Line2D
    fig = _new_figure(6.2, 4.4)
    ax = fig.add_subplot()
    zi = [e for e in bench.extrapolations if e.fit.zero_inflated]
    plain = {e.model: e for e in bench.extrapolations if not e.fit.zero_inflated}
    k_target = int(max(e.ks[-1] for e in bench.extrapolations))
    k_max = int(next(iter(bench.curves.values())).ks[-1])
    handles = []
    for e in zi:
        c = colors.get(e.model, NEUTRAL)
        band = bench.curves[e.model]
        handles.append(ax.plot(band.ks, band.estimate, color=c, lw=2.0, label=_short(e.model, 24))[0])
        ax.fill_between(e.ks, e.lower, e.upper, color=c, alpha=0.12, linewidth=0)
        ax.plot(e.ks, e.estimate, "--", color=c, lw=1.6)
        if e.model in plain:
            ax.plot(plain[e.model].ks, plain[e.model].estimate, ":", color=c, lw=1.3)
    checks = [c for c in bench.extrapolation_checks if c.zero_inflated]
    for chk in checks:
        c = colors.get(chk.model, NEUTRAL)
        ax.errorbar([chk.k * 1.08], [chk.predicted], yerr=[[chk.predicted - chk.lower], [chk.upper - chk.predicted]],
                    fmt="s", ms=4, color=c, mfc="white", capsize=3, lw=1.0, zorder=4)
    for m, law in bench.power_laws.items():
        ks = np.unique(np.geomspace(1, k_target, 60).round())
        ax.plot(ks, law.pass_at_k(ks), "-.", color=colors.get(m, NEUTRAL), lw=1.0, alpha=0.8)
    ax.axvline(k_max, color="#888888", lw=1.0, zorder=1)
    ax.text(k_max, 1.0, f"sampled n = {k_max} ", fontsize=8, color="#555555", ha="right", va="top")
    _log2_k_axis(ax, k_target)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("pass@k")
    styles = [Line2D([], [], color="#333333", lw=2.0, label="measured"),
              Line2D([], [], color="#333333", lw=1.6, ls="--", label="zero-inflated fit"),
              Line2D([], [], color="#333333", lw=1.3, ls=":", label="beta-binomial fit")]
    if checks:
        styles.append(Line2D([], [], color="#333333", marker="s", mfc="white", ls="none",
                             label="pass@n predicted from fewer samples"))
    if bench.power_laws:
        styles.append(Line2D([], [], color="#333333", lw=1.0, ls="-.", label="power law"))
    ax.legend(handles=handles + styles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
    _suptitle(ax, f"{bench.benchmark}: pass@k beyond the sampled n",
              f"maximum-likelihood fits of per-problem success rates; bands: {level_pct(zi[0].level)} bootstrap CI")
    return fig


def budget_figure(bench: BenchmarkAnalysis, colors: dict[str, str]) -> Figure:
    fig = _new_figure()
    ax = fig.add_subplot()
    b = bench.budget
    assert b is not None  # drawn only for a benchmark with a budget analysis
    for m, cv in b.curves.items():
        ok = np.isfinite(cv.estimate)
        ax.plot(cv.budgets[ok], cv.estimate[ok], color=colors.get(m, NEUTRAL),
                lw=2.2 if m == bench.reference else 1.8, label=f"{_short(m)}  ({cv.mean_tokens:,.0f} tokens/answer)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("generated tokens per problem")
    ax.set_ylabel("pass at equal cost")
    for c in b.comparisons:
        if c.crossover_budget is not None:
            ax.axvline(c.crossover_budget, color="#B36B00", lw=1.2, ls="--")
    _suptitle(ax, f"{bench.benchmark}: budget-matched pass@k",
              "k = budget / mean answer length" + (" of each problem" if b.per_problem else "")
              + "; dashed: where the reference catches up")
    ax.legend(loc="lower right")
    return fig


def answers_figure(bench: BenchmarkAnalysis, colors: dict[str, str]) -> Figure:
    models = [m for m in bench.models if m in bench.answers]
    fig = _new_figure(max(4.2, 1.3 * len(models) + 2.4), 3.8)
    ax = fig.add_subplot()
    data = [bench.answers[m].entropy for m in models]
    bp = ax.boxplot(data, patch_artist=True, widths=0.55, showmeans=True,
                    meanprops=dict(marker="D", markerfacecolor="white", markeredgecolor="#222222", markersize=5),
                    medianprops=dict(color="#222222", lw=1.2))
    for patch, m in zip(bp["boxes"], models):
        patch.set_facecolor(colors.get(m, NEUTRAL))
        patch.set_alpha(0.55)
    ax.set_xticks(np.arange(1, len(models) + 1))
    ax.set_xticklabels([f"{_short(m, 20)}\n{bench.answers[m].mean_distinct:.1f} answers" for m in models], fontsize=8.5)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("answer entropy per problem (nats)")
    ax.set_ylim(bottom=-0.05)
    _suptitle(ax, f"{bench.benchmark}: answer diversity",
              "entropy of each problem's final-answer distribution; ◇ mean; below: mean distinct answers")
    return fig


def sweep_figure(bench: BenchmarkAnalysis, sweep, colors: dict[str, str]) -> Figure:
    fig = _new_figure()
    ax = fig.add_subplot()
    steps = np.array(sweep.steps, dtype=float)
    for attr, ci, marker, label, color in (
            ("pass_at_1", "pass_at_1_ci", "o", "pass@1", "#0072B2"),
            ("pass_at_kmax", "pass_at_kmax_ci", "s", f"pass@{sweep.k_max}", "#D55E00")):
        y = np.array([getattr(p, attr) for p in sweep.points])
        lo = np.array([getattr(p, ci)[0] for p in sweep.points])
        hi = np.array([getattr(p, ci)[1] for p in sweep.points])
        ax.errorbar(steps, y, yerr=[y - lo, hi - y], marker=marker, color=color, capsize=3, lw=1.8, ms=5,
                    label=f"{sweep.series} {label}")
    if sweep.base is not None:
        ax.axhline(sweep.base_pass_at_1, color="#0072B2", ls=":", lw=1.2, label=f"{_short(sweep.base, 20)} pass@1")
        ax.axhline(sweep.base_pass_at_kmax, color="#D55E00", ls=":", lw=1.2,
                   label=f"{_short(sweep.base, 20)} pass@{sweep.k_max}")
    ax.set_xlabel("training step")
    ax.set_ylabel("pass@k")
    ax.set_ylim(-0.02, 1.02)
    _suptitle(ax, f"{bench.benchmark}: {_short(sweep.series, 30)} over training",
              "error bars: bootstrap CI over problems; dotted: the reference model")
    ax.legend(loc="best", fontsize=8)
    return fig


def _crossover_caption(x) -> str:
    if x.k is None:
        return (f"No crossover within k ≤ {x.k_max} ({x.no_crossover_fraction:.0%} of bootstrap "
                "replicates never cross).")
    return (f"Crossover k* = {x.k} ({level_pct(x.level)} CI {fmt_k_interval(x.lower, x.upper, x.k_max)}), "
            "dashed line and shaded interval.")


# --------------------------------------------------------------------------- driver
def figure_stems(bench: BenchmarkAnalysis) -> dict[str, list[str]]:
    """File stems (without extension) of every figure of one benchmark, by kind."""
    b = slug(bench.benchmark)
    pair = [f"{slug(c.reference)}_vs_{slug(c.other)}" for c in bench.comparisons]
    cov_pair = [f"{slug(c.model_a)}_vs_{slug(c.model_b)}" for c in bench.coverages]
    return {
        "passk": [f"{b}_passk"],
        "diff": [f"{b}_diff_{p}" for p in pair],
        "histogram": [f"{b}_histogram"] if bench.histograms else [],
        "coverage": [f"{b}_coverage_{p}" for p in cov_pair],
        "cover": [f"{b}_cover"] if bench.cover else [],
        "extrapolation": [f"{b}_extrapolation"] if bench.extrapolations else [],
        "budget": [f"{b}_budget"] if bench.budget is not None and bench.budget.curves else [],
        "answers": [f"{b}_answers"] if bench.answers else [],
        "sweep": [f"{b}_sweep_{slug(sw.series)}" for sw in bench.sweeps],
    }


def render_figures(analysis: Analysis, out_dir: str | Path) -> list[FigureFile]:
    """Draw and save every figure of ``analysis`` into ``out_dir`` (PNG and SVG of each)."""
    out_dir = Path(out_dir)
    colors = model_colors(analysis)
    level = analysis.config.level
    files: list[FigureFile] = []
    with matplotlib.rc_context(STYLE):
        for bench in analysis.benchmarks:
            stems = figure_stems(bench)
            name = bench.benchmark

            def emit(kind, stem, fig, title, caption, pair=None, name=name):
                png, svg = _save(fig, out_dir, stem)
                files.append(FigureFile(benchmark=name, kind=kind, title=title, caption=caption,
                                        png=png, svg=svg, pair=pair))

            emit("passk", stems["passk"][0], passk_figure(bench, colors, level, analysis.config.answer_space),
                 "pass@k curves",
                 f"Mean pass@k over problems for k = 1…{int(next(iter(bench.curves.values())).ks[-1])}, "
                 f"log₂ k axis; shaded: pointwise {level_pct(level)} bootstrap band."
                 + (" Dashed grey: pass@k of blind uniform guessing." if bench.chance is not None else ""))
            for comp, stem in zip(bench.comparisons, stems["diff"]):
                emit("diff", stem, diff_figure(bench, comp, colors),
                     f"{comp.reference} − {comp.other}",
                     f"Difference of pass@k curves ({comp.reference} minus {comp.other}) on the "
                     f"{comp.problems} common problems; above zero the reference is ahead. "
                     + _crossover_caption(comp.crossover), pair=(comp.reference, comp.other))
            for cov, stem in zip(bench.coverages, stems["coverage"]):
                emit("coverage", stem, coverage_figure(bench, cov, colors),
                     f"coverage {cov.model_a} vs {cov.model_b}",
                     f"Problems solved (≥ 1 correct) within k = {cov.k} samples"
                     + ("." if cov.exact else ": expected counts over k-subsets, since k < n.")
                     + f" Exact McNemar test on the discordant problems: {fmt_p_eq(cov.p_value)}.",
                     pair=(cov.model_a, cov.model_b))
            if stems["histogram"]:
                emit("histogram", stems["histogram"][0], histogram_figure(bench, colors),
                     "accuracy histogram",
                     "Number of problems by per-problem accuracy c/n in the 12 bins of Yue et al. "
                     "(2025, Fig. 5): exactly 0, ten deciles, (0.9, 1) and exactly 1.")
            if stems["cover"]:
                emit("cover", stems["cover"][0], cover_figure(bench, colors), "Cover@τ",
                     "Share of problems whose accuracy c/n is at least τ (Dragoi et al. 2025).")
            if stems["extrapolation"]:
                k_t = int(max(e.ks[-1] for e in bench.extrapolations))
                emit("extrapolation", stems["extrapolation"][0], extrapolation_figure(bench, colors),
                     "pass@k beyond the sampled n",
                     f"Measured pass@k (solid) and pass@k predicted up to k = {k_t} by maximum-likelihood fits "
                     "of the per-problem success probabilities: zero-inflated beta-binomial (dashed, "
                     f"{level_pct(level)} bootstrap band over problems) and plain beta-binomial (dotted).")
            if stems["budget"]:
                emit("budget", stems["budget"][0], budget_figure(bench, colors), "budget-matched pass@k",
                     "Each model's pass@k with k = (tokens per problem) / (its mean answer length): models "
                     "compared at equal generation cost rather than at equal numbers of samples.")
            if stems["answers"]:
                emit("answers", stems["answers"][0], answers_figure(bench, colors), "answer diversity",
                     "Entropy (nats) of each problem's distribution of final answers, per model; correct "
                     "answers form one class and samples without an answer another. Lower: the model "
                     "concentrates on fewer answers.")
            for sw, stem in zip(bench.sweeps, stems["sweep"]):
                emit("sweep", stem, sweep_figure(bench, sw, colors), f"{sw.series} over training",
                     f"pass@1 and pass@{sw.k_max} of the checkpoints of {sw.series} against training step "
                     "(Yue et al. 2025, Fig. 1 right).")
    return files


__all__ = ["FigureFile", "render_figures", "figure_stems", "passk_figure", "diff_figure",
           "histogram_figure", "coverage_figure", "cover_figure", "extrapolation_figure", "budget_figure",
           "answers_figure", "sweep_figure", "STYLE", "DPI"]
