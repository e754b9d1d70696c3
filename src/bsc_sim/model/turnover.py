"""Phase 2, turnover: staff and family turnover and hiring [bassok2021; doromal2022].

Each programme has a persistent annual turnover propensity T (heterogeneous: many centres lose
nobody, some lose half their staff). Present staff leave with the weekly hazard
h = 1 - (1 - T)^(1/52). A leaver's slot stays vacant for a geometric number of weeks; the
newcomer has fresh skill, threshold, beliefs and unsupported fidelity levels (no lasting skill
gained yet; drawn from a stream of their own) and takes up a practice only if the programme has
*embedded* it, with a chance equal to ``onboarding_prob`` x the programme's learning culture
(colleagues pass practices on only as far as the culture carries them). When the director
leaves, the learning culture loses a share of its value, the programme's endorsements lapse and
``programs.director_left`` tells the disruption phase (which may derail the programme or
dissolve its team); the new director brings a fresh leadership-support level drawn from the
readiness distribution.
"""

from __future__ import annotations

import numpy as np

from .population import DIRECTOR, beta_draw, unsupported_levels


def weekly_hazard(annual_rate: np.ndarray | float) -> np.ndarray:
    """Weekly hazard equivalent to an annual turnover share (h = 1 - (1 - T)^(1/52))."""
    return 1.0 - (1.0 - np.asarray(annual_rate, dtype=np.float64)) ** (1.0 / 52.0)


class Turnover:
    """Turnover and hiring of staff slots, and turnover of families."""

    NEVER = np.iinfo(np.int64).max

    def setup(self, model) -> None:
        self.rng = model.streams["turnover"]
        self.level_rng = model.streams["levels"]   # newcomers' unsupported levels (a stream of their own)
        pop = model.pop
        self.hazard = weekly_hazard(pop.programs.turnover_annual)
        self.staff_hazard = self.hazard[pop.staff.program]      # propensities never change: per post, once
        self.family_hazard = float(weekly_hazard(model.params.turnover.family_annual_rate))
        self.departures = 0
        self._draws = np.empty((2, len(pop.staff.role)))           # the week's uniform draws, buffers reused
        self._family_draws = np.empty(len(pop.families.program))
        self.departures_by_program = np.zeros(pop.n_programs, dtype=np.int64)
        self.hires = 0                                              # with departures: the staff changed
        st = pop.staff
        vacant = ~st.present
        # The earliest week a vacancy may be filled (nothing to hire before it; never with none vacant).
        self._next_hire = int(st.vacant_until[vacant].min()) if vacant.any() else self.NEVER

    def step(self, model) -> None:
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        tp = p.turnover
        u_leave, u_team = self.rng.random(out=self._draws)   # the same numbers as two draws of S
        # Leavers.
        leave = u_leave < self.staff_hazard
        leave &= st.present
        out = leave.nonzero()[0]
        if len(out):
            st.present[out] = False
            st.on_team[out] = False
            st.use[out] = False
            st.fidelity[out] = 0.0
            # Vacancy length in weeks ~ Geometric(1/mean), so at least one week, mean vacancy_weeks_mean.
            st.vacant_until[out] = model.week + self.rng.geometric(1.0 / tp.vacancy_weeks_mean, len(out))
            model.pop.ties.drop(out)
            st.testing[out] = False
            directors = out[st.role[out] == DIRECTOR]
            if len(directors):
                lost_leader = np.unique(st.program[directors])
                pr.culture[lost_leader] *= 1.0 - tp.leader_departure_culture_shock
                pr.endorsed[lost_leader] = False
                pr.director_left[lost_leader] = True
            self.departures += len(out)
            np.add.at(self.departures_by_program, st.program[out], 1)
            self._next_hire = min(self._next_hire, int(st.vacant_until[out].min()))
        # Hires into vacancies whose wait is over (this week's leavers wait at least a week).
        if model.week >= self._next_hire:
            hire = (st.vacant_until <= model.week)
            hire &= ~st.present
            hire &= ~leave
            hire = hire.nonzero()[0]
            if len(hire):
                self._hire(model, hire, u_team[hire])
                self.hires += len(hire)
                self._next_hire = model.week + 1   # other vacancies may be due next week: look again then
            else:   # none due: the next week one is
                vacant = ~st.present
                self._next_hire = int(st.vacant_until[vacant].min()) if vacant.any() else self.NEVER
        self._families(model)

    def _hire(self, model, slots: np.ndarray, u_team: np.ndarray) -> None:
        p, st, pr = model.params, model.pop.staff, model.pop.programs
        sp, n, P = p.staff, len(slots), st.use.shape[1]
        prog = st.program[slots]
        st.present[slots] = True
        st.hired_week[slots] = model.week
        st.coached_until[slots] = -1
        skill = beta_draw(self.rng, sp.skill_mean, sp.skill_concentration, n)
        st.skill[slots] = skill
        st.skill_base[slots] = skill
        st.reinforced_week[slots] = -1
        st.threshold[slots] = np.clip(self.rng.normal(sp.threshold_mean, sp.threshold_sd, n), 0, 1)
        st.belief[slots] = beta_draw(self.rng, sp.belief_prior_mean, sp.belief_prior_concentration, (n, P))
        # A new director brings their own leadership support (a leader's exit is the biggest shock, [bartanen2019]).
        new_leader = prog[st.role[slots] == DIRECTOR]
        if len(new_leader):   # (a draw of none uses no numbers)
            pr.leadership[new_leader] = beta_draw(self.rng, p.readiness.leadership_support_mean,
                                                  p.readiness.concentration, len(new_leader))
        # Newcomers learn only what the programme has embedded ([pascoe2021]: turnover loses organisational knowledge).
        p_onboard = p.turnover.onboarding_prob * pr.culture[prog]
        onboard = pr.embedded[prog] & st.eligible[slots] & (self.rng.random((n, P)) < p_onboard[:, None])
        st.use[slots] = onboard
        st.fidelity[slots] = np.where(onboard, p.turnover.onboarding_fidelity, 0.0)
        levels = unsupported_levels(p, self.level_rng, (n, P))
        st.unsupported[slots] = levels
        st.lasting[slots] = levels
        if p.team.enabled:
            join = st.team_seat[slots] & (pr.start_week[prog] <= model.week)  # teams meet from the cohort's start
            if p.turnover.team_backfill_uses_leadership:
                join &= u_team < pr.leadership[prog]
            st.on_team[slots] = join

    def _families(self, model) -> None:
        p, fam, pr = model.params, model.pop.families, model.pop.programs
        u = self.rng.random(out=self._family_draws)
        out = (u < self.family_hazard).nonzero()[0]
        if not len(out):
            return
        fp = p.families
        eng = beta_draw(self.rng, fp.engagement_mean, fp.engagement_concentration, len(out))
        fam.engagement[out] = eng
        fam.engagement_base[out] = eng
        fam.home_use[out] = False
        seat = fam.team_seat[out]
        fam.on_team[out] = seat & (self.rng.random(len(out)) < pr.leadership[fam.program[out]])
