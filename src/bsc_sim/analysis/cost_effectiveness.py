"""Cost-effectiveness for the analyses: the functions and constants of :mod:`bsc_sim.cost_effectiveness`.

The module lives one level down, so that ``experiments`` (which writes the tables) and ``analysis``
both depend on it and ``experiments`` imports nothing from ``analysis``; this name keeps working.
"""

from __future__ import annotations

from ..cost_effectiveness import *  # noqa: F401,F403
from ..cost_effectiveness import __all__  # noqa: F401
