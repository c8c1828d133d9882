"""Answer diversity: distinct answers and answer-level entropy per problem, from verdict rows."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from boundary.analysis.answers import answer_diversity, answer_entropy, run_answer_classes, diversity_from_classes
from boundary.errors import AnalysisError


def _verdicts(rows):
    keys = ["model", "benchmark", "problem_id", "status", "extracted"]
    return pa.table({k: [r[i] for r in rows] for i, k in enumerate(keys)},
                    schema=pa.schema([(k, pa.string()) for k in keys]))


def test_entropy_by_hand():
    assert answer_entropy([5]) == 0.0
    assert answer_entropy([1, 1]) == pytest.approx(math.log(2))
    assert answer_entropy([2, 1, 1]) == pytest.approx(-(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))
    with pytest.raises(AnalysisError):
        answer_entropy([])


def test_hand_computed_example():
    # base, p1: answers 3 (correct), 3 (correct), 5, none -> classes {correct: 2, 5: 1, NA: 1}
    #   distinct 3, H = -(1/2 ln 1/2 + 2 * 1/4 ln 1/4) = 1.0397
    # base, p2: 7, 7, 7, 7 (all wrong, same answer)  -> distinct 1, H = 0
    # rl,   p1: "\\frac{1}{2}", "1/2", "0.5" wrong but equal after normalization, "" -> {1/2: 3, NA: 1}
    #   distinct 2, H = -(3/4 ln 3/4 + 1/4 ln 1/4) = 0.5623
    rows = [("base", "toy", "p1", "correct", "3"), ("base", "toy", "p1", "correct", "3.0"),
            ("base", "toy", "p1", "wrong", "5"), ("base", "toy", "p1", "no_answer", None),
            *[("base", "toy", "p2", "wrong", "7")] * 4,
            ("rl", "toy", "p1", "wrong", "\\frac{1}{2}"), ("rl", "toy", "p1", "wrong", "1/2"),
            ("rl", "toy", "p1", "wrong", "0.5"), ("rl", "toy", "p1", "no_answer", "  ")]
    d = answer_diversity(_verdicts(rows))
    base, rl = d[("base", "toy")], d[("rl", "toy")]
    assert base.problem_ids == ("p1", "p2")
    assert base.distinct.tolist() == [3, 1]
    assert base.entropy == pytest.approx([1.0397207708, 0.0])
    assert base.no_answer.tolist() == [1, 0] and base.samples.tolist() == [4, 4]
    assert base.mean_distinct == 2.0 and base.single_answer_share == 0.5
    assert base.no_answer_rate == pytest.approx(1 / 8)
    assert rl.distinct.tolist() == [2]
    assert rl.entropy[0] == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    # Without normalization the three spellings of 1/2 are three answers.
    raw = answer_diversity(_verdicts(rows), normalize=False)[("rl", "toy")]
    assert raw.distinct.tolist() == [4]
    # Without merging correct answers, "3" and "3.0" are still one class after normalization.
    unmerged = answer_diversity(_verdicts(rows), merge_correct=False)[("base", "toy")]
    assert unmerged.distinct.tolist() == [3, 1]


def test_classes_from_several_shards_are_summed():
    a = _verdicts([("m", "b", "p", "wrong", "1")] * 3)
    b = _verdicts([("m", "b", "p", "wrong", "1"), ("m", "b", "p", "wrong", "2")])
    from boundary.analysis.answers import answer_classes
    d = diversity_from_classes(pa.concat_tables([answer_classes(a), answer_classes(b)]))[("m", "b")]
    assert d.samples.tolist() == [5] and d.distinct.tolist() == [2]
    assert d.entropy[0] == pytest.approx(answer_entropy([4, 1]))


def test_run_without_verdicts_has_no_answer_classes(tmp_path):
    from boundary.store import Run
    run = Run.create(tmp_path / "r")
    assert run_answer_classes(run) is None
    run.write("verdicts", _verdicts([("m", "b", "p", "wrong", None)]).append_column(
        "sample_index", pa.array([0], pa.int32())))
    assert run_answer_classes(run) is None                       # no extracted answer anywhere
    run.write("verdicts", _verdicts([("m", "b", "p", "wrong", "4")]).append_column(
        "sample_index", pa.array([1], pa.int32())))
    d = diversity_from_classes(run_answer_classes(run))[("m", "b")]
    assert d.distinct.tolist() == [2] and d.no_answer.tolist() == [1]


def test_entropy_of_uniform_answers_is_log_m():
    rows = [("m", "b", f"p{m}", "wrong", str(j)) for m in (1, 2, 5) for j in range(m)]
    d = answer_diversity(_verdicts(rows))[("m", "b")]
    assert d.distinct.tolist() == [1, 2, 5]
    assert d.entropy == pytest.approx(np.log([1, 2, 5]))


def test_answer_classes_are_remembered_per_shard(tmp_path, monkeypatch):
    """The second analysis normalizes nothing; a rewritten shard is normalized again; a damaged cache
    file is ignored; a read-only store still analyses."""
    from boundary.analysis import _answer_cache, answers
    from boundary.store import Run
    run = Run.create(tmp_path / "r")

    def shard(rows, first):
        return _verdicts(rows).append_column("sample_index", pa.array(range(first, first + len(rows)), pa.int32()))

    a = run.write("verdicts", shard([("m", "b", "p", "wrong", "\\frac{1}{2}"), ("m", "b", "p", "wrong", "0.5")], 0),
                  name="part-a.parquet")
    run.write("verdicts", shard([("m", "b", "p", "correct", "3")], 2), name="part-b.parquet")
    monkeypatch.setattr(_answer_cache, "RECENT_NS", 0)             # the shards were just written
    calls = []
    real = answers.answer_classes
    monkeypatch.setattr(answers, "answer_classes", lambda t, **kw: calls.append(t.num_rows) or real(t, **kw))
    first = run_answer_classes(run)
    assert sorted(calls) == [1, 2] and (run.path / _answer_cache.NAME).is_file()
    d = diversity_from_classes(first)[("m", "b")]
    assert d.distinct.tolist() == [2] and d.samples.tolist() == [3]      # 1/2 = 0.5: one class
    calls.clear()
    assert run_answer_classes(run).sort_by("answer").equals(first.sort_by("answer")) and calls == []
    rewritten = shard([("m", "b", "p", "wrong", "7"), ("m", "b", "p", "wrong", "0.5")], 0)
    run.write("verdicts", rewritten, name="part-a.parquet")
    again = diversity_from_classes(run_answer_classes(run))[("m", "b")]
    assert a.exists() and again.distinct.tolist() == [3]
    assert calls == [2]                                            # only the rewritten shard
    (run.path / _answer_cache.NAME).write_bytes(b"not parquet")
    calls.clear()
    assert diversity_from_classes(run_answer_classes(run))[("m", "b")].distinct.tolist() == [3]
    assert sorted(calls) == [1, 2]
    import boundary.store.run as store_run

    def read_only(path, data):
        raise PermissionError(f"{path}: read-only file system")

    monkeypatch.setattr(store_run, "atomic_write_bytes", read_only)
    (run.path / _answer_cache.NAME).unlink()
    assert diversity_from_classes(run_answer_classes(run))[("m", "b")].distinct.tolist() == [3]
    assert not (run.path / _answer_cache.NAME).exists()
