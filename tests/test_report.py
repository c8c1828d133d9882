"""The report stage: figures, tables, summary.json, index.html and the plain-language reading."""

from __future__ import annotations

import base64
import csv
import json
import re

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import AnalysisConfig, analyze_counts
from boundary.analysis.analyze import headline_ks
from boundary.analysis.histogram import BIN_LABELS
from boundary.report import ReportPaths, summary_dict, write_report
from boundary.report._common import slug
from boundary.report.reading import benchmark_readings, crossover_sentence, reading_lines, reading_text
from boundary.report.tables import build_tables, to_latex, to_markdown

N_BOOT = 200
EX_BOOT = 50  # bootstrap refits of the beta-binomial fits (each one an optimisation)


def _counts(probs: dict[str, np.ndarray], n: int, rng, bench: str = "toy") -> list[dict]:
    rows = []
    for m, p in probs.items():
        c = rng.binomial(n, p)
        rows += [dict(model=m, benchmark=bench, problem_id=f"p{i:03d}", n=n, correct=int(c[i]))
                 for i in range(len(p))]
    return rows


def _analysis(models, *, P=60, n=32, seed=0, answer_space=1000, k=None, crossing=True):
    """Synthetic base vs RL: RL sharpens solvable problems and drops hard ones (crossing=True),
    or is simply better everywhere (crossing=False)."""
    rng = np.random.default_rng(seed)
    pb = rng.beta(0.3, 0.7, P)
    if crossing:
        pr = np.where(pb > 0.2, np.minimum(1, pb * 2.5), pb * 0.1)
    else:
        pr = np.minimum(1, pb + 0.35)
    probs = {models[0]: pb, models[1]: pr}
    if len(models) > 2:
        probs[models[2]] = np.clip(pb * 1.5, 0, 1)
    counts = pa.Table.from_pylist(_counts(probs, n, rng))
    cfg = AnalysisConfig(n_boot=N_BOOT, answer_space=answer_space, k=k, extrapolate_boot=EX_BOOT)
    return analyze_counts(counts, config=cfg, models=list(models), run="runs/<toy>")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    a = _analysis(["base", "rl"])
    return a, write_report(a, tmp_path_factory.mktemp("two"))


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    a = _analysis(["Qwen/Qwen2.5-7B", "rl<script>", "distill & co"])
    return a, write_report(a, tmp_path_factory.mktemp("three"), png=True, pdf=True)


def _expected_stems(a) -> set[str]:
    stems = set()
    for b in a.benchmarks:
        bs = slug(b.benchmark)
        stems |= {f"{bs}_passk", f"{bs}_histogram", f"{bs}_cover", f"{bs}_extrapolation"}
        if len(b.algorithms) > 1:  # the algorithm table as a figure
            stems.add(f"{bs}_algorithms")
        for c in b.comparisons:
            stems.add(f"{bs}_diff_{slug(c.reference)}_vs_{slug(c.other)}")
            stems.add(f"{bs}_coverage_{slug(c.reference)}_vs_{slug(c.other)}")
    return stems


@pytest.mark.parametrize("which", ["two", "three"])
def test_every_figure_exists_as_svg_and_as_png_and_pdf_on_request(which, request):
    a, paths = request.getfixturevalue(which)
    assert isinstance(paths, ReportPaths)
    stems = _expected_stems(a)
    n_models = len(a.benchmarks[0].models)
    assert len(stems) == 4 + 2 * (n_models - 1) + (len(a.benchmarks[0].algorithms) > 1)
    for stem in stems:
        png, svg = paths.figures_dir / f"{stem}.png", paths.figures_dir / f"{stem}.svg"
        if which == "three":
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert png.stat().st_size > 5000
        text = svg.read_text(encoding="utf-8")
        assert "<svg" in text and len(text) > 5000
    assert {p.stem for p in paths.figures} == stems
    suffixes = [".pdf", ".png", ".svg"] if which == "three" else [".svg"]     # "three": png=True, pdf=True
    assert sorted(p.suffix for p in paths.figures) == sorted(suffixes * len(stems))
    on_disk = {p.name for p in paths.figures_dir.iterdir()}
    assert on_disk == {p.name for p in paths.figures}


@pytest.mark.parametrize("which", ["two", "three"])
def test_index_embeds_and_links_every_figure(which, request):
    _, paths = request.getfixturevalue(which)
    html = paths.index_html.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    embedded = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    svgs = [p for p in paths.figures if p.suffix == ".svg"]
    assert len(embedded) == len(svgs)
    decoded = {base64.b64decode(e) for e in embedded}
    assert decoded == {p.read_bytes() for p in svgs}
    for p in paths.figures:
        if p.suffix != ".pdf":  # the PDFs are for papers; the page links PNG and SVG
            assert f'href="figures/{p.name}"' in html
    # Self-contained: no external resources; the only scripts are inline (the chart's code and data).
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"<script[^>]*\ssrc=", html)
    inline = {"<script>", '<script type="application/json" class="chart-data">'}
    assert set(re.findall(r"<script[^>]*>", html)) <= inline
    assert "<link" not in html


def test_tables_in_three_formats(three):
    a, paths = three
    t = paths.tables_dir
    for name in ("passk", "comparisons", "coverage", "efficiency", "histograms"):
        for ext in ("csv", "md", "tex"):
            assert (t / f"{name}.{ext}").stat().st_size > 0, (name, ext)
        tex = (t / f"{name}.tex").read_text(encoding="utf-8")
        assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert not (t / "statuses.csv").exists()          # the analysis has no statuses
    # pass@k table: one row per model, one column per headline k, cell "est [lo, hi]".
    rows = list(csv.DictReader((t / "passk.csv").open(encoding="utf-8")))
    b = a.benchmarks[0]
    assert [r["model"] for r in rows] == b.models
    ks = headline_ks(len(b.curves[b.models[0]].ks))
    assert [c for c in rows[0] if c.startswith("pass@")] == [f"pass@{k}" for k in ks]
    est, lo, hi = b.curves["rl<script>"].at(ks[-1])
    assert rows[1][f"pass@{ks[-1]}"] == f"{est:.3f} [{lo:.3f}, {hi:.3f}]"
    # Full curves: every k of every model with raw numbers.
    curves = list(csv.DictReader((t / "curves.csv").open(encoding="utf-8")))
    assert len(curves) == len(b.models) * len(ks and b.curves[b.models[0]].ks)
    r = next(r for r in curves if r["model"] == "distill & co" and r["k"] == "5")
    assert float(r["pass_at_k"]) == pytest.approx(b.curves["distill & co"].estimate[4])
    diffs = list(csv.DictReader((t / "differences.csv").open(encoding="utf-8")))
    assert len(diffs) == len(b.comparisons) * len(b.curves[b.models[0]].ks)
    # Histograms: 12 bins, columns per model, counts sum to the problems.
    hist = list(csv.DictReader((t / "histograms.csv").open(encoding="utf-8")))
    assert [h["accuracy bin"] for h in hist] == list(BIN_LABELS)
    assert sum(int(h["Qwen/Qwen2.5-7B"]) for h in hist) == b.problems["Qwen/Qwen2.5-7B"]
    # LaTeX escapes the specials in model names.
    tex = (t / "passk.tex").read_text(encoding="utf-8")
    assert "distill \\& co" in tex and "rl\\textless{}script\\textgreater{}" in tex


def test_summary_json_holds_the_analysis_numbers(three):
    a, paths = three
    s = json.loads(paths.summary_json.read_text(encoding="utf-8"))
    assert s == json.loads(json.dumps(summary_dict(a)))
    assert s["run"] == "runs/<toy>" and s["reference"] == "Qwen/Qwen2.5-7B"
    assert s["config"]["n_boot"] == N_BOOT
    b, sb = a.benchmarks[0], s["benchmarks"][0]
    assert sb["models"] == b.models and sb["problems"] == b.problems
    for comp, sc in zip(b.comparisons, sb["comparisons"]):
        assert sc["other"] == comp.other
        assert sc["crossover"]["k"] == comp.crossover.k
        assert sc["crossover"]["lower"] == comp.crossover.lower
        assert sc["crossover"]["upper"] == comp.crossover.upper
    cov, sc = b.coverages[0], sb["coverage"][0]
    assert (sc["only_a"], sc["only_b"], sc["both"], sc["neither"]) == (cov.only_a, cov.only_b, cov.both, cov.neither)
    assert sc["p_value"] == pytest.approx(cov.p_value)
    g, sg = b.efficiency[1], sb["efficiency"][1]
    assert sg["other"] == "distill & co" and sg["gap"] == pytest.approx(g.gap)
    p1 = sb["pass_at_k"]["rl<script>"][0]
    assert p1["k"] == 1 and p1["pass_at_k"] == pytest.approx(b.curves["rl<script>"].estimate[0])
    assert sb["histograms"]["counts"]["distill & co"] == [int(x) for x in b.histograms["distill & co"]]


def test_special_model_names_are_escaped_and_slugged(three):
    _, paths = three
    html = paths.index_html.read_text(encoding="utf-8")
    assert "rl<script>" not in html
    assert "rl&lt;script&gt;" in html
    assert "distill &amp; co" in html
    assert "runs/&lt;toy&gt;" in html
    for p in list(paths.figures) + list(paths.tables):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", p.name), p.name
        assert p.parent in (paths.figures_dir, paths.tables_dir)


def test_slug_is_stable_and_injective():
    assert slug("base") == "base"
    assert slug("Qwen/Qwen2.5-7B") == slug("Qwen/Qwen2.5-7B")
    names = ["a/b", "a-b", "a<b", "a b", "a_b"]
    assert len({slug(x) for x in names}) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", slug(x)) for x in names + ["../..", "<>", ""])


def test_reading_mentions_the_crossover():
    a = _analysis(["base", "rl"], P=80, n=64, seed=1, crossing=True)
    comp = a.benchmarks[0].comparisons[0]
    x = comp.crossover
    assert x.k is not None and 1 < x.k < x.k_max         # the synthetic data does cross
    text = benchmark_readings(a.benchmarks[0])[0].text
    assert f"rl is ahead of base for k < {x.k}" in text
    assert f"base catches up at k* = {x.k}" in text
    assert "no crossover" not in text
    cov = a.benchmarks[0].coverages[0]
    assert f"{int(cov.only_a)} problems are solved only by base" in text or \
        f"{int(cov.only_a)} problem is solved only by base" in text
    g = a.benchmarks[0].efficiency[0]
    assert f"ΔSE = {g.gap:.3f}" in text


def test_reading_without_crossover():
    a = _analysis(["base", "rl"], P=60, n=32, seed=2, crossing=False)
    comp = a.benchmarks[0].comparisons[0]
    assert comp.crossover.k is None                      # RL ahead at every k
    text = crossover_sentence(comp)
    assert text.startswith("rl is ahead of base at every k up to 32")
    assert "no crossover within k ≤ 32" in text
    assert "catches up at" not in text


def test_reading_reference_ahead_from_k1():
    # The reference is the better model at every k, so k* = 1.
    a = analyze_counts(_better_reference(), config=AnalysisConfig(n_boot=N_BOOT), models=["better", "worse"])
    comp = a.benchmarks[0].comparisons[0]
    assert comp.crossover.k == 1
    text = crossover_sentence(comp)
    assert "better is ahead of worse already at k = 1" in text
    assert "catches up" not in text


def _better_reference():
    rng = np.random.default_rng(5)
    p = rng.beta(0.3, 0.7, 50)
    return pa.Table.from_pylist(_counts({"better": np.minimum(1, p + 0.4), "worse": p}, 16, rng))


def test_reading_expected_coverage_and_notes(tmp_path):
    rng = np.random.default_rng(3)
    p = rng.beta(0.5, 0.5, 40)
    rows = _counts({"base": p, "rl": np.minimum(1, p * 1.8)}, 16, rng)
    rows = [r for r in rows if not (r["model"] == "rl" and r["problem_id"] == "p000")]  # a dropped problem
    a = analyze_counts(pa.Table.from_pylist(rows), config=AnalysisConfig(n_boot=N_BOOT, k=4), models=["base", "rl"])
    cov = a.benchmarks[0].coverages[0]
    assert not cov.exact and cov.k == 4
    text = benchmark_readings(a.benchmarks[0])[0].text
    assert "expected" in text and "approximate McNemar" in text
    assert a.benchmarks[0].notes
    assert a.benchmarks[0].notes[0] in reading_text(a)
    lines = reading_lines(a.benchmarks[0])
    assert lines[0] == text and lines[-1] == f"note: {a.benchmarks[0].notes[-1]}"
    paths = write_report(a, tmp_path)
    html = paths.index_html.read_text(encoding="utf-8")
    assert "left out of the paired comparison" in html
    assert "| expected |" in (paths.tables_dir / "coverage.md").read_text(encoding="utf-8")


def test_single_model_and_statuses(tmp_path):
    rng = np.random.default_rng(4)
    a = analyze_counts(pa.Table.from_pylist(_counts({"only": rng.beta(1, 1, 30)}, 8, rng)),
                       config=AnalysisConfig(n_boot=N_BOOT))
    from dataclasses import replace
    a = replace(a, statuses=[{"model": "only", "benchmark": "toy", "status": "timeout", "samples": 3}])
    paths = write_report(a, tmp_path)
    assert {p.stem for p in paths.figures} == {"toy_passk", "toy_histogram", "toy_cover", "toy_extrapolation"}
    assert "Only one model (only)" in paths.index_html.read_text(encoding="utf-8")
    rows = list(csv.DictReader((paths.tables_dir / "statuses.csv").open(encoding="utf-8")))
    assert rows == [{"model": "only", "benchmark": "toy", "status": "timeout", "samples": "3"}]
    s = json.loads(paths.summary_json.read_text(encoding="utf-8"))
    assert s["benchmarks"][0]["comparisons"] == [] and s["statuses"][0]["samples"] == 3


def test_markdown_and_latex_renderers():
    rows = [{"model": "a|b", "x": 1, "y": "50%"}, {"model": "c_d", "x": 2, "y": "Δ"}]
    md = to_markdown(rows)
    assert md.splitlines()[1] == "|---|---:|---|"
    assert "a\\|b" in md
    tex = to_latex(rows, caption="c", label="tab:x")
    assert "\\begin{tabular}{lrl}" in tex
    assert "c\\_d & 2 & $\\Delta$" in tex and "50\\%" in tex
    assert to_latex([]).startswith("%")


def test_tables_are_built_from_the_analysis(two):
    a, _ = two
    names = [t.name for t in build_tables(a)]
    assert names == ["passk", "comparisons", "coverage", "efficiency", "histograms", "extrapolation",
                     "extrapolation_check", "support", "curves", "differences"]
    comp = next(t for t in build_tables(a) if t.name == "comparisons").rows[0]
    x = a.benchmarks[0].comparisons[0].crossover
    assert comp["crossover k*"] == (x.k if x.k is not None else "none")
