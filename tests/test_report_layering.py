"""The report draws the Analysis: report/ imports neither judge nor scoring, analysis/ imports neither
judge nor report (imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "boundary"


def _imports(package: str) -> dict[str, set[str]]:
    """module path → boundary subpackages it imports (anywhere in the file)."""
    out: dict[str, set[str]] = {}
    for f in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        out[str(f.relative_to(SRC))] = {n.split(".")[1] for n in names if n.startswith("boundary.") and "." in n}
    return out


@pytest.mark.parametrize("package, forbidden", [("report", {"judge", "scoring", "spec", "pipeline", "cli"}),
                                                ("analysis", {"judge", "report", "spec", "pipeline", "cli"})])
def test_no_upward_imports(package, forbidden):
    bad = {f: sorted(subs & forbidden) for f, subs in _imports(package).items() if subs & forbidden}
    assert not bad, f"{package}/ must not import {sorted(forbidden)}; found {bad}"


def test_judge_does_not_import_report():
    bad = {f: subs for f, subs in _imports("judge").items() if "report" in subs}
    assert not bad, f"judge/ must not import report/ (report draws judge's results via the Analysis); found {bad}"
