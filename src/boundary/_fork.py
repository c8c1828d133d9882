"""When work may be spread over forked worker processes (the analysis' benchmarks, the report's figures).

Both fork rather than spawn: the workers inherit the loaded data and warm caches, and no importable
``__main__`` is needed. Forking is refused where it is unsafe (an engine or a cluster connection in
this process), in a daemon process (it cannot have children), and where ``fork`` does not exist.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

from boundary.errors import BoundaryError


def fork_is_safe() -> bool:
    """False in a process that holds an engine or a cluster connection (``boundary run`` analyses and
    draws its report after sampling): forking CUDA contexts, vLLM's threads or Ray's gRPC channels is not."""
    if multiprocessing.current_process().daemon or "fork" not in multiprocessing.get_all_start_methods():
        return False
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        return False
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None) if torch is not None else None
    if cuda is not None and getattr(cuda, "is_initialized", lambda: False)():
        return False
    return "vllm" not in sys.modules


def fork_workers(requested: int | None, env: str, n_tasks: int, *, worth_it: bool) -> int:
    """Processes to run ``n_tasks`` independent tasks with (1: this process, no fork).

    ``requested`` wins; else the environment variable ``env`` (a whole number); else up to two (the
    CPUs permitting) when ``worth_it`` — enough work to repay the fork — and one otherwise.
    """
    if requested is None:
        value = os.environ.get(env, "")
        if value.strip():
            try:
                requested = int(value)
            except ValueError:
                raise BoundaryError(f"{env}={value!r}: expected a whole number of processes, e.g. 1 to "
                                    "do everything in this process.") from None
        else:
            requested = min(2, os.cpu_count() or 1) if worth_it else 1
    if requested <= 1 or n_tasks < 2 or not fork_is_safe():
        return 1
    return min(requested, n_tasks)
