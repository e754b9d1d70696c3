"""Checks of a `bsc-sim plan` request, read-only and before anything runs: its settings and its
out_dir (see :mod:`.plan`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..paramtools import ParamError
from ..params import Params
from .optuna_study import STUDY_FILE, foreign_in_study_dir, refuse_foreign


def _number(value: Any, key: str, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)
    if not ok:
        raise ParamError(f"{key} = {value!r}: must be a number {'>' if lo_open else '>='} {lo:g} and "
                         f"{'<' if hi_open else '<='} {hi:g}")
    return float(value)


def _whole(value: Any, key: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ParamError(f"{key} = {value!r}: must be a whole number >= {lo}")
    return value


def base_overrides(spec: PlanSpec) -> list[str]:
    """The model overrides of the search: ``design=statewide`` unless another design is named, the
    spec's overrides, and the planning horizon of ``by_year`` years."""
    keys = [o.split("=", 1)[0].strip() for o in spec.overrides]
    design = [] if "design" in keys else ["design=statewide"]
    return [*design, *spec.overrides, f"system.horizon_weeks={52 * spec.by_year}"]


def validate(spec: PlanSpec) -> Params:
    """Check the settings and return the base parameters; one line naming the bad key and value."""
    from ..config import load_params

    _number(spec.target, "target", 0.0, 1.0, lo_open=True, hi_open=True)
    _whole(spec.by_year, "by_year", 1)
    if spec.by_year > 20:
        raise ParamError(f"by_year = {spec.by_year!r}: plan at most 20 years ahead")
    if spec.budget_per_year is not None:
        _number(spec.budget_per_year, "budget_per_year", 0.0, float("inf"), lo_open=True, hi_open=True)
    _number(spec.confidence, "confidence", 0.0, 1.0, lo_open=True)
    if spec.over not in ("none", "bau"):
        raise ParamError(f"over = {spec.over!r}: none (the share reached) or bau (the gain over business as usual)")
    for key in ("trials", "replications", "seed", "batch", "confirm"):
        _whole(getattr(spec, key), key, 0 if key in ("seed", "confirm") else 1)
    searched = {d.key for d in spec.dimensions}
    for text in spec.overrides:
        key = text.split("=", 1)[0].strip()
        if key == "seed":
            raise ParamError(f"{text}: seeds come from seed= and replications=")
        if key == "system.horizon_weeks":
            raise ParamError(f"{text}: the planning horizon is by_year= (cohorts start within it)")
        if key in searched:
            raise ParamError(f"{text}: {key} is a lever the plan sets; leave it out of levers=[...] to fix it")
    base = load_params(base_overrides(spec))
    if not base.system.enabled:
        raise ParamError(f"design = {base.design!r}: not a statewide design; plan searches a state's schedule "
                         "(design=statewide, or a design with system.enabled=true)")
    if spec.draws not in (None, "prior", "none"):
        from ..experiments.uncertainty import load_worlds

        load_worlds(spec.draws)
    return base


PLAN_FILES = frozenset({STUDY_FILE, f"{STUDY_FILE}-journal", "plans.csv", "budget_by_year.csv", "plan.png",
                        "plan.json", "report.html", ".lock"})


def check_plan_dir(out_dir: Path) -> None:
    """Read-only, before anything runs: ``out_dir`` is new, empty or an earlier plan's."""
    found = foreign_in_study_dir(out_dir, PLAN_FILES)
    if found is not None:
        refuse_foreign(*found, "bsc-sim plan", "plan")
