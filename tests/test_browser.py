"""The sample browser (samples.html): what it embeds, and that it works in headless Chromium."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil

import pyarrow as pa
import pytest

from boundary import Run
from boundary.analysis import AnalysisConfig, analyze
from boundary.report import write_report
from boundary.report.browser import BrowserConfig, choose_samples, write_browser

N = 40
# problem -> correct samples per model
SOLVED = {"p0": {"base": 30, "rl": 38}, "p1": {"base": 1, "rl": 0}, "p2": {"base": 0, "rl": 5},
          "p3": {"base": 0, "rl": 0}, "p4": {"base": 12, "rl": 20}}
EVIL = "</script><script>window.__pwned = 1</script><b>bold</b>"


def _text(m, p, i, ok):
    return f"{m} {p} sample {i}: chain of thought {'VALIDCHAIN' if ok else 'muddle'}. " + \
        ("x" * 50 if i % 7 else EVIL) + f" The answer is \\boxed{{{42 if ok else i % 3}}}."


def make_run(path, texts=True):
    run = Run.create(path)
    run.write("problems", pa.Table.from_pylist([
        {"benchmark": "toy", "problem_id": p, "question": f"What is the answer to {p}?", "reference": "42",
         "metadata": "{}"} for p in SOLVED]))
    samples, verdicts = [], []
    for p, by_model in SOLVED.items():
        for m, c in by_model.items():
            correct = set(range(N - c, N))            # correct samples sit at the highest indices
            for i in range(N):
                ok = i in correct
                samples.append({"model": m, "benchmark": "toy", "problem_id": p, "sample_index": i,
                                "text": _text(m, p, i, ok), "finish_reason": "stop", "completion_tokens": 20})
                if i == N - 1 and not ok:
                    continue                          # one unverified sample per model and unsolved problem
                verdicts.append({"model": m, "benchmark": "toy", "problem_id": p, "sample_index": i,
                                 "status": "correct" if ok else ("wrong" if i % 5 else "no_answer"),
                                 "extracted": "42" if ok else (str(i % 3) if i % 5 else None),
                                 "path": "exact", "verifier": "test"})
    run.write("samples", pa.Table.from_pylist(samples))
    run.write("verdicts", pa.Table.from_pylist(verdicts))
    run.add_models(["base", "rl"])
    run.add_benchmarks(["toy"])
    return run


def _payloads(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="payloads">(.*?)</script>', html, re.S)
    return {k: json.loads(gzip.decompress(base64.b64decode(v))) for k, v in json.loads(m.group(1)).items()}


def test_choose_samples_prefers_correct_then_distinct_answers():
    rows = [(i, "wrong", str(i % 2)) for i in range(20)] + [(20, "correct", "7"), (21, "correct", "7")]
    got = choose_samples(rows, 4)
    assert got[:2] == [20, 21]                        # the rare correct samples are always shown
    assert sorted(got[2:]) == [0, 1]                  # one per distinct wrong answer
    assert len(choose_samples(rows, 4)) == 4


def test_browser_embeds_capped_samples_and_escapes(tmp_path):
    run = make_run(tmp_path / "r")
    res = write_browser(run, tmp_path / "out", BrowserConfig(samples_per_model=6, max_chars=100))
    assert res.path == tmp_path / "out" / "samples.html"
    assert res.problems == 5 and res.samples_total == 5 * 2 * N and res.samples_embedded == 5 * 2 * 6
    html = res.path.read_text()
    assert "window.__pwned" not in html               # texts are compressed, never raw in the page
    assert "\\u003c/script" in html or "</script><script>window" not in html
    payloads = _payloads(html)
    p1 = next(v for v in payloads.values() if v["q"].endswith("p1?"))
    base = p1["models"]["base"]
    assert base["n"] == N and len(base["samples"]) == 6
    assert base["samples"][0][0] == N - 1 and base["samples"][0][1] == "correct"    # the single correct one
    assert all(len(s[5]) <= 100 + 80 for s in base["samples"])                    # texts cut, with a marker
    assert res.truncated_texts > 0 and "characters cut by the sample browser" in base["samples"][0][5]
    p3 = next(v for v in payloads.values() if v["q"].endswith("p3?"))
    assert {s[1] for s in p3["models"]["rl"]["samples"]} >= {"wrong", "no_answer"}


def test_counts_only_run_has_no_browser_and_the_report_says_why(tmp_path):
    from boundary.importers import import_counts
    csv = tmp_path / "c.csv"
    csv.write_text("problem_id,model,n,correct\n" + "".join(f"p{i},base,8,{i % 3}\np{i},rl,8,{i % 2}\n"
                                                             for i in range(6)))
    run = import_counts(csv, tmp_path / "r").run
    res = write_browser(run, tmp_path / "out")
    assert res.path is None and "imported per-problem counts only" in res.reason
    paths = write_report(analyze(run, AnalysisConfig(n_boot=50)), tmp_path / "rep")
    assert paths.samples_html is None and not (tmp_path / "rep" / "samples.html").exists()
    html = paths.index_html.read_text()
    assert 'id="validity"' in html and "imported per-problem counts only" in html


def test_report_links_the_browser(tmp_path):
    run = make_run(tmp_path / "r")
    paths = write_report(analyze(run, AnalysisConfig(n_boot=50)), run.path / "report")
    assert paths.samples_html == run.path / "report" / "samples.html" and paths.samples_html.is_file()
    assert 'href="samples.html"' in paths.index_html.read_text()


# ------------------------------------------------------------------------------------------ Chromium
def _chromium() -> str:
    """Path of a Chromium to drive; skip (locally) or fail (CI=true) when there is none."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if in_ci:
            pytest.fail("CI=true but the playwright package is missing: install boundary[dev].")
        pytest.skip("the browser test needs the playwright package (pip install -e '.[dev]')")
    for cand in (os.environ.get("BOUNDARY_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    if in_ci:
        pytest.fail("CI=true but no Chromium found (.ci/run installs Debian's chromium; or set BOUNDARY_CHROMIUM)")
    pytest.skip("no Chromium on this machine (apt-get install chromium, or set BOUNDARY_CHROMIUM)")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    exe = _chromium()
    from playwright.sync_api import sync_playwright
    tmp = tmp_path_factory.mktemp("browser")
    run = make_run(tmp / "r")
    res = write_browser(run, tmp / "out", BrowserConfig(samples_per_model=8, page_size=100))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        pg = browser.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(res.path.as_uri())
        pg.wait_for_selector("#problems tbody tr")
        yield pg, errors
        browser.close()


def _visible_problems(pg) -> list[str]:
    return pg.eval_on_selector_all("#problems tbody tr", "rows => rows.map(r => r.dataset.problem)")


def test_chromium_loads_filters_and_shows_a_sample_text(page):
    pg, errors = page
    assert _visible_problems(pg) == ["p0", "p1", "p2", "p3", "p4"]
    # "solved only by base"
    pg.select_option("#f-solved", "only:base")
    pg.wait_for_function("document.querySelectorAll('#problems tbody tr').length === 1")
    assert _visible_problems(pg) == ["p1"]
    # accuracy < 5% for rl, excluding zero: p2 has 5/40 = 12.5%, so nothing; < 15% gives p2
    pg.select_option("#f-solved", "")
    pg.select_option("#f-acc-model", "rl")
    pg.check("#f-acc-nonzero")
    pg.fill("#f-acc-max", "5")
    pg.wait_for_function("document.getElementById('count').textContent.startsWith('0 of')")
    pg.fill("#f-acc-max", "15")
    pg.wait_for_function("document.querySelectorAll('#problems tbody tr').length === 1")
    assert _visible_problems(pg) == ["p2"]
    # open it: rl's correct samples are shown with their text
    pg.click("#problems tbody tr")
    pg.wait_for_selector('#samples .model-block[data-model="rl"] .sample')
    rl = pg.inner_text('#samples .model-block[data-model="rl"]')
    assert "rl p2 sample 35: chain of thought VALIDCHAIN" in rl      # correct ones first
    assert "8 of 40 samples shown" in rl
    assert "correct" in pg.inner_text('#samples .model-block[data-model="rl"] .sample .badge')
    # status filter inside the problem
    pg.select_option("#d-status", "no_answer")
    statuses = pg.eval_on_selector_all("#samples .sample", "els => els.map(e => e.dataset.status)")
    assert statuses and set(statuses) == {"no_answer"}
    # a text that looks like markup is shown as text, never run
    pg.select_option("#d-status", "")
    assert pg.evaluate("window.__pwned === undefined")
    assert "</script><script>" in pg.inner_text("#samples")
    assert not errors, errors


def test_chromium_text_search_in_sample_texts(page):
    pg, errors = page
    pg.select_option("#f-acc-model", "any")
    pg.fill("#f-acc-max", "")
    pg.uncheck("#f-acc-nonzero")
    pg.fill("#f-search", "rl p4 sample 20")
    pg.wait_for_function("document.getElementById('count').textContent.startsWith('0 of')")
    pg.check("#f-search-texts")
    pg.wait_for_function("document.querySelectorAll('#problems tbody tr').length === 1")
    assert _visible_problems(pg) == ["p4"]
    pg.click("#problems tbody tr")
    pg.wait_for_selector("#samples mark")
    assert pg.inner_text("#samples mark").lower() == "rl p4 sample 20"
    assert not errors, errors
