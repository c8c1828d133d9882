"""Import the JSONL that the paper's evaluation code writes (Qwen2.5-Math / limit-of-RLVR ``math_eval.py``).

One JSON object per line and problem::

    {"idx": 0, "question": "...", "gt": "204", "code": ["resp 1", ...], "pred": ["204", ...],
     "score": [true, ...], "finish_reason": ["stop", ...]}

``code`` (or ``response``) holds the n responses, ``pred`` the extracted answers, ``score`` the
verdicts; ``finish_reason`` is optional. Samples become rows of ``samples`` (with the text) and
``verdicts`` (status correct / wrong / no_answer, path "imported"), so every analysis and the
report work on the import as on a run sampled here.

The file is streamed: a shard is written every ``shard_samples`` samples, so a multi-GB file
never sits in memory, and an import killed halfway resumes where it stopped when run again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from boundary.errors import InputError
from boundary._files import sha256_file
from boundary.importers._stream import StoredTexts, open_run, read_lines
from boundary.store import ImportRecord, Run

VERIFIER = "imported:paper-jsonl"
PROBLEM_FIELDS_SKIPPED = {"code", "response", "pred", "score", "finish_reason", "report", "idx", "question", "gt"}


@dataclass(frozen=True)
class PaperImportSummary:
    path: str
    run: str
    model: str
    benchmark: str
    problems: int
    samples: int
    skipped_samples: int
    """Samples already in the run (a resumed import)."""


def _problem(line_no: int, text: str, path: str) -> dict:
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"is not valid JSON ({e.msg} at column {e.colno}).", path=path, line=line_no) from e
    if not isinstance(rec, dict):
        raise InputError(f"must be a JSON object, got {type(rec).__name__}.", path=path, line=line_no)
    texts_field = "code" if "code" in rec else "response" if "response" in rec else None
    for field in ([texts_field] if texts_field else []) + ["pred", "score"]:
        if field not in rec:
            raise InputError("is missing; each line needs lists `code` (or `response`), `pred` and `score`.",
                             path=path, line=line_no, field=field)
    if texts_field is None:
        raise InputError("is missing; each line needs the list of responses as `code` or `response`.",
                         path=path, line=line_no, field="code")
    lists = {f: rec[f] for f in (texts_field, "pred", "score")}
    if "finish_reason" in rec and rec["finish_reason"] is not None:
        lists["finish_reason"] = rec["finish_reason"]
    for f, v in lists.items():
        if not isinstance(v, list):
            raise InputError(f"must be a list, got {type(v).__name__}.", path=path, line=line_no, field=f)
    n = len(lists[texts_field])
    if n == 0:
        raise InputError("is empty; a problem needs at least one response.", path=path, line=line_no, field=texts_field)
    for f, v in lists.items():
        if len(v) != n:
            raise InputError(f"has {len(v)} entries but `{texts_field}` has {n}; the lists must align.",
                             path=path, line=line_no, field=f)
    for j, s in enumerate(lists["score"]):
        if not (isinstance(s, bool) or (isinstance(s, int) and s in (0, 1))):
            raise InputError(f"entry {j} is {s!r}; scores must be true/false (or 0/1).", path=path,
                             line=line_no, field="score")
    for j, t in enumerate(lists[texts_field]):
        if not isinstance(t, str):
            raise InputError(f"entry {j} is {type(t).__name__}; responses must be strings.", path=path,
                             line=line_no, field=texts_field)
    pid = rec.get("idx", rec.get("id"))
    if pid is None:
        raise InputError("is missing; each line needs the problem id `idx`.", path=path, line=line_no, field="idx")
    if isinstance(pid, (dict, list)) or isinstance(pid, bool):
        raise InputError(f"must be a number or a string, got {pid!r}.", path=path, line=line_no, field="idx")
    meta = {k: v for k, v in rec.items() if k not in PROBLEM_FIELDS_SKIPPED}
    return {"problem_id": str(pid), "question": rec.get("question"), "reference": rec.get("gt"),
            "metadata": meta, "texts": lists[texts_field], "pred": lists["pred"],
            "score": [bool(s) for s in lists["score"]], "finish_reason": lists.get("finish_reason")}


def _status(score: bool, pred) -> str:
    if score:
        return "correct"
    if pred is None or (isinstance(pred, str) and not pred.strip()):
        return "no_answer"
    return "wrong"


def validate_paper_jsonl(path: str | Path, progress: Callable[[int], None] | None = None) -> int:
    """Check every line of a paper-format JSONL; return the number of problems."""
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist or is not a file.", path=str(path))
    seen: dict[str, int] = {}
    for line_no, text in read_lines(path, progress):
        pid = _problem(line_no, text, str(path))["problem_id"]
        if pid in seen:
            raise InputError(f"duplicate problem id {pid!r} (first on line {seen[pid]}).", path=str(path),
                             line=line_no, field="idx")
        seen[pid] = line_no
    if not seen:
        raise InputError("holds no problems (the file is empty).", path=str(path))
    return len(seen)


def import_paper_jsonl(path: str | Path, run: str | Path | Run, *, model: str, benchmark: str,
                       shard_samples: int = 50_000,
                       progress: Callable[[int], None] | None = None) -> PaperImportSummary:
    """Stream a paper-format JSONL into a run as samples and verdicts of ``model`` on ``benchmark``.

    Args:
        progress: called with the number of bytes read since the last call (for a progress bar).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist or is not a file.", path=str(path))
    if not model or not benchmark:
        raise InputError("an import needs a model name and a benchmark name (--model, --benchmark).", path=str(path))
    validate_paper_jsonl(path, progress=progress)      # nothing is written if any line is bad
    run = open_run(run)
    have_samples = run.keys("samples", model, benchmark)
    stored = StoredTexts(run, model, benchmark, "paper")
    have_verdicts = run.keys("verdicts", model, benchmark)
    probs = run.read("problems", ["benchmark", "problem_id"])
    have_problems = {p for b, p in zip(probs["benchmark"].to_pylist(), probs["problem_id"].to_pylist())
                     if b == benchmark}
    run.add_models([model])
    run.add_benchmarks([benchmark])
    buf: dict[str, list[dict[str, Any]]] = {"samples": [], "verdicts": [], "problems": []}
    problems = samples = skipped = 0

    def flush():
        for table in ("problems", "samples", "verdicts"):
            if buf[table]:
                run.write(table, pa.Table.from_pylist(buf[table]))
                buf[table] = []

    sp = str(path)
    for line_no, text in read_lines(path, progress):
        p = _problem(line_no, text, sp)
        pid = p["problem_id"]
        problems += 1
        if pid not in have_problems:
            buf["problems"].append({"benchmark": benchmark, "problem_id": pid, "question": p["question"],
                                    "reference": None if p["reference"] is None else str(p["reference"]),
                                    "metadata": json.dumps(p["metadata"], default=str)})
        for j, t in enumerate(p["texts"]):
            key = (pid, j)
            samples += 1
            fr = p["finish_reason"][j] if p["finish_reason"] else None
            if key in have_samples:
                stored.check(pid, j, t)
            if key in have_samples and key in have_verdicts:
                skipped += 1
                continue
            if key not in have_samples:
                buf["samples"].append({"model": model, "benchmark": benchmark, "problem_id": pid,
                                       "sample_index": j, "text": t,
                                       "finish_reason": None if fr is None else str(fr)})
            if key not in have_verdicts:
                pred = p["pred"][j]
                buf["verdicts"].append({"model": model, "benchmark": benchmark, "problem_id": pid,
                                        "sample_index": j, "status": _status(p["score"][j], pred),
                                        "extracted": None if pred is None else str(pred),
                                        "path": "imported", "verifier": VERIFIER})
        if len(buf["samples"]) + len(buf["verdicts"]) >= 2 * shard_samples:
            flush()
    flush()
    digest = sha256_file(path)
    run.add_import(ImportRecord(kind="paper-jsonl", file=str(path.resolve()), sha256=digest, model=model,
                                benchmark=benchmark, problems=problems, samples=samples))
    return PaperImportSummary(path=sp, run=str(run.path), model=model, benchmark=benchmark, problems=problems,
                              samples=samples, skipped_samples=skipped)
