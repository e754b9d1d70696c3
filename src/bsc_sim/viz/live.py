"""Pictures for the browser view, redrawn every week fast enough to play two years in seconds.

Each picture is a matplotlib figure drawn once whole; every later week only the artists that
change (dot colours, ties, curves, the week marker) are redrawn over the saved background
(blitting) and the result is encoded as PNG bytes for the page. Redrawing the whole figure and
letting matplotlib write the PNG costs several times as much per week.

Pictures are rendered at the size they take on a 1920-pixel-wide screen; the page scales them
down on smaller screens, so text keeps its size relative to the screen, as a projector shows it.
No Solara here; each picture has a lock because the page may render from the play loop's thread.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..palette import CALL_STYLE, END_STYLE, NOW_STYLE, SESSION_STYLE
from ..plotting import TALK_RC, money_axis, percent_axis
from .drawing import (
    STATE_FILL_HIGH,
    STATE_FILL_LOW,
    STATE_WAIT,
    draw_network,
    draw_state_grid,
    update_network,
    update_state_grid,
)
from .layout import NetworkLayout

DPI = 100


def points(px: float) -> float:
    """Matplotlib font size (points) of text ``px`` pixels tall in these pictures."""
    return px * 72 / DPI

MONEY_START = 1000.0  # top of a cost axis before anything is spent (it grows with the cost)


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG bytes (fast compression: the page shows each frame once)."""
    from PIL import Image

    width, height = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


class _Blitted:
    """A figure whose static part is drawn once; :meth:`frame` redraws only ``self.dynamic``."""

    def __init__(self, width_px: int, height_px: int) -> None:
        self.fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic: list = []
        self._background = None
        self._lock = threading.Lock()

    def _freeze(self) -> None:
        for artist in self.dynamic:
            artist.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _frame(self) -> bytes:
        self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        return _png(self.canvas)


class LiveNetwork(_Blitted):
    """The network picture of one model: staff by adoption, families by home use, ties between programmes.

    ``font_px`` is the size of the programme labels in the picture's own pixels (the page scales
    the picture to its column; see :mod:`bsc_sim.viz.panels`).
    """

    def __init__(self, layout: NetworkLayout, edges: np.ndarray, program: np.ndarray, kind: np.ndarray,
                 first: dict[str, np.ndarray], *, width_px: int = 1200, height_px: int | None = None,
                 font_px: float = 21) -> None:
        x0, x1, y0, y1 = layout.extent
        units_per_px = (x1 - x0 + 0.2) / width_px
        label_room = 0.1 + 1.35 * font_px * units_per_px   # the labels' line above the top row
        if height_px is None:  # as tall as the layout needs
            height_px = int(np.clip((y1 - y0 + 0.1 + label_room) / units_per_px, 0.3 * width_px, 1.1 * width_px))
        super().__init__(width_px, height_px)
        with mpl.rc_context(TALK_RC):
            ax = self.fig.add_axes((0.005, 0.005, 0.99, 0.99))
            self.artists = draw_network(ax, layout, edges, first["state"], program=program, kind=kind,
                                        on_team=first["on_team"], cross_edges=first["cross_edges"],
                                        family_home=first["family_home"], family_on_team=first["family_on_team"],
                                        legend=False, fontsize=points(font_px), label_room=label_room)
        self.dynamic = self.artists.dynamic
        self._freeze()

    def png(self, now: dict[str, np.ndarray]) -> bytes:
        """PNG bytes of the picture coloured by ``now`` (:func:`bsc_sim.viz.readout.picture`)."""
        with self._lock:
            update_network(self.artists, now["state"], on_team=now["on_team"], cross_edges=now["cross_edges"],
                           family_home=now["family_home"], family_on_team=now["family_on_team"])
            return self._frame()


@dataclass(frozen=True)
class Series:
    """One line of a :class:`LiveChart`: its column, legend label and style."""

    column: str
    label: str
    color: str
    width: float = 2.6
    style: str = "-"


@dataclass(frozen=True)
class Calendar:
    """The marks of a time axis: learning sessions, calls, the collaborative's end, and whose they are."""

    session_weeks: Sequence[int] = ()
    call_weeks: Sequence[int] = ()
    end_week: int | None = None
    visit_weeks: Sequence[int] = ()  # coach visits (the coach design's support)
    color: str | None = None   # the design's colour when two designs share the axis
    owner: str = ""            # "BSC (default)" in the key when two designs share the axis


class LiveChart(_Blitted):
    """A time axis of the whole run (weeks 0 .. horizon) whose lines grow week by week.

    Args:
        series: the lines; their data come from a table with a ``week`` column and one column each.
        horizon: weeks in the run (the axis is fixed, so the lines grow into it).
        calendars: marks on the axis (one per design shown).
        unit: ``"share"`` (percent axis 0-100%) or ``"money"`` (dollars, the axis grows as needed).
    """

    def __init__(self, series: Sequence[Series], horizon: int, calendars: Sequence[Calendar], *, unit: str = "share",
                 ylabel: str = "", width_px: int = 760, height_px: int = 400, ymax: float | None = None,
                 font_px: float = 21) -> None:
        super().__init__(width_px, height_px)
        self.series, self.unit, self.horizon = list(series), unit, horizon
        size = points(font_px)
        with mpl.rc_context({**TALK_RC, "xtick.labelsize": size, "ytick.labelsize": size, "axes.labelsize": size}):
            # Margins in pixels, from the text size (tick labels keep their size whatever the chart's shape).
            left, bottom = (3.6 * font_px + 8) / width_px, (2.5 * font_px + 6) / height_px
            top, right = 0.6 * font_px / height_px, 0.9 * font_px / width_px
            ax = self.fig.add_axes((left, bottom, 1 - left - right, 1 - bottom - top))
            ax.xaxis.labelpad = 1
            self.ax = ax
            self._calendar(ax, calendars)
            self.lines = [ax.plot([], [], color=s.color, lw=s.width, ls=s.style, label=s.label)[0] for s in series]
            self.now = ax.axvline(0, **NOW_STYLE)
            ax.set_xlim(0, horizon)
            ax.set_xlabel("week")
            if ylabel:
                ax.set_ylabel(ylabel)
            if unit == "share":
                ax.set_ylim(0, 1 if ymax is None else ymax)
                percent_axis(ax)
            else:
                ax.set_ylim(0, ymax or MONEY_START)   # $0 to $1k before any cost: distinct ticks
                money_axis(ax)
        self.dynamic = [*self.lines, self.now]
        self._freeze()

    def png(self, tables: Sequence, week: int) -> bytes:
        """PNG bytes with each series drawn from its table (``tables[i]`` feeds ``series[i]``) up to ``week``."""
        with self._lock:
            top = 0.0
            for line, s, df in zip(self.lines, self.series, tables):
                line.set_data(df["week"].to_numpy(), df[s.column].to_numpy())
                if len(df):
                    top = max(top, float(np.nanmax(df[s.column].to_numpy(np.float64), initial=0.0)))
            self.now.set_xdata([week, week])
            if self.unit == "money" and top > self.ax.get_ylim()[1]:  # the cost axis grows: redraw it whole
                self.ax.set_ylim(0, _nice_ceiling(top))
                self._freeze()
            return self._frame()

    @staticmethod
    def _calendar(ax, calendars: Sequence[Calendar]) -> None:
        """Draw each design's sessions and calls (in its colour when two designs share the axis) and
        the end of the collaborative (the page draws the key)."""
        for cal in calendars:
            color = {"color": cal.color} if cal.color else {}
            session, call = {**SESSION_STYLE, **color}, {**CALL_STYLE, **color}
            for w in cal.session_weeks:
                ax.axvline(w, zorder=1.5, **session)
            ticks = sorted({*cal.call_weeks, *cal.visit_weeks})
            if ticks:
                ax.vlines(ticks, 0, 0.05, transform=ax.get_xaxis_transform(), zorder=1.5, **call)
        for end in sorted({c.end_week for c in calendars if c.end_week is not None}):
            ax.axvline(end, zorder=1.5, **END_STYLE)


def _nice_ceiling(value: float) -> float:
    """A round number at least 20% above ``value`` (so the money axis grows rarely)."""
    target = value * 1.2
    magnitude = 10 ** np.floor(np.log10(target))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= target:
            return float(step * magnitude)
    return float(10 * magnitude)


class LiveState(_Blitted):
    """A state's regions (rows) x waves (columns) as cohorts start, enrol and sustain.

    Each cell is one wave of cohorts in one region: blank until its planned week (the column head
    gives it), outlined orange while it waits for faculty (capacity), then filled by the share of
    its classrooms reached now (darker is more), with that share written in. The last column is
    the region's programmes that never enrol. Fed by :func:`bsc_sim.viz.readout.state_cells`;
    drawn by :func:`bsc_sim.viz.drawing.draw_state_grid`, as in the talk figures.
    """

    FILL_LOW, FILL_HIGH, WAIT = STATE_FILL_LOW, STATE_FILL_HIGH, STATE_WAIT

    def __init__(self, cells, outside, n_regions: int, *, width_px: int = 820, font_px: float = 24) -> None:
        height_px = int(1.9 * font_px * (n_regions + 1.6))
        super().__init__(width_px, height_px)
        left = 3.6 * font_px / width_px
        ax = self.fig.add_axes((left, 0.02, 1 - left - 0.01, 0.96))
        self.grid = draw_state_grid(ax, cells, n_regions, fontsize=points(font_px))
        self.dynamic = self.grid.dynamic
        self._freeze()

    def png(self, cells, outside) -> bytes:
        with self._lock:
            update_state_grid(self.grid, cells, outside)
            return self._frame()
