"""Static figures of a report (PNG, SVG and PDF), one function per kind of figure.

Uses matplotlib's object API with the Agg canvas (``matplotlib.figure.Figure``), never ``pyplot``:
no global figure registry, nothing to leak between figures or into a user's notebook. Styling is
applied with ``rc_context`` only while a figure is drawn and saved. PDFs are vector files with
their fonts embedded as TrueType (``pdf.fonttype`` 42), ready for a paper.

With more than ``SMALL_MULTIPLES_ABOVE`` models, figures where curves or bars of every model would
overlap (pass@k, histogram, Cover@τ, extrapolation, budget) become small multiples: one panel per
comparison with the reference, shared axes, the reference drawn in every panel. Every model keeps
its colour (``_common.model_colors``) in every figure; the chance floor is near-black and dashed.

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
* ``{bench}_sweep_{series}``: pass@1 and pass@k_max against training step;
* ``{bench}_algorithms``: the algorithm table (pass@1, pass@k_max, ΔSE with intervals) as a figure.

``render_figures`` draws them in worker processes when there are many (figures are independent);
``write_figure`` draws one figure, for a chosen benchmark and models, into one file.
"""

from __future__ import annotations

import math
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

from boundary.analysis.analyze import TAUS, Analysis, BenchmarkAnalysis
from boundary.analysis.histogram import BIN_LABELS
from boundary._fork import fork_workers
from boundary.errors import BoundaryError
if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

from boundary.report._pdffonts import cached_subsets
from boundary.report._common import (CHANCE_COLOR, fmt_count, fmt_k_interval, fmt_p_eq, level_pct,
                                     model_colors, slug)

DPI = 150

SMALL_MULTIPLES_ABOVE = 4
"""More models than this: one panel per comparison with the reference instead of one crowded plot."""

FORMATS = ("png", "svg", "pdf")
"""Every file type a figure can be written as (``write_figure``'s ``--out`` suffix)."""

REPORT_FORMATS = ("svg",)
"""What a report writes by default: the SVG its page embeds (PNG and PDF on request: they cost as much
again as the drawing itself)."""

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titley": 1.0,              # fixed: the automatic title position measures every axis per draw
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
    "pdf.fonttype": 42,              # TrueType fonts embedded in the PDF (journals reject Type 3)
    "ps.fonttype": 42,
    "lines.linewidth": 1.8,
}

NEUTRAL = "#6b6b6b"
LIGHT = "#c7c7c7"
BAND_ALPHA = 0.13
CROSS_COLOR = "#B36B00"
CHANCE_DASHES = (5, 2.5)


@dataclass(frozen=True)
class FigureFile:
    """One saved figure: the SVG the page embeds, and the same drawing as PNG and PDF when asked for."""

    benchmark: str
    kind: str
    """passk | diff | histogram | coverage | cover | extrapolation | budget | answers | sweep | algorithms"""
    title: str
    caption: str
    svg: Path
    png: Path | None = None
    """The PNG (for slides), or None when it was not written (``write_report(png=True)``, ``--png``)."""
    pair: tuple[str, str] | None = None
    """(reference, other) for the per-comparison figures (diff, coverage)."""
    pdf: Path | None = None
    """The vector PDF for a paper (fonts embedded), or None when it was not written."""

    @property
    def stem(self) -> str:
        return self.svg.stem

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.png, self.svg, self.pdf) if p is not None)

    @property
    def size_inches(self) -> tuple[float, float]:
        """Width and height of the saved drawing (from the SVG's header, in points): small multiples are
        8–11 inches wide against ~6 for one plot, so a page can show them wider (96 px per inch: full size)."""
        return svg_size_inches(self.svg)


def svg_size_inches(path: Path) -> tuple[float, float]:
    """(width, height) in inches of a matplotlib SVG, read from its ``<svg width="…pt" height="…pt"`` tag."""
    with open(path, encoding="utf-8") as f:
        head = f.read(2048)
    tag = head[head.index("<svg"):]
    size = [re.search(rf'\b{k}="([0-9.]+)pt"', tag) for k in ("width", "height")]
    if size[0] is None or size[1] is None:
        raise OSError(f"{path}: no width and height in points in its <svg> tag")
    return float(size[0].group(1)) / 72, float(size[1].group(1)) / 72


# --------------------------------------------------------------------------- helpers
def _new_figure(width: float = 6.2, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save_as(fig: Figure, path: Path, box) -> None:
    fmt = path.suffix.lstrip(".").lower()
    meta: dict[str, Any] = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                            "pdf": {"CreationDate": None, "ModDate": None, "Producer": None,
                                    "Creator": None}}[fmt]
    fig.savefig(path, dpi=DPI, bbox_inches=box, metadata=meta, format=fmt)


def _tight_box(fig: Figure):
    # the tight box once for every file (bbox_inches="tight" would lay the figure out twice per
    # file); laid out without rasterising (draw_without_rendering), which is what the box needs
    fig.draw_without_rendering()
    renderer = cast(FigureCanvasAgg, fig.canvas).get_renderer()
    return fig.get_tightbbox(renderer).padded(0.08)


def _save(fig: Figure, out_dir: Path, stem: str, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Save ``fig`` as ``out_dir/stem.<fmt>`` for each format, all cut to the same tight box."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}
    if "png" in paths:
        # one rasterisation gives both the tight box and the PNG's pixels (cut out of the canvas)
        # when the box lies inside the figure, which the report's layouts make the usual case
        canvas = cast(FigureCanvasAgg, fig.canvas)
        canvas.draw()
        box = fig.get_tightbbox(canvas.get_renderer()).padded(0.08)
        if not _crop_png(fig, canvas, box, paths["png"]):
            _save_as(fig, paths["png"], box)
    else:
        box = _tight_box(fig)
    with cached_subsets():
        for fmt, path in paths.items():
            if fmt != "png":
                _save_as(fig, path, box)
    return paths


def _crop_png(fig: Figure, canvas: FigureCanvasAgg, box, path: Path) -> bool:
    """Write the part ``box`` (inches) of the rendered canvas as a PNG; False when it reaches outside."""
    w, h = fig.get_size_inches()
    slack = 0.081  # the box's white padding may stick out: cut it at the figure's edge
    if box.x0 < -slack or box.y0 < -slack or box.x1 > w + slack or box.y1 > h + slack:
        return False
    box = box.__class__.from_extents(max(box.x0, 0), max(box.y0, 0), min(box.x1, w), min(box.y1, h))
    from matplotlib.image import imsave
    px = np.asarray(canvas.buffer_rgba())
    rows = px.shape[0]
    x0, x1 = int(round(box.x0 * DPI)), int(round(box.x1 * DPI))
    y0, y1 = rows - int(round(box.y1 * DPI)), rows - int(round(box.y0 * DPI))
    # zlib level 2 instead of 6: a quarter of the encoding time for files about 15% larger
    imsave(path, px[max(y0, 0):y1, max(x0, 0):x1], format="png", dpi=DPI, metadata=cast(Any, {"Software": None}),
           pil_kwargs={"compress_level": 2})
    return True


def _margins(fig: Figure, *, left: float = 0.8, bottom: float = 0.6, right: float = 0.25,
             top: float = 0.62) -> None:
    """Place the axes by margins in inches, leaving room for what is drawn around them (titles above,
    legends below): the figure then holds its whole drawing and the PNG is cut from one rendering."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, bottom=bottom / h, right=1 - right / w, top=1 - top / h)


def _log2_ticks(k_max: int, sparse: bool = False) -> list[int]:
    step = 2 if sparse and k_max >= 32 else 1
    ticks = [1 << i for i in range(0, int(np.log2(max(k_max, 1))) + 1, step)]
    if ticks[-1] != k_max:
        if sparse and ticks[-1] * 2 > k_max and len(ticks) > 1 and k_max / ticks[-1] < 1.9:
            ticks[-1] = k_max
        else:
            ticks.append(k_max)
    return ticks


def _log2_k_axis(ax, k_max: int, *, label: bool = True, sparse: bool = False) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(_log2_ticks(k_max, sparse)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))
    ax.xaxis.set_minor_locator(NullLocator())
    if k_max == 1:
        ax.set_xlim(0.8, 1.25)
    else:
        ax.set_xlim(1 / 1.12, k_max * 1.12)
    if label:
        ax.set_xlabel("k (samples per problem)")


def _suptitle(ax, title: str, subtitle: str | None = None) -> None:
    ax.set_title(title, pad=18 if subtitle else 8)
    if subtitle:
        ax.text(0.0, 1.015, subtitle, transform=ax.transAxes, fontsize=8.5, color="#555555",
                va="bottom", ha="left")


def _short(name: str, limit: int = 32) -> str:
    """``name`` in at most ``limit`` characters; the middle goes, since checkpoints of one family
    share a prefix ("Qwen/Qwen2.5-7B-…") and differ at the end ("…-SimpleRL-Zoo")."""
    if len(name) <= limit:
        return name
    head = (limit - 1) * 2 // 5
    return name[:head] + "…" + name[len(name) - (limit - 1 - head):]


def _k_max(bench: BenchmarkAnalysis) -> int:
    return int(next(iter(bench.curves.values())).ks[-1]) if bench.curves else 1


def _pick(bench: BenchmarkAnalysis, models: Sequence[str] | None, pool=None) -> list[str]:
    """The models to draw, in the benchmark's order (``pool``: only those that have the data)."""
    have = [m for m in bench.models if pool is None or m in pool]
    return have if models is None else [m for m in have if m in models]


def _many(models: Sequence[str]) -> bool:
    return len(models) > SMALL_MULTIPLES_ABOVE


def _ref_and_others(bench: BenchmarkAnalysis, models: list[str]) -> tuple[str | None, list[str]]:
    ref = bench.reference if bench.reference in models else None
    return ref, [m for m in models if m != ref]


class _Grid:
    """Small multiples: ``n`` panels on shared axes, a title, a subtitle and one legend above them.

    Laid out in inches (no tight_layout/constrained layout: they re-draw the figure several times).
    """

    PANEL_W, PANEL_H = 2.55, 1.95
    LEFT, RIGHT, BOTTOM = 0.72, 0.18, 0.62
    SHARE_UP_TO = 16

    def __init__(self, n: int, *, title: str, subtitle: str, legend_rows: int = 1, ncols: int | None = None,
                 panel_w: float | None = None, panel_h: float | None = None):
        self.ncols = ncols or (n if n <= 3 else 3 if n <= 9 else 4)
        self.nrows = math.ceil(n / self.ncols)
        pw, ph = panel_w or self.PANEL_W, panel_h or self.PANEL_H
        wgap, hgap = 0.22, 0.42
        head = 0.86 + 0.24 * legend_rows  # title, subtitle, legend rows, then the panel titles
        width = self.LEFT + self.ncols * pw + (self.ncols - 1) * wgap + self.RIGHT
        height = head + self.nrows * ph + (self.nrows - 1) * hgap + self.BOTTOM
        self.fig = fig = _new_figure(width, height)
        self.width, self.height = width, height
        # matplotlib's shared axes propagate every limit change to every sibling: quadratic in the panels
        # (a 99-panel figure spent ~45 s there). Above SHARE_UP_TO panels the axes are not shared;
        # ``labels`` then gives every panel the first panel's scale, ticks and the common limits.
        self.shared = n <= self.SHARE_UP_TO
        axes = fig.subplots(self.nrows, self.ncols, sharex=self.shared, sharey=self.shared, squeeze=False,
                            gridspec_kw=dict(left=self.LEFT / width, right=1 - self.RIGHT / width,
                                             bottom=self.BOTTOM / height, top=1 - head / height,
                                             wspace=wgap / pw, hspace=hgap / ph))
        flat = list(axes.ravel())
        self.axes = flat[:n]
        if not self.shared:         # tick labels on the outer panels only, as shared subplots have them
            for i, ax in enumerate(flat):
                ax.tick_params(labelbottom=i // self.ncols == self.nrows - 1, labelleft=i % self.ncols == 0)
        for i, ax in enumerate(flat[n:], start=n):
            ax.set_visible(False)
            above = i - self.ncols
            if above >= 0:  # the panel above the gap shows the x tick labels the hidden one would have
                flat[above].tick_params(labelbottom=True)
        x0 = self.LEFT / width
        fig.text(x0, 1 - 0.08 / height, title, fontsize=11.5, fontweight="bold", va="top", ha="left")
        fig.text(x0, 1 - 0.36 / height, subtitle, fontsize=8.5, color="#555555", va="top", ha="left")
        self._legend_y = 1 - 0.56 / height

    def panel_title(self, ax, name: str, color: str, right: str = "") -> None:
        ax.set_title(_short(name, 20 if right else 30), color=color, fontsize=9.5, fontweight="bold",
                     loc="left", pad=3)
        if right:
            ax.set_title(right, fontsize=8, color="#444444", fontweight="normal", loc="right", pad=3)

    def _mirror(self) -> None:
        """Unshared panels as shared ones would be: the first panel's scale and tickers on every panel,
        and the first panel's limits where they were set, else the union of every panel's own."""
        a0, rest = self.axes[0], self.axes[1:]
        for name in ("x", "y"):
            if getattr(a0, f"get_autoscale{name}_on")():
                lims = [getattr(ax, f"get_{name}lim")() for ax in self.axes]
                lo, hi = min(lo_ for lo_, _ in lims), max(hi_ for _, hi_ in lims)
            else:
                lo, hi = getattr(a0, f"get_{name}lim")()
            scale, axis0 = getattr(a0, f"get_{name}scale")(), getattr(a0, f"{name}axis")
            for ax in rest:
                if getattr(ax, f"get_{name}scale")() != scale:
                    getattr(ax, f"set_{name}scale")(scale)
                axis = getattr(ax, f"{name}axis")
                axis.major, axis.minor = axis0.major, axis0.minor       # what sharex/sharey do
            for ax in self.axes:
                getattr(ax, f"set_{name}lim")(lo, hi)

    def labels(self, xlabel: str, ylabel: str) -> None:
        if not self.shared:
            self._mirror()
        for i, ax in enumerate(self.axes):
            ax.tick_params(labelsize=8)
            if i % self.ncols == 0:
                ax.set_ylabel(ylabel, fontsize=9)
            if i + self.ncols >= len(self.axes):
                ax.set_xlabel(xlabel, fontsize=9)

    def legend(self, handles: list) -> None:
        self.fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(self.LEFT / self.width, self._legend_y),
                        ncol=min(len(handles), 4), fontsize=8.5, handlelength=2.2, columnspacing=1.4,
                        borderaxespad=0)


def _thin(ks) -> np.ndarray:
    """Indices of at most ~100 of the points ``ks`` spaced evenly on a log axis (every point when there
    are fewer): curves of every k up to 1024 have hundreds of points per doubling on the right, far
    below a pixel apart, and each one costs time in every format and bytes in the SVG and PDF."""
    n = len(ks)
    if n <= 100:
        return np.arange(n)
    return np.unique(np.round(np.geomspace(1, n, 96)).astype(int) - 1)


def _band(ax, band, color: str, *, lw: float = 1.8, alpha: float = BAND_ALPHA, markers: bool = True,
          label: str | None = None, zorder: float = 2) -> None:
    ks = band.ks
    t = _thin(ks)
    ax.fill_between(ks[t], band.lower[t], band.upper[t], color=color, alpha=alpha, linewidth=0, zorder=zorder - 1)
    ax.plot(ks[t], band.estimate[t], color=color, lw=lw, label=label, zorder=zorder)
    if markers:
        pow2 = ks[(ks & (ks - 1)) == 0]
        ax.plot(pow2, band.estimate[pow2 - 1], "o", color=color, ms=3.4, zorder=zorder + 0.5)
    if len(ks) == 1:
        ax.errorbar(ks, band.estimate, yerr=[band.estimate - band.lower, band.upper - band.estimate],
                    color=color, capsize=4, lw=1.2, fmt="none")


def _chance_label(answer_space: int | None) -> str:
    # without an answer-space size the floor comes from each problem's own guess probability
    return f"chance floor (m={answer_space})" if answer_space is not None else "chance floor (blind guessing)"


def _chance(ax, bench: BenchmarkAnalysis, answer_space: int | None, label: bool = True) -> None:
    if bench.chance is None:
        return
    ks = np.arange(1, len(bench.chance) + 1)
    t = _thin(ks)
    ax.plot(ks[t], np.asarray(bench.chance)[t], color=CHANCE_COLOR, lw=1.3, dashes=CHANCE_DASHES, zorder=1.5,
            label=_chance_label(answer_space) if label else None, marker="D" if len(ks) == 1 else None, ms=4)


def _chance_handle(answer_space: int | None) -> Line2D:
    return Line2D([], [], color=CHANCE_COLOR, lw=1.3, dashes=CHANCE_DASHES, label=_chance_label(answer_space))


def _ref_handle(ref: str, colors: dict[str, str], what: str = "reference, in every panel") -> Line2D:
    return Line2D([], [], color=colors.get(ref, NEUTRAL), lw=1.4, label=f"{_short(ref, 24)} ({what})")


def _crossovers(bench: BenchmarkAnalysis, ref: str | None) -> dict[str, Any]:
    return {c.other: c.crossover for c in bench.comparisons if c.reference == ref}


def _k_star(x) -> str:
    if x is None:
        return ""
    if x.k is None:
        return f"no k* ≤ {x.k_max}"
    return f"k* {x.k} [{fmt_k_interval(x.lower, x.upper, x.k_max)}]"


# --------------------------------------------------------------------------- figures
def passk_figure(bench: BenchmarkAnalysis, colors: dict[str, str], level: float,
                 answer_space: int | None = None, models: Sequence[str] | None = None) -> Figure:
    """pass@k curves with bands: one plot, or one panel per model against the reference when many."""
    chosen = _pick(bench, models)
    if _many(chosen):
        return _passk_panels(bench, chosen, colors, level, answer_space)
    rows = math.ceil((len(chosen) + (bench.chance is not None)) / 2)
    fig = _new_figure(6.2, 4.2 + 0.2 * rows)
    _margins(fig, bottom=0.85 + 0.2 * rows)
    ax = fig.add_subplot()
    k_max = max((int(bench.curves[m].ks[-1]) for m in chosen), default=1)
    for m in chosen:
        _band(ax, bench.curves[m], colors.get(m, NEUTRAL), lw=2.2 if m == bench.reference else 1.8,
              label=f"{_short(m)}  (P={bench.problems[m]})")
    _chance(ax, bench, answer_space)
    _log2_k_axis(ax, k_max)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.1f}"))
    ax.set_ylabel("pass@k")
    _suptitle(ax, f"{bench.benchmark}: pass@k",
              f"unbiased estimator; shaded: {level_pct(level)} bootstrap band over problems")
    n_items = len(chosen) + (bench.chance is not None)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2 if n_items > 1 else 1, fontsize=8.5)
    return fig


def _passk_panels(bench, models, colors, level, answer_space) -> Figure:
    ref, others = _ref_and_others(bench, models)
    k_max = max(int(bench.curves[m].ks[-1]) for m in models)
    handles: list = [_ref_handle(ref, colors)] if ref else []
    handles += [Patch(color="#777777", alpha=0.3, label=f"{level_pct(level)} bootstrap band")]
    if bench.chance is not None:
        handles.append(_chance_handle(answer_space))
    cross = _crossovers(bench, ref)
    if any(x.k is not None for x in cross.values()):
        handles.append(Line2D([], [], color=CROSS_COLOR, lw=1.1, ls=":", label="crossover k* [CI]"))
    g = _Grid(len(others), title=f"{bench.benchmark}: pass@k, each model against {ref}" if ref else
              f"{bench.benchmark}: pass@k", subtitle="unbiased estimator; one panel per model (title colour), "
              "shared axes", legend_rows=math.ceil(len(handles) / 4))
    for ax, m in zip(g.axes, others):
        if ref:
            _band(ax, bench.curves[ref], colors.get(ref, NEUTRAL), lw=1.3, alpha=0.09, markers=False, zorder=2)
        _band(ax, bench.curves[m], colors.get(m, NEUTRAL), lw=2.0, alpha=0.16, markers=False, zorder=3)
        _chance(ax, bench, answer_space, label=False)
        x = cross.get(m)
        if x is not None and x.k is not None:
            ax.axvline(x.k, color=CROSS_COLOR, lw=1.1, ls=":", zorder=1.8)
        g.panel_title(ax, m, colors.get(m, NEUTRAL), _k_star(x))
    for ax in g.axes:
        _log2_k_axis(ax, k_max, label=False, sparse=True)
    g.axes[0].set_ylim(-0.02, 1.02)
    g.axes[0].yaxis.set_major_locator(FixedLocator([0, 0.25, 0.5, 0.75, 1.0]))
    g.axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    g.labels("k (samples per problem)", "pass@k")
    g.legend(handles)
    return g.fig


def diff_figure(bench: BenchmarkAnalysis, comparison, colors: dict[str, str]) -> Figure:
    fig = _new_figure(6.2, 4.75)
    _margins(fig, bottom=1.25)
    ax = fig.add_subplot()
    d = comparison.diff
    t = _thin(d.ks)   # the points drawn (k_max always among them)
    d = SimpleNamespace(ks=d.ks[t], estimate=d.estimate[t], lower=d.lower[t], upper=d.upper[t], level=d.level)
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
        ax.axvline(x.k, color=CROSS_COLOR, lw=1.4, ls="--", label=f"crossover k* = {x.k}")
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


def diffs_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    """Every difference reference − model of ``models`` as small multiples (crossover k* marked)."""
    comps = [c for c in bench.comparisons if models is None or c.other in models]
    if not comps:
        raise BoundaryError(f"{bench.benchmark}: no comparison with the reference {bench.reference!r} among "
                            f"{list(models or [])}; name the reference and at least one other model.")
    if len(comps) == 1:
        return diff_figure(bench, comps[0], colors)
    ref = comps[0].reference
    k_max = max(int(c.diff.ks[-1]) for c in comps)
    lim = max(max(float(np.max(np.abs(np.r_[c.diff.lower, c.diff.upper]))) for c in comps), 0.02) * 1.1
    handles = [Line2D([], [], color="#222222", lw=1.8, label=f"{_short(ref, 24)} − model"),
               Patch(color="#555555", alpha=0.25, label=f"{level_pct(comps[0].diff.level)} bootstrap band"),
               Line2D([], [], color=CROSS_COLOR, lw=1.2, ls="--", label="crossover k*")]
    g = _Grid(len(comps), title=f"{bench.benchmark}: {ref} − each model",
              subtitle=f"above zero {ref} is ahead; paired bootstrap over the common problems")
    for ax, c in zip(g.axes, comps):
        d = c.diff
        ax.axhline(0, color="#222222", lw=0.8, zorder=1)
        t = _thin(d.ks)
        ax.fill_between(d.ks[t], d.lower[t], d.upper[t], color=colors.get(c.other, NEUTRAL), alpha=0.18, linewidth=0)
        ax.plot(d.ks[t], d.estimate[t], color="#222222", lw=1.6)
        if c.crossover.k is not None:
            ax.axvline(c.crossover.k, color=CROSS_COLOR, lw=1.1, ls="--")
        g.panel_title(ax, c.other, colors.get(c.other, NEUTRAL), _k_star(c.crossover))
    for ax in g.axes:
        _log2_k_axis(ax, k_max, label=False, sparse=True)
    g.axes[0].set_ylim(-lim, lim)
    g.labels("k (samples per problem)", "Δ pass@k")
    g.legend(handles)
    return g.fig


def histogram_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    models = _pick(bench, models, bench.histograms)
    if _many(models):
        return _histogram_panels(bench, models, colors)
    fig = _new_figure(6.8, 4.3)
    _margins(fig, bottom=1.0, right=0.8)
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
    ax.legend(loc="upper center", ncol=2 if len(models) > 2 else 1)
    return fig


_BIN_TICKS = ["0", ".1", ".2", ".3", ".4", ".5", ".6", ".7", ".8", ".9", "<1", "1"]


def _histogram_panels(bench, models, colors) -> Figure:
    ref, others = _ref_and_others(bench, models)
    nb = len(BIN_LABELS)
    x = np.arange(nb)
    totals = {int(np.sum(bench.histograms[m])) for m in models}
    sub = (f"{totals.pop()} problems per model" if len(totals) == 1 else "problem counts differ between models") \
        + "; bins: exactly 0, deciles up to the labelled upper edge, (0.9, 1), exactly 1"
    handles: list = [Patch(color="#888888", label="model of the panel")]
    if ref:
        handles.insert(0, Line2D([], [], color=colors.get(ref, NEUTRAL), lw=1.6,
                                 label=f"{_short(ref, 24)} (reference, outline)"))
    g = _Grid(len(others), title=f"{bench.benchmark}: accuracy distribution", subtitle=sub)
    for ax, m in zip(g.axes, others):
        ax.bar(x, np.asarray(bench.histograms[m]), width=0.8, color=colors.get(m, NEUTRAL), alpha=0.85, zorder=2)
        if ref:
            ax.stairs(np.asarray(bench.histograms[ref]), np.arange(nb + 1) - 0.5, color=colors.get(ref, NEUTRAL),
                      lw=1.4, zorder=3)
        ax.grid(axis="x", visible=False)
        g.panel_title(ax, m, colors.get(m, NEUTRAL))
    top = max(float(np.max(bench.histograms[m])) for m in models)
    ax0 = g.axes[0]
    ax0.set_xlim(-0.6, nb - 0.4)
    ax0.set_ylim(0, max(top, 1) * 1.08)
    ax0.set_xticks(x)
    ax0.set_xticklabels(_BIN_TICKS)
    g.labels("per-problem accuracy c/n", "problems")
    g.legend(handles)
    return g.fig


def coverage_figure(bench: BenchmarkAnalysis, cov, colors: dict[str, str]) -> Figure:
    fig = _new_figure(6.2, 3.4)
    _margins(fig, left=1.6, bottom=0.6, right=0.2)
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


def coverage_overview_figure(bench: BenchmarkAnalysis, colors: dict[str, str],
                             models: Sequence[str] | None = None) -> Figure:
    """Every coverage split with the reference as one stacked bar per model."""
    covs = [c for c in bench.coverages if models is None or c.model_b in models]
    if not covs:
        raise BoundaryError(f"{bench.benchmark}: no coverage comparison with the reference among "
                            f"{list(models or [])}; name the reference and at least one other model.")
    if len(covs) == 1:
        return coverage_figure(bench, covs[0], colors)
    ref = covs[0].model_a
    fig = _new_figure(6.8, 1.55 + 0.34 * len(covs))
    _margins(fig, left=1.95, bottom=1.0, right=0.3)
    ax = fig.add_subplot()
    y = np.arange(len(covs))[::-1]
    left = np.zeros(len(covs))
    parts = [("both", "both", "#9a9a9a"), ("only_a", f"only {_short(ref, 20)}", colors.get(ref, NEUTRAL)),
             ("only_b", "only the model", None), ("neither", "neither", "#e3e3e3")]
    for name, label, color in parts:
        vals = np.array([c.percent(name) for c in covs])
        cs = [color or colors.get(c.model_b, NEUTRAL) for c in covs]
        ax.barh(y, vals, left=left, color=cs, height=0.66, zorder=2, label=label,
                edgecolor="white", linewidth=0.6)
        for yi, v, l0, c in zip(y, vals, left, covs):
            if v >= 7 and name in ("only_a", "only_b"):
                ax.text(l0 + v / 2, yi, fmt_count(getattr(c, name), c.exact), ha="center", va="center",
                        fontsize=7.5, color="white", fontweight="bold", zorder=3)
        left += vals
    ax.set_yticks(y)
    ax.set_yticklabels([f"{_short(c.model_b, 22)}  ({fmt_p_eq(c.p_value)})" for c in covs], fontsize=8.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("share of the common problems")
    k = covs[0].k
    _suptitle(ax, f"{bench.benchmark}: coverage against {ref}",
              f"solved within k={k}; numbers: problems only one of the two solves; McNemar p per row")
    handles = [Patch(color="#9a9a9a", label="both"),
               Patch(color=colors.get(ref, NEUTRAL), label=f"only {_short(ref, 20)}"),
               Patch(color="#bbbbbb", label="only the model (its colour)"), Patch(color="#e3e3e3", label="neither")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.1 / fig.get_figheight()), ncol=4,
               fontsize=8)
    return fig


def cover_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    models = _pick(bench, models, bench.cover)
    sub = "share of problems with accuracy c/n ≥ τ; area under a curve = mean accuracy"
    if _many(models):
        ref, others = _ref_and_others(bench, models)
        g = _Grid(len(others), title=f"{bench.benchmark}: Cover@τ", subtitle=sub)
        for ax, m in zip(g.axes, others):
            if ref:
                ax.plot(TAUS, bench.cover[ref], color=colors.get(ref, NEUTRAL), lw=1.3, zorder=2)
            ax.plot(TAUS, bench.cover[m], "-o", ms=2.6, color=colors.get(m, NEUTRAL), lw=1.9, zorder=3)
            g.panel_title(ax, m, colors.get(m, NEUTRAL))
        g.axes[0].set_xlim(-0.02, 1.02)
        g.axes[0].set_ylim(-0.02, 1.02)
        g.labels("accuracy threshold τ", "Cover@τ")
        if ref:
            g.legend([_ref_handle(ref, colors)])
        return g.fig
    fig = _new_figure()
    _margins(fig)
    ax = fig.add_subplot()
    for m in models:
        ax.plot(TAUS, bench.cover[m], "-o", ms=3.2, color=colors.get(m, NEUTRAL),
                lw=2.2 if m == bench.reference else 1.8, label=_short(m))
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("accuracy threshold τ")
    ax.set_ylabel("Cover@τ")
    _suptitle(ax, f"{bench.benchmark}: Cover@τ", sub)
    ax.legend(loc="upper right")
    return fig


def _extrapolation_styles(checks: bool, power: bool) -> list:
    styles = [Line2D([], [], color="#333333", lw=2.0, label="measured"),
              Line2D([], [], color="#333333", lw=1.6, ls="--", label="zero-inflated fit"),
              Line2D([], [], color="#333333", lw=1.3, ls=":", label="beta-binomial fit")]
    if checks:
        styles.append(Line2D([], [], color="#333333", marker="s", mfc="white", ls="none",
                             label="pass@n predicted from fewer samples"))
    if power:
        styles.append(Line2D([], [], color="#333333", lw=1.0, ls="-.", label="power law"))
    return styles


def _extrapolate_one(ax, bench, m, colors, zi, plain, checks, k_target, lw=2.0):
    c = colors.get(m, NEUTRAL)
    band = bench.curves[m]
    t = _thin(band.ks)
    line = ax.plot(band.ks[t], band.estimate[t], color=c, lw=lw, label=_short(m, 24))[0]
    e = zi.get(m)
    if e is not None:
        t = _thin(e.ks)
        ax.fill_between(e.ks[t], e.lower[t], e.upper[t], color=c, alpha=0.12, linewidth=0)
        ax.plot(e.ks[t], e.estimate[t], "--", color=c, lw=1.5)
    if m in plain:
        t = _thin(plain[m].ks)
        ax.plot(plain[m].ks[t], plain[m].estimate[t], ":", color=c, lw=1.3)
    chk = checks.get(m)
    if chk is not None:
        ax.errorbar([chk.k * 1.08], [chk.predicted], yerr=[[max(chk.predicted - chk.lower, 0.0)],
                                                             [max(chk.upper - chk.predicted, 0.0)]],
                    fmt="s", ms=4, color=c, mfc="white", capsize=3, lw=1.0, zorder=4)
    law = bench.power_laws.get(m)
    if law is not None:
        ks = np.unique(np.geomspace(1, k_target, 60).round())
        ax.plot(ks, law.pass_at_k(ks), "-.", color=c, lw=1.0, alpha=0.8)
    return line


def extrapolation_figure(bench: BenchmarkAnalysis, colors: dict[str, str],
                         models: Sequence[str] | None = None) -> Figure:
    zi = {e.model: e for e in bench.extrapolations if e.fit.zero_inflated}
    plain = {e.model: e for e in bench.extrapolations if not e.fit.zero_inflated}
    checks = {c.model: c for c in bench.extrapolation_checks if c.zero_inflated}
    models = _pick(bench, models, set(zi) | set(plain))
    k_target = int(max(e.ks[-1] for e in bench.extrapolations))
    k_max = _k_max(bench)
    level = next(iter(zi.values())).level if zi else None
    sub = "maximum-likelihood fits of per-problem success rates" + (
        f"; bands: {level_pct(level)} bootstrap CI" if level is not None else "")
    styles = _extrapolation_styles(any(m in checks for m in models), any(m in bench.power_laws for m in models))
    if len(models) > 2:  # three lines and a band per model: more than two models overlap already
        ref = bench.reference if bench.reference in models else None
        handles = styles + ([_ref_handle(ref, colors, "measured, in every panel")] if ref else [])
        g = _Grid(len(models), title=f"{bench.benchmark}: pass@k beyond the sampled n (n = {k_max})", subtitle=sub,
                  legend_rows=math.ceil(len(handles) / 4))
        for ax, m in zip(g.axes, models):
            if ref and m != ref:
                t = _thin(bench.curves[ref].ks)
                ax.plot(bench.curves[ref].ks[t], bench.curves[ref].estimate[t], color=colors.get(ref, NEUTRAL), lw=1.0,
                        alpha=0.7, zorder=1.5)
            _extrapolate_one(ax, bench, m, colors, zi, plain, checks, k_target, lw=1.8)
            ax.axvline(k_max, color="#888888", lw=0.9, zorder=1)
            g.panel_title(ax, m, colors.get(m, NEUTRAL))
        for ax in g.axes:
            _log2_k_axis(ax, k_target, label=False, sparse=True)
        g.axes[0].set_ylim(-0.02, 1.02)
        g.labels("k (samples per problem)", "pass@k")
        g.legend(handles)
        return g.fig
    rows = math.ceil((len(models) + len(styles)) / 3)
    fig = _new_figure(6.2, 4.3 + 0.2 * rows)
    _margins(fig, bottom=0.85 + 0.2 * rows)
    ax = fig.add_subplot()
    handles = [_extrapolate_one(ax, bench, m, colors, zi, plain, checks, k_target) for m in models]
    ax.axvline(k_max, color="#888888", lw=1.0, zorder=1)
    ax.text(k_max, 1.0, f"sampled n = {k_max} ", fontsize=8, color="#555555", ha="right", va="top")
    _log2_k_axis(ax, k_target)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("pass@k")
    ax.legend(handles=handles + styles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
    _suptitle(ax, f"{bench.benchmark}: pass@k beyond the sampled n", sub)
    return fig


def budget_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    b = bench.budget
    assert b is not None  # drawn only for a benchmark with a budget analysis
    models = _pick(bench, models, b.curves)
    sub = ("k = budget / mean answer length" + (" of each problem" if b.per_problem else "")
           + "; dashed: where the reference catches up")

    def curve(ax, m, lw, label=None):
        cv = b.curves[m]
        ok = np.isfinite(cv.estimate)
        ax.plot(cv.budgets[ok], cv.estimate[ok], color=colors.get(m, NEUTRAL), lw=lw, label=label)

    if _many(models):
        ref, others = _ref_and_others(bench, models)
        catch = {c.other: c.crossover_budget for c in b.comparisons if c.reference == ref}
        handles = [Line2D([], [], color=CROSS_COLOR, lw=1.2, ls="--", label="catch-up budget")]
        if ref:
            handles.insert(0, _ref_handle(ref, colors))
        g = _Grid(len(others), title=f"{bench.benchmark}: budget-matched pass@k", subtitle=sub)
        for ax, m in zip(g.axes, others):
            if ref:
                curve(ax, ref, 1.3)
            curve(ax, m, 2.0)
            if catch.get(m) is not None:
                ax.axvline(catch[m], color=CROSS_COLOR, lw=1.1, ls="--")
            g.panel_title(ax, m, colors.get(m, NEUTRAL), f"{b.curves[m].mean_tokens:,.0f} tok/answer")
        g.axes[0].set_xscale("log")
        g.axes[0].xaxis.set_minor_locator(NullLocator())
        g.axes[0].set_ylim(-0.02, 1.02)
        g.labels("generated tokens per problem", "pass at equal cost")
        g.legend(handles)
        return g.fig
    rows = math.ceil(len(models) / 2)
    fig = _new_figure(6.2, 4.2 + 0.2 * rows)
    _margins(fig, bottom=0.85 + 0.2 * rows)
    ax = fig.add_subplot()
    for m in models:
        curve(ax, m, 2.2 if m == bench.reference else 1.8,
              f"{_short(m)}  ({b.curves[m].mean_tokens:,.0f} tokens/answer)")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("generated tokens per problem")
    ax.set_ylabel("pass at equal cost")
    for c in b.comparisons:
        if c.crossover_budget is not None and c.other in models:
            ax.axvline(c.crossover_budget, color=CROSS_COLOR, lw=1.2, ls="--")
    _suptitle(ax, f"{bench.benchmark}: budget-matched pass@k", sub)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=8.5)
    return fig


def answers_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    models = _pick(bench, models, bench.answers)
    many = len(models) > 10  # up to ten boxes fit side by side with horizontal labels
    fig = _new_figure(min(10.5, max(4.2, (0.75 if many else 1.0) * len(models) + 2.4)), 4.1 if many else 3.8)
    _margins(fig, bottom=1.05 if many else 0.75)
    ax = fig.add_subplot()
    data = [bench.answers[m].entropy for m in models]
    bp = ax.boxplot(data, patch_artist=True, widths=0.55, showmeans=True,
                    meanprops=dict(marker="D", markerfacecolor="white", markeredgecolor="#222222", markersize=5),
                    medianprops=dict(color="#222222", lw=1.2), flierprops=dict(markersize=3))
    for patch, m in zip(bp["boxes"], models):
        patch.set_facecolor(colors.get(m, NEUTRAL))
        patch.set_alpha(0.6)
    ax.set_xticks(np.arange(1, len(models) + 1))
    ax.set_xticklabels([f"{_short(m, 16 if many else 20)}\n{bench.answers[m].mean_distinct:.1f} answers"
                        for m in models], fontsize=7.5 if many else 8.5,
                       rotation=30 if many else 0, ha="right" if many else "center")
    ax.grid(axis="x", visible=False)
    ax.set_ylabel("answer entropy per problem (nats)")
    ax.set_ylim(bottom=-0.05)
    _suptitle(ax, f"{bench.benchmark}: answer diversity",
              "entropy of each problem's final-answer distribution; ◇ mean; below: mean distinct answers")
    return fig


SWEEP_LABELS_UP_TO = 12
"""A sweep with at most this many checkpoints names each point and draws error bars; a longer one
draws lines with light bands and names no point (99 labels are a smear)."""


def _base_ahead_from(bench: BenchmarkAnalysis, sweep) -> int | None:
    """The first step from which the reference is significantly ahead at k_max at every later
    checkpoint (the paired bootstrap of reference − model at k_max excludes 0), or None."""
    diffs = {c.other: c.diff for c in bench.comparisons if c.reference == sweep.base}
    ahead = []
    for pt in sweep.points:
        d = diffs.get(pt.model)
        if d is None:
            return None
        i = int(np.searchsorted(d.ks, sweep.k_max))
        ahead.append(i < len(d.ks) and d.ks[i] == sweep.k_max and d.lower[i] > 0)
    if not ahead or not ahead[-1]:
        return None
    first = len(ahead) - 1
    while first > 0 and ahead[first - 1]:
        first -= 1
    return sweep.points[first].step


def sweep_figure(bench: BenchmarkAnalysis, sweep, colors: dict[str, str]) -> Figure:
    fig = _new_figure(6.2, 4.75)
    _margins(fig, bottom=1.25)
    ax = fig.add_subplot()
    steps = np.array(sweep.steps, dtype=float)
    color = colors.get(sweep.points[-1].model, NEUTRAL)
    few = len(steps) <= SWEEP_LABELS_UP_TO
    for attr, ci, marker, ls, label in (("pass_at_1", "pass_at_1_ci", "o", "-", "pass@1"),
                                        ("pass_at_kmax", "pass_at_kmax_ci", "s", "--", f"pass@{sweep.k_max}")):
        y = np.array([getattr(p, attr) for p in sweep.points])
        lo = np.array([getattr(p, ci)[0] for p in sweep.points])
        hi = np.array([getattr(p, ci)[1] for p in sweep.points])
        name = f"{_short(sweep.series, 20)} {label}"
        if few:
            ax.errorbar(steps, y, yerr=[y - lo, hi - y], marker=marker, color=color, capsize=3, lw=1.8, ms=5,
                        ls=ls, label=name)
        else:
            ax.fill_between(steps, lo, hi, color=color, alpha=BAND_ALPHA + 0.05, lw=0)
            ax.plot(steps, y, color=color, lw=1.8, ls=ls, marker=marker if len(steps) <= 40 else None, ms=3,
                    label=name)
    if few:
        for p, s in zip(sweep.points, steps):
            ax.annotate(_short(p.model, 18), (s, p.pass_at_kmax_ci[1]), xytext=(0, 4), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7.5, color="#444444")
    if sweep.base is not None:
        bc = colors.get(sweep.base, NEUTRAL)
        ax.axhline(sweep.base_pass_at_1, color=bc, ls=":", lw=1.3, label=f"{_short(sweep.base, 20)} pass@1")
        ax.axhline(sweep.base_pass_at_kmax, color=bc, ls=(0, (1, 1.2)), lw=2.0, alpha=0.7,
                   label=f"{_short(sweep.base, 20)} pass@{sweep.k_max}")
        start = _base_ahead_from(bench, sweep)
        if start is not None:       # named in the legend: a label in the plot would cover the curves
            ax.axvline(start, color=CROSS_COLOR, lw=1.2, ls="--",
                       label=(f"{_short(sweep.base, 16)} ahead at k = {sweep.k_max} at every checkpoint"
                              if start == sweep.points[0].step else
                              f"from step {start} on: {_short(sweep.base, 16)} ahead at k = {sweep.k_max}")
                       + " (paired bootstrap)")
    if len(steps):
        pad = max((steps.max() - steps.min()) * (0.12 if few else 0.03), 1.0)
        ax.set_xlim(steps.min() - pad, steps.max() + pad)
    ax.set_xlabel("training step")
    ax.set_ylabel("pass@k")
    ax.set_ylim(-0.02, 1.02)
    _suptitle(ax, f"{bench.benchmark}: {_short(sweep.series, 30)} over training ({len(steps)} checkpoints)",
              ("error bars" if few else "bands") + ": bootstrap CI over problems; dotted: the reference model")
    handles, labels = ax.get_legend_handles_labels()
    wide = [i for i, lab in enumerate(labels) if "paired bootstrap" in lab]
    if wide:           # the long line on a row of its own, below the others
        k = wide[0]
        handles, labels = handles[:k] + handles[k + 1:] + [handles[k]], labels[:k] + labels[k + 1:] + [labels[k]]
        leg = ax.legend(handles[:-1], labels[:-1], loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2,
                        fontsize=8.5)
        ax.add_artist(leg)
        ax.legend(handles[-1:], labels[-1:], loc="upper center", bbox_to_anchor=(0.5, -0.33), fontsize=8.5,
                  frameon=False)
        _margins(fig, bottom=1.5)
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=8.5)
    return fig


def algorithms_figure(bench: BenchmarkAnalysis, colors: dict[str, str], models: Sequence[str] | None = None) -> Figure:
    """The algorithm table as a figure: pass@1, pass@k_max and ΔSE with intervals, one row per model."""
    rows = [r for r in bench.algorithms if models is None or r.model in models]
    if not rows:
        raise BoundaryError(f"{bench.benchmark}: no algorithm-table rows for the models {list(models or [])}.")
    k_max = rows[0].k_max
    fig = _new_figure(7.4, 1.25 + 0.3 * len(rows))
    axes = fig.subplots(1, 3, sharey=True, gridspec_kw=dict(wspace=0.12))
    y = np.arange(len(rows))[::-1]
    base = next((r for r in rows if r.is_base), None)
    cols = (("pass@1", "pass_at_1", "pass_at_1_ci"), (f"pass@{k_max}", "pass_at_kmax", "pass_at_kmax_ci"),
            ("ΔSE (lower is better)", "delta_se", "delta_se_ci"))
    for ax, (title, attr, ci) in zip(axes, cols):
        for yi, r in zip(y, rows):
            v, iv = getattr(r, attr), getattr(r, ci)
            if v is None or iv is None:
                continue
            c = colors.get(r.model, NEUTRAL)
            ax.errorbar([v], [yi], xerr=[[v - iv[0]], [iv[1] - v]], fmt="o", color=c, ms=5, capsize=2.5, lw=1.4)
        if base is not None and attr != "delta_se":
            ax.axvline(getattr(base, attr), color=colors.get(base.model, NEUTRAL), ls=":", lw=1.2, zorder=1)
        if attr == "delta_se" and any(r.delta_se_ci is not None and r.delta_se_ci[0] <= 0 for r in rows):
            ax.axvline(0, color="#222222", lw=0.8, zorder=1)
        ax.set_title(title, fontsize=9.5, loc="center", pad=4)
        ax.grid(axis="y", visible=False)
        ax.tick_params(labelsize=8)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([_short(r.model, 22) + (" (base)" if r.is_base and r.model != "base" else "")
                             for r in rows], fontsize=8.5)
    axes[0].set_ylim(-0.7, len(rows) - 0.3)
    fig.text(0.125, 0.99, f"{bench.benchmark}: trained models against the base", fontsize=11.5, fontweight="bold",
             va="top", ha="left")
    fig.text(0.125, 0.99 - 0.26 / fig.get_figheight(), "points: estimate; bars: bootstrap CI; dotted: the base; "
             f"ΔSE = pass@{k_max}(base) − pass@1(model)", fontsize=8.5, color="#555555", va="top", ha="left")
    fig.subplots_adjust(top=1 - 0.75 / fig.get_figheight(), bottom=0.35 / fig.get_figheight())
    return fig


def _crossover_caption(x) -> str:
    if x.k is None:
        return (f"No crossover within k ≤ {x.k_max} ({x.no_crossover_fraction:.0%} of bootstrap "
                "replicates never cross).")
    return (f"Crossover k* = {x.k} ({level_pct(x.level)} CI {fmt_k_interval(x.lower, x.upper, x.k_max)}), "
            "dashed line and shaded interval.")


# --------------------------------------------------------------------------- driver
FIGURE_KINDS = ("passk", "diff", "histogram", "coverage", "cover", "extrapolation", "budget", "answers", "sweep",
                "algorithms")


def pair_figures_for(bench: BenchmarkAnalysis, pair_figures: bool | None = None) -> bool:
    """Whether the report draws one diff and one coverage figure per comparison (True) or one overview
    of each for all comparisons (False). None: per comparison up to ``SMALL_MULTIPLES_ABOVE`` models."""
    return (not _many(bench.models)) if pair_figures is None else pair_figures


def figure_stems(bench: BenchmarkAnalysis, pair_figures: bool | None = None) -> dict[str, list[str]]:
    """File stems (without extension) of every figure of one benchmark, by kind.

    With more than ``SMALL_MULTIPLES_ABOVE`` models, the differences and the coverage splits are
    one overview figure each (``{bench}_diff``, ``{bench}_coverage``) instead of one figure per
    comparison; ``write_figure`` draws any single comparison on request.
    """
    b = slug(bench.benchmark)
    per_pair = pair_figures_for(bench, pair_figures)
    pair = [f"{slug(c.reference)}_vs_{slug(c.other)}" for c in bench.comparisons]
    cov_pair = [f"{slug(c.model_a)}_vs_{slug(c.model_b)}" for c in bench.coverages]
    return {
        "passk": [f"{b}_passk"],
        "diff": [f"{b}_diff_{p}" for p in pair] if per_pair else [f"{b}_diff"] if bench.comparisons else [],
        "histogram": [f"{b}_histogram"] if bench.histograms else [],
        "coverage": ([f"{b}_coverage_{p}" for p in cov_pair] if per_pair
                     else [f"{b}_coverage"] if bench.coverages else []),
        "cover": [f"{b}_cover"] if bench.cover else [],
        "extrapolation": [f"{b}_extrapolation"] if bench.extrapolations else [],
        "budget": [f"{b}_budget"] if bench.budget is not None and bench.budget.curves else [],
        "answers": [f"{b}_answers"] if bench.answers else [],
        "sweep": [f"{b}_sweep_{slug(sw.series)}" for sw in bench.sweeps],
        "algorithms": [f"{b}_algorithms"] if len(bench.algorithms) > 1 else [],
    }


@dataclass(frozen=True)
class _Job:
    """One figure to draw: which benchmark (index), which kind and which item of that kind."""

    bench: int
    benchmark: str
    kind: str
    index: int
    stem: str
    title: str
    caption: str
    pair: tuple[str, str] | None = None


def _jobs(analysis: Analysis, pair_figures: bool | None = None) -> list[_Job]:
    level = analysis.config.level
    jobs: list[_Job] = []
    for i, bench in enumerate(analysis.benchmarks):
        stems = figure_stems(bench, pair_figures)
        per_pair = pair_figures_for(bench, pair_figures)

        def add(kind, title, caption, index=0, pair=None, i=i, stems=stems, bench=bench):
            stem = stems[kind][max(index, 0)]
            jobs.append(_Job(i, bench.benchmark, kind, index, stem, title, caption, pair))

        many = _many(bench.models)
        add("passk", "pass@k curves",
            f"Mean pass@k over problems for k = 1…{_k_max(bench)}, log₂ k axis; shaded: pointwise "
            f"{level_pct(level)} bootstrap band."
            + (f" One panel per model with the reference {bench.reference} in every panel; dotted: the "
               "crossover k*." if many else "")
            + (" Dark dashed: the chance floor (pass@k of blind guessing)." if bench.chance is not None else ""))
        if not per_pair and bench.comparisons:
            add("diff", f"{bench.reference} − each model",
                f"Difference of pass@k curves ({bench.reference} minus each model) on the common problems, one "
                "panel per model; above zero the reference is ahead; dashed: the crossover k*, with its "
                f"{level_pct(level)} CI in the panel's title. Each comparison alone: boundary report RUN "
                "--figure diff --models REF,MODEL --out FILE.", index=-1)
        if not per_pair and bench.coverages:
            add("coverage", f"coverage against {bench.reference}",
                f"Problems solved (≥ 1 correct) within k = {bench.coverages[0].k} samples by both, only "
                f"{bench.reference}, only the model, or neither, one bar per model, with the exact McNemar "
                "test on the discordant problems.", index=-1)
        for j, comp in enumerate(bench.comparisons if per_pair else []):
            add("diff", f"{comp.reference} − {comp.other}",
                f"Difference of pass@k curves ({comp.reference} minus {comp.other}) on the "
                f"{comp.problems} common problems; above zero the reference is ahead. "
                + _crossover_caption(comp.crossover), j, (comp.reference, comp.other))
        for j, cov in enumerate(bench.coverages if per_pair else []):
            add("coverage", f"coverage {cov.model_a} vs {cov.model_b}",
                f"Problems solved (≥ 1 correct) within k = {cov.k} samples"
                + ("." if cov.exact else ": expected counts over k-subsets, since k < n.")
                + f" Exact McNemar test on the discordant problems: {fmt_p_eq(cov.p_value)}.", j,
                (cov.model_a, cov.model_b))
        if stems["histogram"]:
            add("histogram", "accuracy histogram",
                "Number of problems by per-problem accuracy c/n in the 12 bins of Yue et al. (2025, Fig. 5): "
                "exactly 0, ten deciles, (0.9, 1) and exactly 1."
                + (" One panel per model; outline: the reference." if many else ""))
        if stems["cover"]:
            add("cover", "Cover@τ", "Share of problems whose accuracy c/n is at least τ (Dragoi et al. 2025).")
        if stems["extrapolation"]:
            k_t = int(max(e.ks[-1] for e in bench.extrapolations))
            add("extrapolation", "pass@k beyond the sampled n",
                f"Measured pass@k (solid) and pass@k predicted up to k = {k_t} by maximum-likelihood fits of the "
                "per-problem success probabilities: zero-inflated beta-binomial (dashed, "
                f"{level_pct(level)} bootstrap band over problems) and plain beta-binomial (dotted).")
        if stems["budget"]:
            add("budget", "budget-matched pass@k",
                "Each model's pass@k with k = (tokens per problem) / (its mean answer length): models compared "
                "at equal generation cost rather than at equal numbers of samples.")
        if stems["answers"]:
            add("answers", "answer diversity",
                "Entropy (nats) of each problem's distribution of final answers, per model; correct answers "
                "form one class and samples without an answer another. Lower: the model concentrates on "
                "fewer answers.")
        for j, sw in enumerate(bench.sweeps):
            add("sweep", f"{sw.series} over training",
                f"pass@1 and pass@{sw.k_max} of the checkpoints of {sw.series} against training step "
                "(Yue et al. 2025, Fig. 1 right).", j)
        if stems["algorithms"]:
            add("algorithms", "trained models against the base",
                f"The algorithm table as a figure: pass@1, pass@k_max and ΔSE = pass@k_max(base) − pass@1(model) "
                f"with {level_pct(level)} bootstrap intervals (Yue et al. 2025, §4.3).")
    return jobs


def _draw(analysis: Analysis, job: _Job, colors: dict[str, str]) -> Figure:
    bench = analysis.benchmarks[job.bench]
    kind = job.kind
    if kind == "passk":
        return passk_figure(bench, colors, analysis.config.level, analysis.config.answer_space)
    if kind == "diff":
        return (diffs_figure(bench, colors) if job.index < 0
                else diff_figure(bench, bench.comparisons[job.index], colors))
    if kind == "coverage":
        return (coverage_overview_figure(bench, colors) if job.index < 0
                else coverage_figure(bench, bench.coverages[job.index], colors))
    if kind == "sweep":
        return sweep_figure(bench, bench.sweeps[job.index], colors)
    draw = {"histogram": histogram_figure, "cover": cover_figure, "extrapolation": extrapolation_figure,
            "budget": budget_figure, "answers": answers_figure, "algorithms": algorithms_figure}[kind]
    return draw(bench, colors)


def _render(analysis: Analysis, job: _Job, colors: dict[str, str], out_dir: Path,
            formats: Sequence[str]) -> dict[str, Path]:
    with matplotlib.rc_context(STYLE):
        return _save(_draw(analysis, job, colors), out_dir, job.stem, formats)


_WORKER: dict[str, Any] = {}


def _init_worker(analysis: Analysis, out_dir: Path, formats: tuple[str, ...]) -> None:
    _WORKER.update(analysis=analysis, out_dir=out_dir, formats=formats, colors=model_colors(analysis))


def _render_in_worker(job: _Job) -> dict[str, Path]:
    w = _WORKER
    return _render(w["analysis"], job, w["colors"], w["out_dir"], w["formats"])


def _workers(requested: int | None, n_jobs: int, models: int = 1) -> int:
    """Processes to draw ``n_jobs`` figures of up to ``models`` panels with: 1 (this process) for a
    few small figures, else up to 2 (``BOUNDARY_REPORT_WORKERS`` overrides). A 100-model benchmark
    has only 8 figures, but of 99 panels each."""
    return fork_workers(requested, "BOUNDARY_REPORT_WORKERS", n_jobs,
                        worth_it=n_jobs >= 12 or n_jobs * models >= 100)


class PendingFigures:
    """Figures being drawn (in worker processes, or already drawn); ``result()`` waits for them."""

    def __init__(self, jobs: list[_Job], done: list[dict[str, Path]] | None = None,
                 futures: list[Future] | None = None, pool: ProcessPoolExecutor | None = None):
        self._jobs, self._done, self._futures, self._pool = jobs, done, futures, pool

    def result(self) -> list[FigureFile]:
        if self._done is None:
            assert self._futures is not None and self._pool is not None
            try:
                self._done = [f.result() for f in self._futures]
            finally:
                self._pool.shutdown(cancel_futures=True)
        return [FigureFile(benchmark=j.benchmark, kind=j.kind, title=j.title, caption=j.caption,
                           svg=p["svg"], png=p.get("png"), pdf=p.get("pdf"), pair=j.pair)
                for j, p in zip(self._jobs, self._done)]


def start_figures(analysis: Analysis, out_dir: str | Path, *, workers: int | None = None,
                  formats: Sequence[str] = REPORT_FORMATS, pair_figures: bool | None = None) -> PendingFigures:
    """Start drawing every figure of ``analysis`` into ``out_dir``; ``result()`` on the answer waits.

    ``workers``: processes that draw (None: 2 when there are 12 figures or more and two CPUs, else this
    process; the environment variable ``BOUNDARY_REPORT_WORKERS`` overrides the default). The
    caller can do other work (tables, the sample browser) while the workers draw.
    ``pair_figures``: see ``pair_figures_for``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(analysis, pair_figures)
    formats = _report_formats(formats)
    n = _workers(workers, len(jobs), max((len(b.models) for b in analysis.benchmarks), default=1))
    if n <= 1:
        colors = model_colors(analysis)
        return PendingFigures(jobs, done=[_render(analysis, j, colors, out_dir, formats) for j in jobs])
    # the first figure is drawn here, before the fork: the workers then inherit warm caches (fonts,
    # glyph paths, the PDF font subsets) instead of each building them again
    colors = model_colors(analysis)
    first: Future = Future()
    first.set_result(_render(analysis, jobs[0], colors, out_dir, formats))
    pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"), initializer=_init_worker,
                               initargs=(analysis, out_dir, formats))
    # the panels and the fits take longest: start them first so that the two workers finish together
    heavy = {"passk": 0, "extrapolation": 1, "diff": 2, "histogram": 3, "budget": 4, "cover": 5}
    order = sorted(range(1, len(jobs)), key=lambda i: heavy.get(jobs[i].kind, 9))
    futures: list[Future] = [first] + [None] * (len(jobs) - 1)  # type: ignore[list-item]
    for i in order:
        futures[i] = pool.submit(_render_in_worker, jobs[i])
    return PendingFigures(jobs, futures=futures, pool=pool)


def _report_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """``formats`` with the SVG (the page embeds it) and in a fixed order; an unknown type is refused."""
    for fmt in formats:
        _choose("figure file type", fmt, FORMATS, "")
    return tuple(f for f in FORMATS if f in formats or f == "svg")


def render_figures(analysis: Analysis, out_dir: str | Path, *, workers: int | None = None,
                   formats: Sequence[str] = REPORT_FORMATS, pair_figures: bool | None = None) -> list[FigureFile]:
    """Draw and save every figure of ``analysis`` into ``out_dir``: the SVG of each, and its PNG and
    PDF when ``formats`` names them."""
    return start_figures(analysis, out_dir, workers=workers, formats=formats, pair_figures=pair_figures).result()


def save_figure(fig: Figure, out_dir: str | Path, stem: str, formats: Sequence[str] = FORMATS) -> dict[str, Path]:
    """Save a figure drawn elsewhere in the report (perplexity) like every other: one layout, every format,
    fonts embedded in the PDF."""
    with matplotlib.rc_context({k: STYLE[k] for k in ("pdf.fonttype", "ps.fonttype", "svg.fonttype", "svg.hashsalt")}):
        return _save(fig, Path(out_dir), stem, formats)


def _choose(what: str, value: str, allowed: Sequence[str], hint: str) -> None:
    if value not in allowed:
        raise BoundaryError(f"unknown {what} {value!r}; choose one of: {', '.join(allowed)}. {hint}".rstrip())


def check_figure_request(kind: str, out: str | Path) -> None:
    """Refuse an unknown figure kind or file type before any work (the allowed values in the error)."""
    _choose("figure kind", kind, FIGURE_KINDS, "")
    fmt = Path(out).suffix.lstrip(".").lower()
    _choose("file type", fmt or "(none)", FORMATS, "The type follows from the --out suffix, e.g. fig.pdf.")


def write_figure(analysis: Analysis, kind: str, *, out: str | Path, models: Sequence[str] | None = None,
                 benchmark: str | None = None) -> Path:
    """Draw one figure of ``analysis`` into the file ``out`` (PNG, SVG or PDF by its suffix).

    ``kind``: one of ``FIGURE_KINDS``; ``models``: the models to draw, in the benchmark's order
    (None: all; the reference must be among them for the figures against the reference: diff,
    coverage); ``benchmark``: needed when the analysis holds several.

        write_figure(analyze("runs/demo"), "passk", models=["base", "grpo"], out="fig.pdf")
    """
    out = Path(out)
    check_figure_request(kind, out)
    names = [b.benchmark for b in analysis.benchmarks]
    if benchmark is None:
        if len(names) != 1:
            raise BoundaryError(f"the analysis has {len(names)} benchmarks ({', '.join(names)}); choose one "
                                "with --benchmark.")
        benchmark = names[0]
    _choose("benchmark", benchmark, names, "")
    bench = analysis.benchmarks[names.index(benchmark)]
    chosen = None
    if models is not None:
        for m in models:
            _choose("model", m, bench.models, f"(benchmark {benchmark})")
        chosen = list(models)
    colors = model_colors(analysis)
    ref = bench.reference

    def against_ref(what: str) -> list[str] | None:
        if chosen is not None and ref not in chosen:
            raise BoundaryError(f"the {what} figure compares models with the reference {ref!r}; add it to "
                                f"--models (e.g. --models {ref},{chosen[0]}).")
        return chosen

    def need(ok: bool, why: str) -> None:
        if not ok:
            raise BoundaryError(f"{benchmark}: no {kind} figure: {why}")

    with matplotlib.rc_context(STYLE):
        if kind == "passk":
            fig = passk_figure(bench, colors, analysis.config.level, analysis.config.answer_space, chosen)
        elif kind == "diff":
            fig = diffs_figure(bench, colors, against_ref("diff"))
        elif kind == "coverage":
            fig = coverage_overview_figure(bench, colors, against_ref("coverage"))
        elif kind == "sweep":
            sweeps = [s for s in bench.sweeps if chosen is None or any(p.model in chosen for p in s.points)]
            need(bool(sweeps), "no checkpoint sweep" + ("" if chosen is None else " among these models")
                 + " (models named NAME-stepN, or steps given in the spec).")
            if len(sweeps) > 1:
                raise BoundaryError(f"{benchmark}: {len(sweeps)} checkpoint sweeps ("
                                    + ", ".join(s.series for s in sweeps) + "); choose one by naming its "
                                    "checkpoints with --models.")
            fig = sweep_figure(bench, sweeps[0], colors)
        else:
            need({"histogram": bool(bench.histograms), "cover": bool(bench.cover),
                  "extrapolation": bool(bench.extrapolations),
                  "budget": bench.budget is not None and bool(bench.budget.curves),
                  "answers": bool(bench.answers), "algorithms": len(bench.algorithms) > 1}[kind],
                 "the analysis has none" + ("; skipped: " + "; ".join(str(x) for x in bench.skipped)
                                             if bench.skipped else "") + ".")
            draw = {"histogram": histogram_figure, "cover": cover_figure, "extrapolation": extrapolation_figure,
                    "budget": budget_figure, "answers": answers_figure, "algorithms": algorithms_figure}[kind]
            fig = draw(bench, colors, chosen)
        out.parent.mkdir(parents=True, exist_ok=True)
        with cached_subsets():
            _save_as(fig, out, _tight_box(fig))
    return out


__all__ = ["FigureFile", "FIGURE_KINDS", "FORMATS", "SMALL_MULTIPLES_ABOVE", "render_figures", "start_figures",
           "PendingFigures", "write_figure", "REPORT_FORMATS",
           "svg_size_inches", "check_figure_request", "save_figure", "figure_stems",
           "pair_figures_for", "passk_figure", "diff_figure", "diffs_figure", "histogram_figure", "coverage_figure",
           "coverage_overview_figure", "cover_figure", "extrapolation_figure", "budget_figure", "answers_figure",
           "sweep_figure", "algorithms_figure", "STYLE", "DPI"]
