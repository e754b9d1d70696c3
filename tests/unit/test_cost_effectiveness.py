"""Known answers for cost-effectiveness: ICERs as ratios of pooled means, dominance, extended
dominance, net monetary benefit and the acceptability curve on constructed designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc_sim.analysis.cost_effectiveness import (
    acceptability,
    cost_breakdown,
    cost_effectiveness,
    efficiency_frontier,
    net_monetary_benefit,
    paired_increments,
    small_n_caution,
    switch_prices,
)


def _results(values: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    """A results table from (cost, classrooms sustained) per design and replicate."""
    rows = [{"design": d, "replicate": r, "cost_total": c, "n_classrooms_sustained_followup": e,
             "n_children_reached_end": 10 * e, "n_classrooms_reached_end": e + 1}
            for d, reps in values.items() for r, (c, e) in enumerate(reps)]
    return pd.DataFrame(rows)


# Reference A costs nothing; B, C, D, E are built so that, by mean cost and effect,
#   B: +100, +10  (ICER 10)           C: +300, +15 (ICER vs B 40)
#   D: +250, +12  (vs B 75 > C vs D 16.7: extendedly dominated)
#   E: +400, +14  (costs more than C and does less: dominated)
# Replicates differ, and the mean of per-replicate ratios differs from the ratio of means.
DESIGNS = {
    "A": [(0, 1), (0, 3)],
    "B": [(50, 1 + 2), (150, 3 + 18)],
    "C": [(300, 1 + 15), (300, 3 + 15)],
    "D": [(250, 1 + 12), (250, 3 + 12)],
    "E": [(400, 1 + 14), (400, 3 + 14)],
}


def test_the_frontier_drops_dominated_and_extendedly_dominated_designs():
    table = efficiency_frontier([0, 100, 300, 250, 400], [0, 10, 15, 12, 14], list("ABCDE")).set_index("name")
    assert table["status"].to_dict() == {"A": "frontier", "B": "frontier", "C": "frontier",
                                         "D": "ED", "E": "D"}
    assert np.isnan(table.loc["A", "icer_frontier"])
    assert table.loc["B", "icer_frontier"] == pytest.approx(10)
    assert table.loc["C", "icer_frontier"] == pytest.approx(200 / 5)  # against B, D being off the frontier
    assert table["icer_frontier"][["D", "E"]].isna().all()


def test_extended_dominance_is_repeated_until_the_icers_rise():
    # b (ICER 30) is extendedly dominated by a and c (ICER of c vs b: 10); once b is gone, c's ICER
    # vs a is 20 > d's vs c (20/2 = 10), so c goes too: two rounds.
    table = efficiency_frontier([0, 30, 40, 60], [0, 1, 2, 4], list("abcd")).set_index("name")
    assert table["status"].to_dict() == {"a": "frontier", "b": "ED", "c": "ED", "d": "frontier"}
    assert table.loc["d", "icer_frontier"] == pytest.approx(15)


def test_the_same_design_under_two_names_shares_its_place():
    table = efficiency_frontier([0, 10, 10, 30], [0, 2, 2, 3], ["ref", "x", "x again", "y"]).set_index("name")
    assert table["status"].tolist() == ["frontier"] * 4
    assert table["icer_frontier"].tolist()[1:] == pytest.approx([5, 5, 20])


def test_a_cheaper_design_that_does_more_dominates():
    table = efficiency_frontier([10, 5], [1, 2], ["costly", "cheap"]).set_index("name")
    assert table["status"].to_dict() == {"costly": "D", "cheap": "frontier"}


def test_icer_is_a_ratio_of_pooled_means_with_paired_increments():
    table = cost_effectiveness(_results(DESIGNS), "A", wtp=30).query("effect == 'classrooms_sustained'")
    table = table.set_index("design")
    assert table.loc["B", "inc_cost"] == pytest.approx(100) and table.loc["B", "inc_effect"] == pytest.approx(10)
    assert table.loc["B", "icer"] == pytest.approx(10)  # not the mean of per-replicate ratios (25 and 8.3)
    assert table.loc["B", "quadrant"] == "more effective, more costly"
    assert table["status"].to_dict() == {"A": "frontier", "B": "frontier", "C": "frontier",
                                         "D": "ED", "E": "D"}
    # The ICER shown is the sequential one: C against B, the next cheaper frontier design; against
    # the reference it is 300 / 15 = 20.
    assert table.loc["C", "icer"] == pytest.approx(40) and table.loc["C", "compared_with"] == "B"
    assert table.loc["C", "icer_reference"] == pytest.approx(20)
    assert table.loc["A", "quadrant"] == "reference" and np.isnan(table.loc["A", "icer"])
    # No ICER at all for a design off the frontier.
    assert table.loc[["D", "E"], ["icer", "icer_reference", "icer_ci_low", "icer_reference_ci_low"]].isna().all().all()
    # Effects are increments: the reference's classrooms (1 and 3 here) are not counted as bought.
    assert table.loc["A", "mean_effect"] == pytest.approx(2) and table.loc["A", "inc_effect"] == 0
    # C's increments are the same in every replicate, so every bootstrap resample gives the same ICER.
    assert table.loc["C", ["icer_reference_ci_low", "icer_reference_ci_high"]].tolist() == pytest.approx([20, 20])
    # B's two replicates give resampled ICERs of 25 (both first), 10 (one each) and 150/18.
    assert table.loc["B", "icer_ci_low"] == pytest.approx(150 / 18) and table.loc["B", "icer_ci_high"] == pytest.approx(25)
    # NMB at $30 per classroom: 30 * 10 - 100 = 200 for B, 30 * 15 - 300 = 150 for C.
    assert table.loc["B", "nmb"] == pytest.approx(200) and table.loc["C", "nmb"] == pytest.approx(150)
    assert table.loc["A", "nmb"] == 0
    # The other effects are tabulated too, without NMB (the wtp is per classroom sustained).
    children = cost_effectiveness(_results(DESIGNS), "A").query("effect == 'children_reached'").set_index("design")
    assert children.loc["B", "icer"] == pytest.approx(1) and children["nmb"].isna().all()


def test_an_effect_that_may_be_zero_gives_an_icer_interval_without_upper_bound():
    rng = np.random.default_rng(1)
    noisy = {"ref": [(0, 5)] * 30, "x": [(100, 5 + g) for g in rng.normal(0.3, 2.0, 30)]}
    row = cost_effectiveness(_results(noisy), "ref").query("effect == 'classrooms_sustained' and design == 'x'").iloc[0]
    assert row["inc_effect_ci_low"] < 0 < row["inc_effect_ci_high"]
    assert row["icer_ci_high"] == np.inf and 0 < row["icer_ci_low"] < row["icer"]


def test_dominated_and_dominant_designs_have_no_icer():
    table = cost_effectiveness(_results({"ref": [(50, 4), (50, 6)], "worse": [(80, 3), (80, 5)],
                                         "better": [(40, 6), (40, 8)]}), "ref").query("effect == 'classrooms_sustained'")
    table = table.set_index("design")
    assert table.loc["worse", "quadrant"] == "dominated" and np.isnan(table.loc["worse", "icer"])
    assert table.loc["better", "quadrant"] == "dominant" and np.isnan(table.loc["better", "icer"])
    assert table.loc["better", "status"] == "frontier" and table.loc["ref", "status"] == "D"


def test_net_monetary_benefit_and_acceptability_curve():
    assert net_monetary_benefit([100, 300], [10, 15], 30).tolist() == [200, 150]
    # Constant increments: B (ICER 10) is the best buy above $10 per classroom, C (40 vs B) above $40.
    results = _results({"A": [(0, 1)] * 4, "B": [(100, 11)] * 4, "C": [(300, 16)] * 4})
    curve = acceptability(results, [0, 5, 20, 39, 41, 100]).pivot(index="wtp", columns="design", values="prob_best")
    assert curve["A"].tolist() == [1, 1, 0, 0, 0, 0]
    assert curve["B"].tolist() == [0, 0, 1, 1, 0, 0]
    assert curve["C"].tolist() == [0, 0, 0, 0, 1, 1]
    # Per replicate: at $20, B beats A in the replicates where its NMB is positive (3 of 4).
    results = _results({"A": [(0, 0)] * 4, "B": [(100, 10), (100, 8), (100, 6), (100, 4)]})
    per_rep = acceptability(results, [20], method="replicates").set_index("design")["prob_best"]
    assert per_rep.to_dict() == {"A": 0.25, "B": 0.75}
    # ... and the probabilities over designs add up to one at every wtp.
    boot = acceptability(results, np.linspace(0, 50, 11))
    assert boot.groupby("wtp")["prob_best"].sum().tolist() == pytest.approx([1.0] * 11)


def test_paired_increments_subtract_the_reference_replicate_by_replicate():
    inc = paired_increments(_results(DESIGNS), "A", effects=["classrooms_sustained"])
    b = inc[inc["design"] == "B"]
    assert b["inc_cost"].tolist() == [50, 150] and b["inc_effect"].tolist() == [2, 18]
    assert (inc.loc[inc["design"] == "A", ["inc_cost", "inc_effect"]] == 0).all().all()


def test_cost_breakdown_gives_mean_cost_per_item_and_design():
    results = pd.DataFrame({"design": ["a", "a", "b", "b"], "replicate": [0, 1, 0, 1],
                            "cost_travel": [10.0, 30.0, 0.0, 0.0], "cost_coaching": [0.0, 0.0, 5.0, 7.0],
                            "cost_venue": [0.0] * 4})
    table = cost_breakdown(results).set_index(["design", "item"])["mean_cost"]
    assert table.to_dict() == {("a", "cost_travel"): 20.0, ("b", "cost_travel"): 0.0,
                               ("a", "cost_coaching"): 0.0, ("b", "cost_coaching"): 6.0}


def test_the_cost_breakdown_knows_every_cost_category_of_the_model():
    # a new cost item in the model must show in the breakdown (and so in the report)
    from bsc_sim.analysis.cost_effectiveness import COST_ITEMS
    from bsc_sim.model.costs import CATEGORIES

    assert set(COST_ITEMS) == {f"cost_{c}" for c in CATEGORIES}


def test_the_decision_table_is_sorted_by_cost_with_sequential_icers():
    table = cost_effectiveness(_results(DESIGNS), "A", wtp=30).query("effect == 'classrooms_sustained'")
    assert table["design"].tolist() == ["A", "B", "D", "C", "E"]  # mean cost 0, 100, 250, 300, 400
    assert table["mean_cost"].is_monotonic_increasing
    frontier = table[table["status"] == "frontier"]
    assert frontier["compared_with"].tolist()[1:] == ["A", "B"] and pd.isna(frontier["compared_with"].iloc[0])


def test_switch_prices_are_where_the_best_buy_changes():
    # Constant increments: B (ICER 10 against A) takes over at $10, C (40 against B) at $40.
    results = _results({"A": [(0, 1)] * 4, "B": [(100, 11)] * 4, "C": [(300, 16)] * 4, "X": [(350, 12)] * 4})
    table = cost_effectiveness(results, "A", wtp=20)
    switches = switch_prices(table)
    assert switches[["from", "to"]].values.tolist() == [["A", "B"], ["B", "C"]]
    assert switches["wtp"].tolist() == pytest.approx([10, 40])
    assert switches[["wtp_ci_low", "wtp_ci_high"]].to_numpy().ravel().tolist() == pytest.approx([10, 10, 40, 40])
    assert switches.attrs["best_at_zero"] == "A"
    # The acceptability curve says the same: the best buy on the means switches at those prices.
    curve = acceptability(results, [5, 15, 39, 41])
    optimal = curve[curve["optimal"]].set_index("wtp")["design"].to_dict()
    assert optimal == {5: "A", 15: "B", 39: "B", 41: "C"}
    assert curve.loc[curve["optimal"], "ceaf"].tolist() == curve.loc[curve["optimal"], "prob_best"].tolist()
    assert curve.loc[~curve["optimal"], "ceaf"].isna().all()


def test_a_dominance_on_the_means_that_the_draws_do_not_bear_out_is_not_clear():
    # twin costs $1 more than better and does 0.1 less on average, but by +2 in half the replicates
    # and -2.2 in the others: dominated on the means, yet in many resamples it does more.
    base = np.linspace(5, 15, 20)
    results = _results({"ref": [(0, 0)] * 20, "better": [(1000, b) for b in base],
                        "twin": [(1001, b + (2 if r % 2 else -2.2)) for r, b in enumerate(base)],
                        "waste": [(2000, 0)] * 20})
    table = cost_effectiveness(results, "ref").query("effect == 'classrooms_sustained'").set_index("design")
    assert table.loc["twin", "status"] == "D" and 0.05 < table.loc["twin", "p_dominated"] < 0.95
    assert not table.loc["twin", "clear"]
    assert np.isnan(table.loc["twin", "icer"])  # still no ICER: the decision is made on the means
    assert table.loc["waste", "status"] == "D" and table.loc["waste", "p_dominated"] == 1 and table.loc["waste", "clear"]


def test_few_replicates_come_with_a_caution():
    assert "only 2 paired replicates" in small_n_caution(2) and "100%" in small_n_caution(2)
    assert small_n_caution(10) == ""


def test_a_design_of_another_cohort_is_measured_against_business_as_usual_with_its_cohort():
    from bsc_sim.cost_effectiveness import what_budget_buys

    rows = []
    for r in range(4):  # "big" runs a cohort twice the size; "bau_big" is business as usual with it
        for design, cost, sustained, classrooms in (("bau", 0, 1, 10), ("small", 100, 4, 10),
                                                    ("bau_big", 0, 3, 20), ("big", 180, 9, 20)):
            rows.append({"design": design, "replicate": r, "cost_total": cost + (r if cost else 0), "n_classrooms_sustained_followup": sustained,
                         "n_children_reached_end": 15 * sustained, "n_classrooms_reached_end": sustained,
                         "n_classrooms": classrooms, "n_children": 15 * classrooms})
    results = pd.DataFrame(rows)
    pairs = {"big": "bau_big"}
    table = cost_effectiveness(results, "bau", pairs=pairs).query("effect == 'classrooms_sustained'").set_index("design")
    assert "bau_big" not in table.index  # a helper reference gets no row
    assert table.loc["big", "inc_effect"] == 6 and table.loc["big", "paired_with"] == "bau_big"  # 9 - 3, not 9 - 1
    assert table.loc["big", "same_cohort_share"] == 1 and table.loc["small", "paired_with"] == "bau"
    assert table.loc["big", "inc_effect_per_classroom"] == pytest.approx(6 / 20)
    assert table.loc["small", "inc_cost_per_child"] == pytest.approx(101.5 / 150)
    # Measured against the common reference instead, the big cohort's own spontaneous gains would be bought.
    unpaired = cost_effectiveness(results, "bau").query("effect == 'classrooms_sustained'").set_index("design")
    assert unpaired.loc["big", "inc_effect"] == 8 and unpaired.loc["big", "same_cohort_share"] == 0
    # What $1,000 buys of the small design: 1000 / 101.5 cohorts, each 3 extra classrooms of 15 children.
    bought = what_budget_buys(results, 1000, "bau", pairs=pairs).set_index("design")
    cohorts = 1000 / 101.5
    assert bought.loc["small", "cohorts"] == pytest.approx(cohorts)
    assert bought.loc["small", "extra_effect"] == pytest.approx(3 * cohorts)
    assert bought.loc["small", "children_in_extra_classrooms"] == pytest.approx(45 * cohorts)
    assert bought.loc["small", "n_classrooms"] == pytest.approx(10 * cohorts)
    assert bought.loc["small", "cohorts_ci_low"] <= cohorts <= bought.loc["small", "cohorts_ci_high"]
    assert np.isnan(bought.loc["bau"].get("cohorts", np.nan))  # costs nothing: no count
