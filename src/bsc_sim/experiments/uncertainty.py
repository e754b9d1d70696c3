"""What an experiment's intervals carry: the calibrated posterior, the prior ranges, or chance only.

``uncertainty=posterior`` (the default of compare, optimize, discover, levers and of what the
report presents): each replicate runs one world drawn from the calibrated posterior
(``configs/posterior/draws.csv``, one row per world, weighted), so the intervals carry what is
still not known about the world after calibration as well as chance. ``uncertainty=parameters``
draws each uncertain parameter uniformly from the ranges of an uncertainty file
(``configs/uncertainty/default.yaml``; every range cites a source or says "assumption"): the
prior, before calibration. ``uncertainty=PATH.yaml`` does that for another file and
``uncertainty=PATH.csv`` runs row ``r`` of a table of worlds in replicate ``r``.
``uncertainty=none`` (alias ``seed``) runs every replicate with the same parameters and another
seed: the intervals then show seed noise only, and every output says so.

Common random numbers. The world of a replicate is a function of its seed only, through a seed
sequence of its own (``SeedSequence([DRAW_TAG, seed])`` for the prior, ``SeedSequence([POSTERIOR_TAG,
seed])`` for the posterior; never one of the model's streams). Replicate ``r`` has the same seed in
every design and sweep point of an experiment, so it meets the same world everywhere, and paired
differences between designs stay paired; replicates with other seeds meet other worlds. The same
seed always gives the same world, on any executor. A posterior replicate picks its row by
inverse-CDF sampling on the weights (multinomial resampling, one uniform number per replicate), so
rows are met in proportion to their weights.

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

__all__ = ["UncertainRange", "Uncertainty", "Posterior", "load_uncertainty", "load_posterior", "load_drawn",
           "draw_world", "apply_uncertainty", "load_worlds", "world_weights", "apply_worlds", "with_uncertainty",
           "default_uncertainty_file", "default_posterior_file", "MODES", "DEFAULT", "DRAWN", "DRAW_TAG",
           "POSTERIOR_TAG", "canonical", "seed_only_note", "intervals_note"]

# What uncertainty= accepts besides a path (.yaml: an uncertainty file; .csv: a table of worlds).
MODES = ("posterior", "parameters", "none")
DEFAULT = "posterior"   # of compare, optimize, discover, levers (and so of what the report presents)
ALIASES = {"seed": "none"}  # the name of "none" before the posterior existed
# Recorded "uncertainty" values under which each replicate ran its own world (one possible world
# per replicate: probabilities are shares of replicates, and flips can be read).
DRAWN = ("parameters", "posterior")
# Mixed into the seed sequence of every draw, so that a world never shares a stream with the
# model run of the same seed (which seeds its generator with the bare seed).
DRAW_TAG = 0x756E63  # "unc"
POSTERIOR_TAG = 0x706F73  # "pos": the posterior's row choice, a stream of its own


def canonical(setting: str | Path | None) -> str:
    """The recorded name of an uncertainty setting: ``none`` for None/``seed``/``none``, else as given."""
    if setting is None:
        return "none"
    setting = str(setting)
    return ALIASES.get(setting, setting)


def intervals_note(kind: str | None) -> str:
    """What an experiment's intervals carry, for a CSV column beside them (``uncertainty`` as recorded)."""
    kind = canonical(kind)
    if kind == "none":
        return "seed noise only (no parameter uncertainty included)"
    if kind == "posterior":
        return "calibrated posterior worlds and seed noise"
    return "parameter draws and seed noise"


def seed_only_note() -> str:
    """What every output of an ``uncertainty=none`` study says about its intervals."""
    return ("the intervals show seed noise only: every replicate used the same parameter values, so no "
            "parameter uncertainty was included (uncertainty=posterior, the default, draws a calibrated world per "
            "replicate)")

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
        raise ParamError(f"{shown}: file not found (give posterior, parameters, none or a path to an uncertainty "
                         ".yaml file)")
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


@dataclass(frozen=True, eq=False)
class Posterior:
    """A weighted table of worlds (a calibrated posterior): replicate seed ``s`` runs the row that
    :meth:`row_of` picks from the weights with its own seeded generator. Quacks like
    :class:`Uncertainty` (``keys``, ``path``, :meth:`without`, :meth:`describe`) so every command
    that draws worlds per replicate can use either."""

    values: Any                      # DataFrame: one row per world, a column per parameter
    weights: np.ndarray              # normalised, one per row
    path: str
    dropped: frozenset[str] = frozenset()
    provenance: dict[str, Any] | None = None
    integer: frozenset[str] = frozenset()  # columns of integer parameters

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.values.columns if k not in self.dropped)

    def without(self, keys: Iterable[str]) -> Posterior:
        return replace(self, dropped=self.dropped | set(keys))

    def row_of(self, seed: int) -> int:
        """The row replicate ``seed`` runs: inverse-CDF of one uniform from ``SeedSequence([POSTERIOR_TAG, seed])``."""
        u = np.random.default_rng(np.random.SeedSequence([POSTERIOR_TAG, int(seed)])).random()
        cdf = np.cumsum(self.weights)
        return int(min(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1))

    def world(self, seed: int) -> dict[str, float | int]:
        row = self.values.iloc[self.row_of(seed)]
        return {k: (int(round(float(row[k]))) if k in self.integer else float(row[k])) for k in self.keys}

    @property
    def effective_size(self) -> float:
        """Kish's effective number of worlds, 1 / sum(w^2)."""
        return float(1.0 / np.sum(self.weights ** 2))

    def describe(self) -> dict[str, Any]:
        out = {"uncertainty": "posterior", "uncertainty_file": self.path, "posterior_worlds": len(self.values),
               "posterior_effective_worlds": round(self.effective_size, 1),
               "uncertain_parameters": {k: {"source": "posterior"} for k in self.keys}}
        if self.provenance:
            out["posterior_provenance"] = {k: self.provenance[k] for k in ("method", "date", "commit")
                                           if k in self.provenance}
        return out


def default_posterior_file() -> Path:
    from ..config import config_dir

    return config_dir() / "posterior" / "draws.csv"


def load_posterior(path: str | Path | None = None) -> Posterior:
    """The calibrated posterior (default ``configs/posterior/draws.csv``, with ``provenance.yaml``
    beside it if present).

    Raises:
        ParamError: one line naming ``uncertainty = posterior`` and the file, when it is missing or
            cannot be used (and what to run instead).
    """
    path = Path(path) if path is not None else default_posterior_file()
    shown = f"uncertainty = posterior ({path})"
    if not path.is_file():
        raise ParamError(f"{shown}: no calibrated posterior found; give uncertainty=parameters (the prior ranges) "
                         "or uncertainty=none (seed noise only)")
    try:
        table = load_worlds(path)
        import pandas as pd

        w = world_weights(pd.read_csv(path), f"draws = {str(path)!r}")
    except ParamError as exc:
        raise ParamError(f"{shown}: {exc}; give uncertainty=parameters or uncertainty=none") from None
    weights = np.full(len(table), 1.0 / len(table)) if w is None else w / w.sum()
    provenance = None
    prov_path = path.with_name("provenance.yaml")
    if prov_path.is_file():
        from ..datafiles import read_yaml_file

        try:
            data = read_yaml_file(prov_path, f"posterior provenance = {str(prov_path)!r}")
            provenance = data if isinstance(data, dict) else None
        except ParamError:
            provenance = None
    from ..config import known_keys

    defaults = known_keys()
    integer = frozenset(k for k in table.columns if isinstance(defaults[k], int) and not isinstance(defaults[k], bool))
    return Posterior(table, weights, str(path), provenance=provenance, integer=integer)


def load_drawn(setting: str | Path | None) -> Uncertainty | Posterior | None:
    """What a setting draws per replicate: None for ``none``/``seed``, the posterior, the default
    uncertainty file (``parameters``) or a given one. (A table ``.csv`` runs row r in replicate r:
    see :func:`with_uncertainty`.)"""
    setting = canonical(setting)
    if setting == "none":
        return None
    if setting == "posterior":
        return load_posterior()
    if setting != "parameters" and not setting.endswith((".yaml", ".yml")):
        raise ParamError(f"uncertainty = {setting!r}: expected posterior, parameters, none or a path to a .yaml file")
    return load_uncertainty(None if setting == "parameters" else setting)


def draw_world(uncertainty: Uncertainty | Posterior, seed: int) -> dict[str, float | int]:
    """The uncertain parameters' values for the replicate with ``seed`` (the same seed, the same world).

    One uniform number per parameter of the file, in the file's order, from
    ``SeedSequence([DRAW_TAG, seed])``. A parameter left out with :meth:`Uncertainty.without`
    keeps its place in the stream, so the others draw the same values either way.
    """
    if isinstance(uncertainty, Posterior):
        return uncertainty.world(seed)
    rng = np.random.default_rng(np.random.SeedSequence([DRAW_TAG, int(seed)]))
    u = rng.random(len(uncertainty.parameters))
    return {p.key: p.from_unit(float(x)) for p, x in zip(uncertainty.parameters, u)}


def apply_uncertainty(specs: Sequence[RunSpec], uncertainty: Uncertainty | Posterior, skip: Iterable[str] = ()) -> list[RunSpec]:
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
    """An experiment command's hook: ``setting`` is ``none`` (or None, or its alias ``seed``),
    ``posterior`` (``configs/posterior/draws.csv``), ``parameters`` (the default uncertainty file),
    a path to an uncertainty file, or a path to a table of worlds (.csv, one row per replicate:
    :func:`load_worlds`). Returns the specs to run and the description for ``experiment.json``,
    which records ``"uncertainty"``: ``none``, ``posterior`` or ``parameters`` (with the file and
    what it draws).

    A model override of a key the posterior draws fixes it (a context the planner sets) and is
    recorded under ``uncertainty_not_drawn``; with ``parameters`` or a file it is refused.

    Raises:
        ParamError: an unknown setting, a missing or bad file, or a model override of a key an
            uncertainty file or table draws (the draw would silently replace it).
    """
    setting = canonical(setting)
    if setting == "none":
        return specs, {**description, "uncertainty": "none"}
    fixed = {o.split("=", 1)[0].strip().lstrip("+~") for o in overrides if "=" in o}
    if setting.endswith(".csv"):  # a table of worlds (e.g. posterior draws): replicate r runs row r
        table = load_worlds(setting)
        clash = sorted(fixed & set(table.columns))
        if clash:
            raise ParamError(f"{clash[0]}: set on the command line and given by the draws table {setting}; "
                             "remove one of the two")
        return apply_worlds(specs, table), {**description, "uncertainty": "parameters", "uncertainty_file": setting,
                                            "uncertain_parameters": {k: {"source": setting} for k in table.columns}}
    drawn = load_drawn(setting)
    skip = set(skip)
    if isinstance(drawn, Posterior):
        skip |= fixed & set(drawn.keys)
    else:
        clash = sorted(fixed & set(drawn.keys))
        if clash:
            raise ParamError(f"{clash[0]}: set on the command line and drawn by uncertainty={setting}; "
                             "remove one of the two")
    used = drawn.without(skip)
    specs = apply_uncertainty(specs, drawn, skip=skip)
    return specs, {**description, **used.describe(), "uncertainty_not_drawn": sorted(skip & set(drawn.keys))}


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
