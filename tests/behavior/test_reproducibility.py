"""Same config and seed give identical results; different seeds differ; designs share their cohort."""

import json

import numpy as np
import pandas as pd
import pytest

from bsc_sim import BSCModel, load_params, load_result, run_sim
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
    ref_edges = sorted(BSCModel(load_params(["design=bsc"]), 4, create_agents=False).pop.staff_graph.edges(data="weight"))
    for design in ("coach", "training", "business_as_usual", "bsc_virtual"):
        pd.testing.assert_frame_equal(run_sim(load_params([f"design={design}"]), 4).programs[cols], ref)
        graph = BSCModel(load_params([f"design={design}"]), 4, create_agents=False).pop.staff_graph
        assert sorted(graph.edges(data="weight")) == ref_edges


def test_global_random_state_is_neither_used_nor_changed(small_params):
    import random

    np.random.seed(1)
    random.seed(1)
    a = run_sim(small_params, 5)
    np.random.seed(999)
    random.seed(999)
    before = (np.random.random(), random.random())
    np.random.seed(999)
    random.seed(999)
    b = run_sim(small_params, 5)
    assert (np.random.random(), random.random()) == before  # the run drew nothing from them
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)


def test_meta_carries_provenance(small_params):
    meta = run_sim(small_params, 2).meta
    assert meta["version"] and meta["seed"] == 2 and meta["config"]["design"] == "bsc"
    assert meta["git_revision"] is None or len(meta["git_revision"].split("-")[0]) == 40


def test_save_replaces_a_previous_run_whole_and_a_failed_save_keeps_it(tmp_path, small_params):
    out = tmp_path / "run"
    run_sim(small_params, 1).save(out)
    (out / "stale.txt").write_text("from an older run")
    run_sim(small_params, 2).save(out)
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "meta.json").read_text())["seed"] == 2

    def broken(path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_sim(small_params, 3).save(out, extras={"figure.png": broken})
    assert json.loads((out / "meta.json").read_text())["seed"] == 2  # previous results intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]     # no temporary leftovers


def test_save_and_load_roundtrip(tmp_path, small_params):
    r = run_sim(small_params, 3)
    out = r.save(tmp_path / "run")
    back = load_result(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(r, name), check_categorical=False)
    assert back.summary == pytest.approx(r.summary, nan_ok=True)
    assert back.meta["seed"] == 3 and back.meta["config"]["cohort"]["n_programs"] == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_identical_in_another_process_with_another_hash_seed(tmp_path, small_params):
    """What an executor does: run the same params and seed in a fresh interpreter."""
    import os
    import subprocess
    import sys

    code = ("import sys; from bsc_sim import load_params, run_sim; "
            "run_sim(load_params(['cohort.n_programs=4']), 6).save(sys.argv[1])")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "other")], check=True, env=env)
    other = load_result(tmp_path / "other")
    here = run_sim(small_params, 6)
    for name in ("timeseries", "events", "program_timeseries"):
        pd.testing.assert_frame_equal(getattr(other, name), getattr(here, name), check_categorical=False)
    assert other.summary == pytest.approx(here.summary, nan_ok=True)


def test_git_revision_marks_uncommitted_edits_to_src_or_configs(monkeypatch):
    """Asks git from the checkout's top (where "src" and "configs" are), not from the package."""
    from pathlib import Path

    import bsc_sim
    import bsc_sim.run as run_module

    top = Path(bsc_sim.__file__).resolve().parents[2]
    calls = []

    def fake_git(cwd, *args):
        calls.append((Path(cwd), args))
        if args[0] == "rev-parse":
            return str(top) if args[1] == "--show-toplevel" else "a" * 40
        return " M src/bsc_sim/model.py" if Path(cwd) == top else ""  # status: dirty only from the top

    monkeypatch.setattr(run_module, "_git", fake_git)
    run_module.git_revision.cache_clear()
    try:
        assert run_module.git_revision() == "a" * 40 + "-dirty"
        status = [c for c in calls if c[1][0] == "status"]
        assert status and status[0][0] == top and status[0][1][-2:] == ("src", "configs")
    finally:
        run_module.git_revision.cache_clear()
