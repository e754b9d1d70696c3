"""Known answers for the analysis layer: Ishigami's Sobol indices through our SALib wrapper,
paired-difference intervals, and the sweep and sensitivity commands end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bsc_sim.experiments.cli import cmd_sensitivity, cmd_sweep
from bsc_sim.experiments.compare import summarize_comparison
from bsc_sim.experiments.sensitivity import SensitivityProblem, analyze, n_runs, sample

# Ishigami & Homma (1990) with a = 7, b = 0.1 on [-pi, pi]^3. Analytic indices, e.g. Saltelli et al.
# (2008) Global Sensitivity Analysis: The Primer, and SALib's own regression test.
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def ishigami(X: np.ndarray) -> np.ndarray:
    return np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])


PROBLEM = SensitivityProblem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)


def test_ishigami_sobol_indices_are_recovered_through_our_wrapper():
    X = sample(PROBLEM, "sobol", 2048, seed=3)
    assert X.shape == (n_runs(PROBLEM, "sobol", 2048), 3)
    indices, second = analyze(PROBLEM, "sobol", X, {"y": ishigami(X)}, seed=3)
    assert list(indices["parameter"]) == ["x1", "x2", "x3"]
    # Tolerance 0.03: Saltelli/Jansen estimators at N = 2048 scatter by about 0.01 around the truth.
    np.testing.assert_allclose(indices["S1"], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(indices["ST"], ISHIGAMI_ST, atol=0.03)
    # The bootstrap intervals are real intervals that contain the truth here.
    assert (indices["S1_conf"] > 0).all() and (abs(indices["ST"] - ISHIGAMI_ST) < 3 * indices["ST_conf"]).all()
    s13 = second.query("parameter_1 == 'x1' and parameter_2 == 'x3'")["S2"].item()
    assert s13 == pytest.approx(0.2437, abs=0.06)  # the only interaction: x1 with x3


def test_morris_ranks_a_function_with_known_effects():
    problem = SensitivityProblem(("a", "b", "c"), ((0, 1),) * 3)
    X = sample(problem, "morris", 40, seed=1)
    assert X.shape == (n_runs(problem, "morris", 40), 3)
    y = 10 * X[:, 0] + 1 * X[:, 1] + 0 * X[:, 2]
    indices, second = analyze(problem, "morris", X, {"y": y}, seed=1)
    assert second.empty
    mu_star = indices.set_index("parameter")["mu_star"]
    assert mu_star["a"] == pytest.approx(10, rel=1e-9) and mu_star["b"] == pytest.approx(1, rel=1e-9)
    assert mu_star["c"] == 0 and (indices["sigma"] < 1e-9).all()  # linear: no interactions


def test_sobol_needs_a_power_of_two_and_defined_outcomes():
    from bsc_sim import ParamError

    with pytest.raises(ParamError, match="n = 100: Sobol' sampling needs a power of 2"):
        sample(PROBLEM, "sobol", 100, seed=0)
    X = sample(PROBLEM, "sobol", 8, seed=0)
    y = ishigami(X)
    y[3] = np.nan
    with pytest.raises(ParamError, match="1 undefined values"):
        analyze(PROBLEM, "sobol", X, {"cost_per_classroom_reached": y}, seed=0)


def test_paired_differences_use_t_intervals_over_replicates():
    rng = np.random.default_rng(0)
    base = rng.normal(0.3, 0.1, 12)
    other = base + rng.normal(0.05, 0.02, 12)
    other[4] = np.nan  # undefined in one replicate: that pair is dropped, not the whole design
    results = pd.DataFrame({"design": ["a"] * 12 + ["b"] * 12, "replicate": list(range(12)) * 2,
                            "y": np.concatenate([base, other])})
    table = summarize_comparison(results, ["y"], ["a", "b"]).set_index("design")
    d = np.delete(other - base, 4)
    half = stats.t.ppf(0.975, 10) * d.std(ddof=1) / np.sqrt(11)
    assert table.loc["b", "n_pairs"] == 11 and table.loc["b", "n"] == 11
    assert table.loc["b", "diff_mean"] == pytest.approx(d.mean())
    assert table.loc["b", "diff_ci_high"] - table.loc["b", "diff_mean"] == pytest.approx(half)
    # Pairing removes the shared variation: the paired interval is far narrower than the means'.
    assert table.loc["b", "diff_ci_high"] - table.loc["b", "diff_ci_low"] < 0.3 * (table.loc["b", "ci_high"] - table.loc["b", "ci_low"])
    assert np.isnan(table.loc["a", "diff_mean"])


def test_sweep_command_writes_one_long_table(tmp_path, capsys):
    cfg = tmp_path / "grid.yaml"
    cfg.write_text("parameters:\n  collaborative.modality: {values: [in_person, virtual]}\n"
                   "  pdsa.obs_noise_sd: {values: [0.1, 0.4]}\nreplications: 2\n"
                   "outcomes: [frac_pdsa_misread, cost_total]\n")
    out = tmp_path / "out"
    assert cmd_sweep([f"experiment={cfg}", f"out_dir={out}", "executor=serial", "cohort.n_programs=3"]) == 0
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 8
    assert {"point", "replicate", "seed", "collaborative.modality", "pdsa.obs_noise_sd", "frac_pdsa_misread"} <= set(table)
    cost = table.groupby("collaborative.modality")["cost_total"].mean()
    assert cost["virtual"] < cost["in_person"]  # virtual sessions save travel and venue costs
    assert (out / "sweep.png").stat().st_size > 10_000
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4 * 2  # points x outcomes
    misread = points[points["outcome"] == "frac_pdsa_misread"].set_index("point")
    assert misread["n_pairs"].tolist().count(0) == 1  # only the reference has no difference from itself
    ref = misread["reference"].iloc[0]
    other = misread.drop(index=ref)
    row = other.iloc[0]
    a = table[table["point"] == row.name].set_index("replicate")["frac_pdsa_misread"]
    b = table[table["point"] == ref].set_index("replicate")["frac_pdsa_misread"]
    assert row["diff_mean"] == pytest.approx((a - b).mean())
    # The console summarises the results: every point, its mean and its difference from the reference.
    printed = capsys.readouterr().out
    assert "Sweep: 4 points x 2 replicates" in printed and "(reference)" in printed
    assert printed.count("modality=virtual, obs_noise_sd=") == 2 * 2  # two points x two outcomes


def test_sensitivity_command_writes_indices(tmp_path, capsys):
    cfg = tmp_path / "sa.yaml"
    cfg.write_text("parameters:\n  turnover.annual_rate_mean: {low: 0.1, high: 0.5}\n"
                   "  costs.coach_hourly: {low: 20, high: 80}\n"
                   "outcomes: [staff_turnover_annual, cost_total]\nmethod: morris\nn: 6\n")
    out = tmp_path / "out"
    assert cmd_sensitivity([f"experiment={cfg}", f"out_dir={out}", "executor=serial", "design=coach",
                            "cohort.n_programs=3"]) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices.columns) == ["method", "outcome", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    mu = indices.set_index(["outcome", "parameter"])["mu_star"]
    # Turnover drives realised turnover; the coach's fee drives cost and nothing else.
    assert mu["staff_turnover_annual", "turnover.annual_rate_mean"] > 0.1
    assert mu["staff_turnover_annual", "costs.coach_hourly"] == 0
    assert mu["cost_total", "costs.coach_hourly"] > 0
    assert (out / "indices.png").exists() and len(pd.read_csv(out / "results.csv")) == 6 * 3


def test_curve_bands_give_each_design_and_weeks_mean_interval_and_range():
    from bsc_sim.experiments.compare import curve_bands

    rng = np.random.default_rng(1)
    runs = [f"{d}/r{r}" for d in "ab" for r in range(5)]
    curves = pd.DataFrame([{"run_id": run, "week": w, "frac_classrooms_reached": rng.uniform()}
                           for run in runs for w in range(3)])
    specs = pd.DataFrame({"run_id": runs, "design": [r[0] for r in runs]})
    bands = curve_bands(curves, specs).set_index(["design", "week"])
    x = curves[curves["run_id"].str.startswith("b/") & (curves["week"] == 2)]["frac_classrooms_reached"].to_numpy()
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    row = bands.loc[("b", 2)]
    assert row["n"] == 5 and row["mean"] == pytest.approx(x.mean())
    assert row["ci_high"] - row["mean"] == pytest.approx(half)
    assert (row["p10"], row["p90"]) == pytest.approx((np.quantile(x, 0.1), np.quantile(x, 0.9)))
    assert len(bands) == 6
