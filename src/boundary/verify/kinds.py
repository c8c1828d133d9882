"""The built-in task kinds, ``math`` and ``code``: registered like any plugin's (:mod:`boundary.plugins`).

- ``math``: the run's prompt template; :class:`~boundary.verify.math.MathVerifier` against the
  problem's reference, with the answer-type hints its metadata carries (``unit``,
  ``is_multiple_answer``, ``answer_type``, ``choices``). Its verify config is a ``MathVerifyConfig``.
- ``code``: the benchmark's official prompt (EvalPlus / LiveCodeBench; through the model's chat
  template when the run asks for ``chat``); the sandboxed :class:`~boundary.verify.code.CodeVerifier`.
  Its verify config is a ``CodeVerifyConfig``.
- ``visual``: MathVista / MathVision (:mod:`boundary.tasks.visual`): the question with its choices
  through the run's template (the images stay in ``metadata["images"]``);
  :class:`~boundary.verify.visual.VisualVerifier`. Its verify config is a ``VisualVerifyConfig``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from boundary.errors import StoreError
from boundary.prompts.code import code_prompt, code_prompt_text
from boundary.tasks import Problem, TaskKind, Verdict, VerifyItem, register_kind
from boundary.tasks.kind import Prompt
from boundary.tasks.visual import render_question
from boundary.verify.math import MathItem, MathVerifier, MathVerifyConfig
from boundary.verify.visual import VisualVerifier

#: Problem metadata the math verifier reads as hints.
HINT_KEYS = ("unit", "is_multiple_answer", "answer_type", "choices")


def math_hints(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The hints of a problem's metadata the math verifier uses (present, not None, not empty)."""
    return {k: metadata[k] for k in HINT_KEYS if k in metadata and metadata[k] not in (None, "")}


class MathKindVerifier:
    """:class:`MathVerifier` behind the :class:`~boundary.tasks.Verifier` protocol."""

    def __init__(self, config: MathVerifyConfig | None = None):
        self.engine = MathVerifier(config or MathVerifyConfig())
        self.name = self.engine.config.verifier

    @property
    def checks(self) -> int:
        """Distinct (answer, reference) pairs checked so far (the rest came from the cache)."""
        return self.engine.checks

    def verify_batch(self, items: Sequence[VerifyItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        math_items = []
        for it in items:
            p = it.problem
            if p.reference is None:
                raise StoreError(f"problem {p.id!r} of benchmark {p.benchmark!r} has no reference answer.")
            math_items.append(MathItem(it.response, p.reference, math_hints(p.metadata) or None, it.finish_reason))
        return self.engine.verify_batch(math_items, progress=progress)

    def close(self) -> None:
        self.engine.close()


class CodeKindVerifier:
    """:class:`~boundary.verify.code.CodeVerifier` behind the :class:`~boundary.tasks.Verifier` protocol."""

    def __init__(self, config: Any = None):
        from boundary.verify.code import CodeVerifier, CodeVerifyConfig    # the sandbox: only when code is verified
        self.engine = CodeVerifier(config or CodeVerifyConfig())

    @property
    def name(self) -> str:
        return self.engine.verifier

    def verify_batch(self, items: Sequence[VerifyItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        from boundary.verify.code import CodeItem
        return self.engine.verify_batch([CodeItem(it.response, it.problem, it.finish_reason) for it in items],
                                         progress=progress)

    def close(self) -> None:
        self.engine.close()


def code_kind_prompt(problem: Problem, template: Any) -> Prompt:
    """Code problems get their benchmark's official prompt instead of the run's math template."""
    if template is None:
        return tuple((m["role"], m["content"]) for m in code_prompt(problem))
    tok = getattr(template, "tokenizer", None)
    if tok is not None:
        return str(tok.apply_chat_template(code_prompt(problem), tokenize=False, add_generation_prompt=True))
    return code_prompt_text(problem)


def visual_kind_prompt(problem: Problem, template: Any) -> Prompt:
    """The question with its choices (:func:`boundary.tasks.visual.render_question`) through the run's
    template, or as one chat turn. Only text: the images are in ``metadata["images"]``."""
    text = render_question(problem)
    return template.render(text) if template is not None else (("user", text),)


MATH = register_kind(TaskKind("math", MathKindVerifier, description="final answers checked against a reference "
                              "(boundary's math verifier: exact paths, then math-verify)"), replace=True)
CODE = register_kind(TaskKind("code", CodeKindVerifier, code_kind_prompt, description="programs run against "
                              "tests in a sandbox (HumanEval+, MBPP+, LiveCodeBench)"), replace=True)

VISUAL = register_kind(TaskKind("visual", VisualVerifier, visual_kind_prompt, description="visual math "
                                "(MathVista, MathVision): multiple choice up to 8 options, lists, and "
                                "free-form answers through the math verifier; grading modes paper, "
                                "mathvista, mathvision"), replace=True)

__all__ = ["MATH", "CODE", "VISUAL", "visual_kind_prompt", "HINT_KEYS", "math_hints", "MathKindVerifier",
           "CodeKindVerifier", "code_kind_prompt"]
