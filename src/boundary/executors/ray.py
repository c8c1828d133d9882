"""The Ray executor: engine actors draw work units, Ray tasks grade samples shards (``docs/scale-out.md``).

The driver (this process) plans with the same functions as a local run
(:func:`boundary.sampling.stage.prepare`), is the only writer of the manifest, and turns results into
the stages' progress events. On the cluster:

- **Engine actors**, ``replicas`` per model spread over the nodes, each own one backend replica
  (``create_backend(engine)``; ``num_gpus = tensor_parallel_size`` for vLLM, no CPU reserved for the
  HTTP backend, one CPU otherwise) and keep the model loaded until its units run out. Each has at
  most ``window`` units in flight, so a unit lost with a node is redone promptly.
- **Verification tasks**, one per samples shard without verdicts, each running the verify stage on
  that shard alone (``verify_run(..., shards=[name], record=False)``) with ``verify_cpus`` workers.

Exactly once: a unit's shard name is a function of the unit and a verdict shard's of its samples
shard, so a unit or task that runs twice (a node died after it wrote, before it reported) replaces
its own shard. A unit that fails ``max_retries + 1`` times is reported with its error after the rest
completes, and the stage raises (the CLI exits non-zero); rerunning the spec redoes only what is
missing, also after the driver itself died.

Before any work, a probe task on every node checks the boundary version, that the run directory is
readable and writable there, that local model paths are readable and that the plugins import; each
failure is one line naming the node.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from boundary._version import __version__
from boundary.errors import BoundaryError
from boundary.executors import ExecutorConfig
from boundary.plugins import ENV as PLUGINS_ENV
from boundary.sampling.plan import EngineConfig, SamplingPlan
from boundary.sampling.stage import (Progress, SampleSummary, UnitResult, WorkUnit, default_unit_chunks, note_unit,
                                     prepare, record_model)
from boundary.store import Run
from boundary.verify.stage import VerifySummary, shards_to_verify


@dataclass(frozen=True)
class UnitFailure:
    """A work unit or verification task that failed on every attempt."""

    what: str
    attempts: int
    error: str


@dataclass
class _Stats:
    per_node: dict[str, int] = field(default_factory=dict)
    """Rows done per node."""
    retries: int = 0
    failures: list[UnitFailure] = field(default_factory=list)
    busy: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) wall-clock times of the tasks: Σ busy / span is the effective parallelism."""

    @property
    def parallelism(self) -> float:
        if not self.busy:
            return 0.0
        span = max(e for _, e in self.busy) - min(s for s, _ in self.busy)
        return sum(e - s for s, e in self.busy) / span if span > 0 else 0.0


def _node() -> str:
    """``<host>/<Ray node id>:<pid>`` of the calling worker (several nodes may share a host)."""
    try:
        import ray
        node = ray.get_runtime_context().get_node_id()[:8]
    except Exception:                                # not in a Ray worker
        node = "-"
    return f"{socket.gethostname()}/{node}:{os.getpid()}"


def _probe(run_path: str, model_paths: Sequence[str], driver_version: str) -> list[str]:
    """What is wrong on this node for this run (empty when nothing)."""
    problems = []
    if __version__ != driver_version:
        problems.append(f"boundary {__version__} here, {driver_version} on the driver: install the same version")
    probe = Path(run_path) / f".probe-{socket.gethostname()}-{os.getpid()}.tmp"
    try:
        probe.write_bytes(b"probe")
        probe.unlink()
    except OSError as e:
        problems.append(f"the run directory {run_path} is not writable here ({e}): put it on shared storage")
    for p in model_paths:
        if not os.access(p, os.R_OK):
            problems.append(f"model path {p} is not readable here")
    try:
        from boundary.plugins import load_plugins
        load_plugins()
    except Exception as e:                           # one line per node, whatever the plugin raised
        problems.append(f"plugins do not import: {e}")
    return problems


class _EngineActor:
    """One backend replica on a node (made a Ray actor by :meth:`RayExecutor._actor_class`)."""

    def __init__(self, run_path: str, engine: EngineConfig, params: Any, token_logprobs: bool):
        from boundary.plugins import load_plugins
        from boundary.sampling.backends import create_backend
        load_plugins()
        self.run = Run(run_path)
        self.engine = create_backend(engine)
        self.params = params
        self.token_logprobs = token_logprobs

    def info(self) -> dict:
        return self.engine.info()

    def draw(self, unit: WorkUnit) -> UnitResult:
        from boundary.sampling.stage import run_unit
        r = run_unit(self.run, self.engine, unit, self.params, keep_token_logprobs=self.token_logprobs)
        return replace(r, node=_node())

    def close(self) -> None:
        self.engine.close()


#: Verifiers of this worker process, by (kind, config): their worker pools and caches stay warm
#: across the verification tasks Ray sends to the same process.
_VERIFIERS: dict[str, dict[str, Any]] = {}


def _verify_task(run_path: str, shard: str, configs: Mapping[str, Any]
                 ) -> tuple[VerifySummary, str, float, float]:
    from boundary.verify.stage import verify_run
    start = time.time()
    cache = _VERIFIERS.setdefault(repr(sorted(configs.items())), {})
    s = verify_run(run_path, configs=configs, shards=[shard], record=False, verifiers=cache)
    return s, _node(), start, time.time()


class RayExecutor:
    """Runs the sample and verify stages of a run on a Ray cluster (see the module docstring)."""

    def __init__(self, config: ExecutorConfig):
        self.config = config
        self._ray: Any = None
        self._probed = False
        self.sample_stats = _Stats()
        """Rows per node, retries and failures of the last :meth:`sample`."""
        self.verify_stats = _Stats()
        """The same for the last :meth:`verify`."""

    # ---------------------------------------------------------------------------------- cluster
    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        import ray
        if not ray.is_initialized():
            env = {k: os.environ[k] for k in (PLUGINS_ENV, "PYTHONPATH") if os.environ.get(k)}
            try:
                ray.init(address=self.config.address, runtime_env={"env_vars": env} if env else None,
                         logging_level=logging.ERROR, log_to_driver=False, configure_logging=True)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise BoundaryError(f"cannot connect to the Ray cluster at address {self.config.address!r}: {e}. "
                                    "Start one (`ray start --head`, docs/scale-out.md) or use executor kind "
                                    "'local'.") from e
        self._ray = ray
        return ray

    def probe(self, run: Run, model_paths: Sequence[str]) -> None:
        """Run :func:`_probe` on every alive node; one line per problem, naming the node."""
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        task = ray.remote(num_cpus=0, max_retries=0)(_probe)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        refs = {n["NodeManagerAddress"] + " (" + n["NodeID"][:8] + ")": task.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(
                str(run.path.resolve()), list(model_paths), __version__) for n in nodes}
        lines = [f"node {name}: {p}" for name, ref in refs.items() for p in ray.get(ref)]
        if lines:
            raise BoundaryError("the Ray cluster cannot run this study:\n" + "\n".join(lines))
        self._probed = True

    @staticmethod
    def _resources(engine: EngineConfig) -> dict[str, Any]:
        if engine.backend == "vllm":
            return {"num_cpus": 1, "num_gpus": engine.tensor_parallel_size}
        if engine.backend == "openai":
            return {"num_cpus": 0}
        return {"num_cpus": 1}

    # --------------------------------------------------------------------------------- sampling
    def sample(self, run: Run, plan: SamplingPlan, *,
               progress: Callable[[Progress], None] | None = None) -> SampleSummary:
        """Draw every missing sample of ``plan`` into ``run`` on the cluster."""
        ray = self._connect()
        cfg = self.config
        unit_chunks = (max(1, cfg.unit_samples // min(plan.chunk_size, plan.n)) if cfg.unit_samples
                       else default_unit_chunks(plan))
        work = prepare(run, plan, unit_chunks=unit_chunks)
        if not self._probed:
            self.probe(run, [m.engine.path for m in plan.models if m.engine.path and os.path.exists(m.engine.path)])
        actor_cls = ray.remote(max_restarts=-1, max_task_retries=0)(_EngineActor)
        stats = _Stats()
        per_model: dict[str, dict[str, int]] = {}
        new_total = skipped_total = 0
        for w in work:
            skipped_total += w.have
            if not w.units:
                per_model[w.model.name] = {"new": 0}
                continue
            actors = [actor_cls.options(scheduling_strategy="SPREAD", **self._resources(w.model.engine)).remote(
                str(run.path.resolve()), w.model.engine, w.params, w.model.token_logprobs)
                for _ in range(cfg.replicas)]
            try:
                info = ray.get(actors[0].info.remote())
            except Exception as e:
                for a in actors:
                    ray.kill(a)
                raise BoundaryError(f"model {w.model.name!r}: the engine did not start on the cluster: {e}") from e
            record_model(run, plan, w.model, info, w.template_info)
            stored = w.stored()
            t0 = time.monotonic()
            new = 0
            saved = t0

            def on_result(r: UnitResult, w=w, stored=stored, t0=t0) -> None:
                nonlocal new, saved
                new += r.rows
                saved = note_unit(run, r, saved)
                stored[r.benchmark] += r.rows
                stats.per_node[r.node.split(":")[0]] = stats.per_node.get(r.node.split(":")[0], 0) + r.rows
                if progress:
                    progress(Progress(r.model, r.benchmark, stored[r.benchmark], w.totals[r.benchmark], r.rows,
                                      r.tokens, time.monotonic() - t0))

            try:
                self._dispatch(actors, w.units, on_result, stats)
            finally:
                run.save_notes()
                for a in actors:
                    ray.kill(a)
            per_model[w.model.name] = {"new": new}
            new_total += new
        run.mark_stage("sample", samples=new_total, executor="ray", nodes=len(stats.per_node),
                       retries=stats.retries)
        self.sample_stats = stats
        if stats.failures:
            raise BoundaryError(self._failure_message("work unit", stats.failures))
        return SampleSummary(run=str(run.path), new_samples=new_total, skipped_samples=skipped_total,
                             per_model=per_model)

    def _dispatch(self, actors: list[Any], units: list[WorkUnit], on_result: Callable[[UnitResult], None],
                  stats: _Stats) -> None:
        """Feed units to the actors, at most ``window`` in flight each; retry a failed unit up to
        ``max_retries`` times, then record it as failed and go on.

        An actor whose process or node died is restarted by Ray; until it answers a ping again it
        gets no units, so its lost units are retried on the healthy ones (promptly: each actor has at
        most ``window`` units queued)."""
        ray = self._ray
        queue: deque[tuple[WorkUnit, int]] = deque((u, 0) for u in units)
        pending: dict[Any, tuple[WorkUnit, int, Any]] = {}
        pings: dict[Any, Any] = {}                     # ping ref -> actor being restarted
        sick: set[int] = set()
        load = {id(a): 0 for a in actors}
        while queue or pending:
            for a in actors:
                while id(a) not in sick and load[id(a)] < self.config.window and queue:
                    u, attempt = queue.popleft()
                    pending[a.draw.remote(u)] = (u, attempt, a)
                    load[id(a)] += 1
            ready, _ = ray.wait([*pending, *pings], num_returns=1)
            for ref in ready:
                if ref in pings:
                    a = pings.pop(ref)
                    try:
                        ray.get(ref)
                        sick.discard(id(a))           # restarted: it takes units again
                    except Exception:
                        time.sleep(0.5)
                        pings[a.info.remote()] = a
                    continue
                u, attempt, a = pending.pop(ref)
                load[id(a)] -= 1
                try:
                    on_result(ray.get(ref))
                except Exception as e:           # the unit raised, or its actor or node died
                    if _actor_lost(e) and id(a) not in sick:
                        sick.add(id(a))
                        pings[a.info.remote()] = a
                    if attempt < self.config.max_retries:
                        stats.retries += 1
                        queue.append((u, attempt + 1))
                    else:
                        stats.failures.append(UnitFailure(f"{u.model}/{u.benchmark} unit {u.name}", attempt + 1,
                                                          _short(e)))
            if queue and not pending and len(sick) == len(actors) and not pings:
                raise BoundaryError("every engine actor died and none restarted; check the cluster's nodes.")

    # ----------------------------------------------------------------------------- verification
    def verify(self, run: Run, configs: Mapping[str, Any] | None = None, *,
               progress: Callable[[int], None] | None = None) -> VerifySummary:
        """Grade every samples shard without verdicts, one Ray task per shard."""
        ray = self._connect()
        run.remove_stale_temporaries()
        todo = shards_to_verify(run)
        total_rows = run.row_count("samples")
        if progress:
            progress(total_rows - sum(n for _, n in todo))       # already graded
        task = ray.remote(num_cpus=self.config.verify_cpus, max_retries=self.config.max_retries)(_verify_task)
        configs = dict(configs or {})
        if "math" in configs and configs["math"].workers is None:
            configs["math"] = replace(configs["math"], workers=self.config.verify_cpus)
        stats = _Stats()
        statuses: dict[str, int] = {}
        verified = checks = 0
        names: set[str] = set()
        queue = deque(todo)
        pending: dict[Any, tuple[str, int]] = {}
        window = max(2, 2 * int(sum(n.get("Resources", {}).get("CPU", 1) for n in ray.nodes() if n.get("Alive"))))
        while queue or pending:
            while queue and len(pending) < window:
                name, rows = queue.popleft()
                pending[task.remote(str(run.path.resolve()), name, configs)] = (name, rows)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                name, rows = pending.pop(ref)
                try:
                    s, node, start, end = ray.get(ref)
                    stats.busy.append((start, end))
                except Exception as e:
                    stats.failures.append(UnitFailure(f"verification of samples shard {name}",
                                                      self.config.max_retries + 1, _short(e)))
                    continue
                verified += s.verified
                checks += s.distinct_checks
                names.update(x for x in s.verifier.split("; ") if x)
                for k, v in s.statuses.items():
                    statuses[k] = statuses.get(k, 0) + v
                stats.per_node[node.split(":")[0]] = stats.per_node.get(node.split(":")[0], 0) + rows
                if progress:
                    progress(rows)
        import pyarrow.compute as pc
        errors = run.read("verdicts", ["status"]).filter(pc.equal(pc.field("status"), "error")).num_rows
        run.mark_stage("verify", verified=verified, complete=errors == 0 and not stats.failures,
                       unresolved_errors=errors, executor="ray", nodes=len(stats.per_node))
        self.verify_stats = stats
        if stats.failures:
            raise BoundaryError(self._failure_message("verification task", stats.failures))
        return VerifySummary(run=str(run.path), verified=verified, skipped=total_rows - verified,
                             statuses=statuses, distinct_checks=checks, verifier="; ".join(sorted(names)))

    @staticmethod
    def _failure_message(what: str, failures: list[UnitFailure]) -> str:
        head = f"{len(failures)} {what}(s) failed after every attempt; the rest is stored, and rerunning " \
               "the same command retries only what is missing:"
        return "\n".join([head, *(f"  {f.what} ({f.attempts} attempts): {f.error}" for f in failures[:20])])

    def shutdown(self) -> None:
        if self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()
        self._ray = None


def _actor_lost(e: BaseException) -> bool:
    """Whether ``e`` says the actor (its process or node) is gone, rather than that the unit failed."""
    from ray import exceptions as rx
    return isinstance(e, (rx.RayActorError, rx.ActorUnavailableError, rx.ActorDiedError))


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    last = [line for line in text if line.strip()][-1] if text else type(e).__name__
    return f"{type(e).__name__}: {last}"[:400]


__all__ = ["RayExecutor", "UnitFailure"]
