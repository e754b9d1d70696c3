"""What ``compare`` writes and prints about cost-effectiveness, built from its results table.

:func:`cost_effectiveness_outputs` computes the tables (``cost_effectiveness.csv``,
``acceptability.csv``) and the two figures from the pure functions of
:mod:`bsc_sim.cost_effectiveness`; :func:`format_comparison` and
:func:`format_cost_effectiveness` are the console's plain-text tables, with dollars as dollars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..cost_effectiveness import (
    EFFECTS,
    acceptability,
    cost_effectiveness,
    paired_increments,
    wtp_grid,
)
from ..formatting import interval, number, pct, points, usd, usd_interval
from ..palette import outcome_label

__all__ = ["CEOutputs", "cost_effectiveness_outputs", "ceac_method", "format_comparison",
           "format_cost_effectiveness"]


@dataclass
class CEOutputs:
    """The cost-effectiveness tables of a comparison (the figures are drawn from them)."""

    table: pd.DataFrame          # cost_effectiveness.csv
    curve: pd.DataFrame          # acceptability.csv
    increments: pd.DataFrame     # paired replicate increments (the plane's clouds)
    reference: str
    wtp: float
    effect: str
    method: str
    scope: str = "cohort"        # what one run is: a cohort, or a state (statewide systems)

    def figures(self) -> dict[str, object]:
        """``ce_plane.png`` and ``acceptability.png`` as Figures (only with a design besides the reference)."""
        from .ce_figures import plot_acceptability, plot_ce_plane

        if self.table["design"].nunique() < 2:
            return {}
        n = int(self.table["n_pairs"].max())
        return {"ce_plane.png": plot_ce_plane(self.increments, self.table, wtp=self.wtp, decision_effect=self.effect,
                                               scope=self.scope),
                "acceptability.png": plot_acceptability(self.curve, wtp=self.wtp, effect=self.effect, n_pairs=n,
                                                        method=self.method)}


def ceac_method(uncertainty: str | None) -> str:
    """How the acceptability curve is estimated: per replicate when each replicate drew its own
    uncertain parameters (each one possible world, the convention of probabilistic sensitivity
    analysis); otherwise by bootstrap of the replicates' means (seed noise only: how sure we are
    which design's average is best)."""
    return "replicates" if uncertainty == "parameters" else "bootstrap"


def cost_effectiveness_outputs(results: pd.DataFrame, reference: str, *, wtp: float, effect: str,
                               uncertainty: str | None = None, scope: str = "cohort") -> CEOutputs:
    """The tables of a comparison's cost-effectiveness against ``reference``."""
    method = ceac_method(uncertainty)
    table = cost_effectiveness(results, reference, wtp=wtp, decision_effect=effect, ceac=method)
    grid = wtp_grid(table[table["effect"] == effect], wtp)
    curve = acceptability(results, grid, effect=effect, method=method)
    return CEOutputs(table, curve, paired_increments(results, reference), reference, wtp, effect, method, scope)


def _value(outcome: str, value: float, *, difference: bool = False) -> str:
    if outcome.startswith("frac_"):
        return points(value) if difference else pct(value)
    if outcome.startswith("cost_"):
        return usd(value, signed=difference)
    return number(value, 2, signed=difference)


def format_comparison(comparison: pd.DataFrame, outcomes: Sequence[str]) -> str:
    """Means with 95% intervals, and paired differences from the reference, for ``outcomes``:
    shares in percent (differences in percentage points), costs in dollars."""
    lines = []
    width = max([len(d) for d in comparison["design"]] + [10]) + 2
    for outcome in outcomes:
        rows = comparison[comparison["outcome"] == outcome]
        if rows.empty:
            continue
        lines.append(f"{outcome_label(outcome)}")
        for row in rows.itertuples():
            mean = f"{_value(outcome, row.mean)} {interval(row.ci_low, row.ci_high, lambda v: _value(outcome, v))}"
            diff = "" if row.design == row.reference else (
                f"   vs {row.reference}: {_value(outcome, row.diff_mean, difference=True)} "
                f"{interval(row.diff_ci_low, row.diff_ci_high, lambda v: _value(outcome, v, difference=True))}")
            lines.append(f"  {row.design:<{width}} {mean:<34}{diff}")
    return "\n".join(lines)


def format_cost_effectiveness(out: CEOutputs) -> str:
    """The console's cost-effectiveness table: per design, extra cost and extra effect over the
    reference, the cost per extra unit (ICER), its status on the frontier, the net benefit at the
    willingness to pay and the chance of being the best buy; then the ICERs of the other effects."""
    t = out.table
    main = t[t["effect"] == out.effect]
    eff = EFFECTS[out.effect]
    n = int(main["n_pairs"].max()) if len(main) else 0
    width = max([len(d) for d in t["design"]] + [10]) + 2
    lines = [f"Cost-effectiveness against {out.reference} (per {out.scope}, mean of {n} paired replicates, 95% bootstrap "
             "intervals)",
             f"  effect: {eff.label}; willingness to pay {usd(out.wtp)} per {eff.unit} (wtp=)", ""]
    head = (f"  {'design':<{width}} {'extra cost':<30} {'extra ' + eff.plural:<30} "
            f"{'cost per extra ' + eff.unit:<40} {'status':<21} {'net benefit':<11} P(best)")
    lines.append(head)
    for row in main.itertuples():
        if row.design == out.reference:
            lines.append(f"  {row.design:<{width}} {'(reference) mean cost ' + usd(row.mean_cost):<30} "
                         f"{'(' + number(row.mean_effect) + ')':<30} {'':<40} {row.status:<21} {'':<11} "
                         f"{pct(row.prob_best, 0)}")
            continue
        cost = f"{usd(row.inc_cost, signed=True)} {usd_interval(row.inc_cost_ci_low, row.inc_cost_ci_high, signed=True)}"
        gain = f"{number(row.inc_effect, signed=True)} {interval(row.inc_effect_ci_low, row.inc_effect_ci_high, lambda v: number(v, signed=True))}"
        icer = (f"{usd(row.icer)} {usd_interval(row.icer_ci_low, row.icer_ci_high)}" if row.icer == row.icer
                else row.quadrant)
        lines.append(f"  {row.design:<{width}} {cost:<30} {gain:<30} {icer:<40} {row.status:<21} "
                     f"{usd(row.nmb, signed=True):<11} {pct(row.prob_best, 0)}")
    others = [e for e in dict.fromkeys(t["effect"]) if e != out.effect]
    if others:
        lines += ["", "  cost per extra unit of the other effects (status on each effect's own frontier):"]
        for e in others:
            lines.append(f"    {EFFECTS[e].label}:")
            for row in t[(t["effect"] == e) & (t["design"] != out.reference)].itertuples():
                icer = f"{usd(row.icer)} {usd_interval(row.icer_ci_low, row.icer_ci_high)}" if row.icer == row.icer \
                    else row.quadrant
                lines.append(f"      {row.design:<{width}} {number(row.inc_effect, signed=True):>8} {EFFECTS[e].plural:<20}"
                             f"   {icer:<40} {row.status}")
    lines += ["", "  status: frontier = worth considering at some price; dominated = another design costs less and "
                  "does more; extendedly dominated = a mix of two others does more for the money"]
    return "\n".join(lines)
