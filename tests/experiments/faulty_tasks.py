"""Tasks for the runner's ``task=`` hook that kill their own worker process (tests of worker faults).

They live in a module of their own so that worker processes can import them by name.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from bsc_sim.experiments.worker import execute


def crash_once(spec, *, victim: str, marker: str):
    """Kill this worker the first time ``victim`` runs (a marker file remembers it), then run normally."""
    if spec.run_id == victim and not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return execute(spec)


def always_crash(spec, *, victim: str):
    """Kill this worker whenever ``victim`` runs (a run that, say, always exhausts memory)."""
    if spec.run_id == victim:
        os.kill(os.getpid(), signal.SIGKILL)
    return execute(spec)
