"""Guessing floors of the visual benchmarks: multiple choice 1 - (1 - 1/m)^k and the leave-one-out
prior-guess floor of free-form answers, and how a run's visual problems get them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis import (analyze_counts, chance_floor, guess_floor, multiple_choice_floor,
                               prior_guess_probabilities)
from boundary.analysis.analyze import SampleData, problem_chances, visual_chances
from boundary.errors import AnalysisError


def test_multiple_choice_floor_matches_the_uniform_formula():
    ks = np.arange(0, 129)
    assert np.allclose(multiple_choice_floor([5] * 10, ks), chance_floor(5, ks), rtol=1e-13)
    # reference/visual.md §5: MathVision-testmini MC (5 options), uniform letters
    assert [round(multiple_choice_floor([5], k), 3) for k in (1, 8, 32)] == [0.2, 0.832, 0.999]
    m = [2, 3, 4, 5, 6, 7, 8]
    for k in (1, 4, 16):
        assert multiple_choice_floor(m, k) == pytest.approx(np.mean([1 - (1 - 1 / x) ** k for x in m]), rel=1e-12)
    assert multiple_choice_floor([4, 2], [1, 2]).shape == (2,)


def test_guess_floor_edges_and_errors():
    assert guess_floor([0.0, 0.0], 128) == 0.0
    assert guess_floor([1.0], [0, 1]).tolist() == [0.0, 1.0]
    assert guess_floor([0.1], 10**6) == pytest.approx(1.0)
    assert guess_floor([1e-12], 1) == pytest.approx(1e-12, rel=1e-9)        # no cancellation at tiny p
    for bad in ([-0.1], [1.5], [float("nan")], []):
        with pytest.raises(AnalysisError):
            guess_floor(bad, 1)
    with pytest.raises(AnalysisError):
        guess_floor([0.5], -1)
    with pytest.raises(AnalysisError):
        multiple_choice_floor([0], 1)


def test_prior_guess_probabilities_are_leave_one_out():
    answers = ["2", "2", "2", "3", "3", "7"]
    p = prior_guess_probabilities(answers)
    assert p.tolist() == [2 / 5, 2 / 5, 2 / 5, 1 / 5, 1 / 5, 0.0]
    # a problem never counts its own answer: a unique answer has no chance
    assert prior_guess_probabilities(["9"]).tolist() == [0.0]
    # groups are separate distributions
    p = prior_guess_probabilities(["1", "1", "1", "1"], groups=["integer", "integer", "float", "list"])
    assert p.tolist() == [1.0, 1.0, 0.0, 0.0]
    with pytest.raises(AnalysisError):
        prior_guess_probabilities(["1"], groups=["a", "b"])


def test_prior_guess_floor_by_simulation():
    """The floor is what a guesser drawing from the other problems' answers gets, on average."""
    rng = np.random.default_rng(0)
    answers = [str(x) for x in rng.choice([0, 1, 2, 3, 5, 10, 12, 45], size=40, p=[.3, .2, .15, .1, .1, .1, .03, .02])]
    p = prior_guess_probabilities(answers)
    k, trials, hits = 4, 4000, 0.0
    for _ in range(trials):
        i = rng.integers(len(answers))
        pool = answers[:i] + answers[i + 1:]
        hits += any(pool[j] == answers[i] for j in rng.integers(len(pool), size=k))
    assert hits / trials == pytest.approx(guess_floor(p, k), abs=0.03)


def _meta(**kw):
    return {"kind": "visual", **kw}


def test_visual_chances_from_problem_metadata():
    rows = [("1", "A", _meta(choices=["x", "y"])), ("2", "C", _meta(choices=list("ABCDEFGH"))),
            ("3", "2", _meta(answer_type="integer")), ("4", "2.0", _meta(answer_type="integer")),
            ("5", "3", _meta(answer_type="integer")), ("6", "2", _meta(answer_type="float")),
            ("7", "29", _meta(answer_type="integer", unit="years"))]
    p = visual_chances(rows)
    assert p["1"] == 0.5 and p["2"] == 1 / 8
    assert p["3"] == p["4"] == pytest.approx(1 / 3)           # "2" and "2.0" are one answer; 3 others
    assert p["5"] == 0.0 and p["6"] == 0.0 and p["7"] == 0.0


class _Run:
    def __init__(self, rows):
        self.table = pa.table({"benchmark": [r[0] for r in rows], "problem_id": [r[1] for r in rows],
                               "reference": [r[2] for r in rows], "metadata": [json.dumps(r[3]) for r in rows]})

    def shards(self, what):
        return ["part-0"] if what == "problems" else []

    def problems(self, columns):
        return self.table.select(columns)


def test_report_floor_for_a_visual_benchmark():
    rows = [("mathvista", str(i), ref, _meta(answer_type="integer")) for i, ref in enumerate(["1", "1", "2", "2"])]
    rows += [("mathvista", "mc", "B", _meta(choices=["p", "q", "r", "s"])),
             ("math500", "m1", "5", {"subject": "algebra"})]
    chances = problem_chances(_Run(rows))
    assert set(chances) == {"mathvista"}
    assert chances["mathvista"] == {"0": 1 / 3, "1": 1 / 3, "2": 1 / 3, "3": 1 / 3, "mc": 0.25}
    counts = pa.table({"model": ["base"] * 5, "benchmark": ["mathvista"] * 5,
                       "problem_id": ["0", "1", "2", "3", "mc"], "n": [8] * 5, "correct": [0, 1, 2, 8, 0]})
    from boundary.analysis import AnalysisConfig
    a = analyze_counts(counts, config=AnalysisConfig(n_boot=50, extrapolate=False),
                       data=SampleData(chance=chances))
    floor = a.benchmarks[0].chance
    assert floor is not None and len(floor) == 8
    assert floor[0] == pytest.approx((4 * (1 / 3) + 0.25) / 5)
    assert floor[7] == pytest.approx(guess_floor([1 / 3] * 4 + [0.25], 8))
