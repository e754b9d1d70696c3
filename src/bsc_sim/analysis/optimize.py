"""The best design within a budget (``bsc-sim optimize``): a multi-objective search of the design levers.

Question: of the designs a planner could run (the levers of :mod:`.design_space`), which give the
most of an outcome (classrooms sustained, by default) for what they cost, without costing more
than the budget?

Method.
- **Budget**: the mean total cost of one collaborative (one cohort, over the whole simulated
  horizon: the collaborative, any follow-up support and the follow-up year; all cost categories),
  over the trial's replicates. That is how a planner states a budget ("$150,000 for the next
  phase"); with cohort size a lever, a larger cohort spends more of it.
- **Objectives**: maximise each outcome of ``objective=`` (a mean count per cohort, or a pooled
  share) and minimise the mean cost. Optuna's multi-objective TPE sampler (seeded) proposes the
  designs, and the budget as a constraint (mean cost - budget <= 0, set with
  ``trial.set_constraint``) steers it to those within it; TPE rather than NSGA-II because a trial costs many model runs, so studies are tens of
  trials, well under one NSGA-II population. (Optuna 5 deprecated the sampler's
  ``constraints_func`` for ``set_constraint``; both feed the same constrained TPE.)
- **Common seeds**: every trial runs the same ``replications`` seeds (spawned from ``seed``), so
  trials differ only by their design.
- **Resumable**: the study lives in ``out_dir/study.db``; re-running the command continues it up
  to ``trials`` completed trials (a study of other settings is refused).
- **Front and confirmation**: the Pareto front of the feasible trials (no other feasible trial is
  at least as good on every objective and cheaper or better on one) is re-run on
  ``confirm_replications`` *new* seeds (the replicates after the search's, common to every front
  design and to the base design), which removes the optimism of picking the best of noisy trials.
  Each is reported with 95% bootstrap intervals and its paired difference from the base design.
  A front design whose confirmed mean cost exceeds the budget is marked ``within_budget = false``
  and gets no design file: the command never returns a design over budget.

Outputs (each written atomically): ``pareto.csv``, ``pareto.png``, ``trials.csv``,
``optimize.json`` and ``designs/opt_tNNNN.yaml`` (one design file per confirmed front design
within budget, which ``bsc-sim compare`` accepts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.specs import params_with, replicate_seeds
from ..experiments.store import atomic_write
from ..paramtools import ParamError
from ..params import Params
from .optuna_study import (STUDY_FILE, TrialTally, counted, error_text, fail_interrupted, foreign_in_study_dir,
                           load_study, open_study, refuse_foreign, seeded_tpe)
from .design_space import Dimension, choose_dimensions, design_yaml, max_followup_support, max_spacing, point_values
from .stats import paired_ratio_difference, pooled_ratio, pooled_ratio_ci

__all__ = ["Objective", "OBJECTIVES", "OptimizeSpec", "OptimizeResult", "optimize", "pareto_front", "STUDY_NAME"]

STUDY_NAME = "bsc_sim_optimize"
COST = "cost_total"


@dataclass(frozen=True)
class Objective:
    """An outcome to maximise: a mean per cohort (``den`` None) or a ratio of pooled sums."""

    name: str
    label: str
    num: str
    den: str | None = None


OBJECTIVES = {o.name: o for o in (
    Objective("sustained", "classrooms sustained (reached at the end and at follow-up)", "n_classrooms_sustained_followup"),
    Objective("reached", "classrooms reached when the collaborative ends", "n_classrooms_reached_end"),
    Objective("child_weeks", "child-weeks in reached classrooms", "child_weeks_reached"),
    Objective("fidelity", "teaching staff at fidelity at the end", "n_teaching_fidelity_end"),
    Objective("frac_sustained", "share of the cohort's classrooms sustained", "n_classrooms_sustained_followup",
              "n_classrooms"),
    Objective("frac_reached", "share of the cohort's classrooms reached at the end", "n_classrooms_reached_end",
              "n_classrooms"),
)}


@dataclass(frozen=True)
class OptimizeSpec:
    """Everything that defines a search (its identity decides whether a study may be resumed)."""

    budget: float
    objectives: tuple[str, ...] = ("sustained",)
    trials: int = 40
    replications: int = 8
    confirm_replications: int = 30
    seed: int = 0
    levers: tuple[str, ...] | None = None
    overrides: tuple[str, ...] = ()
    uncertainty: str | None = "posterior"   # "posterior", "parameters", a path to an uncertainty file, or None/"none"

    def identity(self) -> str:
        """What a resumed study must share (trials and confirm_replications may change)."""
        return json.dumps({"budget": self.budget, "objectives": list(self.objectives),
                           "replications": self.replications, "seed": self.seed,
                           "levers": [d.name for d in self.dimensions], "overrides": list(self.overrides),
                           # "seed": what studies made before "none" existed record (so they resume)
                           "uncertainty": "seed" if self.uncertainty_kind == "none" else str(self.uncertainty)},
                          sort_keys=True)

    @property
    def uncertainty_kind(self) -> str:
        from ..experiments.uncertainty import canonical

        return canonical(self.uncertainty)

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return choose_dimensions(self.levers)

    @property
    def point_names(self) -> tuple[str, ...]:
        """The levers a design of this search records: the searched ones, and the spacing when the
        session count is searched without it (the spacing is then narrowed where it must be)."""
        names = tuple(d.name for d in self.dimensions)
        return (*names, "spacing") if "sessions" in names and "spacing" not in names else names

    def columns(self) -> list[str]:
        cols = [COST]
        for name in self.objectives:
            o = OBJECTIVES[name]
            cols += [c for c in (o.num, o.den) if c and c not in cols]
        return cols


@dataclass
class OptimizeResult:
    """What :func:`optimize` found: the confirmed front (``pareto``) and the designs within budget."""

    pareto: pd.DataFrame
    trials: pd.DataFrame
    n_trials: int
    n_new: int
    design_files: list[Path]
    out_dir: Path
    written: list[str] = field(default_factory=list)

    @property
    def front(self) -> pd.DataFrame:
        """The confirmed front designs within budget (never one over it)."""
        return self.pareto[self.pareto["within_budget"]] if len(self.pareto) else self.pareto


# ----------------------------------------------------------------------------------------------
# Checks


def validate(spec: OptimizeSpec) -> Params:
    """Check the settings and return the base parameters; one line naming the bad key and value."""
    from ..config import load_params

    if isinstance(spec.budget, bool) or not isinstance(spec.budget, (int, float)) or not 0 < spec.budget < float("inf"):
        raise ParamError(f"budget = {spec.budget!r}: give the budget in US dollars, a number > 0 (budget=150000)")
    for key in ("trials", "replications", "confirm_replications"):
        value = getattr(spec, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < (2 if key == "confirm_replications" else 1):
            raise ParamError(f"{key} = {value!r}: must be a whole number >= {2 if key == 'confirm_replications' else 1}")
    if isinstance(spec.seed, bool) or not isinstance(spec.seed, int) or spec.seed < 0:
        raise ParamError(f"seed = {spec.seed!r}: must be a whole number >= 0")
    if not spec.objectives:
        raise ParamError("objective = []: name at least one")
    for name in spec.objectives:
        if name not in OBJECTIVES:
            raise ParamError(f"objective = {name!r}: unknown (known: {', '.join(OBJECTIVES)})")
    searched = set()
    for dim in spec.dimensions:
        searched |= set(point_values({dim.name: dim.choices[0] if dim.choices else dim.low}))
    for text in spec.overrides:
        key = text.split("=", 1)[0].strip()
        if key == "seed":
            raise ParamError(f"{text}: seeds come from seed= and replications=")
        if key in searched:
            raise ParamError(f"{text}: {key} is a lever the search sets; leave it out of levers=[...] to fix it")
    base = load_params(list(spec.overrides))
    if base.system.enabled:  # the levers here are one collaborative's; a state's are system.* keys
        raise ParamError(f"design = {base.design!r}: a statewide system; optimize searches the levers of one "
                         "collaborative (its budget is one cohort's); a state's schedule and yearly budget: bsc-sim plan")
    if "sessions" not in {d.name for d in spec.dimensions} and "spacing" in {d.name for d in spec.dimensions}:
        if max_spacing(base, base.collaborative.n_sessions) < 4:
            raise ParamError("levers: spacing cannot vary with this many sessions")
    return base


# ----------------------------------------------------------------------------------------------
# Evaluation


def _summary_values(params: Params, seed: int, columns: Sequence[str]) -> list[float]:
    from .calibrate import summary_values

    return summary_values(params, seed, columns)


def evaluate(params: Params, seeds: Sequence[int], columns: Sequence[str], executor: Executor | None = None,
             uncertainty=None) -> np.ndarray:
    """``columns`` of the summary of ``params`` run on each seed: shape (len(seeds), len(columns)).

    With an ``uncertainty`` (:class:`~bsc_sim.experiments.uncertainty.Uncertainty`), the run of
    each seed also carries that seed's drawn world (the same world in every design)."""
    from ..experiments.uncertainty import draw_world

    runs = [(params if uncertainty is None else params_with(params, draw_world(uncertainty, s)), s) for s in seeds]
    if executor is None:
        rows = [_summary_values(p, s, columns) for p, s in runs]
    else:
        rows = [f.result() for f in [executor.submit(_summary_values, p, s, columns) for p, s in runs]]
    return np.array(rows, dtype=np.float64).reshape(len(seeds), len(columns))


def objective_values(spec: OptimizeSpec, raw: np.ndarray) -> dict[str, float]:
    """Mean cost and each objective (mean, or ratio of pooled sums) of one design's replicates."""
    cols = spec.columns()
    col = {c: raw[:, i] for i, c in enumerate(cols)}
    out = {COST: pooled_ratio(col[COST])}
    for name in spec.objectives:
        o = OBJECTIVES[name]
        out[name] = pooled_ratio(col[o.num], col[o.den] if o.den else None)
    return out


def pareto_front(points: pd.DataFrame, objectives: Sequence[str], cost: str = COST) -> pd.DataFrame:
    """Rows of ``points`` that no other row dominates (as large on every objective and as cheap,
    and strictly better on one). Identical rows are kept once (the first)."""
    values = points[[*objectives, cost]].to_numpy(np.float64).copy()
    values[:, -1] *= -1  # all maximised
    keep = []
    for i in range(len(values)):
        dominated = np.any(np.all(values >= values[i], axis=1) & np.any(values > values[i], axis=1))
        duplicate = any(np.array_equal(values[i], values[j]) for j in keep)
        if not dominated and not duplicate and np.all(np.isfinite(values[i])):
            keep.append(i)
    return points.iloc[keep]


# ----------------------------------------------------------------------------------------------
# The study


OPTIMIZE_FILES = frozenset({STUDY_FILE, f"{STUDY_FILE}-journal", "pareto.csv", "pareto.png", "trials.csv",
                            "optimize.json", "designs", ".lock"})


def check_optimize_dir(out_dir: Path) -> None:
    """Read-only, before anything runs: ``out_dir`` is new, empty or an earlier search's."""
    from ..safe_paths import refuse_links

    found = foreign_in_study_dir(out_dir, OPTIMIZE_FILES)
    if found is None:
        return
    shown, foreign = found
    if (out_dir / "designs").is_dir():
        refuse_links(out_dir / "designs", sorted(p.name for p in (out_dir / "designs").iterdir()), f"{shown} ('designs')")
        foreign += sorted(f"designs/{p.name}" for p in (out_dir / "designs").iterdir()
                          if not (p.name.startswith(("opt_t", ".tmp-")) and p.suffix in (".yaml", "")))
    refuse_foreign(shown, foreign, "bsc_sim", "search")


def _load_study(spec: OptimizeSpec, out_dir: Path):
    """The existing study of ``spec`` in ``out_dir`` (None if there is none); refuse another's."""
    return load_study(out_dir, STUDY_NAME, spec.identity(), "search")


def _open_study(spec: OptimizeSpec, out_dir: Path):
    return open_study(out_dir, STUDY_NAME, spec.identity(), "search", sampler=_sampler(spec, 0),
                      directions=["maximize"] * len(spec.objectives) + ["minimize"])


def _sampler(spec: OptimizeSpec, k: int):
    """The sampler that proposes the ``k``-th counted trial (issue 17): seeded by the search's seed
    and ``k`` only, so trial ``k`` is the same point however often the search was interrupted or
    extended."""
    return seeded_tpe(spec.seed, k)


_counted = counted  # trials that count towards the next one's seed (all but the interrupted)


def _suggest(trial, dims: Sequence[Dimension], base: Params) -> dict[str, Any]:
    """One design: each searched lever suggested in turn (spacing capped by the session count, follow-up
    support by the follow-up year: :func:`~.design_space.max_followup_support`)."""
    point: dict[str, Any] = {}
    for dim in dims:
        if dim.choices:
            point[dim.name] = trial.suggest_categorical(dim.name, list(dim.choices))
        elif dim.name == "spacing":
            n = point.get("sessions", base.collaborative.n_sessions)
            point[dim.name] = trial.suggest_int(dim.name, int(dim.low), int(min(dim.high, max_spacing(base, n))))
        elif dim.name == "followup_support":
            high = min(int(dim.high), max_followup_support(base, int(dim.step)))
            point[dim.name] = trial.suggest_int(dim.name, int(dim.low), high, step=int(dim.step))
        elif dim.integer:
            point[dim.name] = trial.suggest_int(dim.name, int(dim.low), int(dim.high), step=int(dim.step))
        else:
            point[dim.name] = trial.suggest_float(dim.name, dim.low, dim.high, step=dim.step)
    if "sessions" in point and "spacing" not in point:  # keep the base spacing unless it no longer fits
        point["spacing"] = min(base.collaborative.session_spacing_weeks, max_spacing(base, point["sessions"]))
    trial.set_user_attr("point", point)
    return point


def _search(spec: OptimizeSpec, base: Params, out_dir: Path, executor, uncertainty, log) -> tuple[Any, int]:
    """Run the missing trials; return the study and the number of new ones."""
    from ..experiments.pool import WorkerDied

    study = _open_study(spec, out_dir)
    fail_interrupted(study, error="interrupted before it finished; run again as the next trial")
    seeds = replicate_seeds(spec.seed, spec.replications)
    dims = spec.dimensions
    tally = TrialTally(study, spec.trials, "levers")
    while tally.missing > 0:
        study.sampler = _sampler(spec, counted(study))  # the same point for the same trial, interrupted or not
        trial = study.ask()
        point = _suggest(trial, dims, base)
        t0 = time.perf_counter()
        try:
            raw = evaluate(params_with(base, point_values(point)), seeds, spec.columns(), executor, uncertainty)
        except (ParamError, WorkerDied) as exc:
            tally.fail(trial, error_text(exc))
            tally.refuse_if_failing(exc)
            continue
        values = objective_values(spec, raw)
        trial.set_user_attr("means", values)
        trial.set_constraint("budget", values[COST] - spec.budget)  # feasible when <= 0
        tally.tell(trial, [values[o] for o in spec.objectives] + [values[COST]])
        if log:
            within = "within budget" if values[COST] <= spec.budget else "OVER budget"
            log(f"trial {trial.number}: {spec.objectives[0]} {values[spec.objectives[0]]:.3g}, "
                f"cost ${values[COST]:,.0f} ({within}) [{tally.complete}/{spec.trials}, {time.perf_counter() - t0:.1f} s]")
    return study, tally.new


def trials_frame(study, spec: OptimizeSpec) -> pd.DataFrame:
    """Every trial: state, design (lever values), mean cost and objectives, within budget."""
    rows = []
    for t in study.trials:
        means = t.user_attrs.get("means", {})
        point = t.user_attrs.get("point", t.params)
        rows.append({"trial": t.number, "state": t.state.name, **{n: point.get(n) for n in spec.point_names},
                     "cost_mean": means.get(COST), **{f"{o}_mean": means.get(o) for o in spec.objectives},
                     "within_budget": bool(means) and means[COST] <= spec.budget,
                     "seconds": t.duration.total_seconds() if t.duration else None, "error": t.user_attrs.get("error", "")})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# Confirmation of the front


def _confirmed(study, key: str, params: Params, spec: OptimizeSpec, executor, uncertainty) -> np.ndarray:
    """The confirmation runs of one design, kept in the study so a resumed search reuses them."""
    stored = study.user_attrs.get(key)
    if stored is not None and stored["columns"] == spec.columns():
        return np.array(stored["values"], dtype=np.float64)
    seeds = replicate_seeds(spec.seed, spec.replications + spec.confirm_replications)[spec.replications:]
    raw = evaluate(params, seeds, spec.columns(), executor, uncertainty)
    study.set_user_attr(key, {"columns": spec.columns(), "values": np.where(np.isfinite(raw), raw, None).tolist()})
    return raw


def _outcome_arrays(spec: OptimizeSpec, raw: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    col = {c: raw[:, i] for i, c in enumerate(spec.columns())}
    if name == COST:
        return col[COST], None
    o = OBJECTIVES[name]
    return col[o.num], (col[o.den] if o.den else None)


def confirm_front(study, spec: OptimizeSpec, base: Params, front: pd.DataFrame, executor, uncertainty,
                  log) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Re-run the front designs and the base design on new common seeds; one row per front design."""
    tag = f"confirm/{spec.confirm_replications}"
    ref = _confirmed(study, f"{tag}/base", base, spec, executor, uncertainty)
    rows = []
    for r in front.itertuples(index=False):
        point = {n: getattr(r, n) for n in spec.point_names}
        point = {k: (v.item() if hasattr(v, "item") else v) for k, v in point.items()}
        raw = _confirmed(study, f"{tag}/{r.trial}", params_with(base, point_values(point)), spec, executor, uncertainty)
        row: dict[str, Any] = {"design": f"opt_t{r.trial:04d}", "trial": r.trial, **point,
                               "search_cost_mean": r.cost_mean,
                               **{f"search_{o}_mean": getattr(r, f"{o}_mean") for o in spec.objectives}}
        for name in (COST, *spec.objectives):
            short = "cost" if name == COST else name
            num, den = _outcome_arrays(spec, raw, name)
            mean, lo, hi = pooled_ratio_ci(num, den)
            ref_num, ref_den = _outcome_arrays(spec, ref, name)
            _, diff, dlo, dhi = paired_ratio_difference(ref_num, ref_den, num, den)
            row.update({f"{short}": mean, f"{short}_ci_low": lo, f"{short}_ci_high": hi,
                        f"{short}_vs_base": diff, f"{short}_vs_base_ci_low": dlo, f"{short}_vs_base_ci_high": dhi})
        row["within_budget"] = bool(row["cost"] <= spec.budget)
        rows.append(row)
        if log:
            log(f"confirmed {row['design']}: {spec.objectives[0]} {row[spec.objectives[0]]:.3g} "
                f"[{row[spec.objectives[0] + '_ci_low']:.3g}, {row[spec.objectives[0] + '_ci_high']:.3g}], "
                f"cost ${row['cost']:,.0f} [${row['cost_ci_low']:,.0f}, ${row['cost_ci_high']:,.0f}]"
                + ("" if row["within_budget"] else " -- OVER budget, excluded"))
    base_row = {"design": f"base ({base.design})", "trial": -1}
    for name in (COST, *spec.objectives):
        short = "cost" if name == COST else name
        mean, lo, hi = pooled_ratio_ci(*_outcome_arrays(spec, ref, name))
        base_row.update({short: mean, f"{short}_ci_low": lo, f"{short}_ci_high": hi})
    base_row["within_budget"] = bool(base_row["cost"] <= spec.budget)
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["cost", "trial"]).reset_index(drop=True)
        # Confirmation can reorder the front: flag designs another affordable one now beats.
        inside = table[table["within_budget"]]
        still = set(pareto_front(inside, list(spec.objectives), cost="cost")["trial"]) if len(inside) else set()
        table["dominated_on_confirmation"] = [bool(w and t not in still) for t, w in zip(table["trial"], table["within_budget"])]
    return table, base_row


# ----------------------------------------------------------------------------------------------
# The whole command


def optimize(spec: OptimizeSpec, out_dir: str | Path, *, executor: Executor | None = None,
             log: Callable[[str], None] | None = None, wait_for_lock: bool = False) -> OptimizeResult:
    """Run (or resume) the search ``spec`` in ``out_dir``, confirm its front and write the outputs.

    Raises:
        ParamError: bad settings, or an ``out_dir`` holding another search or other files
            (checked before anything is written).
    """
    from ..experiments.lock import store_lock
    from ..experiments.uncertainty import with_uncertainty

    base = validate(spec)
    out_dir = Path(out_dir)
    check_optimize_dir(out_dir)
    _load_study(spec, out_dir)  # refuses a foreign study before anything is written
    uncertainty = None
    if spec.uncertainty_kind != "none":
        from ..experiments.uncertainty import Posterior, load_drawn

        if str(spec.uncertainty).endswith(".csv"):
            raise ParamError(f"uncertainty = {spec.uncertainty!r}: optimize draws worlds per seed; give posterior, "
                             "parameters, none or a .yaml uncertainty file")
        # checks the setting and clashes; with the posterior, an override fixes its key (not drawn)
        _, described = with_uncertainty([], {}, spec.uncertainty, overrides=spec.overrides)
        uncertainty = load_drawn(spec.uncertainty)
        searched = set(point_values({d.name: d.choices[0] if d.choices else d.low for d in spec.dimensions}))
        fixed = set(described.get("uncertainty_not_drawn", [])) if isinstance(uncertainty, Posterior) else set()
        uncertainty = uncertainty.without(searched | fixed)
    with store_lock(out_dir, wait=wait_for_lock):
        study, n_new = _search(spec, base, out_dir, executor, uncertainty, log)
        trials = trials_frame(study, spec)
        complete = trials[(trials["state"] == "COMPLETE") & trials["within_budget"]]
        front = pareto_front(complete, [f"{o}_mean" for o in spec.objectives], cost="cost_mean")
        pareto, base_row = confirm_front(study, spec, base, front, executor, uncertainty, log)
        return _write(spec, base, out_dir, study, trials, pareto, base_row, n_new, uncertainty)


def _write(spec, base, out_dir, study, trials, pareto, base_row, n_new, uncertainty) -> OptimizeResult:
    from .. import __version__
    from ..results import dumps_json
    from ..run import git_revision
    from ..experiments.uncertainty import seed_only_note
    from .optimize_report import design_description, plot_pareto

    designs_dir = out_dir / "designs"
    files: list[Path] = []
    keep = set()
    pareto = pareto.copy()
    pareto["design_file"] = ""
    for i, row in pareto.iterrows():
        if not row["within_budget"]:
            continue
        point = {n: row[n] for n in spec.point_names}
        point = {k: (v.item() if hasattr(v, "item") else v) for k, v in point.items()}
        path = designs_dir / f"{row['design']}.yaml"
        text = design_yaml(row["design"], base.design, point_values(point), design_description(row, spec, OBJECTIVES),
                           comment=f"Found by bsc-sim optimize (trial {row['trial']}); levers: "
                                   + ", ".join(f"{k}={v}" for k, v in point.items()))
        atomic_write(path, lambda p, text=text: p.write_text(text))
        pareto.loc[i, "design_file"] = str(Path("designs") / path.name)
        files.append(path)
        keep.add(path.name)
    from ..safe_paths import remove_file

    if designs_dir.is_dir():  # design files of an earlier front that is no longer on it
        for stale in designs_dir.glob("opt_t*.yaml"):
            if stale.name not in keep:
                remove_file(out_dir, stale)  # only a plain file, reached without a link
    n_complete = int((trials["state"] == "COMPLETE").sum())
    info = {
        "question": "the best design within a budget", "budget_usd": spec.budget,
        "budget_basis": "mean total cost of one collaborative (one cohort) over the whole horizon, over replicates",
        "objectives": {o: OBJECTIVES[o].label for o in spec.objectives}, "cost": "minimised",
        "levers": {d.name: d.label for d in spec.dimensions}, "base_design": base.design, "overrides": list(spec.overrides),
        "trials_complete": n_complete, "trials_total": len(trials), "replications": spec.replications,
        "confirm_replications": spec.confirm_replications, "seed": spec.seed,
        "search_seeds": replicate_seeds(spec.seed, spec.replications),
        "uncertainty": "none" if uncertainty is None else uncertainty.describe()["uncertainty"],
        **({"uncertainty_note": seed_only_note()} if uncertainty is None else
           {"uncertainty_file": uncertainty.path, "uncertain_parameters": list(uncertainty.keys)}),
        "front_size": len(pareto), "front_within_budget": int(pareto["within_budget"].sum()) if len(pareto) else 0,
        "base": base_row, "sampler": "optuna TPESampler (multi-objective; constraint: mean cost - budget <= 0)",
        "study": {"name": STUDY_NAME, "storage": STUDY_FILE},
        "package": "bsc_sim", "version": __version__, "git_revision": git_revision(),
    }
    outputs = {
        "trials.csv": lambda p: trials.to_csv(p, index=False),
        "pareto.csv": lambda p: pareto.to_csv(p, index=False),
        "pareto.png": lambda p: _save(plot_pareto(trials, pareto, base_row, spec, OBJECTIVES), p),
        "optimize.json": lambda p: p.write_text(dumps_json(info)),
    }
    for name, write in outputs.items():
        atomic_write(out_dir / name, write)
    return OptimizeResult(pareto=pareto, trials=trials, n_trials=n_complete, n_new=n_new, design_files=files,
                          out_dir=out_dir, written=[*outputs, STUDY_FILE, *(f"designs/{p.name}" for p in files)])


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, format=path.suffix.lstrip("."))
    plt.close(fig)
