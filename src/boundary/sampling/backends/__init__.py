"""Registry of sampling backends. A backend factory takes the model's spec and returns a Backend.

Built-in: ``vllm`` (offline engine), ``openai`` (OpenAI-compatible HTTP server), ``transformers``,
``tiny`` (the model organism's batched CPU sampler for small Qwen2 checkpoints).
Tests and plugins add their own with ``register_backend`` — the same path as the built-ins.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from boundary.sampling.backends.base import Backend

# name -> "module:factory" (imported lazily: vllm and torch are heavy) or a callable
BACKENDS: dict[str, Any] = {
    "vllm": "boundary.sampling.backends.vllm:VLLMBackend",
    "openai": "boundary.sampling.backends.openai:OpenAIBackend",
    "transformers": "boundary.sampling.backends.hf:TransformersBackend",
    "tiny": "boundary.sampling.backends.tiny:TinyBackend",
}


def register_backend(name: str, factory: Callable[..., Backend]) -> None:
    """Make ``backend: NAME`` in a spec build ``factory(model_spec)``."""
    BACKENDS[name] = factory


def unregister_backend(name: str) -> None:
    BACKENDS.pop(name, None)


def create_backend(model_spec) -> Backend:
    """Build the engine for one model of a spec."""
    factory = BACKENDS[model_spec.backend]
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(model_spec)


__all__ = ["Backend", "BACKENDS", "register_backend", "unregister_backend", "create_backend"]
