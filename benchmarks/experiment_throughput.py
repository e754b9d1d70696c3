"""Sweep throughput of the experiment runner on each executor, in one run.

    UV_PYTHON_DOWNLOADS=never uv run python benchmarks/experiment_throughput.py [--runs 96] [--sobol]

For the same list of default-design runs (distinct seeds), in this order and in one process:

* ``serial``: in-process, one after another: the reference;
* ``processes`` with 1 worker and with 2 workers (speed-up = time(1) / time(2));
* ``dask``: a ``LocalCluster`` of 2 single-threaded worker processes.

For each it reports the executor's start-up time (opening it with nothing to run), runs per
second once the executor is up (start-up = opening it and a first round of warm-up runs, one
per worker, timed separately), and the per-run overhead: timed wall time x workers / runs minus
the mean compute time of a run measured inside the workers (dispatch, pickling, store writes). ``--sobol`` then times the 12-parameter Sobol'
analysis of ``configs/experiment/twelve_sobol.yaml`` (N = 256, second order: 6,656 runs) on 2
processes, end to end (sampling, runs, store, analysis, figure).

Absolute times move by about +-30% on the shared 2-core machine; the speed-up is a ratio taken
within one run. Nothing here asserts a time. Results go to ``benchmarks/results/throughput.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from bsc_sim.config import load_params
from bsc_sim.experiments import ExecutorSpec, RunSpec, open_executor, replicate_seeds, run_experiment
from bsc_sim.run import git_revision

HERE = Path(__file__).resolve().parent


def specs(n: int, root: int = 0) -> list[RunSpec]:
    params = load_params()
    return [RunSpec(f"r{i:05d}", i, params, s, {"replicate": i}) for i, s in enumerate(replicate_seeds(root, n))]


def measure(executor: ExecutorSpec, run_specs: list[RunSpec], scratch: Path) -> dict[str, float]:
    """Start-up (open + a first round of warm-up runs), then the timed experiment in the open pool."""
    warmup = specs(executor.n_workers, root=1)
    t0 = time.perf_counter()
    with open_executor(executor) as pool:
        run_experiment(warmup, scratch / f"warmup-{executor.kind}-{executor.n_workers}", executor=executor,
                       progress=False, pool=pool)
        t1 = time.perf_counter()
        run = run_experiment(run_specs, scratch / f"{executor.kind}-{executor.n_workers}", executor=executor,
                             progress=False, pool=pool)
        t2 = time.perf_counter()
    assert run.ok, run.report()
    steady = t2 - t1
    compute = float(run.runs["seconds"].mean())
    return {"startup": t1 - t0, "steady": steady, "runs_per_s": len(run_specs) / steady,
            "overhead_ms": 1000 * (steady * executor.n_workers / len(run_specs) - compute),
            "compute_ms": 1000 * compute, "results": run.results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=96, help="runs per executor (default 96)")
    parser.add_argument("--sobol", action="store_true", help="also time the 6,656-run Sobol' analysis")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/throughput.txt")
    args = parser.parse_args()

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"bsc_sim experiment throughput | git {git_revision()} | {platform.node()} | "
        f"{os.cpu_count()} CPUs | Python {platform.python_version()} | {time.strftime('%Y-%m-%d %H:%M')}")
    say(f"{args.runs} runs of the default design (8 programmes, 104 weeks), distinct seeds")
    say()
    run_specs = specs(args.runs)
    scratch = Path(tempfile.mkdtemp(prefix="bsc-throughput-"))
    try:
        rows, reference = {}, None
        for label, ex in [("serial", ExecutorSpec("serial")), ("processes, 1 worker", ExecutorSpec("processes", 1)),
                          ("processes, 2 workers", ExecutorSpec("processes", 2)),
                          ("dask LocalCluster, 2 workers", ExecutorSpec("dask", 2))]:
            rows[label] = m = measure(ex, run_specs, scratch)
            if reference is None:
                reference = m["results"]
            else:  # the same experiment gives the same results on every executor
                assert reference.drop(columns=[]).equals(m["results"]), f"{label}: results differ from serial"
        say(f"{'executor':<30} {'start-up s':>10} {'timed s':>8} {'runs/s':>8} {'run ms':>8} {'overhead ms/run':>16}")
        for label, m in rows.items():
            say(f"{label:<30} {m['startup']:>10.2f} {m['steady']:>8.2f} {m['runs_per_s']:>8.1f} "
                f"{m['compute_ms']:>8.1f} {m['overhead_ms']:>16.1f}")
        one, two = rows["processes, 1 worker"], rows["processes, 2 workers"]
        say()
        say(f"speed-up from 1 to 2 process workers: {one['steady'] / two['steady']:.2f}x (target >= 1.7x); "
            f"including start-up {(one['startup'] + one['steady']) / (two['startup'] + two['steady']):.2f}x")
        say("results identical on all four executors: yes (checked)")
        if args.sobol:
            from bsc_sim.experiments.analysis import run_sensitivity
            from bsc_sim.experiments.design import load_experiment

            cfg = load_experiment("twelve_sobol")
            t0 = time.perf_counter()
            run, _ = run_sensitivity(cfg, scratch / "sobol", executor=ExecutorSpec("processes", 2), progress=False)
            wall = time.perf_counter() - t0
            say()
            say(f"Sobol' analysis, 12 parameters, N = {cfg.n}, second order: {len(run.results)} runs on 2 processes "
                f"in {wall:.0f} s ({wall / 60:.1f} min; target <= 10 min), {len(run.results) / wall:.1f} runs/s")
            say(f"  mean compute per run {1000 * np.mean(run.runs['seconds']):.1f} ms")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.no_write:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "throughput.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
