"""``python -m bsc_sim.viz.child PARENT_PID run ...``: Solara's server, ending when ``bsc-sim viz`` ends.

``bsc-sim viz`` runs Solara's server (``python -m solara run ...``) as a child process. If the
command is killed outright (``kill -9``, a closed terminal, an out-of-memory kill) it gets no
chance to stop its child, and an orphaned server would keep the port. So the child watches its
parent two ways before it starts Solara:

* on Linux it asks the kernel to send it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``);
* everywhere, a daemon thread checks twice a second that its parent is still ``PARENT_PID`` (an
  orphan is adopted by another process); if not, it sends itself SIGTERM and, should the server
  not have stopped a few seconds later, exits at once.

The server holds no data (each browser session's model lives in memory only), so nothing is lost.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5
GRACE_SECONDS = 3.0


def _die_with_parent_linux() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watcher thread below does the work
        pass


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(143)


def watch_parent(parent: int) -> None:
    """End this process when process ``parent`` (its parent at start) has gone."""
    _die_with_parent_linux()
    if os.getppid() != parent:  # the parent died before the line above: end now
        os._exit(143)
    threading.Thread(target=_watch, args=(parent,), name="bsc-sim-viz-parent-watch", daemon=True).start()


def main(argv: list[str]) -> None:
    parent, solara_args = int(argv[0]), argv[1:]
    watch_parent(parent)
    sys.argv = ["solara", *solara_args]
    runpy.run_module("solara", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
