"""Figures of experiments. Every function takes tidy DataFrames (never models) and returns a Figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_differences", "plot_curve_bands", "plot_indices", "plot_sweep", "LABELS"]

LABELS = {
    "frac_classrooms_reached_end": "classrooms reached, end",
    "frac_classrooms_reached_followup": "classrooms reached, follow-up",
    "frac_classrooms_sustained_followup": "classrooms sustained",
    "frac_frontline_fidelity_end": "front-line staff at fidelity, end",
    "mean_progress_score": "mean progress score (1-5)",
    "cost_total": "total cost (USD)",
    "frac_pdsa_well_run": "PDSA cycles well run",
    "frac_pdsa_misread": "PDSA results misread",
    "culture_end": "learning culture, end",
    "frac_classrooms_reached": "classrooms reached",
}


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def _grid(n: int, ncols: int = 3, size: tuple[float, float] = (4.2, 3.0)) -> tuple[Figure, np.ndarray]:
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def plot_differences(comparison: pd.DataFrame, outcomes: Sequence[str]) -> Figure:
    """Point-and-interval plot of each design's paired difference from the reference design."""
    reference = comparison["reference"].iloc[0]
    fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes.flat, outcomes):
        df = comparison[(comparison["outcome"] == outcome) & (comparison["design"] != reference)]
        y = np.arange(len(df))[::-1]
        err = np.vstack([df["diff_mean"] - df["diff_ci_low"], df["diff_ci_high"] - df["diff_mean"]])
        ax.errorbar(df["diff_mean"], y, xerr=err, fmt="o", color="tab:blue", capsize=3)
        ax.axvline(0, color="0.5", lw=1, ls="--")
        ax.set_yticks(y, df["design"])
        ax.set_title(_label(outcome), fontsize=10)
        ax.set_xlabel(f"difference from {reference} (95% CI)", fontsize=8)
    fig.suptitle(f"Paired differences from {reference} (same seeds)")
    fig.tight_layout()
    return fig


def plot_curve_bands(bands: pd.DataFrame, *, session_weeks: Sequence[int] = (), end_week: int | None = None,
                     title: str = "Classrooms reached over time",
                     ylabel: str = "share of classrooms reached") -> Figure:
    """Mean adoption curve per design with its 95% interval (dark) and 10-90% range (light)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, (design, df) in enumerate(bands.groupby("design", sort=False)):
        color = f"C{i}"
        ax.plot(df["week"], df["mean"], color=color, label=design)
        ax.fill_between(df["week"], df["ci_low"], df["ci_high"], color=color, alpha=0.35, lw=0)
        ax.fill_between(df["week"], df["p10"], df["p90"], color=color, alpha=0.10, lw=0)
    for week in session_weeks:
        ax.axvline(week, color="0.7", lw=0.8, ls=":")
    if end_week is not None:
        ax.axvline(end_week, color="0.3", lw=1, ls="--", label="collaborative ends")
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, None)
    ax.set_title(f"{title}\nmean, 95% CI (dark) and 10-90% of replicates (light); dotted: learning sessions")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_indices(indices: pd.DataFrame, method: str) -> Figure:
    """Bar chart per outcome: Sobol S1 and ST, or Morris mu* (with sigma), with confidence intervals."""
    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = _grid(len(outcomes), ncols=2, size=(5.5, 0.35 * indices["parameter"].nunique() + 1.5))
    for ax, outcome in zip(axes.flat, outcomes):
        df = indices[indices["outcome"] == outcome]
        if method == "sobol":
            df = df.sort_values("ST")
            y = np.arange(len(df))
            ax.barh(y + 0.2, df["ST"], height=0.4, xerr=df["ST_conf"], label="total (ST)", color="tab:blue")
            ax.barh(y - 0.2, df["S1"], height=0.4, xerr=df["S1_conf"], label="first order (S1)", color="tab:orange")
            ax.set_xlabel("Sobol index (95% CI)")
        else:
            df = df.sort_values("mu_star")
            y = np.arange(len(df))
            ax.barh(y, df["mu_star"], xerr=df["mu_star_conf"], color="tab:blue", label="mu* (mean |effect|)")
            ax.plot(df["sigma"], y, "k|", ms=10, label="sigma (interaction/non-linearity)")
            ax.set_xlabel("Morris elementary effect (95% CI)")
        ax.set_yticks(y, df["parameter"], fontsize=8)
        ax.set_title(_label(outcome), fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def plot_sweep(results: pd.DataFrame, parameters: Sequence[str], outcomes: Sequence[str],
               hue: str | None = None) -> Figure:
    """Each outcome against each swept parameter: mean over the other columns with a 95% CI."""
    import seaborn as sns

    fig, axes = plt.subplots(len(outcomes), len(parameters), squeeze=False,
                             figsize=(4.0 * len(parameters), 3.0 * len(outcomes)))
    for i, outcome in enumerate(outcomes):
        for j, parameter in enumerate(parameters):
            ax = axes[i, j]
            discrete = results[parameter].nunique() <= 12
            if discrete:
                sns.pointplot(data=results, x=parameter, y=outcome, hue=hue if hue != parameter else None,
                              errorbar=("ci", 95), seed=0, ax=ax, dodge=0.3 if hue else False)
            else:
                sns.scatterplot(data=results, x=parameter, y=outcome, hue=hue, s=8, alpha=0.5, ax=ax)
            ax.set_ylabel(_label(outcome) if j == 0 else "")
            if ax.get_legend() is not None and (i, j) != (0, len(parameters) - 1):
                ax.get_legend().remove()
    fig.tight_layout()
    return fig
