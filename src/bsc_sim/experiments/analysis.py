"""The three experiments end to end: specs -> runner -> store -> tables and figures in ``out_dir``.

Each function returns the :class:`ExperimentRun` and the names of the files it wrote. Analysis
files are written only from complete results (every run done); with failures, the results so far
are kept in the store and the analysis waits for a re-run that completes them. The store stays
locked from the first check to the last file, and the analysis appears as a complete set of
tables and figures or not at all (:func:`~.store.publish_analysis`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..cost_effectiveness import DEFAULT_EFFECT, DEFAULT_WTP, EFFECTS
from ..palette import outcome_label
from ..paramtools import ParamError
from .compare import (
    KEY_OUTCOMES,
    PER_RUN_RATIOS,
    comparison_specs,
    curve_bands,
    expand_own_labels,
    own_cohort_references,
    summarize_comparison,
)
from .designs import DEFAULT_REFERENCE, matching_reference, resolve_designs
from .design import ExperimentConfig, point_values, summary_outcomes, sweep_specs
from .executors import ExecutorSpec
from .runner import ExperimentRun, check_before_writing, run_experiment
from .sensitivity import SensitivityProblem, analyze, n_runs, row_outcomes, sample, sensitivity_specs
from .lock import store_lock
from .store import publish_analysis
from .uncertainty import DEFAULT as DEFAULT_UNCERTAINTY
from .uncertainty import DRAWN, intervals_note, with_uncertainty

__all__ = ["run_comparison", "run_sweep", "run_sensitivity"]


def _csv(df: pd.DataFrame) -> Callable[[Path], object]:
    return lambda p: df.to_csv(p, index=False)


def _figures():
    """The plotting module, imported when an analysis is drawn (matplotlib costs start-up time)."""
    from . import figures

    return figures


def _figure(fig) -> Callable[[Path], object]:
    def write(path: Path) -> None:
        import matplotlib.pyplot as plt

        fig.savefig(path, dpi=110, format=path.suffix.lstrip("."))
        plt.close(fig)

    return write


FIGURES = "bsc_sim.experiments.figures"


def _drawn(pool, job: tuple[str, str, tuple, dict]) -> Callable[[Path], object]:
    """The writer of a figure job (:mod:`.render`): drawn now, here, without a pool; with one, handed
    to an idle worker at once (the workers draw side by side while this process goes on with the
    tables) and its PNG written when the analysis is published."""
    if pool is None:
        from .render import figure

        return _figure(figure(*job))
    from .runner import call

    future = pool.submit(call, "bsc_sim.experiments.render", "png", *job)
    return lambda path: path.write_bytes(future.result())


@contextmanager
def _experiment(specs: Sequence, out_dir: Path, description: dict, *, executor: ExecutorSpec | None,
                progress: bool, checkpoint_every: int | None, wait_for_lock: bool, memory_limit: int | str | None,
                overwrite: bool, pool=None) -> Iterator[ExperimentRun]:
    """Refuse a bad ``out_dir`` or too large runs read-only, then hold the store's lock through the
    runs and the analysis done in the block (on ``pool`` if one is open already)."""
    check_before_writing(specs, out_dir, executor or ExecutorSpec(), memory_limit, overwrite=overwrite)
    with store_lock(out_dir, wait=wait_for_lock):
        yield run_experiment(specs, out_dir, executor=executor, description=description, progress=progress,
                             checkpoint_every=checkpoint_every, memory_limit=memory_limit, overwrite=overwrite,
                             pool=pool)


@contextmanager
def _local_pool(specs: Sequence, out_dir: Path, executor: ExecutorSpec | None, overwrite: bool) -> Iterator:
    """The local worker pool, opened here when runs are left to do, so that the analysis can also ask
    its workers (which have the model imported) instead of importing the model in this process;
    None for the serial and Dask executors and for a finished store (no workers needed)."""
    from .store import ExperimentStore

    executor = executor or ExecutorSpec()
    if executor.kind != "processes" or len(ExperimentStore(out_dir).check(specs, overwrite=overwrite)) == len(specs):
        yield None
        return
    from .executors import open_executor

    with open_executor(executor) as pool:
        yield pool


def _calendar_marks(pool, params: Sequence) -> Callable[[], tuple[list[int], int | None]]:
    """Sessions and end week shared by ``params`` (see :func:`.worker.calendar_marks`): asked of a
    worker of ``pool`` at once (it answers while runs go on), else computed here when needed."""
    if pool is None:
        def here():
            from .worker import calendar_marks

            return calendar_marks(params)

        return here
    from .runner import call

    future = pool.submit(call, "bsc_sim.experiments.worker", "calendar_marks", list(params))
    return future.result


STORE_FILES = ["results.parquet", "curves.parquet", "runs.parquet", "manifest.json", "experiment.json", "specs.parquet"]


@contextmanager
def _compose_once() -> Iterator[None]:
    """Within one ``compare``, each set of overrides is composed by Hydra once (about 0.3 s a time):
    the statewide check, the pairing by cohort and the specs all ask :meth:`.designs.Design.params`
    for the same parameters. Params are frozen, so sharing them is safe; errors are not kept."""
    from . import designs as module

    original = module.load_params
    cache: dict[tuple[str, ...], object] = {}

    def load(overrides=None):
        key = tuple(overrides or ())
        if key not in cache:
            cache[key] = original(list(key))
        return cache[key]

    module.load_params = load
    try:
        yield
    finally:
        module.load_params = original


def check_ce_settings(wtp: float, effect: str) -> None:
    """One-line errors for a willingness to pay or a decision effect that cannot be used."""
    if isinstance(wtp, bool) or not isinstance(wtp, (int, float)) or not wtp >= 0 or wtp == float("inf"):
        raise ParamError(f"wtp = {wtp!r}: a willingness to pay in US dollars per unit of effect, >= 0 (e.g. 20000)")
    if effect not in EFFECTS:
        raise ParamError(f"effect = {effect!r}: one of {', '.join(EFFECTS)}")


def run_comparison(designs: Sequence[str], replications: int, seed: int, out_dir: str | Path, *,
                   overrides: Sequence[str] = (), reference: str | None = DEFAULT_REFERENCE,
                   wtp: float = DEFAULT_WTP, effect: str = DEFAULT_EFFECT, cross: dict | None = None,
                   executor: ExecutorSpec | None = None, progress: bool = True,
                   checkpoint_every: int | None = None, verbose: bool = True, wait_for_lock: bool = False,
                   memory_limit: int | str | None = "available", overwrite: bool = False,
                   uncertainty: str | None = DEFAULT_UNCERTAINTY, max_designs: int | None = None,
                   budget: float | None = None) -> tuple[ExperimentRun, list[str]]:
    """Run ``designs`` on common seeds and measure them against ``reference``.

    ``designs`` are names, design files or inline variants (:mod:`.designs`), crossed with the
    values of ``cross`` if given; the reference is run too (first) if it is not among them, and
    ``reference=None`` measures against the first design without cost-effectiveness. Writes
    ``comparison.csv``, ``cost_effectiveness.csv`` (the decision table), ``acceptability.csv``
    (curves and frontier), ``switch_prices.csv``, ``designs.csv`` and the figures, with the net
    monetary benefit at ``wtp`` dollars per unit of ``effect``, and with ``budget`` (US dollars)
    ``budget.csv``: what it buys of each design. A design whose cohort differs from the
    reference's is measured against the reference run with its cohort (:func:`.own_cohort_references`).
    ``uncertainty`` (default ``posterior``: one calibrated world per replicate, the same for every
    design; ``parameters`` or a file: the prior ranges; ``none``: seed noise only) says what the
    replicates vary. ``best.csv`` gives the chance that each design is best on the effect and on net
    benefit at ``wtp``; with drawn worlds ``flips.csv`` says in what share of them the leader beats
    each other design and which drawn parameters flip that (:func:`.ce_outputs.flip_outputs`).
    """
    out_dir = Path(out_dir)
    check_ce_settings(wtp, effect)
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget < float("inf")):
        raise ParamError(f"budget = {budget!r}: a budget in US dollars, > 0 (e.g. 500000)")
    designs, reference = expand_own_labels(designs, reference)  # a listed file may be varied by its label
    with _compose_once():
        reference = matching_reference(designs, reference, overrides)
        resolved, ref_label = resolve_designs(designs, reference, cross, replications=replications,
                                              max_designs=max_designs)  # refuses too many before setting them up
        pairs: dict[str, str] = {}
        if ref_label is not None:  # designs of another cohort get a business-as-usual world of their own cohort
            extra, pairs = own_cohort_references(resolved, ref_label, overrides)
            resolved = [*resolved, *extra]
        specs = comparison_specs(resolved, replications, seed, overrides)
    labels = [d.label for d in resolved]
    description = {"kind": "compare", "designs": labels, "replications": replications, "seed": seed,
                   "overrides": list(overrides), "reference": ref_label, "design_refs": [d.ref for d in resolved]}
    if pairs:
        description["pairs"] = pairs
    specs, description = with_uncertainty(specs, description, uncertainty, overrides=overrides)
    # What one run is, in the words of every table and figure: a cohort, or a whole state.
    description["scope"] = "state" if specs[0].params.system.enabled else "cohort"
    options = dict(executor=executor, progress=progress, checkpoint_every=checkpoint_every,
                   wait_for_lock=wait_for_lock, memory_limit=memory_limit, overwrite=overwrite)
    if verbose and ref_label is not None and ref_label not in [str(d) for d in designs]:
        print(f"measuring against {ref_label}, added to the designs and run on the same seeds "
              f"({'the default reference; ' if reference == DEFAULT_REFERENCE else ''}choose another with reference=NAME)")
    if verbose:
        for design, own in pairs.items():
            print(f"{design} runs another cohort than {ref_label}: measured against {own} (its own cohort, "
                  "the same seeds)")
    with _local_pool(specs, out_dir, executor, overwrite) as pool, \
            _experiment(specs, out_dir, description, pool=pool, **options) as run:
        # Mark sessions and the end only where every design shares them (business as usual has none).
        marks = _calendar_marks(pool, [specs[d * replications].params for d in range(len(resolved))])
        written = list(STORE_FILES)
        if not run.ok:
            return run, written
        outcomes = [o for o in summary_outcomes() if o in run.results and o not in PER_RUN_RATIOS]
        comparison = summarize_comparison(run.results, outcomes, labels, reference=ref_label, pairs=pairs)
        sessions, end_week = marks()
        bands = curve_bands(run.curves, run.results[["run_id", "design"]])
        files = {
            "comparison.csv": _csv(comparison.assign(uncertainty=description["uncertainty"],
                                                     intervals=intervals_note(description["uncertainty"]))),
            "results.csv": _csv(run.results),
            "designs.csv": _csv(pd.DataFrame([d.describe() for d in resolved])),
            "differences.png": _drawn(pool, (FIGURES, "plot_differences", (comparison, KEY_OUTCOMES), {})),
            "adoption_curves.png": _drawn(pool, (FIGURES, "plot_curve_bands", (bands,), dict(
                session_weeks=sessions, end_week=end_week,
                title=f"Classrooms reached over time ({replications} replicates per design)"))),
        }
        ce = None
        if ref_label is not None:
            from .ce_outputs import cost_effectiveness_outputs

            ce = cost_effectiveness_outputs(run.results, ref_label, wtp=wtp, effect=effect,
                                            uncertainty=description.get("uncertainty"), scope=description["scope"],
                                            pairs=pairs, budget=budget)
            files["cost_effectiveness.csv"] = _csv(ce.table)
            files["acceptability.csv"] = _csv(ce.curve)
            files["switch_prices.csv"] = _csv(ce.switches)
            if ce.budget is not None:
                files["budget.csv"] = _csv(ce.budget)
            files.update({name: _drawn(pool, job) for name, job in ce.figure_jobs().items()})
        from .ce_outputs import flip_outputs, flips_table, ranking_outputs

        ranking = ranking_outputs(run.results, labels, effect=effect, uncertainty=description["uncertainty"],
                                  table=ce.table if ce is not None else None)
        if ranking is not None:
            files["best.csv"] = _csv(ranking.table())
        flipped = None
        if description["uncertainty"] in DRAWN:  # each replicate one drawn world: what flips the ranking
            flipped = flip_outputs(run.results, labels, list(description.get("uncertain_parameters", {})),
                                   effect=effect, table=ce.table if ce is not None else None, ranking=ranking)
            if flipped:
                files["flips.csv"] = _csv(flips_table(flipped))
        written += publish_analysis(out_dir, files)
    if verbose:
        from .ce_outputs import format_comparison, format_cost_effectiveness, format_flips

        print(format_comparison(comparison, KEY_OUTCOMES))
        if ce is not None and len(labels) > 1:
            print()
            print(format_cost_effectiveness(ce))
        if ranking is not None:
            from .ce_outputs import format_ranking

            print()
            print(format_ranking(ranking))
        if flipped:
            print()
            print(format_flips(flipped, effect))
        elif description["uncertainty"] == "none":
            from .ce_outputs import CONSOLE_WIDTH
            from .uncertainty import seed_only_note

            print("\n" + textwrap.fill(seed_only_note()[0].upper() + seed_only_note()[1:] + "; which assumptions flip "
                                       "the ranking is not known from this run", CONSOLE_WIDTH, initial_indent="  ",
                                       subsequent_indent="    "))
    return run, written


def run_sweep(cfg: ExperimentConfig, out_dir: str | Path, *, overrides: Sequence[str] = (),
              executor: ExecutorSpec | None = None, progress: bool = True,
              checkpoint_every: int | None = None, wait_for_lock: bool = False,
              memory_limit: int | str | None = "available", overwrite: bool = False,
              uncertainty: str | None = None, verbose: bool = True) -> tuple[ExperimentRun, list[str]]:
    """Grid or Latin-hypercube sweep: one long table (``results.csv``), a figure per outcome and,
    for a grid, ``points.csv`` with each point's means and paired differences from the reference."""
    out_dir = Path(out_dir)
    specs = sweep_specs(cfg, overrides)
    description = {"kind": "sweep", **cfg.describe(), "overrides": list(overrides)}
    specs, description = with_uncertainty(specs, description, uncertainty, overrides=overrides,
                                          skip=[p.key for p in cfg.parameters])
    options = dict(executor=executor, progress=progress, checkpoint_every=checkpoint_every,
                   wait_for_lock=wait_for_lock, memory_limit=memory_limit, overwrite=overwrite)
    with _experiment(specs, out_dir, description, **options) as run:
        written = list(STORE_FILES)
        if not run.ok:
            return run, written
        files = {"results.csv": _csv(run.results)}
        keys = [p.key for p in cfg.parameters]
        points = None
        if cfg.sampler == "grid":  # every grid point shares the replicate seeds: paired differences
            points = summarize_points(run.results, keys, cfg.outcomes, cfg.base_params(overrides))
            files["points.csv"] = _csv(points)
        hue = keys[-1] if cfg.sampler == "grid" and len(keys) > 1 and len(point_values(cfg)) <= 60 else None
        shown = [k for k in keys if k != hue] or keys
        files["sweep.png"] = _figure(_figures().plot_sweep(run.results, shown, cfg.outcomes, hue=hue))
        written += publish_analysis(out_dir, files)
    if verbose:
        print(format_sweep(run.results, keys, cfg.outcomes, points))
        if description["uncertainty"] == "none":
            from .uncertainty import seed_only_note

            print(f"NOTE: {seed_only_note()}.")
    return run, written


def format_sweep(results: pd.DataFrame, keys: Sequence[str], outcomes: Sequence[str],
                 points: pd.DataFrame | None = None, width: int = 120) -> str:
    """The console's summary of a sweep: for a grid, each point's mean with its interval and its
    paired difference from the reference point, per outcome, highest mean first; for a sampled
    sweep, each outcome's range over the runs and how strongly it moves with each parameter."""
    from ..formatting import interval

    from .ce_outputs import _value, short_label

    lines = []
    if points is not None and len(points):
        ref = points["reference"].iloc[0]
        described = points.drop_duplicates("point").set_index("point")
        name = {p: short_label(", ".join(f"{k.rsplit('.', 1)[-1]}={row[k]}" for k in keys), 56)
                for p, row in described.iterrows()}
        lines.append(f"Sweep: {len(described)} points x {int(points['n'].max())} replicates (common seeds); mean "
                     f"[95% interval], and the paired difference from the reference point ({name[ref]})")
        for outcome in outcomes:
            rows = points[points["outcome"] == outcome].sort_values("mean", ascending=False)
            if rows.empty:
                continue
            lines.append(outcome_label(outcome))
            for r in rows.itertuples():
                mean = f"{_value(outcome, r.mean)} {interval(r.ci_low, r.ci_high, lambda v: _value(outcome, v))}"
                diff = "(reference)" if r.point == ref else (
                    f"{_value(outcome, r.diff_mean, difference=True)} "
                    f"{interval(r.diff_ci_low, r.diff_ci_high, lambda v: _value(outcome, v, difference=True))}")
                lines.append(f"  {name[r.point]:<56} {mean:<30} {diff}"[:width])
        return "\n".join(lines)
    lines.append(f"Sweep: {results['point'].nunique() if 'point' in results else len(results)} sampled points; "
                 "each outcome's spread over the runs and its rank correlation with each parameter")
    for outcome in outcomes:
        y = pd.to_numeric(results[outcome], errors="coerce")
        lines.append(f"{outcome_label(outcome)}: median {_value(outcome, y.median())}, 10-90% "
                     f"{_value(outcome, y.quantile(0.1))} to {_value(outcome, y.quantile(0.9))}")
        for k in keys:
            x = pd.to_numeric(results[k], errors="coerce") if pd.api.types.is_numeric_dtype(results[k]) else None
            rho = x.rank().corr(y.rank()) if x is not None else float("nan")
            lines.append(f"  {k:<50} rank correlation {rho:+.2f}" if rho == rho else f"  {k:<50} (not numeric)")
    return "\n".join(line[:width] for line in lines)


def summarize_points(results: pd.DataFrame, keys: Sequence[str], outcomes: Sequence[str], base) -> pd.DataFrame:
    """Per sweep point and outcome: mean with its interval, and the paired difference (same seeds)
    from the reference point: the one equal to the base config if the sweep has it, else point 0."""
    from .specs import params_with

    points = results.drop_duplicates("point").set_index("point")[list(keys)]
    reference = next((i for i, row in points.iterrows() if params_with(base, row.to_dict()) == base), points.index[0])
    order = [reference, *[i for i in points.index if i != reference]]
    table = summarize_comparison(results, outcomes, order, by="point")
    table = table.merge(points, left_on="point", right_index=True)
    return table[["point", *keys, *[c for c in table.columns if c not in ("point", *keys)]]]


def run_sensitivity(cfg: ExperimentConfig, out_dir: str | Path, *, overrides: Sequence[str] = (),
                    executor: ExecutorSpec | None = None, progress: bool = True,
                    checkpoint_every: int | None = None, verbose: bool = True, wait_for_lock: bool = False,
                    memory_limit: int | str | None = "available", overwrite: bool = False
                   ) -> tuple[ExperimentRun, list[str]]:
    """Morris or Sobol analysis; ``indices.csv`` (and ``indices_second_order.csv``) and a bar chart."""
    out_dir = Path(out_dir)
    problem = SensitivityProblem.from_experiment(cfg)
    X = sample(problem, cfg.method, cfg.n, cfg.seed, num_levels=cfg.num_levels,
               calc_second_order=cfg.calc_second_order)
    specs = sensitivity_specs(cfg, X, overrides)
    description = {"kind": "sensitivity", **cfg.describe(), "overrides": list(overrides),
                   "n_sample_rows": len(X),
                   "n_runs_expected": n_runs(problem, cfg.method, cfg.n, calc_second_order=cfg.calc_second_order)
                   * cfg.replications}
    options = dict(executor=executor, progress=progress, checkpoint_every=checkpoint_every,
                   wait_for_lock=wait_for_lock, memory_limit=memory_limit, overwrite=overwrite)
    with _experiment(specs, out_dir, description, **options) as run:
        written = list(STORE_FILES)
        if not run.ok:
            return run, written
        outputs = row_outcomes(run.results, len(X), cfg.outcomes)
        indices, second = analyze(problem, cfg.method, X, outputs, cfg.seed, num_levels=cfg.num_levels,
                                  calc_second_order=cfg.calc_second_order)
        indices.insert(0, "method", cfg.method)
        files = {"indices.csv": _csv(indices)}
        if len(second):
            files["indices_second_order.csv"] = _csv(second)
        files["results.csv"] = _csv(run.results)
        files["indices.png"] = _figure(_figures().plot_indices(indices, cfg.method, replications=cfg.replications,
                                                               n=cfg.n))
        written += publish_analysis(out_dir, files)
    if verbose:
        print(format_indices(indices, cfg.method))
    return run, written


def format_indices(indices: pd.DataFrame, method: str) -> str:
    cols = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else ["mu_star", "mu_star_conf", "sigma"]
    key = "ST" if method == "sobol" else "mu_star"
    lines = []
    for outcome, df in indices.groupby("outcome", sort=False):
        lines.append(f"{outcome} ({method})")
        for row in df.sort_values(key, ascending=False).itertuples():
            lines.append(f"  {row.parameter:<40} " + "  ".join(f"{c}={getattr(row, c):.3f}" for c in cols))
    return "\n".join(lines)
