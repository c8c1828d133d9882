"""The backend interface: one engine object per model, built once, asked for chunks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from boundary.sampling.types import ChunkRequest, Completion, SamplingParams


class Backend(ABC):
    """An engine that owns a model. ``generate`` yields each chunk's completions as it finishes.

    Implementations must honour ``ChunkRequest.seed`` (the same seed and prompt give the same
    samples on the same engine) and return exactly ``request.n`` completions per chunk.
    """

    name: str = "backend"

    @abstractmethod
    def generate(self, requests: Sequence[ChunkRequest], params: SamplingParams
                 ) -> Iterator[tuple[ChunkRequest, list[Completion]]]:
        """Yield ``(request, completions)`` for every request, in any order."""

    def info(self) -> dict[str, Any]:
        """Engine name and version, dtype, parallelism: recorded in the run manifest."""
        return {"backend": self.name}

    def close(self) -> None:  # noqa: B027 - an optional hook: most engines have nothing to release
        """Release the engine (GPU memory, server connections)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
