"""The verdict: the result of checking one sample, with its evidence.

Statuses (``boundary.store.schema.STATUSES``):

- ``correct``   the extracted answer equals the reference (only this counts toward pass@k);
- ``wrong``     an answer was found and it differs from the reference;
- ``no_answer`` no final answer could be extracted (no box, no ``Answer:`` line, ...);
- ``truncated`` the sample hit the length limit (and the config does not let such samples count);
- ``timeout``   the checker ran out of time: undecided, never silently "wrong";
- ``error``     the checker failed (crash, memory limit): undecided, never silently "wrong".
"""

from __future__ import annotations

from dataclasses import dataclass

from boundary.store.schema import STATUSES


@dataclass(frozen=True)
class Verdict:
    status: str
    """One of ``STATUSES``."""
    extracted: str | None = None
    """The final answer taken from the response (before normalization), or None."""
    path: str | None = None
    """Which check decided: e.g. ``string``, ``numeric``, ``symbolic``, ``strict``, ``cache:…``,
    ``extract`` (no answer), ``finish_reason`` (truncated), ``worker`` (timeout/error)."""
    detail: str | None = None
    """Free-text evidence: the normalized forms compared, the error message, the time limit hit."""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}.")

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def decided(self) -> bool:
        """False for ``timeout`` and ``error``: the verifier could not tell."""
        return self.status not in ("timeout", "error")
