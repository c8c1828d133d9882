"""The cluster throughput model (boundary.scaleout) and `boundary plan-cluster`."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import pytest

from boundary.errors import BoundaryError, InputError
from boundary.scaleout import MONTH_HOURS, ClusterWorkload, estimate, format_estimate, inputs

SMALL = dict(problems=(10, 3), n=8, checkpoints=2, nodes=2, gpus_per_node=2, unit_samples=16, in_flight=2,
             verify_cores=4, verify_cpus=2, mean_tokens=100.0, tokens_per_s=50.0, efficiency=0.5,
             engine_load_s=30.0, failure_rate=3.0, bytes_per_1k_tokens=2000.0, verify_rate=4.0,
             task_cpu_ms=5.0, task_wall_ms=2.0)


def test_small_case_by_hand():
    w = ClusterWorkload(**SMALL)
    e = estimate(w)
    samples = 2 * (10 + 3) * 8                       # 208
    tokens = samples * 100.0
    gpus = 4
    unit_s = 16 * 100.0 / 50.0                      # 32 s
    sampling = max(tokens / (50.0 * gpus), unit_s) / 0.5
    verify = samples / (4.0 * 4)
    last = 16 / (4.0 * 2)
    wall = max(sampling, verify) + last
    units = 2 * (math.ceil(10 * 8 / 16) + math.ceil(3 * 8 / 16))   # 2 × (5 + 2)
    assert (e.samples, e.tokens, e.gpus, e.units) == (samples, tokens, gpus, units)
    assert e.unit_seconds == pytest.approx(unit_s)
    assert e.sampling_s == pytest.approx(sampling)
    assert e.verify_s == pytest.approx(verify)
    assert e.wall_s == pytest.approx(wall)
    assert e.bottleneck == ("sampling" if sampling >= verify else "verification")
    assert e.gpu_hours == pytest.approx(gpus * wall / 3600)
    assert e.gpu_hours_busy == pytest.approx(tokens / 50.0 / 3600)
    assert e.samples_shards == e.verdict_shards == units
    assert e.bytes_written == pytest.approx(tokens / 1000 * 2000.0)
    assert e.write_rate == pytest.approx(e.bytes_written / wall)
    assert e.driver_tasks == 2 * units + 2
    assert e.driver_cpu_s == pytest.approx((2 * units + 2) * 5.0 / 1000)
    assert e.task_overhead == pytest.approx(2.0 / 1000 / unit_s)
    assert e.engine_loads == min(gpus, units) + 2 - 1
    assert e.tail_s == pytest.approx(unit_s)
    assert e.slack_gpu_hours == pytest.approx(0.5 * gpus * wall / 3600)
    node_failures = 2 * wall / 3600 * 3.0 / MONTH_HOURS
    head_failures = wall / 3600 * 3.0 / MONTH_HOURS
    node_cost = 2 * (2 * unit_s + 30.0) / 3600
    head_cost = gpus * (2 * unit_s + 30.0) / 3600
    assert e.expected_node_failures == pytest.approx(node_failures)
    assert e.node_failure_gpu_hours == pytest.approx(node_cost)
    assert e.expected_failure_gpu_hours == pytest.approx(node_failures * node_cost + head_failures * head_cost)
    assert e.verify_cpu_hours == pytest.approx(samples / 4.0 / 3600)


def test_verification_can_be_the_bottleneck():
    e = estimate(ClusterWorkload(**{**SMALL, "verify_rate": 0.01}))
    assert e.bottleneck == "verification"
    assert e.wall_s > e.sampling_s


def test_one_benchmark_total_rounds_up_once():
    """Units never span benchmarks: per-benchmark rounding can only add units."""
    split = estimate(ClusterWorkload(problems=(30, 40, 1319, 500, 272, 675))).units
    whole = estimate(ClusterWorkload(problems=(2836,))).units
    assert whole == 100 * math.ceil(2836 * 1024 / 4096)
    assert whole <= split <= whole + 100 * 5


@pytest.mark.parametrize("nodes", [1, 4, 16, 64])
def test_more_gpus_less_wall_time(nodes):
    now = estimate(ClusterWorkload(nodes=nodes)).wall_s
    more = estimate(ClusterWorkload(nodes=nodes * 2)).wall_s
    assert more < now


def test_bigger_units_fewer_shards_and_tasks():
    small, big = (estimate(ClusterWorkload(unit_samples=u)) for u in (1024, 8192))
    assert big.samples_shards < small.samples_shards
    assert big.driver_tasks < small.driver_tasks
    assert big.node_failure_gpu_hours > small.node_failure_gpu_hours     # a lost unit costs more


@pytest.mark.parametrize("field,value", [("nodes", 0), ("gpus_per_node", 0), ("failure_rate", -1.0),
                                         ("tokens_per_s", 0.0), ("verify_rate", -5.0), ("efficiency", 1.5),
                                         ("efficiency", 0.0), ("problems", ()), ("problems", (10, 0)),
                                         ("n", 2.5), ("mean_tokens", float("nan"))])
def test_bad_inputs_name_value_and_fix(field, value):
    with pytest.raises(InputError) as e:
        ClusterWorkload(**{field: value})
    message = str(e.value)
    assert field in message and "pass --" in message
    assert isinstance(e.value, BoundaryError)


def test_every_input_says_where_it_comes_from():
    kinds = {i.name: i.kind for i in inputs(ClusterWorkload())}
    assert set(kinds) == {f.name for f in dataclasses.fields(ClusterWorkload)}
    assert {kinds["task_cpu_ms"], kinds["task_wall_ms"], kinds["verify_rate"]} == {"measured"}
    assert kinds["tokens_per_s"] == kinds["mean_tokens"] == kinds["efficiency"] == "assumed"
    assert kinds["nodes"] == "plan"
    changed = {i.name: i for i in inputs(ClusterWorkload(verify_rate=1.8, tokens_per_s=20_000.0))}
    assert changed["verify_rate"].kind == changed["tokens_per_s"].kind == "given"
    assert "measured" in changed["verify_rate"].source


def test_table_lists_inputs_and_estimate():
    text = format_estimate(ClusterWorkload())
    for label in ("measured", "assumed", "wall time", "GPU-hours billed", "work units", "bytes written",
                  "driver tasks", "expected failure cost", "tail of the last wave"):
        assert label in text
    assert max(len(line) for line in text.splitlines()) <= 100


def boundary(*args):
    return subprocess.run([sys.executable, "-m", "boundary.cli", "plan-cluster", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_the_table_and_maps_every_option():
    r = boundary("--nodes", 8, "--problems", 500, "--problems", 30, "--tokens-per-s", 20000)
    assert r.returncode == 0, r.stderr
    e = estimate(ClusterWorkload(nodes=8, problems=(500, 30), tokens_per_s=20_000.0))
    assert f"{e.samples:,}" in r.stdout and f"{e.units:,}" in r.stdout and "given" in r.stdout
    from typer.main import get_command

    import boundary.cli as cli
    command = get_command(cli.app).commands["plan-cluster"]      # type: ignore[attr-defined]
    options = {p.name for p in command.params}
    assert options == {f.name for f in dataclasses.fields(ClusterWorkload)}


def test_cli_bad_input_is_one_line():
    r = boundary("--gpus-per-node", 0)
    assert r.returncode == 2
    assert "gpus_per_node=0" in r.stderr and "Traceback" not in r.stderr


def test_docs_show_the_current_output():
    """docs/scale-out.md works the sweep through with the command's output; it must not drift."""
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "scale-out.md").read_text(encoding="utf-8")
    assert format_estimate(ClusterWorkload()) in doc, (
        "docs/scale-out.md's `boundary plan-cluster` output is stale: paste the command's output again")
