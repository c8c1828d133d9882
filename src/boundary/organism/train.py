"""``boundary organism train``: rebuild every checkpoint of the model organism.

Stages (each seeded; one torch thread, so the same machine gives the same bytes):

1. ``base``      pre-training on the skewed strategy prior (:mod:`boundary.organism.pretrain`);
2. RL from the base, one run per algorithm (:mod:`boundary.organism.rl`); the GRPO run also
   keeps intermediate checkpoints (``grpo-step20``, ...) for the training-step sweep;
3. ``distilled`` the base fine-tuned on a teacher that knows every strategy.

Writes one checkpoint directory per model (fp16 safetensors + tokenizer + ``organism.json``), the
held-out problems (``heldout.jsonl``, ``heldout-hard.jsonl``) and ``manifest.json`` with every
file's sha256 and each model's quick evaluation, so a rebuild can be compared with the shipped
files (``tests/test_organism.py``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from boundary.organism import task
from boundary.organism.model import ModelShape, decode, encode, eos_id, new_model, save_checkpoint
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
    pretrain: SFTConfig = SFTConfig()
    rl: RLConfig = RLConfig()
    algorithms: tuple[str, ...] = ALGORITHMS
    sweep_every: int = 20
    """The GRPO run keeps a checkpoint every this many steps."""
    distill: SFTConfig = SFTConfig(steps=300, lr=1e-3, warmup=20, seed=1)
    eval_problems: int = 40
    eval_n: int = 32
    seed: int = 0
    threads: int = 1
    extra: dict = field(default_factory=dict)


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


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def train_all(out_dir: str | Path, cfg: TrainConfig = TrainConfig(),
              progress: Callable[[str, int, int, dict], None] | None = None) -> dict:
    """Build every checkpoint into ``out_dir``; returns the manifest (also written as manifest.json).

    ``progress(stage, done, total, stats)`` is called after every training step.
    """
    import torch
    torch.set_num_threads(cfg.threads)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    normal, hard = heldout_sets()
    write_problems(normal, out / "heldout.jsonl", "countdown")
    write_problems(hard, out / "heldout-hard.jsonl", "countdown-hard")
    exclude = {p.question for p in normal + hard}
    eval_set = normal[:cfg.eval_problems]
    models: dict[str, dict] = {}

    def report(stage, total):
        return (lambda step, stats: progress(stage, step, total,
                                             stats if isinstance(stats, dict) else {"loss": stats})) \
            if progress else None

    def finish(name: str, model, card: dict) -> None:
        t = time.time()
        ev = quick_eval(model, eval_set, cfg.eval_n)
        path = save_checkpoint(model, out / name, card={**card, "eval": ev})
        models[name] = {"path": name, "eval": ev, "sha256": sha256(path / "model.safetensors"),
                        "seconds": round(time.time() - t + card.get("seconds", 0.0), 1), **card}

    # 1. base
    t0 = time.time()
    base = new_model(cfg.shape, seed=cfg.seed)
    losses = train_sft(base, pretrain_examples(cfg.seed, exclude), cfg.pretrain, report("base", cfg.pretrain.steps))
    finish("base", base, {"stage": "pretrain", "config": asdict(cfg.pretrain), "final_loss": losses[-1],
                          "seconds": time.time() - t0})
    base_state = {k: v.clone() for k, v in base.state_dict().items()}

    # 2. RL, one run per algorithm
    for alg in cfg.algorithms:
        t0 = time.time()
        model = new_model(cfg.shape, seed=cfg.seed)
        model.load_state_dict(base_state)
        rcfg = RLConfig.for_algorithm(alg, **{k: v for k, v in asdict(cfg.rl).items() if k not in ("algorithm",
                                                                                                  "clip_high")})
        if alg == "grpo":
            rcfg = replace(rcfg, save_every=cfg.sweep_every)
        history, snaps = train_rl(model, rcfg, exclude, report(alg, rcfg.steps))
        for step, state in sorted(snaps.items()):
            snap = new_model(cfg.shape, seed=cfg.seed)
            snap.load_state_dict(state)
            finish(f"{alg}-step{step}", snap, {"stage": "rl", "algorithm": alg, "step": step,
                                               "config": asdict(rcfg)})
        finish(alg, model, {"stage": "rl", "algorithm": alg, "step": rcfg.steps, "config": asdict(rcfg),
                            "reward": [h["reward"] for h in history], "seconds": time.time() - t0})

    # 3. distillation from the all-strategies teacher
    t0 = time.time()
    model = new_model(cfg.shape, seed=cfg.seed)
    model.load_state_dict(base_state)
    train_sft(model, teacher_examples(cfg.seed + 7, exclude), cfg.distill, report("distilled", cfg.distill.steps))
    finish("distilled", model, {"stage": "distill", "config": asdict(cfg.distill), "seconds": time.time() - t0})

    manifest = {"format": 1, "seconds": round(time.time() - started, 1), "threads": cfg.threads,
                "torch": torch.__version__, "shape": asdict(cfg.shape), "models": models,
                "heldout": {"countdown": {"file": "heldout.jsonl", "sha256": sha256(out / "heldout.jsonl")},
                            "countdown-hard": {"file": "heldout-hard.jsonl",
                                               "sha256": sha256(out / "heldout-hard.jsonl")}}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
