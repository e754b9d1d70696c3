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

__all__ = ["comparison_specs", "summarize_comparison", "curve_bands", "mean_ci", "KEY_OUTCOMES", "PER_RUN_RATIOS",
           "expand_own_labels", "own_cohort_references"]

# The outcomes a planner looks at first (figures); comparison.csv has every summary outcome.
KEY_OUTCOMES = (
    "frac_classrooms_reached_end",
    "frac_classrooms_reached_followup",
    "frac_classrooms_sustained_followup",
    "frac_classrooms_reached_lag",
    "frac_classrooms_sustained_lag",
    "frac_classrooms_using_followup",
    "frac_classrooms_using_lag",
    "frac_frontline_fidelity_end",
    "mean_progress_score",
    "cost_total",
)


# Per-run ratios of the run summary: undefined in a run that reaches nothing, zero for a design
# that costs nothing, so their mean over runs misleads (it ranked business as usual first). They
# stay in results.csv, one value per run; comparison.csv leaves them out, and
# cost_effectiveness.csv gives the cost per *extra* classroom as a ratio of pooled means.
PER_RUN_RATIOS = ("cost_per_classroom_reached", "cost_per_classroom_sustained")


def expand_own_labels(refs: Sequence[str], reference: str | None = None) -> tuple[list[str], str | None]:
    """Let a design file listed in ``refs`` be named by its label elsewhere in the same command.

    ``designs=[next_phase.yaml,next_phase+collaborative.followup_support_weeks=26]`` varies the
    file whose label is ``next_phase`` (its ``design:`` or file name): a variant or a reference
    whose head is such a label, and not a shipped design, is rewritten to start from the file's
    path. Its label stays ``next_phase+...``.
    """
    from pathlib import Path

    from ..config import design_names
    from .designs import resolve_design

    files: dict[str, str] = {}
    for text in refs:
        head = text.split("+", 1)[0].strip()
        if isinstance(text, str) and (head.endswith((".yaml", ".yml")) or "/" in head) and Path(head).expanduser().is_file():
            files.setdefault(resolve_design(head).label, head)
    shipped = set(design_names())

    def expand(text: str | None) -> str | None:
        if not isinstance(text, str):
            return text
        head = text.split("+", 1)[0].strip()
        if head in files and head not in shipped and not Path(text).expanduser().is_file():
            return files[head] + text.strip()[len(head):]
        return text

    return [expand(t) for t in refs], expand(reference)


def _setting_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def own_cohort_references(resolved: Sequence[Design], ref_label: str, overrides: Sequence[str] = ()
                          ) -> tuple[list[Design], dict[str, str]]:
    """Each design whose cohort (size, mix or selection: ``cohort.*``) differs from the reference's
    gets a business-as-usual world of its own cohort: the reference with the design's cohort
    settings, run on the same seeds, so that its increments compare the same population.

    Returns the extra reference designs to run (once each) and ``pairs``: design label -> the label
    of the reference it is measured against (designs with the reference's cohort are not listed).
    Statewide systems are sized by their own settings and are not paired here.
    """
    from dataclasses import fields

    ref = next(d for d in resolved if d.label == ref_label)
    ref_cohort = ref.params(overrides).cohort
    labels = {d.label for d in resolved}
    extra: list[Design] = []
    pairs: dict[str, str] = {}
    for design in resolved:
        if design.label == ref_label:
            continue
        params = design.params(overrides)
        if params.system.enabled or params.cohort == ref_cohort:
            continue
        changes = [f"cohort.{f.name}={_setting_text(getattr(params.cohort, f.name))}" for f in fields(params.cohort)
                   if getattr(params.cohort, f.name) != getattr(ref_cohort, f.name)]
        label = "+".join([ref_label, *changes])
        if label not in labels:
            extra.append(Design(label=label, base=ref.base, overrides=(*ref.overrides, *changes),
                                description=f"{ref.description} With the cohort of {design.label} "
                                            f"({', '.join(changes)}): its business-as-usual world.".strip(),
                                source="variant", path=ref.path, ref=label))
            labels.add(label)
        pairs[design.label] = label
    return extra, pairs


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


@lru_cache(maxsize=256)
def t_quantile(level: float, df: int) -> float:
    """The two-sided Student t quantile of a ``level`` interval with ``df`` degrees of freedom
    (scipy.special's inverse, which imports in a fraction of the time scipy.stats takes)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + level / 2))


def mean_ci(x: np.ndarray, level: float = 0.95) -> tuple[int, float, float, float]:
    """n, mean and the t-interval of the mean over the finite values of ``x``."""
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n == 1:
        return 1, mean, np.nan, np.nan
    half = t_quantile(level, n - 1) * float(x.std(ddof=1)) / np.sqrt(n)
    return n, mean, mean - half, mean + half


def _mean_ci_columns(x: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, ...]:
    """:func:`mean_ci` of every column of ``x`` at once (NaN and inf left out column by column)."""
    x = np.where(np.isfinite(x), x, np.nan)
    n = np.isfinite(x).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(np.isfinite(x), x - mean, 0.0)
        sd = np.sqrt((dev ** 2).sum(axis=0) / np.maximum(n - 1, 1))
        t = np.array([t_quantile(level, int(k) - 1) if k > 1 else np.nan for k in n])
        half = np.where(n > 1, t * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return n, mean, mean - half, mean + half


def summarize_comparison(results: pd.DataFrame, outcomes: Sequence[str], designs: Sequence[str],
                         level: float = 0.95, by: str = "design", reference: str | None = None,
                         pairs: dict[str, str] | None = None) -> pd.DataFrame:
    """Per design and outcome: mean with its interval, and the paired difference from ``reference``
    (default ``designs[0]``).

    The difference is taken replicate by replicate (same seed), over the replicates where both
    values are defined. ``by`` names the column that identifies the alternatives (``design``;
    ``point`` in a sweep).
    """
    reference = designs[0] if reference is None else reference
    designs = list(designs)
    own = [(pairs or {}).get(d, reference) for d in designs]  # each design's own reference (its cohort's)
    frames = []
    for outcome in outcomes:  # one outcome at a time, every design at once
        wide = results.pivot(index="replicate", columns=by, values=outcome)
        present = [d in wide for d in designs]
        x = wide.reindex(columns=designs).to_numpy(np.float64)
        n, mean, lo, hi = _mean_ci_columns(x, level)
        n = np.where(present, n, 0)
        frame = pd.DataFrame({by: designs, "outcome": outcome, "n": n, "mean": mean, "ci_low": lo, "ci_high": hi,
                              "reference": own})
        if all(r in wide for r in own):
            diff = x - wide.reindex(columns=own).to_numpy(np.float64)
            dn, dmean, dlo, dhi = _mean_ci_columns(diff, level)
            skip = np.array([d == r or not ok for d, r, ok in zip(designs, own, present)])
            frame["n_pairs"] = np.where(skip, 0, dn)
            for column, values in (("diff_mean", dmean), ("diff_ci_low", dlo), ("diff_ci_high", dhi)):
                frame[column] = np.where(skip, np.nan, values)
        else:
            frame["n_pairs"], frame["diff_mean"], frame["diff_ci_low"], frame["diff_ci_high"] = 0, np.nan, np.nan, np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def curve_bands(curves: pd.DataFrame, specs: pd.DataFrame, column: str = "frac_classrooms_reached",
                level: float = 0.95) -> pd.DataFrame:
    """Per design and week: mean of ``column`` over replicates, its interval and the 10-90% range."""
    df = curves[["run_id", "week", column]].merge(specs[["run_id", "design"]], on="run_id")
    df[column] = df[column].astype(np.float64)
    groups = df.groupby(["design", "week"], sort=False, observed=True)[column]
    out = groups.agg(["mean", "std", "count"]).reset_index()
    quantiles = groups.quantile([0.1, 0.9]).unstack()
    out["p10"] = quantiles[0.1].to_numpy()
    out["p90"] = quantiles[0.9].to_numpy()
    n = out["count"].to_numpy()
    t = np.array([t_quantile(level, int(k) - 1) if k > 1 else np.nan for k in n])
    half = t * out["std"].to_numpy() / np.sqrt(np.maximum(n, 1))
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    out["n"] = n
    return out[["design", "week", "mean", "ci_low", "ci_high", "p10", "p90", "n"]]
