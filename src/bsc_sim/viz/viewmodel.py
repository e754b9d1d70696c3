"""The model behind the browser view: :class:`BSCModel` built from slider values.

:class:`BSCVizModel` takes one keyword argument per lever (what SolaraViz passes when it
rebuilds a model), turns them into Hydra overrides (:func:`lever_overrides`) on top of the base
config of ``bsc-sim viz`` and builds an ordinary :class:`~bsc_sim.model.BSCModel`. It adds only
what the view draws: a fixed layout of the staff network and a Mesa ``DataCollector`` of the
share of staff using each practice (for ``make_plot_component``). No Solara here.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache, partial

import mesa
import numpy as np

from ..config import load_params
from ..model import BSCModel
from ..params import Params
from .history import cross_tie_pairs, current_progress
from .layout import cluster_layout
from .serve import OVERRIDES_ENV

# Team compositions offered by the view: label -> design whose `team` group is used.
TEAM_DESIGNS = {
    "all levels + family": "bsc",
    "all levels, no family": "bsc_no_families",
    "leaders only": "bsc_leaders_only",
    "teachers only": "bsc_teachers_only",
}
AS_CONFIGURED = "as configured"
MODALITIES = ("in_person", "virtual")
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
        spacing = max(1, min(spacing, (c.duration_weeks - c.prework_weeks - 1) // (n - 1)))
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


def lever_inputs(values: dict) -> dict:
    """Mesa ``model_params`` entries (SliderInt/SliderFloat/Select/InputText) showing ``values``."""
    teams = list(TEAM_DESIGNS) + ([AS_CONFIGURED] if values["team"] == AS_CONFIGURED else [])
    return {
        "n_sessions": {"type": "SliderInt", "label": "Learning sessions", "value": values["n_sessions"],
                       "min": 0, "max": MAX_SESSIONS, "step": 1},
        "modality": {"type": "Select", "label": "Session modality", "value": values["modality"],
                     "values": list(MODALITIES)},
        "team": {"type": "Select", "label": "Team composition", "value": values["team"], "values": teams},
        "turnover": {"type": "SliderFloat", "label": "Staff turnover (mean share/year)", "value": values["turnover"],
                     "min": 0.0, "max": 0.6, "step": 0.05},
        "data_capacity": {"type": "SliderFloat", "label": "Data capacity (mean, 0-1)",
                          "value": values["data_capacity"], "min": 0.0, "max": 1.0, "step": 0.05},
        "leadership": {"type": "SliderFloat", "label": "Leadership support (mean, 0-1)",
                       "value": values["leadership"], "min": 0.0, "max": 1.0, "step": 0.05},
        "n_programs": {"type": "SliderInt", "label": "Programmes in the cohort", "value": values["n_programs"],
                       "min": 2, "max": 30, "step": 1},
        "seed": {"type": "InputText", "label": "Seed", "value": str(values["seed"])},
    }


def share_using(model: BSCModel, k: int) -> float:
    """Share of present eligible staff using practice ``k`` (the metrics' definition)."""
    st = model.pop.staff
    elig = st.eligible[:, k] & st.present
    n = int(elig.sum())
    return float((elig & st.use[:, k]).sum() / n) if n else float("nan")


class BSCVizModel(BSCModel):
    """BSCModel built from the view's levers (keyword arguments, as SolaraViz passes them).

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
        try:
            seed = int(str(seed).strip() or 0)
        except ValueError:
            raise ValueError(f"seed = {seed!r}: must be a whole number") from None
        self.levers = {"n_sessions": int(n_sessions), "modality": modality, "team": team, "turnover": float(turnover),
                       "data_capacity": float(data_capacity), "leadership": float(leadership),
                       "n_programs": int(n_programs), "seed": seed}
        overrides = lever_overrides(base=base, **{k: v for k, v in self.levers.items() if k != "seed"})
        super().__init__(_params(tuple(overrides)), seed=seed)
        graph = self.pop.staff_graph
        self.positions = cluster_layout(graph, self.pop.staff.program, self.seed)
        self.edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
        self.datacollector = mesa.DataCollector(model_reporters={
            name: partial(share_using, k=k) for k, name in enumerate(self.params.practices)})
        self.datacollector.collect(self)  # row 0: the cohort before the first week

    def step(self) -> None:
        if self.finished:
            self.running = False
            return
        super().step()
        self.datacollector.collect(self)

    # -- what the view reads (arrays, no loop over agents) ------------------------------------
    def cross_ties(self) -> np.ndarray:
        """(K, 2) staff posts tied across programmes."""
        return cross_tie_pairs(self)

    def progress(self) -> np.ndarray:
        """Each team's progress score (provisional until the collaborative ends)."""
        return current_progress(self)

    def describe_levers(self) -> str:
        """One line naming the lever values of this model."""
        v = self.levers
        sessions = f"{v['n_sessions']} learning session" + ("s" if v["n_sessions"] != 1 else "")
        spacing = self.params.collaborative.session_spacing_weeks
        return (f"{sessions} ({v['modality'].replace('_', ' ')}, every {spacing} weeks) · team: {v['team']} · "
                f"turnover {v['turnover']:.0%}/year · data capacity {v['data_capacity']:.2f}"
                f" · leadership {v['leadership']:.2f} · {v['n_programs']} programmes · seed {v['seed']}")
