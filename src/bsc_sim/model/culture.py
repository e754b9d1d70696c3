"""Phase 7, culture: the programme learning-culture index (MODEL-BRIEF 4.7).

The index rises with completed PDSA cycles, session attendance and leader support of an active
team while supports run, and relaxes slowly back toward the programme's initial culture.
"""

from __future__ import annotations

import numpy as np


class Culture:
    """The programme learning-culture index."""

    def setup(self, model) -> None:
        self.initial = model.pop.programs.culture.copy()

    def step(self, model) -> None:
        c, pr, st = model.params.culture, model.pop.programs, model.pop.staff
        cycles = pr.new_cycles_studied
        sessions = pr.new_session_dose
        # Leaders' support builds culture through the team's work while the collaborative supports run.
        supported = model.calendar.supports_active[model.week]
        team_active = supported & (np.bincount(st.program[st.present & st.on_team], minlength=len(pr.culture)) > 0)
        gap = 1.0 - pr.culture
        gain = (c.gain_per_cycle * cycles + c.gain_session * sessions + c.gain_leadership * pr.leadership * team_active) * gap
        pr.culture += np.minimum(gain, gap) - c.decay_weekly * (pr.culture - self.initial)
