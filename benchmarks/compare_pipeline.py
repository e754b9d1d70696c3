"""What ``compare`` spends outside the simulation, against an earlier revision, in one session.

    uv run python benchmarks/compare_pipeline.py                  # against da1b144 (before issue 20)
    uv run python benchmarks/compare_pipeline.py --rev HEAD~5 --rounds 3 --replications 10

The command is the one of issue 20, ``compare 'designs=[bsc,coach,training,
bsc+collaborative.modality=virtual]'`` (plus business as usual, the reference), on
``--executor`` (default serial, so that the shared machine keeps a core for others). The earlier
revision's source is checked out into a temporary git worktree; rounds alternate between the two
trees, each step in a fresh interpreter with the same virtual environment, so a load that drifts
during the session hits both alike. Each round and tree times:

* **cold**: the whole command in a fresh store: start-up, the runs, analysis, figures, files;
  *simulation* is the runner's wall time for the runs (``ExperimentRun.seconds``) and *outside*
  is the rest (start-up, resolving designs, analysis, figures, writing);
* **warm**: the same command again on the finished store (every run found), so all of it is
  outside the simulation: start-up, analysis and figures alone;
* **parent CPU**: the CPU seconds of the parent process in the warm step (less sensitive to
  other users of the machine than wall time).

The report gives medians per tree and the ratios now / before. Nothing here asserts a time.
``--profile FILE`` also writes a cProfile of one warm step of the current tree.
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
BEFORE_ISSUE_20 = "da1b144"  # main when issue 20 was started
DESIGNS = ["bsc", "coach", "training", "bsc+collaborative.modality=virtual"]

WORKER = r"""
import contextlib, io, json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
sys.path.insert(0, sys.argv[1])
import bsc_sim
assert bsc_sim.__file__.startswith(sys.argv[1]), bsc_sim.__file__
from bsc_sim.experiments.analysis import run_comparison
from bsc_sim.experiments.executors import ExecutorSpec
designs, reps, out, kind, profile = json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
overrides = json.loads(sys.argv[7])
def go():
    with contextlib.redirect_stdout(io.StringIO()):
        return run_comparison(designs, reps, 0, out, overrides=overrides, executor=ExecutorSpec(kind=kind),
                              progress=False)
if profile:
    import cProfile
    prof = cProfile.Profile(); run, written = prof.runcall(go); prof.dump_stats(profile)
else:
    run, written = go()
assert run.ok, run.report()
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "simulation": run.seconds,
                  "ran": run.n_ran}))
"""


def step(src: Path, out: Path, args, profile: str = "") -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", WORKER, str(src), json.dumps(DESIGNS), str(args.replications),
                           str(out), args.executor, profile, json.dumps(args.override)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"benchmark step failed in {src}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=BEFORE_ISSUE_20, help=f"the earlier revision (default {BEFORE_ISSUE_20})")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    ap.add_argument("--replications", type=int, default=10, help="replicates per design (default 10)")
    ap.add_argument("--executor", default="serial", help="serial (default) or processes")
    ap.add_argument("--override", action="append", default=[], help="a model override, e.g. cohort.n_programs=10")
    ap.add_argument("--working-tree", action="store_true", help="time src as it is, not HEAD")
    ap.add_argument("--profile", default="", help="write a cProfile of one warm step of this tree here")
    args = ap.parse_args(argv)
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()  # noqa: E731
    rev, here = git("rev-parse", "--short", args.rev), git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "src"))
    tmp = Path(tempfile.mkdtemp(prefix="bsc-sim-compare-"))
    tree, head = tmp / "tree", tmp / "head"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(tree), rev], cwd=ROOT, check=True)
    # HEAD in a worktree of its own too, so that edits made while the benchmark runs do not enter it
    # (--working-tree: time the checkout's src as it is instead).
    now_src = ROOT / "src"
    if not args.working_tree:
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(head), "HEAD"], cwd=ROOT, check=True)
        now_src = head / "src"
    samples: dict[str, dict[str, list[float]]] = {"before": {}, "now": {}}
    try:
        for r in range(args.rounds):
            for name, src in (("before", tree / "src"), ("now", now_src)):
                out = tmp / f"{name}-{r}"
                cold = step(src, out, args)
                warm = step(src, out, args, profile=args.profile if (name == "now" and r == 0) else "")
                got = {"cold wall": cold["wall"], "simulation": cold["simulation"],
                       "cold outside simulation": cold["wall"] - cold["simulation"],
                       "warm wall (start-up + analysis + figures)": warm["wall"], "warm parent CPU": warm["cpu"]}
                for k, v in got.items():
                    samples[name].setdefault(k, []).append(v)
                shutil.rmtree(out, ignore_errors=True)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for path in (tree, head):
            if path.exists():
                subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    n_runs = (len(DESIGNS) + 1) * args.replications
    dirty = dirty and args.working_tree
    print(f"compare pipeline: HEAD {here}{' (+ uncommitted src edits)' if dirty else ''} against {rev}; "
          f"{args.rounds} alternating rounds; {n_runs} runs ({len(DESIGNS)} designs + reference x "
          f"{args.replications}), executor {args.executor}, overrides {args.override or 'none'}; median seconds")
    print(f"  {'':<44} {'before':>8} {'now':>8} {'now/before':>11}")
    for key in samples["now"]:
        b, n = statistics.median(samples["before"][key]), statistics.median(samples["now"][key])
        print(f"  {key:<44} {b:>8.2f} {n:>8.2f} {n / b:>11.2f}")
    for name in ("before", "now"):
        sim = statistics.median(samples[name]["simulation"])
        outside = statistics.median(samples[name]["cold outside simulation"])
        print(f"  {name}: outside the simulation = {outside / sim:.0%} of simulation time "
              f"(issue 20's bound: <= 25% + 8 s, i.e. {0.25 * sim + 8:.1f} s here)")


if __name__ == "__main__":
    main()
