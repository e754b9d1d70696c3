"""Phase 5, cross_learning: beliefs move toward results shared by contacts in other programmes.

Between events, team members' beliefs move toward the latest PDSA results that their
cross-programme contacts' programmes have shared (MODEL-BRIEF 4.5), weighted by tie strength;
ties decay slowly. Ties are formed and strengthened at learning sessions and calls (the calendar
phase) and live in ``model.pop.ties``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class CrossProgramLearning:
    """The weekly belief update through cross-programme ties."""

    def setup(self, model) -> None:
        pass

    def step(self, model) -> None:
        p, ties = model.params, model.pop.ties
        if not p.collaborative.cross_learning or len(ties.slots) == 0:
            return
        ties.weight *= 1 - p.network.tie_decay_weekly
        st, pr = model.pop.staff, model.pop.programs
        result = pr.shared_result
        fresh = (model.week - pr.shared_week) <= p.learning.result_memory_weeks
        known = fresh[ties.program].astype(np.float64)             # (T, P)
        # A sparse product sums in a fixed order; a dense BLAS product may round differently on
        # another CPU, and the same seed must give the same results on every machine of a cluster.
        w = sp.csr_array(ties.weight)
        weight = w @ known                                         # tie weight behind each practice
        signal = w @ (known * result[ties.program])
        mean = np.divide(signal, weight, out=np.zeros_like(signal), where=weight > 0)
        rows = ties.slots
        here = (st.present[rows] & st.on_team[rows])[:, None]
        # Influence saturates once a unit of tie weight reports on a practice (assumption).
        st.belief[rows] += here * p.learning.cross_rate * np.minimum(weight, 1.0) * (mean - st.belief[rows])
