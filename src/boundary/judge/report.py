"""The report's CoT-pass@k and guessability blocks (filled in by the judge and guess modules)."""

from __future__ import annotations


def validity_blocks(run, analysis) -> list[str]:
    """HTML blocks (strings starting with ``<``) and plain notes for the answer-validity section."""
    return []
