"""``bsc-sim plan`` (issue 22): a state's schedule, yearly budget and chance, resumable; bad input.

The runs are a tiny state (90 programmes, two years) so the whole search takes seconds.
"""

import json

import pandas as pd
import pytest

from bsc_sim.analysis import plan as pl
from bsc_sim.analysis.plan import PlanSpec, plan, wilson
from bsc_sim.analysis.plan_cli import cmd_plan

TINY = ("system.n_programs=90", "system.n_regions=2")


def _spec(**kw):
    base = dict(target=0.10, by_year=2, trials=2, replications=2, overrides=TINY, draws="none",
                levers=("cohorts_per_wave", "faculty", "enrol_frac"))
    return PlanSpec(**{**base, **kw})


def test_wilson_interval_holds_the_share_and_narrows_with_more_worlds():
    lo, hi = wilson(4, 8)
    assert lo < 0.5 < hi
    lo2, hi2 = wilson(40, 80)
    assert lo < lo2 < 0.5 < hi2 < hi
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_plan_writes_plans_with_costs_and_chances_and_a_yearly_budget(tmp_path):
    out = tmp_path / "plan"
    result = plan(_spec(), out)
    plans = pd.read_csv(out / "plans.csv")
    for col in ("cohorts_per_wave", "faculty", "enrol_frac", "cost_total", "cost_per_year", "cost_peak_year",
                "chance_reached", "chance_reached_low", "chance_reached_high", "chance_sustained", "reached_vs_bau_mean"):
        assert col in plans, col
    assert len(plans) == 2 and plans["recommended"].sum() == 1
    assert (plans["chance_reached_low"] <= plans["chance_reached"]).all()
    assert (plans["chance_reached"] <= plans["chance_reached_high"]).all()
    budget = pd.read_csv(out / "budget_by_year.csv")
    assert len(budget) >= 2 and list(budget["year"][:2]) == [1, 2]
    # Every cohort is followed to its follow-up: the budget runs past year 2 whenever a cohort starts late.
    rec = plans[plans["recommended"]].iloc[0]
    assert budget["cost_total"].sum() == pytest.approx(rec["cost_total"], rel=1e-9)
    for col in ("faculty_needed_peak", "coaches_needed", "n_programs_enrolled_cum", "cost_faculty", "cost_travel"):
        assert col in budget, col
    assert (out / "plan.png").stat().st_size > 0
    info = json.loads((out / "plan.json").read_text())
    assert info["worlds"] == "none" and info["recommended"]["plan"] == rec["plan"]
    assert result.n_new == 2
    # bsc-sim report on the plan's out_dir: a page with the plan section (recommended plan, tables, figure).
    from bsc_sim.report import build_report

    html = build_report(out).read_text()
    assert 'id="plan"' in html and rec["plan"] in html and 'id="fig-plan"' in html


def test_an_unreachable_target_is_never_called_met(tmp_path):
    out = tmp_path / "plan"
    plan(_spec(target=0.99), out)
    plans = pd.read_csv(out / "plans.csv")
    assert not plans["meets_target"].any() and (plans["chance_reached"] == 0).all()
    assert plans["recommended"].sum() == 1  # the most likely, flagged as not meeting the target
    info = json.loads((out / "plan.json").read_text())
    assert info["recommended"]["chance_reached"] < info["confidence"]


def test_a_budget_keeps_the_recommendation_within_it(tmp_path):
    out = tmp_path / "plan"
    plan(_spec(budget_per_year=1.0), out)  # a dollar a year: nothing fits
    plans = pd.read_csv(out / "plans.csv")
    assert not plans["within_budget"].any() and not plans["recommended"].any()
    assert pd.read_csv(out / "budget_by_year.csv").empty


def test_resume_adds_only_the_missing_candidates_and_refuses_another_plan(tmp_path, capsys):
    out = tmp_path / "plan"
    plan(_spec(), out)
    first = pd.read_csv(out / "plans.csv").sort_values("trial").reset_index(drop=True)
    again = plan(_spec(trials=3), out)
    assert again.n_new == 1
    both = pd.read_csv(out / "plans.csv").sort_values("trial").reset_index(drop=True)
    pd.testing.assert_frame_equal(both.iloc[:2][first.columns.drop(["recommended", "cheapest_sustained"])],
                                  first[first.columns.drop(["recommended", "cheapest_sustained"])])
    assert cmd_plan(["target=0.2", "by_year=2", "trials=2", "replications=2", "draws=none", *TINY,
                     "levers=[cohorts_per_wave,faculty,enrol_frac]", f"out_dir={out}"]) == 2
    assert "another target" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "match"), [
    (["trials=1"], "target: required"),
    (["target=1.5"], "target = 1.5"),
    (["target=0.1", "by_year=0"], "by_year = 0"),
    (["target=0.1", "replications=0"], "replications = 0"),
    (["target=0.1", "budget_per_year=-5"], "budget_per_year = -5"),
    (["target=0.1", "levers=[bogus]"], "levers = 'bogus'"),
    (["target=0.1", "design=bsc"], "design = 'bsc': not a statewide design"),
    (["target=0.1", "system.horizon_weeks=104"], "system.horizon_weeks=104"),
    (["target=0.1", "system.cohort_size=10"], "system.cohort_size is a lever"),
    (["target=0.1", "draws=/nonexistent/draws.csv"], "file not found"),
    (["target=0.1", "over=maybe"], "over = 'maybe'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, args, match):
    out = tmp_path / "plan"
    assert cmd_plan([*args, f"out_dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err, err
    assert not out.exists()


def test_out_dir_holding_other_files_is_refused_and_left_alone(tmp_path, capsys):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cmd_plan(["target=0.1", f"out_dir={out}"]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_the_posterior_table_is_used_when_given_and_resampled_by_weight(tmp_path):
    table = tmp_path / "draws.csv"
    pd.DataFrame({"spread.p_spontaneous": [0.0002, 0.0010], "weight": [0.0, 1.0]}).to_csv(table, index=False)
    kind, worlds = pl.choose_worlds(_spec(draws=str(table), replications=3))
    assert kind == "table" and list(worlds["_row"]) == [1, 1, 1]  # the row of weight 0 is never drawn
    assert pl.world_values(kind, worlds, 0, 7) == {"spread.p_spontaneous": 0.0010}


def test_the_cluster_estimate_in_the_docs_is_the_measured_one():
    """docs/state-planning.md quotes benchmarks/plan_scaling.json through the benchmark's own formatter."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("plan_scaling", root / "benchmarks" / "plan_scaling.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = json.loads((root / "benchmarks" / "plan_scaling.json").read_text())
    assert bench.doc_block(data) in (root / "docs" / "state-planning.md").read_text()
    e = bench.estimate(data)
    assert e["runs"] == 40 * 8 + 8 and e["batch"] == 2 and e["minutes_low"] <= e["minutes_high"]


def test_a_target_over_business_as_usual_is_never_easier_than_the_share_reached(tmp_path):
    plain = plan(_spec(target=0.05), tmp_path / "plain").plans.set_index("trial")
    over = plan(_spec(target=0.05, over="bau"), tmp_path / "over").plans.set_index("trial")
    # The same candidates (same sampler seed, same first proposals), judged on the gain instead.
    assert list(plain.index) == list(over.index)
    assert (over["chance_reached"] <= plain.loc[over.index, "chance_reached"]).all()
    assert (over["goal_mean"] == over["reached_vs_bau_mean"]).all()
    assert (plain["goal_mean"] == plain["reached_mean"]).all()


def test_the_posterior_is_the_default_when_present_else_the_prior(tmp_path, monkeypatch):
    import shutil

    import bsc_sim.config as config

    real = config.config_dir()
    fake = tmp_path / "configs"
    (fake / "uncertainty").mkdir(parents=True)
    shutil.copy(real / "uncertainty" / "default.yaml", fake / "uncertainty" / "default.yaml")
    monkeypatch.setattr(config, "config_dir", lambda: fake)
    kind, worlds = pl.choose_worlds(_spec(draws=None))
    assert kind == "prior" and "system.cohort_size" not in worlds.keys
    (fake / "posterior").mkdir()
    pd.DataFrame({"sustain.lapse_weekly": [0.015, 0.02, 0.03], "weight": [0.2, 0.3, 0.5]}).to_csv(
        fake / "posterior" / "draws.csv", index=False)
    kind, worlds = pl.choose_worlds(_spec(draws=None, replications=4))
    assert kind == "posterior" and len(worlds) == 4 and set(worlds["_row"]) <= {0, 1, 2}
    assert pl.choose_worlds(_spec(draws="prior"))[0] == "prior"


def test_confirmation_reruns_the_recommended_plan_on_new_worlds(tmp_path, capsys):
    out = tmp_path / "plan"
    args = ["target=0.1", "by_year=2", "trials=2", "replications=2", "draws=prior", *TINY,
            "levers=[cohorts_per_wave,faculty,enrol_frac]", f"out_dir={out}"]
    assert cmd_plan([*args, "confirm=2"]) == 0
    assert "on 2 new worlds" in capsys.readouterr().out
    plans = pd.read_csv(out / "plans.csv")
    rec = plans[plans["recommended"]].iloc[0]
    assert rec["confirm_cost_total"] > 0 and 0 <= rec["confirm_chance_reached"] <= 1
    assert plans.loc[~(plans["recommended"] | plans["cheapest_sustained"]), "confirm_cost_total"].isna().all()
    # The yearly budget is the confirmation's: its costs add up to the confirmed total, not the search's.
    budget = pd.read_csv(out / "budget_by_year.csv")
    assert budget["cost_total"].sum() == pytest.approx(rec["confirm_cost_total"], rel=1e-9)
    assert rec["confirm_cost_total"] != rec["cost_total"]  # other worlds, other seeds
    info = json.loads((out / "plan.json").read_text())
    assert info["confirm"] == 2 and not set(info["confirm_seeds"]) & set(info["seeds"])
