"""Cost accounting by category (staff, faculty, substitute coverage, travel).

Every amount is in US dollars and booked in the week it is incurred, so a planner can see when
money is spent as well as how much. Unit costs are in :class:`bsc_sim.params.CostParams`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import TEACHING_ROLES

CATEGORIES = ("staff_time", "substitutes", "family_stipends", "travel", "venue", "faculty", "data_support",
              "coaching", "training", "community_meeting", "coordination", "faculty_training")


class CostLedger:
    """Accumulates costs per week and category, and per week and cohort (``by_cohort``).

    The cohort attribution (issue 11) lets a statewide system report cost by region and wave; its
    last column holds what belongs to no cohort (training new faculty).
    """

    def __init__(self, params, horizon: int, schedule) -> None:
        c = params.costs
        self.c = c
        self.wage = np.array([c.wage_director, c.wage_education_manager, c.wage_lead_teacher,
                              c.wage_assistant_teacher, c.wage_family_services])
        self.table = np.zeros((horizon, len(CATEGORIES)))
        self.needs_cover = np.zeros(len(self.wage), dtype=bool)  # by role: teaching staff need a substitute
        self.needs_cover[list(TEACHING_ROLES)] = True
        self.week = 0
        self.K = schedule.n_cohorts
        self.by_cohort = np.zeros((horizon, self.K + 1))
        # Column of each programme's cohort in by_cohort (the last column for programmes that never enrol).
        self.program_col = np.where(schedule.program_cohort >= 0, schedule.program_cohort, self.K)
        self.cohort_region = schedule.cohort_region
        self.system = params.system
        # Travel of in-person gatherings, by cohort: x system.rural_travel_factor in a rural region (issue 22).
        self.travel_factor = np.ones(self.K + 1)
        if params.system.enabled and self.K:
            rural = {r.strip() for r in params.system.rural_regions.split("/") if r.strip()}
            is_rural = np.array([schedule.region_name(int(r)) in rural for r in schedule.cohort_region])
            self.travel_factor[:-1] = np.where(is_rural, params.system.rural_travel_factor, 1.0)

    def add(self, category: str, amount: float, cohort: int = -1) -> None:
        """Book ``amount`` to ``category`` this week and to ``cohort`` (-1: no cohort)."""
        self.table[self.week, CATEGORIES.index(category)] += amount
        self.by_cohort[self.week, cohort] += amount

    def _attribute(self, programs: np.ndarray, amounts: np.ndarray | float) -> None:
        """Add per-item ``amounts`` of items belonging to ``programs`` to their cohorts' columns."""
        w = np.broadcast_to(np.asarray(amounts, dtype=np.float64), programs.shape)
        self.by_cohort[self.week] += np.bincount(self.program_col[programs], weights=w, minlength=self.K + 1)

    def per_program(self, category: str, amount: float, programs: np.ndarray) -> None:
        """``amount`` for each programme of ``programs``."""
        self.table[self.week, CATEGORIES.index(category)] += amount * len(programs)
        self._attribute(programs, amount)

    def staff_hours(self, model, slots: np.ndarray, hours: float, *, cover: bool) -> None:
        """Paid time of staff ``slots`` for ``hours``; teaching staff need substitute cover when ``cover``."""
        role = model.pop.staff.role[slots]
        program = model.pop.staff.program[slots]
        self.table[self.week, 0] += hours * self.wage[role].sum()
        self._attribute(program, hours * self.wage[role])
        if cover:
            self.table[self.week, 1] += hours * self.c.substitute_hourly * self.needs_cover[role].sum()
            self._attribute(program, hours * self.c.substitute_hourly * self.needs_cover[role])

    def staff_hours_groups(self, model, slots: np.ndarray, bounds, group: np.ndarray, hours) -> None:
        """Many bookings without substitute cover, as ``staff_hours(model, slots[bounds[g]:bounds[g + 1]],
        hours[b], cover=False)`` for each booking ``b`` of group ``g = group[b]``, in that order.

        Each group's staff belong to one programme. The sums are the same floats in the same order:
        a group's wage total as ``np.sum`` adds it (sequentially below eight staff, by ``np.sum``
        itself from eight), each booking's cohort amount as ``np.bincount`` adds it (sequentially),
        and the bookings into the week's totals one after another.
        """
        bounds = np.asarray(bounds)
        sizes = np.diff(bounds)
        if len(group) == 0 or len(slots) == 0:
            return   # every booking of an empty group adds zero
        st = model.pop.staff
        ng, width = len(sizes), int(sizes.max())
        wr = self.wage[st.role[slots]]
        rows = np.repeat(np.arange(ng), sizes)
        padded = np.zeros((ng, width))
        padded[rows, np.arange(len(slots)) - bounds[rows]] = wr
        total = padded[:, 0].copy()              # each group's np.sum(wage[role]), sequentially ...
        for c in range(1, width):
            total += padded[:, c]
        for g in np.flatnonzero(sizes >= 8).tolist():   # ... as np.sum adds below eight; itself from eight
            total[g] = wr[bounds[g]:bounds[g + 1]].sum()
        hours = np.asarray(hours, dtype=np.float64)
        scaled = hours[:, None] * padded[group]  # each booking's amount per member (0 in the padding)
        amount = scaled[:, 0].copy()             # summed as bincount adds them (x + 0.0 == x)
        for c in range(1, width):
            amount += scaled[:, c]
        booked = sizes[group] > 0                # a booking of an empty group adds zero
        group, amount = group[booked], amount[booked]
        inc = hours[booked] * total[group]
        self.table[self.week, 0] = np.cumsum(np.concatenate(([self.table[self.week, 0]], inc)))[-1]
        col = self.program_col[st.program[slots[bounds[:-1][group]]]]
        np.add.at(self.by_cohort[self.week], col, amount)   # in order, one after another

    def gathering(self, model, slots, families, *, hours: float, in_person: bool, faculty_days: int,
                  cohort: int = 0) -> None:
        """A learning session or congress of one cohort."""
        self.staff_hours(model, slots, hours, cover=True)
        self.add("family_stipends", self.c.family_stipend * len(families), cohort)
        self.add("faculty", faculty_days * self.c.faculty_day_rate, cohort)
        if in_person:
            far = self.travel_factor[cohort]
            self.add("travel", self.c.travel_per_attendee * (len(slots) + len(families)) * far, cohort)
            self.add("venue", self.c.venue_per_session, cohort)
            if self.system.enabled:
                self.add("travel", self.system.faculty_travel_per_session * faculty_days * far, cohort)

    def call(self, model, slots, cohort: int = 0) -> None:
        self.staff_hours(model, slots, self.c.call_hours, cover=False)
        self.add("faculty", self.c.faculty_hours_per_call * self.c.faculty_day_rate / self.c.faculty_day_hours, cohort)

    def data_support(self, model, supported: np.ndarray) -> None:
        """One week of data-use support for the ``supported`` (M,) programmes (those still taking part)."""
        strength = model.params.collaborative.data_use_support
        n_programs = int(supported.sum())
        self.table[self.week, CATEGORIES.index("data_support")] += self.c.data_support_weekly * strength * n_programs
        self._attribute(np.flatnonzero(supported), self.c.data_support_weekly * strength)

    def community_meeting(self, cohort: int = 0) -> None:
        self.add("community_meeting", self.c.community_meeting_cost, cohort)
        if self.system.enabled:
            self.add("travel", self.system.faculty_travel_per_session * self.c.n_faculty * self.travel_factor[cohort], cohort)

    def coordination(self, model, cohort_supported: np.ndarray) -> None:
        """Regional coordination: each region with a cohort whose supports run this week (issue 11)."""
        regions = np.unique(self.cohort_region[cohort_supported])
        for r in regions:
            cohorts = np.flatnonzero(cohort_supported & (self.cohort_region == r))
            share = self.system.region_coordination_weekly / len(cohorts)
            self.table[self.week, CATEGORIES.index("coordination")] += self.system.region_coordination_weekly
            self.by_cohort[self.week, cohorts] += share

    def faculty_training(self, n_new: int) -> None:
        """Training the new faculty of every region (booked in week 0, to no cohort)."""
        if n_new:
            self.add("faculty_training", self.system.faculty_training_cost * n_new)

    def totals(self, last_week: int | None = None) -> dict[str, float]:
        """Cost by category and in total, summed over weeks 0 .. ``last_week`` (default: all)."""
        table = self.table if last_week is None else self.table[: last_week + 1]
        out = {f"cost_{name}": float(v) for name, v in zip(CATEGORIES, table.sum(axis=0))}
        out["cost_total"] = float(table.sum())
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: week, category, cost_usd (non-zero entries only)."""
        w, k = np.nonzero(self.table)
        return pd.DataFrame({"week": w.astype(np.int64), "category": pd.Categorical.from_codes(k, categories=list(CATEGORIES)),
                             "cost_usd": self.table[w, k]})
