"""The statewide system (issue 11): regions, cohorts formed per region, waves and faculty capacity.

The schedule is fixed before week 0 and is data, like the calendar, so it can be printed and
tested without running the model (:func:`build_schedule`):

* Programmes are spread evenly over ``system.n_regions`` regions (a random permutation).
* In each region ``system.enrol_frac`` of the programmes enrol: with ``selection = open`` in a
  random order, with ``readiness`` in order of composite readiness, highest first. In that
  order they fill cohorts of ``system.cohort_size`` (a region's last cohort may be smaller).
* The region's cohorts are planned in waves: ``cohorts_per_wave`` cohorts per wave, wave ``j``
  planned to start in week ``first_wave_week + j x wave_interval_weeks``.
* Capacity: a cohort needs ``costs.n_faculty`` faculty from its start to the end of its supports
  (the collaborative plus any follow-up support), and a faculty member leads at most
  ``cohorts_per_faculty`` cohorts at once. A region has ``faculty_per_region`` trained faculty at
  week 0, and ``new_faculty_per_region`` more once their training (``faculty_training_weeks``)
  is over. Cohorts start in planned order (first come, first served); a cohort whose region has
  no capacity in its planned week waits for the first week that has, so capacity delays waves.
* Each cohort runs the design's calendar (:func:`.calendar.build_calendar`) from its own start
  week: its own community meeting, sessions, calls, congress, faculty and supports. Programmes
  that do not enrol are simulated all the same (turnover, spontaneous spread, lapse) but get no
  supports.
* ``horizon_weeks`` bounds when cohorts may start (a planned cohort whose start would fall after it
  never starts, and its programmes do not enrol: ``Schedule.n_enrol_target`` keeps how many the
  schedule meant to enrol). With ``follow_every_cohort`` (issue 22) the state is simulated on until
  the last cohort that did start has run its whole calendar, so every cohort is read at its own
  end, follow-up and lag, as one collaborative is, and all of its costs are counted; without it,
  every calendar is cut off at ``horizon_weeks``.

Without ``system.enabled`` the schedule is one cohort of every programme starting in week 0, so
the single-collaborative designs run the same code (:func:`single_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..params import Params
from .calendar import Calendar
from .population import Population, composite_readiness

NEVER = 10**9  # start week of a programme that never enrols


@dataclass
class Schedule:
    """Cohorts, their regions, waves and start weeks, and the calendar each of them runs."""

    template: Calendar                # one cohort's calendar, relative to its start week
    program_cohort: np.ndarray        # int (M,) cohort of each programme, -1 if it never enrols
    program_region: np.ndarray        # int (M,)
    cohort_region: np.ndarray         # int (K,)
    cohort_wave: np.ndarray           # int (K,) wave the cohort was planned in
    cohort_planned: np.ndarray        # int (K,) planned start week
    cohort_start: np.ndarray          # int (K,) actual start week (later than planned when capacity lacks)
    cohort_size: np.ndarray           # int (K,) programmes
    n_regions: int = 1
    n_new_faculty: int = 0            # faculty trained in all regions together
    n_enrol_target: int = -1          # programmes the schedule meant to enrol (-1: all of them enrolled)
    follow_every_cohort: bool = False  # the state's calendar runs on until every cohort has run its own
    region_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._week = None             # the week whose lookups are cached (the schedule never changes)
        self._cache: dict = {}

    @property
    def n_cohorts(self) -> int:
        return len(self.cohort_start)

    def rel(self, week: int) -> np.ndarray:
        """(K,) week of each cohort's own calendar (negative before it starts)."""
        return week - self.cohort_start

    def cohorts_with(self, name: str, week: int) -> np.ndarray:
        """Cohorts whose calendar has event ``name`` (a Calendar array) in ``week``, in cohort order."""
        if week != self._week:
            self._week, self._cache = week, {}
        if name not in self._cache:
            self._cache[name] = self._cohorts_with(name, week)
        return self._cache[name]

    def _cohorts_with(self, name: str, week: int) -> np.ndarray:
        rel = self.rel(week)
        ok = np.flatnonzero((rel >= 0) & (rel < self.template.horizon))
        return ok[getattr(self.template, name)[rel[ok]] != 0]

    def cohort_supported(self, week: int) -> np.ndarray:
        """(K + 1,) the cohort's supports run this week; the last entry (no cohort) is False."""
        out = np.zeros(self.n_cohorts + 1, dtype=bool)
        out[self.cohorts_with("supports_active", week)] = True
        return out

    def program_supported(self, week: int) -> np.ndarray:
        """(M,) the programme's cohort has its supports this week (whether or not it dropped out); read-only."""
        self.cohorts_with("supports_active", week)   # refreshes the cache for this week
        if "program_supported" not in self._cache:
            out = self.cohort_supported(week)[self.program_cohort]
            out.flags.writeable = False
            self._cache["program_supported"] = out
        return self._cache["program_supported"]

    def program_start(self) -> np.ndarray:
        """(M,) start week of each programme's cohort (``NEVER`` if it does not enrol)."""
        return np.r_[self.cohort_start, NEVER][self.program_cohort]

    def support_end(self, supported: np.ndarray) -> np.ndarray:
        """(M,) last week of each programme's supports; ``supported`` is the template's weekly flags."""
        if not supported.any():
            return np.full(len(self.program_cohort), NEVER, dtype=np.int64)
        last = int(np.flatnonzero(supported).max())
        return np.r_[self.cohort_start + last, NEVER][self.program_cohort].astype(np.int64)

    def region_name(self, r: int) -> str:
        """The name of region ``r`` ('region N' without names)."""
        return self.region_names[r] if r < len(self.region_names) else f"region {r + 1}"

    def table(self) -> pd.DataFrame:
        """One row per cohort: region, wave, size, planned and actual start, delay."""
        return pd.DataFrame({
            "cohort": np.arange(self.n_cohorts, dtype=np.int64), "region": self.cohort_region.astype(np.int64),
            "wave": self.cohort_wave.astype(np.int64), "n_programs": self.cohort_size.astype(np.int64),
            "planned_week": self.cohort_planned.astype(np.int64), "start_week": self.cohort_start.astype(np.int64),
            "delay_weeks": (self.cohort_start - self.cohort_planned).astype(np.int64),
        })


def single_schedule(template: Calendar, n_programs: int) -> Schedule:
    """One cohort of every programme starting in week 0: a single collaborative."""
    one = np.zeros(1, dtype=np.int64)
    return Schedule(template, np.zeros(n_programs, dtype=np.int64), np.zeros(n_programs, dtype=np.int64),
                    one, one.copy(), one.copy(), one.copy(), np.array([n_programs]))


def busy_weeks(p: Params, template: Calendar) -> int:
    """Weeks a cohort holds its faculty: from its start to the end of its supports."""
    if not template.supports_active.any():
        return max(1, p.collaborative.duration_weeks)
    return int(np.flatnonzero(template.supports_active).max()) + 1


def start_weeks(planned: np.ndarray, busy: int, capacity) -> np.ndarray:
    """Start weeks of a region's cohorts, in planned order, under a capacity that may grow over time.

    ``capacity(week)`` is the number of cohorts the region can run at once in that week. A cohort
    starts in its planned week or, if the region is full then, in the first later week in which a
    running cohort has ended (or new faculty have finished training) and a place is free for it.
    """
    starts: list[int] = []
    for plan in planned:
        week = int(plan)
        while True:
            running = [s for s in starts if s <= week < s + busy]
            if len(running) < capacity(week):
                break
            # The next week anything changes: a running cohort ends, or capacity grows (never: it never starts).
            week = min([*(s + busy for s in running), capacity.next_change(week)])
            if week >= 10**12:
                break
        starts.append(week)
    return np.asarray(starts, dtype=np.int64)


class RegionCapacity:
    """Cohorts a region can run at once: its faculty x cohorts per faculty / faculty per cohort, and,
    when the design coaches and the region's coaches are limited (issue 22), the cohorts whose
    visits its coaches' weekly hours cover."""

    def __init__(self, p: Params) -> None:
        s, k = p.system, p.coaching
        self.per_cohort = max(1, p.costs.n_faculty)
        self.k = s.cohorts_per_faculty
        self.base, self.new, self.ready = s.faculty_per_region, s.new_faculty_per_region, s.faculty_training_weeks
        self.coached = bool(k.enabled and (s.coaches_per_region or s.new_coaches_per_region))
        self.coaches, self.new_coaches, self.coaches_ready = (s.coaches_per_region, s.new_coaches_per_region,
                                                              s.coach_hiring_weeks)
        self.coach_week = s.coach_hours_per_year / 52
        self.cohort_coach_hours = s.cohort_size * k.hours_per_visit / max(1, k.visit_interval_weeks)

    def __call__(self, week: int) -> int:
        faculty = self.base + (self.new if week >= self.ready else 0)
        cap = (faculty * self.k) // self.per_cohort
        if self.coached:
            coaches = self.coaches + (self.new_coaches if week >= self.coaches_ready else 0)
            cap = min(cap, int(coaches * self.coach_week // self.cohort_coach_hours))
        return cap

    def next_change(self, week: int) -> int:
        changes = [10**12]
        if week < self.ready and self.new > 0:
            changes.append(self.ready)
        if self.coached and week < self.coaches_ready and self.new_coaches > 0:
            changes.append(self.coaches_ready)
        return min(changes)


def region_plan(p: Params, n_enrol: int, busy: int, capacity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Waves, planned and actual start weeks of the cohorts of a region that enrols ``n_enrol``
    programmes (a function of the parameters only: which programmes enrol is drawn elsewhere)."""
    s = p.system
    n_cohorts = -(-n_enrol // s.cohort_size)
    wave = np.arange(n_cohorts) // s.cohorts_per_wave
    planned = s.first_wave_week + wave * s.wave_interval_weeks
    return wave, planned, start_weeks(planned, busy, capacity)


def state_weeks(p: Params) -> int:
    """Weeks a statewide run simulates (``calendar.horizon``), from the parameters alone: the planning
    horizon, or until the last cohort that starts within it has run its calendar
    (``system.follow_every_cohort``). Region sizes and cohort starts do not depend on the seed."""
    from .calendar import build_calendar

    s = p.system
    if not s.enabled:
        return p.horizon_weeks
    template = build_calendar(p)
    busy, capacity = busy_weeks(p, template), RegionCapacity(p)
    sizes = np.bincount(np.arange(s.n_programs) % s.n_regions, minlength=s.n_regions)
    last = -1
    for n in sizes:
        start = region_plan(p, int(round(s.enrol_frac * n)), busy, capacity)[2]
        start = start[start < s.horizon_weeks]
        if len(start):
            last = max(last, int(start.max()))
    if not s.follow_every_cohort or last < 0:
        return s.horizon_weeks
    return max(s.horizon_weeks, last + template.horizon)


def build_schedule(p: Params, pop: Population, template: Calendar, rng: np.random.Generator) -> Schedule:
    """Regions, enrolment, cohorts and waves of the state, and each cohort's start week."""
    s = p.system
    M = pop.n_programs
    region = np.empty(M, dtype=np.int64)
    region[rng.permutation(M)] = np.arange(M) % s.n_regions
    pr = pop.programs
    readiness = composite_readiness(pr.commitment, pr.efficacy, pr.leadership, pr.data_capacity, pr.time_slack,
                                    pr.turnover_annual)
    order_noise = rng.random(M)  # drawn whatever the selection, so both keep the same regions
    capacity = RegionCapacity(p)
    busy = busy_weeks(p, template)
    cohort_of = np.full(M, -1, dtype=np.int64)
    c_region, c_wave, c_planned, c_start, c_size = [], [], [], [], []
    n_target = 0
    for r in range(s.n_regions):
        members = np.flatnonzero(region == r)
        n_enrol = int(round(s.enrol_frac * len(members)))
        n_target += n_enrol
        key = -readiness[members] if s.selection == "readiness" else order_noise[members]
        enrolled = members[np.argsort(key, kind="stable")[:n_enrol]]
        wave, planned, start = region_plan(p, n_enrol, busy, capacity)
        n_cohorts = len(wave)
        if n_cohorts == 0:
            continue
        k0 = len(c_start)
        cohort_of[enrolled] = k0 + np.arange(n_enrol) // s.cohort_size
        c_region += [r] * n_cohorts
        c_wave += list(wave)
        c_planned += list(planned)
        c_start += list(start)
        c_size += list(np.bincount(cohort_of[enrolled] - k0, minlength=n_cohorts))
    arr = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    # Cohorts that would start after the horizon never start: their programmes do not enrol.
    late = arr(c_start) >= s.horizon_weeks if c_start else np.zeros(0, dtype=bool)
    if late.any():
        keep = np.flatnonzero(~late)
        remap = np.full(len(c_start) + 1, -1)
        remap[keep] = np.arange(len(keep))
        cohort_of = remap[cohort_of]
        c_region, c_wave, c_planned, c_start, c_size = ([x[i] for i in keep] for x in
                                                        (c_region, c_wave, c_planned, c_start, c_size))
    from ..params import region_names

    return Schedule(template, cohort_of, region, arr(c_region), arr(c_wave), arr(c_planned), arr(c_start),
                    arr(c_size), n_regions=s.n_regions, n_new_faculty=s.new_faculty_per_region * s.n_regions,
                    n_enrol_target=n_target, region_names=tuple(region_names(s)),
                    follow_every_cohort=s.follow_every_cohort)


def enrolment_target(p: Params) -> int:
    """Programmes ``system.enrol_frac`` invites: round(enrol_frac x size) in each region. Regions get
    the programmes in turn (sizes M // R or one more), so this needs no model run."""
    s = p.system
    sizes = np.bincount(np.arange(s.n_programs) % s.n_regions, minlength=s.n_regions)
    return int(sum(int(round(s.enrol_frac * n)) for n in sizes))


def enrol(pop: Population, schedule: Schedule) -> None:
    """Only enrolled programmes keep team seats; teams meet from their cohort's start week."""
    st, fam, pr = pop.staff, pop.families, pop.programs
    enrolled = schedule.program_cohort >= 0
    pr.start_week[:] = schedule.program_start()
    pr.in_collaborative &= enrolled
    for people in (st, fam):
        people.team_seat &= enrolled[people.program]
        people.on_team[:] = people.team_seat & (pr.start_week[people.program] <= 0)


def simulated_weeks(schedule: Schedule, horizon: int, follow_every_cohort: bool = True) -> int:
    """Weeks a state is simulated: ``horizon``, or (``follow_every_cohort``) until the last cohort that
    started has run its whole calendar (collaborative, follow-up and lag reading), if that is later."""
    if not follow_every_cohort or not schedule.n_cohorts:
        return horizon
    return max(horizon, int(schedule.cohort_start.max()) + schedule.template.horizon)


def state_calendar(schedule: Schedule, horizon: int, follow_every_cohort: bool | None = None) -> Calendar:
    """The system's calendar: a week has an event when any cohort has it (for printing and views);
    ``end_week`` is the week the last cohort's collaborative ends. ``horizon`` is the planning
    horizon (cohorts start within it); the calendar runs on past it until every cohort has run its
    own calendar (:func:`simulated_weeks`) unless ``follow_every_cohort`` is False (default: the
    schedule's, i.e. ``system.follow_every_cohort``)."""
    t = schedule.template
    if follow_every_cohort is None:
        follow_every_cohort = schedule.follow_every_cohort
    horizon = simulated_weeks(schedule, horizon, follow_every_cohort)
    arrays = {name: np.zeros(horizon, dtype=getattr(t, name).dtype) for name in
              ("community_meeting", "session_number", "call", "congress", "supports_active", "coach_visit", "training")}
    for start in schedule.cohort_start:
        n = min(t.horizon, horizon - start)
        if n <= 0:
            continue
        for name, out in arrays.items():
            seg = out[start:start + n]
            np.maximum(seg, getattr(t, name)[:n], out=seg)
    last = int(schedule.cohort_start.max()) if schedule.n_cohorts else 0
    return Calendar(horizon, min(horizon - 1, last + t.end_week), **arrays)
