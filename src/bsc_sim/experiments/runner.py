"""Run a list of specs on an executor into a store: the one loop every experiment shares."""

from __future__ import annotations

import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from .executors import ExecutorSpec, open_executor
from .lock import store_lock
from .pool import WorkerDied
from .specs import RunSpec
from .store import ExperimentStore

__all__ = ["ExperimentRun", "run_experiment", "execute_batch", "check_before_writing", "call"]


@dataclass
class ExperimentRun:
    """What an experiment produced (all runs so far, in spec order) and how the call went.

    ``results`` (one row of scalars per run) is held in memory; the weekly ``curves`` and the
    provenance table ``runs`` are read from the store when first asked for.
    """

    results: pd.DataFrame
    failures: pd.DataFrame
    n_specs: int
    n_skipped: int
    n_ran: int
    seconds: float
    out_dir: Path
    n_retried: int = 0

    @cached_property
    def curves(self) -> pd.DataFrame:
        return pd.read_parquet(self.out_dir / "curves.parquet")

    @cached_property
    def runs(self) -> pd.DataFrame:
        return pd.read_parquet(self.out_dir / "runs.parquet")

    @property
    def ok(self) -> bool:
        return len(self.failures) == 0 and len(self.results) == self.n_specs

    def report(self) -> str:
        retried = f"; {self.n_retried} retried after a worker died" if self.n_retried else ""
        lines = [f"{self.n_specs} runs: {len(self.results)} done ({self.n_skipped} found in the store, "
                 f"{self.n_ran} run now in {self.seconds:.1f} s{retried}), {len(self.failures)} failed"]
        for row in self.failures.head(10).itertuples():
            lines.append(f"  FAILED {row.run_id} (seed {row.seed}): {row.error}")
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more (see failures.csv)")
        if len(self.failures):
            lines.append(f"  tracebacks: {self.out_dir / 'manifest.json'}; re-run the same command to retry them")
        return "\n".join(lines)


def execute_batch(specs: Sequence[RunSpec], task: Callable[[RunSpec], dict[str, Any]] | None = None
                  ) -> list[dict[str, Any]]:
    """Run several specs in one task (fewer round trips to the executor for short runs).

    ``task`` defaults to :func:`~bsc_sim.experiments.worker.execute`, imported here so that the
    coordinator itself never needs to import the model.
    """
    if task is None:
        from .worker import execute as task
    return [task(spec) for spec in specs]


def call(module: str, function: str, *args: Any) -> Any:
    """``module.function(*args)``, importing ``module`` where this runs: a task for a worker that the
    coordinator can send without importing ``module`` itself (e.g. the model)."""
    import importlib

    return getattr(importlib.import_module(module), function)(*args)


def _progress(total: int, initial: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    # Quiet when stderr is not a terminal (CI logs, pipes, notebooks' captured output).
    return tqdm(total=total, initial=initial, desc=desc, unit="run", dynamic_ncols=True,
                disable=not (enabled and sys.stderr.isatty()))


def _batch_size(n_todo: int, kind: str, n_workers: int) -> int:
    """Runs per task: 1 in serial; otherwise enough to amortise dispatch, small enough to balance."""
    if kind == "serial" or n_todo == 0:
        return 1
    return max(1, min(16, n_todo // (8 * n_workers)))


def _failed(spec: RunSpec, error: str, tb: str = "") -> dict[str, Any]:
    return {"run_id": spec.run_id, "status": "failed", "error": error, "traceback": tb or error,
            "seconds": float("nan")}


def run_experiment(
    specs: Sequence[RunSpec],
    out_dir: str | Path,
    *,
    executor: ExecutorSpec | None = None,
    description: Mapping[str, Any] | None = None,
    progress: bool = True,
    checkpoint_every: int | None = None,
    checkpoint_seconds: float = 10.0,
    pool: Executor | None = None,
    wait_for_lock: bool = False,
    memory_limit: int | str | None = "available",
    max_attempts: int = 2,
    overwrite: bool = False,
    task: Callable[[RunSpec], dict[str, Any]] | None = None,
) -> ExperimentRun:
    """Run every spec not already done in the store at ``out_dir``; return all results.

    Everything that can be checked is checked before anything is written or run: the specs, the
    store (a different experiment's, or a directory that is no store, is refused), the memory a
    run needs, and the executor. Then the store is locked (one writer at a time), created or
    reopened, and runs go out. Results reach the store's parts as they arrive (a checkpoint every
    ``checkpoint_every`` runs or ``checkpoint_seconds``), so an interruption loses at most the
    runs since the last checkpoint, and the coordinator never holds all results.

    Args:
        specs: the runs (unique ``run_id``s).
        out_dir: the store; an existing store of the same experiment is resumed.
        executor: where to run (default: local processes, one per CPU).
        description: what the experiment is, kept in ``experiment.json``.
        progress: show a progress bar with ETA (only when stderr is a terminal).
        checkpoint_every: finished runs per checkpoint (default: about 2% of the experiment, at
            least 10); a checkpoint is also written every ``checkpoint_seconds``.
        pool: an executor that is already open (e.g. a Dask ``client.get_executor()`` kept
            across experiments); ``executor`` then only tells the runner how many workers it has.
        wait_for_lock: when another process is writing this store, wait for it instead of
            refusing.
        memory_limit: bytes the runs in flight may use together: ``"available"`` (the default:
            the memory available now) or None (no check); see :mod:`bsc_sim.memory`.
        max_attempts: how often a run whose worker process died is tried before it is recorded
            as failed (each try alone in its task, so a run that kills its worker takes no other
            run with it).
        overwrite: replace another experiment's store found at ``out_dir`` (only files bsc_sim
            wrote are deleted; a store holding anything else is refused).
        task: what a worker does with a spec (default :func:`~bsc_sim.experiments.worker.execute`;
            the coordinator benchmark passes a no-op); must be picklable.

    Raises:
        ParamError: bad input or environment (one line; nothing written, nothing run).
    """
    executor = executor or ExecutorSpec()
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("run ids must be unique")
    store = ExperimentStore(out_dir)
    check_before_writing(specs, out_dir, executor, memory_limit, overwrite=overwrite)
    t0 = time.perf_counter()
    # Workers are started only when something is left to run (a finished store needs none), and
    # before the store is written, so an executor that cannot start leaves nothing behind.
    anything_to_run = len(store.check(specs, overwrite=overwrite)) < len(specs)
    with (nullcontext(pool) if pool is not None or not anything_to_run else open_executor(executor)) as ex, \
            store_lock(out_dir, wait=wait_for_lock):
        done = store.check(specs, overwrite=overwrite)  # again, now that no other process can change it
        store.open(specs, {"created_by": "bsc_sim", **(description or {})}, overwrite=overwrite)
        todo = [s for s in specs if s.run_id not in done]
        n_retried = 0
        if todo:
            # (ex is None only if the store lost runs since the first look: open the workers now)
            with (nullcontext(ex) if ex is not None else open_executor(executor)) as ex, \
                    _progress(len(specs), len(specs) - len(todo), str((description or {}).get("kind", "runs")),
                              progress) as bar:
                n_retried = _dispatch(ex, executor, todo, store, {s.run_id: s for s in specs}, bar, task,
                                      every=checkpoint_every or max(10, len(specs) // 50),
                                      seconds=checkpoint_seconds, max_attempts=max_attempts)
        tables = store.consolidate()
    return ExperimentRun(results=tables["results"], failures=tables["failures"], n_specs=len(specs),
                         n_skipped=len(specs) - len(todo), n_ran=len(todo), seconds=time.perf_counter() - t0,
                         out_dir=Path(out_dir), n_retried=n_retried)


def check_before_writing(specs: Sequence[RunSpec], out_dir: str | Path, executor: ExecutorSpec,
                         memory_limit: int | str | None = "available", *, overwrite: bool = False) -> None:
    """Read-only checks that must pass before anything is written or run: the store at ``out_dir``
    (see :meth:`ExperimentStore.check`) and the memory the runs need (:func:`bsc_sim.memory.check_memory`).

    Raises:
        ParamError: one line naming the key and value.
    """
    from ..memory import check_memory

    ExperimentStore(out_dir).check(specs, overwrite=overwrite)
    check_memory([s.params for s in specs], n_concurrent=_local_workers(executor), limit=memory_limit)


def _local_workers(executor: ExecutorSpec) -> int:
    """How many runs may be in memory on this machine at once (remote Dask workers: one, per node unknown)."""
    if executor.kind == "dask" and executor.address:
        return 1
    return executor.n_workers


def _dispatch(ex: Executor, executor: ExecutorSpec, todo: list[RunSpec], store: ExperimentStore,
              by_id: Mapping[str, RunSpec], bar, task, *, every: int, seconds: float, max_attempts: int) -> int:
    """Keep the workers busy with ``todo``, checkpointing results as they come; return the retries."""
    # An existing Dask cluster reports its own size; otherwise the spec says it.
    n_workers = getattr(ex, "n_workers", None) or executor.n_workers
    size = _batch_size(len(todo), executor.kind, n_workers)
    queue: deque[list[RunSpec]] = deque(todo[i:i + size] for i in range(0, len(todo), size))
    # A sliding window of tasks in flight (a few per worker): workers never wait for work, yet
    # finished runs reach the store steadily, even with the serial executor (whose submit runs
    # the task at once) and with thousands of runs.
    window = 1 if executor.kind == "serial" else 4 * n_workers
    pending: dict[Future, list[RunSpec]] = {}
    deaths: dict[str, int] = {}
    buffer: list[dict[str, Any]] = []
    last_flush = time.perf_counter()
    n_retried = 0
    try:
        while queue or pending:
            while queue and len(pending) < window:
                batch = queue.popleft()
                pending[ex.submit(execute_batch, batch, task)] = batch
            finished, _ = wait(pending, timeout=seconds, return_when=FIRST_COMPLETED)
            for future in finished:
                batch = pending.pop(future)
                try:
                    records = future.result()
                except WorkerDied as exc:
                    # Only the runs of the dead worker's task are lost. A task of several runs is
                    # split so that the culprit, if there is one, dies alone; a run that dies alone
                    # ``max_attempts`` times is recorded as failed with the cause.
                    records = []
                    if len(batch) > 1:
                        queue.extendleft([spec] for spec in reversed(batch))
                    else:
                        spec = batch[0]
                        deaths[spec.run_id] = deaths.get(spec.run_id, 0) + 1
                        if deaths[spec.run_id] < max_attempts:
                            queue.appendleft(batch)
                        else:
                            records = [_failed(spec, f"WorkerDied: {exc} (tried {max_attempts} times)")]
                    n_retried += len(batch) if not records else 0
                except Exception as exc:  # noqa: BLE001 - the task itself failed (e.g. Dask's KilledWorker)
                    tb = "".join(traceback.format_exception(exc))
                    records = [_failed(spec, f"{type(exc).__name__}: {exc}", tb) for spec in batch]
                buffer.extend(records)
                bar.update(len(records))
            if buffer and (len(buffer) >= every or time.perf_counter() - last_flush >= seconds):
                store.checkpoint(buffer, by_id)
                buffer, last_flush = [], time.perf_counter()
    finally:
        # Interrupted (Ctrl-C, SIGTERM) or finished: keep what has been computed, drop the rest.
        for future in pending:
            future.cancel()
        store.checkpoint(buffer, by_id)
    return n_retried
