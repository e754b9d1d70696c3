"""Peak memory and time of a statewide run as the state grows, against the memory guard's estimate (issue 19).

    uv run python benchmarks/state_memory.py                          # 2,000 and 8,700 programmes
    uv run python benchmarks/state_memory.py --sizes 2000 8700 30000 --modes run worker
    uv run python benchmarks/state_memory.py --sizes 8700 --modes run --rev 96ae942   # and before issue 19

Each size and mode runs in a fresh interpreter under ``/usr/bin/time -v`` (its peak resident set
size, wall, user and system seconds, minor page faults):

* ``run``: the whole command ``bsc-sim run design=statewide system.n_programs=N`` into a temporary
  out_dir (simulation, summary, coverage figure, Parquet files; since issue 19 the weekly tables
  are streamed);
* ``worker``: what an experiment's worker does with a run: ``run_sim`` and the cohort curves,
  which build the week x programme table (``bsc_sim.experiments.worker.cohort_curves``).

``--rev REV`` measures an earlier revision too, checked out into a temporary git worktree and run
with the same virtual environment, alternating with this checkout size by size.

The guard (``bsc_sim.memory``) estimates a run's memory beyond the process's own; the report
compares *estimate + the guard's allowance for a worker process* with the measured peak RSS (the
ratio must be at least 1 and, for issue 19, at most 1.5): for ``run`` the estimate of a streamed
run (``estimate_run_bytes(params, streamed=True)``), for ``worker`` the default one; each tree's
own guard. Nothing here asserts anything. ``--out FILE`` appends the rows as Markdown
(benchmarks/state_memory.md, whose rows benchmarks/README.md quotes; tests/unit/test_benchmark_figures.py
checks that they agree).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRELUDE = "import sys; sys.path.insert(0, sys.argv.pop(1)); import bsc_sim; assert bsc_sim.__file__.startswith(sys.argv[0])\n"
RUN = PRELUDE.replace("sys.argv[0]", "'{src}'") + "from bsc_sim.cli import main; sys.exit(main(['run', *sys.argv[1:]]))"
WORKER = PRELUDE.replace("sys.argv[0]", "'{src}'") + """
from bsc_sim import load_params, run_sim
from bsc_sim.experiments.worker import cohort_curves
cohort_curves(run_sim(load_params(["design=statewide", f"system.n_programs={int(sys.argv[1])}"]), 1))
"""
ESTIMATE = PRELUDE.replace("sys.argv[0]", "'{src}'") + """
from bsc_sim import load_params
from bsc_sim.memory import WORKER_BASE_BYTES, estimate_run_bytes
p = load_params(["design=statewide", f"system.n_programs={int(sys.argv[1])}"])
try:
    print(estimate_run_bytes(p, streamed=sys.argv[2] == "run") + WORKER_BASE_BYTES)
except TypeError:  # before issue 19: one estimate
    print(estimate_run_bytes(p) + WORKER_BASE_BYTES)
"""


def timed(cmd: list[str]) -> dict:
    """Run ``cmd`` under GNU time; its peak RSS (bytes), seconds and minor faults."""
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed:\n{done.stderr[-2000:]}")
    field = lambda name: re.search(rf"{re.escape(name)}: (.*)", done.stderr).group(1)  # noqa: E731
    wall = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    return {"rss": int(field("Maximum resident set size (kbytes)")) * 1024,
            "wall": sum(x * 60 ** i for i, x in enumerate(reversed(wall))),
            "user": float(field("User time (seconds)")), "sys": float(field("System time (seconds)")),
            "faults": int(field("Minor (reclaiming a frame) page faults"))}


def measure(src: Path, n: int, mode: str) -> dict:
    code = lambda template: template.replace("{src}", str(src))  # noqa: E731
    estimate = subprocess.run([sys.executable, "-c", code(ESTIMATE), str(src), str(n), mode], capture_output=True,
                              text=True, check=True, cwd=src.parent)
    if mode == "worker":
        m = timed([sys.executable, "-c", code(WORKER), str(src), str(n)])
    else:
        out = tempfile.mkdtemp(prefix="state-memory-")
        try:
            m = timed([sys.executable, "-c", code(RUN), str(src), "design=statewide", f"system.n_programs={n}",
                       f"out_dir={out}/run", "memory_limit=none"])
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return {**m, "estimate": int(estimate.stdout.split()[-1])}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 8700])
    ap.add_argument("--modes", nargs="+", choices=("run", "worker"), default=["run", "worker"])
    ap.add_argument("--rev", help="also measure this git revision (e.g. 96ae942, before issue 19)")
    ap.add_argument("--out", help="also append the rows as Markdown to this file")
    args = ap.parse_args(argv)
    trees = [("this checkout", ROOT / "src")]
    tmp = None
    if args.rev:
        tmp = Path(tempfile.mkdtemp(prefix="state-memory-rev-"))
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tmp / "tree"), args.rev],
                       check=True, capture_output=True)
        trees.insert(0, (args.rev, tmp / "tree" / "src"))
    gib = lambda x: f"{x / 2**30:.2f}"  # noqa: E731
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'tree':>14} {'programmes':>10} {'mode':>6} {'wall s':>7} {'user s':>7} {'sys s':>6} {'minor faults':>12} "
          f"{'peak GiB':>8} {'estimate GiB':>12} {'est./peak':>9}")
    rows = []
    try:
        for n in args.sizes:
            for mode in args.modes:
                for label, src in trees:
                    m = measure(src, n, mode)
                    ratio = m["estimate"] / m["rss"]
                    print(f"{label:>14} {n:>10,} {mode:>6} {m['wall']:>7.1f} {m['user']:>7.1f} {m['sys']:>6.1f} "
                          f"{m['faults']:>12,} {gib(m['rss']):>8} {gib(m['estimate']):>12} {ratio:>9.2f}", flush=True)
                    rows.append(f"| {label} | {n:,} | {mode} | {m['wall']:.1f} | {m['user']:.1f} | {m['sys']:.1f} | "
                                f"{m['faults']:,} | {gib(m['rss'])} | {gib(m['estimate'])} | {ratio:.2f} |")
    finally:
        if tmp is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "tree")],
                           capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
