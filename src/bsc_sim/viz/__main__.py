"""``python -m bsc_sim.viz [--host H] [--port N]``: the same as ``bsc-sim viz``."""

import sys

from .serve import cmd_viz

sys.exit(cmd_viz(sys.argv[1:]))
