"""The study shared by calibrate, optimize and plan (``bsc_sim.analysis.optuna_study``): resuming,
refusing another search's or a damaged study.db untouched, interrupted trials, the tally of trials,
seeded proposals and the out_dir checks. No model runs: the studies here are asked directly."""

import json

import optuna
import pytest
from optuna.trial import TrialState

from bsc_sim.analysis import optuna_study as S
from bsc_sim.config import load_params
from bsc_sim.paramtools import ParamError

NAME = "test_study"


def _identity(**changes):
    return json.dumps({"seed": 0, "budget": 100.0, **changes}, sort_keys=True)


def test_a_study_resumes_with_the_same_settings_and_refuses_others_untouched(tmp_path):
    out = tmp_path / "dir with ?, % and #{x}"  # URL syntax in the path must not matter
    out.mkdir()
    assert S.load_study(out, NAME, _identity(), "search") is None
    study = S.open_study(out, NAME, _identity(), "search", directions=["minimize"])
    study.tell(study.ask(), 1.0)
    assert study.user_attrs["spec"] == _identity()
    again = S.open_study(out, NAME, _identity(), "search", directions=["minimize"])
    assert [t.state for t in again.trials] == [TrialState.COMPLETE]
    before = (out / S.STUDY_FILE).read_bytes()
    with pytest.raises(ParamError, match=r"holds a search with another budget \(100.0\); use another out_dir"):
        S.open_study(out, NAME, _identity(budget=200.0), "search", directions=["minimize"])
    with pytest.raises(ParamError, match="holds a calibration with other targets; use"):
        S.load_study(out, NAME, _identity(seed=1), "calibration", other="other targets")
    assert (out / S.STUDY_FILE).read_bytes() == before
    assert S.load_study(out, "another_name", _identity(), "search") is None  # a database without this study


def test_a_damaged_study_db_is_one_line_and_kept(tmp_path):
    junk = b"not a database" * 50
    (tmp_path / S.STUDY_FILE).write_bytes(junk)
    with pytest.raises(ParamError) as err:
        S.open_study(tmp_path, NAME, _identity(), "plan", directions=["minimize"])
    assert len(str(err.value).splitlines()) == 1
    assert "study.db cannot be read" in str(err.value) and "start a new plan" in str(err.value)
    assert (tmp_path / S.STUDY_FILE).read_bytes() == junk


@pytest.mark.parametrize("mark", [True, False])
def test_interrupted_trials_are_failed_and_marked_so_they_do_not_count(tmp_path, mark):
    study = S.open_study(tmp_path, NAME, _identity(), "search", directions=["minimize"])
    study.tell(study.ask(), 1.0)
    study.ask()  # never told: as after kill -9
    assert S.counted(study) == 2
    S.fail_interrupted(study, mark=mark, error="cut short" if mark else None)
    trials = S.load_study(tmp_path, NAME, _identity(), "search").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert S.counted(study) == (1 if mark else 2)
    assert trials[1].user_attrs == ({S.INTERRUPTED: True, "error": "cut short"} if mark else {})


def test_the_tally_counts_trials_across_sessions_and_refuses_a_failing_search():
    study = optuna.create_study()
    study.tell(study.ask(), 0.5)
    tally = S.TrialTally(study, wanted=12, setting="levers")
    assert (tally.complete, tally.new, tally.failed, tally.missing) == (1, 0, 0, 11)
    tally.tell(study.ask(), 0.25)
    assert (tally.complete, tally.new, tally.missing) == (2, 1, 10)
    asked = []
    for i in range(12):  # max(10, wanted) failures are tolerated, one more is not
        tally.fail(study.ask(), S.error_text(ValueError(f"bad {i}")))
        tally.refuse_if_failing(lambda: asked.append(1) or "never shown")
    assert asked == [] and tally.failed == 12
    tally.fail(study.ask(), "x")
    with pytest.raises(ParamError, match=r"^levers: 13 trials failed, last with: ValueError: bad 11$"):
        tally.refuse_if_failing(lambda: study.trials[-2].user_attrs["error"])
    assert study.trials[-2].state == TrialState.FAIL and tally.complete == 2


def test_the_sampler_proposes_from_its_seed_words_alone():
    def first_point(*words):
        study = optuna.create_study(sampler=S.seeded_tpe(*words))
        return study.ask().suggest_float("x", 0.0, 1.0)

    assert first_point(3, 7) == first_point(3, 7)
    assert first_point(3, 7) != first_point(3, 8)


def test_out_dir_checks_refuse_links_and_name_foreign_files(tmp_path):
    assert S.foreign_in_study_dir(tmp_path / "new", frozenset()) is None
    out = tmp_path / "out"
    out.mkdir()
    for name in ("study.db", ".tmp-x", "notes.txt", "zeta.csv"):
        (out / name).write_text("")
    shown, foreign = S.foreign_in_study_dir(out, frozenset({"study.db"}))
    assert foreign == ["notes.txt", "zeta.csv"]
    with pytest.raises(ParamError, match=r"holds 'notes.txt' and 1 more, which bsc_sim did not write; .* earlier plan's"):
        S.refuse_foreign(shown, foreign, "bsc_sim", "plan")
    S.refuse_foreign(shown, [], "bsc_sim", "plan")  # nothing foreign: no refusal
    (out / "study.db").unlink()
    (out / "study.db").symlink_to(tmp_path / "elsewhere.db")
    with pytest.raises(ParamError, match="study.db"):
        S.foreign_in_study_dir(out, frozenset({"study.db"}))


def test_run_search_runs_serially_with_the_lock_wait_and_refuses_bad_settings_first(capsys):
    calls = []

    def search(spec, out_dir, **kw):
        calls.append(kw)
        kw["log"]("one line")
        return spec

    base = load_params(["cohort.n_programs=2"])
    assert S.run_search(search, "spec", "out", {"wait": True}, base) == "spec"
    assert set(calls[0]) == {"log", "wait_for_lock"} and calls[0]["wait_for_lock"] is True
    assert capsys.readouterr().out == "one line\n"
    for bad in ({"executor": "bogus"}, {"wait": "maybe"}, {"memory_limit": "1KB"}):
        with pytest.raises(ParamError):
            S.run_search(search, "spec", "out", bad, base)
    assert len(calls) == 1


def test_a_search_command_shows_help_refuses_in_one_line_and_reports_an_interruption(capsys):
    from bsc_sim.exits import Terminated

    shown = []

    def run(argv):
        if "bad" in argv:
            raise ParamError("bad = 1: must be good")
        if "stop" in argv:
            raise KeyboardInterrupt()
        if "term" in argv:
            raise Terminated()
        return list(argv)

    def command(*argv):
        return S.search_command("demo", argv, lambda: "usage: demo", run, shown.append, kept="the trials are kept")

    assert command("--help") == 0 and capsys.readouterr().out == "usage: demo\n"
    assert command("bad") == 2 and capsys.readouterr().err == "bsc-sim demo: error: bad = 1: must be good\n"
    assert command("stop") == 130 and "the trials are kept" in capsys.readouterr().err
    assert command("term") == 143
    assert shown == []
    assert command("x=1") == 0 and shown == [["x=1"]]


@pytest.mark.parametrize("hostile", ["damaged", "link"])
def test_calibrate_refuses_a_damaged_study_db_or_a_link_in_one_line_and_keeps_them(tmp_path, capsys, hostile):
    from bsc_sim.analysis.calibrate import cmd_calibrate

    out = tmp_path / "cal"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("theirs")
    if hostile == "damaged":
        (out / S.STUDY_FILE).write_bytes(b"not a database" * 50)
    else:
        (out / "fit.csv").symlink_to(elsewhere)
    before = sorted((p.name, p.is_symlink(), p.read_bytes()) for p in out.iterdir())
    assert cmd_calibrate([f"out_dir={out}", "trials=1", "replicates=1", "cohort.n_programs=2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("bsc-sim calibrate: error: out_dir = ")
    assert ("study.db cannot be read" if hostile == "damaged" else "symbolic link") in err
    assert sorted((p.name, p.is_symlink(), p.read_bytes()) for p in out.iterdir()) == before
    assert elsewhere.read_text() == "theirs"


def test_help_text_aligns_the_settings_between_about_and_notes():
    from bsc_sim.exits import EXIT_HELP

    text = S.help_text(["usage: demo", "", "does a thing"], {"a": "first", "long_key": "second"}, ["a note"])
    assert text.splitlines() == ["usage: demo", "", "does a thing", "", "Settings:", "  a         first",
                                 "  long_key  second", "", "a note", *EXIT_HELP.splitlines()]
