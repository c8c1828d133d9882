"""The importer registry: a format name → the function that imports its files into a run.

``boundary import FORMAT FILE… --run R [--model M] [--benchmark B] [-o KEY=VALUE]`` is one
command per registered format, all calling :func:`run_import`. An importer is a function
``(paths, run, *, model, benchmark, options, progress) -> summary`` whose summary has
``lines()`` (what the CLI prints). This module imports nothing heavy: the functions are named by
module and attribute and loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boundary.errors import InputError


@dataclass(frozen=True)
class Importer:
    name: str
    help: str
    """One line: what the format is (the command's help)."""
    files: str
    """What FILE… are (the argument's help)."""
    target: str
    """``module:function`` of the import function."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Accepted ``-o KEY=VALUE`` options and what each does."""

    def load(self) -> Callable[..., Any]:
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)


_REGISTRY: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _REGISTRY[importer.name] = importer


def get_importer(name: str) -> Importer:
    if name not in _REGISTRY:
        raise InputError(f"unknown import format {name!r}; the formats are {', '.join(_REGISTRY)}.")
    return _REGISTRY[name]


def importers() -> list[Importer]:
    return list(_REGISTRY.values())


def parse_options(items: list[str]) -> dict[str, str]:
    """``["metric=acc", "kind=code"]`` → ``{"metric": "acc", "kind": "code"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"option {item!r} is not KEY=VALUE (e.g. -o metric=exact_match).")
        out[key.strip()] = value.strip()
    return out


def run_import(name: str, paths: list[str | Path], run: str | Path, *, model: str | None = None,
               benchmark: str | None = None, options: Mapping[str, str] | None = None,
               progress: Callable[[int], None] | None = None) -> Any:
    """Import ``paths`` in format ``name`` into ``run``; return the importer's summary."""
    imp = get_importer(name)
    opts = dict(options or {})
    unknown = sorted(set(opts) - set(imp.options))
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)} for the {name} format; it takes "
                         f"{', '.join(sorted(imp.options)) or 'none'}.")
    return imp.load()(list(paths), run, model=model, benchmark=benchmark, options=opts, progress=progress)


# ------------------------------------------------------------------------------------ built-ins
_OPTIONS_KIND = {"kind": "the task kind recorded for `boundary verify` (default: math)"}

register_importer(Importer(
    "counts", "Import per-problem correct counts.",
    "CSV/TSV/Parquet with problem_id, model, n, correct (optional: benchmark, run).",
    "boundary.importers.adapters:import_counts_files"))
register_importer(Importer(
    "paper", "Import the paper's evaluation JSONL (samples and verdicts).",
    "JSONL written by the paper's math_eval.py (lists code/response, pred, score per problem).",
    "boundary.importers.adapters:import_paper_files"))
register_importer(Importer(
    "lm-eval", "Import lm-evaluation-harness --log_samples output (samples; verdicts of its 0/1 metric).",
    "samples_<task>_<date>.jsonl files (benchmark: the task; model: their directory, unless given).",
    "boundary.importers.lm_eval:import_lm_eval",
    {"filter": "the filter whose lines are imported (default: the first in the file)",
     "metric": "the 0/1 metric taken as the verdict (default: the first of the line's `metrics`)",
     "reference": "a field of `doc` to use as the reference instead of `target`", **_OPTIONS_KIND}))
register_importer(Importer(
    "nemo-skills", "Import NeMo-Skills generation files (output-rs<seed>.jsonl; verdicts: symbolic_correct or judge).",
    "output-rs<seed>.jsonl files of one benchmark, one per seed (benchmark: their directory, unless given).",
    "boundary.importers.nemo_skills:import_nemo_skills",
    {"verdict": "symbolic_correct, judge_correct (from `judgement`) or none (default: symbolic_correct when present)",
     "id": "a field naming the problem (default: the line position, as NeMo-Skills pairs the files)",
     **_OPTIONS_KIND}))
register_importer(Importer(
    "inspect", "Import Inspect AI eval logs (.eval / .json; epochs are samples; verdicts: a scorer's C/I or 0/1).",
    ".eval or .json logs (model: the log's eval.model, benchmark: its task, unless given).",
    "boundary.importers.inspect_logs:import_inspect",
    {"scorer": "the scorer whose values are the verdicts (needed when the log has several), or none",
     **_OPTIONS_KIND}))
register_importer(Importer(
    "evalplus", "Import EvalPlus samples (samples.jsonl or <task_id>/<i>.py) and eval_results.json verdicts.",
    "samples.jsonl files or sample directories (benchmark: humaneval+ / mbpp+ from the task ids; model: the name).",
    "boundary.importers.evalplus:import_evalplus",
    {"verdict": "plus (base and plus tests pass; the default), base, or none",
     "results": "the eval_results.json of the samples (default: the one evalplus.evaluate writes beside them)",
     "source": "the HumanEval+/MBPP+ release file (or its directory): the problems' tests, so that "
               "`boundary verify` can re-grade the samples"}))
