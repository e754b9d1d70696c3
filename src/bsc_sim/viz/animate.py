"""Figures for talks: the spread over the staff network as an animation, and a slide figure.

Both take a recorded :class:`~bsc_sim.viz.history.SpreadHistory`, never a live model::

    from bsc_sim import load_params
    from bsc_sim.viz.animate import animate_spread, record_spread, slide_figure

    history = record_spread(load_params(["design=bsc"]), seed=1)
    animate_spread(history, "spread.gif")                  # one frame per week, 1280x720
    animate_spread(history, "spread.gif", size="1920x1080")
    slide_figure(history).savefig("spread.png", dpi=150)   # 1920x1080: networks at 3 weeks + curves + scores

Matplotlib only (Agg canvas, no pyplot state), so this module works headless and never imports
Solara. GIFs are written with Pillow; MP4 needs ffmpeg on the PATH or the ``imageio-ffmpeg`` wheel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..palette import PRACTICE_COLORS, design_label
from .drawing import (
    CROSS_TIE_COLOR,
    EDGE_COLOR,
    FAMILY_COLORS,
    OUTLINE,
    STATE_COLORS,
    STATE_FILL_LOW,
    STATE_WAIT,
    VIEW_KIND_COLORS,
    draw_adoption,
    draw_network,
    draw_progress,
    draw_state_grid,
    network_legend_handles,
    reach_ramp,
    state_legend_handles,
    update_network,
    update_state_grid,
)
from .history import SpreadHistory, record_spread, shown_week

__all__ = ["SpreadHistory", "animate_spread", "check_animation_path", "check_figure_path", "record_spread",
           "slide_figure", "TALK_SIZES"]

ANIMATION_SUFFIXES = (".gif", ".mp4")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
# Talk figures are 16:9, laid out on 12.8 x 7.2 inches; the size in pixels only sets the resolution,
# so a figure looks the same (text the same share of the picture) at 1280x720 and at 1920x1080.
FIGURE_INCHES = (12.8, 7.2)
TALK_SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
SLIDE_DPI = 150  # slide_figure(...).savefig(path, dpi=SLIDE_DPI) is 1920x1080


def talk_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """``"1920x1080"`` (or a (width, height) pair) as pixels; only 16:9 sizes are accepted."""
    if isinstance(size, str):
        if size not in TALK_SIZES:
            raise ValueError(f"size = {size!r}: choose one of {', '.join(TALK_SIZES)}")
        return TALK_SIZES[size]
    width, height = (int(v) for v in size)
    if width < 320 or abs(width * 9 - height * 16) > 16:
        raise ValueError(f"size = {size!r}: a 16:9 size at least 320 pixels wide, e.g. (1920, 1080)")
    return width, height


def _ffmpeg_available() -> bool:
    """ffmpeg on the PATH, or the binary of the ``imageio-ffmpeg`` wheel when it is installed."""
    if animation.writers.is_available("ffmpeg"):
        return True
    try:
        import imageio_ffmpeg
    except ImportError:
        return False
    import matplotlib as mpl

    mpl.rcParams["animation.ffmpeg_path"] = imageio_ffmpeg.get_ffmpeg_exe()
    return animation.writers.is_available("ffmpeg")


def check_animation_path(path: str | Path) -> Path:
    """Validate an animation path before any work: ``.gif``, or ``.mp4`` when ffmpeg is available.

    Raises:
        ValueError: another suffix.
        RuntimeError: ``.mp4`` without ffmpeg (on the PATH or from the ``imageio-ffmpeg`` wheel).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: the animation must be a .gif or .mp4 file")
    if suffix == ".mp4" and not _ffmpeg_available():
        raise RuntimeError(f"{path}: writing MP4 needs ffmpeg on the PATH or the imageio-ffmpeg package (neither "
                           "found); write a .gif instead")
    return path


def check_figure_path(path: str | Path) -> Path:
    """Validate a slide-figure path (``.png``, ``.pdf``, ``.svg`` or ``.jpg``)."""
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"{path}: the slide figure must be one of {', '.join(FIGURE_SUFFIXES)}")
    return path


def _frames(history: SpreadHistory, every: int, weeks: Sequence[int] | None) -> list[int]:
    if weeks is not None:
        return [history.frame_of(int(w)) for w in weeks]
    if every < 1:
        raise ValueError(f"every = {every}: must be >= 1")
    frames = list(range(0, history.n_frames, every))
    if frames[-1] != history.n_frames - 1:
        frames.append(history.n_frames - 1)  # always end on the last week
    return frames


def animation_frames(history: SpreadHistory, every: int = 1, weeks: Sequence[int] | None = None) -> list[int]:
    """The frame indices :func:`animate_spread` draws: every ``every``-th week plus the last, or ``weeks``."""
    return _frames(history, every, weeks)


def _curves(ax, history: SpreadHistory, *, week: int | None = None, legend_fontsize: float = 9, below: bool = False):
    """The adoption curves with weeks counted as the view counts them (weeks run, 1..horizon)."""
    adoption = history.adoption()
    adoption["week"] = adoption["week"] + 1
    out = draw_adoption(ax, adoption, week=None if week is None else shown_week(week),
                        session_weeks=[shown_week(w) for w in history.session_weeks],
                        end_week=shown_week(history.end_week), call_weeks=[shown_week(w) for w in history.call_weeks],
                        legend_fontsize=legend_fontsize, legend_below=below)
    ax.set_xlim(0, shown_week(int(history.weeks[-1])))
    return out


def _title(history: SpreadHistory, title: str | None) -> str:
    if title is not None:
        return title
    what = ("regions x waves, coloured by the share of each wave's classrooms reached" if history.is_state else
            "staff coloured by adoption, families by home use")
    return f"bsc_sim: {design_label(history.design)}, seed {history.seed} (one simulated run) - {what}"


def animate_spread(history: SpreadHistory, path: str | Path, *, fps: float = 6, every: int = 1,
                   weeks: Sequence[int] | None = None, size: str | tuple[int, int] = "1280x720",
                   dpi: float | None = None, title: str | None = None) -> Path:
    """Write the spread over time as an animated GIF (or MP4): network and adoption curves.

    Args:
        history: a recorded run (:func:`record_spread`).
        path: ``.gif`` (Pillow) or ``.mp4`` (ffmpeg; a RuntimeError names the problem without it).
        fps: frames per second (one frame is one recorded week unless ``every``/``weeks`` thin it).
        every: draw every ``every``-th week, always ending on the last one.
        weeks: draw exactly these recorded weeks (0-based, as in ``RunResult.timeseries``) instead.
        size: ``"1280x720"`` (default) or ``"1920x1080"`` (or a 16:9 (width, height) in pixels).
        dpi: set the resolution directly instead (the figure is 12.8 x 7.2 inches).
        title: figure title (default: design and seed).

    Returns:
        The path written. The file has exactly ``len(animation_frames(history, every, weeks))``
        frames (each frame's caption differs, so Pillow never merges frames). Captions and the
        curves' axis count weeks as the browser view does (weeks run: the last is week 104).
        GIF colours are the view's exactly: every frame is mapped onto one fixed palette made of
        the colours the figure draws with (states, families, practices, kinds, ties) and their
        blends with white, so "at fidelity" stays dark blue and "using" light blue.

    The figure is laid out and drawn once; each frame then redraws only what changes (node
    colours, cross-programme ties, caption, the curves up to that week) over the saved
    background. For GIFs the frames are blitted and handed to Pillow directly, several times
    faster than ``FuncAnimation.save``, which redraws the whole figure twice per frame; MP4 goes
    through ``FuncAnimation`` and matplotlib's ``FFMpegWriter``.
    """
    path = check_animation_path(path)
    frames = _frames(history, every, weeks)
    if dpi is None:
        dpi = talk_size(size)[0] / FIGURE_INCHES[0]
    state = history.state()
    fig = Figure(figsize=FIGURE_INCHES, dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax_net, ax_curve = fig.subplots(1, 2, width_ratios=[1.55, 1])
    first = frames[0]
    if history.is_state:  # regions x waves: thousands of programmes' networks would be dots
        cells, _ = history.state_cells(first)
        net = draw_state_grid(ax_net, cells, int(history.state_plan["n_regions"]), fontsize=12,
                              title=history.caption(first))
    else:
        net = draw_network(ax_net, history.layout, history.edges, state[first], program=history.program,
                           kind=history.kind, on_team=history.on_team[first], cross_edges=history.cross_ties[first],
                           family_home=history.family_home[first], family_on_team=history.family_on_team[first],
                           legend=False, title=history.caption(first), team_width=1.4, fontsize=11)
    lines, marker = _curves(ax_curve, history, week=int(history.weeks[first]), legend_fontsize=9, below=True)
    full = [(line.get_xdata(), line.get_ydata()) for line in lines]
    ax_curve.set_title("Adoption by practice (whole cohort)", fontsize=11, loc="left")
    fig.legend(handles=state_legend_handles() if history.is_state else network_legend_handles(),
               loc="outside lower center", ncols=4, fontsize=9.5, frameon=False)
    fig.suptitle(_title(history, title), fontsize=12)
    dynamic = [*net.dynamic, *lines, marker]

    def draw(frame: int):
        if history.is_state:
            update_state_grid(net, *history.state_cells(frame), title=history.caption(frame))
        else:
            update_network(net, state[frame], on_team=history.on_team[frame],
                           cross_edges=history.cross_ties[frame], family_home=history.family_home[frame],
                           family_on_team=history.family_on_team[frame], title=history.caption(frame))
        w = shown_week(int(history.weeks[frame]))
        for line, (x, y) in zip(lines, full):
            shown = np.asarray(x) <= w
            line.set_data(np.asarray(x)[shown], np.asarray(y)[shown])
        marker.set_xdata([w, w])
        return dynamic

    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout of the first draw
    if path.suffix.lower() == ".mp4":
        anim = animation.FuncAnimation(fig, draw, frames=frames, blit=False, repeat=False, cache_frame_data=False)
        anim.save(str(path), writer=animation.FFMpegWriter(fps=fps, bitrate=4000), dpi=dpi)
        return path
    images = list(_blitted_frames(fig, dynamic, draw, frames))
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(round(1000 / fps)), loop=0)
    return path


def view_colors() -> list[str]:
    """Every colour the talk figures draw with, as in the browser view (hex)."""
    from matplotlib.colors import to_hex

    named = [*STATE_COLORS, *FAMILY_COLORS, *PRACTICE_COLORS, *VIEW_KIND_COLORS, CROSS_TIE_COLOR, EDGE_COLOR,
             OUTLINE, STATE_WAIT, STATE_FILL_LOW, *reach_ramp(), "#000000", "#ffffff"]
    return list(dict.fromkeys(to_hex(c) for c in named))


def fixed_palette() -> np.ndarray:
    """(N, 3) uint8 colours, N <= 256: the view's colours first, then their blends with white
    (anti-aliased edges, the faint ties) and a grey ramp (text, grid, axes)."""
    from matplotlib.colors import to_rgb

    colours = []
    for hexcode in view_colors():
        rgb = np.array(to_rgb(hexcode))
        for t in (1.0, 0.7, 0.45, 0.25):
            colours.append(tuple(int(round(255 * v)) for v in t * rgb + (1 - t)))
    colours += [(g, g, g) for g in np.linspace(0, 255, 40).round().astype(int)]
    return np.array(list(dict.fromkeys(colours))[:256], dtype=np.uint8)


class PaletteMap:
    """Maps RGB frames onto a fixed palette, each colour to its nearest palette colour, exactly.

    (Pillow's own mapping onto a given palette looks colours up at reduced precision, which turned
    white into a near-white tint.) Colours are looked up once and remembered, so the frames of a
    film cost little after the first.
    """

    UNKNOWN = np.uint16(0xFFFF)

    def __init__(self, palette: np.ndarray) -> None:
        self.palette = np.asarray(palette, dtype=np.uint8)
        self._lut = np.full(1 << 24, self.UNKNOWN, dtype=np.uint16)

    def __call__(self, rgb: np.ndarray):
        from PIL import Image

        packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
        index = self._lut[packed]
        missing = index == self.UNKNOWN
        if missing.any():
            new = np.unique(packed[missing])
            cols = np.column_stack([(new >> 16) & 255, (new >> 8) & 255, new & 255]).astype(np.int32)
            d = ((cols[:, None, :] - self.palette[None, :, :].astype(np.int32)) ** 2).sum(axis=2)
            self._lut[new] = d.argmin(axis=1).astype(np.uint16)
            index = self._lut[packed]
        image = Image.fromarray(index.astype(np.uint8), mode="P")
        flat = self.palette.reshape(-1).tolist()
        image.putpalette(flat + flat[:3] * (256 - len(self.palette)))
        return image


def _blitted_frames(fig: Figure, dynamic: list, draw, frames: Sequence[int]):
    """Yield each frame as a palette image: static background once, then only ``dynamic`` artists."""
    canvas = fig.canvas
    for artist in dynamic:
        artist.set_animated(True)  # left out of full draws
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    width, height = canvas.get_width_height()

    def render(frame: int) -> np.ndarray:
        draw(frame)
        canvas.restore_region(background)
        for artist in dynamic:
            fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba()).reshape(height, width, 4)[..., :3]

    # One fixed palette of the view's own colours for the whole film: no colour flicker, and a
    # colour of the view is never swapped for another (a palette fitted to the pixels merged
    # "at fidelity" dark blue into a practice's green).
    to_palette = PaletteMap(fixed_palette())
    for frame in frames:
        yield to_palette(render(frame))


def slide_figure(history: SpreadHistory, weeks: Sequence[int] | None = None, *, title: str | None = None,
                 figsize: tuple[float, float] = FIGURE_INCHES) -> Figure:
    """A static multi-panel figure for slides (16:9; ``savefig(path, dpi=150)`` is 1920x1080).

    Top row: the staff network at each of ``weeks`` (recorded weeks, 0-based; default: the first
    week, the end of the collaborative and the last week of follow-up). Bottom row: adoption
    curves per practice with those weeks marked, and each team's final progress score. Captions
    and axes count weeks as the browser view does (weeks run). The figure has ``len(weeks) + 2``
    axes. Save it with ``fig.savefig("slides.png", dpi=150)``.
    """
    if weeks is None:
        last = int(history.weeks[-1])
        weeks = list(dict.fromkeys([0, min(history.end_week, last), last]))
    frames = [history.frame_of(int(w)) for w in weeks]
    state = history.state()
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.95, 1])
    net_axes = np.atleast_1d(top.subplots(1, len(frames)))
    for ax, frame in zip(net_axes, frames):
        if history.is_state:
            cells, outside = history.state_cells(frame)
            grid = draw_state_grid(ax, cells, int(history.state_plan["n_regions"]), fontsize=9,
                                   title=history.caption(frame))
            update_state_grid(grid, cells, outside)
            continue
        draw_network(ax, history.layout, history.edges, state[frame], program=history.program, kind=history.kind,
                     on_team=history.on_team[frame], cross_edges=history.cross_ties[frame],
                     family_home=history.family_home[frame], family_on_team=history.family_on_team[frame],
                     legend=False, title=history.caption(frame), team_width=1.2, fontsize=9)
    top.legend(handles=state_legend_handles() if history.is_state else network_legend_handles(),
               loc="outside lower center", ncols=5, fontsize=8.5, frameon=False)
    ax_curve, ax_prog = bottom.subplots(1, 2, width_ratios=[2, 1])
    _curves(ax_curve, history, legend_fontsize=8)
    for w in weeks:
        ax_curve.axvline(shown_week(int(w)), color="black", lw=0.8, alpha=0.5)
    ax_curve.set_title("Adoption by practice (solid: using, dashed: at fidelity; grey: the weeks above)",
                       fontsize=10, loc="left")
    draw_progress(ax_prog, history.final_progress, history.kind,
                  title=f"Team progress score at the end (week {shown_week(history.end_week)})")
    fig.suptitle(_title(history, title), fontsize=12)
    return fig
