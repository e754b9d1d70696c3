"""Value of information from a probabilistic run: EVPI and EVPPI by nonparametric regression.

Pure functions on arrays and tidy tables; nothing here runs the model. The input is one
*world* per draw (a set of uncertain parameter values, optionally with a weight, e.g. importance
weights of a posterior) and, for every design, its cost and effect in that world.

Definitions (decision-theoretic, per decision: one cohort), with ``NB_d = wtp * effect_d - cost_d``:

- **Expected value of perfect information** ``EVPI = E[max_d NB_d] - max_d E[NB_d]``: what a
  planner would gain on average by knowing everything before choosing. Estimated over the draws.
  In a stochastic model this counts the chance variation of a single cohort too (which no study
  can resolve), so it is an upper bound; the EVPPI of *all* drawn parameters is the value of
  resolving the parameters themselves.
- **Expected value of partial perfect information** of a group ``phi`` of parameters
  ``EVPPI = E_phi[max_d E[NB_d | phi]] - max_d E[NB_d]``: what learning ``phi`` exactly is worth.

EVPPI is estimated by the regression method of [strong2014]: the conditional expectation
``E[NB_d | phi]`` is a smooth function of ``phi``, so it is estimated by regressing the draws' net
benefits on the group's parameter values; the fitted values replace the inner expectation. Here
the regression is of the *incremental* cost and effect of each design against a reference design
(paired draws: the same world and seed), which removes the variation the designs share; a linear
smoother makes the fitted incremental net benefit at any willingness to pay
``wtp * fitted effect - fitted cost``, so the EVPPI-by-WTP curve needs no refitting.

The smoother is a penalised regression spline (a GAM-like ridge regression, numpy only): per
parameter a linear term and a truncated-cubic spline basis; for two parameters also their tensor
product, for more their pairwise linear interactions. Two ridge penalties (linear terms, the
rest) are chosen by generalised cross-validation, for each target (incremental cost and effect of
each design) on its own. The out-of-sample fit is reported as a K-fold
cross-validated R^2 of the incremental net benefit, so a poor metamodel is visible.

A target (one design's incremental cost or effect) that the smoother predicts out of sample no
better than its mean (cross-validated R^2 <= 0) is taken as constant: the draws cannot show that the
group moves it, and a fit to noise would only inflate EVPPI. With few draws this can understate a
real but weak effect; the reported R^2 shows when that may be the case.

Intervals come from a bootstrap over draws (fixed penalties, refitted on each resample).
EVPPI is clipped to ``[0, EVPI]``; :class:`EVPPIResult` records how much was clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cost_effectiveness import COST, EFFECTS
from .stats import BOOTSTRAP_SEED

__all__ = ["evpi", "evppi", "evppi_from_fits", "SplineSmoother", "EVPPIResult", "net_benefit",
           "aligned_draws", "expected_net_benefit", "nested_mc_evppi", "N_BOOT_VOI"]

N_BOOT_VOI = 200
_LAMBDAS = 10.0 ** np.arange(-6.0, 5.0, 1.0)
_LAMBDAS_LINEAR = np.concatenate([[0.0], 10.0 ** np.arange(-3.0, 3.0, 1.5)])


def _weights(w: np.ndarray | None, n: int) -> np.ndarray:
    if w is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights: one finite, non-negative weight per draw, not all zero")
    return w / w.sum()


def evpi(nb: np.ndarray, weights: np.ndarray | None = None) -> float:
    """EVPI from net benefits (design x draw): E[max_d NB] - max_d E[NB]."""
    nb = np.asarray(nb, dtype=np.float64)
    w = _weights(weights, nb.shape[1])
    return float(max(0.0, nb.max(axis=0) @ w - (nb @ w).max()))


def _evppi_fitted(fitted: np.ndarray, w: np.ndarray) -> float:
    """E[max_d g_d] - max_d E[g_d] over fitted conditional expectations (design x draw)."""
    return float(fitted.max(axis=0) @ w - (fitted @ w).max())


# ---------------------------------------------------------------------------------------------
# The smoother


def _scale(X: np.ndarray) -> np.ndarray:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (X - lo) / span


def _knots(x: np.ndarray, k: int) -> np.ndarray:
    return np.unique(np.quantile(x, np.linspace(0, 1, k + 2)[1:-1]))


@dataclass
class SplineSmoother:
    """A penalised regression spline for one group of parameters (see the module docstring).

    ``fit`` chooses the two penalties by (weighted) generalised cross-validation on the data given;
    ``fitted``/``predict`` use them. The basis (scaling and knots) is built once from all draws.
    """

    X: np.ndarray                 # draws x parameters (raw values)
    max_knots: int = 8

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        self.X = X
        n, p = X.shape
        self.Z = _scale(X)
        # Knots per parameter: fewer with more parameters and fewer draws.
        k = int(max(2, min(self.max_knots if p == 1 else 5, n // (6 * p) if p <= 2 else n // (10 * p))))
        self.knots = [_knots(self.Z[:, j], k) for j in range(p)]
        B, kinds = self._basis(self.Z)
        self.mean, self.sd = B.mean(axis=0), B.std(axis=0)
        self.sd[self.sd == 0] = 1.0
        self.kinds = kinds        # 0 intercept (unpenalised), 1 linear, 2 nonlinear
        self.B = self._standardise(B)
        self.lam: tuple[float, float] | None = None

    def _basis(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, p = Z.shape
        cols, kinds = [np.ones(n)], [0]
        per = []
        for j in range(p):
            z = Z[:, j]
            cols.append(z)
            kinds.append(1)
            nonlin = [z ** 2, z ** 3] + [np.clip(z - t, 0, None) ** 3 for t in self.knots[j]]
            cols += nonlin
            kinds += [2] * len(nonlin)
            per.append([z] + nonlin)
        if p == 2:  # tensor product of the two bases
            for a in per[0]:
                for b in per[1]:
                    cols.append(a * b)
                    kinds.append(2)
        elif p > 2 and p * (p - 1) // 2 <= n // 4:  # pairwise linear interactions, if the draws allow
            for i in range(p):
                for j in range(i + 1, p):
                    cols.append(Z[:, i] * Z[:, j])
                    kinds.append(2)
        return np.column_stack(cols), np.asarray(kinds)

    def _standardise(self, B: np.ndarray) -> np.ndarray:
        out = (B - self.mean) / self.sd
        out[:, self.kinds == 0] = 1.0
        return out

    def _penalty(self, lam_lin: float, lam: float) -> np.ndarray:
        return np.diag(np.where(self.kinds == 0, 0.0, np.where(self.kinds == 1, lam_lin, lam)))

    @staticmethod
    def _solve(B: np.ndarray, w: np.ndarray, Y: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted ridge coefficients and the (B'WB + P)^-1 B'W map."""
        BtW = B.T * w
        A = BtW @ B + P
        A_inv_BtW = np.linalg.solve(A + 1e-10 * np.eye(len(A)), BtW)
        return A_inv_BtW @ Y, A_inv_BtW

    def choose(self, Y: np.ndarray, rows: np.ndarray | None = None, w: np.ndarray | None = None) -> tuple[float, float]:
        """The penalties with the lowest weighted GCV score for targets ``Y`` (draws x targets)."""
        rows = np.arange(len(self.B)) if rows is None else rows
        B, Y = self.B[rows], np.asarray(Y, dtype=np.float64).reshape(len(rows), -1)
        w = np.ones(len(rows)) if w is None else w[rows] * len(rows) / w[rows].sum()
        n = len(rows)
        best, best_score = (1.0, 1.0), np.inf
        for lam_lin in _LAMBDAS_LINEAR:
            for lam in _LAMBDAS:
                coef, M = self._solve(B, w, Y, self._penalty(lam_lin * n, lam * n))
                edf = float(np.einsum("ij,ji->", B, M))
                if edf >= n - 1:
                    continue
                rss = float((w[:, None] * (Y - B @ coef) ** 2).sum())
                score = n * rss / (n - edf) ** 2
                if score < best_score:
                    best, best_score = (lam_lin, lam), score
        return best

    def fit_predict(self, Y: np.ndarray, train: np.ndarray, test: np.ndarray, lam: tuple[float, float],
                    w: np.ndarray | None = None) -> np.ndarray:
        """Fit on rows ``train`` with penalties ``lam`` and predict rows ``test`` (test x targets)."""
        Y = np.asarray(Y, dtype=np.float64).reshape(len(self.B), -1)
        wt = np.ones(len(train)) if w is None else w[train] * len(train) / w[train].sum()
        n = len(train)
        coef, _ = self._solve(self.B[train], wt, Y[train], self._penalty(lam[0] * n, lam[1] * n))
        return self.B[test] @ coef

    def cv_predictions(self, Y: np.ndarray, folds: int = 5, w: np.ndarray | None = None,
                       seed: int = BOOTSTRAP_SEED) -> np.ndarray:
        """Out-of-fold predictions (draws x targets), penalties re-chosen inside each fold."""
        Y = np.asarray(Y, dtype=np.float64).reshape(len(self.B), -1)
        n = len(Y)
        order = np.random.default_rng(seed).permutation(n)
        out = np.empty_like(Y)
        for f in range(min(folds, n)):
            test = np.sort(order[f::folds])
            train = np.setdiff1d(np.arange(n), test)
            lam = self.choose(Y[train], rows=train, w=w)
            out[test] = self.fit_predict(Y, train, test, lam, w)
        return out


# ---------------------------------------------------------------------------------------------
# EVPPI


@dataclass
class EVPPIResult:
    """EVPPI of one group at one or more willingness-to-pay values."""

    evppi: np.ndarray           # per wtp, clipped to [0, EVPI]
    low: np.ndarray             # bootstrap interval per wtp
    high: np.ndarray
    evpi: np.ndarray            # per wtp
    raw: np.ndarray             # before clipping
    r2_cv: np.ndarray           # cross-validated R^2 of the incremental net benefit, per wtp
    penalties: tuple | None = None   # (linear, nonlinear) per target
    useful: np.ndarray | None = None  # per target: did the smoother beat the mean out of sample?

    @property
    def clipped(self) -> np.ndarray:
        """How much clipping moved the estimate, as a share of EVPI (0 when it did not)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.evpi > 0, np.abs(self.raw - self.evppi) / self.evpi, 0.0)


def evppi_from_fits(fit_effect: np.ndarray, fit_cost: np.ndarray, wtps: Sequence[float],
                    w: np.ndarray) -> np.ndarray:
    """EVPPI per wtp from fitted incremental effects and costs ((designs - 1) x draws; the
    reference's increments are 0 and are added here)."""
    out = []
    for wtp in wtps:
        inc = wtp * fit_effect - fit_cost
        g = np.vstack([np.zeros(inc.shape[1]), inc])
        out.append(_evppi_fitted(g, w))
    return np.asarray(out)


def _r2(y: np.ndarray, pred: np.ndarray, w: np.ndarray) -> float:
    resid = ((y - pred) ** 2 * w).sum()
    total = ((y - (y * w).sum(axis=-1, keepdims=True)) ** 2 * w).sum()
    return float(1.0 - resid / total) if total > 0 else float("nan")


def _one_thread():
    """Small matrices: BLAS threads only contend on a busy machine (10x slower), so use one."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(1)


def evppi(effect: np.ndarray, cost: np.ndarray, X: np.ndarray, wtps: Sequence[float] | float, *,
          reference: int = 0, weights: np.ndarray | None = None, n_boot: int = N_BOOT_VOI,
          folds: int = 5, level: float = 0.95, seed: int = BOOTSTRAP_SEED) -> EVPPIResult:
    """EVPPI of the parameters ``X`` (draws x parameters) by regression (see the module docstring).

    Args:
        effect, cost: design x draw, aligned by draw (the same world in every design).
        X: the group's parameter values per draw.
        wtps: willingness to pay per unit of effect (one value or several).
        reference: the design the increments are taken against.
        weights: optional weight per draw (e.g. importance weights of a posterior).
        n_boot: bootstrap resamples of draws for the interval (0: none).
    """
    with _one_thread():
        return _evppi(effect, cost, X, wtps, reference=reference, weights=weights, n_boot=n_boot, folds=folds,
                      level=level, seed=seed)


def _evppi(effect, cost, X, wtps, *, reference, weights, n_boot, folds, level, seed) -> EVPPIResult:
    effect, cost = np.asarray(effect, dtype=np.float64), np.asarray(cost, dtype=np.float64)
    wtps = np.atleast_1d(np.asarray(wtps, dtype=np.float64))
    n = effect.shape[1]
    w = _weights(weights, n)
    others = [d for d in range(effect.shape[0]) if d != reference]
    de = (effect[others] - effect[reference]).T   # draws x (designs - 1)
    dc = (cost[others] - cost[reference]).T
    Y = np.hstack([de, dc])
    smoother = SplineSmoother(X)
    lams = [smoother.choose(Y[:, j], w=w) for j in range(Y.shape[1])]  # each target its own penalties

    cv = np.column_stack([smoother.cv_predictions(Y[:, j], folds=folds, w=w, seed=seed)[:, 0]
                          for j in range(Y.shape[1])])
    # A target the smoother predicts out of sample no better than its mean carries no information
    # the draws can show: use the mean (no value) rather than a fit to noise, which would inflate EVPPI.
    useful = np.array([_r2(Y[:, j], cv[:, j], w) > 0 for j in range(Y.shape[1])])

    def fit(rows: np.ndarray) -> np.ndarray:
        wr = w[rows] / w[rows].sum()
        return np.column_stack([smoother.fit_predict(Y[:, j], rows, rows, lam, w)[:, 0] if useful[j]
                                else np.full(len(rows), Y[rows, j] @ wr) for j, lam in enumerate(lams)])

    all_rows = np.arange(n)
    fitted = fit(all_rows)
    k = len(others)
    raw = evppi_from_fits(fitted[:, :k].T, fitted[:, k:].T, wtps, w)
    total = np.array([evpi(wtp * effect - cost, w) for wtp in wtps])
    r2 = np.array([_r2((wtp * de - dc).T, (wtp * cv[:, :k] - cv[:, k:]).T, w) for wtp in wtps])
    low, high = np.full(len(wtps), np.nan), np.full(len(wtps), np.nan)
    if n_boot and n > 3:
        rng = np.random.default_rng(seed)
        boots = np.empty((n_boot, len(wtps)))
        for b in range(n_boot):
            rows = rng.integers(0, n, n)
            if not w[rows].sum() > 0:  # a resample of zero-weight draws only: it says nothing
                boots[b] = np.nan
                continue
            wb = w[rows] / w[rows].sum()
            fb = fit(rows)
            e_b = evppi_from_fits(fb[:, :k].T, fb[:, k:].T, wtps, wb)
            t_b = np.array([evpi((wtp * effect - cost)[:, rows], wb) for wtp in wtps])
            boots[b] = np.clip(e_b, 0.0, t_b)
        alpha = (1 - level) / 2
        low, high = np.nanquantile(boots, alpha, axis=0), np.nanquantile(boots, 1 - alpha, axis=0)
    clipped = np.clip(raw, 0.0, total)
    return EVPPIResult(evppi=clipped, low=low, high=high, evpi=total, raw=raw, r2_cv=r2, penalties=tuple(lams), useful=useful)


# ---------------------------------------------------------------------------------------------
# Tables


def aligned_draws(results: pd.DataFrame, designs: Sequence[str], effect: str, parameters: Sequence[str],
                  by: str = "design", weight: str | None = None) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Cost and effect (design x draw) and the draws' parameter values (and weight), from a tidy
    results table with one row per design x replicate, over the replicates where every design has
    a finite cost and effect. The parameter columns must be equal across designs in a replicate."""
    column = EFFECTS[effect].column
    wide = results.pivot(index="replicate", columns=by, values=[COST, column])
    wide = wide.reindex(columns=pd.MultiIndex.from_product([[COST, column], list(designs)])).astype(np.float64)
    wide = wide[np.isfinite(wide).all(axis=1)]
    keep = [c for c in parameters] + ([weight] if weight else [])
    draws = results.drop_duplicates("replicate").set_index("replicate").loc[wide.index, keep]
    return wide[column].to_numpy().T, wide[COST].to_numpy().T, draws.reset_index()


def net_benefit(effect: np.ndarray, cost: np.ndarray, wtp: float) -> np.ndarray:
    """``wtp * effect - cost`` (design x draw)."""
    return wtp * np.asarray(effect, dtype=np.float64) - np.asarray(cost, dtype=np.float64)


def expected_net_benefit(nb: np.ndarray, designs: Sequence[str], *, weights: np.ndarray | None = None,
                         level: float = 0.95, n_boot: int = 2000, seed: int = BOOTSTRAP_SEED) -> pd.DataFrame:
    """Per design: expected net benefit over draws, its bootstrap interval, the 10-90% range over
    worlds, and the share of draws in which the design is best."""
    nb = np.asarray(nb, dtype=np.float64)
    n = nb.shape[1]
    w = _weights(weights, n)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    wb = w[idx]
    keep = wb.sum(axis=1) > 0  # drop resamples of zero-weight draws only
    boot = np.einsum("dbn,bn->db", nb[:, idx[keep]], wb[keep]) / wb[keep].sum(axis=1)
    alpha = (1 - level) / 2
    best = np.bincount(nb.argmax(axis=0), weights=w, minlength=len(nb))
    rows = []
    for d, design in enumerate(designs):
        rows.append({"design": design, "expected_nb": float(nb[d] @ w),
                     "expected_nb_low": float(np.quantile(boot[d], alpha)),
                     "expected_nb_high": float(np.quantile(boot[d], 1 - alpha)),
                     "nb_p10": float(np.quantile(nb[d], 0.1)), "nb_p90": float(np.quantile(nb[d], 0.9)),
                     "prob_best": float(best[d])})
    return pd.DataFrame(rows)


def nested_mc_evppi(sample_phi, sample_nb_given_phi, n_outer: int, n_inner: int, rng: np.random.Generator) -> float:
    """Brute-force nested Monte Carlo EVPPI (for checks): ``sample_phi(n, rng)`` draws the group's
    values, ``sample_nb_given_phi(phi, m, rng)`` the net benefits (design x m) given one value."""
    phis = sample_phi(n_outer, rng)
    inner = np.stack([sample_nb_given_phi(phi, n_inner, rng).mean(axis=1) for phi in phis], axis=1)
    return float(inner.max(axis=0).mean() - inner.mean(axis=1).max())
