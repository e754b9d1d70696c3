"""What the browser view reads off a running model: headline numbers and weekly series.

Only ratios of what the model's measure phase has already recorded (``model.components["measure"]``)
and of its cost ledger, with the definitions of :mod:`bsc_sim.model.outcomes`, so that at the last
week the headline equals the run's ``summary`` (tested). No Solara, no matplotlib.

Week ``w`` of the model is recorded at the end of that week, so after ``model.week`` steps the
weeks ``0 .. model.week - 1`` are known and nothing is known before the first step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import BSCModel


@dataclass(frozen=True)
class Headline:
    """The numbers at the top of the view, for the weeks run so far.

    ``None`` means "not known yet": the reach before the first week is measured, the reach at the
    end before the collaborative has ended, and sustainment before the end of follow-up.
    """

    week: int                       # weeks run (0 before the first step)
    horizon: int                    # weeks in a run (collaborative + follow-up)
    end_week: int                   # the collaborative's last week (0-based)
    n_classrooms: int
    reached_now: int | None         # classrooms reached in the latest week
    reached_at_end: int | None      # classrooms reached in the collaborative's last week
    sustained: int | None           # reached at the end and in the latest week (final at the last week)
    cost_so_far: float              # USD spent up to and including the latest week

    @property
    def phase(self) -> str:
        if self.week == 0:
            return "before the first week"
        if self.week <= self.end_week + 1:
            return "collaborative year"
        return "follow-up year" if self.week < self.horizon else "end of follow-up"

    def share(self, count: int | None) -> float | None:
        return None if count is None else count / max(self.n_classrooms, 1)


def headline(model: BSCModel) -> Headline:
    """:class:`Headline` of ``model`` as it stands."""
    rec = model.components["measure"]
    last = model.week - 1
    end = model.calendar.end_week
    rooms = int(rec.n_rooms.sum())
    reached_now = int(rec.n_rooms_reached[last].sum()) if last >= 0 else None
    reached_end = int(rec.n_rooms_reached[end].sum()) if last >= end else None
    # Classrooms reached both at the end and now (the summary's "sustained" once follow-up is over).
    sustained = int((rec.reached_at_end & rec.reached_now).sum()) if last > end else None
    cost = float(model.ledger.table[: max(last + 1, 0)].sum())
    return Headline(week=model.week, horizon=model.calendar.horizon, end_week=end, n_classrooms=rooms,
                    reached_now=reached_now, reached_at_end=reached_end, sustained=sustained, cost_so_far=cost)


def weekly(model: BSCModel) -> pd.DataFrame:
    """One row per week run: shares of classrooms reached, of teaching staff at fidelity and of
    families using a practice at home, and the cost so far (USD).

    ``week`` counts weeks run, as the page's week number does: week 1 is the model's week 0 (the
    ``week`` column of ``RunResult.timeseries`` plus one), so after 60 weeks the last row is week 60.

    Families: the share of families using each family-level practice, averaged over those
    practices (the summary's ``frac_families_home_use_end``).
    """
    rec = model.components["measure"]
    w = model.week
    rooms = rec.n_rooms.sum()
    n_family_practices = max(int(rec.family_practice.sum()), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frontline = rec.frontline[:w, 1] / np.where(rec.frontline[:w, 0] > 0, rec.frontline[:w, 0], np.nan)
    return pd.DataFrame({
        "week": np.arange(1, w + 1),
        "frac_classrooms_reached": rec.n_rooms_reached[:w].sum(axis=1) / rooms,
        "frac_frontline_fidelity": frontline,
        "frac_families_home_use": rec.n_families_home[:w].sum(axis=(1, 2)) / (rec.n_families.sum() * n_family_practices),
        "cost_so_far": np.cumsum(model.ledger.table[:w].sum(axis=1)),
    })


def practice_use(model: BSCModel) -> pd.DataFrame:
    """One row per week run (counted as in :func:`weekly`) and practice: the share of present
    eligible staff using it."""
    rec = model.components["measure"]
    w = model.week
    names = list(model.params.practices)
    elig = rec.n_eligible[:w].sum(axis=1)
    use = rec.n_using[:w].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(elig > 0, use / np.maximum(elig, 1), np.nan)
    return pd.DataFrame({"week": np.repeat(np.arange(1, w + 1), len(names)), "practice": np.tile(names, w),
                         "frac_staff_using": share.ravel()})


def picture(model: BSCModel) -> dict[str, np.ndarray]:
    """The arrays the network picture is coloured from, as they stand now."""
    from .drawing import node_state
    from .history import cross_tie_pairs

    st, fam = model.pop.staff, model.pop.families
    return {
        "state": node_state(st.present, st.use, st.fidelity, model.params.sustain.fidelity_threshold),
        "on_team": st.on_team.copy(), "cross_edges": cross_tie_pairs(model),
        "family_home": fam.home_use.any(axis=1), "family_on_team": fam.on_team.copy(),
    }


def calendar_marks(model: BSCModel) -> dict[str, list[int]]:
    """Weeks of the learning sessions, calls and coach visits, and the collaborative's last week,
    counted as the view counts them (week 1 is the first week; see :func:`weekly`)."""
    cal = model.calendar
    return {"session_weeks": [w + 1 for w in cal.session_weeks()],
            "call_weeks": [int(w) + 1 for w in np.flatnonzero(cal.call)],
            "visit_weeks": [int(w) + 1 for w in np.flatnonzero(cal.coach_visit)], "end_week": cal.end_week + 1}


# -- a state (``system.enabled``): regions x waves ------------------------------------------------

WAITING, PLANNED, RUNNING, AFTER = "waiting for faculty", "planned", "in its collaborative", "after its collaborative"


def is_state(model: BSCModel) -> bool:
    """Whether ``model`` is a statewide system of regions and waves (not one collaborative)."""
    return bool(model.params.system.enabled)


def state_plan(model: BSCModel) -> dict[str, np.ndarray]:
    """The fixed parts of a state a regions x waves picture needs (schedule and classrooms)."""
    s = model.schedule
    return {"program_cohort": s.program_cohort.copy(), "program_region": s.program_region.copy(),
            "cohort_region": s.cohort_region.copy(), "cohort_wave": s.cohort_wave.copy(),
            "cohort_planned": s.cohort_planned.copy(), "cohort_start": s.cohort_start.copy(),
            "cohort_weeks": np.int64(s.template.end_week + 1), "n_rooms": model.components["measure"].n_rooms.copy(),
            "n_regions": np.int64(s.n_regions)}


def cells_from(plan: dict[str, np.ndarray], weeks_run: int, reached: np.ndarray | None,
               sustained: np.ndarray | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cells, outside) of a state after ``weeks_run`` weeks, from its plan (:func:`state_plan`)
    and each programme's classrooms reached and sustained in the latest week (None before any).

    ``cells``: one row per region x wave: ``region, wave, n_programs, n_classrooms, planned,
    start, end`` (weeks as the view counts them: the first week is 1), ``delay`` (weeks a cohort
    waited for faculty, largest of the wave), ``status`` (planned, waiting for faculty, in its
    collaborative, after its collaborative), ``reached`` and ``sustained`` (classrooms reached now,
    and reached at their cohort's end and still now). ``outside``: per region, the programmes
    that never enrol (``region, n_programs, n_classrooms, reached``). No loop over programmes.
    """
    cohort, rooms = plan["program_cohort"], plan["n_rooms"]
    reached = np.zeros(len(cohort)) if reached is None else reached
    sustained = np.zeros(len(cohort)) if sustained is None else sustained
    enrolled = cohort >= 0
    c = cohort[enrolled]
    start = plan["cohort_start"][c]
    frame = pd.DataFrame({
        "region": plan["cohort_region"][c], "wave": plan["cohort_wave"][c], "planned": plan["cohort_planned"][c] + 1,
        "start": start + 1, "delay": start - plan["cohort_planned"][c], "end": start + int(plan["cohort_weeks"]),
        "n_programs": 1, "n_classrooms": rooms[enrolled], "reached": reached[enrolled],
        "sustained": sustained[enrolled]})
    cells = frame.groupby(["region", "wave"], sort=True).agg(
        n_programs=("n_programs", "sum"), n_classrooms=("n_classrooms", "sum"), planned=("planned", "min"),
        start=("start", "min"), end=("end", "max"), delay=("delay", "max"), reached=("reached", "sum"),
        sustained=("sustained", "sum")).reset_index()
    cells["status"] = np.where(weeks_run < cells["planned"], PLANNED, np.where(
        weeks_run < cells["start"], WAITING, np.where(weeks_run <= cells["end"], RUNNING, AFTER)))
    out = ~enrolled
    outside = pd.DataFrame({"region": plan["program_region"][out], "n_programs": 1, "n_classrooms": rooms[out],
                            "reached": reached[out]})
    outside = outside.groupby("region", sort=True).sum().reindex(range(int(plan["n_regions"])), fill_value=0)
    return cells, outside.rename_axis("region").reset_index()


def _latest(model: BSCModel):
    rec, last = model.components["measure"], model.week - 1
    return (rec.n_rooms_reached[last], rec.n_rooms_sustained[last]) if last >= 0 else (None, None)


def state_cells(model: BSCModel) -> pd.DataFrame:
    """Regions x waves of a state as it stands (see :func:`cells_from`)."""
    return cells_from(state_plan(model), model.week, *_latest(model))[0]


def state_outside(model: BSCModel) -> pd.DataFrame:
    """Per region, the programmes that never enrol (see :func:`cells_from`)."""
    return cells_from(state_plan(model), model.week, *_latest(model))[1]


@dataclass(frozen=True)
class StateHeadline:
    """The numbers at the top of a state's view."""

    week: int
    horizon: int
    n_programs: int
    n_enrolled: int            # programmes whose cohort has started
    n_cohorts: int
    n_started: int
    n_waiting: int             # cohorts past their planned week, waiting for faculty
    n_classrooms: int
    reached_now: int | None
    sustained_now: int | None  # reached at their cohort's end and still now
    cost_so_far: float


def state_headline(model: BSCModel) -> StateHeadline:
    s, rec = model.schedule, model.components["measure"]
    last = model.week - 1
    started = s.cohort_start <= last
    waiting = (s.cohort_planned <= last) & ~started
    in_started = (s.program_cohort >= 0) & started[np.maximum(s.program_cohort, 0)]
    return StateHeadline(
        week=model.week, horizon=model.calendar.horizon, n_programs=len(s.program_cohort),
        n_enrolled=int(in_started.sum()), n_cohorts=s.n_cohorts, n_started=int(started.sum()),
        n_waiting=int(waiting.sum()), n_classrooms=int(rec.n_rooms.sum()),
        reached_now=int(rec.n_rooms_reached[last].sum()) if last >= 0 else None,
        sustained_now=int(rec.n_rooms_sustained[last].sum()) if last >= 0 else None,
        cost_so_far=float(model.ledger.table[: max(last + 1, 0)].sum()))
