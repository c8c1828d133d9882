"""Registry of sampling backends. A backend factory takes the model's spec and returns a Backend.

Built-in: ``vllm`` (offline engine), ``openai`` (OpenAI-compatible HTTP server), ``transformers``.
Plugins add their own with ``register_backend`` (the model organism's plugin adds ``tiny``); a name
not registered yet loads the plugins first (:mod:`boundary.plugins`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from boundary.errors import InputError
from boundary.plugins import load_plugins
from boundary.sampling.backends.base import Backend

# name -> "module:factory" (imported lazily: vllm and torch are heavy) or a callable
BACKENDS: dict[str, Any] = {
    "vllm": "boundary.sampling.backends.vllm:VLLMBackend",
    "openai": "boundary.sampling.backends.openai:OpenAIBackend",
    "transformers": "boundary.sampling.backends.hf:TransformersBackend",
}


#: Backends whose models need a checkpoint ``path`` (a spec without one is refused when it is read).
NEEDS_PATH: set[str] = {"vllm", "transformers"}


def register_backend(name: str, factory: Callable[..., Backend], *, needs_path: bool = False) -> None:
    """Make ``backend: NAME`` in a spec build ``factory(engine_config)``; ``needs_path``: a model must give ``path``."""
    BACKENDS[name] = factory
    if needs_path:
        NEEDS_PATH.add(name)
    else:
        NEEDS_PATH.discard(name)


def unregister_backend(name: str) -> None:
    BACKENDS.pop(name, None)
    NEEDS_PATH.discard(name)


def backend_names() -> list[str]:
    """Every registered backend name (the plugins' included)."""
    load_plugins()
    return list(BACKENDS)


def get_backend_factory(name: str) -> Any:
    if name not in BACKENDS:
        load_plugins()
    if name not in BACKENDS:
        raise InputError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}. A plugin registers one with "
                         "boundary.sampling.register_backend (docs/plugins.md).")
    return BACKENDS[name]


def create_backend(model_spec) -> Backend:
    """Build the engine for one model of a spec."""
    factory = get_backend_factory(model_spec.backend)
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(model_spec)


__all__ = ["Backend", "BACKENDS", "register_backend", "unregister_backend", "create_backend", "backend_names",
           "NEEDS_PATH", "get_backend_factory"]
