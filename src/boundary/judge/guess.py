"""The guessability filter: which problems a model answers correctly without reasoning.

Yue et al. (2025, App. D.2) prompted the base model to answer AIME24 *directly*, sampled many
times, and removed the problems it answered correctly with low but non-zero probability (< 5%):
those can be "solved" at large k by guessing. Problems answered directly with high probability
were kept. ``guess_run(spec, run)`` does the sampling, ``guessability(run)`` the flagging.

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

from boundary.analysis.validity import GUESS_DIR, GuessRow, guessability, guessable_problems
from boundary.errors import BoundaryError
from boundary.store import Run


def guess_spec(spec):
    """The spec of the answer-only run: the chosen models, the answer-only prompt and budget."""
    from boundary.spec import GuessSpec, parse_spec
    g = spec.guess or GuessSpec()
    names = g.models or [spec.analysis.reference or spec.models[0].name]
    by_name = {m.name: m for m in spec.models}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise BoundaryError(f"guess.models {unknown} are not models of the spec; models: {list(by_name)}.")
    models = []
    for n in names:
        d = by_name[n].model_dump(mode="json", exclude_none=True)
        d.pop("template", None)
        d.pop("temperature", None)
        models.append(d)
    temperature = g.temperature if g.temperature is not None else spec.sampling.temperature
    if temperature == 0 and g.n > 1:
        raise BoundaryError(f"guess.n={g.n} answer-only samples at temperature 0 would be identical; "
                            "set guess.temperature > 0.")
    return parse_spec({
        "seed": spec.seed, "template": g.template, "models": models,
        "benchmarks": [b.model_dump(mode="json", exclude_none=True) for b in spec.benchmarks],
        "sampling": {"n": g.n, "temperature": temperature, "top_p": spec.sampling.top_p,
                     "max_tokens": g.max_tokens, "chunk_size": min(g.n, 64)},
    }, where="guess")


def guess_run(spec, run: Run | str | os.PathLike, *, backends=None, progress=None):
    """Sample each chosen model answer-only into ``RUN/guess`` and verify it (resumable)."""
    from boundary.sampling.stage import sample_run
    from boundary.verify import MathVerifyConfig, verify_run
    run = run if isinstance(run, Run) else Run.create(run, spec=spec.model_dump(mode="json"))
    gspec = guess_spec(spec)
    sub = Run.create(run.path / GUESS_DIR, spec=gspec.model_dump(mode="json"))
    s = sample_run(gspec.sampling_plan(), sub, backends=backends, progress=progress)
    v = verify_run(sub, MathVerifyConfig(timeout_s=spec.verify.timeout_s, allow_truncated=True,
                                         last_number_fallback=True, workers=spec.verify.workers))
    g = spec.guess
    run.mark_stage("guess", run=str(sub.path), threshold=(g.threshold if g else 0.05))
    return s, v


__all__ = ["guess_spec", "guess_run", "guessability", "guessable_problems", "GuessRow", "GUESS_DIR"]
