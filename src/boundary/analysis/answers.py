"""Answer diversity: distinct final answers and answer-level entropy per problem and model.

Wu et al. 2025 ("The Invisible Leash", arXiv 2507.14843, §5): group a problem's samples by their
final answer and take the entropy of that distribution::

    H_ans = − Σ_j p_j ln p_j       p_j = (samples with answer j) / (samples of the problem)

in nats (0 when every sample gives the same answer, ln m for m equally frequent answers). Samples
without an extracted answer form one class "NA" (Wu et al.: incomplete → "NA"). Answers are
compared after boundary's answer normalization (``verify.normalize.normalize_answer``), and every
sample the verifier marked correct is one class (correct answers are equivalent to the reference,
whatever their spelling). RL tends to lower answer entropy: fewer distinct answers per problem.

Reads only the verdicts' key, ``status`` and ``extracted`` columns (never the texts), one shard at a
time, so memory grows with the number of distinct (problem, answer) pairs, not with n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from boundary.errors import AnalysisError

NO_ANSWER = "NA"
CORRECT = "\x00correct"
"""Class of every sample the verifier marked correct (a string no extracted answer can equal)."""

_KEYS = ["model", "benchmark", "problem_id"]


def answer_entropy(counts) -> float:
    """Entropy in nats of an answer distribution given by its counts.

    Examples:
        >>> answer_entropy([4])
        0.0
        >>> round(answer_entropy([2, 1, 1]), 6)       # -(.5 ln .5 + 2 * .25 ln .25)
        1.039721
    """
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    if c.size == 0:
        raise AnalysisError("the entropy of an empty answer distribution is undefined.")
    p = c / c.sum()
    return float(-np.sum(p * np.log(p)) + 0.0)


@dataclass(frozen=True)
class AnswerDiversity:
    """Per-problem answer diversity of one model on one benchmark (arrays aligned with ``problem_ids``)."""

    model: str
    benchmark: str
    problem_ids: tuple[str, ...]
    samples: np.ndarray
    distinct: np.ndarray
    """Distinct answer classes (NA counts as one class)."""
    entropy: np.ndarray
    """Answer-level entropy in nats."""
    no_answer: np.ndarray
    """Samples without an extracted answer."""

    @property
    def problems(self) -> int:
        return len(self.problem_ids)

    @property
    def mean_distinct(self) -> float:
        return float(np.mean(self.distinct))

    @property
    def median_distinct(self) -> float:
        return float(np.median(self.distinct))

    @property
    def mean_entropy(self) -> float:
        return float(np.mean(self.entropy))

    @property
    def single_answer_share(self) -> float:
        """Share of problems on which every sample gives the same answer."""
        return float(np.mean(self.distinct == 1))

    @property
    def no_answer_rate(self) -> float:
        return float(self.no_answer.sum() / self.samples.sum())


def answer_classes(table: pa.Table, *, normalize: bool = True, merge_correct: bool = True) -> pa.Table:
    """Per (model, benchmark, problem_id, answer class) sample counts of a verdicts table.

    ``table`` needs the key columns and ``extracted`` (and ``status`` when ``merge_correct``).
    """
    missing = [c for c in _KEYS + ["extracted"] + (["status"] if merge_correct else []) if c not in table.column_names]
    if missing:
        raise AnalysisError(f"answer diversity needs the verdict columns {missing}.")
    ext = pc.utf8_trim_whitespace(table["extracted"].cast(pa.string()))
    ext = pc.if_else(pc.or_kleene(pc.is_null(ext), pc.equal(ext, "")), pa.scalar(NO_ANSWER), ext)
    ext = pc.fill_null(ext, NO_ANSWER)
    if normalize:
        from boundary.verify.normalize import normalize_answer
        uniq = pc.unique(ext)
        mapped = []
        for s in uniq.to_pylist():
            if s == NO_ANSWER:
                mapped.append(s)
                continue
            try:
                mapped.append(normalize_answer(s) or s)
            except Exception:  # noqa: BLE001 - a normalizer failure must not lose the sample
                mapped.append(s)
        ext = pc.take(pa.array(mapped, pa.string()), pc.index_in(ext, value_set=uniq))
    if merge_correct:
        ext = pc.if_else(pc.fill_null(pc.equal(table["status"], "correct"), False), pa.scalar(CORRECT), ext)
    t = pa.table({**{k: table[k] for k in _KEYS}, "answer": ext, "na": pc.equal(ext, NO_ANSWER)})
    g = t.group_by(_KEYS + ["answer"]).aggregate([("na", "count")])
    return g.rename_columns(_KEYS + ["answer", "samples"])


def diversity_from_classes(classes: pa.Table) -> dict[tuple[str, str], AnswerDiversity]:
    """Answer diversity per (model, benchmark) from ``answer_classes`` rows (several tables may be
    concatenated: counts of the same class are summed)."""
    if classes.num_rows == 0:
        return {}
    g = classes.group_by(_KEYS + ["answer"]).aggregate([("samples", "sum")])
    g = g.sort_by([(k, "ascending") for k in _KEYS])
    model = np.asarray(g["model"].to_pylist(), dtype=object)
    bench = np.asarray(g["benchmark"].to_pylist(), dtype=object)
    pid = np.asarray(g["problem_id"].to_pylist(), dtype=object)
    cnt = g["samples_sum"].to_numpy().astype(np.float64)
    na = np.asarray([a == NO_ANSWER for a in g["answer"].to_pylist()])
    new = np.r_[True, (model[1:] != model[:-1]) | (bench[1:] != bench[:-1]) | (pid[1:] != pid[:-1])]
    starts = np.flatnonzero(new)
    totals = np.add.reduceat(cnt, starts)
    per_row_total = np.repeat(totals, np.diff(np.r_[starts, cnt.size]))
    p = cnt / per_row_total
    ent = -np.add.reduceat(p * np.log(p), starts) + 0.0
    distinct = np.diff(np.r_[starts, cnt.size])
    no_ans = np.add.reduceat(cnt * na, starts)
    out: dict[tuple[str, str], AnswerDiversity] = {}
    keys = list(zip(model[starts], bench[starts]))
    i = 0
    while i < len(starts):
        j = i
        while j < len(starts) and keys[j] == keys[i]:
            j += 1
        m, b = keys[i]
        out[(m, b)] = AnswerDiversity(model=m, benchmark=b, problem_ids=tuple(pid[starts[i:j]]),
                                      samples=totals[i:j].astype(np.int64), distinct=distinct[i:j].astype(np.int64),
                                      entropy=np.maximum(ent[i:j], 0.0), no_answer=no_ans[i:j].astype(np.int64))
        i = j
    return out


def answer_diversity(table: pa.Table, *, normalize: bool = True,
                     merge_correct: bool = True) -> dict[tuple[str, str], AnswerDiversity]:
    """Answer diversity per (model, benchmark) of a verdicts table (key, ``status``, ``extracted``)."""
    return diversity_from_classes(answer_classes(table, normalize=normalize, merge_correct=merge_correct))


def run_answer_classes(run, *, normalize: bool = True, merge_correct: bool = True) -> pa.Table | None:
    """``answer_classes`` of a run's verdicts, shard by shard; None when the run has no verdicts
    with an extracted answer (imported counts only). With the defaults, each shard's classes are
    remembered in ``RUN/answer-classes.parquet`` (``_answer_cache``): a later analysis normalizes
    only the answers of new or changed shards."""
    cols = _KEYS + ["status", "extracted"]

    def compute(shard) -> pa.Table | None:
        t = run.read_shard("verdicts", shard, cols)
        if not t.num_rows:
            return None
        g = answer_classes(t, normalize=normalize, merge_correct=merge_correct)
        has = t["extracted"].null_count < t.num_rows       # remembered with the classes
        return g.append_column("has_answer", pa.array([has] * g.num_rows, pa.bool_()))

    if normalize and merge_correct:
        from boundary.analysis._answer_cache import classes_by_shard
        from boundary.store.run import atomic_write_bytes
        parts = classes_by_shard(run.shards("verdicts"), run.path, compute, atomic_write_bytes)
    else:
        parts = [t for t in map(compute, run.shards("verdicts")) if t is not None]
    if not parts or not any(pc.any(t["has_answer"]).as_py() for t in parts if t.num_rows):
        return None
    return pa.concat_tables(parts).drop_columns(["has_answer"])


__all__ = ["AnswerDiversity", "answer_entropy", "answer_classes", "diversity_from_classes", "answer_diversity",
           "run_answer_classes", "NO_ANSWER"]
