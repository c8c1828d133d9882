"""The sequential ("adaptive") sampling plan of one (model, problem) pair: a value, no I/O.

Draw ``initial`` (m) samples; if at least ``successes`` (r) of them are correct, stop. Otherwise
draw more and check again at the next *check time*, stopping at the first check with at least r
correct samples, or at the ``cap`` (n, the spec's ``n``). Stops are decided **only at check times**,
never inside a batch, and the check times are fixed before any sample is seen:

- ``schedule="fixed"`` with ``batch=b``: m, m + b, m + 2b, ..., n (the last batch is shorter when
  b does not divide n − m); ``batch=1`` checks after every sample;
- ``schedule="doubling"``: m, 2m, 4m, ..., n (about log2(n/m) + 1 rounds).

A pair stops before n only after a success, so every pass@k with k <= n stays exactly estimable
(``boundary.analysis.adaptive``; docs/adaptive.md). The stopping point (t, s) — samples drawn,
samples correct — is what the estimator needs; the plan says which stopping points exist.

The sampling stage asks :meth:`AdaptivePlan.next_check` how far to draw and
:meth:`AdaptivePlan.stops` whether to stop; the estimator asks :meth:`AdaptivePlan.check_index`
where a stopping point sits. Both read the same check times, so the estimator always matches the
plan that drew the samples.

>>> plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=10)
>>> plan.check_times
(4, 6, 8, 10)
>>> plan.stops(4, 1), plan.stops(6, 2), plan.stops(10, 0)
(False, True, True)
>>> AdaptivePlan(initial=8, successes=8, batch=None, cap=100, schedule="doubling").check_times
(8, 16, 32, 64, 100)
>>> AdaptivePlan.fixed(16).check_times
(16,)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from boundary.errors import InputError

Schedule = Literal["fixed", "doubling"]
SCHEDULES: tuple[str, ...] = ("fixed", "doubling")


@dataclass(frozen=True)
class AdaptivePlan:
    """Sample until ``successes`` correct answers, checked at fixed check times, capped at ``cap``.

    Args:
        initial: m, samples drawn before the first check (1 <= m <= cap).
        successes: r, correct samples that stop the pair at a check (1 <= r <= m).
        batch: b, samples drawn between checks after the first (``schedule="fixed"`` only;
            1 = check after every sample). Must be ``None`` for ``schedule="doubling"``.
        cap: n, the most samples a pair ever gets (the spec's ``n``); pass@k is estimable for k <= n.
        schedule: ``"fixed"`` (checks every ``batch`` samples) or ``"doubling"`` (m, 2m, 4m, ..., n).

    Raises:
        InputError: a value outside its range; the message names the value, the limit and the fix.
    """

    initial: int
    successes: int
    batch: int | None
    cap: int
    schedule: Schedule = "fixed"

    def __post_init__(self) -> None:
        for name in ("initial", "successes", "cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"adaptive plan: {name} must be a whole number, got {value!r}.")
        if self.schedule not in SCHEDULES:
            raise InputError(
                f"adaptive plan: schedule={self.schedule!r} is not one of {', '.join(SCHEDULES)}. "
                "Use 'fixed' (a check every `batch` samples) or 'doubling' (checks at m, 2m, 4m, ..., n).")
        if self.cap < 1:
            raise InputError(f"adaptive plan: cap={self.cap} must be >= 1 sample per problem. Set n >= 1.")
        if not 1 <= self.initial <= self.cap:
            raise InputError(
                f"adaptive plan: initial={self.initial} must be in 1..cap={self.cap} (the first check "
                f"cannot come after the cap). Set initial <= {self.cap}, or raise n.")
        if not 1 <= self.successes <= self.initial:
            raise InputError(
                f"adaptive plan: successes={self.successes} must be in 1..initial={self.initial} (the "
                "first check must be able to stop the pair). "
                f"Set successes <= {self.initial} or initial >= {max(self.successes, 1)}.")
        if self.schedule == "fixed":
            if isinstance(self.batch, bool) or not isinstance(self.batch, int):
                raise InputError(
                    f"adaptive plan: batch must be a whole number >= 1 with schedule 'fixed', got "
                    f"{self.batch!r}. Use batch=1 to check after every sample.")
            if self.batch < 1:
                raise InputError(
                    f"adaptive plan: batch={self.batch} must be >= 1 sample between checks. "
                    "Use batch=1 to check after every sample.")
        elif self.batch is not None:
            raise InputError(
                f"adaptive plan: batch={self.batch!r} has no meaning with schedule 'doubling' (its "
                "batches are m, 2m, 4m, ...). Leave batch unset (None) or use schedule 'fixed'.")

    @classmethod
    def fixed(cls, n: int) -> AdaptivePlan:
        """The plan that never stops early: n samples, one check at n (Chen et al.'s design)."""
        return cls(initial=n, successes=n, batch=1, cap=n)

    @property
    def check_times(self) -> tuple[int, ...]:
        """The sample counts after which the plan checks, increasing, ending at ``cap``."""
        return _check_times(self)

    @property
    def is_fixed(self) -> bool:
        """True when the plan never stops before the cap (initial = cap)."""
        return self.initial == self.cap

    def check_index(self, t: int) -> int:
        """Position of ``t`` in :attr:`check_times`; -1 when t is not a check time."""
        times = self.check_times
        lo, hi = 0, len(times)
        while lo < hi:
            mid = (lo + hi) // 2
            if times[mid] < t:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(times) and times[lo] == t else -1

    def stops(self, t: int, s: int) -> bool:
        """The decision at check time ``t`` with ``s`` correct samples so far: stop drawing?

        True when s >= successes or t = cap. Raises when t is not a check time (a decision there
        would be a different plan).
        """
        if self.check_index(t) < 0:
            raise InputError(
                f"adaptive plan: t={t} samples is not a check time of {self.describe()}; decisions "
                f"are made only at {_times_text(self.check_times)}.")
        return s >= self.successes or t == self.cap

    def next_check(self, t: int) -> int:
        """The first check time after ``t`` samples (how far to draw next); ``cap`` at most.

        >>> AdaptivePlan(initial=4, successes=2, batch=3, cap=12).next_check(4)
        7
        >>> AdaptivePlan(initial=4, successes=2, batch=3, cap=12).next_check(0)
        4
        """
        if t >= self.cap:
            raise InputError(f"adaptive plan: t={t} samples has reached the cap n={self.cap}; there is no next check.")
        for time in self.check_times:
            if time > t:
                return time
        raise AssertionError("unreachable: the last check time is the cap")  # pragma: no cover

    def stopping_point(self, correct: Sequence[bool] | Sequence[int]) -> tuple[int, int] | None:
        """Where the plan stops on these verdicts (in sample order): ``(t, s)``, or None if not yet.

        A function of the stored verdicts only, so a resumed or extended run makes the same
        decisions. Verdicts past the stopping point (e.g. left over from a larger plan) are
        ignored: the estimator must see only the first t samples. When the result is None, draw
        up to ``next_check(len(correct))``.

        >>> plan = AdaptivePlan(initial=4, successes=2, batch=2, cap=8)
        >>> plan.stopping_point([0, 0, 1, 0, 0, 1, 1, 1])
        (6, 2)
        >>> plan.stopping_point([0, 0, 1, 0, 0]) is None
        True
        """
        if len(correct) > self.cap:
            raise InputError(
                f"adaptive plan: {len(correct)} verdicts exceed the cap n={self.cap}; pass the first "
                f"{self.cap} samples (in sample order) or raise n.")
        total, seen = 0, 0
        for time in self.check_times:
            if time > len(correct):
                return None
            total += sum(1 for v in correct[seen:time] if v)
            seen = time
            if total >= self.successes or time == self.cap:
                return time, total
        return None  # pragma: no cover - the last check time is the cap

    def describe(self) -> str:
        """One line for messages and reports, e.g. ``m=64, r=64, batch 32, n=1024``."""
        how = f"batch {self.batch}" if self.schedule == "fixed" else "doubling"
        return f"m={self.initial}, r={self.successes}, {how}, n={self.cap}"


@lru_cache(maxsize=256)
def _check_times(plan: AdaptivePlan) -> tuple[int, ...]:
    times = [plan.initial]
    while times[-1] < plan.cap:
        step = plan.batch if plan.schedule == "fixed" else times[-1]
        assert step is not None
        times.append(min(plan.cap, times[-1] + step))
    return tuple(times)


def _times_text(times: tuple[int, ...]) -> str:
    if len(times) <= 6:
        return ", ".join(map(str, times))
    return f"{times[0]}, {times[1]}, {times[2]}, ..., {times[-1]}"
