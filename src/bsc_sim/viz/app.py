"""The interactive view: ``solara run src/bsc_sim/viz/app.py`` (or ``bsc-sim viz``).

A Mesa SolaraViz page for :class:`~bsc_sim.viz.viewmodel.BSCVizModel`:

* sidebar: play / pause / step / reset (Mesa's ``ModelController``), sliders for the levers
  (Mesa's ``UserInputs``), the week counter and the current lever values;
* main area: the staff network coloured by adoption with each programme as a cluster, the
  adoption curve of each practice (Mesa's ``make_plot_component`` over the model's
  DataCollector), and each team's progress score.

Two deliberate differences from calling ``SolaraViz`` itself (Mesa 3.5.1, Solara 1.64):

* a slider change rebuilds the model at once, at week 0, with the new value. In SolaraViz a
  slider only stores its value until Reset is pressed (``ModelCreator`` keeps the parameters;
  the model is rebuilt in ``ModelController.do_reset``). Here one reactive dict of lever values
  is read by both the sliders and the Reset button, so the screen always matches the sliders;
* the figures sit in fixed columns instead of SolaraViz's ``ComponentsView``, whose draggable
  grid (``solara.GridDraggable``) loads ``@widgetti/vue-grid-layout@2.3.13-alpha.2``: a Vue 2
  build that throws "GlobalVue.use is not a function" under the Vue 3 front end that ipyvuetify
  3 brings, leaving the main area blank.
"""

from __future__ import annotations

from functools import partial

import solara
import solara.lab
from matplotlib.figure import Figure
from mesa.visualization import make_plot_component
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import update_counter

from bsc_sim.viz.drawing import draw_network, draw_progress, node_state, practice_colors
from bsc_sim.viz.viewmodel import BSCVizModel, base_overrides, default_levers, lever_inputs

TITLE = "bsc_sim: a Breakthrough Series Collaborative in early care and education"


def _network_figure(model: BSCVizModel) -> Figure:
    st = model.pop.staff
    state = node_state(st.present, st.use, st.fidelity, model.params.sustain.fidelity_threshold)
    fig = Figure(figsize=(7.2, 5.4), layout="constrained")
    ax = fig.subplots()
    draw_network(ax, model.positions, model.edges, state, program=st.program, kind=model.pop.programs.kind,
                 on_team=st.on_team, cross_edges=model.cross_ties(),
                 title=f"Staff network, week {model.week}: posts coloured by adoption")
    return fig


@solara.component
def NetworkView(model: BSCVizModel):
    """The staff network: one cluster per programme, posts coloured by their use of the practices."""
    update_counter.get()  # re-render after every step
    fig = solara.use_memo(lambda: _network_figure(model), [model, model.week])  # drawn once per week shown
    with solara.Column(classes=["bsc-network"]):
        solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.week])


def _style_adoption(ax, horizon: int) -> None:
    ax.figure.set_size_inches(6, 3.6)
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of eligible staff using")
    ax.set_title("Adoption by practice (x: weeks run)", fontsize=10)
    ax.grid(alpha=0.3)


@solara.component
def AdoptionView(model: BSCVizModel):
    """Adoption curve per practice, drawn by Mesa's make_plot_component from the DataCollector."""
    style = partial(_style_adoption, horizon=model.calendar.horizon)
    plot, _page = make_plot_component(practice_colors(list(model.params.practices)), post_process=style)
    with solara.Column(classes=["bsc-adoption"]):
        plot(model)  # Mesa's PlotMatplotlib re-renders after every step itself


def _progress_figure(model: BSCVizModel) -> Figure:
    end = model.calendar.end_week
    when = f"final (scored in week {end})" if model.week > end else f"provisional, week {model.week} (scored in week {end})"
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    draw_progress(fig.subplots(), model.progress(), model.pop.programs.kind, title=f"Team progress score: {when}")
    return fig


@solara.component
def ProgressView(model: BSCVizModel):
    """Each team's IHI 1-5 progress score: provisional until the collaborative ends, then final."""
    update_counter.get()
    fig = solara.use_memo(lambda: _progress_figure(model), [model, model.week])
    with solara.Column(classes=["bsc-progress"]):
        solara.FigureMatplotlib(fig, format="png", dependencies=[model, model.week])


@solara.component
def WeekCounter(model: BSCVizModel):
    """'Week N of H', this week's events and the lever values of the model on screen."""
    update_counter.get()  # re-render after every step
    last = model.week - 1
    events = model.calendar.events_at(last) if last >= 0 else []
    names = ", ".join(e.replace("learning_session_", "learning session ").replace("_", " ") for e in events)
    phase = "collaborative" if model.week <= model.calendar.end_week else "follow-up"
    with solara.Column(classes=["bsc-week"]):
        solara.Markdown(f"## Week {model.week}\nof {model.calendar.horizon} ({phase}; the collaborative ends after "
                        f"week {model.calendar.end_week})" + (f"\n\nLast week: {names}" if names else ""))
        solara.Markdown(f"<span class='bsc-levers'>{model.describe_levers()}</span>")


CSS = """
.bsc-network img, .bsc-adoption img, .bsc-progress img { max-width: 100%; height: auto; }
"""


@solara.component
def Page():
    defaults = solara.use_memo(lambda: default_levers(base_overrides()), [])
    levers = solara.use_reactive(defaults)
    first = solara.use_memo(lambda: BSCVizModel(**defaults), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(150)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    error = solara.use_reactive("")

    def on_lever(name, value):
        new = {**levers.value, name: value}
        try:
            rebuilt = BSCVizModel(**new)
        except Exception as exc:  # bad seed text or an invalid combination: keep the current model
            error.set(f"{name} = {value!r}: {exc}")
            return
        error.set("")
        levers.set(new)
        model.set(rebuilt)  # a slider change restarts the model at week 0 with the new value

    solara.Style(CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar(), solara.Column():
        with solara.Card("Controls"):
            solara.SliderInt(label="Play interval (ms)", value=play_interval, min=1, max=1000, step=10)
            solara.SliderInt(label="Weeks per step", value=render_interval, min=1, max=26, step=1)
            ModelController(model, model_parameters=levers, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
        with solara.Card("Week"):
            WeekCounter(model.value)
        with solara.Card("Levers (a change restarts the model)"):
            UserInputs(lever_inputs(levers.value), on_change=on_lever)
            if error.value:
                solara.Error(error.value)
    with solara.Columns([3, 2]):
        NetworkView(model.value)
        with solara.Column():
            AdoptionView(model.value)
            ProgressView(model.value)
