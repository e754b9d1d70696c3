"""What it takes to reach a share of a state's classrooms (``bsc-sim plan``, issue 22).

Question (a state planner's): how many waves, faculty and dollars a year to reach X% of the
state's classrooms within Y years, and how sure is that?

Method.
- **Candidates** are schedules of a statewide design: values of the state's levers
  (:data:`LEVERS`: cohorts per wave, wave interval, cohort size, trained faculty per region,
  faculty hired and trained from week 0 (ready after ``system.faculty_training_weeks``, each
  costing ``system.faculty_training_cost``), enrolment share and order, follow-up support,
  modality). Cohorts may start until the end of year ``by_year`` (``system.horizon_weeks`` =
  52 x ``by_year``) and every cohort that starts is followed to its own follow-up and lag
  (``system.follow_every_cohort``), so its whole cost is counted.
- **Outcomes of a candidate**, per run: *reached*, the share of the state's classrooms reached in
  the last week of year ``by_year``; *sustained*, the share reached at their cohort's end and
  still reached at their cohort's follow-up (``followup_weeks`` later; the meaning of one
  collaborative, so the last cohorts are read after year ``by_year``); the total cost and the cost
  of each year by category (:func:`bsc_sim.model.outcomes.years_table`).
- **Worlds**: each candidate runs on the same ``replications`` worlds with the same seeds (common
  random numbers): rows of the posterior table ``configs/posterior/draws.csv`` when it exists
  (resampled by its weights with the search's seed), else draws from the prior ranges of
  ``configs/uncertainty/default.yaml`` (``draws=prior``), or the base parameters (``draws=none``).
  The *chance* of meeting the target is the share of worlds in which the candidate reaches it,
  with a 95% Wilson interval (few worlds give a wide interval, and the table says so).
- **Search**: Optuna's multi-objective TPE sampler (seeded as in ``optimize``) maximises the
  mean share reached and minimises the mean total cost, with the target (mean reached >= target)
  as a constraint, or, when ``budget_per_year`` is given, the budget (the costliest year's mean
  cost <= budget) instead. The study lives in ``out_dir/study.db``; re-running resumes it.
- **over=bau** puts the target on the gain over business as usual (the same state without the
  collaborative, on the same worlds and seeds), world by world, instead of the share reached.
- **Recommendation**: the cheapest candidate whose chance of reaching the target is at least
  ``confidence`` (and within the budget, if given); with a budget and no such candidate, the one
  that reaches the most within it. The cheapest candidate for the *sustained* target is flagged
  separately. Picking the best of noisy candidates flatters it a little; more replications
  narrow that.

Outputs (atomic, in ``out_dir``): ``plans.csv``, ``budget_by_year.csv``, ``plan.png``,
``plan.json``; ``bsc-sim report out_dir=...`` then writes ``report.html`` with a plan section.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.specs import params_with, replicate_seeds
from ..paramtools import ParamError
from ..params import Params
from .design_space import Dimension
from .optuna_study import TrialTally, counted, error_text, fail_interrupted, load_study, open_study, seeded_tpe
from .plan_checks import PLAN_FILES, STUDY_FILE, base_overrides, check_plan_dir, validate  # noqa: F401 (re-exported)

__all__ = ["LEVERS", "PlanSpec", "PlanResult", "plan", "validate", "check_plan_dir", "plan_values", "PLAN_FILES"]

STUDY_NAME = "bsc_sim_plan"
POSTERIOR = Path("configs") / "posterior" / "draws.csv"
BAU_DESIGN = "statewide_business_as_usual"

LEVERS: tuple[Dimension, ...] = (
    Dimension("cohorts_per_wave", "cohorts each region starts in a wave", "system.cohorts_per_wave", 1, 8, 1),
    Dimension("wave_interval", "weeks between waves", "system.wave_interval_weeks", 13, 52, 13),
    Dimension("cohort_size", "programmes per cohort", "system.cohort_size", 8, 16, 2),
    Dimension("faculty", "trained faculty per region at the start", "system.faculty_per_region", 2, 16, 2),
    Dimension("hire", "faculty each region hires and trains (ready after the training weeks)",
              "system.new_faculty_per_region", 0, 8, 2),
    Dimension("enrol_frac", "share of each region's programmes invited to enrol", "system.enrol_frac", 0.1, 0.6, 0.05),
    Dimension("selection", "enrolment order", "system.selection", choices=("open", "readiness")),
    Dimension("followup_support", "weeks of support after each cohort's end", "collaborative.followup_support_weeks",
              0, 26, 13),
    Dimension("modality", "session modality", "collaborative.modality", choices=("in_person", "virtual")),
)
LEVER_KEYS = {d.key for d in LEVERS}

# What the search and the report need from one run (see plan_values).
YEAR_COLUMNS = ("n_cohorts_started", "n_programs_starting", "n_programs_enrolled_cum", "faculty_needed_peak",
                "faculty_available", "coaches_needed", "frac_classrooms_reached", "frac_classrooms_sustained")


@dataclass(frozen=True)
class PlanSpec:
    """Everything that defines a plan search (its identity decides whether a study may be resumed)."""

    target: float
    by_year: int = 5
    budget_per_year: float | None = None
    confidence: float = 0.8
    trials: int = 40
    replications: int = 8
    seed: int = 0
    levers: tuple[str, ...] | None = None
    overrides: tuple[str, ...] = ()
    draws: str | None = None             # None: the posterior if present, else the prior; "prior"; "none"; a path
    batch: int = 1                       # trials proposed together (more keep a large cluster busy)
    over: str = "none"                   # "bau": the target is the gain over business as usual, world by world
    confirm: int = 0                     # new worlds on which the recommended plans are re-run (0: none)

    def identity(self) -> str:
        return json.dumps({"target": self.target, "by_year": self.by_year, "budget_per_year": self.budget_per_year,
                           "replications": self.replications, "seed": self.seed,
                           "levers": [d.name for d in self.dimensions], "overrides": list(self.overrides),
                           "draws": self.draws or "auto", "batch": self.batch, "over": self.over}, sort_keys=True)

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        if self.levers is None:
            return LEVERS
        known = {d.name: d for d in LEVERS}
        unknown = [n for n in self.levers if n not in known]
        if unknown or not self.levers:
            raise ParamError(f"levers = {unknown[0] if unknown else list(self.levers)!r}: "
                             f"{'unknown lever' if unknown else 'name at least one'} (known: {', '.join(known)})")
        return tuple(d for d in LEVERS if d.name in set(self.levers))


@dataclass
class PlanResult:
    plans: pd.DataFrame
    budget: pd.DataFrame
    out_dir: Path
    n_new: int
    written: list[str]
    info: dict[str, Any]


# ----------------------------------------------------------------------------------------------
# Worlds and one run


def choose_worlds(spec: PlanSpec, n: int | None = None, stream: int = 0) -> tuple[str, Any]:
    """The worlds of the search: ("posterior"/"table", DataFrame of rows), ("prior", Uncertainty) or
    ("none", None). ``n`` rows (default ``replications``) from the table, drawn from ``stream`` (the
    search's 0, the confirmation's 1: other rows, drawn apart)."""
    from ..config import config_dir
    from ..experiments.uncertainty import load_uncertainty, load_worlds, world_weights

    setting = spec.draws
    if setting == "none":
        return "none", None
    posterior = config_dir() / "posterior" / "draws.csv"
    path = None if setting == "prior" else (Path(setting) if setting else (posterior if posterior.is_file() else None))
    if path is None:
        return "prior", load_uncertainty(None).without(LEVER_KEYS)
    table = load_worlds(path)
    weights = world_weights(pd.read_csv(path), f"draws = {str(path)!r}")
    n = spec.replications if n is None else n
    rng = np.random.default_rng(np.random.SeedSequence([0x706C616E, spec.seed, *([stream] if stream else [])]))
    p = None if weights is None else weights / weights.sum()
    rows = rng.choice(len(table), size=n, replace=len(table) < n or p is not None, p=p)
    keep = [c for c in table.columns if c not in LEVER_KEYS]
    worlds = table.iloc[rows][keep].reset_index(drop=True)
    worlds["_row"] = rows
    worlds.attrs["path"] = str(path)
    return ("posterior" if setting is None else "table"), worlds


def world_values(kind: str, worlds: Any, r: int, seed: int) -> dict[str, Any]:
    """The parameter values of world ``r`` (seed ``seed``)."""
    from ..config import known_keys
    from ..experiments.uncertainty import draw_world

    if kind == "none":
        return {}
    if kind == "prior":
        return draw_world(worlds, seed)
    defaults = known_keys()
    row = worlds.iloc[r].drop(labels=["_row"]).to_dict()
    return {k: (int(v) if isinstance(defaults[k], int) and not isinstance(defaults[k], bool) else float(v))
            for k, v in row.items()}


def plan_values(params: Params, seed: int, by_year: int) -> dict[str, Any]:
    """One run's numbers for the plan (a top-level function, so executors can pickle it)."""
    from ..model.model import BSCModel
    from ..model.outcomes import state_readings, summarize, years_table

    model = BSCModel(params, seed=seed, create_agents=False).run()
    s = {**summarize(model), **state_readings(model)}
    years = years_table(model)
    rec = model.components["measure"]
    week = min(52 * by_year, rec.H) - 1
    rooms = float(model.pop.programs.n_classrooms.sum())
    cost_cols = [c for c in years.columns if c.startswith("cost_")]
    return {
        "reached": float(rec.n_rooms_reached[week].sum() / rooms),
        "reached_baseline": float(rec.n_rooms_reached[0].sum() / rooms),
        "sustained": float(s["frac_classrooms_sustained_followup"]),
        "cost_total": float(s["cost_total"]),
        "enrolled": float(s["frac_programs_enrolled"]),
        "enrol_target": float(s["frac_programs_enrol_target"]),
        "n_cohorts": float(s["n_cohorts"]), "n_cohorts_delayed": float(s["n_cohorts_delayed"]),
        "years": years[["year", *YEAR_COLUMNS, *cost_cols]].to_dict(orient="list"),
    }


def _run_all(runs: Sequence[tuple[Params, int]], by_year: int, executor: Executor | None) -> list[dict[str, Any]]:
    if executor is None:
        return [plan_values(p, s, by_year) for p, s in runs]
    futures = [executor.submit(plan_values, p, s, by_year) for p, s in runs]
    return [f.result() for f in futures]


# ----------------------------------------------------------------------------------------------
# Summaries of a candidate


def wilson(k: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k / n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def yearly_mean(runs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Mean over runs of the yearly table (runs may simulate different numbers of years: a year a
    run did not simulate has no cost, no cohorts and no faculty or coaches, and keeps the run's last
    enrolment and shares), with the 5th and 95th percentiles of the year's total cost."""
    frames = [pd.DataFrame(r["years"]).set_index("year") for r in runs]
    years = sorted(set().union(*(f.index for f in frames)))
    flows = [c for c in frames[0].columns if c.startswith("cost_") or c in (
        "n_cohorts_started", "n_programs_starting", "faculty_needed_peak", "coaches_needed")]
    stacked = []
    for f in frames:
        f = f.reindex(years)
        f[flows] = f[flows].fillna(0.0)
        f = f.ffill()
        stacked.append(f)
    arr = np.stack([f.to_numpy(np.float64) for f in stacked])
    mean = pd.DataFrame(arr.mean(axis=0), index=years, columns=stacked[0].columns)
    total = arr[:, :, list(stacked[0].columns).index("cost_total")]
    mean["cost_total_p05"] = np.percentile(total, 5, axis=0)
    mean["cost_total_p95"] = np.percentile(total, 95, axis=0)
    return mean.rename_axis("year").reset_index()


def summarize_candidate(spec: PlanSpec, runs: Sequence[dict[str, Any]],
                        bau: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Means, chances and costs of one candidate over its runs (and its gain over business as usual,
    world by world, when ``bau`` holds the reference's runs on the same worlds)."""
    n = len(runs)
    reached = np.array([r["reached"] for r in runs])
    gain = reached - np.array([r["reached"] for r in bau]) if bau is not None else np.full(n, np.nan)
    sustained = np.array([r["sustained"] for r in runs])
    if spec.over == "bau" and bau is not None:  # the target is the gain over business as usual, world by world
        sustained = sustained - np.array([r["sustained"] for r in bau])
        reached_goal = gain
    else:
        reached_goal = reached
    cost = np.array([r["cost_total"] for r in runs])
    years = yearly_mean(runs)
    spend = years["cost_total"].to_numpy()
    k_r, k_s = int((reached_goal >= spec.target).sum()), int((sustained >= spec.target).sum())
    lo_r, hi_r = wilson(k_r, n)
    lo_s, hi_s = wilson(k_s, n)
    n_years = int((spend > 0).sum()) or 1
    return {
        "reached_mean": float(reached.mean()), "reached_p05": float(np.percentile(reached, 5)),
        "reached_p95": float(np.percentile(reached, 95)),
        "reached_vs_bau_mean": float(gain.mean()), "reached_vs_bau_p05": float(np.percentile(gain, 5)),
        "reached_vs_bau_p95": float(np.percentile(gain, 95)),
        "sustained_mean": float(np.mean([r["sustained"] for r in runs])),
        "goal_mean": float(reached_goal.mean()),
        "chance_reached": k_r / n, "chance_reached_low": lo_r, "chance_reached_high": hi_r,
        "chance_sustained": k_s / n, "chance_sustained_low": lo_s, "chance_sustained_high": hi_s,
        "cost_total": float(cost.mean()), "cost_total_p05": float(np.percentile(cost, 5)),
        "cost_total_p95": float(np.percentile(cost, 95)),
        "cost_per_year": float(cost.mean() / n_years), "cost_peak_year": float(spend.max()),
        "years_with_spending": n_years,
        "faculty_peak": float(years["faculty_needed_peak"].max()),
        "coaches_peak": float(years["coaches_needed"].max()),
        "enrolled": float(np.mean([r["enrolled"] for r in runs])),
        "enrol_target": float(np.mean([r["enrol_target"] for r in runs])),
        "n_cohorts": float(np.mean([r["n_cohorts"] for r in runs])),
        "n_cohorts_delayed": float(np.mean([r["n_cohorts_delayed"] for r in runs])),
        "n_worlds": n,
    }


# ----------------------------------------------------------------------------------------------
# The study


def _open_study(spec: PlanSpec, out_dir: Path):
    return open_study(out_dir, STUDY_NAME, spec.identity(), "plan", directions=["maximize", "minimize"])


def _load_study(spec: PlanSpec, out_dir: Path):
    return load_study(out_dir, STUDY_NAME, spec.identity(), "plan")


def _sampler(spec: PlanSpec, k: int):
    return seeded_tpe(spec.seed, 0x706C616E, k)


def _suggest(trial, dims: Sequence[Dimension]) -> dict[str, Any]:
    point: dict[str, Any] = {}
    for dim in dims:
        if dim.choices:
            point[dim.name] = trial.suggest_categorical(dim.name, list(dim.choices))
        elif dim.integer:
            point[dim.name] = trial.suggest_int(dim.name, int(dim.low), int(dim.high), step=int(dim.step))
        else:
            point[dim.name] = round(trial.suggest_float(dim.name, dim.low, dim.high, step=dim.step), 10)
    trial.set_user_attr("point", point)
    return point


def lever_values(point: dict[str, Any]) -> dict[str, Any]:
    keys = {d.name: d.key for d in LEVERS}
    return {keys[name]: value for name, value in point.items()}


def _reference(study, key: str, params: Params, seeds, kind, worlds, spec, executor) -> list[dict[str, Any]]:
    """Runs of a reference (business as usual, the base schedule) kept in the study for a resumed plan."""
    stored = study.user_attrs.get(key)
    if stored is not None:
        return stored
    runs = _run_all([(params_with(params, world_values(kind, worlds, r, s)), s) for r, s in enumerate(seeds)],
                    spec.by_year, executor)
    study.set_user_attr(key, runs)
    return runs


def _search(spec: PlanSpec, base: Params, out_dir: Path, kind: str, worlds: Any, executor, log
            ) -> tuple[Any, int, list[dict[str, Any]]]:
    from ..config import load_params
    from ..experiments.pool import WorkerDied

    study = _open_study(spec, out_dir)
    # Business as usual (the same state with no collaborative) on the same worlds and seeds, first.
    # The design's own keys (sessions, teams, coaching, workshops) stay out: business as usual has none.
    design_keys = ("design=", "collaborative.", "team.", "coaching.", "training.")
    bau_overrides = [o for o in base_overrides(spec) if not o.strip().startswith(design_keys)]
    bau_params = load_params([f"design={BAU_DESIGN}", *bau_overrides])
    bau_runs = _reference(study, "reference/bau", bau_params, replicate_seeds(spec.seed, spec.replications), kind,
                          worlds, spec, executor)
    fail_interrupted(study)  # left by an interrupted session
    seeds = replicate_seeds(spec.seed, spec.replications)
    tally = TrialTally(study, spec.trials, "levers")
    while tally.missing > 0:
        study.sampler = _sampler(spec, counted(study))
        batch = []
        for _ in range(min(spec.batch, tally.missing)):
            trial = study.ask()
            point = _suggest(trial, spec.dimensions)
            try:
                params = params_with(base, lever_values(point))
                runs = [(params_with(params, world_values(kind, worlds, r, s)), s) for r, s in enumerate(seeds)]
            except ParamError as exc:
                tally.fail(trial, str(exc))
                continue
            futures = ([executor.submit(plan_values, p, s, spec.by_year) for p, s in runs] if executor is not None
                       else None)
            batch.append((trial, point, runs, futures, time.perf_counter()))
        for trial, point, runs, futures, t0 in batch:
            try:
                values = ([f.result() for f in futures] if futures is not None
                          else [plan_values(p, s, spec.by_year) for p, s in runs])
            except (ParamError, WorkerDied) as exc:
                tally.fail(trial, error_text(exc))
                continue
            row = summarize_candidate(spec, values, bau_runs)
            trial.set_user_attr("summary", row)
            trial.set_user_attr("years", yearly_mean(values).to_dict(orient="list"))
            if spec.budget_per_year is not None:
                trial.set_constraint("budget", row["cost_peak_year"] - spec.budget_per_year)
            else:
                trial.set_constraint("target", spec.target - row["goal_mean"])
            tally.tell(trial, [row["goal_mean"], row["cost_total"]])
            if log:
                log(f"trial {trial.number}: reached {row['reached_mean']:.1%} ({100 * row['reached_vs_bau_mean']:+.1f} points on "
                    f"business as usual; chance {row['chance_reached']:.0%} of "
                    f">= {spec.target:.0%}), sustained {row['sustained_mean']:.1%}, cost ${row['cost_total']:,.0f} "
                    f"(peak year ${row['cost_peak_year']:,.0f}) [{tally.complete}/{spec.trials}, "
                    f"{time.perf_counter() - t0:.1f} s]")
        tally.refuse_if_failing(lambda: study.trials[-1].user_attrs.get("error", "?"))
    return study, tally.new, bau_runs


def plans_frame(study, spec: PlanSpec) -> pd.DataFrame:
    """Every completed candidate: levers, outcomes, costs, chances, budget, recommendation flags."""
    from optuna.trial import TrialState

    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        point = t.user_attrs.get("point", {})
        rows.append({"plan": f"plan_t{t.number:04d}", "trial": t.number,
                     **{d.name: point.get(d.name) for d in spec.dimensions}, **t.user_attrs["summary"]})
    df = pd.DataFrame(rows)
    if not len(df):
        return df
    df["within_budget"] = True if spec.budget_per_year is None else df["cost_peak_year"] <= spec.budget_per_year
    df["meets_target"] = df["chance_reached"] >= spec.confidence
    df["meets_sustained_target"] = df["chance_sustained"] >= spec.confidence
    df = df.sort_values(["cost_total", "trial"]).reset_index(drop=True)
    df["recommended"] = False
    df["cheapest_sustained"] = False
    ok = df[df["meets_target"] & df["within_budget"]]
    if len(ok):
        df.loc[ok.index[0], "recommended"] = True
    else:  # nothing is sure enough: the most reach within the budget (the most likely to meet the target)
        inside = df[df["within_budget"]]
        if len(inside):
            best = inside.sort_values(["chance_reached", "reached_mean", "cost_total"],
                                      ascending=[False, False, True]).index[0]
            df.loc[best, "recommended"] = True
    sus = df[df["meets_sustained_target"] & df["within_budget"]]
    if len(sus):
        df.loc[sus.index[0], "cheapest_sustained"] = True
    return df


def budget_frame(study, plans: pd.DataFrame) -> pd.DataFrame:
    """The recommended plan's year x cost category table (means over its worlds)."""
    if not len(plans) or not plans["recommended"].any():
        return pd.DataFrame(columns=["plan", "year", "cost_total"])  # nothing recommended: the header only
    trial = int(plans.loc[plans["recommended"], "trial"].iloc[0])
    years = pd.DataFrame(study.trials[trial].user_attrs["years"])
    years.insert(0, "plan", f"plan_t{trial:04d}")
    return years


def confirm_plans(spec: PlanSpec, base: Params, study, plans: pd.DataFrame, budget: pd.DataFrame, executor,
                  log) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-run the recommended plan and the cheapest sustained one, and business as usual, on
    ``confirm`` new worlds with new seeds (the replicates after the search's): choosing the best of
    noisy candidates flatters it, and these runs do not. Adds ``confirm_*`` columns to those rows and
    takes the recommended plan's yearly budget from them. Kept in the study, so a resumed plan reuses them."""
    from ..config import load_params

    kind, worlds = choose_worlds(spec, n=spec.confirm, stream=1)
    seeds = replicate_seeds(spec.seed, spec.replications + spec.confirm)[spec.replications:]
    tag = f"confirm/{spec.confirm}"
    design_keys = ("design=", "collaborative.", "team.", "coaching.", "training.")
    bau_params = load_params([f"design={BAU_DESIGN}", *(o for o in base_overrides(spec)
                                                          if not o.strip().startswith(design_keys))])
    bau = _reference(study, f"{tag}/bau", bau_params, seeds, kind, worlds, spec, executor)
    plans = plans.copy()
    for flag in ("recommended", "cheapest_sustained"):
        for i in plans.index[plans[flag]]:
            trial = int(plans.at[i, "trial"])
            point = study.trials[trial].user_attrs["point"]
            runs = _reference(study, f"{tag}/{trial}", params_with(base, lever_values(point)), seeds, kind, worlds,
                              spec, executor)
            row = summarize_candidate(spec, runs, bau)
            for key in ("reached_mean", "reached_vs_bau_mean", "sustained_mean", "chance_reached",
                        "chance_reached_low", "chance_reached_high", "chance_sustained", "chance_sustained_low",
                        "chance_sustained_high", "cost_total", "cost_peak_year"):
                plans.loc[i, f"confirm_{key}"] = row[key]
            if flag == "recommended":
                budget = yearly_mean(runs)
                budget.insert(0, "plan", f"plan_t{trial:04d}")
            if log:
                log(f"confirmed plan_t{trial:04d} on {spec.confirm} new worlds: reached {row['reached_mean']:.1%}, "
                    f"chance {row['chance_reached']:.0%} [{row['chance_reached_low']:.0%}, "
                    f"{row['chance_reached_high']:.0%}], cost ${row['cost_total']:,.0f}")
    return plans, budget


# ----------------------------------------------------------------------------------------------
# The whole command


def plan(spec: PlanSpec, out_dir: str | Path, *, executor: Executor | None = None,
         log: Callable[[str], None] | None = None, wait_for_lock: bool = False) -> PlanResult:
    """Run (or resume) the plan search ``spec`` in ``out_dir`` and write its outputs.

    Raises:
        ParamError: bad settings or an ``out_dir`` holding something else (checked before anything is written).
    """
    from ..experiments.lock import store_lock

    base = validate(spec)
    out_dir = Path(out_dir)
    check_plan_dir(out_dir)
    _load_study(spec, out_dir)
    kind, worlds = choose_worlds(spec)
    with store_lock(out_dir, wait=wait_for_lock):
        study, n_new, bau_runs = _search(spec, base, out_dir, kind, worlds, executor, log)
        plans = plans_frame(study, spec)
        budget = budget_frame(study, plans)
        if spec.confirm and len(plans):
            plans, budget = confirm_plans(spec, base, study, plans, budget, executor, log)
        return _write(spec, base, out_dir, study, plans, budget, bau_runs, n_new, kind, worlds)


def _write(spec, base, out_dir, study, plans, budget, bau_runs, n_new, kind, worlds) -> PlanResult:
    from .plan_figure import plot_plan, save_figure as _save_figure

    from .. import __version__
    from ..experiments.store import atomic_write
    from ..results import dumps_json
    from ..run import git_revision

    bau = summarize_candidate(spec, bau_runs)
    rec = plans[plans["recommended"]].iloc[0].to_dict() if len(plans) and plans["recommended"].any() else None
    info = {
        "kind": "plan", "question": (f"what it takes to reach {spec.target:.0%} of the state's classrooms "
                                     f"{'beyond business as usual ' if spec.over == 'bau' else ''}by year "
                                     f"{spec.by_year}" + (f" within ${spec.budget_per_year:,.0f} a year"
                                                          if spec.budget_per_year else "")),
        "target": spec.target, "over": spec.over, "by_year": spec.by_year, "budget_per_year": spec.budget_per_year,
        "confidence": spec.confidence, "base_design": base.design, "overrides": list(spec.overrides),
        "levers": {d.name: {"key": d.key, "label": d.label} for d in spec.dimensions},
        "trials_complete": int(len(plans)), "replications": spec.replications, "seed": spec.seed,
        "seeds": replicate_seeds(spec.seed, spec.replications), "batch": spec.batch,
        "worlds": kind, "uncertainty": "seed" if kind == "none" else "parameters", **({"worlds_rows": [int(x) for x in worlds["_row"]]} if kind in ("posterior", "table") else {}),
        **({"uncertain_parameters": list(worlds.keys)} if kind == "prior" else {}),
        "business_as_usual": {"design": BAU_DESIGN, "reached_mean": bau["reached_mean"],
                              "sustained_mean": bau["sustained_mean"], "reached_baseline":
                                  float(np.mean([r["reached_baseline"] for r in bau_runs]))},
        "recommended": rec, "n_new": n_new, "confirm": spec.confirm,
        **({"confirm_seeds": replicate_seeds(spec.seed, spec.replications + spec.confirm)[spec.replications:]}
           if spec.confirm else {}),
        "sampler": "optuna TPESampler (multi-objective: max mean reached, min mean total cost; constraint: "
                   + ("costliest year <= budget_per_year)" if spec.budget_per_year else "mean reached >= target)"),
        "package": "bsc_sim", "version": __version__, "git_revision": git_revision(),
    }
    rec_trial = int(rec["trial"]) if rec else None
    coverage_rec = None
    if rec_trial is not None:
        coverage_rec = study.trials[rec_trial].user_attrs.get("years")
    outputs = {
        "plans.csv": lambda p: plans.to_csv(p, index=False),
        "budget_by_year.csv": lambda p: budget.to_csv(p, index=False),
        "plan.png": lambda p: _save_figure(plot_plan(plans, budget, bau_runs, spec, coverage_rec,
                                                         bau_years=yearly_mean(bau_runs)), p),
        "plan.json": lambda p: p.write_text(dumps_json(info)),
    }
    for name, write in outputs.items():
        atomic_write(out_dir / name, write)
    return PlanResult(plans=plans, budget=budget, out_dir=out_dir, n_new=n_new,
                      written=[*outputs, STUDY_FILE], info=info)
