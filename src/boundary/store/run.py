"""A run directory: a JSON manifest plus Parquet shards. The format is in docs/run-format.md.

::

    RUN/
      manifest.json          what the run is: format version, spec, models, imports, stages
      problems/part-*.parquet
      samples/part-*.parquet  one row per (model, benchmark, problem_id, sample_index)
      verdicts/part-*.parquet same key, plus status / extracted answer / verifier
      counts/part-*.parquet   imported per-problem counts (model, benchmark, problem_id, n, correct)
      perplexity/part-*.parquet PPL of stored samples under a scoring model (boundary perplexity)

Crash safety: a shard is written to a hidden temporary name (``.part-….tmp``) in its own
folder, flushed and fsync-ed, then renamed to ``part-….parquet``. Rename is atomic, so a reader
sees either the whole shard or nothing; readers only ever open ``part-*.parquet``. The manifest
is replaced the same way. A process killed with SIGKILL leaves at most a temporary file, which
the next writer removes.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from boundary.errors import StoreError
from boundary.store import schema as S

MANIFEST = "manifest.json"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


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
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Run:
    """One run directory. Open an existing one with ``Run(path)``, make one with ``Run.create``.

    The run is the unit of resumption and of reporting: every stage reads what earlier stages
    wrote here and writes its own output here.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        manifest = self.path / MANIFEST
        if not manifest.is_file():
            if not self.path.exists():
                raise StoreError(f"run directory {self.path} does not exist. Create it with "
                                 "`boundary import ...` or `boundary run SPEC`.")
            raise StoreError(f"{self.path} is not a boundary run: it has no {MANIFEST}. "
                             "Point at the directory that `boundary import`/`boundary run` created.")
        self.manifest  # validate now, so a bad run fails at open, not halfway through a report

    # ------------------------------------------------------------------ creation and manifest
    @classmethod
    def create(cls, path: str | os.PathLike, *, spec: dict[str, Any] | None = None) -> "Run":
        """Create a run directory, or open it if it already is a run (resuming is the normal case)."""
        p = Path(path)
        if (p / MANIFEST).is_file():
            return cls(p)
        if p.exists() and any(p.iterdir()):
            raise StoreError(f"{p} exists, is not empty and is not a boundary run; "
                             "choose a new directory for the run.")
        p.mkdir(parents=True, exist_ok=True)
        from boundary._version import __version__
        manifest = {
            "format": S.FORMAT_NAME,
            "version": S.FORMAT_VERSION,
            "boundary_version": __version__,
            "created": _now(),
            "updated": _now(),
            "spec": spec or {},
            "models": [],
            "benchmarks": [],
            "imports": [],
            "stages": {},
        }
        atomic_write_bytes(p / MANIFEST, json.dumps(manifest, indent=2).encode())
        return cls(p)

    @property
    def manifest(self) -> dict[str, Any]:
        path = self.path / MANIFEST
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise StoreError(f"{path} is not valid JSON ({e}); the run's manifest is damaged.") from e
        if data.get("format") != S.FORMAT_NAME:
            raise StoreError(f"{path} is not a boundary run manifest (format={data.get('format')!r}).")
        if data.get("version", 0) > S.FORMAT_VERSION:
            raise StoreError(f"{path} has run format version {data['version']}, newer than this "
                             f"boundary understands ({S.FORMAT_VERSION}). Upgrade boundary.")
        return data

    def update_manifest(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply ``change`` to the manifest dict and write it back atomically."""
        data = self.manifest
        change(data)
        data["updated"] = _now()
        atomic_write_bytes(self.path / MANIFEST, json.dumps(data, indent=2, default=str).encode())
        return data

    def add_models(self, names: Iterable[str]) -> None:
        """Record model names in first-seen order (the order of curves and the default reference)."""
        def change(m):
            for name in names:
                if name not in m["models"]:
                    m["models"].append(name)
        self.update_manifest(change)

    def add_benchmarks(self, names: Iterable[str]) -> None:
        def change(m):
            for name in names:
                if name not in m["benchmarks"]:
                    m["benchmarks"].append(name)
        self.update_manifest(change)

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
        return {k: dict(v) for k, v in self.manifest.get("model_info", {}).items()}

    def model_steps(self) -> dict[str, int]:
        """Training step of every model that has one: ``{"grpo@step50": 50, ...}`` (checkpoint sweeps).

        Models without a recorded step (the base model, imported counts) are absent.
        """
        return {name: int(f["step"]) for name, f in self.model_info().items() if f.get("step") is not None}

    def model_groups(self) -> dict[str, str]:
        """The spec entry each model was expanded from: ``{"grpo@step50": "grpo", "base": "base"}``."""
        return {name: f.get("group", name) for name, f in self.model_info().items()}

    def model_temperatures(self) -> dict[str, float]:
        """Sampling temperature of every model the sample stage recorded: ``{"rl@T=1.0": 1.0, ...}``."""
        return {name: float(f["temperature"]) for name, f in self.model_info().items()
                if f.get("temperature") is not None}

    def mark_stage(self, stage: str, **info: Any) -> None:
        def change(m):
            m["stages"][stage] = {"completed": _now(), **info}
        self.update_manifest(change)

    @property
    def models(self) -> list[str]:
        return list(self.manifest["models"])

    @property
    def benchmarks(self) -> list[str]:
        return list(self.manifest["benchmarks"])

    # ------------------------------------------------------------------ shards
    def _dir(self, table: str) -> Path:
        if table not in S.TABLES:
            raise StoreError(f"unknown table {table!r}; the store has {sorted(S.TABLES)}.")
        return self.path / table

    def shards(self, table: str) -> list[Path]:
        """Complete shards of ``table``, oldest first. Temporary files are never listed."""
        d = self._dir(table)
        return sorted(d.glob("part-*.parquet")) if d.is_dir() else []

    def remove_stale_temporaries(self) -> int:
        """Delete temporary shard files left by writers that are no longer running."""
        removed = 0
        for d in [self.path, *(self.path / t for t in S.TABLES)]:
            if not d.is_dir():
                continue
            for tmp in d.glob(".*.tmp"):
                parts = tmp.name.split(".")
                pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None
                if pid is None or pid == os.getpid() or not _pid_alive(pid):
                    if pid != os.getpid():
                        tmp.unlink(missing_ok=True)
                        removed += 1
        return removed

    def write(self, table: str, data: pa.Table) -> Path:
        """Write one shard atomically and return its path.

        ``data`` is cast to the table's schema (missing nullable columns are filled with nulls),
        so a shard never holds a column the readers do not know.
        """
        d = self._dir(table)
        schema = S.TABLES[table]
        d.mkdir(exist_ok=True)
        data = conform(data, schema)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        final = d / name
        tmp = d / f".{name}.{os.getpid()}.tmp"
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

    def batches(self, table: str, columns: list[str], filter: pc.Expression | None = None,
                batch_size: int = 256):
        """Stream ``table`` as record batches of at most ``batch_size`` rows (memory stays flat)."""
        files = self.shards(table)
        if not files:
            return
        dataset = ds.dataset([str(f) for f in files], format="parquet", schema=S.TABLES[table])
        try:
            yield from dataset.to_batches(columns=columns, filter=filter, batch_size=batch_size)
        except (pa.ArrowInvalid, OSError) as e:
            raise StoreError(f"cannot read the {table} shards of {self.path}: {e}") from e

    def keys(self, table: str, model: str, benchmark: str, *, scorer: str | None = None) -> set[tuple[str, int]]:
        """(problem_id, sample_index) pairs already stored for one model and benchmark (for resume).

        ``scorer`` restricts the ``perplexity`` table to one scoring model.
        """
        where = (pc.field("model") == model) & (pc.field("benchmark") == benchmark)
        if scorer is not None:
            where = where & (pc.field("scorer") == scorer)
        t = self.read(table, ["problem_id", "sample_index"], filter=where)
        return set(zip(t.column("problem_id").to_pylist(), t.column("sample_index").to_pylist()))

    def counts(self) -> pa.Table:
        """Per-problem sample and correct counts: (model, benchmark, problem_id, n, correct).

        Sums verdicts (only status ``correct`` counts) and imported counts. Several imports of the
        same model (runs or seeds) are pooled into one n per problem. Never reads the text.
        """
        parts = []
        v = self.verdicts(["model", "benchmark", "problem_id", "sample_index", "status"])
        if v.num_rows:
            v = v.append_column("is_correct", pc.cast(pc.equal(v["status"], "correct"), pa.int64()))
            g = v.group_by(["model", "benchmark", "problem_id"]).aggregate(
                [("sample_index", "count"), ("sample_index", "count_distinct"), ("is_correct", "sum")])
            dup = pc.not_equal(g["sample_index_count"], g["sample_index_count_distinct"])
            if pc.any(dup).as_py():
                row = g.filter(dup).slice(0, 1).to_pylist()[0]
                raise StoreError(
                    f"{self.path}: verdicts hold the same sample twice for model {row['model']!r}, "
                    f"benchmark {row['benchmark']!r}, problem {row['problem_id']!r}. The store was "
                    "written outside boundary's writers; remove the duplicate shard.")
            parts.append(pa.table({
                "model": g["model"], "benchmark": g["benchmark"], "problem_id": g["problem_id"],
                "n": pc.cast(g["sample_index_count"], pa.int64()),
                "correct": pc.cast(g["is_correct_sum"], pa.int64()),
            }))
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

