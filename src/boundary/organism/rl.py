"""RL with 0/1 verifiable rewards: one loop, pluggable advantage estimators.

Each step samples ``group`` answers for each of ``prompts`` fresh Countdown problems, rewards an
answer 1 when :func:`boundary.organism.task.check` says correct, turns rewards into advantages with
the algorithm's estimator, and takes a clipped policy-gradient step (PPO's surrogate, split into
``minibatches`` so that later minibatches are slightly off-policy and the clip matters)::

    loss = -mean_tokens( min(ρ·A, clip(ρ, 1-ε_low, 1+ε_high)·A) ),   ρ = π(y_t)/π_old(y_t)

The estimators (the paper's Table of algorithms):

================  ==============================================================================
``grpo``          A = (r − mean_group) / (std_group + 1e-6)               (Shao et al. 2024)
``rloo``          A = r − mean of the *other* answers of the group        (Ahmadian et al. 2024)
``reinforce_pp``  A = (r − mean_batch) / std_batch, no critic             (Hu 2025, REINFORCE++)
``remax``         A = r − r(greedy answer to the same prompt)             (Li et al. 2023)
``dapo``          GRPO's A, clip-higher (ε_high = 0.28), dynamic sampling (groups whose answers
                  are all right or all wrong are dropped and more prompts drawn), token-level loss
                                                                          (Yu et al. 2025)
``ppo``           A_t = r − V(prefix_t) from a value head on the policy's last hidden state,
                  normalised over the batch; value loss 0.5·(V − r)²     (Schulman et al. 2017)
================  ==============================================================================

No KL penalty (β = 0, as DAPO and TRL's GRPOTrainer default); temperature 1.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from boundary.organism import task
from boundary.organism.model import decode, encode, eos_id
from boundary.organism.sampler import TinySampler

ALGORITHMS = ("grpo", "rloo", "reinforce_pp", "remax", "dapo", "ppo")


@dataclass(frozen=True)
class RLConfig:
    algorithm: str = "grpo"
    steps: int = 60
    prompts: int = 32
    group: int = 16
    lr: float = 2e-4
    minibatches: int = 2
    clip_low: float = 0.2
    clip_high: float = 0.2
    max_new_tokens: int = 24
    size: int = 5
    seed: int = 0
    save_every: int = 0
    """Also return a snapshot of the weights every ``save_every`` steps (0: none)."""

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm {self.algorithm!r} is unknown; expected one of {', '.join(ALGORITHMS)}.")

    @classmethod
    def for_algorithm(cls, algorithm: str, **kw) -> RLConfig:
        cfg = cls(algorithm=algorithm, **kw)
        if algorithm == "dapo" and "clip_high" not in kw:
            cfg = replace(cfg, clip_high=0.28)
        return cfg


def advantages(algorithm: str, rewards, groups: int, group: int, greedy=None):
    """Per-answer advantages [groups*group] from 0/1 ``rewards`` (a float tensor, group-major)."""
    import torch
    r = rewards.view(groups, group)
    if algorithm in ("grpo", "dapo"):
        a = (r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-6)
    elif algorithm == "rloo":
        a = r - (r.sum(1, keepdim=True) - r) / (group - 1)
    elif algorithm == "reinforce_pp":
        a = (r - r.mean()) / (r.std() + 1e-6)
    elif algorithm == "remax":
        a = r - greedy.view(groups, 1)
    elif algorithm == "ppo":
        a = torch.zeros_like(r)                          # token-level, from the value head
    else:
        raise ValueError(algorithm)
    return a.reshape(-1)


def _problems(rng: random.Random, count: int, size: int, exclude: set[str]) -> list[task.Countdown]:
    out: list[task.Countdown] = []
    while len(out) < count:
        p, _ = task.random_problem(rng, size)
        if p.question not in exclude:
            out.append(p)
    return out


def train_rl(model, cfg: RLConfig, exclude: set[str],
             progress: Callable[[int, dict], None] | None = None) -> tuple[list[dict], dict[int, dict]]:
    """Train ``model`` in place. Returns (per-step stats, {step: state_dict snapshot})."""
    import torch
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    eos = eos_id()
    value_head = None
    params = list(model.parameters())
    if cfg.algorithm == "ppo":
        value_head = torch.nn.Linear(model.config.hidden_size, 1)
        torch.nn.init.zeros_(value_head.weight)
        torch.nn.init.zeros_(value_head.bias)
        params += list(value_head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0, betas=(0.9, 0.99))
    history, snapshots = [], {}
    seed_base = cfg.seed * 1_000_003
    for step in range(1, cfg.steps + 1):
        model.eval()
        sampler = TinySampler(model, eos_id=eos)
        problems: list[task.Countdown] = []
        rewards, samples = [], []
        attempts = 0
        while len(problems) < cfg.prompts:
            need = cfg.prompts - len(problems)
            batch = _problems(rng, need if cfg.algorithm != "dapo" else max(need, cfg.prompts // 2), cfg.size,
                              exclude)
            prompts = [encode(p.question) for p in batch for _ in range(cfg.group)]
            seeds = [seed_base + step * 10_000_000 + attempts * 100_000 + i for i in range(len(prompts))]
            out = sampler.sample(prompts, seeds, max_new_tokens=cfg.max_new_tokens)
            attempts += 1
            for i, p in enumerate(batch):
                group = out[i * cfg.group:(i + 1) * cfg.group]
                r = [1.0 if s.finished and task.check(decode(s.tokens), p).correct else 0.0 for s in group]
                if cfg.algorithm == "dapo" and attempts < 8 and (sum(r) == 0 or sum(r) == len(r)):
                    continue                              # dynamic sampling: no signal in this group
                if len(problems) < cfg.prompts:
                    problems.append(p)
                    rewards.extend(r)
                    samples.extend(group)
        rew = torch.tensor(rewards)
        greedy = None
        if cfg.algorithm == "remax":
            g = sampler.sample([encode(p.question) for p in problems], [0] * len(problems),
                               max_new_tokens=cfg.max_new_tokens, temperature=0.0)
            greedy = torch.tensor([1.0 if s.finished and task.check(decode(s.tokens), p).correct else 0.0
                                   for s, p in zip(g, problems)])
        adv = advantages(cfg.algorithm, rew, len(problems), cfg.group, greedy)
        # sequences: prompt + answer (+ eos when it finished)
        seqs, starts = [], []
        for i, s in enumerate(samples):
            q = encode(problems[i // cfg.group].question)
            seqs.append(q + list(s.tokens) + ([eos] if s.finished else []))
            starts.append(len(q))
        width = max(map(len, seqs))
        ids = torch.full((len(seqs), width), eos, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        tmask = torch.zeros((len(seqs), width - 1))       # which next-token predictions are answer tokens
        for i, (seq, st) in enumerate(zip(seqs, starts)):
            ids[i, :len(seq)] = torch.tensor(seq)
            mask[i, :len(seq)] = 1
            tmask[i, st - 1:len(seq) - 1] = 1
        targets = ids[:, 1:]
        with torch.no_grad():
            old = model(input_ids=ids, attention_mask=mask).logits[:, :-1].log_softmax(-1)
            old = old.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        model.train()
        order = torch.randperm(len(seqs))
        stats = {"step": step, "reward": float(rew.mean()), "prompts_drawn": attempts}
        for mb in order.chunk(cfg.minibatches):
            out = model(input_ids=ids[mb], attention_mask=mask[mb], output_hidden_states=value_head is not None)
            logp = out.logits[:, :-1].log_softmax(-1).gather(-1, targets[mb].unsqueeze(-1)).squeeze(-1)
            tm = tmask[mb]
            if value_head is not None:
                values = value_head(out.hidden_states[-1][:, :-1]).squeeze(-1)          # V(prefix_t)
                a_tok = (rew[mb].unsqueeze(1) - values.detach())
                mean = (a_tok * tm).sum() / tm.sum()
                std = (((a_tok - mean) ** 2 * tm).sum() / tm.sum()).sqrt()
                a_tok = (a_tok - mean) / (std + 1e-6)
                v_loss = 0.5 * (((values - rew[mb].unsqueeze(1)) ** 2) * tm).sum() / tm.sum()
            else:
                a_tok = adv[mb].unsqueeze(1).expand_as(logp)
                v_loss = 0.0
            ratio = (logp - old[mb]).exp()
            surr = torch.minimum(ratio * a_tok, ratio.clamp(1 - cfg.clip_low, 1 + cfg.clip_high) * a_tok)
            if cfg.algorithm == "dapo":                    # token-level: every token weighs the same
                pg = -(surr * tm).sum() / tm.sum()
            else:                                          # sequence-level mean, then batch mean
                pg = -((surr * tm).sum(1) / tm.sum(1).clamp(min=1)).mean()
            loss = pg + v_loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        model.eval()
        history.append(stats)
        if cfg.save_every and step % cfg.save_every == 0 and step != cfg.steps:
            snapshots[step] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if progress is not None:
            progress(step, stats)
    return history, snapshots
