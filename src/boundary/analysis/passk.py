"""The unbiased pass@k estimator (Chen et al. 2021, arXiv 2107.03374, §2.1).

For a problem with ``n`` samples of which ``c`` are correct::

    pass@k = 1 - C(n-c, k) / C(n, k) = 1 - prod_{i=0}^{k-1} (1 - c / (n - i))

The product is the probability that k samples drawn without replacement are all wrong. We sum
its logarithm with ``log1p`` and return ``-expm1(sum)``, which keeps full relative precision
both when pass@k is tiny (c=1, n=10^5) and when it is close to 1. Terms with ``n - i <= c``
(more draws than wrong samples) make the product exactly 0, so pass@k is exactly 1.

Problems with equal (n, c) have equal curves, so every function here works on the distinct
(n, c) pairs: a curve over 10,000 problems with n = 1024 costs at most 1025 rows, and memory
does not grow with the number of problems.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from boundary.errors import AnalysisError

# Rows x columns of the float64 work matrix, kept under ~32 MB whatever n is.
_BLOCK_ELEMENTS = 4_000_000


def _as_int_array(name: str, value: ArrayLike) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise AnalysisError(f"{name} must be integers, got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            bad = arr[~(np.isfinite(arr) & (arr == np.round(arr)))].ravel()[0]
            raise AnalysisError(f"{name} must be whole numbers, got {float(bad)!r}.")
    return arr.astype(np.int64)


def _check_counts(n: np.ndarray, c: np.ndarray) -> None:
    if np.any(n < 1):
        raise AnalysisError(f"n must be >= 1 sample per problem, got n={int(n[n < 1].ravel()[0])}.")
    if np.any(c < 0):
        raise AnalysisError(f"correct counts must be >= 0, got c={int(c[c < 0].ravel()[0])}.")
    over = c > n
    if np.any(over):
        i = np.flatnonzero(over.ravel())[0]
        raise AnalysisError(
            f"correct count c={int(c.ravel()[i])} exceeds n={int(n.ravel()[i])} samples; "
            "a problem cannot have more correct samples than samples.")


def _log_fail_block(n: int, cs: np.ndarray, k_max: int) -> np.ndarray:
    """log P(k draws all wrong) for k = 1..k_max, one row per c in ``cs`` (all with the same n)."""
    i = np.arange(k_max, dtype=np.float64)                      # i = 0..k_max-1
    x = cs[:, None].astype(np.float64) / (n - i)[None, :]       # c / (n - i)
    # In place (one block-sized buffer): log1p(-min(x, 1)); x >= 1 gives log1p(-1) = -inf.
    np.minimum(x, 1.0, out=x)
    np.negative(x, out=x)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log1p(x, out=x)
    return np.cumsum(x, axis=1, out=x)


def pass_at_k_table(n: int, cs: ArrayLike, k_max: int | None = None) -> np.ndarray:
    """pass@k for k = 1..k_max (default n) for every correct count in ``cs``, all with ``n`` samples.

    Returns an array of shape ``(len(cs), k_max)``; column ``k-1`` holds pass@k.
    """
    n = int(n)
    cs = _as_int_array("c", cs).ravel()
    k_max = n if k_max is None else int(k_max)
    _check_counts(np.full(cs.shape, n), cs)
    if not 1 <= k_max <= n:
        raise AnalysisError(f"k_max={k_max} must be in 1..n={n}; pass@k is undefined for k > n.")
    out = np.empty((cs.size, k_max))
    rows = max(1, _BLOCK_ELEMENTS // k_max)
    for s in range(0, cs.size, rows):
        out[s:s + rows] = -np.expm1(_log_fail_block(n, cs[s:s + rows], k_max))
    return out


def pass_at_k(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    """Unbiased pass@k estimate: ``1 - C(n-c, k) / C(n, k)``, elementwise with NumPy broadcasting.

    Args:
        n: samples per problem (int or array).
        c: correct samples per problem, ``0 <= c <= n``.
        k: attempts, ``1 <= k <= n``.

    Returns:
        A float for scalar inputs, otherwise an array of the broadcast shape.

    Raises:
        AnalysisError: if ``k > n`` (pass@k is undefined), ``c > n``, or a count is negative.

    Examples:
        >>> round(pass_at_k(10, 3, 1), 12)
        0.3
        >>> round(pass_at_k(1024, 1, 512), 12)
        0.5
        >>> pass_at_k([4, 4], [0, 4], 2).tolist()
        [0.0, 1.0]
    """
    n_a, c_a, k_a = np.broadcast_arrays(_as_int_array("n", n), _as_int_array("c", c), _as_int_array("k", k))
    _check_counts(n_a, c_a)
    if np.any(k_a < 1):
        raise AnalysisError(f"k must be >= 1, got k={int(k_a[k_a < 1].ravel()[0])}.")
    if np.any(k_a > n_a):
        i = np.flatnonzero((k_a > n_a).ravel())[0]
        kk, nn = int(k_a.ravel()[i]), int(n_a.ravel()[i])
        raise AnalysisError(f"k={kk} exceeds n={nn} samples; pass@k is undefined. Sample n>={kk} or drop k={kk}.")
    flat_n, flat_c, flat_k = n_a.ravel(), c_a.ravel(), k_a.ravel()
    result = np.empty(flat_n.shape)
    for nv in np.unique(flat_n):
        sel = np.flatnonzero(flat_n == nv)
        ucs, inv = np.unique(flat_c[sel], return_inverse=True)
        table = pass_at_k_table(int(nv), ucs, int(flat_k[sel].max()))
        result[sel] = table[inv, flat_k[sel] - 1]
    shaped = result.reshape(n_a.shape)
    return float(shaped) if shaped.ndim == 0 else shaped


def _problem_groups(n: ArrayLike, c: ArrayLike, k_max: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate per-problem counts; return the distinct (n, c) pairs, each problem's pair, k_max."""
    n = _as_int_array("n", n).ravel()
    c = _as_int_array("c", c).ravel()
    if n.shape != c.shape:
        raise AnalysisError(f"n and c must have one entry per problem, got {n.size} and {c.size}.")
    if n.size == 0:
        raise AnalysisError("no problems: cannot compute a pass@k curve of an empty set.")
    _check_counts(n, c)
    k_cap = int(n.min())
    k_max = k_cap if k_max is None else int(k_max)
    if not 1 <= k_max <= k_cap:
        raise AnalysisError(
            f"k_max={k_max} exceeds the smallest n={k_cap} among the problems; pass@k is undefined there. "
            f"Use k <= {k_cap} or sample more.")
    pairs, groups = np.unique(np.stack([n, c], axis=1), axis=0, return_inverse=True)
    return pairs, groups.ravel(), k_max


def problem_curves(n: ArrayLike, c: ArrayLike, k_max: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Curves of the distinct (n, c) pairs of a set of problems, and how problems map to them.

    Returns ``(curves, groups, ks)``: ``curves[g, j]`` is pass@ks[j] for group g,
    ``groups[i]`` the group of problem i, ``ks = 1..k_max``. ``k_max`` defaults to the smallest
    n among the problems (the largest k at which every problem's pass@k is defined).
    The result has G x k_max entries (G <= number of problems); ``pass_at_k_curve`` avoids it.
    """
    pairs, groups, k_max = _problem_groups(n, c, k_max)
    curves = np.empty((len(pairs), k_max))
    for nv in np.unique(pairs[:, 0]):
        rows = np.flatnonzero(pairs[:, 0] == nv)
        curves[rows] = pass_at_k_table(int(nv), pairs[rows, 1], k_max)
    return curves, groups, np.arange(1, k_max + 1)


def pass_at_k_curve(n: ArrayLike, c: ArrayLike, k_max: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean pass@k over problems for every k = 1..k_max.

    ``n`` may differ between problems; each problem uses its own n, and the curve stops at the
    smallest n (beyond it some problem's pass@k is undefined).

    Returns ``(ks, curve)``.

    Examples:
        >>> ks, curve = pass_at_k_curve([4, 4], [1, 0])
        >>> curve.round(3).tolist()
        [0.125, 0.25, 0.375, 0.5]
    """
    pairs, groups, k_max = _problem_groups(n, c, k_max)
    weights = np.bincount(groups, minlength=len(pairs)).astype(np.float64)
    total = np.zeros(k_max)
    rows_per_block = max(1, _BLOCK_ELEMENTS // k_max)
    # Weighted sum block by block: never holds more than one block of group curves, so peak
    # memory is bounded by _BLOCK_ELEMENTS whatever n and the number of distinct counts.
    for nv in np.unique(pairs[:, 0]):
        rows = np.flatnonzero(pairs[:, 0] == nv)
        for s in range(0, rows.size, rows_per_block):
            r = rows[s:s + rows_per_block]
            block = _log_fail_block(int(nv), pairs[r, 1], k_max)
            np.expm1(block, out=block)
            total -= weights[r] @ block                     # pass@k = -expm1(log fail)
    return np.arange(1, k_max + 1), total / weights.sum()
