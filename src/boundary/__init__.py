"""boundary: measure the reasoning boundary of language models.

The top level holds what a newcomer needs; everything else is one import away in its subpackage
(``boundary.analysis``, ``boundary.tasks``, ``boundary.sampling``, ``boundary.verify``,
``boundary.store``, ``boundary.report``, ``boundary.plugins``)::

    from boundary import load_spec, run_spec                       # the whole experiment from a spec
    from boundary import Run, analyze, write_report                # a run's analyses and its report
    from boundary import pass_at_k, pass_at_k_curve, compare       # the estimator and the paired bootstrap
    from boundary import load_benchmark, verify_math, verify_code  # problems and the two verifiers

>>> from boundary import pass_at_k
>>> round(float(pass_at_k(10, 3, 1)), 2)
0.3

Names load on first use, so ``import boundary`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from boundary._version import __version__ as __version__

_WHERE = {
    "run_spec": "boundary.pipeline",
    "load_spec": "boundary.spec",
    "Problem": "boundary.tasks",
    "load_benchmark": "boundary.tasks",
    "SamplingParams": "boundary.sampling.types",
    "Verdict": "boundary.tasks",
    "verify_math": "boundary.verify.math",
    "verify_code": "boundary.verify.code",
    "Run": "boundary.store",
    "pass_at_k": "boundary.analysis.passk",
    "pass_at_k_curve": "boundary.analysis.passk",
    "compare": "boundary.analysis",
    "analyze": "boundary.analysis",
    "write_report": "boundary.report",
    "BoundaryError": "boundary.errors",
}

__all__ = ["run_spec", "load_spec", "Problem", "load_benchmark", "SamplingParams", "Verdict", "verify_math",
           "verify_code", "Run", "pass_at_k", "pass_at_k_curve", "compare", "analyze", "write_report", "BoundaryError"]
assert set(__all__) == set(_WHERE)

if TYPE_CHECKING:
    from boundary.analysis import analyze, compare
    from boundary.analysis.passk import pass_at_k, pass_at_k_curve
    from boundary.errors import BoundaryError
    from boundary.pipeline import run_spec
    from boundary.report import write_report
    from boundary.sampling.types import SamplingParams
    from boundary.spec import load_spec
    from boundary.store import Run
    from boundary.tasks import Problem, Verdict, load_benchmark
    from boundary.verify.code import verify_code
    from boundary.verify.math import verify_math


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'boundary' has no attribute {name!r}; the top level holds "
                             f"{', '.join(__all__)}; the rest is in the subpackages (boundary.analysis, "
                             "boundary.tasks, boundary.verify, ...).")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
