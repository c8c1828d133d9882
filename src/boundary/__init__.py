"""boundary: measure the reasoning boundary of language models.

The public API is small; everything else lives in submodules and may move::

    from boundary import pass_at_k, pass_at_k_curve, compare, coverage, Run, analyze
"""

__version__ = "0.1.0"

from boundary.analysis import (AnalysisConfig, accuracy_histogram, analyze, chance_floor, compare,
                               cover_at, coverage, mcnemar_exact, pass_at_k, pass_at_k_curve, pool_counts,
                               predict_pass_at_k, sampling_efficiency_gap, support_dynamics)
from boundary.errors import AnalysisError, BoundaryError, InputError, StoreError
from boundary.store import Run
from boundary.tasks import Problem, load_benchmark
from boundary.verify import MathVerifyConfig, Verdict, verify_math, verify_math_batch
from boundary.verify.code import verify_code, verify_code_batch

__all__ = [
    "__version__",
    "pass_at_k", "pass_at_k_curve", "compare", "coverage", "mcnemar_exact", "accuracy_histogram",
    "sampling_efficiency_gap", "cover_at", "chance_floor", "pool_counts", "predict_pass_at_k", "support_dynamics",
    "AnalysisConfig", "analyze", "Run",
    "verify_math", "verify_math_batch", "MathVerifyConfig", "Verdict", "load_benchmark", "Problem",
    "verify_code", "verify_code_batch",
    "BoundaryError", "InputError", "StoreError", "AnalysisError",
]
