"""Supports outside the collaborative proper: a coach per programme, and a one-off workshop.

* **Coach** (MODEL-BRIEF 6, "single coach/consultant"): every visit the coach works with one
  focus teacher, rotating through the programme's teaching staff, on the best-evidenced classroom
  or family practice that teacher does not yet use at fidelity; while coached, the teacher gets full
  feedback (fidelity ceiling 1) on all of their practices. The coach is paid for every visit. Individual practice change: no team, no PDSA, no
  cross-programme learning. What spreads from the focus teacher spreads by contagion.
* **Workshop** ("one-off training"): in one week teaching and family-services staff may attend;
  attendees gain some belief and skill, and may start practices at low fidelity. No follow-up.
"""

from __future__ import annotations

import numpy as np

from .population import FAMILY_SERVICES, LEVELS, TEACHING_ROLES

WORKSHOP_ROLES = (*TEACHING_ROLES, FAMILY_SERVICES)


class Supports:
    """Coaching visits and the one-off workshop, applied in the calendar phase."""

    def setup(self, model) -> None:
        self.rng = model.streams["supports"]
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

    def coach_visits(self, model) -> None:
        p, st = model.params, model.pop.staff
        k = p.coaching
        has = self.n_teach > 0
        progs = np.flatnonzero(has)
        turn = (model.week // k.weeks_per_teacher) % self.n_teach[progs]
        focus = self.table[progs, turn]
        focus = focus[st.present[focus]]
        # Best-evidenced classroom/family practice the teacher is not yet using at fidelity.
        thr = p.sustain.fidelity_threshold
        open_ = self.classroom_practice[None, :] & st.eligible[focus] & ~(st.use[focus] & (st.fidelity[focus] >= thr))
        score = np.where(open_, model.practice_effect[None, :], -np.inf)
        pick = np.argmax(score, axis=1)
        ok = np.isfinite(score[np.arange(len(focus)), pick])
        who, prac = focus[ok], pick[ok]
        st.coached_until[who] = model.week + k.visit_interval_weeks - 1
        u = self.rng.random(len(who))
        using = st.use[who, prac]
        start = ~using & (u < k.p_seed)
        st.use[who[start], prac[start]] = True
        st.fidelity[who[start], prac[start]] = p.sustain.start_fidelity
        grow = using
        f = st.fidelity[who[grow], prac[grow]]
        st.fidelity[who[grow], prac[grow]] = f + k.fidelity_gain * (1 - f)
        b = st.belief[who, prac]
        st.belief[who, prac] = b + k.belief_gain * (model.practice_effect[prac] - b)
        model.ledger.add("coaching", k.hours_per_visit * p.costs.coach_hourly * len(progs))
        model.ledger.staff_hours(model, who, p.costs.coaching_teacher_hours, cover=False)

    def workshop(self, model) -> None:
        p, st = model.params, model.pop.staff
        t = p.training
        can = st.present & np.isin(st.role, WORKSHOP_ROLES)
        att = np.flatnonzero(can & (self.rng.random(len(can)) < t.attendance))
        st.belief[att] += t.belief_gain * (model.practice_effect - st.belief[att])
        st.skill[att] += t.skill_gain * (1 - st.skill[att])
        start = (st.eligible[att] & ~st.use[att] & self.classroom_practice[None, :]
                 & (self.rng.random((len(att), len(model.practice_effect))) < t.p_try))
        r, c = np.nonzero(start)
        st.use[att[r], c] = True
        st.fidelity[att[r], c] = p.sustain.start_fidelity
        model.ledger.add("training", p.costs.trainer_fee * model.pop.n_programs)
        model.ledger.staff_hours(model, att, t.hours, cover=True)

    def step(self, model) -> None:
        if model.calendar.coach_visit[model.week]:
            self.coach_visits(model)
        if model.calendar.training[model.week]:
            self.workshop(model)
