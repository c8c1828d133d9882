"""``boundary demo`` (``make demo``): the paper's experiment on the model organism, end to end.

Runs ``boundary run`` on the bundled spec (``demo.yaml``) with the shipped checkpoints, then
reads the report's ``summary.json`` back in three lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from boundary.errors import BoundaryError

SPEC = Path(__file__).with_name("demo.yaml")
CHECKPOINTS = Path(__file__).with_name("checkpoints")
RL = "grpo-step50"


def demo_spec(run_dir: str | Path, *, n: int | None = None, limit: int | None = None,
              checkpoints: str | Path | None = None) -> Path:
    """Write the demo spec, with the checkpoint paths filled in, to ``run_dir/spec.yaml``.

    ``n`` and ``limit`` (problems per benchmark) shrink it, for tests.
    """
    ckpt = Path(checkpoints or CHECKPOINTS).resolve()
    if not (ckpt / "base" / "config.json").is_file():
        raise BoundaryError(f"the organism's checkpoints are not in {ckpt} (no base/config.json). Reinstall "
                            "boundary, or rebuild them with `boundary organism train --out DIR`.")
    data = yaml.safe_load(SPEC.read_text().replace("{checkpoints}", str(ckpt)))
    if n is not None:
        data["sampling"]["n"] = n
        data["sampling"]["chunk_size"] = min(n, data["sampling"]["chunk_size"])
    if limit is not None:
        for b in data["benchmarks"]:
            b["limit"] = limit
    from boundary.spec import parse_spec
    from boundary.store import Run
    run_dir = Path(run_dir)
    Run.create(run_dir, spec=parse_spec(data, where="demo.yaml").model_dump(mode="json"))   # or resume it
    out = run_dir / "spec.yaml"
    header = "".join(line for line in SPEC.read_text().splitlines(keepends=True) if line.startswith("#"))
    out.write_text(header + yaml.safe_dump(data, sort_keys=False))
    return out


def _at(points: list[dict], k: int) -> float | None:
    return next((p["pass_at_k"] for p in points if p["k"] == k), None)


def three_lines(summary: dict) -> list[str]:
    """The demo's reading: pass@1 vs pass@n, the crossover, who solves what (from summary.json)."""
    b = next((x for x in summary["benchmarks"] if x["benchmark"] == "countdown"), summary["benchmarks"][0])
    ref, k_max = b["reference"], b["k_max"]
    rl = RL if RL in b["models"] else next(m for m in b["models"] if m != ref)
    curves = b["pass_at_k"]
    lines = [f"{b['benchmark']}: RL ({rl}) pass@1 {_at(curves[rl], 1):.3f} vs base {_at(curves[ref], 1):.3f}; "
             f"pass@{k_max} {_at(curves[rl], k_max):.3f} vs base {_at(curves[ref], k_max):.3f}."]
    comp = next((c for c in b["comparisons"] if c["other"] == rl), None)
    if comp is not None:
        lines.append(f"Crossover: {comp['crossover']['description']}")
    cov = next((c for c in b["coverage"] if c["model_b"] == rl), None)
    if cov is not None:
        lines.append(f"At k = {cov['k']}: base alone solves {cov['only_a']:.0f} problems, {rl} alone "
                     f"{cov['only_b']:.0f}, both {cov['both']:.0f}, neither {cov['neither']:.0f}.")
    return lines


def read_summary(report_index: str | Path) -> dict:
    return json.loads((Path(report_index).parent / "summary.json").read_text())
