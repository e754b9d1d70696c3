"""Many parameter draws x seeds in one process, without composing a config per run.

``bsc-sim run`` and the experiment runner compose the Hydra config for a design and turn it into
:class:`~bsc_sim.params.Params`; a calibration or a value-of-information study runs thousands of
worlds of one design, and each world differs from the design's parameters in a few dotted keys
only. :class:`Batch` composes the design once, then applies a world by replacing the changed
fields of the frozen dataclasses (:func:`with_values`), which checks each value exactly as a
config would (ranges and cross-field checks), and runs only what the run summary needs: the model
and :func:`bsc_sim.model.outcomes.summarize`, not the timeseries and event tables of
:func:`bsc_sim.run.run_sim`. The summary of a world and seed is identical to
``run_sim(params_with(base, world), seed).summary`` (tested).

    >>> batch = Batch(["design=bsc"])                                      # doctest: +SKIP
    >>> table = batch.run([{"sustain.lapse_weekly": 0.02}, {}], seeds=[1, 2])  # doctest: +SKIP

``table`` has one row per (world, seed) in that order: ``world`` (the index of the world),
``seed``, then every column of the run summary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .paramtools import ParamError
from .params import Params

__all__ = ["Batch", "with_values", "run_summary"]


def _convert(old: Any, value: Any, key: str) -> Any:
    """``value`` in the type of the field it replaces (the conversions of a config's values)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(old, bool):
        if not isinstance(value, bool):
            raise ParamError(f"{key} = {value!r}: expected true or false")
        return value
    if isinstance(old, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{key} = {value!r}: expected an integer")
        return value
    if isinstance(old, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{key} = {value!r}: expected a number")
        return float(value)
    if isinstance(old, str) and isinstance(value, str):
        return value
    raise ParamError(f"{key} = {value!r}: only numbers, booleans and text can be replaced this way")


def _replace(obj: Any, changes: Mapping[tuple[str, ...], Any], prefix: str) -> Any:
    """``obj`` (a parameter dataclass, or a dict of them) with the leaves at ``changes`` replaced."""
    heads: dict[str, dict[tuple[str, ...], Any]] = {}
    for path, value in changes.items():
        heads.setdefault(path[0], {})[path[1:]] = value
    if isinstance(obj, Mapping):
        out = dict(obj)
        for name, sub in heads.items():
            if name not in out:
                raise ParamError(f"{prefix}{name}: unknown parameter")
            out[name] = _replace(out[name], sub, f"{prefix}{name}.")
        return out
    names = {f.name for f in dataclasses.fields(obj)}
    kwargs = {}
    for name, sub in heads.items():
        key = f"{prefix}{name}"
        if name not in names:
            raise ParamError(f"{key}: unknown parameter (value {next(iter(sub.values()))!r})")
        old = getattr(obj, name)
        if () in sub:
            if dataclasses.is_dataclass(old) or isinstance(old, Mapping):
                raise ParamError(f"{key}: a group of parameters, not one; set its fields")
            kwargs[name] = _convert(old, sub[()], key)
        else:
            if not (dataclasses.is_dataclass(old) or isinstance(old, Mapping)):
                raise ParamError(f"{key}.{'.'.join(next(iter(sub)))}: unknown parameter")
            kwargs[name] = _replace(old, sub, key + ".")
    try:
        return dataclasses.replace(obj, **kwargs)
    except ParamError as exc:  # the dataclass names ClassName.field: say the dotted key instead
        raise ParamError(f"{prefix.rstrip('.') or 'params'}: {exc}") from None


def with_values(params: Params, values: Mapping[str, Any]) -> Params:
    """``params`` with the dotted keys of ``values`` replaced: the same parameters as
    :func:`bsc_sim.experiments.specs.params_with`, without the round trip through a dict.

    Raises:
        ParamError: an unknown key, a value of the wrong type or outside its range, or a
            combination the cross-field checks refuse.
    """
    if not values:
        return params
    return _replace(params, {tuple(k.split(".")): v for k, v in values.items()}, "")


def run_summary(params: Params, seed: int) -> dict[str, Any]:
    """The run summary (:func:`bsc_sim.model.outcomes.summarize`) of one run, nothing else."""
    from .mesa_import import import_mesa

    import_mesa()
    from .model import BSCModel
    from .model.outcomes import summarize

    model = BSCModel(params, seed=seed, create_agents=False)
    model.run()
    return summarize(model)


class Batch:
    """A design composed once, run for many worlds and seeds in this process.

    Args:
        overrides: Hydra overrides of the design (default ``["design=bsc"]``), composed once.
        params: or the base parameters themselves (then ``overrides`` must be empty).
    """

    def __init__(self, overrides: Sequence[str] | None = None, params: Params | None = None):
        if params is not None and overrides:
            raise ParamError("Batch: give overrides or params, not both")
        if params is None:
            from .config import load_params

            params = load_params(list(overrides or ["design=bsc"]))
        self.base = params
        self._cache: dict[tuple, Params] = {}

    def params_for(self, world: Mapping[str, Any]) -> Params:
        """The base parameters with ``world``'s values (the last few worlds are cached)."""
        key = tuple(sorted((k, float(v) if not isinstance(v, str) else v) for k, v in world.items()))
        p = self._cache.get(key)
        if p is None:
            if len(self._cache) > 64:
                self._cache.clear()
            p = self._cache[key] = with_values(self.base, world)
        return p

    def run(self, worlds: Iterable[Mapping[str, Any]] | pd.DataFrame, seeds: Sequence[int],
            columns: Sequence[str] | None = None,
            progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Every world with every seed: one row per (world, seed), worlds in order, then seeds.

        Args:
            worlds: parameter values per world (dicts of dotted keys, or the rows of a table;
                a ``weight`` column is ignored).
            seeds: the model seeds each world runs with (the same seeds for every world:
                common random numbers).
            columns: summary columns to keep (default: all).
            progress: called with (runs done, runs in all) after each run.
        """
        if isinstance(worlds, pd.DataFrame):
            worlds = worlds.drop(columns=["weight"], errors="ignore").to_dict("records")
        worlds = list(worlds)
        total, done = len(worlds) * len(seeds), 0
        rows = []
        for w, world in enumerate(worlds):
            params = self.params_for(world)
            for seed in seeds:
                summary = run_summary(params, int(seed))
                if columns is not None:
                    summary = {c: summary[c] for c in columns}
                rows.append({"world": w, "seed": int(seed), **summary})
                done += 1
                if progress is not None:
                    progress(done, total)
        return pd.DataFrame(rows)

