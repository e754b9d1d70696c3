"""Phase 1, calendar: the collaborative's schedule as data, and the events and supports of each week.

The schedule (IHI BTS timeline [ihi2003]): community meeting (week 0) -> prework -> LS1 -> action
period -> LS2 -> ... -> congress (last week of the collaborative) -> follow-up. Calls fall every
``call_interval_weeks`` from LS1 until the supports end. Coaching visits and the one-off workshop
are scheduled here too, so every design's timeline can be printed and tested without running
the model (:func:`build_calendar`).

The events (ODD 7.1), applied by :class:`CalendarPhase`:

* Community meeting: teams choose the focus together, which raises change commitment.
* Learning sessions (a dose that fades, ODD 7.3): faculty teach QI skill and the evidence for each
  practice, raise change efficacy and give the team *momentum* (motivation and know-how that
  decays between sessions, in the culture phase); the lasting gains are smaller when the last
  session's momentum is still high (the spacing effect); "all teach, all learn" pulls beliefs toward the
  pooled PDSA results of every programme and local fit toward the adaptations others found;
  attendees of different programmes form new ties (homophily by programme kind) and strengthen
  old ones. Virtual sessions teach a little less and form far fewer ties; a large cohort per
  faculty member dilutes what each team learns.
* Calls: a lighter version of the sharing part of a session, with a little momentum.
* Congress: sharing without new faculty content.
* Only programmes still in the collaborative attend; a derailed programme's staff attend less.
* Coach (the single coach/consultant alternative; skipped while a programme is derailed): every visit the coach works with one focus
  teacher, rotating through the programme's teaching staff, on the best-evidenced classroom or
  family practice that teacher does not yet use at fidelity; while coached, the teacher gets full
  feedback (fidelity ceiling 1) on all of their practices, part of which becomes lasting skill
  (sustainment), and once at fidelity coaches colleagues (peer feedback). The coach is paid for every visit.
  Individual practice change: no team, no PDSA, no cross-programme learning. What spreads from
  the focus teacher spreads by contagion.
* Workshop ("one-off training"): in one week teaching and family-services staff may attend;
  attendees gain some belief and skill and a small lasting gain in fidelity on the classroom and
  family practices (``training.lasting_gain``, fading like any lasting skill), and may start
  practices at low fidelity, which then grows toward their own lasting level. No follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import Params
from .population import FAMILY_SERVICES, LEVELS, TEACHING_ROLES, supported

WORKSHOP_ROLES = (*TEACHING_ROLES, FAMILY_SERVICES)
# Events with up to this many attendees draw new ties exactly among all of them (an n x n draw);
# larger ones draw each attendee's partners from a uniform pool of TIE_POOL attendees.
EXACT_TIE_DRAW = 512
TIE_POOL = 64


def _programs(of: np.ndarray, n_programs: int) -> np.ndarray:
    """The programmes in ``of``, ascending, once each (``np.unique``; a bincount when that is quicker)."""
    if 8 * len(of) < n_programs:
        return np.unique(of)
    return np.flatnonzero(np.bincount(of, minlength=n_programs))


@dataclass(frozen=True)
class Calendar:
    """Per-week event flags, each an array of length ``horizon`` (weeks 0 .. horizon-1)."""

    horizon: int
    end_week: int                     # week the collaborative ends (its congress week)
    community_meeting: np.ndarray     # bool
    session_number: np.ndarray        # int, 1-based session index, 0 if none
    call: np.ndarray                  # bool
    congress: np.ndarray              # bool
    supports_active: np.ndarray       # bool: faculty, calls and data-use support are available
    coach_visit: np.ndarray           # bool
    training: np.ndarray              # bool
    followup_week: int = -1           # the fixed follow-up reading (-1: the last week)

    def __post_init__(self) -> None:
        if self.followup_week < 0:
            object.__setattr__(self, "followup_week", self.horizon - 1)

    def events_at(self, week: int) -> list[str]:
        """Names of the events in ``week``."""
        out = []
        if self.community_meeting[week]:
            out.append("community_meeting")
        if self.session_number[week]:
            out.append(f"learning_session_{self.session_number[week]}")
        for name in ("call", "congress", "coach_visit", "training"):
            if getattr(self, name)[week]:
                out.append(name)
        return out

    def session_weeks(self) -> list[int]:
        return [int(w) for w in np.flatnonzero(self.session_number)]


def build_calendar(p: Params) -> Calendar:
    """The week-by-week calendar of a design (of each cohort, from its start week, in a statewide system)."""
    # The calendar runs past the follow-up week (collaborative_weeks - 1) when a design's supports end
    # so late that the lag reading would fall after it (Params.calendar_weeks).
    c, H = p.collaborative, p.calendar_weeks
    end = c.duration_weeks - 1
    weeks = np.arange(H)
    meeting = np.zeros(H, dtype=bool)
    session = np.zeros(H, dtype=np.int64)
    call = np.zeros(H, dtype=bool)
    congress = np.zeros(H, dtype=bool)
    supports = np.zeros(H, dtype=bool)
    if c.enabled:
        meeting[0] = c.community_meeting
        starts = c.prework_weeks + c.session_spacing_weeks * np.arange(c.n_sessions)
        session[starts] = np.arange(1, c.n_sessions + 1)
        supports_end = min(H - 1, end + c.followup_support_weeks)
        supports[: supports_end + 1] = True
        if c.call_interval_weeks > 0:
            first = starts[0] if c.n_sessions else c.prework_weeks
            call = (weeks > first) & (weeks <= supports_end) & ((weeks - first) % c.call_interval_weeks == 0)
            call &= session == 0
        congress[end] = c.congress
        call &= ~congress
    k = p.coaching
    coach = np.zeros(H, dtype=bool)
    if k.enabled:
        coach = (weeks < k.weeks) & (weeks % k.visit_interval_weeks == 0)
    training = np.zeros(H, dtype=bool)
    if p.training.enabled:
        training[p.training.week] = True
    return Calendar(H, end, meeting, session, call, congress, supports, coach, training, p.collaborative_weeks - 1)


class CalendarPhase:
    """Applies the week's events: meeting, sessions, congress, calls, data-use support, coach, workshop."""

    def setup(self, model) -> None:
        # Attendance of staff seats (a fixed number of draws per event), tie formation and families'
        # attendance draw from separate streams, so designs that differ in ties or families keep
        # common random numbers for who attends.
        self.rng, self.tie_rng, self.family_rng = model.streams["learning"].spawn(3)
        self.support_rng = model.streams["supports"]
        self.region_rng = model.streams["region_ties"]
        sch = model.schedule
        order = np.argsort(sch.program_cohort, kind="stable")
        counts = np.bincount(sch.program_cohort + 1, minlength=sch.n_cohorts + 1)[1:]   # skip the unenrolled
        first = np.searchsorted(sch.program_cohort[order], 0)
        self.members = np.split(order[first:], np.cumsum(counts)[:-1])   # programmes of each cohort, ascending
        st = model.pop.staff
        teach = np.flatnonzero(np.isin(st.role, TEACHING_ROLES))
        # Padded (programme x k) table of teaching slots, leads first, for the coach's rotation.
        order = teach[np.lexsort((st.role[teach], st.program[teach]))]
        counts = np.bincount(st.program[order], minlength=model.pop.n_programs)
        self.n_teach = counts
        self.table = np.full((len(counts), max(1, counts.max(initial=0))), -1)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        col = np.arange(len(order)) - np.repeat(starts, counts)
        self.table[st.program[order], col] = order
        # Practices a coach or workshop addresses: classroom- and family-level (teachers promote the latter).
        self.classroom_practice = np.isin(model.pop.practice_level, (LEVELS.index("classroom"), LEVELS.index("family")))
        self.agenda = self._agenda(sch, model.calendar.horizon)
        self.supported_by_week = self._supported_by_week(sch, model.calendar.horizon)

    EVENTS = ("community_meeting", "session_number", "congress", "call")
    SUPPORTS = ("coach_visit", "training")

    @staticmethod
    def _agenda(sch, horizon: int) -> dict[int, tuple[np.ndarray, list, list]]:
        """The schedule's events, week by week, worked out once (the schedule is fixed before week 0):
        {week: (starting cohorts, [(event, cohorts)...], [(support, cohorts)...])} for weeks with any.
        The cohorts are what ``sch.cohorts_with(name, week)`` gives, in cohort order."""
        t = sch.template
        rel = np.arange(horizon)[:, None] - sch.cohort_start[None, :]          # (H, K)
        valid = (rel >= 0) & (rel < t.horizon)
        rel = np.clip(rel, 0, max(t.horizon - 1, 0))
        flags = {name: (getattr(t, name)[rel] != 0) & valid for name in CalendarPhase.EVENTS + CalendarPhase.SUPPORTS}
        starts = np.arange(horizon)[:, None] == sch.cohort_start[None, :]
        busy = starts.any(axis=1)
        for x in flags.values():
            busy |= x.any(axis=1)
        agenda = {}
        for w in np.flatnonzero(busy):
            events = [(name, np.flatnonzero(flags[name][w])) for name in CalendarPhase.EVENTS]
            supports = [(name, np.flatnonzero(flags[name][w])) for name in CalendarPhase.SUPPORTS]
            agenda[int(w)] = (np.flatnonzero(starts[w]), [(n, k) for n, k in events if len(k)],
                              [(n, k) for n, k in supports if len(k)])
        return agenda

    @staticmethod
    def _supported_by_week(sch, horizon: int) -> list[np.ndarray]:
        """Week by week, the (M,) array ``sch.program_supported(week)`` gives (programmes whose cohort has
        its supports), worked out once; weeks with the same cohorts supported share one read-only array."""
        t = sch.template
        rel = np.arange(horizon)[:, None] - sch.cohort_start[None, :]          # (H, K)
        valid = (rel >= 0) & (rel < t.horizon)
        rel = np.clip(rel, 0, max(t.horizon - 1, 0))
        flags = (t.supports_active[rel] != 0) & valid
        out, last = [], None
        for w in range(horizon):
            if last is None or not np.array_equal(flags[w], flags[w - 1]):
                last = np.r_[flags[w], False][sch.program_cohort]
                last.flags.writeable = False
            out.append(last)
        return out

    def step(self, model) -> None:
        sch, w = model.schedule, model.week
        model.pop.programs.new_session_dose[:] = 0
        # This week's supported programmes, for :func:`.population.supported` (the calendar runs first).
        if w < len(self.supported_by_week):
            model._program_supported = w, sch, self.supported_by_week[w]
        starting, events, supports = self.agenda.get(w, (None, (), ()))
        if starting is not None and len(starting):
            self._start_cohorts(model, starting)
        for name, ks in events:
            getattr(self, self.HANDLERS[name])(model, ks)
        supported_now = supported(model)
        if supported_now.any():
            model.ledger.data_support(model, supported_now)
        if model.params.system.enabled:
            model.ledger.coordination(model, sch.cohort_supported(w)[:-1])
        for name, ks in supports:
            getattr(self, self.HANDLERS[name])(model, self._in_cohorts(model, ks))

    HANDLERS = {"community_meeting": "community_meeting", "session_number": "learning_session", "congress": "congress",
                "call": "call", "coach_visit": "coach_visits", "training": "workshop"}

    @staticmethod
    def _start_cohorts(model, ks: np.ndarray) -> None:
        """Teams of the starting cohorts take their seats (present staff and the families)."""
        pop, sch = model.pop, model.schedule
        for people, present in ((pop.staff, pop.staff.present), (pop.families, True)):
            starts = np.isin(sch.program_cohort[people.program], ks)
            people.on_team[starts] = people.team_seat[starts] & (present[starts] if present is not True else True)

    @staticmethod
    def _every_cohort(model) -> np.ndarray:
        return np.arange(model.schedule.n_cohorts)

    @staticmethod
    def _in_cohorts(model, ks: np.ndarray) -> np.ndarray:
        """(M,) the programme belongs to one of the cohorts ``ks``."""
        mask = np.zeros(model.schedule.n_cohorts + 1, dtype=bool)
        mask[ks] = True
        return mask[model.schedule.program_cohort]

    @staticmethod
    def _by_cohort(model, att: np.ndarray, ks: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Split attending seats (ascending) by cohort, keeping their order: [(cohort, seats), ...]."""
        if len(ks) == 1:
            return [(int(ks[0]), att)]
        cohort = model.schedule.program_cohort[model.pop.ties.program[att]]
        order = np.argsort(cohort, kind="stable")
        bounds = np.searchsorted(cohort[order], ks)
        ends = np.searchsorted(cohort[order], ks, side="right")
        return [(int(k), att[order[a:b]]) for k, a, b in zip(ks, bounds, ends)]

    # -- collaborative events --------------------------------------------------------------
    def _attendees(self, model, prob: float, ks: np.ndarray) -> np.ndarray:
        """Indices (into the tie seats) of present team members of cohorts ``ks`` who attend, one draw per seat.

        Only programmes still in the collaborative attend; a derailed programme's staff come less.
        """
        st, pr, ties = model.pop.staff, model.pop.programs, model.pop.ties
        slots = ties.slots
        here = st.present[slots] & st.on_team[slots] & pr.in_collaborative[ties.program]
        if model.schedule.n_cohorts > 1:
            here &= self._in_cohorts(model, ks)[ties.program]
        factor = np.where(pr.derailed[ties.program], model.params.disruption.attendance_factor, 1.0)
        att = np.flatnonzero(here & (self.rng.random(len(slots)) < prob * factor))
        st.reinforced_week[slots[att]] = model.week
        return att

    def _momentum(self, model, att: np.ndarray, gain: np.ndarray | float) -> None:
        """Teams gain momentum by the share of their seats that attended, saturating toward 1."""
        pr, ties = model.pop.programs, model.pop.ties
        M = model.pop.n_programs
        seats = np.maximum(np.bincount(ties.program, minlength=M), 1)
        dose = np.bincount(ties.program[att], minlength=M) / seats
        pr.momentum += gain * dose * (1.0 - pr.momentum)

    @staticmethod
    def _faculty_factor(model, k: int) -> float:
        """Session gains shrink when each faculty member serves more programmes than the reference."""
        lp = model.params.learning
        per_faculty = int(model.schedule.cohort_size[k]) / max(1, model.params.costs.n_faculty)
        return 1.0 / (1.0 + lp.faculty_dilution * max(0.0, per_faculty - lp.programs_per_faculty_ref))

    def _share_all(self, model, att: np.ndarray, rate: float, k: int) -> None:
        """'All teach, all learn': attendees' beliefs move toward the pooled current results of their cohort."""
        if not model.params.collaborative.cross_learning or len(att) == 0:
            return
        pr = model.pop.programs
        members = self.members[k]
        result = pr.shared_result[members]
        fresh = (model.week - pr.shared_week[members]) <= model.params.learning.result_memory_weeks
        n_fresh = fresh.sum(axis=0)
        pooled = np.divide((result * fresh).sum(axis=0), n_fresh, out=np.zeros(result.shape[1]), where=n_fresh > 0)
        rows = model.pop.ties.slots[att]
        b = model.pop.staff.belief
        b[rows] += rate * (n_fresh > 0) * (pooled - b[rows])
        # Adaptations are shared too: attendees' programmes move toward the fit others found.
        fit = pr.fit[members]
        adapted = fit > 0
        n_adapted = adapted.sum(axis=0)
        target = np.divide((fit * adapted).sum(axis=0), n_adapted, out=np.zeros(pr.fit.shape[1]),
                           where=n_adapted > 0)
        progs = _programs(model.pop.ties.program[att], model.pop.n_programs)
        pr.fit[progs] += rate * np.maximum(0.0, target[None, :] - pr.fit[progs])

    def _form_ties(self, model, att: np.ndarray, factor: float) -> None:
        """Each attendee ties to ~Poisson(new_ties) attendees of other programmes, favouring its own kind.

        Partners are drawn by weighted sampling without replacement (Gumbel top-k) among the
        event's attendees; above ``EXACT_TIE_DRAW`` attendees each one draws from a uniform pool of
        ``TIE_POOL`` attendees instead, so the work stays linear in the attendees (ODD 7.11).
        """
        net, ties = model.params.network, model.pop.ties
        if len(att) < 2 or net.session_new_ties <= 0:
            return
        prog, kind = ties.program[att], ties.kind[att]
        n = len(att)
        if n <= EXACT_TIE_DRAW:
            cand = None
            logw = np.where(kind[:, None] == kind[None, :], np.log(net.homophily_odds), 0.0)
            logw[prog[:, None] == prog[None, :]] = -np.inf
        else:
            cand = self.tie_rng.integers(0, n, (n, TIE_POOL))
            logw = np.where(kind[:, None] == kind[cand], np.log(net.homophily_odds), 0.0)
            logw[prog[:, None] == prog[cand]] = -np.inf
        gumbel = -np.log(-np.log(self.tie_rng.random(logw.shape)))
        order = np.argsort(-(logw + gumbel), axis=1)            # weighted sampling without replacement
        n_new = self.tie_rng.poisson(net.session_new_ties * factor, n)
        n_valid = np.isfinite(logw).sum(axis=1)
        take = np.arange(logw.shape[1])[None, :] < np.minimum(n_new, n_valid)[:, None]
        i = np.repeat(np.arange(n), take.sum(axis=1))
        j = order[take] if cand is None else cand[i, order[take]]
        ties.add(att[i], att[j])  # a new tie starts at unit weight (assumption)

    def community_meeting(self, model, ks: np.ndarray | None = None) -> None:
        ks = self._every_cohort(model) if ks is None else ks
        att = self._attendees(model, model.params.learning.attendance_in_person, ks)
        ties = model.pop.ties
        progs = _programs(ties.program[att], model.pop.n_programs)
        pr = model.pop.programs
        pr.commitment[progs] += model.params.learning.meeting_commitment_gain * (1 - pr.commitment[progs])
        for k, att_k in self._by_cohort(model, att, ks):
            model.ledger.community_meeting(k)
            model.ledger.staff_hours(model, ties.slots[att_k], model.params.collaborative.session_hours, cover=True)

    def congress(self, model, ks: np.ndarray) -> None:
        self.learning_session(model, ks, faculty_content=False)

    def learning_session(self, model, ks: np.ndarray | None = None, *, faculty_content: bool = True) -> np.ndarray:
        """Learning sessions of cohorts ``ks`` (default: every cohort; without faculty content, their
        congresses). Returns attending slots."""
        ks = self._every_cohort(model) if ks is None else ks
        p, lp = model.params, model.params.learning
        virtual = p.collaborative.modality == "virtual"
        f_k = np.array([(lp.virtual_learning_factor if virtual else 1.0) * self._faculty_factor(model, k) for k in ks])
        f_ties = lp.virtual_tie_factor if virtual else 1.0
        att = self._attendees(model, lp.attendance_virtual if virtual else lp.attendance_in_person, ks)
        ties = model.pop.ties
        rows = ties.slots[att]
        st, pr = model.pop.staff, model.pop.programs
        f = np.zeros(model.schedule.n_cohorts + 1)
        f[ks] = f_k
        f = f[model.schedule.program_cohort]                                # (M,) each programme's session factor
        # Spacing effect: what a session teaches lasts less when the last one is still fresh.
        lasting = f * (1.0 - lp.massed_discount * pr.momentum)            # (M,) before this session's boost
        if faculty_content:
            g = lasting[ties.program[att]]
            st.skill[rows] += g * lp.skill_gain * (1 - st.skill[rows])
            st.belief[rows] += g[:, None] * lp.belief_gain * (model.practice_effect - st.belief[rows])
        groups = self._by_cohort(model, att, ks)
        for (k, att_k), fk in zip(groups, f_k):
            self._share_all(model, att_k, fk * lp.share_rate, k)
        progs = _programs(ties.program[att], model.pop.n_programs)
        pr.efficacy[progs] += lasting[progs] * lp.efficacy_gain * (1 - pr.efficacy[progs])
        pr.new_session_dose[progs] += f[progs]
        self._momentum(model, att, f * lp.momentum_gain)
        if p.collaborative.cross_learning:
            ties.strengthen(att, f_ties * p.network.tie_strengthen, self._seat_cohort(model))
            for k, att_k in groups:
                self._form_ties(model, att_k, f_ties)
            if p.system.enabled and p.system.region_new_ties > 0:
                self._region_ties(model, att, f_ties)
        fam = self._family_attendees(model, lp.attendance_virtual if virtual else lp.attendance_in_person, ks)
        fam_cohort = model.schedule.program_cohort[model.pop.families.program[fam]]
        for k, att_k in groups:
            model.ledger.gathering(model, ties.slots[att_k], fam[fam_cohort == k] if len(ks) > 1 else fam,
                                   hours=p.collaborative.session_hours, in_person=not virtual,
                                   faculty_days=p.costs.n_faculty, cohort=k)
        return rows

    @staticmethod
    def _seat_cohort(model) -> np.ndarray | None:
        """(T,) cohort of each tie seat, or None when there is one cohort (no grouping needed)."""
        if model.schedule.n_cohorts == 1:
            return None
        return model.schedule.program_cohort[model.pop.ties.program]

    def _region_ties(self, model, att: np.ndarray, factor: float) -> None:
        """Some ties reach beyond the cohort: each attendee ties to ~Poisson(region_new_ties) team
        seats of other started cohorts of its region, chosen uniformly (linear in the attendees)."""
        sch, ties, pr = model.schedule, model.pop.ties, model.pop.programs
        seat_cohort = sch.program_cohort[ties.program]
        region = sch.program_region[ties.program]
        open_ = np.flatnonzero((pr.start_week[ties.program] <= model.week) & (seat_cohort >= 0))
        if not len(open_) or not len(att):
            return
        open_ = open_[np.argsort(region[open_], kind="stable")]
        lo = np.searchsorted(region[open_], region[att])
        hi = np.searchsorted(region[open_], region[att], side="right")
        n_new = self.region_rng.poisson(model.params.system.region_new_ties * factor, len(att))
        i = np.repeat(np.arange(len(att)), n_new)
        j = open_[lo[i] + (self.region_rng.random(len(i)) * (hi[i] - lo[i])).astype(np.int64)]
        ok = seat_cohort[j] != seat_cohort[att[i]]
        ties.add(att[i[ok]], j[ok])

    def _family_attendees(self, model, prob: float, ks: np.ndarray) -> np.ndarray:
        fam = model.pop.families
        idx = np.flatnonzero(fam.on_team)
        went = idx[self.family_rng.random(len(idx)) < prob]
        if model.schedule.n_cohorts > 1:
            went = went[self._in_cohorts(model, ks)[fam.program[went]]]
        fam.engagement_base[went] += model.params.families.boost_session * (1 - fam.engagement_base[went])
        return went

    def call(self, model, ks: np.ndarray | None = None) -> None:
        ks = self._every_cohort(model) if ks is None else ks
        lp, p = model.params.learning, model.params
        att = self._attendees(model, lp.call_attendance, ks)
        groups = self._by_cohort(model, att, ks)
        for k, att_k in groups:
            self._share_all(model, att_k, lp.call_effect * lp.share_rate, k)
        self._momentum(model, att, lp.call_effect * lp.momentum_gain)
        if p.collaborative.cross_learning:
            model.pop.ties.strengthen(att, lp.call_effect * p.network.tie_strengthen, self._seat_cohort(model))
        for k, att_k in groups:
            model.ledger.call(model, model.pop.ties.slots[att_k], cohort=k)

    # -- supports outside the collaborative proper -------------------------------------------
    def coach_visits(self, model, members: np.ndarray) -> None:
        p, st = model.params, model.pop.staff
        k = p.coaching
        has = (self.n_teach > 0) & ~model.pop.programs.derailed & members   # no visit during a crisis
        progs = np.flatnonzero(has)
        turn = (model.week // k.weeks_per_teacher) % self.n_teach[progs]
        focus = self.table[progs, turn]
        focus = focus[st.present[focus]]
        # Best-evidenced classroom/family practice the teacher is not yet using at fidelity.
        thr = p.sustain.fidelity_threshold
        open_ = (self.classroom_practice[None, :] & st.eligible[focus] & ~(st.use[focus] & (st.fidelity[focus] >= thr))
                 & (model.pop.programs.abandoned_until[st.program[focus]] <= model.week))  # not one the team dropped
        score = np.where(open_, model.practice_effect[None, :], -np.inf)
        pick = np.argmax(score, axis=1)
        ok = np.isfinite(score[np.arange(len(focus)), pick])
        who, prac = focus[ok], pick[ok]
        st.coached_until[who] = model.week + k.visit_interval_weeks - 1
        st.reinforced_week[who] = model.week
        u = self.support_rng.random(len(who))
        using = st.use[who, prac]
        start = ~using & (u < k.p_seed)
        st.use[who[start], prac[start]] = True
        st.fidelity[who[start], prac[start]] = p.sustain.start_fidelity
        grow = using
        f = st.fidelity[who[grow], prac[grow]]
        st.fidelity[who[grow], prac[grow]] = f + k.fidelity_gain * (1 - f)
        b = st.belief[who, prac]
        st.belief[who, prac] = b + k.belief_gain * (model.practice_effect[prac] - b)
        model.ledger.per_program("coaching", k.hours_per_visit * p.costs.coach_hourly, progs)
        model.ledger.staff_hours(model, who, p.costs.coaching_teacher_hours, cover=False)

    def workshop(self, model, members: np.ndarray) -> None:
        p, st = model.params, model.pop.staff
        t = p.training
        can = st.present & np.isin(st.role, WORKSHOP_ROLES) & members[st.program]
        att = np.flatnonzero(can & (self.support_rng.random(len(can)) < t.attendance))
        st.belief[att] += t.belief_gain * (model.practice_effect - st.belief[att])
        st.skill[att] += t.skill_gain * (1 - st.skill[att])
        # A small lasting gain on the practices the workshop covers; it fades like any lasting skill.
        covered = st.eligible[att] & self.classroom_practice[None, :]
        st.lasting[att] = np.minimum(1.0, st.lasting[att] + t.lasting_gain * covered)
        start = (st.eligible[att] & ~st.use[att] & self.classroom_practice[None, :]
                 & (model.pop.programs.abandoned_until[st.program[att]] <= model.week)
                 & (self.support_rng.random((len(att), len(model.practice_effect))) < t.p_try))
        r, c = np.nonzero(start)
        st.reinforced_week[att] = model.week
        st.use[att[r], c] = True
        st.fidelity[att[r], c] = p.sustain.start_fidelity
        model.ledger.per_program("training", p.costs.trainer_fee, np.flatnonzero(members))
        model.ledger.staff_hours(model, att, t.hours, cover=True)
