"""Estimators shared by the analyses: ratios of pooled sums with bootstrap intervals over runs.

A share such as "classrooms reached" is estimated as the *ratio of pooled sums* over runs
(sum of classrooms reached / sum of classrooms), not as a mean of per-run shares, so a run with
more classrooms counts for more, as it would in a study that pooled its sites. Runs are the
independent units, so intervals come from a bootstrap that resamples whole runs; for a paired
comparison (two designs on the same seeds) it resamples replicate *pairs*, which keeps the
common-random-number correlation that makes paired differences sharp.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pooled_ratio", "pooled_ratio_ci", "paired_arrays", "paired_ratio_difference", "BOOTSTRAP_SEED"]

BOOTSTRAP_SEED = 20261129  # fixed, so a report is reproducible to the digit
N_BOOTSTRAP = 2000


def _clean(num: np.ndarray, den: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    num = np.asarray(num, dtype=np.float64)
    den = np.ones_like(num) if den is None else np.asarray(den, dtype=np.float64)
    ok = np.isfinite(num) & np.isfinite(den)
    return num[ok], den[ok]


def pooled_ratio(num: np.ndarray, den: np.ndarray | None = None) -> float:
    """sum(num) / sum(den) over the runs where both are finite (den omitted: the mean of num)."""
    num, den = _clean(num, den)
    total = den.sum()
    return float(num.sum() / total) if total > 0 else float("nan")


MAX_UNDEFINED = 0.05  # share of bootstrap resamples allowed to be undefined (a zero denominator)


def _percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval; undefined (NaN) when more than MAX_UNDEFINED of the resamples are."""
    finite = np.isfinite(samples)
    if finite.mean() < 1.0 - MAX_UNDEFINED:
        return float("nan"), float("nan")
    samples = samples[finite]
    alpha = (1 - level) / 2
    lo, hi = np.quantile(samples, [alpha, 1 - alpha])
    return float(lo), float(hi)


def pooled_ratio_ci(num: np.ndarray, den: np.ndarray | None = None, level: float = 0.95,
                    n_boot: int = N_BOOTSTRAP) -> tuple[float, float, float]:
    """The pooled ratio and its percentile-bootstrap interval, resampling runs."""
    num, den = _clean(num, den)
    point = pooled_ratio(num, den)
    if len(num) < 2:
        return point, float("nan"), float("nan")
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(num), size=(n_boot, len(num)))
    with np.errstate(invalid="ignore", divide="ignore"):
        samples = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    return (point, *_percentile_interval(samples, level))


def paired_arrays(num_a, den_a, num_b, den_b) -> tuple[np.ndarray, ...]:
    """The four arrays (aligned by replicate) restricted to the pairs where all four are finite;
    a missing denominator is 1."""
    arrays = [np.asarray(x, dtype=np.float64) if x is not None else np.ones(len(num_a))
              for x in (num_a, den_a, num_b, den_b)]
    ok = np.logical_and.reduce([np.isfinite(x) for x in arrays])
    return tuple(x[ok] for x in arrays)


def paired_ratio_difference(num_a: np.ndarray, den_a: np.ndarray | None, num_b: np.ndarray,
                            den_b: np.ndarray | None, level: float = 0.95,
                            n_boot: int = N_BOOTSTRAP) -> tuple[int, float, float, float]:
    """Pooled ratio of B minus pooled ratio of A over paired replicates, with a bootstrap interval.

    Arrays are aligned by replicate; a pair is used when all four values are finite. Returns
    (pairs used, difference, interval low, interval high).
    """
    na, da, nb, db = paired_arrays(num_a, den_a, num_b, den_b)
    n = len(na)
    if n == 0:
        return 0, float("nan"), float("nan"), float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = nb.sum() / db.sum() - na.sum() / da.sum()
    if n < 2:
        return n, float(diff), float("nan"), float("nan")
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, n, size=(n_boot, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        samples = nb[idx].sum(axis=1) / db[idx].sum(axis=1) - na[idx].sum(axis=1) / da[idx].sum(axis=1)
    return (n, float(diff), *_percentile_interval(samples, level))
