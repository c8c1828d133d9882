"""The report's figures as a reader and a paper need them: small multiples with many models, one
colour per model, the chance floor's own style, PDFs with embedded fonts, LaTeX tables that
compile, one figure on request (`write_figure`, `boundary report --figure`), parallel drawing."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from boundary.analysis import AnalysisConfig, analyze_counts
from boundary.errors import BoundaryError
from boundary.report import write_figure, write_report
from boundary.report._common import CHANCE_COLOR, PALETTE, model_colors, palette
from boundary.report.figures import (FIGURE_KINDS, SMALL_MULTIPLES_ABOVE, cover_figure, histogram_figure,
                                     passk_figure, render_figures)
from boundary.report.tables import _LATIN1, LATEX_PREAMBLE, build_tables, latex_escape, to_latex

N_BOOT = 100


def _names(n: int) -> list[str]:
    return ["base"] + [f"rl_{i}" for i in range(1, n)]


def _analysis(n_models: int, *, benches=("toy",), P=40, n=16, seed=0, answer_space=100):
    """base and n_models − 1 trained models that sharpen solvable problems and drop some hard ones."""
    rng = np.random.default_rng(seed)
    rows = []
    for bench in benches:
        pb = rng.beta(0.3, 0.7, P)
        for j, m in enumerate(_names(n_models)):
            p = pb if j == 0 else np.clip(np.where(pb > 0.05 * (j % 5), pb * (1.2 + 0.1 * j), pb * 0.2), 0, 1)
            c = rng.binomial(n, p)
            rows += [dict(model=m, benchmark=bench, problem_id=f"p{i:03d}", n=n, correct=int(c[i])) for i in range(P)]
    cfg = AnalysisConfig(n_boot=N_BOOT, answer_space=answer_space, extrapolate_boot=20)
    return analyze_counts(pa.Table.from_pylist(rows), config=cfg, models=_names(n_models), run="runs/<toy>")


@pytest.fixture(scope="module")
def nine():
    return _analysis(9)


@pytest.fixture(scope="module")
def twenty():
    return _analysis(20, P=30, n=8)


# --------------------------------------------------------------------------- colours
def _lab(hex_color: str) -> np.ndarray:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 0.008856))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_twenty_models_get_twenty_distinguishable_colours(twenty):
    colors = model_colors(twenty)
    assert len(colors) == 20 and len(set(colors.values())) == 20
    assert list(colors)[0] == "base" and colors["base"] == PALETTE[0]
    labs = {c: _lab(c) for c in colors.values()}
    closest = min(np.linalg.norm(labs[a] - labs[b]) for a, b in itertools.combinations(labs, 2))
    assert closest > 20, f"two model colours are only ΔE {closest:.1f} apart"
    for c, lab in labs.items():
        assert 28 < lab[0] < 80, f"{c}: too dark or too light to tell apart from the chance floor or the page"
        assert np.hypot(lab[1], lab[2]) > 15, f"{c} is a grey, the chance floor's family"
    # beyond the fixed palette: still no repeat
    assert len(set(palette(40))) == 40 and CHANCE_COLOR not in palette(40)


def test_every_figure_uses_the_models_colour(nine):
    colors = model_colors(nine)
    bench = nine.benchmarks[0]
    fig = passk_figure(bench, colors, 0.95, 100)
    for ax in [a for a in fig.axes if a.get_visible()]:
        title = ax.get_title(loc="left")
        model = next(m for m in bench.models if m.startswith(title.rstrip("…")))
        line_colors = {line.get_color() for line in ax.get_lines()}
        assert colors[model] in line_colors and colors["base"] in line_colors   # the reference in every panel
        assert ax._left_title.get_color() == colors[model]            # the panel title in its colour


# --------------------------------------------------------------------------- small multiples
@pytest.mark.parametrize("n_models", [1, 2, 4, 9, 20])
def test_small_multiples_switch_on_above_four_models(n_models, nine, twenty):
    a = {9: nine, 20: twenty}.get(n_models) or _analysis(n_models)
    bench = a.benchmarks[0]
    colors = model_colors(a)
    for draw in (lambda: passk_figure(bench, colors, 0.95, 100), lambda: histogram_figure(bench, colors),
                 lambda: cover_figure(bench, colors)):
        fig = draw()
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title(loc="left")]
        if n_models > SMALL_MULTIPLES_ABOVE:
            assert len(panels) == n_models - 1                      # one panel per comparison
            assert len({ax.get_ylim() for ax in panels}) == 1       # shared axes
            assert len({ax.get_xlim() for ax in panels}) == 1
            assert len({ax.get_title(loc="left") for ax in panels}) == n_models - 1
        else:
            assert len([ax for ax in fig.axes if ax.get_visible() and ax.get_lines()]) <= 1


def test_chance_floor_has_its_own_style_and_label():
    a = _analysis(3)
    bench = a.benchmarks[0]
    colors = model_colors(a)
    ax = passk_figure(bench, colors, 0.95, 100).axes[0]
    chance = [line for line in ax.get_lines() if "chance floor" in str(line.get_label())]
    assert len(chance) == 1
    assert chance[0].get_color() == CHANCE_COLOR and chance[0].get_linestyle() == "--"
    assert CHANCE_COLOR not in colors.values()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "chance floor (m=100)" in legend
    # bands light enough to see the curves through
    assert all(c.get_alpha() is not None and c.get_alpha() <= 0.2 for c in ax.collections)


def test_nine_model_report_draws_overviews_pdfs_and_the_same_files_in_parallel(nine, tmp_path):
    seq = write_report(nine, tmp_path / "seq", browser=False, workers=1, png=True, pdf=True)
    par = write_report(nine, tmp_path / "par", browser=False, workers=2, png=True, pdf=True)
    stems = {p.stem for p in seq.figures}
    assert {"toy_passk", "toy_diff", "toy_coverage", "toy_histogram", "toy_cover", "toy_algorithms"} <= stems
    assert not any("_vs_" in s for s in stems)       # overviews instead of 2 × 8 per-pair figures
    assert {p.name for p in seq.figures} == {p.name for p in par.figures}
    for p in seq.figures:
        twin = par.figures_dir / p.name
        if p.suffix == ".png":   # the parallel path draws the same pictures
            assert p.read_bytes() == twin.read_bytes(), p.name
    # small multiples are drawn wider than one plot (a page can size them by size_inches)
    figs = {f.stem: f for f in render_figures(nine, tmp_path / "sizes", workers=1, formats=("png", "svg"))}
    assert figs["toy_passk"].size_inches[0] > 7.5 > figs["toy_algorithms"].size_inches[0] > 5
    pdfs = [p for p in seq.figures if p.suffix == ".pdf"]
    assert len(pdfs) == len(stems)
    for p in pdfs:
        data = p.read_bytes()
        assert data.startswith(b"%PDF-") and b"/FontFile2" in data   # TrueType fonts embedded
        assert b"/Subtype /Type3" not in data
    # per-pair figures on request
    pairs = write_report(nine, tmp_path / "pairs", browser=False, workers=1, pair_figures=True, pdf=True)
    assert sum("_diff_base_vs_" in p.name and p.suffix == ".pdf" for p in pairs.figures) == 8


def test_twenty_models_and_three_benchmarks_render(tmp_path):
    a = _analysis(20, benches=("a", "b", "c"), P=20, n=8)
    paths = write_report(a, tmp_path, browser=False)
    assert {p.suffix for p in paths.figures} == {".svg"}     # PNG and PDF on request (png=True, pdf=True)
    for b in ("a", "b", "c"):
        assert (paths.figures_dir / f"{b}_passk.svg").exists()
        assert (paths.figures_dir / f"{b}_diff.svg").stat().st_size > 20_000


# --------------------------------------------------------------------------- one figure
@pytest.mark.parametrize("suffix,magic", [(".pdf", b"%PDF-"), (".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_write_figure_writes_one_file_by_its_suffix(nine, tmp_path, suffix, magic):
    out = write_figure(nine, "passk", models=["base", "rl_2"], out=tmp_path / f"fig{suffix}")
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("kind", FIGURE_KINDS)
def test_write_figure_draws_every_kind_it_has_data_for(nine, tmp_path, kind):
    out = tmp_path / f"{kind}.png"
    try:
        write_figure(nine, kind, models=["base", "rl_1", "rl_3"], out=out)
    except BoundaryError as e:   # the synthetic run has no tokens, answers or checkpoints
        assert kind in ("budget", "answers", "sweep") and "no " + kind in str(e)
        return
    assert out.stat().st_size > 5000


@pytest.mark.parametrize("kwargs,needle", [
    (dict(kind="nope"), "choose one of: passk, diff"),
    (dict(kind="passk", models=["base", "zzz"]), "unknown model 'zzz'; choose one of: base, rl_1"),
    (dict(kind="passk", benchmark="other"), "unknown benchmark 'other'; choose one of: toy"),
    (dict(kind="passk", out="fig.jpg"), "unknown file type 'jpg'; choose one of: png, svg, pdf"),
    (dict(kind="diff", models=["rl_1", "rl_2"]), "add it to --models (e.g. --models base,rl_1)"),
])
def test_write_figure_errors_name_the_allowed_values(nine, tmp_path, kwargs, needle):
    kwargs = {"out": tmp_path / "fig.pdf", **kwargs}
    with pytest.raises(BoundaryError, match=re.escape(needle)):
        write_figure(nine, **kwargs)
    assert not (tmp_path / "fig.pdf").exists()


def test_write_figure_asks_for_a_benchmark_when_there_are_several(tmp_path):
    a = _analysis(2, benches=("x", "y"), P=20, n=8)
    with pytest.raises(BoundaryError, match=r"2 benchmarks \(x, y\); choose one with --benchmark"):
        write_figure(a, "passk", out=tmp_path / "f.pdf")
    assert write_figure(a, "passk", benchmark="y", out=tmp_path / "f.pdf").exists()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "boundary.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_report_figure_command(tmp_path):
    from boundary.importers.counts import import_counts
    rng = np.random.default_rng(1)
    rows = [dict(model=m, benchmark="toy", problem_id=f"p{i}", n=8, correct=int(rng.integers(0, 9)))
            for m in ("base", "grpo", "ppo") for i in range(20)]
    counts = tmp_path / "counts.csv"
    pcsv.write_csv(pa.Table.from_pylist(rows), counts)
    import_counts(counts, tmp_path / "run")
    r = _cli("report", tmp_path / "run", "--figure", "passk", "--models", "base,grpo", "--out", tmp_path / "fig.pdf",
             "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "fig.pdf").read_bytes().startswith(b"%PDF-")
    assert not (tmp_path / "run" / "report").exists()   # one figure, not the report
    r = _cli("report", tmp_path / "run", "--figure", "passkk", "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "choose one of: passk, diff, histogram" in r.stderr
    r = _cli("report", tmp_path / "run", "--figure", "passk", "--models", "base,nope", "--out", tmp_path / "x.pdf",
             "--n-boot", "50")
    assert r.returncode == 2 and "unknown model 'nope'; choose one of: base, grpo, ppo" in r.stderr
    r = _cli("report", tmp_path / "run", "--figure", "passk")
    assert r.returncode == 2 and "give it with --out" in r.stderr


# --------------------------------------------------------------------------- LaTeX
NASTY = ["a_b", "50% & more", "#1 {x}", "R&D~^\\", "naïve Δ τ ≥ 1 — ok", "日本", "$5"]


def _tex_body(tex: str) -> str:
    return "\n".join(line for line in tex.splitlines() if not line.startswith("%"))


def _check_latex_syntax(tex: str) -> None:
    assert tex.startswith(LATEX_PREAMBLE) and "booktabs" in tex.splitlines()[0]
    body = _tex_body(tex)
    plain = re.sub(r"\\[{}%&#_$]", "", body)                 # escaped specials are fine
    depth = 0
    for ch in plain:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, "a closing brace without its opening one"
    assert depth == 0, "unbalanced braces"
    assert plain.count("$") % 2 == 0, "unbalanced math mode"
    text = re.sub(r"\$[^$]*\$", "", re.sub(r"\\label\{[^}]*\}", "", plain))   # labels and math may hold _
    for ch in "%#_":
        assert ch not in text, f"unescaped {ch!r}"
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", body)
    assert spec and body.count(r"\begin{tabular}") == body.count(r"\end{tabular}") == 1
    n_cols = len(spec.group(1))
    rows = [line for line in body.splitlines() if line.endswith(r"\\")]
    assert rows
    for line in rows:
        assert len(re.findall(r"(?<!\\)&", line)) == n_cols - 1, line
    assert all(ord(c) < 128 or c in _LATIN1 for c in body), "pdflatex stops on characters it has no definition for"


def test_latex_escapes_and_column_counts():
    rows = [{"model": name, "k": i, "note": name[::-1]} for i, name in enumerate(NASTY)]
    tex = to_latex(rows, caption="50% of R&D_x #1", label="tab:x_y")
    _check_latex_syntax(tex)
    assert r"a\_b" in tex and r"50\% \& more" in tex and r"\#1 \{x\}" in tex and "na" in tex
    assert latex_escape("ä") == "ä" and latex_escape("日") == "?"


def test_report_latex_tables_are_valid(nine, tmp_path):
    a = _analysis(3)
    for t in build_tables(a):
        if not t.long and t.rows:
            _check_latex_syntax(to_latex(t.rows, caption=f"{t.title}. {t.caption}", label=f"tab:{t.name}"))


@pytest.mark.skipif(not (shutil.which("pdflatex") or shutil.which("tectonic")), reason="no TeX engine installed")
def test_latex_tables_compile(tmp_path):
    a = _analysis(3)
    rows = [{"model": name, "k": i} for i, name in enumerate(NASTY)]
    tables = [to_latex(t.rows, caption=f"{t.title}. {t.caption}", label=f"tab:{t.name}")
              for t in build_tables(a) if not t.long and t.rows] + [to_latex(rows, caption="nasty_names 50%")]
    for i, tex in enumerate(tables):
        (tmp_path / f"t{i}.tex").write_text(tex, encoding="utf-8")
    # booktabs is in texlive-latex-recommended; with texlive-latex-base only, plain rules stand in
    doc = ("\\documentclass{article}\n\\usepackage[margin=5mm,paperwidth=60cm,paperheight=80cm]{geometry}\n"
           "\\IfFileExists{booktabs.sty}{\\usepackage{booktabs}}{\\newcommand\\toprule{\\hline}"
           "\\newcommand\\midrule{\\hline}\\newcommand\\bottomrule{\\hline}}\n\\begin{document}\n"
           + "".join(f"\\input{{t{i}}}\n\\clearpage\n" for i in range(len(tables))) + "\\end{document}\n")
    if not shutil.which("pdflatex") or not _has_geometry():
        doc = doc.replace("\\usepackage[margin=5mm,paperwidth=60cm,paperheight=80cm]{geometry}\n", "")
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    engine = shutil.which("pdflatex")
    cmd = [engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"] if engine else \
        [shutil.which("tectonic"), "doc.tex"]
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")


def _has_geometry() -> bool:
    r = subprocess.run(["kpsewhich", "geometry.sty"], capture_output=True, text=True) if shutil.which("kpsewhich") \
        else None
    return bool(r and r.stdout.strip())


# --------------------------------------------------------------------------- checkpoint sweeps
def _sweep_analysis(checkpoints: int):
    """base and grpo-step10 … : pass@1 rises while late checkpoints lose the hard problems (P = 80, n = 16)."""
    rng = np.random.default_rng(1)
    P, n = 80, 16
    pb = rng.beta(0.4, 0.8, P)
    rows = [dict(model="base", benchmark="toy", problem_id=f"p{i:02d}", n=n, correct=int(c))
            for i, c in enumerate(rng.binomial(n, pb))]
    names = ["base"]
    for j in range(1, checkpoints + 1):
        t = j / checkpoints
        p = np.where(pb > 0.3, np.minimum(pb * (1 + t), 1), pb * (1 - t) ** 2)
        names.append(f"grpo-step{10 * j}")
        rows += [dict(model=names[-1], benchmark="toy", problem_id=f"p{i:02d}", n=n, correct=int(c))
                 for i, c in enumerate(rng.binomial(n, p))]
    cfg = AnalysisConfig(n_boot=200, extrapolate=False)
    return analyze_counts(pa.Table.from_pylist(rows), config=cfg, models=names)


@pytest.mark.parametrize("checkpoints", [3, 30])
def test_sweep_figure_stays_readable_and_marks_where_the_base_pulls_ahead(checkpoints):
    from boundary.report.figures import SWEEP_LABELS_UP_TO, _base_ahead_from, sweep_figure
    a = _sweep_analysis(checkpoints)
    bench = a.benchmarks[0]
    (sweep,) = bench.sweeps
    assert len(sweep.points) == checkpoints
    start = _base_ahead_from(bench, sweep)
    # by hand: the base is significantly ahead at k_max (paired interval above 0) from `start` on, not before
    diff = {c.other: c.diff for c in bench.comparisons}
    ahead = [diff[p.model].lower[list(diff[p.model].ks).index(sweep.k_max)] > 0 for p in sweep.points]
    assert ahead[-1] and start is not None
    first = next(i for i in range(len(ahead)) if all(ahead[i:]))
    assert start == sweep.points[first].step
    fig = sweep_figure(bench, sweep, model_colors(a))
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts if "bootstrap CI" not in t.get_text()]      # the per-point names
    if checkpoints <= SWEEP_LABELS_UP_TO:
        assert texts == [p.model for p in sweep.points]
    else:
        assert texts == [] and len(ax.collections) == 2           # two light bands instead of 2 × 30 error bars
    legend = [t.get_text() for leg in fig.legends + [ax.get_legend(), *ax.artists] if hasattr(leg, "get_texts")
              for t in leg.get_texts()]
    assert any("base ahead at k = 16" in t and "paired bootstrap" in t for t in legend), legend


def test_many_panels_are_not_shared_axes_but_look_it(twenty):
    """Above 16 panels the axes are not shared (matplotlib's sharing is quadratic in the panels), yet every
    panel has the first one's scale, tickers and limits, and only the outer panels carry tick labels."""
    from boundary.report.figures import _Grid, diffs_figure
    bench = twenty.benchmarks[0]
    colors = model_colors(twenty)
    for fig in (passk_figure(bench, colors, 0.95, 100), diffs_figure(bench, colors),
                histogram_figure(bench, colors)):
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert len(axes) == 19 > _Grid.SHARE_UP_TO
        a0 = axes[0]
        assert not a0.get_shared_x_axes().get_siblings(a0)[1:]         # not shared
        for ax in axes[1:]:
            assert ax.get_xlim() == a0.get_xlim() and ax.get_ylim() == a0.get_ylim()
            assert ax.get_xscale() == a0.get_xscale()
            assert ax.xaxis.major is a0.xaxis.major and ax.yaxis.major is a0.yaxis.major
        fig.canvas.draw()
        ncols, n = 4, len(axes)
        for i, ax in enumerate(axes):
            shows_x = any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
            shows_y = any(t.get_visible() and t.get_text() for t in ax.get_yticklabels())
            assert shows_y == (i % ncols == 0), i
            assert shows_x == (i + ncols >= n), i                        # the bottom panel of each column
