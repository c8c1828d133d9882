"""Analyses of per-problem counts (and, for budget matching and answer diversity, of token counts and
extracted answers). Pure NumPy/Arrow/SciPy, no I/O except ``analyze(run)`` and the ``run_*`` readers."""

from boundary.analysis.analyze import Analysis, AnalysisConfig, BenchmarkAnalysis, Skipped, analyze, analyze_counts
from boundary.analysis.answers import AnswerDiversity, answer_diversity, answer_entropy
from boundary.analysis.bootstrap import Band, Comparison, Crossover, bootstrap_curve, compare
from boundary.analysis.budget import BudgetAnalysis, BudgetCurve, budget_analysis, budget_curve
from boundary.analysis.cover import (chance_floor, cover_at, guess_floor, multiple_choice_floor,
                                     prior_guess_probabilities)
from boundary.analysis.coverage import Coverage, coverage, mcnemar_exact
from boundary.analysis.efficiency import EfficiencyGap, sampling_efficiency_gap
from boundary.analysis.extrapolate import (BetaBinomialFit, Extrapolation, ExtrapolationCheck, PowerLawFit,
                                           check_extrapolation, fit_beta_binomial, power_law_fit, predict_pass_at_k)
from boundary.analysis.histogram import BIN_LABELS, accuracy_bins, accuracy_histogram
from boundary.analysis.passk import pass_at_k, pass_at_k_curve, pass_at_k_table
from boundary.analysis.pooling import pool_counts
from boundary.analysis.runs import analyze_runs
from boundary.analysis.support import SupportDynamics, detection_bound, support_dynamics
from boundary.analysis.sweep import AlgorithmRow, Sweep, algorithm_table, checkpoint_sweeps, parse_step

__all__ = [
    "Analysis", "AnalysisConfig", "BenchmarkAnalysis", "analyze", "analyze_counts", "analyze_runs",
    "Band", "Comparison", "Crossover", "bootstrap_curve", "compare",
    "chance_floor", "guess_floor", "multiple_choice_floor", "prior_guess_probabilities", "cover_at",
    "Coverage", "coverage", "mcnemar_exact",
    "EfficiencyGap", "sampling_efficiency_gap", "BIN_LABELS", "accuracy_bins", "accuracy_histogram",
    "pass_at_k", "pass_at_k_curve", "pass_at_k_table", "pool_counts", "Skipped",
    "AnswerDiversity", "answer_diversity", "answer_entropy",
    "BudgetAnalysis", "BudgetCurve", "budget_analysis", "budget_curve",
    "BetaBinomialFit", "Extrapolation", "ExtrapolationCheck", "PowerLawFit", "check_extrapolation",
    "fit_beta_binomial", "power_law_fit", "predict_pass_at_k",
    "SupportDynamics", "detection_bound", "support_dynamics",
    "AlgorithmRow", "Sweep", "algorithm_table", "checkpoint_sweeps", "parse_step",
]
