"""Phase 9, measure: weekly aggregates into preallocated narrow arrays, then tidy tables on demand.

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

Storage (issue 19): the week x programme x practice counts are kept in integer arrays just wide
enough for the largest programme (int16 for any programme below 32,768 staff, classrooms or
children), so a state of 8,700 programmes over 260 weeks keeps them in about 0.1 GiB. The tidy
tables are :class:`~bsc_sim.results.LazyTable` objects: built only when a caller asks for them,
or written to Parquet a few weeks at a time (narrow dtypes) without ever holding the whole table.
Each week's counts come from a few fused reductions over preallocated buffers (one for staff rows,
one for classrooms), not one call per count. From ``SPARSE_ENTRIES`` staff entries on (a large cohort
or a state) they are counted where they can be non-zero instead: over the (person, practice) entries
in use, and over present staff by (programme, eligibility class), so a state's week costs in
proportion to its use, not to its staff. Both give the same integers (tests/unit/test_fast_paths.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import PROGRAM_TIMESERIES_DTYPES, TIMESERIES_DTYPES, LazyTable
from .population import LEVELS, SPARSE_ENTRIES, TEACHING_ROLES
from .system import NEVER


def count_dtype(bound: int) -> type:
    """The narrowest signed integer type that holds every count up to ``bound`` exactly."""
    for dtype in (np.int16, np.int32):
        if bound <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def _columns(mask: np.ndarray) -> slice | np.ndarray:
    """The columns where ``mask`` holds: a slice when they are contiguous (indexing gives a view)."""
    cols = np.flatnonzero(mask)
    if len(cols) and (np.diff(cols) == 1).all():
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def _n_distinct(sorted_values: np.ndarray) -> int:
    """How many distinct values a sorted array holds."""
    n = len(sorted_values)
    return int(np.count_nonzero(sorted_values[1:] != sorted_values[:-1])) + 1 if n else 0


def _any(a: np.ndarray) -> np.ndarray:
    """Rows of ``a`` (N, K) with any True (``a.any(axis=1)`` without its Python wrapper)."""
    return np.logical_or.reduce(a, axis=1)


class Recorder:
    """Collects the weekly state of every programme and practice."""

    def setup(self, model) -> None:
        pop, H = model.pop, model.calendar.horizon
        st, fam = pop.staff, pop.families
        M, P, C = pop.n_programs, len(model.practice_effect), len(pop.classroom_program)
        self.H, self.M, self.P, self.C = H, M, P, C
        self.teach = np.isin(st.role, TEACHING_ROLES)
        self.classroom_practice = pop.practice_level == LEVELS.index("classroom")
        self.family_practice = pop.practice_level == LEVELS.index("family")
        self.has_family_practice = bool(self.family_practice.any())
        self.n_families = np.bincount(fam.program, minlength=M)
        self.n_rooms = np.maximum(pop.programs.n_classrooms, 1).astype(np.float64)
        # Counts per programme never exceed its staff posts, classrooms (or their children) and
        # families, so each block is kept in the narrowest integer type that holds them exactly.
        per_program = lambda group, w=None: int(np.bincount(group, weights=w, minlength=M).max(initial=0))  # noqa: E731
        room_children = pop.classroom_children
        staff_t = count_dtype(per_program(st.program))
        room_t = count_dtype(max(per_program(pop.classroom_program), per_program(pop.classroom_program, room_children)))
        # Staff rows: eligible, using, at fidelity (P columns each), present, on the team and present;
        # then four counts summed over the state (teaching present, of whom at fidelity; non-team
        # eligible present, of whom using).
        self.staff_counts = np.zeros((H, M, 3 * P + 2), dtype=staff_t)
        self.n_eligible = self.staff_counts[:, :, :P]
        self.n_using = self.staff_counts[:, :, P:2 * P]
        self.n_fidelity = self.staff_counts[:, :, 2 * P:3 * P]
        self.n_present = self.staff_counts[:, :, 3 * P]
        self.n_team = self.staff_counts[:, :, 3 * P + 1]
        self.state_counts = np.zeros((H, 4), dtype=np.int64)
        self.frontline = self.state_counts[:, 0:2]  # present teaching staff, of whom >=1 classroom practice at fidelity
        self.nonteam = self.state_counts[:, 2:4]    # non-team eligible present staff, of whom using >=1
        # Classroom rows: reached on each practice (P), reached, using a classroom practice at any
        # fidelity, sustained (reached at its cohort's end and this week), children if reached.
        self.room_counts = np.zeros((H, M, P + 4), dtype=room_t)
        self.n_rooms_fidelity = self.room_counts[:, :, :P]
        self.n_rooms_reached = self.room_counts[:, :, P]
        self.n_rooms_using = self.room_counts[:, :, P + 1]
        self.n_rooms_sustained = self.room_counts[:, :, P + 2]
        self.children_reached = self.room_counts[:, :, P + 3]
        self.n_families_home = np.zeros((H, M, P), dtype=count_dtype(int(self.n_families.max(initial=0))))
        self.culture = np.zeros((H, M))
        self.momentum = np.zeros((H, M))
        self.engagement = np.zeros((H, M))
        self.derailed = np.zeros((H, M), dtype=bool)
        self.in_collaborative = np.zeros((H, M), dtype=bool)
        self.cycles = np.zeros((H, M), dtype=np.int32)
        # Buffers reused every week (no weekly temporaries of these sizes).
        S, F = len(st.role), len(fam.program)
        self._staff_buf = np.zeros((S, 3 * P + 6), dtype=bool)
        self._room_buf = np.zeros((C, P + 4), dtype=room_t)
        self._fam_buf = np.zeros((F, int(self.family_practice.sum())), dtype=bool)
        self._fid_buf = np.zeros((S, P), dtype=bool)
        self._room_children = room_children.astype(room_t)
        self._classroom_cols = _columns(self.classroom_practice)   # a slice when contiguous (a view, no copy)
        self._family_cols = _columns(self.family_practice)
        self._family_den = np.maximum(self.n_families, 1)
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
        # The weeks in which some classroom's cohort ends or its lag reading falls (checked by a set
        # lookup each week instead of two comparisons over every classroom).
        self._ending_weeks = {int(w) for w in np.unique(self.room_end_week)}
        self._lag_weeks = {int(w) for w in np.unique(self.room_lag_week) if w < NEVER}
        # Enrolment of teaching staff in the collaborative (on its team at some week up to the end):
        # the hire week of the person enrolled in each post (-1: none), and counts of people.
        self.enrolled_hire = np.full(len(st.role), -1, dtype=np.int64)
        self.n_enrolled = 0                                   # teaching staff ever enrolled (leavers too)
        self.n_enrolled_fidelity_end = 0                      # of them, present at fidelity at the end
        self.eligible_any = st.eligible.any(axis=1)           # static: roles never change
        self.teach_rows = np.flatnonzero(self.teach)
        self._teach_room = st.classroom[self.teach_rows]      # static: posts keep their classroom
        # Counters by programme of staff, classroom and family rows, keyed by their (fixed) group array.
        self.counters = {id(c.group): c for c in (pop.count_staff, pop.count_rooms, pop.count_families)}
        self._count_staff, self._count_rooms, self._count_families = pop.count_staff, pop.count_rooms, pop.count_families
        # Static lookups of the sparse counts (roles, classrooms and eligibility never change).
        # Staff fall into classes by their eligibility row and teaching role; a week's counts of present
        # staff by (programme, class) times each class's row give the eligible and present columns.
        K = 3 * P + 2
        rows, klass = np.unique(np.c_[st.eligible, self.teach], axis=0, return_inverse=True)
        klass = klass.reshape(-1)
        self._n_class = len(rows)
        self._staff_class = st.program * self._n_class + klass
        self._class_columns = np.zeros((len(rows), K))
        self._class_columns[:, :P] = rows[:, :P]
        self._class_columns[:, 3 * P] = 1
        self._teach_class = rows[:, P].astype(bool)
        self._elig_class = rows[:, :P].any(axis=1)
        self._eligible_flat = st.eligible.reshape(-1)
        self._eligible_any = self.eligible_any
        self._staff_program, self._staff_room, self._teach = st.program, st.classroom, self.teach
        self._classroom_col = np.asarray(self.classroom_practice, dtype=bool)
        self._room_program = pop.classroom_program
        self._room_children_f = room_children.astype(np.float64)
        self._staff_week = np.empty((M, K))
        # Small populations count over whole buffers (fewer calls); large ones only where use is.
        self._sparse = S * P >= SPARSE_ENTRIES
        self._room_mark = np.zeros(C * P, dtype=bool)

    def _by_program(self, program: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Count ``mask`` (N, P) per (programme, practice)."""
        return self.counters[id(program)](mask)

    def _keep_reached(self, w: int, reached: np.ndarray, room_using: np.ndarray, st, programs) -> None:
        """Keep this week's classrooms reached (and using) at the weeks the outcomes read: start, end,
        each classroom's cohort end and lag, and follow-up (both recording paths share this)."""
        self.reached_now = reached
        if w == 0:
            self.reached_at_start = reached.copy()
        if w == self.end_week:
            self.reached_at_end = reached.copy()
        if w in self._ending_weeks:
            ending = self.room_end_week == w
            self.reached_at_cohort_end[ending] = reached[ending]
        if w in self._lag_weeks:
            lagging = self.room_lag_week == w
            self.reached_at_lag[lagging] = reached[lagging]
            self.using_at_lag[lagging] = room_using[lagging]
            self.sustained_at_lag[lagging] = reached[lagging] & self.reached_at_cohort_end[lagging]
        if w == self.followup_week:
            self.reached_at_followup = reached.copy()
            self.followup_state = {"mean_skill": float(st.skill[st.present].mean()),
                                   "mean_efficacy": float(programs.efficacy.mean())}

    def _record_families_and_programs(self, w: int, fam, programs) -> None:
        """Families' home use and engagement, and the programmes' weekly state (both paths)."""
        # Families: home use of family-level practices (only those columns of home_use are ever set).
        if self.has_family_practice:
            self._fam_buf[:] = fam.home_use[:, self._family_cols]
            self.n_families_home[w][:, self._family_cols] = self._count_families(self._fam_buf)
        if w == self.end_week:
            self.n_families_home_any_end = int(fam.home_use.any(axis=1).sum())
        np.divide(np.bincount(fam.program, weights=fam.engagement, minlength=self.M), self._family_den, out=self.engagement[w])
        self.culture[w] = programs.culture
        self.momentum[w] = programs.momentum
        self.derailed[w] = programs.derailed
        self.in_collaborative[w] = programs.in_collaborative
        if w:
            np.add(self.cycles[w - 1], programs.new_cycles_logged, out=self.cycles[w], casting="unsafe")
        else:
            self.cycles[w] = programs.new_cycles_logged  # every logged cycle

    def step(self, model) -> None:
        if self._sparse:
            self._step_sparse(model)
        else:
            self._step_dense(model)

    def _step_dense(self, model) -> None:
        """The week's counts by reductions over whole buffers (fewest calls: small populations)."""
        w, pop, s = model.week, model.pop, model.params.sustain
        st, fam, programs = pop.staff, pop.families, pop.programs
        P = self.P
        # Staff rows: one boolean buffer, one reduction by programme.
        B = self._staff_buf
        elig, using, at_fid = B[:, :P], B[:, P:2 * P], B[:, 2 * P:3 * P]
        present = st.present
        np.logical_and(st.eligible, present[:, None], out=elig)
        np.logical_and(elig, st.use, out=using)
        np.greater_equal(st.fidelity, s.fidelity_threshold, out=self._fid_buf)
        np.logical_and(using, self._fid_buf, out=at_fid)
        B[:, 3 * P] = present
        np.logical_and(present, st.on_team, out=B[:, 3 * P + 1])
        teaching = np.logical_and(self.teach, present, out=B[:, 3 * P + 2])
        frontline_fid = np.logical_and(teaching, _any(at_fid[:, self._classroom_cols]), out=B[:, 3 * P + 3])
        nonteam = np.logical_and(present, self.eligible_any, out=B[:, 3 * P + 4])
        nonteam &= ~st.on_team
        np.logical_and(nonteam, _any(using), out=B[:, 3 * P + 5])
        counts = self._count_staff(B)
        self.staff_counts[w] = counts[:, :3 * P + 2]
        self.state_counts[w] = np.add.reduce(counts[:, 3 * P + 2:], axis=0)
        # Classrooms: reached per practice when any teaching staff member in the room is at
        # fidelity; then reached, using, sustained and children reached, one reduction by programme.
        R = self._room_buf
        R.fill(0)
        rows = self.teach_rows
        r, k = at_fid[rows].nonzero()
        R[self._teach_room[r], k] = 1
        reached = _any(R[:, self._classroom_cols])
        room_using = np.zeros(self.C, dtype=bool)
        room_using[self._teach_room[_any(using[rows][:, self._classroom_cols])]] = True
        self._keep_reached(w, reached, room_using, st, programs)
        R[:, P] = reached
        R[:, P + 1] = room_using
        np.logical_and(self.reached_at_cohort_end, reached, out=R[:, P + 2], casting="unsafe")
        np.multiply(self._room_children, reached, out=R[:, P + 3])
        self.room_counts[w] = self._count_rooms(R)
        self._record_families_and_programs(w, fam, programs)
        if w <= self.end_week:
            self._enrol(st, teaching & B[:, 3 * P + 1], frontline_fid, w == self.end_week)

    def _step_sparse(self, model) -> None:
        """The week's counts where they can be non-zero (a state: work in proportion to use, not to staff)."""
        w, pop, s = model.week, model.pop, model.params.sustain
        st, fam, programs = pop.staff, pop.families, pop.programs
        P, M = self.P, self.M
        present = st.present
        # Staff rows. Every count is an integer, so it is counted where it can be non-zero: over the
        # (person, practice) entries in use, and by (programme, eligibility class) over present staff.
        flat = st.use.reshape(-1).nonzero()[0]
        r = flat // P
        keep = present.take(r)
        keep &= self._eligible_flat.take(flat)                 # in use, eligible and present
        flat, r = flat[keep], r[keep]
        k = flat - r * P
        fid = st.fidelity.reshape(-1).take(flat) >= s.fidelity_threshold
        pg = self._staff_program.take(r)
        by_class = np.bincount(self._staff_class[present], minlength=M * self._n_class).reshape(M, self._n_class)
        # Eligible (P columns) and present; whole numbers far below 2**53, so a float product is exact.
        counts = self._staff_week
        np.matmul(by_class.astype(np.float64), self._class_columns, out=counts)
        team = (st.on_team & present).nonzero()[0]
        K = 3 * P + 2
        pk = pg * K + k
        idx = np.concatenate((pk + P, pk[fid] + 2 * P, self._staff_program.take(team) * K + (3 * P + 1)))
        counts += np.bincount(idx, minlength=M * K).reshape(M, K)
        self.staff_counts[w] = counts       # whole numbers: the cast is exact
        # State totals: present teaching staff, of whom at fidelity on a classroom practice; present
        # eligible staff off the team, of whom using at least one practice.
        teach_r = self._teach.take(r)
        fid_rows = r[fid & teach_r & self._classroom_col.take(k)]
        team_elig = self._eligible_any.take(team)
        off_team = ~st.on_team.take(r)
        use_rows = r[off_team]
        tot = self.state_counts[w]
        class_total = by_class.sum(axis=0)
        tot[0] = class_total[self._teach_class].sum()
        tot[1] = _n_distinct(fid_rows)
        tot[2] = class_total[self._elig_class].sum() - int(team_elig.sum())
        tot[3] = _n_distinct(use_rows)
        # Classrooms: reached on a practice when a present teaching staff member in the room is at
        # fidelity on it; reached when reached on a classroom practice; using when one uses a classroom
        # practice at any fidelity.
        t_room = self._staff_room.take(r[teach_r])
        t_k = k[teach_r]
        t_fid = fid[teach_r]
        C = self.C
        mark = self._room_mark                                  # (classroom, practice) pairs, distinct and sorted
        mark[t_room[t_fid] * P + t_k[t_fid]] = True
        room_k = mark.nonzero()[0]
        mark[room_k] = False
        reached = np.zeros(C, dtype=bool)
        reached[room_k[self._classroom_col.take(room_k % P)] // P] = True
        room_using = np.zeros(C, dtype=bool)
        room_using[t_room[self._classroom_col.take(t_k)]] = True
        self._keep_reached(w, reached, room_using, st, programs)
        KR = P + 4
        rooms = reached.nonzero()[0]
        rprog = self._room_program.take(rooms)
        ridx = np.concatenate((self._room_program.take(room_k // P) * KR + room_k % P, rprog * KR + P,
                               self._room_program.take(room_using.nonzero()[0]) * KR + (P + 1),
                               rprog[self.reached_at_cohort_end.take(rooms)] * KR + (P + 2)))
        room_counts = np.bincount(ridx, minlength=M * KR).reshape(M, KR)
        # Children of reached classrooms (whole numbers, so their float sum is exact).
        room_counts[:, P + 3] = np.bincount(rprog, weights=self._room_children_f.take(rooms), minlength=M)
        self.room_counts[w] = room_counts
        self._record_families_and_programs(w, fam, programs)
        if w <= self.end_week:
            teaching_on_team = np.zeros(len(present), dtype=bool)
            teaching_on_team[team[self._teach.take(team)]] = True
            frontline_fid = np.zeros(len(present), dtype=bool)
            frontline_fid[fid_rows] = True
            self._enrol(st, teaching_on_team, frontline_fid, w == self.end_week)

    def _enrol(self, st, teaching_on_team: np.ndarray, frontline_fid: np.ndarray, is_end: bool) -> None:
        """Track the people (not posts) who were on the team as teaching staff during the collaborative.

        A post's occupant is identified by its hire week; a vacancy lasts at least a week, so a
        departure is always seen here before the post is refilled. ``teaching_on_team``: present
        teaching staff on the team this week.
        """
        hire = self.enrolled_hire
        left = (hire >= 0) & ~(st.present & (st.hired_week == hire))
        hire[left] = -1
        new = teaching_on_team & (hire < 0)
        self.enrolled_hire[new] = st.hired_week[new]
        self.n_enrolled += int(new.sum())
        if is_end:
            self.n_enrolled_fidelity_end = int(((self.enrolled_hire >= 0) & frontline_fid).sum())

    # -- tables --------------------------------------------------------------------------
    def timeseries_table(self, practice_names) -> TimeseriesTable:
        """The week x programme x practice table, built on demand (:class:`TimeseriesTable`)."""
        return TimeseriesTable(self, practice_names)

    def program_timeseries_table(self) -> ProgramTimeseriesTable:
        """The week x programme table, built on demand (:class:`ProgramTimeseriesTable`)."""
        return ProgramTimeseriesTable(self)

    def timeseries(self, practice_names) -> pd.DataFrame:
        """Tidy week x programme x practice table."""
        return self.timeseries_table(practice_names).frame()

    def program_timeseries(self) -> pd.DataFrame:
        """Tidy week x programme table."""
        return self.program_timeseries_table().frame()


class TimeseriesTable(LazyTable):
    """Week x programme x practice: staff eligible, using and at fidelity, classrooms and families.

    Holds the recorder's count arrays (not the model); rows are week-major, then programme, then
    practice. Shares are undefined (NaN) where the denominator is zero or the practice is not of
    the level (classrooms: classroom and family practices; families: family practices).
    """

    dtypes = TIMESERIES_DTYPES

    def __init__(self, rec: Recorder, practice_names) -> None:
        self.n_weeks, self.rows_per_week = rec.H, rec.M * rec.P
        self.M, self.P = rec.M, rec.P
        self.names = list(practice_names)
        self.n_eligible, self.n_using, self.n_fidelity = rec.n_eligible, rec.n_using, rec.n_fidelity
        self.n_rooms_fidelity, self.n_families_home = rec.n_rooms_fidelity, rec.n_families_home
        self.n_rooms, self.n_families = rec.n_rooms, rec.n_families
        self.level = np.asarray(rec.classroom_practice | rec.family_practice)
        self.family_practice = rec.family_practice
        self.narrow = {"week": count_dtype(rec.H), "program_id": count_dtype(rec.M),
                       **dict.fromkeys(("n_eligible", "n_using", "n_fidelity"), rec.staff_counts.dtype)}

    def columns(self, w0: int, w1: int) -> dict[str, np.ndarray]:
        M, P = self.M, self.P
        prac = np.tile(np.arange(P), (w1 - w0) * M)
        prog = np.tile(np.repeat(np.arange(M, dtype=np.int64), P), w1 - w0)
        part = lambda a, dtype: a[w0:w1].ravel().astype(dtype)  # noqa: E731 - always a fresh copy
        elig, use, fid = (part(a, np.int32) for a in (self.n_eligible, self.n_using, self.n_fidelity))
        n_rooms = np.tile(np.repeat(self.n_rooms, P), w1 - w0)
        rooms_fid = part(self.n_rooms_fidelity, np.float64)
        rooms_fid[~self.level[prac]] = np.nan
        fam = part(self.n_families_home, np.float64)
        fam[~self.family_practice[prac]] = np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "week": np.repeat(np.arange(w0, w1, dtype=np.int64), M * P),
                "program_id": prog,
                "practice": pd.Categorical.from_codes(prac, categories=self.names),
                "n_eligible": elig, "n_using": use, "n_fidelity": fid,
                "frac_staff_using": np.where(elig > 0, use / np.maximum(elig, 1), np.nan),
                "frac_staff_fidelity": np.where(elig > 0, fid / np.maximum(elig, 1), np.nan),
                "frac_classrooms_fidelity": rooms_fid / n_rooms,
                "frac_families_home_use": fam / np.maximum(self.n_families[prog], 1),
            }


class ProgramTimeseriesTable(LazyTable):
    """Week x programme: culture, momentum, headcount, team, PDSA cycles, reach, engagement."""

    dtypes = PROGRAM_TIMESERIES_DTYPES

    def __init__(self, rec: Recorder) -> None:
        self.n_weeks, self.rows_per_week, self.M = rec.H, rec.M, rec.M
        self.series = {"culture": rec.culture, "momentum": rec.momentum, "derailed": rec.derailed,
                       "in_collaborative": rec.in_collaborative, "n_staff_present": rec.n_present,
                       "n_team_present": rec.n_team, "cum_pdsa_cycles": rec.cycles,
                       "n_rooms_reached": rec.n_rooms_reached, "mean_family_engagement": rec.engagement}
        self.children_reached = rec.children_reached
        self.n_rooms = rec.n_rooms
        self.narrow = {"week": count_dtype(rec.H), "program_id": count_dtype(rec.M),
                       **dict.fromkeys(("n_staff_present", "n_team_present"), rec.staff_counts.dtype)}

    def columns(self, w0: int, w1: int) -> dict[str, np.ndarray]:
        s, M = self.series, self.M
        part = lambda name: s[name][w0:w1].ravel().astype(self.dtypes[name])  # noqa: E731
        # Cumulative child-weeks: the sum of the weeks before w0, then the running sum from there.
        before = self.children_reached[:w0].sum(axis=0, dtype=np.int64)
        return {
            "week": np.repeat(np.arange(w0, w1, dtype=np.int64), M),
            "program_id": np.tile(np.arange(M, dtype=np.int64), w1 - w0),
            **{name: part(name) for name in ("culture", "momentum", "derailed", "in_collaborative", "n_staff_present",
                                             "n_team_present", "cum_pdsa_cycles")},
            "frac_classrooms_reached": (s["n_rooms_reached"][w0:w1] / self.n_rooms[None, :]).ravel(),
            "mean_family_engagement": part("mean_family_engagement"),
            "cum_child_weeks_reached": (before + np.cumsum(self.children_reached[w0:w1], axis=0, dtype=np.int64)).ravel(),
        }
