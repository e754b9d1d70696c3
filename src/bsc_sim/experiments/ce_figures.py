"""Figures of cost-effectiveness: the cost-effectiveness plane and the acceptability curve.

Both take the tidy tables of :mod:`bsc_sim.cost_effectiveness` (never a model) and return
a Figure; designs keep their colours (:func:`bsc_sim.palette.design_colors`), costs are drawn in
dollars, and each figure's subtitle says what its marks are and how many replicates stand behind them.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..cost_effectiveness import EFFECTS
from ..palette import design_colors, design_label
from ..plotting import money, money_axis, percent_axis, talk_style
from .figures import _subtitle

__all__ = ["plot_ce_plane", "plot_acceptability"]

JITTER = 0.2  # sideways spread of replicate dots: increments are whole classrooms and pile up otherwise


def plot_ce_plane(increments: pd.DataFrame, table: pd.DataFrame, *, wtp: float | None = None,
                  decision_effect: str = "classrooms_sustained", by: str = "design", scope: str = "cohort") -> Figure:
    """Each design's extra cost against its extra effect over the reference, one panel per effect
    (``scope``: what one run is, "cohort" or "state", for the axis labels).

    Args:
        increments: :func:`~bsc_sim.cost_effectiveness.paired_increments` (one row per
            design, effect and replicate pair).
        table: :func:`~bsc_sim.cost_effectiveness.cost_effectiveness`.
        wtp: willingness to pay per unit of ``decision_effect``: drawn as a line on its panel.
        decision_effect: the effect drawn first (and the only one with the wtp line).
    """
    effects = list(dict.fromkeys(table["effect"]))
    effects.sort(key=lambda e: e != decision_effect)
    reference = table["reference"].iloc[0]
    designs = list(dict.fromkeys(table[by]))
    colours = design_colors(designs)
    others = [d for d in designs if d != reference]
    rng = np.random.default_rng(0)  # jitter only; the same picture every time
    n_pairs = int(table["n_pairs"].max()) if len(table) else 0
    with talk_style():
        fig = plt.figure(figsize=(13.0, 9.0) if len(effects) > 1 else (8.5, 6.5), layout="constrained")
        if len(effects) > 1:  # the decision effect large on the left, the others stacked on the right
            grid = fig.add_gridspec(len(effects) - 1, 2, width_ratios=[1.35, 1])
            axes = [fig.add_subplot(grid[:, 0])] + [fig.add_subplot(grid[k, 1]) for k in range(len(effects) - 1)]
        else:
            axes = [fig.add_subplot()]
        for ax, effect in zip(axes, effects):
            rows = table[table["effect"] == effect].set_index(by)
            inc = increments[increments["effect"] == effect]
            ax.axhline(0, color="0.35", lw=1)
            ax.axvline(0, color="0.35", lw=1)
            for design in others:
                cloud = inc[inc[by] == design]
                x = cloud["inc_effect"].to_numpy(np.float64)
                ax.scatter(x + rng.uniform(-JITTER, JITTER, len(x)), cloud["inc_cost"], s=16, alpha=0.3,
                           color=colours[design], lw=0, zorder=2)
            for design in others:
                row = rows.loc[design]
                on_frontier = row["status"] == "frontier"
                xerr = [[row["inc_effect"] - row["inc_effect_ci_low"]], [row["inc_effect_ci_high"] - row["inc_effect"]]]
                yerr = [[row["inc_cost"] - row["inc_cost_ci_low"]], [row["inc_cost_ci_high"] - row["inc_cost"]]]
                if np.isfinite(np.asarray(xerr, dtype=float)).all() and np.isfinite(np.asarray(yerr, dtype=float)).all():
                    ax.errorbar(row["inc_effect"], row["inc_cost"], xerr=xerr, yerr=yerr, color=colours[design],
                                lw=1.6, capsize=3, zorder=3)
                if on_frontier:  # filled in its colour
                    ax.plot(row["inc_effect"], row["inc_cost"], "o", ms=11, mec="black", mew=1.2, zorder=4,
                            color=colours[design], gid=design)
                else:  # off the frontier: hollow, a thick ring of its colour around white
                    ax.plot(row["inc_effect"], row["inc_cost"], "o", ms=12, mfc="white", mec=colours[design], mew=3.0,
                            color=colours[design], zorder=4, gid=design)
            frontier = rows[rows["status"] == "frontier"].sort_values("inc_cost")
            if len(frontier) > 1:
                ax.plot(frontier["inc_effect"], frontier["inc_cost"], color="black", lw=1.8, ls="-", zorder=3.5)
            if wtp is not None and effect == decision_effect:  # drawn within the data's range, not stretching it
                xs, ys = np.array(ax.get_xlim()), ax.get_ylim()
                ax.plot(xs, wtp * xs, color="0.45", lw=1.4, ls="--", zorder=1.5)
                ax.set_xlim(*xs)
                ax.set_ylim(*ys)
            money_axis(ax, "y", signed=True)
            ax.set_xlabel(f"extra {EFFECTS[effect].plural if effect in EFFECTS else effect} per {scope}")
            ax.set_ylabel(f"extra cost per {scope}")
            ax.set_title(EFFECTS[effect].label if effect in EFFECTS else effect,
                         fontsize=13 if effect == decision_effect else 11.5, wrap=True)
        decision = table[table["effect"] == decision_effect].set_index(by)
        off = [d for d in others if d in decision.index and decision.loc[d, "status"] != "frontier"]
        handles = [Line2D([], [], marker="o", ls="", ms=10, mec=colours[d], mfc="white", mew=2.6, color=colours[d],
                          label=f"{design_label(d)} ({decision.loc[d, 'status']})") if d in off else
                   Line2D([], [], marker="o", ls="", ms=10, mec="black", color=colours[d], label=design_label(d))
                   for d in others]
        handles += [Line2D([], [], color="black", lw=1.8, label="efficiency frontier"),
                    Line2D([], [], marker="o", ls="", ms=10, mec="0.3", mfc="white", mew=2.6, color="0.3",
                           label="hollow ring: dominated (D) or\nextendedly dominated (ED)")]
        if wtp is not None:
            handles.append(Line2D([], [], color="0.45", lw=1.4, ls="--",
                                  label=f"willingness to pay, {money(wtp)} per {EFFECTS[decision_effect].unit}:\n"
                                        "below the line the gain is worth its cost"))  # two lines: fits the figure
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), frameon=False,
                   fontsize=11)
        _subtitle(fig, f"What each design adds over {design_label(reference)}, and what it costs",
                  f"small dots: one replicate's difference from {design_label(reference)} on the same seed (same "
                  f"cohort), spread sideways by up to {JITTER} so that equal counts do not hide each other; large "
                  f"dot: mean over {n_pairs} replicates, bars: 95% bootstrap intervals; the slope from the origin "
                  "to a dot is its cost per extra unit (ICER)")
    return fig


def plot_acceptability(curve: pd.DataFrame, *, wtp: float | None = None, effect: str = "classrooms_sustained",
                       n_pairs: int | None = None, method: str = "bootstrap", by: str = "design",
                       switches: pd.DataFrame | None = None) -> Figure:
    """The cost-effectiveness acceptability curves and frontier: per willingness to pay, the
    probability that each design has the highest net monetary benefit; the frontier (CEAF, where
    ``curve`` has a ``ceaf`` column) follows the design with the highest mean net benefit, and
    dotted lines mark the ``switches`` (:func:`~bsc_sim.cost_effectiveness.switch_prices`)."""
    designs = list(dict.fromkeys(curve[by]))
    colours = design_colors(designs)
    unit = EFFECTS[effect].unit if effect in EFFECTS else effect
    plural = EFFECTS[effect].plural if effect in EFFECTS else effect
    with talk_style():
        fig, ax = plt.subplots(figsize=(11, 5.8), layout="constrained")
        for design in designs:
            df = curve[curve[by] == design]
            ax.plot(df["wtp"], df["prob_best"], color=colours[design], lw=2.6, label=design_label(design), gid=design)
        if "ceaf" in curve and curve["ceaf"].notna().any():
            ceaf = curve.groupby("wtp", sort=True)["ceaf"].max()
            ax.plot(ceaf.index, ceaf.to_numpy(), color="black", lw=7, alpha=0.18, solid_capstyle="butt", zorder=1,
                    label="acceptability frontier (the design\nwith the highest mean net benefit)", gid="ceaf")
        if switches is not None:
            for k, r in enumerate(switches.to_dict("records")):
                if np.isfinite(r["wtp"]) and curve["wtp"].min() <= r["wtp"] <= curve["wtp"].max():
                    ax.axvline(r["wtp"], color="0.45", ls=":", lw=1.4, zorder=1,
                               label="price at which the best buy changes" if k == 0 else None)
        if wtp is not None:
            ax.axvline(wtp, color="0.3", ls="--", lw=1.3)
            ax.annotate(f"chosen: {money(wtp)}", (wtp, 0.5), xytext=(5, 0), textcoords="offset points",
                        va="center", fontsize=10.5, color="0.25",
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
        ax.set_ylim(-0.02, 1.04)
        ax.set_xlim(curve["wtp"].min(), curve["wtp"].max())
        percent_axis(ax, "y")
        money_axis(ax, "x", max_ticks=8)
        ax.set_xlabel(f"willingness to pay per extra {unit}")
        ax.set_ylabel("probability of the highest net benefit")
        fig.legend(loc="outside lower center", ncols=min(4, len(designs)), frameon=False)
        reps = f"{n_pairs} " if n_pairs else ""
        how = (f"over bootstrap resamples of the {reps}paired replicates: how sure we are which design's average "
               "net benefit is highest" if method == "bootstrap" else
               f"share of the {reps}paired replicates (each one possible world) in which the design's net benefit "
               "is highest")
        _subtitle(fig, "Which design is the best buy, at each price a funder would pay",
                  f"line: probability that the design has the highest net monetary benefit (price x extra {plural} "
                  f"- extra cost), {how}; grey band: the acceptability frontier")
    return fig
