"""The figure of `bsc-sim plan` (plan.png): candidates, coverage over time and the yearly budget."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.specs import params_with, replicate_seeds
from ..paramtools import ParamError
from ..params import Params
from .design_space import Dimension


def save_figure(fig, path: Path) -> None:
    fig.savefig(path, dpi=110, format="png")


def plot_plan(plans: pd.DataFrame, budget: pd.DataFrame, bau_runs, spec: Any, years=None, *,
              bau_years: pd.DataFrame):
    """Left: each candidate's chance of reaching the target against its total cost (the recommended
    one ringed). Right: the recommended plan's yearly budget by cost category, with the shares
    reached by year against business as usual."""
    from matplotlib.figure import Figure

    from ..plotting import money, percent_axis, talk_style

    with talk_style():
        fig = Figure(figsize=(18, 5.6), layout="constrained")
        ax_c, ax_t, ax_b = fig.subplots(1, 3)
        if len(plans):
            x = plans["cost_total"] / 1e6
            ax_c.errorbar(x, plans["chance_reached"], yerr=[plans["chance_reached"] - plans["chance_reached_low"],
                                                            plans["chance_reached_high"] - plans["chance_reached"]],
                          fmt="o", ms=6, alpha=0.75, capsize=2, label=f"reached >= {spec.target:.0%} by year {spec.by_year}")
            ax_c.plot(x, plans["chance_sustained"], "s", ms=5, alpha=0.6, label="sustained (one follow-up year on)")
            rec = plans[plans["recommended"]]
            if len(rec):
                ax_c.plot(rec["cost_total"] / 1e6, rec["chance_reached"], "o", ms=16, mfc="none", mec="k", mew=2,
                          label="recommended")
            ax_c.axhline(spec.confidence, color="0.5", ls=":", lw=1.5)
            ax_c.text(x.min(), spec.confidence, f" wanted chance {spec.confidence:.0%}", va="bottom", color="0.4",
                      fontsize=10)
        ax_c.set(xlabel="total cost, all cohorts to their follow-up (US$ millions)",
                 ylabel="chance of meeting the target", ylim=(-0.05, 1.05),
                 title=f"Candidate schedules ({len(plans)}), each over {spec.replications} worlds")
        percent_axis(ax_c)
        ax_c.legend(frameon=False, loc="lower right", fontsize=10)
        _plot_coverage(ax_t, budget, bau_runs, spec, bau_years)
        if len(budget):
            cats = [c for c in budget.columns if c.startswith("cost_") and c not in ("cost_total", "cost_total_p05",
                                                                                     "cost_total_p95")]
            cats = [c for c in cats if budget[c].sum() > 0]
            cats = sorted(cats, key=lambda c: -budget[c].sum())
            shown, rest = cats[:6], cats[6:]
            bottom = np.zeros(len(budget))
            for c in shown:
                ax_b.bar(budget["year"], budget[c] / 1e6, bottom=bottom, label=c.removeprefix("cost_").replace("_", " "))
                bottom += budget[c].to_numpy() / 1e6
            if rest:
                other = budget[rest].sum(axis=1).to_numpy() / 1e6
                ax_b.bar(budget["year"], other, bottom=bottom, label="other", color="0.7")
            ax_b.errorbar(budget["year"], budget["cost_total"] / 1e6,
                          yerr=[(budget["cost_total"] - budget["cost_total_p05"]) / 1e6,
                                (budget["cost_total_p95"] - budget["cost_total"]) / 1e6],
                          fmt="none", ecolor="k", capsize=3)
            if spec.budget_per_year:
                ax_b.axhline(spec.budget_per_year / 1e6, color="C3", ls="--", lw=1.5, label="budget per year")
            ax_b.set(xlabel="year", ylabel="cost (US$ millions)",
                     title=f"{budget['plan'].iloc[0]}: yearly budget (5-95% of worlds)")
            ax_b.set_xticks(budget["year"])
            ax_b.legend(frameon=False, fontsize=9, loc="upper right")
            total = budget["cost_total"].sum()
            fig.text(0.99, 0.995, f"Recommended plan: {money(total)} in all", ha="right", va="top", fontsize=10.5,
                     color="0.3")
        else:
            ax_b.text(0.5, 0.5, "no candidate within the budget", ha="center", va="center", transform=ax_b.transAxes)
            ax_b.set_axis_off()
        fig.suptitle(f"bsc-sim plan: {spec.target:.0%} of the state's classrooms reached by year {spec.by_year}",
                     x=0.01, ha="left")
    return fig


def _plot_coverage(ax, budget: pd.DataFrame, bau_runs, spec: Any, bau_years: pd.DataFrame) -> None:
    """Share of the state's classrooms reached at the end of each year: the recommended plan, business
    as usual and the baseline (week 0), means over the same worlds; the axis fits the data."""
    from ..plotting import percent_axis, share_axis_limits

    bau = bau_years
    base = float(np.mean([r["reached_baseline"] for r in bau_runs]))
    tops = [bau["frac_classrooms_reached"].to_numpy(), np.array([base, spec.target])]
    ax.plot(bau["year"], bau["frac_classrooms_reached"], "s--", lw=2, color="0.45", label="business as usual")
    if len(budget):
        ax.plot(budget["year"], budget["frac_classrooms_reached"], "o-", lw=2.5, color="C0",
                label="recommended plan: reached")
        ax.plot(budget["year"], budget["frac_classrooms_sustained"], "o:", lw=2, color="C2",
                label="of them sustained since their cohort ended")
        tops.append(budget["frac_classrooms_reached"].to_numpy())
    ax.axhline(base, color="0.6", lw=1, ls="-.", label="baseline (week 0)")
    ax.axhline(spec.target, color="C3", lw=1.2, ls=":", label=f"target {spec.target:.0%}")
    ax.axvline(spec.by_year, color="0.75", lw=1)
    ax.set(xlabel="end of year", ylabel="share of the state's classrooms", ylim=share_axis_limits(np.concatenate(tops)),
           title=f"Coverage by year (cohorts start until year {spec.by_year})")
    percent_axis(ax)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
