"""Figures from result tables (never from a model), drawn with seaborn."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

LABELS = {
    "frac_staff_fidelity": "share of eligible staff at fidelity",
    "frac_classrooms_reached": "share of classrooms reached",
    "week": "week",
}


def plot_adoption(timeseries: pd.DataFrame, program_timeseries: pd.DataFrame, programs: pd.DataFrame | None = None,
                  *, session_weeks: list[int] | None = None, end_week: int | None = None, title: str = ""):
    """Adoption over time: by practice (cohort) and by programme. Returns the matplotlib Figure.

    Args:
        timeseries: ``RunResult.timeseries`` (week x programme x practice).
        program_timeseries: ``RunResult.program_timeseries`` (week x programme).
        programs: optional ``RunResult.programs`` to colour programmes by kind.
        session_weeks, end_week: drawn as reference lines (learning sessions, end of collaborative).
    """
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharex=True)
    cohort = (timeseries.groupby(["week", "practice"], observed=True)[["n_fidelity", "n_eligible"]].sum().reset_index())
    cohort["frac_staff_fidelity"] = cohort["n_fidelity"] / cohort["n_eligible"].where(cohort["n_eligible"] > 0)
    sns.lineplot(cohort, x="week", y="frac_staff_fidelity", hue="practice", ax=axes[0])
    axes[0].set(ylabel=LABELS["frac_staff_fidelity"], title="By practice (whole cohort)", ylim=(0, 1))
    per_prog = program_timeseries.copy()
    hue = None
    if programs is not None:
        per_prog = per_prog.merge(programs[["program_id", "kind"]], on="program_id")
        hue = "kind"
    sns.lineplot(per_prog, x="week", y="frac_classrooms_reached", units="program_id", estimator=None, hue=hue,
                 alpha=0.55, lw=1.2, ax=axes[1])
    mean = per_prog.groupby("week")["frac_classrooms_reached"].mean()
    axes[1].plot(mean.index, mean.to_numpy(), color="black", lw=2.5, label="cohort mean")
    axes[1].set(ylabel=LABELS["frac_classrooms_reached"], title="By programme (any classroom practice at fidelity)", ylim=(0, 1))
    axes[1].legend(loc="upper left", fontsize="small")
    mark_calendar(axes, session_weeks, end_week)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def mark_calendar(axes, session_weeks=(), end_week: int | None = None) -> None:
    """Dotted lines at the learning sessions and a dashed line where the collaborative ends."""
    for ax in axes:
        for w in session_weeks or []:
            ax.axvline(w, color="0.6", ls=":", lw=1)
        if end_week is not None:
            ax.axvline(end_week, color="0.3", ls="--", lw=1)
