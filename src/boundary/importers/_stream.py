"""The writer every sample importer shares: streamed shards, resume by key, one summary.

An importer reads its files twice. The first pass checks every line (an error names the file, the
line and the field, and nothing is written); the second pass yields :class:`ProblemRow` and
:class:`SampleRow` values in a fixed order, so a sample's ``sample_index`` is the same on every
run of the import. :class:`StreamWriter` writes them as ``problems``, ``samples`` and ``verdicts``
shards every ``shard_samples`` samples and skips every key the run already holds: an import killed
halfway resumes where it stopped when run again, and a finished import run twice adds nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from boundary.errors import InputError
from boundary.store import Run


@dataclass(frozen=True)
class ProblemRow:
    problem_id: str
    question: str | None
    reference: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class SampleRow:
    problem_id: str
    sample_index: int
    text: str | None
    finish_reason: str | None = None
    status: str | None = None
    """The source grader's verdict (``correct`` / ``wrong`` / ``no_answer``); None: the file has none."""
    extracted: str | None = None
    verifier: str | None = None
    detail: str | None = None
    seed: int | None = None
    also_stored_as: tuple[str, ...] = ()
    """Other texts an earlier import may have stored for this very sample (EvalPlus: the completion
    alone, when the release file that gives its prompt was not given then)."""


@dataclass
class PartSummary:
    """What one import added for one (model, benchmark) pair."""

    model: str
    benchmark: str
    files: list[str] = field(default_factory=list)
    problems: int = 0
    samples: int = 0
    skipped_samples: int = 0
    """Samples already in the run (a resumed import)."""
    verdicts: int = 0
    """Samples with the source grader's verdict (0: samples only; ``boundary verify`` grades them)."""
    verifier: str | None = None
    note: str | None = None
    """Why the file's verdicts were not imported, when they were not."""


@dataclass(frozen=True)
class SampleImportSummary:
    """What an import of sample files added to a run (one part per model and benchmark)."""

    format: str
    run: str
    parts: list[PartSummary]

    @property
    def samples(self) -> int:
        return sum(p.samples for p in self.parts)

    @property
    def problems(self) -> int:
        return sum(p.problems for p in self.parts)

    def lines(self) -> list[str]:
        out = []
        for p in self.parts:
            resumed = f", {p.skipped_samples:,} were already there" if p.skipped_samples else ""
            graded = (f"verdicts of {p.verifier}" + (f" ({p.note})" if p.note else "") if p.verdicts else
                      f"no verdicts ({p.note or 'the file has none'}); grade them with `boundary verify {self.run}`")
            out.append(f"imported {p.problems} problems, {p.samples:,} samples of {p.model} on {p.benchmark}"
                       f"{resumed}; {graded}")
        return out


def open_run(run: Run | str | Path) -> Run:
    """The run to import into (created when it does not exist), cleared of the temporary files a
    killed writer left behind."""
    run = run if isinstance(run, Run) else Run.create(run)
    run.remove_stale_temporaries()
    return run


def read_lines(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, str]]:
    """(line number, stripped text) of every non-blank line of a UTF-8 file (gzip-compressed when its
    name ends in ``.gz``; ``progress`` then counts uncompressed bytes)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        for line_no, raw in enumerate(f, start=1):
            if progress:
                progress(len(raw))
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as e:
                raise InputError(f"is not UTF-8 text ({e.reason}).", path=str(path), line=line_no) from e
            if text:
                yield line_no, text


def json_object(text: str, path: Path, line: int) -> dict[str, Any]:
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"is not valid JSON ({e.msg} at column {e.colno}).", path=str(path), line=line) from e
    if not isinstance(rec, dict):
        raise InputError(f"must be a JSON object, got {type(rec).__name__}.", path=str(path), line=line)
    return rec


def check_files(paths: list[Path]) -> None:
    if not paths:
        raise InputError("no file given; pass one or more files to import.")
    for p in paths:
        if not p.is_file():
            raise InputError("does not exist or is not a file.", path=str(p))


def check_options(fmt: str, options: dict[str, str]) -> None:
    from boundary.importers.registry import get_importer
    takes = get_importer(fmt).options
    unknown = sorted(set(options) - set(takes))
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)} for the {fmt} format; it takes "
                         f"{', '.join(sorted(takes)) or 'none'}.")


def need(value: str | None, what: str, flag: str, path: Path) -> str:
    if not value:
        raise InputError(f"the {what} name cannot be derived from this file; give it with {flag}.", path=str(path))
    return value


def binary_status(value: Any) -> str | None:
    """``correct`` / ``wrong`` for a 0/1-valued score (bool, 0, 1, 0.0, 1.0); None for anything else."""
    if isinstance(value, bool):
        return "correct" if value else "wrong"
    if isinstance(value, (int, float)) and value in (0, 1):
        return "correct" if value == 1 else "wrong"
    return None


def _digest(text: str | None) -> bytes | None:
    return None if text is None else hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class StoredTexts:
    """Whether a sample about to be skipped as stored is the stored one: the same text under its key.

    Importers number samples by position (a problem's i-th sample in the files given, or its seed),
    so a resumed import meets its own samples again, while other files imported alone would meet
    other samples under the same keys; skipping those would lose them. The stored texts of the
    (model, benchmark) pair are read (as digests) the first time a stored key is met.
    """

    def __init__(self, run: Run, model: str, benchmark: str, fmt: str):
        self.run, self.model, self.benchmark, self.fmt = run, model, benchmark, fmt
        self._digests: dict[tuple[str, int], bytes | None] | None = None

    def check(self, problem_id: str, sample_index: int, text: str | None, also: tuple[str, ...] = ()) -> None:
        """Raise ``InputError`` when the stored sample under this key has another text (than ``text`` or
        one of ``also``)."""
        if self._digests is None:          # batch by batch: the stored texts never sit in memory whole
            import pyarrow.compute as pc
            self._digests = {}
            mine = (pc.field("model") == self.model) & (pc.field("benchmark") == self.benchmark)
            for b in self.run.iter_batches("samples", ["problem_id", "sample_index", "text"], batch_size=4096,
                                           filter=mine):
                d = b.to_pydict()
                self._digests.update(((p, int(i)), _digest(x))
                                     for p, i, x in zip(d["problem_id"], d["sample_index"], d["text"]))
        key = (problem_id, int(sample_index))
        if key in self._digests and self._digests[key] not in {_digest(t) for t in (text, *also)}:
            raise InputError(
                f"{self.model} on {self.benchmark}: sample {sample_index} of problem {problem_id!r} is already stored "
                f"with another text, so these are not (all) the samples imported before. The {self.fmt} format numbers "
                "each problem's samples by their place in the files given (or their seed): other files imported "
                "alone would take the numbers of stored samples and be skipped. Give the earlier files first, in "
                f"their order, then the new ones (`boundary import {self.fmt} OLD… NEW… --run RUN`): stored samples "
                "are kept and the new ones numbered after them. Or import the new files under another --model name.")


class StreamWriter:
    """Writes one (model, benchmark) pair's problems, samples and verdicts; skips stored keys (after
    checking that they hold the same text: :class:`StoredTexts`)."""

    def __init__(self, run: Run, model: str, benchmark: str, *, shard_samples: int = 50_000, fmt: str = "this"):
        self.run, self.model, self.benchmark, self.shard_samples = run, model, benchmark, shard_samples
        self.stored = StoredTexts(run, model, benchmark, fmt)
        self.have_samples = run.keys("samples", model, benchmark)
        self.have_verdicts = run.keys("verdicts", model, benchmark)
        probs = run.read("problems", ["benchmark", "problem_id"])
        self.have_problems = {p for b, p in zip(probs["benchmark"].to_pylist(), probs["problem_id"].to_pylist())
                              if b == benchmark}
        run.add_models([model])
        run.add_benchmarks([benchmark])
        self.buf: dict[str, list[dict[str, Any]]] = {"problems": [], "samples": [], "verdicts": []}
        self.part = PartSummary(model=model, benchmark=benchmark)

    def problem(self, p: ProblemRow) -> None:
        self.part.problems += 1
        if p.problem_id in self.have_problems:
            return
        self.have_problems.add(p.problem_id)
        self.buf["problems"].append({"benchmark": self.benchmark, "problem_id": p.problem_id,
                                     "question": p.question, "reference": p.reference,
                                     "metadata": json.dumps(p.metadata, default=str, ensure_ascii=False)})

    def sample(self, s: SampleRow) -> None:
        key = (s.problem_id, s.sample_index)
        self.part.samples += 1
        if s.status is not None:
            self.part.verdicts += 1
            self.part.verifier = s.verifier
        in_samples = key in self.have_samples
        if in_samples:
            self.stored.check(s.problem_id, s.sample_index, s.text, s.also_stored_as)
        if in_samples and (s.status is None or key in self.have_verdicts):
            self.part.skipped_samples += 1
            return
        base = {"model": self.model, "benchmark": self.benchmark, "problem_id": s.problem_id,
                "sample_index": s.sample_index}
        if not in_samples:
            self.buf["samples"].append({**base, "text": s.text, "finish_reason": s.finish_reason, "seed": s.seed})
        if s.status is not None and key not in self.have_verdicts:
            self.buf["verdicts"].append({**base, "status": s.status, "extracted": s.extracted, "path": "imported",
                                         "verifier": s.verifier, "detail": s.detail})
        if len(self.buf["samples"]) + len(self.buf["verdicts"]) >= 2 * self.shard_samples:
            self.flush()

    def flush(self) -> None:
        # Problems first: a samples shard never lands before the problems it refers to.
        for table in ("problems", "samples", "verdicts"):
            if self.buf[table]:
                self.run.write(table, pa.Table.from_pylist(self.buf[table]))
                self.buf[table] = []
