"""``boundary organism train``: rebuild every checkpoint of the model organism.

Stages (each seeded; one torch thread, so the same machine gives the same bytes):

1. ``base``      pre-training on the skewed strategy prior (:mod:`boundary.organism.pretrain`);
2. RL from the base, one run per algorithm (:mod:`boundary.organism.rl`); the GRPO run also
   keeps intermediate checkpoints (``grpo-step25``, ...) for the training-step sweep;
3. ``distilled`` the base fine-tuned on a teacher that is always right (five-number problems).

Writes one checkpoint directory per model (fp16 safetensors + tokenizer + ``organism.json``), the
held-out problems (``heldout.jsonl``, ``heldout-hard.jsonl``) and ``manifest.json`` with every
file's sha256 and each model's quick evaluation, so a rebuild can be compared with the shipped
files (``tests/test_organism.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from boundary._files import sha256_file
from boundary.organism import task
from boundary.organism.model import ModelShape, decode, encode, eos_id, load_model, new_model, save_checkpoint
from boundary.organism.pretrain import SFTConfig, pretrain_examples, teacher_examples, train_sft
from boundary.organism.rl import ALGORITHMS, RLConfig, train_rl
from boundary.organism.sampler import TinySampler

HELDOUT_SEED = 20250418
HELDOUT_COUNT = 100
HARD_COUNT = 60
HARD_MAX_CHANCE = 8.7e-4
"""A problem is *hard* when one blind guess solves it with probability at most this: blind
guessing then reaches pass@256 ≤ 0.20."""


@dataclass(frozen=True)
class TrainConfig:
    shape: ModelShape = ModelShape()
    pretrain: SFTConfig = SFTConfig(steps=500)
    rl: RLConfig = RLConfig(steps=50, lr=2e-4)
    algorithms: tuple[str, ...] = ALGORITHMS
    sweep_every: int = 25
    """The GRPO run keeps a checkpoint every this many steps (``grpo-step25``, ...)."""
    distill: SFTConfig = SFTConfig(steps=200, lr=1e-3, warmup=20, seed=1)
    eval_problems: int = 40
    eval_n: int = 32
    seed: int = 0
    workers: int = 2
    """Processes for the stages after pre-training (one torch thread each)."""


def heldout_sets() -> tuple[list[task.Countdown], list[task.Countdown]]:
    """The evaluation problems: 100 of the generator's distribution and 60 hard ones, disjoint."""
    hard = task.heldout_problems(HARD_COUNT, seed=HELDOUT_SEED + 1, max_chance=HARD_MAX_CHANCE)
    normal = task.heldout_problems(HELDOUT_COUNT, seed=HELDOUT_SEED, exclude={p.question for p in hard})
    return normal, hard


def write_problems(problems: list[task.Countdown], path: Path, benchmark: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, p in enumerate(problems):
            c = task.chance(p)
            f.write(json.dumps({"id": f"{benchmark}-{i:03d}", "question": p.question, "answer": str(p.target),
                                "numbers": list(p.numbers), "target": p.target, "chance": c}) + "\n")


def quick_eval(model, problems: list[task.Countdown], n: int, seed: int = 0) -> dict:
    """pass@1 and pass@n of ``model`` on ``problems`` (the organism sampler, temperature 1)."""
    sampler = TinySampler(model, eos_id=eos_id())
    prompts = [encode(p.question) for p in problems for _ in range(n)]
    out = sampler.sample(prompts, [seed + i for i in range(len(prompts))], max_new_tokens=24)
    solved, correct = 0, 0
    for i, p in enumerate(problems):
        c = sum(1 for s in out[i * n:(i + 1) * n] if s.finished and task.check(decode(s.tokens), p).correct)
        correct += c
        solved += c > 0
    return {"pass@1": correct / (n * len(problems)), f"pass@{n}": solved / len(problems),
            "problems": len(problems), "n": n}


def _finish(out: Path, name: str, model, card: dict, cfg: TrainConfig) -> dict:
    """Save ``model`` as checkpoint ``name``, evaluate the saved (fp16) weights, write organism.json
    last: a checkpoint directory with organism.json is complete (what a resumed run skips)."""
    path = save_checkpoint(model, out / name, card=None)
    shipped = load_model(path)
    normal, _ = heldout_sets()
    card = {**card, "eval": quick_eval(shipped, normal[:cfg.eval_problems], cfg.eval_n)}
    tmp = path / "organism.json.tmp"
    tmp.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    tmp.replace(path / "organism.json")
    return card


def _done(out: Path, name: str) -> dict | None:
    f = out / name / "organism.json"
    return json.loads(f.read_text()) if f.is_file() else None


def _finished(out: Path, name: str) -> dict:
    """The organism.json of a stage that has finished (all have when the manifest is written)."""
    rec = _done(out, name)
    assert rec is not None, name
    return rec


def _stage_names(kind: str, name: str, cfg: TrainConfig) -> list[str]:
    if kind == "rl" and name == "grpo" and cfg.sweep_every:
        return [f"grpo-step{s}" for s in range(cfg.sweep_every, cfg.rl.steps, cfg.sweep_every)] + [name]
    return [name]


def _stage(job: tuple) -> list[str]:
    """One stage after pre-training, in a worker process; saves its checkpoints itself."""
    import torch
    kind, name, out, cfg, exclude, queue = job
    out = Path(out)
    torch.set_num_threads(1)
    model = load_model(out / "base")             # the shipped (fp16) base, as float32
    t0 = time.time()

    def tick(step, stats):
        if queue is not None:
            queue.put((name, step, stats if isinstance(stats, dict) else {"loss": stats}))

    if kind == "distill":
        losses = train_sft(model, teacher_examples(cfg.seed + 7, exclude), cfg.distill, tick)
        _finish(out, name, model, {"stage": "distill", "config": asdict(cfg.distill), "final_loss": losses[-1],
                                   "seconds": round(time.time() - t0, 1)}, cfg)
        return [name]
    rcfg = RLConfig.for_algorithm(name, **{k: v for k, v in asdict(cfg.rl).items()
                                           if k not in ("algorithm", "clip_high", "save_every")})
    if name == "grpo":
        rcfg = replace(rcfg, save_every=cfg.sweep_every)
    history, snaps = train_rl(model, rcfg, exclude, tick)
    for step, state in sorted(snaps.items()):
        snap = new_model(cfg.shape, seed=cfg.seed)
        snap.load_state_dict(state)
        _finish(out, f"{name}-step{step}", snap, {"stage": "rl", "algorithm": name, "step": step,
                                                   "config": asdict(rcfg)}, cfg)
    _finish(out, name, model, {"stage": "rl", "algorithm": name, "step": rcfg.steps, "config": asdict(rcfg),
                               "reward": [h["reward"] for h in history],
                               "seconds": round(time.time() - t0, 1)}, cfg)
    return _stage_names(kind, name, cfg)


def train_all(out_dir: str | Path, cfg: TrainConfig = TrainConfig(),
              progress: Callable[[str, int, int, dict], None] | None = None) -> dict:
    """Build every checkpoint into ``out_dir``; returns the manifest (also written as manifest.json).

    Pre-training runs first; then the RL runs and the distillation, each starting from the saved
    base checkpoint, run in ``cfg.workers`` processes. Each stage saves its checkpoints when it
    ends, so a run that was stopped resumes: stages whose checkpoints are complete are skipped
    (delete a checkpoint directory to redo its stage). ``progress(stage, done, total, stats)`` is
    called after every training step of every stage.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import torch
    torch.set_num_threads(1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    normal, hard = heldout_sets()
    write_problems(normal, out / "heldout.jsonl", "countdown")
    write_problems(hard, out / "heldout-hard.jsonl", "countdown-hard")
    exclude = {p.question for p in normal + hard}

    # 1. base
    if _done(out, "base") is None:
        t0 = time.time()
        base = new_model(cfg.shape, seed=cfg.seed)
        tick = (lambda step, loss: progress("base", step, cfg.pretrain.steps, {"loss": loss})) if progress else None
        losses = train_sft(base, pretrain_examples(cfg.seed, exclude), cfg.pretrain, tick)
        _finish(out, "base", base, {"stage": "pretrain", "config": asdict(cfg.pretrain), "final_loss": losses[-1],
                                    "seconds": round(time.time() - t0, 1)}, cfg)
    elif progress:
        progress("base", cfg.pretrain.steps, cfg.pretrain.steps, {})

    # 2. RL runs and distillation, in parallel processes
    totals = {alg: cfg.rl.steps for alg in cfg.algorithms}
    totals["distilled"] = cfg.distill.steps
    jobs = [("rl", alg) for alg in cfg.algorithms] + [("distill", "distilled")]
    todo = [(k, n) for k, n in jobs if any(_done(out, x) is None for x in _stage_names(k, n, cfg))]
    if progress:
        for k, n in jobs:
            if (k, n) not in todo:
                progress(n, totals[n], totals[n], {})
    if todo:
        ctx = mp.get_context("spawn")
        with ctx.Manager() as manager:
            queue = manager.Queue() if progress else None

            def drain():
                while queue is not None and not queue.empty():
                    name, step, stats = queue.get()
                    progress(name, step, totals[name], stats)

            with ProcessPoolExecutor(max_workers=cfg.workers, mp_context=ctx) as pool:
                futures = [pool.submit(_stage, (k, n, str(out), cfg, exclude, queue)) for k, n in todo]
                while not all(f.done() for f in futures):
                    drain()
                    time.sleep(0.2)
                drain()
                for f in futures:
                    f.result()                           # a failed stage raises here

    names = ["base"] + [x for k, n in jobs for x in _stage_names(k, n, cfg)]
    models = {name: {"path": name, "sha256": sha256_file(out / name / "model.safetensors"), **_finished(out, name)}
              for name in names}
    manifest = {"format": 1, "seconds": round(time.time() - started, 1), "workers": cfg.workers,
                "torch": torch.__version__, "shape": asdict(cfg.shape), "models": models,
                "heldout": {"countdown": {"file": "heldout.jsonl", "sha256": sha256_file(out / "heldout.jsonl")},
                            "countdown-hard": {"file": "heldout-hard.jsonl",
                                               "sha256": sha256_file(out / "heldout-hard.jsonl")}}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
