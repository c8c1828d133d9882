"""The ``boundary`` command. Each command is one library call; errors print a message, not a traceback.

    boundary run SPEC                          boundary.pipeline.run_spec(boundary.load_spec(SPEC), R)
    boundary sample SPEC                       boundary.pipeline.sample_spec
    boundary verify R [-o KEY=VALUE]           boundary.verify.verify_run (--compare: compare_graders)
    boundary analyze R                         boundary.analyze
    boundary report R                          boundary.write_report(boundary.analyze(R), R/report)
    boundary report R1 R2 --out D              boundary.write_report(boundary.analyze([R1, R2]), D)
    boundary perplexity R --model M            boundary.scoring.score_perplexity
    boundary judge R                           boundary.judge.judge_run
    boundary guess SPEC                        boundary.pipeline.guess_spec_run
    boundary import FORMAT FILE… --run R       boundary.importers.run_import (counts, paper, lm-eval, ...)
    boundary info R                            boundary.Run
    boundary export R --to F --out P           boundary.store.export.export_run
    boundary schema manifest|summary           boundary.store.manifest_schema, boundary.report.summary_schema
    boundary plan-cluster [--nodes N ...]      boundary.scaleout.estimate (a cluster study's cost)
    boundary plan-adaptive RUN                 boundary.analysis.adaptive_what_if (an adaptive plan's cost)

Plugins add commands (``register_commands(app)``, docs/plugins.md): the model organism adds
``boundary demo`` and ``boundary organism train``. ``docs/cli.md`` has every command's help.
"""

from __future__ import annotations

import json
import sys
import typing
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from boundary._version import __version__
from boundary.errors import BoundaryError
from boundary.plugins import load_plugins

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Measure the reasoning boundary of language models: pass@k, coverage, ΔSE.")
import_app = typer.Typer(no_args_is_help=True, help="Bring existing results into a run.")
app.add_typer(import_app, name="import")
out = Console()
err = Console(stderr=True)

EXAMPLE = Path(__file__).parent / "data" / "example_counts.csv"


def _version(value: bool):
    if value:
        out.print(f"boundary {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    pass


# ---------------------------------------------------------------------------------------- import
def _import_command(name: str) -> None:
    """Add ``boundary import NAME FILE… --run R`` for one registered format (the same code path for all)."""
    from boundary.importers.registry import get_importer
    imp = get_importer(name)
    opts = "; ".join(f"{k}: {v}" for k, v in imp.options.items())

    def command(
        files: list[Path] = typer.Argument(..., help=imp.files, metavar="FILE..."),
        run: Path = typer.Option(..., "--run", "-r", help="Run directory (created if missing)."),
        model: str | None = typer.Option(None, "--model", "-m", help="Name of the model that produced the files."),
        benchmark: str | None = typer.Option(None, "--benchmark", "-b", help="Benchmark name, e.g. aime24."),
        option: list[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE",
                                         help=f"A format option (repeatable). {opts or 'This format has none.'}"),
    ):
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        from boundary.importers.registry import parse_options, run_import
        options = parse_options(option)
        size = sum(f.stat().st_size for f in files if f.is_file())
        with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task(f"import {name}", total=2 * size or None)
            s = run_import(name, list(files), run, model=model, benchmark=benchmark, options=options,
                           progress=lambda b: bar.advance(task, b))
        for line in s.lines():
            out.print(line)

    command.__doc__ = imp.help
    import_app.command(name)(command)


def _import_commands() -> None:
    from boundary.importers.registry import importers
    for imp in importers():
        _import_command(imp.name)


_import_commands()


# ---------------------------------------------------------------------------------------- export
@app.command()
def export(
    run: Path = typer.Argument(..., help="Run directory."),
    to: str = typer.Option(..., "--to", help="Format: hf (a Hugging Face `datasets` dataset directory, "
                                             "datasets.load_from_disk reads it), jsonl or parquet."),
    out_path: Path = typer.Option(..., "--out", "-o", help="File (jsonl, parquet) or directory (hf) to write."),
    model: list[str] = typer.Option([], "--model", "-m", help="Only this model (repeatable)."),
    benchmark: list[str] = typer.Option([], "--benchmark", "-b", help="Only this benchmark (repeatable)."),
    counts: bool = typer.Option(False, "--counts", help="One row per problem (n, correct) instead of one "
                                                        "per sample; what a run without samples gets."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output."),
):
    """Export samples, verdicts and problems joined (one row per sample), streamed to a new file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from boundary.store.export import export_run
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"export {run.name}", total=None)
        s = export_run(run, to, out_path, models=model or None, benchmarks=benchmark or None, counts=counts,
                       force=force, progress=lambda k: bar.advance(task, k),
                       total=lambda n: bar.update(task, total=n))
    if s.reason:
        out.print(escape(s.reason))
    what = "per-problem counts" if s.what == "counts" else "samples"
    out.print(f"exported {s.rows:,} rows ({what}) of {', '.join(s.models)} on {', '.join(s.benchmarks)} "
              f"to [bold]{escape(str(s.out))}[/] ({s.format})")
    if s.counts_only:
        out.print(f"note: {', '.join(s.counts_only)} hold per-problem counts but no samples and are not in this "
                  "export; `--counts` exports every model's counts.")


# ---------------------------------------------------------------------------------------- info
_SCHEMAS = {"manifest": ("boundary.store", "manifest_schema"), "summary": ("boundary.report", "summary_schema")}


@app.command()
def schema(name: str = typer.Argument(..., help="manifest (a run's manifest.json) or summary (a report's "
                                      "summary.json).")):
    """Print the JSON Schema of a run's manifest.json or of a report's summary.json (docs/run-format.md)."""
    import importlib
    if name not in _SCHEMAS:
        raise BoundaryError(f"no schema named {name!r}; choose one of {', '.join(_SCHEMAS)}.")
    module, func = _SCHEMAS[name]
    print(json.dumps(getattr(importlib.import_module(module), func)(), indent=2))


@app.command()
def info(run: Path = typer.Argument(..., help="Run directory.")):
    """Show what a run holds: models, benchmarks, problems and samples, verdict statuses."""
    from boundary.store import Run
    r = Run(run)
    counts = r.counts()
    t = Table(title=f"{r.path}")
    for col in ("benchmark", "model", "problems", "samples", "n per problem", "solved (c>0)"):
        t.add_column(col, justify="right" if col not in ("benchmark", "model") else "left")
    rows = counts.to_pylist()
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row["benchmark"], row["model"]), []).append(row)
    for (b, m), g in sorted(groups.items()):
        ns = sorted({x["n"] for x in g})
        t.add_row(b, m, str(len(g)), f"{sum(x['n'] for x in g):,}",
                  str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}", str(sum(x["correct"] > 0 for x in g)))
    out.print(t)
    st = r.status_counts().to_pylist()
    if st:
        s = Table(title="verdict statuses")
        for col in ("benchmark", "model", "status", "samples"):
            s.add_column(col)
        for row in sorted(st, key=lambda x: (x["benchmark"], x["model"], x["status"])):
            s.add_row(row["benchmark"], row["model"], row["status"], f"{row['samples']:,}")
        out.print(s)
    m = r.read_manifest()
    out.print(f"format {m.format} v{m.version}, boundary {m.boundary_version or 'unknown'}; "
              f"imports: {len(m.imports)}; stages: {', '.join(m.stages) or 'none'}")


# ---------------------------------------------------------------------------------------- run/sample
def _sample_bar():
    """A rich progress bar per model × benchmark with samples/s, tokens/s and ETA."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=err)
    tasks: dict[tuple, dict] = {}

    def update(ev):
        key = (ev.model, ev.benchmark)
        if key not in tasks:
            start = ev.samples_done - ev.new_samples          # already stored before this call
            tasks[key] = {"id": bar.add_task(f"{ev.model} × {ev.benchmark}", total=ev.samples_total,
                                             completed=start, rate=""), "start": start, "tokens": 0}
        t = tasks[key]
        t["tokens"] += ev.new_tokens
        el = max(ev.elapsed_s, 1e-9)
        rate = f"{(ev.samples_done - t['start']) / el:,.1f} samples/s · {t['tokens'] / el:,.0f} tok/s"
        if ev.nodes:                                          # on a cluster: nodes drawing, units retried
            rate += f" · {ev.nodes} node{'s' * (ev.nodes != 1)}"
        if ev.retries:
            rate += f" · {ev.retries} retr{'ies' if ev.retries != 1 else 'y'}"
        bar.update(t["id"], completed=ev.samples_done, rate=rate)
    return bar, update


def _load_spec_and_run(spec_path: Path, run_dir: Path | None, executor: str | None = None,
                       address: str | None = None, adaptive: bool = False):
    from boundary.pipeline import default_run_dir
    from boundary.spec import ExecutorSpec, SamplingSpec, load_spec, parse_block
    spec = load_spec(spec_path)
    if adaptive and spec.sampling.adaptive is False:     # --adaptive: the default plan (a spec's own plan is kept)
        block = {**spec.sampling.model_dump(), "adaptive": True}
        spec = spec.model_copy(update={"sampling": parse_block(SamplingSpec, block, where="the command line",
                                                               prefix="sampling")})
    if executor is not None or address is not None:     # the command line overrides the spec's executor block
        block = spec.executor.model_dump()
        block.update({k: v for k, v in (("kind", executor), ("address", address)) if v is not None})
        spec = spec.model_copy(update={"executor": parse_block(ExecutorSpec, block, where="the command line",
                                                               prefix="executor")})
    return spec, run_dir or default_run_dir(spec, spec_path)


_RUNDIR = typer.Option(None, "--run", "-r", help="Run directory (default: the spec's `run`, else runs/<spec name>).")
_EXECUTOR = typer.Option(None, "--executor", help="Where sampling and verification run: local or ray "
                         "(default: the spec's executor block, else local).")
_ADAPTIVE = typer.Option(False, "--adaptive", help="Sample adaptively with the default plan (sampling.adaptive: "
                         "true; a plan in the spec is kept): docs/adaptive.md.")
_ADDRESS = typer.Option(None, "--address", help="Ray cluster address: auto, ray://host:10001 or host:6379 "
                        "(default: the spec's; none starts Ray on this machine).")


@app.command()
def run(spec: Path = typer.Argument(..., help="Experiment spec (YAML)."), run_dir: Path | None = _RUNDIR,
        no_report: bool = typer.Option(False, "--no-report", help="Stop after the analysis."),
        executor: str | None = _EXECUTOR, address: str | None = _ADDRESS, adaptive: bool = _ADAPTIVE):
    """Sample → verify → analyze → report. Run it again at any time to resume."""
    run_command(spec, run_dir, no_report=no_report, executor=executor, address=address, adaptive=adaptive)


def run_command(spec: Path, run_dir: Path | None, *, no_report: bool, executor: str | None = None,
                address: str | None = None, adaptive: bool = False) -> None:
    from boundary.pipeline import run_spec
    s, rd = _load_spec_and_run(spec, run_dir, executor, address, adaptive)
    err.print(f"run directory: [bold]{rd}[/]")
    bar, update = _sample_bar()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
    vbar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=True)
    vtask = {}

    def vprog(k):
        if "t" not in vtask:
            vtask["t"] = vbar.add_task("verifying", total=None)
        vbar.advance(vtask["t"], k)

    def on_stage(stage, msg):
        out.print(f"[bold]{stage}[/]: {msg}")
    with bar, vbar:
        result = run_spec(s, rd, report=not no_report, on_stage=on_stage, sample_progress=update,
                          verify_progress=vprog)
    if result.report:
        out.print(f"report: [bold]{result.report}[/]")


@app.command()
def sample(spec: Path = typer.Argument(..., help="Experiment spec (YAML)."), run_dir: Path | None = _RUNDIR,
           executor: str | None = _EXECUTOR, address: str | None = _ADDRESS, adaptive: bool = _ADAPTIVE):
    """Only the sampling stage: draw every missing sample of the spec (resumable). An adaptive plan
    verifies each round too (its decisions read verdicts)."""
    from boundary.executors import make_executor
    from boundary.pipeline import sample_spec
    s, rd = _load_spec_and_run(spec, run_dir, executor, address, adaptive)
    err.print(f"run directory: [bold]{rd}[/]")
    bar, update = _sample_bar()
    ex = make_executor(s.executor.to_config())
    try:
        with bar:
            r = sample_spec(s, rd, executor=ex, progress=update)
    finally:
        if ex is not None:
            ex.shutdown()
    out.print(f"sample: {r.new_samples:,} new samples ({r.skipped_samples:,} already stored) in {r.run}")


# ---------------------------------------------------------------------------------------- verify
def verify_block(options: list[str], flags: dict | None = None):
    """The spec's ``verify:`` block from ``KEY=VALUE`` options (values read as YAML) and the command's flags."""
    import yaml

    from boundary.spec import VerifySpec, parse_block
    data: dict = dict(flags or {})
    for item in options:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise BoundaryError(f"--option {item!r}: expected KEY=VALUE, e.g. -o code.time_factor=8.")
        *parents, leaf = key.strip().split(".")
        node = data
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = yaml.safe_load(value)
    return parse_block(VerifySpec, data, where="boundary verify --option", prefix="verify")


@app.command()
def verify(
    run: Path = typer.Argument(..., help="Run directory."),
    timeout: float | None = typer.Option(None, "--timeout", help="Hard time limit per distinct answer check "
                                            "(s; default 5)."),
    workers: int | None = typer.Option(None, "--workers", help="Worker processes (default: CPU count)."),
    allow_truncated: bool = typer.Option(False, "--allow-truncated",
                                         help="Grade samples that hit the length limit (default: 'truncated')."),
    last_number: bool = typer.Option(False, "--last-number-fallback",
                                     help="Without a marked final answer, grade the last number in the text."),
    grader: str = typer.Option("boundary", "--grader", help="boundary (math-verify based) or strict."),
    option: list[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE",
                                     help="Any option of the spec's verify block, e.g. -o memory_mb=4096, "
                                     "-o code.time_factor=8 or -o visual.mode=mathvista (repeatable; "
                                     "MathVerifyConfig, CodeVerifyConfig, VisualVerifyConfig)."),
    compare: bool = typer.Option(False, "--compare",
                                 help="Compare two verdict sources of the run (two --source, or the primary and "
                                 "the one other source) and write analysis/grader_*.csv; a run with one source: "
                                 "grade with both built-in graders and list where they disagree (writes no "
                                 "verdicts)."),
    regrade: bool = typer.Option(False, "--regrade",
                                 help="Grade every sample's text with boundary's verifiers into the grades table "
                                 "as a verdict source of its own, beside the run's verdicts (imported ones, say); "
                                 "resumable."),
    source: list[str] = typer.Option([], "--source", "-s", metavar="NAME",
                                     help="--regrade: the source's name (default: the grader, boundary or "
                                     "strict); --compare: the two sources to compare (twice)."),
):
    """Verify every sample that has no verdict yet (resumable), in parallel worker processes; --regrade
    grades them again beside the verdicts, --compare compares two graders."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from boundary.store import Run
    from boundary.verify import MathVerifyConfig, compare_graders, verify_run
    r = Run(run)
    total = r.row_count("samples")
    if total == 0:
        raise BoundaryError(f"{r.path} has no samples to verify; run `boundary sample` or import samples first.")
    flags = {"timeout_s": timeout, "workers": workers, "allow_truncated": allow_truncated or None,
             "last_number_fallback": last_number or None, "grader": grader}
    block = verify_block(option, {k: v for k, v in flags.items() if v is not None})
    config, code_config = block.to_config(), block.code.to_config()
    timeout, workers, allow_truncated, last_number = (config.timeout_s, config.workers, config.allow_truncated,
                                                      config.last_number_fallback)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    if regrade and compare:
        raise BoundaryError("--regrade and --compare are two steps: first `boundary verify RUN --regrade`, then "
                            "`boundary verify RUN --compare`.")
    if regrade:
        if len(source) > 1:
            raise BoundaryError(f"--regrade writes one source; got --source {' --source '.join(source)}.")
        name = source[0] if source else config.grader
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"re-grading as {name}", total=total)
            s = verify_run(r, config, code_config=code_config, configs={"visual": block.visual.to_config()},
                           progress=lambda k: bar.advance(task, k), source=name)
        st = ", ".join(f"{k} {v:,}" for k, v in sorted(s.statuses.items())) or "nothing new"
        out.print(f"re-graded {s.verified:,} samples as source {name!r} ({s.skipped:,} already done): {st}")
        out.print(f"compare it with the run's verdicts: boundary verify {r.path} --compare")
        return
    sources = r.verdict_sources() if compare else []
    if compare and (source or len(sources) > 1):
        _compare_sources(r, sources, source)
        return
    if source:
        raise BoundaryError("--source goes with --regrade (the name to grade into) or --compare (two sources).")
    if compare:
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("grading twice", total=total)
            n, diffs = compare_graders(r, config, MathVerifyConfig(timeout_s=timeout, workers=workers,
                                       allow_truncated=allow_truncated, last_number_fallback=last_number,
                                       grader="strict" if grader == "boundary" else "boundary"),
                                       progress=lambda k: bar.advance(task, k))
        out_path = r.path / "analysis" / "grader_disagreements.csv"
        out_path.parent.mkdir(exist_ok=True)
        import csv
        with open(out_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["model", "benchmark", "problem_id", "sample_index", "reference", "extracted",
                        grader, "other"])
            for d in diffs:
                w.writerow([d.model, d.benchmark, d.problem_id, d.sample_index, d.reference, d.extracted, d.a, d.b])
        t = Table(title=f"{len(diffs)} of {n} samples graded differently")
        for col in ("benchmark", "problem", "extracted", "reference", grader, "other"):
            t.add_column(col)
        for d in diffs[:30]:
            t.add_row(d.benchmark, d.problem_id, (d.extracted or "")[:40], d.reference[:40], d.a, d.b)
        out.print(t)
        out.print(f"all disagreements: {out_path}")
        return
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("verifying", total=total)
        s = verify_run(r, config, code_config=code_config, configs={"visual": block.visual.to_config()},
                       progress=lambda k: bar.advance(task, k))
    st = ", ".join(f"{k} {v:,}" for k, v in sorted(s.statuses.items())) or "nothing new"
    out.print(f"verified {s.verified:,} samples ({s.skipped:,} already done; {s.distinct_checks:,} distinct "
              f"checks): {st}")
    if s.verified == 0 and len(r.verdict_sources()) == 1:
        import pyarrow.compute as pc
        t = r.read("verdicts", ["verifier"], filter=pc.field("path") == "imported")
        imported = sorted({str(v) for v in t["verifier"].to_pylist()})
    else:
        imported = []
    if imported:
        out.print(f"every sample has its imported verdict ({', '.join(imported)}); grade the texts with boundary's "
                  f"verifiers beside it: boundary verify {r.path} --regrade, then --compare")


def _compare_sources(r, sources: list[str], given: list[str]) -> None:
    """``boundary verify RUN --compare`` on a run with two verdict sources: confusion, per-problem
    disagreement, the flips at k = n and the changed headline numbers; CSVs under RUN/analysis/."""
    import csv

    from boundary.analysis.graders import grader_sensitivity, sensitivity_sentence
    if given and len(given) != 2:
        raise BoundaryError(f"--compare takes two sources (--source A --source B), got {len(given)}: {given}; "
                            f"the run's sources are {sources}.")
    if not given and len(sources) != 2:
        raise BoundaryError(f"{r.path} has {len(sources)} verdict sources {sources}; name the two to compare "
                            "with --source A --source B.")
    a, b = given or sources
    g = grader_sensitivity(r, a, b)
    out.print(f"[bold]{a}[/] ({'; '.join(g.verifiers_a) or '-'}) vs [bold]{b}[/] ({'; '.join(g.verifiers_b) or '-'}): "
              f"{g.samples:,} samples graded by both")
    t = Table(title="per-sample confusion (correct / not correct)")
    for col in ("benchmark", "model", "samples", "both correct", f"only {a}", f"only {b}", "neither", "agree"):
        t.add_column(col)
    for c in g.confusion:
        t.add_row(c.benchmark, c.model, f"{c.samples:,}", f"{c.both:,}", f"{c.only_a:,}", f"{c.only_b:,}",
                  f"{c.neither:,}", f"{c.agreement:.1%}")
    out.print(t)
    t = Table(title=f"{len(g.flips)} problems solved at k = n under one grader only")
    for col in ("benchmark", "model", "problem", "n", f"correct ({a})", f"correct ({b})", "solved by"):
        t.add_column(col)
    for f in g.flips[:40]:
        t.add_row(f.benchmark, f.model, f.problem_id, str(f.n), str(f.correct_a), str(f.correct_b), f.solved_by)
    out.print(t)
    if len(g.flips) > 40:
        out.print(f"... {len(g.flips) - 40} more in the CSV")
    t = Table(title="headline numbers under each grader")
    for col in ("benchmark", "model", "pass@1", "pass@k_max", "k*", "only reference / only model"):
        t.add_column(col)
    for h in g.headline:
        cells = ("" if h.only_ref_a is None
                 else f"{h.only_ref_a:g}/{h.only_model_a:g} → {h.only_ref_b:g}/{h.only_model_b:g}")
        t.add_row(h.benchmark, h.model, f"{h.pass1_a:.3f} → {h.pass1_b:.3f}", f"{h.passk_a:.3f} → {h.passk_b:.3f}",
                  "" if h.model == h.reference else f"{_kstar(h.kstar_a)} → {_kstar(h.kstar_b)}", cells)
    out.print(t)
    out.print(sensitivity_sentence(g))
    d = r.path / "analysis"
    d.mkdir(exist_ok=True)
    for name, rows in (("grader_flips", [f.as_row(a, b) for f in g.flips]),
                       ("grader_problems", [p.as_row(a, b) for p in g.problems]),
                       ("grader_confusion", [c.as_row(a, b) for c in g.confusion])):
        with open(d / f"{name}.csv", "w", newline="") as fh:
            if rows:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
    out.print(f"per-problem disagreements and flips: {d / 'grader_problems.csv'}, {d / 'grader_flips.csv'}")


def _kstar(k: int | None) -> str:
    return "none" if k is None else str(k)


# ---------------------------------------------------------------------------------------- analyze/report
def _analysis_options(func):
    """Append one option per ``AnalysisConfig`` field to a command (``--n-boot``, ``--extrapolate/
    --no-extrapolate``, ``--steps MODEL=STEP``, ...): the options are derived from the dataclass, so a
    new analysis option reaches the CLI without an edit here. The command receives the options it was
    given as ``analysis_options`` (a dict; unset options are absent)."""
    import dataclasses
    import functools
    import inspect

    from boundary.analysis.analyze import AnalysisConfig
    fields = dataclasses.fields(AnalysisConfig)
    hints = typing.get_type_hints(AnalysisConfig)
    params = [p for p in inspect.signature(func).parameters.values() if p.name != "analysis_options"]
    annotations = {k: v for k, v in typing.get_type_hints(func).items() if k != "analysis_options"}
    for f in fields:
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if f.default is not None:
            help_text += f" (default: {f.default})"
        base = hints[f.name]
        if base is bool:
            ann, opt = bool | None, typer.Option(None, f"{flag}/--no-{flag[2:]}", help=help_text, show_default=False)
        elif typing.get_origin(base) is dict or dict in typing.get_args(base) or any(
                typing.get_origin(t) is dict for t in typing.get_args(base)):
            ann, opt = list[str] | None, typer.Option(None, flag, help=help_text + " Repeat as MODEL=STEP.",
                                                         show_default=False)
        else:
            inner = next((t for t in typing.get_args(base) if t is not type(None)), base)
            ann, opt = inner | None, typer.Option(None, flag, help=help_text, show_default=False)
        params.append(inspect.Parameter(f"_a_{f.name}", inspect.Parameter.KEYWORD_ONLY, default=opt, annotation=ann))
        annotations[f"_a_{f.name}"] = ann

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        given = {k[3:]: kwargs.pop(k) for k in list(kwargs) if k.startswith("_a_")}
        return func(*args, analysis_options={k: v for k, v in given.items() if v is not None}, **kwargs)

    wrapper.__signature__ = inspect.Signature(params)
    wrapper.__annotations__ = annotations
    del wrapper.__wrapped__
    return wrapper


def _analysis_config(run, given: dict):
    """The ``AnalysisConfig`` of ``boundary analyze`` / ``report``: the run's recorded spec's ``analysis:``
    block (when the run was made from a spec), then the options given on the command line."""
    from pydantic import ValidationError

    from boundary.errors import InputError
    from boundary.spec import AnalysisSpec
    given = dict(given)
    if "steps" in given:
        steps = {}
        for item in given["steps"]:
            name, sep, step = item.rpartition("=")
            if not sep or not name or not step.strip().lstrip("-").isdigit():
                raise InputError(f"--steps {item!r} is not MODEL=STEP with an integer step; e.g. --steps grpo-a=50.")
            steps[name] = int(step)
        given["steps"] = steps
    recorded = run.spec.get("analysis") or {}
    try:
        return AnalysisSpec.model_validate({**recorded, **given}).to_config()
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(map(str, x['loc']))} = {x.get('input')!r}: {x['msg']}" for x in e.errors())
        raise InputError(f"analysis options ({run.path}/manifest.json's spec `analysis:` block, then the command "
                         f"line): {errs}. Fix the option or the spec's value.") from None


def _print_analysis(a) -> None:
    from boundary.report.reading import reading_lines
    for b in a.benchmarks:
        t = Table(title=f"{b.benchmark}: pass@k (95% CI)" if a.config.level == 0.95 else b.benchmark)
        t.add_column("model")
        k_max = len(next(iter(b.curves.values())).ks)
        from boundary.analysis.analyze import headline_ks
        ks = [k for k in headline_ks(k_max) if k in (1, 2, 8, 32, 128, 512) or k == k_max]
        for k in ks:
            t.add_column(f"k={k}", justify="right")
        for m, band in b.curves.items():
            t.add_row(m, *[f"{band.estimate[k-1]:.3f}" for k in ks])
        out.print(t)
        for line in reading_lines(b):
            out.print(f"  • {line}")


def _runs_config(runs: list[Path], given: dict, out_dir: Path | None, what: str):
    """The runs of ``analyze`` / ``report`` opened, and their ``AnalysisConfig`` (the first run's spec's
    ``analysis:`` block, then the command line). Several runs need ``--out``: no run owns the result."""
    from boundary.errors import InputError
    from boundary.store import Run
    if len(runs) > 1 and out_dir is None:
        raise InputError(f"{what} of {len(runs)} runs needs --out DIR (no run directory owns a comparison); "
                         f"e.g. boundary {what} {' '.join(map(str, runs))} --out compare/.")
    rs = [Run(r) for r in runs]
    first = rs[0].spec.get("analysis") or {}
    for r in rs[1:]:                 # say so when the runs' own analysis blocks would disagree
        other = r.spec.get("analysis") or {}
        differ = sorted(k for k in set(first) | set(other) if k not in given and first.get(k) != other.get(k))
        if differ:
            err.print("[yellow]note:[/] the runs' specs set other analysis options ("
                      + "; ".join(f"{k}: {first.get(k)!r} in {rs[0].path}, {other.get(k)!r} in {r.path}"
                                  for k in differ[:4]) + ("; …" if len(differ) > 4 else "")
                      + "); the first run's are used. Give an option on the command line to choose it.",
                      markup=True, highlight=False)
    return rs, _analysis_config(rs[0], given)


@app.command()
@_analysis_options
def analyze(run: list[Path] = typer.Argument(..., help="Run directory; several put their models side by side "
                                                        "(their benchmarks must have the same problems)."),
            out_dir: Path | None = typer.Option(None, "--out", help="Directory of summary.json (default "
                                                "RUN/analysis; required with several runs)."),
            *, analysis_options: dict):
    """Compute every analysis and write RUN/analysis/summary.json.

    Options default to the run's spec (`analysis:` block; the first run's with several), then to
    AnalysisConfig's defaults."""
    from boundary.analysis import analyze as run_analysis
    from boundary.report import summary_dict
    rs, config = _runs_config(run, analysis_options, out_dir, "analyze")
    a = run_analysis(rs[0] if len(rs) == 1 else rs, config)
    d = out_dir or rs[0].path / "analysis"
    d.mkdir(parents=True, exist_ok=True)
    from boundary.store.run import atomic_write_bytes
    atomic_write_bytes(d / "summary.json", json.dumps(summary_dict(a), indent=2).encode())
    if len(rs) == 1:
        rs[0].mark_stage("analyze", summary=str(d / "summary.json"))
    _print_analysis(a)
    out.print(f"wrote {d / 'summary.json'}")


@app.command()
@_analysis_options
def report(run: list[Path] = typer.Argument(..., help="Run directory; several put their models on the same "
                                                       "figures and tables (their benchmarks must have the same "
                                                       "problems)."),
           out_dir: Path | None = typer.Option(None, "--out", help="Report directory (default RUN/report; "
                                               "required with several runs); with --figure, the figure's file "
                                               "(.pdf, .png or .svg)."),
           figure: str | None = typer.Option(None, "--figure", help="Write only this figure to --out: passk, diff, "
                                             "histogram, coverage, cover, extrapolation, budget, answers, sweep "
                                             "or algorithms."),
           models: str | None = typer.Option(None, "--models", help="With --figure: the models to draw, comma-"
                                             "separated (e.g. base,grpo; default: all)."),
           benchmark: str | None = typer.Option(None, "--benchmark", help="With --figure: the benchmark (needed "
                                                "when the run has several)."),
           png: bool = typer.Option(False, "--png", help="Every figure also as a PNG, for slides (the page "
                                    "embeds SVGs)."),
           pdf: bool = typer.Option(False, "--pdf", help="Every figure also as a vector PDF (fonts embedded), "
                                    "for a paper."),
           *, analysis_options: dict):
    """Analyse and write figures, tables, summary.json and a self-contained index.html.

    With --figure, write just that one figure (the one a paper needs) to the file --out, e.g.
    `boundary report RUN --figure passk --models base,grpo --out fig.pdf`.

    Analysis options default to the run's spec (`analysis:` block; the first run's with several), then to
    AnalysisConfig's defaults. With several runs, a model name they share is qualified as RUN_DIR/MODEL
    (--reference takes either form) and the reference defaults to the first run's."""
    from boundary.analysis import analyze as run_analysis
    from boundary.report import write_report
    if figure is None and (models is not None or benchmark is not None):
        raise BoundaryError("--models and --benchmark choose what --figure draws; add --figure KIND "
                            "(e.g. --figure passk).")
    if figure is not None and out_dir is None:
        raise BoundaryError(f"--figure {figure} writes one file: give it with --out, e.g. --out {figure}.pdf.")
    if figure is not None and out_dir is not None:
        from boundary.report.figures import check_figure_request
        check_figure_request(figure, out_dir)
    rs, config = _runs_config(run, analysis_options, out_dir, "report")
    with err.status("analysing (bootstrap over problems)…"):
        a = run_analysis(rs[0] if len(rs) == 1 else rs, config)
    if figure is not None:
        from boundary.report import write_figure
        assert out_dir is not None
        chosen = [m.strip() for m in models.split(",") if m.strip()] if models is not None else None
        path = write_figure(a, figure, models=chosen, benchmark=benchmark, out=out_dir)
        out.print(f"figure: [bold]{path}[/]")
        return
    with err.status("drawing figures and writing the report…"):
        paths = write_report(a, out_dir or rs[0].path / "report", png=png, pdf=pdf)
    if len(rs) == 1:
        rs[0].mark_stage("report", index=str(paths.index_html))
    _print_analysis(a)
    out.print(f"report: [bold]{paths.index_html}[/] ({len(paths.figures)} figure files)")
    if paths.samples_html:
        out.print(f"sample browser: {paths.samples_html}")
    for note in paths.validity_notes:
        out.print(f"  • {escape(note)}")


@app.command()
def perplexity(
    run: Path = typer.Argument(..., help="Run directory."),
    model: str = typer.Option(..., "--model", "-m", help="Scoring model M: a sampled model of the run, or any "
                              "name with --path."),
    of: list[str] | None = typer.Option(None, "--of", help="Score only these models' responses (repeatable; "
                                           "default: every model with samples)."),
    samples: int | None = typer.Option(None, "--samples", help="Score sample indices < SAMPLES per problem "
                                          "(the paper: 16 or 32)."),
    engine: str | None = typer.Option(None, "--engine", help="vllm or transformers (default: M's backend)."),
    path: str | None = typer.Option(None, "--path", help="Checkpoint of M (default: from the run)."),
    dtype: str | None = typer.Option(None, "--dtype", help="Weights dtype of M."),
    max_model_len: int | None = typer.Option(None, "--max-model-len", help="Context length of M."),
    batch_size: int = typer.Option(32, "--batch-size", help="Sequences per engine call."),
    template: str | None = typer.Option(None, "--template", help="Prompt template of samples the run has no "
                                           "record of (imported)."),
):
    """Score stored responses with model M: PPL_M(Y_S) per sample, resumable (boundary.scoring.score_perplexity)."""
    from boundary.scoring import perplexity_matrix, score_perplexity
    with err.status(f"scoring with {model}…"):
        s = score_perplexity(run, model, models=of, samples_per_problem=samples, engine=engine, path=path,
                             dtype=dtype, max_model_len=max_model_len, batch_size=batch_size, template=template)
    out.print(f"perplexity: {s.scored:,} samples scored by {s.scorer} ({s.engine}), {s.already:,} already "
              f"scored, {s.unscored:,} not scorable (see the `detail` column)")
    t = Table(title="PPL_M(Y_S): mean over problems of the per-problem median")
    for col in ("benchmark", "scorer M", "responses S", "problems", "samples", "PPL"):
        t.add_column(col)
    for c in perplexity_matrix(run):
        t.add_row(c.benchmark, c.scorer, c.model, str(c.problems), f"{c.samples:,}", f"{c.mean_of_medians:.4f}")
    out.print(t)


@app.command()
def judge(
    run: Path = typer.Argument(..., help="Run directory (verified)."),
    spec: Path | None = typer.Option(None, "--spec", "-s", help="Spec with a `judge:` block (default: the spec "
                                        "the run was made from)."),
    model: list[str] | None = typer.Option(None, "--model", "-m", help="Judge only these models' samples "
                                              "(repeatable; default: all)."),
):
    """Judge the reasoning of every correct sample with an LLM; CoT-pass@k (boundary.judge.judge_run)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from boundary.judge import cot_pass_at_k, judge_run
    from boundary.pipeline import judge_spec_for
    js = judge_spec_for(run, spec).to_config()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"judging with {js.engine.name}", total=None)
        s = judge_run(run, js, models=model or None, progress=lambda k: bar.advance(task, k))
    labels = ", ".join(f"{k} {v:,}" for k, v in sorted(s.labels.items())) or "nothing new"
    out.print(f"judge {s.judge}: {s.judged:,} correct samples judged ({s.skipped:,} already): {labels}")
    t = Table(title="pass@k / CoT-pass@k")
    t.add_column("benchmark")
    t.add_column("model")
    t.add_column("valid / correct", justify="right")
    rows = cot_pass_at_k(run, s.judge)
    ks = sorted({k for r in rows for k in r.ks if k in (1, 8, 64, 256, 1024)} | {r.ks[-1] for r in rows})
    for k in ks:
        t.add_column(f"k={k}", justify="right")
    for r in rows:
        cells = [f"{r.pass_at_k[r.ks.index(k)]:.3f} / {r.cot_pass_at_k[r.ks.index(k)]:.3f}" if k in r.ks else ""
                 for k in ks]
        t.add_row(r.benchmark, r.model, f"{r.valid:,} / {r.correct:,}", *cells)
    out.print(t)


@app.command()
def guess(spec: Path = typer.Argument(..., help="Experiment spec (YAML); its `guess:` block (or defaults)."),
          run_dir: Path | None = _RUNDIR):
    """Sample answer-only (no reasoning) into RUN/guess and flag guessable problems (boundary.judge.guess_run)."""
    from boundary.judge import guessability
    from boundary.pipeline import guess_spec_run
    s, rd = _load_spec_and_run(spec, run_dir)
    bar, update = _sample_bar()
    with bar:
        sres, vres = guess_spec_run(s, rd, progress=update)
    rows = guessability(rd)
    flags = {f: len({(r.benchmark, r.problem_id) for r in rows if r.flag == f}) for f in ("guessable", "direct")}
    out.print(f"guess: {sres.new_samples:,} new answer-only samples, {vres.verified:,} verified; "
              f"{flags['guessable']} problems guessable (0 < accuracy < threshold), {flags['direct']} answered "
              f"directly, of {len({(r.benchmark, r.problem_id) for r in rows})}")


def _workload_options() -> dict[str, typing.Any]:
    """One option per ClusterWorkload field: its default, its help and where its value comes from."""
    import dataclasses

    from boundary.scaleout import ClusterWorkload
    options = {}
    for f in dataclasses.fields(ClusterWorkload):
        m = f.metadata
        default = list(f.default) if isinstance(f.default, tuple) else f.default
        label = "" if m["kind"] == "plan" else f" ({m['kind']}: {m['source']})"
        options[f.name] = typer.Option(default, f"--{f.name.replace('_', '-')}", help=f"{m['help']}{label}.")
    return options


_WORKLOAD = _workload_options()


@app.command("plan-cluster")
def plan_cluster(
    problems: list[int] = _WORKLOAD["problems"],
    n: int = _WORKLOAD["n"],
    checkpoints: int = _WORKLOAD["checkpoints"],
    nodes: int = _WORKLOAD["nodes"],
    gpus_per_node: int = _WORKLOAD["gpus_per_node"],
    unit_samples: int = _WORKLOAD["unit_samples"],
    in_flight: int = _WORKLOAD["in_flight"],
    verify_cores: int = _WORKLOAD["verify_cores"],
    verify_cpus: int = _WORKLOAD["verify_cpus"],
    mean_tokens: float = _WORKLOAD["mean_tokens"],
    tokens_per_s: float = _WORKLOAD["tokens_per_s"],
    efficiency: float = _WORKLOAD["efficiency"],
    engine_load_s: float = _WORKLOAD["engine_load_s"],
    failure_rate: float = _WORKLOAD["failure_rate"],
    bytes_per_1k_tokens: float = _WORKLOAD["bytes_per_1k_tokens"],
    verify_rate: float = _WORKLOAD["verify_rate"],
    task_cpu_ms: float = _WORKLOAD["task_cpu_ms"],
    task_wall_ms: float = _WORKLOAD["task_wall_ms"],
):
    """Estimate a study on a cluster: wall time, GPU-hours, shards, bytes, driver tasks, failure cost.

    The defaults are issue 12's sweep: 100 checkpoints x six math benchmarks x n = 1024 on 64 x 8 GPUs.
    Repeat --problems once per benchmark. The formulas and the worked sweep: docs/scale-out.md.
    Inputs are labelled plan, measured (with the source), assumed, or given (a default you changed)."""
    from boundary.scaleout import ClusterWorkload, format_estimate
    w = ClusterWorkload(problems=tuple(problems), n=n, checkpoints=checkpoints, nodes=nodes,
                        gpus_per_node=gpus_per_node, unit_samples=unit_samples, in_flight=in_flight,
                        verify_cores=verify_cores, verify_cpus=verify_cpus, mean_tokens=mean_tokens,
                        tokens_per_s=tokens_per_s, efficiency=efficiency, engine_load_s=engine_load_s,
                        failure_rate=failure_rate, bytes_per_1k_tokens=bytes_per_1k_tokens,
                        verify_rate=verify_rate, task_cpu_ms=task_cpu_ms, task_wall_ms=task_wall_ms)
    typer.echo(format_estimate(w))


@app.command("plan-adaptive")
def plan_adaptive(run_dir: Path = typer.Argument(..., help="A finished fixed-n run."),
                  initial: int | None = typer.Option(None, "--initial", help="m: samples every problem gets first."),
                  successes: int | None = typer.Option(None, "--successes", help="r: stop at this many correct."),
                  batch: int | None = typer.Option(None, "--batch", help="b: samples between two checks.")):
    """What adaptive sampling would have cost on a finished fixed-n run, and the precision it keeps.

    Per model and benchmark: expected samples under each plan at the problems' observed rates, and
    the standard error of the mean pass@1 and pass@n with the problems held fixed (docs/adaptive.md).
    Without options, m = r = b = n/64, n/32, n/16 and n/8."""
    from boundary.analysis.analyze import adaptive_what_if
    given = [initial, successes, batch]
    if any(v is not None for v in given) and not all(v is not None for v in given):
        raise BoundaryError("give all of --initial, --successes and --batch, or none (the default grid).")
    plans = [(initial, successes, batch)] if initial is not None else None
    rows = adaptive_what_if(run_dir, plans)   # type: ignore[arg-type]
    from rich.table import Table
    t = Table("model", "benchmark", "plan", "samples", "SE pass@1 (fixed → plan)", "SE pass@n (fixed → plan)")
    for w in rows:
        t.add_row(w.model, w.benchmark, w.plan, f"{w.fraction:.0%} of {w.fixed_samples:,}",
                  f"{w.se_fixed[0]:.4f} → {w.se_plan[0]:.4f}", f"{w.se_fixed[1]:.4f} → {w.se_plan[1]:.4f}")
    out.print(t)


def _load_plugins() -> None:
    """Load the plugins (:mod:`boundary.plugins`) and let each add its commands (``register_commands(app)``)."""
    for module in load_plugins():
        hook = getattr(module, "register_commands", None)
        if hook is not None and module.__name__ not in _commands_from:
            _commands_from.add(module.__name__)
            hook(app)


_commands_from: set[str] = set()


def main() -> None:
    """Entry point: run the app, turning library errors into one-line messages (exit 2)."""
    try:
        _load_plugins()
        app()
    except BoundaryError as e:
        err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
