"""The browser view without a browser: levers -> parameters, the view model, the serve command."""

from __future__ import annotations

import numpy as np
import pytest

from bsc_sim import load_params
from bsc_sim.viz import cmd_viz, solara_command
from bsc_sim.viz.assets import required_packages
from bsc_sim.viz.viewmodel import (
    MAX_SESSIONS,
    TEAM_DESIGNS,
    BSCVizModel,
    default_levers,
    lever_inputs,
    lever_overrides,
)

LEVERS = dict(n_sessions=3, modality="in_person", team="all levels + family", turnover=0.25, data_capacity=0.4,
              leadership=0.6, n_programs=8)


def test_levers_reach_the_real_parameter_names():
    p = load_params(lever_overrides(**{**LEVERS, "modality": "virtual", "turnover": 0.4, "data_capacity": 0.7,
                                       "leadership": 0.3, "n_programs": 5, "team": "teachers only"}))
    assert p.collaborative.modality == "virtual" and p.turnover.annual_rate_mean == 0.4
    assert p.readiness.data_capacity_mean == 0.7 and p.readiness.leadership_support_mean == 0.3
    assert p.cohort.n_programs == 5 and p.team == load_params(["design=bsc_teachers_only"]).team


@pytest.mark.parametrize("n", range(MAX_SESSIONS + 1))
def test_every_session_count_fits_in_the_collaborative(n):
    p = load_params(lever_overrides(**{**LEVERS, "n_sessions": n}))
    c = p.collaborative
    assert c.n_sessions == n
    assert n < 2 or c.prework_weeks + (n - 1) * c.session_spacing_weeks < c.duration_weeks


def test_defaults_follow_the_base_config():
    assert default_levers() == {**LEVERS, "seed": 0}
    base = default_levers(["design=bsc_virtual", "cohort.n_programs=12", "seed=3"])
    assert base["modality"] == "virtual" and base["n_programs"] == 12 and base["seed"] == 3
    assert default_levers(["design=business_as_usual"])["team"] == "as configured"
    inputs = lever_inputs(base)
    assert inputs["n_programs"]["value"] == 12 and inputs["modality"]["type"] == "Select"
    assert set(inputs) == set(base)


def test_view_model_steps_collects_and_resets_like_solaraviz():
    model = BSCVizModel(**LEVERS, seed="4", base=[])
    assert model.week == 0 and model.seed == 4
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df.columns) == list(model.params.practices) and len(df) == 1
    for _ in range(60):
        model.step()
    assert model.week == 60 and len(model.datacollector.get_model_vars_dataframe()) == 61
    assert model.progress().shape == (8,) and ((model.progress() >= 1) & (model.progress() <= 5)).all()
    assert model.cross_ties().shape[1] == 2 and model.positions.shape == (len(model.pop.staff.role), 2)
    assert "3 learning sessions" in model.describe_levers()
    again = type(model)(**model.levers, base=[])  # what Reset does
    assert again.week == 0 and np.array_equal(again.positions, model.positions)
    with pytest.raises(ValueError, match="seed"):
        BSCVizModel(seed="abc", base=[])


@pytest.mark.parametrize("team", list(TEAM_DESIGNS))
def test_every_team_choice_runs(team):
    model = BSCVizModel(**{**LEVERS, "team": team, "n_programs": 2}, base=[])
    model.run()
    assert model.finished and not model.running


def test_serve_command_and_errors(capsys):
    cmd = solara_command("127.0.0.1", 8999)
    assert cmd[1:4] == ["-m", "solara", "run"] and "bsc_sim.viz.app" in cmd and "--production" in cmd
    assert cmd[cmd.index("--port") + 1] == "8999" and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    with pytest.raises(SystemExit) as exc:
        cmd_viz(["--help"])
    assert exc.value.code == 0 and "--port" in capsys.readouterr().out
    assert cmd_viz(["cohort.n_progrms=3"]) == 2  # refused before any server starts
    assert "unknown key" in capsys.readouterr().err


def test_frontend_packages_are_read_from_solara():
    packages = required_packages()
    assert any("solara-vuetify" in p for p in packages) and "requirejs@2.3.6" in packages


def test_app_module_imports():
    app = pytest.importorskip("bsc_sim.viz.app")
    assert callable(app.Page)
