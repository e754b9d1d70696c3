"""Strict conversion of nested mappings into the typed parameter dataclasses."""

import dataclasses

import pytest

from bsc_sim import ParamError, Params
from bsc_sim.paramtools import iter_fields, to_dict


def test_defaults_roundtrip_through_dict():
    p = Params()
    assert Params.from_dict(to_dict(p)) == p


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"cohort": {"n_programs": -3}}, "cohort.n_programs = -3: must be >= 1"),
        ({"cohort": {"n_progams": 3}}, "cohort.n_progams: unknown key (value 3)"),
        ({"spread": {"p_threshold": 1.2}}, "spread.p_threshold = 1.2: must be <= 1.0"),
        ({"spread": {"p_threshold": "high"}}, "spread.p_threshold = 'high': expected a number"),
        ({"team": {"n_family": 1.5}}, "team.n_family = 1.5: expected an integer"),
        ({"team": {"enabled": "yes"}}, "team.enabled = 'yes': expected true or false"),
        ({"collaborative": {"modality": "hybrid"}}, "collaborative.modality = 'hybrid': must be one of in_person, virtual"),
        ({"practices": {"x": {"level": "home"}}}, "practices.x.level = 'home': must be one of"),
        ({"practices": {"x": {"effect": -0.1}}}, "practices.x.effect = -0.1: must be >= 0.0"),
        ({"collaborative": {"duration_weeks": 0}}, "collaborative.duration_weeks = 0: must be >= 1"),
        ({"_target_": "os.system"}, "_target_: unknown key"),
    ],
)
def test_bad_values_name_key_and_value(data, fragment):
    with pytest.raises(ParamError) as info:
        Params.from_dict(data)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_cross_field_check_sessions_must_fit():
    with pytest.raises(ParamError, match="collaborative.n_sessions = 4"):
        Params.from_dict({"collaborative": {"n_sessions": 4, "session_spacing_weeks": 20}})


def test_thresholds_must_be_ordered():
    with pytest.raises(ParamError, match="pdsa.abandon_threshold"):
        Params.from_dict({"pdsa": {"abandon_threshold": 0.7, "adopt_threshold": 0.6}})


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(ParamError, match="must be a finite number"):
        Params.from_dict({"turnover": {"vacancy_weeks_mean": value}})


def test_objects_built_in_python_are_checked_too():
    from bsc_sim.params import CollaborativeParams, SpreadParams

    with pytest.raises(ParamError, match=r"SpreadParams.p_threshold = 7.0: must be <= 1.0"):
        SpreadParams(p_threshold=7.0)
    with pytest.raises(ParamError, match="CollaborativeParams.modality = 'hybrid'"):
        CollaborativeParams(modality="hybrid")  # type: ignore[arg-type]
    with pytest.raises(ParamError):
        Params().replace(spread=SpreadParams(p_threshold=-0.5))


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Params().cohort.n_programs = 3  # type: ignore[misc]


def test_every_parameter_has_unit_source_and_meaning():
    missing = [k for k, _, m in iter_fields(Params) if not (m.get("unit") and m.get("source") and m.get("doc"))]
    assert missing == []


def test_integers_from_yaml_floats_are_accepted_only_when_whole():
    assert Params.from_dict({"cohort": {"n_programs": 12.0}}).cohort.n_programs == 12
