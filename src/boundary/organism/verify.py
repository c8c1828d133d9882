"""The Countdown verifier behind the run-level verify stage (``metadata["kind"] == "countdown"``).

Same interface as the math and code verifiers: ``verify_batch(items) -> list[Verdict]``. A check
is a linear-time parse of at most 40 characters (:func:`boundary.organism.task.parse`), so it runs
in the parent process: there is nothing that could hang.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from boundary.organism import task
from boundary.verify.verdict import Verdict


@dataclass(frozen=True)
class CountdownItem:
    response: str
    problem: task.Countdown
    finish_reason: str | None = None


class CountdownVerifier:
    verifier = f"countdown-{task.MAX_ANSWER_CHARS}"
    checks = 0

    def verify(self, item: CountdownItem) -> Verdict:
        if item.finish_reason == "length":
            return Verdict("truncated", None, "finish_reason", "the sample hit the length limit")
        text = item.response.strip()
        c = task.check(text, item.problem)
        return Verdict(c.status, text or None, "countdown", c.reason)

    def verify_batch(self, items: Sequence[CountdownItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        out = [self.verify(it) for it in items]
        if progress:
            progress(len(out))
        return out

    def close(self) -> None:
        pass


def countdown_from_metadata(meta: dict) -> task.Countdown:
    return task.Countdown(tuple(int(x) for x in meta["numbers"]), int(meta["target"]))
