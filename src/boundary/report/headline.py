"""The answer at a glance: one headline row per model of a benchmark, against the reference.

A row holds what a reader scans first — pass@1, pass@k_max with its interval, the crossover k*
with its interval (or "none within k_max"), the problems only the reference / only the model solves
with McNemar's p, ΔSE — and, for each of them, whether it is significant and in whose favour
(``"ref"``: the reference is ahead, ``"model"``: the model is ahead, ``None``: not significant):

- pass@1 and pass@k_max: the paired bootstrap interval of reference − model at that k excludes 0;
- k*: the interval's upper end lies within k_max (the reference catches up in at least
  (1 + level) / 2 of the replicates), for a crossover after k = 1;
- the problems only one model solves: McNemar's p < 1 − level (the larger cell is marked);
- ΔSE: its interval excludes 0 (positive: the reference's pass@k_max is above the model's pass@1).

``headline_table_html`` draws the rows; ``report.html`` places it at the top of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from boundary.analysis.analyze import BenchmarkAnalysis
from boundary.analysis.bootstrap import Comparison
from boundary.analysis.coverage import Coverage
from boundary.analysis.efficiency import EfficiencyGap
from boundary.report._common import fmt_count, fmt_k_interval, fmt_p, level_pct, slug


@dataclass(frozen=True)
class HeadlineRow:
    """One model of a benchmark: its levels and, unless it is the reference, its comparison."""

    model: str
    is_reference: bool
    pass1: tuple[float, float, float]
    """pass@1 (estimate, lower, upper)."""
    passk: tuple[float, float, float]
    """pass@k_max (estimate, lower, upper)."""
    k_max: int
    comparison: Comparison | None = None
    coverage: Coverage | None = None
    gap: EfficiencyGap | None = None

    # ---- significance, and in whose favour ("ref", "model" or None)
    @property
    def pass1_sig(self) -> str | None:
        return _diff_sig(self.comparison, 1)

    @property
    def passk_sig(self) -> str | None:
        return _diff_sig(self.comparison, self.k_max)

    @property
    def crossover_sig(self) -> str | None:
        c = self.comparison
        if c is None or c.crossover.k is None or c.crossover.k == 1:
            return None
        return "ref" if c.crossover.upper is not None else None

    @property
    def coverage_sig(self) -> str | None:
        cov = self.coverage
        if cov is None or self.comparison is None or not cov.p_value < 1 - self.comparison.crossover.level:
            return None
        return "ref" if cov.only_a > cov.only_b else "model" if cov.only_b > cov.only_a else None

    @property
    def gap_sig(self) -> str | None:
        g = self.gap
        if g is None:
            return None
        return "ref" if g.lower > 0 else "model" if g.upper < 0 else None


def _diff_sig(comp: Comparison | None, k: int) -> str | None:
    if comp is None or k > len(comp.diff.ks):
        return None
    lo, hi = float(comp.diff.lower[k - 1]), float(comp.diff.upper[k - 1])
    return "ref" if lo > 0 else "model" if hi < 0 else None


def headline_rows(bench: BenchmarkAnalysis) -> list[HeadlineRow]:
    """The reference's row first, then one row per other model (compared or not), in model order."""
    order = ([bench.reference] if bench.reference in bench.curves else []) + \
        [m for m in bench.models if m != bench.reference and m in bench.curves]
    rows = []
    for m in order:
        band = bench.curves[m]
        k_max = int(band.ks[-1])
        comp = next((c for c in bench.comparisons if c.other == m), None)
        cov = next((c for c in bench.coverages if c.model_b == m and c.model_a == bench.reference), None)
        gap = next((g for g in bench.efficiency if g.other == m and g.base == bench.reference), None)
        rows.append(HeadlineRow(model=m, is_reference=m == bench.reference, pass1=band.at(1), passk=band.at(k_max),
                                k_max=k_max, comparison=comp, coverage=cov, gap=gap))
    return rows


# ------------------------------------------------------------------------------------------ HTML
def comparison_anchor(benchmark: str, model: str) -> str:
    """The id of a comparison's details block: ``cmp-<benchmark>-<model>``."""
    return f"cmp-{slug(benchmark)}-{slug(model)}"


def samples_link(samples_href: str, benchmark: str, solved_by: str | None = None,
                 not_by: str | None = None) -> str:
    """A link into the sample browser: ``samples.html#bench=B&solved_by=A&not_by=M&from=answer-B``
    (browser.py reads it; ``from``: where its "back to the report" link returns, this benchmark's answer)."""
    parts = [f"bench={quote(benchmark, safe='')}"]
    if solved_by is not None:
        parts.append(f"solved_by={quote(solved_by, safe='')}")
    if not_by is not None:
        parts.append(f"not_by={quote(not_by, safe='')}")
    parts.append(f"from=answer-{slug(benchmark)}")
    return f"{samples_href}#{'&'.join(parts)}"


def _e(s) -> str:
    return escape(str(s), quote=True)


def _ci(lo: float, hi: float) -> str:
    return f'<span class="ci">{lo:.3f}–{hi:.3f}</span>'


def _td(inner: str, sig: str | None = None, title: str | None = None, cls: str = "num") -> str:
    classes = [cls] + ([f"sig-{sig}"] if sig else [])
    t = f' title="{_e(title)}"' if title else ""
    return f'<td class="{" ".join(classes)}"{t}>{inner}</td>'


_FAVOURS = {"ref": "significant, in favour of the reference", "model": "significant, in favour of the model"}


TALL_TABLE_ROWS = 15
"""More rows than this (a checkpoint sweep): the headline table scrolls inside a frame ~15 rows high,
so the reading sentence and the chart still follow within the first screens."""


def headline_table_html(bench: BenchmarkAnalysis, colors: dict[str, str], level: float, *,
                        samples_href: str | None = None) -> str:
    """The headline table of one benchmark (HTML, every user string escaped)."""
    rows = headline_rows(bench)
    if not rows:
        return '<p class="empty">No model has results on this benchmark.</p>'
    lv = level_pct(level)
    k_max = rows[0].k_max
    ref = bench.reference
    compared = any(r.comparison is not None for r in rows)
    cov0 = next((r.coverage for r in rows if r.coverage is not None), None)
    k_cov = cov0.k if cov0 is not None else k_max
    exact = cov0.exact if cov0 is not None else True
    head = ['<th>model</th>', '<th class="num">pass@1</th>',
            f'<th class="num">pass@{k_max} <span class="unit">({lv} CI)</span></th>']
    if compared:
        head += [f'<th class="num" title="the smallest k at which {_e(ref)} reaches the model\'s pass@k">'
                 f'k* <span class="unit">({lv} CI)</span></th>',
                 f'<th class="num" title="problems solved within k = {k_cov} samples by {_e(ref)} but not by the '
                 f'model{"" if exact else " (expected counts)"}">only {_e(ref)}</th>',
                 '<th class="num" title="problems solved only by the model">only model</th>',
                 '<th class="num">McNemar p</th>',
                 f'<th class="num" title="pass@{k_max} of {_e(ref)} − pass@1 of the model">ΔSE '
                 f'<span class="unit">({lv} CI)</span></th>']
    body = []
    for r in rows:
        color = colors.get(r.model, "#333")
        tag = ' <span class="ref-tag">reference</span>' if r.is_reference else ""
        name = f'<span class="swatch" style="background:{_e(color)}"></span>{_e(r.model)}'
        if r.comparison is not None:
            name = f'<a href="#{_e(comparison_anchor(bench.benchmark, r.model))}" style="color:{_e(color)}">{name}</a>'
        else:
            name = f'<span style="color:{_e(color)}">{name}</span>'
        cells = [f'<th scope="row" class="model-cell">{name}{tag}</th>']
        e1, l1, h1 = r.pass1
        ek, lk, hk = r.passk
        cells.append(_td(f"{e1:.3f}{_ci(l1, h1)}", r.pass1_sig, _FAVOURS.get(r.pass1_sig or "")))
        cells.append(_td(f"{ek:.3f}{_ci(lk, hk)}", r.passk_sig, _FAVOURS.get(r.passk_sig or "")))
        if compared:
            cells += _comparison_cells(bench, r, samples_href)
        body.append(f'<tr data-model="{_e(r.model)}">{"".join(cells)}</tr>')
    legend = ""
    if compared:
        legend = (f'<p class="legend"><span class="key sig-model"></span>the model significantly ahead '
                  f'<span class="key sig-ref"></span>{_e(ref)} significantly ahead '
                  f'({lv} paired-bootstrap interval excluding 0, McNemar p &lt; {1 - level:.2g}); '
                  f'k*: where {_e(ref)} catches up; only …: problems solved within k = {k_cov} samples'
                  f'{"" if exact else " (expected counts over k-subsets)"}'
                  + (" — click a count for those problems in the sample browser" if samples_href else "")
                  + '; a model\'s name opens its comparison\'s reading and figures.</p>')
    tall = len(rows) > TALL_TABLE_ROWS
    if tall:                       # a long sweep: the table scrolls inside its frame, the header stays
        legend += (f'<p class="legend">{len(rows)} models: the table scrolls (its header stays); the sentence '
                   'and the figures below summarise them.</p>')
    return (f'<div class="scroll{" tall" if tall else ""}"><table class="headline" '
            f'id="headline-{_e(slug(bench.benchmark))}">'
            f'<thead><tr>{"".join(head)}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{legend}')


def _comparison_cells(bench: BenchmarkAnalysis, r: HeadlineRow, samples_href: str | None) -> list[str]:
    c, cov, g = r.comparison, r.coverage, r.gap
    if c is None:
        dash = '<span class="dash">—</span>'
        if r.is_reference:
            return [_td(dash)] * 5
        return [_td('<span class="muted">not compared</span>')] + [_td(dash)] * 4
    x = c.crossover
    lv = level_pct(x.level)
    if x.k is None:
        kx = f'<span class="none">none ≤ {x.k_max}</span>'
        title = (f"{c.reference} does not catch up within k ≤ {x.k_max} "
                 f"({x.no_crossover_fraction:.0%} of bootstrap replicates never cross)")
    elif x.k == 1:
        kx = f'1<span class="ci">{_e(fmt_k_interval(x.lower, x.upper, x.k_max))}</span>'
        title = f"{c.reference} is ahead already at k = 1"
    else:
        kx = f'{x.k}<span class="ci">{_e(fmt_k_interval(x.lower, x.upper, x.k_max))}</span>'
        title = f"{c.reference} catches up at k* = {x.k} ({lv} CI {fmt_k_interval(x.lower, x.upper, x.k_max)})"
    cells = [_td(kx, r.crossover_sig, title)]
    if cov is not None:
        only_a, only_b = fmt_count(cov.only_a, cov.exact), fmt_count(cov.only_b, cov.exact)
        if samples_href:
            only_a = (f'<a href="{_e(samples_link(samples_href, bench.benchmark, c.reference, c.other))}" '
                      f'title="these problems in the sample browser">{only_a}</a>')
            only_b = (f'<a href="{_e(samples_link(samples_href, bench.benchmark, c.other, c.reference))}" '
                      f'title="these problems in the sample browser">{only_b}</a>')
        sig = r.coverage_sig
        cells.append(_td(only_a, "ref" if sig == "ref" else None))
        cells.append(_td(only_b, "model" if sig == "model" else None))
        cells.append(_td(("≈ " if not cov.exact else "") + _e(fmt_p(cov.p_value)), sig))
    else:
        cells += [_td("—")] * 3
    if g is not None:
        cells.append(_td(f"{g.gap:+.3f}{_ci(g.lower, g.upper)}", r.gap_sig, _FAVOURS.get(r.gap_sig or "")))
    else:
        cells.append(_td("—"))
    return cells


__all__ = ["TALL_TABLE_ROWS", "HeadlineRow", "headline_rows", "headline_table_html", "comparison_anchor",
           "samples_link"]
