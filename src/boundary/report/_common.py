"""Helpers shared by the report modules: stable file-name slugs, model colours, number formats."""

from __future__ import annotations

import hashlib
import math
import re

# Okabe–Ito colour-blind-safe palette (minus yellow, which vanishes on white, and black, which is the
# chance floor's; sky blue moved to the tenth place, away from the reference's blue), then colours
# picked greedily to keep the 20 as far apart as possible (smallest CIELAB ΔE between any two: 23),
# lightness between 30 and 78 so that none looks black, grey or white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#6A3D9A", "#66A61E", "#E7298A",
           "#8C564B", "#56B4E9", "#882255", "#E31A1C", "#BCBD22", "#FB9A99", "#A6761D", "#CAB2D6",
           "#17BECF", "#AA4499", "#B15928", "#999933")

CHANCE_COLOR = "#222222"
"""The chance floor: near-black and dashed, never a model's colour."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str) -> str:
    """A file-name-safe, stable form of ``name``.

    Safe names are kept as they are; anything else is reduced to ``[A-Za-z0-9._-]`` and gets a short
    hash of the original so that distinct names ("a/b", "a-b", "a<b") never share a file.

    Examples:
        >>> slug("base")
        'base'
        >>> slug("Qwen/Qwen2.5-7B")[:16]
        'Qwen-Qwen2.5-7B-'
    """
    s = _UNSAFE.sub("-", name).strip("-.") or "x"
    if s == name:
        return s
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return f"{s[:60]}-{digest}"


def model_order(analysis) -> list[str]:
    """Every model of the analysis, reference first, then in order of appearance."""
    seen: list[str] = []
    if analysis.reference is not None:
        seen.append(analysis.reference)
    for b in analysis.benchmarks:
        for m in b.models:
            if m not in seen:
                seen.append(m)
    return seen


def palette(n: int) -> list[str]:
    """``n`` distinct colours: ``PALETTE``, then hues spaced by the golden angle (never a repeat)."""
    import colorsys
    out = list(PALETTE[:n])
    for i in range(n - len(out)):
        h = (0.11 + i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hls_to_rgb(h, 0.45 if i % 2 else 0.58, 0.75)
        out.append(f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}")
    return out


def model_colors(analysis) -> dict[str, str]:
    """One colour per model, the same in every figure and table of the report (reference first)."""
    order = model_order(analysis)
    return dict(zip(order, palette(len(order))))


def fmt_p(p: float) -> str:
    """A p-value for text: two significant digits, '< 0.0001' below that."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    if p < 1e-4:
        return "< 0.0001"
    if p >= 0.1:
        return f"{p:.2f}"
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def fmt_p_eq(p: float) -> str:
    """'p = 0.0072' or 'p < 0.0001'."""
    s = fmt_p(p)
    return f"p {s}" if s.startswith("<") else f"p = {s}"


def fmt_num(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def fmt_count(x: float, exact: bool) -> str:
    """Problem counts: integers when exact, one decimal when they are expectations."""
    return f"{int(round(x))}" if exact else f"{x:.1f}"


def fmt_k_interval(lower: int | None, upper: int | None, k_max: int) -> str:
    """Crossover interval: '4–16', '4 to >128', or '>128' when both ends lie beyond k_max."""
    if lower is None and upper is None:
        return f">{k_max}"
    lo = "?" if lower is None else str(lower)
    if upper is None:
        return f"{lo} to >{k_max}"
    return f"{lo}–{upper}"


def level_pct(level: float) -> str:
    v = level * 100
    return f"{v:.0f}%" if abs(v - round(v)) < 1e-9 else f"{v:g}%"
