"""Record a run week by week for figures: the per-post state the summary tables aggregate away.

:func:`record_spread` steps a :class:`~bsc_sim.model.BSCModel` exactly as
:func:`bsc_sim.run.run_sim` does (same parameters, same seed, no Mesa agent handles) and keeps,
after every week, which posts are filled, on the team, using each practice and at what fidelity,
the programmes' embedded practices and the cross-programme ties. The figure functions of
:mod:`bsc_sim.viz.animate` take the resulting :class:`SpreadHistory`, never a model.

Frame ``t`` is the state at the end of week ``t`` (after its ``measure`` phase), the same
moment as row ``week == t`` of ``RunResult.timeseries``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import BSCModel
from ..model.outcomes import progress_scores
from ..palette import event_label
from ..params import Params
from .drawing import node_state
from .layout import NetworkLayout, layout_of


@dataclass
class SpreadHistory:
    """Per-week, per-post state of one run plus the static structure needed to draw it.

    Attributes:
        weeks: (T,) week of each frame (0 .. horizon-1).
        present: bool (T, S) post filled; on_team: bool (T, S) post holder on the improvement team.
        use: bool (T, S, P) using each practice; fidelity: float32 (T, S, P) fidelity (0 when not using).
        embedded: bool (T, M, P) practice routinised in the programme.
        progress: int (T, M) IHI 1-5 progress score as if the collaborative ended that week (the
            official score is the row ``end_week``, equal to ``final_progress``).
        final_progress: (M,) the model's progress score (``RunResult.programs.progress_score``).
        cross_ties: per frame, (K, 2) pairs of posts in different programmes that are tied.
        program, role: (S,) programme and role code of each post; eligible: bool (S, P).
        kind: (M,) programme kind (0 Head Start, 1 child care).
        family_home: bool (T, F) family uses at least one practice at home; family_on_team: bool (T, F).
        edges: (E, 2) within-programme staff ties; layout: where posts and families are drawn.
        practices: practice names; fidelity_threshold: fidelity counted as "at fidelity".
        events: per frame, the calendar events of that week (e.g. ``learning_session_1``).
        end_week, session_weeks, seed, design: as in ``RunResult.meta``; call_weeks: weeks with a call.
    """

    weeks: np.ndarray
    present: np.ndarray
    on_team: np.ndarray
    use: np.ndarray
    fidelity: np.ndarray
    embedded: np.ndarray
    progress: np.ndarray
    final_progress: np.ndarray
    cross_ties: list[np.ndarray]
    program: np.ndarray
    role: np.ndarray
    eligible: np.ndarray
    kind: np.ndarray
    family_home: np.ndarray
    family_on_team: np.ndarray
    edges: np.ndarray
    layout: NetworkLayout
    practices: tuple[str, ...]
    fidelity_threshold: float
    events: list[list[str]]
    end_week: int
    session_weeks: list[int]
    seed: int
    design: str
    meta: dict = field(default_factory=dict)
    call_weeks: list[int] = field(default_factory=list)
    state_plan: dict | None = None           # a state: its schedule (:func:`.readout.state_plan`)
    rooms_reached: np.ndarray | None = None  # a state: int (T, M) classrooms reached per programme
    rooms_sustained: np.ndarray | None = None

    @property
    def is_state(self) -> bool:
        """Whether the run is a statewide system (the figures then show regions x waves)."""
        return self.state_plan is not None

    def state_cells(self, frame: int):
        """(cells, outside) of a state at ``frame`` (:func:`bsc_sim.viz.readout.cells_from`)."""
        from .readout import cells_from

        return cells_from(self.state_plan, int(self.weeks[frame]) + 1, self.rooms_reached[frame],
                          self.rooms_sustained[frame])

    @property
    def positions(self) -> np.ndarray:
        """(S, 2) positions of the staff posts."""
        return self.layout.staff

    @property
    def n_frames(self) -> int:
        return len(self.weeks)

    @property
    def n_posts(self) -> int:
        return len(self.program)

    @property
    def n_programs(self) -> int:
        return len(self.kind)

    def state(self) -> np.ndarray:
        """State code (T, S) of every post in every week (see :func:`bsc_sim.viz.drawing.node_state`)."""
        return node_state(self.present, self.use, self.fidelity, self.fidelity_threshold)

    def adoption(self) -> pd.DataFrame:
        """Tidy week x practice table of the whole cohort, counted from the recorded posts.

        Columns: ``week, practice, n_eligible, n_using, n_fidelity, frac_staff_using,
        frac_staff_fidelity`` with the definitions of :mod:`bsc_sim.model.measure` (present eligible
        staff), so the counts equal ``RunResult.timeseries`` summed over programmes.
        """
        elig = self.present[:, :, None] & self.eligible[None, :, :]
        using = elig & self.use
        at_fid = using & (self.fidelity >= self.fidelity_threshold)
        T, P = len(self.weeks), len(self.practices)
        n_elig, n_use, n_fid = (a.sum(axis=1).ravel() for a in (elig, using, at_fid))
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.DataFrame({
                "week": np.repeat(self.weeks, P),
                "practice": pd.Categorical.from_codes(np.tile(np.arange(P), T), categories=list(self.practices)),
                "n_eligible": n_elig, "n_using": n_use, "n_fidelity": n_fid,
                "frac_staff_using": np.where(n_elig > 0, n_use / np.maximum(n_elig, 1), np.nan),
                "frac_staff_fidelity": np.where(n_elig > 0, n_fid / np.maximum(n_elig, 1), np.nan),
            })

    def matches(self, timeseries: pd.DataFrame) -> bool:
        """Whether the recorded counts equal a run's ``RunResult.timeseries`` (summed over programmes)."""
        cols = ["n_eligible", "n_using", "n_fidelity"]
        theirs = timeseries.groupby(["week", "practice"], observed=True)[cols].sum().reset_index()
        ours = self.adoption()
        if len(theirs) != len(ours):
            return False
        same_keys = (theirs["week"].to_numpy() == ours["week"].to_numpy()).all() and \
            (theirs["practice"].astype(str).to_numpy() == ours["practice"].astype(str).to_numpy()).all()
        return bool(same_keys and (theirs[cols].to_numpy() == ours[cols].to_numpy()).all())

    def progress_table(self) -> pd.DataFrame:
        """Tidy week x programme table of the (provisional) progress score."""
        T, M = self.progress.shape
        return pd.DataFrame({
            "week": np.repeat(self.weeks, M), "program_id": np.tile(np.arange(M), T),
            "kind": np.tile(self.kind, T), "progress_score": self.progress.ravel(),
        })

    def frame_of(self, week: int) -> int:
        """Index of the frame that holds ``week``."""
        hits = np.flatnonzero(self.weeks == week)
        if not len(hits):
            raise ValueError(f"week {week} was not recorded (weeks {int(self.weeks[0])}..{int(self.weeks[-1])})")
        return int(hits[0])

    def caption(self, frame: int) -> str:
        """'week 22 - learning session 2' style caption of a frame, with the week counted as the view
        counts it (weeks run: frame ``t`` is the end of week ``t + 1``; see :func:`shown_week`)."""
        w = int(self.weeks[frame])
        if self.is_state:  # dozens of cohorts, each in its own phase: the year instead
            return f"week {shown_week(w)} (year {w // 52 + 1})"
        phase = "collaborative" if w <= self.end_week else "follow-up"
        names = [event_label(e) for e in self.events[frame]]
        return f"week {shown_week(w)} ({phase})" + (f" - {', '.join(names)}" if names else "")


def shown_week(week: int) -> int:
    """The week as the view and the talk figures show it: weeks run, so the model's week 0 (the
    first row of ``RunResult.timeseries``) is week 1 and the last of 104 weeks is week 104."""
    return int(week) + 1


def cross_tie_pairs(model: BSCModel) -> np.ndarray:
    """(K, 2) staff posts tied across programmes right now (each tie once, lower seat first, in seat order)."""
    ties = model.pop.ties
    keep = ties.w > 0
    i, j = ties.a[keep], ties.b[keep]
    order = np.lexsort((j, i))
    return np.column_stack([ties.slots[i[order]], ties.slots[j[order]]]).astype(np.int64)


def current_progress(model: BSCModel) -> np.ndarray:
    """Each programme's progress score: provisional (as if the collaborative ended in the last
    simulated week) until the end week, then the model's final score."""
    week = model.week - 1
    if week < 0:
        return np.ones(model.pop.n_programs, dtype=np.int64)
    if week > model.calendar.end_week:
        return model.progress_scores
    rec = model.components["measure"]
    return progress_scores(rec, week, rec.cycles[week], model.pop.programs.embedded.any(axis=1), model.params.progress)


def record_spread(params: Params, seed: int | None = None) -> SpreadHistory:
    """Run ``params`` with ``seed`` (default ``params.seed``) and record every week's per-post state.

    The run is the one :func:`bsc_sim.run.run_sim` makes with the same arguments (same model
    construction, same random streams), so the recorded adoption equals its ``timeseries``.
    """
    model = BSCModel(params, seed=seed, create_agents=False)
    pop, rec, H = model.pop, model.components["measure"], model.calendar.horizon
    st = pop.staff
    S, P, M = len(st.role), len(params.practices), pop.n_programs
    present = np.zeros((H, S), dtype=bool)
    on_team = np.zeros((H, S), dtype=bool)
    use = np.zeros((H, S, P), dtype=bool)
    fidelity = np.zeros((H, S, P), dtype=np.float32)
    embedded = np.zeros((H, M, P), dtype=bool)
    progress = np.ones((H, M), dtype=np.int64)
    F = len(pop.families.program)
    family_home = np.zeros((H, F), dtype=bool)
    family_on_team = np.zeros((H, F), dtype=bool)
    cross: list[np.ndarray] = []
    for w in range(H):
        model.step()
        present[w], on_team[w], use[w], fidelity[w] = st.present, st.on_team, st.use, st.fidelity
        embedded[w] = pop.programs.embedded
        family_home[w], family_on_team[w] = pop.families.home_use.any(axis=1), pop.families.on_team
        progress[w] = progress_scores(rec, w, rec.cycles[w], pop.programs.embedded.any(axis=1), params.progress)
        cross.append(cross_tie_pairs(model))
    graph = pop.staff_graph
    state = {}
    if params.system.enabled:
        from .readout import state_plan

        state = {"state_plan": state_plan(model), "rooms_reached": rec.n_rooms_reached[:H].copy(),
                 "rooms_sustained": rec.n_rooms_sustained[:H].copy()}
    return SpreadHistory(
        weeks=np.arange(H), present=present, on_team=on_team, use=use, fidelity=fidelity, embedded=embedded,
        progress=progress, final_progress=model.progress_scores.copy(), cross_ties=cross,
        program=st.program.copy(), role=st.role.copy(), eligible=st.eligible.copy(), kind=pop.programs.kind.copy(),
        family_home=family_home, family_on_team=family_on_team,
        edges=np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2),
        layout=layout_of(pop), practices=tuple(params.practices),
        fidelity_threshold=params.sustain.fidelity_threshold,
        events=[model.calendar.events_at(w) for w in range(H)], end_week=model.calendar.end_week,
        session_weeks=model.calendar.session_weeks(), seed=model.seed, design=params.design,
        call_weeks=[int(w) for w in np.flatnonzero(model.calendar.call)],
        meta={"horizon_weeks": H, "n_sessions": params.collaborative.n_sessions,
              "modality": params.collaborative.modality},
        **state,
    )
