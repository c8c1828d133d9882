"""Parent-side handle of one sandbox worker (a zygote process running ``_zygote.py``).

The boundary process never runs candidate code: it starts zygotes with a scrubbed environment in
a session of their own and exchanges length-prefixed ``marshal`` frames with them. What a zygote
does per program (fork, rlimits, setuid, namespaces, kill and reap) is described in
``_zygote.py``; here live the process management, the startup handshake and the last-resort
cleanup when a zygote must be killed.

Isolation levels (the ``isolation`` string a zygote reports, recorded in every verifier name):

- ``setuid+netns+private-tmp+rlimits+subreaper`` (root): each program runs under a uid of its own
  (``RLIMIT_NPROC`` enforced, cannot touch root-owned files or signal the harness; every leftover
  process is killed by uid), without network, with private ``/tmp`` ``/dev/shm`` ``/var/tmp``;
- ``netns+private-tmp+rlimits+subreaper`` (non-root, user namespaces allowed);
- ``rlimits+subreaper``: rlimits, a new session and a descendant sweep only.
"""

from __future__ import annotations

import json
import marshal
import os
import select
import signal
import site
import struct
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

ZYGOTE_PATH = Path(__file__).with_name("_zygote.py")

#: Environment of the zygote and of every program (nothing of the caller's leaks through).
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONIOENCODING": "utf-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


class SandboxError(RuntimeError):
    """The zygote died, hung or broke the protocol."""


def site_paths() -> list[str]:
    """Where the candidate may import third-party packages from (numpy etc.), without .pth hooks."""
    paths = []
    try:
        paths += site.getsitepackages()
    except Exception:
        pass
    return [p for p in dict.fromkeys(paths) if os.path.isdir(p)]


class Zygote:
    """One worker: a long-lived zygote process that forks a sandboxed child per program."""

    def __init__(self, config: dict[str, Any], python: str | None = None, startup_timeout: float = 60.0):
        self.config = config
        cmd = [python or sys.executable, "-s", "-S", "-P", "-B", str(ZYGOTE_PATH), json.dumps(config)]
        stderr = None if os.environ.get("BOUNDARY_SANDBOX_DEBUG") else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                     env=dict(BASE_ENV), start_new_session=True, close_fds=True, cwd="/")
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are PIPEs
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self.loaded: OrderedDict[str, int] = OrderedDict()
        self.loaded_bytes = 0
        self.jobs_done = 0
        try:
            ready = self.recv(startup_timeout)
        except SandboxError:
            self.kill()
            raise
        if ready.get("op") != "ready":
            self.kill()
            raise SandboxError(f"unexpected first message from the sandbox: {ready!r}")
        self.isolation: str = ready["isolation"]
        self.notes: list[str] = list(ready.get("notes", []))
        self.uid: int | None = ready.get("uid")
        self.harness: str = ready.get("harness", "?")

    # ------------------------------------------------------------------------------- protocol
    def send(self, obj: Any) -> None:
        data = marshal.dumps(obj)
        try:
            os.write(self._in, struct.pack(">Q", len(data)))
            view = memoryview(data)
            while view:
                view = view[os.write(self._in, view):]
        except (BrokenPipeError, OSError) as e:
            raise SandboxError(f"sandbox worker gone: {e}") from e

    def _read_exact(self, n: int, deadline: float) -> bytes:
        chunks = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError("sandbox worker did not answer in time")
            r, _, _ = select.select([self._out], [], [], left)
            if not r:
                continue
            b = os.read(self._out, min(n, 1 << 20))
            if not b:
                raise SandboxError(f"sandbox worker exited (code {self.proc.poll()})")
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def recv(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        (n,) = struct.unpack(">Q", self._read_exact(8, deadline))
        try:
            return marshal.loads(self._read_exact(n, deadline))
        except (ValueError, EOFError, TypeError) as e:
            raise SandboxError(f"bad message from the sandbox worker: {e}") from e

    def fileno(self) -> int:
        return self._out

    def ensure_problem(self, key: str, data: dict, cache_bytes: int) -> None:
        if key in self.loaded:
            self.loaded.move_to_end(key)
            return
        size = len(marshal.dumps(data))
        while self.loaded and self.loaded_bytes + size > cache_bytes:
            old, n = self.loaded.popitem(last=False)
            self.loaded_bytes -= n
            self.send({"op": "drop", "key": old})
        self.send({"op": "problem", "key": key, "data": data})
        self.loaded[key] = size
        self.loaded_bytes += size

    # ------------------------------------------------------------------------------- lifecycle
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive():
            try:
                self.send({"op": "exit"})
                self.proc.wait(timeout=5)
            except (SandboxError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def kill(self) -> None:
        """Kill the zygote and anything its jobs left behind; reap it."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                if f is not None:
                    f.close()
            except Exception:
                pass
        uid = getattr(self, "uid", None)
        if uid is not None:
            kill_uid(uid)


_KILL_UID = ("import os,signal,sys\nu=int(sys.argv[1])\nos.setgroups([]);os.setresgid(u,u,u);os.setresuid(u,u,u)\n"
             "for s in (signal.SIGSTOP,signal.SIGKILL,signal.SIGKILL):\n"
             "  try: os.kill(-1,s)\n  except ProcessLookupError: break\n")


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (a job uid of a dead zygote), from a helper process."""
    try:
        subprocess.run([sys.executable, "-s", "-S", "-c", _KILL_UID, str(uid)], env=dict(BASE_ENV),
                       timeout=10, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception:
        pass


def probe_isolation(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start one zygote, report what isolation it got (``isolation``, ``notes``, ``uid``), stop it."""
    z = Zygote(dict(config or {}))
    try:
        return {"isolation": z.isolation, "notes": z.notes, "uid": z.uid, "harness": z.harness}
    finally:
        z.close()
