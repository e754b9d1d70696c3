"""Figures drawn from plain data, by name, in this process or in a worker's.

A figure job is ``(module, function, args, kwargs)``: ``module.function(*args, **kwargs)`` returns
a matplotlib Figure. :func:`figure` draws it; :func:`png` draws it and returns the file's bytes,
which is what ``compare`` asks of its idle worker processes after the runs, so that its figures are
drawn side by side, while the coordinator writes the tables, and the coordinator never imports
matplotlib. The bytes are those ``Figure.savefig`` writes to a file (the same call).
"""

from __future__ import annotations

import importlib
import io
from typing import Any

__all__ = ["figure", "png", "DPI"]

DPI = 110  # every figure of an experiment


def figure(module: str, function: str, args: tuple = (), kwargs: dict[str, Any] | None = None):
    """``module.function(*args, **kwargs)``: the Figure of one job."""
    return getattr(importlib.import_module(module), function)(*args, **(kwargs or {}))


def png(module: str, function: str, args: tuple = (), kwargs: dict[str, Any] | None = None) -> bytes:
    """The PNG file of one job's Figure, as bytes (the figure is closed afterwards)."""
    import matplotlib.pyplot as plt

    fig = figure(module, function, args, kwargs)
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, dpi=DPI, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
