"""Experiment configs (``configs/experiment/*.yaml``): which parameters vary, how, and what is measured.

An experiment file is plain data::

    question: How many learning sessions, how spaced, in person or virtual?
    base: [design=bsc]                # overrides applied to every run (Hydra syntax)
    sampler: grid                     # sweeps: grid (all combinations) or lhs (Latin hypercube)
    n: 64                             # lhs points; for sensitivity, SALib's base sample size N
    method: morris                    # sensitivity: morris or sobol
    replications: 10                  # seeds per point (the same seeds at every point)
    seed: 0                           # root of the replicate seeds
    parameters:
      collaborative.n_sessions: {values: [2, 3, 4]}            # a grid axis
      readiness.data_capacity_mean: {low: 0.2, high: 0.8}    # a range (lhs, sensitivity)
    outcomes: [frac_classrooms_reached_end, frac_classrooms_sustained_followup]

Everything is checked before any run starts; a bad entry raises one line naming it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import config_dir, known_keys, load_params
from ..datafiles import read_yaml_file
from ..paramtools import ParamError
from ..params import Params
from .specs import RunSpec, params_with, replicate_seeds

__all__ = ["ExperimentConfig", "ParameterRange", "load_experiment", "experiment_names", "sweep_specs",
           "point_values", "summary_outcomes", "SUMMARY_OUTCOMES"]

# The scalar outcomes every run reports, in the order of ``summarize()`` (bsc_sim.model.outcomes).
# Static, so that checking an experiment's outcomes or tabulating a comparison needs no model run;
# tests/experiments/test_specs_and_design.py checks it against the summary of real runs (a cohort
# and a state). When summarize() gains or loses an outcome, change this list with it.
SUMMARY_OUTCOMES: tuple[str, ...] = (
    "n_programs", "n_classrooms", "n_staff_slots", "n_families", "frac_classrooms_reached_baseline",
    "frac_classrooms_reached_end", "frac_classrooms_reached_followup", "frac_classrooms_sustained_followup",
    "frac_classrooms_using_baseline", "frac_classrooms_using_end", "frac_classrooms_using_followup",
    "frac_classrooms_reached_lag", "frac_classrooms_using_lag", "frac_classrooms_sustained_lag",
    "n_classrooms_reached_lag", "n_classrooms_sustained_lag", "n_classrooms_using_lag",
    "n_children_reached_lag", "frac_classrooms_lag_observed", "mean_lag_week", "frac_programs_improved_end",
    "frac_programs_improved_followup", "n_classrooms_reached_baseline", "n_classrooms_reached_end",
    "n_classrooms_reached_followup", "n_classrooms_sustained_followup", "n_children",
    "n_children_reached_baseline", "n_children_reached_end", "n_children_reached_followup",
    "n_programs_improved_end", "n_programs_improved_kept_followup", "n_teaching_staff_end",
    "n_teaching_fidelity_end", "n_enrolled_teaching_staff", "n_enrolled_teaching_fidelity_end",
    "frac_enrolled_teaching_fidelity_end", "n_nonteam_staff_end", "n_nonteam_staff_adopted_end",
    "n_pdsa_cycles_studied", "n_pdsa_cycles_misread", "n_pdsa_cycles_data_used", "hours_data_collection",
    "n_families_home_use_end", "n_test_units", "n_test_successes", "n_cross_ties_formed", "n_cross_ties_end",
    "sum_family_engagement_end", "n_derailments", "n_programs_dropped", "frac_program_weeks_derailed",
    "mean_momentum", "mean_fit", "mean_fit_family_practices", "n_pdsa_cycles_followup", "mean_skill_followup",
    "mean_efficacy_followup", "frac_staff_fidelity_end", "frac_frontline_fidelity_end",
    "frac_nonteam_staff_adopted", "n_pdsa_cycles", "frac_pdsa_well_run", "frac_pdsa_misread",
    "n_practices_adopted_by_teams", "culture_baseline", "culture_end", "culture_followup",
    "family_engagement_baseline", "family_engagement_end", "frac_families_home_use_end", "child_weeks_reached",
    "mean_progress_score", "frac_teams_progress_4plus", "n_staff_departures", "staff_turnover_annual",
    "cost_staff_time", "cost_substitutes", "cost_family_stipends", "cost_travel", "cost_venue", "cost_faculty",
    "cost_data_support", "cost_coaching", "cost_training", "cost_community_meeting", "cost_coordination",
    "cost_faculty_training", "cost_total", "cost_per_classroom_reached", "cost_per_classroom_sustained",
    "n_regions", "n_cohorts", "n_programs_enrolled", "frac_programs_enrolled", "n_cohorts_delayed",
    "mean_cohort_delay_weeks", "frac_children_reached_followup", "cost_per_child_reached",
)


def summary_outcomes() -> tuple[str, ...]:
    """Names of the scalar outcomes every run reports (:data:`SUMMARY_OUTCOMES`)."""
    return SUMMARY_OUTCOMES


@dataclass(frozen=True)
class ParameterRange:
    """One varied parameter: a list of ``values`` (grid) or a ``low``-``high`` range."""

    key: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map uniform [0, 1) draws onto this parameter (ranges scaled, lists indexed)."""
        if self.is_range:
            if self.integer:  # equal chances for every whole number in [low, high]
                lo, hi = int(np.ceil(self.low)), int(np.floor(self.high))
                return [int(v) for v in np.minimum(lo + np.floor(u * (hi - lo + 1)), hi)]
            return [float(v) for v in self.low + u * (self.high - self.low)]
        idx = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[i] for i in idx]


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    question: str = ""
    base: tuple[str, ...] = ()
    sampler: str = "grid"
    method: str = "morris"
    n: int = 16
    num_levels: int = 4
    calc_second_order: bool = True
    replications: int = 1
    seed: int = 0
    parameters: tuple[ParameterRange, ...] = ()
    outcomes: tuple[str, ...] = ("frac_classrooms_reached_end", "frac_classrooms_sustained_followup")
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_settings(self, **changes: Any) -> ExperimentConfig:
        return _validated(replace(self, **{k: v for k, v in changes.items() if v is not None}))

    def base_params(self, overrides: Sequence[str] = ()) -> Params:
        return load_params([*self.base, *overrides])

    def describe(self) -> dict[str, Any]:
        return {"experiment": self.name, "question": self.question, "base": list(self.base),
                "sampler": self.sampler, "method": self.method, "n": self.n, "replications": self.replications,
                "seed": self.seed, "outcomes": list(self.outcomes),
                "parameters": {p.key: ({"low": p.low, "high": p.high} if p.is_range else {"values": list(p.values)})
                               for p in self.parameters}}


# Keys a sweep cannot vary: setting them on resolved parameters would not do what it says.
NOT_VARIABLE = {
    "design": "a design is a group of settings, not one value; compare designs with bsc-sim compare, "
              "or set one for every run with base: [design=NAME]",
    "seed": "seeds come from the replicates (replications: and seed: of the experiment), not from a parameter",
    "out_dir": "a run setting, not a model parameter",
}

_TOP_KEYS = {"question", "base", "sampler", "method", "n", "num_levels", "calc_second_order", "replications", "seed",
             "parameters", "outcomes", "notes"}


def experiment_names() -> list[str]:
    return sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))


def load_experiment(name_or_path: str) -> ExperimentConfig:
    """Read ``configs/experiment/NAME.yaml`` (or a path to a YAML file) and check it."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = config_dir() / "experiment" / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ParamError(f"experiment = {name_or_path!r}: no such experiment "
                             f"(available: {', '.join(experiment_names())}; or give a path to a .yaml file)")
    elif not path.is_file():
        raise ParamError(f"experiment = {name_or_path!r}: file not found")
    data = read_yaml_file(path, f"experiment = {str(path)!r}") or {}
    return parse_experiment(data, name=path.stem)


def parse_experiment(data: Mapping[str, Any], name: str = "experiment") -> ExperimentConfig:
    if not isinstance(data, Mapping):
        raise ParamError(f"experiment {name}: expected a mapping at the top level")
    for key in data:
        if key not in _TOP_KEYS:
            raise ParamError(f"experiment.{key}: unknown key (value {data[key]!r}); known: {', '.join(sorted(_TOP_KEYS))}")
    params_data = data.get("parameters") or {}
    if not isinstance(params_data, Mapping) or not params_data:
        raise ParamError(f"experiment.parameters = {params_data!r}: give at least one parameter to vary")
    defaults = known_keys()
    ranges = []
    for key, spec in params_data.items():
        if key in NOT_VARIABLE:
            raise ParamError(f"experiment.parameters.{key}: {NOT_VARIABLE[key]}")
        if key not in defaults:
            raise ParamError(f"experiment.parameters.{key}: unknown parameter")
        if not isinstance(spec, Mapping) or not ({"values"} <= set(spec) or {"low", "high"} <= set(spec)) \
                or set(spec) - {"values", "low", "high"}:
            raise ParamError(f"experiment.parameters.{key} = {spec!r}: give either values: [...] or low: and high:")
        integer = isinstance(defaults[key], int) and not isinstance(defaults[key], bool)
        if "values" in spec:
            values = spec["values"]
            if not isinstance(values, list) or not values:
                raise ParamError(f"experiment.parameters.{key}.values = {values!r}: expected a non-empty list")
            ranges.append(ParameterRange(key, values=tuple(values), integer=integer))
        else:
            lo, hi = spec["low"], spec["high"]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)) or not lo < hi:
                raise ParamError(f"experiment.parameters.{key} = {spec!r}: low and high must be numbers with low < high")
            ranges.append(ParameterRange(key, low=float(lo), high=float(hi), integer=integer))
    base = data.get("base") or []
    if isinstance(base, str) or not all(isinstance(b, str) for b in base):
        raise ParamError(f"experiment.base = {base!r}: expected a list of KEY=VALUE overrides")
    outcomes = data.get("outcomes") or list(ExperimentConfig.outcomes)
    cfg = ExperimentConfig(
        name=name, question=str(data.get("question", "")), base=tuple(base), parameters=tuple(ranges),
        outcomes=tuple(outcomes), **{k: data[k] for k in ("sampler", "method", "n", "num_levels",
                                                            "calc_second_order", "replications", "seed") if k in data})
    return _validated(cfg)


def _validated(cfg: ExperimentConfig) -> ExperimentConfig:
    checks = [("sampler", cfg.sampler in ("grid", "lhs"), "grid or lhs"),
              ("method", cfg.method in ("morris", "sobol"), "morris or sobol"),
              ("n", isinstance(cfg.n, int) and not isinstance(cfg.n, bool) and cfg.n >= 1, "a whole number >= 1"),
              ("num_levels", isinstance(cfg.num_levels, int) and cfg.num_levels >= 2, "a whole number >= 2"),
              ("calc_second_order", isinstance(cfg.calc_second_order, bool), "true or false"),
              ("replications", isinstance(cfg.replications, int) and cfg.replications >= 1, "a whole number >= 1"),
              ("seed", isinstance(cfg.seed, int) and cfg.seed >= 0, "a whole number >= 0")]
    for key, ok, expected in checks:
        if not ok:
            raise ParamError(f"experiment.{key} = {getattr(cfg, key)!r}: must be {expected}")
    known = summary_outcomes()
    for outcome in cfg.outcomes:
        if outcome not in known:
            import difflib

            hint = difflib.get_close_matches(str(outcome), known, n=1)
            raise ParamError(f"experiment.outcomes: unknown outcome {outcome!r}"
                             + (f"; did you mean {hint[0]}?" if hint else ""))
    return cfg


def point_values(cfg: ExperimentConfig) -> list[dict[str, Any]]:
    """The parameter points of a sweep: all grid combinations, or ``n`` Latin-hypercube points."""
    if cfg.sampler == "grid":
        for p in cfg.parameters:
            if p.is_range:
                raise ParamError(f"experiment.parameters.{p.key}: a grid sweep needs values: [...], not low/high")
        combos = itertools.product(*(p.values for p in cfg.parameters))
        return [dict(zip((p.key for p in cfg.parameters), combo)) for combo in combos]
    from scipy.stats import qmc

    # The hypercube is drawn from its own generator seeded by the experiment's seed.
    u = qmc.LatinHypercube(d=len(cfg.parameters), seed=np.random.default_rng(cfg.seed)).random(cfg.n)
    columns = [p.from_unit(u[:, j]) for j, p in enumerate(cfg.parameters)]
    return [dict(zip((p.key for p in cfg.parameters), row)) for row in zip(*columns)]


def specs_for_points(points: Sequence[Mapping[str, Any]], base: Params, replications: int, seed: int,
                     prefix: str, label: str = "point") -> list[RunSpec]:
    """``points`` x replicate seeds as specs; every point is validated before anything runs."""
    seeds = replicate_seeds(seed, replications)
    specs = []
    for i, values in enumerate(points):
        try:
            params = params_with(base, values)
        except ParamError as exc:
            raise ParamError(f"{label} {i} ({', '.join(f'{k}={v}' for k, v in values.items())}): {exc}") from None
        for r, s in enumerate(seeds):
            specs.append(RunSpec(run_id=f"{prefix}{i:05d}/r{r:03d}", index=i * replications + r, params=params, seed=s,
                                 labels={label: i, "replicate": r, **values}))
    return specs


def sweep_specs(cfg: ExperimentConfig, overrides: Sequence[str] = ()) -> list[RunSpec]:
    return specs_for_points(point_values(cfg), cfg.base_params(overrides), cfg.replications, cfg.seed, prefix="p")
