"""Phase 6, sustainment: fidelity, lapse and embedding (MODEL-BRIEF 4.6).

Fidelity of every user moves toward a *ceiling* set by the feedback they get:
``ceiling = unsupported_ceiling + (1 - unsupported_ceiling) x feedback`` where feedback (0-1) is the
largest of: being a tester in a running PDSA cycle or being coached (1), being on a team (1 while
supports run), the programme's endorsement of the practice x its leadership support, and the
programme's learning culture. After supports end, the team and endorsement terms are multiplied
by the programme's culture. Upward it moves at
``fidelity_rate x (1.5 - complexity) x (0.5 + skill)`` of the gap per week; downward (feedback
gone) at the slower ``drift_rate``. So practice without feedback plateaus below the fidelity
criterion, and fidelity erodes when supports end unless the programme's culture holds it. Users lapse with a weekly hazard that falls with the programme's learning
culture, leadership support and routinisation (the practice is *embedded*: at least
``embed_threshold`` of eligible present staff use it at fidelity) and rises with doubt (belief
below 0.5) and once collaborative or coaching supports have ended.
"""

from __future__ import annotations

import numpy as np

from .population import group_sum


class Sustainment:
    """Fidelity growth, lapse and embedding of practices."""

    def setup(self, model) -> None:
        self.rng = model.streams["sustain"]
        p = model.params
        self.had_supports = p.collaborative.enabled or p.coaching.enabled
        last_support = model.calendar.supports_active | model.calendar.coach_visit
        self.support_end = int(np.flatnonzero(last_support).max(initial=-1)) if self.had_supports else 10**9

    def step(self, model) -> None:
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        s, prog = p.sustain, st.program
        ceiling = s.unsupported_ceiling + (1.0 - s.unsupported_ceiling) * self.feedback(model)
        # Multiplier is ~1 for a practice of middling complexity (0.5) and a typical skill (0.4-0.5).
        growth = s.fidelity_rate * (1.5 - model.practice_complexity)[None, :] * (0.5 + st.skill)[:, None]
        gap = ceiling - st.fidelity
        st.fidelity += st.use * np.where(gap > 0, growth, s.drift_rate) * gap
        log_h = (-s.w_culture * pr.culture[prog][:, None] - s.w_leadership * pr.leadership[prog][:, None]
                 - s.w_routine * pr.embedded[prog] + s.w_belief * np.maximum(0.0, 0.5 - st.belief))
        hazard = s.lapse_weekly * np.exp(log_h)
        if model.week > self.support_end:
            hazard *= s.support_withdrawal
        # People testing a change in a running PDSA cycle keep using it until the team decides.
        lapse = st.use & (self.rng.random(st.use.shape) < hazard) & ~st.testing
        st.use &= ~lapse
        st.fidelity[lapse] = 0.0
        self.update_embedded(model)

    @staticmethod
    def feedback(model) -> np.ndarray:
        """Feedback each person gets on each practice this week, 0-1, shape (S, P)."""
        st, pr = model.pop.staff, model.pop.programs
        prog, w = st.program, model.week
        # Once the faculty leave, team routines and leaders' follow-through on endorsed practices
        # continue only as far as the programme's learning culture carries them.
        carry = 1.0 if model.calendar.supports_active[w] else pr.culture
        team = (carry * np.ones_like(pr.culture))[prog] * st.on_team
        endorse = pr.endorsed * (pr.leadership * carry)[:, None]
        direct = st.testing | (st.coached_until >= w)[:, None]
        fb = np.maximum(endorse[prog], np.maximum(team, pr.culture[prog])[:, None])
        return np.maximum(fb, direct)

    @staticmethod
    def update_embedded(model) -> None:
        st, pr, s = model.pop.staff, model.pop.programs, model.params.sustain
        M, P = pr.embedded.shape
        elig = st.eligible & st.present[:, None]
        at_fid = elig & st.use & (st.fidelity >= s.fidelity_threshold)
        n_elig, n_fid = group_sum(st.program, elig, M), group_sum(st.program, at_fid, M)
        pr.embedded[:] = (n_elig > 0) & (n_fid >= s.embed_threshold * n_elig)
