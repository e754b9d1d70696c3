"""Directions the code guarantees by construction: verification, not validation.

These were "stylized facts" of the validation table until issue 18. The model reproduces them
because of how it is written (readiness enters as multipliers of the form 0.5 + x; leavers take
their practice with them; cross-programme learning only adds channels that raise beliefs, fit and
cycling), so they test the code, not the model's agreement with the world, and
``bsc-sim validate`` no longer counts them (configs/validation/facts.yaml). Paired seeds, extreme
levels, pooled sums: each assertion is far from its margin at the defaults.
"""

from __future__ import annotations

import pytest

from bsc_sim.config import load_params
from bsc_sim.experiments.specs import params_with, replicate_seeds
from bsc_sim.run import run_sim

READINESS = ("readiness.change_commitment_mean", "readiness.change_efficacy_mean",
             "readiness.leadership_support_mean", "readiness.data_capacity_mean", "readiness.time_slack_mean")


def _pooled(params, seeds, num, den=None):
    runs = [run_sim(params, s).summary for s in seeds]
    n = sum(num(r) for r in runs)
    return n / sum(den(r) for r in runs) if den else n


def _gain(r):
    return r["n_classrooms_reached_end"] - r["n_classrooms_reached_baseline"]


@pytest.mark.slow
def test_higher_readiness_brings_more_improvement():
    base, seeds = load_params(["design=bsc"]), replicate_seeds(11, 6)
    low = _pooled(params_with(base, dict.fromkeys(READINESS, 0.2)), seeds, _gain, lambda r: r["n_classrooms"])
    high = _pooled(params_with(base, dict.fromkeys(READINESS, 0.8)), seeds, _gain, lambda r: r["n_classrooms"])
    assert high > low + 0.2, (low, high)


@pytest.mark.slow
def test_higher_turnover_lowers_sustainment():
    base, seeds = load_params(["design=bsc"]), replicate_seeds(11, 6)
    sustained = lambda r: r["n_classrooms_sustained_followup"]  # noqa: E731
    low = _pooled(params_with(base, {"turnover.annual_rate_mean": 0.05}), seeds, sustained, lambda r: r["n_classrooms"])
    high = _pooled(params_with(base, {"turnover.annual_rate_mean": 0.6}), seeds, sustained, lambda r: r["n_classrooms"])
    assert high < low - 0.05, (low, high)


@pytest.mark.slow
def test_removing_cross_programme_learning_lowers_improvement():
    base, seeds = load_params(["design=bsc"]), replicate_seeds(3, 16)
    off = params_with(base, {"collaborative.cross_learning": False})
    on_runs = [run_sim(base, s).summary for s in seeds]
    off_runs = [run_sim(off, s).summary for s in seeds]
    assert all(r["n_cross_ties_end"] == 0 for r in off_runs) and sum(r["n_cross_ties_end"] for r in on_runs) > 0
    assert sum(r["mean_fit"] for r in off_runs) < sum(r["mean_fit"] for r in on_runs)
    assert sum(map(_gain, off_runs)) < sum(map(_gain, on_runs))
