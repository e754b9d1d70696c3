"""Matplotlib drawing shared by the browser view and the talk figures (arrays in, artists out).

Nothing here knows about a model: the network is drawn from a :class:`~bsc_sim.viz.layout.NetworkLayout`,
edges and a state per staff post and family; the curves from tidy tables. The live view
(:mod:`bsc_sim.viz.live`) and the recorded figures (:mod:`bsc_sim.viz.animate`) therefore look the same.
Dots are circles in data units, so they keep their proportions at any figure size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import EllipseCollection, LineCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..model.population import KIND_NAMES
from ..palette import (
    KIND_COLORS,
    KIND_LABELS,
    KIND_SHORT,
    NOW_STYLE,
    practice_colors,
    practice_label,
)
from ..plotting import calendar_handles, mark_calendar, percent_axis
from .layout import NetworkLayout

# State of a staff post, from least to most adoption.
VACANT, NOT_USING, USING, AT_FIDELITY = range(4)
STATE_LABELS = ("vacant post", "not using a practice", "using a practice", "a practice at fidelity")
STATE_COLORS = ("#ffffff", "#d9d9d9", "#74a9cf", "#045a8d")
FAMILY_LABELS = ("family, no practice at home", "family using a practice at home")
FAMILY_COLORS = ("#efe3cf", "#f28e2b")
EDGE_COLOR = "#c8c8c8"
CROSS_TIE_COLOR = "#c51b7d"
OUTLINE = "#404040"
STAFF_DIAMETER = 0.3     # layout units (a classroom's two teachers are 0.38 apart)
FAMILY_DIAMETER = 0.17
LABEL_LIMIT = 16         # programmes are labelled (P3 HS) only in cohorts up to this size
BARS_LIMIT = 40          # up to this many programmes the progress panel has one bar each, else a histogram

# Programme kinds in population.KIND_NAMES order. The shared palette names the first ones; the view
# adds any kind it does not name yet (a state has family child care homes).
_MORE_KINDS = {"family_child_care": ("family child care home", "FCC", "#b5651d")}


def _kind_style() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    labels, short, colors = list(KIND_LABELS), list(KIND_SHORT), list(KIND_COLORS)
    for name in KIND_NAMES[len(labels):]:
        extra = _MORE_KINDS.get(name, (name.replace("_", " "), name[:3].upper(), "#7f7f7f"))
        labels.append(extra[0])
        short.append(extra[1])
        colors.append(extra[2])
    return tuple(labels), tuple(short), tuple(colors)


VIEW_KIND_LABELS, VIEW_KIND_SHORT, VIEW_KIND_COLORS = _kind_style()


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

    nodes: EllipseCollection
    families: EllipseCollection | None
    cross: LineCollection
    title: Text | None
    layout: NetworkLayout
    program: np.ndarray
    team_width: float = 2.0

    @property
    def dynamic(self) -> list:
        return [a for a in (self.cross, self.families, self.nodes, self.title) if a is not None]


def _dots(ax: Axes, xy: np.ndarray, diameter: float, zorder: float) -> EllipseCollection:
    d = np.full(len(xy), diameter)
    dots = EllipseCollection(d, d, np.zeros(len(xy)), units="xy", offsets=xy, offset_transform=ax.transData,
                             edgecolors=OUTLINE, zorder=zorder)
    ax.add_collection(dots)
    return dots


def programme_ties(cross_edges: np.ndarray | None, program: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ties between staff of different programmes counted per pair of programmes: ((K, 2) pairs, (K,) counts)."""
    if cross_edges is None or len(cross_edges) == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.sort(np.asarray(program)[np.asarray(cross_edges)], axis=1)
    pairs, counts = np.unique(pairs, axis=0, return_counts=True)
    return pairs, counts


def _tie_arcs(layout: NetworkLayout, pairs: np.ndarray, n_points: int = 16) -> list[np.ndarray]:
    """A gentle arc from programme to programme (ends at their edges, bulging to one side, so a tie
    between programmes further apart in a row does not run through the ones in between)."""
    arcs = []
    t = np.linspace(0.0, 1.0, n_points)[:, None]
    for a, b in pairs:
        pa, pb = layout.centres[a], layout.centres[b]
        d = pb - pa
        dist = float(np.hypot(*d))
        if dist == 0:
            continue
        u = d / dist
        start, end = pa + u * 0.45 * layout.radius[a], pb - u * 0.45 * layout.radius[b]
        bulge = np.array([-u[1], u[0]]) * 0.22 * dist
        arcs.append((1 - t) ** 2 * start + 2 * (1 - t) * t * ((start + end) / 2 + bulge) + t ** 2 * end)
    return arcs


def _tie_widths(counts: np.ndarray) -> np.ndarray:
    return 0.5 + 0.6 * np.sqrt(counts)  # points: one tie is a hairline, nine ties a clear line


def _outline(on_team: np.ndarray | None, n: int, base: float, team: float = 2.0) -> np.ndarray:
    return np.where(on_team, team, base) if on_team is not None else np.full(n, base)


def draw_network(ax: Axes, layout: NetworkLayout, edges: np.ndarray, state: np.ndarray, *,
                 program: np.ndarray, kind: np.ndarray | None = None, on_team: np.ndarray | None = None,
                 cross_edges: np.ndarray | None = None, family_home: np.ndarray | None = None,
                 family_on_team: np.ndarray | None = None, labels: bool = True, legend: bool = True,
                 title: str | None = None, fontsize: float = 10, team_width: float = 2.0,
                 label_room: float = 0.5) -> NetworkArtists:
    """Draw staff posts coloured by adoption and families coloured by home use, programme by programme.

    Args:
        ax: axes to draw into (its frame and ticks are turned off).
        layout: positions (:func:`bsc_sim.viz.layout.wheel_layout`).
        edges: (E, 2) within-programme staff ties.
        state: (S,) state codes (:func:`node_state`).
        program: (S,) programme of each post; kind: (M,) programme kind (0 Head Start, 1 child care).
        on_team: (S,) improvement-team members, drawn with a thick outline (as are team families).
        cross_edges: (K, 2) cross-programme ties formed at learning sessions, drawn as one arc per pair of
            programmes, thicker for more ties.
        family_home: (F,) families using at least one practice at home; without it no families are drawn.
        fontsize: size of the programme labels and title.
        team_width: outline of team members, in points (thinner for small pictures).
        label_room: space above the top row of programmes for their labels, in layout units.
    """
    pos = layout.staff
    S = len(pos)
    segs = pos[np.asarray(edges, dtype=np.int64).reshape(-1, 2)]
    ax.add_collection(LineCollection(segs, colors=EDGE_COLOR, linewidths=0.6, zorder=1))
    pairs, counts = programme_ties(cross_edges, program)
    # Beneath the programmes, and fainter in big cohorts, where nearly every pair of programmes is tied.
    alpha = 0.3 * min(1.0, np.sqrt(8 / max(len(layout.centres), 1)))
    cross = LineCollection(_tie_arcs(layout, pairs), colors=CROSS_TIE_COLOR, linewidths=_tie_widths(counts),
                           alpha=alpha, zorder=0.5, capstyle="round")
    ax.add_collection(cross)
    families = None
    if family_home is not None and len(layout.families):
        families = _dots(ax, layout.families, FAMILY_DIAMETER, 3)
        families.set_facecolor(np.asarray(FAMILY_COLORS)[np.asarray(family_home, dtype=int)])
        families.set_linewidths(_outline(family_on_team, len(layout.families), 0.0, team=1.0))
    nodes = _dots(ax, pos, STAFF_DIAMETER, 4)
    nodes.set_facecolor(np.asarray(STATE_COLORS)[state])
    nodes.set_linewidths(_outline(on_team, S, 0.5, team_width))
    x0, x1, y0, y1 = layout.extent
    labels = labels and len(layout.centres) <= LABEL_LIMIT
    if labels:
        for m, (x, y) in enumerate(layout.centres):
            k = int(kind[m]) if kind is not None else None
            tag = f"P{m}" + (f" {VIEW_KIND_SHORT[k]}" if k is not None else "")
            ax.text(x, y + layout.radius[m] + 0.05, tag, ha="center", va="bottom", fontsize=fontsize,
                    color=VIEW_KIND_COLORS[k] if k is not None else "black", fontweight="bold")
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_xlim(x0 - 0.1, x1 + 0.1)
    ax.set_ylim(y0 - 0.1, y1 + (label_room if labels else 0.1))
    if legend:
        ax.legend(handles=network_legend_handles(families is not None), loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  fontsize=fontsize * 0.85, frameon=False)
    text = ax.set_title(title, fontsize=fontsize * 1.1, loc="left") if title is not None else None
    return NetworkArtists(nodes, families, cross, text, layout, np.asarray(program), team_width)


def network_legend_handles(families: bool = True) -> list[Line2D]:
    """Legend entries of the network: post states, families, team members, cross-programme ties."""
    def dot(color, label, edge=OUTLINE, width=0.8, size=9):
        return Line2D([], [], marker="o", ls="", markersize=size, markerfacecolor=color, markeredgecolor=edge,
                      markeredgewidth=width, label=label)

    handles = [dot(c, lab) for c, lab in zip(STATE_COLORS, STATE_LABELS)]
    if families:
        handles += [dot(c, lab, edge=c, size=6) for c, lab in zip(FAMILY_COLORS, FAMILY_LABELS)]
    handles.append(dot("white", "on the improvement team", edge="black", width=2))
    handles.append(Line2D([], [], color=CROSS_TIE_COLOR, alpha=0.7, lw=2.5, label="ties between programmes"))
    return handles


def update_network(artists: NetworkArtists, state: np.ndarray, *, on_team: np.ndarray | None = None,
                   cross_edges: np.ndarray | None = None, family_home: np.ndarray | None = None,
                   family_on_team: np.ndarray | None = None, title: str | None = None) -> None:
    """Recolour a drawn network for another week (no re-layout, no new artists)."""
    artists.nodes.set_facecolor(np.asarray(STATE_COLORS)[state])
    artists.nodes.set_linewidths(_outline(on_team, len(state), 0.5, artists.team_width))
    pairs, counts = programme_ties(cross_edges, artists.program)
    artists.cross.set_segments(_tie_arcs(artists.layout, pairs))
    artists.cross.set_linewidths(_tie_widths(counts))
    if artists.families is not None and family_home is not None:
        artists.families.set_facecolor(np.asarray(FAMILY_COLORS)[np.asarray(family_home, dtype=int)])
        artists.families.set_linewidths(_outline(family_on_team, len(family_home), 0.0, team=1.0))
    if title is not None and artists.title is not None:
        artists.title.set_text(title)


def draw_adoption(ax: Axes, adoption: pd.DataFrame, *, week: int | None = None, session_weeks: Sequence[int] = (),
                  end_week: int | None = None, call_weeks: Sequence[int] = (), legend: bool = True,
                  legend_fontsize: float = 9, legend_below: bool = False):
    """Adoption curves per practice: share of eligible staff using (solid) and at fidelity (dashed).

    Returns ``(lines, marker)``: the curves (two per practice) and the week marker (or None), so an
    animation can reveal the curves and move the marker.

    Args:
        adoption: tidy table with columns ``week, practice, frac_staff_using, frac_staff_fidelity``
            (:meth:`bsc_sim.viz.history.SpreadHistory.adoption`).
        week: draw a marker line at this week.
        session_weeks, end_week, call_weeks: the calendar (:func:`bsc_sim.plotting.mark_calendar`).
    """
    names = list(dict.fromkeys(adoption["practice"].astype(str)))
    colors = practice_colors(names)
    lines = []
    for name in names:
        d = adoption[adoption["practice"].astype(str) == name]
        lines += ax.plot(d["week"], d["frac_staff_using"], color=colors[name], lw=2, label=practice_label(name))
        lines += ax.plot(d["week"], d["frac_staff_fidelity"], color=colors[name], lw=1.4, ls="--")
    mark_calendar(ax, session_weeks, end_week, call_weeks)
    ax.set(xlabel="week", ylabel="share of eligible staff", ylim=(0, 1), xlim=(0, max(int(adoption["week"].max()), 1)))
    percent_axis(ax)
    if legend:  # beside the axes, so it never covers the curves or the session lines
        handles, _ = ax.get_legend_handles_labels()
        handles += [Line2D([], [], color="0.3", lw=2, label="using"),
                    Line2D([], [], color="0.3", lw=1.4, ls="--", label="at fidelity")]
        handles += calendar_handles(session_weeks, end_week, call_weeks)
        where = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.13), "ncols": 3} if legend_below else \
            {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "ncols": 1}
        ax.legend(handles=handles, fontsize=legend_fontsize, frameon=False, borderaxespad=0.0, **where)
    marker = ax.axvline(week, **NOW_STYLE) if week is not None else None
    return lines, marker


def draw_progress(ax: Axes, scores: np.ndarray, kind: np.ndarray | None = None, *, title: str | None = None,
                  fontsize: float = 9):
    """Team progress score (IHI 1-5) per programme as bars coloured by programme kind; above
    ``BARS_LIMIT`` programmes (a state), how many programmes have each score, stacked by kind."""
    scores = np.asarray(scores)
    M = len(scores)
    if M > BARS_LIMIT:
        return _draw_score_counts(ax, scores, kind, title=title, fontsize=fontsize)
    colors = [VIEW_KIND_COLORS[int(k)] for k in kind] if kind is not None else ["0.4"] * M
    bars = ax.bar(np.arange(M), scores, color=colors, width=0.7)
    ax.set(ylim=(0, 5), yticks=range(1, 6), xlabel="programme", ylabel="progress score (1-5)")
    small = fontsize * (0.8 if M > 12 else 1.0)
    ax.set_xticks(np.arange(M), [f"P{m}" for m in range(M)], fontsize=small, rotation=90 if M > 16 else 0)
    ax.tick_params(axis="y", labelsize=fontsize)
    ax.grid(axis="y", alpha=0.3)
    ax.grid(axis="x", visible=False)
    if kind is not None:  # outside the axes: bars may reach the top; below when a title takes the top
        present = set(int(k) for k in kind)
        kinds = [Line2D([], [], color=c, lw=6, label=lab)
                 for k, (c, lab) in enumerate(zip(VIEW_KIND_COLORS, VIEW_KIND_LABELS)) if k in present]
        where = {"loc": "upper right", "bbox_to_anchor": (1.0, -0.2)} if title else \
            {"loc": "lower right", "bbox_to_anchor": (1.0, 1.0)}
        ax.legend(handles=kinds, fontsize=fontsize, frameon=False, ncols=2, borderaxespad=0.1, **where)
    if title:
        ax.set_title(title, fontsize=fontsize + 1, loc="left")
    return bars


def _draw_score_counts(ax: Axes, scores: np.ndarray, kind: np.ndarray | None, *, title: str | None,
                       fontsize: float):
    """Programmes per progress score (1-5), stacked by kind."""
    kind = np.zeros(len(scores), dtype=int) if kind is None else np.asarray(kind, dtype=int)
    bottom = np.zeros(5)
    bars = []
    for k in np.unique(kind):
        counts = np.bincount(np.clip(scores[kind == k], 1, 5) - 1, minlength=5)
        bars.append(ax.bar(np.arange(1, 6), counts, bottom=bottom, width=0.7, color=VIEW_KIND_COLORS[k],
                           label=VIEW_KIND_LABELS[k]))
        bottom = bottom + counts
    ax.set(xlabel="progress score (1-5)", ylabel="programmes", xticks=range(1, 6))
    ax.tick_params(labelsize=fontsize)
    ax.grid(axis="y", alpha=0.3)
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=fontsize * 0.9, frameon=False, loc="upper right")
    if title:
        ax.set_title(title, fontsize=fontsize + 1, loc="left")
    return bars


# -- a state: regions x waves ------------------------------------------------------------------
STATE_FILL_LOW, STATE_FILL_HIGH, STATE_WAIT = "#f2f6fa", "#045a8d", "#e6550d"
REACH_STEPS = 11  # shades of a cell's share reached (0%, 10%, ..., 100%), so a GIF palette holds them all


def reach_ramp() -> list[str]:
    """The shades a regions x waves cell can take (hex), lightest first."""
    from matplotlib.colors import LinearSegmentedColormap, to_hex

    cmap = LinearSegmentedColormap.from_list("reach", [STATE_FILL_LOW, STATE_FILL_HIGH], N=REACH_STEPS)
    return [to_hex(cmap(i)) for i in range(REACH_STEPS)]


@dataclass
class StateGrid:
    """The artists of a drawn regions x waves grid that change from week to week."""

    boxes: object
    labels: list
    n_cells: int
    title: Text | None = None

    @property
    def dynamic(self) -> list:
        return [self.boxes, *self.labels, *([self.title] if self.title is not None else [])]


def draw_state_grid(ax: Axes, cells: pd.DataFrame, n_regions: int, *, fontsize: float = 10,
                    title: str | None = None) -> StateGrid:
    """A state's regions (rows) x waves (columns, headed by their planned start week) and a last
    column for the programmes that never enrol; :func:`update_state_grid` colours it for a week.

    ``cells`` is :func:`bsc_sim.viz.readout.state_cells` (any week: only its regions, waves and
    planned weeks are used here).
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    waves = sorted(int(w) for w in cells["wave"].unique())
    n_cols = len(waves) + 1
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_regions, -0.55)
    ax.set_axis_off()
    planned = cells.groupby("wave")["planned"].min()
    beside = {"xycoords": ("axes fraction", "data"), "textcoords": "offset points", "ha": "right"}
    ax.annotate("week", (0, -0.12), xytext=(-0.3 * fontsize, 0), va="bottom", fontsize=fontsize, color="0.3", **beside)
    for j, w in enumerate(waves):
        ax.text(j + 0.5, -0.12, f"{int(planned[w])}", ha="center", va="bottom", fontsize=fontsize)
    ax.text(n_cols - 0.5, -0.12, "out", ha="center", va="bottom", fontsize=fontsize, color="0.3")
    for r in range(n_regions):
        ax.annotate(f"R{r + 1}", (0, r + 0.5), xytext=(-0.3 * fontsize, 0), va="center", fontsize=fontsize,
                    fontweight="bold", **beside)
    spots = [(waves.index(int(w)), int(r)) for r, w in zip(cells["region"], cells["wave"])]
    spots += [(n_cols - 1, r) for r in range(n_regions)]
    boxes = PatchCollection([Rectangle((c + 0.05, r + 0.06), 0.9, 0.88) for c, r in spots], linewidths=1.0,
                            edgecolors="0.8", facecolors="white")
    ax.add_collection(boxes)
    labels = [ax.text(c + 0.5, r + 0.5, "", ha="center", va="center", fontsize=fontsize) for c, r in spots]
    text = ax.set_title(title, fontsize=fontsize * 1.1, loc="left") if title is not None else None
    return StateGrid(boxes, labels, len(cells), text)


def update_state_grid(grid: StateGrid, cells: pd.DataFrame, outside: pd.DataFrame, title: str | None = None) -> None:
    """Colour the grid for one week: blank until planned, orange outline while waiting for
    faculty, then filled by the share of the wave's classrooms reached (written in)."""
    from matplotlib.colors import LinearSegmentedColormap

    from .readout import PLANNED, WAITING

    cmap = LinearSegmentedColormap.from_list("reach", [STATE_FILL_LOW, STATE_FILL_HIGH], N=REACH_STEPS)
    faces, edges, widths = [], [], []
    for label, row in zip(grid.labels, cells.itertuples(index=False)):
        share = row.reached / max(row.n_classrooms, 1)
        if row.status == PLANNED:
            faces.append("white"), edges.append("0.8"), widths.append(1.0)
            label.set_text("")
        elif row.status == WAITING:
            faces.append("white"), edges.append(STATE_WAIT), widths.append(3.0)
            label.set_text("wait")
            label.set_color(STATE_WAIT)
        else:
            faces.append(cmap(share)), edges.append("0.6"), widths.append(1.0)
            label.set_text(f"{share:.0%}")
            label.set_color("white" if share > 0.45 else "black")
    for label, row in zip(grid.labels[grid.n_cells:], outside.itertuples(index=False)):
        share = row.reached / max(row.n_classrooms, 1)
        faces.append(cmap(share) if row.n_programs else "white"), edges.append("0.8"), widths.append(1.0)
        label.set_text(f"{share:.0%}" if row.n_programs else "")
        label.set_color("0.3")
    grid.boxes.set_facecolors(faces)
    grid.boxes.set_edgecolors(edges)
    grid.boxes.set_linewidths(widths)
    if title is not None and grid.title is not None:
        grid.title.set_text(title)


def state_legend_handles() -> list:
    """Legend entries of the regions x waves grid."""
    from matplotlib.patches import Patch

    return [Patch(facecolor=STATE_FILL_LOW, edgecolor="0.6", label="few of a wave's classrooms reached"),
            Patch(facecolor=STATE_FILL_HIGH, edgecolor="0.6", label="many reached"),
            Patch(facecolor="white", edgecolor=STATE_WAIT, linewidth=2.5, label="wave waiting for faculty"),
            Patch(facecolor="white", edgecolor="0.8", label="wave not started (planned week above)")]
