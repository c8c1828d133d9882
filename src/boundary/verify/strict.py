"""An independent, conservative second grader: normalization and exact comparison only.

No sympy and no math-verify, so it cannot hang; used by ``boundary verify --compare`` to list the
samples where it and the main grader disagree. Rules (path ``strict`` on every verdict):

- ``no_answer`` if the answer is None or blank;
- ``correct`` iff the normalized strings are equal, or both are exact numbers with equal values,
  or both are lists/sets whose items match as multisets (a top-level comma list, a ``\\{...\\}``
  set; ``a \\pm b`` counts as the two items ``a+b``, ``a-b``), or both are tuples/intervals with the
  same brackets whose items match in order -- each item compared by these same rules;
- ``wrong`` otherwise (including everything that only a symbolic check could accept, such as
  ``\\frac{\\sqrt{2}}{2}`` against ``\\frac{1}{\\sqrt{2}}``).

A reference that normalizes to a single letter A-E makes the answer be read as a choice letter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from boundary.verify.normalize import (_balanced_prefix_free, _split_top, normalize_answer,
                                       parse_number)
from boundary.verify.verdict import Verdict

__all__ = ["strict_grade"]

_MAX_DEPTH = 20


def strict_grade(answer: str | None, reference: str, hints: Mapping | None = None) -> Verdict:
    if answer is None or not str(answer).strip():
        return Verdict("no_answer", answer, "strict", "no answer")
    hints = dict(hints or {})
    nr = normalize_answer(reference, hints)
    if re.fullmatch(r"[A-E]", nr) and not hints.get("choices"):
        hints["multiple_choice"] = True
    na = normalize_answer(answer, hints)
    if not na:
        return Verdict("no_answer", answer, "strict", "answer is empty after normalization")
    detail = f"{na!r} vs {nr!r}"
    if _key(na, 0) == _key(nr, 0):
        return Verdict("correct", answer, "strict", detail)
    return Verdict("wrong", answer, "strict", detail)


def _key(s: str, depth: int):
    """A hashable canonical key: equal keys ⇔ equal under the strict rules."""
    if depth > _MAX_DEPTH:
        return ("str", s)
    s = s.strip()
    # sets and lists: multisets of item keys
    inner = None
    if s.startswith("\\{") and s.endswith("\\}") and _balanced_prefix_free(s[2:-2]):
        inner = s[2:-2]
    items = _split_top(inner if inner is not None else s)
    if inner is not None or (items is not None and len(items) > 1):
        expanded = []
        for item in items or [s]:
            expanded.extend(_pm(item))
        return ("set", _multiset([_key(x, depth + 1) for x in expanded]))
    pm = _pm(s)
    if len(pm) == 2:
        return ("set", _multiset([_key(x, depth + 1) for x in pm]))
    # tuples and intervals: ordered items, same brackets
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]":
        parts = _split_top(s[1:-1])
        if parts is not None and len(parts) > 1:
            return ("tuple", s[0], s[-1], tuple(_key(x, depth + 1) for x in parts))
    v = parse_number(s)
    if v is not None:
        return ("num", v)
    return ("str", normalize_answer(s))


def _multiset(keys: list) -> tuple:
    return tuple(sorted(Counter(keys).items(), key=repr))


def _pm(item: str) -> list[str]:
    """``a\\pm b`` → ``[a+b, a-b]`` when there is exactly one top-level ``\\pm``."""
    if item.count("\\pm") != 1:
        return [item]
    a, b = item.split("\\pm")
    if _split_top(a) is None or _split_top(b) is None:   # the \pm is inside brackets
        return [item]
    return [f"{a}+{b}", f"{a}-{b}"]
