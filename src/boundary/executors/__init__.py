"""Executors: where the sample and verify stages run — this process (``local``) or a Ray cluster (``ray``).

The driver (this process) always plans, owns the manifest and writes progress; an executor runs the
work units (:class:`boundary.sampling.stage.WorkUnit`) and the verification of samples shards.
Exactly-once holds for any executor because a shard's name is a function of its work
(``docs/run-format.md``): a unit that runs twice replaces its own shard.

>>> from boundary.executors import ExecutorConfig
>>> ExecutorConfig().kind, ExecutorConfig(kind="ray", address="auto").address
('local', 'auto')
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("local", "ray")
RAY_INSTALL_HINT = "pip install 'boundary[ray]'"


@dataclass(frozen=True)
class ExecutorConfig:
    """Where the sample and verify stages run (the spec's ``executor:`` block; ``docs/scale-out.md``)."""

    kind: str = "local"
    """``local`` (this process; the default) or ``ray`` (a Ray cluster)."""
    address: str | None = None
    """Ray: ``auto`` (the cluster this machine belongs to), ``ray://host:10001``, a GCS address
    ``host:6379``, or None to start Ray on this machine alone."""
    unit_samples: int | None = None
    """Samples per work unit (one engine call, one shard); default about 1,024."""
    replicas: int = 1
    """Ray: engine actors per model (data parallelism; each holds one copy of the model)."""
    window: int = 2
    """Ray: work units in flight per engine actor; a lost unit is redone promptly."""
    verify_cpus: int = 1
    """Ray: CPUs (verifier worker processes) per verification task."""
    max_retries: int = 3
    """Ray: attempts after the first for a unit or verification task that fails; then it is
    reported and the run exits non-zero."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        for name in ("replicas", "window", "verify_cpus"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}.")
        if self.unit_samples is not None and self.unit_samples < 1:
            raise ValueError(f"unit_samples must be >= 1, got {self.unit_samples}.")


def make_executor(config: ExecutorConfig):  # -> RayExecutor | None
    """The executor of ``config``: None for ``local`` (the stages run in this process), else a
    :class:`~boundary.executors.ray.RayExecutor`; without Ray installed, one line naming the extra."""
    if config.kind == "local":
        return None
    from boundary.errors import BoundaryError
    try:
        import ray  # noqa: F401
    except ImportError:
        raise BoundaryError(f"executor kind 'ray' needs Ray, which is not installed: {RAY_INSTALL_HINT}.") from None
    from boundary.executors.ray import RayExecutor
    return RayExecutor(config)


__all__ = ["ExecutorConfig", "make_executor", "KINDS", "RAY_INSTALL_HINT"]
