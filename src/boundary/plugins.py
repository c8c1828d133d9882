"""Plugins: modules that register benchmarks, task kinds and backends when they are imported.

A plugin is a module. Importing it registers what it brings through public functions only:
:func:`boundary.tasks.register_benchmark`, :func:`boundary.tasks.register_kind` and
:func:`boundary.sampling.register_backend`. It may also define ``register_commands(app)``, which
the CLI calls with its typer app to add commands. Plugins are found in three places, in order:

1. the built-in ones (:data:`BUILTIN`): the math and code task kinds;
2. installed packages' entry points in the group ``boundary.plugins`` (the model organism is one,
   declared in boundary's own ``pyproject.toml``);
3. the environment variable ``BOUNDARY_PLUGINS``: comma-separated module names.

:func:`load_plugins` imports each once; registries call it before they answer a look-up, so a
library user never has to. ``docs/plugins.md`` has the contract and a complete example.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from types import ModuleType

from boundary.errors import BoundaryError

#: The plugins every process loads: boundary's own task kinds are registered the way any other is.
BUILTIN = ("boundary.verify.kinds",)
ENTRY_POINT_GROUP = "boundary.plugins"
ENV = "BOUNDARY_PLUGINS"

_loaded: dict[str, ModuleType] = {}
_lock = threading.RLock()
_loading = False


def _env_modules() -> list[str]:
    return [x.strip() for x in os.environ.get(ENV, "").split(",") if x.strip()]


def _import(name: str, origin: str) -> None:
    if name in _loaded:
        return
    try:
        _loaded[name] = importlib.import_module(name)
    except ImportError as e:
        raise BoundaryError(f"plugin {name!r} (from {origin}) could not be imported: {e}. Check the module name "
                            f"and that it is importable (on PYTHONPATH or installed).") from e


def load_plugins() -> list[ModuleType]:
    """Import every plugin not imported yet (built-in, entry points, ``BOUNDARY_PLUGINS``); return all loaded.

    Idempotent and cheap after the first call; ``BOUNDARY_PLUGINS`` is re-read each time, so a module
    named there later is loaded on the next look-up.
    """
    global _loading
    with _lock:
        if _loading:                      # a plugin's import asked a registry: its own names are there
            return list(_loaded.values())
        _loading = True
        try:
            for name in BUILTIN:
                _import(name, "boundary")
            for ep in _entry_points():
                _import(ep.module, f"entry point {ep.name!r} of group {ENTRY_POINT_GROUP!r}")
            for name in _env_modules():
                _import(name, f"${ENV}")
        finally:
            _loading = False
        return list(_loaded.values())


_eps: list[importlib.metadata.EntryPoint] | None = None


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    global _eps
    if _eps is None:
        _eps = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    return _eps


def loaded_plugins() -> list[ModuleType]:
    """The plugin modules imported so far (without loading any)."""
    return list(_loaded.values())


__all__ = ["load_plugins", "loaded_plugins", "BUILTIN", "ENTRY_POINT_GROUP", "ENV"]
