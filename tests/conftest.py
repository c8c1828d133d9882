"""Shared fixtures. Engine fixtures live in tests/helpers/ and are registered as plugins here."""

from __future__ import annotations

import os

import pytest

# CPU speed in this kind of VM (see DESIGN.md): glibc's mmap threshold makes torch page-fault.
os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "1000000000")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "100000000000")
os.environ.setdefault("MALLOC_TOP_PAD_", "1000000000")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# tests/data holds inputs, some of them Python files (EvalPlus samples `<task>/<i>.py`, fixture
# writers): never modules to collect (--doctest-modules would import them, and the same basename in
# two folders is an import-file mismatch).
collect_ignore_glob = ["data/*"]

pytest_plugins = [p for p in ("tests.helpers.engines", "tests.helpers.server")
                  if os.path.exists(os.path.join(os.path.dirname(__file__), "helpers", p.split(".")[-1] + ".py"))]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A random-weight Qwen2 checkpoint with the byte tokenizer (needs torch + transformers)."""
    pytest.importorskip("torch", reason="the tiny checkpoint needs torch (pip install torch==2.13.0)")
    pytest.importorskip("transformers", reason="the tiny checkpoint needs transformers")
    from boundary.organism import make_tiny_checkpoint
    return make_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.fixture(scope="session")
def tiny_vlm_checkpoint(tmp_path_factory):
    """A random-weight LLaVA (CLIP ViT + Qwen2 LM, ``<image>`` placeholder) with its processor."""
    pytest.importorskip("torch", reason="the tiny VLM checkpoint needs torch (pip install torch==2.13.0)")
    pytest.importorskip("transformers", reason="the tiny VLM checkpoint needs transformers")
    from boundary.organism import make_tiny_llava_checkpoint
    return make_tiny_llava_checkpoint(tmp_path_factory.mktemp("tiny-vlm") / "ckpt")
