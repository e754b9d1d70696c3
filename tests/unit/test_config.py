"""Hydra composition into Params: overrides, designs, and one-line errors."""

import pytest

from bsc_sim import ParamError, load_params, run_sim
from bsc_sim.config import design_names


def test_default_is_the_ccl_like_bsc():
    p = load_params()
    assert p.design == "bsc"
    assert p.cohort.n_programs == 8 and p.cohort.frac_head_start == 0.5
    assert p.collaborative.n_sessions == 3 and p.collaborative.modality == "in_person"
    assert p.collaborative.duration_weeks == 52 and p.followup_weeks == 52
    assert (p.team.n_director, p.team.n_education_manager, p.team.n_lead_teacher, p.team.n_family) == (1, 1, 1, 1)


def test_overrides_apply():
    p = load_params(["design=coach", "cohort.n_programs=20", "seed=7"])
    assert (p.design, p.cohort.n_programs, p.seed) == ("coach", 20, 7)
    assert p.coaching.enabled and not p.collaborative.enabled and not p.team.enabled


def test_issue_designs_exist():
    required = {"bsc", "bsc_virtual", "bsc_no_families", "coach", "training", "business_as_usual"}
    assert required <= set(design_names())


@pytest.mark.parametrize("design", design_names())
def test_every_design_loads_and_runs(design):
    system = load_params([f"design={design}"]).system.enabled
    size = "system.n_programs=3" if system else "cohort.n_programs=3"  # a state's size is its own
    p = load_params([f"design={design}", size])
    assert p.design == design
    result = run_sim(p, seed=1)
    assert result.summary["n_programs"] == 3


def test_virtual_and_no_family_designs_change_only_their_lever():
    base, virtual, nofam = (load_params([f"design={d}"]) for d in ("bsc", "bsc_virtual", "bsc_no_families"))
    assert virtual.collaborative.modality == "virtual" and virtual.team == base.team
    assert nofam.team.n_family == 0 and nofam.collaborative == base.collaborative


def test_a_practice_can_be_added_with_defaults_for_unset_fields():
    p = load_params(["+practices.breathing={level: classroom, effect: 0.5}"])
    assert p.practices["breathing"].effect == 0.5 and p.practices["breathing"].complexity == 0.5
    assert len(p.practices) == 6


def test_practices_can_be_removed_and_edited():
    p = load_params(["~practices.home_feelings_talk", "practices.emotion_coaching.effect=0.9"])
    assert "home_feelings_talk" not in p.practices
    assert p.practices["emotion_coaching"].effect == 0.9


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("cohort.n_programs=-2", "cohort.n_programs = -2"),
        ("cohort.n_program=5", "cohort.n_program: unknown key (value '5'); did you mean cohort.n_programs?"),
        ("design=nonexistent", "design/nonexistent"),
        ("pdsa.obs_noise_sd=-1", "pdsa.obs_noise_sd = -1"),
        ("spread.p_spontaneous=2", "spread.p_spontaneous = 2"),
        ("collaborative.prework_weeks=-1", "collaborative.prework_weeks = -1"),
        ("+cohort.extra=1", "+cohort.extra: only single practices may be added"),
        ("practices.new_one.effect=0.5", "unknown practice 'new_one'"),
        ("seed=abc", "seed = 'abc': expected an integer"),
    ],
)
def test_bad_overrides_give_one_line_errors(override, fragment):
    with pytest.raises(ParamError) as info:
        load_params([override])
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("override", "fragment"), [
    ("disruption.base_weekly=1.5", "disruption.base_weekly = 1.5"),
    ("learning.momentum_half_life_weeks=0", "learning.momentum_half_life_weeks = 0"),
    ("sustain.culture_feedback=-1", "sustain.culture_feedback = -1"),
    ("pdsa.max_fit=-0.5", "pdsa.max_fit = -0.5"),
    ("learning.virtual_tie_factor=2", "learning.virtual_tie_factor = 2"),
    ("disruption.mean_weeks=0.5", "disruption.mean_weeks = 0.5"),
])
def test_new_mechanism_parameters_are_checked_with_one_line_naming_key_and_value(override, fragment):
    from bsc_sim import ParamError, load_params

    with pytest.raises(ParamError) as info:
        load_params([override])
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_a_composition_is_remembered_only_while_nothing_it_read_changes(tmp_path, monkeypatch):
    """compose_config() reuses a config composed before with the same overrides, unless a config
    file changed (even to a value of the same length), and never hands out its own copy."""
    import shutil

    import bsc_sim.config as config

    root = tmp_path / "configs"
    shutil.copytree(config.config_dir(), root)
    monkeypatch.setattr(config, "config_dir", lambda: root)
    calls = []
    real_register = config._register_base
    monkeypatch.setattr(config, "_register_base", lambda: (calls.append(1), real_register()))

    first = config.compose_config(["design=coach"])
    first["cohort"]["n_programs"] = 999                      # the caller's copy, not the cache's
    again = config.compose_config(["design=coach"])
    assert len(calls) == 1 and again["cohort"]["n_programs"] != 999
    coach = root / "design" / "coach.yaml"
    text = coach.read_text()
    assert "design: coach" in text
    coach.write_text(text.replace("design: coach", "design: coaxh"))   # same length, new content
    assert config.compose_config(["design=coach"])["design"] == "coaxh" and len(calls) == 2
    assert load_params(["design=coach", "cohort.n_programs=3"]).cohort.n_programs == 3


def _copied_configs(tmp_path, monkeypatch):
    import shutil

    import bsc_sim.config as config

    root = tmp_path / "configs"
    shutil.copytree(config.config_dir(), root)
    monkeypatch.setattr(config, "config_dir", lambda: root)
    monkeypatch.setenv(config.CACHE_ENV, str(tmp_path / "cache"))
    return config, root


def test_a_composition_kept_on_disk_is_used_without_hydra_and_never_when_stale(tmp_path, monkeypatch):
    """A later process (here: the memory cleared) gets the same config from disk without composing;
    after a config file changes it composes again; a damaged file is ignored; `none` keeps nothing."""
    config, root = _copied_configs(tmp_path, monkeypatch)
    composed = []
    real = config._compose
    monkeypatch.setattr(config, "_compose", lambda overrides: (composed.append(list(overrides)), real(overrides))[1])
    overrides = ["design=coach", "cohort.n_programs=3", "collaborative.modality=virtual"]
    first = config.compose_config(overrides)
    assert composed == [overrides] and len(list((tmp_path / "cache" / "compose").glob("*.json"))) == 1
    config._COMPOSED.clear()
    again = config.compose_config(overrides)
    assert len(composed) == 1 and config._same(again, first)            # from disk, the same types too
    coach = root / "design" / "coach.yaml"
    coach.write_text(coach.read_text().replace("design: coach", "design: coaxh"))
    config._COMPOSED.clear()
    assert config.compose_config(overrides)["design"] == "coaxh" and len(composed) == 2
    for kept in (tmp_path / "cache" / "compose").glob("*.json"):
        kept.write_text(kept.read_text()[:-20])                          # cut short: not JSON any more
    config._COMPOSED.clear()
    assert config._same(config.compose_config(overrides), config._compose(overrides)) and len(composed) == 4
    monkeypatch.setenv(config.CACHE_ENV, "none")
    config._COMPOSED.clear()
    config.compose_config(["design=training"])
    assert config.cache_dir() is None and len(composed) == 5


def test_pruning_the_kept_compositions_deletes_only_files_the_cache_named(tmp_path, monkeypatch):
    """Past its size the cache drops its oldest compositions, never a file of someone else's that
    happens to sit in its folder (nor what a link there points to)."""
    config, _ = _copied_configs(tmp_path, monkeypatch)
    folder = tmp_path / "cache" / "compose"
    folder.mkdir(parents=True)
    theirs = folder / "notes.json"
    theirs.write_text("{}")
    outside = tmp_path / "precious.json"
    outside.write_text("{}")
    link = folder / ("a" * 64 + ".json")
    link.symlink_to(outside)
    monkeypatch.setattr(config, "_CACHE_MAX_FILES", 0)
    config._COMPOSED.clear()
    config.compose_config(["design=coach", "cohort.n_programs=2"])
    assert theirs.exists() and outside.exists() and link.is_symlink()
    assert not [p for p in folder.glob("*.json") if p not in (theirs, link)]   # its own file was pruned


@pytest.mark.parametrize("value", ["outputs/coach20", "/tmp/a-b.c/d", "./out", "out", "a.b-c", "Null2", "e5",
                                   "8GiB", "500MB", "none", "null", "true", "1e3", "12", "'quoted'", "inf"])
def test_run_settings_set_after_composing_equal_hydras_reading(tmp_path, monkeypatch, value):
    """out_dir and memory_limit with plain values are set after composing (a new out_dir needs no new
    composition); the result equals Hydra's own reading of the override, types included."""
    config, _ = _copied_configs(tmp_path, monkeypatch)
    for key in ("out_dir", "memory_limit"):
        overrides = ["design=coach", f"{key}={value}"]
        hydra_reading = config._compose(overrides)
        config._COMPOSED.clear()
        assert config._same(config.compose_config(overrides), hydra_reading)
    model, settings = config._split_settings(["out_dir=outputs/x", "seed=3"])
    assert model == ["seed=3"] and settings == {"out_dir": "outputs/x"}
    assert config._split_settings(["out_dir=a/b", "out_dir=c/d"]) == (["out_dir=a/b", "out_dir=c/d"], {})


def test_without_a_home_directory_configs_are_composed_as_ever(tmp_path, monkeypatch):
    """No cache directory can be found (no $HOME, no setting): nothing is kept, nothing fails."""
    from pathlib import Path

    config, _ = _copied_configs(tmp_path, monkeypatch)
    monkeypatch.delenv(config.CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert config.compose_config(["design=coach", "seed=4"])["seed"] == 4
