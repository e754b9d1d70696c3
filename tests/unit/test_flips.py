"""flips: the chance one design beats another across drawn worlds, and the parameters that flip it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bsc_sim.flips import FLIP_COLUMNS, Flips, choose_pair, flip_sentences, flips, spearman, wilson_interval


def _table(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """Two designs on n worlds: A beats B exactly when ``key`` is below 0.5 (``dummy`` is noise)."""
    rng = np.random.default_rng(seed)
    key = rng.uniform(0, 1, n)
    dummy = rng.uniform(10, 20, n)
    noise = rng.normal(0, 0.1, n)
    b = 10 + noise
    a = b + np.where(key < 0.5, 2.0, -2.0) + rng.uniform(-0.5, 0.5, n)
    rows = [{"design": d, "replicate": r, "y": v[r], "key": key[r], "dummy": dummy[r]}
            for d, v in (("A", a), ("B", b)) for r in range(n)]
    return pd.DataFrame(rows).sample(frac=1, random_state=1)  # row order must not matter


def test_a_parameter_that_sets_the_sign_is_found_and_flagged_and_a_dummy_is_not():
    t = _table()
    f = flips(t, "A", "B", "y", ["dummy", "key"])
    truth = float(np.mean(t[t.design == "A"].sort_values("replicate")["key"].to_numpy() < 0.5))
    assert f.p_a_ahead == pytest.approx(truth)
    assert f.p_ci[0] < f.p_a_ahead < f.p_ci[1]
    assert list(f.parameters["parameter"]) == ["key", "dummy"]  # sorted by the gap
    key = f.parameters.iloc[0]
    assert key["flips"] and key["p_a_ahead_low"] > 0.8 and key["p_a_ahead_high"] < 0.2
    assert key["spearman"] < -0.7
    dummy = f.parameters.iloc[1]
    assert not dummy["flips"] and abs(dummy["spearman"]) < 0.5
    # swapping the designs mirrors the answer
    g = flips(t, "B", "A", "y", ["key"])
    assert g.p_a_ahead == pytest.approx(1 - f.p_a_ahead)
    assert g.mean_diff == pytest.approx(-f.mean_diff)


def test_one_design_always_ahead_flags_nothing_and_the_interval_excludes_a_coin_toss():
    t = _table()
    t.loc[t.design == "A", "y"] += 10
    f = flips(t, "A", "B", "y", ["key", "dummy"])
    assert f.p_a_ahead == 1.0 and f.p_ci[0] > 0.5
    assert f.diff_ci[0] > 0 and not f.parameters["flips"].any()


def test_ties_count_half_and_the_table_has_its_columns():
    t = pd.DataFrame({"design": ["A"] * 4 + ["B"] * 4, "replicate": list(range(4)) * 2,
                      "y": [1, 2, 3, 4, 1, 1, 5, 5], "k": [0.1, 0.2, 0.8, 0.9] * 2})
    f = flips(t, "A", "B", "y", ["k", "not_drawn"])
    assert f.ties == 1 and f.a_ahead == 1.5 and f.p_a_ahead == pytest.approx(0.375)
    assert list(f.parameters["parameter"]) == ["k"]  # a key absent from the table is skipped
    table = f.table()
    assert tuple(table.columns) == FLIP_COLUMNS and len(table) == 1
    assert table["p_a_ahead_low"].iloc[0] == pytest.approx(0.75) and table["p_a_ahead_high"].iloc[0] == 0.0
    assert bool(table["flips"].iloc[0])


def test_missing_design_or_effect_is_refused():
    t = _table(6)
    with pytest.raises(ValueError, match="design 'C'"):
        flips(t, "A", "C", "y", [])
    with pytest.raises(ValueError, match="effect column"):
        flips(t, "A", "B", "nope", [])


def test_wilson_and_spearman():
    lo, hi = wilson_interval(9, 12)
    assert lo == pytest.approx(0.4677, abs=1e-3) and hi == pytest.approx(0.9111, abs=1e-3)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert spearman(np.arange(5), np.arange(5) ** 3) == pytest.approx(1.0)
    assert np.isnan(spearman(np.ones(5), np.arange(5)))


def test_choose_pair_prefers_bsc_against_coach_else_the_two_likeliest_best():
    assert choose_pair(["business_as_usual", "coach", "bsc"], {"coach": 0.9}) == ("bsc", "coach")
    assert choose_pair(["x", "y", "z"], {"x": 0.1, "y": 0.3, "z": 0.6}) == ("z", "y")
    assert choose_pair(["x"], {}) is None


def test_sentences_name_the_flipping_parameter():
    f = flips(_table(), "A", "B", "y", ["dummy", "key"])
    lines = flip_sentences(f, "sustains more classrooms than")
    assert lines[0].startswith("A sustains more classrooms than B in ")
    assert any("key flips it" in s for s in lines) and not any("dummy" in s for s in lines)


def test_sentences_count_the_flips_and_caution_about_few_worlds():
    f = flips(_table(12), "A", "B", "y", ["key", "dummy"])
    lines = flip_sentences(f, "sustains more classrooms than")
    count = [s for s in lines if "drawn parameters flip it" in s]
    assert count and count[0].startswith(f"{int(f.parameters['flips'].sum())} of 2 ") and "may be chance" in count[0]
    many = flip_sentences(flips(_table(80), "A", "B", "y", ["key", "dummy"]), "x")
    assert not any("may be chance" in s for s in many)


def test_compare_with_drawn_worlds_writes_flips_and_says_who_is_ahead(tmp_path, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    args = ["designs=bsc,coach", "replications=6", "cohort.n_programs=3", "followup_weeks=4", "executor=serial",
            "progress=false"]
    assert cmd_compare([*args, "uncertainty=parameters", f"out_dir={tmp_path / 'drawn'}"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "drawn" / "flips.csv")
    assert tuple(table.columns) == FLIP_COLUMNS
    best = pd.read_csv(tmp_path / "drawn" / "best.csv")
    on_effect = best[best["measure"] == "n_classrooms_sustained_followup"].set_index("design")["prob_best"]
    assert set(on_effect.index) == {"business_as_usual", "bsc", "coach"} and on_effect.sum() == pytest.approx(1)
    leader = on_effect.idxmax()
    pairs = list(dict.fromkeys(zip(table["design_a"], table["design_b"])))
    # the leader against each other design (runner-up first), and bsc against coach whoever leads
    assert {a for a, _ in pairs[:2]} == {leader} and {b for _, b in pairs[:2]} == set(on_effect.index) - {leader}
    assert on_effect[pairs[0][1]] >= on_effect[pairs[1][1]]
    assert {("bsc", "coach"), ("coach", "bsc")} & set(pairs)
    assert set(table["n_worlds"]) == {6} and table["p_a_ahead"].between(0, 1).all()
    first = table[(table["design_a"] == pairs[0][0]) & (table["design_b"] == pairs[0][1])]
    assert first["gap"].is_monotonic_decreasing and "turnover.annual_rate_mean" in set(first["parameter"])
    bc = table[table["design_a"].isin(["bsc", "coach"]) & table["design_b"].isin(["bsc", "coach"])].iloc[0]
    ahead = bc["a_ahead"]
    assert f"{bc['design_a']} sustains more classrooms than {bc['design_b']} in {ahead:g} of 6 worlds" in printed
    assert "Chance that each design is best, over 6 replicates (each replicate one drawn world (the prior" in printed
    assert "seed noise only" not in printed
    from bsc_sim.report.build import build_report

    html = build_report(tmp_path / "drawn").read_text()
    assert '<p id="flips">' in html
    from bsc_sim.palette import design_label

    assert f"sustains more classrooms than {design_label(bc['design_b'])} in {ahead:g} of 6 worlds" in html
    assert "the chance that each design gives the most classrooms sustained is" in html
    # seed noise only: no flips.csv, and the console says what the intervals reflect
    assert cmd_compare([*args, "uncertainty=none", f"out_dir={tmp_path / 'seed'}"]) == 0
    printed = capsys.readouterr().out
    assert not (tmp_path / "seed" / "flips.csv").exists()
    assert "sustains more classrooms" not in printed and "intervals show seed noise only" in printed
    assert "no parameter uncertainty was included" in printed
    assert set(pd.read_csv(tmp_path / "seed" / "best.csv")["uncertainty"]) == {"none"}
    notes = set(pd.read_csv(tmp_path / "seed" / "comparison.csv")["intervals"])
    assert notes == {"seed noise only (no parameter uncertainty included)"}


def test_the_answer_survives_its_csv(tmp_path):
    f = flips(_table(), "A", "B", "y", ["dummy", "key"])
    f.table().to_csv(tmp_path / "flips.csv", index=False)
    g = Flips.from_table(pd.read_csv(tmp_path / "flips.csv"))
    assert flip_sentences(g, "v") == flip_sentences(f, "v")


def test_compare_with_a_draws_table_flips_on_its_columns(tmp_path, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    draws = tmp_path / "draws.csv"
    pd.DataFrame({"turnover.annual_rate_mean": [0.2, 0.3, 0.4, 0.25, 0.35, 0.45]}).to_csv(draws, index=False)
    assert cmd_compare(["designs=bsc,coach", "replications=6", "cohort.n_programs=3", "followup_weeks=4",
                        "executor=serial", "progress=false", f"uncertainty={draws}", f"out_dir={tmp_path / 'o'}"]) == 0
    table = pd.read_csv(tmp_path / "o" / "flips.csv")
    assert set(table["parameter"]) == {"turnover.annual_rate_mean"}
    assert table["split_at"].iloc[0] == pytest.approx(0.325) and table[["n_low", "n_high"]].iloc[0].tolist() == [3, 3]
    assert "sustains more classrooms than coach" in capsys.readouterr().out


def test_chance_best_shares_ties_and_the_pairs_start_with_the_top_two():
    from bsc_sim.flips import chance_best, ranking_pairs

    results = pd.DataFrame({"design": ["a", "b", "c"] * 4, "replicate": np.repeat(range(4), 3),
                            "y": [3, 1, 0, 3, 1, 0, 1, 2, 0, 2, 2, 0]})
    probs, n = chance_best(results, ["a", "b", "c"], "y")
    assert n == 4 and probs == pytest.approx({"a": 0.625, "b": 0.375, "c": 0.0})
    assert ranking_pairs(["c", "b", "a"], probs) == [("a", "b"), ("a", "c")]
    assert ranking_pairs(["x", "bsc", "coach"], {"x": 0.6, "bsc": 0.1, "coach": 0.3}) == [
        ("x", "coach"), ("x", "bsc"), ("bsc", "coach")]
    assert ranking_pairs(["x"], {"x": 1.0}) == []


def test_every_pair_survives_flips_csv(tmp_path):
    from bsc_sim.flips import all_from_table

    t = _table()
    t2 = t.copy()
    t2["design"] = t2["design"].map({"A": "C", "B": "B"})
    both = pd.concat([t, t2[t2["design"] == "C"]])
    found = [flips(both, "A", "B", "y", ["key"]), flips(both, "A", "C", "y", ["key"])]
    pd.concat([f.table() for f in found]).to_csv(tmp_path / "flips.csv", index=False)
    back = all_from_table(pd.read_csv(tmp_path / "flips.csv"))
    assert [(f.design_a, f.design_b) for f in back] == [("A", "B"), ("A", "C")]
    assert [flip_sentences(f, "v") for f in back] == [flip_sentences(f, "v") for f in found]
