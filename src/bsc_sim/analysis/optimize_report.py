"""What ``bsc-sim optimize`` shows a planner: the Pareto-front figure, the console table and the
description of each design file.

Presentation only: it takes the objectives' labels as an argument and imports nothing from
:mod:`.optimize`, which calls it (the command itself is :mod:`.optimize_cli`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_pareto", "design_description", "format_front"]


def usd(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"${value:,.0f}"


def design_description(row: Mapping[str, Any], spec, objectives: Mapping[str, Any]) -> str:
    """One line for a design file's ``description:``: which trial, its objectives and cost, with intervals
    (``objectives``: name -> an object with a ``label``, as :data:`.optimize.OBJECTIVES`)."""
    parts = [f"bsc-sim optimize trial {row['trial']} (budget {usd(spec.budget)})"]
    for o in spec.objectives:
        parts.append(f"{objectives[o].label}: {row[o]:.3g} [{row[o + '_ci_low']:.3g}, {row[o + '_ci_high']:.3g}]")
    parts.append(f"cost {usd(row['cost'])} [{usd(row['cost_ci_low'])}, {usd(row['cost_ci_high'])}]")
    return "; ".join(parts) + f" (means with 95% intervals over {spec.confirm_replications} confirmation replicates)"


def plot_pareto(trials: pd.DataFrame, pareto: pd.DataFrame, base: Mapping[str, Any], spec,
                objectives: Mapping[str, Any]):
    """Cost against the first objective: every trial, the front as searched and as confirmed
    (with 95% intervals on both axes), the base design, and the budget."""
    import matplotlib.pyplot as plt

    o = spec.objectives[0]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    done = trials[trials["state"] == "COMPLETE"]
    ok = done[done["within_budget"]]
    over = done[~done["within_budget"]]
    far = over[over["cost_mean"] > 1.6 * spec.budget]  # kept off the figure so the front stays legible
    over = over[over["cost_mean"] <= 1.6 * spec.budget]
    ax.scatter(ok["cost_mean"], ok[f"{o}_mean"], s=18, color="0.6", label=f"trials within budget ({len(ok)})")
    ax.scatter(over["cost_mean"], over[f"{o}_mean"], s=18, marker="x", color="tab:red", alpha=0.5,
               label=f"trials over budget ({len(over)}" + (f"; {len(far)} more beyond {usd(1.6 * spec.budget)})"
                                                             if len(far) else ")"))
    if len(pareto):
        searched = pareto.sort_values("search_cost_mean")
        ax.plot(searched["search_cost_mean"], searched[f"search_{o}_mean"], "--", color="tab:blue", lw=1,
                label="front as searched")
        for within, colour, text in ((True, "tab:blue", "confirmed, within budget"),
                                     (False, "tab:orange", "confirmed, over budget (excluded)")):
            sub = pareto[pareto["within_budget"] == within]
            if not len(sub):
                continue
            ax.errorbar(sub["cost"], sub[o], xerr=[sub["cost"] - sub["cost_ci_low"], sub["cost_ci_high"] - sub["cost"]],
                        yerr=[sub[o] - sub[f"{o}_ci_low"], sub[f"{o}_ci_high"] - sub[o]], fmt="o", color=colour,
                        capsize=3, label=f"{text} ({len(sub)})")
            for r in sub.itertuples():
                ax.annotate(r.design.replace("opt_", ""), (r.cost, getattr(r, o)), textcoords="offset points",
                            xytext=(4, 4), fontsize=7)
    if np.isfinite(base.get("cost", np.nan)):
        ax.errorbar([base["cost"]], [base[o]], yerr=[[base[o] - base[f"{o}_ci_low"]], [base[f"{o}_ci_high"] - base[o]]],
                    fmt="s", color="black", capsize=3, label=f"{base['design']}")
    ax.axvline(spec.budget, color="tab:red", lw=1.2)
    ax.text(spec.budget, ax.get_ylim()[1], f" budget {usd(spec.budget)}", color="tab:red", va="top", fontsize=8)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: usd(v)))
    ax.set_xlabel("mean total cost of one collaborative (USD)")
    ax.set_ylabel(objectives[o].label + (" (share)" if objectives[o].den else " (per cohort)"))
    ax.set_title(f"Designs searched ({len(done)} trials x {spec.replications} seeds) and the confirmed front "
                 f"({spec.confirm_replications} new seeds)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def format_front(pareto: pd.DataFrame, base: Mapping[str, Any], spec) -> str:
    """The confirmed front as plain text, cheapest first, currency as currency."""
    if not len(pareto):
        return f"No trial had a mean cost within the budget of {usd(spec.budget)}; try more trials or other levers."
    o = spec.objectives[0]
    lines = [f"Confirmed front ({spec.confirm_replications} new seeds; 95% intervals; vs = paired difference "
             f"from {base['design']}):"]
    for r in pareto.to_dict("records"):
        flag = "" if r["within_budget"] else "   OVER BUDGET: excluded, no design file"
        flag += "   (beaten by another front design on confirmation)" if r.get("dominated_on_confirmation") else ""
        lines.append(f"  {r['design']}  {o} {r[o]:.3g} [{r[o + '_ci_low']:.3g}, {r[o + '_ci_high']:.3g}] "
                     f"vs {r[o + '_vs_base']:+.3g} [{r[o + '_vs_base_ci_low']:+.3g}, {r[o + '_vs_base_ci_high']:+.3g}]"
                     f"  cost {usd(r['cost'])} [{usd(r['cost_ci_low'])}, {usd(r['cost_ci_high'])}]{flag}")
        lines.append("      " + ", ".join(f"{n}={r[n]}" for n in spec.point_names))
    lines.append(f"  {base['design']}: {o} {base[o]:.3g} [{base[o + '_ci_low']:.3g}, {base[o + '_ci_high']:.3g}], "
                 f"cost {usd(base['cost'])}")
    inside = pareto[pareto["within_budget"]]
    if len(inside):
        best = inside.sort_values([o, "cost"], ascending=[False, True]).iloc[0]
        lines.append(f"Most {o} within {usd(spec.budget)}: {best['design']} ({best['design_file']})")
    return "\n".join(lines)
