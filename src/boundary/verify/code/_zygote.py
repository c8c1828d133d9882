"""The sandbox zygote: a small stdlib-only server that runs untrusted programs, one child each.

Started by ``boundary.verify.code.sandbox`` as ``python -s -S -P _zygote.py CONFIG_JSON`` in a
new session with a scrubbed environment, never imported by the boundary process. It talks to its
parent over two pipes (fd 0 in, fd 1 out; 8-byte length + ``marshal`` frames) and handles one job
at a time:

    problem data (inputs, expected outputs, CPU budgets) ──► kept in memory, keyed
    run(job, problem key, program) ──► fork a child per program (per test for stdin/stdout):
        child: setsid, stdin/stdout/stderr redirected, cwd = a fresh job directory,
               rlimits (CPU, AS, FSIZE, NOFILE, NPROC, CORE, STACK), setuid to a uid of its own
               (when root), no_new_privs, parent-death signal, then the test harness in-process
        zygote: waits on a pidfd; kills on idle (blocked, not runnable) time or a hard wall limit;
                wait4 → CPU time; then kills every process left of the job (the job's uid, or
                every descendant: the zygote is a child subreaper) and reaps them all
    ──► outcome: pass / fail / time_limit / runtime_error / compile_error / memory /
                 output_limit / sandbox

The isolation it could set up is reported in its first message (``ready``).
"""

import builtins
import ctypes
import errno
import io
import json
import marshal
import os
import resource
import select
import shutil
import signal
import struct
import sys
import time

HARNESS_VERSION = "zygote/1"
_LIBC = None
_MAX_DETAIL = 400
_MAX_RESULT = 1 << 20


def libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


# ------------------------------------------------------------------------------------ protocol
def read_exact(fd, n):
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def recv(fd):
    (n,) = struct.unpack(">Q", read_exact(fd, 8))
    return marshal.loads(read_exact(fd, n))


def send(fd, obj):
    data = marshal.dumps(obj)
    data = struct.pack(">Q", len(data)) + data
    view = memoryview(data)
    while view:
        k = os.write(fd, view)
        view = view[k:]


# ------------------------------------------------------------------------------------ isolation
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38


def _unshare(flags):
    if libc().unshare(flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def _mount(src, target, fstype, flags, data):
    r = libc().mount(src and src.encode(), target.encode(), fstype and fstype.encode(), ctypes.c_ulong(flags),
                     data and data.encode())
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {target}: {os.strerror(e)}")


MS_BIND, MS_REMOUNT, MS_RDONLY, MNT_DETACH = 4096, 32, 1, 2


def _blocked_ancestor(path):
    """The first ancestor directory of ``path`` that other users cannot traverse, or None."""
    cur = "/"
    for part in os.path.normpath(path).split("/")[1:]:
        cur = os.path.join(cur, part)
        try:
            st = os.stat(cur)
        except OSError:
            return None
        if not st.st_mode & 0o001:
            return cur
    return None


def expose_paths(paths):
    """Make ``paths`` (the interpreter's stdlib, site-packages) readable to the job uid when an
    ancestor (e.g. ``/root``, mode 700) is not: in this mount namespace only, a tmpfs hides the
    ancestor and the needed directories are bind-mounted back, read-only. Nothing on the host
    changes, and the rest of the ancestor (e.g. root's home) becomes invisible to programs."""
    notes, groups = [], {}
    for p in dict.fromkeys(os.path.realpath(p) for p in paths if p and os.path.isdir(p)):
        b = _blocked_ancestor(p)
        if b:
            groups.setdefault(b, []).append(p)
    for i, (blocked, needed) in enumerate(groups.items()):
        needed = [p for p in needed if not any(p != q and p.startswith(q + "/") for q in needed)]
        stages = []
        try:
            for j, p in enumerate(needed):
                st = f"/tmp/.boundary-stage-{i}-{j}"
                os.mkdir(st)
                _mount(p, st, None, MS_BIND | MS_REC, None)
                stages.append((st, p))
            _mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            for st, p in stages:
                os.makedirs(p, mode=0o755, exist_ok=True)
                _mount(st, p, None, MS_BIND | MS_REC, None)
                try:
                    _mount(None, p, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
                except OSError:
                    pass
            _mount(None, blocked, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            notes.append(f"{blocked} hidden; exposed read-only: {', '.join(needed)}")
        except OSError as e:
            notes.append(f"could not expose {needed}: {e}")
        finally:
            for st, _ in stages:
                libc().umount2(st.encode(), MNT_DETACH)
                try:
                    os.rmdir(st)
                except OSError:
                    pass
    return notes


def setup_isolation(cfg):
    """Namespaces and identity for this zygote; returns (level parts, notes, job uid or None)."""
    parts, notes = [], []
    mode = cfg.get("isolation", "auto")
    root = os.geteuid() == 0
    use_uid = root and mode in ("auto", "setuid")
    uid = None
    if use_uid:
        uid = int(cfg.get("uid_base", 0x7A000000)) + os.getpid()
        parts.append("setuid")
    if mode in ("auto", "setuid") and cfg.get("namespaces", True):
        flags = CLONE_NEWNET | CLONE_NEWNS
        if not root:
            flags |= CLONE_NEWUSER
        try:
            real_uid, real_gid = os.getuid(), os.getgid()
            _unshare(flags)
            if not root:
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"{real_uid} {real_uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"{real_gid} {real_gid} 1")
            parts.append("netns")
            try:
                _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
                for d in ("/tmp", "/dev/shm", "/var/tmp"):
                    if os.path.isdir(d):
                        _mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV,
                               f"size={int(cfg.get('tmpfs_mb', 1024))}m,mode=1777")
                parts.append("private-tmp")
                if uid is not None:
                    notes.extend(expose_paths([sys.base_prefix, sys.prefix] + list(cfg.get("site_paths", []))))
            except OSError as e:
                notes.append(f"private /tmp unavailable: {e}")
        except OSError as e:
            notes.append(f"namespaces unavailable: {e}")
    if uid is not None and "private-tmp" not in parts and _blocked_ancestor(sys.base_prefix):
        # Without a mount namespace the job uid could not read the interpreter's stdlib.
        uid = None
        parts.remove("setuid")
        notes.append(f"setuid disabled: {sys.base_prefix} is not readable by other users")
    parts.append("rlimits")
    try:
        if libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0:
            parts.append("subreaper")
    except Exception as e:  # pragma: no cover
        notes.append(f"subreaper unavailable: {e}")
    return "+".join(parts), notes, uid


# ------------------------------------------------------------------------------------ child side
class TimeLimit(BaseException):
    pass


def _on_prof(signum, frame):
    raise TimeLimit()


def _short(e):
    s = f"{type(e).__name__}: {e}"
    return s[:_MAX_DETAIL]


def _is_float_like(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _flatten(x, out):
    if isinstance(x, (list, tuple)):
        for i in x:
            _flatten(i, out)
    else:
        out.append(x)
    return out


def _allclose(out, exp, atol, rtol=1e-07):
    """``numpy.allclose`` for (nested) lists of numbers, without numpy."""
    a, b = _flatten(out, []), _flatten(exp, [])
    if len(a) != len(b):
        if len(a) == 1:
            a = a * len(b)
        elif len(b) == 1:
            b = b * len(a)
        else:
            return False
    for x, y in zip(a, b):
        x, y = complex(x), complex(y)
        if x == y:
            continue
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


def _poly(xs, x):
    import math
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


def _surface_area(base_edge, height):
    import math
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _digit_distance_nums(num1, num2):
    s1, s2 = str(num1), str(num2)
    m = max(len(s1), len(s2))
    s1, s2 = s1.zfill(m), s2.zfill(m)
    return sum(abs(int(a) - int(b)) for a, b in zip(s1, s2))


def compare_functional(out, exp, inp, atol, oracle, exact_types=False):
    """EvalPlus's comparison (``evalplus.eval.unsafe_execute``, Apache-2.0), numpy-free."""
    if oracle == "find_zero":
        return abs(_poly(*inp, out)) <= atol
    if oracle == "lcb":
        if isinstance(out, tuple):
            out = list(out)
        return out == exp
    exact = out == exp
    if oracle == "are_equivalent":
        exact = True
    elif oracle == "sum_div":
        exact = exact or out == 0
    elif oracle == "surface_Area":
        exact = exact or abs(out - _surface_area(*inp)) <= atol
    elif oracle == "digit_distance_nums":
        exact = exact or out == _digit_distance_nums(*inp)
    elif oracle == "set_eq":
        exact = set(out) == set(exp)
    elif oracle == "not_none":
        exact = (out == exp) if isinstance(out, bool) else (exp == (out is not None))
    if atol == 0 and _is_float_like(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) is not type(exp):
            return False
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False
        return _allclose(out, exp, atol)
    return bool(exact)


def _plain(x):
    """Builtin equivalents of container/number subclasses (Counter, namedtuple, ...) for marshal;
    they compare equal to the originals."""
    if isinstance(x, dict):
        return {_plain(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(i) for i in x]
    if isinstance(x, tuple):
        return tuple(_plain(i) for i in x)
    if isinstance(x, frozenset):
        return frozenset(_plain(i) for i in x)
    if isinstance(x, set):
        return {_plain(i) for i in x}
    for t in (bool, int, float, complex, str, bytes):
        if isinstance(x, t):
            return t(x)
    return x


def test_name(P, i):
    for label, start, count in P["segments"]:
        if start <= i < start + count:
            return f"{label}[{i - start}]"
    return f"test[{i}]"


def _std_streams():
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8",
                                 errors="replace")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8",
                                  errors="replace", write_through=False)
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8",
                                  errors="replace", write_through=True)
    # typeshed declares these Final; the child rebinds them on purpose so programs see one set of streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]


def _prepare_globals(name):
    return {"__name__": name, "__builtins__": builtins, "__file__": "<candidate>"}


def harness_functional(P, program, mode, site_paths):
    """Runs inside the child: the candidate and its tests, fail-fast. Returns the result dict."""
    calibrate = mode == "calibrate"
    sys.path.extend(site_paths)
    signal.signal(signal.SIGPROF, _on_prof)
    _std_streams()
    g = _prepare_globals("__candidate__")
    try:
        code = compile(program, "<candidate>", "exec")
    except MemoryError:
        return {"outcome": "memory", "detail": "MemoryError while compiling"}
    except BaseException as e:
        return {"outcome": "compile_error", "detail": _short(e)}
    try:
        if P.get("prelude"):
            exec(compile(P["prelude"], "<prelude>", "exec"), g)
        exec(code, g)
        if P.get("cls"):
            fn = getattr(g[P["cls"]](), P["method"])
        else:
            fn = g[P["method"]]
    except TimeLimit:
        return {"outcome": "time_limit", "detail": "CPU budget exceeded while loading the program"}
    except MemoryError:
        return {"outcome": "memory", "detail": "MemoryError while loading the program"}
    except KeyError as e:
        return {"outcome": "runtime_error", "detail": f"entry point {e} not defined"}
    except BaseException as e:
        return {"outcome": "runtime_error", "detail": "while loading: " + _short(e)}
    inputs, expected = P["inputs"], P.get("expected")
    budgets = P.get("budgets")
    atol, oracle = P.get("atol", 0), P.get("oracle")
    times, outs = [], []
    total_budget = P.get("total")
    spent = 0.0
    import copy
    for i, inp in enumerate(inputs):
        if calibrate:
            inp_call = copy.deepcopy(inp)
        else:
            inp_call = inp
        budget = budgets[i] if budgets else P.get("calib_budget", 60.0)
        if total_budget is not None:
            budget = min(budget, max(0.001, total_budget - spent))
        t0 = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, budget, 0.05)
        try:
            out = fn(*inp_call)
        except TimeLimit:
            signal.setitimer(signal.ITIMER_PROF, 0)
            return {"outcome": "time_limit", "test": i,
                    "detail": f"{test_name(P, i)}: over the CPU budget of {budget:.3g} s"}
        except MemoryError:
            signal.setitimer(signal.ITIMER_PROF, 0)
            return {"outcome": "memory", "test": i, "detail": f"{test_name(P, i)}: MemoryError"}
        except BaseException as e:
            signal.setitimer(signal.ITIMER_PROF, 0)
            return {"outcome": "runtime_error", "test": i, "detail": f"{test_name(P, i)}: {_short(e)}"}
        signal.setitimer(signal.ITIMER_PROF, 0)
        dt = time.process_time() - t0
        spent += dt
        if dt > budget:
            return {"outcome": "time_limit", "test": i,
                    "detail": f"{test_name(P, i)}: over the CPU budget of {budget:.3g} s"}
        if calibrate:
            times.append(dt)
            if expected is None:
                outs.append((out is not None) if oracle == "not_none" else out)
                continue
        try:
            ok = compare_functional(out, expected[i], inp, atol, oracle)
        except BaseException:
            ok = False
        if not ok:
            return {"outcome": "fail", "test": i, "detail": f"{test_name(P, i)}: wrong output"}
    res = {"outcome": "pass"}
    if calibrate:
        res["times"] = times
        if expected is None:
            try:
                try:
                    blob = marshal.dumps(outs)
                except ValueError:
                    blob = marshal.dumps(_plain(outs))
                with open("calib.bin", "wb") as f:
                    f.write(blob)
            except ValueError as e:
                return {"outcome": "runtime_error", "detail": f"outputs not serializable: {e}"}
    return res


def harness_stdio(program, site_paths, prelude=None):
    """Runs inside the child: one stdin/stdout test (stdin/stdout already redirected)."""
    sys.path.extend(site_paths)
    signal.signal(signal.SIGPROF, _on_prof)
    _std_streams()
    try:
        code = compile(program, "<candidate>", "exec")
    except MemoryError:
        return {"outcome": "memory", "detail": "MemoryError while compiling"}
    except BaseException as e:
        return {"outcome": "compile_error", "detail": _short(e)}
    budget = float(os.environ.get("BOUNDARY_BUDGET", "6"))
    g = _prepare_globals("__main__")
    signal.setitimer(signal.ITIMER_PROF, budget, 0.05)
    res = {"outcome": "pass"}
    try:
        if prelude:
            exec(compile(prelude, "<prelude>", "exec"), g)
        exec(code, g)
    except SystemExit as e:
        if e.code not in (None, 0):
            res = {"outcome": "runtime_error", "detail": f"exit status {e.code!r}"[:_MAX_DETAIL]}
    except TimeLimit:
        res = {"outcome": "time_limit", "detail": f"over the CPU budget of {budget:.3g} s"}
    except MemoryError:
        res = {"outcome": "memory", "detail": "MemoryError"}
    except OSError as e:
        if e.errno == errno.EFBIG:
            res = {"outcome": "output_limit", "detail": "output file size limit exceeded"}
        else:
            res = {"outcome": "runtime_error", "detail": _short(e)}
    except BaseException as e:
        res = {"outcome": "runtime_error", "detail": _short(e)}
    signal.setitimer(signal.ITIMER_PROF, 0)
    try:
        sys.stdout.flush()
    except OSError as e:
        if e.errno == errno.EFBIG:
            res = {"outcome": "output_limit", "detail": "output file size limit exceeded"}
    except BaseException:
        pass
    return res


# ------------------------------------------------------------------------------------ zygote side
class Zygote:
    def __init__(self, cfg, fd_in, fd_out):
        self.cfg, self.fd_in, self.fd_out = cfg, fd_in, fd_out
        self.problems = {}
        self.level, self.notes, self.uid = setup_isolation(cfg)
        self.site_paths = list(cfg.get("site_paths", []))
        self.tmp = cfg.get("tmp_root") or "/tmp"
        self.has_pidfd = hasattr(os, "pidfd_open")
        self.schedstat = os.path.exists(f"/proc/{os.getpid()}/schedstat")
        self.seq = 0
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.clk = os.sysconf("SC_CLK_TCK")

    # -- one child -----------------------------------------------------------------------------
    def _limits(self, cpu_s, trusted=False):
        cfg = self.cfg
        with open("/proc/self/statm") as f:
            base = int(f.read().split()[0]) * self.page
        mem = int(cfg.get("memory_mb", 4096)) * 1024 * 1024
        cpu = int(cpu_s) + 1
        return [
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_AS, (base + mem, base + mem)),
            (resource.RLIMIT_FSIZE, ((int(cfg.get("fsize_mb", 64)) << (30 if trusted else 20)),) * 2),
            (resource.RLIMIT_NOFILE, (int(cfg.get("nofile", 64)),) * 2),
            (resource.RLIMIT_CORE, (0, 0)),
            (resource.RLIMIT_STACK, (256 << 20, 256 << 20)),
        ], cpu

    def _spawn(self, jobdir, stdin_path, stdout_path, cpu_s, target, env, trusted=False):
        """Fork a child that runs ``target()`` and writes its JSON result; return (pid, rfd, cpu limit)."""
        rlims, cpu_limit = self._limits(cpu_s, trusted)
        r, w = os.pipe()
        nproc = int(self.cfg.get("nproc", 64))
        pid = os.fork()
        if pid == 0:  # ---- child
            try:
                os.close(r)
                os.setsid()
                for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ):
                    signal.signal(s, signal.SIG_DFL)
                signal.signal(signal.SIGPIPE, signal.SIG_IGN)
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                fd0 = os.open(stdin_path or "/dev/null", os.O_RDONLY)
                fd1 = os.open(stdout_path or "/dev/null",
                              os.O_WRONLY | (os.O_CREAT | os.O_TRUNC if stdout_path else 0), 0o600)
                fd2 = os.open(os.path.join(jobdir, ".stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(fd0, 0)
                os.dup2(fd1, 1)
                os.dup2(fd2, 2)
                if w != 3:
                    os.dup2(w, 3)
                os.closerange(4, 1 << 16)
                os.set_inheritable(3, True)
                os.chdir(jobdir)
                for k in list(os.environ):
                    del os.environ[k]
                os.environ.update(env)
                os.environ["HOME"] = jobdir
                os.environ["TMPDIR"] = jobdir
                for res_, lim in rlims:
                    try:
                        resource.setrlimit(res_, lim)
                    except (ValueError, OSError):
                        pass
                if self.uid is not None:
                    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
                    os.setgroups([])
                    os.setresgid(self.uid, self.uid, self.uid)
                    os.setresuid(self.uid, self.uid, self.uid)
                elif self.cfg.get("nproc_base") is not None:
                    n = int(self.cfg["nproc_base"]) + nproc
                    try:
                        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
                    except (ValueError, OSError):
                        pass
                libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
                libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            except BaseException as e:
                res = {"outcome": "sandbox", "detail": "child setup failed: " + _short(e)}
            else:
                try:
                    res = target()
                except TimeLimit:
                    res = {"outcome": "time_limit", "detail": "over the CPU budget"}
                except MemoryError:
                    res = {"outcome": "memory", "detail": "MemoryError"}
                except BaseException as e:
                    res = {"outcome": "runtime_error", "detail": "harness: " + _short(e)}
            try:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.signal(signal.SIGPROF, signal.SIG_IGN)
            except BaseException:
                pass
            try:
                data = json.dumps(res, default=repr).encode()
                view = memoryview(data)
                while view:
                    view = view[os.write(3, view):]
            finally:
                os._exit(0)
        os.close(w)
        return pid, r, cpu_limit

    def _proc_times(self, pid):
        """(cpu seconds, runnable-waiting seconds) of a live process, from /proc."""
        try:
            if self.schedstat:
                with open(f"/proc/{pid}/schedstat") as f:
                    run, wait, _ = f.read().split()
                return int(run) / 1e9, int(wait) / 1e9
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.clk, 0.0
        except (OSError, ValueError):
            return 0.0, 0.0

    def _wait(self, pid, rfd, cpu_limit):
        """Wait for the child with the idle and wall backstops; returns (status, rusage, data, kill)."""
        idle_limit = float(self.cfg.get("idle_s", 5.0))
        hard_wall = float(self.cfg.get("wall_factor", 10.0)) * cpu_limit + float(self.cfg.get("wall_slack", 30.0))
        t0 = time.monotonic()
        data = bytearray()
        os.set_blocking(rfd, False)
        pidfd = os.pidfd_open(pid) if self.has_pidfd else None
        killed = None
        rfd_open = True
        next_tree_check = 1.0
        try:
            while True:
                fds = [pidfd] if pidfd is not None else []
                if rfd_open:
                    fds.append(rfd)
                timeout = 0.1 if pidfd is not None else 0.005
                ready, _, _ = select.select(fds, [], [], timeout)
                if rfd in ready:
                    try:
                        chunk = os.read(rfd, 65536)
                    except BlockingIOError:
                        chunk = b"x"
                    if not chunk:
                        rfd_open = False
                    elif len(data) < _MAX_RESULT:
                        data += chunk
                wpid, status, ru = os.wait4(pid, os.WNOHANG)
                if wpid == pid:
                    break
                wall = time.monotonic() - t0
                if killed is None and wall > min(idle_limit, 1.0):
                    cpu, waiting = self._proc_times(pid)
                    if wall - cpu - waiting > idle_limit:
                        killed = "idle"
                    elif wall > hard_wall:
                        killed = "wall"
                    elif wall > next_tree_check:
                        next_tree_check = wall + 0.5
                        if self._tree_cpu() > cpu_limit + 1:
                            killed = "cpu_tree"
                    if killed:
                        os.kill(pid, signal.SIGKILL)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        while rfd_open:
            try:
                chunk = os.read(rfd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            if len(data) < _MAX_RESULT:
                data += chunk
        os.close(rfd)
        return status, ru, bytes(data), killed, time.monotonic() - t0

    def _tree_cpu(self):
        """CPU seconds of every live process of the job (all descendants of the zygote)."""
        total = 0
        for p in self._descendants(os.getpid()):
            try:
                with open(f"/proc/{p}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                pass
        return total / self.clk

    def _kill_job_processes(self):
        """Kill and reap every process the job left behind. Returns True when none survive."""
        # Fast path: every descendant of the (reaped) job child is now our child (we are a
        # subreaper), so having no children at all means nothing of the job survives.
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return True
        deadline = time.monotonic() + 10.0
        rounds = 0
        while True:
            self._kill_round()
            rounds += 1
            # Reap: every descendant ends up our child (we are a subreaper).
            t_end = time.monotonic() + 0.05
            while True:
                try:
                    wpid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    return True
                if wpid == 0:
                    if time.monotonic() > t_end:
                        break
                    time.sleep(0.0005)
            if time.monotonic() > deadline:
                return False

    def _kill_round(self):
        if self.uid is not None:
            pid = os.fork()
            if pid == 0:
                try:
                    os.setresgid(self.uid, self.uid, self.uid)
                    os.setresuid(self.uid, self.uid, self.uid)
                    for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGKILL):
                        try:
                            os.kill(-1, sig)
                        except ProcessLookupError:
                            break
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        else:
            me = os.getpid()
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                for p in self._descendants(me):
                    try:
                        os.kill(p, sig)
                    except ProcessLookupError:
                        pass

    @staticmethod
    def _descendants(root):
        parent = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as f:
                    parent[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
        out, frontier = [], [root]
        children = {}
        for p, pp in parent.items():
            children.setdefault(pp, []).append(p)
        while frontier:
            nxt = []
            for p in frontier:
                for c in children.get(p, ()):
                    out.append(c)
                    nxt.append(c)
            frontier = nxt
        return out

    def _new_jobdir(self):
        self.seq += 1
        d = os.path.join(self.tmp, f"boundary-job-{os.getpid()}-{self.seq}")
        os.mkdir(d, 0o700)
        if self.uid is not None:
            os.chown(d, self.uid, self.uid)
        return d

    def _cleanup_tmp(self, jobdir):
        shutil.rmtree(jobdir, ignore_errors=True)
        if "private-tmp" in self.level:
            for d in ("/tmp", "/dev/shm", "/var/tmp"):
                try:
                    for e in os.scandir(d):
                        if e.is_dir(follow_symlinks=False):
                            shutil.rmtree(e.path, ignore_errors=True)
                        else:
                            try:
                                os.unlink(e.path)
                            except OSError:
                                pass
                except OSError:
                    pass

    def run_child(self, jobdir, target, cpu_s, stdin_path=None, stdout_path=None, env=None, trusted=False):
        """One sandboxed child; returns the classified result dict (plus cpu_s, wall_s, maxrss_kb)."""
        env = dict(self.cfg.get("env", {}), **(env or {}))
        try:
            pid, rfd, cpu_limit = self._spawn(jobdir, stdin_path, stdout_path, cpu_s, target, env, trusted)
        except OSError as e:
            return {"outcome": "sandbox", "detail": f"fork failed: {e}"}
        status, ru, data, killed, wall = self._wait(pid, rfd, cpu_limit)
        clean = self._kill_job_processes()
        cpu = ru.ru_utime + ru.ru_stime
        res = None
        if data:
            try:
                res = json.loads(data.decode("utf-8", "replace"))
                if not isinstance(res, dict) or not isinstance(res.get("outcome"), str):
                    res = None
            except ValueError:
                res = None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        if killed == "cpu_tree":
            res = {"outcome": "time_limit", "detail": f"over the CPU limit of {cpu_limit} s (all processes)",
                   "timeout_kind": "cpu"}
        elif killed:
            res = {"outcome": "time_limit",
                   "detail": f"killed: {'blocked (not running) for' if killed == 'idle' else 'wall clock over'} "
                             f"{self.cfg.get('idle_s', 5.0) if killed == 'idle' else round(wall, 1)} s"}
            res["timeout_kind"] = killed
        elif sig is not None and (sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit - 0.1)):
            res = {"outcome": "time_limit", "detail": f"over the CPU limit of {cpu_limit} s",
                   "timeout_kind": "cpu"}
        elif res is None:
            tail = self._stderr_tail(jobdir)
            if "MemoryError" in tail or "Cannot allocate memory" in tail:
                res = {"outcome": "memory", "detail": "out of memory: " + tail[-200:]}
            elif sig is not None:
                res = {"outcome": "runtime_error", "detail": f"killed by signal {sig} ({signal.Signals(sig).name})"}
            else:
                code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
                res = {"outcome": "runtime_error",
                       "detail": f"exited (status {code}) without a result. {tail[-200:]}".strip()}
        res["cpu_s"], res["wall_s"], res["maxrss_kb"] = cpu, wall, ru.ru_maxrss
        if not clean:
            res = {"outcome": "sandbox", "detail": "could not kill every process of the job"}
            res["taint"] = True
        return res

    @staticmethod
    def _stderr_tail(jobdir):
        try:
            with open(os.path.join(jobdir, ".stderr"), "rb") as f:
                f.seek(0, 2)
                n = f.tell()
                f.seek(max(0, n - 2000))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- jobs ----------------------------------------------------------------------------------
    def run_job(self, msg):
        P = self.problems.get(msg["problem"])
        if P is None:
            return {"outcome": "sandbox", "detail": f"problem {msg['problem']} not loaded"}
        program, mode = msg["program"], msg.get("mode", "test")
        jobdir = self._new_jobdir()
        try:
            if P["kind"] == "functional":
                return self._job_functional(P, program, mode, jobdir)
            return self._job_stdio(P, program, mode, jobdir)
        finally:
            self._cleanup_tmp(jobdir)

    def _job_functional(self, P, program, mode, jobdir):
        if mode == "calibrate":
            cpu = P.get("calib_total", 600.0)
        else:
            cpu = P["total"] + P.get("overhead", 1.0)
        site = self.site_paths
        res = self.run_child(jobdir, lambda: harness_functional(P, program, mode, site), cpu,
                             trusted=mode == "calibrate")
        if mode == "calibrate" and res.get("outcome") == "pass" and P.get("expected") is None:
            try:
                with open(os.path.join(jobdir, "calib.bin"), "rb") as f:
                    res["outputs"] = f.read()
            except OSError as e:
                res = {"outcome": "sandbox", "detail": f"calibration outputs missing: {e}"}
        return res

    def _job_stdio(self, P, program, mode, jobdir):
        calibrate = mode == "calibrate"
        site = self.site_paths
        times, total_cpu, total_wall, maxrss = [], 0.0, 0.0, 0
        spent = 0.0
        inp_path = os.path.join(jobdir, ".stdin")
        out_path = os.path.join(jobdir, ".stdout")
        limit = int(self.cfg.get("fsize_mb", 64)) << 20
        for i, (tin, tout) in enumerate(zip(P["inputs"], P["outputs"])):
            with open(inp_path, "w", encoding="utf-8") as f:
                f.write(tin)
            os.chmod(inp_path, 0o644)
            budget = P["budgets"][i] if (P.get("budgets") and not calibrate) else P.get("calib_budget", 60.0)
            if P.get("total") is not None and not calibrate:
                budget = min(budget, max(0.001, P["total"] - spent))
            env = {"BOUNDARY_BUDGET": repr(budget)}
            res = self.run_child(jobdir, lambda: harness_stdio(program, site, P.get("prelude")),
                                 budget + P.get("overhead", 1.0), stdin_path=inp_path, stdout_path=out_path, env=env)
            total_cpu += res.get("cpu_s", 0.0)
            total_wall += res.get("wall_s", 0.0)
            maxrss = max(maxrss, res.get("maxrss_kb", 0))
            spent += res.get("cpu_s", 0.0)
            if res["outcome"] == "pass" and res.get("cpu_s", 0.0) > budget + P.get("overhead", 1.0):
                res = {"outcome": "time_limit", "detail": f"over the CPU budget of {budget:.3g} s",
                       "timeout_kind": "cpu"}
            if res["outcome"] != "pass":
                res["test"] = i
                if res.get("detail"):
                    res["detail"] = f"{test_name(P, i)}: {res['detail']}"
                res["cpu_s"], res["wall_s"], res["maxrss_kb"] = total_cpu, total_wall, maxrss
                return res
            try:
                with open(out_path, "rb") as f:
                    got = f.read(limit + 1).decode("utf-8", "replace")
            except OSError:
                got = ""
            times.append(res.get("cpu_s", 0.0))
            if not compare_stdio(got, tout):
                return {"outcome": "fail", "test": i, "detail": f"{test_name(P, i)}: wrong output",
                        "cpu_s": total_cpu, "wall_s": total_wall, "maxrss_kb": maxrss}
        res = {"outcome": "pass", "cpu_s": total_cpu, "wall_s": total_wall, "maxrss_kb": maxrss}
        if calibrate:
            res["times"] = times
        return res

    def serve(self):
        send(self.fd_out, {"op": "ready", "isolation": self.level, "notes": self.notes, "uid": self.uid,
                           "pid": os.getpid(), "harness": HARNESS_VERSION, "schedstat": self.schedstat})
        while True:
            try:
                msg = recv(self.fd_in)
            except EOFError:
                return
            op = msg.get("op")
            if op == "exit":
                return
            if op == "problem":
                self.problems[msg["key"]] = msg["data"]
                continue
            if op == "drop":
                self.problems.pop(msg["key"], None)
                continue
            if op == "run":
                try:
                    res = self.run_job(msg)
                except Exception as e:
                    res = {"outcome": "sandbox", "detail": "zygote error: " + _short(e)}
                res["job"] = msg["job"]
                send(self.fd_out, res)
                if res.get("taint"):
                    return
            elif op == "ping":
                send(self.fd_out, {"op": "pong"})


def _stripped_lines(s):
    return [line.strip() for line in s.strip().split("\n")]


def compare_stdio(got, expected):
    """LiveCodeBench's stdin/stdout check (``lcb_runner/evaluation/testing_util.py``, MIT):
    lines compared after stripping; a mismatching line may still match as a list of decimals."""
    a, b = _stripped_lines(got), _stripped_lines(expected)
    if len(a) != len(b):
        return False
    from decimal import Decimal, InvalidOperation
    for x, y in zip(a, b):
        if x == y:
            continue
        try:
            if [Decimal(t) for t in x.split()] != [Decimal(t) for t in y.split()]:
                return False
        except (InvalidOperation, ValueError):
            return False
    return True


#: Imported once by the zygote, so that children (and programs importing them) start warm.
PRELOAD = ("copy", "math", "decimal", "fractions", "collections", "itertools", "functools", "heapq",
           "bisect", "re", "string", "typing", "operator", "random", "statistics", "datetime", "array",
           "hashlib", "cmath", "numbers", "dataclasses", "enum", "abc", "io", "textwrap", "unicodedata")


def main():
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    import importlib
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    fd_in, fd_out = os.dup(0), os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    Zygote(cfg, fd_in, fd_out).serve()


if __name__ == "__main__":
    main()
