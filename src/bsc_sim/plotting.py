"""Figures of one run from its result tables (never from a model), and the helpers every figure shares.

The helpers give all figures one look for a projected talk: readable font sizes
(:func:`talk_style`), percent and currency axes (:func:`percent_axis`, :func:`money_axis`), the
collaborative's calendar on time axes with legend entries for it (:func:`mark_calendar`,
:func:`calendar_handles`), and the colours of :mod:`bsc_sim.palette`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .palette import (
    CALL_STYLE,
    END_STYLE,
    KIND_COLORS,
    KIND_LABELS,
    SESSION_STYLE,
    outcome_label,
    practice_colors,
    practice_label,
)

# Sizes for a figure shown on a projector: a 13-inch-wide figure saved at 110 dpi keeps 11-point
# tick labels legible from the back of a room.
TALK_RC = {
    "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "xtick.labelsize": 11, "ytick.labelsize": 11,
    "legend.fontsize": 10.5, "figure.titlesize": 15, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "axes.titlelocation": "left",
}


@contextmanager
def talk_style():
    """Matplotlib settings of every bsc_sim figure (fonts, grid, no top/right frame), locally."""
    with mpl.rc_context(TALK_RC):
        yield


def percent_axis(ax: Axes, axis: str = "y", *, points: bool = False, decimals: int = 0) -> None:
    """Format an axis of shares (0-1) as percentages, or their differences as signed percentage
    points (+10; say "percentage points" in the axis label)."""
    from matplotlib.ticker import MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))  # no 2.5% steps shown as "2%"
    if points:
        target.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:+.{decimals}f}" if v else "0"))
    else:
        target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def money(value: float, *, signed: bool = False) -> str:
    """US dollars in few characters: $950, $12k, $1.2M (``signed``: +$12k / -$12k)."""
    sign = ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    v = abs(value)
    if v >= 1e6:
        text = f"{v / 1e6:.1f}M".replace(".0M", "M")
    elif v >= 1e4:
        text = f"{v / 1e3:.0f}k"
    elif v >= 1e3:
        text = f"{v / 1e3:.1f}k".replace(".0k", "k")
    else:
        text = f"{v:.0f}"
    return f"{sign}${text}"


def money_axis(ax: Axes, axis: str = "y", *, signed: bool = False, max_ticks: int = 5) -> None:
    """Format an axis in US dollars ($12k) with few enough ticks that the labels never collide."""
    from matplotlib.ticker import MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=max_ticks, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _: money(v, signed=signed) if v else "$0"))


def share_limits(ax: Axes, axis: str = "y", min_span: float = 0.1) -> None:
    """Limits of an axis of shares drawn already: never past 0% or 100% (bar a 2-point margin for
    marks on the edge), and at least ``min_span`` wide, so that a flat line at 100% does not get an
    axis from 96% to 104%."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    lo, hi = max(lo, -0.02), min(hi, 1.02)
    if hi - lo < min_span:
        middle = (lo + hi) / 2
        lo, hi = middle - min_span / 2, middle + min_span / 2
        if hi > 1.02:
            lo, hi = 1.02 - min_span, 1.02
        if lo < -0.02:
            lo, hi = -0.02, -0.02 + min_span
    (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, hi)


def value_axis(ax: Axes, outcome: str, axis: str = "y", *, difference: bool = False) -> None:
    """Percent axis for shares (kept within 0-100%), currency for costs, plain numbers otherwise.
    Call it after the data are drawn."""
    if outcome.startswith("frac_"):
        if not difference:
            share_limits(ax, axis)
        percent_axis(ax, axis, points=difference)
    elif outcome.startswith("cost_"):
        money_axis(ax, axis, signed=difference)


def mark_calendar(axes: Axes | Iterable[Axes], session_weeks: Sequence[int] | None = (), end_week: int | None = None,
                  call_weeks: Sequence[int] | None = ()) -> None:
    """Learning sessions (dotted), calls (short ticks along the bottom) and the end of the
    collaborative (dashed) on time axes; :func:`calendar_handles` gives their legend entries."""
    for ax in [axes] if isinstance(axes, Axes) else axes:
        for w in session_weeks or []:
            ax.axvline(w, zorder=1.5, **SESSION_STYLE)
        if call_weeks is not None and len(call_weeks):
            trans = ax.get_xaxis_transform()
            ax.vlines(list(call_weeks), 0, 0.05, transform=trans, zorder=1.5, **CALL_STYLE)
        if end_week is not None:
            ax.axvline(end_week, zorder=1.5, **END_STYLE)


def calendar_handles(session_weeks: Sequence[int] | None = (), end_week: int | None = None,
                     call_weeks: Sequence[int] | None = ()) -> list[Line2D]:
    """Legend entries for what :func:`mark_calendar` drew (only what is there)."""
    handles = []
    if session_weeks is not None and len(session_weeks):
        handles.append(Line2D([], [], label="learning session", **SESSION_STYLE))
    if call_weeks is not None and len(call_weeks):
        handles.append(Line2D([], [], marker="|", ls="", markersize=9, markeredgewidth=1.2,
                              color=CALL_STYLE["color"], label="call (tick at the bottom)"))
    if end_week is not None:
        handles.append(Line2D([], [], label="collaborative ends", **END_STYLE))
    return handles


def cohort_reach(program_timeseries: pd.DataFrame, programs: pd.DataFrame) -> pd.Series:
    """Share of all the cohort's classrooms reached each week: reached classrooms summed over
    programmes over all classrooms (the summary's definition), not a mean of programme shares."""
    df = program_timeseries[["week", "program_id", "frac_classrooms_reached"]].merge(
        programs[["program_id", "n_classrooms"]], on="program_id")
    rooms = df["frac_classrooms_reached"] * df["n_classrooms"]
    by_week = df.assign(rooms=rooms).groupby("week")[["rooms", "n_classrooms"]].sum()
    return by_week["rooms"] / by_week["n_classrooms"]


def plot_adoption(timeseries: pd.DataFrame, program_timeseries: pd.DataFrame, programs: pd.DataFrame | None = None,
                  *, session_weeks: list[int] | None = None, end_week: int | None = None, title: str = "",
                  call_weeks: list[int] | None = None) -> Figure:
    """Adoption over time in one run: by practice (whole cohort) and by programme.

    Args:
        timeseries: ``RunResult.timeseries`` (week x programme x practice).
        program_timeseries: ``RunResult.program_timeseries`` (week x programme).
        programs: ``RunResult.programs``: colours programmes by kind and weights the whole-cohort
            line by classrooms (without it the thick line is the unweighted mean of programmes,
            and says so).
        session_weeks, end_week, call_weeks: the calendar (see :func:`mark_calendar`).
        title: figure title (say which design and seed).

    Returns:
        The matplotlib Figure.
    """
    with talk_style():
        fig = Figure(figsize=(13, 6.2), layout="constrained")
        ax_prac, ax_prog = fig.subplots(1, 2, sharex=True)
        cohort = timeseries.groupby(["week", "practice"], observed=True)[["n_fidelity", "n_eligible"]].sum().reset_index()
        cohort["share"] = cohort["n_fidelity"] / cohort["n_eligible"].where(cohort["n_eligible"] > 0)
        names = list(dict.fromkeys(cohort["practice"].astype(str)))
        colors = practice_colors(names)
        for name in names:
            d = cohort[cohort["practice"].astype(str) == name]
            ax_prac.plot(d["week"], d["share"], color=colors[name], lw=2, label=practice_label(name))
        ax_prac.set(ylabel=f"share of {outcome_label('frac_staff_fidelity')}", xlabel="week",
                    ylim=share_axis_limits(cohort["share"].to_numpy(np.float64)), title="By practice (whole cohort)")
        handles = [Line2D([], [], color="0.25", lw=0.9, alpha=0.6, label="one programme")]
        kinds = None
        per_prog = program_timeseries
        if programs is not None:
            kinds = dict(zip(programs["program_id"], programs["kind"].astype(str)))
            reach = cohort_reach(program_timeseries, programs)
            whole = "whole cohort (all its classrooms)"
        else:
            reach = per_prog.groupby("week")["frac_classrooms_reached"].mean()
            whole = "mean of programmes (unweighted)"
        for pid, d in per_prog.groupby("program_id"):
            kind = kinds.get(pid) if kinds else None
            color = KIND_COLORS[0 if kind == "head_start" else 1] if kind else "0.5"
            ax_prog.plot(d["week"], d["frac_classrooms_reached"], color=color, lw=0.9, alpha=0.55)
        if kinds:
            handles = [Line2D([], [], color=c, lw=1.2, alpha=0.7, label=f"one {lab} programme")
                       for c, lab in zip(KIND_COLORS, KIND_LABELS)]
        ax_prog.plot(reach.index, reach.to_numpy(), color="black", lw=3)
        handles.append(Line2D([], [], color="black", lw=3, label=whole))
        ax_prog.set(ylabel="share of classrooms reached", xlabel="week", ylim=(0, 1),
                    title="By programme: classrooms reached")
        for ax in (ax_prac, ax_prog):
            percent_axis(ax)
            ax.set_xlim(0, max(int(timeseries["week"].max()), 1))
        mark_calendar((ax_prac, ax_prog), session_weeks, end_week, call_weeks)
        below = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.13), "frameon": False}
        ax_prac.legend(ncols=3, **below)
        ax_prog.legend(handles=handles + calendar_handles(session_weeks, end_week, call_weeks), ncols=2, **below)
        fig.suptitle(title or "Adoption over time", x=0.01, ha="left")
        fig.text(0.99, 0.995, "A classroom is reached when a teacher in it uses a classroom practice at fidelity.",
                 ha="right", va="top", fontsize=10.5, color="0.3")
    return fig


def share_axis_limits(values: np.ndarray) -> tuple[float, float]:
    """0 to a little above the largest share (at most 100%), so curves use the height they have."""
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    return 0.0, min(1.0, max(0.1, top * 1.15))


def plot_coverage(coverage: pd.DataFrame, regions: pd.DataFrame | None = None, *, title: str = "",
                  region_names: Sequence[str] = (), baseline: float | None = None,
                  horizon_weeks: int | None = None) -> Figure:
    """Statewide coverage over time (issue 11): shares of the state's programmes enrolled and of its
    classrooms reached and sustained, by quarter; and, when ``regions`` is given, classrooms reached by region.

    Args:
        coverage: :func:`bsc_sim.model.outcomes.coverage` of a run's ``regions`` table.
        regions: ``RunResult.regions`` (region x wave x quarter), for the right-hand panel.
        title: figure title (say which design and seed).
        region_names: names of the regions in order (default "region N").
        baseline: the share of classrooms reached in week 0, drawn as a line (issue 22).
        horizon_weeks: the last week cohorts may start, marked (the run goes on to follow them up).
    """
    with talk_style():
        fig = Figure(figsize=(13, 5.8), layout="constrained")
        ax_state, ax_region = fig.subplots(1, 2, sharex=True)
        years = coverage["week"] / 52
        for col, label, style in (("frac_programs_enrolled", "programmes enrolled (cumulative)", "--"),
                                  ("frac_classrooms_reached", "classrooms reached", "-"),
                                  ("frac_classrooms_sustained", "classrooms sustained since their cohort ended", ":")):
            ax_state.plot(years, coverage[col], style, lw=2.5, label=label)
        tops = [coverage[c].to_numpy(np.float64) for c in ("frac_programs_enrolled", "frac_classrooms_reached")]
        if baseline is not None:
            ax_state.axhline(baseline, color="0.5", lw=1.2, ls="-.", label="classrooms reached at baseline (week 0)")
            tops.append(np.array([baseline]))
        if horizon_weeks is not None:
            ax_state.axvline(horizon_weeks / 52, color="0.75", lw=1)
        low, top = share_axis_limits(np.concatenate(tops))
        ax_state.set(xlabel="year", ylabel="share of the state", ylim=(low, min(1.0, top * 1.3)),  # room for the legend
                     title="Statewide coverage (end of each quarter)")
        percent_axis(ax_state)
        ax_state.legend(frameon=False, loc="upper left")
        if regions is not None:
            by = regions[regions["region"] >= 0].groupby(["region", "quarter"], sort=True)[
                ["week", "n_classrooms", "n_classrooms_reached"]].agg(
                {"week": "first", "n_classrooms": "sum", "n_classrooms_reached": "sum"}).reset_index()
            shares = []
            for r, d in by.groupby("region"):
                name = region_names[r] if r < len(region_names) else f"region {r + 1}"
                share = d["n_classrooms_reached"] / d["n_classrooms"]
                shares.append(share.to_numpy(np.float64))
                ax_region.plot(d["week"] / 52, share, lw=1.8, label=name)
            ax_region.set(xlabel="year", ylabel="share of the region's classrooms reached", title="By region",
                          ylim=share_axis_limits(np.concatenate(shares)) if shares else (0, 1))
            percent_axis(ax_region)
            ax_region.legend(frameon=False, ncols=2, loc="upper left")
        total = coverage["cum_cost_usd"].iloc[-1] if len(coverage) else 0.0
        fig.suptitle(title or "Statewide coverage", x=0.01, ha="left")
        fig.text(0.99, 0.995, f"Total cost over the horizon: {money(total)}", ha="right", va="top", fontsize=10.5,
                 color="0.3")
    return fig
