"""Each verdict shard's answer classes, remembered across analyses (``RUN/answer-classes.parquet``).

Answer diversity groups every sample's extracted answer into classes of equal answers, which needs
the math normalizer on every distinct answer: ~0.1 ms each, 11 s of the demo's 17 s analysis. The
classes of a shard depend only on the shard's rows and the normalizer, so they are remembered per
shard, keyed by the shard file's inode, size and mtime (a rewritten shard is renamed into place, so
it has a new inode) and by a fingerprint of the normalizer's source; the next analysis normalizes
only the answers of new or changed shards.

The file is a cache: written atomically when something new was computed, ignored when missing,
unreadable or of another layout, and not written when the store is read-only. A shard modified
within :data:`RECENT_NS` of its reading is not remembered (a coarse mtime could hide a rewrite).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

NAME = "answer-classes.parquet"
RECENT_NS = 3_000_000_000
_STAMP = ["shard", "ino", "size", "mtime_ns", "fingerprint"]


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """The normalizer's and the grouping's source: a change to either recomputes every shard."""
    from boundary.analysis import answers
    from boundary.verify import normalize
    h = hashlib.sha256()
    for mod in (normalize, answers):
        h.update(Path(mod.__file__ or "").read_bytes())
    return h.hexdigest()[:16]


def _load(path: Path) -> dict[tuple, pa.Table]:
    try:
        t = pq.read_table(path)
    except (OSError, pa.ArrowInvalid):
        return {}
    if not set(_STAMP) <= set(t.column_names):
        return {}
    out: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(*(t[c].to_pylist() for c in _STAMP))):
        out.setdefault(key, []).append(i)
    rest = [c for c in t.column_names if c not in _STAMP]
    return {k: t.select(rest).take(pa.array(rows)) for k, rows in out.items()}


def classes_by_shard(shards: list[Path], cache_dir: Path, compute: Callable[[Path], pa.Table | None],
                     write: Callable[[Path, bytes], None]) -> list[pa.Table]:
    """``compute(shard)`` of every shard (None: nothing to count), from the cache where its stamp matches."""
    path = cache_dir / NAME
    fp = fingerprint()
    cached = _load(path)
    keep: dict[tuple, pa.Table] = {}
    out, new = [], False
    for shard in shards:
        try:
            st = os.stat(shard)
        except FileNotFoundError:
            continue
        key = (shard.name, st.st_ino, st.st_size, st.st_mtime_ns, fp)
        t = cached.get(key)
        if t is None:
            t = compute(shard)
            if t is None:
                continue
            if time.time_ns() - st.st_mtime_ns < RECENT_NS:
                out.append(t)
                continue
            new = True
        keep[key] = t
        out.append(t)
    if new or len(keep) != len(cached):
        parts = [t.append_column("shard", pa.array([k[0]] * t.num_rows, pa.string()))
                  .append_column("ino", pa.array([k[1]] * t.num_rows, pa.int64()))
                  .append_column("size", pa.array([k[2]] * t.num_rows, pa.int64()))
                  .append_column("mtime_ns", pa.array([k[3]] * t.num_rows, pa.int64()))
                  .append_column("fingerprint", pa.array([k[4]] * t.num_rows, pa.string()))
                  for k, t in keep.items() if t.num_rows]
        if parts:
            buf = io.BytesIO()
            pq.write_table(pa.concat_tables(parts), buf)
            try:
                write(path, buf.getvalue())
            except OSError:
                pass                                # a read-only store: the analysis goes on without it
    return out
