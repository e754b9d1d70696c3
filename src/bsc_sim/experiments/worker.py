"""What a worker does with one :class:`RunSpec`: run it and return a small, picklable record.

Only the scalars (the run's ``summary``), a cohort-level weekly curve and the run's provenance
travel back, never whole models or tables, so thousands of runs cost little to collect.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..params import Params
from ..results import RunResult
from ..run import run_sim
from .specs import RunSpec

__all__ = ["execute", "cohort_curves", "calendar_marks", "CURVE_COLUMNS"]

# Weekly cohort-level series kept per run (for adoption curves with bands).
CURVE_COLUMNS = ("frac_classrooms_reached", "mean_culture", "mean_family_engagement")


def cohort_curves(result: RunResult) -> dict[str, np.ndarray]:
    """Cohort-level weekly series of one run: reach weighted by classrooms, culture, engagement."""
    pts = result.program_timeseries
    n_weeks = int(pts["week"].max()) + 1
    n_programs = len(result.programs)
    # Rows are week-major, programme-minor (metrics.Recorder), so a reshape recovers the grid.
    reach = pts["frac_classrooms_reached"].to_numpy(np.float64).reshape(n_weeks, n_programs)
    rooms = result.programs.sort_values("program_id")["n_classrooms"].to_numpy(np.float64)
    culture = pts["culture"].to_numpy(np.float64).reshape(n_weeks, n_programs)
    engagement = pts["mean_family_engagement"].to_numpy(np.float64).reshape(n_weeks, n_programs)
    return {
        "week": np.arange(n_weeks, dtype=np.int64),
        "frac_classrooms_reached": (reach * rooms).sum(axis=1) / rooms.sum(),
        "mean_culture": culture.mean(axis=1),
        "mean_family_engagement": engagement.mean(axis=1),
    }


def execute(spec: RunSpec) -> dict[str, Any]:
    """Run ``spec``; never raises for a model error, which is returned as a failed record."""
    t0 = time.perf_counter()
    try:
        result = run_sim(spec.params, spec.seed)
        meta = {k: result.meta[k] for k in ("version", "git_revision", "seed", "design", "python", "numpy")}
        # Serialised here, not in the coordinator, which would otherwise spend ~0.1 ms a run on it.
        meta["config_json"] = json.dumps(result.meta["config"], sort_keys=True)
        return {"run_id": spec.run_id, "status": "done", "summary": result.summary, "curves": cohort_curves(result),
                "meta": meta, "seconds": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001 - a failing run must not stop the experiment
        return {"run_id": spec.run_id, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - t0}


def calendar_marks(params: Sequence[Params]) -> tuple[list[int], int | None]:
    """The session weeks and the end week that every one of ``params`` shares ([] and None where
    they differ), for marking the calendar on a comparison's curves. Asked of a worker (which has
    the model imported) when a pool is open, so the coordinator need not import the model."""
    from ..model.calendar import build_calendar

    calendars = [build_calendar(p) for p in params]
    sessions = calendars[0].session_weeks() if all(c.session_weeks() == calendars[0].session_weeks()
                                                   for c in calendars) else []
    end_week = calendars[0].end_week if len({c.end_week for c in calendars}) == 1 else None
    return [int(w) for w in sessions], (None if end_week is None else int(end_week))
