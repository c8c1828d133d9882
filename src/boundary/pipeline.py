"""``boundary run SPEC``: sample → verify → [perplexity] → [judge] → [guess] → analyze → report, resumable
at every stage (the bracketed ones when the spec has their block).

Each stage skips what the run already holds, so running the same spec again after a crash (or
after raising n) does only the missing work.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boundary.errors import BoundaryError
from boundary.executors import make_executor
from boundary.sampling.stage import SampleSummary, sample_run
from boundary.spec import JudgeSpec, Spec, load_spec
from boundary.store import Run
from boundary.verify.stage import VerifySummary


@dataclass(frozen=True)
class RunResult:
    run: str
    new_samples: int
    verified: int
    report: str | None


def default_run_dir(spec: Spec, spec_path: str | Path | None) -> Path:
    if spec.run:
        return Path(spec.run)
    stem = Path(spec_path).stem if spec_path else "run"
    return Path("runs") / stem


def sample_spec(spec: Spec, run: Run | str | Path, *, executor: Any = None, **kwargs) -> SampleSummary:
    """The sample stage on a spec: read it into a :class:`~boundary.sampling.SamplingPlan`, then draw —
    here, or on the spec's executor (``executor:``; a built one may be passed).

    ``kwargs`` go to :func:`boundary.sampling.stage.sample_run` (``progress``, ``backends``, ``batch_chunks``).
    """
    run = run if isinstance(run, Run) else Run.create(run, spec=spec.model_dump(mode="json"))
    if spec.sampling.adaptive is not False:        # its decisions need verdicts: the verify stage runs too
        return _sample_adaptive(spec, run, executor, sample_progress=kwargs.pop("progress", None), **kwargs)[0]
    executor = executor or make_executor(spec.executor.to_config())
    if executor is not None:
        return executor.sample(run, spec.sampling_plan(), progress=kwargs.get("progress"))
    return sample_run(spec.sampling_plan(), run, **kwargs)


def verify_configs(spec: Spec) -> dict[str, Any]:
    """The verifier configs by task kind of a spec's ``verify:`` block."""
    return {"math": spec.verify.to_config(), "code": spec.verify.code.to_config(),
            "visual": spec.verify.visual.to_config()}


def _sample_adaptive(spec: Spec, run: Run, executor: Any, *, sample_progress=None, verify_progress=None,
                     **kwargs) -> tuple[SampleSummary, VerifySummary]:
    """The adaptive plan of a spec (``sampling.adaptive``): sampling and verification interleaved per
    round — here (:func:`boundary.sampling.adaptive.sample_adaptive`), or on the spec's executor
    (``RayExecutor.sample_and_verify``, the same rounds on the cluster)."""
    from boundary.sampling.adaptive import sample_adaptive
    from boundary.verify import verify_run
    executor = executor or make_executor(spec.executor.to_config())
    if executor is not None:
        return executor.sample_and_verify(run, spec.sampling_plan(), verify_configs(spec), progress=sample_progress,
                                          verify_progress=verify_progress)
    configs = verify_configs(spec)
    verifiers: dict[str, Any] = {}                # one verifier per kind for every round (pools stay warm)
    done: list[VerifySummary] = []

    def verify(r: Run) -> None:
        done.append(verify_run(r, configs=configs, progress=verify_progress, verifiers=verifiers))

    try:
        s = sample_adaptive(spec.sampling_plan(), run, verify, progress=sample_progress, **kwargs)
        verify(run)                               # anything else of the run without verdicts
    finally:
        for v in verifiers.values():
            v.close()
    statuses: Counter = Counter()
    for v in done:
        statuses.update(v.statuses)
    return s, VerifySummary(run=str(run.path), verified=sum(v.verified for v in done), skipped=done[-1].skipped,
                            statuses=dict(statuses), distinct_checks=sum(v.distinct_checks for v in done),
                            verifier=done[-1].verifier)


def sample_verify_spec(spec: Spec, run: Run | str | Path, *, executor: Any = None, sample_progress=None,
                       verify_progress=None, on_sampled: Callable[[SampleSummary], None] | None = None,
                       ) -> tuple[SampleSummary, VerifySummary]:
    """The sample and verify stages of a spec: one after the other here, or on the spec's executor with
    verification pipelined behind sampling (each samples shard graded as soon as it lands).
    ``on_sampled`` gets the sample stage's summary as soon as sampling ends."""
    from boundary.verify import verify_run
    run = run if isinstance(run, Run) else Run.create(run, spec=spec.model_dump(mode="json"))
    if spec.sampling.adaptive is not False:
        s, v = _sample_adaptive(spec, run, executor, sample_progress=sample_progress, verify_progress=verify_progress)
        if on_sampled:
            on_sampled(s)
        return s, v
    executor = executor or make_executor(spec.executor.to_config())
    configs = verify_configs(spec)
    if executor is not None:
        s, v = executor.sample_and_verify(run, spec.sampling_plan(), configs, progress=sample_progress,
                                          verify_progress=verify_progress)
        if on_sampled:
            on_sampled(s)
        return s, v
    s = sample_run(spec.sampling_plan(), run, progress=sample_progress)
    if on_sampled:
        on_sampled(s)
    return s, verify_run(run, configs=configs, progress=verify_progress)


def guess_spec_run(spec: Spec, run: Run | str | Path, **kwargs) -> tuple[SampleSummary, VerifySummary]:
    """The guessability filter of a spec (its ``guess:`` block, or defaults): answer-only samples in ``RUN/guess``.

    ``kwargs`` go to :func:`boundary.judge.guess_run` (``backends``, ``progress``).
    """
    from boundary.judge import guess_run
    run = run if isinstance(run, Run) else Run.create(run, spec=spec.model_dump(mode="json"))
    gspec = spec.guess_spec()
    verify = dataclasses.replace(spec.verify.to_config(), allow_truncated=True, last_number_fallback=True)
    return guess_run(gspec.sampling_plan(), run, verify=verify, threshold=spec.guess.threshold if spec.guess else 0.05,
                     spec_record=gspec.model_dump(mode="json"), **kwargs)


def judge_spec_for(run: Run | str | Path, spec_path: str | Path | None = None) -> JudgeSpec:
    """The ``judge:`` block of a spec file, or of the spec the run was made from."""
    if spec_path is not None:
        js = load_spec(spec_path).judge
        where = str(spec_path)
    else:
        raw = (run if isinstance(run, Run) else Run(run)).spec.get("judge")
        js = JudgeSpec.model_validate(raw) if raw else None
        where = f"the spec recorded in {run}"
    if js is None:
        raise BoundaryError(f"{where} has no `judge:` block; add one (judge: {{model: {{name: ..., backend: ..., "
                            "path: ...}}}}) and pass it with --spec.")
    return js


def run_spec(spec: Spec, run_dir: str | Path, *, report: bool = True,
             on_stage: Callable[[str, str], None] | None = None, sample_progress=None,
             verify_progress=None) -> RunResult:
    """Do every stage of the spec in ``run_dir``. ``on_stage(stage, message)`` reports each stage's summary."""

    say = on_stage or (lambda stage, msg: None)
    run = Run.create(run_dir, spec=spec.model_dump(mode="json"))
    with run.lock("run"):
        return _run_spec(spec, run, report, say, sample_progress, verify_progress)


def _run_spec(spec: Spec, run: Run, report: bool, say: Callable[[str, str], None], sample_progress,
              verify_progress) -> RunResult:
    from boundary.analysis import analyze
    executor = make_executor(spec.executor.to_config())
    try:
        def sampled(s: SampleSummary) -> None:
            say("sample", f"{s.new_samples:,} new samples ({s.skipped_samples:,} already stored)")
        s, v = sample_verify_spec(spec, run, executor=executor, sample_progress=sample_progress,
                                  verify_progress=verify_progress, on_sampled=sampled)
    finally:
        if executor is not None:
            executor.shutdown()
    st = ", ".join(f"{k} {n:,}" for k, n in sorted(v.statuses.items())) or "nothing new"
    say("verify", f"{v.verified:,} samples verified ({v.distinct_checks:,} distinct checks): {st}")
    if spec.perplexity is not None:
        from boundary.scoring import score_perplexity
        pp = spec.perplexity
        responses = None if pp.models is None else [m for x in pp.models for m in spec.members(x)]
        for scorer in dict.fromkeys(spec.members(x)[0] for x in pp.scorers):
            p = score_perplexity(run, scorer, models=responses, samples_per_problem=pp.samples_per_problem,
                                 engine=pp.engine, batch_size=pp.batch_size)
            say("perplexity", f"{p.scored:,} samples scored by {scorer} ({p.already:,} already scored)")
    if spec.judge is not None:                       # CoT validity of correct samples (CoT-pass@k)
        from boundary.judge import judge_run
        j = judge_run(run, spec.judge.to_config())
        say("judge", f"{j.judged:,} correct samples judged ({j.skipped:,} already)")
    if spec.guess is not None:                       # answer-only sampling: the guessability filter
        gs, gv = guess_spec_run(spec, run)
        say("guess", f"{gs.new_samples:,} answer-only samples, {gv.verified:,} verified")
    acfg = spec.analysis.to_config(reference=spec.analysis.reference or spec.models[0].name)   # every option
    analysis = analyze(run, acfg)
    say("analyze", f"{len(analysis.benchmarks)} benchmark(s), reference {analysis.reference}")
    index = None
    if report:
        from boundary.report import write_report
        paths = write_report(analysis, run.path / "report")
        run.mark_stage("report", index=str(paths.index_html))
        index = str(paths.index_html)
        say("report", index)
    return RunResult(run=str(run.path), new_samples=s.new_samples, verified=v.verified, report=index)
