"""Uncertainty that includes the parameters: each replicate draws its own world.

With ``uncertainty=seed`` (the default) an experiment's intervals reflect only the model's
stochasticity: every replicate runs the same parameters with another seed. With
``uncertainty=parameters`` each replicate also draws the parameters that are not known (staff
turnover, spread rates, lapse, ...) from the ranges of an uncertainty file
(``configs/uncertainty/default.yaml``; every range cites a source or says "assumption"), so the
intervals also carry what is not known about the world.

Common random numbers. The draw of a replicate is a function of its seed only, through a seed
sequence of its own (``SeedSequence([DRAW_TAG, seed])``, never one of the model's streams).
Replicate ``r`` has the same seed in every design and sweep point of an experiment, so it meets
the same world everywhere, and paired differences between designs stay paired; replicates with
other seeds meet other worlds. The same seed always gives the same draw, on any executor.

Usage: :func:`apply_uncertainty` turns a list of :class:`~.specs.RunSpec` into one whose
``params`` carry the drawn values and whose labels (hence the result columns) name them;
:func:`with_uncertainty` does that for an experiment command and records in its description
(``experiment.json``) which uncertainty was used and from which file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..paramtools import ParamError
from .specs import RunSpec, params_with

__all__ = ["UncertainRange", "Uncertainty", "load_uncertainty", "draw_world", "apply_uncertainty", "load_worlds",
           "world_weights", "apply_worlds",
           "with_uncertainty", "default_uncertainty_file", "MODES", "DRAW_TAG"]

MODES = ("seed", "parameters")
# Mixed into the seed sequence of every draw, so that a world never shares a stream with the
# model run of the same seed (which seeds its generator with the bare seed).
DRAW_TAG = 0x756E63  # "unc"

# Design choices are levers, not uncertainties: an uncertainty file may not draw them.
LEVER_PREFIXES = ("collaborative.", "team.", "coaching.", "training.")
LEVER_KEYS = frozenset({"design", "seed", "followup_weeks", "lag_weeks", "cohort.n_programs", "cohort.selection",
                        "cohort.applicant_pool_factor"})
# ... except these, which describe how the world responds to a design, not the design itself.
WORLD_KEYS = frozenset({"training.lasting_gain", "training.p_try"})


@dataclass(frozen=True)
class UncertainRange:
    """One uncertain parameter: drawn uniformly on [low, high] (whole numbers for integer keys)."""

    key: str
    low: float
    high: float
    source: str
    integer: bool = False

    def from_unit(self, u: float) -> float | int:
        if self.integer:
            lo, hi = int(np.ceil(self.low)), int(np.floor(self.high))
            return int(min(lo + np.floor(u * (hi - lo + 1)), hi))
        return float(self.low + u * (self.high - self.low))


@dataclass(frozen=True)
class Uncertainty:
    """The uncertain parameters of an experiment and the file they came from."""

    parameters: tuple[UncertainRange, ...]
    path: str

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parameters)

    def without(self, keys: Iterable[str]) -> Uncertainty:
        """The same, minus ``keys`` (those an experiment varies itself)."""
        drop = set(keys)
        return replace(self, parameters=tuple(p for p in self.parameters if p.key not in drop))

    def describe(self) -> dict[str, Any]:
        return {"uncertainty": "parameters", "uncertainty_file": self.path,
                "uncertain_parameters": {p.key: {"low": p.low, "high": p.high, "source": p.source}
                                         for p in self.parameters}}


def default_uncertainty_file() -> Path:
    from ..config import config_dir

    return config_dir() / "uncertainty" / "default.yaml"


def load_uncertainty(path: str | Path | None = None) -> Uncertainty:
    """Read and check an uncertainty file (default: ``configs/uncertainty/default.yaml``).

    Raises:
        ParamError: one line naming the key and value: an unknown or lever key, a range that is
            not two numbers with low < high, a value the parameter refuses, or a missing source.
    """
    from ..config import known_keys
    from ..datafiles import read_yaml_file
    from ..params import Params

    path = Path(path) if path is not None else default_uncertainty_file()
    shown = f"uncertainty = {str(path)!r}"
    if not path.is_file():
        raise ParamError(f"{shown}: file not found (give seed, parameters or a path to an uncertainty .yaml file)")
    data = read_yaml_file(path, shown) or {}
    if not isinstance(data, Mapping) or set(data) - {"parameters"}:
        raise ParamError(f"{shown}: expected one top-level key, parameters:")
    entries = data.get("parameters") or {}
    if not isinstance(entries, Mapping) or not entries:
        raise ParamError(f"{shown}: parameters: give at least one uncertain parameter")
    defaults = known_keys()
    ranges = []
    for key, spec in entries.items():
        where = f"uncertainty.parameters.{key}"
        if key not in defaults or key in ("out_dir", "memory_limit"):
            raise ParamError(f"{where}: unknown parameter (value {spec!r})")
        if key not in WORLD_KEYS and (key in LEVER_KEYS or key.startswith(LEVER_PREFIXES)):
            raise ParamError(f"{where}: a design lever, not an uncertainty; vary it with compare, sweep or optimize")
        if not isinstance(spec, Mapping) or set(spec) != {"low", "high", "source"}:
            raise ParamError(f"{where} = {spec!r}: give low:, high: and source: (a citation, or 'assumption')")
        lo, hi, source = spec["low"], spec["high"], spec["source"]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)) or not lo < hi:
            raise ParamError(f"{where} = {spec!r}: low and high must be numbers with low < high")
        if not isinstance(source, str) or not source.strip():
            raise ParamError(f"{where}.source = {source!r}: cite a source or write 'assumption'")
        default = defaults[key]
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise ParamError(f"{where}: {default!r} is not a number; only numeric parameters can be drawn")
        ranges.append(UncertainRange(key, float(lo), float(hi), source.strip(), integer=isinstance(default, int)))
    base = Params()
    for r in ranges:  # both ends must be values the parameter accepts
        for value in (r.from_unit(0.0), r.from_unit(1.0 - 1e-12)):
            try:
                params_with(base, {r.key: value})
            except ParamError as exc:
                raise ParamError(f"uncertainty.parameters.{r.key}: range end {value!r} refused ({exc})") from None
    return Uncertainty(tuple(ranges), str(path))


def draw_world(uncertainty: Uncertainty, seed: int) -> dict[str, float | int]:
    """The uncertain parameters' values for the replicate with ``seed`` (the same seed, the same world).

    One uniform number per parameter of the file, in the file's order, from
    ``SeedSequence([DRAW_TAG, seed])``. A parameter left out with :meth:`Uncertainty.without`
    keeps its place in the stream, so the others draw the same values either way.
    """
    rng = np.random.default_rng(np.random.SeedSequence([DRAW_TAG, int(seed)]))
    u = rng.random(len(uncertainty.parameters))
    return {p.key: p.from_unit(float(x)) for p, x in zip(uncertainty.parameters, u)}


def apply_uncertainty(specs: Sequence[RunSpec], uncertainty: Uncertainty, skip: Iterable[str] = ()) -> list[RunSpec]:
    """The specs with each replicate's drawn world in its ``params`` and labels.

    Args:
        specs: an experiment's runs (replicate ``r`` has the same seed in every design or point).
        uncertainty: the uncertain parameters (see :func:`load_uncertainty`).
        skip: keys not drawn because the experiment varies them itself (sweep parameters,
            discover contexts); the others draw the same values as without ``skip``.

    Raises:
        ParamError: a drawn value the parameters refuse in combination with a design.
    """
    skip = set(skip)
    return _with_worlds(specs, lambda spec: ({k: v for k, v in draw_world(uncertainty, spec.seed).items()
                                              if k not in skip}, spec.seed, f"uncertainty (run {spec.run_id})"))


def _with_worlds(specs: Sequence[RunSpec], world_of) -> list[RunSpec]:
    """Each spec with its world's values set and recorded as labels. ``world_of(spec)`` gives
    ``(world, key, shown)``: the parameter values, what identifies the world (specs of one design
    with the same key share one params object) and how an error names it."""
    out = []
    cache: dict[tuple[int, Any], Any] = {}  # (params object, world key) -> params with the world
    for spec in specs:
        world, key, shown = world_of(spec)
        ck = (id(spec.params), key)
        if ck not in cache:
            try:
                cache[ck] = params_with(spec.params, world)
            except ParamError as exc:
                raise ParamError(f"{shown}: {exc}") from None
        out.append(replace(spec, params=cache[ck], labels={**spec.labels, **world}))
    return out


def with_uncertainty(specs: list[RunSpec], description: dict[str, Any], setting: str | Path | None,
                     *, overrides: Sequence[str] = (), skip: Iterable[str] = ()) -> tuple[list[RunSpec], dict[str, Any]]:
    """An experiment command's hook: ``setting`` is ``seed`` (or None), ``parameters`` (the
    default file), a path to an uncertainty file, or a path to a table of worlds (.csv, one row
    per replicate: :func:`load_worlds`). Returns the specs to run and the description
    for ``experiment.json``, which records ``"uncertainty": "seed"`` or ``"parameters"`` (with the
    file and its ranges).

    Raises:
        ParamError: an unknown setting, a bad file, or a model override of a key the file draws
            (the draw would silently replace it).
    """
    if setting is None or str(setting) == "seed":
        return specs, {**description, "uncertainty": "seed"}
    setting = str(setting)
    if setting.endswith(".csv"):  # a table of worlds (e.g. posterior draws): replicate r runs row r
        table = load_worlds(setting)
        fixed = {o.split("=", 1)[0].strip() for o in overrides if "=" in o}
        clash = sorted(fixed & set(table.columns))
        if clash:
            raise ParamError(f"{clash[0]}: set on the command line and given by the draws table {setting}; "
                             "remove one of the two")
        return apply_worlds(specs, table), {**description, "uncertainty": "parameters", "uncertainty_file": setting,
                                            "uncertain_parameters": {k: {"source": setting} for k in table.columns}}
    if setting != "parameters" and not setting.endswith((".yaml", ".yml")):
        raise ParamError(f"uncertainty = {setting!r}: expected seed, parameters or a path to a .yaml file")
    uncertainty = load_uncertainty(None if setting == "parameters" else setting)
    fixed = {o.split("=", 1)[0].strip() for o in overrides if "=" in o}
    clash = sorted(fixed & set(uncertainty.keys))
    if clash:
        raise ParamError(f"{clash[0]}: set on the command line and drawn by uncertainty={setting}; "
                         "remove one of the two")
    skip = set(skip)
    used = uncertainty.without(skip)
    specs = apply_uncertainty(specs, uncertainty, skip=skip)
    return specs, {**description, **used.describe(), "uncertainty_not_drawn": sorted(skip & set(uncertainty.keys))}


WEIGHT = "weight"


def load_worlds(path: str | Path) -> Any:
    """A table of worlds (.csv): one row per world, a column per uncertain parameter (dotted keys,
    numeric, not design levers) and optionally ``weight`` (e.g. importance weights of a posterior).
    Returns the parameter columns; read the weights with :func:`world_weights`.

    Raises:
        ParamError: one line naming the file, column or value that cannot be used.
    """
    import pandas as pd

    from ..config import known_keys

    shown = f"draws = {str(path)!r}"
    if not Path(path).is_file():
        raise ParamError(f"{shown}: file not found")
    try:
        table = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable table is one line
        raise ParamError(f"{shown}: not a readable CSV table ({exc.__class__.__name__})") from None
    defaults = known_keys()
    for column in table.columns:
        if column == WEIGHT:
            continue
        if column not in defaults or column in ("out_dir", "memory_limit"):
            raise ParamError(f"{shown}: column {column!r} is not a model parameter")
        if column not in WORLD_KEYS and (column in LEVER_KEYS or column.startswith(LEVER_PREFIXES)):
            raise ParamError(f"{shown}: column {column!r} is a design lever, not an uncertainty")
        values = pd.to_numeric(table[column], errors="coerce")
        if not np.isfinite(values.to_numpy(np.float64)).all():
            raise ParamError(f"{shown}: column {column!r} has a value that is not a finite number")
    if len(table) == 0 or not [c for c in table.columns if c != WEIGHT]:
        raise ParamError(f"{shown}: give at least one row and one parameter column")
    world_weights(table, shown)
    return table.drop(columns=[WEIGHT], errors="ignore")


def world_weights(table: Any, shown: str = "draws") -> np.ndarray | None:
    """The ``weight`` column of a worlds table as an array (None without one), checked."""
    import pandas as pd

    if WEIGHT not in table:
        return None
    w = pd.to_numeric(table[WEIGHT], errors="coerce").to_numpy(np.float64)
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ParamError(f"{shown}: column 'weight' must hold finite numbers >= 0, not all 0")
    return w


def apply_worlds(specs: Sequence[RunSpec], table: Any) -> list[RunSpec]:
    """The specs with replicate ``r`` set to row ``r`` of the worlds table (every design the same row)."""
    from ..config import known_keys

    defaults = known_keys()
    integer = {k for k in table.columns if isinstance(defaults[k], int) and not isinstance(defaults[k], bool)}
    rows = table.to_dict("records")

    def world_of(spec: RunSpec):
        r = int(spec.labels["replicate"])
        return {k: int(v) if k in integer else float(v) for k, v in rows[r].items()}, r, f"draws (row {r})"

    return _with_worlds(specs, world_of)
