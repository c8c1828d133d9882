"""Bring results computed elsewhere into a run: per-problem counts, the paper's JSONL, and the sample
files of other harnesses (lm-evaluation-harness, NeMo-Skills, Inspect AI, EvalPlus). ``registry`` maps
a format name to its importer (``boundary import FORMAT``); the names below load on first use."""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "ImportSummary": "counts", "import_counts": "counts", "read_counts": "counts",
    "PaperImportSummary": "paper", "import_paper_jsonl": "paper", "validate_paper_jsonl": "paper",
    "import_lm_eval": "lm_eval", "import_nemo_skills": "nemo_skills", "import_inspect": "inspect_logs",
    "import_evalplus": "evalplus",
    "SampleImportSummary": "_stream",
    "Importer": "registry", "get_importer": "registry", "importers": "registry", "register_importer": "registry",
    "run_import": "registry",
}

__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(f"boundary.importers.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'boundary.importers' has no attribute {name!r}")
