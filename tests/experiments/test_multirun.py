"""Hydra's own multirun (``bsc-sim run -m``) still works for small grids of single runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bsc_sim import load_params, run_sim
from bsc_sim.multirun import expand_sweep


def test_expand_sweep_follows_hydra_grammar():
    jobs = expand_sweep(["design=bsc,coach", "seed=range(0,3)", "cohort.n_programs=4"])
    assert len(jobs) == 6
    assert ["design=coach", "seed=2", "cohort.n_programs=4"] in jobs


def _bsc_sim(args, cwd):
    return subprocess.run([sys.executable, "-m", "bsc_sim.cli", "run", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})


def test_multirun_launches_one_hydra_job_per_combination(tmp_path):
    proc = _bsc_sim(["-m", "seed=3,4", "cohort.n_programs=2", "followup_weeks=4"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    jobs = sorted((tmp_path / "multirun").glob("*/*/[0-9]*"))
    assert [j.name for j in jobs] == ["0", "1"]
    assert (jobs[0].parent / "multirun.yaml").exists()
    for job, seed in zip(jobs, (3, 4)):
        assert (job / ".hydra" / "overrides.yaml").exists() and (job / "adoption.png").exists()
        summary = json.loads((job / "summary.json").read_text())
        expected = run_sim(load_params([f"seed={seed}", "cohort.n_programs=2", "followup_weeks=4"]), seed).summary
        assert summary["frac_classrooms_reached_end"] == pytest.approx(expected["frac_classrooms_reached_end"], abs=0)
        assert summary["n_pdsa_cycles"] == expected["n_pdsa_cycles"]


def test_multirun_checks_every_combination_before_writing(tmp_path):
    proc = _bsc_sim(["-m", "cohort.n_programs=2,-1"], tmp_path)
    assert proc.returncode == 2
    assert "cohort.n_programs = -1" in proc.stderr
    assert not (tmp_path / "multirun").exists()
