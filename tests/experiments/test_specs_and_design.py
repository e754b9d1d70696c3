"""Run specs, seeds and experiment configs: what an experiment is, checked before anything runs."""

from __future__ import annotations

import numpy as np
import pytest

from bsc_sim import ParamError
from bsc_sim.experiments import params_with, replicate_seeds
from bsc_sim.experiments.compare import comparison_specs
from bsc_sim.experiments.design import load_experiment, parse_experiment, point_values, sweep_specs
from bsc_sim.experiments.specs import fingerprint


def test_replicate_seeds_come_from_seedsequence_spawn():
    seeds = replicate_seeds(7, 5)
    expected = [int(c.generate_state(1, dtype=np.uint32)[0]) for c in np.random.SeedSequence(7).spawn(5)]
    assert seeds == expected
    assert len(set(seeds)) == 5
    assert replicate_seeds(7, 3) == seeds[:3]  # more replications extend, never reshuffle
    assert replicate_seeds(8, 5) != seeds


@pytest.mark.parametrize("root, n, match", [(0, 0, "replications = 0"), (-1, 2, "seed = -1")])
def test_replicate_seeds_reject_bad_input(root, n, match):
    with pytest.raises(ParamError, match=match):
        replicate_seeds(root, n)


def test_params_with_sets_dotted_keys_and_validates(default_params):
    p = params_with(default_params, {"pdsa.obs_noise_sd": 0.3, "cohort.n_programs": np.int64(5)})
    assert p.pdsa.obs_noise_sd == 0.3 and p.cohort.n_programs == 5
    assert default_params.pdsa.obs_noise_sd != 0.3  # the original is untouched (frozen)
    with pytest.raises(ParamError, match=r"pdsa\.obs_nois: unknown parameter"):
        params_with(default_params, {"pdsa.obs_nois": 0.3})
    with pytest.raises(ParamError, match=r"turnover\.annual_rate_mean"):
        params_with(default_params, {"turnover.annual_rate_mean": 1.5})


def test_comparison_specs_use_common_seeds_across_designs():
    specs = comparison_specs(["bsc", "coach"], 3, seed=4, overrides=["cohort.n_programs=3"])
    by_design = {d: [s.seed for s in specs if s.labels["design"] == d] for d in ("bsc", "coach")}
    assert by_design["bsc"] == by_design["coach"] == replicate_seeds(4, 3)
    assert [s.index for s in specs] == list(range(6))
    assert all(s.params.cohort.n_programs == 3 for s in specs)
    assert {s.params.design for s in specs} == {"bsc", "coach"}


@pytest.mark.parametrize("designs, match", [(["bsc", "nodesign"], "unknown design 'nodesign'"),
                                            (["bsc", "bsc"], "listed twice"), ([], "at least one")])
def test_comparison_specs_reject_bad_designs(designs, match):
    with pytest.raises(ParamError, match=match):
        comparison_specs(designs, 2, 0)


def test_grid_sweep_is_the_full_product_with_labels():
    cfg = load_experiment("schedule_grid").with_settings(replications=2)
    points = point_values(cfg)
    assert len(points) == 3 * 2 * 2
    assert len({tuple(p.items()) for p in points}) == 12
    specs = sweep_specs(cfg, ["cohort.n_programs=2"])
    assert len(specs) == 24
    s = specs[5]
    assert s.params.collaborative.n_sessions == s.labels["collaborative.n_sessions"]
    assert s.params.collaborative.modality == s.labels["collaborative.modality"]


def test_lhs_sweep_is_seeded_stratified_and_rounds_integers():
    cfg = parse_experiment({"sampler": "lhs", "n": 10, "parameters": {
        "turnover.annual_rate_mean": {"low": 0.1, "high": 0.5},
        "cohort.n_programs": {"low": 2, "high": 12}}})
    a, b = point_values(cfg), point_values(cfg)
    assert a == b
    assert point_values(cfg.with_settings(seed=1)) != a
    rates = sorted(p["turnover.annual_rate_mean"] for p in a)
    # Latin hypercube: exactly one point in each of the 10 equal strata of the range.
    assert [int((r - 0.1) / 0.04) for r in rates] == list(range(10))
    assert all(isinstance(p["cohort.n_programs"], int) for p in a)


@pytest.mark.parametrize("data, match", [
    ({"parameters": {"pdsa.obs_nois": {"low": 0, "high": 1}}}, r"experiment\.parameters\.pdsa\.obs_nois: unknown"),
    ({"parameters": {"pdsa.obs_noise_sd": {"low": 0.5, "high": 0.1}}}, "low < high"),
    ({"parameters": {"pdsa.obs_noise_sd": {"low": 0.1}}}, "either values"),
    ({"parameters": {}}, "at least one parameter"),
    ({"replicatons": 3, "parameters": {"pdsa.obs_noise_sd": {"values": [0.1]}}}, r"experiment\.replicatons: unknown key"),
    ({"sampler": "random", "parameters": {"pdsa.obs_noise_sd": {"values": [0.1]}}}, r"experiment\.sampler = 'random'"),
    ({"outcomes": ["frac_reached"], "parameters": {"pdsa.obs_noise_sd": {"values": [0.1]}}}, "unknown outcome 'frac_reached'"),
])
def test_bad_experiment_configs_name_the_entry(data, match):
    with pytest.raises(ParamError, match=match):
        parse_experiment(data)


def test_invalid_sweep_point_is_rejected_before_running():
    cfg = parse_experiment({"parameters": {"collaborative.n_sessions": {"values": [3, 5]}}})
    with pytest.raises(ParamError, match=r"point 1 \(collaborative.n_sessions=5\).*the congress week or later"):
        sweep_specs(cfg)


def test_fingerprint_changes_with_parameters_and_seeds():
    specs = comparison_specs(["bsc"], 2, 0)
    assert fingerprint(specs) == fingerprint(comparison_specs(["bsc"], 2, 0))
    assert fingerprint(specs) != fingerprint(comparison_specs(["bsc"], 2, 1))
    assert fingerprint(specs) != fingerprint(comparison_specs(["bsc"], 2, 0, ["pdsa.obs_noise_sd=0.3"]))


@pytest.mark.parametrize("key, match", [("design", "compare designs with bsc-sim compare"),
                                        ("seed", "seeds come from the replicates")])
def test_sweeps_cannot_vary_design_or_seed(key, match):
    with pytest.raises(ParamError, match=match):
        parse_experiment({"parameters": {key: {"values": ["bsc", "coach"] if key == "design" else [1, 2]}}})


def test_compare_refuses_a_design_override():
    with pytest.raises(ParamError, match="design=coach: the designs come from designs="):
        comparison_specs(["bsc", "training"], 2, 0, ["design=coach"])


def test_integer_ranges_give_every_whole_number_equal_chances():
    from bsc_sim.experiments.design import ParameterRange

    values = ParameterRange("cohort.n_programs", low=2, high=4, integer=True).from_unit(np.linspace(0, 0.999, 300))
    assert {v: values.count(v) for v in (2, 3, 4)} == {2: 100, 3: 100, 4: 100}


def test_settings_keep_paths_and_names_as_typed():
    from bsc_sim.experiments.cli import parse_settings

    settings, overrides = parse_settings(["out_dir=2024", "replications=5", "designs=[bsc,coach]", "cohort.n_programs=4"],
                                         {"out_dir", "replications", "designs"})
    assert settings == {"out_dir": "2024", "replications": 5, "designs": ["bsc", "coach"]}
    assert overrides == ["cohort.n_programs=4"]
    with pytest.raises(ParamError, match="cohort.n_programs=4: unknown setting"):
        parse_settings(["cohort.n_programs=4"], {"out_dir"}, overrides_allowed=False, command="validate")


@pytest.mark.parametrize("overrides", [
    ["cohort.n_programs=1", "followup_weeks=0"],
    ["design=statewide", "system.n_programs=60", "system.horizon_weeks=60"],
], ids=["cohort", "state"])
def test_the_static_outcome_names_are_those_of_a_real_run(overrides):
    """Experiments check and tabulate outcomes by SUMMARY_OUTCOMES, without running the model;
    it must name exactly what summarize() reports, in its order, for a cohort and for a state."""
    from bsc_sim import load_params
    from bsc_sim.experiments.design import SUMMARY_OUTCOMES, summary_outcomes
    from bsc_sim.run import run_sim

    summary = run_sim(load_params(overrides), 0).summary
    assert summary_outcomes() == SUMMARY_OUTCOMES
    missing = [k for k in summary if k not in SUMMARY_OUTCOMES]
    stale = [k for k in SUMMARY_OUTCOMES if k not in summary]
    assert not missing and not stale, f"update SUMMARY_OUTCOMES: add {missing}, remove {stale}"
    assert tuple(summary) == SUMMARY_OUTCOMES


def test_the_t_quantile_is_scipy_stats_t_ppf():
    from scipy import stats

    from bsc_sim.experiments.compare import t_quantile

    for df in (1, 2, 5, 19, 49, 999):
        for level in (0.9, 0.95, 0.99):
            assert t_quantile(level, df) == float(stats.t.ppf(0.5 + level / 2, df))
