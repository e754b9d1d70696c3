"""Peak memory of one run against the estimate the memory guard uses (``bsc_sim.memory``).

    UV_PYTHON_DOWNLOADS=never uv run python benchmarks/memory_per_run.py [--sizes 8 50 100 200 400]

Each configuration runs in a fresh process (so one run's garbage cannot hide another's peak) and
reports two figures for ``run_sim``:

* *traced peak*: ``tracemalloc``'s peak over the run and building its two weekly tables (which
  ``run_sim`` returns unbuilt since issue 19, and ``bsc-sim run`` of a single collaborative builds
  for its figure): numpy arrays, networkx graphs, pandas tables, everything allocated through
  Python's and numpy's allocators;
* *RSS growth*: the process's peak resident size (``ru_maxrss``) after the run minus before it.

It then prints the guard's estimate for the same configuration and the ratio estimate / measured,
which must stay above 1 (the guard is meant to be conservative). The sizes that drive memory are
printed too: staff posts S, families F, team seats T (the cross-programme tie matrix is T x T),
and weeks x programmes x practices (the recorder's arrays and the result tables).
Nothing here asserts anything; ``tests/unit/test_memory.py`` checks the estimate's bound on small
cohorts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, tracemalloc
from bsc_sim import load_params, run_sim
from bsc_sim.memory import estimate_run_bytes, run_sizes
overrides = json.loads(sys.argv[1])
params = load_params(overrides)
run_sim(load_params(["cohort.n_programs=2"]), 0)          # warm imports and caches
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
tracemalloc.start()
result = run_sim(params, 1)
result.timeseries, result.program_timeseries   # built on first use (issue 19); bsc-sim run's figure reads both
traced = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
sizes = run_sizes(params)
print(json.dumps({"traced": traced, "rss_growth": max(0, after - before), "rss": after,
                  "estimate": estimate_run_bytes(params), "sizes": sizes,
                  "actual": {"S": int(result.summary["n_staff_slots"]), "F": int(result.summary["n_families"])}}))
"""

CASES = [
    ("default design", []),
    ("no teams (T = 0)", ["design=coach"]),
    ("3 practices", ["~practices.home_feelings_talk", "~practices.emotion_coaching"]),
    ("208 weeks", ["followup_weeks=156"]),
]


def measure(overrides: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(overrides)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def mib(x: float) -> str:
    return f"{x / 2**20:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[8, 50, 100, 200, 400])
    args = parser.parse_args()
    print(f"{'configuration':<34} {'S':>7} {'F':>8} {'T':>6} {'HxMxP':>10} {'traced MiB':>11} "
          f"{'RSS+ MiB':>9} {'estimate MiB':>13} {'est/traced':>10}")
    rows = [(f"n_programs={n}", [f"cohort.n_programs={n}"]) for n in args.sizes]
    rows += [(f"{label}, n_programs=200", ["cohort.n_programs=200", *extra]) for label, extra in CASES[1:]]
    for label, overrides in rows:
        m = measure(overrides)
        z = m["sizes"]
        print(f"{label:<34} {m['actual']['S']:>7,} {m['actual']['F']:>8,} {z['team_seats']:>6,} "
              f"{z['weeks'] * z['programs'] * z['practices']:>10,} {mib(m['traced']):>11} {mib(m['rss_growth']):>9} "
              f"{mib(m['estimate']):>13} {m['estimate'] / max(m['traced'], 1):>10.2f}", flush=True)


if __name__ == "__main__":
    main()
