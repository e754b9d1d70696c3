"""``bsc-sim validate``: the stylized-fact table is computed from the runs and criteria can fail."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bsc_sim.analysis.validation import FACTS, _monotone, cmd_validate, share_ci, validation_specs


def test_contrasts_share_the_default_designs_seeds():
    specs = validation_specs(4, seed=1, sweep_replications=3)
    by = pd.DataFrame([{**s.labels, "seed": s.seed} for s in specs])
    assert len(specs) == 4 + 4 + 5 * 3 + 5 * 3
    default_seeds = by[by.contrast == "default"].set_index("replicate")["seed"]
    for contrast in ("no_cross_learning", "turnover", "readiness"):
        sub = by[by.contrast == contrast]
        assert (sub["seed"].to_numpy() == default_seeds.loc[sub["replicate"]].to_numpy()).all()
    no_cross = next(s for s in specs if s.labels["contrast"] == "no_cross_learning")
    assert no_cross.params.collaborative.cross_learning is False
    ready = [s for s in specs if s.labels["contrast"] == "readiness" and s.labels["level"] == 0.7][0]
    assert ready.params.readiness.data_capacity_mean == ready.params.readiness.time_slack_mean == 0.7


def test_monotone_criterion_fails_on_a_non_monotone_sweep():
    levels = [0.1, 0.2, 0.3]
    rows = [{"contrast": "turnover", "level": lvl, "replicate": r, "y": y + 0.01 * r}
            for r in range(6) for lvl, y in zip(levels, [0.5, 0.3, 0.4])]
    verdict = _monotone(pd.DataFrame(rows), "turnover", lambda d: d["y"], -1)
    assert not verdict.passed and "not monotone" in verdict.note
    rows = [{"contrast": "turnover", "level": lvl, "replicate": r, "y": y + 0.01 * r}
            for r in range(6) for lvl, y in zip(levels, [0.5, 0.4, 0.3])]
    assert _monotone(pd.DataFrame(rows), "turnover", lambda d: d["y"], -1).passed


def test_wilson_interval():
    p, lo, hi = share_ci(np.array([True] * 8 + [False] * 2))
    assert p == 0.8 and lo < 0.8 < hi and 0.44 < lo < 0.5 and 0.94 < hi < 0.97


def test_validate_writes_a_table_computed_from_the_runs(tmp_path, capsys):
    doc, out = tmp_path / "validation.md", tmp_path / "store"
    code = cmd_validate(["replications=4", "sweep_replications=2", f"doc={doc}", f"out_dir={out}",
                         "executor=serial", "progress=false"])
    assert code == 0
    text = doc.read_text()
    assert text.count("| **PASS** |") + text.count("| **FAIL** |") == len(FACTS) == 7
    table = pd.read_csv(out / "validation.csv")
    results = pd.read_parquet(out / "results.parquet")
    default = results[results.contrast == "default"]
    # Pooled over runs (people), not a mean of per-run shares.
    fidelity = default["n_enrolled_teaching_fidelity_end"].sum() / default["n_enrolled_teaching_staff"].sum()
    row = table.set_index("key").loc["fidelity"]
    assert row["model"].startswith(f"{100 * fidelity:.0f}%")
    assert (row["result"] == "PASS") == (0.3 <= fidelity <= 0.7)
    improved = default["n_programs_improved_end"].sum() / default["n_programs"].sum()
    row = table.set_index("key").loc["improves"]
    assert row["model"].startswith(f"{100 * improved:.0f}%") and (row["result"] == "PASS") == (0.6 <= improved <= 0.9)
    assert cmd_validate(["replications=1", f"doc={doc}"]) == 2
    assert cmd_validate(["replicatons=5"]) == 2


def test_sustained_counts_the_same_classrooms_among_programmes_that_improved():
    from bsc_sim.analysis.validation import _sustained

    rows = [{"contrast": "default", "replicate": r, "n_programs_improved_end": 4.0,
             "n_programs_improved_kept_followup": kept} for r, kept in enumerate([1.0, 1.0, 2.0, 0.0])]
    verdict = _sustained(pd.DataFrame(rows))
    assert verdict.passed and verdict.figure.startswith("25%")     # 4 of 16, pooled
    rows = [{**row, "n_programs_improved_kept_followup": 3.0} for row in rows]
    assert not _sustained(pd.DataFrame(rows)).passed
