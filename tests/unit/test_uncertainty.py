"""Parameter uncertainty (``bsc_sim.experiments.uncertainty``): common worlds across designs,
different worlds across replicates, within ranges, reproducible, and recorded in experiment.json."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from bsc_sim.config import load_params
from bsc_sim.experiments.compare import comparison_specs
from bsc_sim.experiments.uncertainty import (
    apply_uncertainty,
    draw_world,
    load_uncertainty,
    with_uncertainty,
)
from bsc_sim.paramtools import ParamError, to_dict


def _value(params, key):
    node = to_dict(params)
    for part in key.split("."):
        node = node[part]
    return node


@pytest.fixture(scope="module")
def unc():
    return load_uncertainty()


def test_default_file_cites_a_source_for_every_range(unc):
    assert len(unc.parameters) >= 5
    for p in unc.parameters:
        assert p.low < p.high and p.source
        assert re.search(r"\[[a-z]+\d{4}", p.source) or "assumption" in p.source or "calibration" in p.source
    # The sustainment process's uncertain parameters (issue 18) are among them.
    assert {"sustain.unsupported_mean", "sustain.fidelity_threshold", "sustain.retained_half_life_weeks",
            "training.lasting_gain"} <= set(unc.keys)


def test_draws_are_common_across_designs_and_differ_between_replicates(unc):
    specs = comparison_specs(["bsc", "coach", "bsc_virtual"], 6, 3, ["cohort.n_programs=2"])
    drawn = apply_uncertainty(specs, unc)
    by_rep = {}
    for spec in drawn:
        world = {k: _value(spec.params, k) for k in unc.keys}
        assert world == {k: spec.labels[k] for k in unc.keys}          # labels say what the params hold
        by_rep.setdefault(spec.labels["replicate"], []).append(world)
        assert spec.params.design == spec.labels["design"]              # the design itself is untouched
        assert spec.params.cohort.n_programs == 2
    for worlds in by_rep.values():                                     # same world in every design
        assert all(w == worlds[0] for w in worlds)
    firsts = [worlds[0] for worlds in by_rep.values()]
    for key in unc.keys:                                               # a different world per replicate
        assert len({w[key] for w in firsts}) == len(firsts)


def test_draws_stay_within_ranges_and_are_reproducible(unc):
    seeds = range(400)
    worlds = pd.DataFrame([draw_world(unc, s) for s in seeds])
    for p in unc.parameters:
        assert worlds[p.key].between(p.low, p.high).all()
        # uniform draws fill the range: both thirds at the ends are visited
        assert (worlds[p.key] < p.low + (p.high - p.low) / 3).any() and (worlds[p.key] > p.high - (p.high - p.low) / 3).any()
    again = pd.DataFrame([draw_world(unc, s) for s in seeds])
    pd.testing.assert_frame_equal(worlds, again)
    # its own stream: not the numbers the model's generator would draw first from the same seed
    assert draw_world(unc, 7)[unc.parameters[0].key] != unc.parameters[0].from_unit(np.random.default_rng(7).random())


def test_skipped_keys_are_not_drawn_and_the_rest_do_not_move(unc):
    specs = comparison_specs(["bsc"], 3, 0, ["cohort.n_programs=2"])
    full = apply_uncertainty(specs, unc)
    first = unc.keys[0]
    part = apply_uncertainty(specs, unc, skip=[first])
    for a, b in zip(full, part):
        assert first not in b.labels and _value(b.params, first) == _value(load_params(["cohort.n_programs=2"]), first)
        assert {k: v for k, v in a.labels.items() if k != first} == b.labels


def test_with_uncertainty_records_the_mode_and_refuses_clashes(unc, tmp_path):
    specs = comparison_specs(["bsc"], 2, 0, ["cohort.n_programs=2"])
    same, desc = with_uncertainty(specs, {"kind": "compare"}, None)
    assert same is specs and desc["uncertainty"] == "none"
    assert with_uncertainty(specs, {}, "seed")[1]["uncertainty"] == "none"  # the old name, an alias
    drawn, desc = with_uncertainty(specs, {"kind": "compare"}, "parameters")
    assert desc["uncertainty"] == "parameters" and desc["uncertainty_file"].endswith("default.yaml")
    assert set(desc["uncertain_parameters"]) == set(unc.keys)
    with pytest.raises(ParamError, match="turnover.annual_rate_mean"):
        with_uncertainty(specs, {}, "parameters", overrides=["turnover.annual_rate_mean=0.3"])
    with pytest.raises(ParamError, match="uncertainty = 'sometimes'"):
        with_uncertainty(specs, {}, "sometimes")


@pytest.mark.parametrize("body, match", [
    ("parameters: {collaborative.n_sessions: {low: 2, high: 4, source: x}}", "design lever"),
    ("parameters: {training.week: {low: 1, high: 4, source: x}}", "design lever"),
    ("parameters: {turnover.annual_rate_mean: {low: 0.3, high: 0.2, source: x}}", "low < high"),
    ("parameters: {turnover.annual_rate_mean: {low: 0.1, high: 0.2}}", "source"),
    ("parameters: {turnover.annual_rate_mea: {low: 0.1, high: 0.2, source: x}}", "unknown parameter"),
    ("parameters: {turnover.annual_rate_mean: {low: 0.1, high: 1.5, source: x}}", "refused"),
])
def test_bad_uncertainty_files_are_refused_in_one_line(tmp_path, body, match):
    path = tmp_path / "u.yaml"
    path.write_text(body)
    with pytest.raises(ParamError, match=match) as info:
        load_uncertainty(path)
    assert "\n" not in str(info.value)


def test_compare_with_parameter_uncertainty_end_to_end(tmp_path):
    from bsc_sim.experiments.cli import cmd_compare

    out = tmp_path / "cmp"
    args = ["designs=bsc,coach", "replications=3", "cohort.n_programs=2", "followup_weeks=4", "executor=serial",
            "progress=false", f"out_dir={out}"]
    assert cmd_compare([*args, "uncertainty=parameters"]) == 0
    info = json.loads((out / "experiment.json").read_text())
    assert info["uncertainty"] == "parameters" and "turnover.annual_rate_mean" in info["uncertain_parameters"]
    results = pd.read_csv(out / "results.csv")
    per_rep = results.groupby("replicate")["turnover.annual_rate_mean"].nunique()
    assert (per_rep == 1).all() and results["turnover.annual_rate_mean"].nunique() == 3
    # the same command with the default (posterior) uncertainty is another experiment: refused, nothing replaced
    assert cmd_compare(args) == 2
    seed_out = tmp_path / "cmp_seed"
    assert cmd_compare([*args[:-1], f"out_dir={seed_out}", "uncertainty=seed"]) == 0
    assert json.loads((seed_out / "experiment.json").read_text())["uncertainty"] == "none"


def test_sweep_draws_every_uncertain_parameter_but_the_swept_one(tmp_path):
    from bsc_sim.experiments.analysis import run_sweep
    from bsc_sim.experiments.design import parse_experiment
    from bsc_sim.experiments.executors import ExecutorSpec

    cfg = parse_experiment({"base": ["cohort.n_programs=2", "followup_weeks=4"], "sampler": "grid", "replications": 2,
                            "parameters": {"turnover.annual_rate_mean": {"values": [0.2, 0.3]}}}, name="t")
    run, _ = run_sweep(cfg, tmp_path / "s", executor=ExecutorSpec("serial"), progress=False, uncertainty="parameters")
    results = run.results
    assert sorted(results["turnover.annual_rate_mean"].unique()) == [0.2, 0.3]           # the sweep's values
    assert (results.groupby("replicate")["spread.q_imitation"].nunique() == 1).all()      # common across points
    assert results["spread.q_imitation"].nunique() == 2
    info = json.loads((tmp_path / "s" / "experiment.json").read_text())
    assert info["uncertainty"] == "parameters" and info["uncertainty_not_drawn"] == ["turnover.annual_rate_mean"]
    assert "turnover.annual_rate_mean" not in info["uncertain_parameters"]


def test_optimize_evaluates_each_seed_in_its_own_world(unc):
    from bsc_sim.analysis.optimize import evaluate
    from bsc_sim.experiments.specs import params_with

    params = load_params(["cohort.n_programs=2", "followup_weeks=4"])
    seeds = [11, 12]
    cols = ["cost_total", "staff_turnover_annual"]
    drawn = evaluate(params, seeds, cols, uncertainty=unc)
    by_hand = np.vstack([evaluate(params_with(params, draw_world(unc, s)), [s], cols) for s in seeds])
    np.testing.assert_array_equal(drawn, by_hand)
    assert not np.array_equal(drawn, evaluate(params, seeds, cols))


def test_posterior_rows_follow_the_weights_are_common_across_designs_and_reproducible(fixture_posterior):
    from bsc_sim.experiments.uncertainty import load_posterior

    post = load_posterior()
    assert post.path == str(fixture_posterior) and abs(post.weights.sum() - 1) < 1e-12
    rows = np.array([post.row_of(s) for s in range(4000)])
    assert np.array_equal(rows, [post.row_of(s) for s in range(4000)])            # a function of the seed
    counts = np.bincount(rows, minlength=len(post.weights)) / len(rows)
    assert np.abs(counts - post.weights).max() < 0.02                               # rows met as often as weighed
    heavy = np.zeros(len(post.weights))
    heavy[3] = 1.0                                                                  # all weight on one row
    from dataclasses import replace

    assert {replace(post, weights=heavy).row_of(s) for s in range(50)} == {3}
    # draw_world (optimize's per-seed hook) gives the seed's posterior row, minus the keys left out
    first = post.keys[0]
    assert draw_world(post, 5) == post.world(5) and first not in draw_world(post.without([first]), 5)
    specs = comparison_specs(["bsc", "coach"], 5, 1, ["cohort.n_programs=2"])
    drawn, desc = with_uncertainty(specs, {}, "posterior")
    assert desc["uncertainty"] == "posterior" and desc["uncertainty_file"] == str(fixture_posterior)
    assert desc["posterior_worlds"] == len(post.values) and set(desc["uncertain_parameters"]) == set(post.keys)
    table = pd.read_csv(fixture_posterior)
    for spec in drawn:
        row = table.iloc[post.row_of(spec.seed)]
        for k in post.keys:
            assert _value(spec.params, k) == pytest.approx(row[k]) and spec.labels[k] == pytest.approx(row[k])
    by_rep = {}
    for spec in drawn:
        by_rep.setdefault(spec.labels["replicate"], set()).add(tuple(spec.labels[k] for k in post.keys))
    assert all(len(v) == 1 for v in by_rep.values())                               # one world per replicate
    assert len({next(iter(v)) for v in by_rep.values()}) > 1                         # not the same for all


def test_a_posterior_override_fixes_that_key_and_says_so():
    specs = comparison_specs(["bsc"], 3, 0, ["cohort.n_programs=2", "turnover.annual_rate_mean=0.31"])
    drawn, desc = with_uncertainty(specs, {}, "posterior", overrides=["turnover.annual_rate_mean=0.31"])
    assert desc["uncertainty_not_drawn"] == ["turnover.annual_rate_mean"]
    assert "turnover.annual_rate_mean" not in desc["uncertain_parameters"]
    assert all(_value(s.params, "turnover.annual_rate_mean") == 0.31 for s in drawn)


@pytest.mark.parametrize("content", [None, "not,a\n1", "turnover.annual_rate_mean,weight\n0.2,-1\n"])
def test_a_missing_or_broken_posterior_is_one_line_exit_2_and_nothing_written(tmp_path, monkeypatch, content):
    from bsc_sim.experiments import uncertainty
    from bsc_sim.experiments.cli import cmd_compare

    path = tmp_path / "posterior" / "draws.csv"
    if content is not None:
        path.parent.mkdir()
        path.write_text(content)
    monkeypatch.setattr(uncertainty, "default_posterior_file", lambda: path)
    with pytest.raises(ParamError, match="uncertainty = posterior") as info:
        uncertainty.load_posterior()
    assert "\n" not in str(info.value) and "uncertainty=parameters" in str(info.value)
    out = tmp_path / "cmp"
    assert cmd_compare(["designs=bsc", "replications=2", "cohort.n_programs=2", "executor=serial",
                        "progress=false", f"out_dir={out}"]) == 2
    assert not out.exists()
