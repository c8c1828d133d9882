"""A run's samples, verdicts and problems joined into one table, written as JSON Lines, Parquet or a
Hugging Face ``datasets`` dataset (``boundary export RUN --to jsonl|parquet|hf --out PATH``).

One row per sample (:data:`SAMPLE_ROWS`): the sample's key and stored columns, its problem's question
and reference, its verdict (null columns when it has none). The samples are streamed shard by shard
in record batches (``Run.iter_batches``' way of reading), each batch joined with its verdicts and
problems and written before the next is read, so memory holds one batch of texts, the verdicts of the
(model, benchmark) pairs being read (without texts) and the problems' questions, never the text
column. The output is written to a temporary name beside ``out`` and renamed when complete: a killed
export leaves the previous file (or none), never half of one.

A run that holds per-problem counts but no samples (``boundary import counts``) is exported as its
counts (:data:`COUNT_ROWS`: one row per problem with n and correct, as ``Run.counts()`` gives them);
``counts=True`` asks for that form on any run.

Example::

    >>> import json, tempfile, pyarrow as pa
    >>> from pathlib import Path
    >>> from boundary.store import Run
    >>> d = Path(tempfile.mkdtemp())
    >>> run = Run.create(d / "run")
    >>> _ = run.write("samples", pa.table({"model": ["m", "m"], "benchmark": ["b", "b"], "problem_id": ["p", "p"],
    ...                                   "sample_index": [0, 1], "text": ["x = 2", "x = 3"]}))
    >>> _ = run.write("verdicts", pa.table({"model": ["m", "m"], "benchmark": ["b", "b"], "problem_id": ["p", "p"],
    ...                                    "sample_index": [0, 1], "status": ["correct", "wrong"]}))
    >>> s = export_run(run, "jsonl", d / "out.jsonl")
    >>> s.rows, s.what
    (2, 'samples')
    >>> [json.loads(line)["correct"] for line in (d / "out.jsonl").read_text().splitlines()]
    [True, False]
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from boundary.errors import BoundaryError, StoreError
from boundary.store.run import Run

FORMATS = ("hf", "jsonl", "parquet")
"""The export formats: a Hugging Face ``datasets`` dataset directory, JSON Lines, one Parquet file."""

_KEY = ["model", "benchmark", "problem_id", "sample_index"]
_SAMPLE_COLUMNS = [*_KEY, "text", "finish_reason", "prompt_tokens", "completion_tokens", "seed", "logprob_sum"]
_VERDICT_COLUMNS = ["status", "extracted", "path", "verifier", "detail"]

SAMPLE_ROWS = pa.schema([
    pa.field("model", pa.string()),
    pa.field("benchmark", pa.string()),
    pa.field("problem_id", pa.string()),
    pa.field("sample_index", pa.int32()),
    pa.field("question", pa.string()),
    pa.field("reference", pa.string()),
    pa.field("text", pa.string()),
    pa.field("finish_reason", pa.string()),
    pa.field("prompt_tokens", pa.int32()),
    pa.field("completion_tokens", pa.int32()),
    pa.field("seed", pa.int64()),
    pa.field("logprob_sum", pa.float64()),
    pa.field("status", pa.string()),       # null: the sample has no verdict yet
    pa.field("correct", pa.bool_()),       # status == "correct" (null without a verdict)
    pa.field("extracted", pa.string()),
    pa.field("path", pa.string()),
    pa.field("verifier", pa.string()),
    pa.field("detail", pa.string()),
])
"""Columns of a samples export: the samples table's (without the per-token ``logprobs``), the problem's
``question`` and ``reference``, the verdicts table's, and ``correct``."""

COUNT_ROWS = pa.schema([
    pa.field("model", pa.string()),
    pa.field("benchmark", pa.string()),
    pa.field("problem_id", pa.string()),
    pa.field("question", pa.string()),
    pa.field("reference", pa.string()),
    pa.field("n", pa.int64()),
    pa.field("correct", pa.int64()),
])
"""Columns of a counts export: ``Run.counts()`` with the problem's question and reference (null when the
run has no problems table, as after ``boundary import counts``)."""

#: Rows buffered before a Parquet row group is written (also flushed at this many bytes).
ROW_GROUP_ROWS = 65_536
ROW_GROUP_BYTES = 64 << 20


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_run` wrote."""

    out: Path
    format: str
    what: str                      # "samples" (one row per sample) or "counts" (one row per problem)
    rows: int
    models: list[str]
    benchmarks: list[str]
    counts_only: list[str] = field(default_factory=list)
    """Models of the selection that have imported counts but no samples: absent from a samples export."""
    reason: str = ""
    """Why a counts export was written (the run has no samples), empty otherwise."""


def export_run(run: Run | str | os.PathLike, to: str, out: str | os.PathLike, *,
               models: Sequence[str] | None = None, benchmarks: Sequence[str] | None = None,
               counts: bool = False, force: bool = False, batch_size: int = 2048,
               progress: Callable[[int], None] | None = None,
               total: Callable[[int], None] | None = None) -> ExportSummary:
    """Write ``run``'s samples joined with their verdicts and problems to ``out`` in format ``to``.

    ``to`` is one of :data:`FORMATS`. ``models`` / ``benchmarks`` keep only those (each must be in the
    run). ``counts`` writes per-problem counts instead of samples (also what a run without samples
    gets). ``out`` must not exist unless ``force``: then a file, or a directory that holds a saved
    ``datasets`` dataset, is replaced once the new export is complete. ``total(rows)`` is called once
    with the rows to read, ``progress(rows)`` as they are read (a progress bar's two calls).
    """
    if to not in FORMATS:
        raise BoundaryError(f"unknown export format {to!r}; choose one of {', '.join(FORMATS)}.")
    run = run if isinstance(run, Run) else Run(run)
    out = Path(out)
    _check_out(out, to, force)
    if to == "hf":
        _require_datasets()
    have_models, have_benchmarks = _names(run)
    sel_models = _select("model", models, have_models, run)
    sel_benchmarks = _select("benchmark", benchmarks, have_benchmarks, run)
    index = run.shard_keys("samples", remember=False)
    pairs = [p for p in index if p[0] in sel_models and p[1] in sel_benchmarks]
    count_table = None
    if not counts:
        counted = run.read("counts", ["model", "benchmark"])
        count_pairs = set(zip(counted["model"].to_pylist(), counted["benchmark"].to_pylist()))
        sampled_models = {m for m, _ in pairs}
        counts_only = sorted({m for m, b in count_pairs if m in sel_models and b in sel_benchmarks
                              and m not in sampled_models})
    else:
        counts_only = []
    reason = ""
    if not counts and not pairs:
        if not index and run.row_count("counts"):
            reason = (f"{run.path} holds per-problem counts but no samples (imported counts): its counts "
                      "were exported, one row per problem (n, correct)")
            counts, counts_only = True, []
        else:
            raise StoreError(f"{run.path} has no samples of model(s) {', '.join(sel_models)} on benchmark(s) "
                             f"{', '.join(sel_benchmarks)}: nothing to export. Drop --model/--benchmark, or "
                             "export the run's per-problem counts with --counts.")
    problems = _problems(run, sel_benchmarks)
    if counts:
        count_table = _count_rows(run, sel_models, sel_benchmarks, problems)
        if not count_table.num_rows:
            raise StoreError(f"{run.path} has no samples or counts of model(s) {', '.join(sel_models)} on "
                             f"benchmark(s) {', '.join(sel_benchmarks)}: nothing to export.")
        if total is not None:
            total(count_table.num_rows)
        batches: Iterator[pa.Table] = iter([count_table])
        schema = COUNT_ROWS
    else:
        shards = _shards_of(index, pairs)
        if total is not None:
            total(sum(index.rows(s) for s in shards))
        batches = _sample_rows(run, shards, set(pairs), problems, batch_size, progress, index)
        schema = SAMPLE_ROWS
    rows, got_models, got_benchmarks = _write(batches, schema, to, out, force)
    if counts and progress is not None:
        progress(rows)
    return ExportSummary(out=out, format=to, what="counts" if counts else "samples", rows=rows,
                         models=[m for m in have_models if m in got_models],
                         benchmarks=[b for b in have_benchmarks if b in got_benchmarks],
                         counts_only=counts_only, reason=reason)


# ------------------------------------------------------------------------------------------ selection
def _names(run: Run) -> tuple[list[str], list[str]]:
    """Models and benchmarks of the run: the manifest's order, then any only the tables hold."""
    models, benchmarks = run.models, run.benchmarks
    for table in ("samples", "counts"):
        if table == "samples":
            pairs = list(run.shard_keys("samples", remember=False))
        else:
            t = run.read("counts", ["model", "benchmark"])
            pairs = list(zip(t["model"].to_pylist(), t["benchmark"].to_pylist()))
        for m, b in pairs:
            if m not in models:
                models.append(m)
            if b not in benchmarks:
                benchmarks.append(b)
    return models, benchmarks


def _select(what: str, wanted: Sequence[str] | None, have: list[str], run: Run) -> list[str]:
    if not wanted:
        return have
    missing = [w for w in wanted if w not in have]
    if missing:
        raise BoundaryError(f"{what} {missing[0]!r} is not in the run {run.path}; its {what}s are "
                            f"{', '.join(have) or '(none)'}. Give one of them to --{what}.")
    return [w for w in have if w in wanted]


def _shards_of(index, pairs: list[tuple[str, str]]) -> list[Path]:
    """The samples shards holding any of ``pairs``, oldest first, each once."""
    seen: dict[str, Path] = {}
    for p in pairs:
        for s in index[p]:
            seen.setdefault(s.name, s)
    return [seen[n] for n in sorted(seen)]


# ------------------------------------------------------------------------------------------ the join
def _problems(run: Run, benchmarks: list[str]) -> pa.Table:
    """(benchmark, problem_id, question, reference) of the selected benchmarks, one row per problem."""
    t = run.read("problems", ["benchmark", "problem_id", "question", "reference"],
                 filter=pc.field("benchmark").isin(benchmarks))
    if not t.num_rows:
        return t
    g = t.group_by(["benchmark", "problem_id"], use_threads=False).aggregate(
        [("question", "first"), ("reference", "first")])
    return g.rename_columns(["benchmark", "problem_id", "question", "reference"])


def _count_rows(run: Run, models: list[str], benchmarks: list[str], problems: pa.Table) -> pa.Table:
    c = run.counts()
    c = c.filter(pc.and_(pc.is_in(c["model"], pa.array(models)), pc.is_in(c["benchmark"], pa.array(benchmarks))))
    c = c.append_column("__row", pa.array(range(c.num_rows), pa.int64()))
    if problems.num_rows:
        c = c.join(problems, ["benchmark", "problem_id"], join_type="left outer")
    return _conform(c.sort_by("__row"), COUNT_ROWS)


def _verdicts_of(run: Run, shard: Path, own: Path | None, legacy: dict[tuple[str, str], list[Path]],
                 cache: dict[tuple, pa.Table]) -> pa.Table | None:
    """The verdicts of one samples shard: its own verdict shard (named after it), and the verdicts of its
    (model, benchmark) pairs in the verdict shards ``legacy`` lists (named otherwise: imports, older runs;
    read once per set of pairs and kept while consecutive samples shards hold the same pairs)."""
    columns = [*_KEY, *_VERDICT_COLUMNS]
    parts = []
    if own is not None:
        parts.append(run.read_shard("verdicts", own, columns))
    if legacy:
        key = tuple(sorted(legacy))
        if key not in cache:
            cache.clear()
            where = _pairs_filter(key)
            shards = sorted({s for got in legacy.values() for s in got})
            cache[key] = pa.concat_tables([run.read_shard("verdicts", s, columns, where) for s in shards])
        parts.append(cache[key])
    return pa.concat_tables(parts) if parts else None


def _pairs_filter(pairs) -> pc.Expression:
    where = None
    for m, b in sorted(pairs):
        one = (pc.field("model") == m) & (pc.field("benchmark") == b)
        where = one if where is None else where | one
    assert where is not None
    return where


def _sample_rows(run: Run, shards: list[Path], pairs: set[tuple[str, str]], problems: pa.Table,
                 batch_size: int, progress: Callable[[int], None] | None, index) -> Iterator[pa.Table]:
    """One joined table per record batch of the selected samples shards."""
    sample_names = {s.name for s in run.shards("samples")}
    named: dict[str, Path] = {}
    legacy_names: set[str] = set()
    for v in run.shards("verdicts"):
        if v.name in sample_names:
            named[v.name] = v
        else:
            legacy_names.add(v.name)
    legacy: dict[tuple[str, str], list[Path]] = {}
    if legacy_names:
        vindex = run.shard_keys("verdicts", remember=False)
        for p in vindex:
            got = [s for s in vindex[p] if s.name in legacy_names]
            if got:
                legacy[p] = got
    holds: dict[str, set[tuple[str, str]]] = {}
    for p in pairs:
        for s in index[p]:
            holds.setdefault(s.name, set()).add(p)
    cache: dict[tuple, pa.Table] = {}
    for shard in shards:
        held = holds[shard.name]
        verdicts = _verdicts_of(run, shard, named.get(shard.name), {p: legacy[p] for p in held if p in legacy},
                                cache)
        read = 0
        for batch in run.iter_batches("samples", _SAMPLE_COLUMNS, batch_size=batch_size,
                                      filter=_pairs_filter(held), shards=[shard]):
            read += batch.num_rows
            yield _join(run, pa.Table.from_batches([batch]), verdicts, problems)
            if progress is not None:
                progress(batch.num_rows)
        if progress is not None and index.rows(shard) > read:
            progress(index.rows(shard) - read)       # rows of pairs not selected: the bar still reaches 100 %


def _join(run: Run, samples: pa.Table, verdicts: pa.Table | None, problems: pa.Table) -> pa.Table:
    """``samples`` (one batch) with its verdict and problem columns, in the batch's order."""
    t = samples.append_column("__row", pa.array(range(samples.num_rows), pa.int64()))
    if verdicts is not None and verdicts.num_rows:
        t = t.join(verdicts, _KEY, join_type="left outer")
    if problems.num_rows:
        t = t.join(problems, ["benchmark", "problem_id"], join_type="left outer")
    if t.num_rows != samples.num_rows:
        _duplicate(run, t)
    t = t.sort_by("__row")
    if "status" in t.column_names:
        t = t.append_column("correct", pc.equal(t["status"], "correct"))
    return _conform(t, SAMPLE_ROWS)


def _duplicate(run: Run, joined: pa.Table) -> None:
    """Raise for the first sample the join gave twice (two verdicts of one sample)."""
    g = joined.group_by("__row").aggregate([([], "count_all")])
    row = g.filter(pc.greater(g["count_all"], 1)).slice(0, 1).to_pylist()[0]
    first = joined.filter(pc.equal(joined["__row"], row["__row"]))
    key = {k: first[k][0].as_py() for k in _KEY}
    verifiers = first["verifier"].to_pylist() if "verifier" in first.column_names else []
    raise StoreError(f"{run.path}: the verdicts hold {row['count_all']} verdicts for the sample {key} (verifiers "
                     f"{verifiers}); a sample has one, as Run.counts() requires. Remove the duplicate verdict "
                     "shard, then export again.")


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    cols = []
    for f in schema:
        if f.name in t.column_names:
            col = t[f.name]
            cols.append(col if col.type == f.type else pc.cast(col, f.type))
        else:
            cols.append(pa.nulls(t.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


# ------------------------------------------------------------------------------------------ writers
def _check_out(out: Path, to: str, force: bool) -> None:
    if not out.exists() and not out.is_symlink():
        if not out.parent.is_dir():
            raise BoundaryError(f"cannot write the export to {out}: its folder {out.parent} does not exist. "
                                "Create it, or give another --out.")
        return
    if not force:
        raise BoundaryError(f"{out} exists; the export does not overwrite it. Give --force to replace it, or "
                            "another --out.")
    if out.is_dir() and not out.is_symlink():
        if to != "hf":
            raise BoundaryError(f"{out} is a directory; a {to} export is one file. Give a file path to --out.")
        if any(out.iterdir()) and not (out / "dataset_info.json").is_file():
            raise BoundaryError(f"{out} is a directory that holds no saved dataset (no dataset_info.json); "
                                "--force replaces only an earlier export. Give another --out.")


def _require_datasets() -> None:
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise BoundaryError("--to hf writes a Hugging Face `datasets` dataset, and the `datasets` package is "
                            "not installed. Install it with `pip install 'boundary[hub]'`, or export "
                            "--to parquet / jsonl.") from None


def _write(batches: Iterator[pa.Table], schema: pa.Schema, to: str, out: Path,
           force: bool) -> tuple[int, set[str], set[str]]:
    seen_models: set[str] = set()
    seen_benchmarks: set[str] = set()
    rows = 0

    def tally(batch_iter: Iterator[pa.Table]) -> Iterator[pa.Table]:
        nonlocal rows
        for t in batch_iter:
            rows += t.num_rows
            seen_models.update(pc.unique(t["model"]).to_pylist())
            seen_benchmarks.update(pc.unique(t["benchmark"]).to_pylist())
            yield t

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        if to == "jsonl":
            tmp = work / out.name
            _write_jsonl(tally(batches), tmp)
            _replace(tmp, out)
        elif to == "parquet":
            tmp = work / out.name
            _write_parquet(tally(batches), schema, tmp)
            _replace(tmp, out)
        else:
            parquet = work / "rows.parquet"
            _write_parquet(tally(batches), schema, parquet)
            _write_hf(parquet, schema, work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows, seen_models, seen_benchmarks


def _replace(tmp: Path, out: Path) -> None:
    """Move a complete export to ``out`` (rename: atomic for a file; a directory replaces the old one)."""
    if out.is_dir() and not out.is_symlink():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)
    try:
        fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _write_jsonl(batches: Iterator[pa.Table], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for t in batches:
            f.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in t.to_pylist()))
        f.flush()
        os.fsync(f.fileno())


def _write_parquet(batches: Iterator[pa.Table], schema: pa.Schema, path: Path) -> None:
    with open(path, "wb") as f:
        with pq.ParquetWriter(f, schema, compression="zstd") as writer:
            buf: list[pa.Table] = []
            size = rows = 0
            for t in batches:
                buf.append(t)
                size += t.nbytes
                rows += t.num_rows
                if rows >= ROW_GROUP_ROWS or size >= ROW_GROUP_BYTES:
                    writer.write_table(pa.concat_tables(buf), row_group_size=max(rows, 1))
                    buf, size, rows = [], 0, 0
            if buf:
                writer.write_table(pa.concat_tables(buf), row_group_size=max(rows, 1))
        f.flush()
        os.fsync(f.fileno())


def _write_hf(parquet: Path, schema: pa.Schema, work: Path, out: Path) -> None:
    """A ``datasets`` dataset saved with ``save_to_disk`` (``datasets.load_from_disk(out)`` reads it),
    built from the streamed Parquet file: ``datasets`` converts it batch by batch into Arrow files."""
    import datasets
    features = datasets.Features.from_arrow_schema(schema)
    quiet = not datasets.utils.logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()          # the caller shows its own progress
    try:
        d = datasets.Dataset.from_parquet(str(parquet), features=features, cache_dir=str(work / "cache"),
                                          keep_in_memory=False)
        saved = work / "dataset"
        d.save_to_disk(str(saved))
        del d
    finally:
        if not quiet:
            datasets.enable_progress_bars()
    _replace(saved, out)
