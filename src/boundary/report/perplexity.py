"""The report's "Perplexity and entropy" section (Yue et al. Fig. 6, §4.5).

- box plots of PPL_M(Y_S) per responding model S for the scoring model M (the reference model when
  it scored, else the first scorer), per benchmark: the per-sample perplexities pooled over problems;
- the matrix of every scored (M, S) pair: mean over problems of the per-problem median (App. C.4);
- token entropy per model from the logprobs recorded at sampling time, and the entropy-matched
  temperature when the run holds a temperature sweep;

each with a sentence that reads it. When the run holds no perplexities or no logprobs, the section
says which analysis was skipped and why. Draws ``Analysis.perplexity`` (computed by ``analyze(run)``
from the run's ``perplexity`` table and recorded logprobs); reads nothing from the run.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from boundary.analysis.perplexity import EntropyMatchRow, PerplexityAnalysis
from boundary.report._common import model_colors, slug

ANCHOR, TITLE = "perplexity", "Perplexity and entropy"


def _save(fig: Figure, out_dir: Path, stem: str, formats: Sequence[str]) -> dict[str, Path]:
    from boundary.report.figures import save_figure
    return save_figure(fig, out_dir, stem, formats)     # one layout for every format (PDF fonts embedded)


def _style():
    """The report's figure style (fonts, grid, spines) while a figure is drawn and saved."""
    import matplotlib

    from boundary.report.figures import STYLE
    return matplotlib.rc_context(STYLE)


def _figure(paths: dict[str, Path], caption: str) -> str:
    svg = paths["svg"]
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.read_bytes()).decode("ascii")
    links = "".join(f'<a href="figures/{escape(paths[f].name)}">{f.upper()}</a>'
                    for f in ("png", "svg", "pdf") if f in paths)
    return (f'<figure class="card"><a href="figures/{escape(svg.name)}"><img src="{uri}" alt="{escape(caption)}">'
            f'</a><figcaption>{escape(caption)}<span class="links">{links}</span></figcaption></figure>')


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _reading(title: str, text: str) -> str:
    return f'<div class="reading"><h3>{escape(title)}</h3><p>{escape(text)}</p></div>'


def _skipped(what: str, why: str) -> str:
    return f'<p class="empty"><strong>{escape(what)} skipped:</strong> {escape(why)}</p>'


def perplexity_figures(pp: PerplexityAnalysis, figures_dir: Path,
                       colors: dict[str, str] | None = None,
                       formats: Sequence[str] = ("svg",)) -> tuple[list[str], list[str]]:
    """(HTML parts, notes) for the perplexity part: box plots, matrix table, readings."""
    cells = list(pp.cells)
    if not cells:
        return [_skipped("Perplexity (Fig. 6)", "the run holds no perplexities. Score the responses with "
                         "`boundary perplexity RUN --model BASE` (or a `perplexity:` block in the spec).")], \
            ["perplexity skipped: no perplexities in the run"]
    parts: list[str] = []
    main = pp.scorer
    assert main is not None  # perplexity_analysis picks a scorer whenever there are cells
    for bench in sorted({c.benchmark for c in cells}):
        boxes = [x for x in pp.boxes if x.benchmark == bench]
        if not boxes:
            continue
        by_model = {c.model: c for c in cells if c.benchmark == bench and c.scorer == main}
        mine = [by_model[x.model] for x in boxes]
        models = [c.model for c in mine]
        colors = _palette(colors, models)
        data = [x.values for x in boxes]
        with _style():
            fig = Figure(figsize=(max(4.2, 1.1 * len(models) + 2.4), 3.8), dpi=150)
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            bp = ax.boxplot(data, showfliers=True, patch_artist=True, widths=0.55,
                            flierprops={"markersize": 2.2, "alpha": 0.35, "markeredgewidth": 0.5},
                            medianprops={"color": "#222222", "lw": 1.4})
            for patch, m in zip(bp["boxes"], models):
                patch.set_facecolor(colors[m])
                patch.set_alpha(0.7)
            ax.set_xticks(range(1, len(models) + 1), [f"Y_{m}" for m in models],
                          rotation=20 if len(models) > 4 else 0)
            # perplexities are skewed (a few samples at 50-150 against medians near 2): a log axis
            # keeps the boxes readable next to the outliers
            hi = max((float(max(v)) for v in data if len(v)), default=1.0)
            med = min((float(sorted(v)[len(v) // 2]) for v in data if len(v)), default=1.0)
            if hi > 8 * med > 0:
                ax.set_yscale("log")
            ax.set_ylabel(f"PPL_{main}(Y)" + (" (log scale)" if ax.get_yscale() == "log" else ""))
            ax.set_title(f"{bench}: perplexity under {main}")
            ax.grid(axis="x", visible=False)
            paths = _save(fig, figures_dir, f"{slug(bench)}-perplexity-{slug(main)}", formats)
        own = next((c for c in mine if c.model == main), None)
        cap = (f"{bench}: PPL_{main}(Y_S), the perplexity {main} assigns to each model's responses (one box per "
               f"responding model; every scored sample pooled over problems).")
        parts.append(f'<div class="grid">{_figure(paths, cap)}</div>')
        parts.append(_reading(f"{bench}: how likely {main} finds the other models' answers",
                              _read_perplexity(main, own, [c for c in mine if c.model != main])))
    rows = [{"benchmark": c.benchmark, "scorer M": c.scorer, "responses S": c.model, "problems": c.problems,
             "samples": c.samples, "PPL (mean of per-problem medians)": f"{c.mean_of_medians:.4f}",
             "median of medians": f"{c.median_of_medians:.4f}"} for c in cells]
    parts.append('<div class="table-card"><h3>PPL_M(Y_S) for every scored pair</h3><p class="caption">'
                 "Each problem's median perplexity over its scored samples, averaged over problems (Yue et al. "
                 "App. C.4). Lower: the scoring model finds the responses more likely.</p>" + _table(rows) + "</div>")
    return parts, []


def _read_perplexity(main, own, others) -> str:
    if own is None:
        listed = "; ".join(f"Y_{c.model}: {c.mean_of_medians:.3f}" for c in others)
        return (f"Mean per-problem median perplexity under {main}: {listed}. {main}'s own responses were not "
                f"scored, so there is no PPL_{main}(Y_{main}) baseline to compare with.")
    if not others:
        return (f"PPL_{main}(Y_{main}) = {own.mean_of_medians:.3f} (mean of per-problem medians over "
                f"{own.problems} problems). Score other models' responses to compare them with this baseline.")
    out = []
    for c in others:
        ratio = c.mean_of_medians / own.mean_of_medians
        if ratio <= 1.0:
            verdict = (f"no higher than on its own answers: {main} already finds {c.model}'s answers likely, "
                       "the pattern Yue et al. read as RL sampling from within the base model's distribution")
        elif ratio < 1.1:
            verdict = f"slightly higher than on its own answers (×{ratio:.2f})"
        else:
            verdict = (f"clearly higher than on its own answers (×{ratio:.2f}): {c.model}'s answers lie outside "
                       f"what {main} would likely generate")
        out.append(f"PPL_{main}(Y_{c.model}) = {c.mean_of_medians:.3f} against PPL_{main}(Y_{main}) = "
                   f"{own.mean_of_medians:.3f}: {verdict}.")
    return " ".join(out)


def _palette(colors: dict[str, str] | None, models: list[str]) -> dict[str, str]:
    """The report's colour of each model (``model_colors``), or a fresh palette without an analysis."""
    if colors is not None and all(m in colors for m in models):
        return colors
    from boundary.report._common import palette
    return dict(zip(models, palette(len(models))))


def entropy_part(pp: PerplexityAnalysis, figures_dir: Path,
                 colors: dict[str, str] | None = None,
                 formats: Sequence[str] = ("svg",)) -> tuple[list[str], list[str]]:
    """(HTML parts, notes) for token entropy per model and the entropy-matched temperature."""
    ents = list(pp.entropies)
    if not ents:
        return [_skipped("Token entropy", "no logprobs recorded: the samples were drawn without "
                         "`sampling.logprobs` (set it to `sum` to record one number per sample).")], \
            ["token entropy skipped: no logprobs recorded"]
    parts: list[str] = []
    for bench in sorted({e.benchmark for e in ents}):
        mine = [e for e in ents if e.benchmark == bench]
        models = [e.model for e in mine]
        colors = _palette(colors, models)
        with _style():
            fig = Figure(figsize=(max(4.2, 0.85 * len(models) + 2.4), 3.4), dpi=150)
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            ax.bar(range(len(models)), [e.entropy for e in mine], color=[colors[m] for m in models], alpha=0.85)
            ax.set_xticks(range(len(models)), models, rotation=25 if len(models) > 6 else 0,
                          ha="right" if len(models) > 6 else "center")
            ax.set_ylabel("token entropy (nats/token)")
            ax.set_title(f"{bench}: token entropy of the sampled responses")
            ax.grid(axis="x", visible=False)
            paths = _save(fig, figures_dir, f"{slug(bench)}-token-entropy", formats)
        cap = (f"{bench}: −Σ logprob / Σ tokens over each model's samples with recorded logprobs (the "
               "Monte-Carlo estimate of the per-token entropy).")
        parts.append(f'<div class="grid">{_figure(paths, cap)}</div>')
        lo, hi = min(mine, key=lambda e: e.entropy), max(mine, key=lambda e: e.entropy)
        text = "; ".join(f"{e.model} {e.entropy:.3f}" for e in mine) + " nats per token."
        if lo.model != hi.model:
            text += (f" {lo.model} samples the most concentrated distribution ({lo.entropy:.3f} against "
                     f"{hi.model}'s {hi.entropy:.3f}): lower entropy means sharper, less exploratory sampling.")
        parts.append(_reading(f"{bench}: token entropy", text))
        parts += _matched([x for x in pp.matches if x.benchmark == bench])
    rows = [{"benchmark": e.benchmark, "model": e.model, "samples": e.samples, "tokens": e.tokens,
             "entropy (nats/token)": f"{e.entropy:.4f}", "mean per sample": f"{e.mean_per_sample:.4f}"}
            for e in ents]
    parts.append('<div class="table-card"><h3>Token entropy per model</h3>' + _table(rows) + "</div>")
    return parts, []


def _matched(rows: list[EntropyMatchRow]) -> list[str]:
    """The entropy-matched comparison for every swept group against the first group's T = 0.6 model."""
    out = []
    for r in rows:
        bench, base, g, m = r.benchmark, r.base, r.group, r.match
        where = (f"the sweep crosses it at T ≈ {m.interpolated:.2f}" if m.interpolated is not None else
                 "the sweep does not reach it (extend the temperatures)")
        out.append(_reading(f"{bench}: entropy-matched temperature of {g}",
                            f"{base} at T = 0.6 has token entropy {m.target:.3f}; {g}'s closest temperature is "
                            f"T = {m.nearest} ({m.nearest_entropy:.3f}), and {where}. Compare {base} at T = 0.6 "
                            f"with {g} at that temperature to see whether higher entropy alone closes the gap "
                            "(Yue et al. §4.5)."))
    return out


def perplexity_section(analysis, out_dir: str | Path,
                       formats: Sequence[str] = ("svg",)) -> tuple[tuple[str, str, str], list[str]]:
    """``((anchor, title, html), notes)`` for the report; notes say which analyses were skipped and why.
    ``formats``: the figures' file types (the SVG always: the page embeds it)."""
    pp = getattr(analysis, "perplexity", None)
    if pp is None:
        why = "the analysis is not attached to a run directory, so there are no samples to read."
        section = (ANCHOR, TITLE, _skipped("Perplexity and token entropy", why))
        return section, [f"perplexity and entropy skipped: {why}"]
    figures_dir = Path(out_dir) / "figures"
    colors = model_colors(analysis)             # the same colour per model as every other figure
    formats = tuple(dict.fromkeys(("svg", *formats)))
    p_parts, p_notes = perplexity_figures(pp, figures_dir, colors, formats)
    e_parts, e_notes = entropy_part(pp, figures_dir, colors, formats)
    return (ANCHOR, TITLE, "".join(p_parts + e_parts)), p_notes + e_notes
