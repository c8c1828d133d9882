"""Import Inspect AI eval logs (``.eval`` and ``.json``): each sample is a problem, each epoch a sample.

The writers are ``EvalRecorder`` (``inspect_ai/log/_recorders/eval.py``) and ``JSONRecorder``
(``_recorders/json.py``) of UKGovernmentBEIS/inspect_ai (read at 0.3.260, commit 499e6152; log
schema ``version`` 2). A ``.json`` log is one ``EvalLog`` object (``to_json_safe``: ``indent=2``,
``exclude_none``) whose ``samples`` are sorted by (epoch, id). A ``.eval`` log is a zip:
``_journal/start.json`` (``version``, ``eval``, ``plan``), one ``samples/<id>_epoch_<n>.json`` per
sample and epoch (written as samples finish; a re-logged sample appends a second member of the same
name, and readers take the last), ``_journal/summaries/<i>.json``, and at the end
``summaries.json``, ``reductions.json`` and ``header.json`` (the log without samples). A log still
running, or killed, has no ``header.json``. The members are deflated (level 5) up to Inspect 0.3.205
and zstd-compressed (zip method 93, through ``zipfile_zstd``) from 0.3.206 on; reading those needs
the ``zstandard`` package before Python 3.14.

A sample (``EvalSample``) holds ``id``, ``epoch`` (1-based), ``input`` (a string or chat
messages), ``target`` (a string or a list), ``output`` (``choices[0].message.content`` and, from
0.3.15x, ``completion``), ``scores`` (scorer name → ``{value, answer, explanation, metadata}``) and,
when the sample failed, ``error``. A score's value is read as Inspect's ``value_to_float`` reads it:
``"C"`` → 1, ``"I"`` and ``"N"`` → 0, ``"P"`` → 0.5, numbers and booleans as numbers, "yes"/"true" →
1, "no"/"false" → 0, numeric strings as numbers. A verdict needs 1 or 0.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundary._files import sha256_file
from boundary.errors import InputError
from boundary.importers._stream import (ProblemRow, SampleImportSummary, SampleRow, StreamWriter, check_files,
                                        check_options, need, open_run)
from boundary.store import ImportRecord, Run

FORMAT = "inspect"
ZIP_ZSTANDARD = 93
SAMPLE_RE = re.compile(r"^samples/(?P<id>.+)_epoch_(?P<epoch>\d+)\.json$")
#: Sample fields kept in ``problems.metadata`` (the rest are per epoch, or large: messages, events).
PROBLEM_FIELDS = ("choices", "metadata", "setup", "files")


def score_status(value: Any) -> str | None:
    """``correct`` / ``wrong`` / ``no_answer`` for a score value as ``value_to_float`` reads it; None
    when it is not 0 or 1 (partial credit, a continuous score, a dict of values)."""
    if isinstance(value, bool):
        return "correct" if value else "wrong"
    if isinstance(value, (int, float)):
        return "correct" if value == 1 else "wrong" if value == 0 else None
    if not isinstance(value, str):
        return None
    if value == "C":
        return "correct"
    if value == "I":
        return "wrong"
    if value == "N":
        return "no_answer"
    low = value.lower()
    if low in ("yes", "true"):
        return "correct"
    if low in ("no", "false"):
        return "wrong"
    try:
        f = float(low)
    except ValueError:
        return None
    return "correct" if f == 1 else "wrong" if f == 0 else None


def _content_text(content: Any) -> str | None:
    """A message's ``content``: a string, or a list of content parts whose ``text`` parts are joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") == "text"]
        return "\n".join(p for p in parts if isinstance(p, str))
    return None


def _question(inp: Any) -> str | None:
    """The prompt: ``input`` itself, or the text of its last user message."""
    if isinstance(inp, str):
        return inp
    if isinstance(inp, list):
        users = [m for m in inp if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return _content_text(users[-1].get("content"))
    return None


@dataclass
class _Sample:
    """One sample of a log, as read: where it is (for errors) and its fields."""

    rec: dict[str, Any]
    where: str
    """``samples[3]`` (a .json log) or ``samples/3_epoch_2.json`` (a .eval member)."""


class _Log:
    """A log file's header (``eval``, ``status``) and its samples, read one at a time."""

    def __init__(self, path: Path):
        self.path = path
        self.kind = "eval" if _is_zip(path) else "json"
        self.header: dict[str, Any] = {}
        self.finished = True
        self._json_samples: list[Any] | None = None
        if self.kind == "json":
            data = self._load_json()
            self.header = data
            samples = data.get("samples")
            if samples is None:
                raise InputError("holds no samples (a log written with --no-log-samples, or a header only); "
                                 "rerun the eval with samples logged.", path=str(path), field="samples")
            if not isinstance(samples, list):
                raise InputError(f"must be a list of samples, got {type(samples).__name__}.", path=str(path),
                                 field="samples")
            self._json_samples = samples
        else:
            with self._zip() as zf:
                names = set(zf.namelist())
                if "header.json" in names:
                    self.header = self._member_json(zf, zf.getinfo("header.json"), "header.json")
                elif "_journal/start.json" in names:
                    self.header = self._member_json(zf, zf.getinfo("_journal/start.json"), "_journal/start.json")
                    self.finished = False
                else:
                    raise InputError("is a zip without header.json or _journal/start.json: not an Inspect .eval log.",
                                     path=str(path))
        if not isinstance(self.header.get("eval"), dict):
            raise InputError("is missing the eval spec (`eval`); not an Inspect log.", path=str(path), field="eval")

    def _load_json(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except UnicodeDecodeError as e:
            raise InputError(f"is not UTF-8 text ({e.reason}).", path=str(self.path)) from e
        except json.JSONDecodeError as e:
            raise InputError(f"is not valid JSON ({e.msg} at column {e.colno}).", path=str(self.path),
                             line=e.lineno) from e
        if not isinstance(data, dict):
            raise InputError(f"must be a JSON object (an Inspect EvalLog), got {type(data).__name__}.",
                             path=str(self.path))
        return data

    def _zip(self) -> zipfile.ZipFile:
        try:
            return zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as e:
            raise InputError(f"is not a readable zip ({e}); an .eval log is a zip archive (truncated copy?).",
                             path=str(self.path)) from e

    def _member_json(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Any:
        raw = _read_member(zf, info, self.path)
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError(f"member {name} is not valid JSON ({e}).", path=str(self.path)) from e

    @property
    def eval(self) -> dict[str, Any]:
        return self.header["eval"]

    def samples(self) -> Iterator[_Sample]:
        """The samples in (epoch, id) order, the order Inspect sorts a log's samples in."""
        if self._json_samples is not None:
            for i, rec in enumerate(self._json_samples):
                if not isinstance(rec, dict):
                    raise InputError(f"sample {i} must be a JSON object, got {type(rec).__name__}.",
                                     path=str(self.path), field=f"samples[{i}]")
                yield _Sample(rec, f"samples[{i}]")
            return
        with self._zip() as zf:
            last: dict[str, zipfile.ZipInfo] = {}
            for info in zf.infolist():               # a re-logged sample: the last member of a name wins
                if info.filename.startswith("samples/") and info.filename.endswith(".json"):
                    last[info.filename] = info
            keys = []
            for name in last:
                m = SAMPLE_RE.match(name)
                if not m:
                    raise InputError(f"member {name} is not named samples/<id>_epoch_<n>.json.", path=str(self.path))
                sid = m.group("id")
                keys.append(((int(m.group("epoch")), sid if not sid.isdigit() else sid.zfill(20)), name))
            for _, name in sorted(keys):
                rec = self._member_json(zf, last[name], name)
                if not isinstance(rec, dict):
                    raise InputError(f"member {name} must be a JSON object (an EvalSample).", path=str(self.path))
                yield _Sample(rec, name)


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    """A member's bytes; zstd members (Inspect ≥ 0.3.206) through ``zstandard`` before Python 3.14."""
    try:
        return zf.read(info)
    except NotImplementedError:
        if info.compress_type != ZIP_ZSTANDARD:
            raise InputError(f"member {info.filename} uses zip compression method {info.compress_type}, which "
                             "this Python cannot read.", path=str(path)) from None
    try:
        zstandard = importlib.import_module("zstandard")
    except ImportError:
        raise InputError(f"member {info.filename} is zstd-compressed (Inspect 0.3.206 and later); reading it "
                         "needs the zstandard package: pip install zstandard (or `pip install "
                         "'boundary[inspect]'`), or convert the log with `inspect log convert --to json`.",
                         path=str(path)) from None
    fp = zf.fp
    assert fp is not None
    fp.seek(info.header_offset)
    head = fp.read(30)
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fp.read(info.compress_size)
    data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw), read_across_frames=True).read()
    if zlib.crc32(data) != info.CRC:
        raise InputError(f"member {info.filename} fails its CRC check (a damaged file).", path=str(path))
    return bytes(data)


@dataclass
class _Group:
    model: str
    benchmark: str
    logs: list[_Log] = field(default_factory=list)
    scorer: str | None = None
    note: str | None = None
    errored: int = 0


def _bad(log: _Log, s: _Sample, fld: str, msg: str) -> InputError:
    sid = s.rec.get("id")
    return InputError(f"sample {sid!r} epoch {s.rec.get('epoch')} ({s.where}): {msg}", path=str(log.path), field=fld)


def _check(log: _Log, s: _Sample) -> tuple[str, int]:
    rec = s.rec
    for fld in ("id", "epoch"):
        if fld not in rec:
            raise _bad(log, s, fld, "is missing; every Inspect sample has an `id` and an `epoch`.")
    sid, epoch = rec["id"], rec["epoch"]
    if isinstance(sid, bool) or not isinstance(sid, (int, str)):
        raise _bad(log, s, "id", f"must be a number or a string, got {sid!r}.")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise _bad(log, s, "epoch", f"must be a whole number from 1, got {epoch!r}.")
    out = rec.get("output", {})
    if not isinstance(out, dict):
        raise _bad(log, s, "output", f"must be a ModelOutput object, got {type(out).__name__}.")
    choices = out.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise _bad(log, s, "output.choices", "must be a list of choices.")
    scores = rec.get("scores")
    if scores is not None and not isinstance(scores, dict):
        raise _bad(log, s, "scores", f"must be an object (scorer name → score), got {type(scores).__name__}.")
    return str(sid), epoch


def _text(rec: dict[str, Any]) -> str | None:
    """The model's answer: ``output.completion`` (logs from ~0.3.150 on), else the first choice's text."""
    out = rec.get("output") or {}
    comp = out.get("completion")
    if isinstance(comp, str) and comp:
        return comp
    choices = out.get("choices") or []
    if choices and isinstance(choices[0].get("message"), dict):
        text = _content_text(choices[0]["message"].get("content"))
        if text is not None:
            att = rec.get("attachments") or {}
            if text.startswith("attachment://") and text[len("attachment://"):] in att:
                text = att[text[len("attachment://"):]]
            return text
    return comp if isinstance(comp, str) else None


def _failed(rec: dict[str, Any]) -> bool:
    """A sample that ended in an error before it was scored (``fail_on_error`` off)."""
    return rec.get("error") is not None and not rec.get("scores")


def _scan(g: _Group, want: str | None) -> None:
    """Check every sample of a group's logs; choose the scorer whose values are the verdicts."""
    scorers: dict[str, tuple[Path, str]] = {}
    seen: set[tuple[int, str, int]] = set()
    for k, log in enumerate(g.logs):
        n = 0
        for s in log.samples():
            sid, epoch = _check(log, s)
            if (k, sid, epoch) in seen:
                raise _bad(log, s, "id", "appears twice with this epoch.")
            seen.add((k, sid, epoch))
            n += 1
            for name in s.rec.get("scores") or {}:
                scorers.setdefault(name, (log.path, s.where))
        if n == 0:
            raise InputError("holds no samples (the eval had none, or was stopped before the first finished).",
                             path=str(log.path), field="samples")
    if want == "none":
        g.note = "-o scorer=none"
        return
    if want is not None:
        if want not in scorers:
            raise InputError(f"-o scorer={want}: the logs have no scores of {want!r}; they have "
                             f"{', '.join(sorted(scorers)) or 'none'}.", path=str(g.logs[0].path))
        g.scorer = want
    elif len(scorers) > 1:
        raise InputError(f"has scores of several scorers ({', '.join(scorers)}); choose the verdicts with "
                         f"-o scorer=NAME (or -o scorer=none for the samples only).", path=str(g.logs[0].path))
    elif not scorers:
        g.note = "the log has no scores"
        return
    else:
        g.scorer = next(iter(scorers))
    for log in g.logs:
        for s in log.samples():
            if _failed(s.rec):
                g.errored += 1
                continue
            sc = (s.rec.get("scores") or {}).get(g.scorer)
            if sc is None:
                raise _bad(log, s, f"scores.{g.scorer}", f"is missing while other samples have a {g.scorer} "
                           "score; rescore the log (`inspect score`), or import without verdicts "
                           "(-o scorer=none).")
            if not isinstance(sc, dict) or "value" not in sc:
                raise _bad(log, s, f"scores.{g.scorer}.value", "is missing; a Score has a `value`.")
            if score_status(sc["value"]) is None:
                raise _bad(log, s, f"scores.{g.scorer}.value",
                           f"is {sc['value']!r}, not correct/incorrect (Inspect reads it as neither 1 nor 0): a "
                           f"verdict needs a 0/1 score; choose another scorer with -o scorer=NAME, or import the "
                           f"samples only with -o scorer=none.")


def benchmark_of(log: _Log) -> str | None:
    """The task name without its registry prefix (``inspect_evals/gsm8k`` → ``gsm8k``)."""
    task = log.eval.get("task")
    return task.rsplit("/", 1)[-1] if isinstance(task, str) and task else None


def import_inspect(paths: list[str | Path], run: str | Path | Run, *, model: str | None = None,
                   benchmark: str | None = None, options: Mapping[str, str] | None = None,
                   shard_samples: int = 50_000,
                   progress: Callable[[int], None] | None = None) -> SampleImportSummary:
    """Stream Inspect logs into a run: a sample id is a problem, its epochs are the problem's samples.

    The model is the log's ``eval.model`` (``openai/gpt-4o``) and the benchmark its task unless
    given. Several logs of one model and task add samples to the same problems, in the order given.
    Every sample is checked before anything is written.
    """
    options = dict(options or {})
    check_options(FORMAT, options)
    files = [Path(p) for p in paths]
    check_files(files)
    groups: dict[tuple[str, str], _Group] = {}
    for p in files:
        log = _Log(p)
        if progress:
            progress(p.stat().st_size)
        b = need(benchmark or benchmark_of(log), "benchmark", "--benchmark", p)
        m = need(model or log.eval.get("model"), "model", "--model", p)
        groups.setdefault((m, b), _Group(model=m, benchmark=b)).logs.append(log)
    for g in groups.values():
        _scan(g, options.get("scorer"))
    run = open_run(run)
    kind = options.get("kind", "math")
    parts = []
    for g in groups.values():
        w = StreamWriter(run, g.model, g.benchmark, shard_samples=shard_samples, fmt=FORMAT)
        verifier = f"{FORMAT}:{g.scorer}" if g.scorer else None
        next_index: dict[str, int] = {}
        for log in g.logs:
            n_file = 0
            for s in log.samples():
                rec = s.rec
                if _failed(rec):
                    if g.scorer is None:
                        g.errored += 1
                    continue
                sid = str(rec["id"])
                if sid not in next_index:
                    next_index[sid] = 0
                    target = rec.get("target")
                    ref = target[0] if isinstance(target, list) and target else target
                    w.problem(ProblemRow(sid, _question(rec.get("input")), None if ref is None else str(ref),
                                         {"kind": kind, "source": FORMAT, "task": log.eval.get("task"),
                                          "target": target,
                                          **{f: rec[f] for f in PROBLEM_FIELDS if rec.get(f) not in (None, {}, [])}}))
                sc = (rec.get("scores") or {}).get(g.scorer) if g.scorer else None
                status = score_status(sc["value"]) if sc else None
                choices = (rec.get("output") or {}).get("choices") or []
                stop = choices[0].get("stop_reason") if choices else None
                j = next_index[sid]
                next_index[sid] = j + 1
                n_file += 1
                answer = sc.get("answer") if sc else None
                expl = sc.get("explanation") if sc else None
                w.sample(SampleRow(sid, j, _text(rec), finish_reason=stop if isinstance(stop, str) else None,
                                   status=status, extracted=None if answer is None else str(answer),
                                   verifier=verifier if status else None,
                                   detail=None if expl is None else str(expl)))
            w.flush()
            run.add_import(ImportRecord(kind=FORMAT, file=str(log.path.resolve()), sha256=sha256_file(log.path),
                                        model=g.model, benchmark=g.benchmark, samples=n_file))
        w.part.problems = len(next_index)
        w.part.files = [str(x.path) for x in g.logs]
        notes = [g.note] if g.note else []
        if g.errored:
            notes.append(f"{g.errored} sample(s) ended in an error before scoring and were not imported")
        unfinished = [x.path.name for x in g.logs if not x.finished]
        if unfinished:
            notes.append(f"{', '.join(unfinished)} has no header.json (the eval was still running or was killed): "
                         "its finished samples were imported")
        w.part.note = "; ".join(notes) or None
        parts.append(w.part)
    return SampleImportSummary(format=FORMAT, run=str(run.path), parts=parts)
