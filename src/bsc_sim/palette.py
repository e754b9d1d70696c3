"""Colours and plain-language names shared by every figure, the browser view and the notebooks.

A design keeps its colour everywhere (``bsc`` is always the same blue, ``coach`` always orange),
so a room that has learnt the colours on one slide can read the next one. Nothing here imports
matplotlib: these are plain strings, used by :mod:`bsc_sim.plotting`, the experiment figures
and :mod:`bsc_sim.viz`.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

# One colour per named design (configs/design/*.yaml). The BSC variants are varied around the
# default's dark blue in hue and lightness; the three alternatives have warm or neutral colours
# that no variant uses, so "a BSC" versus "something else" reads at a glance.
DESIGN_COLORS = {
    "bsc": "#1f4e9c",
    "bsc_virtual": "#6baed6",
    "bsc_4_sessions": "#17a2b8",
    "bsc_followup_support": "#2ca25f",
    "bsc_large_cohort": "#6a3d9a",
    "bsc_leaders_only": "#b39ddb",
    "bsc_no_data_support": "#8c564b",
    "bsc_no_families": "#e377c2",
    "bsc_no_leaders": "#c51b7d",
    "bsc_readiness_selection": "#a6a61a",
    "bsc_teachers_only": "#9e0142",
    "coach": "#ff7f0e",
    "training": "#d62728",
    "business_as_usual": "#7f7f7f",
}
# For designs added later: taken in order by the designs that have no colour above.
EXTRA_COLORS = ("#000000", "#fdae61", "#66c2a5", "#5e4fa2", "#f46d43", "#3288bd", "#abdda4", "#d53e4f")
# When an experiment has more designs than that (crossed variants): further distinct colours.
MORE_COLORS = ("#8dd3c7", "#bc80bd", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffed6f", "#d9d9d9",
               "#1b9e77", "#e7298a", "#666666", "#a6cee3")

DESIGN_LABELS = {
    "bsc": "BSC (default)",
    "bsc_virtual": "BSC, online sessions",
    "bsc_4_sessions": "BSC, 4 sessions",
    "bsc_followup_support": "BSC + follow-up support",
    "bsc_large_cohort": "BSC, 30 programmes",
    "bsc_leaders_only": "BSC, leaders-only teams",
    "bsc_no_data_support": "BSC, no data support",
    "bsc_no_families": "BSC, no family on teams",
    "bsc_no_leaders": "BSC, no leader on teams",
    "bsc_readiness_selection": "BSC, most ready selected",
    "bsc_teachers_only": "BSC, teachers-only teams",
    "coach": "coach",
    "training": "one-off training",
    "business_as_usual": "business as usual",
}

# Practices of the change package, in its order (a practice keeps its colour in every figure).
PRACTICE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")

# Programme kinds (population.KIND_NAMES order): Head Start, child care.
KIND_LABELS = ("Head Start", "child care")
KIND_SHORT = ("HS", "CC")
KIND_COLORS = ("#6a51a3", "#31a354")

# The collaborative's calendar on every time axis.
SESSION_STYLE = {"color": "0.45", "ls": ":", "lw": 1.3}
END_STYLE = {"color": "0.15", "ls": "--", "lw": 1.3}
CALL_STYLE = {"color": "0.35", "lw": 1.2}     # short ticks along the bottom of the axis
NOW_STYLE = {"color": "black", "lw": 1.6}      # the week on screen (browser view, animation)


@lru_cache(maxsize=1)
def _unlisted_designs() -> tuple[str, ...]:
    """Designs in configs/design/ without a colour in DESIGN_COLORS, sorted (stable order)."""
    try:
        from .config import design_names
    except ImportError:  # pragma: no cover - the config layer is part of the package
        return ()
    return tuple(sorted(d for d in design_names() if d not in DESIGN_COLORS))


def design_color(name: str) -> str:
    """The colour of a design, the same in every figure.

    Named designs have fixed colours; a design added to ``configs/design/`` later takes the next
    unused colour of :data:`EXTRA_COLORS` in name order, and any other name (an ad-hoc label)
    gets one by a hash of the name, so it too is stable from figure to figure.
    """
    name = str(name)
    if name in DESIGN_COLORS:
        return DESIGN_COLORS[name]
    unlisted = _unlisted_designs()
    if name in unlisted:
        return EXTRA_COLORS[unlisted.index(name) % len(EXTRA_COLORS)]
    return EXTRA_COLORS[zlib.crc32(name.encode()) % len(EXTRA_COLORS)]


def design_label(name: str) -> str:
    """A design's plain-language name (``business_as_usual`` -> "business as usual").

    An inline variant (``bsc+collaborative.modality=virtual``) reads as its design and the last
    part of each key: "BSC (default) + modality=virtual" (``team.enabled`` keeps its group).
    """
    name = str(name)
    if name in DESIGN_LABELS:
        return DESIGN_LABELS[name]
    head, *changes = name.split("+")
    if not changes or not all("=" in c for c in changes):
        return name.replace("_", " ")
    shown = []
    for change in changes:
        key, _, value = change.partition("=")
        parts = key.split(".")
        short = ".".join(parts[-2:]) if parts[-1] == "enabled" else parts[-1]
        shown.append(f"{short}={value}")
    return f"{design_label(head)} + {', '.join(shown)}"


def design_colors(names) -> dict[str, str]:
    """Colours for the designs of one figure or experiment, all different.

    A named design keeps its fixed colour; any other (a design file, a variant) takes its own
    colour (:func:`design_color`) unless a design listed before it has that one, and then the
    first colour of :data:`EXTRA_COLORS` and :data:`MORE_COLORS` nobody has. The same list of
    names always gives the same colours.
    """
    names = [str(n) for n in dict.fromkeys(names)]
    out = {n: DESIGN_COLORS[n] for n in names if n in DESIGN_COLORS}
    spare = [c for c in (*EXTRA_COLORS, *MORE_COLORS) if c not in out.values()]
    for name in names:
        if name in out:
            continue
        colour = design_color(name)
        if colour in out.values():
            colour = next((c for c in spare if c not in out.values()), colour)
        out[name] = colour
    return {n: out[n] for n in names}


def practice_colors(names) -> dict[str, str]:
    """A fixed colour per practice, in change-package order."""
    return {name: PRACTICE_COLORS[i % len(PRACTICE_COLORS)] for i, name in enumerate(names)}


def practice_label(name: str) -> str:
    """``emotion_coaching`` -> "emotion coaching"."""
    return str(name).replace("_", " ")


# Outcomes (summary keys and per-week columns) in plain language, for axis labels and titles.
OUTCOME_LABELS = {
    "frac_classrooms_reached": "classrooms reached",
    "frac_classrooms_reached_baseline": "classrooms reached at the start",
    "frac_classrooms_reached_end": "classrooms reached when the collaborative ends",
    "frac_classrooms_reached_followup": "classrooms reached a year later",
    "frac_classrooms_sustained_followup": "classrooms sustained (reached at the end and a year later)",
    "frac_classrooms_reached_lag": "classrooms reached a year after the design's own supports end",
    "frac_classrooms_sustained_lag": "classrooms sustained (reached at the end and a year after the design's supports end)",
    "frac_classrooms_using_baseline": "classrooms using a practice (any fidelity) at the start",
    "frac_classrooms_using_end": "classrooms using a practice (any fidelity) when the collaborative ends",
    "frac_classrooms_using_followup": "classrooms using a practice (any fidelity) a year later",
    "frac_classrooms_using_lag": "classrooms using a practice (any fidelity) a year after the design's supports end",
    "frac_frontline_fidelity_end": "teaching staff at fidelity when the collaborative ends",
    "frac_staff_fidelity": "eligible staff at fidelity",
    "frac_staff_using": "eligible staff using",
    "mean_progress_score": "mean team progress score (1-5)",
    "cost_total": "total cost",
    "cost_per_classroom_reached": "cost per classroom reached",
    "cost_per_classroom_sustained": "cost per classroom sustained",
    "frac_pdsa_well_run": "PDSA cycles well run",
    "frac_pdsa_misread": "PDSA results misread",
    "culture_end": "learning culture when the collaborative ends",
    "frac_nonteam_staff_adopted": "staff beyond the team using a practice",
    "frac_families_home_use_end": "families using a practice at home",
}
# Short forms for small panels.
OUTCOME_SHORT = {
    "frac_classrooms_reached_end": "classrooms reached, end",
    "frac_classrooms_reached_followup": "classrooms reached, a year later",
    "frac_classrooms_sustained_followup": "classrooms sustained",
    "frac_classrooms_reached_lag": "classrooms reached, a year after supports",
    "frac_classrooms_sustained_lag": "classrooms sustained, a year after supports",
    "frac_classrooms_using_followup": "classrooms using, a year later",
    "frac_classrooms_using_lag": "classrooms using, a year after supports",
    "frac_frontline_fidelity_end": "teaching staff at fidelity, end",
    "mean_progress_score": "team progress score (1-5)",
}


def outcome_label(name: str, short: bool = False) -> str:
    """Plain-language name of an outcome (its key with underscores as spaces if unknown)."""
    if short and name in OUTCOME_SHORT:
        return OUTCOME_SHORT[name]
    return OUTCOME_LABELS.get(name, name.removeprefix("frac_").replace("_", " "))


def is_share(name: str) -> bool:
    """Outcomes that are shares 0-1 (drawn on percent axes)."""
    return name.startswith("frac_")


def is_money(name: str) -> bool:
    """Outcomes in US dollars (drawn on currency axes)."""
    return name.startswith("cost_")


@lru_cache(maxsize=1)
def _param_docs() -> dict[str, str]:
    from .params import Params
    from .paramtools import iter_fields

    return {key: meta.get("doc", "") for key, _, meta in iter_fields(Params)}


def param_label(key: str) -> str:
    """A parameter's one-line meaning from its declaration (``turnover.annual_rate_mean`` ->
    "mean programme-level annual staff turnover"), without parenthetical detail; else the key."""
    doc = _param_docs().get(key, "")
    if not doc:
        return key
    short = doc.split(" (")[0].strip()
    return short or key


EVENT_LABELS = {"community_meeting": "community meeting", "call": "call", "congress": "closing congress",
                "coach_visit": "coach visits", "training": "one-off training workshop"}


def event_label(name: str) -> str:
    """A calendar event in plain language (``learning_session_2`` -> "learning session 2")."""
    if name.startswith("learning_session_"):
        return f"learning session {name.rsplit('_', 1)[1]}"
    return EVENT_LABELS.get(name, name.replace("_", " "))
