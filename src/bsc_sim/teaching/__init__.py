"""Helpers for the teaching notebooks in ``notebooks/``.

The notebooks are thin clients: they hold prose, calls and figures, never model code. Every
demonstration they show is set up here, as a small public function that returns a tidy pandas
table (or, for the two figures that need more than a few lines of matplotlib, a Figure).

Two groups:

* :mod:`.spread`: how practices spread (``notebooks/01_how_practices_spread``);
* :mod:`.pdsa`: a PDSA cycle up close (``notebooks/02_pdsa_cycle_up_close``).

All randomness comes from seeded numpy generators: each function takes an integer ``seed`` and
spawns one child stream per replicate with :class:`numpy.random.SeedSequence`, so the same call
gives the same table. Matplotlib is imported only inside the two drawing functions, and the
backend is never changed (so figures show inline in a notebook).
"""

from .pdsa import (BANDS, TIMELINE_COLUMNS, ConditionRuns, busiest_team, decision_band, misread_crosstab,
                   paired_differences, plot_team_timeline, run_conditions, team_timeline)
from .spread import (LEADERS, RULES, SEEDING_STRATEGIES, TEACHERS, clustering_experiment, draw_network, neighbourhood, programme_network,
                     seed_staff, small_world, spread_in_programmes, spread_rule, threshold_sweep, weeks_to_reach)

__all__ = [
    "BANDS", "LEADERS", "RULES", "SEEDING_STRATEGIES", "TEACHERS", "TIMELINE_COLUMNS", "ConditionRuns", "busiest_team",
    "clustering_experiment", "decision_band", "draw_network", "misread_crosstab", "neighbourhood",
    "paired_differences", "plot_team_timeline", "programme_network", "run_conditions", "seed_staff",
    "small_world", "spread_in_programmes", "spread_rule", "team_timeline", "threshold_sweep", "weeks_to_reach",
]
