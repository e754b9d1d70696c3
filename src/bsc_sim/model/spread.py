"""Phase 5, spread: within programmes [centola2007; bass1969], staff contagion and families' home use.

Staff: one call of the public kernel :func:`bsc_sim.spread.contagion_step` (the public, verified kernel) on the
within-programme staff network, with each person's threshold shifted by the practice's Rogers
attractiveness, their belief (which follows what tests and use have shown), the programme's
culture, leader endorsement (after the team adopted the practice), the practice's local fit
(adaptations, families on the team) and its time cost in programmes with little slack. A practice
the team abandoned does not spread in its programme during the cool-down.

Families: a family takes up a family-facing practice at home with a weekly chance proportional
to its engagement and to the share of its classroom's teaching staff who promote the practice;
engagement drifts toward a target raised by promotion and by a family from the classroom
serving on the team.
"""

from __future__ import annotations

import numpy as np

from .population import LEVELS, TEACHING_ROLES, local_fit
from ..spread import contagion_step


class WithinProgramSpread:
    """Staff adoption by complex contagion and family uptake of home practices."""

    def setup(self, model) -> None:
        self.rng = model.streams["spread"]
        self.family_rng = model.streams["families"]
        pop = model.pop
        self.family_practice = pop.practice_level == LEVELS.index("family")
        self.teaching = np.isin(pop.staff.role, TEACHING_ROLES)
        s, pr = model.params.spread, pop.programs
        # The parts of the threshold shift that never change: Rogers attractiveness and time cost.
        self.static_shift = (s.w_attractiveness * model.practice_attractiveness[None, :]
                             - s.w_time_cost * model.practice_hours[None, :] * (1.0 - pr.time_slack[pop.staff.program])[:, None])

    def effective_threshold(self, model) -> np.ndarray:
        """Each person's threshold for each practice this week (S, P), clipped to [0, 1]."""
        s, st, pr = model.params.spread, model.pop.staff, model.pop.programs
        prog = st.program
        # Belief and culture are centred on 0.5 (neutral), so they shift thresholds both ways.
        shift = (s.w_endorsement * (pr.endorsed * pr.leadership[:, None])[prog]
                 + s.w_belief * (st.belief - 0.5)
                 + s.w_culture * (pr.culture[prog] - 0.5)[:, None]
                 + s.w_fit * local_fit(model.params, model.pop)[prog]
                 + self.static_shift)
        return np.clip(st.threshold[:, None] - shift, 0.0, 1.0)

    def step(self, model) -> None:
        s, st = model.params.spread, model.pop.staff
        new = contagion_step(
            model.pop.staff_network, st.use, self.rng,
            threshold=self.effective_threshold(model), p_spontaneous=s.p_spontaneous,
            q_imitation=s.q_imitation, p_threshold=s.p_threshold, min_sources=s.min_sources,
            eligible=st.eligible & (model.pop.programs.abandoned_until <= model.week)[st.program], active=st.present,
        )
        st.use |= new
        st.fidelity[new] = model.params.sustain.start_fidelity
        self._families(model)

    def _families(self, model) -> None:
        fp, fam, st = model.params.families, model.pop.families, model.pop.staff
        C = len(model.pop.classroom_program)
        teach = self.teaching & st.present
        n_teach = np.bincount(st.classroom[teach], minlength=C)
        cols = np.flatnonzero(self.family_practice)
        promote = np.zeros((C, len(cols)))
        for j, k in enumerate(cols):
            promote[:, j] = np.bincount(st.classroom[teach & st.use[:, k]], minlength=C)
        promote = np.divide(promote, n_teach[:, None], out=np.zeros_like(promote), where=n_teach[:, None] > 0)
        team_room = np.bincount(fam.classroom[fam.on_team], minlength=C) > 0
        target = np.clip(fam.engagement_base + fp.boost_promoted * (promote.max(axis=1, initial=0) > 0)[fam.classroom]
                         + fp.boost_team_family * team_room[fam.classroom], 0.0, 1.0)
        fam.engagement += fp.engagement_rate * (target - fam.engagement)
        if not len(cols):
            return
        u = self.family_rng.random((len(fam.program), len(cols)))
        home = fam.home_use[:, cols]
        take = ~home & (u < fp.p_uptake * fam.engagement[:, None] * promote[fam.classroom])
        drop = home & (u < fp.home_lapse)
        fam.home_use[:, cols] = (home & ~drop) | take
