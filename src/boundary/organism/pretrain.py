"""Supervised training on answer texts: the base model's pre-training and the distillation.

One loop for both: sequences ``question + answer + <eos>``, loss on the answer tokens only,
AdamW with warm-up and cosine decay. What differs is the data:

- **pre-training** (:func:`pretrain_examples`): the skewed strategy prior, 3 to 5 numbers, and 40%
  well-formed wrong answers — a base model that has seen much, solves little at first try;
- **distillation** (:func:`teacher_examples`): a teacher that is always right on five-number
  problems — the stronger model whose outputs a distilled model imitates.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from boundary.organism import task
from boundary.organism.model import encode, eos_id


@dataclass(frozen=True)
class SFTConfig:
    steps: int = 1500
    batch_size: int = 256
    lr: float = 3e-3
    warmup: int = 50
    weight_decay: float = 0.01
    seed: int = 0


def pretrain_examples(seed: int, exclude: set[str]) -> Iterator[tuple[str, str]]:
    rng = random.Random(seed)
    while True:
        problem, answer, _ = task.make_example(rng)
        if problem.question not in exclude:
            yield problem.question, answer


def teacher_examples(seed: int, exclude: set[str], size: int = 5) -> Iterator[tuple[str, str]]:
    """The teacher's answers: always correct, on five-number problems of the evaluation's
    distribution (a stronger model than the base, which also saw 40% wrong answers)."""
    rng = random.Random(seed)
    while True:
        problem, answer = task.random_problem(rng, size)
        if problem.question not in exclude:
            yield problem.question, answer


def batch_tensors(pairs: list[tuple[str, str]]):
    """Right-padded input ids, attention mask and labels (-100 on the question and padding)."""
    import torch
    eos = eos_id()
    seqs, starts = [], []
    for q, a in pairs:
        qi = encode(q)
        seqs.append(qi + encode(a) + [eos])
        starts.append(len(qi))
    width = max(map(len, seqs))
    ids = torch.full((len(seqs), width), eos, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    for i, (s, st) in enumerate(zip(seqs, starts)):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        labels[i, st:len(s)] = torch.tensor(s[st:])
    return ids, mask, labels


def lr_at(step: int, cfg: SFTConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def train_sft(model, examples: Iterator[tuple[str, str]], cfg: SFTConfig,
              progress: Callable[[int, float], None] | None = None) -> list[float]:
    """Train ``model`` in place; returns the loss of every step."""
    import torch
    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    model.train()
    losses = []
    for step in range(cfg.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        ids, mask, labels = batch_tensors([next(examples) for _ in range(cfg.batch_size)])
        logits = model(input_ids=ids, attention_mask=mask).logits
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                 labels[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
        if progress is not None:
            progress(step + 1, losses[-1])
    model.eval()
    return losses
