"""The recorder's weekly cost (phase 9, measure), this checkout against an earlier revision's recorder.

    uv run python benchmarks/recorder_week.py                         # default design, against 96ae942
    uv run python benchmarks/recorder_week.py design=statewide system.n_programs=300 --rev HEAD~2

Paired in one process: the earlier revision's ``model/measure.py`` (``git show REV:...``) is loaded
beside this checkout's, and in every week of every run both recorders record the same model state
(three times each, in alternating order), so a load that drifts hits both alike. The model itself
runs once per seed with this checkout's phases. Reports the recorders' seconds per run and their
ratio. Nothing here asserts a time: the figures go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("overrides", nargs="*")
    ap.add_argument("--rev", default="96ae942", help="the earlier revision (default: before issue 19)")
    ap.add_argument("--seeds", type=int, default=6)
    args = ap.parse_args(argv)
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.rev}:src/bsc_sim/model/measure.py"],
                            capture_output=True, text=True, check=True).stdout
    import bsc_sim.model.model as model_module
    from bsc_sim import load_params
    from bsc_sim.model import BSCModel
    from bsc_sim.model.measure import Recorder

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "measure_before.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("bsc_sim.model._measure_before", path)
        before = importlib.util.module_from_spec(spec)
        before.__package__ = "bsc_sim.model"
        spec.loader.exec_module(before)
    seconds = {"before": 0.0, "this": 0.0}

    class Both:
        def setup(self, model):
            self.recorders = {"before": before.Recorder(), "this": Recorder()}
            for rec in self.recorders.values():
                rec.setup(model)
            self.k = 0

        def step(self, model):
            order = ("before", "this") if self.k % 2 else ("this", "before")
            self.k += 1
            for name in order:
                rec = self.recorders[name]
                for _ in range(3):
                    t0 = time.perf_counter()
                    rec.step(model)
                    seconds[name] += time.perf_counter() - t0

        def __getattr__(self, name):  # outcomes read this checkout's recorder
            return getattr(self.recorders["this"], name)

    model_module.Recorder = Both
    params = load_params(args.overrides)
    for seed in range(args.seeds):
        BSCModel(params, seed=seed, create_agents=False).run()
    per_run = {k: v / (3 * args.seeds) for k, v in seconds.items()}
    print(f"{' '.join(args.overrides) or 'default design'}, {args.seeds} seeds: recorder per run "
          f"{args.rev} {per_run['before'] * 1e3:.2f} ms, this checkout {per_run['this'] * 1e3:.2f} ms, "
          f"ratio {per_run['this'] / per_run['before']:.2f}")


if __name__ == "__main__":
    main()
