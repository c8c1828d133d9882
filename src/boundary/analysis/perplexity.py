"""Perplexity and token entropy of a run, gathered for the ``Analysis`` (Yue et al. Fig. 6, §4.5).

``perplexity_analysis(run, reference)`` reads the run's small ``perplexity`` table and the samples'
``logprob_sum``/``completion_tokens`` columns (never the texts) through ``boundary.scoring``'s readers
and returns plain values: the PPL_M(Y_S) matrix, the per-sample perplexities behind each box of the
figure (for one scoring model), token entropy per model and the entropy-matched temperatures. The
report draws them; it reads nothing from the run itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from boundary.scoring.entropy import EntropyMatch, TokenEntropy, match_temperature, token_entropy
from boundary.scoring.perplexity import PerplexityCell, perplexity_matrix, perplexity_values
from boundary.store import Run

MATCH_TEMPERATURE = 0.6
"""The base model's temperature whose token entropy the swept models are matched to (Yue et al. §4.5)."""


@dataclass(frozen=True)
class PerplexityBox:
    """The per-sample perplexities of one responding model under the scoring model: one box of Fig. 6."""

    benchmark: str
    scorer: str
    model: str
    values: np.ndarray


@dataclass(frozen=True)
class EntropyMatchRow:
    """The entropy-matched temperature of one swept group against the base group at T = 0.6."""

    benchmark: str
    base: str
    """The first spec entry (group) with a model at T = 0.6."""
    group: str
    match: EntropyMatch


@dataclass(frozen=True)
class PerplexityAnalysis:
    """Everything the report's "Perplexity and entropy" section shows (each part empty when the run lacks it)."""

    cells: tuple[PerplexityCell, ...]
    """PPL_M(Y_S) of every scored (benchmark, scorer, model): mean and median of per-problem medians."""
    scorer: str | None
    """The scoring model of the box plots: the reference model when it scored, else the first scorer."""
    boxes: tuple[PerplexityBox, ...]
    """Per benchmark (sorted), the responding models under ``scorer`` in the run's model order."""
    entropies: tuple[TokenEntropy, ...]
    """Token entropy per (model, benchmark) from recorded logprobs; empty when none were recorded."""
    matches: tuple[EntropyMatchRow, ...]
    """Entropy-matched temperatures, when the run holds a temperature sweep."""


def perplexity_analysis(run: Run | str | os.PathLike, reference: str | None = None) -> PerplexityAnalysis:
    """The perplexity matrix, the box-plot data, token entropies and entropy matches of a run."""
    run = run if isinstance(run, Run) else Run(run)
    cells = perplexity_matrix(run)
    order = {m: i for i, m in enumerate(run.models)}
    main, boxes = None, []
    if cells:
        scorers = sorted({c.scorer for c in cells}, key=lambda s: (order.get(s, len(order)), s))
        main = reference if reference in scorers else scorers[0]
        for bench in sorted({c.benchmark for c in cells}):
            mine = sorted((c for c in cells if c.benchmark == bench and c.scorer == main),
                          key=lambda c: (order.get(c.model, len(order)), c.model))
            boxes += [PerplexityBox(bench, main, c.model,
                                    perplexity_values(run, benchmark=bench, scorer=main, model=c.model))
                      for c in mine]
    ents = token_entropy(run)
    matches: list[EntropyMatchRow] = []
    if ents:
        groups, temps = run.model_groups(), run.model_temperatures()
        for bench in sorted({e.benchmark for e in ents}):
            matches += _matched(bench, {e.model: e.entropy for e in ents if e.benchmark == bench}, groups, temps)
    return PerplexityAnalysis(cells=tuple(cells), scorer=main, boxes=tuple(boxes), entropies=tuple(ents),
                              matches=tuple(matches))


def _matched(bench: str, ent: dict[str, float], groups: dict[str, str], temps: dict[str, float]
             ) -> list[EntropyMatchRow]:
    """Every swept group against the first group's T = 0.6 model."""
    by_group: dict[str, dict[float, float]] = {}
    for m, h in ent.items():
        if m in temps:
            by_group.setdefault(groups.get(m, m), {})[temps[m]] = h
    swept = [g for g, d in by_group.items() if len(d) >= 2]
    base = next((g for g in by_group if MATCH_TEMPERATURE in by_group[g]), None)
    out = []
    for g in swept:
        if g == base or base is None:
            continue
        out.append(EntropyMatchRow(bench, base, g, match_temperature(by_group[base][MATCH_TEMPERATURE], by_group[g])))
    return out


__all__ = ["PerplexityAnalysis", "PerplexityBox", "EntropyMatchRow", "perplexity_analysis", "MATCH_TEMPERATURE"]
