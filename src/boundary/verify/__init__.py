"""Verifiers turn samples into verdicts; the verify stage runs them over a whole run.

- :mod:`~boundary.verify.math`: final-answer extraction and equivalence (``verify_math``, ``MathVerifier``);
- :mod:`~boundary.verify.code`: programs run against tests in a sandbox (``verify_code``, ``CodeVerifier``);
- :mod:`~boundary.verify.strict`: the independent normalizer-only grader (``--compare``);
- :mod:`~boundary.verify.kinds`: the built-in task kinds ``math`` and ``code`` (a plugin like any other);
- :mod:`~boundary.verify.stage`: ``verify_run`` dispatches each problem to its task kind's verifier.
"""

from boundary.tasks.verdict import Verdict
from boundary.verify.math import MathItem, MathVerifier, MathVerifyConfig, verify_math, verify_math_batch
from boundary.verify.stage import VerifySummary, compare_graders, verify_run

__all__ = ["MathItem", "MathVerifier", "MathVerifyConfig", "verify_math", "verify_math_batch", "Verdict",
           "VerifySummary", "compare_graders", "verify_run"]
