"""Issue 17: nothing outside out_dir is ever touched, and every fault is one line.

Each test reproduces one probe of the audit; each failed before its fix."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SMALL = ["cohort.n_programs=3", "followup_weeks=8"]
RUN = ["run", "cohort.n_programs=2", "followup_weeks=4"]


def _store_args(out: Path, *designs: str, **settings: str) -> list[str]:
    return [f"designs=[{','.join(designs)}]", "reference=none", "replications=2", "seed=5", f"out_dir={out}",
            "executor=serial", "progress=false", *SMALL, *(f"{k}={v}" for k, v in settings.items())]


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("bsc-sim") and "\n" not in err, err
    return err


def _tree(path: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under ``path`` (not following links) with its inode, size and content."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = Path(root) / name
            st = os.lstat(p)
            out[str(p.relative_to(path))] = (st.st_ino, st.st_mtime_ns,
                                             p.read_bytes() if p.is_file() and not p.is_symlink() else None)
    return out


@pytest.fixture(scope="module")
def store_template(tmp_path_factory):
    """One finished two-design store, copied by the tests that need one."""
    from bsc_sim.experiments.cli import cmd_compare

    out = tmp_path_factory.mktemp("template") / "store"
    assert cmd_compare(_store_args(out, "bsc")) == 0
    return out


def _copy_store(template: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(template, dest, symlinks=True)
    (dest / ".lock").unlink(missing_ok=True)
    return dest


# -- 1. a parts link -------------------------------------------------------------------------------
@pytest.mark.parametrize("overwrite", [True, False])
def test_a_parts_link_never_lets_a_store_command_delete_outside_out_dir(store_template, tmp_path, capsys, overwrite):
    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    import shutil

    shutil.rmtree(store / "parts")
    users = tmp_path / "U"
    users.mkdir()
    (users / "thesis.parquet").write_text("x")
    (users / ".draft").write_text("y")
    (store / "parts").symlink_to(users)
    before, theirs = _tree(store), _tree(users)
    designs = ("bsc", "training") if overwrite else ("bsc",)
    args = _store_args(store, *designs, **({"overwrite": "true"} if overwrite else {}))
    assert cmd_compare(args) == 2
    err = _one_line(capsys)
    assert "'parts'" in err and "symbolic link" in err
    assert _tree(users) == theirs  # nothing of the user's touched
    assert _tree(store) == before  # and the refusal came before anything in the store changed


def test_a_lock_file_link_is_never_followed(store_template, tmp_path, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    users = tmp_path / "diary.txt"
    users.write_text("dear diary")
    (store / ".lock").symlink_to(users)
    assert cmd_compare(_store_args(store, "bsc")) == 2
    assert "'.lock'" in _one_line(capsys)
    assert users.read_text() == "dear diary" and (store / ".lock").is_symlink()


def test_an_analysis_ready_link_is_never_followed(store_template, tmp_path, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    users = tmp_path / "U"
    users.mkdir()
    (users / "comparison.csv").write_text("mine")
    (store / ".analysis-ready").symlink_to(users)
    assert cmd_compare(_store_args(store, "bsc")) == 2
    assert "'.analysis-ready'" in _one_line(capsys)
    assert (users / "comparison.csv").read_text() == "mine"


def test_a_foreign_file_in_parts_is_refused_and_left_alone(store_template, tmp_path, capsys):
    """Item 11: parts/notes.parquet is not bsc_sim's; it was a traceback."""
    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    (store / "parts" / "notes.parquet").write_text("mine")
    for extra in ({}, {"overwrite": "true"}):
        designs = ("bsc", "training") if extra else ("bsc",)
        assert cmd_compare(_store_args(store, *designs, **extra)) == 2
        assert "'notes.parquet'" in _one_line(capsys)
    assert (store / "parts" / "notes.parquet").read_text() == "mine"


# -- 2. a requested figure name is the user's file --------------------------------------------------
@pytest.mark.parametrize("flag,name", [("--slides", "talk.png"), ("--animate", "spread.gif")])
def test_run_overwrite_never_replaces_a_users_file_named_as_a_figure(tmp_path, capsys, flag, name):
    from bsc_sim.cli import main

    out = tmp_path / "R"
    assert main([*RUN, f"out_dir={out}"]) == 0
    capsys.readouterr()
    (out / name).write_text("the user's own")
    before = _tree(out)
    assert main([*RUN, "--overwrite", flag, name, f"out_dir={out}"]) == 2
    err = _one_line(capsys)
    assert repr(name) in err  # item 15: the refusal names the user's file, not one of bsc_sim's
    assert _tree(out) == before


def test_a_run_file_replaced_by_the_user_is_theirs(tmp_path, capsys):
    """A file with one of a run's names that the user put there (another inode) is not replaced."""
    from bsc_sim.cli import main

    out = tmp_path / "R"
    assert main([*RUN, f"out_dir={out}"]) == 0
    capsys.readouterr()
    (out / "adoption.png").unlink()
    (out / "adoption.png").write_text("my edited figure")
    assert main([*RUN, "--overwrite", f"out_dir={out}"]) == 2
    assert "'adoption.png'" in _one_line(capsys)
    assert (out / "adoption.png").read_text() == "my edited figure"


def test_an_existing_figure_outside_out_dir_is_not_replaced(tmp_path, capsys):
    from bsc_sim.cli import main

    talk = tmp_path / "figs" / "talk.png"
    talk.parent.mkdir()
    talk.write_text("keynote")
    assert main([*RUN, "--slides", str(talk), f"out_dir={tmp_path / 'R'}"]) == 2
    assert str(talk) in _one_line(capsys)
    assert talk.read_text() == "keynote" and not (tmp_path / "R").exists()


# -- 3. out_dir a link to an earlier run ----------------------------------------------------------
def test_overwrite_through_an_out_dir_link_replaces_the_run_it_points_to(tmp_path, capsys):
    from bsc_sim.cli import main

    runs = tmp_path / "runs"
    runs.mkdir()
    target = runs / "first"
    assert main([*RUN, "seed=1", f"out_dir={target}"]) == 0
    link = tmp_path / "latest"
    link.symlink_to(target)
    assert main([*RUN, "seed=2", "--overwrite", f"out_dir={link}"]) == 0
    capsys.readouterr()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads((target / "meta.json").read_text())["seed"] == 2
    assert sorted(p.name for p in runs.iterdir()) == ["first"]  # no stray .first.old.* left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "runs"]


# -- 14. two runs into one out_dir ----------------------------------------------------------------
HOLD_RUN_DIR = """
import sys
from bsc_sim.results import run_dir_lock
with run_dir_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_run_into_one_out_dir_refuses_at_once(tmp_path, capsys, monkeypatch):
    import subprocess
    import sys

    import bsc_sim.run
    from bsc_sim.cli import main

    out = tmp_path / "new" / "R"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_RUN_DIR, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"

        def refuse(*args, **kwargs):
            raise AssertionError("simulated although out_dir is held by another run")

        monkeypatch.setattr(bsc_sim.run, "run_sim", refuse)
        assert main([*RUN, f"out_dir={out}"]) == 2
        assert "another bsc-sim command is writing there" in _one_line(capsys)
        assert list(out.iterdir()) == []
    finally:
        holder.communicate("\n")
    assert holder.returncode == 0
    assert not (tmp_path / "new").exists()  # the holder removed the directories it made, as they stayed empty
    monkeypatch.undo()
    assert main([*RUN, f"out_dir={out}"]) == 0  # once released, a run goes ahead


# -- 15. messages --------------------------------------------------------------------------------
def test_run_says_terminated_on_sigterm(tmp_path, capsys, monkeypatch):
    import bsc_sim.run
    from bsc_sim.cli import main
    from bsc_sim.exits import Terminated

    def stopped(*args, **kwargs):
        raise Terminated()

    monkeypatch.setattr(bsc_sim.run, "run_sim", stopped)
    assert main([*RUN, f"out_dir={tmp_path / 'R'}"]) == 143
    err = capsys.readouterr().err
    assert "terminated" in err and "interrupted" not in err
    assert not (tmp_path / "R").exists()


def test_report_on_a_validate_store_says_what_it_is(tmp_path, capsys):
    from bsc_sim.report import cmd_report

    store = tmp_path / "validation"
    store.mkdir()
    (store / "experiment.json").write_text(json.dumps({"kind": "validate", "replications": 2}))
    (store / "validation.csv").write_text("fact,passed\n")
    assert cmd_report([f"out_dir={store}"]) == 2
    err = _one_line(capsys)
    assert "validate" in err and "not finished" not in err and "no finished analysis" not in err


# -- optimize: a designs link, a damaged study.db ------------------------------------------------------
OPT = ["budget=50000", "trials=1", "replications=1", "confirm_replications=2", "levers=[coaching]", *SMALL]


def test_optimize_never_writes_or_deletes_through_a_designs_link(tmp_path, capsys):
    from bsc_sim.analysis.optimize_cli import cmd_optimize

    out = tmp_path / "opt"
    out.mkdir()
    users = tmp_path / "mine"
    users.mkdir()
    (users / "opt_t1.yaml").write_text("mine")
    (out / "designs").symlink_to(users)
    assert cmd_optimize([*OPT, f"out_dir={out}"]) == 2
    assert "'designs'" in _one_line(capsys)
    assert [p.name for p in users.iterdir()] == ["opt_t1.yaml"] and (users / "opt_t1.yaml").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["designs"]


def test_a_damaged_study_db_is_one_line_and_kept(tmp_path, capsys):
    """Item 11: a corrupt study.db was a traceback."""
    from bsc_sim.analysis.optimize_cli import cmd_optimize

    out = tmp_path / "opt"
    out.mkdir()
    (out / "study.db").write_bytes(b"this is not a database" * 100)
    assert cmd_optimize([*OPT, f"out_dir={out}"]) == 2
    assert "study.db" in _one_line(capsys)
    assert (out / "study.db").read_bytes() == b"this is not a database" * 100


# -- 4-8. hostile or huge input: one line, exit 2, nothing set up or written -------------------------
def _laughs(levels: int) -> str:
    text = 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels + 1):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text


def _no_setup(monkeypatch):
    import bsc_sim.experiments.analysis as analysis

    def refuse(*args, **kwargs):
        raise AssertionError("set up although the command should have been refused")

    monkeypatch.setattr(analysis, "comparison_specs", refuse)


def test_yaml_aliases_that_expand_hugely_are_refused_at_once(tmp_path, capsys, monkeypatch):
    """Item 4: nine levels of aliases ("billion laughs") took minutes and hundreds of MB."""
    from bsc_sim import ParamError
    from bsc_sim.datafiles import load_yaml
    from bsc_sim.experiments.cli import cmd_compare

    with pytest.raises(ParamError, match="aliases expand to more than"):
        load_yaml(_laughs(9), "designs: 'lol.yaml'")
    assert load_yaml("a: &x [1, 2]\nb: *x\n", "x") == {"a": [1, 2], "b": [1, 2]}  # a few aliases are fine
    bomb = tmp_path / "lol.yaml"
    bomb.write_text("defaults: [bsc]\n" + _laughs(6))
    _no_setup(monkeypatch)
    assert cmd_compare(_store_args(tmp_path / "out", str(bomb))) == 2
    assert "aliases" in _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_a_huge_design_file_or_description_is_refused(tmp_path, capsys, monkeypatch):
    """Item 8: a 50 MB description became a 50 MB report."""
    from bsc_sim.experiments.cli import cmd_compare

    _no_setup(monkeypatch)
    long = tmp_path / "long.yaml"
    long.write_text("defaults: [bsc]\ndescription: " + "word " * 1000 + "\n")
    huge = tmp_path / "huge.yaml"
    huge.write_text("defaults: [bsc]\ndescription: " + "x" * 2_000_000 + "\n")
    for path, fragment in ((long, "description is 4,999 characters"), (huge, "bytes, more than")):
        assert cmd_compare(_store_args(tmp_path / "out", str(path))) == 2
        err = _one_line(capsys)
        assert fragment in err and len(err) < 400, err
    assert not (tmp_path / "out").exists()


def test_a_cross_of_thousands_states_its_size_and_is_refused_unless_confirmed(tmp_path, capsys, monkeypatch):
    """Item 5: cross= of 10,000 combinations sat in set-up with no output."""
    from bsc_sim.experiments.cli import cmd_compare

    _no_setup(monkeypatch)
    cross = "{pdsa.obs_noise_sd: [%s], turnover.annual_rate_mean: [%s]}" % (
        ",".join(f"0.{i:02d}" for i in range(1, 100)), ",".join(f"0.{i:02d}" for i in range(1, 100)))
    args = [*_store_args(tmp_path / "out", "bsc"), f"cross={cross}"]
    assert cmd_compare(args) == 2
    err = _one_line(capsys)
    assert "9,801 designs x 2 replications = 19,602 runs" in err and "max_designs=9801" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(AssertionError, match="set up"):  # confirmed: it goes on to set them up
        cmd_compare([*args, "max_designs=9801"])


@pytest.mark.parametrize("variant, fragment", [
    ("bsc+design=coach", "design cannot be changed in a variant"),
    ("bsc+collaborative.n_sessions=3+collaborative.n_sessions=4", "collaborative.n_sessions is set twice"),
])
def test_a_variant_may_not_swap_its_design_or_repeat_a_key(tmp_path, capsys, monkeypatch, variant, fragment):
    """Item 6: bsc+design=coach ran coach under the bsc label."""
    from bsc_sim.experiments.cli import cmd_compare

    _no_setup(monkeypatch)
    assert cmd_compare(_store_args(tmp_path / "out", variant)) == 2
    assert fragment in _one_line(capsys)
    assert not (tmp_path / "out").exists()


def test_discover_refuses_a_state_against_one_cohort(tmp_path, capsys, monkeypatch):
    """Item 7: discover designs=bsc,statewide compared a state with one cohort."""
    import bsc_sim.experiments.worker as worker
    from bsc_sim.analysis.discover import cmd_discover

    def refuse(*args, **kwargs):
        raise AssertionError("ran although refused")

    monkeypatch.setattr(worker, "run_sim", refuse)
    out = tmp_path / "out"
    assert cmd_discover(["designs=statewide,bsc", "n=4", "replications=1", f"out_dir={out}", "executor=serial",
                         "progress=false"]) == 2
    assert "statewide system" in _one_line(capsys)
    assert not out.exists()


# -- 10. a full disk: one line naming the path, exit 2, data safe ------------------------------------
def _enospc(path="x"):
    import errno

    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_a_full_disk_during_run_is_one_line_and_keeps_the_earlier_run(tmp_path, capsys, monkeypatch):
    import pandas as pd

    from bsc_sim.cli import main

    out = tmp_path / "R"
    assert main([*RUN, "seed=1", f"out_dir={out}"]) == 0
    before = _tree(out)

    def full(self, path, *args, **kwargs):
        raise _enospc(path)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    capsys.readouterr()
    assert main([*RUN, "seed=2", "--overwrite", f"out_dir={out}"]) == 2
    err = _one_line(capsys)
    assert "No space left on device" in err and "timeseries.parquet" in err
    assert _tree(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["R"]


def test_a_full_disk_reported_without_a_file_name_is_named_by_the_file_being_written(tmp_path, capsys,
                                                                                    monkeypatch):
    """Pillow raises ``[Errno 28] No space left on device`` with no file name when a PNG does not fit
    (seen on a 120 KiB tmpfs); the one line still names the file, and nothing is left behind."""
    import errno

    import matplotlib.figure

    from bsc_sim.cli import main

    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))    # no file name, as Pillow's

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    out = tmp_path / "R"
    assert main([*RUN, "seed=1", f"out_dir={out}"]) == 2
    err = _one_line(capsys)
    assert "No space left on device" in err and str(out / "adoption.png") in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["checkpoint", "analysis"])
def test_a_full_disk_during_compare_is_one_line_and_resumes(store_template, tmp_path, capsys, monkeypatch, where):
    import matplotlib.figure

    import bsc_sim.experiments.store as store_module
    from bsc_sim.cli import main

    out = tmp_path / "S"
    if where == "checkpoint":
        def full(path, df):
            raise _enospc(path)

        monkeypatch.setattr(store_module, "_write_parquet", full)
    else:
        def full(self, path, *args, **kwargs):
            raise _enospc(path)

        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    assert main(["compare", *_store_args(out, "bsc")]) == 2
    err = _one_line(capsys)
    assert "No space left on device" in err and str(out) in err
    monkeypatch.undo()
    assert main(["compare", *_store_args(out, "bsc")]) == 0  # room again: it finishes
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"),
                                  pd.read_parquet(store_template / "results.parquet"))


# -- 11. damaged stores: self-repair, or one line -------------------------------------------------
@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_damaged_or_missing_part_is_run_again(store_template, tmp_path, capsys, damage):
    import pandas as pd

    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    part = store / "parts" / "curves-000000.parquet"
    if damage == "corrupt":
        part.write_bytes(b"PAR1 not really")
    else:
        part.unlink()
    assert cmd_compare(_store_args(store, "bsc")) == 0
    captured = capsys.readouterr()
    assert "damaged or missing part" in captured.err and "2 runs are run again" in captured.err
    for table in ("results", "curves"):
        pd.testing.assert_frame_equal(pd.read_parquet(store / f"{table}.parquet"),
                                      pd.read_parquet(store_template / f"{table}.parquet"))


def test_a_manifest_that_is_not_bsc_sims_is_one_line(store_template, tmp_path, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    store = _copy_store(store_template, tmp_path / "S")
    (store / "manifest.json").write_text('{"r": 3}')
    before = _tree(store)
    assert cmd_compare(_store_args(store, "bsc")) == 2
    assert "manifest.json" in _one_line(capsys)
    assert _tree(store) == before


def test_a_design_override_that_is_not_a_name_is_one_line(tmp_path, capsys):
    """Found by the property tests: run design=1e+3 was a ValueError traceback from Hydra."""
    from bsc_sim.cli import main

    assert main([*RUN, "design=1e+3", f"out_dir={tmp_path / 'R'}"]) == 2
    assert "design = '1e+3': unknown design" in _one_line(capsys)
    assert not (tmp_path / "R").exists()


# -- 12. optimize is reproducible under interruption and extension ----------------------------------
OPT_SEARCH = ["budget=50000", "replications=1", "confirm_replications=2", "levers=[sessions,modality,coaching]",
              "cohort.n_programs=2", "followup_weeks=8"]


def _trials(out: Path):
    import pandas as pd

    return pd.read_csv(out / "trials.csv").drop(columns="seconds")


def test_optimize_extended_or_interrupted_gives_the_uninterrupted_trials(tmp_path):
    import pandas as pd

    from bsc_sim.analysis import optimize as opt
    from bsc_sim.analysis.optimize_cli import cmd_optimize

    whole, extended, killed = tmp_path / "whole", tmp_path / "extended", tmp_path / "killed"
    assert cmd_optimize([*OPT_SEARCH, "trials=4", f"out_dir={whole}"]) == 0
    assert cmd_optimize([*OPT_SEARCH, "trials=2", f"out_dir={extended}"]) == 0
    assert cmd_optimize([*OPT_SEARCH, "trials=4", f"out_dir={extended}"]) == 0
    pd.testing.assert_frame_equal(_trials(extended), _trials(whole))
    pd.testing.assert_frame_equal(pd.read_csv(extended / "pareto.csv"), pd.read_csv(whole / "pareto.csv"))

    # A session killed during its third trial (left RUNNING in study.db), then run again.
    assert cmd_optimize([*OPT_SEARCH, "trials=2", f"out_dir={killed}"]) == 0
    spec = opt.OptimizeSpec(budget=50000, objectives=("sustained",), trials=4, replications=1, confirm_replications=2,
                            seed=0, levers=("sessions", "modality", "coaching"),
                            overrides=("cohort.n_programs=2", "followup_weeks=8"))  # the CLI default: posterior
    study = opt._open_study(spec, killed)
    study.sampler = opt._sampler(spec, opt._counted(study))
    opt._suggest(study.ask(), spec.dimensions, opt.validate(spec))  # never told: as after kill -9
    assert cmd_optimize([*OPT_SEARCH, "trials=4", f"out_dir={killed}"]) == 0
    trials = _trials(killed)
    cut = trials[trials["state"] == "FAIL"]
    assert len(cut) == 1 and "interrupted" in cut["error"].iloc[0]
    done = trials[trials["state"] == "COMPLETE"].drop(columns=["trial", "error"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(done, _trials(whole).drop(columns=["trial", "error"]))


@pytest.mark.parametrize("every", ["0", "-3"])
def test_checkpoint_every_below_one_is_refused(tmp_path, capsys, monkeypatch, every):
    """Item 9 (its store part): checkpoint_every=0 was accepted (and meant the default)."""
    from bsc_sim.experiments.cli import cmd_compare

    _no_setup(monkeypatch)
    assert cmd_compare([*_store_args(tmp_path / "out", "bsc"), f"checkpoint_every={every}"]) == 2
    assert f"checkpoint_every = {every}: must be at least 1" in _one_line(capsys)
    assert not (tmp_path / "out").exists()
