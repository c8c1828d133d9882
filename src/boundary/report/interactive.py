"""The headline pass@k chart of a benchmark: inline SVG drawn here from the ``Analysis`` numbers,
made interactive by a few lines of vanilla JavaScript embedded in the page (``CHART_JS``).

- every model's curve (its stable colour) with its pointwise bootstrap band, light enough that
  the curves stay readable with many models; markers at powers of two; a log2 k axis;
- the chance floor, when the analysis has one, in its own style (dark, dashed, thin) and labelled
  on the chart itself;
- hover: the nearest curve point shows k, pass@k and its interval;
- a model picker (one checkbox per model, plus all / none / reference only) shows and hides curves.

No server, no network, no external script: the page stays self-contained and opens from disk.
Every user string (model and benchmark names) is escaped; the data of the hover sit in a
``<script type="application/json">`` block that cannot close its tag.
"""

from __future__ import annotations

import json
import math
from html import escape

import numpy as np

from boundary.analysis.analyze import BenchmarkAnalysis
from boundary.report._common import level_pct, slug

W, H = 760, 380
"""The chart's viewBox; it scales to the width of its column."""
M_LEFT, M_RIGHT, M_TOP, M_BOTTOM = 52, 18, 14, 44
CHANCE_STYLE = 'stroke="#3a3a3a" stroke-width="1.4" stroke-dasharray="2 4" stroke-linecap="round"'
BAND_OPACITY = 0.13
QUIET_BANDS = 4
"""With more models than this, only the reference's band is drawn until a curve is hovered (its band
then shows): nine overlapping bands would hide the curves."""
MAX_POINTS = 160
"""Points drawn (and offered to the hover) per curve: every k up to 64, then a log-spaced subset."""


def _e(s) -> str:
    return escape(str(s), quote=True)


def chart_id(benchmark: str) -> str:
    return f"chart-{slug(benchmark)}"


def _ks_to_draw(k_max: int) -> np.ndarray:
    """k = 1..k_max, thinned to about ``MAX_POINTS`` log-spaced values (powers of 2 and k_max kept)."""
    if k_max <= MAX_POINTS:
        return np.arange(1, k_max + 1)
    grid = np.unique(np.round(np.exp(np.linspace(0, math.log(k_max), MAX_POINTS))).astype(int))
    pow2 = 2 ** np.arange(int(math.log2(k_max)) + 1)
    return np.unique(np.concatenate([grid, pow2, [k_max]]))


def _y_range(bench: BenchmarkAnalysis) -> tuple[float, float]:
    lo = min(float(np.min(b.lower)) for b in bench.curves.values())
    hi = max(float(np.max(b.upper)) for b in bench.curves.values())
    if bench.chance is not None:
        lo = min(lo, float(np.min(bench.chance)))
    lo = max(0.0, math.floor(lo * 10 - 1e-9) / 10)
    hi = min(1.0, math.ceil(hi * 10 + 1e-9) / 10)
    if hi - lo < 0.2:
        lo, hi = max(0.0, lo - 0.1), min(1.0, hi + 0.1)
    return lo, hi


DASHES = ("", "8 3", "3 2", "10 3 2 3")
"""Line styles of the models whose colour repeats (the palette has 12 colours): the 13th model on is dashed."""


def _dash(model: str, colors: dict[str, str]) -> str:
    """The stroke-dasharray attribute of a model's curve: none for the first cycle of the palette."""
    order = list(colors)
    if model not in order:
        return ""
    cycle = (order.index(model) // max(1, len(set(colors.values())))) % len(DASHES)
    return f' stroke-dasharray="{DASHES[cycle]}"' if cycle else ""


def _chance_label_at(ks, chance, curves, name: str, px, py) -> tuple[float, float]:
    """Where the chance floor's label goes: just above the floor, on the stretch of k where the floor
    lies furthest below every curve (the label must not sit on a curve)."""
    width = 6.6 * len(name) + 6
    xs = np.array([px(float(k)) for k in ks])
    y_floor = np.array([py(float(v)) for v in chance])
    y_low = np.max(np.array([[py(float(v)) for v in c] for c in curves]), axis=0) if curves else y_floor - 100
    best, where = -np.inf, (xs[0] + 4, y_floor[0] - 5)
    for x in xs:
        span = (xs >= x) & (xs <= x + width)
        if x + width > xs[-1]:
            break
        base = float(np.min(y_floor[span])) - 5          # the baseline, above the floor along the label
        free = base - 12 - float(np.max(y_low[span]))      # room between the lowest curve and the label's top
        if free > best + 1:
            best, where = free, (float(x) + 2, base)
    return where


def passk_chart(bench: BenchmarkAnalysis, colors: dict[str, str], level: float, *,
                answer_space: int | None = None) -> str:
    """The chart of one benchmark as HTML: the SVG, its model picker, its tooltip and its data."""
    cid = chart_id(bench.benchmark)
    models = [m for m in bench.models if m in bench.curves]
    if bench.reference in models:
        models = [bench.reference] + [m for m in models if m != bench.reference]
    k_max = int(next(iter(bench.curves.values())).ks[-1])
    ks = _ks_to_draw(k_max)
    lx_max = math.log2(k_max) if k_max > 1 else 1.0
    x0, x1 = (-0.5, 0.5) if k_max == 1 else (0.0, lx_max)
    y0, y1 = _y_range(bench)
    pw, ph = W - M_LEFT - M_RIGHT, H - M_TOP - M_BOTTOM

    def px(k: float) -> float:
        return M_LEFT + (math.log2(k) - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return M_TOP + (1 - (v - y0) / (y1 - y0)) * ph

    def pts(xs, ys) -> str:
        return " ".join(f"{px(float(k)):.1f},{py(float(v)):.1f}" for k, v in zip(xs, ys))

    lv = level_pct(level)
    label = (f"pass@k on {bench.benchmark} for k = 1 to {k_max}, log2 k axis, {len(models)} model"
             f"{'s' if len(models) != 1 else ''} with {lv} bootstrap bands"
             + (", and the chance floor" if bench.chance is not None else ""))
    s: list[str] = [f'<svg class="passk-chart" id="{_e(cid)}-svg" viewBox="0 0 {W} {H}" role="img" '
                    f'aria-label="{_e(label)}" preserveAspectRatio="xMidYMid meet">'
                    f'<title>{_e(label)}</title>']
    # ---- grid and axes
    s.append('<g class="axes" font-size="12" fill="#4a545e">')
    step = 0.1 if y1 - y0 <= 0.6 else 0.2
    v = math.ceil(y0 / step - 1e-9) * step
    while v <= y1 + 1e-9:
        y = py(v)
        s.append(f'<line x1="{M_LEFT}" x2="{W - M_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e9ec"/>'
                 f'<text x="{M_LEFT - 7}" y="{y + 4:.1f}" text-anchor="end">{v:.1f}</text>')
        v += step
    xt = [2 ** i for i in range(int(math.log2(k_max)) + 1)] if k_max > 1 else [1]
    if len(xt) > 12:
        xt = xt[::2] if xt[-1] == 2 ** (len(xt) - 1) else xt
    if xt[-1] != k_max and px(k_max) - px(xt[-1]) > 28:
        xt.append(k_max)
    for k in xt:
        x = px(k)
        s.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{M_TOP}" y2="{M_TOP + ph}" stroke="#eef0f2"/>'
                 f'<text x="{x:.1f}" y="{M_TOP + ph + 17}" text-anchor="middle">{k}</text>')
    s.append(f'<line x1="{M_LEFT}" x2="{W - M_RIGHT}" y1="{M_TOP + ph}" y2="{M_TOP + ph}" stroke="#7d868f"/>'
             f'<line x1="{M_LEFT}" x2="{M_LEFT}" y1="{M_TOP}" y2="{M_TOP + ph}" stroke="#7d868f"/>'
             f'<text x="{M_LEFT + pw / 2:.1f}" y="{H - 6}" text-anchor="middle" fill="#2a3640">'
             f'k (samples per problem, log₂ scale)</text>'
             f'<text transform="translate(13 {M_TOP + ph / 2:.1f}) rotate(-90)" text-anchor="middle" '
             f'fill="#2a3640">pass@k</text></g>')
    # ---- bands first (all under every curve), then curves
    data_series = []
    bands, curves = [], []
    for m in models:
        b = bench.curves[m]
        c = colors.get(m, "#333")
        idx = ks - 1
        est, lo, hi = b.estimate[idx], b.lower[idx], b.upper[idx]
        data_series.append({"m": m, "c": c, "ref": m == bench.reference,
                            "e": [round(float(x), 4) for x in est], "l": [round(float(x), 4) for x in lo],
                            "u": [round(float(x), 4) for x in hi]})
        attrs = f'data-model="{_e(m)}" class="series"'
        if k_max == 1:
            x = px(1)
            bands.append(f'<g {attrs}><line x1="{x:.1f}" x2="{x:.1f}" y1="{py(float(lo[0])):.1f}" '
                         f'y2="{py(float(hi[0])):.1f}" stroke="{_e(c)}" stroke-width="2" opacity="0.5"/></g>')
            curves.append(f'<g {attrs}><circle cx="{x:.1f}" cy="{py(float(est[0])):.1f}" r="4.5" fill="{_e(c)}"/></g>')
            continue
        poly = pts(ks, hi) + " " + pts(ks[::-1], lo[::-1])
        quiet = len(models) > QUIET_BANDS and m != bench.reference
        battrs = f'data-model="{_e(m)}" class="series band{" quiet" if quiet else ""}"'
        bands.append(f'<g {battrs}><polygon points="{poly}" fill="{_e(c)}" fill-opacity="{BAND_OPACITY}" '
                     f'stroke="none"/></g>')
        width = 2.6 if m == bench.reference else 1.8
        dash = _dash(m, colors)
        pow2 = [k for k in xt if k <= k_max]
        marks = "".join(f'<circle cx="{px(k):.1f}" cy="{py(float(b.estimate[k - 1])):.1f}" r="2.6"/>'
                        for k in pow2)
        curves.append(f'<g {attrs}><polyline points="{pts(ks, est)}" fill="none" stroke="{_e(c)}" '
                      f'stroke-width="{width}" stroke-linejoin="round"{dash}/><g fill="{_e(c)}">{marks}</g></g>')
    s += bands
    chance = None
    if bench.chance is not None and k_max > 1:
        ch = np.asarray(bench.chance)[ks - 1]
        chance = [round(float(x), 5) for x in ch]
        name = f"chance floor (m = {answer_space})" if answer_space is not None else "chance floor (blind guessing)"
        lx, ty = _chance_label_at(ks, ch, [bench.curves[m].estimate[ks - 1] for m in models], name, px, py)
        s.append(f'<g class="chance"><polyline points="{pts(ks, ch)}" fill="none" {CHANCE_STYLE}/>'
                 f'<text x="{lx:.1f}" y="{ty:.1f}" font-size="12" fill="#3a3a3a" '
                 f'font-style="italic" paint-order="stroke" stroke="#fff" stroke-width="3.5" '
                 f'stroke-linejoin="round">{_e(name)}</text></g>')
    s += curves
    s.append(f'<g class="hover" pointer-events="none" visibility="hidden"><line class="vline" y1="{M_TOP}" '
             f'y2="{M_TOP + ph}" stroke="#9aa3ab" stroke-dasharray="3 3"/><line class="ci" stroke-width="3" '
             f'stroke-linecap="round" opacity="0.55"/><circle class="dot" r="5" fill="#fff" stroke-width="2.5"/></g>')
    s.append(f'<rect class="hit" x="{M_LEFT}" y="{M_TOP}" width="{pw}" height="{ph}" fill="transparent"/></svg>')
    data = {"ks": [int(k) for k in ks], "series": data_series, "chance": chance, "level": lv,
            "box": [M_LEFT, M_TOP, pw, ph], "x": [x0, x1], "y": [y0, y1], "W": W, "H": H}
    # ---- the picker
    pick = ['<fieldset class="picker" aria-label="models shown in the chart"><legend>models</legend>']
    if len(models) > 2:
        pick.append('<div class="pick-buttons"><button type="button" data-pick="all">all</button>'
                    '<button type="button" data-pick="none">none</button>'
                    + ('<button type="button" data-pick="ref">reference only</button>' if bench.reference else "")
                    + '</div>')
    pick.append('<div class="pick-list">')
    for m in models:
        c = colors.get(m, "#333")
        tag = ' <span class="ref-tag">ref</span>' if m == bench.reference else ""
        key = (f'<svg class="key" width="20" height="10" aria-hidden="true"><line x1="1" x2="19" y1="5" y2="5" '
               f'stroke="{_e(c)}" stroke-width="{3 if m == bench.reference else 2.2}"{_dash(m, colors)}/></svg>')
        pick.append(f'<label><input type="checkbox" checked value="{_e(m)}">{key}'
                    f'<span class="pname">{_e(m)}</span>{tag}</label>')
    pick.append('</div>')
    if bench.chance is not None and k_max > 1:
        pick.append('<div class="chance-key"><svg width="20" height="8" aria-hidden="true"><line x1="1" x2="19" '
                    f'y1="4" y2="4" {CHANCE_STYLE}/></svg> chance floor</div>')
    pick.append('</fieldset>')
    payload = (json.dumps(data, ensure_ascii=False, separators=(",", ":"))
               .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    many = len(models) > QUIET_BANDS
    caption = (f"Mean pass@k over problems, {lv} pointwise bootstrap bands (shaded"
               + (f": {bench.reference}'s, and a hovered model's" if many and bench.reference in models
                  else ": a hovered model's" if many else "")
               + "), dots at powers of two"
               + (f"; {bench.reference} drawn thicker" if bench.reference in models and len(models) > 1 else "")
               + ". Hover a curve for k, pass@k and its interval; tick models to show or hide them.")
    return (f'<div class="chart" id="{_e(cid)}" data-chart><div class="chart-plot">{"".join(s)}'
            f'<div class="tip" role="status" aria-live="polite" hidden></div></div>{"".join(pick)}'
            f'<p class="chart-caption">{_e(caption)}</p>'
            f'<script type="application/json" class="chart-data">{payload}</script></div>')


CHART_JS = r"""
(function () {
  "use strict";
  function fmt(v) { return v.toFixed(3); }
  document.querySelectorAll("[data-chart]").forEach(function (root) {
    var D = JSON.parse(root.querySelector(".chart-data").textContent);
    var svg = root.querySelector("svg.passk-chart"), tip = root.querySelector(".tip");
    var hover = svg.querySelector("g.hover"), dot = hover.querySelector(".dot"),
        vline = hover.querySelector(".vline"), ci = hover.querySelector(".ci");
    var shown = {};
    D.series.forEach(function (s) { shown[s.m] = true; });
    var bx = D.box[0], by = D.box[1], bw = D.box[2], bh = D.box[3];
    function px(k) { var lx = Math.log2(k); return bx + (lx - D.x[0]) / (D.x[1] - D.x[0]) * bw; }
    function py(v) { return by + (1 - (v - D.y[0]) / (D.y[1] - D.y[0])) * bh; }
    function setShown(m, on) {
      shown[m] = on;
      svg.querySelectorAll("g.series").forEach(function (g) {
        if (g.getAttribute("data-model") === m) g.style.display = on ? "" : "none";
      });
      root.querySelectorAll(".picker input[type=checkbox]").forEach(function (cb) {
        if (cb.value === m) cb.checked = on;
      });
    }
    root.querySelectorAll(".picker input[type=checkbox]").forEach(function (cb) {
      cb.addEventListener("change", function () { setShown(cb.value, cb.checked); });
    });
    root.querySelectorAll(".picker button[data-pick]").forEach(function (b) {
      b.addEventListener("click", function () {
        var how = b.getAttribute("data-pick");
        D.series.forEach(function (s) { setShown(s.m, how === "all" || (how === "ref" && s.ref)); });
      });
    });
    var lit = null;
    function light(m) {
      if (lit === m) return;
      svg.querySelectorAll("g.band.quiet").forEach(function (g) {
        g.classList.toggle("lit", g.getAttribute("data-model") === m);
      });
      lit = m;
    }
    function hide() { hover.setAttribute("visibility", "hidden"); tip.hidden = true; light(null); }
    function move(ev) {
      var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var best = null, bd = Infinity;
      D.series.forEach(function (s) {
        if (!shown[s.m]) return;
        for (var i = 0; i < D.ks.length; i++) {
          var dx = px(D.ks[i]) - p.x, dy = py(s.e[i]) - p.y, d = dx * dx + dy * dy;
          if (d < bd) { bd = d; best = {s: s, i: i}; }
        }
      });
      if (D.chance) {
        for (var j = 0; j < D.ks.length; j++) {
          var ex = px(D.ks[j]) - p.x, ey = py(D.chance[j]) - p.y, dd = ex * ex + ey * ey;
          if (dd < bd) { bd = dd; best = {s: null, i: j}; }
        }
      }
      if (!best || bd > 60 * 60) { hide(); return; }
      var k = D.ks[best.i], x = px(k), text, color;
      if (best.s) {
        var s = best.s, y = py(s.e[best.i]);
        color = s.c;
        light(s.m);
        dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("stroke", color);
        ci.setAttribute("x1", x); ci.setAttribute("x2", x); ci.setAttribute("stroke", color);
        ci.setAttribute("y1", py(s.l[best.i])); ci.setAttribute("y2", py(s.u[best.i]));
        text = [s.m + (s.ref ? " (reference)" : ""), "k = " + k,
                "pass@k = " + fmt(s.e[best.i]),
                D.level + " CI " + fmt(s.l[best.i]) + "–" + fmt(s.u[best.i])];
      } else {
        color = "#3a3a3a";
        light(null);
        dot.setAttribute("cx", x); dot.setAttribute("cy", py(D.chance[best.i])); dot.setAttribute("stroke", color);
        ci.setAttribute("y1", 0); ci.setAttribute("y2", 0); ci.setAttribute("x1", 0); ci.setAttribute("x2", 0);
        text = ["chance floor", "k = " + k, "pass@k = " + D.chance[best.i].toPrecision(3)];
      }
      vline.setAttribute("x1", x); vline.setAttribute("x2", x);
      hover.setAttribute("visibility", "visible");
      tip.replaceChildren();
      text.forEach(function (t, n) {
        var line = document.createElement(n === 0 ? "strong" : "div");
        line.textContent = t;
        if (n === 0) line.style.color = color;
        tip.append(line);
      });
      tip.hidden = false;
      var r = svg.getBoundingClientRect(), host = root.querySelector(".chart-plot").getBoundingClientRect();
      var sx = r.width / D.W, left = r.left - host.left + x * sx + 14;
      if (left + tip.offsetWidth > host.width) left -= tip.offsetWidth + 28;
      tip.style.left = Math.max(0, left) + "px";
      tip.style.top = Math.max(0, r.top - host.top + p.y * (r.height / D.H) - 20) + "px";
    }
    svg.addEventListener("mousemove", move);
    svg.addEventListener("mouseleave", hide);
  });
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") el.open = true;
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


__all__ = ["passk_chart", "chart_id", "CHART_JS", "CHANCE_STYLE"]
