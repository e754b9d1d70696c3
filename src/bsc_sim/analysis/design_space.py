"""The design levers a planner can pull, as a search space, and design files written from a point of it.

Each :class:`Dimension` is one lever of the issue's list (sessions, spacing, modality, team
composition, cohort size, readiness selection, data-use support, coaching, follow-up support)
mapped onto the real parameter keys of :mod:`bsc_sim.params`. Team compositions are those of
the shipped designs (``bsc``, ``bsc_no_families``, ``bsc_no_leaders``, ``bsc_teachers_only``,
``bsc_leaders_only``),
read from their files, so a composition here is always one a planner can also name.

A point of the space (lever name -> value) becomes parameter values with :func:`point_values`
and a design file with :func:`design_yaml`: the shape of ``configs/design/bsc_virtual.yaml``
(``# @package _global_``, ``defaults: [- bsc]``, ``design: NAME``, nested overrides) plus a
top-level ``description:``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from ..paramtools import ParamError
from ..params import Params

__all__ = ["Dimension", "DIMENSIONS", "TEAMS", "point_values", "max_spacing", "max_followup_support", "design_yaml", "choose_dimensions",
           "parse_design_yaml"]

# Team compositions: name -> the shipped design whose team it is.
TEAMS = {"all_levels": "bsc", "no_families": "bsc_no_families", "no_leaders": "bsc_no_leaders",
         "teachers_only": "bsc_teachers_only", "leaders_only": "bsc_leaders_only"}


@dataclass(frozen=True)
class Dimension:
    """One lever of the search: an integer or float range (with a step) or a list of choices."""

    name: str
    label: str
    key: str                       # the parameter it sets ("team" sets every team.* key)
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()

    @property
    def integer(self) -> bool:
        return self.low is not None and isinstance(self.low, int) and isinstance(self.step, int)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("sessions", "learning sessions", "collaborative.n_sessions", 2, 5, 1),
    Dimension("spacing", "weeks between sessions (capped so the last falls before the congress)",
              "collaborative.session_spacing_weeks", 4, 16, 1),
    Dimension("modality", "session modality", "collaborative.modality", choices=("in_person", "virtual")),
    Dimension("team", "team composition", "team", choices=tuple(TEAMS)),
    Dimension("cohort", "programmes in the cohort", "cohort.n_programs", 4, 30, 1),
    Dimension("selection", "recruitment", "cohort.selection", choices=("open", "readiness")),
    Dimension("data_support", "data-use support (0-1)", "collaborative.data_use_support", 0.0, 1.0, 0.25),
    Dimension("coaching", "a coach per programme on top", "coaching.enabled", choices=(False, True)),
    Dimension("followup_support", "weeks of support after the end (capped at half the follow-up year)",
              "collaborative.followup_support_weeks", 0, 52, 13),
)


def choose_dimensions(names: Sequence[str] | None) -> tuple[Dimension, ...]:
    """The dimensions named (all by default); ``spacing`` needs ``sessions`` or a fixed session count."""
    if names is None:
        return DIMENSIONS
    known = {d.name: d for d in DIMENSIONS}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ParamError(f"levers = {unknown[0] if unknown else list(names)!r}: "
                         f"{'unknown lever' if unknown else 'name at least one'} (known: {', '.join(known)})")
    return tuple(d for d in DIMENSIONS if d.name in set(names))


def max_spacing(params: Params, n_sessions: int) -> int:
    """The widest spacing whose last session still falls before the congress (or the end)."""
    c = params.collaborative
    end = c.duration_weeks - 1 if c.congress else c.duration_weeks
    if n_sessions <= 1:
        return 10**6
    return (end - 1 - c.prework_weeks) // (n_sessions - 1)


def max_followup_support(params: Params, step: int = 13) -> int:
    """The longest follow-up support whose end still leaves half the follow-up year unsupported.

    Sustainment is read at the end of the follow-up year. Supports that ran up to that week would
    score supported use as sustained, so a search could buy "sustainment" by never stopping; the
    shipped ``bsc_followup_support`` design keeps the same ratio (26 of 52 weeks).
    """
    return (params.followup_weeks // 2) // step * step


@cache
def _team_values(design: str) -> dict[str, int]:
    from ..config import load_params
    from ..paramtools import to_dict

    return dict(to_dict(load_params([f"design={design}"]).team))


def point_values(point: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted parameter keys and values of a point (lever name -> value) of the space."""
    known = {d.name: d for d in DIMENSIONS}
    out: dict[str, Any] = {}
    for name, value in point.items():
        dim = known[name]
        if dim.key == "team":
            out.update({f"team.{k}": v for k, v in _team_values(TEAMS[value]).items()})
        else:
            out[dim.key] = value
    return out


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in values.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value.item() if hasattr(value, "item") else value
    return nested


def design_yaml(name: str, base_design: str, values: Mapping[str, Any], description: str, comment: str = "") -> str:
    """A design file: the shape of ``configs/design/bsc_virtual.yaml`` plus ``description:``."""
    import json

    head = ["# @package _global_", *[f"# {line}" for line in comment.splitlines() if line.strip()],
            "defaults:", f"  - {base_design}", f"design: {name}",
            f"description: {json.dumps(description, ensure_ascii=False)}"]  # a JSON string is a YAML string
    rest = yaml.safe_dump(_nest(values), sort_keys=False, width=10**6)
    return "\n".join(head) + "\n" + rest


def parse_design_yaml(text: str) -> tuple[str, str, str, list[str]]:
    """(base design, name, description, overrides) of a design file written by :func:`design_yaml`.

    The overrides are dotted ``KEY=VALUE`` strings, so ``load_params([f"design={base}", *overrides])``
    gives the design's parameters with the loader every command uses.
    """
    from ..datafiles import load_yaml

    data = load_yaml(text, "design file")
    defaults, name, description = data.pop("defaults"), data.pop("design"), data.pop("description", "")
    overrides: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, Mapping):
                walk(v, f"{prefix}{k}.")
            else:
                overrides.append(f"{prefix}{k}={str(v).lower() if isinstance(v, bool) else v}")

    walk(data, "")
    return defaults[0], name, description, overrides
