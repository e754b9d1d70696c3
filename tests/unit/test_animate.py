"""Talk figures: the recorded run equals run_sim's, the GIF and slide figure have the expected shape."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib import animation
from PIL import Image

from bsc_sim import load_params, run_sim
from bsc_sim.cli import main
from bsc_sim.viz.animate import (
    animate_spread,
    animation_frames,
    check_animation_path,
    check_figure_path,
    record_spread,
    slide_figure,
)
from bsc_sim.viz.drawing import AT_FIDELITY, NOT_USING, USING, VACANT, node_state
from bsc_sim.viz.layout import FAMILY_RING, wheel_layout


@pytest.fixture(scope="module")
def params():
    return load_params(["cohort.n_programs=3"])


@pytest.fixture(scope="module")
def history(params):
    return record_spread(params, seed=2)


def test_recorded_run_equals_run_sim(params, history):
    result = run_sim(params, seed=2)
    assert history.matches(result.timeseries)
    ours = history.adoption()
    theirs = result.timeseries.groupby(["week", "practice"], observed=True)[["n_using", "n_fidelity"]].sum()
    last = int(result.timeseries["week"].max())
    np.testing.assert_array_equal(ours[ours["week"] == last]["n_using"].to_numpy(),
                                  theirs.loc[last]["n_using"].to_numpy())
    np.testing.assert_array_equal(history.final_progress, result.programs["progress_score"].to_numpy())
    np.testing.assert_array_equal(history.progress[history.end_week], history.final_progress)
    assert history.n_frames == result.meta["horizon_weeks"] and history.session_weeks == result.meta["session_weeks"]
    assert not record_spread(params, seed=3).matches(result.timeseries)  # the check can fail


def test_history_shapes_and_states(history):
    T, S, P, M = history.n_frames, history.n_posts, len(history.practices), history.n_programs
    assert history.use.shape == history.fidelity.shape == (T, S, P)
    assert history.present.shape == history.on_team.shape == (T, S) and history.embedded.shape == (T, M, P)
    assert history.positions.shape == (S, 2) and len(history.cross_ties) == T
    state = history.state()
    assert state.shape == (T, S)
    assert (state[~history.present] == VACANT).all()
    assert (state[history.present] != VACANT).all()
    assert len(history.cross_ties[-1]) > 0  # learning sessions tied members of different programmes
    pairs = history.cross_ties[-1]
    assert (history.program[pairs[:, 0]] != history.program[pairs[:, 1]]).all()
    assert "learning session 1" in history.caption(history.session_weeks[0])


def test_node_state_codes():
    present = np.array([False, True, True, True])
    use = np.array([[True], [False], [True], [True]])
    fid = np.array([[0.9], [0.0], [0.5], [0.85]])
    assert node_state(present, use, fid, 0.8).tolist() == [VACANT, NOT_USING, USING, AT_FIDELITY]


@pytest.mark.parametrize("n_programs", [3, 8, 30])
def test_wheel_layout_puts_families_round_their_classroom_and_programmes_apart(n_programs):
    from bsc_sim.model import BSCModel

    pop = BSCModel(load_params([f"cohort.n_programs={n_programs}"]), seed=1, create_agents=False).pop
    st, fam = pop.staff, pop.families
    lay = wheel_layout(st.program, st.classroom, fam.classroom, pop.classroom_program)
    again = wheel_layout(st.program, st.classroom, fam.classroom, pop.classroom_program)
    np.testing.assert_array_equal(lay.staff, again.staff)  # geometry, no randomness
    assert lay.staff.shape == (len(st.program), 2) and lay.families.shape == (len(fam.program), 2)
    # every family on a ring round its classroom's two teachers
    rooms = np.array([lay.staff[st.classroom == c].mean(axis=0) for c in range(len(pop.classroom_program))])
    np.testing.assert_allclose(np.linalg.norm(lay.families - rooms[fam.classroom], axis=1), FAMILY_RING)
    # classrooms' rings never overlap within a programme, programmes never overlap each other
    for m in range(pop.n_programs):
        c = rooms[pop.classroom_program == m]
        d = np.linalg.norm(c[:, None] - c[None], axis=2)[np.triu_indices(len(c), 1)]
        assert (d > 2 * FAMILY_RING).all()
    gaps = np.linalg.norm(lay.centres[:, None] - lay.centres[None], axis=2)
    reach = lay.radius[:, None] + lay.radius[None]
    off = ~np.eye(pop.n_programs, dtype=bool)
    assert (gaps[off] > reach[off]).all()
    # the director of each programme sits at its centre
    directors = np.flatnonzero(st.role == 0)
    np.testing.assert_allclose(lay.staff[directors], lay.centres[st.program[directors]])


def test_gif_has_one_frame_per_drawn_week(history, tmp_path):
    path = animate_spread(history, tmp_path / "spread.gif", every=10, dpi=50)
    frames = animation_frames(history, every=10)
    assert frames[0] == 0 and frames[-1] == history.n_frames - 1 and len(frames) == 12
    with Image.open(path) as gif:
        assert gif.n_frames == len(frames)
        assert gif.info.get("loop") == 0
    path = animate_spread(history, tmp_path / "three.gif", weeks=[0, 20, 50], dpi=40)
    with Image.open(path) as gif:
        assert gif.n_frames == 3


def test_slide_figure_panels(history, tmp_path):
    fig = slide_figure(history)
    assert len(fig.axes) == 5  # networks at 3 weeks + adoption curves + progress scores
    assert fig.axes[0].get_title(loc="left").startswith("week 1 ")   # weeks run, as the view counts them
    fig.savefig(tmp_path / "slides.png", dpi=60)
    assert (tmp_path / "slides.png").stat().st_size > 10_000
    assert len(slide_figure(history, weeks=[0, 30]).axes) == 4


def test_bad_paths_are_refused_before_any_work(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="gif or .mp4"):
        check_animation_path(tmp_path / "spread.avi")
    with pytest.raises(ValueError, match=".png"):
        check_figure_path(tmp_path / "slides.gif")
    monkeypatch.setattr(animation.writers, "is_available", lambda name: False)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        check_animation_path(tmp_path / "spread.mp4")


def test_animate_module_does_not_import_solara():
    code = "import sys, bsc_sim.viz, bsc_sim.viz.animate; sys.exit('solara' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_cli_run_writes_bare_figure_names_into_out_dir(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    args = ["run", "cohort.n_programs=2", "seed=4", f"out_dir={run}"]
    assert main([*args, "--animate", "spread.gif", "--slides", "spread.png"]) == 0
    assert (run / "spread.gif").exists() and (run / "spread.png").exists()
    assert not (tmp_path / "spread.gif").exists() and not (tmp_path / "spread.png").exists()
    capsys.readouterr()
    # the figures are part of the run (meta.json lists them): replaced with it when asked again,
    # and removed with it when not
    assert main([*args, "--overwrite", "--animate", "spread.gif", "--slides", "spread.png"]) == 0
    assert sorted(p.name for p in run.iterdir() if p.suffix in (".gif", ".png")) == \
        ["adoption.png", "spread.gif", "spread.png"]
    assert main([*args, "--overwrite"]) == 0
    assert sorted(p.name for p in run.iterdir() if p.suffix in (".gif", ".png")) == ["adoption.png"]
    (run / "notes.txt").write_text("mine")                  # but nothing else is ever deleted
    assert main([*args, "--overwrite"]) == 2 and (run / "notes.txt").read_text() == "mine"


def test_cli_run_writes_animation_and_slides(tmp_path, capsys):
    gif, png = tmp_path / "fig" / "spread.gif", tmp_path / "fig" / "slides.png"
    assert main(["run", "cohort.n_programs=2", "seed=4", f"out_dir={tmp_path / 'run'}", "--animate", str(gif),
                 f"--slides={png}"]) == 0
    captured = capsys.readouterr()
    assert "warning" not in captured.err
    with Image.open(gif) as im:
        assert im.n_frames == load_params().horizon_weeks
    assert png.stat().st_size > 10_000 and (tmp_path / "run" / "summary.json").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (["--animate", "x.avi"], "must be a .gif or .mp4"),
    (["--slides", "x.gif"], "slide figure must be one of"),
    (["--animate"], "--animate needs a file name"),
])
def test_cli_run_refuses_bad_figure_paths(tmp_path, capsys, args, fragment):
    out = tmp_path / "never"
    assert main(["run", f"out_dir={out}", *args]) == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture(scope="module")
def state_history():
    """A small state: family child care homes, centres and Head Start sites in regions and waves."""
    return record_spread(load_params(["design=statewide", "system.n_programs=48"]), seed=1)


def test_a_state_has_every_kind_of_programme_labelled(state_history):
    from bsc_sim.model.population import KIND_NAMES
    from bsc_sim.viz.drawing import VIEW_KIND_COLORS, VIEW_KIND_LABELS, VIEW_KIND_SHORT

    assert set(np.unique(state_history.kind)) == set(range(len(KIND_NAMES)))   # the crash needed all three
    for names in (VIEW_KIND_LABELS, VIEW_KIND_SHORT, VIEW_KIND_COLORS):
        assert len(names) == len(KIND_NAMES) and len(set(names)) == len(names)


def test_slides_and_animation_of_a_state(state_history, tmp_path):
    fig = slide_figure(state_history)
    assert len(fig.axes) == 5
    progress = fig.axes[-1]
    # above BARS_LIMIT programmes the progress panel counts programmes per score (all of them)
    assert round(sum(p.get_height() for p in progress.patches)) == state_history.n_programs
    fig.savefig(tmp_path / "state.png", dpi=50)
    # a state is drawn as regions x waves: one row per region, a cell's text is its share reached
    assert state_history.is_state and fig.axes[2].get_title(loc="left").endswith("(year 5)")
    cells, outside = state_history.state_cells(state_history.n_frames - 1)
    from bsc_sim.viz.readout import PLANNED, WAITING

    shown = [t.get_text() for t in fig.axes[2].texts if t.get_text().endswith("%") or t.get_text() == "wait"]
    expected = ["wait" if st == WAITING else f"{r / max(n, 1):.0%}"
                for r, n, st in zip(cells["reached"], cells["n_classrooms"], cells["status"]) if st != PLANNED]
    assert shown[:len(expected)] == expected and len(shown) == len(expected) + len(outside)
    gif = animate_spread(state_history, tmp_path / "state.gif", weeks=[0, 100, 259], dpi=30)
    with Image.open(gif) as im:
        assert im.n_frames == 3


def test_cli_run_writes_slides_of_a_state(tmp_path, capsys):
    png = tmp_path / "sw.png"
    run = tmp_path / "run"
    assert main(["run", "design=statewide", "system.n_programs=60", f"out_dir={run}", "--slides", str(png)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert png.stat().st_size > 10_000 and (run / "summary.json").exists()


def test_talk_figures_number_weeks_as_the_view(history):
    last = history.n_frames - 1
    assert history.caption(last).startswith(f"week {history.n_frames} ")      # 104 of 104 in the view
    fig = slide_figure(history)
    curve = fig.axes[3]
    xs = np.concatenate([np.asarray(line.get_xdata(), dtype=float) for line in curve.get_lines()[:2]])
    assert xs.min() == 1 and xs.max() == history.n_frames
    assert fig.axes[4].get_title(loc="left").endswith(f"(week {history.end_week + 1})")   # 52, as in the view


def test_slide_legend_is_off_the_curves_and_the_slide_is_1920x1080(history, tmp_path):
    fig = slide_figure(history)
    fig.savefig(tmp_path / "s.png", dpi=150)
    with Image.open(tmp_path / "s.png") as im:
        assert im.size == (1920, 1080)
    renderer = fig.canvas.get_renderer()
    curve = fig.axes[3]
    assert curve.get_legend().get_window_extent(renderer).x0 >= curve.get_window_extent(renderer).x1


def test_gif_keeps_the_view_colours_exactly(history, tmp_path):
    from matplotlib.colors import to_rgb

    from bsc_sim.viz.drawing import STATE_COLORS, USING

    last = history.n_frames - 1
    state = history.state()[last]
    assert (state == AT_FIDELITY).any() and (state == USING).any()
    path = animate_spread(history, tmp_path / "c.gif", weeks=[last], size="1920x1080")
    with Image.open(path) as gif:
        assert gif.size == (1920, 1080)
        rgb = np.asarray(gif.convert("RGB")).reshape(-1, 3)
    for code in (AT_FIDELITY, USING):
        want = np.round(np.array(to_rgb(STATE_COLORS[code])) * 255).astype(int)
        assert (rgb == want).all(axis=1).sum() > 50, STATE_COLORS[code]   # the dots keep their exact colour


def test_talk_sizes_are_16_9():
    from bsc_sim.viz.animate import talk_size

    assert talk_size("1920x1080") == (1920, 1080) and talk_size((1280, 720)) == (1280, 720)
    for bad in ("4k", (1000, 1000)):
        with pytest.raises(ValueError):
            talk_size(bad)


def test_mp4_through_the_imageio_ffmpeg_wheel_when_it_is_installed(tmp_path, monkeypatch):
    import types

    calls = []
    fake = types.SimpleNamespace(get_ffmpeg_exe=lambda: calls.append(1) or "/opt/ffmpeg")
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", fake)
    available = iter([False, True])   # not on the PATH; found once the wheel's binary is configured
    monkeypatch.setattr(animation.writers, "is_available", lambda name: next(available))
    import matplotlib as mpl

    monkeypatch.setitem(mpl.rcParams, "animation.ffmpeg_path", mpl.rcParams["animation.ffmpeg_path"])
    assert check_animation_path(tmp_path / "spread.mp4").suffix == ".mp4" and calls == [1]
