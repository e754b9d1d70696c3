"""One writer per store: an exclusive ``flock`` on ``out_dir/.lock`` for as long as a command writes there.

The operating system releases the lock when its holder exits, however it exits (even SIGKILL), so
a lock is never left stale. A second command on the same ``out_dir`` either refuses at once with
one line, or waits for the first to finish when asked to. Locks are re-entrant within a process,
so the experiment functions and the runner they call can both take it.

``flock`` works across processes on one machine and on most network file systems that support
POSIX locks (NFSv4, Lustre and GPFS with locking enabled); see docs/cluster.md.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..paramtools import ParamError

__all__ = ["LOCK_FILE", "store_lock"]

LOCK_FILE = ".lock"

_held: dict[str, list[int]] = {}  # real path of the store -> [fd, depth], for re-entry in this process
_guard = threading.Lock()


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


@contextmanager
def store_lock(out_dir: str | Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the store's lock; create ``out_dir`` if needed (call after the read-only checks).

    Raises:
        ParamError: another process holds the lock and ``wait`` is off, or ``out_dir`` cannot be
            created or written.
    """
    root = Path(out_dir)
    shown = f"out_dir = {str(out_dir)!r}"
    created = [p for p in (root, *root.parents) if not p.exists()]  # deepest first
    try:
        root.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(root)
    except OSError as exc:
        raise ParamError(f"{shown}: cannot be created ({exc.strerror or exc})") from None
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key][1] -= 1
        return
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)  # never a link's target
    except OSError as exc:
        if os.path.islink(root / LOCK_FILE):
            raise ParamError(f"{shown}: {LOCK_FILE!r} in it is a symbolic link; bsc_sim never follows a link out "
                             "of out_dir: remove the link or choose another out_dir") from None
        raise ParamError(f"{shown}: cannot be written ({exc.strerror or exc})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise ParamError(f"{shown}: another bsc-sim command{_holder(fd)} is writing there; "
                                 "let it finish, choose another out_dir, or add wait=true to wait for it") from None
            print(f"bsc-sim: waiting for another command{_holder(fd)} to finish with {str(out_dir)!r}",
                  file=sys.stderr, flush=True)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _guard:
            _held[key] = [fd, 1]
        try:
            yield
        finally:
            with _guard:
                del _held[key]
            _remove_if_unused(root, created)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _remove_if_unused(root: Path, created: list[Path]) -> None:
    """A command that stopped before writing anything (bad input found late, e.g. an unreachable
    scheduler) leaves nothing behind: the directories it created, if they hold only the lock."""
    if not created:
        return
    try:
        if [p.name for p in root.iterdir()] != [LOCK_FILE]:
            return
        (root / LOCK_FILE).unlink()
        for path in created:
            path.rmdir()
    except OSError:
        pass
