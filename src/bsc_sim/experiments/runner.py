"""Run a list of specs on an executor into a store: the one loop every experiment shares."""

from __future__ import annotations

import itertools
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .executors import ExecutorSpec, open_executor
from .specs import RunSpec
from .store import ExperimentStore
from .worker import execute

__all__ = ["ExperimentRun", "run_experiment", "execute_batch"]


@dataclass
class ExperimentRun:
    """What an experiment produced (all runs so far, in spec order) and how the call went."""

    results: pd.DataFrame
    curves: pd.DataFrame
    runs: pd.DataFrame
    failures: pd.DataFrame
    n_specs: int
    n_skipped: int
    n_ran: int
    seconds: float
    out_dir: Path

    @property
    def ok(self) -> bool:
        return len(self.failures) == 0 and len(self.results) == self.n_specs

    def report(self) -> str:
        lines = [f"{self.n_specs} runs: {len(self.results)} done ({self.n_skipped} found in the store, "
                 f"{self.n_ran} run now in {self.seconds:.1f} s), {len(self.failures)} failed"]
        for row in self.failures.head(10).itertuples():
            lines.append(f"  FAILED {row.run_id} (seed {row.seed}): {row.error}")
        if len(self.failures) > 10:
            lines.append(f"  ... and {len(self.failures) - 10} more (see failures.csv)")
        if len(self.failures):
            lines.append(f"  tracebacks: {self.out_dir / 'manifest.json'}; re-run the same command to retry them")
        return "\n".join(lines)


def execute_batch(specs: Sequence[RunSpec]) -> list[dict[str, Any]]:
    """Run several specs in one task (fewer round trips to the executor for short runs)."""
    return [execute(spec) for spec in specs]


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
) -> ExperimentRun:
    """Run every spec not already done in the store at ``out_dir``; return all results.

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
    """
    executor = executor or ExecutorSpec()
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValueError("run ids must be unique")
    store = ExperimentStore(out_dir)
    done = store.check(specs)  # read-only: nothing is written until the executor is up
    todo = [s for s in specs if s.run_id not in done]
    by_id = {s.run_id: s for s in specs}
    every = checkpoint_every or max(10, len(specs) // 50)
    t0 = time.perf_counter()
    if not todo:
        store.open(specs, {"created_by": "bsc_sim", **(description or {})})
    else:
        buffer: list[dict[str, Any]] = []
        with (nullcontext(pool) if pool is not None else open_executor(executor)) as ex, \
                _progress(len(specs), len(specs) - len(todo), str((description or {}).get("kind", "runs")), progress) as bar:
            store.open(specs, {"created_by": "bsc_sim", **(description or {})})
            # An existing Dask cluster reports its own size; otherwise the spec says it.
            n_workers = getattr(ex, "n_workers", None) or executor.n_workers
            size = _batch_size(len(todo), executor.kind, n_workers)
            batches = [todo[i:i + size] for i in range(0, len(todo), size)]
            last_flush = time.perf_counter()
            # A sliding window of tasks in flight (a few per worker): workers never wait for work,
            # yet finished runs reach the store steadily, even with the serial executor (whose
            # submit runs the task at once) and with thousands of runs.
            window = 1 if executor.kind == "serial" else 4 * n_workers
            queue = iter(batches)
            pending: dict[Future, list[RunSpec]] = {}
            try:
                while True:
                    for batch in itertools.islice(queue, window - len(pending)):
                        pending[ex.submit(execute_batch, batch)] = batch
                    if not pending:
                        break
                    finished, _ = wait(pending, timeout=checkpoint_seconds, return_when=FIRST_COMPLETED)
                    for future in finished:
                        batch = pending.pop(future)
                        buffer.extend(_records(future, batch))
                        bar.update(len(batch))
                    if buffer and (len(buffer) >= every or time.perf_counter() - last_flush >= checkpoint_seconds):
                        store.checkpoint(buffer, by_id)
                        buffer, last_flush = [], time.perf_counter()
            finally:
                # Interrupted (Ctrl-C) or finished: keep what has been computed, drop the rest.
                for future in pending:
                    future.cancel()
                store.checkpoint(buffer, by_id)
    tables = store.consolidate()
    return ExperimentRun(results=tables["results"], curves=tables["curves"], runs=tables["runs"],
                         failures=tables["failures"], n_specs=len(specs), n_skipped=len(specs) - len(todo),
                         n_ran=len(todo), seconds=time.perf_counter() - t0, out_dir=Path(out_dir))


def _records(future: Future, batch: list[RunSpec]) -> list[dict[str, Any]]:
    """The batch's records; if the task itself died (a worker crashed), every run in it failed."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001
        tb = "".join(traceback.format_exception(exc))
        return [{"run_id": s.run_id, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                 "traceback": tb, "seconds": float("nan")} for s in batch]
