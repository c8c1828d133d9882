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
VISUAL_SPEC = Path(__file__).with_name("demo-visual.yaml")
CHECKPOINTS = Path(__file__).with_name("checkpoints")
RL = "grpo-step50"
VISUAL_RL = "grpo-step150"
VISUAL_BACKENDS = {
    # the organism's sampler (image features spliced in): ~1 min for 3 × 15,360 samples (the default, transformers: ~2)
    "tiny": {},
    "transformers": {"dtype": "float32", "batch_size": 4, "engine_args": {"num_threads": 1}},
    # vLLM's Transformers backend (its native LLaVA needs torchvision); ~35-60 s engine start per model
    "vllm": {"dtype": "float32", "max_model_len": 96,
             "engine_args": {"model_impl": "transformers", "limit_mm_per_prompt": {"image": 1},
                             "enforce_eager": True, "max_num_batched_tokens": 4096}},
}


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
    return _write_spec(run_dir, data, SPEC)


def visual_demo_spec(run_dir: str | Path, *, n: int | None = None, limit: int | None = None,
                     backend: str = "transformers", checkpoints: str | Path | None = None) -> Path:
    """The visual organism's demo spec (``demo-visual.yaml``) with the shipped visual checkpoints and
    ``backend`` (tiny, transformers or vllm), written to ``run_dir/spec.yaml``."""
    if backend not in VISUAL_BACKENDS:
        raise BoundaryError(f"backend {backend!r} cannot run the visual demo; choose one of "
                            f"{', '.join(VISUAL_BACKENDS)}.")
    ckpt = Path(checkpoints or CHECKPOINTS / "visual").resolve()
    if not (ckpt / "base" / "config.json").is_file():
        raise BoundaryError(f"the visual organism's checkpoints are not in {ckpt} (no base/config.json). Reinstall "
                            "boundary, or rebuild them with `boundary organism train --visual --out DIR`.")
    text = VISUAL_SPEC.read_text().replace("{checkpoints}", str(ckpt)).replace("{backend}", backend)
    data = yaml.safe_load(text)
    for m in data["models"]:
        m.update(json.loads(json.dumps(VISUAL_BACKENDS[backend])))
    for b in data["benchmarks"]:
        if checkpoints is not None:
            b["source"] = str(ckpt / "heldout.jsonl")
        if limit is not None:
            b["limit"] = limit
    if n is not None:
        data["sampling"]["n"] = n
        data["sampling"]["chunk_size"] = min(n, data["sampling"]["chunk_size"])
    return _write_spec(run_dir, data, VISUAL_SPEC)


def _write_spec(run_dir: str | Path, data: dict, template: Path) -> Path:
    from boundary.spec import parse_spec
    from boundary.store import Run
    run_dir = Path(run_dir)
    Run.create(run_dir, spec=parse_spec(data, where=template.name).model_dump(mode="json"))   # or resume it
    out = run_dir / "spec.yaml"
    header = "".join(line for line in template.read_text().splitlines(keepends=True) if line.startswith("#"))
    out.write_text(header + yaml.safe_dump(data, sort_keys=False))
    return out


def perception(run_dir: str | Path) -> dict:
    """The perception check of a visual Countdown run, per model: the share of samples whose answer
    uses exactly the image's numbers (whatever its value: the model *read* the image), the share that
    also hits the target, and the share that is malformed. A model that could not read stays near the
    share a blind reader reaches (:func:`blind_read_share`); one that reads but cannot solve has a high
    first share and a low second one."""
    import pyarrow.compute as pc

    from boundary.organism import task
    from boundary.organism.visual import uses_numbers
    from boundary.store import Run
    run = Run(Path(run_dir))
    probs = run.read("problems", ["benchmark", "problem_id", "metadata"])
    numbers = {}
    for b, pid, meta in zip(*(probs[c].to_pylist() for c in ("benchmark", "problem_id", "metadata"))):
        m = json.loads(meta or "{}")
        if m.get("kind") == "countdown" and m.get("images"):
            numbers[(b, pid)] = task.Countdown(tuple(int(x) for x in m["numbers"]), int(m["target"]))
    out: dict = {}
    if not numbers:
        return out
    s = run.read("samples", ["model", "benchmark", "problem_id", "text"], filter=pc.field("benchmark").isin(
        sorted({b for b, _ in numbers})))
    for model, b, pid, text in zip(*(s[c].to_pylist() for c in ("model", "benchmark", "problem_id", "text"))):
        p = numbers.get((b, pid))
        if p is None:
            continue
        rec = out.setdefault(model, {"samples": 0, "numbers_read": 0, "correct": 0, "malformed": 0})
        rec["samples"] += 1
        read = uses_numbers(text or "", p)
        rec["numbers_read"] += read
        rec["correct"] += read and task.check(text or "", p).correct
        try:
            task.parse((text or "").strip())
        except task.ParseError:
            rec["malformed"] += 1
    for rec in out.values():
        for k in ("numbers_read", "correct", "malformed"):
            rec[f"{k}_share"] = rec[k] / rec["samples"]
    problems = list(numbers.values())
    out["_blind"] = {"numbers_read_share": blind_read_share(problems)}
    return out


def perception_section(analysis, out_dir: Path) -> tuple[str, str, str] | None:
    """The report's perception check (registered by the plugin): for a run with visual Countdown
    problems, per model the share of samples that use exactly the image's numbers, next to what a
    blind reader reaches; also written as ``perception.json`` beside the report."""
    import html
    if not getattr(analysis, "run", None) or not (Path(analysis.run) / "problems").exists():
        return None
    try:
        per = perception(analysis.run)
    except Exception:                                   # not a run this section can read: no section
        return None
    if not [m for m in per if not m.startswith("_")]:
        return None
    (Path(out_dir) / "perception.json").write_text(json.dumps(per, indent=2, sort_keys=True) + "\n")
    order = list(dict.fromkeys(m for b in analysis.benchmarks for m in b.models if m in per))
    rows = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{per[m]['samples']:,}</td><td>{per[m]['numbers_read_share']:.3f}</td>"
        f"<td>{per[m]['correct_share']:.3f}</td><td>{per[m]['malformed_share']:.3f}</td></tr>"
        for m in order + sorted(set(per) - set(order) - {"_blind"}))
    blind = per["_blind"]["numbers_read_share"]
    body = (
        "<p>Visual Countdown asks for an expression over the numbers drawn in the image. A sample that uses "
        "exactly those numbers (whatever its value) shows the model <em>read</em> the image; one that also hits "
        "the target solved it. A low first share means <em>could not read</em>, a high first share with a low "
        "second one <em>could not solve</em>. A blind reader, who guesses the five digits, uses exactly the "
        f"image's numbers in {blind:.4f} of its answers.</p>"
        "<table><thead><tr><th>model</th><th>samples</th><th>uses exactly the image's numbers</th>"
        "<th>correct</th><th>malformed</th></tr></thead><tbody>" + rows + "</tbody></table>")
    return ("perception", "Perception check", body)


def blind_read_share(problems, draws: int = 200, seed: int = 0) -> float:
    """The share of answers that use exactly a problem's numbers when the numbers are guessed: five
    digits drawn as the generator draws them (uniform 1-9), compared as multisets with the problem's."""
    import random
    from collections import Counter

    from boundary.organism.task import NUMBER_RANGE
    rng = random.Random(seed)
    hit = 0
    for p in problems:
        want = Counter(p.numbers)
        for _ in range(draws):
            hit += Counter(rng.randint(*NUMBER_RANGE) for _ in p.numbers) == want
    return hit / (draws * len(problems))


def perception_lines(per: dict, order: list[str] | None = None) -> list[str]:
    models = [m for m in (order or []) if m in per] + sorted(m for m in per if not m.startswith("_")
                                                             and m not in (order or []))
    if not models:
        return []
    parts = [f"{m} {per[m]['numbers_read_share']:.2f}" for m in models]
    return ["Perception (share of samples using exactly the image's numbers): " + ", ".join(parts)
            + f"; a blind reader {per['_blind']['numbers_read_share']:.4f}."]


def _at(points: list[dict], k: int) -> float | None:
    return next((p["pass_at_k"] for p in points if p["k"] == k), None)


def three_lines(summary: dict, *, benchmark: str = "countdown", rl_model: str = RL) -> list[str]:
    """The demo's reading: pass@1 vs pass@n, the crossover, who solves what (from summary.json)."""
    b = next((x for x in summary["benchmarks"] if x["benchmark"] == benchmark), summary["benchmarks"][0])
    ref, k_max = b["reference"], b["k_max"]
    rl = rl_model if rl_model in b["models"] else next(m for m in b["models"] if m != ref)
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
