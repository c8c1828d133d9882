"""The Countdown verifier: the ``countdown`` task kind's (``metadata["kind"] == "countdown"``).

It implements :class:`boundary.tasks.Verifier`: ``verify_batch(items) -> list[Verdict]``. A check
is a linear-time parse of at most 40 characters (:func:`boundary.organism.task.parse`), so it runs
in the parent process: there is nothing that could hang.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from boundary.organism import task
from boundary.tasks import Verdict, VerifyItem


@dataclass(frozen=True)
class CountdownItem:
    response: str
    problem: task.Countdown
    finish_reason: str | None = None


class CountdownVerifier:
    name = f"countdown-{task.MAX_ANSWER_CHARS}"
    verifier = name
    checks = 0

    def __init__(self, config: object = None):
        if config is not None:
            raise TypeError(f"the countdown verifier takes no config, got {config!r}.")

    def verify(self, item: CountdownItem | VerifyItem) -> Verdict:
        if isinstance(item, VerifyItem):
            item = CountdownItem(item.response, countdown_from_metadata(item.problem.metadata), item.finish_reason)
        if item.finish_reason == "length":
            return Verdict("truncated", None, "finish_reason", "the sample hit the length limit")
        text = item.response.strip()
        c = task.check(text, item.problem)
        return Verdict(c.status, text or None, "countdown", c.reason)

    def verify_batch(self, items: Sequence[CountdownItem | VerifyItem], progress: Callable[[int], None] | None = None
                     ) -> list[Verdict]:
        out = [self.verify(it) for it in items]
        if progress:
            progress(len(out))
        return out

    def close(self) -> None:
        pass


def countdown_from_metadata(meta: dict) -> task.Countdown:
    return task.Countdown(tuple(int(x) for x in meta["numbers"]), int(meta["target"]))
