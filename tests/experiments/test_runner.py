"""The runner, executors and store: identical results anywhere, resume after a kill, failures recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bsc_sim import ParamError, run_sim
from bsc_sim.experiments import ExecutorSpec, run_experiment
from bsc_sim.experiments.cli import cmd_compare
from bsc_sim.experiments.compare import comparison_specs

SMALL = ["cohort.n_programs=3", "followup_weeks=8"]


@pytest.fixture(scope="module")
def specs():
    return comparison_specs(["bsc", "coach"], 3, seed=11, overrides=SMALL)


def _deterministic(run):
    return run.results, run.curves, run.runs.drop(columns=["seconds"])


def test_serial_processes_and_dask_give_identical_results(specs, tmp_path):
    serial = run_experiment(specs, tmp_path / "serial", executor=ExecutorSpec("serial"), progress=False)
    assert serial.ok and len(serial.results) == 6
    for kind in ("processes", "dask"):  # dask: a real LocalCluster with two worker processes
        other = run_experiment(specs, tmp_path / kind, executor=ExecutorSpec(kind, workers=2), progress=False)
        for a, b in zip(_deterministic(serial), _deterministic(other)):
            pd.testing.assert_frame_equal(a, b)
    # ... and each row is exactly what a single run_sim call with that seed gives.
    spec = specs[4]
    alone = run_sim(spec.params, spec.seed).summary
    row = serial.results.set_index("run_id").loc[spec.run_id]
    assert {k: row[k] for k in alone} == pytest.approx(alone, nan_ok=True, rel=0, abs=0)


def test_results_carry_labels_outcomes_and_provenance(specs, tmp_path):
    run = run_experiment(specs, tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)
    assert list(run.results.columns[:5]) == ["run_id", "index", "seed", "design", "replicate"]
    assert run.results["frac_classrooms_reached_end"].between(0, 1).all()
    meta = run.runs.iloc[0]
    assert meta["version"] and json.loads(meta["config_json"])["cohort"]["n_programs"] == 3
    assert set(run.curves["run_id"]) == set(run.results["run_id"])
    # One row per simulated week; a design is simulated until its lag reading (issue 18) is observed.
    weeks = {spec.run_id: spec.params.horizon_weeks for spec in specs}
    assert run.curves.groupby("run_id").size().to_dict() == {k: weeks[k] for k in set(run.curves["run_id"])}
    stored = pd.read_parquet(tmp_path / "out" / "results.parquet")
    pd.testing.assert_frame_equal(stored, run.results)


def test_rerun_skips_finished_runs_and_refuses_another_experiment(specs, tmp_path):
    first = run_experiment(specs, tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)
    again = run_experiment(specs, tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)
    assert (again.n_skipped, again.n_ran) == (6, 0)
    pd.testing.assert_frame_equal(first.results, again.results)
    other = comparison_specs(["bsc", "coach"], 3, seed=12, overrides=SMALL)
    with pytest.raises(ParamError, match="holds a different experiment"):
        run_experiment(other, tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("mine")
    with pytest.raises(ParamError, match="not an experiment store"):
        run_experiment(specs, tmp_path / "plain", executor=ExecutorSpec("serial"), progress=False)


def test_a_failing_run_is_recorded_and_retried_on_rerun(specs, tmp_path, monkeypatch, capsys):
    import bsc_sim.experiments.worker as worker

    bad_seed = specs[1].seed
    real = worker.run_sim

    def flaky(params, seed):
        if seed == bad_seed and params.design == "coach":
            raise RuntimeError("simulated failure")
        return real(params, seed)

    monkeypatch.setattr(worker, "run_sim", flaky)
    out = tmp_path / "cmp"
    args = ["designs=[bsc,coach]", "reference=bsc", "replications=3", "seed=11", f"out_dir={out}", "executor=serial",
            "uncertainty=none", *SMALL]  # seed only: the labels below are the design's and the replicate's
    assert cmd_compare(args) == 1
    text = capsys.readouterr().out
    assert "5 done" in text and "1 failed" in text and "FAILED coach/r0001" in text and "simulated failure" in text
    manifest = json.loads((out / "manifest.json").read_text())
    failed = manifest["coach/r0001"]
    assert failed["status"] == "failed" and "RuntimeError: simulated failure" in failed["traceback"]
    assert failed["labels"] == {"design": "coach", "replicate": 1} and failed["seed"] == bad_seed
    assert not (out / "comparison.csv").exists()  # no analysis of incomplete results
    assert len(pd.read_csv(out / "failures.csv")) == 1

    monkeypatch.setattr(worker, "run_sim", real)
    assert cmd_compare(args) == 0
    text = capsys.readouterr().out
    assert "6 done (5 found in the store, 1 run now" in text
    assert not (out / "failures.csv").exists()
    comparison = pd.read_csv(out / "comparison.csv")
    assert set(comparison["design"]) == {"bsc", "coach"}


def test_bad_input_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    assert cmd_compare(["designs=[bsc,nodesign]", f"out_dir={out}"]) == 2
    assert cmd_compare(["designs=[bsc]", "replications=two", f"out_dir={out}"]) == 2
    assert cmd_compare(["designs=[bsc]", "executor=cluster", f"out_dir={out}"]) == 2
    assert cmd_compare(["designs=[bsc]", "cohort.n_program=3", f"out_dir={out}"]) == 2
    err = capsys.readouterr().err
    for fragment in ("unknown design 'nodesign'", "replications = 'two'", "executor = 'cluster'",
                     "did you mean cohort.n_programs"):
        assert fragment in err
    assert not out.exists()


SWEEP = """\
parameters:
  pdsa.obs_noise_sd: {values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}
  turnover.annual_rate_mean: {values: [0.2, 0.3]}
replications: 2
outcomes: [frac_classrooms_reached_end]
"""


def _sweep(cfg: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bsc_sim.cli", "sweep", f"experiment={cfg}", f"out_dir={out}", "executor=serial",
           "checkpoint_every=2", "cohort.n_programs=4"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "MPLBACKEND": "Agg"})


def _n_done(out: Path) -> int:
    try:
        return sum(e["status"] == "done" for e in json.loads((out / "manifest.json").read_text()).values())
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def test_sweep_killed_with_sigkill_resumes_to_identical_results(tmp_path):
    cfg = tmp_path / "sweep.yaml"
    cfg.write_text(SWEEP)
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    assert _sweep(cfg, reference).wait(timeout=300) == 0

    proc = _sweep(cfg, interrupted)
    while _n_done(interrupted) < 6 and proc.poll() is None:  # until six runs are recorded, or it ended
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_before = _n_done(interrupted)
    assert 6 <= n_before < 24
    assert not (interrupted / "results.csv").exists()

    resumed = _sweep(cfg, interrupted)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err.decode()
    assert f"({n_before} found in the store, {24 - n_before} run now" in out.decode()
    for name in ("results.parquet", "curves.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(interrupted / name), pd.read_parquet(reference / name))
    pd.testing.assert_frame_equal(pd.read_csv(interrupted / "results.csv"), pd.read_csv(reference / "results.csv"))
    runs = pd.read_parquet(interrupted / "runs.parquet")
    assert runs["run_id"].is_unique and len(runs) == 24


def test_an_experiment_whose_runs_all_fail_reports_them(specs, tmp_path, monkeypatch):
    import bsc_sim.experiments.worker as worker

    def broken(params, seed):
        raise ValueError("broken config")

    monkeypatch.setattr(worker, "run_sim", broken)
    run = run_experiment(specs[:3], tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)
    assert not run.ok and len(run.results) == 0 and len(run.failures) == 3
    assert "0 done" in run.report() and "3 failed" in run.report()
    assert len(pd.read_csv(tmp_path / "out" / "failures.csv")) == 3


def test_unreachable_scheduler_writes_nothing(specs, tmp_path, monkeypatch):
    import bsc_sim.experiments.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "2s")  # the outcome does not depend on how long it tries
    out = tmp_path / "out"
    with pytest.raises(ParamError, match="cannot reach a Dask scheduler"):
        run_experiment(specs[:2], out, executor=ExecutorSpec("dask", address="tcp://127.0.0.1:9"), progress=False)
    assert not out.exists()


def test_a_store_interrupted_while_being_created_starts_over(specs, tmp_path):
    out = tmp_path / "out"
    (out / "parts").mkdir(parents=True)
    (out / ".tmp-123-specs.parquet").write_text("partial")
    run = run_experiment(specs[:2], out, executor=ExecutorSpec("serial"), progress=False)
    assert run.ok and not list(out.glob(".tmp-*"))


def test_an_existing_dask_cluster_by_address_gives_the_same_results(specs, tmp_path):
    from distributed import LocalCluster

    from bsc_sim.experiments import open_executor

    serial = run_experiment(specs, tmp_path / "serial", executor=ExecutorSpec("serial"), progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        remote = ExecutorSpec("dask", address=cluster.scheduler_address)
        with open_executor(remote) as ex:
            assert ex.n_workers == 2  # the cluster's size, whatever this machine's CPU count
        run = run_experiment(specs, tmp_path / "remote", executor=remote, progress=False)
    for a, b in zip(_deterministic(serial), _deterministic(run)):
        pd.testing.assert_frame_equal(a, b)


def test_a_finished_store_starts_no_workers(specs, tmp_path, monkeypatch):
    """Re-running a finished experiment (to redo its analysis) opens no executor: nothing is left to
    run, and starting worker processes would be the slowest part of it."""
    import bsc_sim.experiments.runner as runner

    first = run_experiment(specs[:2], tmp_path / "out", executor=ExecutorSpec("serial"), progress=False)

    def refuse(spec):
        raise AssertionError("an executor was opened for a finished store")

    monkeypatch.setattr(runner, "open_executor", refuse)
    again = run_experiment(specs[:2], tmp_path / "out", executor=ExecutorSpec("processes", workers=2), progress=False)
    assert again.ok and again.n_ran == 0 and again.n_skipped == 2
    pd.testing.assert_frame_equal(again.results, first.results)
