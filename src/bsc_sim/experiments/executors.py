"""Executors: where runs happen, behind the ``concurrent.futures.Executor`` interface.

* ``serial``: in this process, one run after another (debugging, profiling, tiny jobs);
* ``processes``: a local pool of worker processes (the default; ``workers`` defaults to the CPU
  count) that survives a worker's death and never outlives this process (:mod:`.pool`);
* ``dask``: a ``dask.distributed`` cluster: an existing scheduler at ``address``
  (``tcp://HOST:PORT``), or a ``LocalCluster`` of ``workers`` single-threaded processes.

The runner only calls ``submit`` and waits on futures, so the same experiment runs unchanged on
any of them, and each run depends only on its own seed, so the results are identical too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from ..paramtools import ParamError
from .pool import ProcessPool

__all__ = ["ExecutorSpec", "SerialExecutor", "open_executor", "EXECUTOR_KINDS"]

EXECUTOR_KINDS = ("serial", "processes", "dask")
ExecutorKind = Literal["serial", "processes", "dask"]

# Workers import these once at start-up rather than for every task (forkserver preload).
PRELOAD = ["bsc_sim.experiments.worker", "bsc_sim.experiments.runner"]
# How long to try to reach a Dask scheduler at executor.address before saying it cannot be reached.
CONNECT_TIMEOUT = "20s"


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to open: ``kind``, number of ``workers`` and (dask) scheduler ``address``."""

    kind: ExecutorKind = "processes"
    workers: int | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTOR_KINDS:
            raise ParamError(f"executor = {self.kind!r}: must be one of {', '.join(EXECUTOR_KINDS)}")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ParamError(f"executor.workers = {self.workers!r}: must be a whole number >= 1")
        if self.address is not None and self.kind != "dask":
            raise ParamError(f"executor.address = {self.address!r}: only used with executor=dask")

    @property
    def n_workers(self) -> int:
        if self.kind == "serial":
            return 1
        return self.workers or os.cpu_count() or 1


class SerialExecutor(Executor):
    """Runs each task when it is submitted, in the calling process.

    A task that raises stores its exception in the future, as a pool would.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True


@contextmanager
def open_executor(spec: ExecutorSpec) -> Iterator[Executor]:
    """Open the executor ``spec`` describes and close it (and any cluster it started) afterwards."""
    if spec.kind == "serial":
        with SerialExecutor() as ex:
            yield ex
    elif spec.kind == "processes":
        # Our own pool (see pool.py): a dead worker costs only its task, and no worker outlives
        # this process. Workers fork from a forkserver with bsc_sim imported, so they neither
        # inherit this process's threads (progress bar, Dask) nor re-import per task.
        with ProcessPool(spec.n_workers, preload=PRELOAD) as ex:
            yield ex
    else:
        yield from _dask_executor(spec)


def _dask_executor(spec: ExecutorSpec) -> Iterator[Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - distributed is a declared dependency
        raise ParamError(f"executor = 'dask': dask.distributed is not installed ({exc})") from None
    if spec.address:
        try:
            client = Client(spec.address, timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise ParamError(f"executor.address = {spec.address!r}: cannot reach a Dask scheduler ({exc})") from None
        try:
            ex = client.get_executor()
            # The cluster's size, not this machine's CPU count, sets how much work is kept in flight.
            ex.n_workers = max(1, sum(client.nthreads().values()))
            yield ex
        finally:
            client.close()
        return
    # One single-threaded worker process per core: runs are CPU-bound Python, so threads would
    # only contend for the GIL. No dashboard: nothing should listen beyond what the run needs.
    with LocalCluster(n_workers=spec.n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, host="127.0.0.1") as cluster, Client(cluster) as client:
        yield client.get_executor()
