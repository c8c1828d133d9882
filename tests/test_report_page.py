"""The report page as a person reads it: the answer first (headline table, one sentence, the
interactive pass@k chart), the contents bar, anchors, links into samples.html; checked as HTML and
in headless Chromium (as tests/test_browser.py does)."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import AnalysisConfig, analyze, analyze_counts
from boundary.report import write_report
from boundary.report.headline import comparison_anchor, headline_rows
from boundary.report.html import render_html
from boundary.report.reading import benchmark_sentence
from boundary.report.tables import build_tables

from tests.test_browser import SOLVED, _chromium, make_run

CFG = dict(n_boot=40, extrapolate_boot=5)
VIEW = {"width": 1280, "height": 800}


def _rows(n_models: int, n_bench: int, *, P: int = 40, n: int = 16, seed: int = 0) -> list[dict]:
    """Synthetic counts: a base and RL-like models that sharpen the solvable problems and lose the hard ones."""
    rng = np.random.default_rng(seed)
    models = ["base"] + [f"rl-{i}" for i in range(1, n_models)]
    rows = []
    for b in range(n_bench):
        pb = rng.beta(0.3, 0.7, P)
        for j, m in enumerate(models):
            p = pb if j == 0 else np.where(pb > 0.15 + 0.01 * j, np.minimum(1, pb * (1.6 + 0.05 * j)), pb * 0.1)
            c = rng.binomial(n, p)
            rows += [dict(model=m, benchmark=f"bench-{b}", problem_id=f"p{i:03d}", n=n, correct=int(c[i]))
                     for i in range(P)]
    return rows


def _analysis(n_models: int, n_bench: int, **kw):
    rows = _rows(n_models, n_bench)
    models = list(dict.fromkeys(r["model"] for r in rows))
    return analyze_counts(pa.Table.from_pylist(rows), config=AnalysisConfig(answer_space=50, **CFG, **kw),
                          models=models, run="runs/<synthetic>")


def _page_only(a) -> str:
    """The page without the matplotlib figures (fast: the figures have their own tests)."""
    return render_html(a, [], build_tables(a))


# ------------------------------------------------------------------------------------ HTML structure
@pytest.mark.parametrize("n_models,n_bench", [(1, 1), (2, 1), (9, 1), (20, 1), (1, 3), (2, 3), (9, 3), (20, 3)])
def test_the_answer_comes_first_for_every_size(n_models, n_bench):
    a = _analysis(n_models, n_bench)
    html = _page_only(a)
    answer = html.index('id="answer"')
    assert answer < html.index('class="details"') < html.index('id="tables"')
    for b in a.benchmarks:
        block = html[html.index(f'id="answer-{b.benchmark}"'):]
        block = block[:block.index('<div class="answer"', 10)] if '<div class="answer"' in block[10:] else block
        table = re.search(r'<table class="headline".*?</table>', block, re.S).group(0)
        assert len(re.findall(r"<tr data-model=", table)) == n_models          # one row per model, reference first
        assert re.search(r'<tr data-model="base">.*?reference', table, re.S)
        # one reading sentence per benchmark (not one per pair), right under the table
        ledes = re.findall(r'<p class="lede">(.*?)</p>', block.split('class="chart"')[0], re.S)
        assert len(ledes) == 1 and unescape(ledes[0]) == benchmark_sentence(b)
        # the chart: one curve and one picker checkbox per model, a title and an aria-label
        svg = re.search(r'<svg class="passk-chart".*?</svg>', block, re.S).group(0)
        assert 'role="img"' in svg and 'aria-label="pass@k on ' in svg and "<title>pass@k on " in svg
        assert len(re.findall(r'<g data-model="[^"]*" class="series"><polyline', svg)) == n_models
        assert len(re.findall(r'<input type="checkbox" checked value=', block.split("</fieldset>")[0])) == n_models
        assert "chance floor (m = 50)" in svg                                   # the chance floor, labelled
        # every comparison has its folded details with the anchor the table links to
        for c in b.comparisons:
            anchor = comparison_anchor(b.benchmark, c.other)
            assert f'<details class="cmp" id="{anchor}">' in html
            assert f'href="#{anchor}"' in table
    # many models: only the reference's band is drawn until a curve is hovered
    quiet = len(re.findall(r'class="series band quiet"', html))
    assert quiet == (n_bench * (n_models - 1) if n_models > 4 else 0)
    # every in-page anchor resolves
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    assert {h for h in re.findall(r'href="#([^"]*)"', html)} <= ids


def test_headline_row_numbers_and_significance():
    a = _analysis(3, 1)
    b = a.benchmarks[0]
    rows = headline_rows(b)
    assert [r.model for r in rows] == ["base", "rl-1", "rl-2"] and rows[0].is_reference
    r = rows[1]
    comp = b.comparisons[0]
    assert r.pass1 == b.curves["rl-1"].at(1) and r.passk == b.curves["rl-1"].at(16)
    lo, hi = comp.diff.lower[0], comp.diff.upper[0]
    assert r.pass1_sig == ("ref" if lo > 0 else "model" if hi < 0 else None)
    assert r.pass1_sig == "model"                       # the RL-like models are ahead at k = 1 here
    cov = b.coverages[0]
    assert r.coverage_sig == (None if cov.p_value >= 0.05 else "ref" if cov.only_a > cov.only_b else "model")
    html = _page_only(a)
    row = re.search(r'<tr data-model="rl-1">.*?</tr>', html, re.S).group(0)
    assert f"{r.pass1[0]:.3f}" in row and 'class="num sig-model"' in row
    x = comp.crossover
    assert (f">{x.k}<" in row) if x.k is not None else (f"none ≤ {x.k_max}" in row)
    assert f">{int(cov.only_a)}<" in row and f">{int(cov.only_b)}<" in row
    assert f"{b.efficiency[0].gap:+.3f}" in row


def test_sentence_names_the_winner_the_crossover_and_the_reference_only_problems():
    a = _analysis(2, 1)
    b = a.benchmarks[0]
    comp, cov = b.comparisons[0], b.coverages[0]
    x = comp.crossover
    s = benchmark_sentence(b)
    assert s.startswith(f"rl-1 wins at small k (pass@1 {comp.oth.estimate[0]:.3f} vs base {comp.ref.estimate[0]:.3f}")
    assert ("not significant" in s) == (comp.diff.upper[0] >= 0)
    assert f"base catches up at k* = {x.k} (95% CI " in s
    assert f"solves {int(cov.only_a)} problems rl-1 does not (rl-1 alone: {int(cov.only_b)};" in s
    many = benchmark_sentence(_analysis(9, 1).benchmarks[0])
    assert many.startswith("At small k every model is ahead of base (") and "problems per model" in many


def test_counts_only_run_renders_without_the_browser_and_says_why(tmp_path):
    from boundary.importers import import_counts
    csv = tmp_path / "c.csv"
    rows = _rows(3, 1, P=12, n=8)
    csv.write_text("problem_id,model,n,correct\n" + "".join(f"{r['problem_id']},{r['model']},{r['n']},{r['correct']}\n"
                                                             for r in rows))
    run = import_counts(csv, tmp_path / "r", benchmark="toy").run
    paths = write_report(analyze(run, AnalysisConfig(**CFG)), tmp_path / "rep")
    html = paths.index_html.read_text(encoding="utf-8")
    assert paths.samples_html is None and "samples.html" not in html
    assert 'class="headline"' in html and "imported per-problem counts only" in html


# ----------------------------------------------------------------------------------------- Chromium
def _open(pw, path, viewport=VIEW):
    exe = _chromium()
    browser = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
    pg = browser.new_page(viewport=viewport)
    events: dict[str, list[str]] = {"errors": [], "requests": []}
    pg.on("console", lambda m: events["errors"].append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: events["errors"].append(str(e)))
    pg.on("request", lambda r: events["requests"].append(r.url))
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    return browser, pg, events


@pytest.fixture(scope="module")
def nine(tmp_path_factory):
    """A full report (figures included) of 9 models on 2 benchmarks, from imported counts."""
    _chromium()
    from boundary.importers import import_counts
    tmp = tmp_path_factory.mktemp("page")
    csv = tmp / "c.csv"
    csv.write_text("benchmark,problem_id,model,n,correct\n" + "".join(
        f"{r['benchmark']},{r['problem_id']},{r['model']},{r['n']},{r['correct']}\n" for r in _rows(9, 2, P=30)))
    run = import_counts(csv, tmp / "r").run
    return write_report(analyze(run, AnalysisConfig(answer_space=50, **CFG)), tmp / "rep")


def test_chromium_first_screen_no_network_no_errors(nine):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser, pg, ev = _open(pw, nine.index_html)
        try:
            assert not ev["errors"], ev["errors"]
            assert ev["requests"] and all(u.startswith(("file:", "data:")) for u in ev["requests"]), ev["requests"]
            # the first headline table and its reading sentence are in the first viewport at 1280 x 800
            for sel in ("table.headline", "p.lede"):
                box = pg.locator(sel).first.bounding_box()
                assert box and box["y"] >= 0 and box["y"] + box["height"] <= VIEW["height"], (sel, box)
            # no horizontal scrolling at 1280 px
            assert pg.evaluate("document.documentElement.scrollWidth") <= VIEW["width"]
            # the contents bar stays in view
            pg.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
            assert pg.locator("nav.toc").bounding_box()["y"] == 0
            # alt text on every image, title and aria-label on every chart
            assert pg.eval_on_selector_all("img", "xs => xs.filter(x => !(x.alt || '').trim()).length") == 0
            assert pg.eval_on_selector_all("img", "xs => xs.length") > 10
            assert pg.eval_on_selector_all(
                "svg.passk-chart", "xs => xs.filter(x => !x.getAttribute('aria-label') || !x.querySelector('title'))"
                ".length") == 0
            # every in-page anchor resolves to an element id
            missing = pg.eval_on_selector_all(
                'a[href^="#"]', "as => as.map(a => decodeURIComponent(a.getAttribute('href').slice(1)))"
                ".filter(id => !document.getElementById(id))")
            assert missing == []
            assert not ev["errors"], ev["errors"]
        finally:
            browser.close()


def test_chromium_picker_hover_and_details(nine):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser, pg, ev = _open(pw, nine.index_html)
        try:
            chart = pg.locator("[data-chart]").first
            curve = chart.locator('svg g.series[data-model="rl-3"] polyline')
            assert curve.is_visible()
            chart.locator('.picker input[value="rl-3"]').uncheck()
            assert not curve.is_visible()
            chart.locator('.picker input[value="rl-3"]').check()
            assert curve.is_visible()
            chart.locator('.picker button[data-pick="ref"]').click()
            shown = chart.locator("svg g.series:not(.band)").evaluate_all(
                "gs => gs.filter(g => g.style.display !== 'none').map(g => g.dataset.model)")
            assert shown == ["base"]
            chart.locator('.picker button[data-pick="all"]').click()
            # hover the reference's curve at k = 4 (alone on the chart): the tooltip shows k, pass@k and the interval
            chart.locator('.picker button[data-pick="ref"]').click()
            chart.scroll_into_view_if_needed()
            k = 4
            est, lo, hi, x, y = _point(pg, "base", k)
            pg.mouse.move(x, y)
            tip = chart.locator(".tip")
            tip.wait_for(state="visible")
            text = tip.inner_text()
            assert "base (reference)" in text and f"k = {k}" in text
            assert f"pass@k = {est:.3f}" in text and f"95% CI {lo:.3f}–{hi:.3f}" in text
            pg.mouse.move(2, 2)
            tip.wait_for(state="hidden")
            # with 9 models only the reference's band shows, until a model is hovered
            chart.locator('.picker input[value="rl-5"]').check()
            band = chart.locator('svg g.band[data-model="rl-5"]')
            assert not band.is_visible()
            *_, x, y = _point(pg, "rl-5", 8)
            pg.mouse.move(x, y)
            tip.wait_for(state="visible")
            assert "rl-5" in tip.inner_text() and band.is_visible()
            pg.mouse.move(2, 2)
            assert not band.is_visible()
            # a row's model name opens that comparison's folded details
            anchor = comparison_anchor("bench-0", "rl-2")
            assert not pg.locator(f"#{anchor}").evaluate("d => d.open")
            pg.locator(f'table.headline a[href="#{anchor}"]').first.click()
            pg.wait_for_function(f"document.getElementById('{anchor}').open")
            # its difference and coverage: its own figures, or (above four models) a link to the overview's panels
            link = pg.locator(f'#{anchor} a[href$="-overview"]')
            assert pg.locator(f"#{anchor} img").count() >= 2 or link.count() == 1
            if link.count():
                target = link.get_attribute("href")[1:]
                assert pg.locator(f"[id='{target}'] + .grid img").count() == 2   # diff and coverage overviews
            assert not ev["errors"], ev["errors"]
        finally:
            browser.close()


def _point(pg, model: str, k: int) -> tuple[float, float, float, float, float]:
    """(pass@k, lower, upper, x, y): the first chart's numbers for ``model`` at ``k`` and where its curve
    point is on the screen."""
    return tuple(pg.evaluate(
        """([model, k]) => {
          const root = document.querySelector('[data-chart]'), svg = root.querySelector('svg.passk-chart');
          const d = JSON.parse(root.querySelector('.chart-data').textContent);
          const s = d.series.find(s => s.m === model), i = d.ks.indexOf(k), b = d.box;
          const p = svg.createSVGPoint();
          p.x = b[0] + (Math.log2(k) - d.x[0]) / (d.x[1] - d.x[0]) * b[2];
          p.y = b[1] + (1 - (s.e[i] - d.y[0]) / (d.y[1] - d.y[0])) * b[3];
          const q = p.matrixTransform(svg.getScreenCTM());
          return [s.e[i], s.l[i], s.u[i], q.x, q.y];
        }""", [model, k]))


@pytest.mark.parametrize("n_models,n_bench", [(1, 1), (20, 3)])
def test_chromium_small_and_large_pages(tmp_path, n_models, n_bench):
    """The page without figures, from 1 model on 1 benchmark to 20 models on 3: no error, no sideways scroll."""
    from playwright.sync_api import sync_playwright
    _chromium()
    path = tmp_path / "index.html"
    path.write_text(_page_only(_analysis(n_models, n_bench)), encoding="utf-8")
    with sync_playwright() as pw:
        browser, pg, ev = _open(pw, path)
        try:
            assert pg.evaluate("document.documentElement.scrollWidth") <= VIEW["width"]
            assert pg.locator("table.headline").first.bounding_box()["y"] < VIEW["height"] / 2
            assert pg.locator("svg.passk-chart").count() == n_bench
            assert not ev["errors"], ev["errors"]
        finally:
            browser.close()


def test_chromium_headline_links_open_the_problems_in_samples_html(tmp_path):
    """'only base' links to samples.html#bench=toy&solved_by=base&not_by=rl, which lists exactly those problems."""
    from playwright.sync_api import sync_playwright
    _chromium()
    run = make_run(tmp_path / "r")
    paths = write_report(analyze(run, AnalysisConfig(**CFG)), run.path / "report")
    html = paths.index_html.read_text(encoding="utf-8")
    href = "samples.html#bench=toy&amp;solved_by=base&amp;not_by=rl&amp;from=answer-toy"
    assert f'href="{href}"' in html
    assert 'href="samples.html#bench=toy&amp;solved_by=rl&amp;not_by=base&amp;from=answer-toy"' in html
    only_base = sorted(p for p, c in SOLVED.items() if c["base"] > 0 and c["rl"] == 0)
    only_rl = sorted(p for p, c in SOLVED.items() if c["rl"] > 0 and c["base"] == 0)
    with sync_playwright() as pw:
        browser, pg, ev = _open(pw, paths.index_html)
        try:
            pg.locator(f'table.headline a[href="{unescape(href)}"]').click()
            pg.wait_for_url("**/samples.html#*")
            pg.wait_for_function(f"document.querySelectorAll('#problems tbody tr').length === {len(only_base)}")
            rows = pg.eval_on_selector_all("#problems tbody tr", "rs => rs.map(r => r.dataset.problem)")
            assert rows == only_base
            # "back to the report" returns to the table the reader came from, not to the top
            assert pg.get_attribute("#back", "href") == "index.html#answer-toy"
            pg.click("#back")
            pg.wait_for_url("**/index.html#answer-toy")
            assert pg.evaluate("window.scrollY") > 0 or pg.locator("#answer-toy").bounding_box()["y"] < 5
            pg.goto(paths.samples_html.as_uri() + "#bench=toy&solved_by=rl&not_by=base")
            pg.wait_for_function(f"document.querySelectorAll('#problems tbody tr').length === {len(only_rl)}")
            assert pg.eval_on_selector_all("#problems tbody tr", "rs => rs.map(r => r.dataset.problem)") == only_rl
            pg.goto(paths.samples_html.as_uri() + "#bench=toy&problem=p4")
            pg.wait_for_selector('#detail h2')
            assert pg.inner_text("#detail h2") == "toy · p4"
            assert not ev["errors"], ev["errors"]
        finally:
            browser.close()


def test_a_plugin_section_appears_in_the_page_and_the_contents(tmp_path):
    """``register_report_section``: a maker's section is on the page and in the contents bar; a maker
    that returns None adds nothing."""
    from boundary.report import _SECTIONS, register_report_section
    seen = []

    def make(analysis, out_dir):
        seen.append(out_dir)
        return ("plugin-check", "Plugin check", "<p>from a plugin &amp; escaped</p>")

    register_report_section("test-plugin-check", make)
    register_report_section("test-nothing", lambda analysis, out_dir: None)
    try:
        paths = write_report(_analysis(2, 1), tmp_path / "rep", browser=False)
    finally:
        _SECTIONS.pop("test-plugin-check", None)
        _SECTIONS.pop("test-nothing", None)
    page = paths.index_html.read_text()
    assert seen == [tmp_path / "rep"]
    assert '<section id="plugin-check"><h2>Plugin check</h2><p>from a plugin &amp; escaped</p></section>' in page
    assert 'href="#plugin-check"' in page


def test_chromium_samples_html_shows_nine_models_without_sideways_scrolling(tmp_path):
    """With more than four models the problem list has one narrow heat cell per model (count shaded by
    accuracy, c/n on hover) under a vertical name, and every model fits in the list's width."""
    from playwright.sync_api import sync_playwright

    from boundary.report.browser import write_browser
    from boundary.store import Run
    _chromium()
    run = Run.create(tmp_path / "r")
    models = ["base"] + [f"rl-checkpoint-{i}" for i in range(8)]
    run.write("problems", pa.Table.from_pylist([{"benchmark": b, "problem_id": f"{b}-{i:03d}", "question": "q",
                                                 "reference": "42", "metadata": "{}"}
                                                for b in ("math", "aime") for i in range(12)]))
    rows = [{"model": m, "benchmark": b, "problem_id": f"{b}-{i:03d}", "sample_index": j, "text": "t",
             "finish_reason": "stop", "completion_tokens": 5}
            for m in models for b in ("math", "aime") for i in range(12) for j in range(64)]
    run.write("samples", pa.Table.from_pylist(rows))
    run.write("verdicts", pa.Table.from_pylist([
        {**{k: r[k] for k in ("model", "benchmark", "problem_id", "sample_index")},
         "status": "correct" if r["sample_index"] < 7 * (models.index(r["model"]) % 3) else "wrong",
         "extracted": "42", "path": "exact", "verifier": "test"} for r in rows]))
    run.add_models(models)
    run.add_benchmarks(["math", "aime"])
    res = write_browser(run, tmp_path / "out")
    with sync_playwright() as pw:
        browser, pg, ev = _open(pw, res.path)
        try:
            pg.wait_for_selector("#problems tbody tr")
            assert pg.evaluate("document.getElementById('list').scrollWidth <= document.getElementById('list')"
                               ".clientWidth")
            heads = pg.eval_on_selector_all("#problems th.vert", "hs => hs.map(h => h.textContent)")
            assert heads == models
            assert pg.inner_text("#problems th >> nth=0").startswith("problem (correct of 64)")
            first = pg.eval_on_selector_all("#problems tbody tr:first-child td.heat",
                                            "ts => ts.map(t => [t.textContent, t.title, t.style.background])")
            assert [c[0] for c in first] == [str(7 * (i % 3)) for i in range(9)]
            assert first[1][1] == "rl-checkpoint-0: 7/64 correct" and first[1][2].startswith("rgba(26, 127, 55")
            assert first[0][2] == ""                              # none correct: no shading
            assert pg.evaluate("document.documentElement.scrollWidth") <= VIEW["width"]
            assert not ev["errors"], ev["errors"]
        finally:
            browser.close()


def test_a_long_checkpoint_sweep_leads_with_its_sweep_figure_and_a_scrolling_table(tmp_path):
    """20 checkpoints: the headline table scrolls in a frame and the sweep figure (pass@1 and pass@k_max
    against step) follows the reading sentence, before the chart; a 3-checkpoint sweep keeps the plain table."""
    from tests.test_report_figures import _sweep_analysis
    long = write_report(_sweep_analysis(20), tmp_path / "long", browser=False)
    html = long.index_html.read_text(encoding="utf-8")
    answer = html.split('id="answer-toy"')[1].split('class="details"')[0]
    assert '<div class="scroll tall"><table class="headline"' in answer
    assert "21 models: the table scrolls" in answer
    lede, chart = answer.index('class="lede"'), answer.index("passk-chart")
    sweep_img = answer.index('alt="toy: grpo over training"')
    assert lede < sweep_img < chart
    assert html.count('id="fig-toy_sweep_grpo"') == 1              # the details keep the anchor
    short = write_report(_sweep_analysis(3), tmp_path / "short", browser=False)
    html = short.index_html.read_text(encoding="utf-8")
    answer = html.split('id="answer-toy"')[1].split('class="details"')[0]
    assert "scroll tall" not in answer and "over training" not in answer
