"""The sample browser: ``samples.html`` next to the report's ``index.html``.

For any problem it shows the samples of each model with their verdict status, the extracted
answer and the text, so that a person can check chains of thought by hand (Yue et al. 2025,
§3.1 and App. D.2: the authors inspected the CoTs of problems with accuracy < 5%). The problem
list filters by who solved a problem ("solved only by base"), by accuracy ("< 5%"), by verdict
status and by text.

The page is self-contained (inline CSS and JavaScript, no network) and stays usable at
n = 1024 × 500 problems because it does not embed everything:

- per problem and model at most ``BrowserConfig.samples_per_model`` samples are embedded, chosen
  deterministically: correct samples first (up to half the cap, lowest sample index first), then
  one sample per distinct wrong answer (most frequent first), then the lowest remaining indices;
- texts longer than ``BrowserConfig.max_chars`` keep their beginning and end, with the number of
  characters cut in between;
- each problem's samples are one gzip-compressed JSON blob (base64) that the browser decompresses
  (``DecompressionStream``) only when the problem is opened; the problem list itself holds only
  ids, a question preview and per-model counts.

The page says all of this where it applies ("8 of 1024 samples shown"). Its URL hash addresses a
view (the report's headline tables link here): ``samples.html#bench=B&solved_by=A&not_by=M`` lists
the problems of benchmark B that A solves (≥ 1 correct sample) and M does not,
``#bench=B&solved=only:M`` (or ``all``, ``some``, ``none``) the problems solved only by M, and
``#bench=B&problem=ID`` opens one problem; values are URI-encoded. Texts are read by
streaming the sample shards in record batches (only the chosen rows are kept), so memory does not
grow with n. A run that holds only imported per-problem counts has no texts and gets no browser;
``write_browser`` then returns the reason, which the report prints.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from boundary.store import Run

#: Statuses in display order (verdict statuses, then a sample without a verdict).
STATUS_ORDER = ("correct", "wrong", "no_answer", "truncated", "timeout", "error", "unverified")


@dataclass(frozen=True)
class BrowserConfig:
    samples_per_model: int = 8
    """Samples embedded per problem and model (the rest are counted, not shown)."""
    max_chars: int = 8000
    """Longest text embedded per sample; longer texts keep head and tail."""
    question_preview: int = 160
    """Characters of the question shown in the problem list."""
    page_size: int = 100
    """Problems per page of the problem list."""


@dataclass(frozen=True)
class BrowserResult:
    path: Path | None
    """``samples.html``, or None when the run has no sample texts."""
    reason: str | None = None
    """Why there is no browser (None when there is one)."""
    problems: int = 0
    samples_total: int = 0
    samples_embedded: int = 0
    truncated_texts: int = 0
    bytes: int = 0


def no_browser_reason(run: Run) -> str | None:
    """Why ``run`` cannot have a sample browser, or None if it can."""
    if not run.shards("samples"):
        if run.shards("counts"):
            return ("no sample browser: this run holds imported per-problem counts only (n and correct per "
                    "problem), not the sampled texts, so there are no chains of thought to show. Import the "
                    "paper's JSONL (`boundary import paper`) or sample with `boundary run` to get one.")
        return "no sample browser: the run has no samples."
    return None


def _cut(text: str | None, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` characters (head and tail kept); returns (text, chars cut)."""
    text = text or ""
    if len(text) <= limit:
        return text, 0
    head = (limit * 2) // 3
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n\n[… {cut:,} characters cut by the sample browser …]\n\n{text[-tail:]}", cut


def choose_samples(rows: list[tuple[int, str, str | None]], cap: int) -> list[int]:
    """Sample indices to embed for one (model, problem), from ``(sample_index, status, extracted)`` rows.

    Correct samples first (up to half the cap), then one per distinct non-correct (status, answer),
    most frequent first, then the lowest remaining indices. Deterministic.

    Examples:
        >>> rows = [(0, "wrong", "1"), (1, "wrong", "1"), (2, "correct", "7"), (3, "wrong", "2"), (4, "no_answer", None)]
        >>> choose_samples(rows, 3)
        [2, 0, 3]
        >>> choose_samples(rows, 10)
        [0, 1, 2, 3, 4]
    """
    if len(rows) <= cap:
        return sorted(r[0] for r in rows)
    rows = sorted(rows)
    chosen: list[int] = []
    taken: set[int] = set()

    def take(i: int) -> None:
        if i not in taken and len(chosen) < cap:
            chosen.append(i)
            taken.add(i)

    for i, st, _ in rows:
        if st == "correct" and len(chosen) < (cap + 1) // 2:
            take(i)
    first: dict[tuple, int] = {}
    freq: Counter = Counter()
    for i, st, ex in rows:
        if st != "correct":
            key = (st, ex)
            freq[key] += 1
            first.setdefault(key, i)
    for key, _ in sorted(freq.items(), key=lambda kv: (-kv[1], first[kv[0]])):
        if len(chosen) >= cap:
            break
        take(first[key])
    for i, _, _ in rows:
        if len(chosen) >= cap:
            break
        take(i)
    return chosen


def _pack(obj) -> str:
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _script_json(obj) -> str:
    """JSON safe to put inside ``<script type="application/json">`` (no ``</script>`` possible)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def write_browser(run: Run | str | os.PathLike, out_dir: str | Path, config: BrowserConfig = BrowserConfig(), *,
                  reference: str | None = None, title: str | None = None) -> BrowserResult:
    """Write ``out_dir/samples.html`` for ``run``; without sample texts, return the reason instead."""
    run = run if isinstance(run, Run) else Run(run)
    reason = no_browser_reason(run)
    if reason:
        return BrowserResult(path=None, reason=reason)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    # ---- problems
    pt = run.problems(["benchmark", "problem_id", "question", "reference"])
    problems = {(b, p): (q or "", r) for b, p, q, r in zip(*(pt[c].to_pylist() for c in pt.column_names))}
    del pt

    # ---- every sample's key, verdict and judge label as one compact Arrow table (never the text)
    # (one model at a time, so memory holds one model's keys, not the whole run's)
    names = run.samples(["model", "benchmark"])
    models = _ordered(run.models, names["model"])
    benches = _ordered(run.benchmarks, names["benchmark"])
    del names
    reference = reference if reference in models else (models[0] if models else None)
    labels = False

    # ---- per (model, benchmark, problem): counts, frequent answers and the samples to embed
    groups: dict[tuple, dict] = {}
    wanted: set[tuple] = set()
    for key, rows in (g for m in models for g in _groups(_sample_table(run, m))):
        labels = labels or any(r[5] is not None for r in rows)
        st = Counter(r[1] for r in rows)
        answers = Counter((r[2], r[1] == "correct") for r in rows if r[2] not in (None, ""))
        by_index = {r[0]: r for r in rows}
        chosen = [by_index[i] for i in choose_samples([(r[0], r[1], r[2]) for r in rows], config.samples_per_model)]
        groups[key] = {"n": len(rows), "status": dict(st), "chosen": chosen,
                       "answers": [[a, c, ok] for (a, ok), c in answers.most_common(8)]}
        wanted.update((*key, r[0]) for r in chosen)

    # ---- stream the texts of the chosen samples only
    texts: dict[tuple, str] = {}
    truncated = 0
    key_cols = ["model", "benchmark", "problem_id", "sample_index"]
    for batch in run.iter_batches("samples", key_cols + ["text"], batch_size=4096):
        d = batch.select(key_cols).to_pydict()
        hits = [j for j, k in enumerate(zip(*(d[c] for c in key_cols))) if k in wanted]
        if not hits:
            continue
        for j, t in zip(hits, batch.column("text").take(hits).to_pylist()):
            texts[tuple(d[c][j] for c in key_cols)], cut = _cut(t, config.max_chars)
            truncated += cut > 0

    # ---- the problem index and per-problem payloads
    index = []
    payloads: dict[str, str] = {}
    total = embedded = 0
    border = {b: i for i, b in enumerate(benches)}
    pkeys = sorted({(k[1], k[2]) for k in groups}, key=lambda bp: (border[bp[0]], bp[1]))
    for n_prob, (b, p) in enumerate(pkeys):
        q, ref = problems.get((b, p), ("", None))
        counts, payload_models = {}, {}
        for m in models:
            g = groups.get((m, b, p))
            if g is None:
                continue
            total += g["n"]
            counts[m] = [g["n"], g["status"].get("correct", 0), g["status"]]
            samples = [[r[0], r[1], r[2], r[3], r[4], texts.get((m, b, p, r[0]), ""), r[5] if labels else None]
                       for r in g["chosen"]]
            embedded += len(samples)
            payload_models[m] = {"n": g["n"], "samples": samples, "answers": g["answers"]}
        key = str(n_prob)
        payloads[key] = _pack({"q": q, "ref": ref, "models": payload_models})
        preview = q if len(q) <= config.question_preview else q[:config.question_preview] + "…"
        index.append({"k": key, "b": b, "p": p, "q": preview, "ref": ref, "c": counts})

    meta_obj = {
        "run": str(run.path), "title": title or str(run.path), "models": models, "reference": reference,
        "benchmarks": benches, "cap": config.samples_per_model, "maxChars": config.max_chars,
        "pageSize": config.page_size, "statuses": list(STATUS_ORDER), "judged": labels,
    }
    html = (_PAGE.replace("__TITLE__", _html_escape(title or str(run.path)))
            .replace("__META__", _script_json(meta_obj))
            .replace("__INDEX__", _script_json(index))
            .replace("__PAYLOADS__", _script_json(payloads)))
    path = out_dir / "samples.html"
    path.write_text(html, encoding="utf-8")
    return BrowserResult(path=path, problems=len(index), samples_total=total, samples_embedded=embedded,
                         truncated_texts=truncated, bytes=path.stat().st_size)


def validity_section(analysis, out_dir: str | Path, config: BrowserConfig | None = None
                     ) -> tuple[tuple[str, str, str], Path | None, list[str]]:
    """The report's "Answer validity" section: the sample browser (written here) or why there is none.

    Returns ``((anchor, title, html), samples_html or None, notes)``; ``notes`` say what was skipped.
    """
    from html import escape
    notes: list[str] = []
    parts: list[str] = []
    run = None
    path = Path(analysis.run) if analysis.run else None
    runs = list(getattr(analysis, "runs", ()) or ())
    if len(runs) > 1:
        notes.append(f"no sample browser: this report compares {len(runs)} runs ({', '.join(runs)}) and the "
                     "browser shows the texts of one run; each run's own report (boundary report RUN) has its "
                     "samples.html.")
        links = []
        for r in runs:
            own = Path(r) / "report" / "samples.html"
            if own.is_file():
                href = os.path.relpath(own.resolve(), Path(out_dir).resolve())
                links.append(f'<a href="{escape(Path(href).as_posix())}">{escape(r)}</a>')
        if links:
            parts.append(f"<p>Sample browsers of the runs compared: {', '.join(links)}.</p>")
    elif path is None or not Run.is_run(path):
        notes.append(f"no sample browser: the analysis is not attached to a run directory "
                     f"({analysis.run or 'none given'} holds no manifest.json), so there are no texts to show.")
    else:
        run = Run(path)
    samples_html = None
    if run is not None:
        res = write_browser(run, out_dir, config or BrowserConfig(), reference=analysis.reference)
        if res.path is None:
            notes.append(res.reason or "no sample browser.")
        else:
            samples_html = res.path
            cfg = config or BrowserConfig()
            parts.append(
                f'<p><a href="{escape(res.path.name)}"><strong>Open the sample browser</strong></a> '
                f"({res.problems} problems, {res.samples_embedded:,} of {res.samples_total:,} samples embedded, "
                f"at most {cfg.samples_per_model} per model and problem; {res.bytes / 1e6:.1f} MB): every problem "
                "with each model's samples, verdict status, extracted answer and text, filterable by who solved "
                "it and by accuracy, to check chains of thought by hand as Yue et al. did for problems with "
                "accuracy &lt; 5%.</p>")
    for extra in _validity_extras(run, analysis):
        if isinstance(extra, str) and extra.startswith("<"):
            parts.append(extra)
        else:
            notes.append(extra)
    if notes:
        parts.append('<ul class="allnotes">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    return ("validity", "Answer validity", "".join(parts)), samples_html, notes


def _validity_extras(run, analysis) -> list[str]:
    """HTML blocks (strings starting with ``<``) and notes of the CoT judge and the guessability filter."""
    validity = getattr(analysis, "validity", None)
    if validity is None or (run is None and len(getattr(analysis, "runs", ()) or ()) < 2):
        return []
    from boundary.report.validity import validity_blocks
    return validity_blocks(validity)


def _ordered(known: list[str], column) -> list[str]:
    present = set(column.unique().to_pylist())
    return [x for x in known if x in present] + sorted(present - set(known))


def _sample_table(run: Run, model: str):
    """(model, benchmark, problem_id, sample_index, status, extracted, finish_reason, completion_tokens
    [, label]) of every sample of ``model``, sorted by key; samples without a verdict are ``unverified``."""
    import pyarrow as pa
    import pyarrow.compute as pc
    keys = ["model", "benchmark", "problem_id", "sample_index"]
    mine = pc.field("model") == model
    s = run.read("samples", keys + ["finish_reason", "completion_tokens"], filter=mine)
    v = run.read("verdicts", keys + ["status", "extracted"], filter=mine)
    t = s.join(v, keys=keys, join_type="left outer")
    t = t.set_column(t.schema.get_field_index("status"), "status",
                     pc.fill_null(t["status"], pa.scalar("unverified")))
    j = _judge_table(run)
    if j is not None:
        t = t.join(j.filter(pc.equal(j["model"], model)), keys=keys, join_type="left outer")
    return t.sort_by([(k, "ascending") for k in keys])


def _judge_table(run: Run):
    """Labels of the latest judge (the run's ``judgments`` table), or None when the run has no judgments."""
    from boundary.analysis.validity import judgment_labels
    return judgment_labels(run)


def _groups(table, rows_per_slice: int = 131072):
    """Yield ((model, benchmark, problem_id), rows) of a table sorted by key; rows are
    (sample_index, status, extracted, finish_reason, completion_tokens, label)."""
    cols = ["sample_index", "status", "extracted", "finish_reason", "completion_tokens"]
    has_label = "label" in table.column_names
    cur: tuple[Any, Any, Any] | None = None
    rows: list[tuple[Any, ...]] = []
    for s in range(0, table.num_rows, rows_per_slice):
        d = table.slice(s, rows_per_slice).to_pydict()
        lab = d["label"] if has_label else [None] * len(d["model"])
        for m, b, p, i, st, ex, fr, tok, lb in zip(d["model"], d["benchmark"], d["problem_id"],
                                                    *(d[c] for c in cols), lab):
            key = (m, b, p)
            if key != cur:
                if rows:
                    yield cur, rows
                cur, rows = key, []
            rows.append((i, st, ex, fr, tok, lb))
    if rows:
        yield cur, rows


def _html_escape(s: str) -> str:
    from html import escape
    return escape(s, quote=True)


_PAGE = r"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Samples — __TITLE__</title>
<style>
:root { --fg:#1d2329; --muted:#5b6670; --line:#e3e7eb; --bg:#f6f7f9; --card:#fff; --accent:#0b5fa5; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { background:#16324f; color:#fff; padding: 14px 22px; }
header h1 { margin:0; font-size: 20px; }
header .run { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; color:#cfe0f1; }
header a { color:#cfe0f1; }
main { display:grid; grid-template-columns: minmax(360px, 40%) 1fr; gap: 14px; padding: 14px 22px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding: 10px 12px; }
#filters { display:flex; flex-wrap:wrap; gap: 6px 12px; align-items:center; font-size: 13px; }
#filters label { white-space: nowrap; }
#filters input[type=search] { width: 220px; }
#filters input[type=number] { width: 64px; }
p.note { color:var(--muted); font-size: 12.5px; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background:#fafbfc; position: sticky; top: 0; }
td.num { text-align:right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.vert { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; max-height: 120px;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 6px 2px; font-weight: 600; }
td.heat { padding: 4px 3px; min-width: 28px; }
td .bench { color: var(--muted); font-size: 11.5px; }
td.pid { white-space: nowrap; }
tr.prob { cursor: pointer; }
tr.prob:hover { background:#f1f6fb; }
tr.prob.sel { background:#e2eefa; }
td.q { color: var(--muted); }
#list { max-height: calc(100vh - 250px); overflow-y: auto; }
#pager { display:flex; gap: 8px; align-items:center; margin-top: 6px; font-size: 13px; }
#detail h2 { margin: 0 0 6px; font-size: 17px; }
#detail .question { white-space: pre-wrap; background:#fafbfc; border:1px solid var(--line); border-radius:6px;
  padding: 8px 10px; margin: 6px 0; }
.badge { display:inline-block; font-size: 11.5px; border-radius: 3px; padding: 0 6px; margin-right: 4px; color:#fff; }
.s-correct { background:#1a7f37; } .s-wrong { background:#b42318; } .s-no_answer { background:#7a5af8; }
.s-truncated { background:#b54708; } .s-timeout { background:#475467; } .s-error { background:#000; }
.s-unverified { background:#98a2b3; }
.j-valid { background:#0e7490; } .j-invalid { background:#c11574; } .j-unparsed, .j-error { background:#667085; }
.model-block { margin-top: 12px; }
.model-block h3 { margin: 6px 0; font-size: 15px; }
.sample { border:1px solid var(--line); border-radius: 6px; margin: 6px 0; }
.sample .head { padding: 4px 8px; background:#fafbfc; font-size: 12.5px; border-bottom:1px solid var(--line); }
.sample .head code { background:#eef2f6; padding: 0 4px; border-radius: 3px; }
.sample pre { margin: 0; padding: 8px; white-space: pre-wrap; word-break: break-word; font-size: 12.5px;
  max-height: 420px; overflow-y: auto; font-family: ui-monospace, Menlo, Consolas, monospace; }
mark { background: #fde68a; }
.answers { font-size: 12.5px; color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; } #list { max-height: none; } }
</style></head><body>
<header><h1>Sample browser</h1><div class="run">__TITLE__</div>
<div><a href="index.html" id="back">← back to the report</a></div></header>
<main>
<section class="card" id="left">
  <div id="filters">
    <label>benchmark <select id="f-bench"></select></label>
    <label>solved <select id="f-solved"></select></label>
    <label>accuracy of <select id="f-acc-model"></select> &lt; <input id="f-acc-max" type="number" min="0" max="100" step="any" placeholder="%">%</label>
    <label><input id="f-acc-nonzero" type="checkbox"> and &gt; 0</label>
    <label>has status <select id="f-status"></select></label>
    <label><input id="f-search" type="search" placeholder="search id, question, answer"></label>
    <label><input id="f-search-texts" type="checkbox"> search sample texts too</label>
  </div>
  <p class="note" id="caps"></p>
  <p class="note" id="count"></p>
  <div id="list"></div>
  <div id="pager"><button id="prev">‹ prev</button><span id="page"></span><button id="next">next ›</button></div>
</section>
<section class="card" id="detail"><p class="empty">Choose a problem on the left.</p></section>
</main>
<script type="application/json" id="meta">__META__</script>
<script type="application/json" id="index">__INDEX__</script>
<script type="application/json" id="payloads">__PAYLOADS__</script>
<script>
"use strict";
const META = JSON.parse(document.getElementById("meta").textContent);
const INDEX = JSON.parse(document.getElementById("index").textContent);
const SAME_N = (() => {    // the one n every (model, problem) has, or null
  const ns = new Set(); for (const p of INDEX) for (const c of Object.values(p.c)) ns.add(c[0]);
  return ns.size === 1 ? [...ns][0] : null; })();
const PAYLOADS = JSON.parse(document.getElementById("payloads").textContent);
const cache = new Map();
let page = 0, current = null, filtered = INDEX, textHits = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
function opt(sel, value, label) { sel.append(el("option", {value, text: label})); }
function pct(n, c) { return n ? (100 * c / n) : 0; }

async function payload(key) {
  if (cache.has(key)) return cache.get(key);
  const bin = Uint8Array.from(atob(PAYLOADS[key]), ch => ch.charCodeAt(0));
  let text;
  if (typeof DecompressionStream === "undefined") throw new Error("this browser has no DecompressionStream (gzip); use a current Chromium, Firefox or Safari");
  const stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream("gzip"));
  text = await new Response(stream).text();
  const obj = JSON.parse(text);
  cache.set(key, obj);
  return obj;
}

function setup() {
  const fb = document.getElementById("f-bench");
  opt(fb, "", "all");
  for (const b of META.benchmarks) opt(fb, b, b);
  const fs = document.getElementById("f-solved");
  opt(fs, "", "any");
  for (const m of META.models) opt(fs, "only:" + m, "only by " + m + (m === META.reference ? " (reference)" : ""));
  if (META.models.length > 1) { opt(fs, "all", "by every model"); opt(fs, "some", "by at least one model"); }
  opt(fs, "none", "by no model");
  for (const m of META.models) if (m !== META.reference && META.reference != null) {
    opt(fs, pairValue(META.reference, m), "by " + META.reference + ", not by " + m);
    opt(fs, pairValue(m, META.reference), "by " + m + ", not by " + META.reference);
  }
  const fa = document.getElementById("f-acc-model");
  opt(fa, "any", "any model");
  opt(fa, "all", "every model");
  for (const m of META.models) opt(fa, m, m);
  const st = document.getElementById("f-status");
  opt(st, "", "any");
  for (const s of META.statuses) opt(st, s, s);
  document.getElementById("caps").textContent =
    "At most " + META.cap + " samples per model and problem are embedded in this page (correct samples first, " +
    "up to half of them, then one per distinct wrong answer, then the lowest sample indices); texts longer than " +
    META.maxChars.toLocaleString() + " characters keep their beginning and end. Every sample is in the run's " +
    "samples table: Run(\"" + META.run + "\").samples().";
  for (const id of ["f-bench", "f-solved", "f-acc-model", "f-acc-max", "f-acc-nonzero", "f-status", "f-search"])
    document.getElementById(id).addEventListener("input", () => { page = 0; applyFilters(); });
  document.getElementById("f-search-texts").addEventListener("change", () => { page = 0; applyFilters(); });
  document.getElementById("prev").onclick = () => { if (page > 0) { page--; renderList(); } };
  document.getElementById("next").onclick = () => { if ((page + 1) * META.pageSize < filtered.length) { page++; renderList(); } };
  window.addEventListener("hashchange", fromHash);
  fromHash();
}

function pairValue(a, b) { return "pair:" + JSON.stringify([a, b]); }

// Addresses (the report links here): samples.html#bench=B&solved_by=A&not_by=M (solved by A, not by M),
// #bench=B&solved=only:M|all|some|none, #bench=B&problem=ID (opens that problem). Values are URI-encoded.
async function fromHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get("from")) document.getElementById("back").href = "index.html#" + encodeURIComponent(h.get("from"));
  const bench = h.get("bench"), sb = h.get("solved_by"), nb = h.get("not_by"), solved = h.get("solved");
  const prob = h.get("problem");
  const fb = document.getElementById("f-bench"), fs = document.getElementById("f-solved");
  if (bench !== null) fb.value = META.benchmarks.includes(bench) ? bench : "";
  let want = solved;
  if (sb !== null && nb !== null) {
    want = pairValue(sb, nb);
    if (![...fs.options].some(o => o.value === want)) opt(fs, want, "by " + sb + ", not by " + nb);
  }
  if (want !== null) fs.value = [...fs.options].some(o => o.value === want) ? want : "";
  page = 0;
  await applyFilters();
  if (prob !== null) {
    const p = INDEX.find(x => x.p === prob && (bench === null || x.b === bench));
    if (p) show(p);
  }
}

async function searchTexts(term) {
  const hits = new Set();
  for (const p of INDEX) {
    const d = await payload(p.k);
    for (const m of Object.values(d.models))
      for (const s of m.samples)
        if ((s[5] || "").toLowerCase().includes(term) || String(s[2] || "").toLowerCase().includes(term)) { hits.add(p.k); break; }
  }
  return hits;
}

async function applyFilters() {
  const bench = document.getElementById("f-bench").value;
  const solved = document.getElementById("f-solved").value;
  const accModel = document.getElementById("f-acc-model").value;
  const accMaxRaw = document.getElementById("f-acc-max").value;
  const accMax = accMaxRaw === "" ? null : parseFloat(accMaxRaw);
  const nonzero = document.getElementById("f-acc-nonzero").checked;
  const status = document.getElementById("f-status").value;
  const term = document.getElementById("f-search").value.trim().toLowerCase();
  const inTexts = document.getElementById("f-search-texts").checked;
  textHits = null;
  if (term && inTexts) {
    document.getElementById("count").textContent = "searching the sample texts…";
    textHits = await searchTexts(term);
  }
  filtered = INDEX.filter(p => {
    if (bench && p.b !== bench) return false;
    const ms = Object.keys(p.c);
    const solvedBy = ms.filter(m => p.c[m][1] > 0);
    if (solved === "none" && solvedBy.length) return false;
    if (solved === "all" && solvedBy.length !== META.models.length) return false;
    if (solved === "some" && !solvedBy.length) return false;
    if (solved.startsWith("only:") && !(solvedBy.length === 1 && solvedBy[0] === solved.slice(5))) return false;
    if (solved.startsWith("pair:")) {
      const [a, b] = JSON.parse(solved.slice(5));
      if (!solvedBy.includes(a) || solvedBy.includes(b)) return false;
    }
    if (accMax !== null && !isNaN(accMax)) {
      const ok = m => { const [n, c] = p.c[m] || [0, 0]; const a = pct(n, c); return n > 0 && a < accMax && (!nonzero || c > 0); };
      if (accModel === "any" && !ms.some(ok)) return false;
      if (accModel === "all" && !ms.every(ok)) return false;
      if (accModel !== "any" && accModel !== "all" && !ok(accModel)) return false;
    }
    if (status && !ms.some(m => (p.c[m][2][status] || 0) > 0)) return false;
    if (term) {
      const hay = (p.p + " " + p.q + " " + (p.ref || "")).toLowerCase();
      if (!hay.includes(term) && !(textHits && textHits.has(p.k))) return false;
    }
    return true;
  });
  renderList();
}

function renderList() {
  const list = document.getElementById("list");
  list.replaceChildren();
  const n = filtered.length, ps = META.pageSize;
  document.getElementById("count").textContent = n + " of " + INDEX.length + " problems match";
  // many models: one narrow cell per model (correct count, shaded by accuracy, c/n on hover) under a
  // vertical name, and the benchmark under the problem id, so every model fits without sideways scrolling
  const many = META.models.length > 4, multi = META.benchmarks.length > 1;
  const head = el("tr", {}, ...(many ? [] : [el("th", {text: "benchmark"})]),
    el("th", {text: many && SAME_N ? "problem (correct of " + SAME_N + ")" : "problem"}),
    ...META.models.map(m => el("th", {class: "num" + (many ? " vert" : ""), title: m,
                                      text: many ? m : m + " c/n"})),
    el("th", {text: "question"}));
  const tbody = el("tbody");
  for (const p of filtered.slice(page * ps, (page + 1) * ps)) {
    const id = many ? el("td", {class: "pid"}, p.p, multi ? el("div", {class: "bench", text: p.b}) : null)
                    : el("td", {text: p.p});
    const tr = el("tr", {class: "prob" + (current === p.k ? " sel" : ""), "data-key": p.k, "data-problem": p.p},
      ...(many ? [] : [el("td", {text: p.b})]), id,
      ...META.models.map(m => {
        const c = p.c[m];
        if (!c) return el("td", {class: "num", text: "—"});
        const td = el("td", {class: "num" + (many ? " heat" : ""), title: m + ": " + c[1] + "/" + c[0] + " correct",
                             text: many && SAME_N ? String(c[1]) : c[1] + "/" + c[0]});
        if (many && c[1] > 0) td.style.background = "rgba(26,127,55," + (0.08 + 0.5 * c[1] / c[0]).toFixed(3) + ")";
        return td;
      }),
      el("td", {class: "q", text: p.q}));
    tr.onclick = () => show(p);
    tbody.append(tr);
  }
  list.append(el("table", {id: "problems"}, el("thead", {}, head), tbody));
  const pages = Math.max(1, Math.ceil(n / ps));
  document.getElementById("page").textContent = "page " + (page + 1) + " of " + pages;
  document.getElementById("prev").disabled = page === 0;
  document.getElementById("next").disabled = page + 1 >= pages;
}

function highlight(text, term) {
  const pre = el("pre", {class: "text"});
  if (!term) { pre.textContent = text; return pre; }
  const low = text.toLowerCase();
  let i = 0;
  for (;;) {
    const j = low.indexOf(term, i);
    if (j < 0) { pre.append(text.slice(i)); break; }
    pre.append(text.slice(i, j), el("mark", {text: text.slice(j, j + term.length)}));
    i = j + term.length;
  }
  return pre;
}

async function show(p) {
  current = p.k;
  for (const tr of document.querySelectorAll("tr.prob")) tr.classList.toggle("sel", tr.dataset.key === p.k);
  const det = document.getElementById("detail");
  det.replaceChildren(el("p", {class: "empty", text: "loading…"}));
  let d;
  try { d = await payload(p.k); } catch (e) { det.replaceChildren(el("p", {class: "empty", text: String(e)})); return; }
  if (current !== p.k) return;
  const sSel = el("select", {id: "d-status"});
  opt(sSel, "", "any status");
  for (const s of META.statuses) opt(sSel, s, s);
  const sSearch = el("input", {type: "search", id: "d-search", placeholder: "search these samples",
                               value: document.getElementById("f-search").value});
  const body = el("div", {id: "samples"});
  det.replaceChildren(
    el("h2", {text: p.b + " · " + p.p}),
    el("div", {class: "question", text: d.q}),
    el("div", {}, el("strong", {text: "reference answer: "}), el("code", {text: d.ref == null ? "—" : String(d.ref)})),
    el("p", {}, "show ", sSel, " ", sSearch),
    body);
  const render = () => {
    const want = sSel.value, term = sSearch.value.trim().toLowerCase();
    body.replaceChildren();
    for (const m of META.models) {
      const md = d.models[m];
      if (!md) continue;
      const c = p.c[m];
      const block = el("div", {class: "model-block", "data-model": m});
      block.append(el("h3", {text: m + (m === META.reference ? " (reference)" : "") + " — " + c[1] + " of " + c[0] +
        " correct (" + pct(c[0], c[1]).toFixed(1) + "%); " + md.samples.length + " of " + md.n + " samples shown"}));
      if (md.answers.length)
        block.append(el("div", {class: "answers", text: "most frequent answers: " +
          md.answers.map(a => a[0] + (a[2] ? " ✓" : "") + " ×" + a[1]).join(" · ")}));
      let shown = 0;
      for (const s of md.samples) {
        const [idx, st, ex, fr, tok, text, judge] = s;
        if (want && st !== want) continue;
        if (term && !(text.toLowerCase().includes(term) || String(ex || "").toLowerCase().includes(term))) continue;
        shown++;
        const head = el("div", {class: "head"}, el("span", {class: "badge s-" + st, text: st}),
          judge ? el("span", {class: "badge j-" + judge, text: "judge: " + judge}) : null,
          "sample #" + idx + " · answer ", el("code", {text: ex == null ? "—" : String(ex)}),
          " · " + (fr || "finish ?") + (tok != null ? " · " + tok + " tokens" : ""));
        block.append(el("div", {class: "sample", "data-status": st, "data-index": String(idx)}, head, highlight(text, term)));
      }
      if (!shown) block.append(el("p", {class: "empty", text: "no embedded sample of this model matches."}));
      body.append(block);
    }
  };
  sSel.oninput = render; sSearch.oninput = render;
  render();
}
setup();
</script></body></html>
"""

__all__ = ["BrowserConfig", "BrowserResult", "write_browser", "no_browser_reason", "choose_samples",
           "validity_section"]
