"""Phase 9, measure: weekly aggregates into preallocated arrays, then tidy tables.

Definitions used throughout:

* A person is **at fidelity** on a practice when they use it with fidelity >= ``sustain.fidelity_threshold``.
* A classroom is **reached** on a classroom-level practice when any present teaching staff member
  in it is at fidelity; a classroom is *reached* when it is reached on at least one classroom-level
  practice. Child-weeks of exposure count the children of reached classrooms each week.
* A classroom is **using** a practice when any present teaching staff member in it uses a
  classroom-level practice, at any fidelity.
* A classroom is **sustained** when it is reached both in the last week of the collaborative and
  in the follow-up week (``followup_weeks`` after it).
* **Lag** readings: each classroom is also read ``lag_weeks`` after the last week of its
  programme's own supports (collaborative with any follow-up support, coaching, workshop; a design
  without supports counts from the collaborative's end week), whatever the calendar week; it is
  *sustained at the lag* when it was reached at its cohort's end and is reached at its lag week.
* Front-line fidelity: the share of present teaching staff at fidelity on at least one
  classroom-level practice (compare: 52% of clinicians in a 12-month collaborative [amayajackson2018]).
* Spread beyond the team: the share of present eligible staff *not* on the team who use at least
  one practice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import LEVELS, TEACHING_ROLES
from .system import NEVER


class Recorder:
    """Collects the weekly state of every programme and practice."""

    def setup(self, model) -> None:
        pop, H = model.pop, model.calendar.horizon
        M, P, C = pop.n_programs, len(model.practice_effect), len(pop.classroom_program)
        self.H, self.M, self.P, self.C = H, M, P, C
        shape = (H, M, P)
        self.n_eligible = np.zeros(shape, dtype=np.int32)
        self.n_using = np.zeros(shape, dtype=np.int32)
        self.n_fidelity = np.zeros(shape, dtype=np.int32)
        self.n_rooms_fidelity = np.zeros(shape, dtype=np.int32)
        self.n_families_home = np.zeros(shape, dtype=np.int32)
        self.culture = np.zeros((H, M))
        self.momentum = np.zeros((H, M))
        self.derailed = np.zeros((H, M), dtype=bool)
        self.in_collaborative = np.zeros((H, M), dtype=bool)
        self.n_present = np.zeros((H, M), dtype=np.int32)
        self.n_team = np.zeros((H, M), dtype=np.int32)
        self.n_rooms_reached = np.zeros((H, M), dtype=np.int32)
        self.n_rooms_using = np.zeros((H, M), dtype=np.int32)   # a classroom practice in use, any fidelity
        self.children_reached = np.zeros((H, M), dtype=np.int64)
        self.engagement = np.zeros((H, M))
        self.cycles = np.zeros((H, M), dtype=np.int32)
        self.nonteam = np.zeros((H, 2), dtype=np.int64)    # non-team eligible present staff, of whom using >=1
        self.frontline = np.zeros((H, 2), dtype=np.int64)  # present teaching staff, of whom >=1 classroom practice at fidelity
        self.teach = np.isin(pop.staff.role, TEACHING_ROLES)
        self.classroom_practice = pop.practice_level == LEVELS.index("classroom")
        self.family_practice = pop.practice_level == LEVELS.index("family")
        self.n_families = np.bincount(pop.families.program, minlength=M)
        self.n_rooms = np.maximum(pop.programs.n_classrooms, 1).astype(np.float64)
        self.end_week = model.calendar.end_week
        self.n_families_home_any_end = 0                     # families using >= 1 home practice, end week
        self.reached_at_start = np.zeros(C, dtype=bool)      # per classroom, set in week 0
        self.reached_at_end = np.zeros(C, dtype=bool)        # per classroom, set in the end week
        self.reached_now = np.zeros(C, dtype=bool)           # per classroom, the latest week
        # Per classroom, reached in the week its own cohort's collaborative ended (a statewide system's
        # cohorts end in different weeks); -1 weeks never come for programmes that never enrol.
        sch = model.schedule
        cohort_end = np.r_[sch.cohort_start + sch.template.end_week, -1]
        self.room_end_week = cohort_end[sch.program_cohort][pop.classroom_program]
        self.reached_at_cohort_end = np.zeros(C, dtype=bool)
        self.n_rooms_sustained = np.zeros((H, M), dtype=np.int32)  # reached at its cohort's end and this week
        # The fixed follow-up week (the last week unless the calendar runs on to observe a lag).
        self.followup_week = model.calendar.followup_week
        self.reached_at_followup = np.zeros(C, dtype=bool)
        self.followup_state: dict[str, float] = {}
        # Lag readings: lag_weeks after the programme's own last support week (or after its cohort's
        # end week when the design has no supports); programmes that never enrol are never read.
        p = model.params
        ref = np.where(pop.programs.support_end < NEVER, pop.programs.support_end,
                       np.r_[sch.cohort_start + p.lag_reference_week, NEVER][sch.program_cohort])
        lag_week = np.where(ref < NEVER, ref + p.lag_weeks, NEVER)
        self.program_lag_week = lag_week
        self.room_lag_week = lag_week[pop.classroom_program]
        self.reached_at_lag = np.zeros(C, dtype=bool)
        self.using_at_lag = np.zeros(C, dtype=bool)
        self.sustained_at_lag = np.zeros(C, dtype=bool)
        self.children_reached_at_lag = 0
        # Enrolment of teaching staff in the collaborative (on its team at some week up to the end):
        # the hire week of the person enrolled in each post (-1: none), and counts of people.
        self.enrolled_hire = np.full(len(pop.staff.role), -1, dtype=np.int64)
        self.n_enrolled = 0                                   # teaching staff ever enrolled (leavers too)
        self.n_enrolled_fidelity_end = 0                      # of them, present at fidelity at the end
        self.eligible_any = pop.staff.eligible.any(axis=1)   # static: roles never change
        self.teach_rows = np.flatnonzero(self.teach)
        # Counters by programme of staff, classroom and family rows, keyed by their (fixed) group array.
        self.counters = {id(c.group): c for c in (pop.count_staff, pop.count_rooms, pop.count_families)}

    def _by_program(self, program: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Count ``mask`` (N, P) per (programme, practice)."""
        return self.counters[id(program)](mask)

    def step(self, model) -> None:
        w, pop, s = model.week, model.pop, model.params.sustain
        st, fam = pop.staff, pop.families
        elig = st.eligible & st.present[:, None]
        using = elig & st.use
        at_fid = using & (st.fidelity >= s.fidelity_threshold)
        self.n_eligible[w] = self._by_program(st.program, elig)
        self.n_using[w] = self._by_program(st.program, using)
        self.n_fidelity[w] = self._by_program(st.program, at_fid)
        # Classrooms reached per practice: any teaching staff at fidelity in the room.
        rows = self.teach_rows
        room_fid = np.zeros((self.C, self.P), dtype=bool)
        r, k = np.nonzero(at_fid[rows])
        room_fid[st.classroom[rows[r]], k] = True
        room_prog = pop.classroom_program
        self.n_rooms_fidelity[w] = self._by_program(room_prog, room_fid)
        reached = room_fid[:, self.classroom_practice].any(axis=1)
        self.reached_now = reached
        if w == 0:
            self.reached_at_start = reached.copy()
        if w == self.end_week:
            self.reached_at_end = reached.copy()
        self.n_rooms_reached[w] = np.bincount(room_prog[reached], minlength=self.M)
        r_use, k_use = np.nonzero(using[rows][:, self.classroom_practice])
        room_using = np.zeros(self.C, dtype=bool)
        room_using[st.classroom[rows[r_use]]] = True
        self.n_rooms_using[w] = np.bincount(room_prog[room_using], minlength=self.M)
        ending = self.room_end_week == w
        if ending.any():
            self.reached_at_cohort_end[ending] = reached[ending]
        lagging = self.room_lag_week == w
        if lagging.any():
            self.reached_at_lag[lagging] = reached[lagging]
            self.using_at_lag[lagging] = room_using[lagging]
            self.sustained_at_lag[lagging] = reached[lagging] & self.reached_at_cohort_end[lagging]
        if w == self.followup_week:
            self.reached_at_followup = reached.copy()
            self.followup_state = {"mean_skill": float(st.skill[st.present].mean()),
                                   "mean_efficacy": float(pop.programs.efficacy.mean())}
        kept = self.reached_at_cohort_end & reached
        self.n_rooms_sustained[w] = np.bincount(room_prog[kept], minlength=self.M)
        self.children_reached[w] = np.bincount(room_prog[reached], weights=pop.classroom_children[reached], minlength=self.M)
        if self.family_practice.any():  # only family-level columns of home_use are ever set
            self.n_families_home[w][:, self.family_practice] = self._by_program(fam.program, fam.home_use[:, self.family_practice])
        if w == self.end_week:
            self.n_families_home_any_end = int(fam.home_use.any(axis=1).sum())
        self.engagement[w] = np.bincount(fam.program, weights=fam.engagement, minlength=self.M) / np.maximum(self.n_families, 1)
        self.culture[w] = pop.programs.culture
        self.momentum[w] = pop.programs.momentum
        self.derailed[w] = pop.programs.derailed
        self.in_collaborative[w] = pop.programs.in_collaborative
        self.n_present[w] = np.bincount(st.program[st.present], minlength=self.M)
        self.n_team[w] = np.bincount(st.program[st.present & st.on_team], minlength=self.M)
        self.cycles[w] = (self.cycles[w - 1] if w else 0) + pop.programs.new_cycles_logged  # every logged cycle
        teaching = self.teach & st.present
        frontline_fid = teaching & at_fid[:, self.classroom_practice].any(axis=1)
        self.frontline[w] = teaching.sum(), frontline_fid.sum()
        if w <= self.end_week:
            self._enrol(st, frontline_fid, w == self.end_week)
        nonteam = st.present & ~st.on_team & self.eligible_any
        self.nonteam[w] = nonteam.sum(), (nonteam & using.any(axis=1)).sum()

    def _enrol(self, st, frontline_fid: np.ndarray, is_end: bool) -> None:
        """Track the people (not posts) who were on the team as teaching staff during the collaborative.

        A post's occupant is identified by its hire week; a vacancy lasts at least a week, so a
        departure is always seen here before the post is refilled.
        """
        left = (self.enrolled_hire >= 0) & (~st.present | (st.hired_week != self.enrolled_hire))
        self.enrolled_hire[left] = -1
        new = self.teach & st.present & st.on_team & (self.enrolled_hire < 0)
        self.enrolled_hire[new] = st.hired_week[new]
        self.n_enrolled += int(new.sum())
        if is_end:
            self.n_enrolled_fidelity_end = int(((self.enrolled_hire >= 0) & frontline_fid).sum())

    # -- tables --------------------------------------------------------------------------
    def timeseries(self, practice_names) -> pd.DataFrame:
        """Tidy week x programme x practice table."""
        H, M, P = self.H, self.M, self.P
        week = np.repeat(np.arange(H, dtype=np.int64), M * P)
        prog = np.tile(np.repeat(np.arange(M, dtype=np.int64), P), H)
        prac = np.tile(np.arange(P), H * M)
        n_rooms = np.broadcast_to(self.n_rooms[None, :, None], (H, M, P)).ravel()
        level = np.asarray(self.classroom_practice | self.family_practice)
        elig, use, fid = (a.ravel().copy() for a in (self.n_eligible, self.n_using, self.n_fidelity))
        rooms_fid = self.n_rooms_fidelity.ravel().astype(np.float64)
        rooms_fid[~level[prac]] = np.nan
        fam = self.n_families_home.ravel().astype(np.float64)
        fam[~self.family_practice[prac]] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            df = pd.DataFrame({
                "week": week,
                "program_id": prog,
                "practice": pd.Categorical.from_codes(prac, categories=list(practice_names)),
                "n_eligible": elig, "n_using": use, "n_fidelity": fid,
                "frac_staff_using": np.where(elig > 0, use / np.maximum(elig, 1), np.nan),
                "frac_staff_fidelity": np.where(elig > 0, fid / np.maximum(elig, 1), np.nan),
                "frac_classrooms_fidelity": rooms_fid / n_rooms,
                "frac_families_home_use": fam / np.maximum(self.n_families[prog], 1),
            }, copy=False)  # fresh columns: no need to consolidate them into blocks (seconds for a state)
        return df

    def program_timeseries(self) -> pd.DataFrame:
        """Tidy week x programme table."""
        H, M = self.H, self.M
        week, prog = (a.ravel() for a in np.meshgrid(np.arange(H), np.arange(M), indexing="ij"))
        rooms = self.n_rooms
        return pd.DataFrame({
            "week": week.astype(np.int64), "program_id": prog.astype(np.int64),
            "culture": self.culture.ravel(), "momentum": self.momentum.ravel(),
            "derailed": self.derailed.ravel(), "in_collaborative": self.in_collaborative.ravel(),
            "n_staff_present": self.n_present.ravel(),
            "n_team_present": self.n_team.ravel(), "cum_pdsa_cycles": self.cycles.ravel(),
            "frac_classrooms_reached": (self.n_rooms_reached / rooms[None, :]).ravel(),
            "mean_family_engagement": self.engagement.ravel(),
            "cum_child_weeks_reached": np.cumsum(self.children_reached, axis=0).ravel(),
        })
