"""The models behind the browser view: an ordinary :class:`BSCModel` plus what the view draws.

* :class:`BSCVizModel` takes one keyword argument per lever (the sliders), turns them into Hydra
  overrides (:func:`lever_overrides`) on top of the base config of ``bsc-sim viz``;
* :class:`DesignVizModel` is a named design (``bsc``, ``coach``, ...) on a seed, for the
  side-by-side view.

Both add only a fixed layout of the network picture and the readouts of :mod:`.readout`; no
Solara here.
"""

from __future__ import annotations

import json
import os
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from ..config import load_params
from ..model import BSCModel
from ..palette import design_label
from ..params import Params
from . import readout
from .history import cross_tie_pairs, current_progress
from .layout import layout_of
from .serve import OVERRIDES_ENV

# Team compositions offered by the view: label -> design whose `team` group is used.
TEAM_DESIGNS = {
    "all levels + family": "bsc",
    "all levels, no family": "bsc_no_families",
    "no leader, with family": "bsc_no_leaders",
    "leaders only": "bsc_leaders_only",
    "teachers only": "bsc_teachers_only",
}
AS_CONFIGURED = "as configured"
MODALITIES = ("in_person", "virtual")
MODALITY_LABELS = {"in_person": "in person", "virtual": "online"}
PICTURE_ASPECT = 1.55  # width / height of the network picture (programmes are laid out to fill it)
MAX_SESSIONS = 6
TEAM_KEYS = ("enabled", "n_director", "n_education_manager", "n_lead_teacher", "n_assistant_teacher",
             "n_family_services", "n_family")


def base_overrides() -> list[str]:
    """The base config overrides given to ``bsc-sim viz`` (via the environment), else none."""
    text = os.environ.get(OVERRIDES_ENV, "")
    return list(json.loads(text)) if text else []


@lru_cache(maxsize=32)
def _params(overrides: tuple[str, ...]) -> Params:
    return load_params(list(overrides))


def _team_overrides(design: str) -> list[str]:
    team = _params((f"design={design}",)).team
    return [f"team.{k}={str(getattr(team, k)).lower() if isinstance(getattr(team, k), bool) else getattr(team, k)}"
            for k in TEAM_KEYS]


def team_label(params: Params) -> str:
    """The TEAM_DESIGNS label whose team equals ``params.team``, else ``AS_CONFIGURED``."""
    for label, design in TEAM_DESIGNS.items():
        if _params((f"design={design}",)).team == params.team:
            return label
    return AS_CONFIGURED


def lever_overrides(*, n_sessions: int, modality: str, team: str, turnover: float, data_capacity: float,
                    leadership: float, n_programs: int, base: list[str] | None = None) -> list[str]:
    """Hydra overrides for the levers, after ``base``.

    Sessions are spaced at the configured interval, or closer when needed so that the last one
    still falls inside the collaborative (e.g. 6 sessions in a 52-week collaborative with 6 weeks
    of prework are 9 weeks apart).
    """
    base = list(base or [])
    c = _params(tuple(base)).collaborative
    n = int(n_sessions)
    spacing = c.session_spacing_weeks
    if n > 1:
        last_free = c.duration_weeks - (2 if c.congress else 1)   # the congress has the last week to itself
        spacing = max(1, min(spacing, (last_free - c.prework_weeks) // (n - 1)))
    out = base + [
        f"collaborative.n_sessions={n}", f"collaborative.session_spacing_weeks={spacing}",
        f"collaborative.modality={modality}",
        f"turnover.annual_rate_mean={float(turnover)}",
        f"readiness.data_capacity_mean={float(data_capacity)}",
        f"readiness.leadership_support_mean={float(leadership)}",
        f"cohort.n_programs={int(n_programs)}",
    ]
    if team != AS_CONFIGURED:
        if team not in TEAM_DESIGNS:
            raise ValueError(f"team = {team!r}: choose one of {[*TEAM_DESIGNS, AS_CONFIGURED]}")
        out += _team_overrides(TEAM_DESIGNS[team])
    return out


def default_levers(base: list[str] | None = None) -> dict:
    """Lever values of the base config (the sliders' starting positions)."""
    p = _params(tuple(base or []))
    return {
        "n_sessions": min(p.collaborative.n_sessions, MAX_SESSIONS), "modality": p.collaborative.modality,
        "team": team_label(p), "turnover": round(p.turnover.annual_rate_mean, 2),
        "data_capacity": round(p.readiness.data_capacity_mean, 2),
        "leadership": round(p.readiness.leadership_support_mean, 2),
        "n_programs": p.cohort.n_programs, "seed": p.seed,
    }


class VizModel(BSCModel):
    """A :class:`BSCModel` with a fixed picture layout and the readouts the view shows."""

    def __init__(self, params: Params, seed: int) -> None:
        # A state has hundreds of thousands of staff and families: no Mesa agent handles for them
        # (the view reads arrays only; the run is the same either way, as in run_sim).
        super().__init__(params, seed=seed, create_agents=not params.system.enabled)

    @cached_property
    def layout(self):
        """Where the network picture draws each post and family (computed when first drawn)."""
        return layout_of(self.pop, PICTURE_ASPECT)

    @cached_property
    def edges(self) -> np.ndarray:
        """(E, 2) within-programme staff ties."""
        return np.array(list(self.pop.staff_graph.edges()), dtype=np.int64).reshape(-1, 2)

    @property
    def is_state(self) -> bool:
        """A statewide system (regions and waves of cohorts): the view shows the state, not the network."""
        return readout.is_state(self)

    def state_cells(self) -> pd.DataFrame:
        return readout.state_cells(self)

    def state_outside(self) -> pd.DataFrame:
        return readout.state_outside(self)

    def state_headline(self) -> readout.StateHeadline:
        return readout.state_headline(self)

    def step(self) -> None:
        if self.finished:
            self.running = False
            return
        super().step()

    # -- what the view reads (arrays, no loop over agents) ------------------------------------
    def cross_ties(self) -> np.ndarray:
        """(K, 2) staff posts tied across programmes."""
        return cross_tie_pairs(self)

    def progress(self) -> np.ndarray:
        """Each team's progress score (provisional until the collaborative ends)."""
        return current_progress(self)

    def headline(self) -> readout.Headline:
        return readout.headline(self)

    def weekly(self) -> pd.DataFrame:
        return readout.weekly(self)

    def practice_use(self) -> pd.DataFrame:
        return readout.practice_use(self)

    def picture(self) -> dict[str, np.ndarray]:
        return readout.picture(self)

    def calendar_marks(self) -> dict[str, list[int]]:
        return readout.calendar_marks(self)

    def same_cohort(self, other: "VizModel") -> bool:
        """Whether ``other`` has the same programmes, classrooms, staff posts and families (the same
        seed and cohort settings give the same cohort, whatever the design)."""
        a, b = self.pop, other.pop
        return bool(a.n_programs == b.n_programs and np.array_equal(a.programs.kind, b.programs.kind)
                    and np.array_equal(a.classroom_program, b.classroom_program)
                    and np.array_equal(a.staff.program, b.staff.program) and np.array_equal(a.staff.role, b.staff.role)
                    and np.array_equal(a.families.classroom, b.families.classroom))

    def cohort_size(self) -> str:
        """'8 programmes, 31 classrooms'."""
        return f"{self.pop.n_programs:,} programmes, {int(self.pop.classroom_program.size):,} classrooms"

    def this_week(self) -> str:
        """The calendar events of the latest week run, in plain words ("" if none)."""
        from ..palette import event_label

        last = self.week - 1
        return ", ".join(event_label(e) for e in self.calendar.events_at(last)) if last >= 0 else ""


class BSCVizModel(VizModel):
    """BSCModel built from the view's levers (keyword arguments, one per slider).

    Args:
        n_sessions: learning sessions (``collaborative.n_sessions``).
        modality: ``in_person`` or ``virtual`` (``collaborative.modality``).
        team: a key of ``TEAM_DESIGNS`` (team composition of that design) or ``"as configured"``.
        turnover: mean annual staff turnover (``turnover.annual_rate_mean``).
        data_capacity: mean data capacity (``readiness.data_capacity_mean``).
        leadership: mean leadership support (``readiness.leadership_support_mean``).
        n_programs: programmes in the cohort (``cohort.n_programs``).
        seed: the model's seed (text from the input box is accepted).
        base: base overrides (default: those given to ``bsc-sim viz``).
    """

    def __init__(self, n_sessions: int = 3, modality: str = "in_person", team: str = "all levels + family",
                 turnover: float = 0.25, data_capacity: float = 0.4, leadership: float = 0.6, n_programs: int = 8,
                 seed: int | str = 0, base: list[str] | None = None) -> None:
        base = base_overrides() if base is None else list(base)
        seed = parse_seed(seed)
        self.levers = {"n_sessions": int(n_sessions), "modality": modality, "team": team, "turnover": float(turnover),
                       "data_capacity": float(data_capacity), "leadership": float(leadership),
                       "n_programs": int(n_programs), "seed": seed}
        overrides = lever_overrides(base=base, **{k: v for k, v in self.levers.items() if k != "seed"})
        super().__init__(_params(tuple(overrides)), seed)

    def describe_levers(self) -> str:
        """One line naming the lever values of this model."""
        v = self.levers
        sessions = f"{v['n_sessions']} learning session" + ("s" if v["n_sessions"] != 1 else "")
        spacing = self.params.collaborative.session_spacing_weeks
        size = f"{v['n_programs']} programmes"
        if self.is_state:  # the cohort-size lever does not size a state; its system settings do
            sys_ = self.params.system
            size = (f"a state of {self.pop.n_programs:,} programmes in {sys_.n_regions} regions, cohorts of "
                    f"{sys_.cohort_size}")
        return (f"{sessions} ({MODALITY_LABELS.get(v['modality'], v['modality'])}, every {spacing} weeks) · "
                f"team: {v['team']} · turnover {v['turnover']:.0%} a year · data capacity {v['data_capacity']:.2f}"
                f" · leadership support {v['leadership']:.2f} · {size} · seed {v['seed']}")


class DesignVizModel(VizModel):
    """A named design (``configs/design/``) on a seed, on top of the base config of ``bsc-sim viz``.

    Designs run on the same seed start from the same cohort (common random numbers), so two of them
    side by side differ only by the design.
    """

    def __init__(self, design: str, seed: int | str = 0, base: list[str] | None = None) -> None:
        base = base_overrides() if base is None else list(base)
        self.design = design
        super().__init__(_params((*base, f"design={design}")), parse_seed(seed))

    @property
    def label(self) -> str:
        return design_label(self.design)


def parse_seed(seed: int | str) -> int:
    """A seed from the input box: a whole number (blank is 0)."""
    try:
        return int(str(seed).strip() or 0)
    except ValueError:
        raise ValueError(f"seed = {seed!r}: must be a whole number") from None
