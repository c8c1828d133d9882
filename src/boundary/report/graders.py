"""The report's "Grader sensitivity" section: does the result survive a change of grader?

Drawn from ``Analysis.graders`` (``analysis.graders``; present when the run has two verdict sources,
e.g. an import's own grader and ``boundary verify RUN --regrade``): per comparison of sources, one
reading sentence, the headline numbers under each grader, the per-sample confusion and the problems
whose solved / unsolved status at k = n flips with the grader. Nothing is read from the run here.
"""

from __future__ import annotations

from html import escape

from boundary.analysis.analyze import Analysis
from boundary.analysis.graders import GraderSensitivity, sensitivity_sentence

ANCHOR = "graders"
TITLE = "Grader sensitivity"
MAX_FLIP_ROWS = 200


def _e(s) -> str:
    return escape(str(s), quote=True)


def _kstar(k: int | None) -> str:
    return "none" if k is None else str(k)


def _arrow(x: str, y: str) -> str:
    return x if x == y else f"{x} → {y}"


def headline_rows(g: GraderSensitivity) -> list[dict]:
    """One row per (benchmark, model): each headline number under A → under B (one value when equal)."""
    a, b = g.source_a, g.source_b
    rows = []
    for h in g.headline:
        row = {"benchmark": h.benchmark, "model": h.model, "pass@1": _arrow(f"{h.pass1_a:.3f}", f"{h.pass1_b:.3f}"),
               f"pass@{h.k_max}": _arrow(f"{h.passk_a:.3f}", f"{h.passk_b:.3f}"),
               f"solved at k = n ({a} → {b})": _arrow(str(h.solved_a), str(h.solved_b))}
        if h.only_ref_a is not None:
            row["k*"] = _arrow(_kstar(h.kstar_a), _kstar(h.kstar_b))
            row["only reference / only model"] = _arrow(f"{h.only_ref_a:g} / {h.only_model_a:g}",
                                                        f"{h.only_ref_b:g} / {h.only_model_b:g}")
            row["McNemar p"] = _arrow(f"{h.p_a:.3g}", f"{h.p_b:.3g}")
        else:
            row["k*"] = "(reference)"
            row["only reference / only model"] = row["McNemar p"] = ""
        rows.append(row)
    return rows


def section_html(g: GraderSensitivity) -> str:
    """One comparison of two sources: its sentence and its three tables."""
    from boundary.report.html import table_html
    a, b = g.source_a, g.source_b
    va, vb = "; ".join(g.verifiers_a) or "—", "; ".join(g.verifiers_b) or "—"
    survives = g.survives
    tag = ("" if survives is None else ' <span class="ref-tag">survives</span>' if survives
           else ' <span class="ref-tag warn">does not survive</span>')
    out = [f'<div class="reading"><h3>{_e(a)} vs {_e(b)}{tag}</h3>'
           f'<p>{_e(sensitivity_sentence(g))}</p>'
           f'<ul class="notes"><li>{_e(a)}: {_e(va)}</li><li>{_e(b)}: {_e(vb)}</li>'
           f'<li>{g.samples:,} samples graded by both; every number here is on those'
           + (f" ({g.only_in_a:,} graded only by {_e(a)}, {g.only_in_b:,} only by {_e(b)}, left out)"
              if g.only_in_a or g.only_in_b else "") + ".</li></ul></div>"]
    out.append(f'<div class="table-card"><h3>Headline numbers: {_e(a)} → {_e(b)}</h3>'
               '<p class="caption">Each cell shows the value under the first grader, then under the second (one value '
               'when they agree); k* and the coverage split compare each model with the reference at k = n.</p>'
               + table_html(headline_rows(g)) + "</div>")
    flips = [f.as_row(a, b) for f in g.flips]
    cap = (f"{len(flips)} problems solved (at least one correct sample of n) under one grader and not the other."
           if flips else "No problem changes its solved / unsolved status at k = n.")
    if len(flips) > MAX_FLIP_ROWS:
        cap += f" The first {MAX_FLIP_ROWS} are shown; `boundary verify RUN --compare` writes them all."
    out.append(f'<div class="table-card"><h3>Problems that flip at k = n</h3><p class="caption">{_e(cap)}</p>'
               + (table_html(flips[:MAX_FLIP_ROWS]) if flips else "") + "</div>")
    out.append('<div class="table-card"><h3>Per-sample confusion</h3><p class="caption">Samples by their grade '
               'under each grader (correct, or any other status).</p>'
               + table_html([c.as_row(a, b) for c in g.confusion]) + "</div>")
    return "".join(out)


def graders_section(analysis: Analysis) -> tuple[str, str, str] | None:
    """``(anchor, title, inner HTML)`` of the section, or None when the run has one verdict source."""
    if not analysis.graders:
        return None
    return ANCHOR, TITLE, "".join(section_html(g) for g in analysis.graders)


__all__ = ["graders_section", "headline_rows", "section_html"]
