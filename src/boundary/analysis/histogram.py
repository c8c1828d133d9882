"""Per-problem accuracy histogram with the 12 bins of Yue et al. 2025 (Fig. 5 and 13).

Bins: exactly 0, (0, 0.1], (0.1, 0.2], ..., (0.8, 0.9], (0.9, 1), exactly 1. The edges are
decided in integer arithmetic on (n, c), so 0 and 1 are exact and 0.1 = 10/100 falls in
(0, 0.1] whatever floating point would say.
"""

from __future__ import annotations

import numpy as np

from boundary.analysis.passk import _as_int_array, _check_counts

BIN_LABELS = ("0", "(0,0.1]", "(0.1,0.2]", "(0.2,0.3]", "(0.3,0.4]", "(0.4,0.5]",
              "(0.5,0.6]", "(0.6,0.7]", "(0.7,0.8]", "(0.8,0.9]", "(0.9,1)", "1")


def accuracy_bins(n, c) -> np.ndarray:
    """Bin index 0..11 of each problem's accuracy c/n."""
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    _check_counts(n, c)
    idx = -((-10 * c) // n)                 # ceil(10 c / n), exact: 1..10 for 0 < c < n
    idx = np.where(c == 0, 0, np.where(c == n, 11, idx))
    return idx.astype(np.int64)


def accuracy_histogram(n, c) -> np.ndarray:
    """Number of problems in each of the 12 bins (labels in ``BIN_LABELS``)."""
    return np.bincount(accuracy_bins(n, c), minlength=12)


def accuracy_histogram_of(accuracy) -> np.ndarray:
    """The 12-bin histogram of per-problem accuracies given as numbers in [0, 1] (an adaptive run's
    unbiased pass@1 estimates): exactly 0 and exactly 1 in their own bins, the rest by ceil(10·acc)."""
    acc = np.asarray(accuracy, dtype=np.float64).ravel()
    idx = np.ceil(10 * acc - 1e-12).astype(np.int64).clip(1, 10)
    idx = np.where(acc <= 0, 0, np.where(acc >= 1, 11, idx))
    return np.bincount(idx, minlength=12)
