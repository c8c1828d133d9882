"""Support dynamics between a base model and a trained model (Wu et al. 2025, "The Invisible Leash",
arXiv 2507.14843, §3–4).

A problem is in a model's empirical support when at least one of its k samples is correct. For math
problems with one correct answer, Wu et al.'s answer-level classes are the problems, and the two
models' supports split the problems into four sets:

* P, preserved: solved by both;          * E, expanded: solved only by the trained model;
* S, shrunk: solved only by the base;    * O, out of support: solved by neither.

From these::

    SRR  = P / (P + S)            support retention rate (how much of the base's support survives)
    NDR  = E / (P + E)            net discovery rate (share of the trained model's support that is new)
    SDS  = 2·SRR·NDR / (SRR + NDR)  support dynamics score (harmonic mean)
    NSCR = (E − S) / (P + E + S)  net support change rate (> 0: the support grew)

A ratio whose denominator is 0 is undefined (NaN). "Unsolved in k samples" is not "impossible":
if a problem's success probability were p, all k samples miss it with probability (1 − p)^k, so
with confidence 1 − ζ an unsolved problem has p ≤ ε = −ln ζ / k (k = 8192, ζ = 0.05: 3.66e-4).

At k equal to every problem's n the sets are counts of problems; at k < n they are expectations
over k-subsets of the samples (as in ``coverage``), and the ratios are computed from them.
Example (ProRL-1.5B-v2, Wu et al.): P/E/S/O = 2388/48/175/793 → SRR 0.93, NDR 0.02, NSCR −0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from boundary.analysis.coverage import coverage
from boundary.analysis.passk import _as_int_array
from boundary.errors import AnalysisError

DEFAULT_ZETA = 0.05


def detection_bound(k: int, zeta: float = DEFAULT_ZETA) -> float:
    """ε = −ln ζ / k: with confidence 1 − ζ, a problem unsolved in k samples has p ≤ ε.

    Examples:
        >>> round(detection_bound(8192, 0.05), 7)
        0.0003657
    """
    if k < 1:
        raise AnalysisError(f"the detection bound needs k >= 1 samples, got {k}.")
    if not 0 < zeta < 1:
        raise AnalysisError(f"zeta must be in (0, 1), got {zeta}.")
    return -math.log(zeta) / k


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else math.nan


def support_metrics(preserved: float, expanded: float, shrunk: float) -> dict[str, float]:
    """SRR, NDR, SDS and NSCR from the preserved, expanded and shrunk counts.

    Examples:
        >>> m = support_metrics(2388, 48, 175)
        >>> round(m["srr"], 2), round(m["ndr"], 2), round(m["nscr"], 2)
        (0.93, 0.02, -0.05)
    """
    srr = _ratio(preserved, preserved + shrunk)
    ndr = _ratio(expanded, preserved + expanded)
    sds = (2 * srr * ndr / (srr + ndr) if not (math.isnan(srr) or math.isnan(ndr)) and srr + ndr > 0
           else (0.0 if srr == 0 and ndr == 0 else math.nan))
    nscr = _ratio(expanded - shrunk, preserved + expanded + shrunk)
    return {"srr": srr, "ndr": ndr, "sds": sds, "nscr": nscr}


@dataclass(frozen=True)
class SupportDynamics:
    """Preserved / expanded / shrunk / out-of-support problems of ``base`` → ``other`` and their rates."""

    base: str
    other: str
    k: int
    exact: bool
    """True when k equals every problem's n: the sets are counts, not expectations."""
    preserved: float
    expanded: float
    shrunk: float
    out_of_support: float
    total: int
    srr: float
    ndr: float
    sds: float
    nscr: float
    zeta: float
    epsilon: float
    """Detection bound −ln ζ / k for a problem outside a model's observed support."""
    ids: dict[str, list[str]] = field(default_factory=dict)
    """Problem ids in each set (only when ``exact`` and ids were given)."""

    def as_dict(self) -> dict:
        return {"base": self.base, "other": self.other, "k": self.k, "exact": self.exact,
                "preserved": self.preserved, "expanded": self.expanded, "shrunk": self.shrunk,
                "out_of_support": self.out_of_support, "total": self.total, "srr": self.srr, "ndr": self.ndr,
                "sds": self.sds, "nscr": self.nscr, "zeta": self.zeta, "epsilon": self.epsilon}


def support_dynamics(base_n, base_c, other_n, other_c, *, k: int | None = None, zeta: float = DEFAULT_ZETA,
                     base: str = "base", other: str = "other",
                     problem_ids: list[str] | None = None) -> SupportDynamics:
    """Support dynamics of two models on the same problems (arrays aligned by problem).

    ``k`` defaults to the largest common n (then the sets are exact counts).
    """
    base_n = _as_int_array("n", base_n).ravel()
    other_n = _as_int_array("n", other_n).ravel()
    cov = coverage(base_n, base_c, other_n, other_c, k=k, model_a=base, model_b=other, problem_ids=problem_ids)
    m = support_metrics(cov.both, cov.only_b, cov.only_a)
    names = {"both": "preserved", "only_b": "expanded", "only_a": "shrunk", "neither": "out_of_support"}
    ids = {names[c]: list(v) for c, v in cov.ids.items()}
    return SupportDynamics(base=base, other=other, k=cov.k, exact=cov.exact, preserved=cov.both,
                           expanded=cov.only_b, shrunk=cov.only_a, out_of_support=cov.neither, total=cov.total,
                           zeta=zeta, epsilon=detection_bound(cov.k, zeta), ids=ids, **m)


__all__ = ["SupportDynamics", "support_dynamics", "support_metrics", "detection_bound", "DEFAULT_ZETA"]
