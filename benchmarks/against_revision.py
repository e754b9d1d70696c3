"""Speed of this checkout against an earlier revision, measured in the same session.

    uv run python benchmarks/against_revision.py                 # against be013af (before issue 9)
    uv run python benchmarks/against_revision.py --rev HEAD~3 --rounds 6
    uv run python benchmarks/against_revision.py --rev 96ae942 --statewide 2   # also the default state

The earlier revision's source is checked out into a temporary git worktree. Rounds alternate
between the two trees (each in a fresh interpreter with the same virtual environment), so a load
that drifts during the session hits both alike. Each round times ``run_sim`` of the default design
and of a 100-programme cohort; the report gives the median seconds per run of each tree and their
ratio, for the whole ``run_sim`` and for its weeks alone (``meta['seconds_run']``: the model's
phases, without building it or its tables). With ``--statewide R`` it then times R alternating
rounds of one statewide run each (``design=statewide``, seed 1, 8,700 programmes; 260 weeks before
issue 22 (merge 36c9878), 338 since, as every cohort is followed to its own follow-up; about 20 s per
run). ``--state-now KEY=VALUE ...`` adds overrides to this checkout's statewide run only, e.g.
``system.follow_every_cohort=false`` to time the same 260 weeks as a revision before issue 22. Nothing here asserts a time: the figures go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_ISSUE_9 = "be013af"  # main when issue 9 was started: the model without its mechanisms

WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import bsc_sim
assert bsc_sim.__file__.startswith(sys.argv[1]), bsc_sim.__file__
from bsc_sim import load_params, run_sim
n_default, n_cohort, first_seed = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = {}
for label, overrides, n in (("default", [], n_default), ("cohort_100", ["cohort.n_programs=100"], n_cohort)):
    params = load_params(overrides)
    run_sim(params, 10_000)  # warm-up, not counted
    times, weeks = [], []
    for seed in range(first_seed, first_seed + n):
        t0 = time.perf_counter()
        result = run_sim(params, seed)
        times.append(time.perf_counter() - t0)
        if "seconds_run" in result.meta:
            weeks.append(result.meta["seconds_run"])
    out[label] = times
    if weeks:
        out[label + ":weeks"] = weeks
print(json.dumps(out))
"""

STATE_WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import bsc_sim
assert bsc_sim.__file__.startswith(sys.argv[1]), bsc_sim.__file__
from bsc_sim import load_params, run_sim
params = load_params(["design=statewide", *json.loads(sys.argv[2])])
t0 = time.perf_counter()
result = run_sim(params, 1)
weeks = int(result.meta.get("horizon_weeks", 0))
print(json.dumps({"statewide": [time.perf_counter() - t0], "statewide:weeks": [result.meta["seconds_run"]],
                  "statewide:simulated": [weeks]}))
"""


def time_tree(src: Path, n_default: int, n_cohort: int, first_seed: int) -> dict[str, list[float]]:
    done = subprocess.run([sys.executable, "-c", WORKER, str(src), str(n_default), str(n_cohort), str(first_seed)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=BEFORE_ISSUE_9, help=f"the earlier revision (default {BEFORE_ISSUE_9})")
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds (default 4)")
    ap.add_argument("--default-runs", type=int, default=10, help="default-design runs per round (default 10)")
    ap.add_argument("--cohort-runs", type=int, default=2, help="100-programme runs per round (default 2)")
    ap.add_argument("--statewide", type=int, default=0, help="alternating rounds of one statewide run each (default 0)")
    ap.add_argument("--state-now", nargs="*", default=[], metavar="KEY=VALUE",
                    help="overrides for this checkout's statewide run only, e.g. system.follow_every_cohort=false "
                         "to simulate the 260 weeks a revision before issue 22 (36c9878) simulated")
    args = ap.parse_args(argv)
    rev = subprocess.run(["git", "rev-parse", "--short", args.rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="bsc-sim-rev-"))
    tree = tmp / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), rev], cwd=ROOT, check=True)
    try:
        samples: dict[str, dict[str, list[float]]] = {"before": {}, "now": {}}
        for r in range(args.rounds):
            for name, src in (("before", tree / "src"), ("now", ROOT / "src")):
                got = time_tree(src, args.default_runs, args.cohort_runs, first_seed=r * 100)
                for label, times in got.items():
                    samples[name].setdefault(label, []).extend(times)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        for r in range(args.statewide):
            for name, src in (("before", tree / "src"), ("now", ROOT / "src")):
                extra = json.dumps(args.state_now if name == "now" else [])
                done = subprocess.run([sys.executable, "-c", STATE_WORKER, str(src), extra], capture_output=True,
                                      text=True, check=True)
                for label, times in json.loads(done.stdout.strip().splitlines()[-1]).items():
                    samples[name].setdefault(label, []).extend(times)
            print(f"statewide round {r + 1}/{args.statewide} done", file=sys.stderr)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"bsc_sim speed: HEAD {here} against {rev}, {args.rounds} alternating rounds, "
          f"median seconds per run_sim (warm-up excluded)")
    print(f"{'case':<18} {'before':>9} {'now':>9} {'now/before':>11}  runs each")
    labels = ("default", "default:weeks", "cohort_100", "cohort_100:weeks", "statewide", "statewide:weeks")
    for label in labels:
        if label not in samples["now"] or label not in samples["before"]:
            continue  # an earlier revision without meta['seconds_run'] has no ':weeks' rows
        before, now = statistics.median(samples["before"][label]), statistics.median(samples["now"][label])
        print(f"{label:<18} {before:>9.3f} {now:>9.3f} {now / before:>10.2f}x  {len(samples['now'][label])}")
    if "statewide:simulated" in samples["now"]:
        weeks = {k: int(samples[k]["statewide:simulated"][0]) for k in ("before", "now")}
        print(f"statewide weeks simulated: before {weeks['before']}, now {weeks['now']}"
              + (f" (this checkout with {' '.join(args.state_now)})" if args.state_now else ""))


if __name__ == "__main__":
    main()
