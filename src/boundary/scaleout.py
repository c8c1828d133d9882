"""What a study costs on a cluster: a throughput model for planning a scale-out run (``boundary plan-cluster``).

A pure calculator (stdlib only): from the study (checkpoints, problems, n), the cluster (nodes, GPUs
per node, tokens/s per GPU) and the executor's settings (work-unit size, in-flight window,
verification CPUs) it gives wall time, GPU-hours, shard counts, bytes written, driver tasks and the
expected cost of failures. ``docs/scale-out.md`` walks through it.

Every input says where its value comes from (:func:`inputs`): **plan** (your study and cluster),
**measured** (with the measurement it comes from) or **assumed** (a guess to replace with your own
measurement); a measured or assumed input you override is labelled **given**. "probe" is issue 12's
Ray probe (Ray 2.60, simulated clusters on a 2-core VM), whose figures ``docs/scale-out.md`` lists.

The 100-checkpoint sweep of issue 12 — 100 checkpoints × the six math benchmarks (AIME24 30, AMC23
40, GSM8K 1,319, MATH500 500, Minerva 272, OlympiadBench 675 = 2,836 problems) × n = 1,024 on
64 nodes × 8 GPUs, at G = 10,000 generated tokens/s per GPU and η = 0.9 — are the defaults:

>>> e = estimate(ClusterWorkload())
>>> f"{e.samples:,} samples, {e.tokens:.2e} tokens"
'290,406,400 samples, 2.90e+11 tokens'
>>> f"wall {e.wall_s / 3600:.1f} h; {e.gpu_hours:,.0f} GPU-h billed, {e.gpu_hours_busy:,.0f} busy (η = 1)"
'wall 17.5 h; 8,963 GPU-h billed, 8,067 busy (η = 1)'
>>> f"{e.units:,} units of {e.unit_seconds:.0f} s; {e.bytes_written / 1e9:.0f} GB, {e.write_rate / 1e6:.1f} MB/s"
'71,000 units of 410 s; 378 GB, 6.0 MB/s'

With the 2,836 problems counted as one benchmark (no rounding up per benchmark) the units are
the 70,900 of the issue's back-of-the-envelope figure:

>>> estimate(ClusterWorkload(problems=(2836,))).units
70900
>>> f"{e.driver_tasks:,} driver tasks, {e.driver_cpu_s:.0f} CPU-s; verification {e.verify_cpu_hours:.1f} CPU-h"
'142,064 driver tasks, 426 CPU-s; verification 16.1 CPU-h'
>>> f"{e.expected_node_failures:.2f} node failures expected, {e.expected_failure_gpu_hours:.1f} GPU-h expected loss"
'1.56 node failures expected, 6.1 GPU-h expected loss'
>>> f"tail of the last wave <= {e.tail_s / 60:.1f} min"
'tail of the last wave <= 6.8 min'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from boundary.errors import InputError

#: Hours in the "month" of a failure rate per node-month (30 days).
MONTH_HOURS = 720.0

def _plan(help: str) -> dict[str, str]:
    return {"kind": "plan", "help": help, "source": "your study and cluster"}


def _measured(help: str, source: str) -> dict[str, str]:
    return {"kind": "measured", "help": help, "source": source}


def _assumed(help: str, source: str) -> dict[str, str]:
    return {"kind": "assumed", "help": help, "source": source}


@dataclass(frozen=True)
class ClusterWorkload:
    """A study on a cluster: what to sample, on what, and how the executor cuts it up.

    The defaults are the 100-checkpoint sweep of issue 12 (module docstring). Each field's
    ``metadata`` holds ``kind`` (plan, measured, assumed), ``help`` and ``source``.
    """

    problems: tuple[int, ...] = field(default=(30, 40, 1319, 500, 272, 675), metadata=_plan(
        "problems per benchmark (units never span two benchmarks, so each benchmark rounds up)"))
    n: int = field(default=1024, metadata=_plan("samples per problem"))
    checkpoints: int = field(default=100, metadata=_plan("models (checkpoints) sampled"))
    nodes: int = field(default=64, metadata=_plan("GPU nodes"))
    gpus_per_node: int = field(default=8, metadata=_plan("GPUs per node"))
    unit_samples: int = field(default=4096, metadata=_plan(
        "samples per work unit (the spec's executor.unit_samples); one samples shard per unit"))
    in_flight: int = field(default=2, metadata=_plan(
        "work units in flight per engine (the driver's window); bounds what a lost node loses"))
    verify_cores: int = field(default=512, metadata=_plan(
        "CPU cores verifying at once (spare cores of the GPU nodes, or a CPU pool)"))
    verify_cpus: int = field(default=4, metadata=_plan(
        "CPUs per verification task (the spec's executor.verify_cpus)"))
    mean_tokens: float = field(default=1000.0, metadata=_assumed(
        "mean completion tokens per sample", "measure it on a pilot run"))
    tokens_per_s: float = field(default=10_000.0, metadata=_assumed(
        "generated tokens/s per GPU", "7B, bf16, vLLM; plausible 5,000-20,000"))
    efficiency: float = field(default=0.9, metadata=_assumed(
        "η: share of GPU time spent generating (engine loads, the tail, retries take the rest)",
        "compare engine loads + tail below"))
    engine_load_s: float = field(default=60.0, metadata=_assumed(
        "seconds to load one checkpoint into an engine", "7B from shared storage"))
    failure_rate: float = field(default=1.0, metadata=_assumed(
        "failures per node-month (30 days); the head node fails at the same rate",
        "use your cluster's own record"))
    bytes_per_1k_tokens: float = field(default=1300.0, metadata=_assumed(
        "bytes stored per 1,000 completion tokens (Parquet, zstd)",
        "~4 KB of text per 1k tokens, ~3x zstd"))
    verify_rate: float = field(default=5000.0, metadata=_measured(
        "verified samples/s per core (math; code: ~1.8 executions/s per core, docs/benchmarks.md)",
        "math, 10,525/s on 2 Ray workers (probe)"))
    task_cpu_ms: float = field(default=3.0, metadata=_measured(
        "CPU-ms per Ray task, summed over all processes", "2.9-3.3 over 4,000 no-op tasks (probe)"))
    task_wall_ms: float = field(default=3.6, metadata=_measured(
        "wall ms per Ray task", "2.0-3.6 over 4,000 no-op tasks (probe)"))

    def __post_init__(self) -> None:
        problems = (self.problems,) if isinstance(self.problems, int) else tuple(self.problems)
        object.__setattr__(self, "problems", problems)
        if not problems or any(not isinstance(p, int) or isinstance(p, bool) or p < 1 for p in problems):
            raise InputError(f"problems={list(problems)} must be one or more counts of at least 1, one "
                             "per benchmark; pass --problems once per benchmark, e.g. --problems 500 "
                             "--problems 30.", field="problems")
        for name in ("n", "checkpoints", "nodes", "gpus_per_node", "unit_samples", "in_flight",
                     "verify_cores", "verify_cpus"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name}={value!r} must be a whole number of at least 1; pass "
                                 f"--{_option(name)} 1 or more.", field=name)
        for name in ("mean_tokens", "tokens_per_s", "bytes_per_1k_tokens", "verify_rate"):
            value = getattr(self, name)
            if not _number(value) or not value > 0:
                raise InputError(f"{name}={value!r} must be a number greater than 0 (a rate or size of "
                                 f"zero makes the run never finish or write nothing); pass --{_option(name)} "
                                 "with a positive value.", field=name)
        for name in ("engine_load_s", "failure_rate", "task_cpu_ms", "task_wall_ms"):
            value = getattr(self, name)
            if not _number(value) or not value >= 0:
                raise InputError(f"{name}={value!r} must be a number of at least 0; pass "
                                 f"--{_option(name)} 0 or more.", field=name)
        if not _number(self.efficiency) or not 0 < self.efficiency <= 1:
            raise InputError(f"efficiency={self.efficiency!r} must be in (0, 1]: it is the share of GPU time "
                             "spent generating; pass --efficiency 0.9 (or your measured share).",
                             field="efficiency")

    @property
    def gpus(self) -> int:
        """P = nodes × GPUs per node."""
        return self.nodes * self.gpus_per_node


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _option(name: str) -> str:
    """The CLI option of a field: ``gpus_per_node`` → ``gpus-per-node``."""
    return name.replace("_", "-")


@dataclass(frozen=True)
class Input:
    """One input of a workload and where its value comes from."""

    name: str
    value: Any
    kind: str        #: plan, measured, assumed, or given (a measured or assumed input you overrode)
    help: str
    source: str


def inputs(w: ClusterWorkload) -> list[Input]:
    """Every input of ``w`` with its provenance; an overridden measured/assumed default is ``given``."""
    rows = []
    for f in fields(ClusterWorkload):
        value = getattr(w, f.name)
        kind, source = f.metadata["kind"], f.metadata["source"]
        if kind != "plan" and value != f.default:
            kind, source = "given", f"default {f.default:,g} ({kind})"
        rows.append(Input(f.name, value, kind, f.metadata["help"], source))
    return rows


@dataclass(frozen=True)
class Estimate:
    """What a :class:`ClusterWorkload` costs. Symbols: S samples, L̄ mean tokens, G tokens/s per GPU,
    P GPUs, η efficiency, U samples per unit, V verified samples/s per core, C verification cores."""

    samples: int                    #: S = checkpoints × Σ problems × n
    tokens: float                   #: T = S × L̄
    gpus: int                       #: P = nodes × GPUs per node
    unit_seconds: float             #: one unit on one GPU: U × L̄ / G
    sampling_s: float               #: max(T / (G·P), unit_seconds) / η
    verify_s: float                 #: verification alone: S / (V·C)
    verify_last_s: float            #: the last shard's verification after the last unit: U / (V × verify_cpus)
    wall_s: float                   #: max(sampling_s, verify_s) + verify_last_s (verification is pipelined)
    bottleneck: str                 #: "sampling" or "verification", whichever sets the wall time
    gpu_hours: float                #: billed: P × wall_s / 3600
    gpu_hours_busy: float           #: generating: T / G / 3600 (η = 1)
    units: int                      #: checkpoints × Σ_b ⌈problems_b × n / U⌉ (a unit never spans benchmarks)
    samples_shards: int             #: one per unit
    verdict_shards: int             #: one per samples shard
    shards_per_s: float             #: samples shards landing per second: units / sampling_s
    bytes_written: float            #: samples shards: T / 1000 × bytes per 1k tokens (verdicts not counted)
    write_rate: float               #: bytes_written / wall_s, bytes/s on the shared storage
    bytes_per_shard: float          #: bytes_written / units
    driver_tasks: int               #: units (sampling) + units (verification) + nodes (probe)
    driver_cpu_s: float             #: driver_tasks × CPU-ms per task / 1000
    task_overhead: float            #: wall per task / unit_seconds (the overhead's share of a unit)
    engine_loads: int               #: ≤ min(P, units) + checkpoints − 1 (model affinity: a GPU changes model only
    #: when its model's units run out)
    engine_load_gpu_hours: float    #: engine_loads × load seconds / 3600 (inside 1 − η)
    tail_s: float                   #: the last wave: GPUs finish within one unit_seconds of each other
    tail_gpu_hours: float           #: ≤ P × unit_seconds / 3600 idle in the last wave (inside 1 − η)
    slack_gpu_hours: float          #: (1 − η) × gpu_hours: what η sets aside for loads, the tail, retries
    node_hours: float               #: nodes × wall_s / 3600
    expected_node_failures: float   #: node_hours × failure rate / 720 h
    node_failure_gpu_hours: float   #: one node lost: GPUs per node × (in_flight × unit_seconds + load) / 3600
    expected_head_failures: float   #: wall_s / 3600 × failure rate / 720 h (driver or head node)
    head_failure_gpu_hours: float   #: driver lost, rerun resumes: P × (in_flight × unit_seconds + load) / 3600
    expected_failure_gpu_hours: float  #: the two expectations summed (an upper bound: a queued unit loses nothing)
    verify_cpu_hours: float         #: S / V / 3600


def estimate(w: ClusterWorkload) -> Estimate:
    """The throughput model of ``docs/scale-out.md``; the formulas are on :class:`Estimate`'s fields.

    Sampling is taken as GPU-bound and linear in P: units are independent and a task's overhead
    (ms) is ~10⁵ times smaller than a unit (minutes). Failures are independent, at a constant rate.
    """
    samples = w.checkpoints * sum(w.problems) * w.n
    tokens = samples * w.mean_tokens
    gpus = w.gpus
    unit_s = w.unit_samples * w.mean_tokens / w.tokens_per_s
    sampling_s = max(tokens / (w.tokens_per_s * gpus), unit_s) / w.efficiency
    verify_s = samples / (w.verify_rate * w.verify_cores)
    verify_last_s = min(w.unit_samples, samples) / (w.verify_rate * w.verify_cpus)
    wall_s = max(sampling_s, verify_s) + verify_last_s
    units = w.checkpoints * sum(math.ceil(p * w.n / w.unit_samples) for p in w.problems)
    bytes_written = tokens / 1000 * w.bytes_per_1k_tokens
    driver_tasks = 2 * units + w.nodes
    engine_loads = min(gpus, units) + w.checkpoints - 1
    lost_per_gpu_s = w.in_flight * unit_s + w.engine_load_s
    node_hours = w.nodes * wall_s / 3600
    node_failures = node_hours * w.failure_rate / MONTH_HOURS
    head_failures = wall_s / 3600 * w.failure_rate / MONTH_HOURS
    node_cost = w.gpus_per_node * lost_per_gpu_s / 3600
    head_cost = gpus * lost_per_gpu_s / 3600
    gpu_hours = gpus * wall_s / 3600
    return Estimate(
        samples=samples, tokens=tokens, gpus=gpus, unit_seconds=unit_s, sampling_s=sampling_s,
        verify_s=verify_s, verify_last_s=verify_last_s, wall_s=wall_s,
        bottleneck="sampling" if sampling_s >= verify_s else "verification",
        gpu_hours=gpu_hours, gpu_hours_busy=tokens / w.tokens_per_s / 3600,
        units=units, samples_shards=units, verdict_shards=units, shards_per_s=units / sampling_s,
        bytes_written=bytes_written, write_rate=bytes_written / wall_s, bytes_per_shard=bytes_written / units,
        driver_tasks=driver_tasks, driver_cpu_s=driver_tasks * w.task_cpu_ms / 1000,
        task_overhead=w.task_wall_ms / 1000 / unit_s,
        engine_loads=engine_loads, engine_load_gpu_hours=engine_loads * w.engine_load_s / 3600,
        tail_s=unit_s, tail_gpu_hours=gpus * unit_s / 3600,
        slack_gpu_hours=(1 - w.efficiency) * gpu_hours,
        node_hours=node_hours, expected_node_failures=node_failures, node_failure_gpu_hours=node_cost,
        expected_head_failures=head_failures, head_failure_gpu_hours=head_cost,
        expected_failure_gpu_hours=node_failures * node_cost + head_failures * head_cost,
        verify_cpu_hours=samples / w.verify_rate / 3600,
    )


def _duration(s: float) -> str:
    if s >= 2 * 86400:
        return f"{s / 86400:,.1f} d"
    if s >= 3600:
        return f"{s / 3600:,.1f} h"
    if s >= 60:
        return f"{s / 60:,.1f} min"
    return f"{s:,.1f} s"


def _bytes(b: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= size:
            return f"{b / size:,.1f} {unit}"
    return f"{b:,.0f} B"


def _value(v: Any) -> str:
    if isinstance(v, tuple):
        return f"{sum(v):,}"
    return f"{v:,g}" if isinstance(v, float) else f"{v:,}"


def _table(rows: list[tuple[str, str, str]]) -> list[str]:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return [f"  {a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]


def format_estimate(w: ClusterWorkload, e: Estimate | None = None) -> str:
    """The inputs (with their provenance) and the estimate as a plain-text table (≤ 100 columns)."""
    e = e if e is not None else estimate(w)
    rows = []
    for i in inputs(w):
        note = i.kind if i.kind == "plan" else f"{i.kind}: {i.source}"
        if i.name == "problems" and len(w.problems) > 1:
            note = f"plan: {' + '.join(f'{p:,}' for p in w.problems)}"
        rows.append((i.name, _value(i.value), note))

    def share(h: float) -> str:
        return f"{h:,.1f} GPU-h ({100 * h / e.gpu_hours:.2f} %)"

    month = f"{MONTH_HOURS:.0f} h"
    out = [
        ("samples", f"{e.samples:,}", "checkpoints × Σ problems × n"),
        ("generated tokens", f"{e.tokens:.3g}", "samples × mean_tokens"),
        ("GPUs", f"{e.gpus:,}", "nodes × gpus_per_node"),
        ("one unit on one GPU", _duration(e.unit_seconds), "unit_samples × mean_tokens / tokens_per_s"),
        ("sampling", _duration(e.sampling_s), "max(tokens/tokens_per_s/GPUs, unit) / efficiency"),
        ("verification alone", _duration(e.verify_s), "samples / verify_rate / verify_cores"),
        ("wall time", _duration(e.wall_s), f"max(sampling, verification) + last shard {_duration(e.verify_last_s)}"),
        ("bound by", e.bottleneck, "the larger of sampling and verification"),
        ("GPU-hours billed", f"{e.gpu_hours:,.0f}", "GPUs × wall time"),
        ("GPU-hours generating", f"{e.gpu_hours_busy:,.0f}", "tokens / tokens_per_s (efficiency 1)"),
        ("work units", f"{e.units:,}", "checkpoints × Σ ⌈problems × n / unit_samples⌉"),
        ("samples shards", f"{e.samples_shards:,}", f"one per unit; {e.shards_per_s:,.2f} per second"),
        ("verdict shards", f"{e.verdict_shards:,}", "one per samples shard"),
        ("bytes written", _bytes(e.bytes_written), f"tokens / 1000 × bytes_per_1k_tokens ({_bytes(e.write_rate)}/s)"),
        ("bytes per samples shard", _bytes(e.bytes_per_shard), "bytes written / units"),
        ("driver tasks", f"{e.driver_tasks:,}", "2 × units + nodes (sample, verify, probe tasks)"),
        ("driver overhead", f"{e.driver_cpu_s:,.0f} CPU-s", "driver tasks × task_cpu_ms"),
        ("task overhead per unit", f"{e.task_overhead:.1e}", "task_wall_ms / one unit"),
        ("verification CPU", f"{e.verify_cpu_hours:,.1f} CPU-h", "samples / verify_rate"),
        ("engine loads", f"≤ {e.engine_loads:,}", "GPUs + checkpoints − 1 (model affinity)"),
        ("  their GPU time", share(e.engine_load_gpu_hours),
         "engine loads × engine_load_s"),
        ("tail of the last wave", f"≤ {_duration(e.tail_s)}", "one unit"),
        ("  idle GPU time", f"≤ {share(e.tail_gpu_hours)}", "GPUs × one unit"),
        ("slack (1 − efficiency)", f"{e.slack_gpu_hours:,.0f} GPU-h", "must cover loads, tail and retries"),
        ("node-hours", f"{e.node_hours:,.0f}", "nodes × wall time"),
        ("node failures expected", f"{e.expected_node_failures:.2f}", f"node-hours / {month} × failure_rate"),
        ("  cost of one", f"≤ {e.node_failure_gpu_hours:,.1f} GPU-h", "gpus_per_node × (in_flight × unit + load)"),
        ("head failures expected", f"{e.expected_head_failures:.3f}", f"wall time / {month} × failure_rate"),
        ("  cost of one", f"≤ {e.head_failure_gpu_hours:,.1f} GPU-h", "GPUs × (in_flight × unit + load); rerun"),
        ("expected failure cost", share(e.expected_failure_gpu_hours),
         "Σ expected failures × cost of one"),
    ]
    return "\n".join(["inputs", *_table(rows), "", "estimate", *_table(out)])
