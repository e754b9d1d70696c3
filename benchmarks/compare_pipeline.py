"""What ``compare`` (then ``report``) spends outside the simulation, against an earlier revision, in one session.

    uv run python benchmarks/compare_pipeline.py                  # against da1b144 (before issue 20)
    uv run python benchmarks/compare_pipeline.py --rev HEAD~5 --rounds 3 --executors serial processes

The command is the one of issue 20, ``compare 'designs=[bsc,coach,training,
bsc+collaborative.modality=virtual]'`` (plus business as usual, the reference), then ``report`` on
its store, on each of ``--executors`` (default: serial, and processes with 2 workers). The earlier
revision's source is checked out into a temporary git worktree (HEAD too, so that edits made while
the benchmark runs stay out); rounds alternate between the trees and executors, each step in a
fresh interpreter with the same virtual environment, so a load that drifts during the session hits
all of them alike. Each round, tree and executor times:

* **cold**: ``compare`` in a fresh store (start-up, the runs, analysis, figures, files), then
  ``report`` (a fresh process too, as a user would run it);
* **simulation**: the runs' own time: the sum over the runs of each run's seconds measured in the
  process that ran it (``runs.parquet``'s ``seconds``: the model, its tables and the record),
  divided by the number of workers: the wall time the runs need on the workers with nothing else
  going on. (The runner's wall time, ``ExperimentRun.seconds``, is shown too; with processes it
  also holds waiting for the first worker and the coordinator's checkpoints.)
* **outside**: cold ``compare`` + ``report`` wall time minus the simulation: start-up (of the
  command and of its workers), resolving and composing designs, checkpoints, analysis, figures,
  the report. Issue 20 asks for outside <= 25% of the simulation + 8 s;
* **warm**: ``compare`` again on the finished store (every run found), so all of it is outside
  the simulation: start-up, analysis and figures alone;
* **CPU**: of the ``compare`` process (cold and warm steps) and of ``report``, which other users of
  the machine disturb far less than wall time. From them, an idle machine's figures: outside the
  simulation = warm ``compare`` + ``report`` CPU (all of it outside), simulation = cold minus warm
  ``compare`` CPU with the serial executor (the runs and their checkpoints), divided by the
  workers for the processes executor (which also pays its workers' start-up, not counted there).

Compositions kept on disk (``BSC_SIM_CACHE_DIR``, in trees that have them) go to a directory of
this benchmark, filled by one unmeasured warm-up ``compare`` per tree (``--no-config-cache``: none).
The report gives medians per tree and executor and the ratios now / before. Nothing here asserts
a time. ``--profile FILE`` also writes a cProfile of one warm step of the current tree.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_ISSUE_20 = "da1b144"  # main when issue 20 was started
DESIGNS = ["bsc", "coach", "training", "bsc+collaborative.modality=virtual"]

WORKER = r"""
import contextlib, io, json, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
def go(designs, reps, out, overrides, spec):
    from bsc_sim.experiments.analysis import run_comparison
    with contextlib.redirect_stdout(io.StringIO()):
        return run_comparison(designs, reps, 0, out, overrides=overrides, executor=spec, progress=False)
if __name__ == "__main__":  # (PYTHONPATH puts the tree's src first, for the worker processes too)
    import bsc_sim
    assert bsc_sim.__file__.startswith(sys.argv[1]), bsc_sim.__file__
    from bsc_sim.experiments.executors import ExecutorSpec
    designs, reps, out, kind, profile = json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
    overrides, workers = json.loads(sys.argv[7]), int(sys.argv[8])
    spec = ExecutorSpec(kind=kind, workers=None if kind == "serial" else workers)
    args = (designs, reps, out, overrides, spec)
    if profile:
        import cProfile
        prof = cProfile.Profile(); run, written = prof.runcall(go, *args); prof.dump_stats(profile)
    else:
        run, written = go(*args)
    assert run.ok, run.report()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"wall": wall, "cpu": cpu, "runner": run.seconds, "ran": run.n_ran,
                      "run_seconds": float(run.runs["seconds"].sum()), "workers": spec.n_workers}))
"""


def step(src: Path, scratch: Path, out: Path, args, kind: str, env: dict[str, str], profile: str = "",
         replications: int | None = None) -> dict[str, float]:
    script = scratch / "compare_step.py"  # a file, not -c: the forkserver's workers import __main__
    if not script.exists():
        script.write_text(WORKER)
    done = subprocess.run([sys.executable, str(script), str(src), json.dumps(DESIGNS),
                           str(replications or args.replications), str(out), kind, profile,
                           json.dumps(args.override), str(args.workers)], capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(src)})
    if done.returncode:
        raise SystemExit(f"benchmark step failed in {src}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(src: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of ``bsc-sim report out_dir=OUT`` in a fresh process."""
    code = "import sys, bsc_sim.cli; assert bsc_sim.__file__.startswith(sys.argv[1]); sys.exit(bsc_sim.cli.main(sys.argv[2:]))"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(src), "report", f"out_dir={out}"], capture_output=True,
                          text=True, env={**env, "PYTHONPATH": str(src)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"report failed in {src}:\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


SIMULATION = "simulation (runs' seconds / workers)"
OUTSIDE = "outside the simulation (cold + report - simulation)"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=BEFORE_ISSUE_20, help=f"the earlier revision (default {BEFORE_ISSUE_20})")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    ap.add_argument("--replications", type=int, default=10, help="replicates per design (default 10)")
    ap.add_argument("--executors", nargs="+", default=["serial", "processes"], choices=["serial", "processes"])
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the processes executor (default 2)")
    ap.add_argument("--override", action="append", default=[], help="a model override, e.g. cohort.n_programs=10")
    ap.add_argument("--working-tree", action="store_true", help="time src as it is, not HEAD")
    ap.add_argument("--no-config-cache", action="store_true", help="keep no composition on disk (BSC_SIM_CACHE_DIR=none)")
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
    env = {**os.environ, "MPLBACKEND": "Agg",
           "BSC_SIM_CACHE_DIR": "none" if args.no_config_cache else str(tmp / "config-cache")}
    trees = (("before", tree / "src"), ("now", now_src))
    samples: dict[tuple[str, str], dict[str, list[float]]] = {}
    load0, t_start = os.getloadavg()[0], time.perf_counter()
    try:
        for name, src in trees:  # a warm-up, not counted: the file cache, and compositions kept on disk
            step(src, tmp, tmp / f"warmup-{name}", args, "serial", env, replications=1)
        for r in range(args.rounds):
            for name, src in trees:
                for kind in args.executors:
                    out = tmp / f"{name}-{kind}-{r}"
                    cold = step(src, tmp, out, args, kind, env)
                    report_wall, report_cpu = report(src, out, env)
                    profile = args.profile if (name == "now" and r == 0 and kind == args.executors[0]) else ""
                    warm = step(src, tmp, out, args, kind, env, profile=profile)
                    simulation = cold["run_seconds"] / cold["workers"]
                    got = {"compare, cold (wall)": cold["wall"], "report (wall)": report_wall, SIMULATION: simulation,
                           "runner's wall time": cold["runner"], OUTSIDE: cold["wall"] + report_wall - simulation,
                           "compare, cold (CPU)": cold["cpu"], "compare, warm (wall)": warm["wall"],
                           "compare, warm (CPU)": warm["cpu"], "report (CPU)": report_cpu}
                    for key, value in got.items():
                        samples.setdefault((name, kind), {}).setdefault(key, []).append(value)
                    shutil.rmtree(out, ignore_errors=True)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        for path in (tree, head):
            if path.exists():
                subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    n_runs = (len(DESIGNS) + 1) * args.replications
    dirty = dirty and args.working_tree
    minutes = (time.perf_counter() - t_start) / 60
    print(f"compare + report: HEAD {here}{' (+ uncommitted src edits)' if dirty else ''} against {rev}; "
          f"{args.rounds} alternating rounds; {n_runs} runs ({len(DESIGNS)} designs + reference x "
          f"{args.replications}); overrides {args.override or 'none'}; compositions on disk: "
          f"{'none' if args.no_config_cache else 'kept (after a warm-up step)'}; load {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f}; {minutes:.1f} min; median seconds")
    width = max(len(k) for k in samples[("now", args.executors[0])])
    for kind in args.executors:
        label = f"executor {kind}" + ("" if kind == "serial" else f", {args.workers} workers")
        print(f"\n  {label:<{width}} {'before':>8} {'now':>8} {'now/before':>11}")
        for key in samples[("now", kind)]:
            b = statistics.median(samples[("before", kind)][key])
            n = statistics.median(samples[("now", kind)][key])
            print(f"  {key:<{width}} {b:>8.2f} {n:>8.2f} {n / b:>11.2f}")
        for name in ("before", "now"):
            sim = statistics.median(samples[(name, kind)][SIMULATION])
            outside = statistics.median(samples[(name, kind)][OUTSIDE])
            bound = 0.25 * sim + 8
            print(f"  {name}: outside the simulation {outside:.1f} s = {outside / sim:.0%} of the simulation; "
                  f"issue 20's bound (25% + 8 s) {bound:.1f} s: {'met' if outside <= bound else 'NOT met'}")
    if "serial" in args.executors:
        # CPU seconds, which other users of the machine disturb far less than wall time: what the same
        # pipeline would take on an idle machine, serially (the runs' CPU is the cold step's minus the warm's).
        print("\n  in CPU seconds (an idle machine's wall time, serial): outside = warm compare + report; "
              "simulation = cold compare - warm compare")
        for name in ("before", "now"):
            got = samples[(name, "serial")]
            med = {k: statistics.median(v) for k, v in got.items()}
            outside = med["compare, warm (CPU)"] + med["report (CPU)"]
            sim = med["compare, cold (CPU)"] - med["compare, warm (CPU)"]
            for workers in sorted({1, *([args.workers] if "processes" in args.executors else [])}):
                bound = 0.25 * sim / workers + 8
                print(f"  {name}: outside {outside:.1f} CPU-s, simulation {sim:.1f} CPU-s on {workers} worker(s) = "
                      f"{sim / workers:.1f} s; bound {bound:.1f} s: {'met' if outside <= bound else 'NOT met'}")


if __name__ == "__main__":
    main()
