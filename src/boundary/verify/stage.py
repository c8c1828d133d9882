"""The verify stage: ``boundary verify RUN`` turns samples into verdicts, resumably.

Samples are streamed from their shards in record batches (texts of 16k-token samples never sit in
memory all at once); samples that already have a verdict are skipped, so a killed verification
resumes where it stopped. Verdicts are flushed as shards every ``flush_every`` samples. The
verifier object lives for the whole stage, so its cache spans every model and shard: a distinct
(answer, reference) pair is checked once per run.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq

from boundary.errors import StoreError
from boundary.store import Run
from boundary.verify.math import MathItem, MathVerifier, MathVerifyConfig

HINT_KEYS = ("unit", "is_multiple_answer", "answer_type", "choices")
SAMPLE_COLUMNS = ["model", "benchmark", "problem_id", "sample_index", "text", "finish_reason"]


@dataclass(frozen=True)
class VerifySummary:
    run: str
    verified: int
    """Samples verified by this call."""
    skipped: int
    """Samples that already had a verdict."""
    statuses: dict[str, int] = field(default_factory=dict)
    distinct_checks: int = 0
    """Distinct (answer, reference) pairs checked (the rest came from the cache)."""
    verifier: str = ""


def problem_index(run: Run) -> dict[tuple[str, str], tuple[str | None, dict, dict, str]]:
    """(benchmark, problem_id) -> (reference, hints, metadata, question) from the problems table."""
    t = run.problems(["benchmark", "problem_id", "reference", "metadata", "question"])
    out = {}
    for b, p, ref, meta, q in zip(*(t[c].to_pylist() for c in t.column_names)):
        m = json.loads(meta) if meta else {}
        out[(b, p)] = (ref, {k: m[k] for k in HINT_KEYS if k in m and m[k] not in (None, "")}, m, q or "")
    return out


def iter_samples(run: Run, columns: list[str] = SAMPLE_COLUMNS, batch_size: int = 2048) -> Iterator[pa.RecordBatch]:
    """Stream every complete sample shard in record batches of at most ``batch_size`` rows."""
    for shard in run.shards("samples"):
        f = pq.ParquetFile(shard)
        yield from f.iter_batches(batch_size=batch_size, columns=columns)


def verify_run(run: Run | str, config: MathVerifyConfig = MathVerifyConfig(), *, code_config=None,
               flush_every: int = 20_000, progress: Callable[[int], None] | None = None) -> VerifySummary:
    """Verify every sample of a run that has no verdict yet; write the verdicts as shards.

    Math problems go to the math verifier, code problems (``metadata["kind"] == "code"``) to the
    sandboxed code executor (``code_config``: a ``CodeVerifyConfig``, default settings), the
    model organism's Countdown problems (``"countdown"``) to its exact checker.
    """
    run = run if isinstance(run, Run) else Run(run)
    run.remove_stale_temporaries()
    problems = problem_index(run)
    v = run.verdicts(["model", "benchmark", "problem_id", "sample_index"])
    done = set(zip(*(v[c].to_pylist() for c in v.column_names)))
    statuses: Counter = Counter()
    verified = skipped = 0
    bufs: dict[str, tuple[list, list]] = {"math": ([], []), "code": ([], []), "countdown": ([], [])}
    engines: dict[str, object] = {}
    verifier_names: dict[str, str] = {}

    def engine(kind: str):
        if kind not in engines:
            if kind == "math":
                engines[kind] = MathVerifier(config)
                verifier_names[kind] = config.verifier
            elif kind == "countdown":
                from boundary.organism.verify import CountdownVerifier
                engines[kind] = CountdownVerifier()
                verifier_names[kind] = CountdownVerifier.verifier
            else:
                from boundary.verify.code import CodeVerifier, CodeVerifyConfig
                e = CodeVerifier(code_config or CodeVerifyConfig())
                engines[kind] = e
                verifier_names[kind] = e.verifier
        return engines[kind]

    def flush(kind: str) -> None:
        nonlocal verified
        keys, items = bufs[kind]
        if not items:
            return
        verdicts = engine(kind).verify_batch(items, progress=progress)
        name = verifier_names[kind]
        rows = {"model": [], "benchmark": [], "problem_id": [], "sample_index": [], "status": [],
                "extracted": [], "path": [], "verifier": [], "detail": []}
        for (m, b, p, j), vd in zip(keys, verdicts):
            for k, val in zip(rows, (m, b, p, j, vd.status, vd.extracted, vd.path, name, vd.detail)):
                rows[k].append(val)
            statuses[vd.status] += 1
        run.write("verdicts", pa.table(rows))
        verified += len(items)
        keys.clear()
        items.clear()

    try:
        for batch in iter_samples(run):
            cols = batch.to_pydict()
            for m, b, p, j, text, fr in zip(*(cols[c] for c in SAMPLE_COLUMNS)):
                if (m, b, p, j) in done:
                    skipped += 1
                    if progress:
                        progress(1)
                    continue
                if (b, p) not in problems:
                    raise StoreError(f"{run.path}: samples of problem {p!r} of benchmark {b!r} have no entry in "
                                     "the run's problems table, so there is no reference to verify against. "
                                     "Import or sample through boundary so problems are recorded.")
                ref, hints, meta, _question = problems[(b, p)]
                if meta.get("kind") == "code":
                    from boundary.tasks.problem import Problem
                    from boundary.verify.code import CodeItem
                    kind = "code"
                    item = CodeItem(text or "", Problem(b, p, _question, ref or "", meta), fr)
                elif meta.get("kind") == "countdown":
                    from boundary.organism.verify import CountdownItem, countdown_from_metadata
                    kind = "countdown"
                    item = CountdownItem(text or "", countdown_from_metadata(meta), fr)
                else:
                    if ref is None:
                        raise StoreError(f"{run.path}: problem {p!r} of benchmark {b!r} has no reference answer.")
                    kind = "math"
                    item = MathItem(text or "", ref, hints or None, fr)
                bufs[kind][0].append((m, b, p, j))
                bufs[kind][1].append(item)
                done.add((m, b, p, j))
                if len(bufs[kind][1]) >= flush_every:
                    flush(kind)
        flush("math")
        flush("code")
        flush("countdown")
        checks = getattr(engines.get("math"), "checks", 0)
    finally:
        for e in engines.values():
            e.close()
    errors = run.read("verdicts", ["status"]).filter(pa.compute.equal(pa.compute.field("status"), "error")).num_rows
    run.mark_stage("verify", verifiers=verifier_names, verified=verified, complete=errors == 0,
                   unresolved_errors=errors)
    return VerifySummary(run=str(run.path), verified=verified, skipped=skipped, statuses=dict(statuses),
                         distinct_checks=checks, verifier="; ".join(verifier_names.values()) or config.verifier)


@dataclass(frozen=True)
class Disagreement:
    model: str
    benchmark: str
    problem_id: str
    sample_index: int
    reference: str
    extracted: str | None
    a: str
    b: str


def compare_graders(run: Run | str, a: MathVerifyConfig = MathVerifyConfig(),
                    b: MathVerifyConfig = MathVerifyConfig(grader="strict"), *,
                    progress: Callable[[int], None] | None = None) -> tuple[int, list[Disagreement]]:
    """Grade every sample with two graders; return (samples compared, the disagreements)."""
    run = run if isinstance(run, Run) else Run(run)
    problems = problem_index(run)
    out: list[Disagreement] = []
    total = 0
    with MathVerifier(a) as va, MathVerifier(b) as vb:
        for batch in iter_samples(run, batch_size=20_000):
            cols = batch.to_pydict()
            keys, items = [], []
            for m, bench, p, j, text, fr in zip(*(cols[c] for c in SAMPLE_COLUMNS)):
                if (bench, p) not in problems or problems[(bench, p)][2].get("kind") in ("code", "countdown"):
                    continue
                ref, hints, _, _ = problems[(bench, p)]
                keys.append((m, bench, p, j, ref))
                items.append(MathItem(text or "", ref, hints or None, fr))
            ra, rb = va.verify_batch(items), vb.verify_batch(items, progress=progress)
            total += len(items)
            for (m, bench, p, j, ref), x, y in zip(keys, ra, rb):
                if x.status != y.status:
                    out.append(Disagreement(m, bench, p, j, ref, x.extracted, x.status, y.status))
    return total, out
