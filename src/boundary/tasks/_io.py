"""Reading benchmark files: JSONL, JSON (a list of objects), Parquet, CSV.

Every record comes with its 1-based line (JSONL) or row number, so errors can name it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from boundary.errors import InputError

FORMATS = (".jsonl", ".json", ".parquet", ".csv")


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_or_row_number, record)`` for every record of ``path`` (1-based).

    The format follows the suffix: ``.jsonl`` (also ``.ndjson``), ``.json`` (one list of objects,
    or JSON Lines), ``.parquet``, ``.csv``. Blank JSONL lines are skipped.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found. Pass the path of a {', '.join(FORMATS)} file.", path=str(p))
    if p.is_dir():
        raise InputError("is a directory; pass the path of one benchmark file.", path=str(p))
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(p)
    elif suffix == ".json":
        text = p.read_text(encoding="utf-8")
        stripped = text.lstrip()
        if stripped.startswith("["):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise InputError(f"invalid JSON: {e.msg} (line {e.lineno}).", path=str(p)) from e
            for i, rec in enumerate(data, start=1):
                if not isinstance(rec, dict):
                    raise InputError(f"expected a JSON object, got {type(rec).__name__}.", path=str(p), row=i)
                yield i, rec
        else:
            yield from _read_jsonl(p)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(p)
        except Exception as e:  # pyarrow raises several types for a bad file
            raise InputError(f"cannot read Parquet file: {e}", path=str(p)) from e
        for i, rec in enumerate(table.to_pylist(), start=1):
            yield i, rec
    elif suffix == ".csv":
        with p.open(newline="", encoding="utf-8") as f:
            for i, rec in enumerate(csv.DictReader(f), start=1):
                yield i, dict(rec)
    else:
        raise InputError(f"unsupported file type {suffix!r}; use one of {', '.join(FORMATS)}.", path=str(p))


def _read_jsonl(p: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with p.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"invalid JSON: {e.msg}.", path=str(p), line=lineno) from e
            if not isinstance(rec, dict):
                raise InputError(f"expected a JSON object, got {type(rec).__name__}.", path=str(p), line=lineno)
            yield lineno, rec
