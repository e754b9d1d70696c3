"""``run_sim(params, seed) -> RunResult``: the pure, picklable entry point for one simulation."""

from __future__ import annotations

import platform
import subprocess
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .mesa_import import import_mesa

import_mesa()  # before the model imports Mesa: without the parts of Mesa the model never uses

from .model import BSCModel  # noqa: E402
from .model.outcomes import events_table, programs_table, regions_table, summarize  # noqa: E402
from .paramtools import to_dict  # noqa: E402
from .params import Params  # noqa: E402
from .results import RunResult  # noqa: E402


def _git(here: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The commit of bsc_sim's own checkout (``-dirty`` with uncommitted edits), else None.

    None for an installed copy, even one that sits inside somebody else's git repository.
    """
    here = Path(__file__).resolve().parent
    top = _git(here, "rev-parse", "--show-toplevel")
    if not top or (Path(top) / "src" / "bsc_sim").resolve() != here:
        return None
    rev = _git(here, "rev-parse", "HEAD")
    dirty = _git(Path(top), "status", "--porcelain", "--", "src", "configs")  # paths relative to the top
    return None if rev is None else rev + ("-dirty" if dirty else "")


def run_sim(params: Params, seed: int | None = None) -> RunResult:
    """Run one simulation of ``params`` with ``seed`` (default ``params.seed``) over the full horizon.

    Same params and seed give identical tables, whichever executor runs it. Across different CPU
    generations numpy may pick other SIMD kernels for ``exp``/``log`` at run time, so the last bits
    (and eventually a rare random draw) can differ between machines of a heterogeneous cluster.
    """
    t0 = time.perf_counter()
    model = BSCModel(params, seed=seed, create_agents=False)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    rec = model.components["measure"]
    names = list(params.practices)
    result = RunResult(
        timeseries=rec.timeseries_table(names),          # built when first read; saved without building
        program_timeseries=rec.program_timeseries_table(),
        programs=programs_table(model),
        events=events_table(model),
        costs=model.ledger.to_frame(),
        summary=summarize(model),
        regions=regions_table(model),
        meta={
            "package": "bsc_sim", "version": __version__, "git_revision": git_revision(),
            "seed": model.seed, "design": params.design, "n_applicants": model.pop.programs.n_applicants,
            "horizon_weeks": model.calendar.horizon,
            "end_week": model.calendar.end_week, "session_weeks": model.calendar.session_weeks(),
            "cohorts": model.schedule.table().to_dict(orient="list"),
            "python": platform.python_version(), "numpy": np.__version__,
            "seconds_init": t1 - t0, "seconds_run": t2 - t1,
            "config": to_dict(params),
        },
    )
    return result
