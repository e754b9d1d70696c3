"""What a finished run reports: the ``summary`` dict, the IHI-style progress score,
and the per-programme and PDSA-event tables (the weekly tables come from the measure phase).

"End" is the last week of the collaborative (its congress week; ``collaborative.duration_weeks``
- 1, used for every design so designs compare at the same time); "follow-up" is ``followup_weeks``
later (the last simulated week, unless the calendar runs on to observe a lag). "Baseline" is
measured at the end of week 0. A classroom is *sustained* when it is reached both at the end and at
follow-up (``frac_classrooms_sustained_followup``); the share reached at follow-up regardless of the
end is ``frac_classrooms_reached_followup``. Classrooms *using* a practice use one at any fidelity.

Fixed calendar weeks flatter a design whose supports are still recent; the ``*_lag`` outcomes read
every classroom ``lag_weeks`` after its own programme's supports ended (measure module), so each
design is read at the same distance from its own supports. Costs are summed to the follow-up week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pdsa import DECISIONS, EVENT_COLUMNS
from .population import KIND_NAMES, LEVELS, local_fit
from .system import NEVER, busy_weeks


def progress_scores(rec, end: int, cycles_by_program: np.ndarray, embedded_any: np.ndarray, pp) -> np.ndarray:
    """IHI/API-style 1-5 team assessment at the end of the collaborative [ihi2003].

    1 = no activity; 2 = PDSA cycles logged or some gain below "modest"; 3 = modest gain in classroom reach;
    4 = significant gain; 5 = significant gain, high reach and an embedded practice (spread and
    routinised). Gains are changes in the share of classrooms reached since week 0.
    """
    reach0 = rec.n_rooms_reached[0] / rec.n_rooms
    reach = rec.n_rooms_reached[end] / rec.n_rooms
    gain = reach - reach0
    score = np.ones(len(gain), dtype=np.int64)
    score[(cycles_by_program > 0) | (gain > 0)] = 2
    score[gain >= pp.modest] = 3
    score[gain >= pp.significant] = 4
    score[(gain >= pp.significant) & (reach >= pp.outstanding_reach) & embedded_any] = 5
    return score


def _share(num, den) -> float:
    return float(num / den) if den > 0 else float("nan")


def summarize(model) -> dict[str, float]:
    """The flat dict of scalar outcomes of one run.

    When the calendar runs past the follow-up week to observe late lag readings, every outcome but
    the lag readings is the one computed at the follow-up week (``model.followup_summary``), so the
    extra weeks change nothing else (counts, costs, ties, departures are those up to follow-up).
    """
    if getattr(model, "followup_summary", None) is not None and model.week > model.calendar.followup_week:
        return {**model.followup_summary, **lag_summary(model)}
    rec, p = model.components["measure"], model.params
    end, last = model.calendar.end_week, rec.followup_week
    pdsa = model.components["pdsa"]
    ev = pdsa.events
    n_cycles = len(ev)
    studied = [e for e in ev if e[13] != "fizzled"]
    rooms = rec.n_rooms.sum()
    reach = lambda w: float(rec.n_rooms_reached[w].sum() / rooms)  # noqa: E731
    using = lambda w: float(rec.n_rooms_using[w].sum() / rooms)  # noqa: E731
    reach0, reach_end, reach_fu = reach(0), reach(end), reach(last)
    gain_end = rec.n_rooms_reached[end] / rec.n_rooms - rec.n_rooms_reached[0] / rec.n_rooms
    gain_fu = rec.n_rooms_reached[last] / rec.n_rooms - rec.n_rooms_reached[0] / rec.n_rooms
    st = model.pop.staff
    # Sustained: reached when the collaborative ended and still reached at the end of follow-up.
    # In a statewide system each classroom counts from its own cohort's end to its own cohort's
    # follow-up (followup_weeks later), as in one collaborative (issue 22).
    if p.system.enabled:
        sustained_rooms = float(cohort_followup_sustained(model)[0])
    else:
        sustained_rooms = float((rec.reached_at_cohort_end & rec.reached_at_followup).sum())
    # Programmes that improved by the end, and of them those that kept at least half of the
    # classrooms they gained (reached at the end, not at baseline) until the end of follow-up.
    room_prog, M = model.pop.classroom_program, rec.M
    gained = np.bincount(room_prog, weights=rec.reached_at_end & ~rec.reached_at_start, minlength=M)
    kept = np.bincount(room_prog, weights=rec.reached_at_end & ~rec.reached_at_start & rec.reached_at_followup,
                       minlength=M)
    improved = gain_end >= p.progress.modest
    fit = local_fit(p, model.pop)  # at the end of the run
    family = model.pop.practice_level == LEVELS.index("family")
    ev_studied = [e for e in ev if e[13] != "fizzled"]
    out = {
        "n_programs": float(rec.M),
        "n_classrooms": float(rooms),
        "n_staff_slots": float(len(st.role)),
        "n_families": float(len(model.pop.families.program)),
        "frac_classrooms_reached_baseline": reach0,
        "frac_classrooms_reached_end": reach_end,
        "frac_classrooms_reached_followup": reach_fu,
        "frac_classrooms_sustained_followup": sustained_rooms / rooms,
        "frac_classrooms_using_baseline": using(0),
        "frac_classrooms_using_end": using(end),
        "frac_classrooms_using_followup": using(last),
        **lag_summary(model),
        "frac_programs_improved_end": float(np.mean(gain_end >= p.progress.modest)),
        "frac_programs_improved_followup": float(np.mean(gain_fu >= p.progress.modest)),
        "n_classrooms_reached_baseline": float(rec.n_rooms_reached[0].sum()),
        "n_classrooms_reached_end": float(rec.n_rooms_reached[end].sum()),
        "n_classrooms_reached_followup": float(rec.n_rooms_reached[last].sum()),
        "n_classrooms_sustained_followup": sustained_rooms,
        # Children enrolled in reached classrooms (the effect "children reached" of cost-effectiveness).
        "n_children": float(model.pop.classroom_children.sum()),
        "n_children_reached_baseline": float(rec.children_reached[0].sum()),
        "n_children_reached_end": float(rec.children_reached[end].sum()),
        "n_children_reached_followup": float(rec.children_reached[last].sum()),
        "n_programs_improved_end": float(improved.sum()),
        "n_programs_improved_kept_followup": float((improved & (gained > 0) & (kept >= 0.5 * gained)).sum()),
        "n_teaching_staff_end": float(rec.frontline[end, 0]),
        "n_teaching_fidelity_end": float(rec.frontline[end, 1]),
        "n_enrolled_teaching_staff": float(rec.n_enrolled),
        "n_enrolled_teaching_fidelity_end": float(rec.n_enrolled_fidelity_end),
        "frac_enrolled_teaching_fidelity_end": _share(rec.n_enrolled_fidelity_end, rec.n_enrolled),
        "n_nonteam_staff_end": float(rec.nonteam[end, 0]),
        "n_nonteam_staff_adopted_end": float(rec.nonteam[end, 1]),
        "n_pdsa_cycles_studied": float(len(ev_studied)),
        "n_pdsa_cycles_misread": float(sum(bool(e[14]) for e in ev_studied)),
        "n_pdsa_cycles_data_used": float(sum(bool(e[10]) for e in ev)),
        "hours_data_collection": float(pdsa.data_hours),
        "n_families_home_use_end": float(rec.n_families_home_any_end),
        "n_test_units": float(sum(e[7] for e in ev_studied)),
        "n_test_successes": float(sum(e[7] * e[8] for e in ev_studied)),
        "n_cross_ties_formed": float(model.pop.ties.n_formed),
        "n_cross_ties_end": float(model.pop.ties.n_ties()),
        "sum_family_engagement_end": float(rec.engagement[end] @ rec.n_families),
        "n_derailments": float(model.pop.programs.n_derailments.sum()),
        "n_programs_dropped": float(model.components["disruption"].n_dropped),
        "frac_program_weeks_derailed": float(rec.derailed[: end + 1].mean()),
        "mean_momentum": float(rec.momentum[: end + 1].mean()),
        "mean_fit": float(fit.mean()),
        "mean_fit_family_practices": float(fit[:, family].mean()) if family.any() else float("nan"),
        "n_pdsa_cycles_followup": float(sum(end < e[4] <= last for e in ev)),
        "mean_skill_followup": rec.followup_state["mean_skill"],
        "mean_efficacy_followup": rec.followup_state["mean_efficacy"],
        "frac_staff_fidelity_end": _share(rec.n_fidelity[end].sum(), rec.n_eligible[end].sum()),
        "frac_frontline_fidelity_end": _share(rec.frontline[end, 1], rec.frontline[end, 0]),
        "frac_nonteam_staff_adopted": _share(rec.nonteam[end, 1], rec.nonteam[end, 0]),
        "n_pdsa_cycles": float(n_cycles),
        "frac_pdsa_well_run": _share(sum(bool(e[12]) for e in ev), n_cycles),
        "frac_pdsa_misread": _share(sum(bool(e[14]) for e in studied), len(studied)),
        "n_practices_adopted_by_teams": float(sum(e[13] == "adopt" for e in ev)),
        "culture_baseline": float(rec.culture[0].mean()),
        "culture_end": float(rec.culture[end].mean()),
        "culture_followup": float(rec.culture[last].mean()),
        "family_engagement_baseline": float(rec.engagement[0].mean()),
        "family_engagement_end": float(rec.engagement[end].mean()),
        "frac_families_home_use_end": _share(rec.n_families_home[end].sum(), rec.n_families.sum() * max(1, rec.family_practice.sum())),
        "child_weeks_reached": float(rec.children_reached.sum()),
        "mean_progress_score": float(model.progress_scores.mean()),
        "frac_teams_progress_4plus": float(np.mean(model.progress_scores >= 4)),
        "n_staff_departures": float(model.components["turnover"].departures),
        "staff_turnover_annual": _share(model.components["turnover"].departures, rec.n_present.sum() / 52),
    }
    costs = model.ledger.totals(last)
    out.update(costs)
    total = costs["cost_total"]
    reached_rooms = reach_end * rooms
    out["cost_per_classroom_reached"] = total / reached_rooms if reached_rooms > 0 else float("nan")
    out["cost_per_classroom_sustained"] = total / sustained_rooms if sustained_rooms > 0 else float("nan")
    out.update(system_summary(model, total))
    return out


def lag_summary(model) -> dict[str, float]:
    """Classrooms reached, using and sustained ``lag_weeks`` after their programme's supports ended.

    Only classrooms whose lag week was simulated count (all of them in a single collaborative; in a
    statewide system, those of cohorts whose lag fell within the horizon: ``frac_classrooms_lag_observed``).
    """
    rec = model.components["measure"]
    seen = rec.room_lag_week < model.calendar.horizon
    n = float(seen.sum())
    kids = model.pop.classroom_children
    lag_weeks = rec.program_lag_week[rec.program_lag_week < model.calendar.horizon]
    return {
        "frac_classrooms_reached_lag": _share(rec.reached_at_lag[seen].sum(), n),
        "frac_classrooms_using_lag": _share(rec.using_at_lag[seen].sum(), n),
        "frac_classrooms_sustained_lag": _share(rec.sustained_at_lag[seen].sum(), n),
        "n_classrooms_reached_lag": float(rec.reached_at_lag[seen].sum()),
        "n_classrooms_sustained_lag": float(rec.sustained_at_lag[seen].sum()),
        "n_classrooms_using_lag": float(rec.using_at_lag[seen].sum()),
        "n_children_reached_lag": float(kids[seen & rec.reached_at_lag].sum()),
        "frac_classrooms_lag_observed": _share(n, len(seen)),
        "mean_lag_week": float(lag_weeks.mean()) if len(lag_weeks) else float("nan"),
    }


def cohort_followup_weeks(model) -> np.ndarray:
    """(M,) each programme's own follow-up week: its cohort's end week + ``followup_weeks`` (``NEVER``
    for programmes that never enrol)."""
    sch = model.schedule
    end = sch.cohort_start + sch.template.end_week + model.params.followup_weeks
    return np.r_[end, NEVER][sch.program_cohort]


def cohort_followup_sustained(model) -> tuple[int, int]:
    """Classrooms reached at their cohort's end and again at their cohort's follow-up week, and the
    classrooms whose follow-up week was simulated (a state cut off at its horizon misses some)."""
    rec = model.components["measure"]
    fu = cohort_followup_weeks(model)
    seen = np.flatnonzero(fu < rec.H)
    sustained = int(rec.n_rooms_sustained[fu[seen], seen].sum())
    return sustained, int(model.pop.programs.n_classrooms[seen].sum())


def system_summary(model, total_cost: float) -> dict[str, float]:
    """Scalar outcomes of the system level (issue 11); one region and one cohort for a single collaborative.

    Children reached are the children of classrooms reached in the last simulated week.
    """
    sch, rec = model.schedule, model.components["measure"]
    last = rec.followup_week
    enrolled = sch.program_cohort >= 0
    children = float(model.pop.classroom_children.sum())
    kids_reached = float(rec.children_reached[last].sum())
    delay = sch.cohort_start - sch.cohort_planned
    return {
        "n_regions": float(sch.n_regions),
        "n_cohorts": float(sch.n_cohorts),
        "n_programs_enrolled": float(enrolled.sum()),
        "frac_programs_enrolled": float(enrolled.mean()),
        "n_cohorts_delayed": float((delay > 0).sum()),
        "mean_cohort_delay_weeks": float(delay.mean()) if len(delay) else 0.0,
        "n_children": children,
        "n_children_reached_followup": kids_reached,
        "frac_children_reached_followup": _share(kids_reached, children),
        "cost_per_child_reached": total_cost / kids_reached if kids_reached > 0 else float("nan"),
    }


def state_readings(model) -> dict[str, float]:
    """What a state planner reads beyond the summary (issue 22; the summary's keys stay those of one
    collaborative): enrolment the schedule meant (``system.enrol_frac`` of each region) against what
    started, classrooms reached in the last week cohorts may start (``system.horizon_weeks`` - 1),
    the share of enrolled classrooms whose own follow-up week was simulated, and the weeks simulated."""
    sch, rec, s = model.schedule, model.components["measure"], model.params.system
    enrolled = sch.program_cohort >= 0
    target = float(sch.n_enrol_target if sch.n_enrol_target >= 0 else enrolled.sum())
    at = (min(s.horizon_weeks, rec.H) if s.enabled else rec.H) - 1
    rooms = float(model.pop.programs.n_classrooms.sum())
    enrolled_rooms = float(model.pop.programs.n_classrooms[enrolled].sum())
    return {
        "n_programs_enrol_target": target,
        "frac_programs_enrol_target": _share(target, len(enrolled)),
        "n_programs_enrol_shortfall": target - float(enrolled.sum()),
        "frac_classrooms_enrolled": _share(enrolled_rooms, rooms),
        "frac_classrooms_reached_horizon": _share(float(rec.n_rooms_reached[at].sum()), rooms),
        "frac_classrooms_followup_observed": _share(float(cohort_followup_sustained(model)[1]), enrolled_rooms),
        "n_weeks_simulated": float(rec.H),
    }


def regions_table(model) -> pd.DataFrame:
    """Region x wave x quarter (13 weeks): programmes, programmes enrolled, classrooms reached and
    sustained, children in reached classrooms (all in the quarter's last week) and cost (USD, the
    quarter's sum). Programmes that never enrol are wave -1; costs that belong to no cohort
    (training new faculty) are region -1, wave -1."""
    sch, rec, ledger = model.schedule, model.components["measure"], model.ledger
    H, M = rec.H, rec.M
    n_waves = int(sch.cohort_wave.max()) + 1 if sch.n_cohorts else 0
    wave_of = np.r_[sch.cohort_wave, -1][sch.program_cohort]
    group = sch.program_region * (n_waves + 1) + (wave_of + 1)     # (M,) region-major, wave -1 first
    G = sch.n_regions * (n_waves + 1) + 1                            # the last group: the state level
    q_end = np.minimum(np.arange(13, H + 13, 13), H) - 1               # last week of each quarter
    Q = len(q_end)
    start = np.r_[sch.cohort_start, 10**9][sch.program_cohort]
    rows = {name: np.zeros((Q, G)) for name in ("n_programs_enrolled", "n_classrooms_reached",
                                                 "n_classrooms_sustained", "n_children_reached")}
    for q, w in enumerate(q_end):
        rows["n_programs_enrolled"][q] = np.bincount(group, weights=start <= w, minlength=G)
        rows["n_classrooms_reached"][q] = np.bincount(group, weights=rec.n_rooms_reached[w], minlength=G)
        rows["n_classrooms_sustained"][q] = np.bincount(group, weights=rec.n_rooms_sustained[w], minlength=G)
        rows["n_children_reached"][q] = np.bincount(group, weights=rec.children_reached[w], minlength=G)
    cohort_group = np.r_[sch.cohort_region * (n_waves + 1) + sch.cohort_wave + 1, G - 1]
    by_quarter = np.add.reduceat(ledger.by_cohort, np.arange(0, H, 13), axis=0)       # (Q, K + 1)
    cost = np.zeros((Q, G))
    for q in range(Q):
        cost[q] = np.bincount(cohort_group, weights=by_quarter[q], minlength=G)
    g = np.arange(G)
    region = np.where(g == G - 1, -1, g // (n_waves + 1))
    wave = np.where(g == G - 1, -1, g % (n_waves + 1) - 1)
    n_programs = np.bincount(group, minlength=G)
    n_rooms = np.bincount(group, weights=model.pop.programs.n_classrooms, minlength=G)
    qq, gg = (a.ravel() for a in np.meshgrid(np.arange(Q), g, indexing="ij"))
    df = pd.DataFrame({
        "region": region[gg].astype(np.int64), "wave": wave[gg].astype(np.int64), "quarter": qq.astype(np.int64),
        "week": q_end[qq].astype(np.int64), "n_programs": n_programs[gg].astype(np.int64),
        "n_classrooms": n_rooms[gg].astype(np.int64),
        **{name: v.ravel().astype(np.int64) for name, v in rows.items()},
        "cost_usd": cost.ravel(),
    })
    # Groups that hold nothing (a region without a wave) are left out.
    return df[(df["n_programs"] > 0) | (df["region"] == -1)].reset_index(drop=True)


def coverage(regions: pd.DataFrame) -> pd.DataFrame:
    """Statewide coverage by quarter from :func:`regions_table`: shares of programmes enrolled, of
    classrooms reached and sustained, children reached, and cumulative cost."""
    df = regions.groupby("quarter", sort=True).agg(
        week=("week", "first"), n_programs=("n_programs", "sum"), n_programs_enrolled=("n_programs_enrolled", "sum"),
        n_classrooms=("n_classrooms", "sum"), n_classrooms_reached=("n_classrooms_reached", "sum"),
        n_classrooms_sustained=("n_classrooms_sustained", "sum"), n_children_reached=("n_children_reached", "sum"),
        cost_usd=("cost_usd", "sum")).reset_index()
    df["frac_programs_enrolled"] = df["n_programs_enrolled"] / df["n_programs"]
    df["frac_classrooms_reached"] = df["n_classrooms_reached"] / df["n_classrooms"]
    df["frac_classrooms_sustained"] = df["n_classrooms_sustained"] / df["n_classrooms"]
    df["cum_cost_usd"] = df["cost_usd"].cumsum()
    return df


def years_table(model) -> pd.DataFrame:
    """One row per simulated year of a finished model (see :func:`years_from_tables`)."""
    return years_from_tables(model.ledger.to_frame(), regions_table(model), model.schedule.table(), model.params,
                             model.components["measure"].H)


def years_from_tables(costs: pd.DataFrame, regions: pd.DataFrame, cohorts: pd.DataFrame, params,
                      n_weeks: int) -> pd.DataFrame:
    """One row per simulated year (52 weeks; the last may be shorter): cost by category (USD, the
    year's sum), cohorts and programmes starting and enrolled so far, the faculty the running cohorts
    need at the year's busiest week and the faculty the regions have then, the full-time coaches the
    year's coaching hours need, and the shares of the state's classrooms reached and sustained
    (reached at their cohort's end and still) in the year's last week (issue 22).

    Built from a run's tables (``RunResult.costs``, ``.regions``, ``meta["cohorts"]``), so a saved
    run gives it too: ``bsc-sim run design=statewide`` writes it as ``years.csv``.
    """
    from .costs import CATEGORIES
    from .calendar import build_calendar

    p, s, H = params, params.system, int(n_weeks)
    n_years = -(-H // 52)
    first = np.arange(n_years) * 52
    last = np.minimum(first + 52, H) - 1
    cost = np.zeros((n_years, len(CATEGORIES)))
    if len(costs):
        cat = pd.Categorical(costs["category"], categories=list(CATEGORIES)).codes
        np.add.at(cost, (costs["week"].to_numpy(np.int64) // 52, cat), costs["cost_usd"].to_numpy(np.float64))
    start = np.asarray(cohorts["start_week"], dtype=np.int64)
    region = np.asarray(cohorts["region"], dtype=np.int64)
    size = np.asarray(cohorts["n_programs"], dtype=np.float64)
    starts = np.bincount(start // 52, minlength=n_years)[:n_years]
    progs = np.bincount(start // 52, weights=size, minlength=n_years)[:n_years]
    # Faculty busy each week: each region's running cohorts x faculty per cohort / cohorts a faculty leads.
    busy = busy_weeks(p, build_calendar(p))
    weeks = np.arange(H)
    per_cohort = max(1, p.costs.n_faculty)
    need = np.zeros(H)
    for r in np.unique(region):
        mine = start[region == r]
        running = ((weeks[:, None] >= mine[None, :]) & (weeks[:, None] < mine[None, :] + busy)).sum(axis=1)
        need += np.ceil(running * per_cohort / s.cohorts_per_faculty)
    n_regions = s.n_regions if s.enabled else 1
    have = n_regions * (s.faculty_per_region + np.where(weeks >= s.faculty_training_weeks, s.new_faculty_per_region, 0))
    coach_hours = cost[:, CATEGORIES.index("coaching")] / p.costs.coach_hourly if p.costs.coach_hourly > 0 else 0.0
    state = regions.groupby("week")[["n_classrooms", "n_classrooms_reached", "n_classrooms_sustained"]].sum()
    state = state.reindex(last)
    df = pd.DataFrame({
        "year": np.arange(1, n_years + 1, dtype=np.int64), "first_week": first.astype(np.int64),
        "last_week": last.astype(np.int64),
        "n_cohorts_started": starts.astype(np.int64), "n_programs_starting": progs.astype(np.int64),
        "n_programs_enrolled_cum": np.cumsum(progs).astype(np.int64),
        "faculty_needed_peak": np.maximum.reduceat(need, first).astype(np.int64),
        "faculty_available": np.maximum.reduceat(have, first).astype(np.int64),
        "coaches_needed": np.asarray(coach_hours, dtype=np.float64) / s.coach_hours_per_year
        * 52 / (last - first + 1),
        "frac_classrooms_reached": (state["n_classrooms_reached"] / state["n_classrooms"]).to_numpy(np.float64),
        "frac_classrooms_sustained": (state["n_classrooms_sustained"] / state["n_classrooms"]).to_numpy(np.float64),
    })
    for k, name in enumerate(CATEGORIES):
        df[f"cost_{name}"] = cost[:, k]
    df["cost_total"] = cost.sum(axis=1)
    return df


def programs_table(model) -> pd.DataFrame:
    """One row per programme: kind, size, readiness profile (at week 0), turnover, departures, progress score."""
    pr = model.pop.programs
    return pd.DataFrame({
        "program_id": np.arange(len(pr.kind), dtype=np.int64),
        "kind": pd.Categorical.from_codes(pr.kind, categories=list(KIND_NAMES)),
        "n_classrooms": pr.n_classrooms.astype(np.int64),
        "n_children": np.bincount(model.pop.classroom_program, weights=model.pop.classroom_children,
                                  minlength=len(pr.kind)).astype(np.int64),
        "n_staff_slots": np.bincount(model.pop.staff.program, minlength=len(pr.kind)).astype(np.int64),
        "change_commitment": model.initial_readiness["commitment"],
        "change_efficacy": model.initial_readiness["efficacy"],
        "leadership_support": model.initial_readiness["leadership"],
        "data_capacity": model.initial_readiness["data_capacity"], "time_slack": model.initial_readiness["time_slack"],
        "readiness": model.initial_readiness["composite"],
        "turnover_annual": pr.turnover_annual,
        "n_departures": model.components["turnover"].departures_by_program,
        "progress_score": model.progress_scores,
    })


def events_table(model) -> pd.DataFrame:
    """The PDSA log as a tidy table (one row per cycle)."""
    rows = model.components["pdsa"].events
    df = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    names = list(model.params.practices)
    df["practice"] = pd.Categorical.from_codes(df["practice"].to_numpy(dtype=np.int64), categories=names)
    for col in ("cycle_id", "program_id", "week_start", "week_decided", "scale", "n_units", "n_testers"):
        df[col] = df[col].astype(np.int64)
    for col in ("true_result", "observed_result"):
        df[col] = df[col].astype(np.float64)
    for col in ("data_used", "iterative", "well_run", "misread"):
        df[col] = df[col].astype(bool)
    df["decision"] = pd.Categorical(df["decision"], categories=list(DECISIONS))
    return df
