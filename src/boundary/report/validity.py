"""The report's CoT-pass@k table and "problems answerable without reasoning" table.

Both go into the report's "Answer validity" section (``boundary.report.browser.validity_section``);
each also says plainly when it is skipped and why. They draw ``Analysis.validity`` (CoT-pass@k and
guessability, computed by ``analyze(run)`` in ``boundary.analysis.validity``); nothing is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from boundary.analysis.validity import CotPassRow, GuessRow, ValidityAnalysis

MAX_GUESS_ROWS = 200


def _fmt(x: float) -> str:
    return f"{x:.3f}"


def cot_rows(cot: Sequence[CotPassRow]) -> list[dict]:
    """Rows of the CoT-pass@k table: pass@k and CoT-pass@k side by side at a few k."""
    rows = []
    for r in cot:
        show = [k for k in r.ks if k in (1, 4, 16, 64, 256, 1024)] or [r.ks[0]]
        if r.ks[-1] not in show:
            show.append(r.ks[-1])
        row = {"benchmark": r.benchmark, "model": r.model, "problems": r.problems,
               "correct samples": r.correct, "judged valid": r.valid, "invalid": r.invalid,
               "unparsed": r.unparsed, "not judged": r.unjudged}
        for k in show:
            j = r.ks.index(k)
            row[f"k={k}: pass / CoT-pass"] = f"{_fmt(r.pass_at_k[j])} / {_fmt(r.cot_pass_at_k[j])}"
        rows.append(row)
    return rows


def guess_rows(guess: Sequence[GuessRow]) -> tuple[list[dict], dict]:
    """Rows of the problems answerable without reasoning (flag ``guessable`` or ``direct``) and totals."""
    rows_all = list(guess)
    totals = {"problems": len({(r.benchmark, r.problem_id) for r in rows_all}),
              "guessable": len({(r.benchmark, r.problem_id) for r in rows_all if r.flag == "guessable"}),
              "direct": len({(r.benchmark, r.problem_id) for r in rows_all if r.flag == "direct"}),
              "models": sorted({r.model for r in rows_all})}
    rows = [{"benchmark": r.benchmark, "problem": r.problem_id, "model": r.model,
             "answer-only correct": f"{r.c_direct}/{r.n_direct}", "answer-only accuracy": _fmt(r.accuracy_direct),
             "flag": r.flag, "with reasoning": "—" if r.n is None else f"{r.c}/{r.n}"}
            for r in rows_all if r.flag != "no"]
    rows.sort(key=lambda d: (d["flag"] != "guessable", d["benchmark"], d["problem"], d["model"]))
    return rows, totals


def validity_blocks(validity: ValidityAnalysis) -> list[str]:
    """HTML blocks (strings starting with ``<``) and plain notes for the answer-validity section."""
    from boundary.report.html import table_html
    out: list[str] = []
    # ---- CoT-pass@k
    rows = cot_rows(validity.cot)
    if rows:
        jid = validity.judge or ""
        unj = sum(r["not judged"] for r in rows)
        unp = sum(r["unparsed"] for r in rows)
        caveat = []
        if unj:
            caveat.append(f"{unj:,} correct samples are not judged yet")
        if unp:
            caveat.append(f"{unp:,} judge outputs had no parseable verdict")
        out.append(
            '<div class="table-card" id="table-cot-pass"><h3>CoT-pass@k next to pass@k</h3>'
            f'<p class="caption">A sample counts for CoT-pass@k only when its answer is correct and the judge '
            f"{escape(jid)} labels its reasoning valid (Wen et al. 2025); per problem CoT-pass@k = "
            "1 − C(n − d, k)/C(n, k) with d the correct samples judged valid. "
            + (escape("; ".join(caveat)) + " — they count as not valid." if caveat
               else "Every correct sample is judged.")
            + "</p>" + table_html(rows) + "</div>")
    else:
        out.append("no CoT-pass@k: no correct sample's reasoning has been judged. Add a `judge:` block to the spec "
                   "and run `boundary judge RUN --spec SPEC`.")
    # ---- guessability
    rows, totals = guess_rows(validity.guess)
    if totals["problems"]:
        shown = rows[:MAX_GUESS_ROWS]
        more = f" The first {MAX_GUESS_ROWS} of {len(rows)} rows are shown." if len(rows) > MAX_GUESS_ROWS else ""
        out.append(
            '<div class="table-card" id="table-guess"><h3>Problems answerable without reasoning</h3>'
            f'<p class="caption">{escape(", ".join(totals["models"]))} answered each problem with an answer-only '
            f"prompt and a token budget too short to reason. {totals['guessable']} of {totals['problems']} problems "
            "are <strong>guessable</strong> (answered correctly, but in fewer than the threshold's share of "
            "answer-only samples: Yue et al. remove these before reading pass@k at large k); "
            f"{totals['direct']} are answered <strong>directly</strong> at or above the threshold (kept: knowledge, "
            f"not luck).{more}</p>"
            + (table_html(shown) if shown else '<p class="empty">No problem was answered correctly without '
               "reasoning.</p>") + "</div>")
    else:
        out.append("no guessability table: the run has no answer-only samples (RUN/guess). Add a `guess:` block to "
                   "the spec and run `boundary guess SPEC`.")
    return out
