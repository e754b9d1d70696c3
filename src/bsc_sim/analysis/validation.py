"""Registered validation: does the model reproduce what is known, without having been fitted to it?

``bsc-sim validate`` judges the facts registered in ``configs/validation/facts.yaml`` (see
:mod:`.facts`): each fact's role (``calibration``: used to fit; ``validation``: never used to fit),
source, model quantity and criterion were committed there before any fitting. The command runs
every design the facts need, ``replications`` times each, on common replicate seeds through the
experiment runner, with each replicate's parameters taken from a *draws source*:

* ``draws=posterior`` (the default when ``configs/posterior/draws.csv`` exists): the posterior
  predictive, every replicate running one world of the calibrated posterior, picked by weight from
  its seed exactly as ``uncertainty=posterior`` picks it elsewhere (the same world for the same
  seed in every design);
* ``draws=prior`` (the default when there is no posterior, and the output then says so): the prior
  predictive, every replicate drawing the uncertain parameters from an uncertainty file
  (``configs/uncertainty/default.yaml``, as ``uncertainty=parameters`` does elsewhere);
* ``draws=PATH.csv`` or ``.parquet``: another table of draws (one column per dotted parameter key,
  an optional ``weight`` column), one draw per replicate, picked the same way;
* ``draws=none``: the defaults, seed noise only (a debugging aid; says so in the output).

Each fact's statistic is a ratio of pooled sums over its design's runs; it PASSES when it lies in
the registered range. Calibration targets and validation facts are reported apart: agreement
with a calibration target shows the fit, not validity. A miss is reported as FAIL; nothing is
tuned to pass (pattern-oriented modelling, [grimm2005]). Directions the code guarantees by
construction are verification tests (``tests/verification/test_directions.py``), not facts.

Outputs: ``facts.csv`` in ``out_dir`` (columns ``fact, role, source, model, criterion, result``,
then the numbers behind them) and, with ``doc=docs/validation.md``, the Markdown page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..experiments.specs import RunSpec, replicate_seeds
from ..paramtools import ParamError
from .facts import Fact, evaluate_fact, load_facts

__all__ = ["DrawSource", "PriorDraws", "PosteriorDraws", "NoDraws", "open_draws", "validation_specs", "score",
           "render", "render_registered", "cmd_validate", "FACTS_COLUMNS", "VERIFICATION"]

FACTS_COLUMNS = ["fact", "role", "source", "model", "criterion", "result"]
# Directions the code guarantees: tested, not counted as validation (see the module docstring).
VERIFICATION = (
    ("Higher readiness brings more improvement", "readiness enters as multipliers of the form 0.5 + x",
     "tests/verification/test_directions.py::test_higher_readiness_brings_more_improvement"),
    ("Higher staff turnover lowers sustainment", "leavers take their practice with them; newcomers start without it",
     "tests/verification/test_directions.py::test_higher_turnover_lowers_sustainment"),
    ("Removing cross-programme learning lowers improvement", "it only adds channels that raise beliefs, fit and cycling",
     "tests/verification/test_directions.py::test_removing_cross_programme_learning_lowers_improvement"),
)


# -- draws sources ---------------------------------------------------------------------------------
class DrawSource(Protocol):
    """Where each replicate's parameters come from (the predictive distribution facts are judged on)."""

    name: str

    def apply(self, specs: Sequence[RunSpec]) -> list[RunSpec]: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoDraws:
    name: str = "none (defaults, seed noise only)"

    def apply(self, specs: Sequence[RunSpec]) -> list[RunSpec]:
        return list(specs)

    def describe(self) -> dict[str, Any]:
        return {"draws": "none"}


@dataclass(frozen=True)
class PriorDraws:
    """The prior predictive: each replicate draws the uncertain parameters of an uncertainty file."""

    uncertainty: Any  # experiments.uncertainty.Uncertainty
    note: str = ""    # why the prior, when it was not asked for (no calibrated posterior)

    @property
    def name(self) -> str:
        note = f"; {self.note}" if self.note else ""
        return f"prior predictive (uncertain parameters drawn from {Path(self.uncertainty.path).name}{note})"

    def apply(self, specs: Sequence[RunSpec]) -> list[RunSpec]:
        from ..experiments.uncertainty import apply_uncertainty

        return apply_uncertainty(specs, self.uncertainty)

    def describe(self) -> dict[str, Any]:
        return {"draws": "prior", **self.uncertainty.describe(), **({"draws_note": self.note} if self.note else {})}


@dataclass(frozen=True)
class PosteriorDraws:
    """Posterior draws from a table: replicate seed -> one row (weighted if there is a ``weight`` column)."""

    path: str
    table: pd.DataFrame
    calibrated: bool = False  # the shipped posterior (configs/posterior/draws.csv)

    @property
    def name(self) -> str:
        what = "the calibrated posterior, " if self.calibrated else ""
        return f"posterior predictive ({what}{len(self.table)} draws from {Path(self.path).name})"

    def row(self, seed: int) -> dict[str, Any]:
        """The draw of replicate ``seed``: the row :class:`~bsc_sim.experiments.uncertainty.Posterior`
        picks (the world ``uncertainty=posterior`` runs for the same seed)."""
        from ..experiments.uncertainty import Posterior

        values = self.table.drop(columns=["weight"], errors="ignore")
        w = self.table["weight"].to_numpy(dtype=np.float64) if "weight" in self.table else np.ones(len(values))
        i = Posterior(values, w / w.sum(), self.path).row_of(seed)
        return {k: v.item() if hasattr(v, "item") else v for k, v in values.iloc[i].items()}

    def apply(self, specs: Sequence[RunSpec]) -> list[RunSpec]:
        from ..experiments.specs import params_with

        out = []
        for spec in specs:
            world = self.row(spec.seed)
            try:
                params = params_with(spec.params, world)
            except ParamError as exc:
                raise ParamError(f"draws = {self.path!r} (run {spec.run_id}): {exc}") from None
            out.append(replace(spec, params=params, labels={**spec.labels, **world}))
        return out

    def describe(self) -> dict[str, Any]:
        return {"draws": "posterior", "draws_file": self.path, "n_draws": len(self.table),
                "calibrated_posterior": self.calibrated}


def open_draws(setting: str | None, uncertainty: str | None = None) -> DrawSource:
    """``posterior`` (``configs/posterior/draws.csv``; the default when it exists), ``prior`` (the
    default otherwise, saying so; ``uncertainty`` names another uncertainty file), ``none``, or a
    path to a table of posterior draws (.csv or .parquet).

    Raises:
        ParamError: an unknown setting, a missing or empty table, a bad weight column, or a column
            that is not a parameter.
    """
    from ..experiments.uncertainty import default_posterior_file, load_posterior, load_uncertainty

    note = ""
    if setting is None:
        posterior = default_posterior_file()
        if uncertainty is None and posterior.is_file():
            setting = "posterior"
        else:
            setting = "prior"
            if uncertainty is None:
                note = f"no calibrated posterior at {posterior}, so the prior"
    setting = str(setting)
    if setting == "posterior":
        if uncertainty is not None:
            raise ParamError(f"uncertainty = {uncertainty!r}: only with draws=prior")
        if not default_posterior_file().is_file():
            raise ParamError(f"draws = posterior: no calibrated posterior at {default_posterior_file()}; "
                             "give draws=prior (the prior predictive)")
        post = load_posterior()  # a broken file: one line naming it
        return PosteriorDraws(post.path, pd.read_csv(post.path), calibrated=True)
    if setting == "prior":
        return PriorDraws(load_uncertainty(uncertainty), note)
    if uncertainty is not None:
        raise ParamError(f"uncertainty = {uncertainty!r}: only with draws=prior")
    if setting == "none":
        return NoDraws()
    path = Path(setting)
    shown = f"draws = {setting!r}"
    if path.suffix not in (".csv", ".parquet"):
        raise ParamError(f"{shown}: expected posterior, prior, none, or a .csv/.parquet file of posterior draws")
    if not path.is_file():
        raise ParamError(f"{shown}: file not found")
    try:
        table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable table is bad input
        raise ParamError(f"{shown}: cannot be read ({type(exc).__name__}: {exc})") from None
    if table.empty:
        raise ParamError(f"{shown}: holds no draws")
    if "weight" in table:
        w = table["weight"].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ParamError(f"{shown}: weight must be finite, >= 0 and not all 0")
    from ..config import known_keys

    known = known_keys()
    bad = [c for c in table.columns if c != "weight" and c not in known]
    if bad:
        raise ParamError(f"{shown}: column {bad[0]!r} is not a parameter")
    return PosteriorDraws(str(path), table)


# -- runs ------------------------------------------------------------------------------------------
def groups_of(facts: Sequence[Fact]) -> dict[str, tuple[str, ...]]:
    """Run groups (design + overrides) the facts need, in the facts' order: name -> overrides."""
    out: dict[str, tuple[str, ...]] = {}
    for f in facts:
        out.setdefault(f.model.group, (f"design={f.model.design}", *f.model.overrides))
    return out


def validation_specs(replications: int, seed: int, facts: Sequence[Fact], draws: DrawSource) -> list[RunSpec]:
    """Every group the facts need x ``replications``, on common replicate seeds, with the draws applied."""
    from ..config import load_params

    seeds = replicate_seeds(seed, replications)
    specs = []
    for g, (name, overrides) in enumerate(groups_of(facts).items()):
        params = load_params(list(overrides))
        for r in range(replications):
            specs.append(RunSpec(f"g{g}/r{r:04d}", len(specs), params, seeds[r], {"group": name, "replicate": r}))
    return draws.apply(specs)


# -- scoring and rendering -------------------------------------------------------------------------
def _pct(v: float) -> str:
    return "undefined" if not np.isfinite(v) else f"{100 * v:.0f}%"


def score(results: pd.DataFrame, facts: Sequence[Fact], draws_name: str = "") -> pd.DataFrame:
    """One row per fact: the six columns of facts.csv, then the numbers behind them."""
    rows = []
    for f in facts:
        runs = results[results["group"] == f.model.group]
        v = evaluate_fact(f, runs)
        model = (f"{_pct(v['value'])} [{_pct(v['ci_low'])}, {_pct(v['ci_high'])}]; runs: 90% between "
                 f"{_pct(v['run_p05'])} and {_pct(v['run_p95'])} ({v['n_runs']} runs)")
        crit = f.criterion.text()
        if f.target is not None:
            crit += f" (target {f.target[0]:g} +/- {f.target[1]:g})"
        rows.append({"fact": f.id, "role": f.role, "source": f.source, "model": model, "criterion": crit,
                     "result": v["result"], "statement": f.statement, "quantity": f.model.describe(),
                     "reads": f.model.reads, "why": f.why, "value": v["value"], "ci_low": v["ci_low"],
                     "ci_high": v["ci_high"], "run_p05": v["run_p05"], "run_p95": v["run_p95"],
                     "n_runs": v["n_runs"], "low": f.criterion.low, "high": f.criterion.high, "draws": draws_name})
    return pd.DataFrame(rows)


def _table(rows: pd.DataFrame) -> list[str]:
    out = ["| fact | source | model: pooled value [95% CI]; spread over runs | criterion | result |",
           "|---|---|---|---|---|"]
    out += [f"| **{r.fact}**: {r.statement} ({r.reads}) | {r.source} | {r.model} | {r.criterion}. {r.why} | **{r.result}** |"
            for r in rows.itertuples()]
    return out


def _intro() -> list[str]:
    return [
        "# Validation against registered facts", "",
        "Generated by `bsc-sim validate` (do not edit by hand). Every fact, its role, source, model "
        "quantity and criterion are registered in `configs/validation/facts.yaml`, committed before any "
        "fitting (git: \"Register validation facts before fitting\"). **Validation facts** are never used "
        "to fit; **calibration targets** are what `bsc-sim calibrate` fits, so agreement with them shows "
        "the fit, not validity. A fact's statistic is a ratio of pooled sums over its design's runs (one "
        "pooled population of programmes, staff or cycles), with a 95% bootstrap interval that resamples "
        "runs; the spread over runs (5th-95th percentile of per-run ratios) shows the predictive spread. "
        "A FAIL is reported, never tuned away; sources are keys of [references.md](references.md).", "",
    ]


def _verification() -> list[str]:
    lines = ["## Moved to verification (not counted)", "",
             "These directions hold by construction, so the model reproducing them says nothing about "
             "the world; they are tests that the code does what it says:", ""]
    lines += [f"- {what}: {why} (`{test}`)." for what, why, test in VERIFICATION]
    return lines


def render(table: pd.DataFrame, meta: dict[str, Any]) -> str:
    val, cal = table[table["role"] == "validation"], table[table["role"] == "calibration"]
    lines = _intro() + [
        f"Run: bsc_sim {meta['version']} at git {meta['git_revision']}; draws: {meta['draws']}; "
        f"{meta['replications']} replicates per design, root seed {meta['seed']}; {meta['n_runs']} runs.", "",
        f"**Validation: {int((val['result'] == 'PASS').sum())} of {len(val)} facts pass** "
        f"(calibration targets: {int((cal['result'] == 'PASS').sum())} of {len(cal)} within range).", "",
        "## Validation facts (never fitted)", "", *_table(val), "",
        "## Calibration targets (used to set parameters)", "", *_table(cal), "", *_verification(), "",
        f"Re-run: `{meta['command']}`", ""]
    return "\n".join(lines)


def render_registered(facts: Sequence[Fact], command: str) -> str:
    """The page before any results exist: the registered facts and criteria only."""
    def rows(role: str) -> list[str]:
        out = ["| fact | source | model quantity | criterion |", "|---|---|---|---|"]
        for f in facts:
            if f.role == role:
                crit = f.criterion.text() + (f" (target {f.target[0]:g} +/- {f.target[1]:g})" if f.target else "")
                out.append(f"| **{f.id}**: {f.statement} ({f.model.reads}) | {f.source} | {f.model.describe()} | {crit}. {f.why} |")
        return out
    return "\n".join(_intro() + [
        "**No results yet for the registered facts.** The model is being changed (issue 18); the table "
        f"is regenerated with `{command}`.", "",
        "## Validation facts (never fitted)", "", *rows("validation"), "",
        "## Calibration targets (used to set parameters)", "", *rows("calibration"), "", *_verification(), ""])


def _check_doc(doc: Path) -> None:
    """Before any run: the table's file can be written (not a directory, not under a file)."""
    import os

    from ..results import _nearest_existing

    shown = f"doc = {str(doc)!r}"
    if doc.is_dir():
        raise ParamError(f"{shown}: is a directory; give the path of a Markdown file")
    if doc.suffix.lower() not in (".md", ".markdown"):
        raise ParamError(f"{shown}: expected a Markdown file (.md)")
    base = _nearest_existing(doc.parent)
    if not base.is_dir():
        raise ParamError(f"{shown}: lies under {str(base)!r}, which is a file, not a directory")
    if not os.access(doc if doc.exists() else base, os.W_OK):
        raise ParamError(f"{shown}: {str(doc if doc.exists() else base)!r} is not writable")


REGENERATE = "uv run bsc-sim validate replications=100 doc=docs/validation.md executor=processes"


def _print(table: pd.DataFrame, draws: str) -> None:
    for role, title in (("validation", f"validation facts (never fitted), judged on the {draws}"),
                        ("calibration", "calibration targets (fitted: agreement shows the fit, not validity)")):
        sub = table[table["role"] == role]
        print(f"\n{title}: {int((sub['result'] == 'PASS').sum())} of {len(sub)} pass")
        for r in sub.itertuples():
            print(f"  {r.result}  {r.fact}: {r.model}; criterion {r.criterion}")


def cmd_validate(argv: Sequence[str]) -> int:
    """``bsc-sim validate [replications=100] [seed=0] [draws=prior] [facts=...] [doc=...] [executor...]``."""
    from .. import __version__
    from ..exits import DONE, EXIT_HELP, RUNS_FAILED, guarded
    from ..experiments.cli import EXECUTOR_KEYS, _int, parse_settings, run_options
    from ..experiments.runner import run_experiment
    from ..experiments.store import atomic_write
    from ..run import git_revision

    own = {"replications": "replicates (draws) of every design the facts need (default 100)",
           "seed": "root seed (default 0)",
           "draws": "posterior (default when configs/posterior/draws.csv exists: the posterior predictive, one "
                    "calibrated world per replicate) | prior (the default otherwise, and said so: parameters drawn "
                    "from the uncertainty file) | PATH.csv/.parquet (other draws, one per replicate) | none "
                    "(defaults, seed noise only)",
           "uncertainty": "with draws=prior: the uncertainty file (default configs/uncertainty/default.yaml)",
           "facts": "the registered facts file (default configs/validation/facts.yaml)",
           "doc": "also write the Markdown page to this file, e.g. doc=docs/validation.md (default: not written)",
           **EXECUTOR_KEYS}
    if any(a in ("-h", "--help") for a in argv):
        width = max(map(len, own))
        print("usage: bsc-sim validate [KEY=VALUE ...]\n\nJudge the registered facts (configs/validation/facts.yaml): "
              "run every design they need on the chosen draws,\nwrite facts.csv (fact, role, source, model, criterion, "
              "result) to out_dir (default outputs/validation),\nvalidation facts and calibration targets reported "
              "apart; the Markdown page only when asked: doc=docs/validation.md.\n\nSettings:\n"
              + "\n".join(f"  {k:<{width}}  {v}" for k, v in own.items()) + f"\n\n{EXIT_HELP}")
        return DONE

    def body() -> int:
        settings, _ = parse_settings(argv, own, overrides_allowed=False, command="validate")
        reps = _int(settings, "replications", 100)
        seed = _int(settings, "seed", 0)
        if reps < 2:
            raise ParamError(f"replications = {reps}: need at least 2 for intervals")
        doc = Path(settings["doc"]) if settings.get("doc") else None
        if doc is not None:
            _check_doc(doc)
        out_dir = Path(settings.get("out_dir") or "outputs/validation")
        from ..experiments.store import ExperimentStore

        ExperimentStore(out_dir).check_location()  # first: reading the facts runs a tiny probe model
        facts = load_facts(settings.get("facts"))
        draws = open_draws(None if settings.get("draws") is None else str(settings["draws"]),
                           None if settings.get("uncertainty") is None else str(settings["uncertainty"]))
        specs = validation_specs(reps, seed, facts, draws)
        run = run_experiment(specs, out_dir, description={"kind": "validate", "replications": reps, "seed": seed,
                                                          "facts": [f.id for f in facts], **draws.describe()},
                             **run_options(settings))
        print(run.report())
        if not run.ok:
            return RUNS_FAILED
        table = score(run.results, facts, draws.name)
        meta = {"version": __version__, "git_revision": git_revision(), "replications": reps, "seed": seed,
                "n_runs": len(specs), "draws": draws.name,
                "command": "uv run bsc-sim validate " + " ".join(a for a in argv if not a.startswith(("out_dir=", "progress=")))}
        atomic_write(out_dir / "facts.csv", lambda p: table.to_csv(p, index=False))
        if doc is not None:
            atomic_write(doc, lambda p: p.write_text(render(table, meta)))
        _print(table, draws.name)
        print(f"\nwrote {out_dir / 'facts.csv'}" + (f" and {doc}" if doc is not None else ""))
        return DONE

    return guarded("validate", body)
