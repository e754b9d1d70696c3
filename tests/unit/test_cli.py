"""The bsc-sim command line: outputs, help, and bad input that writes nothing."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bsc_sim.cli import main


def test_run_writes_tables_summary_config_and_figure(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "cohort.n_programs=3", "seed=4", f"out_dir={out}"]) == 0
    printed = capsys.readouterr().out
    assert "classrooms reached when the collaborative ends" in printed and "design bsc" in printed
    names = {p.name for p in out.iterdir()}
    assert {"timeseries.parquet", "events.parquet", "programs.parquet", "program_timeseries.parquet",
            "costs.parquet", "summary.json", "meta.json", "config.yaml", "adoption.png"} <= names
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_programs"] == 3
    assert len(pd.read_parquet(out / "events.parquet")) == summary["n_pdsa_cycles"]
    meta = json.loads((out / "meta.json").read_text())
    assert meta["seed"] == 4 and meta["config"]["cohort"]["n_programs"] == 3
    assert (out / "adoption.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("cohort.n_programs=-3", "cohort.n_programs = -3"),
        ("spread.p_threshold=1.5", "spread.p_threshold = 1.5"),
        ("cohort.n_progrms=3", "cohort.n_progrms: unknown key"),
        ("collaborative.duration_weeks=0", "collaborative.duration_weeks = 0"),
        ("team.n_family=-1", "team.n_family = -1"),
    ],
)
def test_bad_input_one_line_error_nonzero_exit_nothing_written(tmp_path, capsys, override, fragment):
    out = tmp_path / "never"
    assert main(["run", override, f"out_dir={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_run_help_lists_groups_and_keys(capsys):
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    for needle in ("design: ", "business_as_usual", "cohort.n_programs = 8", "pdsa.obs_noise_sd", "out_dir"):
        assert needle in text


def test_show_config_prints_resolved_values(capsys):
    assert main(["run", "--show-config", "design=bsc_virtual"]) == 0
    text = capsys.readouterr().out
    assert "modality: virtual" in text and "design: bsc_virtual" in text


def test_designs_and_params_commands(capsys):
    assert main(["designs"]) == 0
    assert "coach" in capsys.readouterr().out
    assert main(["params", "--markdown"]) == 0
    assert "| key | default |" in capsys.readouterr().out


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "bsc-sim"  # the entry point installed next to the interpreter
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: bsc-sim" in done.stdout


def test_default_out_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "cohort.n_programs=2", "seed=3", "design=coach"]) == 0
    assert (tmp_path / "outputs" / "coach-seed3" / "summary.json").is_file()


def test_run_refuses_an_out_dir_it_did_not_write_before_simulating(tmp_path, monkeypatch, capsys):
    """Issue 10: `bsc-sim run` deleted files it did not write (a directory, the cwd, a file)."""
    import bsc_sim.run

    def no_run(*args, **kwargs):
        raise AssertionError("simulated although out_dir is refused")

    mine = tmp_path / "d"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    a_file = tmp_path / "f.txt"
    a_file.write_text("keep")
    monkeypatch.setattr(bsc_sim.run, "run_sim", no_run)
    monkeypatch.chdir(mine)
    for out in (mine, ".", a_file, a_file / "sub"):
        capsys.readouterr()
        assert main(["run", "cohort.n_programs=2", f"out_dir={out}"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("bsc-sim: error: out_dir = ") and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f.txt"]
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and a_file.read_text() == "keep"


def test_run_replaces_its_own_earlier_output_only_with_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "cohort.n_programs=2", f"out_dir={out}"]
    assert main([*args, "seed=1"]) == 0
    assert main([*args, "seed=2"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main([*args, "seed=2", "--overwrite"]) == 0
    import json

    assert json.loads((out / "meta.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_the_command_line_imports_plotting_and_statistics_only_when_a_command_needs_them():
    """Start-up (issue 19): importing the command line, or the experiment commands' module, loads
    no plotting or statistics library; checked in a fresh interpreter."""
    heavy = ["matplotlib", "scipy", "scipy.stats", "seaborn", "mesa", "bsc_sim.model", "hydra", "optuna", "dask"]
    code = ("import sys, bsc_sim.cli, bsc_sim.experiments.cli, bsc_sim.experiments.analysis; "
            f"print([m for m in {heavy!r} if m in sys.modules]); "
            "import bsc_sim.plotting; print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # The check itself can fail: a module that imports matplotlib at the top shows up (True).
    assert done.stdout.split() == ["[]", "True"]
