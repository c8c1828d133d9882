"""Benchmarks: each loader returns a list of :class:`Problem`.

>>> from boundary.tasks import load_benchmark
>>> problems = load_benchmark("math500", source="tests/data/math/math500.jsonl")  # doctest: +SKIP

- a known name, ``source=None``: the Hugging Face hub (``pip install 'boundary[hub]'``);
- a known name, ``source=path``: a local file in the format of the paper's evaluation code;
- any name with ``source=path`` and a field mapping (``question=``, ``answer=``, ``id=``,
  ``metadata=``, ``answer_from_boxed=``): a custom benchmark (see :func:`load_custom`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundary.errors import InputError
from boundary.tasks.custom import MAPPING_KEYS, load_custom
from boundary.tasks.math import (BENCHMARKS, BenchmarkInfo, canonical_name, known_names, last_boxed,
                                 load_math_benchmark, verify_hints)
from boundary.tasks.problem import Problem

__all__ = ["Problem", "load_benchmark", "load_custom", "load_math_benchmark", "BENCHMARKS",
           "BenchmarkInfo", "canonical_name", "last_boxed", "verify_hints"]


def load_benchmark(name: str, source: str | Path | None = None, **mapping: Any) -> list[Problem]:
    """The problems of benchmark ``name``.

    ``mapping`` takes the keys of :func:`load_custom` (``question``, ``answer``, ``id``,
    ``metadata``, ``answer_from_boxed``) and, for the hub, ``split`` and ``revision``.
    """
    hub_keys = {k: mapping.pop(k) for k in ("split", "revision") if k in mapping}
    unknown = set(mapping) - set(MAPPING_KEYS)
    if unknown:
        raise InputError(f"unknown field-mapping key(s) {sorted(unknown)} for benchmark {name!r}; "
                         f"allowed: {', '.join(MAPPING_KEYS)} (and split, revision for the hub).")
    if name.strip().lower() in ("countdown", "countdown-hard") and not mapping and not hub_keys:
        from boundary.organism.benchmark import load_countdown
        return load_countdown(name.strip().lower(), source)
    from boundary.tasks import code as _code
    code_name = _code._ALIASES.get(name.strip().lower(), name.strip().lower())
    if code_name in _code.CODE_BENCHMARKS and not mapping:
        return _code.load_code_benchmark(code_name, source, **hub_keys)
    canon = canonical_name(name)
    if mapping:
        if source is None:
            raise InputError(f"benchmark {name!r} has a field mapping but no source file; "
                             "pass source='path/to/file.jsonl'.")
        return load_custom(source, name=name, **mapping)
    if canon is not None:
        if source is not None and hub_keys:
            raise InputError("split/revision apply to the hub only, not to a local source file.")
        return load_math_benchmark(canon, source, **hub_keys)
    if source is not None:
        return load_custom(source, name=name)
    raise InputError(f"unknown benchmark {name!r}. Known: {known_names()}, humaneval+, mbpp+, livecodebench. "
                     "For your own data pass "
                     "source='path/to/file.jsonl' and a field mapping (question=..., answer=...).")
