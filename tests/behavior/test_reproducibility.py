"""Same config and seed give identical results; different seeds differ; designs share their cohort."""

import pandas as pd
import pytest

from bsc_sim import load_params, load_result, run_sim
from bsc_sim.results import TABLES


def test_same_seed_identical_tables(small_params):
    a, b = run_sim(small_params, 9), run_sim(small_params, 9)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.summary == pytest.approx(b.summary, nan_ok=True)


def test_different_seeds_differ(small_params):
    a, b = run_sim(small_params, 1), run_sim(small_params, 2)
    assert not a.timeseries.equals(b.timeseries)


def test_seed_defaults_to_params_seed():
    p = load_params(["cohort.n_programs=3", "seed=13"])
    pd.testing.assert_frame_equal(run_sim(p).events, run_sim(p, 13).events)


def test_designs_share_the_cohort_for_a_seed():
    """Common random numbers: the population comes from its own stream of the model's generator."""
    cols = ["kind", "n_classrooms", "n_staff_slots", "change_commitment", "turnover_annual"]
    ref = run_sim(load_params(["design=bsc"]), 4).programs[cols]
    for design in ("coach", "training", "business_as_usual", "bsc_virtual"):
        pd.testing.assert_frame_equal(run_sim(load_params([f"design={design}"]), 4).programs[cols], ref)


def test_save_and_load_roundtrip(tmp_path, small_params):
    r = run_sim(small_params, 3)
    out = r.save(tmp_path / "run")
    back = load_result(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(r, name), check_categorical=False)
    assert back.summary == pytest.approx(r.summary, nan_ok=True)
    assert back.meta["seed"] == 3 and back.meta["config"]["cohort"]["n_programs"] == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers
