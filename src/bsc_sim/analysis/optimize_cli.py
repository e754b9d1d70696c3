"""The ``bsc-sim optimize`` command: settings, checks, exit codes; the search is :mod:`.optimize`
and what it shows is :mod:`.optimize_report`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..paramtools import ParamError
from .optuna_study import RUN_SETTINGS

__all__ = ["cmd_optimize", "SETTINGS"]


SETTINGS = {
    "budget": "the budget in US dollars for one collaborative (required): its mean total cost over the whole horizon",
    "objective": "what to maximise, one name or a list: sustained (default), reached, child_weeks, fidelity, "
                 "frac_sustained, frac_reached; cost is always minimised",
    "trials": "completed trials wanted in total; a re-run adds only the missing ones (default 40)",
    "replications": "seeds per trial, the same for every trial (default 8)",
    "confirm_replications": "new seeds on which the front designs and the base design are re-run (default 30)",
    "seed": "root seed of the replicate seeds and the sampler (default 0)",
    "levers": "levers searched (default all): sessions, spacing, modality, team, cohort, selection, data_support, "
              "coaching, followup_support; the others stay as in the base design",
    "uncertainty": "posterior | parameters | none | PATH.yaml: the world of each replicate: drawn from the calibrated "
                   "posterior (default, configs/posterior/draws.csv), from the prior ranges (parameters), or none "
                   "(seed noise only)",
    "out_dir": "where study.db and the outputs go; re-running there resumes (default outputs/optimize)",
    **RUN_SETTINGS,
}


def _usage() -> str:
    from .optuna_study import help_text

    return help_text([
        "usage: bsc-sim optimize budget=USD [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "",
        "Search the design levers for the designs that give the most of an outcome for their cost within",
        "a budget (Optuna multi-objective TPE, budget as a constraint, common seeds, resumable); re-run the",
        "Pareto front on new seeds and report it with intervals. Writes pareto.csv, pareto.png, trials.csv,",
        "optimize.json and designs/opt_tNNNN.yaml (design files for bsc-sim compare) to out_dir.", "",
        "  bsc-sim optimize budget=120000 objective=sustained trials=40 replications=8 out_dir=outputs/optimize",
    ], SETTINGS, [
        "Any other KEY=VALUE is a model override applied to every design (e.g. followup_weeks=52).",
        "out_dir must be new, empty or an earlier search's with the same budget, objectives, seeds and levers.",
    ])


def _names(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParamError(f"{key} = {value!r}: expected a name or a list such as [sustained,reached]")


def cmd_optimize(argv: Sequence[str]) -> int:
    """``bsc-sim optimize budget=USD ...``: run or resume a search; 2 on bad input."""
    from .optuna_study import search_command

    return search_command("optimize", argv, _usage, _run, _show, kept="completed trials are saved in study.db")


def _run(argv: Sequence[str]):
    from ..config import _check_override_keys
    from ..experiments.cli import parse_settings
    from ..experiments.specs import params_with
    from .optimize import OptimizeSpec, check_optimize_dir, optimize, validate
    from .optuna_study import run_search

    settings, overrides = parse_settings(argv, SETTINGS, command="optimize")
    _check_override_keys(overrides)
    out_dir = Path(settings.get("out_dir") or "outputs/optimize")
    check_optimize_dir(out_dir)
    if settings.get("budget") is None:
        raise ParamError("budget: required, in US dollars for one collaborative, e.g. budget=120000")
    budget = settings["budget"]
    if isinstance(budget, str):
        try:
            budget = float(budget.replace(",", "").lstrip("$"))
        except ValueError:
            raise ParamError(f"budget = {budget!r}: give the budget in US dollars, e.g. budget=120000") from None
    spec = OptimizeSpec(budget=budget, objectives=_names(settings.get("objective"), "objective") or ("sustained",),
                        trials=settings.get("trials", 40), replications=settings.get("replications", 8),
                        confirm_replications=settings.get("confirm_replications", 30), seed=settings.get("seed", 0),
                        levers=_names(settings.get("levers"), "levers"), overrides=tuple(overrides),
                        uncertainty=settings.get("uncertainty") or "posterior")
    base = validate(spec)
    largest = params_with(base, {"cohort.n_programs": 30}) if "cohort" in {d.name for d in spec.dimensions} else base
    return spec, run_search(optimize, spec, out_dir, settings, largest)


def _show(found) -> None:
    import json

    from .optimize_report import format_front

    spec, result = found
    base_row = json.loads((result.out_dir / "optimize.json").read_text())["base"]
    print(f"\n{result.n_new} new trials, {result.n_trials} in total; front of {len(result.pareto)} designs, "
          f"{len(result.front)} within budget after confirmation")
    print(format_front(result.pareto, base_row, spec))
    if spec.uncertainty_kind == "none":
        from ..experiments.uncertainty import seed_only_note

        print(f"NOTE: {seed_only_note()}.")
    print(f"\nwrote {result.out_dir}/: {', '.join(result.written)}")
