"""Interactive browser view and figures for talks.

* ``bsc-sim viz`` (:func:`cmd_viz`) serves the view of :mod:`bsc_sim.viz.app` with Solara:
  :mod:`.app` (the page), :mod:`.controls` (player, levers), :mod:`.panels` (headline, pictures,
  charts), :mod:`.style` (CSS); the models behind it are in :mod:`.viewmodel` and what the page
  reads off them in :mod:`.readout`; the pictures are drawn by :mod:`.live` with :mod:`.drawing`
  on the :mod:`.layout`.
* :mod:`bsc_sim.viz.animate` records a run (:func:`~bsc_sim.viz.animate.record_spread`) and draws
  the spread as an animated GIF/MP4 or a slide figure; it never imports Solara.

Importing this package imports neither Solara nor matplotlib.
"""

from .serve import app_path, cmd_viz, solara_command

__all__ = ["app_path", "cmd_viz", "solara_command"]
