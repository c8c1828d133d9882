"""The verdict lives with the task model (:mod:`boundary.tasks.verdict`); this name stays for imports."""

from boundary.tasks.verdict import Verdict

__all__ = ["Verdict"]
