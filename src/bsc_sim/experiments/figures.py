"""Figures of experiments. Every function takes tidy DataFrames (never models) and returns a Figure.

Each figure says in its subtitle what its dots, lines, bands or bars are and how many replicates
stand behind them; designs keep their colours from :mod:`bsc_sim.palette`; shares are drawn on
percent axes (differences of shares in percentage points) and costs in dollars. Figures are made
with pyplot, so a notebook shows them with ``plt.show()`` and ``bsc-sim`` closes them after saving.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..palette import design_color, design_label, outcome_label, param_label
from ..plotting import calendar_handles, mark_calendar, percent_axis, talk_style, value_axis

__all__ = ["LABELS", "plot_curve_bands", "plot_differences", "plot_indices", "plot_sweep"]

# Kept for callers of the old name; the labels themselves live in bsc_sim.palette.
LABELS = {k: outcome_label(k, short=True) for k in (
    "frac_classrooms_reached_end", "frac_classrooms_reached_followup", "frac_classrooms_sustained_followup",
    "frac_frontline_fidelity_end", "mean_progress_score", "cost_total", "frac_pdsa_well_run", "frac_pdsa_misread",
    "culture_end", "frac_classrooms_reached")}
HUE_COLORS = ("#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e", "#e6ab02")  # sweep levels (not designs)


def _subtitle(fig: Figure, title: str, key: str) -> None:
    """A bold title and, under it, the key that says what the marks are and how many runs they rest on
    (wrapped to the figure's width, so it is never cut off)."""
    import textwrap

    width = max(40, int(fig.get_figwidth() * 13))  # characters of 10.5-point text per line
    lines = [line for part in key.split("\n") for line in textwrap.wrap(part, width)]
    # The title is wrapped too (bold text at the suptitle's size: about 8 characters per inch), so a
    # narrow figure does not cut it off.
    title = "\n".join(textwrap.wrap(title, max(20, int(fig.get_figwidth() * 8))))
    fig.suptitle(title + "\n" * len(lines), x=0.01, ha="left", fontweight="bold")
    fig.text(0.01, 0.995, "\n\n" * len(title.splitlines()) + "\n".join(lines), ha="left", va="top", fontsize=10.5, color="0.25",
             transform=fig.transFigure)


def _counts(values: pd.Series) -> str:
    """'20' or '18-20': how many replicates stand behind each mark."""
    v = pd.to_numeric(values, errors="coerce").dropna().astype(int)
    if v.empty:
        return "?"
    return f"{v.min()}" if v.min() == v.max() else f"{v.min()}-{v.max()}"


def _grid(n: int, ncols: int, size: tuple[float, float], **kw) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows + 1.0), squeeze=False,
                             layout="constrained", **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def plot_differences(comparison: pd.DataFrame, outcomes: Sequence[str]) -> Figure:
    """Each design's paired difference from the reference design: mean with its 95% interval."""
    reference = comparison["reference"].iloc[0]
    others = comparison[(comparison["design"] != reference) & comparison["outcome"].isin(outcomes)]
    n_designs = others["design"].nunique()
    with talk_style():
        fig, axes = _grid(len(outcomes), 3, (4.9, 0.42 * n_designs + 1.6), sharey=True)
        for ax, outcome in zip(axes.flat, outcomes):
            df = comparison[(comparison["outcome"] == outcome) & (comparison["design"] != reference)]
            y = np.arange(len(df))[::-1]
            for yi, row in zip(y, df.itertuples()):
                color = design_color(row.design)
                ax.hlines(yi, row.diff_ci_low, row.diff_ci_high, color=color, lw=2.5)
                ax.plot([row.diff_mean], [yi], "o", color=color, ms=8, gid=row.design)
            ax.axvline(0, color="0.4", lw=1, ls="--")
            ax.set_yticks(y, [design_label(d) for d in df["design"]])
            ax.set_ylim(-0.6, len(df) - 0.4)
            ax.set_title(outcome_label(outcome, short=True))
            ax.set_xlabel("percentage points" if outcome.startswith("frac_") else
                          "US dollars" if outcome.startswith("cost_") else "points on its scale")
            value_axis(ax, outcome, "x", difference=True)
            ax.grid(axis="y", visible=False)
        _subtitle(fig, f"How each design differs from {design_label(reference)}, cohort by cohort",
                  f"dot: mean of the paired differences over {_counts(others['n_pairs'])} replicates (the same "
                  f"seeds for every design); bar: its 95% confidence interval; dashed line: no difference")
    return fig


def plot_curve_bands(bands: pd.DataFrame, *, session_weeks: Sequence[int] = (), end_week: int | None = None,
                     title: str = "Classrooms reached over time", ylabel: str = "share of classrooms reached",
                     percent: bool | None = None) -> Figure:
    """Mean curve per design with its 95% interval (dark band) and 10-90% of replicates (light band).

    Up to four designs share one panel; with more, each design gets its own panel with the first
    (the reference) drawn in grey behind it, so no two curves need telling apart by colour alone.
    ``percent`` formats the y axis as percentages (default: when ``ylabel`` starts with "share").
    """
    designs = list(dict.fromkeys(bands["design"]))
    percent = ylabel.startswith("share") if percent is None else percent
    reference, small = designs[0], len(designs) > 4
    panels = [[d] for d in designs] if not small else [[reference, d] for d in designs[1:]]
    with talk_style():
        if small:
            fig, axes = _grid(len(panels), 4, (4.1, 3.0), sharex=True, sharey=True)
        else:
            fig, axes = _grid(1, 1, (11, 5.6))
            panels = [designs]
        for ax, shown in zip(axes.flat, panels):
            for design in shown:
                df = bands[bands["design"] == design]
                faint = small and design == reference  # the reference behind each panel: thin, pale bands
                color = design_color(design)
                ax.plot(df["week"], df["mean"], color=color, lw=1.4 if faint else 2.4, gid=design,
                        zorder=2 if faint else 3)
                ax.fill_between(df["week"], df["ci_low"], df["ci_high"], color=color, alpha=0.15 if faint else 0.35, lw=0)
                ax.fill_between(df["week"], df["p10"], df["p90"], color=color, alpha=0.05 if faint else 0.10, lw=0)
            mark_calendar(ax, session_weeks, end_week)
            ax.set_ylim(0, None)
            if percent:
                percent_axis(ax)
            if small:
                ax.set_title(design_label(shown[-1]), color=design_color(shown[-1]), fontweight="bold")
        for ax in axes[-1]:
            ax.set_xlabel("week")
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        handles = [Line2D([], [], color=design_color(d), lw=2.4, label=design_label(d)) for d in designs] \
            if not small else [Line2D([], [], color=design_color(reference), lw=1.4,
                                      label=f"{design_label(reference)}: the thin line in every panel")]
        handles += calendar_handles(session_weeks, end_week)
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), frameon=False)
        _subtitle(fig, title, f"line: mean of {_counts(bands['n'])} replicates per design; dark band: 95% confidence "
                              "interval of that mean; light band: where the middle 80% of replicates fall")
    return fig


def _direction(mu: float, mu_star: float) -> str:
    """Whether a parameter's effects point one way (the sign of mu is a large share of mu*)."""
    if mu_star <= 0 or abs(mu) < 0.5 * mu_star:
        return "either way"
    return "raises it" if mu > 0 else "lowers it"


DIRECTION_COLORS = {"raises it": "#2166ac", "lowers it": "#b2182b", "either way": "#969696"}


def plot_indices(indices: pd.DataFrame, method: str, *, replications: int | None = None,
                 n: int | None = None) -> Figure:
    """Per outcome, how much each parameter matters: Sobol S1 and ST, or Morris mu* (coloured by the
    direction of the effect) beside sigma, each with its confidence interval.

    ``replications`` (cohorts averaged per sample row) and ``n`` (Morris trajectories or Sobol
    base sample) go into the subtitle when given.
    """
    outcomes = list(dict.fromkeys(indices["outcome"]))
    n_par = indices["parameter"].nunique()
    runs = []
    if n is not None:
        runs.append(f"{n} {'trajectories' if method == 'morris' else 'base samples'}")
    if replications is not None:
        runs.append(f"each setting averaged over {replications} replicate cohort{'s' if replications != 1 else ''}")
    runs_text = f" ({'; '.join(runs)})" if runs else ""
    with talk_style():
        fig, axes = _grid(len(outcomes), 2, (8.2, 0.5 * n_par + 1.4))
        for ax, outcome in zip(axes.flat, outcomes):
            df = indices[indices["outcome"] == outcome]
            if method == "sobol":
                df = df.sort_values("ST")
                y = np.arange(len(df))
                ax.barh(y + 0.2, df["ST"], height=0.38, xerr=df["ST_conf"], color="#2166ac", label="total (ST)",
                        error_kw={"ecolor": "0.2", "capsize": 2})
                ax.barh(y - 0.2, df["S1"], height=0.38, xerr=df["S1_conf"], color="#92c5de", label="alone (S1)",
                        error_kw={"ecolor": "0.2", "capsize": 2})
                ax.set_xlabel("share of the outcome's variance")
                percent_axis(ax, "x")
            else:
                df = df.sort_values("mu_star")
                y = np.arange(len(df))
                colors = [DIRECTION_COLORS[_direction(m, s)] for m, s in zip(df["mu"], df["mu_star"])]
                ax.barh(y + 0.17, df["mu_star"], height=0.42, xerr=df["mu_star_conf"], color=colors,
                        error_kw={"ecolor": "0.15", "capsize": 2, "lw": 1.2})
                ax.barh(y - 0.22, df["sigma"], height=0.2, color="white", edgecolor="0.45", hatch="////", lw=0.8)
                if outcome.startswith("frac_"):  # a change in a share, in percentage points
                    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}"))
                else:
                    value_axis(ax, outcome, "x")
                unit = " (percentage points)" if outcome.startswith("frac_") else ""
                ax.set_xlabel(f"change in the outcome{unit}")
            ax.set_yticks(y, [param_label(p).removeprefix("mean ") for p in df["parameter"]])
            ax.set_ylim(-0.6, len(df) - 0.4)
            ax.set_title(outcome_label(outcome, short=True))
            ax.grid(axis="y", visible=False)
            ax.set_xlim(left=0)
        if method == "sobol":
            handles = [Patch(color="#2166ac", label="total effect, interactions included (ST)"),
                       Patch(color="#92c5de", label="effect alone (S1)")]
            key = f"bar: Sobol' index; whisker: 95% bootstrap interval{runs_text}"
            title = "How much of each outcome's variation each parameter explains"
        else:
            handles = [Patch(color=c, label=f"size of the effect (mu*): {d}") for d, c in DIRECTION_COLORS.items()]
            handles.append(Patch(facecolor="white", edgecolor="0.45", hatch="////",
                                 label="spread of the effect (sigma): large = depends on the other parameters"))
            key = ("bar: mean size of the change in the outcome as the parameter moves across its range (mu*), "
                   f"coloured by direction;\nwhisker: 95% bootstrap interval{runs_text}")
            title = "Which parameters move each outcome, and which way (Morris screening)"
        fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False)
        _subtitle(fig, title, key)
    return fig


def _mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    from .compare import mean_ci

    _, mean, lo, hi = mean_ci(np.asarray(values, dtype=np.float64))
    return mean, lo, hi


def _levels(values: pd.Series) -> tuple[np.ndarray, list[str], bool]:
    """Sorted distinct values, their labels, and whether they are numbers (drawn at their value)."""
    uniq = list(pd.unique(values.dropna()))
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in uniq)
    uniq = sorted(uniq) if numeric else sorted(uniq, key=str)
    labels = [f"{v:g}" if numeric else str(v).replace("_", " ") for v in uniq]
    return np.asarray(uniq, dtype=object), labels, numeric


def plot_sweep(results: pd.DataFrame, parameters: Sequence[str], outcomes: Sequence[str],
               hue: str | None = None) -> Figure:
    """Each outcome against each swept parameter: the mean over replicates (and over the other
    swept parameters, except ``hue``) with its 95% interval, drawn at the parameter's own values."""
    reps = results["replicate"].nunique() if "replicate" in results else None
    with talk_style():
        fig, axes = plt.subplots(len(outcomes), len(parameters), squeeze=False, layout="constrained",
                                 figsize=(max(8.0, 5.0 * len(parameters)), 3.3 * len(outcomes) + 1.4))
        hue_levels, hue_labels = ([None], [""]) if hue is None else _levels(results[hue])[:2]
        per_mark = []
        for i, outcome in enumerate(outcomes):
            for j, parameter in enumerate(parameters):
                ax = axes[i, j]
                levels, labels, numeric = _levels(results[parameter])
                if len(levels) > 12:  # a Latin-hypercube sweep: every run is a point
                    ax.scatter(results[parameter], results[outcome], s=10, alpha=0.45, color=HUE_COLORS[0])
                else:
                    x = levels.astype(np.float64) if numeric else np.arange(len(levels))
                    for k, level in enumerate(hue_levels):
                        rows = results if level is None else results[results[hue] == level]
                        stats = [_mean_ci(rows.loc[rows[parameter] == v, outcome]) for v in levels]
                        per_mark += [int((rows[parameter] == v).sum()) for v in levels]
                        mean, lo, hi = (np.array(s) for s in zip(*stats))
                        color = HUE_COLORS[k % len(HUE_COLORS)]
                        bars = ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], color=color, marker="o", ms=7,
                                           lw=2, capsize=5, elinewidth=2.2)
                        for artist in (*bars[1], *bars[2]):
                            artist.set_alpha(0.55)  # levels share x values: overlapping bars stay visible
                    ax.set_xticks(x, labels)
                ax.set_xlabel(param_label(parameter))
                ax.set_ylabel(outcome_label(outcome, short=True) if j == 0 else "")
                value_axis(ax, outcome)
        handles = [] if hue is None else [
            Line2D([], [], color=HUE_COLORS[k % len(HUE_COLORS)], marker="o", lw=2, label=lab)
            for k, lab in enumerate(hue_labels)]
        if handles:
            fig.legend(handles=handles, title=param_label(hue), loc="outside lower center", ncols=len(handles),
                       frameon=False)
        pooled = " and the other swept settings" if len(parameters) > 1 else ""
        count = f"{min(per_mark)}-{max(per_mark)}" if per_mark and min(per_mark) != max(per_mark) else \
            (str(per_mark[0]) if per_mark else "?")
        rep_text = f"{reps} replicates per setting; " if reps else ""
        _subtitle(fig, "How the outcomes change across the sweep",
                  f"dot: mean over the replicates{pooled} ({rep_text}{count} runs per dot); "
                  "bar: 95% confidence interval of that mean")
    return fig
