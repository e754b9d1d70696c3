"""Cost-effectiveness of designs against a reference design, from paired replicates.

Pure functions on tidy tables (one row per design x replicate, as ``results.csv`` of ``compare``);
nothing here runs or imports the model. It sits below both ``experiments`` (``compare`` writes its
tables) and ``analysis`` (which reuses them), and imports neither.

Conventions (Drummond et al. 2015, *Methods for the Economic Evaluation of Health Care
Programmes*, 4th ed., ch. 4 and 11; Briggs, Claxton & Sculpher 2006, *Decision Modelling for
Health Economic Evaluation*, ch. 7):

- **Increments over the reference.** A design's incremental cost and effect are the mean, over
  paired replicates (the same seed, so the same cohort), of its value minus the reference's.
  Classrooms that the reference reaches too (at baseline, or by spontaneous spread) are not
  counted as bought.
- **ICER as a ratio of pooled means**: mean incremental cost / mean incremental effect, never a
  mean of per-replicate ratios (undefined when a replicate gains nothing, and unstable near it).
  It is reported where it means something: in the north-east quadrant of the plane (costs more,
  does more) and the south-west (costs less, does less); a design that costs more and does no
  better is *dominated*, one that costs less and does more is *dominant*.
- **Intervals** are percentile bootstraps that resample replicate *pairs* (all designs with the
  same resampled replicates) with a fixed seed (:data:`BOOTSTRAP_SEED`). For an ICER in
  the north-east quadrant, a resample in which the design gains nothing counts as an infinitely
  high price, so a gain that is not clearly above zero shows as an interval without an upper bound
  (``inf``).
- **Dominance and extended dominance** follow the efficiency-frontier algorithm: drop designs
  that cost more and do no better than another (dominated); then, in order of cost, drop any
  design whose ICER against the previous one exceeds the next one's ICER against it (extended
  dominance: a mix of its neighbours would do better for the money); repeat until the ICERs rise
  along the frontier.
- **Net monetary benefit** at a willingness to pay ``wtp`` (dollars per unit of effect):
  ``wtp * incremental effect - incremental cost``; the design with the highest NMB is the best
  buy at that price. The **acceptability curve** gives, for each ``wtp``, the probability that
  each design has the highest NMB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# The bootstrap's fixed seed and size: the values of :mod:`bsc_sim.analysis.stats` (a test keeps them
# equal), defined here so that this module, which experiments and analyses both use, imports nothing
# from either layer.
BOOTSTRAP_SEED = 20261129
N_BOOTSTRAP = 2000

__all__ = ["Effect", "EFFECTS", "COST", "DEFAULT_EFFECT", "DEFAULT_WTP", "paired_values", "paired_increments",
           "efficiency_frontier", "net_monetary_benefit", "cost_effectiveness", "prob_best", "acceptability", "wtp_grid",
           "cost_breakdown", "COST_ITEMS"]


@dataclass(frozen=True)
class Effect:
    """An effect a design buys: a count in the run summary, named for tables and figures."""

    key: str
    column: str      # summary column (a count per run)
    label: str       # plain language, with its definition
    unit: str        # singular, for "per extra <unit>"
    plural: str      # "extra <plural>"


EFFECTS: dict[str, Effect] = {e.key: e for e in (
    Effect("classrooms_sustained", "n_classrooms_sustained_followup",
           "classrooms sustained (reached at the end and a year later)", "classroom sustained", "classrooms sustained"),
    Effect("children_reached", "n_children_reached_end",
           "children in classrooms reached when the collaborative ends", "child reached", "children reached"),
    Effect("classrooms_reached", "n_classrooms_reached_end",
           "classrooms reached when the collaborative ends", "classroom reached", "classrooms reached"),
)}
COST = "cost_total"
# The effect a decision is made on (NMB, acceptability, the headline): sustainment is the aim of
# the collaborative (MODEL-BRIEF 1), and reach that fades within the year buys little.
DEFAULT_EFFECT = "classrooms_sustained"
# Willingness to pay per extra classroom sustained, in US dollars. An ASSUMPTION with no source:
# no published value exists for a classroom that keeps an SEL practice for a year (about 14
# children in the model's cohorts). $20,000 is a round figure of the order of what the CCL-like
# design costs per extra classroom sustained in this model (about $16,000 over business as usual
# at the defaults), so the default shows a decision that depends on the price; a planner's own
# value belongs in `wtp=`, and the acceptability curve shows every price from $0 up.
DEFAULT_WTP = 20_000.0

# Cost items of the run summary (model/costs.py CATEGORIES), in the order a planner reads them.
COST_ITEMS = ("cost_staff_time", "cost_substitutes", "cost_family_stipends", "cost_travel", "cost_venue",
              "cost_faculty", "cost_data_support", "cost_coaching", "cost_training", "cost_community_meeting",
              "cost_coordination", "cost_faculty_training")  # the last two: statewide systems only


def paired_values(results: pd.DataFrame, designs: Sequence[str], column: str, by: str = "design") -> np.ndarray:
    """``column`` as an array (design x replicate), aligned by replicate, over the replicates every
    design has a finite value for."""
    wide = results.pivot(index="replicate", columns=by, values=column).reindex(columns=list(designs))
    wide = wide.astype(np.float64)
    return wide[np.isfinite(wide).all(axis=1)].to_numpy().T


def _aligned(results: pd.DataFrame, designs: Sequence[str], columns: Sequence[str],
             by: str) -> dict[str, np.ndarray]:
    """Every column as (design x replicate) over the replicates where all of them are finite."""
    wide = results.pivot(index="replicate", columns=by, values=list(columns))
    wide = wide.reindex(columns=pd.MultiIndex.from_product([list(columns), list(designs)])).astype(np.float64)
    wide = wide[np.isfinite(wide).all(axis=1)]
    return {c: wide[c].to_numpy().T for c in columns}


def paired_increments(results: pd.DataFrame, reference: str, effects: Sequence[str] = tuple(EFFECTS),
                      by: str = "design") -> pd.DataFrame:
    """Per design, effect and replicate: the design's cost and effect minus the reference's in the
    same replicate (the clouds of the cost-effectiveness plane)."""
    designs = list(dict.fromkeys(results[by]))
    rows = []
    for key in effects:
        eff = EFFECTS[key]
        data = _aligned(results, designs, [COST, eff.column], by)
        reps = np.arange(data[COST].shape[1])
        ref = designs.index(reference)
        for d, design in enumerate(designs):
            rows.append(pd.DataFrame({by: design, "effect": key, "pair": reps,
                                      "inc_cost": data[COST][d] - data[COST][ref],
                                      "inc_effect": data[eff.column][d] - data[eff.column][ref]}))
    return pd.concat(rows, ignore_index=True)


def efficiency_frontier(cost: Sequence[float], effect: Sequence[float],
                        names: Sequence[str] | None = None) -> pd.DataFrame:
    """Which options lie on the cost-effectiveness frontier, by mean cost and mean effect.

    Returns one row per option (in the input order) with ``status`` ("frontier", "dominated" or
    "extendedly dominated") and ``icer_frontier``: for a frontier option, its ICER against the
    next cheaper frontier option (NaN for the cheapest).

    Examples:
        >>> efficiency_frontier([0, 10, 20, 30], [0, 1, 4, 3], ["a", "b", "c", "d"])["status"].tolist()
        ['frontier', 'extendedly dominated', 'frontier', 'dominated']
    """
    cost = np.asarray(cost, dtype=np.float64)
    effect = np.asarray(effect, dtype=np.float64)
    names = list(names) if names is not None else list(range(len(cost)))
    # Options with exactly the same mean cost and effect (the same design under two names) share
    # the status and ICER of the first of them.
    first = {}
    twin = [first.setdefault((c, e), i) for i, (c, e) in enumerate(zip(cost, effect))]
    unique = [i for i in range(len(cost)) if twin[i] == i]
    if len(unique) < len(cost):
        table = efficiency_frontier(cost[unique], effect[unique])
        rows = {i: k for k, i in enumerate(unique)}
        return pd.DataFrame({"name": names, "status": [table["status"].iloc[rows[twin[i]]] for i in range(len(cost))],
                             "icer_frontier": [table["icer_frontier"].iloc[rows[twin[i]]] for i in range(len(cost))]})
    status = np.array(["frontier"] * len(cost), dtype=object)
    for i in range(len(cost)):  # strong dominance: another costs no more and does no worse, one strictly
        other = (cost <= cost[i]) & (effect >= effect[i]) & ((cost < cost[i]) | (effect > effect[i]))
        if other.any():
            status[i] = "dominated"
    order = [i for i in np.lexsort((-effect, cost)) if status[i] == "frontier"]
    changed = True
    while changed and len(order) > 2:  # extended dominance, until the ICERs rise along the frontier
        changed = False
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in zip(order, order[1:])]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                status[order[k + 1]] = "extendedly dominated"
                del order[k + 1]
                changed = True
                break
    icer = np.full(len(cost), np.nan)
    for a, b in zip(order, order[1:]):
        icer[b] = (cost[b] - cost[a]) / (effect[b] - effect[a])
    return pd.DataFrame({"name": names, "status": status, "icer_frontier": icer})


def net_monetary_benefit(inc_cost, inc_effect, wtp: float):
    """``wtp * inc_effect - inc_cost`` (arrays broadcast): what the gain is worth minus what it costs."""
    return wtp * np.asarray(inc_effect, dtype=np.float64) - np.asarray(inc_cost, dtype=np.float64)


def _quadrant(dc: float, de: float) -> str:
    """Where (incremental effect, incremental cost) falls on the plane."""
    if de > 0:
        return "dominant" if dc <= 0 else "more effective, more costly"
    if de < 0:
        return "dominated" if dc >= 0 else "less effective, less costly"
    return "no gain" if dc >= 0 else "no gain, saves money"


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval without interpolation, so infinite samples give infinite bounds."""
    alpha = (1 - level) / 2
    if not len(samples):
        return np.nan, np.nan
    return float(np.quantile(samples, alpha, method="lower")), float(np.quantile(samples, 1 - alpha, method="higher"))


def _icer_interval(dc_b: np.ndarray, de_b: np.ndarray, quadrant: str, level: float) -> tuple[float, float]:
    """Bootstrap interval of an ICER (see the module docstring)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = dc_b / de_b
    if quadrant == "more effective, more costly":
        ratio = np.where(de_b > 0, ratio, np.inf)  # no gain in the resample: an infinite price
        lo, hi = _interval(ratio, level)
        return (np.nan, np.nan) if np.isinf(lo) else (lo, hi)
    if quadrant == "less effective, less costly":
        sw = (de_b < 0) & (dc_b < 0)
        if sw.mean() < 1 - (1 - level) / 2:
            return np.nan, np.nan
        return _interval(ratio[sw], level)
    return np.nan, np.nan


def _resample(n: int, n_boot: int) -> np.ndarray:
    """The bootstrap resamples of ``n`` replicates as weights (resample x replicate: how often each
    replicate was drawn, over ``n``), shared by every design and effect, so that the resampled means
    of a (design x replicate) array ``x`` are ``x @ weights.T`` without copying it ``n_boot`` times."""
    idx = np.random.default_rng(BOOTSTRAP_SEED).integers(0, n, size=(n_boot, n))
    flat = (np.arange(n_boot)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n) / n


def cost_effectiveness(results: pd.DataFrame, reference: str, *, wtp: float = DEFAULT_WTP,
                       decision_effect: str = DEFAULT_EFFECT, effects: Sequence[str] = tuple(EFFECTS),
                       level: float = 0.95, n_boot: int = N_BOOTSTRAP, by: str = "design",
                       ceac: str = "bootstrap") -> pd.DataFrame:
    """The cost-effectiveness table: one row per design and effect (``cost_effectiveness.csv``).

    Args:
        results: one row per design x replicate with ``replicate``, ``by``, ``cost_total`` and the
            effects' count columns (:data:`EFFECTS`).
        reference: the design every other is measured against (it has a row too, with zero increments).
        wtp: willingness to pay per unit of ``decision_effect`` (US dollars); the NMB columns and
            ``prob_best`` are filled on that effect's rows only.
        decision_effect: the effect a decision is made on (a key of :data:`EFFECTS`).
        effects: the effects to tabulate.
        level: interval level.
        n_boot: bootstrap resamples (of replicate pairs).
        ceac: how ``prob_best`` is estimated: "bootstrap" (probability that the design's *expected*
            NMB is the highest, given the replicates run) or "replicates" (share of paired
            replicates in which the design's NMB is the highest: each replicate one possible world,
            the convention when replicates draw uncertain parameters).

    Returns:
        Columns: ``by``, effect, effect_label, reference, n_pairs, mean_cost, mean_effect,
        inc_cost (+ _ci_low/_ci_high), inc_effect (+ intervals), quadrant, icer (+ intervals),
        status, icer_frontier, wtp, nmb (+ intervals), prob_best.
    """
    designs = list(dict.fromkeys(results[by]))
    if reference not in designs:
        raise ValueError(f"reference {reference!r} is not among the designs {designs}")
    if decision_effect not in EFFECTS:
        raise ValueError(f"unknown effect {decision_effect!r} (known: {', '.join(EFFECTS)})")
    ref = designs.index(reference)
    rows = []
    for key in effects:
        eff = EFFECTS[key]
        data = _aligned(results, designs, [COST, eff.column], by)
        cost, effect = data[COST], data[eff.column]
        n = cost.shape[1]
        dc, de = cost - cost[ref], effect - effect[ref]
        idx = _resample(n, n_boot) if n > 1 else None
        dc_b = dc @ idx.T if idx is not None else None  # design x resample: resampled mean increments
        de_b = de @ idx.T if idx is not None else None
        mean_cost, mean_effect = cost.mean(axis=1), effect.mean(axis=1)
        frontier = efficiency_frontier(mean_cost, mean_effect, designs)
        decision = key == decision_effect
        if decision and n:
            best = prob_best(cost, effect, [wtp], method=ceac, n_boot=n_boot)[0]
        for d, design in enumerate(designs):
            mdc, mde = float(dc[d].mean()) if n else np.nan, float(de[d].mean()) if n else np.nan
            quadrant = "reference" if d == ref else _quadrant(mdc, mde)
            with np.errstate(divide="ignore", invalid="ignore"):
                icer = mdc / mde if quadrant in ("more effective, more costly", "less effective, less costly") else np.nan
            row = {by: design, "effect": key, "effect_label": eff.label, "reference": reference, "n_pairs": n,
                   "mean_cost": float(mean_cost[d]) if n else np.nan,
                   "mean_effect": float(mean_effect[d]) if n else np.nan,
                   "inc_cost": mdc, "inc_cost_ci_low": np.nan, "inc_cost_ci_high": np.nan,
                   "inc_effect": mde, "inc_effect_ci_low": np.nan, "inc_effect_ci_high": np.nan,
                   "quadrant": quadrant, "icer": icer, "icer_ci_low": np.nan, "icer_ci_high": np.nan,
                   "status": frontier["status"].iloc[d], "icer_frontier": frontier["icer_frontier"].iloc[d],
                   "wtp": wtp if decision else np.nan, "nmb": np.nan, "nmb_ci_low": np.nan, "nmb_ci_high": np.nan,
                   "prob_best": float(best[d]) if decision and n else np.nan}
            if idx is not None and d != ref:
                row["inc_cost_ci_low"], row["inc_cost_ci_high"] = _interval(dc_b[d], level)
                row["inc_effect_ci_low"], row["inc_effect_ci_high"] = _interval(de_b[d], level)
                row["icer_ci_low"], row["icer_ci_high"] = _icer_interval(dc_b[d], de_b[d], quadrant, level)
            if decision:
                row["nmb"] = float(net_monetary_benefit(mdc, mde, wtp))
                if idx is not None and d != ref:
                    row["nmb_ci_low"], row["nmb_ci_high"] = _interval(net_monetary_benefit(dc_b[d], de_b[d], wtp), level)
            rows.append(row)
    return pd.DataFrame(rows)


def prob_best(cost: np.ndarray, effect: np.ndarray, wtps: Sequence[float], *, method: str = "bootstrap",
              n_boot: int = N_BOOTSTRAP) -> np.ndarray:
    """Probability that each design has the highest NMB, per willingness to pay (wtp x design).

    ``cost`` and ``effect`` are (design x replicate), aligned by replicate. NMB is compared in
    absolute terms (``wtp * effect - cost``), which ranks designs exactly as the NMB over any
    common reference does. Ties go to the design listed first.
    """
    wtps = np.asarray(wtps, dtype=np.float64)
    if method == "bootstrap":
        weights = _resample(cost.shape[1], n_boot)
        cost, effect = cost @ weights.T, effect @ weights.T  # design x resample: resampled means
    elif method != "replicates":
        raise ValueError(f"method = {method!r}: bootstrap or replicates")
    out = np.zeros((len(wtps), cost.shape[0]))
    for w, value in enumerate(wtps):
        best = np.argmax(value * effect - cost, axis=0)
        out[w] = np.bincount(best, minlength=cost.shape[0]) / cost.shape[1]
    return out


def acceptability(results: pd.DataFrame, wtps: Sequence[float], *, effect: str = DEFAULT_EFFECT,
                  method: str = "bootstrap", n_boot: int = N_BOOTSTRAP, by: str = "design") -> pd.DataFrame:
    """The cost-effectiveness acceptability curve: per ``wtp`` and design, the probability that the
    design has the highest net monetary benefit (tidy: wtp, design, prob_best)."""
    designs = list(dict.fromkeys(results[by]))
    data = _aligned(results, designs, [COST, EFFECTS[effect].column], by)
    probs = prob_best(data[COST], data[EFFECTS[effect].column], wtps, method=method, n_boot=n_boot)
    return pd.DataFrame({"wtp": np.repeat(np.asarray(wtps, dtype=np.float64), len(designs)),
                         by: designs * len(wtps), "prob_best": probs.ravel()})


def wtp_grid(table: pd.DataFrame, wtp: float, n: int = 101) -> np.ndarray:
    """Willingness-to-pay values for the acceptability curve: from $0 past the chosen ``wtp`` and
    the highest ICER on the frontier (so every switch of the best buy is in view)."""
    frontier = table["icer_frontier"].to_numpy(np.float64)
    top = max(2.0 * wtp, 1.5 * np.nanmax(frontier, initial=0.0))
    step = 10 ** np.floor(np.log10(top)) if top > 0 else 1.0
    top = np.ceil(top / step) * step
    return np.linspace(0.0, top, n)


def cost_breakdown(results: pd.DataFrame, by: str = "design") -> pd.DataFrame:
    """Mean cost per item per design over replicates (tidy: design, item, mean_cost), items that
    cost something in at least one design, in :data:`COST_ITEMS` order."""
    items = [c for c in COST_ITEMS if c in results and results[c].abs().sum() > 0]
    means = results.groupby(by, sort=False)[items].mean()
    out = means.reset_index().melt(id_vars=by, var_name="item", value_name="mean_cost")
    return out
