"""The counts and paper importers behind the registry's uniform signature (their functions are unchanged)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from boundary.errors import InputError
from boundary.importers.counts import ImportSummary, import_counts
from boundary.importers.paper import PaperImportSummary, import_paper_jsonl


@dataclass(frozen=True)
class CountsFilesSummary:
    parts: list[ImportSummary]

    def lines(self) -> list[str]:
        out = [f"imported {s.rows} rows ({s.samples:,} samples) of {', '.join(s.models)} on "
               f"{', '.join(s.benchmarks)} into [bold]{s.run}[/]" for s in self.parts]
        return out + [f"next: boundary report {self.parts[-1].run}"]


@dataclass(frozen=True)
class PaperFilesSummary:
    parts: list[PaperImportSummary]

    def lines(self) -> list[str]:
        out = []
        for s in self.parts:
            resumed = f", {s.skipped_samples:,} were already there" if s.skipped_samples else ""
            out.append(f"imported {s.problems} problems, {s.samples:,} samples of {s.model} on {s.benchmark}"
                       f"{resumed} into [bold]{s.run}[/]")
        return out


def import_counts_files(paths: list[str | Path], run: str | Path, *, model: str | None = None,
                        benchmark: str | None = None, options: Mapping[str, str] | None = None,
                        progress: Callable[[int], None] | None = None) -> CountsFilesSummary:
    if model:
        raise InputError("a counts file names its models in its `model` column; drop --model.")
    return CountsFilesSummary([import_counts(p, run, benchmark=benchmark) for p in paths])


def import_paper_files(paths: list[str | Path], run: str | Path, *, model: str | None = None,
                       benchmark: str | None = None, options: Mapping[str, str] | None = None,
                       progress: Callable[[int], None] | None = None) -> PaperFilesSummary:
    if not model or not benchmark:
        raise InputError("the paper's JSONL names neither its model nor its benchmark; give both with "
                         "--model and --benchmark.", path=str(paths[0]) if paths else None)
    if len(paths) != 1:
        raise InputError(f"got {len(paths)} files; the paper format numbers each problem's samples from 0, so "
                         "import one file per model and benchmark.")
    return PaperFilesSummary([import_paper_jsonl(paths[0], run, model=model, benchmark=benchmark,
                                                 progress=progress)])
