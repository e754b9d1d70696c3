"""The lever audit: pooled paired differences on known inputs, and the command end to end."""

import numpy as np
import pandas as pd
import pytest

from bsc_sim.analysis.levers import LEVERS, OUTCOMES, Lever, lever_specs, lever_table
from bsc_sim.analysis.stats import paired_ratio_difference, pooled_ratio, pooled_ratio_ci
from bsc_sim.cli import main


def test_pooled_ratio_weights_runs_by_their_denominator():
    num, den = np.array([1.0, 30.0]), np.array([10.0, 100.0])
    assert pooled_ratio(num, den) == pytest.approx(31 / 110)       # not the mean of 0.1 and 0.3
    assert pooled_ratio(np.array([2.0, np.nan, 4.0])) == pytest.approx(3.0)
    point, lo, hi = pooled_ratio_ci(np.arange(20.0), np.full(20, 10.0))
    assert lo < point < hi


def test_paired_difference_recovers_a_known_shift_and_its_interval_shrinks_with_pairing():
    rng = np.random.default_rng(1)
    cohort = rng.normal(50, 10, 200)               # large between-replicate variation
    a, b = cohort, cohort + 5 + rng.normal(0, 1, 200)
    n, diff, lo, hi = paired_ratio_difference(a, None, b, None)
    assert n == 200 and diff == pytest.approx(5, abs=0.3) and lo < 5 < hi and hi - lo < 1.0
    n, diff, lo, hi = paired_ratio_difference(a, None, a.copy(), None)
    assert diff == 0 and lo == 0 and hi == 0


def test_lever_table_flags_what_moves_and_skips_missing_outcomes():
    reps = np.arange(30)
    ref = pd.DataFrame({"lever": "bsc", "replicate": reps, "n_classrooms": 30.0,
                        "n_classrooms_reached_end": 10.0 + (reps % 3), "cost_total": 1000.0})
    alt = ref.assign(lever="virtual", n_classrooms_reached_end=ref["n_classrooms_reached_end"] + 3,
                     cost_total=1000.0)
    table = lever_table(pd.concat([ref, alt]), [Lever("virtual", "v", ("design=bsc_virtual",), "p")])
    assert set(table["outcome"]) == {"reach_end", "cost", "cost_per_classroom"}
    reach = table.set_index("outcome").loc["reach_end"]
    assert reach["difference"] == pytest.approx(0.1) and reach["excludes_zero"]
    assert not table.set_index("outcome").loc["cost", "excludes_zero"]


def test_every_lever_builds_valid_params_on_common_seeds():
    specs = lever_specs(LEVERS, 2, 0)
    by_lever = {}
    for s in specs:
        by_lever.setdefault(s.labels["lever"], []).append(s.seed)
    assert len(by_lever) == len(LEVERS) + 1
    assert len({tuple(v) for v in by_lever.values()}) == 1       # the same seeds for every lever
    params = {s.labels["lever"]: s.params for s in specs}
    assert params["virtual"].collaborative.modality == "virtual"
    assert params["no_cross_learning"].collaborative.cross_learning is False
    assert params["bunched_sessions"].collaborative.session_spacing_weeks == 5
    assert {o.key for o in OUTCOMES} >= {"reach_end", "sustained", "frontline_fidelity", "culture_end",
                                         "family_engagement", "cost"}


def test_levers_command_writes_the_table_and_refuses_unknown_levers(tmp_path, capsys):
    out = tmp_path / "levers"
    args = ["levers", "replications=2", "levers=[virtual,no_families]", "executor=serial", "progress=false",
            "cohort.n_programs=3", f"out_dir={out}", f"doc={tmp_path / 'levers.md'}"]
    assert main(args) == 0
    table = pd.read_csv(out / "levers.csv")
    assert set(table["lever"]) == {"virtual", "no_families"} and (table["n_pairs"] == 2).all()
    doc = (tmp_path / "levers.md").read_text()
    assert "## `virtual`" in doc and "Uncertainty: posterior." in doc  # the default: a posterior world per replicate
    assert set(table["uncertainty"]) == {"posterior"}
    results = pd.read_parquet(out / "results.parquet")
    worlds = results.groupby("replicate")["spread.q_imitation"].nunique()
    assert (worlds == 1).all() and results["spread.q_imitation"].nunique() > 1   # one world per replicate, shared
    seed_only = tmp_path / "seed_only"
    assert main([*args[:-2], f"out_dir={seed_only}", f"doc={tmp_path / 'seed.md'}", "uncertainty=none"]) == 0
    assert "NOTE: the intervals show seed noise only" in capsys.readouterr().out
    assert "Uncertainty: none. The intervals show seed noise only" in (tmp_path / "seed.md").read_text()
    assert set(pd.read_csv(seed_only / "levers.csv")["uncertainty"]) == {"none"}
    assert set(pd.read_csv(seed_only / "levers.csv")["intervals"]) == {"seed noise only (no parameter uncertainty included)"}
    assert main(["levers", "levers=[warp_drive]", f"out_dir={tmp_path / 'x'}"]) == 2
    assert "warp_drive" in capsys.readouterr().err and not (tmp_path / "x").exists()
