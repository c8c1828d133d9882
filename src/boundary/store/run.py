"""A run directory: a JSON manifest plus Parquet shards. The format is in docs/run-format.md.

::

    RUN/
      manifest.json          what the run is: format version, spec, models, imports, stages
      problems/part-*.parquet
      samples/part-*.parquet  one row per (model, benchmark, problem_id, sample_index)
      verdicts/part-*.parquet same key, plus status / extracted answer / verifier (the primary verdicts)
      grades/part-*.parquet   further graders' verdicts beside them, one source each (boundary verify --regrade)
      counts/part-*.parquet   imported per-problem counts (model, benchmark, problem_id, n, correct)
      perplexity/part-*.parquet PPL of stored samples under a scoring model (boundary perplexity)

Crash safety: a shard is written to a hidden temporary name (``.part-….tmp``) in its own
folder, flushed and fsync-ed, then renamed to ``part-….parquet``. Rename is atomic, so a reader
sees either the whole shard or nothing; readers only ever open ``part-*.parquet``. The manifest
is replaced the same way. A process killed with SIGKILL leaves at most a temporary file, which
the next writer removes.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from boundary.errors import StoreError
from boundary.store import _footers
from boundary.store import schema as S
from boundary.store.manifest import (
    ImportRecord,
    JudgeRecord,
    Manifest,
    SamplingRecord,
    StageRecord,
    manifest_dict,
    parse_manifest,
)

MANIFEST = "manifest.json"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    tmp = path.parent / _temp_name(path.name)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _dump(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, default=str).encode()


def _record_dict(kind: type[BaseModel], record: Any) -> dict[str, Any]:
    """A record given as a typed value or a plain dict, as its validated JSON object."""
    if not isinstance(record, kind):
        try:
            record = kind.model_validate(record)
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise StoreError(f"{kind.__name__} field {field!r} is invalid: {err['msg']} (got "
                             f"{err.get('input')!r}); the manifest was not changed. Give the field the "
                             "type docs/run-format.md describes.") from None
    return manifest_dict(record)


#: A temporary file of another host (shared storage) is taken for abandoned after this long.
STALE_TEMP_AGE_S = 6 * 3600.0
IMAGES = "images"
"""The folder of a run's images, by content hash (``images/<sha256>.<ext>``)."""
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"
_UNIT_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
_SHARD_RE = re.compile(r"part-[A-Za-z0-9-]{1,160}\.parquet")


def _temp_name(final_name: str) -> str:
    """``.<final name>.<host>.<pid>.<random>.tmp``: who writes it, so a sweep can tell if it is abandoned."""
    return f".{final_name}.{_HOST}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def _temp_owner(tmp_name: str) -> tuple[str | None, int | None]:
    """(host, pid) of a temporary file's writer; host None for the names written before hosts were recorded."""
    parts = tmp_name.split(".")
    # new: ['', 'part-…', 'parquet', host, pid, rand, 'tmp']; old: ['', 'part-…', 'parquet', pid, 'tmp']
    # or (the manifest) ['', 'manifest', 'json', pid, rand, 'tmp']
    if len(parts) == 7 and parts[-3].isdigit():
        return parts[-4], int(parts[-3])
    if len(parts) == 6 and parts[-3].isdigit():
        return None, int(parts[-3])
    if len(parts) == 5 and parts[-2].isdigit():
        return None, int(parts[-2])
    return None, None


SOURCE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}")
"""A verdict source's name (``--regrade --source NAME``)."""


def grades_shard_name(samples_shard: str, source: str) -> str:
    """The ``grades`` shard holding source ``source``'s grades of one samples shard (by file name):
    ``part-g<hash of source>-<samples shard's stem>.parquet``. Named by both, so grading a shard again
    into the same source replaces its shard (exactly once) and a resumed regrade skips it."""
    stem = samples_shard.removeprefix("part-").removesuffix(".parquet")
    return f"part-g{hashlib.sha256(source.encode()).hexdigest()[:10]}-{stem}.parquet"


def unit_name(*parts: object) -> str:
    """A work unit's shard name: a hash of what it holds (e.g. model, benchmark and its chunks)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:24]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class StoredChunks:
    """What one (model, benchmark) already has in a table, chunk by chunk (:meth:`Run.stored_chunks`).

    Sample indices ``0 .. n-1`` fall in chunks of ``chunk_size``: chunk j holds
    ``j*chunk_size .. min((j+1)*chunk_size, n) - 1``. Stored indices outside ``0 .. n-1`` are not
    counted. It holds counts, not keys: the problems stored whole, a count per chunk of the other
    problems, and the stored indices only of chunks that are partly stored (rare: the last chunk
    after raising n, or a store written outside boundary's units).
    """

    chunk_size: int
    n: int
    complete: frozenset[str] = frozenset()
    """Problems whose n indices are all stored."""
    counts: Mapping[tuple[str, int], int] = _field(default_factory=dict)
    """(problem_id, chunk) -> distinct indices stored, for the chunks with any, of problems not complete."""
    partial: Mapping[tuple[str, int], frozenset[int]] = _field(default_factory=dict)
    """(problem_id, chunk) -> its stored indices, for chunks neither empty nor full."""

    def size(self, chunk: int) -> int:
        """Indices in ``chunk`` (the last chunk is smaller when n is not a multiple of chunk_size)."""
        return max(0, min(self.chunk_size, self.n - chunk * self.chunk_size))

    def stored(self, problem_id: str, chunk: int) -> int:
        """How many of ``chunk``'s indices are stored for ``problem_id``."""
        if problem_id in self.complete:
            return self.size(chunk)
        return self.counts.get((problem_id, chunk), 0)

    def indices(self, problem_id: str, chunk: int) -> frozenset[int]:
        """The stored indices of one chunk of ``problem_id``."""
        got = self.stored(problem_id, chunk)
        if got == 0:
            return frozenset()
        first = chunk * self.chunk_size
        if got == self.size(chunk):
            return frozenset(range(first, first + got))
        return self.partial[(problem_id, chunk)]

    @classmethod
    def from_keys(cls, keys: Iterable[tuple[str, int]], *, chunk_size: int, n: int) -> StoredChunks:
        """The same counts from stored (problem_id, sample_index) pairs (small stores, tests)."""
        per: dict[tuple[str, int], set[int]] = {}
        for pid, i in keys:
            if 0 <= i < n:
                per.setdefault((pid, i // chunk_size), set()).add(i)
        base = cls(chunk_size, n)
        by_problem: dict[str, int] = {}
        for (pid, _), got in per.items():
            by_problem[pid] = by_problem.get(pid, 0) + len(got)
        complete = frozenset(p for p, c in by_problem.items() if c == n)
        counts = {k: len(v) for k, v in per.items() if k[0] not in complete}
        partial = {k: frozenset(v) for k, v in per.items() if k[0] not in complete and len(v) < base.size(k[1])}
        return cls(chunk_size, n, complete, counts, partial)


class ShardIndex(Mapping[tuple[str, str], list[Path]]):
    """(model, benchmark) -> the shards of a table holding its rows (:meth:`Run.shard_keys`), with each
    shard's row count as its footer gave it when the index was made."""

    def __init__(self, pairs: dict[tuple[str, str], list[Path]], rows: dict[str, int]):
        self._pairs = pairs
        self._rows = rows

    def __getitem__(self, pair: tuple[str, str]) -> list[Path]:
        return self._pairs[pair]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def rows(self, shard: Path) -> int:
        """Rows of one shard of the index (a path it lists)."""
        try:
            return self._rows[shard.name]
        except KeyError:
            raise KeyError(f"{shard} is not a shard of this index ({len(self._rows)} shards); "
                           "give a path the index lists, or use Run.shard_rows") from None


class Run:
    """One run directory. Open an existing one with ``Run(path)``, make one with ``Run.create``.

    The run is the unit of resumption and of reporting: every stage reads what earlier stages
    wrote here and writes its own output here.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._footer_rows: dict[tuple[str, int, int], int] = {}   # (shard, mtime_ns, size) -> rows
        self._notes: dict[str, dict[str, tuple[_footers.Stamp, _footers.Facts]]] = {}   # note_shard
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            if not self.path.exists():
                raise StoreError(f"run directory {self.path} does not exist. Create it with "
                                 "`boundary import ...` or `boundary run SPEC`.")
            raise StoreError(f"{self.path} is not a boundary run: it has no {MANIFEST}. "
                             "Point at the directory that `boundary import`/`boundary run` created.")
        self.read_manifest()  # validate now, so a bad run fails at open, not halfway through a report

    @staticmethod
    def is_run(path: str | os.PathLike | None) -> bool:
        """Whether ``path`` is a run directory (holds a ``manifest.json``); it is not validated."""
        return path is not None and (Path(path) / MANIFEST).is_file()

    # ------------------------------------------------------------------ creation and manifest
    @classmethod
    def create(cls, path: str | os.PathLike, *, spec: dict[str, Any] | None = None) -> Run:
        """Create a run directory, or open it if it already is a run (resuming is the normal case)."""
        p = Path(path)
        if (p / MANIFEST).is_file():
            return cls(p)
        if p.exists() and any(p.iterdir()):
            raise StoreError(f"{p} exists, is not empty and is not a boundary run; "
                             "choose a new directory for the run.")
        p.mkdir(parents=True, exist_ok=True)
        from boundary._version import __version__
        manifest = Manifest(format=S.FORMAT_NAME, version=S.FORMAT_VERSION, boundary_version=__version__,
                            created=_now(), updated=_now(), spec=spec or {}, models=[], benchmarks=[],
                            imports=[], stages={})
        atomic_write_bytes(p / MANIFEST, _dump(manifest_dict(manifest)))
        return cls(p)

    def read_manifest(self) -> Manifest:
        """The typed manifest, read from disk now (see ``boundary.store.manifest``)."""
        path = self.path / MANIFEST
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise StoreError(f"{path} is not valid JSON ({e}); the run's manifest is damaged.") from e
        return parse_manifest(data, where=str(path))

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as its JSON object (a fresh copy; unknown keys included).

        Prefer ``read_manifest()`` and the accessors (``sampling_record``, ``stage``, ...).
        """
        return manifest_dict(self.read_manifest())

    def update_manifest(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply ``change`` to the manifest's JSON object and write it back atomically.

        The changed manifest is validated before it is written: a field of the wrong type raises
        ``StoreError`` and leaves the file as it was. Prefer the typed writers (``add_import``,
        ``mark_stage``, ``record_sampling``, ``record_judge``, ...).
        """
        path = self.path / MANIFEST
        data = self.manifest
        change(data)
        data["updated"] = _now()
        data = manifest_dict(parse_manifest(data, where=str(path), writing=True))
        atomic_write_bytes(path, _dump(data))
        return data

    def add_models(self, names: Iterable[str]) -> None:
        """Record model names in first-seen order (the order of curves and the default reference)."""
        def change(m):
            models = m.setdefault("models", [])
            for name in names:
                if name not in models:
                    models.append(name)
        self.update_manifest(change)

    def add_benchmarks(self, names: Iterable[str]) -> None:
        def change(m):
            benchmarks = m.setdefault("benchmarks", [])
            for name in names:
                if name not in benchmarks:
                    benchmarks.append(name)
        self.update_manifest(change)

    def add_import(self, record: ImportRecord | dict[str, Any]) -> None:
        """Append one import (kind, file, sha256, sizes) to ``imports``."""
        entry = _record_dict(ImportRecord, record)
        self.update_manifest(lambda m: m.setdefault("imports", []).append(entry))

    def set_model_info(self, info: dict[str, dict[str, Any]]) -> None:
        """Record per-model facts (``group``, ``step``, ``temperature``, ``path``) in ``model_info``."""
        def change(m):
            mi = m.setdefault("model_info", {})
            for name, facts in info.items():
                mi.setdefault(name, {}).update({k: v for k, v in facts.items() if v is not None})
        self.update_manifest(change)

    def model_info(self) -> dict[str, dict[str, Any]]:
        """Per-model facts recorded by the sample stage: ``group`` (the spec entry a checkpoint or
        temperature expansion came from), ``step`` (training step), ``temperature``, ``path``."""
        return {k: manifest_dict(v) for k, v in self.read_manifest().model_info.items()}

    def model_steps(self) -> dict[str, int]:
        """Training step of every model that has one: ``{"grpo@step50": 50, ...}`` (checkpoint sweeps).

        Models without a recorded step (the base model, imported counts) are absent.
        """
        return {name: int(f.step) for name, f in self.read_manifest().model_info.items() if f.step is not None}

    def model_groups(self) -> dict[str, str]:
        """The spec entry each model was expanded from: ``{"grpo@step50": "grpo", "base": "base"}``."""
        return {name: f.group if f.group is not None else name
                for name, f in self.read_manifest().model_info.items()}

    def model_temperatures(self) -> dict[str, float]:
        """Sampling temperature of every model the sample stage recorded: ``{"rl@T=1.0": 1.0, ...}``."""
        return {name: float(f.temperature) for name, f in self.read_manifest().model_info.items()
                if f.temperature is not None}

    def sampling_record(self, model: str) -> SamplingRecord | None:
        """How ``model``'s samples were drawn (parameters, seed, n, template, engine, model spec);
        None when the run did not sample it (imported samples or counts)."""
        return self.read_manifest().sampling.get(model)

    def sampling_records(self) -> dict[str, SamplingRecord]:
        """Every sampled model's record, in the order they were first recorded."""
        return dict(self.read_manifest().sampling)

    def record_sampling(self, model: str, record: SamplingRecord | dict[str, Any]) -> None:
        """Record (replace) how ``model``'s samples are drawn. ``n`` keeps the largest value ever
        recorded: raising n adds samples, lowering it never forgets the ones stored."""
        entry = _record_dict(SamplingRecord, record)

        def change(m):
            sampling = m.setdefault("sampling", {})
            prev_n = sampling.get(model, {}).get("n", 0)
            sampling[model] = {**entry, "n": max(entry.get("n", 0), prev_n)}
        self.update_manifest(change)

    def judge_records(self) -> dict[str, JudgeRecord]:
        """The judges recorded in the run (judge id -> spec and engine), in first-recorded order."""
        return dict(self.read_manifest().judges)

    def record_judge(self, judge: str, *, spec: dict[str, Any], engine: dict[str, Any] | None = None) -> None:
        """Record judge ``judge``'s spec and, when given, its engine (keeps an earlier engine otherwise)."""
        def change(m):
            rec = m.setdefault("judges", {}).setdefault(judge, {})
            rec["spec"] = spec
            if engine is not None:
                rec["engine"] = engine
        self.update_manifest(change)

    def mark_stage(self, stage: str, **info: Any) -> None:
        """Record that ``stage`` completed now, with what it wrote (see ``StageRecord``)."""
        def change(m):
            m.setdefault("stages", {})[stage] = {"completed": _now(), **info}
        self.update_manifest(change)

    def stage(self, name: str) -> StageRecord | None:
        """The record of a completed stage (``"verify"``, ``"guess"``, ``"perplexity:<scorer>"``, ...),
        or None when it never completed."""
        return self.read_manifest().stages.get(name)

    @property
    def spec(self) -> dict[str, Any]:
        """The experiment spec the run was made from, as recorded (``{}`` for imports)."""
        return copy.deepcopy(self.read_manifest().spec)

    @property
    def models(self) -> list[str]:
        return list(self.read_manifest().models)

    @property
    def benchmarks(self) -> list[str]:
        return list(self.read_manifest().benchmarks)

    # ------------------------------------------------------------------ shards
    def _dir(self, table: str) -> Path:
        if table not in S.TABLES:
            raise StoreError(f"unknown table {table!r}; the store has {sorted(S.TABLES)}.")
        return self.path / table

    def shards(self, table: str) -> list[Path]:
        """Complete shards of ``table``, oldest first. Temporary files are never listed."""
        d = self._dir(table)
        try:
            with os.scandir(d) as entries:
                names = sorted(e.name for e in entries if e.name.startswith("part-") and e.name.endswith(".parquet"))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [d / name for name in names]

    def remove_stale_temporaries(self, *, max_age_s: float = STALE_TEMP_AGE_S) -> int:
        """Delete temporary shard files that no running writer will finish.

        A temporary name carries the writer's host and process id (``.<shard>.<host>.<pid>.<rand>.tmp``):
        one of this host whose process is gone is removed at once; any other (another host's, on
        shared storage, where process ids mean nothing) only once it is older than ``max_age_s``.
        Call it from the one process that drives a run (a stage's entry, the Ray driver), never
        from workers.
        """
        removed = 0
        now = time.time()
        for d in [self.path, self.path / IMAGES, *(self.path / t for t in S.TABLES)]:
            if not d.is_dir():
                continue
            for tmp in d.glob(".*.tmp"):
                host, pid = _temp_owner(tmp.name)
                if pid == os.getpid() and host in (None, _HOST):
                    continue                              # this process is writing it
                here_and_dead = host in (None, _HOST) and pid is not None and not _pid_alive(pid)
                try:
                    old = now - tmp.stat().st_mtime > max_age_s
                except FileNotFoundError:
                    continue                              # renamed meanwhile: it was not stale
                if here_and_dead or old or (pid is None and host is None):
                    tmp.unlink(missing_ok=True)
                    removed += 1
        return removed

    def write(self, table: str, data: pa.Table, *, unit: str | None = None, name: str | None = None) -> Path:
        """Write one shard atomically and return its path.

        ``data`` is cast to the table's schema (missing nullable columns are filled with nulls),
        so a shard never holds a column the readers do not know. ``unit`` names the work the
        shard holds (:func:`unit_name`): the shard is then ``part-u-<unit>.parquet``, and a retried
        unit replaces its own shard instead of adding a second copy (exactly once, also when a
        worker dies after writing but before reporting). ``name`` gives the whole file name instead
        (``part-….parquet``; the verify stage names a verdict shard after its samples shard). Without
        either the name is unique.
        """
        d = self._dir(table)
        schema = S.TABLES[table]
        if unit is not None:
            if not _UNIT_RE.fullmatch(unit):
                raise ValueError(f"a shard's unit name is lowercase letters, digits and '-', got {unit!r}.")
            name = f"part-u-{unit}.parquet"
        elif name is not None:
            if not _SHARD_RE.fullmatch(name):
                raise ValueError(f"a shard's file name is part-<letters, digits, ->.parquet, got {name!r}.")
        else:
            name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        d.mkdir(exist_ok=True)
        data = conform(data, schema)
        final = d / name
        tmp = d / _temp_name(name)
        with open(tmp, "wb") as f:
            pq.write_table(data, f, compression="zstd")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(d)
        return final

    def read(self, table: str, columns: list[str] | None = None,
             filter: pc.Expression | None = None) -> pa.Table:
        """Read every complete shard of ``table`` as one Arrow table (only the named columns)."""
        files = self.shards(table)
        schema = S.TABLES[table]
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        try:
            dataset = ds.dataset([str(f) for f in files], format="parquet", schema=schema)
            return dataset.to_table(columns=columns, filter=filter)
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shards of {self.path}: {e}") from e

    # ------------------------------------------------------------------ typed readers
    def problems(self, columns: list[str] | None = None) -> pa.Table:
        return self.read("problems", columns)

    def samples(self, columns: list[str] | None = None) -> pa.Table:
        return self.read("samples", columns)

    def verdicts(self, columns: list[str] | None = None) -> pa.Table:
        return self.read("verdicts", columns)

    def perplexity(self, columns: list[str] | None = None) -> pa.Table:
        """Per-sample perplexities (``boundary perplexity``): scorer, model, key, tokens, nll, ppl."""
        return self.read("perplexity", columns)

    def _shard_dataset(self, table: str, shard: Path) -> ds.Dataset:
        # One shard read through the table's schema: a column the shard predates (``logprob_sum``)
        # reads as nulls, and a filter may name columns that are not selected.
        return ds.dataset(str(shard), format="parquet", schema=S.TABLES[table])

    def iter_batches(self, table: str, columns: list[str] | None = None, *, batch_size: int = 2048,
                     filter: pc.Expression | None = None,
                     shards: Sequence[Path] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream ``table`` shard by shard, oldest shard first, in record batches of at most
        ``batch_size`` rows (only ``columns``; rows where ``filter`` holds). Memory stays at one
        batch of one shard, so this is the way to read the ``text`` column. ``shards`` reads only
        those shards (paths from :meth:`shards` or :meth:`shard_keys`), in the order given."""
        for shard in (self.shards(table) if shards is None else shards):
            try:
                for batch in self._shard_dataset(table, shard).to_batches(
                        columns=columns, filter=filter, batch_size=batch_size):
                    if batch.num_rows:
                        yield batch
            except (pa.ArrowInvalid, OSError) as e:
                raise StoreError(f"cannot read the {table} shard {shard}: {e}. Remove the damaged shard "
                                 "(the stage that wrote it redraws its rows on resume).") from e

    def iter_shards(self, table: str, columns: list[str] | None = None, *,
                    filter: pc.Expression | None = None) -> Iterator[pa.Table]:
        """``table`` one whole shard at a time, oldest first (only ``columns``; rows where ``filter``
        holds): for per-shard aggregation that never holds the whole table."""
        for shard in self.shards(table):
            try:
                yield self._shard_dataset(table, shard).to_table(columns=columns, filter=filter)
            except (pa.ArrowInvalid, OSError) as e:
                raise StoreError(f"cannot read the {table} shard {shard}: {e}. Remove the damaged shard "
                                 "(the stage that wrote it redraws its rows on resume).") from e

    def batches(self, table: str, columns: list[str], filter: pc.Expression | None = None,
                batch_size: int = 256) -> Iterator[pa.RecordBatch]:
        """Stream ``table`` as record batches of at most ``batch_size`` rows (``iter_batches``)."""
        return self.iter_batches(table, columns, batch_size=batch_size, filter=filter)

    def read_shard(self, table: str, shard: Path, columns: list[str] | None = None,
                   filter: pc.Expression | None = None) -> pa.Table:
        """One shard of ``table`` (a path from :meth:`shards`), read through the table's schema (only
        ``columns``; rows where ``filter`` holds)."""
        try:
            return self._shard_dataset(table, shard).to_table(columns=columns, filter=filter)
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shard {shard}: {e}. Remove the damaged shard "
                             "(the stage that wrote it redraws its rows on resume).") from e

    def shard_rows(self, shard: Path) -> int:
        """Rows of one shard, from its footer (no data is read; remembered while the file is the same)."""
        try:
            st = shard.stat()
            key = (str(shard), st.st_mtime_ns, st.st_size)
            rows = self._footer_rows.get(key)
            if rows is None:
                rows = int(pq.read_metadata(shard).num_rows)
                self._footer_rows[key] = rows
            return rows
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the shard {shard}: {e}") from e

    def put_image(self, sha256: str, ext: str, data: Callable[[], bytes]) -> Path:
        """The path of an image in the run (``images/<sha256>.<ext>``), copied there first if absent.

        Images are stored by content hash, so a run holds each once and stays self-contained (a
        resumed or moved run needs no benchmark files). ``data`` is called only when the image is not
        stored yet; its bytes must hash to ``sha256``. Written like a shard: temporary file, fsync, rename.
        """
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or not re.fullmatch(r"[a-z0-9]{1,8}", ext):
            raise ValueError(f"an image is stored as <sha256 hex>.<ext>, got {sha256!r}.{ext!r}.")
        d = self.path / IMAGES
        final = d / f"{sha256}.{ext}"
        if final.is_file():
            return final
        blob = data()
        if hashlib.sha256(blob).hexdigest() != sha256:
            raise StoreError(f"image {sha256[:12]}…: the bytes given hash to {hashlib.sha256(blob).hexdigest()[:12]}…; "
                             "the source changed since the benchmark was loaded: load it again.")
        d.mkdir(exist_ok=True)
        tmp = d / _temp_name(final.name)
        with open(tmp, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(d)
        return final

    def lock(self, what: str):
        """Hold the run's lock while a ``with`` block runs: one driver at a time, on any host
        (:func:`boundary.store.lock.run_lock`; re-entrant within a process)."""
        from boundary.store.lock import run_lock
        return run_lock(self.path, what)

    def row_count(self, table: str) -> int:
        """Rows stored in ``table``, from the shards' footers (no data is read)."""
        try:
            return sum(pq.ParquetFile(f).metadata.num_rows for f in self.shards(table))
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shards of {self.path}: {e}") from e

    def keys(self, table: str, model: str, benchmark: str, *, scorer: str | None = None) -> set[tuple[str, int]]:
        """(problem_id, sample_index) pairs already stored for one model and benchmark (for resume).

        A Python set of every key of the pair (~165 bytes a key): for small tables. The sample
        stage plans with :meth:`stored_chunks` instead.

        ``scorer`` restricts the ``perplexity`` table to one scoring model.
        """
        where = (pc.field("model") == model) & (pc.field("benchmark") == benchmark)
        if scorer is not None:
            where = where & (pc.field("scorer") == scorer)
        t = self.read(table, ["problem_id", "sample_index"], filter=where)
        return set(zip(t.column("problem_id").to_pylist(), t.column("sample_index").to_pylist()))

    def shard_keys(self, table: str, *, remember: bool = True) -> ShardIndex:
        """(model, benchmark) -> the shards of ``table`` that hold rows of it, oldest first; and each
        shard's rows (:meth:`ShardIndex.rows`).

        Read from the shards' footers: a shard whose statistics give one model and one benchmark
        (every shard a work unit writes) is not opened further; only the others (imports, older
        shards holding several) have their two columns read. What was read is remembered in
        ``RUN/footers-<table>.parquet`` (``remember``; see ``boundary.store._footers``): the next
        call reads the footer only of a shard whose file (inode, size, mtime) changed or is new.
        Planning reads each (model, benchmark)'s own shards instead of scanning the whole table
        once per pair.
        """
        d = self._dir(table)

        def read(shard: Path) -> _footers.Facts:
            return self._shard_facts(table, shard)

        names, facts = _footers.index(d, _footers.cache_path(self.path, table), read, atomic_write_bytes,
                                      remember=remember)
        return ShardIndex(_footers.pairs_index(names, facts, d), {n: f.rows for n, f in facts.items()})

    def note_shard(self, table: str, shard: Path) -> None:
        """Remember one shard's footer now (the driver, right after a unit stored it), so the next plan
        of a resumed stage need not read it; kept in memory until :meth:`save_notes`. A shard that is
        gone or unreadable is not noted (the next plan reads it)."""
        try:
            stamp = _footers.stamp(shard)
            facts = self._shard_facts(table, shard)
        except (OSError, StoreError):
            return
        self._notes.setdefault(table, {})[shard.name] = (stamp, facts)

    def save_notes(self) -> None:
        """Add the noted shards to each table's footers file (``RUN/footers-<table>.parquet``); a store
        that cannot be written is left as it is."""
        notes, self._notes = self._notes, {}
        for table, noted in notes.items():
            if noted:
                _footers.merge(_footers.cache_path(self.path, table), noted, atomic_write_bytes)

    def _shard_facts(self, table: str, shard: Path) -> _footers.Facts:
        try:
            meta = pq.read_metadata(shard)
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shard {shard}: {e}. Remove the damaged shard "
                             "(the stage that wrote it redraws its rows on resume).") from e
        return _footers.Facts(int(meta.num_rows), tuple(self._shard_pairs(table, shard, meta)))

    def _shard_pairs(self, table: str, shard: Path, meta: pq.FileMetaData) -> list[tuple[str, str]]:
        try:
            if meta.num_rows == 0:
                return []
            names = [meta.schema.column(i).path for i in range(meta.num_columns)]
            if "model" in names and "benchmark" in names:
                cols = names.index("model"), names.index("benchmark")
                pairs = set()
                for r in range(meta.num_row_groups):
                    rg = meta.row_group(r)
                    if rg.num_rows == 0:
                        continue
                    pair = []
                    for c in cols:
                        st = rg.column(c).statistics
                        if (st is None or not st.has_min_max or not isinstance(st.min, str)
                                or st.min != st.max):
                            break
                        pair.append(st.min)
                    else:
                        pairs.add((pair[0], pair[1]))
                        continue
                    break                         # a row group with several: read the columns
                else:
                    return sorted(pairs)
            t = self._shard_dataset(table, shard).to_table(columns=["model", "benchmark"])
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shard {shard}: {e}. Remove the damaged shard "
                             "(the stage that wrote it redraws its rows on resume).") from e
        g = t.group_by(["model", "benchmark"]).aggregate([])
        return sorted(zip(g["model"].to_pylist(), g["benchmark"].to_pylist()))

    def stored_chunks(self, table: str, model: str, benchmark: str, *, chunk_size: int, n: int,
                      shards: Sequence[Path] | None = None) -> StoredChunks:
        """What ``table`` holds of one model and benchmark, per chunk of ``chunk_size`` indices below n.

        Arrow does the counting (distinct indices per problem, then per chunk of the problems not
        complete); only partly stored chunks have their indices listed. Memory is this pair's two
        key columns, never a Python set of every key. ``shards`` limits the read to the shards
        :meth:`shard_keys` lists for the pair (default: every shard, filtered).
        """
        if chunk_size < 1 or n < 1:
            raise ValueError(f"chunk_size and n must be >= 1, got chunk_size={chunk_size}, n={n}.")
        empty = StoredChunks(chunk_size, n)
        files = self.shards(table) if shards is None else list(shards)
        if not files:
            return empty
        where = ((pc.field("model") == model) & (pc.field("benchmark") == benchmark)
                 & (pc.field("sample_index") >= 0) & (pc.field("sample_index") < n))
        try:
            dataset = ds.dataset([str(f) for f in files], format="parquet", schema=S.TABLES[table])
            t = dataset.to_table(columns=["problem_id", "sample_index"], filter=where)
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shards of {self.path}: {e}") from e
        if not t.num_rows:
            return empty
        t = t.combine_chunks()                    # one chunk per shard otherwise: the kernels pay per chunk
        per = t.group_by("problem_id").aggregate([("sample_index", "count_distinct")])
        whole = pc.equal(per["sample_index_count_distinct"], n)
        complete = frozenset(per.filter(whole)["problem_id"].to_pylist())
        rest = per.filter(pc.invert(whole))["problem_id"]
        if not len(rest):
            return StoredChunks(chunk_size, n, complete)
        t = t.filter(pc.is_in(t["problem_id"], value_set=rest))
        t = t.append_column("chunk", pc.divide(t["sample_index"], pa.scalar(chunk_size, pa.int32())))
        g = t.group_by(["problem_id", "chunk"]).aggregate([("sample_index", "count_distinct")])
        counts = dict(zip(zip(g["problem_id"].to_pylist(), g["chunk"].to_pylist()),
                          g["sample_index_count_distinct"].to_pylist()))
        partial_keys = {k for k, c in counts.items() if c < empty.size(k[1])}
        partial: dict[tuple[str, int], set[int]] = {k: set() for k in partial_keys}
        if partial_keys:
            rows = t.filter(pc.is_in(t["problem_id"], value_set=pa.array(sorted({k[0] for k in partial_keys}))))
            for pid, i, j in zip(rows["problem_id"].to_pylist(), rows["sample_index"].to_pylist(),
                                 rows["chunk"].to_pylist()):
                if (pid, j) in partial:
                    partial[(pid, j)].add(i)
        return StoredChunks(chunk_size, n, complete, counts, {k: frozenset(v) for k, v in partial.items()})

    def counts(self, source: str | None = None) -> pa.Table:
        """Per-problem sample and correct counts: (model, benchmark, problem_id, n, correct).

        Sums verdicts (only status ``correct`` counts) and imported counts. Several imports of the
        same model (runs or seeds) are pooled into one n per problem. Never reads the text.

        ``source`` (:meth:`verdict_sources`): None or ``"primary"`` counts the primary verdicts (and the
        imported counts); another source counts only its rows of the ``grades`` table (the samples it
        graded), so an imported count without samples has no count under it.
        """
        if source is not None and source != S.PRIMARY:
            if source not in self.verdict_sources():
                raise StoreError(f"{self.path} has no verdict source {source!r}; its sources are "
                                 f"{self.verdict_sources()}. Grade into one with `boundary verify RUN --regrade`.")
            g = self.read("grades", ["model", "benchmark", "problem_id", "sample_index", "status"],
                          filter=pc.field("source") == source)
            out = self._verdict_counts(g, f"grades of source {source!r}")
            return out if out is not None else S.PROBLEM_COUNTS.empty_table()
        parts = []
        v = self._verdict_counts(self.verdicts(["model", "benchmark", "problem_id", "sample_index", "status"]),
                                 "verdicts")
        if v is not None:
            parts.append(v)
        c = self.read("counts", ["model", "benchmark", "problem_id", "n", "correct"])
        if c.num_rows:
            parts.append(c)
        if not parts:
            return S.PROBLEM_COUNTS.empty_table()
        allc = pa.concat_tables([p.cast(S.PROBLEM_COUNTS) for p in parts])
        g = allc.group_by(["model", "benchmark", "problem_id"]).aggregate([("n", "sum"), ("correct", "sum")])
        out = pa.table({"model": g["model"], "benchmark": g["benchmark"], "problem_id": g["problem_id"],
                        "n": g["n_sum"], "correct": g["correct_sum"]})
        return out.sort_by([("benchmark", "ascending"), ("model", "ascending"), ("problem_id", "ascending")])

    def _verdict_counts(self, v: pa.Table, what: str) -> pa.Table | None:
        """Per-problem (n, correct) of verdict rows (key + status); None when there are none. Refuses a
        sample graded twice."""
        if not v.num_rows:
            return None
        v = v.append_column("is_correct", pc.cast(pc.equal(v["status"], "correct"), pa.int64()))
        g = v.group_by(["model", "benchmark", "problem_id"]).aggregate(
            [("sample_index", "count"), ("sample_index", "count_distinct"), ("is_correct", "sum")])
        dup = pc.not_equal(g["sample_index_count"], g["sample_index_count_distinct"])
        if pc.any(dup).as_py():
            row = g.filter(dup).slice(0, 1).to_pylist()[0]
            raise StoreError(
                f"{self.path}: {what} hold the same sample twice for model {row['model']!r}, "
                f"benchmark {row['benchmark']!r}, problem {row['problem_id']!r}. The store was "
                "written outside boundary's writers; remove the duplicate shard.")
        out = pa.table({
            "model": g["model"], "benchmark": g["benchmark"], "problem_id": g["problem_id"],
            "n": pc.cast(g["sample_index_count"], pa.int64()),
            "correct": pc.cast(g["is_correct_sum"], pa.int64()),
        })
        return out.cast(S.PROBLEM_COUNTS).sort_by([("benchmark", "ascending"), ("model", "ascending"),
                                                   ("problem_id", "ascending")])

    # ------------------------------------------------------------------ verdict sources
    def verdict_sources(self) -> list[str]:
        """The run's verdict sources: ``"primary"`` (the ``verdicts`` table, when it has rows) and each
        source of the ``grades`` table (``boundary verify RUN --regrade``), sorted."""
        out = [S.PRIMARY] if self.shards("verdicts") and self.row_count("verdicts") else []
        if self.shards("grades"):
            g = self.read("grades", ["source"]).group_by("source").aggregate([])
            out += sorted(g["source"].to_pylist())
        return out

    def source_verifiers(self, source: str) -> list[str]:
        """The verifier names of one source's rows (an imported source: e.g. ``lm-eval:exact_match``),
        most rows first."""
        if source == S.PRIMARY:
            t = self.verdicts(["verifier"])
        else:
            t = self.read("grades", ["verifier"], filter=pc.field("source") == source)
        if not t.num_rows:
            return []
        g = t.group_by("verifier").aggregate([("verifier", "count")]).to_pylist()
        g.sort(key=lambda r: (-r["verifier_count"], str(r["verifier"])))
        return [r["verifier"] if r["verifier"] is not None else "(unnamed)" for r in g]

    def source_statuses(self, source: str, columns: Sequence[str] = ("model", "benchmark", "problem_id",
                                                                     "sample_index", "status")) -> pa.Table:
        """One source's verdict rows (only ``columns``; never the text)."""
        if source == S.PRIMARY:
            return self.verdicts(list(columns))
        return self.read("grades", list(columns), filter=pc.field("source") == source)

    def status_counts(self) -> pa.Table:
        """Number of samples per (model, benchmark, status)."""
        v = self.verdicts(["model", "benchmark", "status"])
        g = v.group_by(["model", "benchmark", "status"]).aggregate([("status", "count")])
        return g.rename_columns(["model", "benchmark", "status", "samples"])

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"


def conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast ``data`` to ``schema``, filling absent nullable columns with nulls."""
    cols = []
    for field in schema:
        if field.name in data.column_names:
            col = data[field.name]
            if col.type != field.type:
                try:
                    col = pc.cast(col, field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                    raise StoreError(f"column {field.name!r} has type {col.type}, expected {field.type}: {e}") from e
            if not field.nullable and col.null_count:
                raise StoreError(f"column {field.name!r} may not hold nulls ({col.null_count} found).")
            cols.append(col)
        elif field.nullable:
            cols.append(pa.nulls(data.num_rows, field.type))
        else:
            raise StoreError(f"column {field.name!r} is required in a {schema.names} shard but missing.")
    return pa.Table.from_arrays(cols, schema=schema)

