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
- **Dominance and extended dominance** follow the efficiency-frontier algorithm on the mean cost
  and effect: drop designs that cost more and do no better than another (``D``, dominated); then,
  in order of cost, drop any design whose ICER against the previous one exceeds the next one's
  ICER against it (``ED``, extendedly dominated: a mix of its neighbours would do better for the
  money); repeat until the ICERs rise along the frontier. Each status comes with its probability
  over the draws (bootstrap resamples, or replicates as possible worlds): a design dominated on the
  means but in fewer than 95% of the draws is not clearly worse (``clear`` is false: "no clear
  winner").
- **The ICER shown** is the *sequential* one, as in a decision table: a frontier design's extra
  cost per extra unit against the next cheaper frontier design (``compared_with``). Dominated and
  extendedly dominated designs get no ICER: no price makes them the best buy. The ICER against the
  reference stays in ``icer_reference`` (frontier designs only).
- **Net monetary benefit** at a willingness to pay ``wtp`` (dollars per unit of effect):
  ``wtp * incremental effect - incremental cost``; the design with the highest NMB is the best
  buy at that price. The best buy changes at the sequential ICERs of the frontier (the **switch
  prices**). The **acceptability curve** gives, for each ``wtp``, the probability that each design
  has the highest NMB; the **acceptability frontier** (CEAF) follows the design with the highest
  mean NMB at each price.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# The bootstrap's fixed seed and size: the values of :mod:`bsc_sim.analysis.stats` (a test keeps them
# equal), defined here so that this module, which experiments and analyses both use, imports nothing
# from either layer.
BOOTSTRAP_SEED = 20261129
N_BOOTSTRAP = 2000

__all__ = ["Effect", "EFFECTS", "COST", "DEFAULT_EFFECT", "DEFAULT_WTP", "STATUS_WORDS", "SMALL_N", "paired_values",
           "paired_increments", "efficiency_frontier", "dominance_probabilities", "net_monetary_benefit",
           "cost_effectiveness", "switch_prices", "small_n_caution", "prob_best", "acceptability", "wtp_grid",
           "cost_breakdown", "COST_ITEMS", "BOOTSTRAP_SEED", "N_BOOTSTRAP", "what_budget_buys", "shown_designs",
           "COHORT_COLUMNS"]


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
# the collaborative [douglass2019], and reach that fades within the year buys little.
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


COHORT_COLUMNS = ("n_classrooms", "n_children")  # the size of a run's cohort, for the common footing


def shown_designs(results: pd.DataFrame, reference: str, pairs: Mapping[str, str] | None = None,
                  by: str = "design") -> list[str]:
    """The designs a decision is made among: all of ``results``' except the business-as-usual worlds
    of other cohorts that only serve as some design's own reference (``pairs``: design -> the
    reference it is measured against; the others against ``reference``)."""
    helpers = set((pairs or {}).values()) - {reference} - set(pairs or {})
    return [d for d in dict.fromkeys(results[by]) if d not in helpers]


def _paired(results: pd.DataFrame, reference: str, pairs: Mapping[str, str] | None, columns: Sequence[str],
            by: str) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The shown designs, their values of ``columns`` (design x replicate) and their increments over
    their own reference in the same replicate, over the replicates where every value is finite."""
    everyone = list(dict.fromkeys(results[by]))
    shown = shown_designs(results, reference, pairs, by)
    own = {d: (pairs or {}).get(d, reference) for d in shown}
    data = _aligned(results, everyone, columns, by)
    rows = [everyone.index(d) for d in shown]
    refs = [everyone.index(own[d]) for d in shown]
    values = {c: data[c][rows] for c in columns}
    increments = {c: data[c][rows] - data[c][refs] for c in columns}
    return shown, values, increments


def paired_increments(results: pd.DataFrame, reference: str, effects: Sequence[str] = tuple(EFFECTS),
                      by: str = "design", pairs: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per design, effect and replicate: the design's cost and effect minus its reference's in the
    same replicate (the clouds of the cost-effectiveness plane); ``pairs`` as in :func:`cost_effectiveness`."""
    rows = []
    for key in effects:
        eff = EFFECTS[key]
        designs, _, inc = _paired(results, reference, pairs, [COST, eff.column], by)
        reps = np.arange(inc[COST].shape[1])
        for d, design in enumerate(designs):
            rows.append(pd.DataFrame({by: design, "effect": key, "pair": reps,
                                      "inc_cost": inc[COST][d], "inc_effect": inc[eff.column][d]}))
    return pd.concat(rows, ignore_index=True)


STATUS_WORDS = {"frontier": "frontier", "D": "dominated", "ED": "extendedly dominated"}
SMALL_N = 10  # fewer paired replicates than this: intervals and probabilities come with a caution


def _frontier(cost: np.ndarray, effect: np.ndarray) -> tuple[list[str], list[int]]:
    """Status code ("frontier", "D", "ED") per option and, for a frontier option, the index of the
    next cheaper frontier option (-1 for the cheapest and for options off the frontier).

    Small plain loops: it runs once per bootstrap resample on a handful of designs."""
    n = len(cost)
    status = ["frontier"] * n
    for i in range(n):  # strong dominance: another costs no more and does no worse, one strictly
        ci, ei = cost[i], effect[i]
        for j in range(n):
            if j != i and cost[j] <= ci and effect[j] >= ei and (cost[j] < ci or effect[j] > ei):
                status[i] = "D"
                break
    order = sorted((i for i in range(n) if status[i] == "frontier"), key=lambda i: (cost[i], -effect[i]))
    changed = True
    while changed and len(order) > 2:  # extended dominance, until the ICERs rise along the frontier
        changed = False
        for k in range(len(order) - 2):
            a, b, c = order[k], order[k + 1], order[k + 2]
            if (cost[b] - cost[a]) * (effect[c] - effect[b]) > (cost[c] - cost[b]) * (effect[b] - effect[a]):
                status[b] = "ED"
                del order[k + 1]
                changed = True
                break
    previous = [-1] * n
    for a, b in zip(order, order[1:]):
        previous[b] = a
    return status, previous


def efficiency_frontier(cost: Sequence[float], effect: Sequence[float],
                        names: Sequence[str] | None = None) -> pd.DataFrame:
    """Which options lie on the cost-effectiveness frontier, by mean cost and mean effect.

    Returns one row per option (in the input order) with ``status`` ("frontier", "D" dominated or
    "ED" extendedly dominated), ``icer_frontier``: for a frontier option, its ICER against the next
    cheaper frontier option (NaN for the cheapest and off the frontier), and ``compared_with``: that
    option's name.

    Examples:
        >>> efficiency_frontier([0, 10, 20, 30], [0, 1, 4, 3], ["a", "b", "c", "d"])["status"].tolist()
        ['frontier', 'ED', 'frontier', 'D']
    """
    cost = np.asarray(cost, dtype=np.float64)
    effect = np.asarray(effect, dtype=np.float64)
    names = list(names) if names is not None else list(range(len(cost)))
    # Options with exactly the same mean cost and effect (the same design under two names) share
    # the status, ICER and comparator of the first of them.
    first = {}
    twin = [first.setdefault((c, e), i) for i, (c, e) in enumerate(zip(cost, effect))]
    unique = [i for i in range(len(cost)) if twin[i] == i]
    status_u, previous_u = _frontier(cost[unique], effect[unique])
    pos = {i: k for k, i in enumerate(unique)}
    status, icer, compared = [], np.full(len(cost), np.nan), []
    for i in range(len(cost)):
        k = pos[twin[i]]
        status.append(status_u[k])
        a = previous_u[k]
        if a >= 0:
            a = unique[a]
            icer[i] = (cost[i] - cost[a]) / (effect[i] - effect[a])
        compared.append(names[a] if a >= 0 else None)
    return pd.DataFrame({"name": names, "status": status, "icer_frontier": icer, "compared_with": compared})


def dominance_probabilities(cost: np.ndarray, effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Over draws (design x draw arrays: bootstrap means, or replicates), per design: the share of
    draws in which it is dominated (another costs no more and does no worse, one strictly) and the
    share in which it lies on the frontier."""
    c, e = cost[:, None, :], effect[:, None, :]   # design i
    oc, oe = cost[None, :, :], effect[None, :, :]  # another design j
    beaten = (oc <= c) & (oe >= e) & ((oc < c) | (oe > e))
    p_dominated = beaten.any(axis=1).mean(axis=1)
    on = np.zeros(cost.shape[0])
    for k in range(cost.shape[1]):
        status, _ = _frontier(cost[:, k].tolist(), effect[:, k].tolist())
        on += [s == "frontier" for s in status]
    return p_dominated, on / max(cost.shape[1], 1)


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


def _name(value) -> str | None:
    """A design name from a table cell, None for an empty one (None or NaN)."""
    return value if isinstance(value, str) else None


def _draws(cost: np.ndarray, effect: np.ndarray, method: str, weights: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray] | None:
    """The draws over which a probability is counted (design x draw): resampled means of the
    replicates ("bootstrap") or the replicates themselves ("replicates", each one possible world)."""
    if method == "replicates":
        return cost, effect
    if weights is None:
        return None
    return cost @ weights.T, effect @ weights.T


def cost_effectiveness(results: pd.DataFrame, reference: str, *, wtp: float = DEFAULT_WTP,
                       decision_effect: str = DEFAULT_EFFECT, effects: Sequence[str] = tuple(EFFECTS),
                       level: float = 0.95, n_boot: int = N_BOOTSTRAP, by: str = "design",
                       ceac: str = "bootstrap", pairs: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The decision table: one row per design and effect, cheapest first within each effect
    (``cost_effectiveness.csv``).

    Args:
        results: one row per design x replicate with ``replicate``, ``by``, ``cost_total`` and the
            effects' count columns (:data:`EFFECTS`).
        reference: the design every other is measured against (it has a row too, with zero increments).
        wtp: willingness to pay per unit of ``decision_effect`` (US dollars); the NMB columns and
            ``prob_best`` are filled on that effect's rows only.
        decision_effect: the effect a decision is made on (a key of :data:`EFFECTS`).
        effects: the effects to tabulate.
        level: interval level; a dominance is called clear when it holds in at least this share
            of the draws.
        n_boot: bootstrap resamples (of replicate pairs).
        pairs: design -> the business-as-usual world of its own cohort it is measured against
            (the others: against ``reference``); those worlds get no row of their own. Increments,
            the frontier and every probability are then taken over each design's own reference,
            which is the same as over ``reference`` when they all share it.
        ceac: how the probabilities (``prob_best``, ``p_dominated``, ``p_frontier``) are counted:
            "bootstrap" (over resampled means: how sure we are about the designs' *averages*) or
            "replicates" (share of paired replicates: each replicate one possible world, the
            convention when replicates draw uncertain parameters).

    Returns:
        Columns: ``by``, effect, effect_label, reference, n_pairs, mean_cost, mean_effect,
        inc_cost, inc_effect (over the reference, with _ci_low/_ci_high), quadrant (over the
        reference), status ("frontier", "D", "ED" by the means), p_dominated, p_frontier,
        clear (the status holds in at least ``level`` of the draws), compared_with and icer (+
        intervals): the ICER against the next cheaper frontier design, on frontier designs only,
        icer_reference (+ intervals): against the reference, on frontier designs only, wtp, nmb
        (+ intervals), prob_best.
    """
    if reference not in set(results[by]):
        raise ValueError(f"reference {reference!r} is not among the designs {list(dict.fromkeys(results[by]))}")
    if decision_effect not in EFFECTS:
        raise ValueError(f"unknown effect {decision_effect!r} (known: {', '.join(EFFECTS)})")
    if ceac not in ("bootstrap", "replicates"):
        raise ValueError(f"ceac = {ceac!r}: bootstrap or replicates")
    pairs = dict(pairs or {})
    cohort = [c for c in COHORT_COLUMNS if c in results]
    tables = []
    for key in effects:
        eff = EFFECTS[key]
        designs, values, inc = _paired(results, reference, pairs, [COST, eff.column, *cohort], by)
        ref = designs.index(reference)
        cost, effect = values[COST], values[eff.column]
        dc, de = inc[COST], inc[eff.column]  # over each design's own reference, replicate by replicate
        n = cost.shape[1]
        weights = _resample(n, n_boot) if n > 1 else None
        cost_b = dc @ weights.T if weights is not None else None  # design x resample: resampled mean increments
        effect_b = de @ weights.T if weights is not None else None
        mean_cost, mean_effect = cost.mean(axis=1), effect.mean(axis=1)
        frontier = efficiency_frontier(dc.mean(axis=1), de.mean(axis=1), designs) if n else \
            efficiency_frontier(mean_cost, mean_effect, designs)
        draws = _draws(dc, de, ceac, weights) if n else None
        p_dom, p_front = dominance_probabilities(*draws) if draws is not None else (np.full(len(designs), np.nan),) * 2
        decision = key == decision_effect
        if decision and n:
            best = prob_best(dc, de, [wtp], method=ceac, n_boot=n_boot)[0]
        size = {c: values[c].mean(axis=1) if n else np.full(len(designs), np.nan) for c in cohort}
        same = (inc["n_classrooms"] == 0).mean(axis=1) if "n_classrooms" in cohort and n else None
        rows = []
        for d, design in enumerate(designs):
            mdc, mde = float(dc[d].mean()) if n else np.nan, float(de[d].mean()) if n else np.nan
            quadrant = "reference" if d == ref else _quadrant(mdc, mde)
            status = frontier["status"].iloc[d]
            p_off = 1 - p_front[d]
            row = {by: design, "effect": key, "effect_label": eff.label, "reference": reference, "n_pairs": n,
                   "mean_cost": float(mean_cost[d]) if n else np.nan,
                   "mean_effect": float(mean_effect[d]) if n else np.nan,
                   "inc_cost": mdc, "inc_cost_ci_low": np.nan, "inc_cost_ci_high": np.nan,
                   "inc_effect": mde, "inc_effect_ci_low": np.nan, "inc_effect_ci_high": np.nan,
                   "quadrant": quadrant, "status": status, "p_dominated": float(p_dom[d]), "p_frontier": float(p_front[d]),
                   "clear": bool((p_dom[d] if status == "D" else p_off if status == "ED" else p_front[d]) >= level),
                   "compared_with": _name(frontier["compared_with"].iloc[d]), "icer": frontier["icer_frontier"].iloc[d],
                   "icer_ci_low": np.nan, "icer_ci_high": np.nan,
                   "icer_reference": np.nan, "icer_reference_ci_low": np.nan, "icer_reference_ci_high": np.nan,
                   "wtp": wtp if decision else np.nan, "nmb": np.nan, "nmb_ci_low": np.nan, "nmb_ci_high": np.nan,
                   "prob_best": float(best[d]) if decision and n else np.nan,
                   "paired_with": pairs.get(design, reference),
                   "same_cohort_share": float(same[d]) if same is not None else np.nan}
            with np.errstate(divide="ignore", invalid="ignore"):
                for c, unit in (("n_classrooms", "classroom"), ("n_children", "child")):
                    if c in size:
                        row[c] = float(size[c][d])
                        row[f"inc_effect_per_{unit}"] = mde / size[c][d] if size[c][d] > 0 else np.nan
                        row[f"inc_cost_per_{unit}"] = mdc / size[c][d] if size[c][d] > 0 else np.nan
            if weights is not None and d != ref:
                dc_b, de_b = cost_b[d], effect_b[d]
                row["inc_cost_ci_low"], row["inc_cost_ci_high"] = _interval(dc_b, level)
                row["inc_effect_ci_low"], row["inc_effect_ci_high"] = _interval(de_b, level)
                if status == "frontier" and quadrant in ("more effective, more costly", "less effective, less costly"):
                    with np.errstate(divide="ignore", invalid="ignore"):
                        row["icer_reference"] = mdc / mde
                    row["icer_reference_ci_low"], row["icer_reference_ci_high"] = _icer_interval(dc_b, de_b, quadrant, level)
            elif n and d != ref and status == "frontier" and mde != 0 and \
                    quadrant in ("more effective, more costly", "less effective, less costly"):
                row["icer_reference"] = mdc / mde
            a = designs.index(row["compared_with"]) if row["compared_with"] is not None else -1
            if weights is not None and a >= 0:  # the step along the frontier: it costs more and does more
                row["icer_ci_low"], row["icer_ci_high"] = _icer_interval(
                    cost_b[d] - cost_b[a], effect_b[d] - effect_b[a], "more effective, more costly", level)
            if decision:
                row["nmb"] = float(net_monetary_benefit(mdc, mde, wtp))
                if weights is not None and d != ref:
                    row["nmb_ci_low"], row["nmb_ci_high"] = _interval(net_monetary_benefit(cost_b[d], effect_b[d], wtp),
                                                                      level)
            rows.append(row)
        table = pd.DataFrame(rows)
        # Cheapest first (the convention of a decision table); the reference first among equals.
        table["_ref"] = table[by] != reference
        tables.append(table.sort_values(["mean_cost", "_ref"], kind="stable").drop(columns="_ref"))
    return pd.concat(tables, ignore_index=True)


def switch_prices(table: pd.DataFrame, effect: str | None = None, by: str = "design") -> pd.DataFrame:
    """The willingness-to-pay values at which the best buy changes (``switch_prices.csv``).

    On the means, the best buy at price 0 is the cheapest frontier design, and it passes to the
    next frontier design at that design's ICER against it: the sequential ICERs of the frontier.
    The interval of each switch price is that ICER's (bootstrap over replicate pairs; "inf": the
    next design's extra gain may be nothing, so no price may be enough). ``table`` is
    :func:`cost_effectiveness`; ``effect`` defaults to its decision effect.
    """
    if effect is None:
        effect = table.loc[table["wtp"].notna(), "effect"].iloc[0] if table["wtp"].notna().any() else DEFAULT_EFFECT
    rows = table[(table["effect"] == effect) & (table["status"] == "frontier")].sort_values("mean_cost")
    cheapest = rows[by].iloc[0] if len(rows) else None
    out = [{"effect": effect, "from": r["compared_with"], "to": r[by], "wtp": r["icer"], "wtp_ci_low": r["icer_ci_low"],
            "wtp_ci_high": r["icer_ci_high"], "n_pairs": r["n_pairs"], "best_below": r["compared_with"],
            "best_above": r[by]} for r in rows.to_dict("records") if _name(r["compared_with"]) is not None]
    frame = pd.DataFrame(out, columns=["effect", "from", "to", "wtp", "wtp_ci_low", "wtp_ci_high", "n_pairs",
                                       "best_below", "best_above"])
    # Designs with identical means (the same design under two names) switch together: one row.
    frame = frame.drop_duplicates(subset=["from", "wtp"], keep="first").reset_index(drop=True)
    frame.attrs["best_at_zero"] = cheapest
    return frame


def what_budget_buys(results: pd.DataFrame, budget: float, reference: str, *, effect: str = DEFAULT_EFFECT,
                     pairs: Mapping[str, str] | None = None, level: float = 0.95, n_boot: int = N_BOOTSTRAP,
                     by: str = "design") -> pd.DataFrame:
    """What ``budget`` dollars buy of each design (``budget.csv``): how many of its cohorts (budget /
    mean cost of one), the classrooms and children in them, and the extra ``effect`` over each
    cohort's reference, in total (with the children in the extra classrooms, for a classroom
    effect: extra classrooms x the cohort's children per classroom). Intervals: bootstrap over the
    replicate pairs. A design that costs nothing has no row values (any budget buys it without end)."""
    column = EFFECTS[effect].column
    cohort = [c for c in COHORT_COLUMNS if c in results]
    designs, values, inc = _paired(results, reference, pairs, [COST, column, *cohort], by)
    n = values[COST].shape[1]
    weights = _resample(n, n_boot) if n > 1 else None
    rows = []
    for d, design in enumerate(designs):
        cost = values[COST][d].mean() if n else np.nan
        row = {by: design, "budget": budget, "effect": effect, "mean_cost": cost, "n_pairs": n}
        with np.errstate(divide="ignore", invalid="ignore"):
            share = (values["n_children"][d] / values["n_classrooms"][d]) if len(cohort) == 2 else None
            if not n or not cost > 0:
                rows.append(row)
                continue
            cohorts = budget / cost
            estimates = {"cohorts": cohorts, "extra_effect": cohorts * inc[column][d].mean()}
            for c in cohort:
                estimates[c] = cohorts * values[c][d].mean()
            per_class = values["n_children"][d].sum() / values["n_classrooms"][d].sum() if share is not None else np.nan
            if effect.startswith("classrooms") and share is not None:
                estimates["children_in_extra_classrooms"] = estimates["extra_effect"] * per_class
            for name, value in estimates.items():
                row[name] = float(value)
            if weights is not None:
                cost_b = values[COST][d] @ weights.T
                cohorts_b = budget / cost_b
                draws = {"cohorts": cohorts_b, "extra_effect": cohorts_b * (inc[column][d] @ weights.T)}
                for c in cohort:
                    draws[c] = cohorts_b * (values[c][d] @ weights.T)
                if "children_in_extra_classrooms" in estimates:
                    ratio = (values["n_children"][d] @ weights.T) / (values["n_classrooms"][d] @ weights.T)
                    draws["children_in_extra_classrooms"] = draws["extra_effect"] * ratio
                for name, sample in draws.items():
                    row[f"{name}_ci_low"], row[f"{name}_ci_high"] = _interval(sample[np.isfinite(sample)], level)
        rows.append(row)
    return pd.DataFrame(rows)


def small_n_caution(n: int, method: str = "bootstrap") -> str:
    """A caution for probabilities and intervals from few replicates ("" from :data:`SMALL_N` on)."""
    if n >= SMALL_N:
        return ""
    what = "resamples of" if method == "bootstrap" else "of"
    return (f"only {n} paired replicate{'s' if n != 1 else ''}: a chance of 0% or 100% means the {what} {n} "
            f"replicates agreed, not certainty; intervals from so few are rough (use replications={SMALL_N * 3} "
            "or more for a decision)")


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
    n_designs, n_draws = cost.shape
    if n_draws == 0:
        return np.zeros((len(wtps), n_designs))
    best = np.argmax(wtps[:, None, None] * effect[None] - cost[None], axis=1)  # wtp x draw (all prices at once)
    flat = (np.arange(len(wtps))[:, None] * n_designs + best).ravel()
    return np.bincount(flat, minlength=len(wtps) * n_designs).reshape(len(wtps), n_designs) / n_draws


def acceptability(results: pd.DataFrame, wtps: Sequence[float], *, effect: str = DEFAULT_EFFECT,
                  method: str = "bootstrap", n_boot: int = N_BOOTSTRAP, by: str = "design",
                  reference: str | None = None, pairs: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The cost-effectiveness acceptability curves and frontier (tidy: wtp, design, prob_best,
    optimal, ceaf): per ``wtp`` and design, the probability that the design has the highest net
    monetary benefit; ``optimal`` marks the design with the highest *mean* net benefit at that
    price (the decision on expected values), and ``ceaf`` is its probability there (the
    acceptability frontier; NaN for the other designs)."""
    column = EFFECTS[effect].column
    if pairs:  # net benefits over each design's own reference (see cost_effectiveness)
        designs, _, inc = _paired(results, reference, pairs, [COST, column], by)
        cost, eff = inc[COST], inc[column]
    else:  # a common reference: absolute values rank the designs as increments over it would
        designs = list(dict.fromkeys(results[by]))
        data = _aligned(results, designs, [COST, column], by)
        cost, eff = data[COST], data[column]
    wtps = np.asarray(wtps, dtype=np.float64)
    probs = prob_best(cost, eff, wtps, method=method, n_boot=n_boot)
    if cost.shape[1]:
        expected = wtps[:, None] * eff.mean(axis=1)[None, :] - cost.mean(axis=1)[None, :]  # wtp x design
        optimal = np.zeros_like(probs, dtype=bool)
        optimal[np.arange(len(wtps)), np.argmax(expected, axis=1)] = True
    else:
        optimal = np.zeros_like(probs, dtype=bool)
    return pd.DataFrame({"wtp": np.repeat(wtps, len(designs)), by: designs * len(wtps), "prob_best": probs.ravel(),
                         "optimal": optimal.ravel(), "ceaf": np.where(optimal, probs, np.nan).ravel()})


def wtp_grid(table: pd.DataFrame, wtp: float, n: int = 101) -> np.ndarray:
    """Willingness-to-pay values for the acceptability curve: from $0 past the chosen ``wtp`` and
    the highest ICER on the frontier (so every switch of the best buy is in view)."""
    frontier = table["icer"].to_numpy(np.float64)
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
