"""Issue 10: configs stay data. Interpolations and YAML tags are refused in one line, from every source,
and no error message shows what an environment variable holds."""

from __future__ import annotations

import pytest

from bsc_sim import ParamError, load_params
from bsc_sim.cli import main
from bsc_sim.datafiles import load_yaml

SECRET = "s3cr3t-value-7781"


@pytest.mark.parametrize("override", [
    "cohort.selection=${oc.env:BSC_TEST_SECRET}",
    "cohort.n_programs=${oc.env:BSC_TEST_NOPE}",
    "cohort.n_programs=${cohort.n_programs}",
    "cohort.selection=!!python/object/apply:os.getcwd []",
])
def test_run_refuses_interpolations_and_tags_in_overrides(override, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BSC_TEST_SECRET", SECRET)
    out = tmp_path / "never"
    assert main(["run", override, f"out_dir={out}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and SECRET not in err
    assert ("interpolations" in err) or ("YAML tags" in err)
    assert not out.exists()


def test_experiment_commands_refuse_resolvers(tmp_path, monkeypatch, capsys):
    from bsc_sim.experiments.cli import cmd_compare

    monkeypatch.setenv("BSC_TEST_SECRET", SECRET)
    out = tmp_path / "never"
    assert cmd_compare(["designs=[bsc]", "replications=2", f"out_dir={out}",
                        "cohort.selection=${oc.env:BSC_TEST_SECRET}"]) == 2
    assert cmd_compare(["designs=[bsc]", "replications=!!python/name:os.getcwd", f"out_dir={out}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 2 and SECRET not in err
    assert not out.exists()


def test_an_experiment_file_with_a_tag_or_an_interpolated_base_is_refused(tmp_path, monkeypatch, capsys):
    from bsc_sim.experiments.cli import cmd_sweep

    monkeypatch.setenv("BSC_TEST_SECRET", SECRET)
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("parameters:\n  pdsa.obs_noise_sd: {values: !!python/object/apply:os.getcwd []}\n")
    interpolated = tmp_path / "interpolated.yaml"
    interpolated.write_text("base: ['cohort.selection=${oc.env:BSC_TEST_SECRET}']\n"
                            "parameters:\n  pdsa.obs_noise_sd: {values: [0.1, 0.2]}\n")
    for cfg in (tagged, interpolated):
        assert cmd_sweep([f"experiment={cfg}", f"out_dir={tmp_path / 'out'}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "YAML tag '!!python/object/apply:os.getcwd' on line 2" in err[0]
    assert "interpolations" in err[1] and SECRET not in "".join(err)
    assert not (tmp_path / "out").exists()


def test_a_design_file_with_a_tag_or_an_interpolation_is_refused(tmp_path, monkeypatch):
    import shutil

    import bsc_sim.config as config

    root = tmp_path / "configs"
    shutil.copytree(config.config_dir(), root)
    (root / "design" / "tagged.yaml").write_text(
        "# @package _global_\ndesign: tagged\ncohort:\n  n_programs: !!python/object/apply:os.getcwd []\n")
    (root / "design" / "interp.yaml").write_text(
        "# @package _global_\ndesign: interp\ncohort:\n  selection: ${oc.env:BSC_TEST_SECRET}\n")
    monkeypatch.setattr(config, "config_dir", lambda: root)
    monkeypatch.setenv("BSC_TEST_SECRET", SECRET)
    with pytest.raises(ParamError, match="YAML tag '!!python/object/apply:os.getcwd' on line 4") as info:
        load_params(["design=tagged"])
    assert "\n" not in str(info.value)
    with pytest.raises(ParamError, match=r"cohort.selection in .*interpolations") as info:
        load_params(["design=interp"])
    assert SECRET not in str(info.value)
    assert load_params(["design=coach"]).design == "coach"  # plain designs still load


def test_calibration_targets_with_a_tag_are_refused(tmp_path, capsys):
    from bsc_sim.analysis.calibrate import cmd_calibrate

    targets = tmp_path / "targets.yaml"
    targets.write_text("parameters: !!python/object/apply:os.getcwd []\n")
    assert cmd_calibrate([f"targets={targets}", f"out_dir={tmp_path / 'cal'}"]) == 2
    assert "YAML tag" in capsys.readouterr().err
    assert not (tmp_path / "cal").exists()


def test_load_yaml_accepts_plain_data_only():
    assert load_yaml("a: [1, 2]\nb: {c: x}\n", "t") == {"a": [1, 2], "b": {"c": "x"}}
    for text in ("a: !!binary aGVsbG8=", "a: !custom 3", "!!set {a, b}"):
        with pytest.raises(ParamError, match="YAML tag"):
            load_yaml(text, "t")
    with pytest.raises(ParamError, match="not valid YAML"):
        load_yaml("a: [1, 2", "t")
