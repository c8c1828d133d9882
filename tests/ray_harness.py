"""Runs a Ray scenario on a local multi-node cluster; tests/test_ray.py starts it inside a network
namespace that has only loopback (`unshare -n`), so no traffic can leave the machine.

    python tests/ray_harness.py SCENARIO OUT_DIR    → OUT_DIR/result.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BOUNDARY_PLUGINS", "tests.helpers.fake_backend")
os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

AIME = str(ROOT / "tests" / "data" / "math" / "aime24.jsonl")


def spec(n=16, engine_args=None, executor=None, models=("base", "rl"), limit=6):
    from boundary.spec import parse_spec
    return parse_spec(spec_dict(n, engine_args, executor, models, limit))


def spec_dict(n=16, engine_args=None, executor=None, models=("base", "rl"), limit=6):
    return ({
        "seed": 0, "template": "qwen-boxed",
        "models": [{"name": m, "backend": "fake", "path": "none", "engine_args": dict(engine_args or {})}
                   for m in models],
        "benchmarks": [{"name": "aime24", "source": AIME, "limit": limit}],
        "sampling": {"n": n, "chunk_size": 4, "max_tokens": 64},
        "verify": {"workers": 1},
        "executor": executor or {"kind": "local"}})


def table(run_dir, name, cols):
    from boundary.store import Run
    t = Run(run_dir).read(name, cols)
    return sorted(tuple(r[c] for c in cols) for r in t.to_pylist())


SAMPLE_COLS = ["model", "benchmark", "problem_id", "sample_index", "text", "seed", "finish_reason",
               "prompt_tokens", "completion_tokens"]
VERDICT_COLS = ["model", "benchmark", "problem_id", "sample_index", "status", "extracted"]


def stage(run_dir, s, executor=None):
    """sample + verify of spec ``s`` into ``run_dir`` (the pipeline's first two stages)."""
    from boundary.executors import make_executor
    from boundary.pipeline import sample_verify_spec
    from boundary.store import Run
    run = Run.create(run_dir, spec=s.model_dump(mode="json"))
    ex = executor if executor is not None else make_executor(s.executor.to_config())
    r, v = sample_verify_spec(s, run, executor=ex)       # on Ray: verification pipelined behind sampling
    return r, v, ex


def main(scenario: str, out: Path) -> None:
    import ray
    from ray.cluster_utils import Cluster

    from boundary.errors import BoundaryError
    from boundary.executors import ExecutorConfig
    from boundary.executors.ray import RayExecutor
    t0 = time.time()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    result: dict = {"cluster_s": round(time.time() - t0, 1)}
    cfg = {"kind": "ray", "address": cluster.address, "unit_samples": 8, "replicas": 2, "max_retries": 2}
    try:
        if scenario == "equivalence":
            stage(out / "local", spec())
            ex = RayExecutor(ExecutorConfig(**cfg))
            r, v, _ = stage(out / "ray", spec(executor=cfg), ex)
            result["ray_new"], result["ray_verified"] = r.new_samples, v.verified
            result["nodes_sampling"] = sorted(ex.sample_stats.per_node.values())
            for name, cols in (("samples", SAMPLE_COLS), ("verdicts", VERDICT_COLS)):
                a, b = table(out / "local", name, cols), table(out / "ray", name, cols)
                result[f"{name}_equal"] = a == b
                result[f"{name}_rows"] = len(b)
                result[f"{name}_distinct"] = len({x[:4] for x in b})
            # half local, then finished on Ray (n 8 → 16), and the reverse
            stage(out / "mixed", spec(n=8))
            stage(out / "mixed", spec(n=16, executor=cfg), ex)
            stage(out / "mixed2", spec(n=8, executor=cfg), ex)
            stage(out / "mixed2", spec(n=16))
            for d in ("mixed", "mixed2"):
                rows = table(out / d, "samples", SAMPLE_COLS)
                result[f"{d}_equal"] = rows == table(out / "local", "samples", SAMPLE_COLS)
                v = table(out / d, "verdicts", VERDICT_COLS)
                result[f"{d}_verdicts_equal"] = v == table(out / "local", "verdicts", VERDICT_COLS)
            r, v, _ = stage(out / "ray", spec(executor=cfg), ex)       # a finished run: nothing to do
            result["rerun_new"], result["rerun_verified"] = r.new_samples, v.verified
            # verification pipelined behind sampling: one engine actor per model leaves a CPU free, so
            # shards are graded while later units are still drawn
            one = {**cfg, "replicas": 1}
            ex1 = RayExecutor(ExecutorConfig(**one))
            r, v, _ = stage(out / "pipe", spec(engine_args={"delay_s": 0.05}, executor=one), ex1)
            result["pipe_equal"] = table(out / "pipe", "samples", SAMPLE_COLS) == table(out / "local", "samples",
                                                                                       SAMPLE_COLS)
            result["pipe_verdicts_equal"] = table(out / "pipe", "verdicts", VERDICT_COLS) == table(
                out / "local", "verdicts", VERDICT_COLS)
            result["pipe_verified"] = v.verified
            result["pipe_first_verify_start"] = min(s for s, _ in ex1.verify_stats.busy)
            result["pipe_last_sample_end"] = max(e for _, e in ex1.sample_stats.busy)
            # an adaptive plan: the same rounds, decisions, samples and verdicts as the local stage
            from tests.test_adaptive_sampling import spec_dict as adaptive_dict

            from boundary.spec import parse_spec
            stage(out / "adaptive-local", parse_spec(adaptive_dict(n=32)))
            r, v, _ = stage(out / "adaptive-ray", parse_spec(adaptive_dict(n=32, executor=cfg)), ex)
            result["adaptive_new"], result["adaptive_verified"] = r.new_samples, v.verified
            for name, cols in (("samples", SAMPLE_COLS), ("verdicts", VERDICT_COLS)):
                a, b = table(out / "adaptive-local", name, cols), table(out / "adaptive-ray", name, cols)
                result[f"adaptive_{name}_equal"] = a == b
                result[f"adaptive_{name}_rows"] = len(b)
            per: dict = {}
            for m, _b, pid, *_ in table(out / "adaptive-ray", "samples", SAMPLE_COLS):
                per[f"{m}/{pid}"] = per.get(f"{m}/{pid}", 0) + 1
            result["adaptive_drawn"] = per
            result["adaptive_nodes"] = sorted(ex.sample_stats.per_node.values())
            result["adaptive_graded_on"] = sorted(n.split("/")[-1] for n in ex.verify_stats.per_node)
            r, v, _ = stage(out / "adaptive-ray", parse_spec(adaptive_dict(n=32, executor=cfg)), ex)
            result["adaptive_rerun_new"], result["adaptive_rerun_verified"] = r.new_samples, v.verified
            # one replica leaves a CPU free: rounds graded by verification tasks on the cluster, not the
            # driver (with two, the actors hold both CPUs and the driver grades)
            one = {**cfg, "replicas": 1}
            ex1 = RayExecutor(ExecutorConfig(**one))
            stage(out / "adaptive-ray1", parse_spec(adaptive_dict(n=32, executor=one)), ex1)
            result["adaptive1_equal"] = all(
                table(out / "adaptive-local", name, cols) == table(out / "adaptive-ray1", name, cols)
                for name, cols in (("samples", SAMPLE_COLS), ("verdicts", VERDICT_COLS)))
            result["adaptive1_graded_on"] = sorted(n.split("/")[-1] for n in ex1.verify_stats.per_node)
            # the CLI in a fresh process, `--executor ray --address auto`: Ray finds the cluster from
            # RAY_ADDRESS, as on a node where `ray start` ran
            import subprocess

            import yaml
            (out / "spec.yaml").write_text(yaml.safe_dump(spec_dict()))
            p = subprocess.run([str(Path(sys.executable).parent / "boundary"), "run", str(out / "spec.yaml"), "--run",
                                str(out / "cli"), "--executor", "ray", "--address", "auto", "--no-report"],
                               env=dict(os.environ, RAY_ADDRESS=cluster.address), capture_output=True, text=True,
                               timeout=600)
            result["cli_rc"], result["cli_out"] = p.returncode, (p.stdout + p.stderr)[-3000:]
            if p.returncode == 0:
                from boundary.store import Run
                result["cli_equal"] = table(out / "cli", "samples", SAMPLE_COLS) == table(out / "local", "samples",
                                                                                         SAMPLE_COLS)
                result["cli_verdicts_equal"] = table(out / "cli", "verdicts", VERDICT_COLS) == table(
                    out / "local", "verdicts", VERDICT_COLS)
                result["cli_stage_executor"] = Run(out / "cli").manifest["stages"]["sample"].get("executor")
        elif scenario == "tiny":
            # the organism's real checkpoints through backend: tiny (torch) on the cluster's actors
            from boundary.spec import parse_spec
            ckpt = ROOT / "src" / "boundary" / "organism" / "checkpoints"

            def tiny_spec(executor=None):
                return parse_spec({
                    "seed": 0, "template": "raw",
                    "models": [{"name": m, "backend": "tiny", "path": str(ckpt / m)} for m in ("base", "grpo")],
                    "benchmarks": [{"name": "countdown", "limit": 4}],
                    "sampling": {"n": 16, "chunk_size": 8, "temperature": 1.0, "top_p": 1.0, "max_tokens": 48},
                    "executor": executor or {"kind": "local"}})
            stage(out / "local", tiny_spec())
            ex = RayExecutor(ExecutorConfig(**cfg))
            r, v, _ = stage(out / "ray", tiny_spec(executor=cfg), ex)
            result["ray_new"] = r.new_samples
            result["nodes_sampling"] = sorted(ex.sample_stats.per_node.values())
            for name, cols in (("samples", SAMPLE_COLS + ["logprob_sum"]), ("verdicts", VERDICT_COLS)):
                a, b = table(out / "local", name, cols), table(out / "ray", name, cols)
                result[f"{name}_equal"] = a == b
                result[f"{name}_rows"] = len(b)
        elif scenario == "openai":
            # a real vLLM OpenAI-compatible server on loopback; engine actors reach it over HTTP
            from boundary.organism import make_tiny_checkpoint
            from boundary.spec import parse_spec
            from tests.helpers.server import SERVED_MODEL, _stop, start_vllm_server
            ckpt = make_tiny_checkpoint(out / "ckpt")
            proc, url = start_vllm_server(ckpt, out / "server.log")
            try:
                def http_spec(executor=None):
                    return parse_spec({
                        "seed": 0, "template": "raw",
                        "models": [{"name": "base", "backend": "openai", "endpoint": url + "/v1",
                                    "path": SERVED_MODEL, "max_concurrency": 4}],
                        "benchmarks": [{"name": "aime24", "source": AIME, "limit": 4}],
                        "sampling": {"n": 8, "chunk_size": 4, "max_tokens": 16},
                        "executor": executor or {"kind": "local"}})
                stage(out / "local", http_spec())
                ex = RayExecutor(ExecutorConfig(**cfg))
                r, v, _ = stage(out / "ray", http_spec(executor=cfg), ex)
                result["ray_new"] = r.new_samples
                result["nodes_sampling"] = sorted(ex.sample_stats.per_node.values())
                result["per_node"], result["retries"] = ex.sample_stats.per_node, ex.sample_stats.retries
                result["nodes"] = [(n["NodeID"][:8], n["Alive"], n.get("Resources", {})) for n in ray.nodes()]
                for name, cols in (("samples", SAMPLE_COLS), ("verdicts", VERDICT_COLS)):
                    a, b = table(out / "local", name, cols), table(out / "ray", name, cols)
                    result[f"{name}_equal"] = a == b
                    result[f"{name}_rows"] = len(b)
            finally:
                _stop(proc)
        elif scenario == "driver_kill":
            import signal
            import subprocess
            slow = {"delay_s": 0.3}
            code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.ray_harness import spec, stage; "
                    f"stage({str(out / 'dk')!r}, spec(engine_args={slow!r}, executor={cfg!r}))")
            proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))
            deadline = time.time() + 240
            while time.time() < deadline and len(list((out / "dk" / "samples").glob("part-*.parquet"))) < 2:
                time.sleep(0.1)
            os.kill(proc.pid, signal.SIGKILL)                      # the driver dies mid-run
            proc.wait()
            time.sleep(5)                                          # Ray reaps the dead job's actors
            before = len(table(out / "dk", "samples", SAMPLE_COLS))
            ex = RayExecutor(ExecutorConfig(**cfg))
            r, v, _ = stage(out / "dk", spec(engine_args=slow, executor=cfg), ex)
            stage(out / "ref", spec())
            rows = table(out / "dk", "samples", SAMPLE_COLS)
            result.update(before=before, rerun_new=r.new_samples, rows=len(rows), distinct=len({x[:4] for x in rows}),
                          equal=rows == table(out / "ref", "samples", SAMPLE_COLS),
                          verdicts_equal=table(out / "dk", "verdicts", VERDICT_COLS)
                          == table(out / "ref", "verdicts", VERDICT_COLS),
                          temps=[p.name for p in (out / "dk").rglob(".*.tmp")])
            # the same with an adaptive plan, killed after round 1's first shards: the rerun replans every
            # round from the store and ends where an uninterrupted local run ends
            code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from tests.ray_harness import stage; "
                    "from tests.test_adaptive_sampling import spec_dict; from boundary.spec import parse_spec; "
                    f"stage({str(out / 'ak')!r}, parse_spec(spec_dict(n=32, delay=0.3, executor={cfg!r})))")
            proc = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))
            deadline = time.time() + 240
            while time.time() < deadline and len(list((out / "ak" / "samples").glob("part-*.parquet"))) < 3:
                time.sleep(0.1)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            time.sleep(5)
            from tests.test_adaptive_sampling import spec_dict as adaptive_dict

            from boundary.spec import parse_spec
            result["adaptive_before"] = len(table(out / "ak", "samples", SAMPLE_COLS))
            r, v, _ = stage(out / "ak", parse_spec(adaptive_dict(n=32, delay=0.3, executor=cfg)),
                            RayExecutor(ExecutorConfig(**cfg)))
            stage(out / "aref", parse_spec(adaptive_dict(n=32)))
            result["adaptive_rerun_new"] = r.new_samples
            result["adaptive_equal"] = all(table(out / "ak", t, c) == table(out / "aref", t, c)
                                           for t, c in (("samples", SAMPLE_COLS), ("verdicts", VERDICT_COLS)))
            result["adaptive_rows"] = len(table(out / "aref", "samples", SAMPLE_COLS))
        elif scenario == "faults":
            ex = RayExecutor(ExecutorConfig(**cfg))
            # an engine whose process dies once: the actor restarts, the unit is retried
            flag = out / "died"
            r, v, _ = stage(out / "die", spec(engine_args={"die_once_file": str(flag)}, executor=cfg), ex)
            rows = table(out / "die", "samples", SAMPLE_COLS)
            result["die_flag"] = flag.exists()
            result["die_rows"], result["die_distinct"] = len(rows), len({x[:4] for x in rows})
            result["die_retries"] = ex.sample_stats.retries
            # an engine that dies inside a live process (vLLM's EngineDeadError: every later call fails):
            # the actor exits so Ray restarts it with a new engine; one replica, so no healthy twin hides it
            flag = out / "dead.flag"
            one = {**cfg, "replicas": 1}
            exd = RayExecutor(ExecutorConfig(**one))
            r, v, _ = stage(out / "dead", spec(engine_args={"dead_once_file": str(flag)}, executor=one), exd)
            rows = table(out / "dead", "samples", SAMPLE_COLS)
            result["dead_flag"] = flag.exists()
            result["dead_rows"], result["dead_distinct"] = len(rows), len({x[:4] for x in rows})
            result["dead_retries"] = exd.sample_stats.retries
            # a unit that always fails: reported after the retries, the rest is stored
            try:
                stage(out / "fail", spec(engine_args={"fail_problem": "61"}, executor=cfg, models=("base",)), ex)
                result["fail_error"] = None
            except BoundaryError as e:
                result["fail_error"] = str(e)
            rows = table(out / "fail", "samples", SAMPLE_COLS)
            result["fail_rows"], result["fail_problems"] = len(rows), sorted({x[2] for x in rows})
            tmp = [p.name for p in (out / "fail").rglob(".*.tmp")]
            result["fail_temps"] = tmp
        elif scenario == "node_crash":
            import psutil
            linger = out / "linger"
            linger.mkdir()
            os.environ["BOUNDARY_TEST_LINGER_DIR"] = str(linger)
            os.environ["BOUNDARY_PLUGINS"] = "tests.helpers.fake_backend,tests.helpers.ray_linger"
            ray.init(address=cluster.address, runtime_env={"env_vars": {
                "BOUNDARY_PLUGINS": os.environ["BOUNDARY_PLUGINS"], "PYTHONPATH": os.environ["PYTHONPATH"],
                "BOUNDARY_TEST_LINGER_DIR": str(linger)}}, logging_level=40, log_to_driver=False)
            ex = RayExecutor(ExecutorConfig(**cfg))
            import threading
            box: dict = {}

            def go():
                try:
                    box["r"] = stage(out / "crash", spec(executor=cfg), ex)
                except BaseException as e:          # noqa: BLE001 - reported below
                    box["e"] = repr(e)
            th = threading.Thread(target=go)
            th.start()
            deadline = time.time() + 240
            marker = None
            while time.time() < deadline and marker is None:
                found = list(linger.glob("written-*"))
                marker = found[0] if found else None
                time.sleep(0.2)
            result["marker"] = marker is not None
            if marker is not None:
                pid = int(marker.read_text())
                victim = next(n for n in nodes if psutil.Process(pid).ppid() and _in_tree(psutil, n, pid))
                procs = [psutil.Process(p) for p in _node_pids(victim)]
                kids = [c for p in procs for c in _children(p)]
                for p in procs + kids:
                    try:
                        p.kill()
                    except psutil.NoSuchProcess:
                        pass
                cluster.remove_node(victim, allow_graceful=False)
                cluster.add_node(num_cpus=1)                  # a replacement node
            th.join(timeout=600)
            result["error"] = box.get("e")
            rows = table(out / "crash", "samples", SAMPLE_COLS)
            result["crash_rows"], result["crash_distinct"] = len(rows), len({x[:4] for x in rows})
            v = table(out / "crash", "verdicts", VERDICT_COLS)
            result["crash_verdicts"], result["crash_verdicts_distinct"] = len(v), len({x[:4] for x in v})
            result["crash_temps"] = [p.name for p in (out / "crash").rglob(".*.tmp")]
            result["crash_retries"] = ex.sample_stats.retries
    finally:
        try:
            ray.shutdown()
        finally:
            cluster.shutdown()
    (out / "result.json").write_text(json.dumps(result, indent=1))


def _node_pids(node):
    return [p.process.pid for procs in node.all_processes.values() for p in procs if p.process is not None]


def _children(p):
    try:
        return p.children(recursive=True)
    except Exception:
        return []


def _in_tree(psutil, node, pid):
    for root in _node_pids(node):
        try:
            if pid == root or pid in {c.pid for c in psutil.Process(root).children(recursive=True)}:
                return True
        except psutil.NoSuchProcess:
            continue
    return False


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
