"""Start-up of ``bsc-sim`` commands against the import of numpy + pandas (issue 19, item 3).

    uv run python benchmarks/startup.py                   # this tree and da1b144 (before issue 19)
    uv run python benchmarks/startup.py --rev none --reps 5

Every case is a fresh process, timed by wall clock from this script, and by CPU time (user +
system of the process and the children it waited for; for ``compare``, the command's own process
up to its first dispatch), which a busy machine disturbs much less than the wall clock:

* ``numpy+pandas``: ``python -c "import numpy, pandas"``, the yardstick;
* ``import cli``: ``python -c "import bsc_sim.cli"``;
* ``run's imports``: the third-party imports ``run`` cannot do without, the floor under it: numpy,
  pandas, scipy.sparse and networkx (the model's), Mesa as ``bsc_sim.mesa_import`` imports it (without
  its cell and continuous spaces, so without scipy.spatial; this tree's module, loaded by file, for
  every tree), matplotlib's Figure and Agg canvas (adoption.png) and pyarrow.parquet (the tables);
  Hydra is not among them since a kept composition needs none;
* ``run's imports, no figure``: the same without matplotlib, what the floor would be without adoption.png;
* ``run``: ``bsc-sim run cohort.n_programs=2`` into a new directory (the whole command: compose,
  simulate, write the tables and adoption.png), with the composed config kept on disk by an
  earlier command (``BSC_SIM_CACHE_DIR`` at a directory of this benchmark, filled in the warm-up
  round; a tree without that cache composes every time);
* ``run, composing``: the same with ``BSC_SIM_CACHE_DIR=none`` (Hydra composes, as on a first run);
* ``compare``: ``bsc-sim compare designs=[bsc] replications=20 executor.workers=2`` (40 runs with
  the reference): *first dispatch* is the time from the process's start to the first run handed to
  a worker (the command's start-up), *whole* the whole command.

Each case runs under two bytecode conditions: *compiled*, the environment as installed (``make
setup`` compiles its packages once with ``uv sync --compile-bytecode``, and bsc_sim's own source with
``compileall``, which this script repeats for every tree it times, so an edit since is not timed as
compilation), and *source*, no bytecode at all (``PYTHONPYCACHEPREFIX`` pointed at an empty
directory that nothing is written to), which is what every process paid before issue 19.
``PYTHONDONTWRITEBYTECODE=1`` is set in both, so a run never leaves bytecode behind for the next one.

With ``--rev`` the same cases also run on an earlier revision's ``src/`` (checked out into a
temporary git worktree, put first on ``PYTHONPATH``), in the same environment. Cases, trees and
conditions take turns within each repetition, so a load that drifts hits all of them alike. The
report gives medians and the ratios taken within this run; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE_ISSUE_19 = "da1b144"  # main when issue 19's start-up work began
BIN = Path(sys.executable).parent
BSC_SIM = BIN / "bsc-sim"

# Runs a bsc-sim command and records when the first run is handed to a worker process.
FIRST_DISPATCH = r"""
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
        first["cpu"] = time.process_time()
        first["heavy"] = sorted(m for m in ("matplotlib", "scipy.stats", "seaborn", "mesa", "bsc_sim.model")
                                if m in sys.modules)
pool.ProcessPool._dispatch = dispatch
from bsc_sim.cli import main
code = main(sys.argv[2:])
print(json.dumps({"first_dispatch": first.get("t"), "whole": time.time() - start, "code": code,
                  "cpu_first": first.get("cpu"), "heavy": first.get("heavy")}))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


MESA_IMPORT_FILE = str(ROOT / "src" / "bsc_sim" / "mesa_import.py")
MESA_AS_RUN_IMPORTS_IT = (
    "import importlib.util\n"
    f"spec = importlib.util.spec_from_file_location('_mesa_import', {MESA_IMPORT_FILE!r})\n"
    "helper = importlib.util.module_from_spec(spec); spec.loader.exec_module(helper); helper.import_mesa()\n")
RUN_IMPORTS_NO_FIGURE = MESA_AS_RUN_IMPORTS_IT + "import numpy, pandas, scipy.sparse, networkx, pyarrow.parquet"
RUN_IMPORTS = RUN_IMPORTS_NO_FIGURE + ", matplotlib.figure, matplotlib.backends.backend_agg"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the process and the children it waited for)."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return wall, cpu


def compare_times(out: Path, env: dict[str, str]) -> dict:
    args = ["compare", "designs=[bsc]", "replications=20", "executor.workers=2", "progress=false", f"out_dir={out}"]
    done = subprocess.run([sys.executable, "-c", FIRST_DISPATCH, repr(time.time()), *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"compare exited {done.returncode}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def environment(src: Path | None, condition: str, empty_cache: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
           "BSC_SIM_CACHE_DIR": str(empty_cache.parent / "config-cache")}
    env.pop("PYTHONPYCACHEPREFIX", None)
    if condition == "source":
        env["PYTHONPYCACHEPREFIX"] = str(empty_cache)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def one_round(tree: str, src: Path | None, condition: str, scratch: Path, cases: list[str],
              samples: dict, info: dict) -> None:
    env = environment(src, condition, scratch / "no-bytecode")
    key = (tree, condition)
    got = samples.setdefault(key, {})
    py = sys.executable
    for case in cases:
        out = Path(tempfile.mkdtemp(dir=scratch)) / "out"
        commands = {"numpy+pandas": [py, "-c", "import numpy, pandas"], "import cli": [py, "-c", "import bsc_sim.cli"],
                    "run's imports": [py, "-c", RUN_IMPORTS],
                    "run's imports, no figure": [py, "-c", RUN_IMPORTS_NO_FIGURE],
                    "run": [str(BSC_SIM), "run", "cohort.n_programs=2", f"out_dir={out}"]}
        commands["run, composing"] = commands["run"]
        if case in commands:
            wall, cpu = timed(commands[case], {**env, "BSC_SIM_CACHE_DIR": "none"} if case == "run, composing" else env)
            got.setdefault(case, []).append(wall)
            got.setdefault(f"{case} (CPU)", []).append(cpu)
        elif case == "compare":
            t = compare_times(out, env)
            got.setdefault("compare: first dispatch", []).append(t["first_dispatch"])
            got.setdefault("compare: first dispatch (CPU)", []).append(t["cpu_first"])
            got.setdefault("compare: whole", []).append(t["whole"])
            info.setdefault(key, {})["heavy"] = t["heavy"]
        shutil.rmtree(out.parent, ignore_errors=True)


def check_tree(src: Path | None) -> str:
    env = environment(src, "compiled", Path(tempfile.gettempdir()))
    found = subprocess.run([sys.executable, "-c", "import bsc_sim; print(bsc_sim.__file__)"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if src is not None and not found.startswith(str(src)):
        raise RuntimeError(f"PYTHONPATH={src} did not win: bsc_sim came from {found}")
    return found


def compiled_share() -> str:
    """How much of numpy is compiled to bytecode in this environment (a quick look at one package)."""
    import numpy

    pkg = Path(numpy.__file__).parent
    sources = list(pkg.rglob("*.py"))
    compiled = sum(1 for p in sources if (p.parent / "__pycache__").is_dir()
                   and any((p.parent / "__pycache__").glob(f"{p.stem}.*.pyc")))
    return f"{compiled}/{len(sources)} of numpy's modules have bytecode"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=BEFORE_ISSUE_19,
                    help=f"an earlier revision to time as well (default {BEFORE_ISSUE_19}; none: this tree only)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every case (default 3)")
    cases = ["numpy+pandas", "import cli", "run's imports, no figure", "run's imports", "run", "run, composing",
             "compare"]
    ap.add_argument("--cases", nargs="+", default=cases, choices=cases)
    ap.add_argument("--conditions", nargs="+", default=["compiled", "source"], choices=["compiled", "source"])
    args = ap.parse_args(argv)
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()  # noqa: E731
    here = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--", "src"))
    scratch = Path(tempfile.mkdtemp(prefix="bsc-startup-"))
    (scratch / "no-bytecode").mkdir()
    trees: list[tuple[str, Path | None]] = [(f"now ({here}{', src edited' if dirty else ''})", None)]
    worktree = None
    if args.rev.lower() != "none":
        rev = git("rev-parse", "--short", args.rev)
        worktree = scratch / "tree"
        git("worktree", "add", "--detach", "--quiet", str(worktree), rev)
        trees.insert(0, (f"before ({rev})", worktree / "src"))
    load0, t_start = os.getloadavg()[0], time.perf_counter()
    samples: dict = {}
    info: dict = {}
    try:
        for _, src in trees:
            check_tree(src)
            if "compiled" in args.conditions:  # what make setup does for bsc_sim's own source
                subprocess.run([sys.executable, "-m", "compileall", "-q", str((src or ROOT / "src") / "bsc_sim")],
                               env={k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"},
                               capture_output=True, check=True)
        for tree, src in trees:  # a warm-up round (file cache), not counted
            for condition in args.conditions:
                one_round(tree, src, condition, scratch, [c for c in args.cases if c != "compare"], {}, {})
        for r in range(args.reps):
            for tree, src in trees:
                for condition in args.conditions:
                    one_round(tree, src, condition, scratch, args.cases, samples, info)
            print(f"repetition {r + 1}/{args.reps} done", file=sys.stderr, flush=True)
    finally:
        if worktree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    minutes = (time.perf_counter() - t_start) / 60
    print(f"bsc_sim start-up | {platform.node()} | {os.cpu_count()} CPUs | Python {platform.python_version()} | "
          f"{time.strftime('%Y-%m-%d %H:%M')} | load {load0:.1f} -> {os.getloadavg()[0]:.1f} | {minutes:.1f} min")
    print(f"{compiled_share()}; {args.reps} repetitions, median (min-max) wall seconds per fresh process\n")
    rows = [case for base in ("numpy+pandas", "import cli", "run's imports, no figure", "run's imports", "run",
                              "run, composing",
                              "compare: first dispatch", "compare: whole")
            for case in (base, f"{base} (CPU)") if any(case in got for got in samples.values())]
    columns = list(samples)
    labels = [f"{tree}, {cond}" for tree, cond in columns]
    width = max(len(r) for r in [*rows, "run's imports, no figure / numpy+pandas (CPU)"])
    print(f"| {'case':<{width}} | " + " | ".join(labels) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(lab) + 1) + ":" for lab in labels) + "|")
    for case in rows:
        cells = []
        for key, lab in zip(columns, labels):
            xs = samples[key].get(case, [])
            cell = f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})" if xs else "-"
            cells.append(f"{cell:>{len(lab)}}")
        print(f"| {case:<{width}} | " + " | ".join(cells) + " |")
    for case in ("run's imports, no figure", "run's imports", "run", "run, composing"):
        for suffix in ("", " (CPU)"):
            if f"numpy+pandas{suffix}" not in rows or f"{case}{suffix}" not in rows:
                continue
            cells = []
            for key, lab in zip(columns, labels):
                run, base = samples[key][f"{case}{suffix}"], samples[key][f"numpy+pandas{suffix}"]
                per_round = statistics.median(r / b for r, b in zip(run, base))
                cells.append(f"{statistics.median(run) / statistics.median(base):.1f}x (rounds {per_round:.1f}x)"
                             .rjust(len(lab)))
            print(f"| {f'{case} / numpy+pandas{suffix}':<{width}} | " + " | ".join(cells) + " |")
    for key, lab in zip(columns, labels):
        if key in info:
            print(f"\n{lab}: imported by the compare's first dispatch: {', '.join(info[key]['heavy']) or 'none of'} "
                  "(of matplotlib, scipy.stats, seaborn, mesa, bsc_sim.model)")


if __name__ == "__main__":
    main()
