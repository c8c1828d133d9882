"""Worker processes with a hard time limit per item, enforced from outside the checking code.

A checker (SymPy through math-verify, say) can hang on a pathological input or eat memory, and
no ``signal.alarm`` or ``try`` inside it can be trusted to stop it. So each item runs in a worker
process; the parent waits on the workers' pipes with a deadline and, when an item overruns,
SIGKILLs its worker and starts a fresh one. The item is recorded as ``timeout``; every other
item goes on. Workers also run under an address-space limit (``RLIMIT_AS``), so a memory blow-up
becomes an ``error`` for that item, and are replaced after ``max_tasks`` items so slow leaks in
the checking library cannot accumulate.

Workers are started by a *forkserver* that has imported the checker once: a replacement costs a
fork (milliseconds), not a fresh interpreter importing SymPy, and the parent's threads (progress
bars) are never forked.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

_BOOT_TIMEOUT_S = 300.0
#: Items a worker holds at once (one running, the rest waiting in its pipe).
PIPELINE_DEPTH = 4
#: Most bytes queued in a *busy* worker's pipe (Linux pipes hold 64 KB; a full pipe would block
#: the parent in send, where it could not enforce time limits).
PIPELINE_BYTES = 16 * 1024
#: Items taken ahead from a lazy input while every worker is busy.
LOOKAHEAD = 64

#: Statuses of one item's result.
OK, TIMEOUT, ERROR = "ok", "timeout", "error"


@dataclass(frozen=True)
class Outcome:
    status: str
    """``ok`` (``value`` holds the function's return value), ``timeout`` or ``error``."""
    value: Any = None
    detail: str | None = None


def _backstop_bytes(memory_mb: int) -> int:
    return max(4 * memory_mb, 8192) * 1024 * 1024


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 if it is gone or /proc is unavailable)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class _CleanMallocEnv:
    """Start processes without the MALLOC_* tuning variables (see DESIGN.md): a 1 GB top pad
    makes every worker reserve address space it never uses."""

    def __enter__(self):
        self.saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("MALLOC_")}

    def __exit__(self, *exc):
        os.environ.update(self.saved)


class _NoMainImport:
    """Start workers without re-importing the caller's ``__main__``.

    The worker target is a module function, so children never need the caller's script; without
    this, a script that calls ``verify_math`` without an ``if __name__ == "__main__":`` guard
    would make multiprocessing re-run it in every worker (and refuse to start)."""

    def __enter__(self):
        import sys
        self.main = sys.modules.get("__main__")
        self.saved = {}
        for attr in ("__file__", "__spec__"):
            if self.main is not None and hasattr(self.main, attr):
                self.saved[attr] = getattr(self.main, attr)
                setattr(self.main, attr, None) if attr == "__spec__" else delattr(self.main, attr)

    def __exit__(self, *exc):
        for attr, value in self.saved.items():
            setattr(self.main, attr, value)


def _resolve(target: str) -> Callable:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _worker_main(conn, target: str, memory_mb: int | None) -> None:
    if memory_mb:
        # Backstop only: the parent's RSS watchdog enforces memory_mb from outside. An address-space
        # limit at memory_mb itself would make allocations fail *inside* SymPy, which swallows some
        # MemoryErrors and returns a wrong result instead of failing.
        import resource
        limit = _backstop_bytes(memory_mb)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    fn = _resolve(target)
    conn.send("ready")            # item time limits start only once the worker can work
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, args = msg
        result: tuple[Any, str, Any, str | None]
        try:
            result = (task_id, OK, fn(*args), None)
        except MemoryError:
            result = (task_id, ERROR, None, f"memory limit of {memory_mb} MB exceeded")
        except RecursionError:
            result = (task_id, ERROR, None, "recursion limit exceeded")
        except Exception as e:  # the checker failed on this input: an error verdict, not a crash
            result = (task_id, ERROR, None, f"{type(e).__name__}: {str(e)[:300]}")
        try:
            conn.send(result)
        except Exception as e:  # e.g. an unpicklable return value
            conn.send((task_id, ERROR, None, f"cannot return result: {type(e).__name__}"))


class _Worker:
    def __init__(self, ctx, target: str, memory_mb: int | None):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, target, memory_mb), daemon=True)
        self.proc.start()
        child.close()
        self.inflight: deque[tuple[int, int]] = deque()
        """Items sent and not yet answered, in order: (index, pickled size); the first runs."""
        self.inflight_bytes = 0
        self.deadline = 0.0
        self.done = 0
        self.ready = False
        self.started = time.monotonic()

    def kill(self) -> None:
        try:
            self.proc.kill()
        except Exception:
            pass
        self.proc.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """Run ``target(*args)`` for many argument tuples, each with a hard wall-clock limit.

    Args:
        target: ``"module:function"``; the function must be importable by the workers.
        workers: number of processes (default: CPU count).
        timeout_s: wall-clock limit per item; an overrun kills the worker.
        memory_mb: resident-memory limit per worker, enforced by the parent (None: no limit);
            an item that exceeds it is an ``error`` and its worker is replaced.
        max_tasks: replace a worker after this many items.
        preload: modules the forkserver imports once (so replacements start fast).
    """

    def __init__(self, target: str, *, workers: int | None = None, timeout_s: float = 5.0,
                 memory_mb: int | None = 2048, max_tasks: int = 2000, preload: Sequence[str] = ()):
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}.")
        self.target, self.timeout_s, self.memory_mb, self.max_tasks = target, timeout_s, memory_mb, max_tasks
        self.n_workers = max(1, workers or os.cpu_count() or 1)
        methods = mp.get_all_start_methods()
        self._ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        if "forkserver" in methods:
            self._ctx.set_forkserver_preload([target.partition(":")[0], *preload])
        self._workers: list[_Worker] = []
        self.restarts = 0

    def _start(self) -> _Worker:
        with _CleanMallocEnv(), _NoMainImport():
            return _Worker(self._ctx, self.target, self.memory_mb)

    def _ensure(self) -> None:
        while len(self._workers) < self.n_workers:
            self._workers.append(self._start())

    def _replace(self, w: _Worker, requeue: deque | None = None) -> None:
        """Kill ``w`` and start a fresh worker in its place; the items still queued in ``w``
        (sent, not answered) go back to the front of ``requeue``, in order."""
        if requeue is not None:
            requeue.extendleft(reversed([i for i, _ in w.inflight]))
        w.inflight.clear()
        w.inflight_bytes = 0
        w.kill()
        self._workers[self._workers.index(w)] = self._start()
        self.restarts += 1

    def map(self, arg_tuples: Iterable[tuple], progress: Callable[[int], None] | None = None) -> list[Outcome]:
        """Outcomes in the order of ``arg_tuples``. Never raises for a failing item.

        ``arg_tuples`` may be a lazy iterable (a generator): it is consumed while the workers run
        the items already taken, so work the caller does to produce the items (answer extraction,
        say) overlaps with checking them.

        Items are pipelined: a worker holds up to ``PIPELINE_DEPTH`` items (the one it runs and
        the next ones, waiting in its pipe), so it never idles for a round trip to the parent.
        The time limit still applies to one item at a time: a worker runs its items in order, and
        the clock of the next item starts when the previous result arrives. When an item times
        out, crashes or exceeds the memory limit, it alone gets that outcome; the items queued
        behind it go back to the queue and run on a fresh worker."""
        from multiprocessing.reduction import ForkingPickler

        args: list[tuple] = []
        results: list[Outcome | None] = []
        queue: deque[int] = deque()
        source = iter(arg_tuples)
        exhausted = False

        def pull() -> None:
            """Take the next item from the source into the queue."""
            nonlocal exhausted
            try:
                a = next(source)
            except StopIteration:
                exhausted = True
                return
            except BaseException:
                # the caller's input failed: drop the items in flight (their results would reach
                # the next map call) before passing the exception on
                for w in list(self._workers):
                    if w.inflight:
                        self._replace(w)
                raise
            args.append(a)
            results.append(None)
            queue.append(len(args) - 1)

        self._ensure()
        payloads: dict[int, bytes] = {}

        def payload(i: int) -> bytes:
            if i not in payloads:
                payloads[i] = bytes(ForkingPickler.dumps((i, args[i])))
            return payloads[i]

        def feed(w: _Worker) -> None:
            while w.ready and len(w.inflight) < PIPELINE_DEPTH and w.done + len(w.inflight) < self.max_tasks:
                if not queue and not exhausted:
                    pull()
                if not queue:
                    return
                i = queue[0]
                data = payload(i)
                # A busy worker's pipe must never fill (the parent would block in send and could
                # no longer enforce time limits): big items go only to an idle worker, which is
                # reading its pipe.
                if w.inflight and w.inflight_bytes + len(data) > PIPELINE_BYTES:
                    return
                try:
                    w.conn.send_bytes(data)
                except (BrokenPipeError, OSError):
                    self._replace(w, requeue=queue)
                    return
                queue.popleft()
                payloads.pop(i, None)
                if not w.inflight:
                    w.deadline = time.monotonic() + self.timeout_s
                w.inflight.append((i, len(data)))
                w.inflight_bytes += len(data)

        def finish(w: _Worker, outcome: Outcome, replace: bool) -> None:
            """Record the outcome of ``w``'s current item; replace the worker if it must not be
            reused (its queued items go back to the front of the queue)."""
            i, nbytes = w.inflight.popleft()
            w.inflight_bytes -= nbytes
            results[i] = outcome
            if replace:
                self._replace(w, requeue=queue)
            elif w.inflight:
                w.deadline = time.monotonic() + self.timeout_s
            if progress:
                progress(1)

        for w in list(self._workers):
            feed(w)
        while queue or not exhausted or any(w.inflight for w in self._workers):
            booting = [w for w in self._workers if not w.ready]
            for w in booting:
                if w.conn.poll():
                    try:
                        w.ready = w.conn.recv() == "ready"
                    except (EOFError, OSError):
                        w.ready = False
                    if not w.ready:
                        self._replace(w, requeue=queue)
                elif time.monotonic() - w.started > _BOOT_TIMEOUT_S:
                    raise RuntimeError(f"a verifier worker did not start within {_BOOT_TIMEOUT_S:g} s "
                                       f"(target {self.target}); is the machine out of memory?")
            for w in list(self._workers):
                feed(w)
            # every worker has its fill: produce the next items while they work
            lookahead = not exhausted and len(queue) < LOOKAHEAD
            if lookahead:
                pull()
            busy = [w for w in self._workers if w.inflight]
            booting = [w for w in self._workers if not w.ready]
            if not busy:
                if booting:
                    wait([w.conn for w in booting], timeout=0.0 if lookahead else 0.5)
                continue
            now = time.monotonic()
            wait_s = max(0.0, min(w.deadline for w in busy) - now)
            if self.memory_mb:
                wait_s = min(wait_s, 0.1)          # poll resident memory while items run
            if booting:
                wait_s = min(wait_s, 0.1)
            if lookahead:
                wait_s = 0.0
            ready = wait([w.conn for w in busy], timeout=wait_s)

            for w in list(busy):
                if w.conn in ready:
                    # drain every result that has arrived, then refill the pipe
                    while w.inflight and w.conn.poll():
                        try:
                            task_id, status, value, detail = w.conn.recv()
                        except (EOFError, OSError):
                            w.proc.join(timeout=5)
                            finish(w, Outcome(ERROR, None, f"worker died (exit code {w.proc.exitcode})"), True)
                            break
                        if task_id != w.inflight[0][0]:       # cannot happen: items run in order
                            finish(w, Outcome(ERROR, None, "worker protocol error"), True)
                            break
                        w.done += 1
                        # After a MemoryError the worker's heap may be in a bad state: replace it.
                        memory = status == ERROR and (detail or "").startswith("memory")
                        finish(w, Outcome(status, value, detail),
                               memory or not w.proc.is_alive() or w.done >= self.max_tasks)
                        if memory or w not in self._workers:
                            break
                elif self.memory_mb and _rss_mb(w.proc.pid) > self.memory_mb:
                    finish(w, Outcome(ERROR, None, f"memory limit of {self.memory_mb} MB exceeded; worker killed"),
                           True)
                elif time.monotonic() >= w.deadline:
                    finish(w, Outcome(TIMEOUT, None, f"no result within {self.timeout_s:g} s; worker killed"), True)
            for w in list(self._workers):
                feed(w)
        return results  # type: ignore[return-value]

    def close(self) -> None:
        for w in self._workers:
            try:
                w.conn.send(None)
            except Exception:
                pass
        for w in self._workers:
            w.proc.join(timeout=1)
            if w.proc.is_alive():
                w.kill()
            else:
                w.conn.close()
        self._workers = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
