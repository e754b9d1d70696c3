"""The helpers behind the teaching notebooks (bsc_sim.teaching): known structure and known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc_sim import run_sim, teaching


@pytest.fixture(scope="module")
def network(default_params):
    return teaching.programme_network(default_params, seed=0, kind="head_start")


# -- programme networks and first users ---------------------------------------------------------

def test_programme_network_is_one_programme_of_the_model(default_params, network):
    roles = [network.nodes[n]["role"] for n in sorted(network.nodes)]
    assert roles[0] == "director" and "education_manager" in roles  # Head Start always has a manager
    n_rooms = roles.count("lead_teacher")
    assert roles.count("assistant_teacher") == n_rooms >= 1
    assert sorted(network.nodes) == list(range(len(roles)))
    # Every teacher is tied to the director and to their co-teacher with the model's weights.
    net = default_params.network
    for n in sorted(network.nodes):
        if roles[n] == "lead_teacher":
            assert network[0][n]["weight"] == net.w_director_teacher
            assert network[n][n + 1]["weight"] == net.w_classroom
            assert network.nodes[n + 1]["classroom"] == network.nodes[n]["classroom"]
    assert all(0.0 <= network.nodes[n]["threshold"] <= 1.0 for n in network.nodes)


def test_programme_network_is_reproducible_and_varies_with_seed(default_params, network):
    again = teaching.programme_network(default_params, seed=0)
    assert sorted(again.edges(data="weight")) == sorted(network.edges(data="weight"))
    other = teaching.programme_network(default_params, seed=5)
    assert (sorted(other.edges) != sorted(network.edges)
            or [other.nodes[n]["threshold"] for n in other] != [network.nodes[n]["threshold"] for n in network])


def test_programme_network_without_that_kind_raises(default_params):
    from bsc_sim import load_params

    only_hs = load_params(["cohort.n_programs=2", "cohort.frac_head_start=1.0"])
    with pytest.raises(ValueError, match="child_care"):
        teaching.programme_network(only_hs, seed=0, kind="child_care")


@pytest.mark.parametrize("strategy, roles", [
    ("director", ["director"]),
    ("leaders", ["director", "education_manager"]),
    ("teacher", ["teacher"]),
    ("classroom", ["lead_teacher", "assistant_teacher"]),
    ("two_teachers", ["teacher", "teacher"]),
])
def test_seed_staff_picks_the_right_people(network, strategy, roles):
    for s in range(10):
        seeds = teaching.seed_staff(network, strategy, np.random.default_rng(s))
        chosen = np.flatnonzero(seeds)
        got = sorted(network.nodes[n]["role"] for n in chosen)
        if "teacher" in roles:
            assert len(got) == len(roles) and all(r in teaching.TEACHERS for r in got)
        else:
            assert got == sorted(roles)
        rooms = {network.nodes[n]["classroom"] for n in chosen}
        if strategy == "classroom":
            assert len(rooms) == 1
        if strategy == "two_teachers":
            assert len(rooms) == 2


def test_unknown_names_are_rejected(network):
    with pytest.raises(ValueError):
        teaching.seed_staff(network, "janitor", np.random.default_rng(0))
    with pytest.raises(ValueError):
        teaching.spread_rule("viral")


def test_spread_rules_use_the_model_settings(default_params):
    s = default_params.spread
    assert teaching.spread_rule("simple", default_params) == {"threshold": 0.0, "min_sources": 1,
                                                              "p_threshold": s.p_threshold}
    cx = teaching.spread_rule("complex", default_params, threshold=0.3)
    assert cx == {"threshold": 0.3, "min_sources": s.min_sources, "p_threshold": s.p_threshold}
    model = teaching.spread_rule("model", default_params)
    assert model["threshold"] is None and model["q_imitation"] == s.q_imitation


# -- spread experiments ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def curves(default_params):
    return teaching.spread_in_programmes(default_params, strategies=("teacher", "classroom", "leaders"),
                                         rules=("simple", "complex"), n_reps=12, n_weeks=40, seed=3)


def test_spread_curves_are_tidy_and_monotone(curves):
    assert len(curves) == 12 * 3 * 2 * 41
    assert curves["frac_adopted"].between(0, 1).all()
    by_curve = curves.sort_values("week").groupby(["rep", "strategy", "rule"])["n_adopted"]
    assert by_curve.apply(lambda x: bool(np.all(np.diff(x.to_numpy()) >= 0))).all()  # adoption is permanent


def test_a_lone_teacher_cannot_start_complex_contagion(curves):
    """With two sources required and no spontaneous adoption, one first user stays alone."""
    lone = curves[(curves["strategy"] == "teacher") & (curves["rule"] == "complex")]
    assert (lone["n_adopted"] == 1).all()
    simple = curves[(curves["strategy"] == "teacher") & (curves["rule"] == "simple") & (curves["week"] == 40)]
    assert simple["frac_adopted"].mean() > 0.9


def test_leader_pair_spreads_complex_contagion_faster_than_one_classroom(curves):
    final = curves[(curves["rule"] == "complex") & (curves["week"] == 10)].groupby("strategy")["frac_adopted"].mean()
    assert final["leaders"] > final["classroom"] > final["teacher"]


def test_spread_is_reproducible(default_params, curves):
    again = teaching.spread_in_programmes(default_params, strategies=("teacher", "classroom", "leaders"),
                                          rules=("simple", "complex"), n_reps=12, n_weeks=40, seed=3)
    pd.testing.assert_frame_equal(again, curves)


def test_higher_thresholds_spread_less(default_params):
    sweep = teaching.threshold_sweep(default_params, thresholds=(0.1, 0.5), strategies=("classroom",), n_reps=15,
                                     n_weeks=52, seed=2)
    mean = sweep.groupby("threshold")["frac_adopted"].mean()
    assert mean[0.1] > 0.9 and mean[0.5] < 0.4
    assert sweep.loc[sweep["threshold"] == 0.1, "weeks_to_half"].notna().all()


def test_weeks_to_reach():
    curves = pd.DataFrame({"rep": [0] * 4 + [1] * 4, "week": [0, 1, 2, 3] * 2,
                           "frac_adopted": [0.1, 0.4, 0.6, 0.9, 0.1, 0.1, 0.2, 0.3]})
    out = teaching.weeks_to_reach(curves, 0.5, by=("rep",))
    assert out["weeks_to_reach"].iloc[0] == 2 and np.isnan(out["weeks_to_reach"].iloc[1])


def test_complex_contagion_reaches_further_on_the_lattice(default_params):
    """Centola & Macy: clustering helps complex contagion; shortcuts help simple contagion."""
    df = teaching.clustering_experiment(default_params, p_rewire=(0.0, 1.0), n_nodes=100, k=4, n_reps=15,
                                        n_steps=52, seed=4)
    final = df[df["step"] == 52].groupby(["rule", "p_rewire"])["frac_adopted"].mean()
    assert final["complex", 0.0] > final["complex", 1.0] + 0.05
    assert final["simple", 1.0] > final["simple", 0.0] + 0.2
    clustering = df.groupby("p_rewire")["clustering"].mean()
    assert clustering[0.0] == pytest.approx(0.5) and clustering[1.0] < 0.2


def test_neighbourhood_and_small_world():
    ring = teaching.small_world(20, 4, 0.0, seed=0)
    assert np.flatnonzero(teaching.neighbourhood(ring, 0)).tolist() == [0, 1, 2, 18, 19]


def test_draw_network_draws(network):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = teaching.draw_network(network, label="threshold", adopted=np.eye(network.number_of_nodes(), dtype=bool)[0])
    assert len(ax.collections) >= 2 and len(ax.texts) == network.number_of_nodes()
    plt.close("all")


# -- PDSA helpers ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def result(default_params):
    return run_sim(default_params, seed=0)


def test_decision_band(default_params):
    q = default_params.pdsa
    bands = teaching.decision_band([0.0, q.abandon_threshold, q.adopt_threshold - 1e-9, q.adopt_threshold, np.nan],
                                   default_params)
    assert bands.tolist() == ["abandon", "adapt", "adapt", "adopt or scale up", None]


def test_team_timeline_has_one_row_per_cycle_of_the_team(default_params, result):
    ev = result.events
    team = teaching.busiest_team(ev)
    counts = ev.groupby("program_id").size()
    assert counts[team] == counts.max()
    tl = teaching.team_timeline(ev, team, params=default_params)
    assert len(tl) == counts[team]
    assert tl["cycle"].tolist() == list(range(1, len(tl) + 1))
    assert sorted(tl["cycle_id"]) == sorted(ev.loc[ev["program_id"] == team, "cycle_id"])
    assert tl["week_start"].is_monotonic_increasing
    assert list(tl.columns) == list(teaching.TIMELINE_COLUMNS)
    # The model's misread flag is exactly "true and observed result in different bands".
    studied = tl[tl["decision"] != "fizzled"]
    assert (studied["misread"] == (studied["true_band"] != studied["observed_band"])).all()


def test_team_timeline_last_week(default_params, result):
    end = result.meta["end_week"]
    team = teaching.busiest_team(result.events, last_week=end)
    tl = teaching.team_timeline(result.events, team, last_week=end, params=default_params)
    ev = result.events
    assert len(tl) == ((ev["program_id"] == team) & (ev["week_decided"] <= end)).sum()
    assert (tl["week_decided"] <= end).all()


def test_plot_team_timeline_returns_a_figure(default_params, result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tl = teaching.team_timeline(result.events, teaching.busiest_team(result.events), params=default_params)
    fig = teaching.plot_team_timeline(tl, default_params, session_weeks=result.meta["session_weeks"], end_week=51)
    assert len(fig.axes) == 2
    plt.close(fig)


@pytest.fixture(scope="module")
def conditions():
    return teaching.run_conditions({"perfect data": ["pdsa.obs_noise_sd=0.0"], "noisy": ["pdsa.obs_noise_sd=0.7"]},
                                   seeds=range(4))


def test_run_conditions_tables(conditions):
    s, ev = conditions.summary, conditions.events
    assert len(s) == 8 and s.groupby("condition", observed=True).size().tolist() == [4, 4]
    assert set(ev["condition"].unique()) == {"perfect data", "noisy"}
    assert {"error", "true_band", "observed_band", "seed"} <= set(ev.columns)
    # The summary's misread share is recomputed from the log.
    for (cond, seed), grp in ev.groupby(["condition", "seed"], observed=True):
        studied = grp[grp["decision"] != "fizzled"]
        row = s[(s["condition"] == cond) & (s["seed"] == seed)].iloc[0]
        assert row["frac_pdsa_misread"] == pytest.approx(studied["misread"].mean())


def test_noise_causes_misreads(conditions):
    s = conditions.summary.groupby("condition", observed=True)[["frac_pdsa_misread", "mean_abs_error"]].mean()
    assert s.loc["perfect data", "frac_pdsa_misread"] == 0 and s.loc["perfect data", "mean_abs_error"] == 0
    assert s.loc["noisy", "frac_pdsa_misread"] > 0.1


def test_misread_crosstab(conditions):
    perfect = teaching.misread_crosstab(conditions.events[conditions.events["condition"] == "perfect data"])
    assert perfect.shape == (3, 3) and perfect.to_numpy().sum() == pytest.approx(1.0)
    assert np.trace(perfect.to_numpy()) == pytest.approx(1.0)  # perfect data: every reading is right
    noisy = teaching.misread_crosstab(conditions.events[conditions.events["condition"] == "noisy"], normalize=False)
    assert np.trace(noisy.to_numpy()) < noisy.to_numpy().sum()


def test_paired_differences(conditions):
    d = teaching.paired_differences(conditions.summary, "frac_pdsa_misread", baseline="perfect data")
    assert len(d) == 4 and (d["condition"] == "noisy").all()
    wide = conditions.summary.pivot(index="seed", columns="condition", values="frac_pdsa_misread")
    assert d["difference"].tolist() == pytest.approx((wide["noisy"] - wide["perfect data"]).tolist())
    with pytest.raises(ValueError):
        teaching.paired_differences(conditions.summary, "frac_pdsa_misread", baseline="nope")
