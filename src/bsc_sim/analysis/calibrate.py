"""Calibration: fit free parameters to target indicators with Optuna (``bsc-sim calibrate``).

A *targets file* (read and checked by :mod:`.targets`) names the free parameters with their bounds
and the calibration facts to fit (ids in ``configs/validation/facts.yaml``; validation facts are
refused); each becomes a target: a summary indicator with a value, a tolerance, a weight and a
source, and with ``per: OTHER_INDICATOR`` the ratio of pooled sums over replicates.

Method. Every trial runs the same ``replicates`` seeds, spawned from ``SeedSequence(seed)``
(common random numbers: trials differ only by their parameters, which makes the objective far
smoother than fresh seeds would). The objective is the weighted sum of squared standardised errors
of the model's values, ``sum_i w_i ((model_i - value_i) / tolerance_i)^2``, where a model value is
the replicate mean or, for a ``per`` target, the ratio of pooled sums; it is minimised by
Optuna's TPE sampler, seeded. The study lives in ``out_dir/study.db`` (SQLite), so an interrupted
calibration resumes: it counts the completed trials and runs only the rest. The best parameters are
then re-run with the same seeds for the fit table.

Outputs in ``out_dir`` (each written atomically): ``fitted.json`` (best values, objective,
provenance), ``fit.csv`` (per target: value, model mean, 95 % CI over replicates, error, within
tolerance), ``trials.csv`` (every trial: state, objective, parameters, indicator means) and
``report.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.specs import params_with, replicate_seeds
from ..experiments.store import atomic_write
from ..paramtools import ParamError
from ..params import Params
from .optuna_study import (RUN_SETTINGS, STUDY_FILE, TrialTally, error_text, fail_interrupted, foreign_in_study_dir,
                           load_study, open_study, refuse_foreign, seeded_tpe)
from .targets import CalibrationSpec, Target, flat_values, load_spec, validate_spec, whole_number

__all__ = ["CalibrationResult", "evaluate", "objective", "fit_table", "calibrate", "cmd_calibrate", "STUDY_NAME"]

STUDY_NAME = "bsc_sim_calibration"
OTHER_CALIBRATION = "other parameters, targets, base, replicates or seed"  # what a refused study.db may differ in
NAN_PENALTY = 1e6  # objective contribution (x weight) of a target whose indicator is undefined in every replicate
@dataclass
class CalibrationResult:
    """What :func:`calibrate` found and wrote."""

    best: dict[str, float]
    objective: float
    best_trial: int
    n_trials: int
    n_new: int
    fit: pd.DataFrame
    trials: pd.DataFrame
    out_dir: Path
    written: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Evaluation (kept apart from the optimiser so any concurrent.futures executor can run it)


def summary_values(params: Params, seed: int, indicators: Sequence[str]) -> list[float]:
    """One run's values of ``indicators`` (a top-level function, so executors can pickle it)."""
    from ..run import run_sim

    summary = run_sim(params, seed).summary
    return [float(summary[name]) for name in indicators]


def evaluate(base: Params, values: Mapping[str, float], seeds: Sequence[int], indicators: Sequence[str],
             executor: Executor | None = None) -> np.ndarray:
    """Indicator values of ``base`` with ``values`` set, one row per seed: shape (len(seeds), len(indicators)).

    Runs serially in this process, or on ``executor`` (any ``concurrent.futures.Executor``, e.g.
    from :func:`bsc_sim.experiments.open_executor`); the result is the same either way.
    """
    params = params_with(base, values)
    if executor is None:
        rows = [summary_values(params, s, indicators) for s in seeds]
    else:
        futures = [executor.submit(summary_values, params, s, indicators) for s in seeds]
        rows = [f.result() for f in futures]
    return np.array(rows, dtype=np.float64).reshape(len(seeds), len(indicators))


def target_columns(targets: Sequence[Target]) -> list[str]:
    """The summary indicators a trial must collect: each target's indicator, then the ``per`` ones."""
    return [t.indicator for t in targets] + [t.per for t in targets if t.per]


def split_columns(targets: Sequence[Target], raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(numerators, denominators) aligned with ``targets``; the denominator is 1 without ``per``."""
    n = len(targets)
    den = np.ones((raw.shape[0], n))
    extra = iter(range(n, raw.shape[1]))
    for i, t in enumerate(targets):
        if t.per:
            den[:, i] = raw[:, next(extra)]
    return raw[:, :n], den


def _target_value(column: np.ndarray, den: np.ndarray | None) -> float:
    """The replicate mean, or the ratio of pooled sums when a denominator is given (NaN rows skipped)."""
    if den is None:
        column = column[~np.isnan(column)]
        return float(column.mean()) if column.size else float("nan")
    from .stats import pooled_ratio

    return pooled_ratio(column, den)


def objective(targets: Sequence[Target], samples: np.ndarray, den: np.ndarray | None = None) -> float:
    """Weighted sum of squared standardised errors of the replicate means (NaN replicates skipped);
    a target with ``per`` uses the ratio of pooled sums (``den`` holds the ``per`` columns).

    A target undefined in every replicate (e.g. a PDSA share with no cycles) adds ``NAN_PENALTY``
    times its weight.
    """
    total = 0.0
    for i, t in enumerate(targets):
        value = _target_value(samples[:, i], den[:, i] if (den is not None and t.per) else None)
        if not np.isfinite(value):
            total += NAN_PENALTY * t.weight
        else:
            total += t.weight * ((value - t.value) / t.tolerance) ** 2
    return float(total)


def fit_table(targets: Sequence[Target], samples: np.ndarray, den: np.ndarray | None = None) -> pd.DataFrame:
    """Per target: value, model value (mean, or pooled ratio) with its 95 % interval, error, within tolerance.

    Means get a t-interval over replicates; pooled ratios a bootstrap interval resampling replicates.
    """
    from ..experiments.compare import mean_ci
    from .stats import pooled_ratio_ci

    rows = []
    for i, t in enumerate(targets):
        if den is not None and t.per:
            mean, low, high = pooled_ratio_ci(samples[:, i], den[:, i])
            n = int(np.sum(np.isfinite(samples[:, i]) & np.isfinite(den[:, i])))
        else:
            n, mean, low, high = mean_ci(samples[:, i])
        error = mean - t.value
        rows.append({"indicator": t.label, "fact": t.fact or "synthetic", "target": t.value, "tolerance": t.tolerance, "weight": t.weight,
                     "model_mean": mean, "ci95_low": low, "ci95_high": high, "n_replicates": n,
                     "error": error, "z": error / t.tolerance,
                     "within_tolerance": "yes" if abs(error) <= t.tolerance else "no", "source": t.source})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# The optimiser and its outputs


def _distributions(spec: CalibrationSpec, base: Params) -> dict[str, Any]:
    """Optuna search spaces: integer parameters (by their type in ``base``) get integer values."""
    from optuna.distributions import FloatDistribution, IntDistribution

    values = flat_values(base)
    return {p.key: IntDistribution(int(p.low), int(p.high), log=p.log) if type(values[p.key]) is int
            else FloatDistribution(p.low, p.high, log=p.log) for p in spec.parameters}


# What a calibration's out_dir may hold: its own files only (see check_calibration_dir).
CALIBRATION_FILES = frozenset({STUDY_FILE, f"{STUDY_FILE}-journal", "fitted.json", "fit.csv", "trials.csv",
                               "report.md", ".lock"})


def check_calibration_dir(out_dir: Path) -> None:
    """Read-only, before anything runs: ``out_dir`` is new, empty, or an earlier calibration's.

    Raises:
        ParamError: it is a file, lies under one, cannot be written, holds a link or other files.
    """
    found = foreign_in_study_dir(out_dir, CALIBRATION_FILES)
    if found is not None:
        refuse_foreign(*found, "bsc_sim", "calibration")


def _finished_trials(spec: CalibrationSpec, out_dir: Path) -> int:
    """Finished trials of the study in ``out_dir`` (0 if none); refuses a study of another spec or
    a study.db that cannot be read."""
    study = load_study(out_dir, STUDY_NAME, spec.identity(), "calibration", other=OTHER_CALIBRATION)
    return 0 if study is None else sum(t.state.is_finished() for t in study.trials)


def _open_study(spec: CalibrationSpec, out_dir: Path, n_finished: int):
    """Create or load the study; the sampler is seeded from the root seed and the trials already run."""
    # A fresh sampler seed per session, so a resumed study does not re-propose its first points.
    return open_study(out_dir, STUDY_NAME, spec.identity(), "calibration", directions=["minimize"],
                      sampler=seeded_tpe(spec.seed, n_finished), other=OTHER_CALIBRATION)


def _replicate_means(targets: Sequence[Target], samples: np.ndarray, den: np.ndarray) -> dict[str, float | None]:
    """Each target's model value (mean, or pooled ratio); None where it is never defined."""
    out: dict[str, float | None] = {}
    for i, t in enumerate(targets):
        value = _target_value(samples[:, i], den[:, i] if t.per else None)
        out[t.label] = value if np.isfinite(value) else None
    return out


def _trials_frame(study, spec: CalibrationSpec) -> pd.DataFrame:
    rows = []
    for t in study.trials:
        row = {"trial": t.number, "state": t.state.name, "objective": t.value,
               **{p.key: t.params.get(p.key) for p in spec.parameters},
               **{f"mean_{k}": v for k, v in t.user_attrs.get("means", {}).items()},
               "seconds": t.duration.total_seconds() if t.duration else None,
               "error": t.user_attrs.get("error", "")}
        rows.append(row)
    return pd.DataFrame(rows)


def _report(spec: CalibrationSpec, fitted: Mapping[str, Any], fit: pd.DataFrame, n_trials: int) -> str:
    lines = [
        "# bsc_sim calibration", "",
        f"{n_trials} completed trials of Optuna TPE; each trial ran the same {spec.replicates} replicate seeds "
        f"(common random numbers, root seed {spec.seed}). Objective: sum of weight x ((mean - target) / tolerance)^2.",
        f"Base overrides: {', '.join(spec.base) or '(none)'}.", "",
        f"Best trial {fitted['best_trial']}, objective {fitted['objective']:.4g}.", "",
        "| parameter | low | high | best |", "|---|---|---|---|",
        *[f"| `{p.key}` | {p.low:g} | {p.high:g} | {fitted['parameters'][p.key]:.4g} |" for p in spec.parameters],
        "", "Fit of the best parameters, re-run with the same seeds (95 % intervals: a t-interval over "
        "replicates for a mean, a bootstrap over replicates for a pooled ratio):", "",
        "| fact | indicator | target | tolerance | model mean | 95 % CI | within tolerance | source |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {r.fact} | `{r.indicator}` | {r.target:.3g} | {r.tolerance:.3g} | {r.model_mean:.3g} | "
          f"{r.ci95_low:.3g} – {r.ci95_high:.3g} | {r.within_tolerance} | {r.source} |" for r in fit.itertuples()],
        "", "A good fit does not validate the model: the targets are few, several map loosely onto model "
        "outcomes (see the comments of the targets file), and other parameter sets may fit as well.", "",
    ]
    return "\n".join(lines)


def calibrate(spec: CalibrationSpec, out_dir: str | Path, *, executor: Executor | None = None,
              log: Callable[[str], None] | None = None, wait_for_lock: bool = False) -> CalibrationResult:
    """Run (or resume) the calibration ``spec`` in ``out_dir`` and write its report.

    Runs only the trials still missing from ``out_dir/study.db`` (``spec.trials`` is the total).
    Trials left running by an interrupted session are marked failed and not counted. ``out_dir``
    is locked while this runs: a second calibration there refuses, or waits with ``wait_for_lock``.

    Args:
        spec: what to fit (see :func:`load_spec`).
        out_dir: directory of the study and the report (created when needed).
        executor: optional ``concurrent.futures.Executor`` running each trial's replicates.
        log: called with one line per finished trial (e.g. ``print``).

    Raises:
        ParamError: a bad spec, or an ``out_dir`` holding a study of another spec or other files,
            or one that cannot be written (nothing written).
    """
    from ..experiments.lock import store_lock

    base = validate_spec(spec)
    out_dir = Path(out_dir)
    check_calibration_dir(out_dir)
    _finished_trials(spec, out_dir)  # refuses a foreign study before anything is written
    with store_lock(out_dir, wait=wait_for_lock):
        return _calibrate(spec, base, out_dir, executor, log)


def _calibrate(spec: CalibrationSpec, base: Params, out_dir: Path, executor: Executor | None,
               log: Callable[[str], None] | None) -> CalibrationResult:
    from .. import __version__
    from ..results import dumps_json
    from ..run import git_revision

    from ..experiments.pool import WorkerDied

    n_finished = _finished_trials(spec, out_dir)
    study = _open_study(spec, out_dir, n_finished)
    fail_interrupted(study, mark=False)  # left over from an interrupted session
    seeds = replicate_seeds(spec.seed, spec.replicates)
    columns = target_columns(spec.targets)
    dists = _distributions(spec, base)
    tally = TrialTally(study, spec.trials, "parameters")
    while tally.missing > 0:
        trial = study.ask(dists)
        values = {k: trial.params[k] for k in dists}
        t0 = time.perf_counter()
        try:
            samples, den = split_columns(spec.targets, evaluate(base, values, seeds, columns, executor))
        except (ParamError, WorkerDied) as exc:  # an invalid combination of valid values; a worker died
            tally.fail(trial, error_text(exc))
            tally.refuse_if_failing(exc)
            continue
        value = objective(spec.targets, samples, den)
        trial.set_user_attr("means", _replicate_means(spec.targets, samples, den))
        tally.tell(trial, value)
        if log:
            log(f"trial {trial.number}: objective {value:.4g} (best {study.best_value:.4g}) "
                f"[{tally.complete}/{spec.trials}, {time.perf_counter() - t0:.1f} s]")
    n_complete, n_new = tally.complete, tally.new

    best = study.best_trial
    best_values = {k: best.params[k] for k in dists}
    samples, den = split_columns(spec.targets, evaluate(base, best_values, seeds, columns, executor))
    fit = fit_table(spec.targets, samples, den)
    trials = _trials_frame(study, spec)
    fitted = {
        "parameters": best_values, "objective": best.value, "objective_rerun": objective(spec.targets, samples, den),
        "best_trial": best.number, "n_trials_complete": n_complete, "n_trials_total": len(study.trials),
        "replicates": spec.replicates, "seed": spec.seed, "replicate_seeds": seeds,
        "base": list(spec.base), "free_parameters": [asdict(p) for p in spec.parameters],
        "targets": [asdict(t) for t in spec.targets],
        "study": {"name": STUDY_NAME, "storage": STUDY_FILE, "sampler": "TPESampler"},
        "package": "bsc_sim", "version": __version__, "git_revision": git_revision(),
    }
    outputs = {
        "fitted.json": lambda p: p.write_text(dumps_json(fitted)),
        "fit.csv": lambda p: fit.to_csv(p, index=False),
        "trials.csv": lambda p: trials.to_csv(p, index=False),
        "report.md": lambda p: p.write_text(_report(spec, fitted, fit, n_complete)),
    }
    for name, write in outputs.items():
        atomic_write(out_dir / name, write)
    return CalibrationResult(best=best_values, objective=float(best.value), best_trial=best.number,
                             n_trials=n_complete, n_new=n_new, fit=fit, trials=trials, out_dir=out_dir,
                             written=[*outputs, STUDY_FILE])


# ----------------------------------------------------------------------------------------------
# Command line

SETTINGS = {
    "targets": "targets file (YAML; default: configs/calibration/default.yaml)",
    "trials": "completed trials wanted in total; a re-run adds only the missing ones (default: file's, else 40)",
    "replicates": "seeds per trial, the same for every trial (default: file's, else 4)",
    "seed": "root seed of the replicate seeds and the sampler (default: file's, else 0)",
    "out_dir": "where study.db and the report go (default: outputs/calibration)",
    **RUN_SETTINGS,
}


def _usage() -> str:
    from .optuna_study import help_text

    return help_text([
        "usage: bsc-sim calibrate [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "",
        "Fit the free parameters of a targets file to its target indicators with Optuna (TPE), every",
        "trial running the same replicate seeds; resumable. Writes fitted.json, fit.csv, trials.csv,",
        "report.md and study.db to out_dir.", "",
        "  bsc-sim calibrate targets=configs/calibration/default.yaml trials=60 replicates=8 \\",
        "                    out_dir=outputs/calibration executor=processes",
        "", "method=abc | method=screen | check=reidentify: the Bayesian calibration instead (ABC-SMC posterior,",
        "Morris screen, re-identification check): bsc-sim calibrate method=abc --help",
    ], SETTINGS, [
        "Any other KEY=VALUE is a model override (Hydra syntax) added to the file's base overrides.",
        "out_dir must be new, empty or an earlier calibration's; any path works (spaces, '?', '%').",
    ])


def _default_targets() -> Path:
    from ..config import config_dir

    return config_dir() / "calibration" / "default.yaml"


def _parse(argv: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    from ..experiments.cli import parse_settings

    return parse_settings(argv, SETTINGS, command="calibrate")


def cmd_calibrate(argv: list[str]) -> int:
    """``bsc-sim calibrate [KEY=VALUE ...]``: run or resume a calibration; 2 on bad input.

    With ``method=abc``, ``method=screen`` or ``check=reidentify`` it is the Bayesian calibration
    (:func:`bsc_sim.analysis.abc_cli.cmd_abc`); ``method=optuna`` (or no method) is the point fit.
    """
    argv = list(argv)
    if any(a.startswith(("method=abc", "method=screen", "method=docs", "check=")) for a in argv):
        from .abc_cli import cmd_abc

        return cmd_abc(argv)
    argv = [a for a in argv if a != "method=optuna"]
    from .optuna_study import search_command

    return search_command("calibrate", argv, _usage, _run, _show, kept="completed trials are saved in study.db")


def _run(argv: Sequence[str]) -> CalibrationResult:
    from .optuna_study import run_search

    settings, overrides = _parse(argv)
    for key in ("trials", "replicates", "seed", "executor.workers"):
        if key in settings and settings[key] is not None:
            whole_number(settings[key], key, 0 if key == "seed" else 1)
    out_dir = Path(settings.get("out_dir") or "outputs/calibration")
    check_calibration_dir(out_dir)  # first, before the spec is read
    spec = load_spec(settings.get("targets") or _default_targets(), overrides=overrides,
                     trials=settings.get("trials"), replicates=settings.get("replicates"),
                     seed=settings.get("seed"))
    base = validate_spec(spec)  # before a worker pool starts
    return run_search(calibrate, spec, out_dir, settings, base)


def _show(result: CalibrationResult) -> None:
    print(f"\n{result.n_new} new trials, {result.n_trials} in total; best trial {result.best_trial}, "
          f"objective {result.objective:.4g}")
    for key, value in result.best.items():
        print(f"  {key} = {value:.4g}")
    print(result.fit[["indicator", "target", "model_mean", "ci95_low", "ci95_high", "within_tolerance"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwrote {result.out_dir}/: {', '.join(result.written)}")
