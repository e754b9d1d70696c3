"""Time and peak memory of the statewide design as the state grows (issue 11), and the scaling exponent.

    uv run python benchmarks/statewide_scaling.py                       # 250, 1,000, 4,000, 8,000 programmes
    uv run python benchmarks/statewide_scaling.py --sizes 250 1000 --mix centres

Each size runs in a fresh interpreter (so its peak resident memory is its own): ``run_sim`` of
``design=statewide`` with ``system.n_programs=N`` over the whole horizon, seed 1. The report gives
the seconds of ``run_sim`` (model build, every week, result tables), the process's wall time
including imports, its peak RSS (``ru_maxrss``), the sizes simulated, and the exponent b of a
least-squares fit time = a N^b over the sizes. ``--mix centres`` replaces the Massachusetts mix
(60% FCC homes) by today's cohort mix (half Head Start, half centres, no FCC): about 11 staff
posts and 70 families per programme, the heavier load. Nothing here asserts a time; the figures
go in benchmarks/README.md with a note of the machine's load.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

WORKER = r"""
import json, resource, sys, time
t_start = time.perf_counter()
from bsc_sim import load_params, run_sim
n, mix = int(sys.argv[1]), sys.argv[2]
overrides = ["design=statewide", f"system.n_programs={n}"]
if mix == "centres":
    overrides += ["system.frac_family_child_care=0", "system.frac_head_start=0.5"]
params = load_params(overrides)
t0 = time.perf_counter()
result = run_sim(params, 1)
t1 = time.perf_counter()
s = result.summary
print(json.dumps({"n": n, "run_sim": t1 - t0, "init": result.meta["seconds_init"], "weeks": result.meta["seconds_run"],
                  "process": t1 - t_start, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "staff": s["n_staff_slots"], "families": s["n_families"], "cohorts": s["n_cohorts"],
                  "enrolled": s["n_programs_enrolled"], "horizon": result.meta["horizon_weeks"]}))
"""


def measure(n: int, mix: str) -> dict:
    done = subprocess.run([sys.executable, "-c", WORKER, str(n), mix], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 4000, 8000], help="programmes in the state")
    ap.add_argument("--mix", choices=("massachusetts", "centres"), default="massachusetts",
                    help="programme kinds: the design's Massachusetts shares, or half HS / half centres")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = [measure(n, args.mix) for n in args.sizes]
    print(f"design=statewide ({args.mix} mix), seed 1, one fresh process per size")
    print(f"{'programmes':>10} {'staff':>8} {'families':>9} {'cohorts':>7} {'weeks':>5} {'build s':>8} "
          f"{'weeks s':>8} {'run_sim s':>9} {'process s':>9} {'peak RSS':>9}")
    for r in rows:
        print(f"{r['n']:>10,} {r['staff']:>8,.0f} {r['families']:>9,.0f} {r['cohorts']:>7.0f} {r['horizon']:>5} "
              f"{r['init']:>8.1f} {r['weeks']:>8.1f} {r['run_sim']:>9.1f} {r['process']:>9.1f} "
              f"{r['peak_rss'] / 2**30:>7.2f} GiB")
    if len(rows) >= 2:
        n = np.log([r["n"] for r in rows])
        for key in ("run_sim", "weeks"):
            b = np.polyfit(n, np.log([r[key] for r in rows]), 1)[0]
            print(f"fitted exponent of {key} time in programmes: {b:.2f}")
        b = np.polyfit(n, np.log([r["peak_rss"] for r in rows]), 1)[0]
        print(f"fitted exponent of peak RSS in programmes: {b:.2f} (includes the fixed ~0.2 GiB of the interpreter)")
    print(f"({time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
