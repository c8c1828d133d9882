"""One self-contained ``index.html``: figures embedded as SVG data URIs, inline CSS, inline JavaScript.

The page works when mailed on its own (every figure is inside it); when it sits in the report
directory, each figure also links to its PNG and SVG file under ``figures/`` and each table to its
CSV, Markdown and LaTeX file under ``tables/``. Every string that comes from the user (model and
benchmark names, run path, notes) goes through ``html.escape``. The only script is the interactive
chart's (``report.interactive.CHART_JS``, inline): no server, no network, nothing loaded from elsewhere.

Layout: a one-line header and a contents bar that stays in view; then the answer per benchmark
(headline table, one reading sentence, the interactive pass@k chart); then the details per
benchmark (the static pass@k figure, one folded block per comparison with its prose and figures,
the distributions, the further analyses); then the extra sections, tables, notes, run and method.
"""

from __future__ import annotations

import base64
import re
import datetime as _dt
from collections.abc import Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

from boundary.analysis.analyze import Analysis
from boundary.report._common import fmt_count, fmt_k_interval, level_pct, model_colors, model_order, slug
from boundary.report.figures import SWEEP_LABELS_UP_TO, FigureFile
from boundary.report.headline import comparison_anchor, headline_table_html
from boundary.report.interactive import CHART_JS, passk_chart
from boundary.report.reading import (benchmark_readings, benchmark_sentence, comparison_reading, further_sentences,
                                     skipped_lines)
from boundary.report.tables import Table, columns

CSS = """
:root { --fg:#1d2329; --muted:#5b6670; --line:#e3e7eb; --bg:#f6f7f9; --card:#ffffff; --accent:#0b5fa5;
  --sig-ref:#fde2cc; --sig-ref-fg:#8a3b00; --sig-model:#d6e8f7; --sig-model-fg:#0b4f8a; --bar:44px; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
[id] { scroll-margin-top: calc(var(--bar) + 10px); }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 6px 24px 48px; }
header.top { background: #16324f; color: #fff; }
header.top .inner { max-width: 1180px; margin: 0 auto; padding: 10px 24px 9px; display: flex; flex-wrap: wrap;
  align-items: baseline; gap: 2px 16px; }
header.top h1 { margin: 0; font-size: 19px; font-weight: 650; letter-spacing: -0.01em; }
header.top .run { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  color: #cfe0f1; word-break: break-all; }
header.top .hsum { font-size: 13px; color: #cfe0f1; }
header.top .hsum a { color: #fff; text-decoration: underline; }
nav.toc { position: sticky; top: 0; z-index: 20; background: rgba(255,255,255,.97);
  border-bottom: 1px solid var(--line);
  box-shadow: 0 1px 3px rgba(16,24,40,.06); font-size: 13.5px; }
nav.toc .inner { max-width: 1180px; margin: 0 auto; padding: 0 24px; min-height: var(--bar); display: flex;
  flex-wrap: wrap; align-items: center; gap: 2px 14px; }
nav.toc a { white-space: nowrap; }
nav.toc .sep { color: #c3cad1; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; font-size: 14px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; word-break: break-all; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; vertical-align: 0; }
.model { white-space: nowrap; margin-right: 14px; }
.ref-tag { font-size: 11px; background: #e8f1fa; color:#0b5fa5; border-radius: 3px; padding: 0 5px;
  margin-left: 4px; font-weight: 500; }
.ref-tag.warn { background: var(--sig-ref); color: var(--sig-ref-fg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h2 { font-size: 21px; margin: 30px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 10px; color: #2a3640; }
.h-stats { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 8px; }
h2 a.more { float: right; font-size: 13px; font-weight: 400; margin-top: 6px; }
.answer { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 4px 18px 14px;
  margin: 14px 0 18px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.answer h2 { margin: 10px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
table.headline { font-size: 13.5px; min-width: 100%; }
.scroll.tall { max-height: 440px; overflow-y: auto; border-bottom: 1px solid var(--line); }
.scroll.tall table.headline thead th { position: sticky; top: 0; z-index: 1; background: #f6f8fa; }
table.headline th, table.headline td { padding: 4px 9px; }
table.headline th .unit { font-weight: 400; color: var(--muted); font-size: 12px; }
table.headline th.model-cell { font-weight: 600; background: none; border-bottom: 1px solid var(--line); }
table.headline th.model-cell a { text-decoration: none; }
table.headline th.model-cell a:hover { text-decoration: underline; }
table.headline td .ci { display: inline; margin-left: 6px; font-size: 11.5px; color: var(--muted); }
table.headline td.sig-ref { background: var(--sig-ref); color: var(--sig-ref-fg); font-weight: 600; }
table.headline td.sig-model { background: var(--sig-model); color: var(--sig-model-fg); font-weight: 600; }
table.headline td.sig-ref .ci, table.headline td.sig-model .ci { color: inherit; font-weight: 400; }
table.headline td.links { font-size: 12.5px; }
table.headline .none { color: var(--muted); }
table.headline td.muted { color: var(--muted); font-size: 12.5px; }
p.legend { font-size: 12.5px; color: var(--muted); margin: 6px 0 0; }
p.legend .key { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px;
  margin: 0 5px 0 10px; }
p.legend .key:first-child { margin-left: 0; }
p.legend .key.sig-ref { background: var(--sig-ref); border: 1px solid #f0b98f; }
p.legend .key.sig-model { background: var(--sig-model); border: 1px solid #9cc3e6; }
p.lede { font-size: 15.5px; margin: 10px 0 4px; padding: 8px 12px; background: #f3f7fb;
  border-left: 4px solid var(--accent);
  border-radius: 4px; }
p.notes-hint { font-size: 12.5px; color: var(--muted); margin: 4px 0 0; }
.chart { display: grid; grid-template-columns: minmax(0, 1fr) 210px; gap: 8px 16px; margin-top: 12px; }
.chart-plot { position: relative; }
.chart svg.passk-chart { display: block; width: 100%; height: auto; font-family: inherit; }
.chart svg g.band.quiet { visibility: hidden; }
.chart svg g.band.quiet.lit { visibility: visible; }
.chart .tip { position: absolute; z-index: 5; pointer-events: none; background: #fff; border: 1px solid #c9d1d8;
  border-radius: 6px; box-shadow: 0 2px 8px rgba(16,24,40,.15); padding: 6px 9px; font-size: 12.5px;
  line-height: 1.4; white-space: nowrap; }
.chart fieldset.picker { border: 1px solid var(--line); border-radius: 8px; margin: 0; padding: 6px 10px 8px;
  font-size: 13px; align-self: start; min-width: 0; }
.chart fieldset.picker .pick-list { max-height: 300px; overflow-y: auto; }
.chart fieldset.picker svg.key { flex: none; margin-right: 5px; }
.chart fieldset.picker legend { font-weight: 600; padding: 0 4px; }
.chart fieldset.picker label { display: flex; align-items: center; gap: 2px; cursor: pointer; padding: 1px 0;
  overflow-wrap: anywhere; }
.chart fieldset.picker input { margin: 0 6px 0 0; }
.chart .chance-key { color: var(--muted); margin-top: 4px; font-style: italic; }
.chart .pick-buttons { margin: 0 0 6px; display: flex; flex-wrap: wrap; gap: 4px; }
.chart .pick-buttons button { font-size: 12px; padding: 1px 7px; border: 1px solid #c9d1d8; background: #fafbfc;
  border-radius: 4px; cursor: pointer; }
.chart .chart-caption { grid-column: 1 / -1; margin: 0; font-size: 12.5px; color: var(--muted); }
details.cmp { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 0 0 8px; }
details.cmp > summary { cursor: pointer; padding: 8px 14px; font-size: 14px; }
details.cmp > summary .sum-bits { color: var(--muted); margin-left: 12px; font-size: 13px; }
details.cmp[open] > summary { border-bottom: 1px solid var(--line); }
details.cmp > .reading { border: none; border-left: 4px solid var(--accent); border-radius: 0; margin: 10px 14px; }
details.cmp > .grid { padding: 0 14px 14px; }
.reading { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--accent);
  border-radius: 8px; padding: 12px 16px; margin: 0 0 12px; }
.reading h3 { margin: 0 0 6px; }
.reading p { margin: 0; }
.reading ul.notes { margin: 8px 0 0; padding-left: 18px; color: var(--muted); font-size: 13.5px; }
.reading.further { margin-top: 18px; border-left-color: #009E73; }
.reading.further p + p { margin-top: 6px; }
.stats { color: var(--muted); font-size: 14px; margin: -4px 0 14px; }
.grid { display: grid; align-items: start; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
figure.card { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 12px 10px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
figure.card img { display:block; width: 100%; height: auto; }
figure.card.wide { grid-column: 1 / -1; }
figure.card.wide img { max-width: 680px; margin: 0 auto; }
figure.card.wide figcaption { max-width: 680px; margin-left: auto; margin-right: auto; }
figure.card.wide img[style], figure.card.wide figcaption[style] { width: 100%; }
figure.card figcaption { font-size: 13px; color: var(--muted); margin-top: 8px; line-height: 1.45; }
figure.card figcaption .links { display:block; margin-top: 4px; font-size: 12.5px; }
figure.card figcaption .links a { margin-right: 10px; }
.table-card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin: 0 0 18px; }
.table-card h3 { margin: 0 0 4px; }
.table-card p.caption { margin: 0 0 10px; color: var(--muted); font-size: 13.5px; }
.table-card .links { font-size: 12.5px; margin-top: 8px; }
.table-card .links a { margin-right: 10px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; width: auto; min-width: 60%; }
th, td { padding: 5px 10px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
thead th { border-bottom: 2px solid #c9d1d8; font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td .ci { display: block; font-size: 11.5px; color: var(--muted); }
tbody tr:hover { background: #f7fafd; }
ul.allnotes li { margin-bottom: 4px; }
footer { margin-top: 40px; padding-top: 14px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 13.5px; }
footer p { margin: 0 0 8px; }
.empty { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .chart { grid-template-columns: 1fr; } }
@media (max-width: 640px) { main { padding: 8px 12px 32px; } .grid { grid-template-columns: 1fr; } }
"""



def _e(s) -> str:
    return escape(str(s), quote=True)


def _href(rel_dir: str, path: Path) -> str:
    return f"{rel_dir}/{quote(path.name)}"


def _svg_data_uri(path: Path) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figure_group(heading: str, figs: list[FigureFile], figures_rel: str, wide: bool = False,
                  anchor: str | None = None) -> list[str]:
    if not figs:
        return []
    aid = f' id="{_e(anchor)}"' if anchor else ""
    return ([f"<h3{aid}>{_e(heading)}</h3><div class=\"grid\">"]
            + [_figure_html(f, figures_rel, wide=wide) for f in figs] + ["</div>"])


def _figure_html(f: FigureFile, figures_rel: str, wide: bool = False, anchor: bool = True) -> str:
    """One figure card: the SVG inline (as a data URI), its caption and links to its files. A
    drawing wider than one plot (small multiples) spans the grid's row, at most its own size."""
    try:
        width_in = f.size_inches[0]
    except OSError:
        width_in = 6.0
    panels = width_in > 7.5
    style = f' style="max-width:{round(width_in * 96)}px"' if wide or panels else ""
    links = [f'<a href="{_e(_href(figures_rel, path))}">{label}</a>'
             for label, path in (("PNG", f.png), ("SVG", f.svg), ("PDF", f.pdf)) if path is not None]
    fid = f' id="fig-{_e(f.stem)}"' if anchor else ""
    return (
        f'<figure class="card{" wide" if wide or panels else ""}"{fid}>'
        f'<a href="{_e(_href(figures_rel, f.svg))}" title="open the SVG">'
        f'<img src="{_svg_data_uri(f.svg)}" alt="{_e(f.benchmark)}: {_e(f.title)}" loading="lazy"{style}></a>'
        f'<figcaption{style}>{_e(f.caption)}<span class="links">{"".join(links)}</span></figcaption></figure>'
    )


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


_NUMERIC = re.compile(r"^[<>]?\s*[-+]?\d[\d.,eE+\-]*(%|\s*\(.*\)|\s*\[.*\])?$|^\[.*\]$|^\d+(–\d+| to >\d+)?$|^>\d+$")
_CI = re.compile(r"^(\S+) \[(\S+), (\S+)\]$")


def _looks_numeric(v) -> bool:
    return _is_num(v) or bool(_NUMERIC.match(str(v).strip()))


def _cell_html(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        v = f"{v:.4g}"
    m = _CI.match(str(v))
    if m:  # "0.423 [0.401, 0.447]" -> estimate over a small interval line
        return f'{_e(m.group(1))}<span class="ci">{_e(m.group(2))}–{_e(m.group(3))}</span>'
    return _e(v)


def table_html(rows: list[dict]) -> str:
    """Rows of dicts as an HTML table (cells escaped; numeric columns right-aligned)."""
    cols = columns(rows)
    if not cols:
        return '<p class="empty">Nothing to show.</p>'
    numeric = {c: all(_looks_numeric(r.get(c)) for r in rows if r.get(c) not in (None, "", "none"))
               for c in cols}
    head = "".join(f'<th{" class=num" if numeric[c] else ""}>{_e(c)}</th>' for c in cols)
    body = []
    for r in rows:
        cells = "".join(f'<td{" class=num" if numeric[c] else ""}>{_cell_html(r.get(c, ""))}</td>' for c in cols)
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _models_html(analysis: Analysis, colors: dict[str, str], dark: bool = False) -> str:
    out = []
    for m in model_order(analysis):
        tag = '<span class="ref-tag">reference</span>' if m == analysis.reference else ""
        out.append(f'<span class="model"><span class="swatch" style="background:{colors[m]}"></span>'
                   f'{_e(m)}{tag}</span>')
    return "".join(out)


def _prompts_line(templates: dict[str, tuple[str | None, str | None]]) -> str | None:
    """Which prompt template each model was sampled with (``Analysis.templates``), if sampled here."""
    if not templates:
        return None
    by_template: dict[str, list[str]] = {}
    for model, (name, fingerprint) in templates.items():
        by_template.setdefault(f"{name} ({fingerprint})", []).append(model)
    parts = [f"{name}: {', '.join(models)}" for name, models in by_template.items()]
    same = " — the same prompt for every model" if len(by_template) == 1 else " — models got DIFFERENT prompts"
    return "; ".join(parts) + same


def _further_html(bench, figs: list[FigureFile], figures_rel: str) -> list[str]:
    """The further analyses of one benchmark: a reading card (with what was skipped and why), then
    their figures."""
    sentences, skipped = further_sentences(bench), skipped_lines(bench)
    if not sentences and not skipped and not figs:
        return []
    out = [f'<div class="reading further"><h3>{_e(bench.benchmark)}: further analyses</h3>']
    out += [f"<p>{_e(t)}</p>" for t in sentences]
    if not sentences:
        out.append('<p class="empty">None of the further analyses applies to this benchmark\'s data.</p>')
    if skipped:
        out.append('<ul class="notes skipped">' + "".join(f"<li>{_e(x)}</li>" for x in skipped) + "</ul>")
    out.append("</div>")
    titles = {"extrapolation": "pass@k beyond the sampled n", "budget": "Budget matching",
              "answers": "Answer diversity", "sweep": "Checkpoint sweeps",
              "algorithms": "Algorithms against the reference (ΔSE, pass@1, pass@k_max)"}
    for kind, title in titles.items():
        out += _figure_group(title, [f for f in figs if f.kind == kind], figures_rel)
    return out


def _comparison_details(bench, comp, mine: list[FigureFile], figures_rel: str, colors: dict[str, str],
                        overview: str | None = None) -> list[str]:
    """One comparison, folded: its reading (the per-pair prose) and its figures, under an anchor (or,
    when the figures are overviews with a panel per comparison, a link to them: ``overview``)."""
    r = comparison_reading(bench, comp)
    x = comp.crossover
    if x.k is None:
        kx = f"no crossover ≤ {x.k_max}"
    else:
        kx = f"k* = {x.k} ({fmt_k_interval(x.lower, x.upper, x.k_max)})"
    cov = next((c for c in bench.coverages if (c.model_a, c.model_b) == (comp.reference, comp.other)), None)
    bits = [kx]
    if cov is not None:
        bits.append(f"only {comp.reference}: {fmt_count(cov.only_a, cov.exact)}, only {comp.other}: "
                    f"{fmt_count(cov.only_b, cov.exact)}")
    color = colors.get(comp.other, "#333")
    pair = (comp.reference, comp.other)
    figs = [f for f in mine if f.pair == pair and f.kind == "diff"] + \
        [f for f in mine if f.pair == pair and f.kind == "coverage"] + \
        [f for f in mine if f.pair == pair and f.kind not in ("diff", "coverage")]
    out = [f'<details class="cmp" id="{_e(comparison_anchor(bench.benchmark, comp.other))}">'
           f'<summary><span class="swatch" style="background:{_e(color)}"></span>'
           f'<strong>{_e(comp.reference)} vs {_e(comp.other)}</strong>'
           f'<span class="sum-bits">{_e(" · ".join(bits))}</span></summary>'
           f'<div class="reading"><p>{_e(r.text)}</p>']
    if r.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in r.notes) + "</ul>")
    out.append("</div>")
    if figs:
        out.append('<div class="grid">' + "".join(_figure_html(f, figures_rel) for f in figs) + "</div>")
    elif overview:
        out.append(f'<p class="caption">Its difference and coverage are panels of the <a href="#{_e(overview)}">'
                   f'overview figures</a> above.</p>')
    out.append("</details>")
    return out


def _answer_block(analysis: Analysis, bench, colors: dict[str, str], samples_href: str | None,
                  bench_ids: dict[str, str], lead: Sequence[str] = ()) -> list[str]:
    """The top of the page for one benchmark: headline table, one reading sentence, ``lead`` (figure
    cards: a long checkpoint sweep's figure, which says more at a glance than 100 rows), the chart."""
    aid = f"answer-{slug(bench.benchmark)}"
    n_prob = max(bench.problems.values()) if bench.problems else 0
    k_max = int(next(iter(bench.curves.values())).ks[-1]) if bench.curves else 0
    stats = f"{n_prob} problems · k up to {k_max}"
    if len(set(bench.problems.values())) > 1:
        stats = "problems: " + ", ".join(f"{m} {bench.problems[m]}" for m in bench.models) + f" · k up to {k_max}"
    out = [f'<div class="answer" id="{_e(aid)}"><h2>{_e(bench.benchmark)} <span class="h-stats">{_e(stats)}'
           f'</span><a class="more" href="#{_e(bench_ids[bench.benchmark])}">details ↓</a></h2>']
    out.append(headline_table_html(bench, colors, analysis.config.level, samples_href=samples_href))
    out.append(f'<p class="lede">{_e(benchmark_sentence(bench))}</p>')
    if bench.notes:
        out.append(f'<p class="notes-hint">{len(bench.notes)} note{"s" if len(bench.notes) != 1 else ""} on this '
                   f'benchmark\'s data: <a href="#notes">Notes</a>.</p>')
    if lead:
        out.append(f'<div class="grid">{"".join(lead)}</div>')
    if bench.curves:
        out.append(passk_chart(bench, colors, analysis.config.level, answer_space=analysis.config.answer_space))
    out.append("</div>")
    return out


def render_html(analysis: Analysis, figures: list[FigureFile], tables: list[Table], *,
                figures_rel: str = "figures", tables_rel: str = "tables",
                extras: Sequence[tuple[str, str, str]] = (), samples_href: str | None = None) -> str:
    """The report page as a string (figures are read from their SVG files and embedded).

    The page opens on the answer: per benchmark, the headline table (``report.headline``), one
    reading sentence and the interactive pass@k chart (``report.interactive``); the details follow
    (every figure, each comparison's prose and figures folded under its anchor), then ``extras``,
    the tables, the notes, the run and the method. A contents bar stays in view.

    ``extras``: further sections ``(anchor, title, inner HTML)`` placed before the tables and
    listed in the contents; their HTML must already be escaped by the caller.
    ``samples_href``: the sample browser next to the page (``samples.html``), or None when there is
    none; the headline tables link their problems into it.
    """
    from boundary._version import __version__
    cfg = analysis.config
    colors = model_colors(analysis)
    lv = level_pct(cfg.level)
    settings = [f"n_boot = {cfg.n_boot}", f"level = {lv}", f"seed = {cfg.seed}"]
    if cfg.k is not None:
        settings.append(f"coverage k = {cfg.k}")
    if cfg.k_max is not None:
        settings.append(f"k_max = {cfg.k_max}")
    if cfg.answer_space is not None:
        settings.append(f"answer space m = {cfg.answer_space}")
    bench_ids = {b.benchmark: f"bench-{slug(b.benchmark)}" for b in analysis.benchmarks}
    models = model_order(analysis)

    p: list[str] = []
    p.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             f"<title>Reasoning boundary — {_e(analysis.run or 'report')}</title>"
             f"<style>{CSS}</style></head><body>")
    # ---- header: one line
    summary_bits = [f"{len(models)} model{'s' if len(models) != 1 else ''}",
                    f"{len(analysis.benchmarks)} benchmark{'s' if len(analysis.benchmarks) != 1 else ''}"]
    if analysis.reference:
        summary_bits.append(f"reference {analysis.reference}")
    summary_bits.append(f"{lv} bootstrap intervals, {cfg.n_boot} replicates")
    p.append('<header class="top"><div class="inner"><h1>Reasoning boundary report</h1>'
             f'<span class="run">{_e(analysis.run or "(no run path)")}</span>'
             f'<span class="hsum">{_e(" · ".join(summary_bits))} · <a href="#run">run details</a></span>'
             '</div></header>')
    # ---- contents bar (sticky)
    toc = ['<a href="#answer"><strong>Answer</strong></a>']
    if len(analysis.benchmarks) > 1:
        toc += [f'<a href="#answer-{_e(slug(b.benchmark))}">{_e(b.benchmark)}</a>' for b in analysis.benchmarks]
    toc.append('<span class="sep">|</span>')
    toc += [f'<a href="#{_e(bench_ids[b.benchmark])}">{_e(b.benchmark)} details</a>' for b in analysis.benchmarks]
    toc += [f'<a href="#{_e(a)}">{_e(t)}</a>' for a, t, _ in extras]
    toc += ['<a href="#tables">Tables</a>', '<a href="#notes">Notes</a>', '<a href="#run">Run</a>',
            '<a href="#method">Method</a>']
    p.append(f'<nav class="toc" aria-label="contents"><div class="inner">{"".join(toc)}</div></nav><main>')
    # ---- the answer, per benchmark
    p.append('<section id="answer" aria-label="the answer at a glance">')
    for b in analysis.benchmarks:
        long_sweeps = {f"{slug(b.benchmark)}_sweep_{slug(sw.series)}" for sw in b.sweeps
                       if len(sw.points) > SWEEP_LABELS_UP_TO}
        lead = [_figure_html(f, figures_rel, wide=True, anchor=False) for f in figures
                if f.benchmark == b.benchmark and f.kind == "sweep" and f.stem in long_sweeps]
        p += _answer_block(analysis, b, colors, samples_href, bench_ids, lead)
    p.append("</section>")
    # ---- details, per benchmark
    for b in analysis.benchmarks:
        p.append(f'<section id="{_e(bench_ids[b.benchmark])}" class="details"><h2>{_e(b.benchmark)}: details</h2>')
        stats = ", ".join(f"{_e(m)}: {b.problems[m]} problems" for m in b.models)
        p.append(f'<p class="stats">{stats}</p>')
        mine = [f for f in figures if f.benchmark == b.benchmark]
        p += _figure_group("pass@k curves", [f for f in mine if f.kind == "passk"], figures_rel, wide=True,
                           anchor=f"{bench_ids[b.benchmark]}-passk")
        if b.comparisons:
            p.append(f'<h3 id="{_e(bench_ids[b.benchmark])}-comparisons">Each comparison with {_e(b.reference)} '
                     '<span class="h-stats">(click to unfold its reading and figures)</span></h3>')
            overview = [f for f in mine if f.pair is None and f.kind in ("diff", "coverage")]
            if overview:               # above four models: one figure per kind, a panel per comparison
                p += _figure_group(f"Differences and coverage against {b.reference}, every comparison", overview,
                                   figures_rel, wide=True, anchor=f"{bench_ids[b.benchmark]}-overview")
            for c in b.comparisons:
                p += _comparison_details(b, c, mine, figures_rel, colors,
                                         overview=f"{bench_ids[b.benchmark]}-overview" if overview else None)
        else:
            for r in benchmark_readings(b):
                p.append(f'<div class="reading"><p>{_e(r.text)}</p></div>')
        further_kinds = ("extrapolation", "budget", "answers", "sweep", "algorithms")
        placed = {id(f) for f in mine if f.kind in ("passk", "diff", "coverage") or f.pair is not None
                  or f.kind in further_kinds}
        p += _figure_group("Accuracy distribution and Cover@τ",
                           [f for f in mine if f.kind == "histogram"] + [f for f in mine if f.kind == "cover"]
                           + [f for f in mine if id(f) not in placed and f.kind not in ("histogram", "cover")],
                           figures_rel, anchor=f"{bench_ids[b.benchmark]}-distribution")
        p += _further_html(b, [f for f in mine if f.kind in further_kinds], figures_rel)
        p.append("</section>")
    for anchor, title, body in extras:
        p.append(f'<section id="{_e(anchor)}"><h2>{_e(title)}</h2>{body}</section>')
    # ---- tables
    p.append('<section id="tables"><h2>Tables</h2>')
    for t in tables:
        links = [f'<a href="{_e(tables_rel)}/{_e(quote(t.name))}.csv">CSV</a>']
        if not t.long:
            links += [f'<a href="{_e(tables_rel)}/{_e(quote(t.name))}.md">Markdown</a>',
                      f'<a href="{_e(tables_rel)}/{_e(quote(t.name))}.tex">LaTeX</a>']
        p.append(f'<div class="table-card" id="table-{_e(t.name)}"><h3>{_e(t.title)}</h3>')
        if t.long:
            p.append(f'<p class="caption">{len(t.rows)} rows, one per k: too long to show here.</p>')
        else:
            if t.caption:
                p.append(f'<p class="caption">{_e(t.caption)}</p>')
            p.append(table_html(t.display_rows if t.display_rows is not None else t.rows))
        p.append(f'<div class="links">{"".join(links)}</div></div>')
    p.append("</section>")
    # ---- notes
    p.append('<section id="notes"><h2>Notes</h2>')
    notes = [(b.benchmark, n) for b in analysis.benchmarks for n in b.notes]
    notes += [(b.benchmark, x) for b in analysis.benchmarks for x in skipped_lines(b)]
    if notes:
        p.append('<ul class="allnotes">' + "".join(f"<li><strong>{_e(bn)}</strong>: {_e(n)}</li>"
                                                   for bn, n in notes) + "</ul>")
    else:
        p.append('<p class="empty">No notes: every model has the same problems and the same number '
                 'of samples per problem on every benchmark.</p>')
    p.append("</section>")
    # ---- the run
    p.append('<section id="run"><h2>Run</h2><dl class="meta">')
    p.append(f'<dt>run</dt><dd class="mono">{_e(analysis.run or "(no run path)")}</dd>')
    p.append(f"<dt>models</dt><dd>{_models_html(analysis, colors)}</dd>")
    p.append(f"<dt>reference</dt><dd>{_e(analysis.reference) if analysis.reference else '—'}</dd>")
    p.append(f"<dt>benchmarks</dt><dd>{_e(', '.join(b.benchmark for b in analysis.benchmarks))}</dd>")
    p.append(f"<dt>settings</dt><dd>{_e(' · '.join(settings))}</dd>")
    prompts = _prompts_line(analysis.templates)
    if prompts:
        p.append(f"<dt>prompts</dt><dd>{_e(prompts)}</dd>")
    p.append("</dl></section>")
    # ---- footer
    p.append(f"""<footer id="method"><h2>Method</h2>
<p><strong>pass@k.</strong> For a problem with n samples of which c are correct, the unbiased
estimator of Chen et al. (2021) is pass@k = 1 − C(n−c, k) / C(n, k): the probability that at least one
of k samples drawn without replacement from the n is correct. Curves are its mean over problems, for
k = 1 … k_max (k_max ≤ the smallest n), as in Yue et al. (2025, arXiv 2504.13837).</p>
<p><strong>Uncertainty.</strong> Bands and intervals are {_e(lv)} percentile-bootstrap intervals
over problems ({cfg.n_boot} replicates, seed {cfg.seed}): each replicate redraws the problems with
replacement, and the models of a comparison share the same draw (paired bootstrap), so differences,
the crossover k* (the smallest k at which the reference's pass@k reaches the other model's) and ΔSE
keep their pairing. Samples within a problem are never resampled. Bands are pointwise, not
simultaneous.</p>
<p><strong>Coverage</strong> counts problems solved (≥ 1 correct) within k samples; at k &lt; n the
cells are expectations over k-subsets. McNemar's exact test compares the two discordant cells.
<strong>ΔSE</strong> = pass@k_max(reference) − pass@1(other). <strong>Cover@τ</strong> is the share of
problems with accuracy c/n ≥ τ.</p>
<p><strong>Beyond n.</strong> Maximum-likelihood fits of the problems' success probabilities to a
beta-binomial, and to a zero-inflated one (a share π0 of problems with p = 0), give
pass@k = (1 − π0)(1 − B(α, β + k)/B(α, β)) for any k (Kazdan, Schaeffer et al. 2025), with a bootstrap
interval over problems; the check refits on a subset of each problem's samples and predicts pass@n.
<strong>Support dynamics</strong> (Wu et al. 2025): SRR = P/(P+S), NDR = E/(P+E), SDS their harmonic
mean, NSCR = (E−S)/(P+E+S) over preserved, expanded and shrunk problems; ε = −ln ζ / k.
<strong>Budget matching</strong> gives each model k = budget / its mean answer length.
<strong>Answer diversity</strong> is the entropy (nats) of each problem's final answers.</p>
<p>Generated by boundary {_e(__version__)} on {_dt.date.today().isoformat()}.</p>
</footer></main>
""")
    p.append(f"<script>{CHART_JS}</script></body></html>\n")
    return "".join(p)


def write_html(analysis: Analysis, figures: list[FigureFile], tables: list[Table], out_dir: str | Path,
               extras: Sequence[tuple[str, str, str]] = (), samples_href: str | None = None) -> Path:
    """Write ``out_dir/index.html``; figure and table links are relative to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig_dirs = {f.svg.parent.resolve() for f in figures}
    figures_rel = "figures"
    if len(fig_dirs) == 1:
        try:
            figures_rel = fig_dirs.pop().relative_to(out_dir.resolve()).as_posix()
        except ValueError:
            pass
    path = out_dir / "index.html"
    path.write_text(render_html(analysis, figures, tables, figures_rel=figures_rel, extras=extras,
                                samples_href=samples_href), encoding="utf-8")
    return path


__all__ = ["render_html", "write_html", "table_html", "CSS"]
