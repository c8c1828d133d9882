"""The model organism as a plugin: what it adds to boundary, through the public registries only.

Registered when plugins load (entry point ``organism`` of the group ``boundary.plugins`` in
boundary's ``pyproject.toml``; :mod:`boundary.plugins`):

- benchmarks ``countdown`` and ``countdown-hard`` (the shipped held-out problems, or ``source=``),
  and ``countdown-visual`` (the visual organism's: the numbers in an image, :mod:`boundary.organism.visual`);
- the task kind ``countdown``: the run's template renders the prompt; the exact checker verifies;
- the backend ``tiny``: the organism's batched KV-cache sampler (:mod:`boundary.organism.backend`);
- the report section ``Perception check`` for runs with visual Countdown problems;
- the CLI commands ``boundary demo`` and ``boundary organism train`` (:func:`register_commands`).

Nothing in the rest of boundary imports this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from boundary.report import register_report_section
from boundary.sampling.backends import register_backend
from boundary.tasks import Problem, TaskKind, register_benchmark, register_kind


def _load(name: str, source: str | Path | None = None) -> list[Problem]:
    from boundary.organism.benchmark import load_countdown
    return load_countdown(name, source)


def _load_visual(name: str, source: str | Path | None = None) -> list[Problem]:
    from boundary.organism.visual import load_benchmark, shipped_dir
    return load_benchmark(source if source is not None else shipped_dir() / "heldout.jsonl")


def _verifier(config: Any = None):
    from boundary.organism.verify import CountdownVerifier
    return CountdownVerifier(config)


def _tiny(model_spec: Any):
    from boundary.organism.backend import TinyBackend
    return TinyBackend(model_spec)


register_benchmark("countdown", _load, description="the organism's 100 held-out Countdown problems", replace=True)
register_benchmark("countdown-hard", _load, description="60 held-out Countdown problems a blind guess rarely "
                   "solves (chance <= 8.7e-4)", replace=True)
register_benchmark("countdown-visual", _load_visual, description="the visual organism's 60 held-out Countdown "
                   "problems, the numbers drawn in a 70x70 image and the target in the text", replace=True)
register_kind(TaskKind("countdown", _verifier, description="Countdown: an expression over + - * that uses "
                       "every number once and hits the target (exact checker)"), replace=True)
register_backend("tiny", _tiny, needs_path=True)


def _perception_section(analysis: Any, out_dir: Path):
    from boundary.organism.demo import perception_section
    return perception_section(analysis, out_dir)


register_report_section("organism-perception", _perception_section)


def register_commands(app: Any) -> None:
    """Add ``boundary demo`` and ``boundary organism train`` to the CLI's typer app."""
    from boundary.organism.commands import add_commands
    add_commands(app)
