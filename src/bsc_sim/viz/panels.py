"""The panels of the browser view (Solara components): headline numbers, the network picture,
time charts and their keys. Each panel reads a :class:`~bsc_sim.viz.viewmodel.VizModel`; none
changes it. Panels that change week by week read the ``tick`` counter, which the player bumps
after every advance, so that only they redraw. Keys (legends) are HTML under the pictures, so their text wraps instead of being cut.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import solara
from matplotlib.colors import to_hex

from ..palette import END_STYLE, SESSION_STYLE, design_color
from .drawing import BARS_LIMIT, CROSS_TIE_COLOR, FAMILY_COLORS, FAMILY_LABELS, STATE_COLORS, STATE_LABELS
from .live import Calendar, LiveChart, LiveNetwork, LiveState, Series, points
from .readout import Headline
from .viewmodel import VizModel

# Pictures are drawn about as wide as they show on a 1920-pixel screen, with text FONT_PX pixels
# tall; on a 1366-pixel screen the page shows them about 0.7 times as wide, so their text is still
# at least MIN_TEXT_PX there (the browser test measures it: each picture carries ``bsc-font-N``).
FONT_PX = 24
ONE_NETWORK_PX, ONE_CHART_PX, TWO_PX = 820, 640, 720

CLASSROOM_COLOR = "#1f4e9c"
STAFF_COLOR = "#74a9cf"
FAMILY_COLOR = FAMILY_COLORS[1]


def _text(tag: str, text: str, classes: Sequence[str] = (), style: str | None = None):
    return solara.HTML(tag=tag, unsafe_innerHTML=html.escape(text), classes=list(classes), style=style)


def percent(count: int | None, total: int) -> str:
    return "–" if count is None else f"{count / max(total, 1):.0%}"


@solara.component
def Tile(title: str, value: str, note: str, classes: Sequence[str] = ()):
    """One headline number: what it is, the number, and a line saying how to read it."""
    with solara.Div(classes=["bsc-tile", *classes]):
        _text("div", title, ["bsc-tile-title"])
        _text("div", value, ["bsc-tile-value"])
        _text("div", note, ["bsc-tile-note"])


def week_note(h: Headline, events: str) -> str:
    return h.phase + (f" · this week: {events}" if events else "")


@solara.component
def WeekTile(model: VizModel, tick: solara.Reactive[int]):
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    h = model.headline()
    note = f"year {min(h.week // 52 + 1, h.horizon // 52)} of {h.horizon // 52}" if model.is_state else \
        week_note(h, model.this_week())
    Tile("Week", f"{h.week} of {h.horizon}", note, classes=["bsc-tile-week"])


@solara.component
def Headlines(model: VizModel, tick: solara.Reactive[int], week: bool = True, compact: bool = False):
    """Week, classrooms reached now and when the collaborative ended, sustained, cost so far.

    ``compact`` (two designs side by side, four tiles in half the width): short titles and notes.
    """
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    h = model.headline()
    end = h.end_week + 1  # weeks are shown 1-based on screen as "weeks run"
    with solara.Div(classes=["bsc-tiles"]):
        if week:
            Tile("Week", f"{h.week} of {h.horizon}", week_note(h, model.this_week()), classes=["bsc-tile-week"])
        if compact:
            Tile("Reached now", percent(h.reached_now, h.n_classrooms),
                 f"{h.reached_now} of {h.n_classrooms}" if h.reached_now is not None else f"of {h.n_classrooms}")
            Tile("Reached at the end", percent(h.reached_at_end, h.n_classrooms), f"week {end}")
            Tile("Sustained", percent(h.sustained, h.n_classrooms), "a year on" if h.week >= h.horizon else "so far")
            Tile("Cost so far", f"${h.cost_so_far:,.0f}", "all costs")
            return
        Tile("Classrooms reached now", percent(h.reached_now, h.n_classrooms),
             f"{h.reached_now} of {h.n_classrooms} classrooms" if h.reached_now is not None
             else f"of {h.n_classrooms} classrooms; measured after week 1")
        Tile("Reached when the collaborative ended", percent(h.reached_at_end, h.n_classrooms),
             f"{h.reached_at_end} classrooms in week {end}" if h.reached_at_end is not None
             else f"known after week {end}")
        Tile("Sustained", percent(h.sustained, h.n_classrooms),
             ("reached at the end and still now" if h.week < h.horizon else "reached at the end and a year later")
             if h.sustained is not None else "reached at the end and a year later")
        Tile("Cost so far", f"${h.cost_so_far:,.0f}", "staff time, sessions, faculty, supports")


@solara.component
def StateHeadlines(model: VizModel, tick: solara.Reactive[int], week: bool = True):
    """A state's numbers: week, programmes enrolled (cohorts started, waiting), classrooms reached
    and sustained now, cost so far."""
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    h = model.state_headline()
    with solara.Div(classes=["bsc-tiles"]):
        if week:
            Tile("Week", f"{h.week} of {h.horizon}", f"year {min(h.week // 52 + 1, h.horizon // 52)} of "
                 f"{h.horizon // 52}", classes=["bsc-tile-week"])
        if model.params.collaborative.enabled:
            Tile("Programmes enrolled", percent(h.n_enrolled, h.n_programs),
                 f"{h.n_enrolled:,} of {h.n_programs:,} · {h.n_started}/{h.n_cohorts} cohorts"
                 + (f" · {h.n_waiting} waiting" if h.n_waiting else ""))
        else:  # business as usual: the waves are the same programmes, with no collaborative
            Tile("Programmes enrolled", "none", "no collaborative; waves as in the state, unsupported")
        Tile("Classrooms reached now", percent(h.reached_now, h.n_classrooms),
             f"{h.reached_now:,} of {h.n_classrooms:,}" if h.reached_now is not None else f"of {h.n_classrooms:,}")
        Tile("Sustained now", percent(h.sustained_now, h.n_classrooms),
             "kept since their cohort ended")
        Tile("Cost so far", f"${h.cost_so_far:,.0f}", "all cohorts, faculty, coordination")


STATE_KEY = [("dot", LiveState.FILL_LOW, "few classrooms reached"), ("dot", LiveState.FILL_HIGH, "many reached"),
             ("ring", LiveState.WAIT, "wave waiting for faculty (capacity)")]


@solara.component
def StatePicture(model: VizModel, tick: solara.Reactive[int], width_px: int = ONE_NETWORK_PX):
    """Regions (rows) x waves (columns, by planned start week) of a state, as cohorts start, enrol and sustain."""
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    live = solara.use_memo(lambda: LiveState(model.state_cells(), model.state_outside(), model.schedule.n_regions,
                                             width_px=width_px, font_px=FONT_PX), [model])
    png = solara.use_memo(lambda: live.png(model.state_cells(), model.state_outside()), [model, model.week])
    _text("div", "Regions × waves: share of each wave's classrooms reached now (out: programmes that never enrol)",
          ["bsc-note"])
    solara.Image(png, width="100%", classes=["bsc-picture", "bsc-state", f"bsc-font-{FONT_PX}"])
    Key(STATE_KEY)


@solara.component
def NetworkPicture(model: VizModel, tick: solara.Reactive[int], width_px: int = ONE_NETWORK_PX):
    """The staff network and families of ``model``, recoloured every week (as tall as its layout needs)."""
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    live = solara.use_memo(lambda: LiveNetwork(model.layout, model.edges, model.pop.staff.program,
                                               model.pop.programs.kind, model.picture(), width_px=width_px,
                                               font_px=FONT_PX),
                           [model])
    png = solara.use_memo(lambda: live.png(model.picture()), [model, model.week])
    solara.Image(png, width="100%", classes=["bsc-picture", f"bsc-font-{FONT_PX}"])


@solara.component
def ProgressPanel(model: VizModel, tick: solara.Reactive[int], width_px: int = ONE_NETWORK_PX, height_px: int = 210):
    """Each team's IHI-style 1-5 progress score: provisional until the collaborative ends, then final."""
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    scores = tuple(int(x) for x in model.progress())
    end = model.calendar.end_week + 1
    final = model.week > model.calendar.end_week
    png = solara.use_memo(lambda: progress_png(scores, tuple(model.pop.programs.kind), width_px, height_px),
                          [scores, width_px])
    with solara.Div(classes=["bsc-panel"]):
        counts = " (programmes per score)" if len(scores) > BARS_LIMIT else ""
        _text("h3", f"Team progress scores (1-5){counts}: {'final, scored in' if final else 'provisional until'} "
                    f"week {end}", ["bsc-panel-title"])
        solara.Image(png, width="100%", classes=["bsc-chart", f"bsc-font-{FONT_PX}"])


def progress_png(scores: tuple[int, ...], kind: tuple[int, ...], width_px: int, height_px: int) -> bytes:
    """The progress bars as PNG bytes (drawn whole: they change a few times a run)."""
    import io

    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plotting import TALK_RC
    from .drawing import draw_progress

    size = points(FONT_PX)
    with mpl.rc_context({**TALK_RC, "xtick.labelsize": size, "ytick.labelsize": size, "axes.labelsize": size,
                         "legend.fontsize": size}):
        fig = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((3.2 * FONT_PX / width_px, 1.6 * FONT_PX / height_px, 1 - 3.8 * FONT_PX / width_px,
                           1 - 3.3 * FONT_PX / height_px))
        draw_progress(ax, list(scores), list(kind), fontsize=size)
        ax.set_ylabel("" if len(scores) > BARS_LIMIT else "score")   # a state: the panel title says "programmes per score"
        ax.set_xlabel("")
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=100)
    return out.getvalue()


def _swatch(kind: str, color: str, width: float = 3.0) -> str:
    """A small inline SVG of a line, dot or tick, for an HTML key (any matplotlib colour)."""
    color = to_hex(color)
    if kind == "dot":
        return (f"<svg class='bsc-swatch' viewBox='0 0 20 20'><circle cx='10' cy='10' r='7' fill='{color}' "
                f"stroke='#404040' stroke-width='1'/></svg>")
    if kind == "ring":
        return (f"<svg class='bsc-swatch' viewBox='0 0 20 20'><circle cx='10' cy='10' r='6.5' fill='white' "
                f"stroke='{color}' stroke-width='3'/></svg>")
    if kind == "tick":
        return f"<svg class='bsc-swatch' viewBox='0 0 20 20'><line x1='10' y1='4' x2='10' y2='18' stroke='{color}' stroke-width='2'/></svg>"
    dash = {"dotted": "2 3", "dashed": "6 4"}.get(kind, "none")
    return (f"<svg class='bsc-swatch bsc-swatch-line' viewBox='0 0 30 20'><line x1='1' y1='10' x2='29' y2='10' "
            f"stroke='{color}' stroke-width='{width}' stroke-dasharray='{dash}'/></svg>")


@solara.component
def Key(items: Sequence[tuple[str, str, str]]):
    """A key of (swatch kind, colour, label) items that wraps onto as many lines as it needs."""
    body = "".join(f"<span class='bsc-key-item'>{_swatch(kind, color)}<span>{html.escape(label)}</span></span>"
                   for kind, color, label in items)
    solara.HTML(tag="div", unsafe_innerHTML=body, classes=["bsc-key"])


NETWORK_KEY = [*(("dot", c, lab) for c, lab in zip(STATE_COLORS, STATE_LABELS)),
               *(("dot", c, lab) for c, lab in zip(FAMILY_COLORS, FAMILY_LABELS)),
               ("ring", "black", "on the improvement team"), ("solid", CROSS_TIE_COLOR, "ties between programmes")]


def calendar_key(calendars: Sequence[Calendar]) -> list[tuple[str, str, str]]:
    items = []
    for cal in calendars:
        color = cal.color or SESSION_STYLE["color"]
        whose = f"{cal.owner}: " if cal.owner else ""
        if len(cal.session_weeks):
            items.append(("dotted", color, f"{whose}learning session"))
        if len(cal.call_weeks):
            items.append(("tick", cal.color or "#595959", f"{whose}call"))
        if len(cal.visit_weeks):
            items.append(("tick", cal.color or "#595959", f"{whose}coach visit"))
    if any(c.end_week is not None for c in calendars):
        items.append(("dashed", END_STYLE["color"], "collaborative ends"))
    items.append(("solid", "black", "this week"))
    return items


@solara.component
def Chart(title: str, series: Sequence[Series], tables_of, models: Sequence[VizModel], tick: solara.Reactive[int],
          calendars: Sequence[Calendar], unit: str = "share", ylabel: str = "", width_px: int = ONE_CHART_PX,
          height_px: int = 290):
    """A panel with a title, a time chart of the whole run (lines grow week by week) and its key.

    ``tables_of(models)`` returns one table per series (weekly rows up to the current week).
    """
    tick.value  # noqa: B018 - subscribe: redraw after every advance
    horizon = max(m.calendar.horizon for m in models)   # a state runs five years, a collaborative two
    live = solara.use_memo(lambda: LiveChart(series, horizon, calendars, unit=unit, ylabel=ylabel,
                                             width_px=width_px, height_px=height_px, font_px=FONT_PX), [*models])
    week = models[0].week
    png = solara.use_memo(lambda: live.png(tables_of(models), week), [*models, *(m.week for m in models)])
    with solara.Div(classes=["bsc-panel"]):
        _text("h3", title, ["bsc-panel-title"])
        solara.Image(png, width="100%", classes=["bsc-chart", f"bsc-font-{FONT_PX}"])
        Key([*(("solid", s.color, s.label) for s in series), *calendar_key(calendars)])


def reach_series() -> list[Series]:
    return [Series("frac_classrooms_reached", "classrooms reached", CLASSROOM_COLOR),
            Series("frac_frontline_fidelity", "teaching staff at fidelity", STAFF_COLOR),
            Series("frac_families_home_use", "families using a practice at home", FAMILY_COLOR)]


def design_series(models: Sequence[VizModel], column: str) -> list[Series]:
    return [Series(column, getattr(m, "label", f"design {i + 1}"), design_color(getattr(m, "design", "")))
            for i, m in enumerate(models)]


def design_calendars(models: Sequence[VizModel]) -> list[Calendar]:
    """Each design's sessions and calls in its colour (a design without them adds nothing)."""
    return [Calendar(**m.calendar_marks(), color=design_color(getattr(m, "design", "")),
                     owner=getattr(m, "label", "")) for m in models if not m.is_state]  # a state: dozens of cohorts
