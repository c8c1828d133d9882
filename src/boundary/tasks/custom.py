"""A user's own benchmark from a JSONL / JSON / Parquet / CSV file and a field mapping, no code.

In a spec::

    benchmarks:
      - name: my_algebra
        source: data/my_algebra.jsonl
        question: prompt            # field holding the problem text
        answer: solution            # field holding the reference ...
        answer_from_boxed: true     # ... inside the last \\boxed{...} of that field
        id: uid                     # optional; default: the 0-based record index
        metadata: [topic, level]    # optional; default: every other field

Field names may be dotted paths into nested records (``reward_model.ground_truth``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from collections.abc import Sequence

from boundary.errors import InputError
from boundary.tasks._io import read_records
from boundary.tasks.math import last_boxed
from boundary.tasks.problem import Problem

__all__ = ["load_custom", "MAPPING_KEYS"]

MAPPING_KEYS = ("question", "answer", "id", "metadata", "answer_from_boxed")

_MISSING = object()


def _get(rec: dict[str, Any], path: str) -> Any:
    if path in rec:
        return rec[path]
    cur: Any = rec
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, (list, tuple)) and re.fullmatch(r"\d+", part) and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and v != v)


def load_custom(path: str | Path, *, name: str, question: str = "question", answer: str = "answer",
                id: str | None = None, metadata: Sequence[str] | None = None,
                answer_from_boxed: bool = False) -> list[Problem]:
    """Problems of a user benchmark read from ``path`` with a field mapping.

    - ``question``/``answer``: field names (or dotted paths) of the problem text and reference;
    - ``answer_from_boxed``: the reference is the last ``\\boxed{...}`` of the answer field
      (e.g. a worked solution);
    - ``id``: field holding a unique problem id; default: the 0-based record index;
    - ``metadata``: fields to keep in ``Problem.metadata``; default (None): every other top-level
      field; ``[]``: none. The verifier hints ``unit``, ``is_multiple_answer`` and ``answer_type``
      are read from metadata.

    Errors name the file, the line (JSONL) or row, and the missing field.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError("a custom benchmark needs a non-empty name.", path=str(path))
    if isinstance(metadata, str):
        metadata = [metadata]
    where = str(path)
    is_jsonl = Path(path).suffix.lower() in (".jsonl", ".ndjson")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    used = {question.split(".")[0], answer.split(".")[0]} | ({id.split(".")[0]} if id else set())

    def err(msg: str, n: int, field: str | None = None) -> InputError:
        return InputError(f"benchmark {name!r}: {msg}", path=where, line=n if is_jsonl else None,
                          row=None if is_jsonl else n, field=field)

    for n, rec in read_records(path):
        q = _get(rec, question)
        if q is _MISSING or _is_blank(q):
            raise err(f"missing or empty question field (fields present: {sorted(rec)}); "
                      "set question=<field name> in the mapping.", n, question)
        a = _get(rec, answer)
        if a is _MISSING or _is_blank(a):
            raise err(f"missing or empty answer field (fields present: {sorted(rec)}); "
                      "set answer=<field name> in the mapping.", n, answer)
        if isinstance(a, (list, tuple)):
            ref = ", ".join(str(x).strip() for x in a)
        elif isinstance(a, float) and a.is_integer():
            ref = str(int(a))
        else:
            ref = str(a).strip()
        if answer_from_boxed:
            boxed = last_boxed(ref)
            if boxed is None or not boxed.strip():
                raise err("answer_from_boxed is set but the answer field has no \\boxed{...}.", n, answer)
            ref = boxed.strip()
        if id is not None:
            pid_v = _get(rec, id)
            if pid_v is _MISSING or _is_blank(pid_v):
                raise err("missing or empty id field; set id=<field name> or drop it to use the "
                          "record index.", n, id)
            pid = str(pid_v).strip()
        else:
            pid = str(len(problems))
        if pid in seen:
            raise err(f"duplicate problem id {pid!r} (first seen at record {seen[pid]}); ids must be "
                      "unique.", n, id)
        seen[pid] = n
        if metadata is None:
            meta = {k: v for k, v in rec.items() if k not in used}
        else:
            meta = {}
            for k in metadata:
                v = _get(rec, k)
                if v is _MISSING:
                    raise err(f"metadata field {k!r} not found (fields present: {sorted(rec)}).", n, k)
                meta[k] = v
        meta["source"] = f"file:{Path(path).name}"
        problems.append(Problem(benchmark=name, id=pid, question=str(q).strip(), reference=ref,
                                metadata=meta))
    if not problems:
        raise InputError(f"benchmark {name!r}: no records found.", path=where)
    return problems
