"""Where ``bsc-sim run --animate FILE --slides FILE`` writes its figures, and how.

A bare file name (``--animate spread.gif``) goes into the run's ``out_dir`` with the tables, as
part of the run: it is written with them, listed in ``meta.json`` (``talk_figures``) and replaced
with them under ``--overwrite``. A path with a directory (``figs/spread.gif``, ``./spread.gif``,
an absolute path) is written exactly there. Nothing here imports matplotlib until a figure is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path


META_KEY = "talk_figures"


def figure_targets(figures: Mapping[str, str], out_dir: Path) -> dict[str, Path]:
    """``{"animate": path, "slides": path}``: bare names placed in ``out_dir``, paths kept as given."""
    return {kind: (out_dir / text if Path(text).name == text else Path(text)) for kind, text in figures.items()}


def names_in_run(targets: Mapping[str, Path], out_dir: Path) -> list[str]:
    """File names of the figures that are part of the run (written into ``out_dir``)."""
    return [p.name for p in targets.values() if p.parent == out_dir]


def figure_writers(history, targets: Mapping[str, Path]) -> dict[str, Callable[[Path], object]]:
    """Writers by kind for :meth:`bsc_sim.results.RunResult.save` extras (called with the file's path)."""
    from .animate import SLIDE_DPI, animate_spread, slide_figure

    writers: dict[str, Callable[[Path], object]] = {}
    if "animate" in targets:
        writers["animate"] = lambda path: animate_spread(history, path)
    if "slides" in targets:
        writers["slides"] = lambda path: slide_figure(history).savefig(path, dpi=SLIDE_DPI)
    return writers


def write_outside(history, targets: Mapping[str, Path], out_dir: Path) -> list[str]:
    """Write the figures that are not part of the run; returns 'wrote ...' lines."""
    lines = []
    for kind, write in figure_writers(history, targets).items():
        path = targets[kind]
        if path.parent == out_dir:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        lines.append(f"wrote {path}" + (f" ({history.n_frames} weeks)" if kind == "animate" else ""))
    return lines
