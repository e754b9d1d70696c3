"""Regenerate tests/regression/baseline.json: the summary of fixed runs.

Run after a change that is *meant* to move the results, and say why in the commit:
    uv run python tests/regression/update_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path

from bsc_sim import load_params, run_sim

CASES = {"bsc_seed2": (["design=bsc"], 2), "coach_seed2": (["design=coach"], 2)}
HERE = Path(__file__).resolve().parent


def compute() -> dict[str, dict[str, float | None]]:
    out = {}
    for name, (overrides, seed) in CASES.items():
        summary = run_sim(load_params(overrides), seed).summary
        out[name] = {k: (None if v != v else v) for k, v in summary.items()}
    return out


if __name__ == "__main__":
    (HERE / "baseline.json").write_text(json.dumps(compute(), indent=2) + "\n")
    print(f"wrote {HERE / 'baseline.json'}")
