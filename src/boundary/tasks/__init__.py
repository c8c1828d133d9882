"""Tasks: problems, the benchmarks that hold them, and the kinds that say how to prompt and verify.

>>> from boundary.tasks import load_benchmark
>>> problems = load_benchmark("math500", source="tests/data/math/math500.jsonl")  # doctest: +SKIP

- a registered name, ``source=None``: the benchmark's default source (the Hugging Face hub for the
  math and code benchmarks, ``pip install 'boundary[hub]'``; shipped files for the organism's);
- a registered name, ``source=path``: a local file in the benchmark's own format;
- any name with ``source=path`` and a field mapping (``question=``, ``answer=``, ``id=``,
  ``metadata=``, ``answer_from_boxed=``): a custom benchmark (see :func:`load_custom`).

Benchmarks and task kinds are registries (:mod:`boundary.tasks.registry`): plugins add names with
:func:`register_benchmark` and :func:`register_kind` (``docs/plugins.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundary.errors import InputError
from boundary.tasks import code as _code
from boundary.tasks import math as _math
from boundary.tasks import visual as _visual
from boundary.tasks.custom import MAPPING_KEYS, load_custom
from boundary.tasks.kind import Prompt, TaskKind, Verifier, VerifyItem, kind_name, render_with_template
from boundary.tasks.problem import Problem
from boundary.tasks.registry import (BenchmarkEntry, benchmark_names, find_benchmark, get_benchmark, get_kind,
                                     kind_names, register_benchmark, register_kind, unregister_benchmark,
                                     unregister_kind)
from boundary.tasks.verdict import Verdict

__all__ = ["Problem", "Verdict", "load_benchmark", "load_custom", "TaskKind", "Verifier", "VerifyItem", "Prompt",
           "kind_name", "render_with_template", "BenchmarkEntry", "register_benchmark", "unregister_benchmark",
           "find_benchmark", "get_benchmark", "benchmark_names", "register_kind", "unregister_kind", "get_kind",
           "kind_names"]

_HUB_OPTIONS = ("split", "revision")
_CODE_OPTIONS = ("check_sha256", "version", "start_date", "end_date")


def load_benchmark(name: str, source: str | Path | None = None, **options: Any) -> list[Problem]:
    """The problems of benchmark ``name``.

    ``options`` take the field-mapping keys of :func:`load_custom` (``question``, ``answer``, ``id``,
    ``metadata``, ``answer_from_boxed``: your own file), or the registered benchmark's own options
    (for the math and code benchmarks: ``split`` and ``revision`` of the hub).
    """
    mapping = {k: options.pop(k) for k in MAPPING_KEYS if k in options}
    if mapping:
        if source is None:
            raise InputError(f"benchmark {name!r} has a field mapping but no source file; "
                             "pass source='path/to/file.jsonl'.")
        if options:
            raise InputError(f"benchmark {name!r}: a field mapping reads your own file and takes no other "
                             f"option, not {sorted(options)}.")
        return load_custom(source, name=name, **mapping)
    entry = find_benchmark(name)
    if entry is not None:
        return entry.load(source, **options)
    if source is not None and not options:
        return load_custom(source, name=name)
    if options:
        raise InputError(f"unknown field-mapping key(s) {sorted(options)} for benchmark {name!r}; allowed: "
                         f"{', '.join(MAPPING_KEYS)} (and {', '.join(_HUB_OPTIONS)} for a known benchmark's hub).")
    return get_benchmark(name).load(source)        # raises: unknown name, with the known ones listed


def _load_math(name: str, source: str | Path | None = None, **hub: Any) -> list[Problem]:
    if source is not None and hub:
        raise InputError("split/revision apply to the hub only, not to a local source file.")
    return _math.load_math_benchmark(name, source, **hub)


for _info in _math.BENCHMARKS.values():
    register_benchmark(_info.name, _load_math, aliases=_info.aliases, options=_HUB_OPTIONS,
                       description=_info.description)
for _name in _code.CODE_BENCHMARKS:
    register_benchmark(_name, _code.load_code_benchmark, options=_CODE_OPTIONS,
                       aliases=tuple(a for a, n in _code._ALIASES.items() if n == _name))
register_benchmark("mathvista", _visual.load_mathvista, aliases=("math-vista", "mathvista-testmini"),
                   options=("question_type", "prompt_field", "split", "revision", "image_root"),
                   description=_visual.VISUAL_BENCHMARKS["mathvista"])
register_benchmark("mathvision", _visual.load_mathvision, aliases=("math-vision", "math-v", "mathv"),
                   options=("question_type", "split", "revision", "image_root"),
                   description=_visual.VISUAL_BENCHMARKS["mathvision"])
