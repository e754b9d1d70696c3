"""Teaching helpers for ``notebooks/02_pdsa_cycle_up_close``: one team's PDSA cycles and misreading.

They read the ``events`` table of :func:`bsc_sim.run_sim`: one team's cycles, and how often teams
misread results under different data conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import load_params
from ..params import Params
from ..run import run_sim
from ._common import _params

# -- A PDSA cycle up close --------------------------------------------------------------------

BANDS = ("abandon", "adapt", "adopt or scale up")


def decision_band(results, params: Params | None = None) -> np.ndarray:
    """The decision a result calls for: ``"abandon"``, ``"adapt"`` or ``"adopt or scale up"``.

    Uses ``pdsa.abandon_threshold`` and ``pdsa.adopt_threshold`` (ODD 7.8). A cycle is *misread*
    when its true and observed results fall in different bands. NaN results (fizzled cycles)
    give ``None``.
    """
    q = _params(params).pdsa
    r = np.asarray(results, dtype=float)
    band = np.where(r >= q.adopt_threshold, BANDS[2], np.where(r >= q.abandon_threshold, BANDS[1], BANDS[0]))
    return np.where(np.isnan(r), None, band)


def busiest_team(events: pd.DataFrame, last_week: int | None = None) -> int:
    """The programme whose team decided the most cycles (by ``last_week``, if given); ties: lowest id."""
    ev = events if last_week is None else events[events["week_decided"] <= last_week]
    if ev.empty:
        raise ValueError("no PDSA cycles in this events table")
    counts = ev.groupby("program_id").size()
    return int(counts[counts == counts.max()].index.min())


TIMELINE_COLUMNS = ("cycle", "cycle_id", "practice", "week_start", "week_decided", "scale", "n_units", "n_testers",
                    "true_result", "observed_result", "data_used", "decision", "misread", "true_band", "observed_band")


def team_timeline(events: pd.DataFrame, program_id: int, last_week: int | None = None,
                  params: Params | None = None) -> pd.DataFrame:
    """One team's PDSA cycles in order: one row per cycle of ``program_id``.

    Args:
        events: ``RunResult.events``.
        program_id: the programme.
        last_week: keep cycles decided by this week (e.g. the end of the collaborative, 51).
        params: for the decision bands (default: ``load_params()``).

    Returns:
        Columns :data:`TIMELINE_COLUMNS`: ``cycle`` numbers the team's cycles 1, 2, …;
        ``true_band`` and ``observed_band`` are the decisions the true and the observed result
        call for (:func:`decision_band`).
    """
    ev = events[events["program_id"] == program_id]
    if last_week is not None:
        ev = ev[ev["week_decided"] <= last_week]
    ev = ev.sort_values(["week_start", "cycle_id"]).reset_index(drop=True)
    ev.insert(0, "cycle", np.arange(1, len(ev) + 1))
    ev["true_band"] = decision_band(ev["true_result"], params)
    ev["observed_band"] = decision_band(ev["observed_result"], params)
    return ev[list(TIMELINE_COLUMNS)]


DECISION_COLOURS = {"scale_up": "#4dac26", "adopt": "#1b7837", "adapt": "#f1a340", "abandon": "#d01c8b",
                    "fizzled": "#999999"}


def plot_team_timeline(timeline: pd.DataFrame, params: Params | None = None, *, session_weeks: Sequence[int] = (),
                       end_week: int | None = None, title: str = ""):
    """Figure of one team's cycles: what was tested when (top) and what the team saw (bottom).

    Top: one bar per cycle from its first Plan week to its decision, on the row of its practice,
    coloured by the decision and labelled with the number of classrooms tested. Bottom: at each
    decision, the true result (filled dot) and what the team observed (open circle), on the
    decision bands; misread cycles are marked with a red cross.

    Args:
        timeline: from :func:`team_timeline`.
        params: for the decision thresholds (default: ``load_params()``).
        session_weeks, end_week: drawn as reference lines (learning sessions, end of the collaborative).
        title: figure title.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from ..plotting import mark_calendar

    q = _params(params).pdsa
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True, height_ratios=(1, 1.2))
    practices = list(dict.fromkeys(timeline["practice"].astype(str)))
    row = {k: i for i, k in enumerate(practices)}
    for r in timeline.itertuples():
        y = row[str(r.practice)]
        top.barh(y, r.week_decided - r.week_start + 1, left=r.week_start - 0.5, height=0.6,
                 color=DECISION_COLOURS[str(r.decision)], edgecolor="black", lw=0.5)
        top.text(r.week_start + (r.week_decided - r.week_start) / 2, y, f"{r.scale}", ha="center", va="center",
                 fontsize=8, color="white", fontweight="bold")
    top.set_yticks(range(len(practices)), [k.replace("_", " ") for k in practices])
    top.set_ylim(len(practices) - 0.4, -0.6)
    top.set_title("Tests of change (number = classrooms tested; colour = the team's decision)", fontsize="medium")
    decisions = [d for d in DECISION_COLOURS if (timeline["decision"].astype(str) == d).any()]
    top.legend(handles=[Patch(color=DECISION_COLOURS[d], label=d.replace("_", " ")) for d in decisions],
               loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)

    bottom.axhspan(-0.05, q.abandon_threshold, color="#f4cae4", alpha=0.5)
    bottom.axhspan(q.abandon_threshold, q.adopt_threshold, color="#fee0b6", alpha=0.6)
    bottom.axhspan(q.adopt_threshold, 1.05, color="#d9f0d3", alpha=0.6)
    for y, label in ((q.abandon_threshold / 2, "abandon"), ((q.abandon_threshold + q.adopt_threshold) / 2, "adapt"),
                     ((q.adopt_threshold + 1) / 2, "adopt / scale up")):
        bottom.text(1.01, y, label, transform=bottom.get_yaxis_transform(), va="center", fontsize="small")
    t = timeline
    bottom.vlines(t["week_decided"], t["true_result"], t["observed_result"], color="0.4", lw=1)
    bottom.scatter(t["week_decided"], t["true_result"], color="black", s=30, zorder=3)
    bottom.scatter(t["week_decided"], t["observed_result"], facecolor="white", edgecolor="black", s=45, zorder=3)
    mis = t[t["misread"]]
    bottom.scatter(mis["week_decided"], mis["observed_result"], marker="x", color="red", s=90, zorder=4)
    bottom.set(ylim=(-0.05, 1.05), xlabel="week", ylabel="share of tests that worked")
    bottom.set_title("True result vs what the team saw", fontsize="medium")
    bottom.legend(handles=[Line2D([], [], marker="o", ls="", color="black", label="true result"),
                           Line2D([], [], marker="o", ls="", mfc="white", mec="black", label="observed by the team"),
                           Line2D([], [], marker="x", ls="", color="red", label="misread")],
                  loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small", frameon=False)
    mark_calendar((top, bottom), session_weeks, end_week)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@dataclass
class ConditionRuns:
    """Runs of several conditions × seeds.

    Attributes:
        summary: one row per run: ``condition``, ``seed``, the run's ``summary`` scalars and
            ``mean_abs_error`` (mean |observed − true| over studied cycles).
        events: every run's PDSA log with ``condition``, ``seed``, ``true_band``, ``observed_band``
            and ``error`` (observed − true result; NaN for fizzled cycles).
    """

    summary: pd.DataFrame
    events: pd.DataFrame


def run_conditions(conditions: Mapping[str, Sequence[str]], seeds: Sequence[int]) -> ConditionRuns:
    """Run each condition (a list of override strings for :func:`bsc_sim.load_params`) with each seed.

    The same seeds are used for every condition, so conditions that keep the cohort share it
    (common random numbers, ODD 4.9).

    Examples:
        >>> runs = run_conditions({"strong data": [], "weak data": ["design=bsc_no_data_support"]}, seeds=range(2))
        >>> sorted(runs.summary["condition"].unique())
        ['strong data', 'weak data']
    """
    summaries, events = [], []
    for name, overrides in conditions.items():
        p = load_params(list(overrides))
        for s in seeds:
            res = run_sim(p, seed=int(s))
            ev = res.events.copy()
            ev.insert(0, "seed", int(s))
            ev.insert(0, "condition", name)
            ev["true_band"] = decision_band(ev["true_result"], p)
            ev["observed_band"] = decision_band(ev["observed_result"], p)
            ev["error"] = ev["observed_result"] - ev["true_result"]
            studied = ev[ev["decision"] != "fizzled"]
            err = (studied["observed_result"] - studied["true_result"]).abs().mean() if len(studied) else np.nan
            summaries.append({"condition": name, "seed": int(s), **res.summary, "mean_abs_error": err})
            events.append(ev)
    ev_all = pd.concat(events, ignore_index=True)
    ev_all["condition"] = pd.Categorical(ev_all["condition"], categories=list(conditions))
    summary = pd.DataFrame(summaries)
    summary["condition"] = pd.Categorical(summary["condition"], categories=list(conditions))
    return ConditionRuns(summary=summary, events=ev_all)


def paired_differences(summary: pd.DataFrame, metric: str, baseline: str) -> pd.DataFrame:
    """Each condition's ``metric`` minus the ``baseline`` condition's, seed by seed.

    Conditions run with the same seeds share their cohort (common random numbers), so the paired
    difference is much less noisy than the difference of two averages.

    Args:
        summary: ``ConditionRuns.summary`` (columns ``condition``, ``seed`` and ``metric``).
        metric: a summary column, e.g. ``"frac_classrooms_reached_end"``.
        baseline: the condition to subtract.

    Returns:
        One row per condition (other than ``baseline``) and seed: ``condition``, ``seed``, ``difference``.
    """
    wide = summary.pivot(index="seed", columns="condition", values=metric)
    if baseline not in wide.columns:
        raise ValueError(f"no condition {baseline!r} in the summary")
    others = [c for c in wide.columns if c != baseline]
    diff = wide[others].sub(wide[baseline], axis=0)
    diff.columns = pd.Index([str(c) for c in diff.columns], name="condition")
    out = diff.reset_index().melt(id_vars="seed", var_name="condition", value_name="difference")
    out["condition"] = pd.Categorical(out["condition"], categories=[str(c) for c in others])
    return out[["condition", "seed", "difference"]].sort_values(["condition", "seed"], ignore_index=True)


def misread_crosstab(events: pd.DataFrame, normalize: bool = True) -> pd.DataFrame:
    """What the true result called for (rows) against what the team saw (columns), studied cycles only.

    Args:
        events: a table with ``true_band``, ``observed_band`` and ``decision`` (e.g. from
            :func:`run_conditions` or :func:`team_timeline`).
        normalize: shares of all studied cycles (True) or counts.
    """
    studied = events[events["decision"].astype(str) != "fizzled"]
    tab = pd.crosstab(pd.Categorical(studied["true_band"], categories=BANDS),
                      pd.Categorical(studied["observed_band"], categories=BANDS),
                      rownames=["true result calls for"], colnames=["team saw"], dropna=False,
                      normalize="all" if normalize else False)
    return tab
