"""Calendar events and learning across programmes (MODEL-BRIEF 4.1 and 4.5).

* Community meeting: teams choose the focus together, which raises change commitment.
* Learning sessions: faculty teach QI skill and the evidence for each practice; "all teach, all
  learn" pulls beliefs toward the pooled PDSA results of every programme; attendees of different
  programmes form new ties (homophily by programme kind) and strengthen old ones.
* Calls: a lighter version of the sharing part of a session.
* Congress: sharing without new faculty content.
* Between events, beliefs of team members move toward the results their cross-programme
  contacts' programmes have shared; ties decay slowly.

Cross-programme ties are a dense matrix over the staff slots that were on a team at formation
(a few per programme), so they stay cheap even for a 100-programme cohort.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class CrossProgramLearning:
    """Owns the cross-programme ties and applies every calendar event (sessions, calls, meeting, congress)."""

    def setup(self, model) -> None:
        st = model.pop.staff
        self.rng = model.streams["learning"]
        self.slots = np.flatnonzero(st.on_team)                # staff slots that can attend
        self.slot_program = st.program[self.slots]
        self.slot_kind = model.pop.programs.kind[self.slot_program]
        n = len(self.slots)
        self.ties = np.zeros((n, n))
        self.index_of = np.full(len(st.role), -1)
        self.index_of[self.slots] = np.arange(n)
        self.sessions_attended = np.zeros(model.pop.n_programs)  # this week, per programme

    # -- helpers -------------------------------------------------------------------------
    def _attendees(self, model, prob: float) -> np.ndarray:
        """Indices (into self.slots) of present team members who attend, one draw per slot."""
        st = model.pop.staff
        here = st.present[self.slots] & st.on_team[self.slots]
        return np.flatnonzero(here & (self.rng.random(len(self.slots)) < prob))

    def _shared_results(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Latest shared PDSA result per (programme, practice) and whether it is still current."""
        pdsa = model.components["pdsa"]
        fresh = (model.week - pdsa.result_week) <= model.params.learning.result_memory_weeks
        return pdsa.result, fresh

    def _share_all(self, model, att: np.ndarray, rate: float) -> None:
        """'All teach, all learn': attendees' beliefs move toward the pooled current results."""
        if not model.params.collaborative.cross_learning or len(att) == 0:
            return
        result, fresh = self._shared_results(model)
        n_fresh = fresh.sum(axis=0)
        pooled = np.divide((result * fresh).sum(axis=0), n_fresh, out=np.zeros(result.shape[1]), where=n_fresh > 0)
        rows = self.slots[att]
        b = model.pop.staff.belief
        b[rows] += rate * (n_fresh > 0) * (pooled - b[rows])

    def _strengthen(self, att: np.ndarray, amount: float) -> None:
        sub = np.ix_(att, att)
        tied = self.ties[sub] > 0
        self.ties[sub] += amount * tied

    def _form_ties(self, model, att: np.ndarray, factor: float) -> None:
        """Each attendee ties to ~Poisson(new_ties) attendees of other programmes, favouring its own kind."""
        net = model.params.network
        if len(att) < 2 or net.session_new_ties <= 0:
            return
        prog, kind = self.slot_program[att], self.slot_kind[att]
        logw = np.where(kind[:, None] == kind[None, :], np.log(net.homophily_odds), 0.0)
        logw[prog[:, None] == prog[None, :]] = -np.inf
        gumbel = -np.log(-np.log(self.rng.random(logw.shape)))
        order = np.argsort(-(logw + gumbel), axis=1)            # weighted sampling without replacement
        n_new = self.rng.poisson(net.session_new_ties * factor, len(att))
        n_valid = np.isfinite(logw).sum(axis=1)
        take = np.arange(len(att))[None, :] < np.minimum(n_new, n_valid)[:, None]
        i = np.repeat(np.arange(len(att)), take.sum(axis=1))
        j = order[take]
        a, b = att[i], att[j]
        new = self.ties[a, b] == 0
        self.ties[a[new], b[new]] = 1.0  # a new tie starts at unit weight (assumption)
        self.ties[b[new], a[new]] = 1.0

    # -- events --------------------------------------------------------------------------
    def community_meeting(self, model) -> None:
        att = self._attendees(model, model.params.learning.attendance_in_person)
        progs = np.unique(self.slot_program[att])
        pr = model.pop.programs
        pr.commitment[progs] += model.params.learning.meeting_commitment_gain * (1 - pr.commitment[progs])
        model.ledger.community_meeting()
        model.ledger.staff_hours(model, self.slots[att], model.params.collaborative.session_hours, cover=True)

    def learning_session(self, model, *, faculty_content: bool = True) -> np.ndarray:
        """A learning session (or, without faculty content, the congress). Returns attending slots."""
        p, lp = model.params, model.params.learning
        virtual = p.collaborative.modality == "virtual"
        f = lp.virtual_effect if virtual else 1.0
        att = self._attendees(model, lp.attendance_virtual if virtual else lp.attendance_in_person)
        rows = self.slots[att]
        st, pr = model.pop.staff, model.pop.programs
        if faculty_content:
            st.skill[rows] += f * lp.skill_gain * (1 - st.skill[rows])
            st.belief[rows] += f * lp.belief_gain * (model.practice_effect - st.belief[rows])
        self._share_all(model, att, f * lp.share_rate)
        progs = np.unique(self.slot_program[att])
        pr.efficacy[progs] += f * lp.efficacy_gain * (1 - pr.efficacy[progs])
        self.sessions_attended[progs] += f
        if p.collaborative.cross_learning:
            self._strengthen(att, f * p.network.tie_strengthen)
            self._form_ties(model, att, f)
        fam = self._family_attendees(model, lp.attendance_virtual if virtual else lp.attendance_in_person)
        model.ledger.gathering(model, rows, fam, hours=p.collaborative.session_hours, in_person=not virtual,
                               faculty_days=p.costs.n_faculty)
        return rows

    def _family_attendees(self, model, prob: float) -> np.ndarray:
        fam = model.pop.families
        idx = np.flatnonzero(fam.on_team)
        went = idx[self.rng.random(len(idx)) < prob]
        fam.engagement_base[went] += model.params.families.boost_session * (1 - fam.engagement_base[went])
        return went

    def call(self, model) -> None:
        lp, p = model.params.learning, model.params
        att = self._attendees(model, lp.call_attendance)
        self._share_all(model, att, lp.call_effect * lp.share_rate)
        if p.collaborative.cross_learning:
            self._strengthen(att, lp.call_effect * p.network.tie_strengthen)
        model.ledger.call(model, self.slots[att])

    def apply_events(self, model) -> None:
        """Apply this week's collaborative events (called by the calendar phase)."""
        cal, w = model.calendar, model.week
        self.sessions_attended[:] = 0
        if cal.community_meeting[w]:
            self.community_meeting(model)
        if cal.session_number[w]:
            self.learning_session(model)
        if cal.congress[w]:
            self.learning_session(model, faculty_content=False)
        if cal.call[w]:
            self.call(model)
        if cal.supports_active[w]:
            model.ledger.data_support(model)

    def step(self, model) -> None:
        """The cross_learning phase: beliefs move toward results shared by contacts' programmes."""
        p = model.params
        if not p.collaborative.cross_learning or len(self.slots) == 0:
            return
        self.ties *= 1 - p.network.tie_decay_weekly
        st = model.pop.staff
        result, fresh = self._shared_results(model)
        known = fresh[self.slot_program].astype(np.float64)       # (T, P)
        # A sparse product sums in a fixed order; a dense BLAS product may round differently on
        # another CPU, and the same seed must give the same results on every machine of a cluster.
        ties = sp.csr_array(self.ties)
        weight = ties @ known                                      # tie weight behind each practice
        signal = ties @ (known * result[self.slot_program])
        mean = np.divide(signal, weight, out=np.zeros_like(signal), where=weight > 0)
        here = (st.present[self.slots] & st.on_team[self.slots])[:, None]
        rows = self.slots
        # Influence saturates once a unit of tie weight reports on a practice (assumption).
        st.belief[rows] += here * p.learning.cross_rate * np.minimum(weight, 1.0) * (mean - st.belief[rows])

    def drop(self, slots: np.ndarray) -> None:
        """Remove the ties of people who left (their slots keep no cross-programme contacts)."""
        idx = self.index_of[slots]
        idx = idx[idx >= 0]
        self.ties[idx, :] = 0
        self.ties[:, idx] = 0

    def n_ties(self) -> int:
        return int((self.ties > 0).sum() // 2)

