"""Import EvalPlus samples (``samples.jsonl``, or a directory of ``<task_id>/<i>.py``) and their
``eval_results.json`` verdicts.

The writers are ``evalplus/codegen.py`` (``codegen``: one ``{"task_id", "solution"}`` line per
sample, appended, ``json.dumps``; or ``<root>/<task_id with / → _>/<i>.py`` files), HumanEval's own
format ``{"task_id", "completion"}`` (``evalplus/data/utils.py``: ``write_jsonl``, read back by
``load_solutions``), and ``evalplus/evaluate.py`` (``evaluate``: ``eval_results.json`` =
``{"date", "hash", "eval": {task_id: [{"task_id", "solution", "base_status", "plus_status",
"base_fail_tests", "plus_fail_tests"}, ...]}, "pass_at_k"}``, a task's entries in completion-id
order, which is the order of its lines in ``samples.jsonl``). Read at evalplus commit 26d6d00b
(v0.3.1 + 44, October 2025); the ``base_status`` / ``plus_status`` layout dates from v0.2.1.
A sample passes EvalPlus+ when ``base_status == plus_status == "pass"`` (``evaluate``'s
``new_correct``), the base tests when ``base_status == "pass"``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundary._files import sha256_file
from boundary.errors import InputError
from boundary.importers._stream import (ProblemRow, SampleImportSummary, SampleRow, StreamWriter, check_options,
                                        json_object, open_run, read_lines)
from boundary.store import ImportRecord, Run

FORMAT = "evalplus"
VERDICTS = ("plus", "base")
#: task_id prefix → boundary's benchmark (``boundary.tasks.code``: HumanEval+ v0.1.10, MBPP+ v0.2.0).
BENCHMARKS = {"HumanEval": "humaneval+", "Mbpp": "mbpp+"}
PASS = "pass"


@dataclass
class _Sample:
    task_id: str
    text: str
    completion: bool
    """True: a HumanEval-style ``completion`` (the prompt is prepended to run it)."""
    where: tuple[Path, int | None]
    """(file, line) of a samples.jsonl line; (file, None) for a ``<i>.py`` file."""


def benchmark_of(task_id: str) -> str | None:
    return BENCHMARKS.get(task_id.split("/", 1)[0])


def read_samples(path: Path) -> Iterator[_Sample]:
    """The samples of a ``samples.jsonl`` (file order) or of a directory (tasks by name, files by number)."""
    if path.is_dir():
        tasks = sorted(d for d in path.iterdir() if d.is_dir())
        if not tasks:
            raise InputError("holds no <task_id>/ directories of <i>.py samples (EvalPlus's directory format).",
                             path=str(path))
        for d in tasks:
            files = [f for f in d.iterdir() if f.is_file() and f.suffix == ".py"]
            for f in sorted(files, key=lambda f: (0, int(f.stem), "") if f.stem.isdigit() else (1, 0, f.stem)):
                try:
                    text = f.read_text(encoding="utf-8")
                except UnicodeDecodeError as e:
                    raise InputError(f"is not UTF-8 text ({e.reason}).", path=str(f)) from e
                yield _Sample(d.name.replace("_", "/"), text, False, (f, None))
        return
    for line_no, text in read_lines(path):
        rec = json_object(text, path, line_no)
        if "task_id" not in rec:
            raise InputError("is missing; every EvalPlus sample names its `task_id`.", path=str(path), line=line_no,
                             field="task_id")
        tid = rec["task_id"]
        if not isinstance(tid, str):
            raise InputError(f"must be a string such as \"HumanEval/0\", got {tid!r}.", path=str(path), line=line_no,
                             field="task_id")
        fld = "solution" if "solution" in rec else "completion" if "completion" in rec else None
        if fld is None:
            raise InputError("has neither `solution` nor `completion`; EvalPlus needs one of them.", path=str(path),
                             line=line_no, field="solution")
        if not isinstance(rec[fld], str):
            raise InputError(f"must be a string (several solutions: repeat the task_id), got "
                             f"{type(rec[fld]).__name__}.", path=str(path), line=line_no, field=fld)
        yield _Sample(tid, rec[fld], fld == "completion", (path, line_no))


def results_path(samples: Path) -> Path | None:
    """Where ``evaluate`` writes the verdicts of ``samples``: ``<dir>/eval_results.json``, or
    ``<name>_eval_results.json`` (before v0.3) / ``<name>.eval_results.json`` next to the JSONL."""
    if samples.is_dir():
        cands = [samples / "eval_results.json"]
    else:
        s = str(samples)
        stem = s[:-len(".jsonl")] if s.endswith(".jsonl") else s
        cands = [Path(stem + "_eval_results.json"), Path(stem + ".eval_results.json")]
    return next((c for c in cands if c.is_file()), None)


def _load_results(path: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(f"is not valid JSON ({e.msg} at column {e.colno}).", path=str(path), line=e.lineno) from e
    ev = data.get("eval") if isinstance(data, dict) else None
    if not isinstance(ev, dict):
        raise InputError("has no `eval` object (task_id → results); not an EvalPlus eval_results.json.",
                         path=str(path), field="eval")
    for tid, entries in ev.items():
        if not isinstance(entries, list):
            hint = (" (written before EvalPlus 0.2.1: `base`/`plus` lists; rerun evalplus.evaluate)"
                    if isinstance(entries, dict) else "")
            raise InputError(f"must be a list of per-sample results{hint}.", path=str(path), field=f"eval.{tid}")
        for i, ent in enumerate(entries):
            if not isinstance(ent, dict) or "base_status" not in ent:
                raise InputError("is missing `base_status`.", path=str(path), field=f"eval.{tid}[{i}]")
            for k in ("base_status", "plus_status"):
                if ent.get(k) not in (None, "pass", "fail", "timeout"):
                    raise InputError(f"is {ent.get(k)!r}, not pass/fail/timeout.", path=str(path),
                                     field=f"eval.{tid}[{i}].{k}")
    return ev


def _status(entry: dict[str, Any], which: str) -> str:
    base = entry.get("base_status")
    ok = base == PASS if which == "base" else base == entry.get("plus_status") == PASS
    return "correct" if ok else "wrong"


def release_file(benchmark: str, source: str | None) -> Path | None:
    """The benchmark's EvalPlus release file: ``-o source=PATH`` (a file or its directory), else
    boundary's download cache, else EvalPlus's own cache (``~/.cache/evalplus``, uncompressed)."""
    from boundary.tasks.code import EVALPLUS, _cache_dir
    spec = EVALPLUS[benchmark]
    if source:
        p = Path(source)
        p = p / spec["file"] if p.is_dir() else p
        if not p.is_file():
            raise InputError(f"-o source: {spec['file']} not found; pass the release file or its directory.",
                             path=str(p))
        return p
    for p in (_cache_dir() / spec["file"],
              Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evalplus" / spec["file"][:-3]):
        if p.is_file():
            return p
    return None


@dataclass
class _Group:
    model: str
    benchmark: str
    dataset: str
    """``humaneval+`` / ``mbpp+``: the EvalPlus release the task ids are of."""
    inputs: list[Path] = field(default_factory=list)
    results: dict[Path, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    order: dict[Path, dict[tuple[str, int], int]] = field(default_factory=dict)
    """For each input: (task, sample index in the input) → the index of its entry in eval_results."""
    verdict: str | None = None
    problems: dict[str, Any] = field(default_factory=dict)
    note: list[str] = field(default_factory=list)


def _match(g: _Group, inp: Path, ev: dict[str, list[dict[str, Any]]], res: Path) -> None:
    """Pair each sample of ``inp`` with its entry in ``eval_results.json``: by position for a JSONL
    (completion ids follow the lines), by solution text for a directory (ids follow ``os.listdir``)."""
    per_task: dict[str, list[_Sample]] = {}
    for s in read_samples(inp):
        per_task.setdefault(s.task_id, []).append(s)
    order: dict[tuple[str, int], int] = {}
    for tid, samples in per_task.items():
        entries = ev.get(tid)
        if entries is None or len(entries) != len(samples):
            raise InputError(f"holds {0 if entries is None else len(entries)} results for {tid} but the samples have "
                             f"{len(samples)}: the results are not of these samples (rerun evalplus.evaluate, or "
                             "-o verdict=none).", path=str(res), field=f"eval.{tid}")
        free = {i: e.get("solution") for i, e in enumerate(entries)}
        for j, s in enumerate(samples):
            if not inp.is_dir():
                sol = free.pop(j)
                same = sol == s.text or (s.completion and isinstance(sol, str) and sol.endswith(s.text))
                i = j if same or sol is None else None
            else:
                i = next((k for k, sol in free.items() if sol == s.text), None)
                if i is not None:
                    free.pop(i)
            if i is None:
                f, line = s.where
                raise InputError(f"result {j} of {tid} in {res.name} is for another solution than this sample: the "
                                 "results are not of these samples (rerun evalplus.evaluate, or -o verdict=none).",
                                 path=str(f), line=line, field="solution")
            order[(tid, j)] = i
    g.order[inp] = order


def _scan(g: _Group, options: Mapping[str, str]) -> None:
    want = options.get("verdict")
    for inp in g.inputs:
        res = Path(options["results"]) if options.get("results") else results_path(inp)
        if res is None or want == "none":
            continue
        if not res.is_file():
            raise InputError("-o results: file not found.", path=str(res))
        ev = _load_results(res)
        _match(g, inp, ev, res)
        g.results[inp] = ev
    if g.results and len(g.results) != len(g.inputs):
        missing = next(i for i in g.inputs if i not in g.results)
        raise InputError("has no eval_results.json beside it while the other samples have one; evaluate it, or "
                         "import without verdicts (-o verdict=none).", path=str(missing))
    if g.results:
        plus = all(e.get("plus_status") is not None for ev in g.results.values() for es in ev.values() for e in es)
        if want == "plus" and not plus:
            raise InputError("-o verdict=plus: the results hold base tests only (evaluated with --base-only); "
                             "use -o verdict=base.")
        g.verdict = want if want in VERDICTS else "plus" if plus else "base"
        if g.verdict == "base" and want != "base":
            g.note.append("the results hold base tests only (--base-only): verdicts of the base tests")
    elif want in VERDICTS:
        raise InputError(f"-o verdict={want}: no eval_results.json beside the samples; pass it with "
                         "-o results=PATH.", path=str(g.inputs[0]))
    src = release_file(g.dataset, options.get("source"))
    if src is not None:
        from boundary.tasks.code import load_evalplus
        g.problems = {p.id: p for p in load_evalplus(g.dataset, src)}
        for inp in g.inputs:
            for s in read_samples(inp):
                if s.task_id not in g.problems:
                    f, line = s.where
                    raise InputError(f"{s.task_id!r} is not a problem of {g.dataset} ({src.name}).", path=str(f),
                                     line=line, field="task_id")
    elif g.verdict is None:
        raise InputError(f"the samples have no verdicts (no eval_results.json) and boundary cannot grade them "
                         f"without {g.dataset}'s tests: pass -o source=PATH (the EvalPlus release file, e.g. "
                         f"{_release_name(g.dataset)}, or its directory).", path=str(g.inputs[0]))
    else:
        g.note.append(f"{g.dataset}'s tests are not recorded (no release file; -o source=PATH), so `boundary "
                      "verify` cannot re-grade these samples")


def _release_name(benchmark: str) -> str:
    from boundary.tasks.code import EVALPLUS
    return EVALPLUS[benchmark]["file"]


def _identifier(p: Path) -> str:
    """EvalPlus's run identifier (``<model with / → -->_<backend>_temp_<t>``): the file or directory name."""
    name = p.name
    for suffix in (".gz", ".jsonl"):
        name = name[:-len(suffix)] if name.endswith(suffix) else name
    return re.sub(r"\.raw$", "", name)


def import_evalplus(paths: list[str | Path], run: str | Path | Run, *, model: str | None = None,
                    benchmark: str | None = None, options: Mapping[str, str] | None = None,
                    shard_samples: int = 50_000,
                    progress: Callable[[int], None] | None = None) -> SampleImportSummary:
    """Stream EvalPlus samples into a run: a task_id is a problem, its lines (files) its samples.

    The benchmark is ``humaneval+`` / ``mbpp+`` from the task ids; the model is EvalPlus's run
    identifier (the file or directory name) unless given. Verdicts: ``evalplus:plus`` (base and
    plus tests pass) or ``evalplus:base`` from the ``eval_results.json`` beside the samples, or
    ``-o results=PATH``; ``-o verdict=none`` for the samples only. With the release file
    (``-o source=PATH``, or found in the caches) the problems carry their tests, so ``boundary
    verify`` re-grades the samples with boundary's code verifier.
    """
    options = dict(options or {})
    check_options(FORMAT, options)
    want = options.get("verdict")
    if want not in (None, "none", *VERDICTS):
        raise InputError(f"-o verdict={want} is not one of plus, base, none.")
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no file given; pass samples.jsonl files or sample directories.")
    if options.get("results") and len(files) > 1:
        raise InputError("-o results=PATH names the results of one samples file; import the files one at a time.")
    groups: dict[tuple[str, str], _Group] = {}
    for p in files:
        if not p.exists():
            raise InputError("does not exist.", path=str(p))
        first = next(iter(read_samples(p)), None)
        if first is None:
            raise InputError("holds no samples (the file is empty).", path=str(p))
        b = benchmark_of(first.task_id)
        if b is None:
            f, line = first.where
            raise InputError(f"{first.task_id!r} is neither a HumanEval/ nor an Mbpp/ task: EvalPlus samples are of "
                             "HumanEval+ or MBPP+.", path=str(f), line=line, field="task_id")
        for s in read_samples(p):
            if benchmark_of(s.task_id) != b:
                f, line = s.where
                raise InputError(f"{s.task_id!r} is not a task of {b} as the file's first line is.", path=str(f),
                                 line=line, field="task_id")
        m = model or _identifier(p)
        groups.setdefault((m, benchmark or b), _Group(model=m, benchmark=benchmark or b, dataset=b)).inputs.append(p)
    for g in groups.values():
        _scan(g, options)
    run = open_run(run)
    parts = []
    for g in groups.values():
        w = StreamWriter(run, g.model, g.benchmark, shard_samples=shard_samples, fmt=FORMAT)
        verifier = f"{FORMAT}:{g.verdict}" if g.verdict else None
        next_index: dict[str, int] = {}
        for inp in g.inputs:
            n_file = 0
            in_file: dict[str, int] = {}
            ev = g.results.get(inp)
            for s in read_samples(inp):
                tid = s.task_id
                if tid not in next_index:
                    next_index[tid] = 0
                    prob = g.problems.get(tid)
                    if prob is not None:
                        w.problem(ProblemRow(tid, prob.question, prob.reference, {**prob.metadata, "source": FORMAT}))
                    else:
                        w.problem(ProblemRow(tid, None, None, {"kind": "code", "source": FORMAT,
                                                               "dataset": tid.split("/")[0].lower()}))
                k = in_file.get(tid, 0)
                in_file[tid] = k + 1
                status = detail = None
                if ev is not None:
                    entry = ev[tid][g.order[inp][(tid, k)]]
                    status = _status(entry, g.verdict or "plus")
                    detail = json.dumps({key: entry.get(key) for key in ("base_status", "plus_status",
                                                                          "base_fail_tests", "plus_fail_tests")},
                                        default=str)[:2000]
                text = s.text
                also: tuple[str, ...] = ()
                if s.completion and tid in g.problems:
                    text = g.problems[tid].question + text          # evaluate: prompt + completion
                    also = (s.text,)       # what an import without the release file stored
                j = next_index[tid]
                next_index[tid] = j + 1
                n_file += 1
                w.sample(SampleRow(tid, j, text, status=status, verifier=verifier if status else None,
                                   detail=detail, also_stored_as=also))
            w.flush()
            digest = sha256_file(inp) if inp.is_file() else None
            run.add_import(ImportRecord(kind=FORMAT, file=str(inp.resolve()), sha256=digest,
                                        model=g.model, benchmark=g.benchmark, samples=n_file))
            if progress and inp.is_file():
                progress(inp.stat().st_size)
        w.part.problems = len(next_index)
        w.part.files = [str(p) for p in g.inputs]
        if not g.verdict:
            g.note.insert(0, "-o verdict=none" if want == "none" else "no eval_results.json beside the samples")
        w.part.note = "; ".join(g.note) or None
        parts.append(w.part)
    return SampleImportSummary(format=FORMAT, run=str(run.path), parts=parts)
