"""What the experiment coordinator (the main process) costs, with the model taken out.

    UV_PYTHON_DOWNLOADS=never uv run python benchmarks/coordinator.py [--runs 20000] [--max-workers 32]

Four figures, in one run of the script:

1. **Coordinator cost per run.** ``run_experiment`` over ``--runs`` specs whose task is a no-op:
   each worker returns a canned record of a real default-design run (its summary, weekly curves
   and provenance, the same size as a real one) without running the model. The main process's
   CPU time (``time.process_time``: dispatch, collecting results, checkpoints to the store's
   parts, the manifest, consolidation) divided by the runs is the coordinator's cost per run;
   its inverse is how many runs per second one coordinator can feed. Target: <= 0.5 ms per run.
2. **Time to first dispatch.** ``bsc-sim compare 'designs=[bsc,coach]' replications=160`` in a
   fresh process: the wall time from the process's start to the first run sent to a worker.
   Target: <= 3 s.
3. **Analysis per 1,000 runs.** The same compare command re-run on a complete store (nothing
   left to run): consolidation, the comparison table and both figures, per 1,000 runs.
4. **Scale-out curve.** Runs that *sleep* 60 ms (the default design's compute time) instead of
   computing, on 1, 2, 4, ... ``--max-workers`` workers: sleeping workers use no CPU, so a 2-core
   machine can show how the coordinator and the pool scale well past its core count. Wall time
   includes starting the pool; speed-up is against 1 worker.

Timings move by about +-30% on the shared 2-core machine; ratios within one report are steadier.
Nothing here asserts a time. Results go to ``benchmarks/results/coordinator.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent


def canned_record() -> dict:
    """The record of one real default-design run: what a worker sends back for a run."""
    from bsc_sim.experiments.worker import execute

    return execute(make_specs(1)[0])


def noop_task(spec, record: dict, sleep: float = 0.0):
    """``record`` relabelled for ``spec``, without running the model (after ``sleep`` seconds)."""
    if sleep:
        time.sleep(sleep)
    return {**record, "run_id": spec.run_id}


def make_specs(n: int):
    from bsc_sim.config import load_params
    from bsc_sim.experiments import RunSpec, replicate_seeds

    params = load_params()
    return [RunSpec(f"r{i:06d}", i, params, s, {"replicate": i}) for i, s in enumerate(replicate_seeds(0, n))]


def coordinator_cost(n: int, workers: int, scratch: Path, task) -> dict:
    from bsc_sim.experiments import ExecutorSpec, run_experiment

    specs = make_specs(n)  # built before the timing: composing configs is not the coordinator's cost
    ex = ExecutorSpec("processes", workers) if workers else ExecutorSpec("serial")
    run_experiment(make_specs(2 * max(workers, 1)), scratch / f"warm-{workers}", executor=ex, progress=False,
                   task=task)  # the forkserver's start, outside the timing
    cpu0, t0 = time.process_time(), time.perf_counter()
    run = run_experiment(specs, scratch / f"noop-{workers}", executor=ex, progress=False, task=task)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    assert run.ok, run.report()
    return {"cpu_ms_per_run": 1000 * cpu / n, "wall_s": wall, "runs_per_s": n / wall}


FIRST_DISPATCH_CHILD = r"""
import json, sys, time
start = float(sys.argv[1])
import bsc_sim.experiments.pool as pool
first = {}
real = pool.ProcessPool._dispatch
def dispatch(self):
    busy = sum(w.task is not None for w in self._workers)
    real(self)
    if "t" not in first and sum(w.task is not None for w in self._workers) > busy:
        first["t"] = time.time() - start
pool.ProcessPool._dispatch = dispatch
from bsc_sim.cli import main
t = time.time()
code = main(sys.argv[2:])
print(json.dumps({"first_dispatch": first.get("t"), "total": time.time() - start, "code": code}))
"""


def cli_timing(out: Path, workers: int) -> dict:
    args = ["compare", "designs=[bsc,coach]", "reference=bsc", "replications=160", f"out_dir={out}",
            f"executor.workers={workers}", "progress=false"]
    done = subprocess.run([sys.executable, "-c", FIRST_DISPATCH_CHILD, repr(time.time()), *args],
                          capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def analysis_per_thousand(scratch: Path, task) -> dict:
    """A complete store of N canned runs, then the compare analysis alone (nothing left to run)."""
    from bsc_sim.experiments import ExecutorSpec, run_experiment
    from bsc_sim.experiments.analysis import run_comparison
    from bsc_sim.experiments.compare import comparison_specs

    out = {}
    for reps in (500, 2500):
        specs = comparison_specs(["bsc", "coach"], reps, 0)
        store = scratch / f"analysis-{reps}"
        run_experiment(specs, store, executor=ExecutorSpec("processes", 2), progress=False, task=task,
                       description={"kind": "compare", "designs": ["bsc", "coach"], "replications": reps,
                                    "seed": 0, "overrides": []})
        t0 = time.perf_counter()
        run, _ = run_comparison(["bsc", "coach"], reps, 0, store, reference="bsc", executor=ExecutorSpec("serial"),
                                progress=False, verbose=False)
        assert run.n_ran == 0 and run.ok
        out[2 * reps] = time.perf_counter() - t0
    return out


def scale_out(max_workers: int, per_worker: int, scratch: Path, record: dict) -> list[dict]:
    from bsc_sim.experiments import ExecutorSpec, run_experiment

    rows, w = [], 1
    while w <= max_workers:
        n = per_worker * max_workers  # the same experiment at every size
        specs = make_specs(n)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        run = run_experiment(specs, scratch / f"scale-{w}", executor=ExecutorSpec("processes", w),
                             progress=False, task=partial(noop_task, record=record, sleep=0.060))
        wall = time.perf_counter() - t0
        assert run.ok
        rows.append({"workers": w, "runs": n, "wall_s": wall, "cpu_ms_per_run": 1000 * (time.process_time() - cpu0) / n})
        w *= 2
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000, help="no-op runs for the coordinator cost (default 20000)")
    parser.add_argument("--max-workers", type=int, default=32, help="largest pool of the scale-out curve (default 32)")
    parser.add_argument("--per-worker", type=int, default=25,
                        help="sleeping runs per worker of the largest pool (default 25)")
    parser.add_argument("--parts", default="1,2,3,4", help="which of the four figures to measure (default 1,2,3,4)")
    parser.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/coordinator.txt")
    args = parser.parse_args()
    parts = {int(p) for p in args.parts.split(",")}
    from bsc_sim.run import git_revision

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"bsc_sim coordinator | git {git_revision()} | {platform.node()} | {os.cpu_count()} CPUs | "
        f"Python {platform.python_version()} | load {os.getloadavg()[0]:.1f} | {time.strftime('%Y-%m-%d %H:%M')}")
    scratch = Path(tempfile.mkdtemp(prefix="bsc-coordinator-"))
    record = canned_record()
    task = partial(noop_task, record=record)
    try:
        if 1 in parts:
            say(f"\n1. coordinator cost, {args.runs:,} no-op runs (each returns a real default-design record)")
            for workers in (0, 2):
                m = coordinator_cost(args.runs, workers, scratch, task)
                label = "serial (all in the main process)" if workers == 0 else f"processes, {workers} workers"
                say(f"   {label:<36} main-process CPU {m['cpu_ms_per_run']:.3f} ms/run "
                    f"(~{1000 / m['cpu_ms_per_run']:,.0f} runs/s per coordinator); wall {m['wall_s']:.1f} s, "
                    f"{m['runs_per_s']:,.0f} runs/s")
        if 2 in parts:
            say("\n2. bsc-sim compare 'designs=[bsc,coach]' replications=160 (320 runs), fresh process, 2 workers")
            t = cli_timing(scratch / "cli", 2)
            say(f"   first run dispatched {t['first_dispatch']:.2f} s after the process started; whole command "
                f"{t['total']:.1f} s (exit {t['code']})")
        if 3 in parts:
            a = analysis_per_thousand(scratch, task)
            say("\n3. analysis of a complete compare store (consolidation, comparison.csv, two figures)")
            for n, s in a.items():
                say(f"   {n:>6,} runs: {s:.2f} s ({1000 * s / n:.2f} s per 1,000 runs)")
        if 4 in parts:
            say(f"\n4. scale-out: {args.per_worker * args.max_workers:,} runs that sleep 60 ms each (no CPU), "
                "pool start-up included")
            say(f"   {'workers':>7} {'wall s':>8} {'ideal s':>8} {'speed-up':>9} {'efficiency':>10} "
                f"{'coordinator CPU ms/run':>23}")
            rows = scale_out(args.max_workers, args.per_worker, scratch, record)
            for r in rows:
                speed = rows[0]["wall_s"] / r["wall_s"]
                say(f"   {r['workers']:>7} {r['wall_s']:>8.2f} {r['runs'] * 0.060 / r['workers']:>8.2f} {speed:>8.1f}x "
                    f"{speed / r['workers']:>10.0%} {r['cpu_ms_per_run']:>23.3f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not args.no_write:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "coordinator.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
