"""Compare named designs on common random numbers: replicate ``r`` of every design uses one seed.

Replicate ``r`` of every design then recruits the same cohort into the same staff network, so
the paired difference between two designs removes the between-cohort variation that would
otherwise swamp it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..paramtools import ParamError
from .designs import Design, resolve_design
from .specs import RunSpec, replicate_seeds

__all__ = ["comparison_specs", "summarize_comparison", "curve_bands", "mean_ci", "KEY_OUTCOMES", "PER_RUN_RATIOS"]

# The outcomes a planner looks at first (figures); comparison.csv has every summary outcome.
KEY_OUTCOMES = (
    "frac_classrooms_reached_end",
    "frac_classrooms_reached_followup",
    "frac_classrooms_sustained_followup",
    "frac_frontline_fidelity_end",
    "mean_progress_score",
    "cost_total",
)


# Per-run ratios of the run summary: undefined in a run that reaches nothing, zero for a design
# that costs nothing, so their mean over runs misleads (it ranked business as usual first). They
# stay in results.csv, one value per run; comparison.csv leaves them out, and
# cost_effectiveness.csv gives the cost per *extra* classroom as a ratio of pooled means.
PER_RUN_RATIOS = ("cost_per_classroom_reached", "cost_per_classroom_sustained")


def comparison_specs(designs: Sequence[str | Design], replications: int, seed: int,
                     overrides: Sequence[str] = ()) -> list[RunSpec]:
    """Specs for ``designs`` x ``replications``, each design with ``overrides`` applied on top.

    A design is a name, a path to a design file, an inline variant (see
    :mod:`bsc_sim.experiments.designs`) or a resolved :class:`~.designs.Design`. Replicate ``r``
    of every design gets the same seed (common random numbers). Every design's parameters are
    built here, so a bad reference stops the command before anything is written.
    """
    if not designs:
        raise ParamError("designs = []: name at least one design")
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key in ("design", "seed"):
            raise ParamError(f"{text}: the designs come from designs=[...] and the seeds from seed= and "
                             f"replications=; {key} cannot be overridden for every run")
    resolved = [d if isinstance(d, Design) else resolve_design(d) for d in designs]
    labels = [d.label for d in resolved]
    if len(set(labels)) != len(labels):
        twice = next(label for label in labels if labels.count(label) > 1)
        raise ParamError(f"designs = {[d.ref or d.label for d in resolved]}: {twice!r} is listed twice")
    seeds = replicate_seeds(seed, replications)
    specs = []
    for d, design in enumerate(resolved):
        params = design.params(overrides)
        for r, s in enumerate(seeds):
            specs.append(RunSpec(run_id=f"{design.label}/r{r:04d}", index=d * replications + r, params=params,
                                 seed=s, labels={"design": design.label, "replicate": r}))
    return specs


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[int, float, float, float]:
    """n, mean and the t-interval of the mean over the finite values of ``x``."""
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, np.nan, np.nan
    sd = float(x.std(ddof=1))
    half = t_quantile(level, n - 1) * sd / np.sqrt(n)
    return n, mean, mean - half, mean + half


@lru_cache(maxsize=4096)
def t_quantile(level: float, df: int) -> float:
    """The t quantile of a two-sided ``level`` interval: ``scipy.stats.t.ppf(0.5 + level / 2, df)``,
    which is ``scipy.special.stdtrit``, without importing ``scipy.stats`` (about 0.5 s) or paying
    its per-call overhead (about 1 ms)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + level / 2))


def summarize_comparison(results: pd.DataFrame, outcomes: Sequence[str], designs: Sequence[str],
                         level: float = 0.95, by: str = "design", reference: str | None = None) -> pd.DataFrame:
    """Per design and outcome: mean with its interval, and the paired difference from ``reference``
    (default ``designs[0]``).

    The difference is taken replicate by replicate (same seed), over the replicates where both
    values are defined. ``by`` names the column that identifies the alternatives (``design``;
    ``point`` in a sweep).
    """
    reference = designs[0] if reference is None else reference
    rows = []
    for outcome in outcomes:
        wide = results.pivot(index="replicate", columns=by, values=outcome)
        for design in designs:
            values = wide[design].to_numpy(np.float64) if design in wide else np.array([])
            n, mean, lo, hi = mean_ci(values, level)
            row = {by: design, "outcome": outcome, "n": n, "mean": mean, "ci_low": lo, "ci_high": hi,
                   "reference": reference}
            if design == reference or reference not in wide or design not in wide:
                row.update(n_pairs=0, diff_mean=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan)
            else:
                n_pairs, d_mean, d_lo, d_hi = mean_ci(values - wide[reference].to_numpy(np.float64), level)
                row.update(n_pairs=n_pairs, diff_mean=d_mean, diff_ci_low=d_lo, diff_ci_high=d_hi)
            rows.append(row)
    return pd.DataFrame(rows)


def curve_bands(curves: pd.DataFrame, specs: pd.DataFrame, column: str = "frac_classrooms_reached",
                level: float = 0.95) -> pd.DataFrame:
    """Per design and week: mean of ``column`` over replicates, its interval and the 10-90% range."""
    df = curves.merge(specs[["run_id", "design"]], on="run_id")
    rows = []
    for (design, week), values in df.groupby(["design", "week"], sort=False, observed=True)[column]:
        x = values.to_numpy(np.float64)
        n, mean, lo, hi = mean_ci(x, level)
        rows.append({"design": design, "week": week, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "p10": float(np.quantile(x, 0.1)), "p90": float(np.quantile(x, 0.9)), "n": n})
    return pd.DataFrame(rows)
