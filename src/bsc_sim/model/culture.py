"""Phase 8, culture: the learning culture and the capabilities that erode without reinforcement
(ODD 7.13).

* **Learning culture** rises with PDSA cycles whose data were used ([mcintosh2018]: team use of
  data predicts sustainment), with session attendance, and with leaders' support of an active
  team while supports run and the programme is not derailed. It relaxes toward the programme's
  initial culture slowly while the programme's supports run; once they have ended, culture built
  above the initial level erodes faster ([tatel2025]: half of a trained gain is lost in 6.5-13
  months without reinforcement), while a culture pushed below it recovers only slowly.
* **QI skill** gained at sessions, calls, tests and coaching relaxes toward each person's entry
  skill in every week without such reinforcement (``staff.skill_decay_weekly``).
* **Session momentum** (what sessions give a team) halves every ``learning.momentum_half_life_weeks``.
"""

from __future__ import annotations

import numpy as np

from .population import supported


class Culture:
    """The programme learning-culture index, staff QI skill and team momentum."""

    def setup(self, model) -> None:
        self.initial = model.pop.programs.culture.copy()
        self.momentum_keep = 0.5 ** (1.0 / model.params.learning.momentum_half_life_weeks)

    def step(self, model) -> None:
        p, pr, st = model.params, model.pop.programs, model.pop.staff
        c, w = p.culture, model.week
        is_supported = supported(model)
        # Leaders' support builds culture through the team's work while the collaborative supports run.
        team_active = is_supported & ~pr.derailed & (np.bincount(st.program[st.present & st.on_team],
                                                              minlength=len(pr.culture)) > 0)
        gap = 1.0 - pr.culture
        gain = (c.gain_per_cycle * pr.new_cycles_data_used + c.gain_session * pr.new_session_dose
                + c.gain_leadership * pr.leadership * team_active) * gap
        # Without supports, culture built above the programme's initial level erodes faster; a culture
        # pushed below it (a director's exit) recovers only at the slow rate.
        eroding = ~is_supported & (pr.culture > self.initial)
        decay = np.where(eroding, c.decay_unsupported_weekly, c.decay_weekly)
        pr.culture += np.minimum(gain, gap) - decay * (pr.culture - self.initial)
        idle = st.reinforced_week < w
        st.skill -= p.staff.skill_decay_weekly * idle * np.maximum(0.0, st.skill - st.skill_base)
        pr.momentum *= self.momentum_keep
