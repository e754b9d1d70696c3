"""The ``bsc-sim plan`` command: settings, checks, exit codes; the search is :mod:`.plan`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..paramtools import ParamError
from .optuna_study import RUN_SETTINGS

__all__ = ["cmd_plan", "SETTINGS"]

SETTINGS = {
    "target": "share of the state's classrooms to reach, 0-1 (required), e.g. target=0.10",
    "by_year": "the year by which to reach it; cohorts start until its end (default 5)",
    "budget_per_year": "US dollars the state can spend in any one year: then the plan that reaches the most "
                       "within it (default: no limit; the cheapest plan that meets the target)",
    "over": "none: the target is the share reached (default); bau: the gain over business as usual, world by world",
    "confidence": "the chance of meeting the target a plan needs to be recommended (default 0.8)",
    "trials": "candidate schedules evaluated in total; a re-run adds only the missing ones (default 40)",
    "replications": "worlds (parameter draws, each with its own seed) every candidate runs on (default 8)",
    "confirm": "new worlds on which the recommended plan (and the cheapest sustained one) is re-run, for an "
               "unbiased chance and its yearly budget (default 0: none)",
    "seed": "root seed of the worlds' seeds and of the sampler (default 0)",
    "levers": "levers searched (default all): cohorts_per_wave, wave_interval, cohort_size, faculty, hire, "
              "enrol_frac, selection, followup_support, modality",
    "draws": "worlds: a draws .csv (weighted rows), prior (configs/uncertainty/default.yaml), none; default: "
             "configs/posterior/draws.csv when it exists, else prior",
    "batch": "candidates proposed and run together (default 1; use workers / replications on a cluster)",
    "out_dir": "where study.db and the outputs go; re-running there resumes (default outputs/plan)",
    **RUN_SETTINGS,
}
RAW = {"draws", "levers", "over"}


def _usage() -> str:
    from .optuna_study import help_text

    return help_text([
        "usage: bsc-sim plan target=SHARE [by_year=5] [budget_per_year=USD] [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "",
        "Search a statewide design's schedule (waves, cohorts, faculty, hiring, enrolment, follow-up support,",
        "modality) for the cheapest plans that reach a share of the state's classrooms by a year, each judged",
        "over the same worlds and seeds (Optuna TPE, resumable). Writes plans.csv (levers, cost, cost per year,",
        "chance of meeting the target with its interval), budget_by_year.csv (the recommended plan: year x cost",
        "category, faculty and coaches needed, programmes enrolled), plan.png and plan.json to out_dir;",
        "bsc-sim report out_dir=... then writes report.html.", "",
        "  bsc-sim plan target=0.10 trials=6 replications=2 system.n_programs=600",
        "  bsc-sim plan target=0.15 by_year=5 budget_per_year=4000000 executor=processes",
    ], SETTINGS, [
        "Any other KEY=VALUE is a model override (design=statewide is the default design).",
    ])


def _names(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v.strip() for v in value.strip("[]").split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParamError(f"{key} = {value!r}: expected a name or a list such as [faculty,hire]")


def _usd(value: Any, key: str) -> Any:
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").lstrip("$"))
        except ValueError:
            raise ParamError(f"{key} = {value!r}: give US dollars, e.g. {key}=4000000") from None
    return value


def cmd_plan(argv: Sequence[str]) -> int:
    """``bsc-sim plan target=SHARE ...``: run or resume a plan search; 2 on bad input."""
    from .optuna_study import search_command

    return search_command("plan", argv, _usage, _run, _show, kept="completed candidates are saved in study.db")


def _run(argv: Sequence[str]):
    from ..config import _check_override_keys
    from ..experiments.cli import parse_settings
    from .optuna_study import run_search
    from .plan import PlanSpec, check_plan_dir, plan, validate

    settings, overrides = parse_settings(argv, SETTINGS, command="plan")
    for key in RAW:  # names and paths, not YAML
        raw = [a.partition("=")[2] for a in argv if a.partition("=")[0] == key]
        if raw:
            settings[key] = raw[-1] or None
    _check_override_keys(overrides)
    if settings.get("target") is None:
        raise ParamError("target: required, the share of the state's classrooms to reach, e.g. target=0.10")
    spec = PlanSpec(target=settings["target"], by_year=settings.get("by_year", 5),
                    budget_per_year=_usd(settings.get("budget_per_year"), "budget_per_year"),
                    confidence=settings.get("confidence", 0.8), trials=settings.get("trials", 40),
                    replications=settings.get("replications", 8), seed=settings.get("seed", 0),
                    levers=_names(settings.get("levers"), "levers"), overrides=tuple(overrides),
                    draws=settings.get("draws"), batch=settings.get("batch", 1),
                    over=str(settings.get("over") or "none"), confirm=settings.get("confirm", 0))
    base = validate(spec)
    out_dir = Path(settings.get("out_dir") or "outputs/plan")
    check_plan_dir(out_dir)
    return run_search(plan, spec, out_dir, settings, base)


def _show(result) -> None:
    print("\n" + format_plan(result))
    print(f"\nwrote {result.out_dir}/: {', '.join(result.written)}")


def format_plan(result) -> str:
    """The console summary: the recommended plan, its chance, its yearly budget, and warnings."""
    info, plans, budget = result.info, result.plans, result.budget
    bau = info["business_as_usual"]
    lines = [f"{result.n_new} new candidates, {len(plans)} in total; worlds: {info['worlds']} "
             f"({info['replications']} each). Business as usual reaches {bau['reached_mean']:.1%} by year "
             f"{info['by_year']} (baseline {bau['reached_baseline']:.1%})."]
    rec = info.get("recommended")
    if rec is None:
        lines.append("No candidate is within the budget: raise budget_per_year or search more trials.")
        return "\n".join(lines)
    sure = rec["chance_reached"] >= info["confidence"]
    lines.append(("Recommended" if sure else "No candidate meets the target with the wanted chance "
                  f"({info['confidence']:.0%}); the most likely") + f": {rec['plan']}: "
                 + ", ".join(f"{k}={rec[k]}" for k in info["levers"]))
    if info.get("over") == "bau":
        lines.append(f"  target: {info['target']:.0%} of classrooms beyond business as usual (the chances below are of that)")
    lines.append(f"  reached by year {info['by_year']}: {rec['reached_mean']:.1%} (5-95% of worlds "
                 f"{rec['reached_p05']:.1%}-{rec['reached_p95']:.1%}); chance of >= {info['target']:.0%}: "
                 f"{rec['chance_reached']:.0%} [{rec['chance_reached_low']:.0%}, {rec['chance_reached_high']:.0%}]; "
                 f"{100 * rec['reached_vs_bau_mean']:+.1f} points on business as usual")
    lines.append(f"  sustained (a follow-up year after each cohort): {rec['sustained_mean']:.1%}; chance of >= "
                 f"{info['target']:.0%}: {rec['chance_sustained']:.0%}")
    confirmed = rec.get("confirm_chance_reached")
    if confirmed is not None and confirmed == confirmed:  # re-run on new worlds (NaN: not confirmed)
        lines.append(f"  on {info['confirm']} new worlds: reached {rec['confirm_reached_mean']:.1%}, chance "
                     f"{rec['confirm_chance_reached']:.0%} [{rec['confirm_chance_reached_low']:.0%}, "
                     f"{rec['confirm_chance_reached_high']:.0%}], cost ${rec['confirm_cost_total']:,.0f} "
                     "(the yearly budget below is from these runs)")
    lines.append(f"  cost ${rec['cost_total']:,.0f} in all (5-95% ${rec['cost_total_p05']:,.0f}-"
                 f"${rec['cost_total_p95']:,.0f}); costliest year ${rec['cost_peak_year']:,.0f}; "
                 f"faculty at the busiest week {rec['faculty_peak']:.0f}")
    if rec["enrolled"] + 1e-9 < rec["enrol_target"]:
        lines.append(f"  warning: the schedule enrols {rec['enrolled']:.1%} of programmes, short of the "
                     f"{rec['enrol_target']:.1%} it invites (cohorts planned after year {info['by_year']} never start)")
    sus = plans[plans["cheapest_sustained"]]
    if len(sus):
        lines.append(f"Cheapest plan whose sustained share meets the target: {sus['plan'].iloc[0]} "
                     f"(${sus['cost_total'].iloc[0]:,.0f})")
    else:
        lines.append("No candidate sustains the target share with the wanted chance.")
    if len(budget):
        lines.append("\n  year  cost (USD)     faculty  coaches  programmes enrolled  reached")
        for r in budget.itertuples():
            lines.append(f"  {r.year:>4}  {r.cost_total:>12,.0f}  {r.faculty_needed_peak:>7.0f}  {r.coaches_needed:>7.1f}"
                         f"  {r.n_programs_enrolled_cum:>19,.0f}  {r.frac_classrooms_reached:>7.1%}")
    return "\n".join(lines)
