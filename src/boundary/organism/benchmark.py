"""The organism's benchmarks, ``countdown`` and ``countdown-hard``, as :class:`Problem` lists.

``load_benchmark("countdown")`` reads the held-out problems shipped with the package
(``boundary/organism/checkpoints/heldout.jsonl``); ``source=`` reads another file of the same
format (one JSON object per line: id, question, answer, numbers, target, chance), e.g. the one
``boundary organism train`` writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from boundary.errors import InputError
from boundary.tasks.problem import Problem

BENCHMARKS = {"countdown": "heldout.jsonl", "countdown-hard": "heldout-hard.jsonl"}
SHIPPED = Path(__file__).parent / "checkpoints"


def load_countdown(name: str, source: str | Path | None = None) -> list[Problem]:
    path = Path(source) if source is not None else SHIPPED / BENCHMARKS[name]
    if not path.is_file():
        raise InputError(f"benchmark {name!r}: the file does not exist. Omit `source` to use the problems shipped "
                         "with boundary, or run `boundary organism train --out DIR` and point `source` at "
                         f"DIR/{BENCHMARKS.get(name, 'heldout.jsonl')}.", path=str(path))
    out = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                numbers = [int(x) for x in row["numbers"]]
                target = int(row["target"])
                meta = {"kind": "countdown", "numbers": numbers, "target": target,
                        "chance": float(row["chance"])}
                out.append(Problem(name, str(row["id"]), str(row["question"]), str(target), meta))
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(f"not a countdown problem ({type(e).__name__}: {e}); each line "
                                 "needs id, question, numbers, target and chance.", path=str(path),
                                 line=line_no) from e
    if not out:
        raise InputError("no problems in the file.", path=str(path))
    return out
