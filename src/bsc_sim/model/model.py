"""``BSCModel``: the Mesa model whose step order is written once, here.

Each week (one step) runs these phases in this order (``BSCModel.PHASES``); each phase is the
module of the same name in this package:

1. **calendar** — community meeting, learning sessions, calls, congress, coaching visits,
   the one-off workshop.
2. **turnover** — staff leave and vacancies are filled; families turn over.
3. **disruption** — programmes derail (competing priorities, staffing crises, a director's exit),
   recover, or drop out of the collaborative.
4. **pdsa** — teams plan, do, study and act on tests of change.
5. **spread** — complex contagion among staff; families take up home practices.
6. **cross_learning** — beliefs and adaptations move along cross-programme ties; peers' successes
   encourage teams to test.
7. **sustainment** — fidelity moves toward a ceiling set by each person's lasting skill and the
   feedback they get; lasting skill grows under feedback and fades without it; users lapse,
   practices become embedded.
8. **culture** — the learning culture, QI skill and session momentum rise with reinforcement and
   erode without it.
9. **measure** — the week's aggregates are recorded.

A statewide system (``system.enabled``, :mod:`.system`) runs the same week over a state's
programmes: ``model.schedule`` says which cohort each programme belongs to and when each cohort
starts; the calendar phase runs each cohort's events from its own calendar, and a programme's
supports are its cohort's (:func:`.population.supported`). A single collaborative is the
schedule of one cohort of every programme starting in week 0.

State lives in numpy arrays owned by the model (``model.pop``, :mod:`.population`); phases
communicate only through it. Costs go to a ledger (:mod:`.costs`) that phases write to; what a
finished run reports is in :mod:`.outcomes`. Agents (:mod:`.agents`) are thin handles.
Every random number comes from the model's generator: each component draws from its own child
stream spawned from it, so designs run with the same seed share their cohort and network
(common random numbers).
"""

from __future__ import annotations

import time

import mesa
import numpy as np

from ..params import Params
from .agents import FamilyAgent, ProgramAgent, StaffAgent
from .calendar import CalendarPhase, build_calendar
from .costs import CostLedger
from .cross_learning import CrossProgramLearning
from .culture import Culture
from .disruption import Disruption
from .measure import Recorder
from .outcomes import progress_scores, summarize
from .pdsa import PDSAProcess
from .population import CrossTies, build_population
from .spread import WithinProgramSpread
from .sustainment import Sustainment
from .system import build_schedule, enrol, single_schedule, state_calendar
from .turnover import Turnover

# Child streams of the model's generator, one per component; new ones are appended so the older
# streams keep their numbers.
STREAMS = ("population", "turnover", "pdsa", "spread", "families", "learning", "supports", "sustain", "disruption",
           "system", "region_ties", "levels")


class BSCModel(mesa.Model):
    """A Breakthrough Series Collaborative among ECE programmes (one step = one week).

    Args:
        params: validated parameters (see :func:`bsc_sim.load_params`).
        seed: seed of the model's generator (defaults to ``params.seed``).
        create_agents: create the Mesa agent handles (skip for bare speed in sweeps).
        time_phases: accumulate wall-clock seconds per phase in ``phase_seconds`` (benchmarks).

    Example:
        >>> model = BSCModel(load_params(), seed=1)
        >>> model.run()
    """

    PHASES = ("calendar", "turnover", "disruption", "pdsa", "spread", "cross_learning", "sustainment", "culture",
              "measure")

    def __init__(self, params: Params, seed: int | None = None, *, create_agents: bool = True,
                 time_phases: bool = False) -> None:
        seed = params.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.params = params
        self.seed = seed
        self.streams = dict(zip(STREAMS, self.rng.spawn(len(STREAMS))))
        self.week = 0
        names = list(params.practices)
        self._practice_index = {n: i for i, n in enumerate(names)}
        pr = list(params.practices.values())
        self.practice_effect = np.array([x.effect for x in pr])
        self.practice_complexity = np.array([x.complexity for x in pr])
        self.practice_hours = np.array([x.hours_per_week for x in pr])
        # Rogers attractiveness, equal weights, complexity reversed [rogers2003]: 0 is neutral.
        self.practice_attractiveness = np.array([
            np.mean([x.relative_advantage, x.compatibility, 1 - x.complexity, x.trialability, x.observability]) - 0.5
            for x in pr])
        self.pop = build_population(params, self.streams["population"])
        pr_ = self.pop.programs
        self.initial_readiness = {name: getattr(pr_, name).copy() for name in
                                  ("commitment", "efficacy", "leadership", "data_capacity", "time_slack")}
        self.initial_readiness["composite"] = pr_.readiness.copy()
        template = build_calendar(params)
        if params.system.enabled:
            # A state of programmes in regions; cohorts start in waves, each running the design's calendar.
            self.schedule = build_schedule(params, self.pop, template, self.streams["system"])
            enrol(self.pop, self.schedule)
            self.pop.ties = CrossTies.among(self.pop.staff, pr_.kind)
            self.calendar = state_calendar(self.schedule, params.horizon_weeks)
        else:
            self.schedule = single_schedule(template, self.pop.n_programs)
            self.calendar = template
        # The last week of collaborative, coaching or workshop support; designs without any never "lose" support.
        supported = template.supports_active | template.coach_visit | template.training
        pr_.support_end[:] = self.schedule.support_end(supported)
        self.ledger = CostLedger(params, self.calendar.horizon, self.schedule)
        self.ledger.faculty_training(self.schedule.n_new_faculty)
        # One component per phase, set up and stepped in the order of PHASES.
        self.components = {
            "calendar": CalendarPhase(), "turnover": Turnover(), "disruption": Disruption(), "pdsa": PDSAProcess(),
            "spread": WithinProgramSpread(), "cross_learning": CrossProgramLearning(),
            "sustainment": Sustainment(), "culture": Culture(), "measure": Recorder(),
        }
        assert tuple(self.components) == self.PHASES
        for component in self.components.values():
            component.setup(self)
        Sustainment.update_embedded(self)
        self.progress_scores = np.ones(self.pop.n_programs, dtype=np.int64)
        self.phase_seconds = dict.fromkeys(self.PHASES, 0.0)
        self.time_phases = time_phases
        self.followup_summary: dict[str, float] | None = None
        self.program_agents: list[ProgramAgent] = []
        self.staff_agents: list[StaffAgent] = []
        self.family_agents: list[FamilyAgent] = []
        if create_agents:
            self.program_agents = [ProgramAgent(self, i) for i in range(self.pop.n_programs)]
            self.staff_agents = [StaffAgent(self, i) for i in range(len(self.pop.staff.role))]
            self.family_agents = [FamilyAgent(self, i) for i in range(len(self.pop.families.program))]

    def practice_index(self, name: str) -> int:
        try:
            return self._practice_index[name]
        except KeyError:
            raise KeyError(f"unknown practice {name!r}; the change package is {list(self._practice_index)}") from None

    @property
    def finished(self) -> bool:
        return self.week >= self.calendar.horizon

    def step(self) -> None:
        """One week: the phases of ``PHASES`` in order."""
        if self.finished:
            self.running = False
            return
        self.ledger.week = self.week
        for name in self.PHASES:
            if self.time_phases:
                t0 = time.perf_counter()
                self.components[name].step(self)
                self.phase_seconds[name] += time.perf_counter() - t0
            else:
                self.components[name].step(self)
        if self.week == self.calendar.end_week:
            self._score_progress()
        if self.week == self.calendar.followup_week < self.calendar.horizon - 1:
            # The calendar runs on only to observe late lag readings: everything else is read now.
            self.followup_summary = summarize(self)
        self.week += 1
        self.running = not self.finished

    def _score_progress(self) -> None:
        rec = self.components["measure"]
        self.progress_scores = progress_scores(rec, self.week, rec.cycles[self.week], self.pop.programs.embedded.any(axis=1),
                                               self.params.progress)

    def run(self) -> BSCModel:
        """Run every remaining week of the horizon."""
        while not self.finished:
            self.step()
        return self
