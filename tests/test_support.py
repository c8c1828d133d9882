"""Support dynamics (Wu et al., "The Invisible Leash"): sets, SRR/NDR/SDS/NSCR, detection bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from boundary.analysis.support import detection_bound, support_dynamics, support_metrics
from boundary.errors import AnalysisError


def test_hand_computed_example():
    # Six problems, 4 samples each.  base solves p0 p1 p2 p3; rl solves p0 p1 p4.
    #   preserved {p0, p1} = 2, shrunk {p2, p3} = 2, expanded {p4} = 1, out of support {p5} = 1
    #   SRR = 2/4 = 0.5, NDR = 1/3, SDS = 2*(1/2)(1/3)/(1/2+1/3) = 0.4, NSCR = (1-2)/5 = -0.2
    ids = [f"p{i}" for i in range(6)]
    n = [4] * 6
    base_c = [4, 1, 2, 1, 0, 0]
    rl_c = [4, 3, 0, 0, 2, 0]
    s = support_dynamics(n, base_c, n, rl_c, base="base", other="rl", problem_ids=ids)
    assert s.exact and s.k == 4 and s.total == 6
    assert (s.preserved, s.shrunk, s.expanded, s.out_of_support) == (2, 2, 1, 1)
    assert s.srr == pytest.approx(0.5)
    assert s.ndr == pytest.approx(1 / 3)
    assert s.sds == pytest.approx(0.4)
    assert s.nscr == pytest.approx(-0.2)
    assert s.ids == {"preserved": ["p0", "p1"], "shrunk": ["p2", "p3"], "expanded": ["p4"],
                     "out_of_support": ["p5"]}
    assert s.epsilon == pytest.approx(-math.log(0.05) / 4)


def test_prorl_numbers_from_the_paper():
    m = support_metrics(preserved=2388, expanded=48, shrunk=175)
    assert round(m["srr"], 2) == 0.93 and round(m["ndr"], 2) == 0.02 and round(m["nscr"], 2) == -0.05
    assert m["sds"] == pytest.approx(2 * m["srr"] * m["ndr"] / (m["srr"] + m["ndr"]))


def test_detection_bound():
    assert detection_bound(8192, 0.05) == pytest.approx(3.657e-4, rel=1e-3)
    assert detection_bound(1, math.exp(-1)) == pytest.approx(1.0)
    # The bound is what it claims: at p = eps, k samples all miss with probability ~zeta.
    k, zeta = 1000, 0.05
    assert (1 - detection_bound(k, zeta)) ** k == pytest.approx(zeta, rel=0.01)
    for bad in [(0, 0.05), (10, 0.0), (10, 1.0)]:
        with pytest.raises(AnalysisError):
            detection_bound(*bad)


def test_undefined_ratios_are_nan():
    # Neither model solves anything: every ratio has a zero denominator.
    s = support_dynamics([2, 2], [0, 0], [2, 2], [0, 0])
    assert s.out_of_support == 2
    assert all(math.isnan(x) for x in (s.srr, s.ndr, s.nscr, s.sds))
    # Base solves nothing, RL solves one: all of RL's support is new.
    s = support_dynamics([2, 2], [0, 0], [2, 2], [1, 0])
    assert s.ndr == 1.0 and math.isnan(s.srr) and s.nscr == 1.0


def test_expected_sets_below_n():
    # At k < n the sets are expectations: base c=2 of 4 solves within k=1 with prob 0.5.
    s = support_dynamics([4], [2], [4], [4], k=1)
    assert not s.exact
    assert s.preserved == pytest.approx(0.5) and s.expanded == pytest.approx(0.5)
    assert s.shrunk == pytest.approx(0.0) and s.ndr == pytest.approx(0.5)
    assert s.epsilon == pytest.approx(-math.log(0.05))
    assert s.preserved + s.expanded + s.shrunk + s.out_of_support == pytest.approx(1.0)


def test_sets_partition_the_problems():
    rng = np.random.default_rng(0)
    n = np.full(50, 16)
    a, b = rng.binomial(16, rng.beta(0.4, 1, 50)), rng.binomial(16, rng.beta(0.4, 1, 50))
    s = support_dynamics(n, a, n, b)
    assert s.preserved + s.expanded + s.shrunk + s.out_of_support == 50
    assert s.preserved == np.sum((a > 0) & (b > 0)) and s.shrunk == np.sum((a > 0) & (b == 0))
