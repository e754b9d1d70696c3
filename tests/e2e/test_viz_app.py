"""The browser view without a browser: levers -> parameters, the view models and their readouts,
the player's pace, the serve command (a busy port) and the pictures."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bsc_sim import load_params
from bsc_sim.model.outcomes import summarize
from bsc_sim.viz import cmd_viz, solara_command
from bsc_sim.viz.assets import required_packages
from bsc_sim.viz.viewmodel import (
    MAX_SESSIONS,
    TEAM_DESIGNS,
    BSCVizModel,
    DesignVizModel,
    default_levers,
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
    assert n < 2 or c.prework_weeks + (n - 1) * c.session_spacing_weeks < c.duration_weeks - 1   # before the congress


def test_defaults_follow_the_base_config():
    assert default_levers() == {**LEVERS, "seed": 0}
    base = default_levers(["design=bsc_virtual", "cohort.n_programs=12", "seed=3"])
    assert base["modality"] == "virtual" and base["n_programs"] == 12 and base["seed"] == 3
    assert default_levers(["design=business_as_usual"])["team"] == "as configured"


def test_view_model_steps_reads_and_resets():
    model = BSCVizModel(**LEVERS, seed="4", base=[])
    assert model.week == 0 and model.seed == 4
    assert model.weekly().empty and model.headline().reached_now is None
    for _ in range(60):
        model.step()
    weekly = model.weekly()
    assert model.week == 60 and len(weekly) == 60 and weekly["cost_so_far"].is_monotonic_increasing
    assert len(model.practice_use()) == 60 * len(model.params.practices)
    assert model.progress().shape == (8,) and ((model.progress() >= 1) & (model.progress() <= 5)).all()
    assert model.cross_ties().shape[1] == 2 and model.layout.staff.shape == (len(model.pop.staff.role), 2)
    picture = model.picture()
    assert picture["family_home"].shape == (len(model.pop.families.program),)
    assert "3 learning sessions (in person" in model.describe_levers() and "in_person" not in model.describe_levers()
    again = type(model)(**model.levers, base=[])  # what Reset does
    assert again.week == 0 and np.array_equal(again.layout.staff, model.layout.staff)
    with pytest.raises(ValueError, match="seed"):
        BSCVizModel(seed="abc", base=[])


def test_headline_equals_the_summary_at_the_end():
    model = BSCVizModel(**LEVERS, seed=2, base=[])
    end = model.calendar.end_week
    while model.week <= end:
        assert model.headline().reached_at_end is None and model.headline().sustained is None
        model.step()
    model.run()
    h, summary = model.headline(), summarize(model)
    assert h.week == h.horizon == 104 and h.phase == "end of follow-up"
    assert h.share(h.reached_at_end) == pytest.approx(summary["frac_classrooms_reached_end"])
    assert h.share(h.sustained) == pytest.approx(summary["frac_classrooms_sustained_followup"])
    assert h.share(h.reached_now) == pytest.approx(summary["frac_classrooms_reached_followup"])
    assert h.cost_so_far == pytest.approx(summary["cost_total"])
    weekly = model.weekly()
    assert weekly["frac_families_home_use"].iloc[end] == pytest.approx(summary["frac_families_home_use_end"])
    assert weekly["frac_frontline_fidelity"].iloc[end] == pytest.approx(summary["frac_frontline_fidelity_end"])


def test_designs_side_by_side_share_their_cohort():
    a, b = DesignVizModel("bsc", 3, base=[]), DesignVizModel("coach", 3, base=[])
    assert a.label == "BSC (default)" and b.label == "coach"
    np.testing.assert_array_equal(a.pop.staff.program, b.pop.staff.program)  # common random numbers
    np.testing.assert_array_equal(a.layout.families, b.layout.families)
    for _ in range(20):
        a.step()
        b.step()
    assert a.calendar_marks()["session_weeks"] and not b.calendar_marks()["session_weeks"]
    assert b.calendar_marks()["visit_weeks"]  # the coach's visits are marked instead
    assert a.headline().cost_so_far != b.headline().cost_so_far


def test_play_clock_keeps_the_pace_however_long_frames_take():
    from bsc_sim.viz.controls import SPEEDS, PlayClock

    clock = PlayClock(weeks_per_second=5.0, start_week=0, start_time=100.0)
    assert clock.weeks_due(week=0, now=100.0) == 1
    assert clock.wait(week=1, now=100.01) == pytest.approx(0.19)
    assert clock.weeks_due(week=1, now=100.9) == 4  # drawing was slow: catch up to week 5
    assert clock.wait(week=5, now=100.9) == pytest.approx(0.1)
    assert clock.wait(week=5, now=101.5) == 0.0
    # simulated play with frames that take 0.35 s to draw: the last week is due at 103 / speed s and
    # shown one or two frames later, whatever the speed; at the slow speed no week is skipped
    for speed in SPEEDS.values():
        clock, now, week, frames = PlayClock(speed, 0, 0.0), 0.0, 0, 0
        while week < 104:
            week = min(104, week + clock.weeks_due(week, now))
            now += 0.35
            frames += 1
            if week < 104:
                now += clock.wait(week, now)
        assert now <= 103 / speed + 2 * 0.35
        assert frames == 104 if 1 / speed > 0.35 else frames < 104


def test_busy_port_is_one_line_and_exit_2(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cmd_viz(["--port", str(port), "--no-fetch-assets"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"port {port}" in err[0] and "--port" in err[0]


@pytest.mark.parametrize("team", list(TEAM_DESIGNS))
def test_every_team_choice_runs(team):
    model = BSCVizModel(**{**LEVERS, "team": team, "n_programs": 2}, base=[])
    model.run()
    assert model.finished and not model.running


def test_serve_command_and_errors(capsys):
    cmd = solara_command("127.0.0.1", 8999)
    assert cmd[1:3] == ["-m", "bsc_sim.viz.child"] and cmd[4] == "run" and "--production" in cmd
    assert cmd[3] == str(os.getpid()) and "bsc_sim.viz.app" in cmd
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


def test_configs_compose_from_many_threads_at_once():
    """Two browser sessions compose configs in two threads; Hydra's global state must not be shared
    unsafely (before the lock: 'GlobalHydra is already initialized')."""
    import threading

    from bsc_sim.config import compose_config

    errors, results = [], []
    start = threading.Barrier(6)

    def compose(i: int) -> None:
        start.wait()
        try:
            for j in range(4):
                results.append(compose_config([f"seed={10 * i + j}", "design=coach" if i % 2 else "design=bsc"]))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=compose, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r["seed"] for r in results) == sorted(10 * i + j for i in range(6) for j in range(4))


@pytest.mark.parametrize("design", ["statewide", "statewide_business_as_usual"])
def test_a_state_draws_in_the_view(design):
    """A state has family child care homes: the picture and progress panel of the view draw them."""
    from bsc_sim.viz.live import LiveNetwork
    from bsc_sim.viz.panels import progress_png

    model = DesignVizModel(design, 0, base=["system.n_programs=40"])
    assert 2 in set(model.pop.programs.kind.tolist())
    live = LiveNetwork(model.layout, model.edges, model.pop.staff.program, model.pop.programs.kind, model.picture(),
                       width_px=600)
    for _ in range(3):
        model.step()
    assert live.png(model.picture())[:4] == b"\x89PNG"
    assert progress_png(tuple(int(x) for x in model.progress()), tuple(model.pop.programs.kind), 600, 200)[:4] \
        == b"\x89PNG"


def test_subtitle_says_same_cohort_only_when_it_is():
    app = pytest.importorskip("bsc_sim.viz.app")
    bsc, coach = DesignVizModel("bsc", 0, base=[]), DesignVizModel("coach", 0, base=[])
    large = DesignVizModel("bsc_large_cohort", 0, base=[])
    assert bsc.same_cohort(coach) and not bsc.same_cohort(large)
    assert "same cohort" in app._subtitle((bsc, coach), app.TWO)
    text = app._subtitle((bsc, large), app.TWO)
    assert "same cohort" not in text and "different cohorts" in text
    assert f"{bsc.pop.classroom_program.size} classrooms" in text and f"{large.pop.classroom_program.size} classrooms" in text


def test_cost_axis_has_distinct_ticks_before_anything_is_spent():
    from bsc_sim.viz.live import LiveChart
    from bsc_sim.viz.panels import design_series

    models = [DesignVizModel(d, 0, base=[]) for d in ("bsc", "coach")]
    chart = LiveChart(design_series(models, "cost_so_far"), 104, [], unit="money", width_px=600, height_px=300)
    chart.png([m.weekly() for m in models], 0)
    labels = [t.get_text() for t in chart.ax.get_yticklabels() if t.get_text()]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels


def test_a_state_in_the_view_is_regions_by_waves():
    """A state is shown as regions x waves; the cells add up to the enrolled programmes, and the
    headline's reach equals the recorded reach."""
    from bsc_sim.viz import readout
    from bsc_sim.viz.live import LiveState

    model = BSCVizModel(base=["design=statewide", "system.n_programs=300"])
    assert model.is_state and not DesignVizModel("bsc", 0, base=[]).is_state
    cells = model.state_cells()
    assert set(cells["status"]) == {readout.PLANNED} or model.schedule.cohort_planned.min() == 0
    for _ in range(60):
        model.step()
    cells, outside = model.state_cells(), model.state_outside()
    enrolled = int((model.schedule.program_cohort >= 0).sum())
    assert cells["n_programs"].sum() == enrolled and outside["n_programs"].sum() == 300 - enrolled
    h = model.state_headline()
    rec = model.components["measure"]
    assert h.reached_now == int(rec.n_rooms_reached[59].sum()) == cells["reached"].sum() + outside["reached"].sum()
    assert h.n_started == int((model.schedule.cohort_start <= 59).sum())
    live = LiveState(cells, outside, model.schedule.n_regions, width_px=500)
    assert live.png(cells, outside)[:4] == b"\x89PNG"


def test_a_state_is_described_as_a_state():
    model = BSCVizModel(base=["design=statewide", "system.n_programs=300"])
    text = model.describe_levers()
    regions = model.params.system.n_regions
    assert f"a state of 300 programmes in {regions} regions" in text and f"· {LEVERS['n_programs']} programmes" not in text
