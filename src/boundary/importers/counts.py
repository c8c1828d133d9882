"""Import per-problem counts: a CSV or Parquet file with ``problem_id, model, n, correct``.

Optional columns: ``benchmark`` (else the ``benchmark`` argument, else the file's stem) and
``run`` (a run or seed label: rows that differ only in ``run`` are pooled into one n per
problem). Every problem's counts are checked before anything is written; an error names the
file, the line (CSV, counting the header as line 1) or row (Parquet, from 1) and the field.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from boundary._files import sha256_file
from boundary.errors import InputError
from boundary.store import ImportRecord, Run

REQUIRED = ("problem_id", "model", "n", "correct")
OPTIONAL = ("benchmark", "run")


@dataclass(frozen=True)
class ImportSummary:
    """What an import added to a run."""

    path: str
    run: str
    rows: int
    models: list[str]
    benchmarks: list[str]
    problems: int
    samples: int
    """Total n over all rows (samples represented by the counts)."""




def _int_field(value, *, path, where: dict, field: str, minimum: int) -> int:
    if isinstance(value, bool):
        raise InputError(f"expected a whole number, got the boolean {value!r}.", path=path, field=field, **where)
    if isinstance(value, float):
        if value != value or value != int(value):
            raise InputError(f"expected a whole number, got {value!r}.", path=path, field=field, **where)
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise InputError(f"expected a whole number, got {value!r}.", path=path, field=field, **where)
        value = int(text)
    if not isinstance(value, int):
        raise InputError(f"expected a whole number, got {value!r} ({type(value).__name__}).",
                         path=path, field=field, **where)
    if value < minimum:
        what = ("must be >= 1 (a problem needs at least one sample)" if minimum > 0
                else "is negative; counts must be >= 0")
        raise InputError(f"{field}={value} {what}.", path=path, field=field, **where)
    return value


def _str_field(value, *, path, where, field) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError("is empty; every row needs a value.", path=path, field=field, **where)
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"expected text, got {value!r} ({type(value).__name__}).", path=path, field=field, **where)
    return value.strip()


def _rows(path: Path):
    """Yield (where, record) with ``where`` = {"line": L} or {"row": R}, after checking the columns."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter="\t" if suffix == ".tsv" else ",")
            header = reader.fieldnames or []
            _check_columns(header, path, {"line": 1})
            for record in reader:
                if None in record:
                    raise InputError(f"has {len(header) + len(record[None])} fields but the header has "
                                     f"{len(header)}.", path=str(path), line=reader.line_num)
                yield {"line": reader.line_num}, record
    elif suffix in (".parquet", ".pq"):
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"is not a readable Parquet file: {e}", path=str(path)) from e
        _check_columns(table.column_names, path, {})
        for field in ("n", "correct"):
            t = table.schema.field(field).type
            if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_string(t)):
                raise InputError(f"column has type {t}; expected integers.", path=str(path), field=field)
        for i, record in enumerate(table.to_pylist(), start=1):
            yield {"row": i}, record
    else:
        raise InputError(f"has suffix {suffix!r}; counts files must be .csv, .tsv or .parquet.", path=str(path))


def _check_columns(header, path: Path, where) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; the file has {list(header)}. A counts "
                         f"file needs {', '.join(REQUIRED)} (optionally {', '.join(OPTIONAL)}).",
                         path=str(path), field=missing[0], **where)


def read_counts(path: str | Path, *, benchmark: str | None = None) -> pa.Table:
    """Read and validate a counts file; return (model, benchmark, problem_id, n, correct, source)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("does not exist or is not a file.", path=str(path))
    default_bench = benchmark or path.stem
    seen: dict[tuple, dict] = {}
    out: dict[str, list[Any]] = {k: [] for k in ("model", "benchmark", "problem_id", "n", "correct", "source")}
    for where, rec in _rows(path):
        sp = str(path)
        pid = _str_field(rec.get("problem_id"), path=sp, where=where, field="problem_id")
        model = _str_field(rec.get("model"), path=sp, where=where, field="model")
        bench = rec.get("benchmark")
        bench = _str_field(bench, path=sp, where=where, field="benchmark") if bench not in (None, "") else default_bench
        label = rec.get("run")
        label = str(label).strip() if label not in (None, "") else path.name
        n = _int_field(rec.get("n"), path=sp, where=where, field="n", minimum=1)
        c = _int_field(rec.get("correct"), path=sp, where=where, field="correct", minimum=0)
        if c > n:
            raise InputError(f"correct={c} exceeds n={n}: a problem cannot have more correct samples "
                             "than samples.", path=sp, field="correct", **where)
        key = (model, bench, pid, label)
        if key in seen:
            first = ", ".join(f"{k} {v}" for k, v in seen[key].items())
            raise InputError(f"duplicate problem_id {pid!r} for model {model!r} on {bench!r} (first at {first}). "
                             "Give repeated runs a distinct `run` column to pool them.",
                             path=sp, field="problem_id", **where)
        seen[key] = where
        for k, v in zip(out, (model, bench, pid, n, c, label)):
            out[k].append(v)
    if not seen:
        raise InputError("has a header but no rows.", path=str(path))
    return pa.table(out)


def import_counts(path: str | Path, run: str | Path | Run, *, benchmark: str | None = None) -> ImportSummary:
    """Validate a counts file and add it to a run (created if needed). Nothing is written on error."""
    path = Path(path)
    table = read_counts(path, benchmark=benchmark)
    run = run if isinstance(run, Run) else Run.create(run)
    existing = run.read("counts", ["model", "benchmark", "problem_id", "source"])
    if existing.num_rows:
        old = set(zip(*(existing[c].to_pylist() for c in ("model", "benchmark", "problem_id", "source"))))
        new = zip(*(table[c].to_pylist() for c in ("model", "benchmark", "problem_id", "source")))
        clash = next((k for k in new if k in old), None)
        if clash:
            raise InputError(f"model {clash[0]!r}, benchmark {clash[1]!r}, problem {clash[2]!r} from run label "
                             f"{clash[3]!r} is already in {run.path}. Import into a new run, or give the "
                             "file's rows a distinct `run` column to pool a further run.", path=str(path))
    models = list(dict.fromkeys(table["model"].to_pylist()))
    benches = list(dict.fromkeys(table["benchmark"].to_pylist()))
    run.write("counts", table)
    run.add_models(models)
    run.add_benchmarks(benches)
    digest = sha256_file(path)
    run.add_import(ImportRecord(kind="counts", file=str(path.resolve()), sha256=digest, rows=table.num_rows))
    return ImportSummary(path=str(path), run=str(run.path), rows=table.num_rows, models=models, benchmarks=benches,
                         problems=len(set(zip(table["benchmark"].to_pylist(), table["problem_id"].to_pylist()))),
                         samples=int(pc.sum(table["n"]).as_py()))
