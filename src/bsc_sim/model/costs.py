"""Cost accounting by category (MODEL-BRIEF 5: staff, faculty, substitute coverage, travel).

Every amount is in US dollars and booked in the week it is incurred, so a planner can see when
money is spent as well as how much. Unit costs are in :class:`bsc_sim.params.CostParams`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import TEACHING_ROLES

CATEGORIES = ("staff_time", "substitutes", "family_stipends", "travel", "venue", "faculty", "data_support",
              "coaching", "training", "community_meeting")


class CostLedger:
    """Accumulates costs per week and category."""

    def __init__(self, params, horizon: int) -> None:
        c = params.costs
        self.c = c
        self.wage = np.array([c.wage_director, c.wage_education_manager, c.wage_lead_teacher,
                              c.wage_assistant_teacher, c.wage_family_services])
        self.table = np.zeros((horizon, len(CATEGORIES)))
        self.needs_cover = np.zeros(len(self.wage), dtype=bool)  # by role: teaching staff need a substitute
        self.needs_cover[list(TEACHING_ROLES)] = True
        self.week = 0

    def add(self, category: str, amount: float) -> None:
        self.table[self.week, CATEGORIES.index(category)] += amount

    def staff_hours(self, model, slots: np.ndarray, hours: float, *, cover: bool) -> None:
        """Paid time of staff ``slots`` for ``hours``; teaching staff need substitute cover when ``cover``."""
        role = model.pop.staff.role[slots]
        self.add("staff_time", hours * self.wage[role].sum())
        if cover:
            self.add("substitutes", hours * self.c.substitute_hourly * self.needs_cover[role].sum())

    def gathering(self, model, slots, families, *, hours: float, in_person: bool, faculty_days: int) -> None:
        """A learning session or congress for the whole cohort."""
        self.staff_hours(model, slots, hours, cover=True)
        self.add("family_stipends", self.c.family_stipend * len(families))
        self.add("faculty", faculty_days * self.c.faculty_day_rate)
        if in_person:
            self.add("travel", self.c.travel_per_attendee * (len(slots) + len(families)))
            self.add("venue", self.c.venue_per_session)

    def call(self, model, slots) -> None:
        self.staff_hours(model, slots, self.c.call_hours, cover=False)
        self.add("faculty", self.c.faculty_hours_per_call * self.c.faculty_day_rate / self.c.faculty_day_hours)

    def data_support(self, model, n_programs: int) -> None:
        """One week of data-use support for ``n_programs`` programmes (those still taking part)."""
        strength = model.params.collaborative.data_use_support
        self.add("data_support", self.c.data_support_weekly * strength * n_programs)

    def community_meeting(self) -> None:
        self.add("community_meeting", self.c.community_meeting_cost)

    def totals(self) -> dict[str, float]:
        out = {f"cost_{name}": float(v) for name, v in zip(CATEGORIES, self.table.sum(axis=0))}
        out["cost_total"] = float(self.table.sum())
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: week, category, cost_usd (non-zero entries only)."""
        w, k = np.nonzero(self.table)
        return pd.DataFrame({"week": w.astype(np.int64), "category": pd.Categorical.from_codes(k, categories=list(CATEGORIES)),
                             "cost_usd": self.table[w, k]})
