"""Value objects of sampling: what is asked of a backend and what it returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplingParams:
    """Per-request sampling parameters (the spec's ``sampling`` block, minus n)."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 16000
    logprobs: bool = False
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChunkRequest:
    """``n`` samples of one prompt drawn with one seed: samples ``first_index .. first_index+n-1``."""

    benchmark: str
    problem_id: str
    chunk_index: int
    first_index: int
    n: int
    seed: int
    prompt: str
    """The rendered prompt text (completions) ..."""
    messages: tuple[tuple[str, str], ...] | None = None
    """... or chat messages (role, content) when the model's own chat template applies."""
    images: tuple[str, ...] = ()
    """Paths of the problem's images (copied into the run's ``images/`` by content hash), in the order
    the prompt refers to them. A text prompt already holds the model's image placeholder once per
    image; with chat messages, the backend adds the images as content parts before the last user
    message's text. Empty for text-only problems."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None
    """``stop`` or ``length`` (hit max_tokens); None when the engine does not say."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: tuple[float, ...] | None = None
