"""What each shard of a table holds, from its Parquet footer, remembered across plans.

Planning the sample stage needs, for every shard, its row count and the (model, benchmark) pairs it
holds. A footer read costs ~0.1 ms; a large store (100 models × 2,836 problems × 1,024 samples in
~283,000 shards) would spend most of its plan reading footers. The driver therefore keeps what it
read in ``RUN/footers-<table>.parquet`` — one row per (shard, pair): the shard's name, its file's
inode, size and mtime (ns), its rows, and the pair (null for a shard without rows) — and the next
plan reads a footer only for a shard whose ``stat`` differs from what the file records.

The driver also notes each shard its stage's units store as the units land (stat, then footer,
right away) and adds them to the file from time to time and when the stage ends, so a plan that
resumes a long stage finds most footers already remembered.

Why a stale entry is never used: the store writes a shard to a temporary file and renames it over
the old one, so a rewritten shard (a retried unit, a partial unit redrawn) has a new inode; a
shard changed in place changes its size or mtime. The stamp is taken before the footer is read,
so a shard replaced in between is remembered under the old file's stamp, which no longer matches.
When planning, a shard whose mtime is within :data:`RECENT_NS` of the time its footer was read is
not remembered (a file system's mtime may be too coarse to tell two writes in the same tick apart);
a shard the driver notes was just renamed into place by the stage itself, which never changes a
file in place. The file is a cache: it is written
atomically, only by the process that plans (never by workers); when it is missing, unreadable or
from another layout it is ignored and rebuilt, and when it cannot be written (a read-only store)
planning goes on without it.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

#: A shard modified this recently (ns) when its footer is read is not remembered.
RECENT_NS = 3_000_000_000

SCHEMA = pa.schema([
    pa.field("name", pa.string(), nullable=False),
    pa.field("ino", pa.uint64(), nullable=False),
    pa.field("size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("rows", pa.int64(), nullable=False),
    pa.field("model", pa.string()),
    pa.field("benchmark", pa.string()),
])

Stamp = tuple[int, int, int]
"""(inode, size, mtime_ns) of a shard's file."""
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Facts:
    """What one shard holds: its rows and the (model, benchmark) pairs of those rows."""

    rows: int
    pairs: Pairs


def cache_path(run_dir: Path, table: str) -> Path:
    return run_dir / f"footers-{table}.parquet"


def list_shards(d: Path) -> list[tuple[str, Stamp]]:
    """The shards (``part-*.parquet``) of a table folder, by name, with their stamps: one ``scandir``."""
    out = []
    try:
        entries = os.scandir(d)
    except FileNotFoundError:
        return []
    with entries:
        for e in entries:
            name = e.name
            if name.startswith("part-") and name.endswith(".parquet"):
                try:
                    st = e.stat()
                except FileNotFoundError:
                    continue                          # removed meanwhile
                out.append((name, (st.st_ino, st.st_size, st.st_mtime_ns)))
    out.sort()
    return out


def load(path: Path) -> dict[str, tuple[Stamp, Facts]]:
    """The remembered facts by shard name; empty when the file is absent or unreadable."""
    try:
        t = pq.read_table(path)
        if not t.schema.equals(SCHEMA, check_metadata=False):
            return {}
        cols = [t[c].to_pylist() for c in SCHEMA.names]
    except (OSError, pa.ArrowException):
        return {}
    out: dict[str, tuple[Stamp, Facts]] = {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    for name, ino, size, mtime, rows, model, bench in zip(*cols):
        if name not in out:
            out[name] = ((ino, size, mtime), Facts(rows, ()))
            pairs[name] = []
        if model is not None and bench is not None:
            pairs[name].append((model, bench))
    return {name: (stamp, Facts(f.rows, tuple(pairs[name]))) for name, (stamp, f) in out.items()}


def save(path: Path, facts: dict[str, tuple[Stamp, Facts]], write: Callable[[Path, bytes], None]) -> bool:
    """Write ``facts`` atomically (``write``: the store's atomic writer); False when it could not be."""
    cols: list[list] = [[] for _ in SCHEMA.names]
    for name, ((ino, size, mtime), f) in facts.items():
        for pair in f.pairs or ((None, None),):
            for col, v in zip(cols, (name, ino, size, mtime, f.rows, *pair)):
                col.append(v)
    t = pa.Table.from_arrays([pa.array(c, type=fld.type) for c, fld in zip(cols, SCHEMA)], schema=SCHEMA)
    buf = io.BytesIO()
    pq.write_table(t, buf, compression="zstd")
    try:
        write(path, buf.getvalue())
    except OSError:
        return False                                 # a read-only store: plan without remembering
    return True


def stamp(path: Path) -> Stamp:
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


def merge(path: Path, noted: dict[str, tuple[Stamp, Facts]], write: Callable[[Path, bytes], None]) -> bool:
    """Add ``noted`` entries to the file (replacing those of the same shards); False when it could not."""
    facts = load(path)
    facts.update(noted)
    return save(path, facts, write)


def index(d: Path, cache: Path, read: Callable[[Path], Facts], write: Callable[[Path, bytes], None],
          *, remember: bool = True) -> tuple[list[str], dict[str, Facts]]:
    """Every shard of the table folder ``d`` (sorted names) and its facts: remembered ones whose stamp
    still matches, footers (``read``) for the others. Rewrites ``cache`` when it changed."""
    listed = list_shards(d)
    known = load(cache)
    fresh: dict[str, tuple[Stamp, Facts]] = {}
    facts: dict[str, Facts] = {}
    learned = False
    now = time.time_ns()
    for name, stamp in listed:
        hit = known.get(name)
        if hit is not None and hit[0] == stamp:
            f = hit[1]
            fresh[name] = hit
        else:
            f = read(d / name)
            if stamp[2] < now - RECENT_NS:
                fresh[name] = (stamp, f)
                learned = True
        facts[name] = f
    # fresh holds the entries still valid and the ones just learned: write when that is not ``known``
    if remember and (learned or len(fresh) != len(known)):
        save(cache, fresh, write)
    return [name for name, _ in listed], facts


def pairs_index(names: Sequence[str], facts: dict[str, Facts], d: Path) -> dict[tuple[str, str], list[Path]]:
    """(model, benchmark) -> its shards' paths, in the order of ``names``."""
    out: dict[tuple[str, str], list[Path]] = {}
    for name in names:
        pairs = facts[name].pairs
        if pairs:
            p = d / name
            for pair in pairs:
                lst = out.get(pair)
                if lst is None:
                    out[pair] = [p]
                else:
                    lst.append(p)
    return out
