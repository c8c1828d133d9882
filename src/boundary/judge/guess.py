"""The guessability filter: which problems a model answers correctly without reasoning.

Yue et al. (2025, App. D.2) prompted the base model to answer AIME24 *directly*, sampled many
times, and removed the problems it answered correctly with low but non-zero probability (< 5%):
those can be "solved" at large k by guessing. Problems answered directly with high probability
were kept. ``guess_run(plan, run)`` does the sampling (``pipeline.guess_spec_run(spec, run)`` from a
spec), ``guessability(run)`` the flagging.

The answer-only samples live in a run of their own, ``RUN/guess/`` (same format, same resumable
sample and verify stages), so they never enter the main run's pass@k curves. The prompt
(``guess.template``) asks for the final answer only, and the token budget (``guess.max_tokens``,
default 24) leaves no room to reason; samples cut at that budget are graded on what they wrote
(``allow_truncated``), and a bare number counts as the answer (``last_number_fallback``).

Each problem gets, per sampled model, c_direct of n_direct answer-only samples correct, and:

- ``guessable`` — 0 < c_direct / n_direct < threshold (the paper's filter: remove these);
- ``direct`` — c_direct / n_direct >= threshold: answered without reasoning, reliably (the paper
  keeps these; they measure knowledge or easy arithmetic rather than luck);
- ``no`` — never answered correctly without reasoning.
"""

from __future__ import annotations

import os

from typing import TYPE_CHECKING

from boundary.analysis.validity import GUESS_DIR, GuessRow, guessability, guessable_problems
from boundary.store import Run
from boundary.verify.math import MathVerifyConfig

if TYPE_CHECKING:
    from boundary.sampling.plan import SamplingPlan
    from boundary.sampling.stage import SampleSummary
    from boundary.verify.stage import VerifySummary


def guess_run(plan: SamplingPlan, run: Run | str | os.PathLike, *, verify: MathVerifyConfig | None = None,
              threshold: float = 0.05, spec_record: dict | None = None, backends=None,
              progress=None) -> tuple[SampleSummary, VerifySummary]:
    """Sample the answer-only ``plan`` into ``RUN/guess`` and verify it (resumable).

    ``plan`` is the answer-only sampling (a spec's: ``Spec.guess_spec().sampling_plan()``); the
    samples are graded with ``verify`` (default: truncated samples graded, a bare number taken as
    the answer); ``threshold`` is recorded for :func:`guessability`; ``spec_record`` is the
    answer-only spec recorded in the nested run.
    """
    from boundary.sampling.stage import sample_run
    from boundary.verify import verify_run
    run = run if isinstance(run, Run) else Run.create(run)
    sub = Run.create(run.path / GUESS_DIR, spec=spec_record)
    s = sample_run(plan, sub, backends=backends, progress=progress)
    v = verify_run(sub, verify or MathVerifyConfig(allow_truncated=True, last_number_fallback=True))
    run.mark_stage("guess", run=str(sub.path), threshold=threshold)
    return s, v


__all__ = ["guess_run", "guessability", "guessable_problems", "GuessRow", "GUESS_DIR"]
