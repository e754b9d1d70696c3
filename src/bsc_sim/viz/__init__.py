"""Interactive browser view (Mesa SolaraViz) and figures for talks.

* ``bsc-sim viz`` (:func:`cmd_viz`) serves the view of :mod:`bsc_sim.viz.app` with Solara.
* :mod:`bsc_sim.viz.animate` records a run (:func:`~bsc_sim.viz.animate.record_spread`) and draws
  the spread as an animated GIF/MP4 or a slide figure; it never imports Solara.

Importing this package imports neither Solara nor matplotlib.
"""

from .serve import app_path, cmd_viz, solara_command

__all__ = ["app_path", "cmd_viz", "solara_command"]
