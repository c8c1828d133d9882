"""Code verification: run each generated program against its problem's tests in a sandbox.

For each sample::

    finish_reason == "length"      ──► truncated              (unless allow_truncated)
    extract_program(response)      ──► no_answer if none
    cache[(problem, normalized program)] ──► identical programs run once
    calibration of the problem (reference solution, same harness, cached on disk):
        expected outputs (EvalPlus) and CPU budgets per test = max(min_test_s, factor × t_ref)
    a sandbox worker forks a child for the program (``sandbox.py``, ``_zygote.py``):
        pass ─► correct ("pass")
        fail ─► wrong ("fail", first failing test) | time_limit | runtime_error | compile_error |
                memory | output_limit   (all "wrong": the program's fault, on CPU-time budgets)
        sandbox failure ─► retried on a fresh worker, then error ("sandbox"), never "wrong"

Verdicts are based on CPU time, so they do not change with the number of workers or the load of
the machine. The isolation level reached (``setuid+netns+private-tmp+...`` as root,
``rlimits+subreaper`` at least) is part of ``CodeVerifyConfig.verifier``.
"""

from __future__ import annotations

import atexit
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from boundary.verify.code.executor import (Executor, Job, budgets_from_times, calibration_key,
                                           default_cache_dir, load_calibration, save_calibration)
from boundary.verify.code.extract import extract_program, normalize_program
from boundary.verify.code.sandbox import probe_isolation, site_paths
from boundary.verify.verdict import Verdict

VERIFIER_VERSION = "boundary-code/1"
ISOLATIONS = ("auto", "setuid", "rlimit")
_MAX_STORED_PROGRAM = 20000
_WRONG_PATHS = ("fail", "time_limit", "runtime_error", "compile_error", "memory", "output_limit")


@dataclass(frozen=True)
class CodeVerifyConfig:
    """How code samples are verified. Defaults are the recommended settings."""

    workers: int | None = None
    """Sandbox workers (default: CPU count). Verdicts do not depend on it."""
    isolation: str = "auto"
    """``auto`` (setuid + namespaces when root, namespaces when permitted, rlimits always),
    ``setuid`` (same as auto) or ``rlimit`` (rlimits, sessions and a descendant sweep only)."""
    time_factor: float = 4.0
    """CPU budget per test = max(min_test_s, time_factor × the reference's CPU time) (EvalPlus: 4)."""
    min_test_s: float = 1.0
    """Floor of the per-test CPU budget (EvalPlus's ``min_time_limit``, but CPU time)."""
    min_total_s: float = 10.0
    """Floor of the whole program's CPU budget = max(min_total_s, time_factor × Σ t_ref)."""
    default_test_s: float = 6.0
    """Per-test CPU budget of a problem without a reference solution (LiveCodeBench: 6 s)."""
    overhead_s: float = 1.0
    """CPU allowance for the interpreter and loading the program, on top of the budgets."""
    idle_s: float = 5.0
    """Kill a program blocked (sleeping, waiting for input; not merely waiting for a CPU) this long."""
    wall_factor: float = 10.0
    wall_slack_s: float = 30.0
    """Hard wall-clock backstop per child: wall_factor × CPU limit + wall_slack_s."""
    memory_mb: int = 4096
    """Address-space limit of a program (``RLIMIT_AS``) beyond the harness's own."""
    fsize_mb: int = 64
    """Largest file (and stdout of a stdin/stdout program) a program may write."""
    nofile: int = 64
    nproc: int = 64
    """Processes/threads of one program (enforced per job uid when running as root)."""
    allow_truncated: bool = False
    """Run samples that hit the length limit (default: status ``truncated``)."""
    retries: int = 2
    """Retries of a job whose sandbox failed, each on a fresh worker."""
    calibration_cache: bool = True
    cache_dir: str | None = None
    """Calibration cache (default ``$XDG_CACHE_HOME/boundary/code-calibration``)."""
    site_packages: bool = True
    """Let programs import installed third-party packages (numpy, ...)."""

    def __post_init__(self):
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}, got {self.isolation!r}.")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}.")
        for name in ("time_factor", "min_test_s", "idle_s", "default_test_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}.")

    def zygote_config(self) -> dict[str, Any]:
        return {"isolation": self.isolation, "memory_mb": self.memory_mb, "fsize_mb": self.fsize_mb,
                "nofile": self.nofile, "nproc": self.nproc, "idle_s": self.idle_s,
                "wall_factor": self.wall_factor, "wall_slack": self.wall_slack_s,
                "site_paths": site_paths() if self.site_packages else [],
                "nproc_base": _count_own_processes() if os.geteuid() != 0 else None}

    @property
    def isolation_level(self) -> str:
        """What the sandbox achieves on this machine (starts one worker once per process)."""
        if self.isolation not in _LEVELS:
            _LEVELS[self.isolation] = probe_isolation({"isolation": self.isolation})["isolation"]
        return _LEVELS[self.isolation]

    @property
    def verifier(self) -> str:
        """The name recorded on every verdict: version, isolation level and budgets."""
        return (f"{VERIFIER_VERSION};isolation={self.isolation_level};cpu-budget={self.time_factor:g}x"
                f",min{self.min_test_s:g}s,total{self.min_total_s:g}s,default{self.default_test_s:g}s"
                f";mem={self.memory_mb}MB")


_LEVELS: dict[str, str] = {}


def _count_own_processes() -> int:
    uid, n = os.getuid(), 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    n += 1
            except OSError:
                pass
    return n


@dataclass(frozen=True)
class CodeItem:
    """One sample to verify."""

    response: str
    problem: Any
    """A ``boundary.tasks.problem.Problem`` with ``metadata["kind"] == "code"``."""
    finish_reason: str | None = None


def _as_item(x) -> CodeItem:
    if isinstance(x, CodeItem):
        return x
    if isinstance(x, Mapping):
        return CodeItem(x["response"], x["problem"], x.get("finish_reason"))
    if isinstance(x, tuple) and 2 <= len(x) <= 3:
        return CodeItem(*x)
    raise TypeError(f"cannot verify {type(x).__name__}: pass CodeItem, a dict with response/problem, "
                    "or a tuple (response, problem[, finish_reason]).")


# ------------------------------------------------------------------------------- problem → data
def _segments(meta: Mapping) -> list[tuple[str, int, int]]:
    out, start = [], 0
    for label, count in meta.get("segments") or [("test", len(meta["inputs"]))]:
        out.append((str(label), start, int(count)))
        start += int(count)
    return out


def problem_data(problem) -> dict:
    """The executor's view of a code problem (without budgets or expected outputs yet)."""
    meta = problem.metadata
    if meta.get("kind") != "code":
        raise ValueError(f"problem {problem.benchmark}/{problem.id} is not a code problem "
                         "(metadata['kind'] != 'code').")
    kind = meta.get("test_type", "functional")
    data: dict[str, Any] = {"kind": kind, "segments": _segments(meta), "inputs": list(meta["inputs"])}
    if kind == "functional":
        data.update(method=meta["entry_point"], cls=meta.get("class_name"), atol=float(meta.get("atol") or 0),
                    oracle=meta.get("oracle"), prelude=meta.get("prelude"),
                    expected=None if meta.get("outputs") is None else list(meta["outputs"]))
    elif kind == "stdio":
        data["outputs"] = list(meta["outputs"])
    else:
        raise ValueError(f"unknown test_type {kind!r} for {problem.benchmark}/{problem.id}.")
    return data


def _program_for(problem, program: str) -> str:
    """Completion fallback: a HumanEval-style body without its signature gets the prompt prepended."""
    meta = problem.metadata
    entry, head = meta.get("entry_point"), meta.get("prompt_code")
    if head and entry and meta.get("test_type", "functional") == "functional":
        if f"def {entry}" not in program and f"class {meta.get('class_name') or ''}" not in program:
            return head + program
    return program


@dataclass
class _Prepared:
    key: str
    data: dict | None
    cost: float
    error: str | None = None


class CodeVerifier:
    """Owns the sandbox workers, the calibrations and the program cache; build once, verify many."""

    def __init__(self, config: CodeVerifyConfig = CodeVerifyConfig()):
        self.config = config
        self._executor: Executor | None = None
        self._prepared: dict[tuple[str, str], _Prepared] = {}
        self.cache: dict[tuple, dict] = {}
        self.executions = 0
        """Distinct programs actually run (cache misses)."""
        self.calibrations = 0

    # --------------------------------------------------------------------------------- plumbing
    def _get_executor(self) -> Executor:
        if self._executor is None:
            self._executor = Executor(self.config.zygote_config(), workers=self.config.workers or os.cpu_count() or 1,
                                      retries=self.config.retries)
        return self._executor

    @property
    def isolation(self) -> str:
        ex = self._get_executor()
        level = ex.probe()
        _LEVELS.setdefault(self.config.isolation, level)
        return level

    @property
    def verifier(self) -> str:
        self.isolation  # noqa: B018 - the probe fills the level
        return self.config.verifier

    def _cache_dir(self):
        if not self.config.calibration_cache:
            return None
        return self.config.cache_dir or default_cache_dir()

    def prepare(self, problems: Iterable, progress: Callable[[int], None] | None = None) -> None:
        """Calibrate problems (reference solution → expected outputs, CPU budgets); cached."""
        cfg = self.config
        todo: list[tuple[Any, dict, str, str]] = []
        seen = set()
        for p in problems:
            ident = (p.benchmark, p.id)
            if ident in self._prepared or ident in seen:
                continue
            seen.add(ident)
            try:
                data = problem_data(p)
            except (KeyError, ValueError, TypeError) as e:
                self._prepared[ident] = _Prepared("", None, 0.0, f"bad problem: {e}")
                continue
            reference = p.reference if p.metadata.get("reference_runs", True) else ""
            n = len(data["inputs"])
            if not reference or not reference.strip():
                if data.get("kind") == "functional" and data.get("expected") is None:
                    self._prepared[ident] = _Prepared("", None, 0.0, "no expected outputs and no reference")
                    continue
                t = float(p.metadata.get("time_limit_s") or cfg.default_test_s)
                self._finish(ident, p, data, budgets=[t] * n, total=t * n)
                continue
            from boundary.verify.code._zygote import HARNESS_VERSION
            ckey = calibration_key(HARNESS_VERSION, data, reference)
            hit = load_calibration(self._cache_dir(), ckey)
            if hit is not None:
                self._apply_calibration(ident, p, data, hit)
            else:
                todo.append((p, data, reference, ckey))
        if not todo:
            return
        jobs = []
        for p, data, reference, ckey in todo:
            cal = dict(data, calib_budget=120.0, calib_total=1200.0)
            key = f"calib:{p.benchmark}/{p.id}:{ckey}"
            jobs.append(Job(key, cal, reference, mode="calibrate", cost=float(len(data["inputs"]))))
        self._get_executor().run(jobs, progress=progress)
        for (p, data, _reference, ckey), job in zip(todo, jobs):
            self.calibrations += 1
            res = job.result or {"outcome": "sandbox", "detail": "no result"}
            ident = (p.benchmark, p.id)
            if res.get("outcome") != "pass" or "times" not in res:
                what = "sandbox" if res.get("outcome") == "sandbox" else "calibration"
                self._prepared[ident] = _Prepared("", None, 0.0,
                                                  f"{what}: reference solution did not pass: "
                                                  f"{res.get('outcome')} {res.get('detail') or ''}".strip())
                continue
            value = {"times": list(res["times"]), "outputs": res.get("outputs")}
            save_calibration(self._cache_dir(), ckey, value)
            self._apply_calibration(ident, p, data, value)

    def _apply_calibration(self, ident, p, data, value) -> None:
        import marshal
        cfg = self.config
        data = dict(data)
        if value.get("outputs") is not None:
            data["expected"] = marshal.loads(value["outputs"])
        budgets, total = budgets_from_times(value["times"], cfg.time_factor, cfg.min_test_s, cfg.min_total_s)
        if data["kind"] == "stdio":
            budgets = [max(b, cfg.min_test_s) for b in budgets]
        self._finish(ident, p, data, budgets, total)

    def _finish(self, ident, p, data, budgets, total) -> None:
        data = dict(data, budgets=[float(b) for b in budgets], total=float(total),
                    overhead=float(self.config.overhead_s))
        import marshal
        key = f"{p.benchmark}/{p.id}:" + hashlib.sha256(marshal.dumps(data)).hexdigest()[:16]
        self._prepared[ident] = _Prepared(key, data, float(total))

    # --------------------------------------------------------------------------------- verify
    def verify(self, response: str, problem, *, finish_reason: str | None = None) -> Verdict:
        return self.verify_batch([CodeItem(response, problem, finish_reason)])[0]

    def verify_batch(self, items: Iterable, progress: Callable[[int], None] | None = None) -> list[Verdict]:
        """Verdicts for many samples, in order. Identical programs of a problem run once."""
        items = [_as_item(x) for x in items]
        out: list[Verdict | None] = [None] * len(items)
        programs: list[str | None] = [None] * len(items)
        need = []
        for i, it in enumerate(items):
            if it.finish_reason == "length" and not self.config.allow_truncated:
                out[i] = Verdict("truncated", None, "finish_reason", "hit the length limit")
                continue
            if not isinstance(it.response, str):
                out[i] = Verdict("error", None, "input", "response must be a string")
                continue
            prog = extract_program(it.response)
            if prog is None or not prog.strip():
                out[i] = Verdict("no_answer", None, "extract", "no program found in the response")
                continue
            programs[i] = normalize_program(_program_for(it.problem, prog))
            need.append(it.problem)
        self.prepare(need)
        jobs: dict[tuple, Job] = {}
        keys: list[tuple | None] = [None] * len(items)
        for i, it in enumerate(items):
            program = programs[i]
            if program is None:
                continue
            prep = self._prepared[(it.problem.benchmark, it.problem.id)]
            if prep.error:
                continue
            assert prep.data is not None  # prepared without an error
            key = (prep.key, hashlib.sha256(program.encode()).hexdigest())
            keys[i] = key
            if key not in self.cache and key not in jobs:
                jobs[key] = Job(prep.key, prep.data, program, cost=prep.cost)
        if jobs:
            self._get_executor().run(list(jobs.values()))
            self.executions += len(jobs)
            for key, job in jobs.items():
                res = job.result or {"outcome": "sandbox", "detail": "no result"}
                if res.get("outcome") != "sandbox":  # sandbox errors are not cached: a rerun retries
                    self.cache[key] = res
                else:
                    self.cache.setdefault(("sandbox",) + key, res)
        for i, it in enumerate(items):
            if out[i] is None:
                prog = programs[i]
                shown = None if prog is None else prog[:_MAX_STORED_PROGRAM]
                prepared = self._prepared.get((it.problem.benchmark, it.problem.id))
                if prepared is not None and prepared.error:
                    path = "sandbox" if prepared.error.startswith("sandbox") else "calibration"
                    out[i] = Verdict("error", shown, path, prepared.error[:500])
                else:
                    item_key = keys[i]
                    assert item_key is not None  # a program of a problem prepared without an error
                    res = self.cache.get(item_key) or self.cache.pop(("sandbox",) + item_key, None) or \
                        {"outcome": "sandbox", "detail": "no result"}
                    out[i] = _verdict(res, shown)
            if progress:
                progress(1)
        return out  # type: ignore[return-value]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    def __enter__(self) -> CodeVerifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _verdict(res: Mapping, program: str | None) -> Verdict:
    outcome = res.get("outcome")
    detail = res.get("detail")
    if outcome == "pass":
        return Verdict("correct", program, "pass", None)
    if outcome in _WRONG_PATHS:
        return Verdict("wrong", program, outcome, (detail or outcome)[:500])
    return Verdict("error", program, "sandbox", (detail or "sandbox error")[:500])


_DEFAULT: dict[CodeVerifyConfig, CodeVerifier] = {}


def _default(config: CodeVerifyConfig | None) -> CodeVerifier:
    config = config or CodeVerifyConfig()
    if config not in _DEFAULT:
        _DEFAULT[config] = CodeVerifier(config)
    return _DEFAULT[config]


@atexit.register
def _close_defaults() -> None:
    for v in _DEFAULT.values():
        v.close()


def verify_code(program_or_response: str, problem, *, finish_reason: str | None = None,
                config: CodeVerifyConfig | None = None) -> Verdict:
    """Verify one program (or a response containing one) against a code problem's tests.

    Goes through the same extraction, calibration, sandbox, limits and verdicts as
    ``boundary verify``.
    """
    return _default(config).verify(program_or_response, problem, finish_reason=finish_reason)


def verify_code_batch(items: Iterable, *, config: CodeVerifyConfig | None = None,
                      progress: Callable[[int], None] | None = None) -> list[Verdict]:
    """Verify many (response, problem[, finish_reason]) items; verdicts in input order."""
    return _default(config).verify_batch(items, progress=progress)


__all__ = ["CodeItem", "CodeVerifier", "CodeVerifyConfig", "extract_program", "normalize_program",
           "verify_code", "verify_code_batch", "problem_data", "VERIFIER_VERSION"]
