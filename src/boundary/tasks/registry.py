"""The registries of benchmarks and task kinds: names a spec may use, and what each one does.

Built-in benchmarks register here (the six math benchmarks, HumanEval+, MBPP+, LiveCodeBench);
the built-in task kinds (math, code) and every plugin's register through the same functions
(:mod:`boundary.plugins`). A look-up that misses loads the plugins first, so a name a plugin brings
is found without an explicit import.

>>> from boundary.tasks import get_benchmark, get_kind
>>> get_benchmark("MATH-500").name, get_kind("math").name
('math500', 'math')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundary.errors import InputError
from boundary.plugins import load_plugins
from boundary.tasks.kind import TaskKind
from boundary.tasks.problem import Problem

#: ``loader(name, source, **options) -> list[Problem]``; ``name`` is the registered (canonical) name.
Loader = Callable[..., list[Problem]]


@dataclass(frozen=True)
class BenchmarkEntry:
    """A registered benchmark: its name, the loader, and what a spec may pass to it."""

    name: str
    loader: Loader
    aliases: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    """Keyword options the loader takes (e.g. ``split``, ``revision`` for the hub)."""
    description: str = ""

    def load(self, source: str | Path | None = None, **options: Any) -> list[Problem]:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            allowed = ", ".join(self.options) or "none"
            raise InputError(f"benchmark {self.name!r} takes no option(s) {unknown}; its options: {allowed}.")
        return self.loader(self.name, source, **options)


_BENCHMARKS: dict[str, BenchmarkEntry] = {}
_BENCHMARK_KEYS: dict[str, str] = {}
_KINDS: dict[str, TaskKind] = {}


def _key(name: str) -> str:
    """Look-up key: case-insensitive; spaces, ``-`` and ``_`` ignored (``MATH-500`` is ``math500``)."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def register_benchmark(name: str, loader: Loader, *, aliases: Sequence[str] = (), options: Sequence[str] = (),
                       description: str = "", replace: bool = False) -> BenchmarkEntry:
    """Make ``name`` (and its ``aliases``) a benchmark a spec can name: ``loader(name, source, **options)``.

    A second registration of a taken name is refused unless ``replace=True``.
    """
    entry = BenchmarkEntry(name, loader, tuple(aliases), tuple(options), description)
    keys = [_key(a) for a in (name, *aliases)]
    taken = [k for k in keys if k in _BENCHMARK_KEYS and _BENCHMARK_KEYS[k] != name]
    if (taken or name in _BENCHMARKS) and not replace:
        owner = _BENCHMARK_KEYS.get(taken[0]) if taken else name
        raise ValueError(f"benchmark name {name!r} (or an alias) is already registered (by {owner!r}); "
                         "pick another name or pass replace=True.")
    _BENCHMARKS[name] = entry
    for k in keys:
        _BENCHMARK_KEYS[k] = name
    return entry


def unregister_benchmark(name: str) -> None:
    entry = _BENCHMARKS.pop(name, None)
    if entry is not None:
        for a in (entry.name, *entry.aliases):
            _BENCHMARK_KEYS.pop(_key(a), None)


def find_benchmark(name: str) -> BenchmarkEntry | None:
    """The registered benchmark called ``name`` (or an alias), or None."""
    key = _key(name)
    if key not in _BENCHMARK_KEYS:
        load_plugins()
    canon = _BENCHMARK_KEYS.get(key)
    return _BENCHMARKS[canon] if canon is not None else None


def get_benchmark(name: str) -> BenchmarkEntry:
    entry = find_benchmark(name)
    if entry is None:
        raise InputError(f"unknown benchmark {name!r}. Known: {', '.join(benchmark_names())}. For your own data "
                         "pass source='path/to/file.jsonl' and a field mapping (question=..., answer=...).")
    return entry


def benchmark_names() -> list[str]:
    load_plugins()
    return list(_BENCHMARKS)


def register_kind(kind: TaskKind, *, replace: bool = False) -> TaskKind:
    """Make problems with ``metadata["kind"] == kind.name`` prompt and verify the way ``kind`` says."""
    if not isinstance(kind, TaskKind):
        raise TypeError(f"register_kind takes a TaskKind, got {type(kind).__name__}.")
    if kind.name in _KINDS and not replace:
        raise ValueError(f"task kind {kind.name!r} is already registered; pick another name or pass replace=True.")
    _KINDS[kind.name] = kind
    return kind


def unregister_kind(name: str) -> None:
    _KINDS.pop(name, None)


def get_kind(name: str) -> TaskKind:
    """The registered task kind ``name``; the error lists the known kinds and how to add one."""
    if name not in _KINDS:
        load_plugins()
    if name not in _KINDS:
        raise InputError(f"unknown task kind {name!r} (a problem's metadata['kind']). Known: "
                         f"{', '.join(sorted(_KINDS))}. A plugin registers a kind with "
                         "boundary.tasks.register_kind (docs/plugins.md); name its module in BOUNDARY_PLUGINS.")
    return _KINDS[name]


def kind_names() -> list[str]:
    load_plugins()
    return sorted(_KINDS)


__all__ = ["BenchmarkEntry", "Loader", "register_benchmark", "unregister_benchmark", "find_benchmark",
           "get_benchmark", "benchmark_names", "register_kind", "unregister_kind", "get_kind", "kind_names"]
