"""Run many sandboxed jobs on W zygote workers: scheduling, retries, per-problem data, calibration.

- **Scheduling:** jobs run longest-expected-first (by their CPU budget), one per worker at a time;
  the parent sleeps in ``select`` on the workers' pipes.
- **Problem data** (inputs, expected outputs, budgets) is sent to a worker once and kept there
  (LRU, bounded in bytes).
- **Retries:** a worker that dies, hangs past its deadline or reports a sandbox failure is killed
  (with every process of its job uid) and replaced; the job is retried up to ``retries`` times.
  What is still failing is reported as ``sandbox`` (never as a wrong answer).
- **Calibration:** the reference solution of a problem runs through the same harness; its CPU time
  per test sets the budgets (``max(min_test_s, factor × t_ref)`` per test; the program's total
  ``max(min_total_s, factor × Σ t_ref)``) and, for EvalPlus problems, its outputs are the expected
  outputs. Results are cached on disk per (harness, interpreter, machine, problem).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import platform
import select
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundary.verify.code.sandbox import SandboxError, Zygote


@dataclass
class Job:
    problem_key: str
    problem_data: dict
    program: str
    mode: str = "test"
    cost: float = 1.0
    """Expected CPU seconds at most (for scheduling and the parent's deadline)."""
    attempts: int = 0
    result: dict | None = None
    history: list = field(default_factory=list)


class Executor:
    """W zygote workers. ``run(jobs)`` fills ``job.result`` for every job; never raises for a job."""

    def __init__(self, zygote_config: dict, workers: int = 2, retries: int = 2,
                 problem_cache_mb: int = 512, max_jobs_per_worker: int = 5000):
        self.zconf = zygote_config
        self.n_workers = max(1, workers)
        self.retries = retries
        self.cache_bytes = problem_cache_mb << 20
        self.max_jobs = max_jobs_per_worker
        self.workers: list[Zygote | None] = [None] * self.n_workers
        self.isolation: str | None = None
        self.notes: list[str] = []
        self.restarts = 0

    def _worker(self, i: int) -> Zygote:
        z = self.workers[i]
        if z is None or not z.alive():
            if z is not None:
                z.kill()
            z = Zygote(self.zconf)
            self.workers[i] = z
            if self.isolation is None:
                self.isolation, self.notes = z.isolation, z.notes
        return z

    def _busy(self, w: int) -> Zygote:
        """The worker of a busy slot: ``start`` put a live one there."""
        z = self.workers[w]
        assert z is not None, w
        return z

    def probe(self) -> str:
        return self._worker(0).isolation

    def _deadline(self, job: Job) -> float:
        wf = float(self.zconf.get("wall_factor", 10.0))
        slack = float(self.zconf.get("wall_slack", 30.0))
        n_children = len(job.problem_data.get("inputs", ())) if job.problem_data.get("kind") == "stdio" else 1
        return time.monotonic() + wf * (job.cost + 2) + slack * n_children + 60

    def run(self, jobs: Sequence[Job], progress: Callable[[int], None] | None = None) -> None:
        queue = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)
        queue.reverse()  # pop() from the end = most expensive first
        busy: dict[int, tuple[int, float]] = {}  # worker -> (job index, deadline)

        def start(w: int) -> None:
            while queue:
                j = queue.pop()
                job = jobs[j]
                try:
                    z = self._worker(w)
                    z.ensure_problem(job.problem_key, job.problem_data, self.cache_bytes)
                    z.send({"op": "run", "job": j, "problem": job.problem_key, "program": job.program,
                            "mode": job.mode})
                except SandboxError as e:
                    self._fail(w, job, f"sandbox worker: {e}", queue, j)
                    continue
                busy[w] = (j, self._deadline(job))
                return

        for w in range(self.n_workers):
            start(w)
        while busy:
            fds = {self._busy(w).fileno(): w for w in busy}
            timeout = max(0.0, min(d for _, d in busy.values()) - time.monotonic())
            ready, _, _ = select.select(list(fds), [], [], min(timeout, 5.0))
            now = time.monotonic()
            for fd in ready:
                w = fds[fd]
                j, _ = busy.pop(w)
                job = jobs[j]
                z = self._busy(w)
                try:
                    res = z.recv(60)
                except SandboxError as e:
                    self._fail(w, job, str(e), queue, j)
                    start(w)
                    continue
                if res.get("job") != j:
                    self._fail(w, job, f"protocol error: answer for job {res.get('job')} instead of {j}", queue, j)
                    start(w)
                    continue
                z.jobs_done += 1
                if res.get("outcome") == "sandbox":
                    self._fail(w, job, res.get("detail") or "sandbox error", queue, j)
                else:
                    res["attempts"] = job.attempts + 1
                    job.result = res
                    if progress:
                        progress(1)
                    if z.jobs_done >= self.max_jobs:
                        z.close()
                        self.workers[w] = None
                start(w)
            for w in [w for w, (_, d) in busy.items() if d <= now]:
                j, _ = busy.pop(w)
                self._fail(w, jobs[j], "sandbox worker did not answer before its deadline", queue, j)
                start(w)

    def _fail(self, w: int, job: Job, detail: str, queue: list, j: int) -> None:
        """Kill worker ``w``; retry the job or give it a ``sandbox`` result."""
        z = self.workers[w]
        if z is not None:
            z.kill()
        self.workers[w] = None
        self.restarts += 1
        job.attempts += 1
        job.history.append(detail)
        if job.attempts <= self.retries:
            queue.append(j)
        else:
            job.result = {"outcome": "sandbox", "detail": f"{detail} (after {job.attempts} attempts)",
                          "attempts": job.attempts}

    def close(self) -> None:
        for i, z in enumerate(self.workers):
            if z is not None:
                z.close()
            self.workers[i] = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------ calibration cache
def machine_fingerprint() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.machine()}|{model}|{os.cpu_count()}|{platform.python_implementation()}{sys.version.split()[0]}"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "boundary" / "code-calibration"


def calibration_key(harness: str, data: dict, reference: str) -> str:
    h = hashlib.sha256()
    h.update(f"{harness}\n{machine_fingerprint()}\n".encode())
    h.update(marshal.dumps(data))
    h.update(reference.encode())
    return h.hexdigest()[:32]


def load_calibration(cache_dir: Path | None, key: str) -> dict | None:
    if cache_dir is None:
        return None
    p = Path(cache_dir) / f"{key}.marshal"
    try:
        return marshal.loads(p.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def save_calibration(cache_dir: Path | None, key: str, value: dict) -> None:
    if cache_dir is None:
        return
    d = Path(cache_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(marshal.dumps(value))
        os.replace(tmp, d / f"{key}.marshal")
    except OSError:
        pass


def budgets_from_times(times: Sequence[float], factor: float, min_test_s: float,
                       min_total_s: float) -> tuple[list[float], float]:
    per_test = [max(min_test_s, factor * t) for t in times]
    total = min(sum(per_test), max(min_total_s, factor * sum(times)))
    return per_test, total


def describe(data: Any) -> str:  # pragma: no cover - debugging helper
    return f"{type(data).__name__}({len(marshal.dumps(data))} bytes)"
