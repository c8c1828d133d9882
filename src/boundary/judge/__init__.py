"""Answer validity beyond the verifier: an LLM judge of chains of thought (CoT-pass@k) and the
guessability filter (problems a model answers without reasoning).

    from boundary.judge import judge_run, cot_pass_at_k, guess_run, guessability
"""

from __future__ import annotations

from pathlib import Path

from boundary.judge.cot import (CotPassRow, JudgeSummary, aggregate, cot_pass_at_k, judge_id, judge_run,
                                judges, judgment_labels, parse_verdict)
from boundary.judge.guess import GuessRow, guess_run, guess_spec, guessability, guessable_problems


def judge_spec_for(run, spec_path: str | Path | None = None):
    """The ``judge:`` block of a spec file, or of the spec the run was made from."""
    from boundary.errors import BoundaryError
    from boundary.spec import JudgeSpec, load_spec
    from boundary.store import Run
    if spec_path is not None:
        js = load_spec(spec_path).judge
        where = str(spec_path)
    else:
        raw = Run(run).spec.get("judge")
        js = JudgeSpec.model_validate(raw) if raw else None
        where = f"the spec recorded in {run}"
    if js is None:
        raise BoundaryError(f"{where} has no `judge:` block; add one (judge: {{model: {{name: ..., backend: ..., "
                            "path: ...}}}}) and pass it with --spec.")
    return js


__all__ = ["judge_run", "cot_pass_at_k", "judges", "judgment_labels", "parse_verdict", "aggregate", "judge_id",
           "JudgeSummary", "CotPassRow", "guess_run", "guess_spec", "guessability", "guessable_problems", "GuessRow",
           "judge_spec_for"]
