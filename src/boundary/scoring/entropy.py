"""Token-level entropy of sampled responses, and the paper's entropy-matched temperature.

With the sampled tokens' logprobs recorded (``sampling.logprobs``), a sample's Monte-Carlo estimate
of the per-token entropy is ``−logprob_sum / completion_tokens``: the average surprisal of the
tokens the model actually drew. Over many samples, the token-weighted mean
``−Σ logprob_sum / Σ completion_tokens`` estimates the model's output entropy per token.

What the logprobs are: vLLM's and the transformers backend's default are the *raw* logprobs
(the model's distribution at T = 1, before temperature and top-p), so at a sampling temperature
T ≠ 1 the estimate is the cross-entropy of the T-samples under the T = 1 model. It still rises
with T for a fixed model, which is what the entropy-matched comparison needs; for the entropy of
the sampling distribution itself, start vLLM with ``engine_args: {logprobs_mode: processed_logprobs}``.

:func:`match_temperature` is Yue et al. §4.5: raise the RL model's temperature until its output
entropy matches the base model's at T = 0.6.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import pyarrow.compute as pc

from boundary.store import Run


@dataclass(frozen=True)
class TokenEntropy:
    model: str
    benchmark: str
    samples: int
    """Samples with a recorded logprob sum."""
    tokens: int
    entropy: float
    """−Σ logprob_sum / Σ completion_tokens (nats per token)."""
    mean_per_sample: float
    """The mean over samples of −logprob_sum / completion_tokens."""


def token_entropy(run: Run | str | os.PathLike) -> list[TokenEntropy]:
    """Token entropy per (model, benchmark), from the samples' ``logprob_sum`` (or, in runs written
    before that column existed, the per-token ``logprobs`` list). Empty when no logprobs were recorded."""
    run = run if isinstance(run, Run) else Run(run)
    acc: dict[tuple[str, str], list[float]] = {}   # samples, tokens, -sum, sum of per-sample entropies
    cols = ["model", "benchmark", "completion_tokens", "logprob_sum", "logprobs"]
    where = pc.is_valid(pc.field("logprob_sum")) | pc.is_valid(pc.field("logprobs"))
    for batch in run.batches("samples", cols, filter=where, batch_size=4096):
        sums = batch.column("logprob_sum").to_pylist()
        lists = batch.column("logprobs")
        toks = batch.column("completion_tokens").to_pylist()
        for i, (m, b) in enumerate(zip(batch.column("model").to_pylist(), batch.column("benchmark").to_pylist())):
            s = sums[i]
            n = toks[i]
            if s is None:
                lp = lists[i].as_py()
                if not lp:
                    continue
                s = math.fsum(lp)
                n = n if n is not None else len(lp)
            if not n or not math.isfinite(s):
                continue
            a = acc.setdefault((m, b), [0, 0, 0.0, 0.0])
            a[0] += 1
            a[1] += n
            a[2] += -s
            a[3] += -s / n
    order = {m: i for i, m in enumerate(run.models)}
    out = [TokenEntropy(m, b, int(a[0]), int(a[1]), a[2] / a[1], a[3] / a[0])
           for (m, b), a in acc.items()]
    return sorted(out, key=lambda e: (e.benchmark, order.get(e.model, len(order)), e.model))


@dataclass(frozen=True)
class EntropyMatch:
    target: float
    """The entropy to match (the base model's at its temperature)."""
    nearest: float
    """The swept temperature whose entropy is closest to the target."""
    nearest_entropy: float
    interpolated: float | None
    """Temperature where the piecewise-linear entropy(T) of the sweep crosses the target (the
    lowest crossing); None when the target lies outside the swept range."""
    entropies: dict[float, float]


def match_temperature(target: float, entropies: dict[float, float]) -> EntropyMatch:
    """The temperature of a sweep whose output entropy matches ``target``.

    >>> m = match_temperature(0.47, {0.6: 0.22, 1.0: 0.40, 1.2: 0.52})
    >>> m.nearest, round(m.interpolated, 3)
    (1.2, 1.117)
    """
    if not entropies:
        raise ValueError("match_temperature needs the entropy of at least one temperature.")
    temps = sorted(entropies)
    nearest = min(temps, key=lambda t: (abs(entropies[t] - target), t))
    interp = None
    for lo, hi in zip(temps, temps[1:]):
        a, b = entropies[lo], entropies[hi]
        if a == target:
            interp = lo
            break
        if (a - target) * (b - target) < 0:
            interp = lo + (target - a) * (hi - lo) / (b - a)
            break
    else:
        if entropies[temps[-1]] == target:
            interp = temps[-1]
    return EntropyMatch(target=target, nearest=nearest, nearest_entropy=entropies[nearest], interpolated=interp,
                        entropies=dict(sorted(entropies.items())))


def entropy_matched(run: Run | str | os.PathLike, *, base: str, rl: str, benchmark: str,
                    base_temperature: float = 0.6) -> EntropyMatch:
    """Yue et al. §4.5 on a run with temperature sweeps: the temperature of group ``rl`` whose token
    entropy on ``benchmark`` matches group ``base``'s at ``base_temperature``.

    ``base`` and ``rl`` are spec entry names (groups: ``rl`` covers ``rl@T=0.6``, ``rl@T=1.0``, ...).
    """
    run = run if isinstance(run, Run) else Run(run)
    groups, temps = run.model_groups(), run.model_temperatures()
    ent = {e.model: e.entropy for e in token_entropy(run) if e.benchmark == benchmark}
    base_models = [m for m, g in groups.items() if g == base and temps.get(m) == base_temperature and m in ent]
    if not base_models:
        have = sorted((m, temps.get(m)) for m, g in groups.items() if g == base)
        raise ValueError(f"no token entropy of model {base!r} at T={base_temperature} on {benchmark!r} "
                         f"(its models and temperatures: {have}); sample it with `logprobs` at that temperature.")
    sweep = {temps[m]: ent[m] for m, g in groups.items() if g == rl and m in ent and m in temps}
    if not sweep:
        raise ValueError(f"no token entropies of model {rl!r} on {benchmark!r}; sample it with `logprobs` at "
                         "several temperatures (`temperatures: [...]`).")
    return match_temperature(ent[base_models[0]], sweep)
