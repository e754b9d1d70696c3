"""Scalar outcomes of a run (MODEL-BRIEF 5): the ``summary`` dict and the IHI-style progress score.

"End" is the last week of the collaborative (its congress week; ``collaborative.duration_weeks``
- 1, used for every design so designs compare at the same time); "follow-up" is the last
simulated week. "Baseline" is measured at the end of week 0. A classroom is *sustained* when it is
reached both at the end and at follow-up (``frac_classrooms_sustained_followup``); the share
reached at follow-up regardless of the end is ``frac_classrooms_reached_followup``.
"""

from __future__ import annotations

import numpy as np


def progress_scores(rec, end: int, cycles_by_program: np.ndarray, embedded_any: np.ndarray, pp) -> np.ndarray:
    """IHI/API-style 1-5 team assessment at the end of the collaborative (DF 2.1).

    1 = no activity; 2 = PDSA cycles logged or some gain below "modest"; 3 = modest gain in classroom reach;
    4 = significant gain; 5 = significant gain, high reach and an embedded practice (spread and
    routinised). Gains are changes in the share of classrooms reached since week 0.
    """
    reach0 = rec.n_rooms_reached[0] / rec.n_rooms
    reach = rec.n_rooms_reached[end] / rec.n_rooms
    gain = reach - reach0
    score = np.ones(len(gain), dtype=np.int64)
    score[(cycles_by_program > 0) | (gain > 0)] = 2
    score[gain >= pp.modest] = 3
    score[gain >= pp.significant] = 4
    score[(gain >= pp.significant) & (reach >= pp.outstanding_reach) & embedded_any] = 5
    return score


def _share(num, den) -> float:
    return float(num / den) if den > 0 else float("nan")


def summarize(model) -> dict[str, float]:
    """The flat dict of scalar outcomes of one run."""
    rec, p = model.components["measure"], model.params
    end, last = model.calendar.end_week, model.calendar.horizon - 1
    pdsa = model.components["pdsa"]
    ev = pdsa.events
    n_cycles = len(ev)
    studied = [e for e in ev if e[13] != "fizzled"]
    rooms = rec.n_rooms.sum()
    reach = lambda w: float(rec.n_rooms_reached[w].sum() / rooms)  # noqa: E731
    reach0, reach_end, reach_fu = reach(0), reach(end), reach(last)
    gain_end = rec.n_rooms_reached[end] / rec.n_rooms - rec.n_rooms_reached[0] / rec.n_rooms
    gain_fu = rec.n_rooms_reached[last] / rec.n_rooms - rec.n_rooms_reached[0] / rec.n_rooms
    st = model.pop.staff
    # Sustained: reached when the collaborative ended and still reached at the end of follow-up.
    sustained_rooms = float((rec.reached_at_end & rec.reached_now).sum())
    out = {
        "n_programs": float(rec.M),
        "n_classrooms": float(rooms),
        "n_staff_slots": float(len(st.role)),
        "n_families": float(len(model.pop.families.program)),
        "frac_classrooms_reached_baseline": reach0,
        "frac_classrooms_reached_end": reach_end,
        "frac_classrooms_reached_followup": reach_fu,
        "frac_classrooms_sustained_followup": sustained_rooms / rooms,
        "frac_programs_improved_end": float(np.mean(gain_end >= p.progress.modest)),
        "frac_programs_improved_followup": float(np.mean(gain_fu >= p.progress.modest)),
        "frac_staff_fidelity_end": _share(rec.n_fidelity[end].sum(), rec.n_eligible[end].sum()),
        "frac_frontline_fidelity_end": _share(rec.frontline[end, 1], rec.frontline[end, 0]),
        "frac_nonteam_staff_adopted": _share(rec.nonteam[end, 1], rec.nonteam[end, 0]),
        "n_pdsa_cycles": float(n_cycles),
        "frac_pdsa_well_run": _share(sum(bool(e[12]) for e in ev), n_cycles),
        "frac_pdsa_misread": _share(sum(bool(e[14]) for e in studied), len(studied)),
        "n_practices_adopted_by_teams": float(sum(e[13] == "adopt" for e in ev)),
        "culture_baseline": float(rec.culture[0].mean()),
        "culture_end": float(rec.culture[end].mean()),
        "culture_followup": float(rec.culture[last].mean()),
        "family_engagement_baseline": float(rec.engagement[0].mean()),
        "family_engagement_end": float(rec.engagement[end].mean()),
        "frac_families_home_use_end": _share(rec.n_families_home[end].sum(), rec.n_families.sum() * max(1, rec.family_practice.sum())),
        "child_weeks_reached": float(rec.children_reached.sum()),
        "mean_progress_score": float(model.progress_scores.mean()),
        "frac_teams_progress_4plus": float(np.mean(model.progress_scores >= 4)),
        "n_staff_departures": float(model.components["turnover"].departures),
        "staff_turnover_annual": _share(model.components["turnover"].departures, rec.n_present.sum() / 52),
    }
    costs = model.ledger.totals()
    out.update(costs)
    total = costs["cost_total"]
    reached_rooms = reach_end * rooms
    out["cost_per_classroom_reached"] = total / reached_rooms if reached_rooms > 0 else float("nan")
    out["cost_per_classroom_sustained"] = total / sustained_rooms if sustained_rooms > 0 else float("nan")
    return out
