"""The verify stage: ``boundary verify RUN`` turns samples into verdicts, resumably.

Samples are streamed from their shards in record batches (texts of 16k-token samples never sit in
memory all at once); samples that already have a verdict are skipped, so a killed verification
resumes where it stopped. Verdicts are flushed as shards every ``flush_every`` samples. The
verifier object lives for the whole stage, so its cache spans every model and shard: a distinct
(answer, reference) pair is checked once per run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from boundary.errors import StoreError
from boundary.store import Run
from boundary.store.run import SOURCE_RE, grades_shard_name
from boundary.store.schema import PRIMARY
from boundary.tasks import Problem, Verifier, VerifyItem, get_kind, kind_name
from boundary.verify.kinds import math_hints
from boundary.verify.math import MathItem, MathVerifier, MathVerifyConfig

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


def problem_index(run: Run) -> dict[tuple[str, str], Problem]:
    """(benchmark, problem_id) -> the recorded :class:`Problem` (reference, metadata, question)."""
    t = run.problems(["benchmark", "problem_id", "reference", "metadata", "question"])
    out = {}
    for b, p, ref, meta, q in zip(*(t[c].to_pylist() for c in t.column_names)):
        out[(b, p)] = Problem(b, p, q or "", ref, json.loads(meta) if meta else {})
    return out


_KEY = ["model", "benchmark", "problem_id", "sample_index"]


def _legacy_keys(run: Run, named: set[str], verdict_shards: dict[str, Path]) -> set[tuple]:
    """Keys in verdict shards not named after a samples shard (written before the naming, or imported)."""
    done: set[tuple] = set()
    for v_shard in verdict_shards.values():
        if v_shard.name not in named:
            t = run.read_shard("verdicts", v_shard, _KEY)
            done.update(zip(*(t[c].to_pylist() for c in t.column_names)))
    return done


def _graded(run: Run, shard: Path, n_rows: int, verdict_shards: dict[str, Path], done: set[tuple]) -> bool:
    """Whether every row of a samples shard has its verdict: its own verdict shard holds as many rows
    (with legacy verdicts counted). A samples shard rewritten with more rows after it was graded (a
    retried unit) is not graded: grading it again replaces its verdict shard, never duplicates it."""
    have = verdict_shards.get(shard.name)
    if have is None:
        return False
    graded = run.shard_rows(have)
    if graded < n_rows and done:                      # some of its rows may be graded in legacy shards
        t = run.read_shard("samples", shard, _KEY)
        graded += sum(k in done for k in zip(*(t[c].to_pylist() for c in t.column_names)))
    return graded == n_rows


def shards_to_verify(run: Run) -> list[tuple[str, int]]:
    """(name, rows) of every samples shard whose samples are not all verified: the verify stage's
    plan, from shard footers (keys are read only where legacy verdict shards exist)."""
    sample_shards = run.shards("samples")
    verdict_shards = {v.name: v for v in run.shards("verdicts")}
    done = _legacy_keys(run, {s.name for s in sample_shards}, verdict_shards)
    out = []
    for shard in sample_shards:
        n_rows = run.shard_rows(shard)
        if not _graded(run, shard, n_rows, verdict_shards, done):
            out.append((shard.name, n_rows))
    return out


def verify_run(run: Run | str | os.PathLike, config: MathVerifyConfig | None = None, *, code_config: Any = None,
               configs: Mapping[str, Any] | None = None, flush_every: int = 20_000,
               progress: Callable[[int], None] | None = None, shards: Sequence[str] | None = None,
               record: bool = True, verifiers: dict[str, Verifier] | None = None,
               source: str | None = None) -> VerifySummary:
    """Verify every sample of a run that has no verdict yet; write the verdicts as shards.

    ``source`` re-grades instead (``boundary verify RUN --regrade``): every sample with a text is
    graded by boundary's verifiers into the ``grades`` table under that source name, beside the
    primary verdicts (imported ones, say), which stay as they are. One grades shard per samples
    shard and source (``store.run.grades_shard_name``), so a killed regrade resumes and a finished
    one run again grades nothing. ``boundary verify RUN --compare`` then compares the two sources.

    Each problem's task kind (``metadata["kind"]``, default ``math``) names a registered
    :class:`~boundary.tasks.TaskKind`, whose verifier grades its samples: math answers, code in the
    sandbox, the organism's Countdown, or a plugin's kind. ``configs`` maps a kind to its verifier's
    config (``{"math": MathVerifyConfig(...), "code": CodeVerifyConfig(...)}``); ``config`` and
    ``code_config`` are shorthands for those two. One verifier per kind lives for the whole stage.

    ``shards`` restricts the stage to those samples shards (by file name) and ``record=False`` leaves
    the manifest alone and the temporaries of others alone: how an executor's worker grades its
    share while the driver owns the manifest (:mod:`boundary.executors`). ``verifiers`` is a cache of
    built verifiers by kind that outlives the call (a worker keeps its pools warm across shards): a
    kind's verifier is taken from it, or built and added to it, and never closed here.
    """
    run = run if isinstance(run, Run) else Run(run)
    if source is not None and (source == PRIMARY or not SOURCE_RE.fullmatch(source)):
        raise StoreError(f"a verdict source is named by letters, digits and . _ : + - (at most 64, not "
                         f"{PRIMARY!r}, the run's own verdicts), got {source!r}; e.g. --source boundary.")
    args = (config, code_config, configs, flush_every, progress, shards, record, verifiers, source)
    if record:                          # the driver: holds the run's lock (workers' calls do not)
        with run.lock("verify"):
            run.remove_stale_temporaries()
            return _verify_run(run, *args)
    return _verify_run(run, *args)


def _text_rows(run: Run, shard: Path) -> int:
    """Rows of a samples shard that hold a text (a regrade grades only those), from the footer's null
    counts when it has them."""
    import pyarrow.parquet as pq
    meta = pq.read_metadata(shard)
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    if "text" not in names:
        return 0
    col, nulls = names.index("text"), 0
    for r in range(meta.num_row_groups):
        st = meta.row_group(r).column(col).statistics
        if st is None or st.null_count is None:
            t = run.read_shard("samples", shard, ["text"])
            return t.num_rows - t["text"].null_count
        nulls += st.null_count
    return int(meta.num_rows) - nulls


def _verify_run(run: Run, config: MathVerifyConfig | None, code_config: Any, configs: Mapping[str, Any] | None,
                flush_every: int, progress: Callable[[int], None] | None, shards: Sequence[str] | None,
                record: bool, verifiers: dict[str, Verifier] | None, source: str | None = None) -> VerifySummary:
    kind_configs = dict(configs or {})
    if config is not None:
        kind_configs["math"] = config
    if code_config is not None:
        kind_configs["code"] = code_config
    problems = problem_index(run)
    # A verdict shard is named after the samples shard it grades, so the plan is per shard: a samples
    # shard whose verdict shard holds as many rows is done, and no set of every key is ever built.
    # Verdict shards named otherwise (written before this scheme, or imported) are "legacy": only
    # their keys are collected, to skip those samples.
    sample_shards = run.shards("samples")
    named = {s.name for s in sample_shards}
    if shards is not None:
        wanted = set(shards)
        missing = wanted - named
        if missing:
            raise StoreError(f"{run.path}: no samples shard named {sorted(missing)[:3]}; the shards to verify must "
                             "be among run.shards('samples').")
        sample_shards = [s for s in sample_shards if s.name in wanted]
    table = "verdicts" if source is None else "grades"
    if source is None:
        verdict_shards = {v.name: v for v in run.shards("verdicts")}
        done = _legacy_keys(run, named, verdict_shards)
    else:                                             # grades shards are named by samples shard and source
        verdict_shards = {s.name: g for s in sample_shards
                          if (g := run.path / "grades" / grades_shard_name(s.name, source)).is_file()}
        done = set()
    statuses: Counter = Counter()
    verified = skipped = 0
    bufs: dict[str, tuple[list, list]] = {}            # kind -> (shard name + key per item, items)
    pending: dict[str, dict[str, list]] = {}          # samples shard name -> its verdict rows so far
    read_whole: list[str] = []                        # shards read to the end, in order
    engines: dict[str, Verifier] = {}
    columns = ["model", "benchmark", "problem_id", "sample_index", "status", "extracted", "path", "verifier",
               "detail"]

    def engine(kind: str) -> Verifier:
        if kind not in engines:
            if verifiers is not None and kind in verifiers:
                engines[kind] = verifiers[kind]
            else:
                engines[kind] = get_kind(kind).verifier(kind_configs.get(kind))
                if verifiers is not None:
                    verifiers[kind] = engines[kind]
        return engines[kind]

    def verify_buffered() -> None:
        nonlocal verified
        for kind, (keys, items) in bufs.items():
            if not items:
                continue
            e = engine(kind)
            verdicts = e.verify_batch(items, progress=progress)
            if len(verdicts) != len(items):
                raise StoreError(f"verifier {e.name!r} of task kind {kind!r} returned {len(verdicts)} verdicts for "
                                 f"{len(items)} samples; a verifier must return one verdict per item, in order.")
            for (shard_name, (m, b, p, j)), vd in zip(keys, verdicts):
                rows = pending[shard_name]
                for k, val in zip(columns, (m, b, p, j, vd.status, vd.extracted, vd.path, e.name, vd.detail)):
                    rows[k].append(val)
                statuses[vd.status] += 1
            verified += len(items)
            keys.clear()
            items.clear()
        for shard_name in read_whole:                 # every item of these shards is graded now
            rows = pending.pop(shard_name)
            if rows["model"]:
                if source is None:
                    run.write("verdicts", pa.table(rows), name=shard_name)
                else:
                    rows["source"] = [source] * len(rows["model"])
                    run.write("grades", pa.table(rows), name=grades_shard_name(shard_name, source))
        read_whole.clear()

    try:
        for shard in sample_shards:
            n_rows = run.shard_rows(shard) if source is None else _text_rows(run, shard)
            if n_rows == 0 and source is not None:
                continue                              # no text to re-grade in this shard
            if _graded(run, shard, n_rows, verdict_shards, done):
                skipped += n_rows                     # graded whole (the common case reads no key at all)
                if progress:
                    progress(n_rows)
                continue
            pending[shard.name] = {c: [] for c in columns}
            for batch in run.read_shard("samples", shard, SAMPLE_COLUMNS).to_batches(max_chunksize=4096):
                cols = batch.to_pydict()
                for m, b, p, j, text, fr in zip(*(cols[c] for c in SAMPLE_COLUMNS)):
                    if source is not None and text is None:
                        continue                      # nothing to re-grade: the file had no text
                    if (m, b, p, j) in done:
                        skipped += 1
                        if progress:
                            progress(1)
                        continue
                    if (b, p) not in problems:
                        raise StoreError(f"{run.path}: samples of problem {p!r} of benchmark {b!r} have no entry in "
                                         "the run's problems table, so there is no reference to verify against. "
                                         "Import or sample through boundary so problems are recorded.")
                    problem = problems[(b, p)]
                    kind = kind_name(problem)
                    if kind not in bufs:
                        get_kind(kind)                 # an unknown kind fails here, before any verifier starts
                        bufs[kind] = ([], [])
                    bufs[kind][0].append((shard.name, (m, b, p, j)))
                    bufs[kind][1].append(VerifyItem(text or "", problem, fr))
                    if sum(len(items) for _, items in bufs.values()) >= flush_every:
                        verify_buffered()
            read_whole.append(shard.name)
        verify_buffered()
        checks = sum(int(getattr(e, "checks", 0)) for e in engines.values())
    finally:
        if verifiers is None:                         # the caller's cache keeps its verifiers open
            for e in engines.values():
                e.close()
    verifier_names = {k: e.name for k, e in engines.items()}
    if record:
        where = pa.compute.equal(pa.compute.field("status"), "error")
        if source is not None:
            where = where & pa.compute.equal(pa.compute.field("source"), source)
        errors = run.read(table, ["status"], filter=where).num_rows
        run.mark_stage("verify" if source is None else f"regrade:{source}", verifiers=verifier_names,
                       verified=verified, complete=errors == 0, unresolved_errors=errors)
    default_name = (config or kind_configs.get("math") or MathVerifyConfig()).verifier
    return VerifySummary(run=str(run.path), verified=verified, skipped=skipped, statuses=dict(statuses),
                         distinct_checks=checks, verifier="; ".join(verifier_names.values()) or default_name)


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


def compare_graders(run: Run | str | os.PathLike, a: MathVerifyConfig = MathVerifyConfig(),
                    b: MathVerifyConfig = MathVerifyConfig(grader="strict"), *,
                    progress: Callable[[int], None] | None = None) -> tuple[int, list[Disagreement]]:
    """Grade every sample with two graders; return (samples compared, the disagreements)."""
    run = run if isinstance(run, Run) else Run(run)
    problems = problem_index(run)
    out: list[Disagreement] = []
    total = 0
    with MathVerifier(a) as va, MathVerifier(b) as vb:
        for batch in run.iter_batches("samples", SAMPLE_COLUMNS, batch_size=20_000):
            cols = batch.to_pydict()
            keys, items = [], []
            for m, bench, p, j, text, fr in zip(*(cols[c] for c in SAMPLE_COLUMNS)):
                problem = problems.get((bench, p))
                if problem is None or kind_name(problem) != "math":
                    continue
                ref = problem.reference
                keys.append((m, bench, p, j, ref))
                items.append(MathItem(text or "", ref, math_hints(problem.metadata) or None, fr))
            ra, rb = va.verify_batch(items), vb.verify_batch(items, progress=progress)
            total += len(items)
            for (m, bench, p, j, ref), x, y in zip(keys, ra, rb):
                if x.status != y.status:
                    out.append(Disagreement(m, bench, p, j, ref, x.extracted, x.status, y.status))
    return total, out
