"""Matplotlib drawing shared by the browser view and the talk figures (arrays in, artists out).

Nothing here knows about a model: the network is drawn from positions, edges and a state code
per post, the curves from tidy tables. The live view (:mod:`bsc_sim.viz.app`) and the recorded
figures (:mod:`bsc_sim.viz.animate`) therefore look the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .layout import program_centres

# State of a staff post, from least to most adoption.
VACANT, NOT_USING, USING, AT_FIDELITY = range(4)
STATE_LABELS = ("vacant post", "not using", "using a practice", "a practice at fidelity")
STATE_COLORS = ("#ffffff", "#d9d9d9", "#74a9cf", "#045a8d")
EDGE_COLOR = "#bdbdbd"
CROSS_TIE_COLOR = "#e6550d"
KIND_LABELS = ("HS", "CC")          # Head Start, child care (population.KIND_NAMES order)
KIND_COLORS = ("#6a51a3", "#31a354")
PRACTICE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def practice_colors(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per practice (in change-package order)."""
    return {name: PRACTICE_COLORS[i % len(PRACTICE_COLORS)] for i, name in enumerate(names)}


def node_state(present: np.ndarray, use: np.ndarray, fidelity: np.ndarray, threshold: float) -> np.ndarray:
    """State code per post: vacant, not using, using >= 1 practice, >= 1 practice at fidelity.

    Works on one week (``present`` (S,), ``use``/``fidelity`` (S, P)) or on a stack of weeks
    ((T, S) and (T, S, P)). "At fidelity" is the model's definition: using with fidelity >=
    ``sustain.fidelity_threshold``. ``use`` is only ever set for practices a post's role is
    eligible for.
    """
    using = use.any(axis=-1)
    at_fid = (use & (fidelity >= threshold)).any(axis=-1)
    state = np.where(at_fid, AT_FIDELITY, np.where(using, USING, NOT_USING))
    return np.where(present, state, VACANT).astype(np.int8)


@dataclass
class NetworkArtists:
    """The artists of a drawn network that change from week to week."""

    nodes: PathCollection
    cross: LineCollection
    title: Text | None


def _cross_segments(positions: np.ndarray, cross_edges: np.ndarray | None) -> np.ndarray:
    if cross_edges is None or len(cross_edges) == 0:
        return np.zeros((0, 2, 2))
    return positions[np.asarray(cross_edges)]


def draw_network(ax: Axes, positions: np.ndarray, edges: np.ndarray, state: np.ndarray, *,
                 program: np.ndarray, kind: np.ndarray | None = None, on_team: np.ndarray | None = None,
                 cross_edges: np.ndarray | None = None, node_size: float | None = None,
                 labels: bool = True, legend: bool = True, title: str | None = None) -> NetworkArtists:
    """Draw the staff network coloured by adoption, programmes as labelled clusters.

    Args:
        ax: axes to draw into (its frame and ticks are turned off).
        positions: (S, 2) node positions (:func:`bsc_sim.viz.layout.cluster_layout`).
        edges: (E, 2) within-programme ties.
        state: (S,) state codes (:func:`node_state`).
        program: (S,) programme of each post; kind: (M,) programme kind (0 Head Start, 1 child care).
        on_team: (S,) improvement-team members, drawn with a thick black outline.
        cross_edges: (K, 2) cross-programme ties formed at learning sessions (thin, orange).
        node_size: marker area in points^2 (default shrinks with the number of posts).
    """
    S = len(positions)
    if node_size is None:
        node_size = float(np.clip(4000 / max(S, 1), 12, 70))
    segs = positions[np.asarray(edges, dtype=np.int64).reshape(-1, 2)]
    ax.add_collection(LineCollection(segs, colors=EDGE_COLOR, linewidths=0.6, zorder=1))
    cross = LineCollection(_cross_segments(positions, cross_edges), colors=CROSS_TIE_COLOR, linewidths=0.6,
                           alpha=0.35, zorder=2)
    ax.add_collection(cross)
    nodes = ax.scatter(positions[:, 0], positions[:, 1], s=node_size, c=np.asarray(STATE_COLORS)[state],
                       edgecolors="#404040", linewidths=_outline(on_team, S), zorder=3)
    if labels:
        centres = program_centres(positions, program)
        top = np.array([positions[program == m, 1].max() for m in range(len(centres))])
        for m, (x, _) in enumerate(centres):
            tag = f"P{m}" + (f" {KIND_LABELS[int(kind[m])]}" if kind is not None else "")
            ax.text(x, top[m] + 0.12, tag, ha="center", va="bottom", fontsize=8,
                    color=KIND_COLORS[int(kind[m])] if kind is not None else "black")
    ax.set_aspect("equal")
    ax.set_axis_off()
    pad = 0.5
    ax.set_xlim(positions[:, 0].min() - pad, positions[:, 0].max() + pad)
    ax.set_ylim(positions[:, 1].min() - pad, positions[:, 1].max() + pad + 0.25)
    if legend:
        ax.legend(handles=network_legend_handles(), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
                  frameon=False)
    text = ax.set_title(title, fontsize=10) if title is not None else None
    return NetworkArtists(nodes, cross, text)


def network_legend_handles() -> list[Line2D]:
    """Legend entries of the network: the four post states, team members, cross-programme ties."""
    handles = [Line2D([], [], marker="o", ls="", markersize=7, markerfacecolor=c, markeredgecolor="#404040",
                      label=lab) for c, lab in zip(STATE_COLORS, STATE_LABELS)]
    handles.append(Line2D([], [], marker="o", ls="", markersize=7, markerfacecolor="white",
                          markeredgecolor="black", markeredgewidth=2, label="team member"))
    handles.append(Line2D([], [], color=CROSS_TIE_COLOR, alpha=0.6, label="cross-programme tie"))
    return handles


def _outline(on_team: np.ndarray | None, S: int) -> np.ndarray:
    return np.where(on_team, 1.8, 0.4) if on_team is not None else np.full(S, 0.4)


def update_network(artists: NetworkArtists, positions: np.ndarray, state: np.ndarray, *,
                   on_team: np.ndarray | None = None, cross_edges: np.ndarray | None = None,
                   title: str | None = None) -> None:
    """Recolour a drawn network for another week (no re-layout, no new artists)."""
    artists.nodes.set_facecolors(np.asarray(STATE_COLORS)[state])
    artists.nodes.set_linewidths(_outline(on_team, len(state)))
    artists.cross.set_segments(list(_cross_segments(positions, cross_edges)))
    if title is not None and artists.title is not None:
        artists.title.set_text(title)


def draw_adoption(ax: Axes, adoption: pd.DataFrame, *, week: int | None = None,
                  session_weeks: Sequence[int] = (), end_week: int | None = None, legend: bool = True):
    """Adoption curves per practice: share of eligible staff using (solid) and at fidelity (dashed).

    Returns ``(lines, marker)``: the curves (two per practice) and the week marker (or None), so an
    animation can reveal the curves and move the marker.

    Args:
        adoption: tidy table with columns ``week, practice, frac_staff_using, frac_staff_fidelity``
            (:meth:`bsc_sim.viz.history.SpreadHistory.adoption`).
        week: draw a marker line at this week.
        session_weeks, end_week: learning sessions (dotted) and the end of the collaborative (dashed).
    """
    names = list(dict.fromkeys(adoption["practice"].astype(str)))
    colors = practice_colors(names)
    lines = []
    for name in names:
        d = adoption[adoption["practice"].astype(str) == name]
        lines += ax.plot(d["week"], d["frac_staff_using"], color=colors[name], lw=1.6, label=name.replace("_", " "))
        lines += ax.plot(d["week"], d["frac_staff_fidelity"], color=colors[name], lw=1.2, ls="--")
    for w in session_weeks:
        ax.axvline(w, color="0.6", ls=":", lw=1)
    if end_week is not None:
        ax.axvline(end_week, color="0.3", ls="--", lw=1)
    ax.set(xlabel="week", ylabel="share of eligible staff", ylim=(0, 1), xlim=(0, max(int(adoption["week"].max()), 1)))
    ax.grid(alpha=0.3)
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="0.3", lw=1.6, label="using"),
                    Line2D([], [], color="0.3", lw=1.2, ls="--", label="at fidelity")]
        ax.legend(handles=handles, fontsize=7, loc="upper left", frameon=False)
    marker = ax.axvline(week, color="black", lw=1.2) if week is not None else None
    return lines, marker


def draw_progress(ax: Axes, scores: np.ndarray, kind: np.ndarray | None = None, *, title: str | None = None):
    """Team progress score (IHI 1-5) per programme as bars coloured by programme kind."""
    scores = np.asarray(scores)
    M = len(scores)
    colors = [KIND_COLORS[int(k)] for k in kind] if kind is not None else ["0.4"] * M
    bars = ax.bar(np.arange(M), scores, color=colors, width=0.7)
    ax.set(ylim=(0, 5.3), yticks=range(1, 6), xlabel="programme", ylabel="progress score (1-5)")
    ax.set_xticks(np.arange(M), [f"P{m}" for m in range(M)], fontsize=7 if M > 12 else 8, rotation=90 if M > 16 else 0)
    ax.grid(axis="y", alpha=0.3)
    if kind is not None:
        kinds = [Line2D([], [], color=c, lw=6, label=lab) for c, lab in zip(KIND_COLORS, ("Head Start", "child care"))]
        ax.legend(handles=kinds, fontsize=7, loc="upper left", frameon=False, ncols=2)
    if title:
        ax.set_title(title, fontsize=10)
    return bars
