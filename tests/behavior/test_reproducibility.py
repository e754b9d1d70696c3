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


def test_save_replaces_a_previous_run_whole_only_when_asked_and_a_failed_save_keeps_it(tmp_path, small_params):
    from bsc_sim import ParamError

    out = tmp_path / "run"
    run_sim(small_params, 1).save(out)
    with pytest.raises(ParamError, match="earlier bsc_sim run"):
        run_sim(small_params, 2).save(out)
    assert json.loads((out / "meta.json").read_text())["seed"] == 1
    run_sim(small_params, 2).save(out, overwrite=True)
    assert json.loads((out / "meta.json").read_text())["seed"] == 2

    def broken(path):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        run_sim(small_params, 3).save(out, overwrite=True, extras={"figure.png": broken})
    assert json.loads((out / "meta.json").read_text())["seed"] == 2  # previous results intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]     # no temporary leftovers


def test_save_never_touches_what_bsc_sim_did_not_write(tmp_path, small_params):
    from bsc_sim import ParamError

    result = run_sim(small_params, 1)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for overwrite in (False, True):
        with pytest.raises(ParamError, match="not a bsc_sim run"):
            result.save(mine, overwrite=overwrite)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    # An earlier run with a file of somebody else's added to it is not ours any more.
    out = result.save(tmp_path / "run")
    (out / "analysis.ipynb").write_text("{}")
    with pytest.raises(ParamError, match="not a bsc_sim run"):
        result.save(out, overwrite=True)
    assert (out / "analysis.ipynb").read_text() == "{}"
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep")
    for target in (a_file, a_file / "sub"):
        with pytest.raises(ParamError, match="file"):
            result.save(target)
    assert a_file.read_text() == "keep"


def test_save_into_an_empty_directory_and_the_current_directory(tmp_path, small_params, monkeypatch):
    from bsc_sim import ParamError

    result = run_sim(small_params, 1)
    empty = tmp_path / "empty"
    empty.mkdir()
    result.save(empty)
    assert (empty / "meta.json").exists()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result.save(".")
    assert (here / "meta.json").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with pytest.raises(ParamError, match="earlier bsc_sim run"):
        result.save(".")
    run_sim(small_params, 2).save(".", overwrite=True)      # files replaced one by one, cwd kept
    assert json.loads((here / "meta.json").read_text())["seed"] == 2
    (here / "notes.txt").write_text("keep")
    with pytest.raises(ParamError, match="not a bsc_sim run"):
        result.save(here, overwrite=True)
    assert (here / "notes.txt").read_text() == "keep"


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
