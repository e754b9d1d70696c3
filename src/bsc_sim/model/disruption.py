"""Phase 3, disruption: programmes derail, recover and drop out [butler2014; bartanen2019; boushon2006].

Competing priorities, staffing crises and a director's departure can stop a programme's
improvement work for a while. Each week a programme that is not derailed becomes derailed with
hazard

    h = base_weekly x exp(w_vacancy x vacant share + w_slack x 2 (0.5 - time slack)
                          - w_leadership x 2 (leadership - 0.5))

and, in the week its director leaves, with probability ``p_on_director_exit`` on top. A derailed
programme recovers with a weekly chance 1 / ``mean_weeks``. While it is derailed (read by the
other phases from ``programs.derailed``): its team starts no PDSA cycle, its staff attend
sessions and calls less (``attendance_factor``), coaching visits are skipped, team and
endorsement feedback is blunted (``support_factor``) and its culture gains nothing from leaders.

A programme leaves the collaborative (``programs.in_collaborative`` False) when a director's exit
dissolves its team (``p_dissolve_on_director_exit``) or, while derailed, with a weekly chance
``dropout_weekly``. Its team seats are dissolved for good, it gets no more sessions, calls or
data-use support, and its supports end that week (the post-support decay starts then).
"""

from __future__ import annotations

import numpy as np

from .population import DIRECTOR, EDUCATION_MANAGER, FAMILY_CHILD_CARE, supported


class Disruption:
    """Derailment, recovery and dropout of programmes."""

    def setup(self, model) -> None:
        self.rng = model.streams["disruption"]
        st, M = model.pop.staff, model.pop.n_programs
        self.n_posts = np.maximum(np.bincount(st.program, minlength=M), 1)
        self.n_dropped = 0
        d = model.params.disruption
        self.slack_term = d.w_slack * 2 * (0.5 - model.pop.programs.time_slack)   # time slack never changes
        self._u = np.empty((5, M))      # the week's draws, a buffer reused (the same numbers as a fresh array)
        # The onset hazard changes only with vacancies and leadership, that is when turnover
        # changes the staff (its departures and hires): it is kept between such weeks.
        self._hazard, self._hazard_key = None, None

    def step(self, model) -> None:
        d, pr, st = model.params.disruption, model.pop.programs, model.pop.staff
        M = model.pop.n_programs
        u_onset, u_exit, u_dissolve, u_recover, u_drop = self.rng.random(out=self._u)  # every week (common random numbers)
        director_left = None
        if pr.director_left.any():
            director_left = pr.director_left.copy()
            pr.director_left[:] = False
        if not d.enabled:
            return
        turnover = model.components["turnover"]
        key = (turnover.departures, turnover.hires)
        if key != self._hazard_key:
            vacant = 1.0 - model.pop.count_staff(st.present) / self.n_posts
            log_h = (d.w_vacancy * vacant + self.slack_term
                     - d.w_leadership * 2 * (pr.leadership - 0.5))
            self._hazard, self._hazard_key = np.minimum(1.0, d.base_weekly * np.exp(log_h)), key
        derailed = pr.derailed
        onset = u_onset < self._hazard
        if director_left is not None:
            onset |= director_left & (u_exit < d.p_on_director_exit)
        onset &= ~derailed
        if derailed.any():
            recover = derailed & (u_recover < 1.0 / d.mean_weeks)
            derailed[recover] = False
        derailed |= onset
        if onset.any():
            pr.n_derailments[onset] += 1
        # Leaving the collaborative: a director's exit that dissolves the team, or attrition while derailed.
        leave = derailed & (u_drop < d.dropout_weekly)
        if director_left is not None:
            leave |= director_left & (u_dissolve < d.p_dissolve_on_director_exit)
        if leave.any():
            leave &= supported(model)
            if leave.any():
                self.drop_out(model, np.flatnonzero(leave))

    def drop_out(self, model, programs: np.ndarray) -> None:
        """The programmes leave the collaborative: their teams dissolve and their supports end now."""
        pr, st, fam = model.pop.programs, model.pop.staff, model.pop.families
        pr.in_collaborative[programs] = False
        pr.support_end[programs] = np.minimum(pr.support_end[programs], model.week)
        gone = np.zeros(model.pop.n_programs, dtype=bool)
        gone[programs] = True
        gone = gone[st.program]
        model.pop.ties.drop(np.flatnonzero(gone & st.on_team))   # they no longer meet the others
        st.on_team[gone] = False
        st.team_seat[gone] = False
        fam_gone = np.isin(fam.program, programs, kind="table")
        fam.on_team[fam_gone] = False
        fam.team_seat[fam_gone] = False
        self.n_dropped += len(programs)


def leader_posts(model) -> np.ndarray:
    """(S,) posts that lead a programme's team: directors, education managers and a family child care
    home's provider (issue 11: one provider, no hierarchy). Roles never change, so it is built once per model."""
    posts = getattr(model, "_leader_posts", None)
    if posts is None:
        st = model.pop.staff
        own = model.pop.programs.kind[st.program] == FAMILY_CHILD_CARE
        posts = (st.role == DIRECTOR) | (st.role == EDUCATION_MANAGER) | own
        model._leader_posts = posts
    return posts


def leader_on_team(model) -> np.ndarray:
    """(M,) a director or education manager is present on the programme's team this week."""
    st, M = model.pop.staff, model.pop.n_programs
    leaders = st.present & st.on_team & leader_posts(model)
    return np.bincount(st.program[leaders], minlength=M) > 0
