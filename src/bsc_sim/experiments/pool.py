"""A local pool of worker processes that survives a worker's death and never outlives its parent.

``concurrent.futures.ProcessPoolExecutor`` declares the whole pool broken when one worker dies
(killed, out of memory, a crash in native code): every task in flight fails, and nothing more
can be submitted. Its workers also wait forever on a queue whose other end they hold themselves,
so they outlive a parent killed with SIGKILL. This pool differs in three ways:

* each worker has its own pipe and runs one task at a time, so a death is charged to exactly
  the task that worker was running (its future gets :class:`WorkerDied`); a new worker takes its
  place and the other workers carry on;
* every worker holds the read end of a *lifeline* pipe whose only write end stays in the parent;
  when the parent dies, however it dies, the pipe reports end-of-file and the worker exits at once
  (a thread waits on it, so this works in the middle of a long run, on Linux and macOS alike);
* workers ignore SIGINT: Ctrl-C reaches the whole process group, and it is the parent that
  decides what to keep and then stops the workers.

Workers are started by the ``forkserver`` with the worker module preloaded, so they start clean
(no threads inherited from the parent) and do not import bsc_sim per task. The pool starts its
workers in a background thread: ``submit`` returns at once and tasks go out as workers come up.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection, wait
from typing import Any

__all__ = ["ProcessPool", "WorkerDied", "prestart_forkserver"]


class WorkerDied(RuntimeError):
    """The worker process running a task died before returning its result."""


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the kernel's out-of-memory killer sends SIGKILL)" if -exitcode == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {exitcode}"


def _die_with_parent(lifeline: Connection) -> None:
    try:
        lifeline.recv_bytes()  # nothing is ever sent: this returns only at end-of-file
    except (EOFError, OSError):
        pass
    os._exit(1)


def _worker_main(tasks: Connection, lifeline: Connection) -> None:
    """Run tasks from ``tasks`` until told to stop, the pipe closes, or the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_die_with_parent, args=(lifeline,), daemon=True).start()
    while True:
        try:
            message = tasks.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args, kwargs = message
        try:
            reply = (True, fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - returned to the caller through its future
            reply = (False, exc)
        try:
            tasks.send(reply)
        except (OSError, ValueError):
            return
        except Exception as exc:  # noqa: BLE001 - the result or exception could not be pickled
            tasks.send((False, RuntimeError(f"could not send the result back: {type(exc).__name__}: {exc}")))


class _Worker:
    __slots__ = ("process", "conn", "task")

    def __init__(self, process, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.task: Future | None = None


def prestart_forkserver(preload: Sequence[str]) -> None:
    """Start the forkserver (and its imports) now, e.g. in a thread while the command reads its input."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    from multiprocessing import forkserver

    forkserver.ensure_running()


class ProcessPool(Executor):
    """``n_workers`` local worker processes behind the ``concurrent.futures.Executor`` interface."""

    def __init__(self, n_workers: int, preload: Sequence[str] = ()) -> None:
        if n_workers < 1:
            raise ValueError("n_workers must be >= 1")
        self.n_workers = n_workers
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(list(preload))
        self._lifeline_r, self._lifeline_w = self._ctx.Pipe(duplex=False)
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._queue: deque[tuple[Future, Callable[..., Any], tuple, dict]] = deque()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._closing = False
        self._kill = False
        self._error: BaseException | None = None
        self.deaths = 0
        self._thread = threading.Thread(target=self._manage, name="bsc-sim-pool", daemon=True)
        self._thread.start()

    # -- the caller's side ----------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit after shutdown")
            if self._error is not None:
                raise RuntimeError(f"the worker pool failed: {self._error}")
            self._queue.append((future, fn, args, kwargs))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool. ``wait=False`` also stops workers in the middle of a task (their
        futures are cancelled), which is what an interrupted command wants."""
        with self._lock:
            self._closing = True
            self._kill = self._kill or not wait
            if cancel_futures or not wait:
                while self._queue:
                    self._queue.popleft()[0].cancel()
        self._wake()
        if wait or self._kill:
            self._thread.join()

    def __exit__(self, exc_type, exc, tb) -> bool:
        # Leaving on an exception (Ctrl-C, SIGTERM, an error): do not wait for tasks in flight.
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
        return False

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"x")
        except (OSError, ValueError):
            pass

    # -- the manager thread ---------------------------------------------------------------------
    def _start_worker(self) -> _Worker:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child_end, self._lifeline_r), daemon=True,
                                    name="bsc-sim-worker")
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _dispatch(self) -> None:
        """Give queued tasks to idle workers."""
        for worker in self._workers:
            if worker.task is not None:
                continue
            while True:
                with self._lock:
                    if not self._queue:
                        return
                    future, fn, args, kwargs = self._queue.popleft()
                if future.set_running_or_notify_cancel():
                    break
            try:
                worker.conn.send((fn, args, kwargs))
                worker.task = future
            except (OSError, ValueError):  # the worker died before it could take the task
                worker.task = future       # its sentinel reports the death next
            except Exception as exc:  # noqa: BLE001 - the task could not be pickled
                future.set_exception(exc)

    def _collect(self, worker: _Worker) -> None:
        try:
            ok, value = worker.conn.recv()
        except (EOFError, OSError):
            return  # died mid-task: the sentinel says how
        future, worker.task = worker.task, None
        if future is not None:
            future.set_result(value) if ok else future.set_exception(value)

    def _bury(self, worker: _Worker) -> None:
        worker.process.join(timeout=1)
        if worker.conn.poll():  # it answered before it died
            self._collect(worker)
        if worker.task is not None:
            self.deaths += 1
            worker.task.set_exception(WorkerDied(
                f"the worker process (pid {worker.process.pid}) {_describe_exit(worker.process.exitcode)} "
                "while running this task"))
            worker.task = None
        worker.conn.close()
        worker.process.close()

    def _stop_workers(self, kill: bool) -> None:
        for worker in self._workers:
            try:
                if kill and worker.task is not None:
                    worker.process.terminate()
                else:
                    worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            if worker.task is not None:
                worker.task.cancel() or worker.task.set_exception(WorkerDied("the pool was stopped"))
            worker.conn.close()
        self._workers.clear()

    def _manage(self) -> None:
        try:
            while len(self._workers) < self.n_workers and not self._kill:
                self._workers.append(self._start_worker())
                self._dispatch()
            while True:
                with self._lock:
                    closing, kill, idle_queue = self._closing, self._kill, not self._queue
                busy = any(w.task is not None for w in self._workers)
                if kill or (closing and idle_queue and not busy):
                    break
                self._dispatch()
                waitables: list[Any] = [self._wake_r]
                for worker in self._workers:
                    waitables += [worker.conn, worker.process.sentinel]
                ready = set(wait(waitables))
                if self._wake_r in ready:
                    while self._wake_r.poll():
                        self._wake_r.recv_bytes()
                survivors = []
                for worker in self._workers:
                    if worker.conn in ready and worker.task is not None:
                        self._collect(worker)
                    if worker.process.sentinel in ready:
                        self._bury(worker)
                    else:
                        survivors.append(worker)
                with self._lock:
                    closing = self._closing
                while not closing and len(survivors) < self.n_workers:
                    survivors.append(self._start_worker())
                self._workers = survivors
        except BaseException as exc:  # noqa: BLE001 - reported to the caller's futures
            with self._lock:
                self._error = exc
                while self._queue:
                    self._queue.popleft()[0].set_exception(RuntimeError(f"the worker pool failed: {exc}"))
        finally:
            self._stop_workers(kill=self._kill)
            for end in (self._lifeline_w, self._lifeline_r, self._wake_r, self._wake_w):
                end.close()
