"""Runs per second per core of the batch API (issue 19, item 4) for the default design.

    uv run python benchmarks/batch_throughput.py [--worlds 10] [--seeds 3]

Runs ``--worlds`` worlds drawn from configs/uncertainty/default.yaml, each with ``--seeds`` seeds,
through :class:`bsc_sim.batch.Batch` in this one process (after one warm-up run), and, for the
same worlds and seeds, through the normal path: ``params_with`` + ``run_sim`` (which also builds
the timeseries and event tables). Prints runs per second of CPU time of this process (one core)
and of wall time, and the ratio of the two paths, taken in the same run. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worlds", type=int, default=10)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    from bsc_sim.batch import Batch
    from bsc_sim.experiments.specs import params_with
    from bsc_sim.experiments.uncertainty import draw_world, load_uncertainty
    from bsc_sim.run import run_sim

    unc = load_uncertainty()
    worlds = [draw_world(unc, i) for i in range(args.worlds)]
    seeds = list(range(1, args.seeds + 1))
    batch = Batch(["design=bsc"])
    batch.run([{}], [0])  # warm-up
    n = len(worlds) * len(seeds)

    c0, w0 = time.process_time(), time.perf_counter()
    batch.run(worlds, seeds)
    c1, w1 = time.process_time(), time.perf_counter()
    for world in worlds:
        params = params_with(batch.base, world)
        for s in seeds:
            run_sim(params, s)
    c2, w2 = time.process_time(), time.perf_counter()
    print(f"default design (bsc), {len(worlds)} worlds x {len(seeds)} seeds = {n} runs in one process")
    print(f"batch API      : {n / (c1 - c0):6.2f} runs/s/core (CPU)  {n / (w1 - w0):6.2f} runs/s (wall)")
    print(f"params_with+run_sim: {n / (c2 - c1):6.2f} runs/s/core (CPU)  {n / (w2 - w1):6.2f} runs/s (wall)")
    print(f"batch / normal path (CPU): {(c2 - c1) / (c1 - c0):.2f}x")


if __name__ == "__main__":
    main()
