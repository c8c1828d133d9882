"""Collecting the doctests of every module of src/boundary (pyproject: testpaths, --doctest-modules).

A module that cannot be imported because an optional dependency is not installed (torch for the
model organism, vllm, ray, ...) is left out of the collection instead of failing it; the header of
the test session names every module left out and why. Any other import error still fails.
"""

from __future__ import annotations

import importlib
from pathlib import Path

# The optional dependencies of pyproject.toml's extras (and the engines `make test` adds).
OPTIONAL = frozenset({"torch", "vllm", "ray", "transformers", "tokenizers", "safetensors", "jinja2", "aiohttp",
                      "datasets", "pandas", "trl", "playwright"})

SRC = Path(__file__).resolve().parent / "src"
_left_out: dict[str, str] = {}


def _module_name(path: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(SRC).with_suffix("").parts
    except ValueError:
        return None
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    if collection_path.suffix != ".py" or not config.getoption("doctestmodules"):
        return None
    name = _module_name(collection_path)
    if name is None or collection_path.name == "conftest.py":
        return None
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        missing = (e.name or "").split(".")[0]
        if missing in OPTIONAL:
            _left_out[name] = f"needs {missing}"
            return True
    return None  # anything else (including other import errors) is collected and reported as usual


def pytest_report_collectionfinish(config, start_path, items) -> list[str]:
    if not _left_out:
        return []
    return ["doctests not collected (optional dependency missing): "
            + ", ".join(f"{m} ({why})" for m, why in sorted(_left_out.items()))]
