"""Import lm-evaluation-harness ``--log_samples`` output (``samples_<task>_<date>.jsonl``).

The writer is ``EvaluationTracker.save_results_samples`` (``lm_eval/loggers/evaluation_tracker.py``)
over the dict ``evaluate`` builds per document and filter (``lm_eval/evaluator.py``; read at
lm-eval 0.4.13.dev0, commit 4e7e0d47). One line per (document, filter)::

    {"doc_id": 0, "doc": {...}, "target": "18",
     "arguments": {"gen_args_0": {"arg_0": "<prompt>", "arg_1": {"until": [...], ...}}},
     "resps": [["resp 1", "resp 2", ...]], "filtered_resps": ["18"], "filter": "strict-match",
     "metrics": ["exact_match"], "doc_hash": "...", "prompt_hash": "...", "target_hash": "...",
     "exact_match": 1.0}

``resps`` holds one list per request with the ``repeats`` responses of that request; a
generation task makes one request per document, so ``resps[0]`` are the document's samples.
``filtered_resps`` and the metric fields are per document: with ``repeats`` > 1 lm-eval grades
the document, not each response, and the import keeps the texts only (``boundary verify`` grades
them). A task run with several filters writes each document once per filter; the samples are
taken from the lines of one filter (the first in the file, or ``-o filter=NAME``). Several files
of one task (runs on other dates or seeds) add samples to the same problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundary._files import sha256_file
from boundary.errors import InputError
from boundary.importers._stream import (ProblemRow, SampleImportSummary, SampleRow, StreamWriter, binary_status,
                                        check_files, check_options, json_object, need, open_run, read_lines)
from boundary.store import ImportRecord, Run

FORMAT = "lm-eval"
FILE_RE = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$")
#: Fields of a line that are not per-document metric values.
STRUCTURAL = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
              "doc_hash", "prompt_hash", "target_hash"}


def task_of(path: Path) -> str | None:
    """The task name in ``samples_<task>_<date>.jsonl`` (None for another file name)."""
    m = FILE_RE.match(path.name)
    return m.group("task") if m else None


@dataclass
class _Line:
    doc_id: str
    texts: list[str]
    filter: str
    metrics: list[str]
    values: dict[str, Any]
    extracted: str | None
    question: str | None
    target: str | None
    doc: Any
    doc_hash: str | None


def _parse(rec: dict[str, Any], path: Path, line: int, occurrence: int = 0) -> _Line:
    """One line; ``occurrence``: how many earlier lines of the file had this ``doc_id`` (files written
    before lm-eval 0.4.7 name no filter: the k-th line of a document is then the k-th filter, ``#k``)."""
    def bad(field: str, msg: str) -> InputError:
        return InputError(msg, path=str(path), line=line, field=field)

    if "doc_id" not in rec:
        raise bad("doc_id", "is missing; every line of lm-eval's samples file has the document's `doc_id`.")
    doc_id = rec["doc_id"]
    if isinstance(doc_id, bool) or not isinstance(doc_id, (int, str)):
        raise bad("doc_id", f"must be a number or a string, got {doc_id!r}.")
    if "resps" not in rec:
        raise bad("resps", "is missing; the samples file must be written with --log_samples (it holds `resps`).")
    resps = rec["resps"]
    if not isinstance(resps, list) or not all(isinstance(r, list) for r in resps):
        raise bad("resps", f"must be a list of lists (one per request), got {type(resps).__name__}.")
    texts: list[str] = []
    for i, req in enumerate(resps):
        for j, t in enumerate(req):
            if not isinstance(t, str):
                raise bad("resps", f"entry [{i}][{j}] is {type(t).__name__}, not a response text: a loglikelihood "
                          "or multiple-choice task has no generations to import; boundary imports "
                          "generate_until tasks.")
            texts.append(t)
    if not texts:
        raise bad("resps", "is empty; a document needs at least one response.")
    flt = rec.get("filter", f"#{occurrence + 1}")
    if not isinstance(flt, str):
        raise bad("filter", f"must be a string, got {flt!r}.")
    metrics = rec.get("metrics")
    if metrics is None:
        metrics = [k for k in rec if k not in STRUCTURAL]
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise bad("metrics", f"must be a list of metric names, got {metrics!r}.")
    fr = rec.get("filtered_resps")
    first = fr[0] if isinstance(fr, list) and fr else None
    while isinstance(first, list):
        first = first[0] if first else None
    target = rec.get("target")
    args = rec.get("arguments")
    question = None
    if isinstance(args, dict) and isinstance(args.get("gen_args_0"), dict):
        q = args["gen_args_0"].get("arg_0")
        question = q if isinstance(q, str) else None
    doc_hash = rec.get("doc_hash")
    return _Line(doc_id=str(doc_id), texts=texts, filter=flt, metrics=[m for m in metrics if m != "bypass"],
                 values={m: rec[m] for m in metrics if m in rec}, extracted=first if isinstance(first, str) else None,
                 question=question, target=None if target is None else str(target), doc=rec.get("doc"),
                 doc_hash=doc_hash if isinstance(doc_hash, str) else None)


def _line(text: str, path: Path, line: int, occurrences: dict[Any, int]) -> _Line:
    rec = json_object(text, path, line)
    key = repr(rec.get("doc_id"))
    k = occurrences.get(key, 0)
    occurrences[key] = k + 1
    return _parse(rec, path, line, k)


def _reference(ln: _Line, field: str | None, path: Path, line: int) -> str | None:
    if field:
        if not isinstance(ln.doc, dict) or field not in ln.doc:
            have = sorted(ln.doc) if isinstance(ln.doc, dict) else []
            raise InputError(f"has no field {field!r} (-o reference={field}); `doc` has {have}.", path=str(path),
                             line=line, field="doc")
        return str(ln.doc[field])
    if ln.target is not None and "####" in ln.target:       # GSM8K's target: the solution, then "#### 18"
        return ln.target.rsplit("####", 1)[1].strip()
    return ln.target


@dataclass
class _Group:
    model: str
    benchmark: str
    files: list[Path] = field(default_factory=list)
    filter: str | None = None
    metric: str | None = None
    verdicts: bool = True
    note: str | None = None


def _scan(group: _Group, options: Mapping[str, str], progress: Callable[[int], None] | None) -> None:
    """Check every line of a group's files; choose the filter and metric; decide whether verdicts import."""
    first_hash: dict[str, tuple[str | None, Path, int]] = {}
    multi = None
    for path in group.files:
        seen: dict[tuple[str, str], int] = {}
        occurrences: dict[Any, int] = {}
        for line_no, text in read_lines(path, progress):
            ln = _line(text, path, line_no, occurrences)
            key = (ln.doc_id, ln.filter)
            if key in seen:
                raise InputError(f"document {ln.doc_id!r} with filter {ln.filter!r} appears twice (first on line "
                                 f"{seen[key]}).", path=str(path), line=line_no, field="doc_id")
            seen[key] = line_no
            if group.filter is None:
                group.filter = options.get("filter") or ln.filter
            if ln.filter != group.filter:
                continue
            if ln.doc_id in first_hash and ln.doc_hash and first_hash[ln.doc_id][0] not in (None, ln.doc_hash):
                _, p0, l0 = first_hash[ln.doc_id]
                raise InputError(f"document {ln.doc_id!r} differs from the document of that id in {p0} line {l0} "
                                 "(another doc_hash): the files are not of the same task and split.",
                                 path=str(path), line=line_no, field="doc_hash")
            first_hash.setdefault(ln.doc_id, (ln.doc_hash, path, line_no))
            _reference(ln, options.get("reference"), path, line_no)
            if group.metric is None:
                group.metric = options.get("metric") or (ln.metrics[0] if ln.metrics else "")
            if len(ln.texts) > 1 and multi is None:
                multi = (path, line_no, len(ln.texts))
            if group.metric:
                if group.metric not in ln.values:
                    raise InputError(f"is missing the metric {group.metric!r} that other lines have (this line has "
                                     f"{sorted(ln.values) or 'none'}); choose one with -o metric=NAME.",
                                     path=str(path), line=line_no, field=group.metric)
                v = ln.values[group.metric]
                if binary_status(v) is None and len(ln.texts) == 1:
                    raise InputError(f"is {v!r}, not 0/1: a verdict needs a 0/1 metric; choose one with "
                                     f"-o metric=NAME (this line has {sorted(ln.values)}).",
                                     path=str(path), line=line_no, field=group.metric)
    if not first_hash:
        wanted = options.get("filter")
        raise InputError(f"holds no document with filter {wanted!r}." if wanted else "holds no documents (empty).",
                         path=str(group.files[0]))
    if not group.metric:
        group.verdicts, group.note = False, "the file has no per-sample metric"
    elif multi is not None:
        group.verdicts = False
        group.note = (f"{multi[0].name} line {multi[1]} has {multi[2]} responses for one document, and lm-eval's "
                      f"{group.metric} grades the document, not each response")


def verifier_name(metric: str, flt: str) -> str:
    """``lm-eval:exact_match`` (filter ``none``) or ``lm-eval:exact_match,strict-match``: lm-eval's results key."""
    return f"lm-eval:{metric}" if flt == "none" else f"lm-eval:{metric},{flt}"


def import_lm_eval(paths: list[str | Path], run: str | Path | Run, *, model: str | None = None,
                   benchmark: str | None = None, options: Mapping[str, str] | None = None,
                   shard_samples: int = 50_000,
                   progress: Callable[[int], None] | None = None) -> SampleImportSummary:
    """Stream lm-eval samples files into a run: each task's documents are problems, their responses samples.

    The benchmark is the task in the file name (``samples_<task>_<date>.jsonl``) unless given; the
    model is the directory lm-eval wrote into (its sanitized model name) unless given. Every line of
    every file is checked before anything is written.
    """
    options = dict(options or {})
    check_options(FORMAT, options)
    files = [Path(p) for p in paths]
    check_files(files)
    groups: dict[tuple[str, str], _Group] = {}
    for p in files:
        b = need(benchmark or task_of(p), "benchmark",
                 "--benchmark (the file is not named samples_<task>_<date>.jsonl)", p)
        m = need(model or p.resolve().parent.name, "model", "--model", p)
        groups.setdefault((m, b), _Group(model=m, benchmark=b)).files.append(p)
    for g in groups.values():
        _scan(g, options, progress)
    run = open_run(run)
    kind = options.get("kind", "math")
    parts = []
    for g in groups.values():
        w = StreamWriter(run, g.model, g.benchmark, shard_samples=shard_samples, fmt=FORMAT)
        verifier = verifier_name(g.metric or "", g.filter or "none")
        next_index: dict[str, int] = {}
        for path in g.files:
            n_file = 0
            occurrences: dict[Any, int] = {}
            for line_no, text in read_lines(path, progress):
                ln = _line(text, path, line_no, occurrences)
                if ln.filter != g.filter:
                    continue
                if ln.doc_id not in next_index:
                    next_index[ln.doc_id] = 0
                    ref = _reference(ln, options.get("reference"), path, line_no)
                    w.problem(ProblemRow(ln.doc_id, ln.question, ref,
                                         {"kind": kind, "source": FORMAT, "task": task_of(path), "doc": ln.doc,
                                          "target": ln.target, "doc_hash": ln.doc_hash}))
                status = binary_status(ln.values.get(g.metric or "")) if g.verdicts else None
                for t in ln.texts:
                    j = next_index[ln.doc_id]
                    next_index[ln.doc_id] = j + 1
                    n_file += 1
                    w.sample(SampleRow(ln.doc_id, j, t, status=status,
                                       extracted=ln.extracted if status else None,
                                       verifier=verifier if status else None))
            w.flush()
            run.add_import(ImportRecord(kind=FORMAT, file=str(path.resolve()), sha256=sha256_file(path),
                                        model=g.model, benchmark=g.benchmark, samples=n_file))
        w.part.problems = len(next_index)
        w.part.files = [str(p) for p in g.files]
        w.part.note = g.note
        parts.append(w.part)
    return SampleImportSummary(format=FORMAT, run=str(run.path), parts=parts)
