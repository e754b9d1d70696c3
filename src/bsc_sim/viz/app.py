"""The interactive view: ``bsc-sim viz`` (or ``solara run bsc_sim.viz.app``).

Two modes, chosen at the top of the page:

* **one collaborative**: sliders for the levers (a change restarts the model at week 0 with the
  new value), headline numbers, the staff network with families, how far practices have spread
  and each practice's use;
* **two designs side by side**: two named designs (``bsc`` and ``coach`` by default) on the same
  seed, so on the same cohort, played together week by week, with their headline numbers, their
  networks, and classrooms reached and cost so far on shared time axes in the designs' colours.

Only the panels that show the week (headline numbers, pictures, charts) subscribe to the week
counter, so a frame redraws those and nothing else. The page is laid out with CSS grid and sizes its text relative to the screen width, so it reads the
same on a 1366x768 laptop and a 1920x1080 projector. The model is an ordinary Mesa model
(:class:`~bsc_sim.viz.viewmodel.VizModel`); Solara serves the page. Mesa's SolaraViz page and
controller are not used: they drive one model, show slider labels without values and redraw each
figure whole every step (see :mod:`bsc_sim.viz.controls` and :mod:`bsc_sim.viz.live`).
"""

from __future__ import annotations

import threading

import solara

from bsc_sim.config import design_names
from bsc_sim.palette import design_color, design_label, practice_colors, practice_label
from bsc_sim.viz.controls import LeverSelect, LeverSlider, Player
from bsc_sim.viz.live import Calendar, Series
from bsc_sim.viz.panels import (
    NETWORK_KEY,
    TWO_PX,
    Chart,
    Headlines,
    Key,
    NetworkPicture,
    ProgressPanel,
    StateHeadlines,
    StatePicture,
    WeekTile,
    _text,
    design_calendars,
    design_series,
    reach_series,
)
from bsc_sim.viz.style import CSS
from bsc_sim.viz.viewmodel import (
    AS_CONFIGURED,
    MAX_SESSIONS,
    MODALITIES,
    MODALITY_LABELS,
    TEAM_DESIGNS,
    BSCVizModel,
    DesignVizModel,
    base_overrides,
    default_levers,
)

PAGE_TITLE = "How improvement spreads - bsc_sim"
HEADING = "How improvement spreads in a Breakthrough Series Collaborative"
ONE, TWO = "one collaborative", "two designs side by side"
DEFAULT_PAIR = ("bsc", "coach")


def _models_for(mode: str, levers: dict, pair: dict) -> tuple:
    if mode == ONE:
        return (BSCVizModel(**levers),)
    return tuple(DesignVizModel(d, pair["seed"]) for d in (pair["left"], pair["right"]))


@solara.component
def OneLevers(levers: solara.Reactive[dict], on_lever):
    v = levers.value
    teams = list(TEAM_DESIGNS) + ([AS_CONFIGURED] if v["team"] == AS_CONFIGURED else [])
    LeverSlider("Learning sessions", v["n_sessions"], str(v["n_sessions"]), 0, MAX_SESSIONS, 1,
                lambda x: on_lever("n_sessions", x), integer=True)
    LeverSelect("Sessions held", MODALITY_LABELS[v["modality"]], [MODALITY_LABELS[m] for m in MODALITIES],
                lambda x: on_lever("modality", {lab: m for m, lab in MODALITY_LABELS.items()}[x]))
    LeverSelect("Who is on each team", v["team"], teams, lambda x: on_lever("team", x))
    LeverSlider("Staff turnover", v["turnover"], f"{v['turnover']:.0%} a year", 0.0, 0.6, 0.05,
                lambda x: on_lever("turnover", round(x, 2)))
    LeverSlider("Capacity to use data", v["data_capacity"], f"{v['data_capacity']:.2f}", 0.0, 1.0, 0.05,
                lambda x: on_lever("data_capacity", round(x, 2)))
    LeverSlider("Leadership support", v["leadership"], f"{v['leadership']:.2f}", 0.0, 1.0, 0.05,
                lambda x: on_lever("leadership", round(x, 2)))
    LeverSlider("Programmes in the cohort", v["n_programs"], str(v["n_programs"]), 2, 30, 1,
                lambda x: on_lever("n_programs", x), integer=True)
    SeedInput(v["seed"], lambda x: on_lever("seed", x))


@solara.component
def SeedInput(seed, on_value):
    with solara.Div(classes=["bsc-lever"]):
        _text("div", "Seed (same seed, same cohort)", ["bsc-label"])
        solara.InputText("", value=str(seed), on_value=on_value, continuous_update=False)


@solara.component
def TwoLevers(pair: solara.Reactive[dict], on_pair):
    names = design_names()
    labels = {design_label(d): d for d in names}
    p = pair.value
    LeverSelect("Design on the left", design_label(p["left"]), list(labels), lambda x: on_pair("left", labels[x]))
    LeverSelect("Design on the right", design_label(p["right"]), list(labels), lambda x: on_pair("right", labels[x]))
    SeedInput(p["seed"], lambda x: on_pair("seed", x))


@solara.component
def OneView(model: BSCVizModel, tick: solara.Reactive[int]):
    if model.is_state:
        StateHeadlines(model, tick)
    else:
        Headlines(model, tick)
    calendars = [] if model.is_state else [Calendar(**model.calendar_marks())]  # a state: dozens of cohorts
    names = list(model.params.practices)
    colors = practice_colors(names)
    with solara.Div(classes=["bsc-one"]):
        with solara.Div(classes=["bsc-panel", "bsc-network"]):
            if model.is_state:
                _text("h3", "The state, region by region and wave by wave", ["bsc-panel-title"])
                StatePicture(model, tick)
            else:
                _text("h3", "Staff and families, programme by programme", ["bsc-panel-title"])
                NetworkPicture(model, tick)
                Key(NETWORK_KEY)
            ProgressPanel(model, tick)
        with solara.Div(classes=["bsc-charts"]):
            Chart("How far it has spread", reach_series(), lambda ms: [ms[0].weekly()] * 3, [model], tick,
                  calendars)
            Chart("Staff using each practice (share of those it is for)",
                  [Series("frac_staff_using", practice_label(n), colors[n]) for n in names],
                  lambda ms: _per_practice(ms[0], names), [model], tick, calendars)


def _per_practice(model, names):
    use = model.practice_use()
    return [use[use["practice"] == n] for n in names]


@solara.component
def TwoView(models: tuple, tick: solara.Reactive[int]):
    with solara.Div(classes=["bsc-two"]):
        for m in models:
            with solara.Div(classes=["bsc-panel", "bsc-design"]):
                _text("h2", m.label, ["bsc-design-title"], style=f"border-color: {design_color(m.design)}; "
                                                                 f"color: {design_color(m.design)}")
                if m.is_state:
                    StateHeadlines(m, tick, week=False)
                    StatePicture(m, tick, width_px=TWO_PX)
                else:
                    Headlines(m, tick, week=False, compact=True)
                    NetworkPicture(m, tick, width_px=TWO_PX)
    if not all(m.is_state for m in models):
        Key(NETWORK_KEY)
    calendars = design_calendars(models)
    with solara.Div(classes=["bsc-two"]):
        Chart("Classrooms reached", design_series(models, "frac_classrooms_reached"),
              lambda ms: [m.weekly() for m in ms], list(models), tick, calendars, width_px=TWO_PX, height_px=300)
        Chart("Cost so far", design_series(models, "cost_so_far"), lambda ms: [m.weekly() for m in ms],
              list(models), tick, calendars, unit="money", width_px=TWO_PX, height_px=300)


@solara.component
def Page():
    defaults = solara.use_memo(lambda: default_levers(base_overrides()), [])
    mode = solara.use_reactive(ONE)
    levers = solara.use_reactive(defaults)
    pair = solara.use_reactive({"left": DEFAULT_PAIR[0], "right": DEFAULT_PAIR[1], "seed": defaults["seed"]})
    first = solara.use_memo(lambda: _models_for(ONE, defaults, pair.value), [])
    runs = solara.use_reactive(first)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    lock = solara.use_memo(threading.Lock, [])

    def switch(new_mode: str, new_levers: dict, new_pair: dict, what: str) -> None:
        """Rebuild the models for a mode and settings; on bad input keep the current ones and say why."""
        try:
            built = _models_for(new_mode, new_levers, new_pair)
        except Exception as exc:  # noqa: BLE001 - any bad seed or lever combination: keep the page, say why
            error.set(f"{what}: {exc}")
            return
        with lock:  # the player checks `playing` under this lock before it steps (see controls.Player)
            playing.set(False)
            error.set("")
            mode.set(new_mode)
            levers.set(new_levers)
            pair.set(new_pair)
            runs.set(built)
        tick.set(tick.value + 1)

    def rebuild():
        try:
            return _models_for(mode.value, levers.value, pair.value)
        except Exception as exc:  # noqa: BLE001 - as in switch()
            error.set(str(exc))
            return None

    solara.Title(PAGE_TITLE)
    solara.Style(CSS)
    models = runs.value
    with solara.Div(classes=["bsc-page"]):
        with solara.Div(classes=["bsc-header"]):
            with solara.Div(classes=["bsc-heading"]):
                _text("h1", HEADING, ["bsc-title"])
                _text("div", _subtitle(models, mode.value), ["bsc-subtitle"])
            solara.ToggleButtonsSingle(value=mode.value, values=[ONE, TWO], classes=["bsc-mode"],
                                       on_value=lambda m: switch(m, levers.value, pair.value, "mode"))
        with solara.Div(classes=["bsc-body"]):
            with solara.Div(classes=["bsc-side"]):
                with solara.Div(classes=["bsc-card", "bsc-player-card"]):
                    if mode.value == TWO:  # in one-design mode the week leads the headline numbers instead
                        WeekTile(max(models, key=lambda m: m.calendar.horizon), tick)
                    Player(runs, tick, rebuild, lock, playing)
                with solara.Div(classes=["bsc-card"]):
                    _text("h3", "Levers (restart at week 0)" if mode.value == ONE else "Designs (restart at week 0)",
                          ["bsc-panel-title"])
                    if mode.value == ONE:
                        OneLevers(levers, lambda k, v: switch(ONE, {**levers.value, k: v}, pair.value, k))
                    else:
                        TwoLevers(pair, lambda k, v: switch(TWO, levers.value, {**pair.value, k: v}, k))
                    if error.value:
                        solara.Error(error.value)
            with solara.Div(classes=["bsc-main"]):
                if mode.value == ONE:
                    OneView(models[0], tick)
                else:
                    TwoView(models, tick)


def _subtitle(models: tuple, mode: str) -> str:
    if mode == ONE:
        return models[0].describe_levers()
    a, b = models
    if a.same_cohort(b):
        return (f"{a.label} and {b.label} on the same cohort (seed {a.seed}): the same programmes, staff and "
                "families; only the design differs")
    return (f"{a.label} ({a.cohort_size()}) and {b.label} ({b.cohort_size()}), seed {a.seed}: different cohorts, "
            "so compare shares, not counts")


__all__ = ["HEADING", "PAGE_TITLE", "Page"]
