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
from boundary.sampling.stage import (ModelWork, Progress, SampleSummary, UnitResult, WorkUnit, default_unit_chunks,
                                     note_unit, prepare, record_model)
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
        try:
            r = run_unit(self.run, self.engine, unit, self.params, keep_token_logprobs=self.token_logprobs)
        except BaseException as e:
            if engine_dead(e):           # the engine will fail every later call: die, so Ray restarts the actor
                logging.getLogger(__name__).error("engine dead in %s (%s); exiting so Ray restarts it", _node(), e)
                os._exit(1)
            raise
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


class _Grader:
    """Verification tasks, one per samples shard, at most a window of them in flight; their results
    summed. :meth:`RayExecutor.sample` submits shards as units land (pipelined), :meth:`RayExecutor.verify`
    what is left."""

    def __init__(self, ray: Any, run: Run, configs: Mapping[str, Any], cfg: ExecutorConfig,
                 progress: Callable[[int], None] | None, merge: _Grader | None = None):
        self.ray, self.run, self.progress = ray, str(run.path.resolve()), progress
        self.task = ray.remote(num_cpus=cfg.verify_cpus, max_retries=cfg.max_retries)(_verify_task)
        configs = dict(configs)
        if "math" in configs and configs["math"].workers is None:
            configs["math"] = replace(configs["math"], workers=cfg.verify_cpus)
        if "visual" in configs and configs["visual"].workers is None:
            configs["visual"] = replace(configs["visual"], workers=cfg.verify_cpus)
        self.configs = configs
        self.attempts = cfg.max_retries + 1
        cpus = sum(n.get("Resources", {}).get("CPU", 1) for n in ray.nodes() if n.get("Alive"))
        self.window = max(2, 2 * int(cpus))
        self.queue: deque[tuple[str, int]] = deque()
        self.pending: dict[Any, tuple[str, int]] = {}
        self.stats: _Stats = merge.stats if merge else _Stats()
        self.verified: int = merge.verified if merge else 0
        self.rows: int = merge.rows if merge else 0
        """Samples rows of the shards graded (the progress already reported)."""
        self.checks: int = merge.checks if merge else 0
        self.statuses: dict[str, int] = dict(merge.statuses) if merge else {}
        self.names: set[str] = set(merge.names) if merge else set()
        self.local = False
        """Grade on the driver, at :meth:`drain`, rather than in Ray tasks: an adaptive round whose engine
        actors hold every CPU of the cluster, so no verification task could start before they are gone."""

    def submit(self, shard: str, rows: int) -> None:
        self.queue.append((shard, rows))
        self._fill()

    def _fill(self) -> None:
        while self.queue and len(self.pending) < self.window and not self.local:
            name, rows = self.queue.popleft()
            self.pending[self.task.remote(self.run, name, self.configs)] = (name, rows)

    def refs(self) -> list[Any]:
        return list(self.pending)

    def owns(self, ref: Any) -> bool:
        return ref in self.pending

    def collect(self, ref: Any) -> None:
        name, rows = self.pending.pop(ref)
        try:
            result = self.ray.get(ref)
        except Exception as e:
            self.stats.failures.append(UnitFailure(f"verification of samples shard {name}", self.attempts, _short(e)))
        else:
            self._count(result, rows)
        self._fill()

    def _count(self, result: tuple[VerifySummary, str, float, float], rows: int) -> None:
        s, node, start, end = result
        self.stats.busy.append((start, end))
        self.verified += s.verified
        self.rows += rows
        self.checks += s.distinct_checks
        self.names.update(x for x in s.verifier.split("; ") if x)
        for k, v in s.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        node = node.split(":")[0]
        self.stats.per_node[node] = self.stats.per_node.get(node, 0) + rows
        if self.progress:
            self.progress(rows)

    def _drain_here(self) -> None:
        while self.queue:
            name, rows = self.queue.popleft()
            attempt = 0
            while True:
                try:
                    result = _verify_task(self.run, name, self.configs)
                except Exception as e:
                    attempt += 1
                    if attempt < self.attempts:
                        continue
                    self.stats.failures.append(UnitFailure(f"verification of samples shard {name}", attempt,
                                                           _short(e)))
                else:
                    self._count((result[0], f"{socket.gethostname()}/driver", *result[2:]), rows)
                break

    def drain(self) -> None:
        if self.local:
            self._drain_here()
        while self.pending or self.queue:
            self._fill()
            ready, _ = self.ray.wait(list(self.pending), num_returns=1)
            for ref in ready:
                self.collect(ref)


class _Landed:
    """What the driver does with each unit that reports (a model's ``on_result``): count its rows, note
    its shard's footer, submit the shard to the grader (pipelined verification), report progress."""

    def __init__(self, run: Run, w: ModelWork, stored: dict[str, int], stats: _Stats, grader: _Grader | None,
                 progress: Callable[[Progress], None] | None):
        self.run, self.w, self.stored, self.stats, self.grader, self.progress = run, w, stored, stats, grader, progress
        self.new = 0
        self.t0 = self.saved = time.monotonic()

    def __call__(self, r: UnitResult) -> None:
        self.new += r.rows
        self.saved = note_unit(self.run, r, self.saved)
        self.stored[r.benchmark] += r.rows
        node = r.node.split(":")[0]
        self.stats.per_node[node] = self.stats.per_node.get(node, 0) + r.rows
        self.stats.busy.append((time.time() - r.seconds, time.time()))
        if self.grader is not None and r.shard:
            self.grader.submit(r.shard, r.rows)
        if self.progress:
            self.progress(Progress(r.model, r.benchmark, self.stored[r.benchmark], self.w.totals[r.benchmark],
                                   r.rows, r.tokens, time.monotonic() - self.t0, nodes=len(self.stats.per_node),
                                   retries=self.stats.retries))


class RayExecutor:
    """Runs the sample and verify stages of a run on a Ray cluster (see the module docstring)."""

    def __init__(self, config: ExecutorConfig):
        self.config = config
        self._ray: Any = None
        self._probed = False
        self.sample_stats = _Stats()
        """Rows per node, retries and failures of the last :meth:`sample`."""
        self.verify_stats = _Stats()
        """The same for the last :meth:`verify` (pipelined tasks included)."""
        self._grader: _Grader | None = None

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

    def _placements(self, engine: EngineConfig) -> list[Any]:
        """Where each of a model's ``replicas`` engine actors goes: spread over the nodes. Actors that
        reserve CPUs or GPUs are spread by Ray (``SPREAD``, the resources keep them apart); an actor that
        reserves nothing (the HTTP backend) could land anywhere, so replica i is pinned to the i-th alive
        node. The pin is hard: a soft pin was measured to fall back to one node for every replica right
        after a cluster starts (Ray 2.60). A replica whose node is lost is not restarted elsewhere; its
        units go to the other replicas."""
        if self._resources(engine).get("num_cpus", 0) or self._resources(engine).get("num_gpus", 0):
            return ["SPREAD"] * self.config.replicas
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        nodes = sorted(n["NodeID"] for n in self._ray.nodes() if n.get("Alive"))
        return [NodeAffinitySchedulingStrategy(nodes[i % len(nodes)], soft=False) if nodes else "SPREAD"
                for i in range(self.config.replicas)]

    # --------------------------------------------------------------------------------- sampling
    def sample(self, run: Run, plan: SamplingPlan, *, progress: Callable[[Progress], None] | None = None,
               verify: Mapping[str, Any] | None = None, verify_progress: Callable[[int], None] | None = None,
               ) -> SampleSummary:
        """Draw every missing sample of ``plan`` into ``run`` on the cluster.

        With ``verify`` (verifier configs by task kind, as :meth:`verify` takes them) each samples
        shard is graded by a verification task as soon as its unit reports, while the other units
        are still drawn (pipelined); :meth:`sample_and_verify` then grades only what is left.
        """
        if plan.adaptive is not None:
            raise BoundaryError("an adaptive plan (sampling.adaptive) needs each round's verdicts before the next "
                                "round: use RayExecutor.sample_and_verify (what `boundary run` and `boundary "
                                "sample` call), which grades each round on the cluster.")
        with run.lock("sample (ray)"):
            return self._sample(run, plan, progress, verify, verify_progress)

    def _sample(self, run: Run, plan: SamplingPlan, progress: Callable[[Progress], None] | None,
                verify: Mapping[str, Any] | None, verify_progress: Callable[[int], None] | None) -> SampleSummary:
        ray = self._connect()
        cfg = self.config
        work = prepare(run, plan, unit_chunks=self._unit_chunks(plan))
        if not self._probed:
            self.probe(run, [m.engine.path for m in plan.models if m.engine.path and os.path.exists(m.engine.path)])
        grader = None if verify is None else _Grader(ray, run, verify, cfg, verify_progress)
        self._grader = grader
        stats = _Stats()
        per_model: dict[str, dict[str, int]] = {}
        new_total = skipped_total = 0
        for w in work:
            skipped_total += w.have
            if not w.units:
                per_model[w.model.name] = {"new": 0}
                continue
            actors = self._start_actors(run, plan, w)
            on_result = _Landed(run, w, w.stored(), stats, grader, progress)
            try:
                self._dispatch(actors, w.units, on_result, stats, grader)
            finally:
                run.save_notes()
                for a in actors:
                    ray.kill(a)
            per_model[w.model.name] = {"new": on_result.new}
            new_total += on_result.new
        if grader is not None:
            grader.drain()
        run.mark_stage("sample", samples=new_total, executor="ray", nodes=len(stats.per_node),
                       retries=stats.retries)
        self.sample_stats = stats
        if stats.failures:
            raise BoundaryError(self._failure_message("work unit", stats.failures))
        return SampleSummary(run=str(run.path), new_samples=new_total, skipped_samples=skipped_total,
                             per_model=per_model)

    def _unit_chunks(self, plan: SamplingPlan) -> int:
        cfg = self.config
        return (max(1, cfg.unit_samples // min(plan.chunk_size, plan.n)) if cfg.unit_samples
                else default_unit_chunks(plan))

    def _room_to_verify(self, w: ModelWork, actors: int) -> bool:
        """Whether a verification task can start while the model's ``actors`` engine actors live: the
        cluster's CPUs minus theirs leave ``verify_cpus`` (counted from the nodes, not from what is
        free this instant)."""
        total = sum(n.get("Resources", {}).get("CPU", 0) for n in self._ray.nodes() if n.get("Alive"))
        return total - actors * self._resources(w.model.engine).get("num_cpus", 0) >= self.config.verify_cpus

    def _start_actors(self, run: Run, plan: SamplingPlan, w: ModelWork) -> list[Any]:
        """The model's ``replicas`` engine actors (:meth:`_placements`), its engine info recorded."""
        ray = self._ray
        actor_cls = ray.remote(max_restarts=-1, max_task_retries=0)(_EngineActor)
        actors = [actor_cls.options(scheduling_strategy=where, **self._resources(w.model.engine)).remote(
            str(run.path.resolve()), w.model.engine, w.params, w.model.token_logprobs)
            for where in self._placements(w.model.engine)]
        try:
            info = ray.get(actors[0].info.remote())
        except Exception as e:
            for a in actors:
                ray.kill(a)
            raise BoundaryError(f"model {w.model.name!r}: the engine did not start on the cluster: {e}") from e
        record_model(run, plan, w.model, info, w.template_info)
        return actors

    def sample_and_verify(self, run: Run, plan: SamplingPlan, configs: Mapping[str, Any] | None = None, *,
                          progress: Callable[[Progress], None] | None = None,
                          verify_progress: Callable[[int], None] | None = None,
                          ) -> tuple[SampleSummary, VerifySummary]:
        """The sample and verify stages with verification pipelined behind sampling: each shard is
        graded as its unit lands; then whatever else has no verdicts (earlier runs' shards) is graded.
        When a unit fails for good, the shards that did land are still graded before the error is raised.

        An adaptive plan (``plan.adaptive``) is drawn round by round (:func:`boundary.sampling.adaptive.model_rounds`,
        the local stage's rounds): each round's units go to the model's engine actors, which stay up
        across rounds; each shard is graded as it lands, and the next round is planned once every
        grade of this one is in."""
        configs = dict(configs or {})
        with run.lock("sample + verify (ray)"):
            if plan.adaptive is not None:
                return self._sample_adaptive(run, plan, configs, progress, verify_progress)
            return self._sample_and_verify(run, plan, configs, progress, verify_progress)

    def _sample_adaptive(self, run: Run, plan: SamplingPlan, configs: dict[str, Any],
                         progress: Callable[[Progress], None] | None,
                         verify_progress: Callable[[int], None] | None) -> tuple[SampleSummary, VerifySummary]:
        from boundary.sampling.adaptive import model_rounds
        assert plan.adaptive is not None
        ray = self._connect()
        run.remove_stale_temporaries()
        unit_chunks = self._unit_chunks(plan)
        work = prepare(run, plan, unit_chunks=unit_chunks, plan_work=False)
        if not self._probed:
            self.probe(run, [m.engine.path for m in plan.models if m.engine.path and os.path.exists(m.engine.path)])
        total_before = run.row_count("samples")
        todo = shards_to_verify(run)
        if verify_progress:
            verify_progress(total_before - sum(n for _, n in todo))               # graded before
        grader = _Grader(ray, run, configs, self.config, verify_progress)
        for name, rows in todo:                   # a killed run's last samples get their verdicts first
            grader.submit(name, rows)
        grader.drain()
        stats = _Stats()
        per_model: dict[str, dict[str, int]] = {}
        new_total = skipped_total = 0
        index = run.shard_keys("samples")
        for w in work:
            before = {b: sum(index.rows(s) for s in index.get((w.model.name, b), ())) for b in plan.benchmarks}
            skipped_total += sum(before.values())
            actors: list[Any] = []
            on_result = _Landed(run, w, before, stats, grader, progress)
            try:
                if grader.stats.failures:
                    break                             # ungraded samples: no round can be decided
                for units in model_rounds(plan, plan.adaptive, run, w, unit_chunks):
                    if not units:
                        continue
                    if not actors:
                        actors = self._start_actors(run, plan, w)
                        grader.local = not self._room_to_verify(w, len(actors))
                        if grader.local:
                            logging.getLogger(__name__).warning(
                                "model %s: its engine actors hold every CPU of the cluster, so each adaptive "
                                "round is verified on the driver (give the nodes spare CPUs, or fewer replicas, "
                                "to verify on the cluster)", w.model.name)
                    self._dispatch(actors, units, on_result, stats, grader)
                    grader.drain()                    # this round's verdicts decide the next round
                    if stats.failures or grader.stats.failures:
                        break                         # the next round cannot be decided: the error below
            finally:
                run.save_notes()
                for a in actors:
                    ray.kill(a)
                grader.local = False
            per_model[w.model.name] = {"new": on_result.new}
            new_total += on_result.new
        run.mark_stage("sample", samples=new_total, executor="ray", nodes=len(stats.per_node),
                       retries=stats.retries)
        self.sample_stats = stats
        v = self._verified(run, grader, total_before + new_total)
        if stats.failures:
            raise BoundaryError(self._failure_message("work unit", stats.failures))
        return SampleSummary(run=str(run.path), new_samples=new_total, skipped_samples=skipped_total,
                             per_model=per_model), v

    def _sample_and_verify(self, run: Run, plan: SamplingPlan, configs: dict[str, Any],
                           progress: Callable[[Progress], None] | None,
                           verify_progress: Callable[[int], None] | None) -> tuple[SampleSummary, VerifySummary]:
        try:
            s = self.sample(run, plan, progress=progress, verify=configs, verify_progress=verify_progress)
        finally:
            early, self._grader = self._grader, None
        v = self.verify(run, configs, progress=verify_progress, _early=early)
        return s, v

    def _dispatch(self, actors: list[Any], units: list[WorkUnit], on_result: Callable[[UnitResult], None],
                  stats: _Stats, grader: _Grader | None = None) -> None:
        """Feed units to the actors, at most ``window`` in flight each; retry a failed unit up to
        ``max_retries`` times, then record it as failed and go on. Verification tasks of ``grader``
        (pipelined) are collected in the same loop.

        An actor whose process or node died is restarted by Ray; until it answers a ping again it
        gets no units, so its lost units are retried on the healthy ones (promptly: each actor has at
        most ``window`` units queued)."""
        ray = self._ray
        queue: deque[tuple[WorkUnit, int]] = deque((u, 0) for u in units)
        pending: dict[Any, tuple[WorkUnit, int, Any]] = {}
        pings: dict[Any, Any] = {}                     # ping ref -> actor being restarted
        sick: set[int] = set()
        load = {id(a): 0 for a in actors}
        stalled_since: float | None = None
        while queue or pending:
            for a in actors:
                while id(a) not in sick and load[id(a)] < self.config.window and queue:
                    u, attempt = queue.popleft()
                    pending[a.draw.remote(u)] = (u, attempt, a)
                    load[id(a)] += 1
            stalled = bool(queue) and not pending and len(sick) == len(actors)
            if not stalled:
                stalled_since = None
            elif stalled_since is None:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > STALL_S:
                raise BoundaryError(f"every engine actor of this model is down and none came back within "
                                    f"{STALL_S:.0f} s ({len(queue)} units left); check the cluster's nodes, then "
                                    "rerun the same command: it draws only what is missing.")
            ready, _ = ray.wait([*pending, *pings, *(grader.refs() if grader else ())], num_returns=1,
                                timeout=5.0 if stalled else None)
            for ref in ready:
                if grader is not None and grader.owns(ref):
                    grader.collect(ref)
                    continue
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

    # ----------------------------------------------------------------------------- verification
    def verify(self, run: Run, configs: Mapping[str, Any] | None = None, *,
               progress: Callable[[int], None] | None = None, _early: _Grader | None = None) -> VerifySummary:
        """Grade every samples shard without verdicts, one Ray task per shard."""
        with run.lock("verify (ray)"):
            return self._verify(run, configs, progress, _early)

    def _verify(self, run: Run, configs: Mapping[str, Any] | None, progress: Callable[[int], None] | None,
                _early: _Grader | None) -> VerifySummary:
        ray = self._connect()
        run.remove_stale_temporaries()
        todo = shards_to_verify(run)
        total_rows = run.row_count("samples")
        if progress:
            progress(total_rows - sum(n for _, n in todo) - (_early.rows if _early else 0))   # graded before
        grader = _Grader(ray, run, dict(configs or {}), self.config, progress, merge=_early)
        for name, rows in todo:
            grader.submit(name, rows)
        grader.drain()
        return self._verified(run, grader, total_rows)

    def _verified(self, run: Run, grader: _Grader, total_rows: int) -> VerifySummary:
        """Record the verify stage of what ``grader`` graded; raise if a verification task failed for good."""
        import pyarrow.compute as pc
        errors = run.read("verdicts", ["status"]).filter(pc.equal(pc.field("status"), "error")).num_rows
        stats = grader.stats
        run.mark_stage("verify", verified=grader.verified, complete=errors == 0 and not stats.failures,
                       unresolved_errors=errors, executor="ray", nodes=len(stats.per_node))
        self.verify_stats = stats
        if stats.failures:
            raise BoundaryError(self._failure_message("verification task", stats.failures))
        return VerifySummary(run=str(run.path), verified=grader.verified, skipped=total_rows - grader.verified,
                             statuses=grader.statuses, distinct_checks=grader.checks,
                             verifier="; ".join(sorted(grader.names)))

    @staticmethod
    def _failure_message(what: str, failures: list[UnitFailure]) -> str:
        head = f"{len(failures)} {what}(s) failed after every attempt; the rest is stored, and rerunning " \
               "the same command retries only what is missing:"
        return "\n".join([head, *(f"  {f.what} ({f.attempts} attempts): {f.error}" for f in failures[:20])])

    def shutdown(self) -> None:
        if self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()
        self._ray = None


#: Seconds the driver waits for a restarted engine actor when every actor of a model is down.
STALL_S = 600.0

#: Exception class names that mean a backend's engine is gone for good (vLLM's V1 ``EngineDeadError``,
#: raised for every request once its engine core process died), so only a new process can serve.
DEAD_ENGINE_ERRORS = frozenset({"EngineDeadError", "DeadEngineError", "AsyncEngineDeadError"})


def engine_dead(e: BaseException) -> bool:
    """Whether ``e`` (or an exception it was raised from) says the engine itself died."""
    seen: set[int] = set()
    x: BaseException | None = e
    while x is not None and id(x) not in seen:
        if type(x).__name__ in DEAD_ENGINE_ERRORS:
            return True
        seen.add(id(x))
        x = x.__cause__ or x.__context__
    return False


def _actor_lost(e: BaseException) -> bool:
    """Whether ``e`` says the actor (its process or node) is gone, rather than that the unit failed."""
    from ray import exceptions as rx
    return isinstance(e, (rx.RayActorError, rx.ActorUnavailableError, rx.ActorDiedError))


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    last = [line for line in text if line.strip()][-1] if text else type(e).__name__
    return f"{type(e).__name__}: {last}"[:400]


__all__ = ["RayExecutor", "UnitFailure"]

