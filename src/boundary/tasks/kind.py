"""Task kinds: how a problem of one kind becomes a prompt, and which verifier checks its answers.

A problem names its kind in ``metadata["kind"]`` (no key: ``math``); the kind is looked up in the
registry (:func:`boundary.tasks.get_kind`), so adding one is a registration, not an edit of the
stages. Built-in kinds: ``math`` and ``code`` (:mod:`boundary.verify.kinds`); the model organism
adds ``countdown``; ``docs/plugins.md`` shows how to add your own.

A verifier is any object with this shape (:class:`Verifier`)::

    class MyVerifier:
        name = "my-checker-1"                      # recorded with every verdict
        def verify_batch(self, items, progress=None) -> list[Verdict]: ...
        def close(self) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from boundary.tasks.problem import Problem
from boundary.tasks.verdict import Verdict

#: A model input: plain text, or chat messages ((role, content), ...) for a server that applies its
#: own chat template.
Prompt = str | tuple[tuple[str, str], ...]

DEFAULT_KIND = "math"


@dataclass(frozen=True)
class VerifyItem:
    """One stored sample to check: the response text, its problem, and why generation stopped."""

    response: str
    problem: Problem
    finish_reason: str | None = None
    """``length`` when the sample hit the token limit (verifiers record such samples as ``truncated``)."""


@runtime_checkable
class Verifier(Protocol):
    """What the verify stage needs of a verifier; it keeps one per kind for the whole stage."""

    @property
    def name(self) -> str:
        """Name and version, stored with every verdict (``verifier`` column): a change of grading is visible."""
        ...

    def verify_batch(self, items: Sequence[VerifyItem],
                     progress: Callable[[int], None] | None = None) -> list[Verdict]:
        """One verdict per item, in order; ``progress(n)`` after n more items are done."""
        ...

    def close(self) -> None:
        """Release worker processes or sandboxes."""
        ...


class PromptTemplate(Protocol):
    """The part of a prompt template a task kind uses (:mod:`boundary.prompts.templates`)."""

    def render(self, problem: Problem) -> str: ...


def render_with_template(problem: Problem, template: PromptTemplate | None) -> Prompt:
    """The default prompt: the run's template, or the bare question as a chat turn for a chat server."""
    return template.render(problem) if template is not None else (("user", problem.question),)


@dataclass(frozen=True)
class TaskKind:
    """A kind of task: a name, how its problems become prompts, and the verifier that grades them.

    ``verifier(config)`` builds the verifier; ``config`` is what the caller of the verify stage gave
    for this kind (``verify_run(run, configs={"code": CodeVerifyConfig(...)})``), or None for defaults.
    ``prompt(problem, template)`` renders a problem; ``template`` is the run's prompt template (None
    when a chat server applies the model's chat template itself).
    """

    name: str
    verifier: Callable[[Any], Verifier]
    prompt: Callable[[Problem, Any], Prompt] = render_with_template
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "_").isidentifier():
            raise ValueError(f"a task kind's name must be a word (letters, digits, - or _), got {self.name!r}.")


def kind_name(problem: Problem | dict[str, Any]) -> str:
    """The kind a problem (or its metadata) names; ``math`` when it names none."""
    meta = problem.metadata if isinstance(problem, Problem) else problem
    return str(meta.get("kind") or DEFAULT_KIND)


__all__ = ["TaskKind", "Verifier", "VerifyItem", "Prompt", "PromptTemplate", "render_with_template", "kind_name",
           "DEFAULT_KIND"]
