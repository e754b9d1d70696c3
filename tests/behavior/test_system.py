"""The statewide system (issues 11, 22): regions, cohorts in waves, faculty capacity, FCC homes, costs, follow-up."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from bsc_sim import ParamError, load_params, run_sim
from bsc_sim.cli import enrolment_warning, main
from bsc_sim.model import BSCModel
from bsc_sim.model.outcomes import cohort_followup_weeks, coverage, state_readings, summarize, years_table
from bsc_sim.model.population import FAMILY_CHILD_CARE, LEAD_TEACHER
from bsc_sim.model.system import build_schedule, enrolment_target, state_weeks

# A system of one region and one cohort of today's eight programmes (4 HS + 4 centres), open
# enrolment, over today's horizon, without the system's own cost items.
ONE_COHORT = ["system.enabled=true", "system.n_programs=8", "system.frac_head_start=0.5",
              "system.frac_family_child_care=0", "system.n_regions=1", "system.cohort_size=8", "system.enrol_frac=1",
              "system.horizon_weeks=104", "costs.n_faculty=6", "system.region_coordination_weekly=0",
              "system.faculty_travel_per_session=0"]
SMALL_STATE = ["design=statewide", "system.n_programs=240", "system.horizon_weeks=104"]
# Two regions of 120 programmes, half of them enrolling: five cohorts of 12 per region, two a wave.
BUSY_STATE = [*SMALL_STATE, "system.n_regions=2", "system.enrol_frac=0.5"]


def _same(a: float, b: float) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("seed", [1, 5])
def test_a_one_cohort_system_gives_the_results_of_the_bsc_design(seed):
    bsc, system = run_sim(load_params([]), seed), run_sim(load_params(ONE_COHORT), seed)
    differ = [k for k in bsc.summary if not _same(bsc.summary[k], system.summary[k])]
    assert differ == []
    assert bsc.timeseries.equals(system.timeseries) and bsc.events.equals(system.events)
    assert bsc.costs.equals(system.costs)


def test_the_one_cohort_comparison_can_fail():
    # The same system with its cohort starting a week late is a different run, and the check sees it.
    bsc, late = run_sim(load_params([]), 1).summary, run_sim(load_params([*ONE_COHORT, "system.first_wave_week=1"]), 1).summary
    assert [k for k in bsc if not _same(bsc[k], late[k])]


def _cohort_costs(summary: dict) -> float:
    return summary["cost_venue"] + summary["cost_faculty"] + summary["cost_community_meeting"]


def test_costs_grow_with_the_number_of_cohorts_and_of_regions():
    few = run_sim(load_params([*SMALL_STATE, "system.cohort_size=15"]), 3).summary
    many = run_sim(load_params([*SMALL_STATE, "system.cohort_size=8"]), 3).summary
    assert many["n_cohorts"] > few["n_cohorts"]
    assert _cohort_costs(many) > _cohort_costs(few) and many["cost_total"] > few["cost_total"]
    one_region = run_sim(load_params([*SMALL_STATE, "system.n_regions=1"]), 3).summary
    six_regions = run_sim(load_params([*SMALL_STATE, "system.n_regions=6"]), 3).summary
    assert six_regions["cost_coordination"] > one_region["cost_coordination"] > 0
    assert six_regions["cost_total"] > one_region["cost_total"]


def test_training_new_faculty_costs_money_and_time():
    params = load_params([*BUSY_STATE, "system.faculty_per_region=2", "system.cohorts_per_faculty=1",
                          "system.new_faculty_per_region=2", "system.faculty_training_weeks=30"])
    model = BSCModel(params, seed=2, create_agents=False)
    assert model.ledger.table[0, 11] == 2 * 2 * params.system.faculty_training_cost  # two a region, two regions
    sch = model.schedule
    # New faculty add capacity only once trained: some cohort waits for week 30 exactly.
    assert (sch.cohort_start == 30).any() and (sch.cohort_planned < 30)[sch.cohort_start == 30].all()


def test_a_capacity_limit_delays_waves_and_is_never_exceeded():
    wide = load_params([*BUSY_STATE, "system.faculty_per_region=6"])
    narrow = load_params([*BUSY_STATE, "system.faculty_per_region=2", "system.cohorts_per_faculty=1"])  # one at a time
    runs = {}
    for name, params in (("wide", wide), ("narrow", narrow)):
        model = BSCModel(params, seed=4, create_agents=False)
        runs[name] = model.schedule
    assert (runs["wide"].cohort_start == runs["wide"].cohort_planned).all()
    delay = runs["narrow"].cohort_start - runs["narrow"].cohort_planned
    assert (delay >= 0).all() and (delay > 0).any()
    sch, busy = runs["narrow"], 52  # the collaborative holds its faculty for its 52 weeks
    for r in range(sch.n_regions):
        starts = np.sort(sch.cohort_start[sch.cohort_region == r])
        for w in range(104):
            assert ((starts <= w) & (w < starts + busy)).sum() <= 1
    # Delayed waves enrol programmes later: fewer enrolled at the end of year one.
    cov = {name: coverage(run_sim(p, 4).regions) for name, p in (("wide", wide), ("narrow", narrow))}
    year1 = {name: c.loc[c["week"] == 51, "n_programs_enrolled"].item() for name, c in cov.items()}
    assert year1["narrow"] < year1["wide"]


def test_family_child_care_homes_have_one_provider_and_no_hierarchy():
    model = BSCModel(load_params([*SMALL_STATE, "system.frac_family_child_care=0.6"]), seed=1, create_agents=False)
    pop = model.pop
    fcc = np.flatnonzero(pop.programs.kind == FAMILY_CHILD_CARE)
    assert len(fcc) == round(0.6 * 240)
    posts = np.bincount(pop.staff.program, minlength=pop.n_programs)
    assert (posts[fcc] == 1).all() and (pop.programs.n_classrooms[fcc] == 1).all()
    provider = np.isin(pop.staff.program, fcc)
    assert (pop.staff.role[provider] == LEAD_TEACHER).all()
    assert (pop.staff_network.links[provider].sum(axis=1) == 0).all()            # no ties within the home
    children = np.bincount(pop.families.program, minlength=pop.n_programs)
    assert (children[fcc] == model.params.program.children_per_family_child_care).all()
    # Centres keep their hierarchy.
    assert (posts[pop.programs.kind != FAMILY_CHILD_CARE] > 1).all()


def test_only_enrolled_programmes_get_supports_and_tables_add_up():
    result = run_sim(load_params(SMALL_STATE), 6)
    s, reg = result.summary, result.regions
    assert 0 < s["n_programs_enrolled"] < s["n_programs"]
    assert reg["cost_usd"].sum() == pytest.approx(s["cost_total"], rel=1e-9)
    last = reg[reg["quarter"] == reg["quarter"].max()]
    assert last["n_programs"].sum() == s["n_programs"] and last["n_programs_enrolled"].sum() == s["n_programs_enrolled"]
    # Programmes that never enrol (wave -1 of a region) cost nothing and gain no supports.
    assert reg.loc[(reg["wave"] == -1) & (reg["region"] >= 0), "cost_usd"].sum() == 0
    assert {"region", "wave", "quarter", "n_classrooms_reached", "n_classrooms_sustained", "n_children_reached",
            "cost_usd"} <= set(reg.columns)


def test_the_schedule_fills_cohorts_in_readiness_order():
    params = load_params([*SMALL_STATE, "system.selection=readiness", "system.enrol_frac=0.5"])
    model = BSCModel(params, seed=3, create_agents=False)
    sch, ready = model.schedule, model.initial_readiness["composite"]
    for r in range(sch.n_regions):
        mine = sch.program_region == r
        inn, out = ready[mine & (sch.program_cohort >= 0)], ready[mine & (sch.program_cohort < 0)]
        assert inn.min() >= out.max()
        first = sch.program_cohort[mine & (sch.program_cohort >= 0)]
        # The first cohort of a region holds its most ready programmes.
        k0 = first.min()
        assert ready[sch.program_cohort == k0].min() >= ready[mine & (sch.program_cohort > k0)].max()


def test_same_seed_same_state_and_build_schedule_uses_its_own_stream():
    a, b = (run_sim(load_params(SMALL_STATE), 9) for _ in range(2))
    assert a.regions.equals(b.regions) and all(_same(a.summary[k], b.summary[k]) for k in a.summary)
    model = BSCModel(load_params(SMALL_STATE), seed=9, create_agents=False)
    again = build_schedule(model.params, model.pop, model.schedule.template, np.random.default_rng(123))
    assert again.n_cohorts == model.schedule.n_cohorts   # same sizes, whatever the stream


@pytest.mark.parametrize(("override", "fragment"), [
    ("system.cohort_size=0", "system.cohort_size = 0"),
    ("costs.n_faculty=7", "costs.n_faculty = 7: more faculty per cohort than a region has"),
    ("system.first_wave_week=-1", "system.first_wave_week = -1"),
    ("system.n_regions=0", "system.n_regions = 0"),
])
def test_bad_system_parameters_one_line_error_exit_2_nothing_written(tmp_path, capsys, override, fragment):
    with pytest.raises(ParamError, match=fragment.split(":")[0].replace(".", r"\.")):
        load_params(["design=statewide", override])
    out = tmp_path / "never"
    assert main(["run", "design=statewide", override, f"out_dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_very_large_single_cohort_draws_ties_from_a_pool_between_programmes():
    # 200 programmes x ~4 seats: the first session has more than 512 attendees (the pooled draw).
    model = BSCModel(load_params(["cohort.n_programs=200"]), seed=2, create_agents=False)
    while model.week <= 6:
        model.step()
    ties = model.pop.ties
    attended = (model.pop.staff.reinforced_week[ties.slots] == 6).sum()
    assert attended > 512
    assert (ties.program[ties.a] != ties.program[ties.b]).all() and (ties.a < ties.b).all()
    # About session_new_ties (2) new ties per attendee, each pair counted once: between 0.5 and 2 per attendee.
    assert 0.5 * attended < ties.n_formed < 2.0 * attended


# -- issue 22: every cohort followed, enrolment against its target, costs by year, rural travel ----------------------

def test_every_cohort_is_followed_to_its_own_follow_up_and_the_state_reads_it_so():
    params = load_params([*SMALL_STATE, "system.n_regions=2", "system.cohorts_per_wave=1", "system.wave_interval_weeks=26"])
    model = BSCModel(params, seed=2, create_agents=False).run()
    s, extra = summarize(model), state_readings(model)
    last_start = int(model.schedule.cohort_start.max())
    assert last_start > 0 and model.calendar.horizon == last_start + params.calendar_weeks > params.horizon_weeks
    assert extra["frac_classrooms_followup_observed"] == 1.0 and extra["n_weeks_simulated"] == model.calendar.horizon
    assert model.calendar.end_week < model.calendar.followup_week  # follow-up differs from the end
    # "Sustained" counts each classroom from its cohort's end to its cohort's follow-up, as for one collaborative.
    fu = cohort_followup_weeks(model)
    rec = model.components["measure"]
    ok = fu < rec.H
    assert s["n_classrooms_sustained_followup"] == rec.n_rooms_sustained[fu[ok], np.flatnonzero(ok)].sum()
    # Cut off at the horizon instead, later cohorts' follow-ups go unseen.
    cut = BSCModel(load_params([*SMALL_STATE, "system.n_regions=2", "system.cohorts_per_wave=1",
                                "system.follow_every_cohort=false"]), seed=2, create_agents=False).run()
    assert cut.calendar.horizon == params.horizon_weeks and state_readings(cut)["frac_classrooms_followup_observed"] < 1


def test_enrolment_short_of_enrol_frac_is_reported(tmp_path, capsys):
    short_params = load_params([*SMALL_STATE, "system.enrol_frac=0.9", "system.cohorts_per_wave=1",
                                "system.wave_interval_weeks=52"])
    short = BSCModel(short_params, seed=1, create_agents=False).run()
    extra = state_readings(short)
    assert extra["n_programs_enrol_shortfall"] > 0 and extra["n_programs_enrol_target"] == enrolment_target(short_params)
    assert summarize(short)["frac_programs_enrolled"] < extra["frac_programs_enrol_target"] == pytest.approx(0.9, abs=0.01)
    assert main(["run", *SMALL_STATE, "system.enrol_frac=0.9", "system.cohorts_per_wave=1",
                 "system.wave_interval_weeks=52", "seed=1", f"out_dir={tmp_path / 'short'}"]) == 0
    assert "warning: the schedule enrols" in capsys.readouterr().out
    # The run also writes the year-by-year table, whose costs add up to the run's total.
    years = pd.read_csv(tmp_path / "short" / "years.csv")
    summary = json.loads((tmp_path / "short" / "summary.json").read_text())
    assert years["cost_total"].sum() == pytest.approx(summary["cost_total"])
    assert years["n_programs_enrolled_cum"].iloc[-1] == summary["n_programs_enrolled"]
    full = BSCModel(load_params(SMALL_STATE), seed=1, create_agents=False).run()
    assert state_readings(full)["n_programs_enrol_shortfall"] == 0
    assert enrolment_warning(summarize(full), enrolment_target(load_params(SMALL_STATE))) == ""


def test_yearly_costs_add_up_to_the_total_and_rural_regions_pay_more_travel():
    params = load_params([*SMALL_STATE, "system.n_regions=2"])
    model = BSCModel(params, seed=1, create_agents=False).run()
    years = years_table(model)
    assert years["cost_total"].sum() == pytest.approx(model.ledger.table.sum())
    assert len(years) == -(-model.calendar.horizon // 52) and (years["faculty_needed_peak"] <= years["faculty_available"]).all()
    assert model.schedule.region_names == ("Western", "Central")
    flat = BSCModel(load_params([*SMALL_STATE, "system.n_regions=2", "system.rural_regions=Central"]), seed=1,
                    create_agents=False).run()
    both = BSCModel(load_params([*SMALL_STATE, "system.n_regions=2", "system.rural_regions=Western/Central"]), seed=1,
                    create_agents=False).run()
    travel = lambda m: m.ledger.totals()["cost_travel"]  # noqa: E731
    assert travel(flat) < travel(both)
    assert summarize(flat)["n_classrooms_reached_end"] == summarize(both)["n_classrooms_reached_end"]  # costs only


def test_limited_coaches_delay_cohorts_until_hired_coaches_are_ready():
    coached = [*BUSY_STATE, "coaching.enabled=true"]
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    from bsc_sim.model.calendar import build_calendar
    from bsc_sim.model.population import build_population

    def delays(extra):
        params = load_params([*coached, *extra])
        pop = build_population(params, rng())
        sch = build_schedule(params, pop, build_calendar(params), rng())
        return sch.cohort_start - sch.cohort_planned

    free = delays([])                                          # coaches not limited: faculty decide
    one = delays(["system.coaches_per_region=1"])               # 28.8 h a week: one cohort's 18 h at a time
    hired = delays(["system.coaches_per_region=1", "system.new_coaches_per_region=2", "system.coach_hiring_weeks=13"])
    assert (free == 0).all() and (one > 0).any()
    # One coach a region starts fewer cohorts within the horizon (the rest never start) and later.
    assert len(one) < len(free) and len(one) <= len(hired) and hired.mean() < one.mean()
    with pytest.raises(ParamError, match="system.coaches_per_region = 1"):   # too few for even one cohort
        load_params([*coached, "system.coaches_per_region=1", "system.cohort_size=40", "coaching.hours_per_visit=8"])


@pytest.mark.parametrize("extra", [[], ["system.n_regions=2", "system.cohorts_per_wave=1"],
                                   ["system.n_regions=2", "system.faculty_per_region=2", "system.cohorts_per_faculty=1"],
                                   ["system.follow_every_cohort=false"]])
def test_the_weeks_a_state_simulates_follow_from_its_parameters_alone(extra):
    params = load_params([*SMALL_STATE, *extra])
    assert state_weeks(params) == BSCModel(params, seed=3, create_agents=False).calendar.horizon
