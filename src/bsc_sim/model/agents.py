"""Mesa agents as thin handles onto the model's arrays (the hybrid design of shared/PERFORMANCE.md, part C).

Each agent stores only its index; every attribute is read from the arrays the model owns, so
what an agent shows in a notebook or the interactive view is always the state the vectorised
phases use (change state through the arrays, ``model.pop``). Agents never run per-agent logic inside a step.

A :class:`StaffAgent` is a *post* (a slot with a role, classroom and network position). People
come and go through it with turnover: ``present`` is False while the post is vacant and
``hired_week`` tells when the current holder arrived.
"""

from __future__ import annotations

import mesa
import numpy as np

from .population import KIND_NAMES, ROLE_NAMES


class ProgramAgent(mesa.Agent):
    """A Head Start site, child care centre or family child care home."""

    def __init__(self, model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def kind(self) -> str:
        return KIND_NAMES[self.model.pop.programs.kind[self.idx]]

    @property
    def culture(self) -> float:
        return float(self.model.pop.programs.culture[self.idx])

    @property
    def readiness(self) -> float:
        return float(self.model.pop.programs.readiness[self.idx])

    @property
    def n_classrooms(self) -> int:
        return int(self.model.pop.programs.n_classrooms[self.idx])

    def staff(self) -> list[StaffAgent]:
        """The staff posts of this programme."""
        rows = np.flatnonzero(self.model.pop.staff.program == self.idx)
        return [self.model.staff_agents[i] for i in rows]


class StaffAgent(mesa.Agent):
    """A staff post: director, education manager, lead or assistant teacher, family services."""

    def __init__(self, model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def role(self) -> str:
        return ROLE_NAMES[self.model.pop.staff.role[self.idx]]

    @property
    def program_id(self) -> int:
        return int(self.model.pop.staff.program[self.idx])

    @property
    def present(self) -> bool:
        return bool(self.model.pop.staff.present[self.idx])

    @property
    def on_team(self) -> bool:
        return bool(self.model.pop.staff.on_team[self.idx])

    @property
    def hired_week(self) -> int:
        return int(self.model.pop.staff.hired_week[self.idx])

    def uses(self, practice: str) -> bool:
        return bool(self.model.pop.staff.use[self.idx, self.model.practice_index(practice)])

    def fidelity(self, practice: str) -> float:
        return float(self.model.pop.staff.fidelity[self.idx, self.model.practice_index(practice)])

    def belief(self, practice: str) -> float:
        return float(self.model.pop.staff.belief[self.idx, self.model.practice_index(practice)])

    @property
    def n_practices_used(self) -> int:
        return int(np.sum(self.model.pop.staff.use[self.idx]))


class FamilyAgent(mesa.Agent):
    """The family of one enrolled child."""

    def __init__(self, model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def program_id(self) -> int:
        return int(self.model.pop.families.program[self.idx])

    @property
    def engagement(self) -> float:
        return float(self.model.pop.families.engagement[self.idx])

    @property
    def on_team(self) -> bool:
        return bool(self.model.pop.families.on_team[self.idx])

    def uses_at_home(self, practice: str) -> bool:
        return bool(self.model.pop.families.home_use[self.idx, self.model.practice_index(practice)])
