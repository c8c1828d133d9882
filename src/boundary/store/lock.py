"""The run lock: at most one driver plans and writes a run at a time, on any host.

Two drivers on one run directory (a user starts ``boundary run`` twice, or on two machines that share
the directory) would plan the same missing units and both sweep temporaries. The driver of a stage
therefore holds ``RUN/.lock`` while the stage runs: a small JSON file (host, process id, the process's
start time, the command, when it was taken) created with ``O_EXCL``, whose modification time is a
heartbeat refreshed every ``HEARTBEAT_S`` seconds by a daemon thread.

A lock whose holder is gone is taken over: at once on the same host (its process is not running,
or another process now has its id), and after ``STALE_AFTER_S`` seconds without a heartbeat when it
was taken on another host (process ids mean nothing across hosts; the run directory is on shared
storage). Within one process the lock is re-entrant (``boundary run`` holds it for every stage).
Workers (Ray tasks and actors) never take it: the driver holds it for them.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from boundary.errors import StoreError

LOCK_FILE = ".lock"
HEARTBEAT_S = 15.0
STALE_AFTER_S = 120.0
"""A lock taken on another host is stale after this long without a heartbeat (8 missed beats)."""


class RunLockedError(StoreError):
    """Another live process drives this run."""


_HOST = socket.gethostname()
_held: dict[str, list] = {}            # resolved lock path -> [count, stop event, thread]
_guard = threading.Lock()


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused process id apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_time(pid)
    return started is None or now is None or now == started


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}                                   # being written, or damaged: judged by its age alone


def holder(run_path: str | os.PathLike) -> dict | None:
    """Who holds the lock of a run (its JSON, plus ``age_s`` since the last heartbeat), or None."""
    path = Path(run_path) / LOCK_FILE
    info = _read(path)
    if info is None:
        return None
    try:
        info["age_s"] = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    return info


def _stale(info: dict, age_s: float, stale_after_s: float) -> bool:
    if info.get("host") == _HOST and isinstance(info.get("pid"), int):
        return not _alive(info["pid"], info.get("pid_start"))
    return age_s > stale_after_s


def _beat(path: Path, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            os.utime(path)
        except OSError:                             # removed under us: nothing to refresh
            return


@contextmanager
def run_lock(run_path: str | os.PathLike, what: str, *, stale_after_s: float = STALE_AFTER_S,
             heartbeat_s: float = HEARTBEAT_S) -> Iterator[None]:
    """Hold the run's lock while the block runs (re-entrant within a process); see the module docstring.

    Raises :class:`RunLockedError`, naming the holder, when another live process holds it."""
    path = Path(run_path).resolve() / LOCK_FILE
    key = str(path)
    with _guard:
        if key in _held:
            _held[key][0] += 1
        else:
            _acquire(path, what, stale_after_s)
            stop = threading.Event()
            t = threading.Thread(target=_beat, args=(path, stop, heartbeat_s), name="boundary-run-lock", daemon=True)
            t.start()
            _held[key] = [1, stop, t]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[0] -= 1
            if entry[0] == 0:
                del _held[key]
                entry[1].set()
                info = _read(path)
                if info is not None and info.get("pid") == os.getpid() and info.get("host") == _HOST:
                    path.unlink(missing_ok=True)


def _acquire(path: Path, what: str, stale_after_s: float) -> None:
    me = {"host": _HOST, "pid": os.getpid(), "pid_start": _start_time(os.getpid()), "command": what,
          "taken": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for _ in range(5):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            info = _read(path)
            if info is None:
                continue                            # released meanwhile: try again
            try:
                age = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if not _stale(info, age, stale_after_s):
                who = f"{info.get('command', '?')} on host {info.get('host', '?')}, pid {info.get('pid', '?')}"
                raise RunLockedError(
                    f"{path.parent}: another boundary process is driving this run ({who}, since "
                    f"{info.get('taken', '?')}; last heartbeat {age:.0f} s ago). Two drivers would plan the same "
                    f"work: wait for it to finish or stop it. A lock whose process is gone is taken over at once "
                    f"on its host, and after {stale_after_s:.0f} s without a heartbeat from another host; "
                    f"delete {path} only if you are sure no driver runs.") from None
            # stale: move it aside (only one taker's rename succeeds), then check it was the one judged
            aside = path.with_name(f"{LOCK_FILE}.stale.{uuid.uuid4().hex[:8]}")
            try:
                os.rename(path, aside)
            except FileNotFoundError:
                continue
            moved = _read(aside)
            if moved is not None and moved != info:  # a fresh lock taken meanwhile: put it back
                try:
                    os.link(aside, path)
                except FileExistsError:
                    pass
            aside.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
            f.flush()
            os.fsync(f.fileno())
        return
    raise RunLockedError(f"{path.parent}: could not take the run's lock {path} after 5 attempts (other processes "
                         "keep taking it); retry, or check which boundary processes use this run.")


__all__ = ["run_lock", "holder", "RunLockedError", "LOCK_FILE", "STALE_AFTER_S", "HEARTBEAT_S"]
