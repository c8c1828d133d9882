"""Answer validity beyond the verifier: an LLM judge of chains of thought (CoT-pass@k) and the
guessability filter (problems a model answers without reasoning).

    from boundary.judge import judge_run, cot_pass_at_k, guess_run, guessability
"""

from __future__ import annotations

from boundary.judge.cot import (CotPassRow, JudgeConfig, JudgeSummary, aggregate, cot_pass_at_k, judge_id, judge_run,
                                judges, judgment_labels, parse_verdict)
from boundary.judge.guess import GuessRow, guess_run, guessability, guessable_problems


__all__ = ["judge_run", "cot_pass_at_k", "judges", "judgment_labels", "parse_verdict", "aggregate", "judge_id",
           "JudgeSummary", "JudgeConfig", "CotPassRow", "guess_run", "guessability", "guessable_problems",
           "GuessRow"]
