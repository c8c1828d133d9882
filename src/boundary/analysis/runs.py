"""Comparing runs: the models of several runs in one ``Analysis`` (``boundary report RUN_A RUN_B``).

    from boundary.analysis.runs import analyze_runs
    a = analyze_runs(["runs/qwen-base", "runs/qwen-grpo"])     # or boundary.analyze([...])

The runs' per-problem counts are put into one table and analysed as one run's would be, so every
analysis of counts (pass@k and its bands, k*, coverage, histograms, ΔSE, Cover@τ, extrapolation,
support, sweeps, the algorithm table) compares models across runs, and an adaptively sampled model
keeps the plan its own run recorded. What ``analyze(run)`` reads beyond the counts (token counts,
extracted answers, recorded steps, statuses, templates, perplexities, judge labels) is read from
each model's own run.

Rules:

- **Names.** A model name that several runs share is qualified as ``<run directory name>/<model>``
  (the shortest unique tail of the runs' paths when two runs have the same directory name); other
  names are kept. Every benchmark's notes say which model came from which run.
- **Reference.** ``config.reference`` names a model after qualification; an unqualified name
  that several runs share means the first of those runs' model. Default: the first run's
  reference (its first model).
- **Benchmarks must match.** A benchmark's problems in a run are its problems table (ids and a
  fingerprint of each problem's question and reference), else the problem ids of its counts. Two
  runs with different problems under one benchmark name are refused (the error names the
  benchmark, the runs and how many problems differ). A benchmark only some runs have is analysed
  with their models, with a note.
- **Sweeps.** A training run's checkpoints spread over several runs form one sweep; when two runs
  hold the same checkpoint (a shared name), the series is split by run (``a/grpo``, ``b/grpo``).
- **Only within a run.** The sample browser reads texts from one run, so a report of several runs
  has none (it says so and links each run's own ``RUN/report/samples.html`` when there is one).
  Perplexity cells (a scorer scores its own run's samples; the box plots show the reference's
  scorer, so only its run's models) and the judge's rows are each from their model's run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from boundary.analysis.analyze import (Analysis, AnalysisConfig, SampleData, adaptive_notes, analyze,
                                       analyze_counts, run_plans, sample_data)
from boundary.analysis.perplexity import PerplexityAnalysis, perplexity_analysis
from boundary.analysis.sweep import series_name
from boundary.analysis.validity import ValidityAnalysis, validity_analysis
from boundary.errors import AnalysisError
from boundary.store import Run


def run_labels(paths: Sequence[Path]) -> list[str]:
    """A short unique label per run: its directory name, or the shortest unique tail of its path.

    Examples:
        >>> run_labels([Path("runs/a"), Path("runs/b")])
        ['a', 'b']
        >>> run_labels([Path("x/qwen/demo"), Path("y/qwen/demo"), Path("z/other")])
        ['x/qwen/demo', 'y/qwen/demo', 'other']
    """
    parts = [Path(p).resolve().parts for p in paths]
    labels = []
    for i, ps in enumerate(parts):
        depth = next((d for d in range(1, len(ps) + 1)
                      if all(o[-d:] != ps[-d:] for j, o in enumerate(parts) if j != i)), len(ps))
        labels.append("/".join(ps[-depth:]).lstrip("/") or "/")
    return labels


def qualified_names(models: Sequence[Sequence[str]], labels: Sequence[str]) -> list[dict[str, str]]:
    """Per run, model → its name in the comparison: ``<label>/<model>`` for a name several runs share.

    Examples:
        >>> qualified_names([["base", "rl"], ["base", "sft"]], ["a", "b"])
        [{'base': 'a/base', 'rl': 'rl'}, {'base': 'b/base', 'sft': 'sft'}]
    """
    seen: dict[str, int] = {}
    for ms in models:
        for m in set(ms):
            seen[m] = seen.get(m, 0) + 1
    out = [{m: (f"{label}/{m}" if seen[m] > 1 else m) for m in ms} for ms, label in zip(models, labels)]
    final = [v for d in out for v in d.values()]
    clash = sorted({v for v in final if final.count(v) > 1})
    if clash:
        raise AnalysisError(f"model names {clash} remain ambiguous after qualifying shared names with the run "
                            "directory name; rename a run directory or a model.")
    return out


def problem_sets(run: Run, counts: pa.Table) -> dict[str, tuple[set[str], dict[str, str] | None]]:
    """Benchmark → (problem ids, problem id → fingerprint of question and reference, or None).

    From the run's problems table when it holds the benchmark (what was sampled), else the ids in its
    counts (an import)."""
    out: dict[str, tuple[set[str], dict[str, str] | None]] = {}
    if run.shards("problems"):
        t = run.problems(["benchmark", "problem_id", "question", "reference"])
        for b, pid, q, ref in zip(*(t[c].to_pylist() for c in ("benchmark", "problem_id", "question", "reference"))):
            h = hashlib.sha256(f"{q}\x00{ref}".encode()).hexdigest()[:16]
            ids, prints = out.setdefault(b, (set(), {}))
            ids.add(pid)
            prints[pid] = h                              # type: ignore[index]
    for b in set(counts["benchmark"].to_pylist()) - set(out):
        ids = set(counts.filter(pc.field("benchmark") == b)["problem_id"].to_pylist())
        out[b] = (ids, None)
    return out


def check_benchmarks(paths: Sequence[str], sets: Sequence[dict[str, tuple[set[str], dict[str, str] | None]]]
                     ) -> dict[str, list[int]]:
    """Benchmark → the indices of the runs that have it; raises when two runs' problems differ."""
    present: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for b in s:
            present.setdefault(b, []).append(i)
    for b, idx in sorted(present.items()):
        first = idx[0]
        ids0, fp0 = sets[first][b]
        for j in idx[1:]:
            ids, fp = sets[j][b]
            if ids != ids0:
                raise AnalysisError(
                    f"benchmark {b!r} has different problems in {paths[first]} ({len(ids0)} problems) and "
                    f"{paths[j]} ({len(ids)}): {len(ids0 - ids)} problem ids only in the first, "
                    f"{len(ids - ids0)} only in the second. Runs are compared on the same problems: sample "
                    "both with the same benchmark options (limit, split, seed), or report them separately.")
            if fp0 is not None and fp is not None:
                differ = sum(fp0[p] != fp[p] for p in ids0)
                if differ:
                    raise AnalysisError(
                        f"benchmark {b!r} has the same {len(ids0)} problem ids in {paths[first]} and {paths[j]} "
                        f"but {differ} of them have a different question or reference. Runs are compared on "
                        "the same problems: sample both from the same benchmark version, or report them separately.")
    return present


def _rename_table(t: pa.Table, names: dict[str, str]) -> pa.Table:
    col = t.column_names.index("model")
    models = [names.get(m, m) for m in t["model"].to_pylist()]
    return t.set_column(col, t.schema.field("model"), pa.array(models, type=t.schema.field("model").type))


def _resolve(name: str, names: list[dict[str, str]], what: str) -> list[str]:
    """The comparison's names for a model name (qualified, or an original name of one or more runs)."""
    final = {v for d in names for v in d.values()}
    if name in final:
        return [name]
    hits = [d[name] for d in names if name in d]
    if not hits:
        raise AnalysisError(f"{what} {name!r} is not a model of these runs; models: {sorted(final)}. "
                            "Pass one of them (a name several runs share is qualified as RUN_DIR/MODEL).")
    return hits


def analyze_runs(runs: Sequence[Run | str | Path], config: AnalysisConfig = AnalysisConfig()) -> Analysis:
    """All analyses of the models of several runs on the same benchmarks (module docstring).

    One run: exactly ``analyze(run, config)``.
    """
    opened = [r if isinstance(r, Run) else Run(r) for r in runs]
    if not opened:
        raise AnalysisError("analyze_runs needs at least one run directory.")
    if len(opened) == 1:
        return analyze(opened[0], config)
    resolved = [r.path.resolve() for r in opened]
    for i, p in enumerate(resolved):
        if p in resolved[:i]:
            raise AnalysisError(f"the run {opened[i].path} is given twice; give each run once.")
    paths = [str(r.path) for r in opened]
    labels = run_labels([r.path for r in opened])
    counts = [r.counts() for r in opened]
    for r, c in zip(opened, counts):
        if c.num_rows == 0:
            raise AnalysisError(f"the run {r.path} has no counts yet: import results or run the sample and "
                                "verify stages first, or leave it out of the comparison.")
    present = check_benchmarks(paths, [problem_sets(r, c) for r, c in zip(opened, counts)])
    orders = []
    for r, c in zip(opened, counts):
        have = set(c["model"].to_pylist())
        orders.append([m for m in r.models if m in have] + sorted(have - set(r.models)))
    names = qualified_names(orders, labels)
    order = [names[i][m] for i, ms in enumerate(orders) for m in ms]
    origins = {names[i][m]: (paths[i], m) for i, ms in enumerate(orders) for m in ms}

    # -- the options that name models
    reference = None
    notes: list[str] = []
    if config.reference is not None:
        hits = _resolve(config.reference, names, "reference model")
        reference = hits[0]
        if len(hits) > 1:
            notes.append(f"reference {config.reference!r} is a model of several runs; the first run's "
                         f"({reference}) is the reference.")
    else:
        reference = names[0][orders[0][0]]
    steps = None
    if config.steps:
        steps = {q: s for m, s in config.steps.items() for q in _resolve(m, names, "--steps model")}
    config = replace(config, reference=reference, steps=steps)

    # -- counts and sample data, each model from its own run
    table = pa.concat_tables([_rename_table(c, names[i]) for i, c in enumerate(counts)])
    data = _merged_data(opened, names)
    result = analyze_counts(table, config=config, models=order, run=" + ".join(paths), data=data)
    adaptive_notes(result.benchmarks, data.plans)
    shared = sorted({m for d in names for m, q in d.items() if q != m})
    origin_note = "models from " + "; ".join(
        f"{p}: {', '.join(names[i][m] for m in orders[i])}" for i, p in enumerate(paths)) + "."
    if shared:
        origin_note += (f" {', '.join(shared)} {'is a name' if len(shared) == 1 else 'are names'} of several runs, "
                        "qualified here by the run directory (RUN_DIR/MODEL).")
    for b in result.benchmarks:
        holders = present.get(b.benchmark, [])
        b.notes[:0] = [origin_note] + notes
        if len(holders) < len(opened):
            missing = [paths[i] for i in range(len(opened)) if i not in holders]
            b.notes.insert(1, f"{b.benchmark} is not in {', '.join(missing)}: analysed with the models of "
                              f"{', '.join(paths[i] for i in holders)} only.")
    statuses = [{**row, "model": names[i].get(row["model"], row["model"])}
                for i, r in enumerate(opened) for row in r.status_counts().to_pylist()]
    templates = {names[i].get(m, m): (rec.template.name, rec.template.fingerprint)
                 for i, r in enumerate(opened) for m, rec in r.sampling_records().items()}
    return Analysis(run=result.run, config=config, reference=result.reference, benchmarks=result.benchmarks,
                    statuses=statuses, perplexity=_merged_perplexity(opened, names, reference),
                    validity=_merged_validity(opened, names), templates=templates, runs=tuple(paths),
                    origins=origins)


def _merged_data(runs: list[Run], names: list[dict[str, str]]) -> SampleData:
    """Token means, answer classes, steps, training groups, adaptive plans and chance of every run,
    under the comparison's model names."""
    parts = [sample_data(r) for r in runs]
    tokens = None
    if any(d.tokens is not None for d in parts):
        tokens = {(names[i].get(m, m), b): v for i, d in enumerate(parts) for (m, b), v in (d.tokens or {}).items()}
    answers = [_rename_table(d.answers, names[i]) for i, d in enumerate(parts) if d.answers is not None]
    steps = {names[i].get(m, m): s for i, d in enumerate(parts) for m, s in d.steps.items()}
    # the training run (sweep series) of each model: its recorded group, else its name without the step;
    # a series several runs have with a shared model name (the same checkpoint twice) is split by run
    series = [{m: d.groups.get(m) or series_name(m) for m in names[i]} for i, d in enumerate(parts)]
    split = {g for g in {g for ser in series for g in ser.values()}
             if sum(g in ser.values() for ser in series) > 1
             and any(names[i][m] != m for i, ser in enumerate(series) for m, gg in ser.items() if gg == g)}
    labels = run_labels([r.path for r in runs])
    groups = {names[i][m]: (f"{labels[i]}/{g}" if g in split else g) for i, ser in enumerate(series)
              for m, g in ser.items()}
    plans = {names[i].get(m, m): p for i, r in enumerate(runs) for m, p in run_plans(r).items()}
    chance: dict[str, dict[str, float]] = {}
    for d in parts:
        for b, per in d.chance.items():
            chance.setdefault(b, dict(per))
    return SampleData(tokens=tokens, tokens_missing=parts[0].tokens_missing,
                      answers=pa.concat_tables(answers) if answers else None,
                      answers_missing=parts[0].answers_missing, steps=steps, groups=groups, plans=plans,
                      chance=chance)


def _merged_perplexity(runs: list[Run], names: list[dict[str, str]], reference: str | None) -> PerplexityAnalysis:
    """Each run's perplexity cells and token entropies under the comparison's names (a scorer scores
    the samples of its own run only); the boxes of one scorer: the reference when it scored."""
    cells, boxes, ents, matches, scorers = [], [], [], [], []
    for i, r in enumerate(runs):
        back = {q: m for m, q in names[i].items()}
        p = perplexity_analysis(r, back.get(reference or ""))
        n = names[i]
        cells += [replace(c, scorer=n.get(c.scorer, c.scorer), model=n.get(c.model, c.model)) for c in p.cells]
        boxes += [replace(x, scorer=n.get(x.scorer, x.scorer), model=n.get(x.model, x.model)) for x in p.boxes]
        ents += [replace(e, model=n.get(e.model, e.model)) for e in p.entropies]
        matches += list(p.matches)
        if p.scorer is not None:
            scorers.append(n.get(p.scorer, p.scorer))
    scorer = reference if reference in scorers else (scorers[0] if scorers else None)
    return PerplexityAnalysis(cells=tuple(cells), scorer=scorer, boxes=tuple(x for x in boxes if x.scorer == scorer),
                              entropies=tuple(ents), matches=tuple(matches))


def _merged_validity(runs: list[Run], names: list[dict[str, str]]) -> ValidityAnalysis:
    """Each run's CoT-pass@k rows and guessability rows under the comparison's names."""
    cot, guess, judges = [], [], []
    for i, r in enumerate(runs):
        v = validity_analysis(r)
        n = names[i]
        cot += [replace(x, model=n.get(x.model, x.model)) for x in v.cot]
        guess += [replace(x, model=n.get(x.model, x.model)) for x in v.guess]
        if v.judge is not None and v.judge not in judges:
            judges.append(v.judge)
    return ValidityAnalysis(judge=", ".join(judges) or None, cot=tuple(cot), guess=tuple(guess))


__all__ = ["analyze_runs", "run_labels", "qualified_names", "problem_sets", "check_benchmarks"]
