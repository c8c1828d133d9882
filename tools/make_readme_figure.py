"""The README's headline figure from a demo run: pass@k of the base, GRPO and distilled models.

    .venv/bin/python tools/make_readme_figure.py runs/demo docs/images/organism-passk.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from boundary.analysis import AnalysisConfig, analyze

MODELS = {"base": ("#1f4e79", "base"), "grpo-step50": ("#c0392b", "GRPO (50 steps)"),
          "distilled": ("#2e8b57", "distilled")}


def main(run: str, out: str) -> None:
    a = analyze(run, AnalysisConfig(reference="base", n_boot=1000, extrapolate=False))
    fig = Figure(figsize=(9.6, 3.9), dpi=150)
    FigureCanvasAgg(fig)
    titles = {"countdown": "Countdown, 100 held-out problems", "countdown-hard": "hard subset, 60 problems"}
    for i, bench in enumerate(sorted(a.benchmarks, key=lambda b: b.benchmark)):
        ax = fig.add_subplot(1, 2, i + 1)
        for m, (color, label) in MODELS.items():
            band = bench.curves[m]
            ax.fill_between(band.ks, band.lower, band.upper, color=color, alpha=0.18, linewidth=0)
            ax.plot(band.ks, band.estimate, color=color, lw=2, label=label)
        if bench.chance is not None:
            ks = np.arange(1, len(bench.chance) + 1)
            ax.plot(ks, bench.chance, "--", color="#888888", lw=1.3, label="blind guessing")
        ax.set_xscale("log", base=2)
        ax.set_ylim(0, 1)
        ax.set_xlabel("k (samples per problem)")
        ax.set_ylabel("pass@k")
        ax.set_title(titles.get(bench.benchmark, bench.benchmark), fontsize=10)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(loc="upper left", fontsize=8)
    fig.suptitle("The model organism: RL raises pass@1 and lowers pass@256; distillation raises both "
                 "(95% bootstrap bands)", fontsize=10)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
