"""How every ``bsc-sim`` command ends: its exit codes, and SIGTERM handled like Ctrl-C.

Batch systems stop jobs with SIGTERM (SLURM at the wall-time limit, ``kill`` by default), so a
command treats it as it treats Ctrl-C: it keeps what it has finished (the experiment store's
last checkpoint), stops its workers and exits with 128 + the signal's number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["DONE", "RUNS_FAILED", "BAD_INPUT", "INTERRUPTED", "TERMINATED", "EXIT_HELP", "Terminated",
           "terminate_as_interrupt", "interrupted_code", "report_interrupt", "guarded"]

DONE = 0
RUNS_FAILED = 1       # some runs failed; they are listed, and re-running the command retries them
BAD_INPUT = 2         # bad input or environment: one line on stderr, nothing written, nothing run
INTERRUPTED = 130     # Ctrl-C (SIGINT): finished runs are kept, re-run to resume
TERMINATED = 143      # SIGTERM: the same

EXIT_HELP = ("Exit status: 0 done; 1 some runs failed (listed; re-run the same command to retry them); "
             "2 bad input or environment (one line on stderr, before anything runs or is written); "
             "130 interrupted (Ctrl-C), 143 terminated (SIGTERM): finished work is kept, re-run to resume.")


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so every ``except KeyboardInterrupt`` clean-up runs."""


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread (once: a second
    SIGTERM is ignored so that the clean-up it started can finish; SIGKILL still stops it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_code(exc: BaseException) -> int:
    """143 for SIGTERM, 130 for Ctrl-C."""
    return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED


def report_interrupt(command: str, exc: BaseException, kept: str = "finished runs are saved") -> int:
    """Say on stderr how ``command`` stopped and what was kept; return its exit code."""
    import sys

    how = "terminated" if isinstance(exc, Terminated) else "interrupted"
    print(f"\nbsc-sim {command}: {how}; {kept}, re-run the same command to resume", file=sys.stderr)
    return interrupted_code(exc)


def guarded(command: str, body) -> int:
    """Run a command's ``body()`` and turn its errors into the exit-code contract: bad input (a
    ``ParamError``) or a file that cannot be written is one line on stderr and 2; Ctrl-C or SIGTERM
    is reported with 130 or 143."""
    import sys

    from .paramtools import ParamError

    try:
        return body()
    except ParamError as exc:
        print(f"bsc-sim {command}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except OSError as exc:  # a report file became unwritable while the runs ran
        print(f"bsc-sim {command}: error: cannot write {exc.filename!r} ({exc.strerror})", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return report_interrupt(command, exc)
