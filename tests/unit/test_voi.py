"""The value-of-information estimator (bsc_sim.analysis.voi) on cases whose answer is known."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from bsc_sim.analysis.voi import aligned_draws, evpi, evppi, expected_net_benefit, nested_mc_evppi


def _quadratic_case(n, seed=1):
    """Two decisions: do nothing (NB 0) or act, NB = theta^2 - 1 + psi, theta, psi ~ N(0, 1).

    E[NB | theta] = theta^2 - 1 has mean 0, so a *linear* metamodel sees no value in theta; the
    truth is EVPPI(theta) = E[max(0, theta^2 - 1)] = 2 phi(1) = 0.4839.
    """
    rng = np.random.default_rng(seed)
    theta, psi, dummy = rng.normal(size=n), rng.normal(size=n), rng.uniform(size=n)
    effect = np.vstack([np.zeros(n), theta ** 2 - 1 + psi])
    return effect, np.zeros((2, n)), theta, psi, dummy


TRUE_EVPPI_THETA = 2 * norm.pdf(1.0)


def test_evpi_of_a_known_case():
    nb = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 2.0, -2.0]])  # mean 0 each: EVPI = mean(max) = 0.75
    assert evpi(nb) == pytest.approx(0.75)
    assert evpi(nb, weights=np.array([1.0, 0.0, 0.0, 1.0])) == pytest.approx(0.5)
    assert evpi(np.vstack([nb[1], nb[1] - 1])) == 0.0  # one design always better: nothing to learn


def test_nonlinear_case_agrees_with_nested_monte_carlo_and_the_truth():
    effect, cost, theta, _, _ = _quadratic_case(2000)
    result = evppi(effect, cost, theta[:, None], 1.0, n_boot=100)
    rng = np.random.default_rng(7)
    brute = nested_mc_evppi(lambda m, r: r.normal(size=m),
                            lambda th, m, r: np.vstack([np.zeros(m), th ** 2 - 1 + r.normal(size=m)]),
                            n_outer=2000, n_inner=400, rng=rng)
    # Monte Carlo error of the nested estimate: sd of max(0, theta^2 - 1) over outer draws / sqrt(n).
    th = np.random.default_rng(8).normal(size=20000)
    se_nested = np.maximum(0, th ** 2 - 1).std() / np.sqrt(2000)
    se_reg = (result.high[0] - result.low[0]) / (2 * 1.96)
    tol = 3 * np.hypot(se_nested, se_reg)
    assert abs(result.evppi[0] - brute) < tol
    assert abs(brute - TRUE_EVPPI_THETA) < 3 * se_nested + 0.01      # the brute force is right
    assert result.low[0] <= TRUE_EVPPI_THETA <= result.high[0] + 0.01
    assert result.r2_cv[0] > 0.4                                      # theta explains half the variance
    # The failure mode the regression method must avoid: a linear metamodel sees nothing.
    design = np.column_stack([np.ones_like(theta), theta])
    coef, *_ = np.linalg.lstsq(design, effect[1], rcond=None)
    linear = np.maximum(0, design @ coef).mean() - max(0, (design @ coef).mean())
    assert linear < 0.1 < result.evppi[0]


@pytest.mark.parametrize("n, share", [(60, 0.1), (500, 0.03)])  # a little overfitting with few draws
def test_a_parameter_that_does_not_enter_has_evppi_near_zero(n, share):
    effect, cost, _, _, dummy = _quadratic_case(n, seed=3)
    result = evppi(effect, cost, dummy[:, None], 1.0, n_boot=50)
    assert result.evppi[0] < share * result.evpi[0]
    assert result.low[0] < 0.02 * result.evpi[0]
    assert result.r2_cv[0] < 0.1                                       # and the fit says so


def test_evppi_of_everything_that_enters_is_evpi():
    effect, cost, theta, psi, dummy = _quadratic_case(800, seed=4)
    result = evppi(effect, cost, np.column_stack([theta, psi, dummy]), 1.0, n_boot=0)
    assert result.evppi[0] == pytest.approx(result.evpi[0], rel=0.03)
    assert result.r2_cv[0] > 0.95


def test_evppi_is_between_zero_and_evpi_and_clipping_is_rare_and_small():
    clipped = []
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        n, k = 200, 2 + seed % 3                      # two to four designs
        X = rng.uniform(size=(n, 3))
        effect = np.vstack([np.zeros(n)] + [rng.normal() * np.sin(3 * X[:, 0] + d) + rng.normal() * X[:, 1] ** 2
                                            + rng.normal(size=n) for d in range(k - 1)])
        cost = np.vstack([np.zeros(n)] + [rng.normal(0.2, 0.3) + 0.3 * rng.normal(size=n) for _ in range(k - 1)])
        wtps = [0.0, 0.5, 1.0, 2.0]
        for cols in ([0], [1], [2], [0, 1], [0, 1, 2]):
            r = evppi(effect, cost, X[:, cols], wtps, n_boot=0)
            assert np.all(r.evppi >= 0) and np.all(r.evppi <= r.evpi + 1e-12)
            clipped.extend(r.clipped.tolist())
    clipped = np.asarray(clipped)
    assert np.mean(clipped > 1e-9) < 0.05       # rarely clipped beyond rounding ...
    assert clipped.max() < 0.05                 # ... and then by little (share of EVPI)


def test_evppi_grows_with_the_group_and_by_wtp_curve_is_consistent():
    effect, cost, theta, psi, dummy = _quadratic_case(600, seed=5)
    cost = cost + 0.3
    wtps = [0.5, 1.0, 2.0]
    one = evppi(effect, cost, theta[:, None], wtps, n_boot=0)
    two = evppi(effect, cost, np.column_stack([theta, psi]), wtps, n_boot=0)
    assert np.all(two.evppi >= one.evppi - 0.02)
    single = evppi(effect, cost, theta[:, None], 2.0, n_boot=0)
    assert single.evppi[0] == pytest.approx(one.evppi[2])


def test_tables_align_draws_and_expected_net_benefit():
    rows = []
    for r in range(4):
        for d, (c, e) in enumerate([(0.0, 0.0), (100.0, 0.02 * r)]):
            rows.append({"design": ["none", "act"][d], "replicate": r, "cost_total": c,
                         "n_classrooms_sustained_followup": e, "x": float(r)})
    results = pd.DataFrame(rows)
    results.loc[(results.replicate == 3) & (results.design == "act"), "cost_total"] = np.nan
    effect, cost, draws = aligned_draws(results, ["none", "act"], "classrooms_sustained", ["x"])
    assert effect.shape == (2, 3) and list(draws["x"]) == [0.0, 1.0, 2.0]
    table = expected_net_benefit(10000 * effect - cost, ["none", "act"], n_boot=200)
    assert table.loc[1, "expected_nb"] == pytest.approx(10000 * 0.02 - 100)
    assert table.loc[0, "prob_best"] == pytest.approx(1 / 3)  # NB of act: -100, 100, 300


def test_the_store_knows_the_voi_files():
    """A replaced voi store deletes its analysis files, and publishing accepts them."""
    from bsc_sim.analysis.voi_cli import VOI_FILES
    from bsc_sim.experiments.store import is_analysis_file

    assert all(is_analysis_file(name) for name in VOI_FILES)
