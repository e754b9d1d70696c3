"""Figures for talks: the spread over the staff network as an animation, and a slide figure.

Both take a recorded :class:`~bsc_sim.viz.history.SpreadHistory`, never a live model::

    from bsc_sim import load_params
    from bsc_sim.viz.animate import animate_spread, record_spread, slide_figure

    history = record_spread(load_params(["design=bsc"]), seed=1)
    animate_spread(history, "spread.gif")                  # one frame per week
    slide_figure(history).savefig("spread.png", dpi=150)   # networks at 3 weeks + curves + scores

Matplotlib only (Agg canvas, no pyplot state), so this module works headless and never imports
Solara. GIFs are written with Pillow; MP4 needs ffmpeg on the PATH.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..palette import design_label
from .drawing import (
    draw_adoption,
    draw_network,
    draw_progress,
    network_legend_handles,
    update_network,
)
from .history import SpreadHistory, record_spread

__all__ = ["SpreadHistory", "animate_spread", "check_animation_path", "check_figure_path", "record_spread",
           "slide_figure"]

ANIMATION_SUFFIXES = (".gif", ".mp4")
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


def check_animation_path(path: str | Path) -> Path:
    """Validate an animation path before any work: ``.gif``, or ``.mp4`` when ffmpeg is available.

    Raises:
        ValueError: another suffix.
        RuntimeError: ``.mp4`` without ffmpeg.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: the animation must be a .gif or .mp4 file")
    if suffix == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise RuntimeError(f"{path}: writing MP4 needs ffmpeg on the PATH (not found); write a .gif instead")
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


def _title(history: SpreadHistory, title: str | None) -> str:
    if title is not None:
        return title
    return (f"bsc_sim: {design_label(history.design)}, seed {history.seed} (one simulated run) - staff coloured by "
            "adoption, families by home use")


def animate_spread(history: SpreadHistory, path: str | Path, *, fps: float = 6, every: int = 1,
                   weeks: Sequence[int] | None = None, dpi: int = 90, title: str | None = None) -> Path:
    """Write the spread over time as an animated GIF (or MP4): network and adoption curves.

    Args:
        history: a recorded run (:func:`record_spread`).
        path: ``.gif`` (Pillow) or ``.mp4`` (ffmpeg; a RuntimeError names the problem without it).
        fps: frames per second (one frame is one recorded week unless ``every``/``weeks`` thin it).
        every: draw every ``every``-th week, always ending on the last one.
        weeks: draw exactly these weeks instead.
        dpi: resolution (the figure is 11 x 5.4 inches).
        title: figure title (default: design and seed).

    Returns:
        The path written. The file has exactly ``len(animation_frames(history, every, weeks))``
        frames (each frame's caption differs, so Pillow never merges frames).

    The figure is laid out and drawn once; each frame then redraws only what changes (node
    colours, cross-programme ties, caption, the curves up to that week) over the saved
    background. For GIFs the frames are blitted and handed to Pillow directly, several times
    faster than ``FuncAnimation.save``, which redraws the whole figure twice per frame; MP4 goes
    through ``FuncAnimation`` and matplotlib's ``FFMpegWriter``.
    """
    path = check_animation_path(path)
    frames = _frames(history, every, weeks)
    state = history.state()
    fig = Figure(figsize=(11, 5.4), dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax_net, ax_curve = fig.subplots(1, 2, width_ratios=[1.35, 1])
    first = frames[0]
    net = draw_network(ax_net, history.layout, history.edges, state[first], program=history.program,
                       kind=history.kind, on_team=history.on_team[first], cross_edges=history.cross_ties[first],
                       family_home=history.family_home[first], family_on_team=history.family_on_team[first],
                       legend=False, title=history.caption(first), team_width=1.4)
    lines, marker = draw_adoption(ax_curve, history.adoption(), week=int(history.weeks[first]),
                                  session_weeks=history.session_weeks, end_week=history.end_week,
                                  call_weeks=history.call_weeks)
    full = [(line.get_xdata(), line.get_ydata()) for line in lines]
    ax_curve.set_title("Adoption by practice (whole cohort)", fontsize=10, loc="left")
    fig.legend(handles=network_legend_handles(), loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(_title(history, title), fontsize=11)
    dynamic = [*net.dynamic, *lines, marker]

    def draw(frame: int):
        update_network(net, state[frame], on_team=history.on_team[frame],
                       cross_edges=history.cross_ties[frame], family_home=history.family_home[frame],
                       family_on_team=history.family_on_team[frame], title=history.caption(frame))
        w = int(history.weeks[frame])
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
        anim.save(str(path), writer=animation.FFMpegWriter(fps=fps, bitrate=1800), dpi=dpi)
        return path
    images = list(_blitted_frames(fig, dynamic, draw, frames))
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(round(1000 / fps)), loop=0)
    return path


def _blitted_frames(fig: Figure, dynamic: list, draw, frames: Sequence[int]):
    """Yield each frame as a palette image: static background once, then only ``dynamic`` artists."""
    from PIL import Image

    canvas = fig.canvas
    for artist in dynamic:
        artist.set_animated(True)  # left out of full draws
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    size = canvas.get_width_height()

    def render(frame: int):
        draw(frame)
        canvas.restore_region(background)
        for artist in dynamic:
            fig.draw_artist(artist)
        return Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")

    # One palette for the whole film (fast, no colour flicker), taken from the first and the last
    # frame together so that every colour that ever appears (all curves, ties, states) is in it.
    a, b = render(frames[0]), render(frames[-1])
    both = Image.new("RGB", (size[0], 2 * size[1]))
    both.paste(a, (0, 0))
    both.paste(b, (0, size[1]))
    palette = both.quantize(colors=96, method=Image.Quantize.MEDIANCUT)
    for frame in frames:
        yield render(frame).quantize(palette=palette, dither=Image.Dither.NONE)


def slide_figure(history: SpreadHistory, weeks: Sequence[int] | None = None, *, title: str | None = None,
                 figsize: tuple[float, float] = (13, 7.5)) -> Figure:
    """A static multi-panel figure for slides.

    Top row: the staff network at each of ``weeks`` (default: week 0, the end of the
    collaborative and the last week of follow-up). Bottom row: adoption curves per practice with
    those weeks marked, and each team's final progress score. The figure has ``len(weeks) + 2``
    axes. Save it with ``fig.savefig("slides.png", dpi=150)``.
    """
    if weeks is None:
        last = int(history.weeks[-1])
        weeks = list(dict.fromkeys([0, min(history.end_week, last), last]))
    frames = [history.frame_of(int(w)) for w in weeks]
    state = history.state()
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[0.9, 1])
    net_axes = np.atleast_1d(top.subplots(1, len(frames)))
    for ax, frame in zip(net_axes, frames):
        draw_network(ax, history.layout, history.edges, state[frame], program=history.program, kind=history.kind,
                     on_team=history.on_team[frame], cross_edges=history.cross_ties[frame],
                     family_home=history.family_home[frame], family_on_team=history.family_on_team[frame],
                     legend=False, title=history.caption(frame), team_width=1.2)
    top.legend(handles=network_legend_handles(), loc="outside lower center", ncols=5, fontsize=9, frameon=False)
    ax_curve, ax_prog = bottom.subplots(1, 2, width_ratios=[2, 1])
    draw_adoption(ax_curve, history.adoption(), session_weeks=history.session_weeks, end_week=history.end_week,
                  call_weeks=history.call_weeks)
    for w in weeks:
        ax_curve.axvline(int(w), color="black", lw=0.8, alpha=0.5)
    ax_curve.set_title("Adoption by practice (solid: using, dashed: at fidelity; grey: the weeks above)",
                       fontsize=10, loc="left")
    draw_progress(ax_prog, history.final_progress, history.kind,
                  title=f"Team progress score at the end (week {history.end_week})")
    fig.suptitle(_title(history, title), fontsize=12)
    return fig
