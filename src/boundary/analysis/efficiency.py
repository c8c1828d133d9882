"""Sampling-efficiency gap (Yue et al. 2025, §4.3): ΔSE = pass@k_max(base) − pass@1(other).

The paper uses k_max = 256 as a proxy for the base model's reasoning upper bound; lower is
better for the RL model. We always report both raw terms beside the gap, because the paper's
own text and table disagree on a copied gap (methods.md, A8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boundary.analysis.bootstrap import DEFAULT_LEVEL, DEFAULT_N_BOOT, bootstrap_replicates


@dataclass(frozen=True)
class EfficiencyGap:
    base: str
    other: str
    k_max: int
    base_pass_at_kmax: float
    other_pass_at_1: float
    gap: float
    """base_pass_at_kmax − other_pass_at_1."""
    lower: float
    upper: float
    level: float


def sampling_efficiency_gap(base_n, base_c, other_n, other_c, *, base: str = "base", other: str = "other",
                            k_max: int | None = None, n_boot: int = DEFAULT_N_BOOT,
                            level: float = DEFAULT_LEVEL, seed: int = 0, plans=None) -> EfficiencyGap:
    """ΔSE with a paired-bootstrap interval (arrays aligned by problem)."""
    ks, est, reps = bootstrap_replicates([(base_n, base_c), (other_n, other_c)], k_max=k_max,
                                         n_boot=n_boot, seed=seed, plans=plans)
    k = len(ks)
    gap_reps = reps[0][:, k - 1] - reps[1][:, 0]
    alpha = (1 - level) / 2
    lo, hi = np.quantile(gap_reps, [alpha, 1 - alpha])
    return EfficiencyGap(base=base, other=other, k_max=k, base_pass_at_kmax=float(est[0][k - 1]),
                         other_pass_at_1=float(est[1][0]), gap=float(est[0][k - 1] - est[1][0]),
                         lower=float(lo), upper=float(hi), level=level)
