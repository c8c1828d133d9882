"""Checkpoint sweeps and the algorithm table (Yue et al. 2025, §4.3, Fig. 1-right, Tables 2–3 [v2]).

**Sweep.** For the checkpoints of one training run (models that carry a training step), pass@1 and
pass@k_max against the step: the paper's GRPO-step150/300/450 rows, where pass@1 rises with
training (Omni-Train 26.1 → 42.5) while pass@256 falls (66.3 → 64.3), below the base model's 67.2.
A model's step comes from an explicit mapping (``AnalysisConfig.steps``, or the run's
``model_info`` written by a spec's checkpoint sweep) or is parsed from its name: ``grpo-step50``,
``grpo@step50``, ``checkpoint-50``, ``global_step_50``, ``ckpt50``, ``iter_50`` (the last match
wins). Checkpoints of different runs form different series: the name with the step removed
(``grpo-step50`` → ``grpo``), or the run's recorded group.

**Algorithm table.** Several trained models against one base: pass@1, pass@k_max and
ΔSE = pass@k_max(base) − pass@1(model) (``efficiency.py``; lower is better), the paper's table of
PPO, GRPO, Reinforce++, RLOO, ReMax and DAPO.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from boundary.analysis.bootstrap import Band
from boundary.analysis.efficiency import EfficiencyGap

STEP_PATTERN = re.compile(r"(?:global[_-]?step|checkpoint|ckpt|step|iteration|iter)[-_@=.]?(\d+)", re.IGNORECASE)


def parse_step(name: str) -> int | None:
    """The training step in a model name, or None.

    Examples:
        >>> [parse_step(x) for x in ["grpo-step150", "ckpts/checkpoint-50", "global_step_300", "grpo@step50", "base"]]
        [150, 50, 300, 50, None]
    """
    found = list(STEP_PATTERN.finditer(name))
    return int(found[-1].group(1)) if found else None


def series_name(name: str) -> str:
    """The name without its step part: the training run a checkpoint belongs to.

    Examples:
        >>> series_name("grpo-step150"), series_name("runs/ppo/global_step_20"), series_name("step5")
        ('grpo', 'runs/ppo', 'step5')
    """
    found = list(STEP_PATTERN.finditer(name))
    if not found:
        return name
    m = found[-1]
    rest = (name[:m.start()] + name[m.end():]).strip(" -_@/.:=")
    return rest or name


def model_steps(models: list[str], explicit: dict[str, int] | None = None) -> dict[str, int]:
    """Step of every model that has one: ``explicit`` first, then parsed from the name."""
    explicit = explicit or {}
    out = {}
    for m in models:
        s = explicit.get(m)
        if s is None:
            s = parse_step(m)
        if s is not None:
            out[m] = int(s)
    return out


@dataclass(frozen=True)
class SweepPoint:
    model: str
    step: int
    pass_at_1: float
    pass_at_1_ci: tuple[float, float]
    pass_at_kmax: float
    pass_at_kmax_ci: tuple[float, float]


@dataclass(frozen=True)
class Sweep:
    """pass@1 and pass@k_max of one training run's checkpoints, in step order."""

    series: str
    k_max: int
    points: list[SweepPoint]
    base: str | None = None
    base_pass_at_1: float | None = None
    base_pass_at_kmax: float | None = None

    @property
    def steps(self) -> list[int]:
        return [p.step for p in self.points]


def _point(model: str, step: int, band: Band, k_max: int) -> SweepPoint:
    e1, l1, u1 = band.at(1)
    ek, lk, uk = band.at(k_max)
    return SweepPoint(model=model, step=step, pass_at_1=e1, pass_at_1_ci=(l1, u1), pass_at_kmax=ek,
                      pass_at_kmax_ci=(lk, uk))


def checkpoint_sweeps(curves: dict[str, Band], steps: dict[str, int], *, reference: str | None = None,
                      groups: dict[str, str] | None = None, min_points: int = 2) -> list[Sweep]:
    """One ``Sweep`` per training run with at least ``min_points`` checkpoints among ``curves``.

    ``groups`` maps a model to its run (default: ``series_name``). The reference model is drawn as
    the base line, never as a checkpoint (unless it is the only model with its step).
    """
    if not curves:
        return []
    k_max = min(len(b.ks) for b in curves.values())
    by_series: dict[str, list[tuple[int, str]]] = {}
    for m, s in steps.items():
        if m not in curves or m == reference:
            continue
        key = (groups or {}).get(m) or series_name(m)
        by_series.setdefault(key, []).append((int(s), m))
    out = []
    base = curves.get(reference) if reference is not None else None
    for key, members in by_series.items():
        if len(members) < min_points:
            continue
        members.sort()
        out.append(Sweep(series=key, k_max=k_max, points=[_point(m, s, curves[m], k_max) for s, m in members],
                         base=reference if base is not None else None,
                         base_pass_at_1=base.at(1)[0] if base is not None else None,
                         base_pass_at_kmax=base.at(k_max)[0] if base is not None else None))
    return out


@dataclass(frozen=True)
class AlgorithmRow:
    """One model of the algorithm table (ΔSE is None for the base row)."""

    model: str
    step: int | None
    k_max: int
    pass_at_1: float
    pass_at_1_ci: tuple[float, float]
    pass_at_kmax: float
    pass_at_kmax_ci: tuple[float, float]
    delta_se: float | None
    delta_se_ci: tuple[float, float] | None
    is_base: bool = False


def algorithm_table(curves: dict[str, Band], efficiency: list[EfficiencyGap], *, reference: str | None,
                    steps: dict[str, int] | None = None) -> list[AlgorithmRow]:
    """The base row, then one row per other model with ΔSE against the base, in ``curves`` order."""
    if not curves:
        return []
    k_max = min(len(b.ks) for b in curves.values())
    gaps = {g.other: g for g in efficiency if g.base == reference}
    rows = []
    order = ([reference] if reference in curves else []) + [m for m in curves if m != reference]
    for m in order:
        e1, l1, u1 = curves[m].at(1)
        ek, lk, uk = curves[m].at(k_max)
        g = gaps.get(m)
        rows.append(AlgorithmRow(model=m, step=(steps or {}).get(m), k_max=k_max, pass_at_1=e1, pass_at_1_ci=(l1, u1),
                                 pass_at_kmax=ek, pass_at_kmax_ci=(lk, uk),
                                 delta_se=None if g is None else g.gap,
                                 delta_se_ci=None if g is None else (g.lower, g.upper), is_base=m == reference))
    return rows


__all__ = ["parse_step", "series_name", "model_steps", "SweepPoint", "Sweep", "checkpoint_sweeps",
           "AlgorithmRow", "algorithm_table", "STEP_PATTERN"]
