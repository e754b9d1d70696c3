"""Targets files of ``bsc-sim calibrate``: what to fit (free parameters) and to what (targets).

A targets file (YAML; ``configs/calibration/default.yaml`` is the worked example) holds ``base``
overrides, ``parameters`` (dotted key, ``low``, ``high``, optional ``log``), ``facts`` (ids of
facts with role ``calibration`` in the registered facts file, ``configs/validation/facts.yaml`` or
``facts_file``) and optionally ``trials``, ``replicates`` and ``seed``. Empirical targets come only
from calibration facts: a validation fact is refused (it may never be fitted). ``targets``
(summary indicator, ``value``, ``tolerance``, optional ``weight``, ``source`` and ``per``) is
accepted only for values the model generated itself, each marked ``synthetic: true`` (synthetic
recovery and re-identification checks). This module reads and checks one; :mod:`.calibrate` fits it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..experiments.specs import params_with
from ..paramtools import ParamError, to_dict
from ..params import Params

__all__ = ["CalibrationSpec", "FreeParameter", "Target", "load_spec", "spec_from_dict", "validate_spec",
           "summary_indicators", "flat_values", "whole_number"]

SPEC_KEYS = {"base", "parameters", "facts", "facts_file", "targets", "trials", "replicates", "seed"}
PARAMETER_KEYS = {"key", "low", "high", "log"}
TARGET_KEYS = {"indicator", "value", "tolerance", "weight", "source", "per", "synthetic"}
NOT_CALIBRATABLE = {"seed", "design"}


@dataclass(frozen=True)
class FreeParameter:
    """A parameter searched between ``low`` and ``high`` (on a log scale if ``log``)."""

    key: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Target:
    """An indicator the model should reproduce: ``value`` within about ``tolerance``."""

    indicator: str
    value: float
    tolerance: float
    weight: float = 1.0
    source: str = ""
    per: str | None = None    # the target is sum(indicator) / sum(per) over replicates
    fact: str | None = None   # the registered calibration fact it comes from (None: synthetic)

    @property
    def label(self) -> str:
        return f"{self.indicator}/{self.per}" if self.per else self.indicator


@dataclass(frozen=True)
class CalibrationSpec:
    """Everything that defines a calibration (what ``study.db`` is checked against on resume)."""

    base: tuple[str, ...]
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]
    trials: int = 40
    replicates: int = 4
    seed: int = 0

    def identity(self) -> dict[str, Any]:
        """The fields that change the objective; ``trials`` is excluded so a study can be extended."""
        d = asdict(self)
        d.pop("trials")
        d["base"] = list(self.base)
        d["parameters"] = [asdict(p) for p in self.parameters]
        d["targets"] = [asdict(t) for t in self.targets]
        return d


# ----------------------------------------------------------------------------------------------
# Reading and checking a targets file


def whole_number(value: Any, key: str, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ParamError(f"{key} = {value!r}: must be a whole number >= {lo}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParamError(f"{key} = {value!r}: must be a finite number")
    return float(value)


def _mapping_list(data: Any, key: str, allowed: set[str], required: Sequence[str]) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not data:
        raise ParamError(f"{key} = {data!r}: expected a non-empty list of mappings")
    for i, item in enumerate(data):
        where = f"{key}[{i}]"
        if not isinstance(item, Mapping):
            raise ParamError(f"{where} = {item!r}: expected a mapping with {', '.join(required)}")
        for k in item:
            if k not in allowed:
                raise ParamError(f"{where}.{k}: unknown key (value {item[k]!r}); known: {', '.join(sorted(allowed))}")
        for k in required:
            if k not in item:
                raise ParamError(f"{where}.{k}: required")
    return data


def spec_from_dict(data: Any, *, overrides: Sequence[str] = (), trials: int | None = None,
                   replicates: int | None = None, seed: int | None = None) -> CalibrationSpec:
    """Build a spec from a parsed targets file; ``overrides`` are appended to its ``base``.

    Checks the structure only; :func:`validate_spec` checks keys, bounds and indicators.
    """
    if not isinstance(data, Mapping):
        raise ParamError(f"targets file = {data!r}: expected a mapping with parameters and targets")
    for k in data:
        if k not in SPEC_KEYS:
            raise ParamError(f"{k}: unknown key in the targets file (value {data[k]!r}); "
                             f"known: {', '.join(sorted(SPEC_KEYS))}")
    base = data.get("base") or []
    if not isinstance(base, list) or not all(isinstance(b, str) for b in base):
        raise ParamError(f"base = {base!r}: expected a list of KEY=VALUE overrides")
    params = []
    for p in _mapping_list(data.get("parameters"), "parameters", PARAMETER_KEYS, ("key", "low", "high")):
        key = str(p["key"])
        log = p.get("log", False)
        if not isinstance(log, bool):
            raise ParamError(f"{key}.log = {log!r}: expected true or false")
        params.append(FreeParameter(key=key, low=_number(p["low"], f"{key}.low"),
                                    high=_number(p["high"], f"{key}.high"), log=log))
    targets: list[Target] = []
    fact_ids = data.get("facts") or []
    if not isinstance(fact_ids, list) or not all(isinstance(f, str) for f in fact_ids):
        raise ParamError(f"facts = {fact_ids!r}: expected a list of fact ids")
    facts_file = data.get("facts_file")
    if fact_ids:
        from .facts import calibration_targets

        design = next((b.split("=", 1)[1].strip() for b in reversed([*base, *overrides])
                       if b.split("=", 1)[0].strip().lstrip("+~") == "design"), "bsc")
        targets += [Target(**fields) for fields in calibration_targets(fact_ids, facts_file, design)]
    elif facts_file is not None:
        raise ParamError(f"facts_file = {facts_file!r}: give the ids of its calibration facts under facts:")
    if not fact_ids and data.get("targets") is None:
        raise ParamError("facts: required: the ids of calibration facts of configs/validation/facts.yaml")
    for t in (_mapping_list(data["targets"], "targets", TARGET_KEYS, ("indicator", "value", "tolerance"))
              if data.get("targets") is not None else []):
        name = str(t["indicator"])
        if t.get("synthetic") is not True:
            raise ParamError(f"{name}: a target without synthetic: true; empirical targets come only from "
                             "facts with role calibration in configs/validation/facts.yaml (list their ids under facts:)")
        targets.append(Target(indicator=name, value=_number(t["value"], f"{name}.value"),
                              tolerance=_number(t["tolerance"], f"{name}.tolerance"),
                              weight=_number(t.get("weight", 1.0), f"{name}.weight"),
                              source=str(t.get("source", "")), per=None if t.get("per") is None else str(t["per"])))
    return CalibrationSpec(
        base=tuple(base) + tuple(overrides), parameters=tuple(params), targets=tuple(targets),
        trials=whole_number(data.get("trials", 40) if trials is None else trials, "trials", 1),
        replicates=whole_number(data.get("replicates", 4) if replicates is None else replicates, "replicates", 1),
        seed=whole_number(data.get("seed", 0) if seed is None else seed, "seed", 0),
    )


def load_spec(path: str | Path, **kwargs: Any) -> CalibrationSpec:
    """Read a targets file (YAML); keyword arguments as for :func:`spec_from_dict`."""
    from ..datafiles import read_yaml_file

    return spec_from_dict(read_yaml_file(path, f"targets = {str(path)!r}"), **kwargs)


def summary_indicators() -> tuple[str, ...]:
    """Names of the scalar outcomes of a run (shared with the experiment configs' check)."""
    from ..experiments.design import summary_outcomes

    return summary_outcomes()


def flat_values(params: Params) -> dict[str, Any]:
    """Every leaf parameter as ``{dotted key: value}`` (practices added by overrides included)."""
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for k, v in node.items():
            if isinstance(v, Mapping):
                walk(v, f"{prefix}{k}.")
            else:
                out[f"{prefix}{k}"] = v

    walk(to_dict(params), "")
    return out


def validate_spec(spec: CalibrationSpec) -> Params:
    """Check every key, bound and indicator of ``spec``; return the base parameters.

    Raises:
        ParamError: one line naming the offending key and value.
    """
    from ..config import load_params

    base = load_params(list(spec.base))
    values = flat_values(base)
    seen: set[str] = set()
    for p in spec.parameters:
        if p.key in seen:
            raise ParamError(f"{p.key}: listed twice under parameters")
        seen.add(p.key)
        if p.key not in values:
            hint = difflib.get_close_matches(p.key, list(values), n=1)
            raise ParamError(f"{p.key}: unknown parameter (low {p.low:g}, high {p.high:g})"
                             + (f"; did you mean {hint[0]}?" if hint else ""))
        tp = type(values[p.key])
        if p.key in NOT_CALIBRATABLE or tp not in (int, float):
            raise ParamError(f"{p.key}: not a numeric model parameter, cannot be calibrated")
        if not p.low < p.high:
            raise ParamError(f"{p.key}.low = {p.low:g}: must be < high ({p.high:g})")
        if p.log and p.low <= 0:
            raise ParamError(f"{p.key}.low = {p.low:g}: must be > 0 with log: true")
        if tp is int and not (float(p.low).is_integer() and float(p.high).is_integer()):
            raise ParamError(f"{p.key}.low = {p.low:g}: bounds of an integer parameter must be whole numbers")
        for bound in (p.low, p.high):  # the range checks of params.py, naming the key and value
            params_with(base, {p.key: int(bound) if tp is int else bound})
    known = set(summary_indicators())
    seen = set()
    for t in spec.targets:
        if t.indicator not in known:
            hint = difflib.get_close_matches(t.indicator, sorted(known), n=1)
            raise ParamError(f"{t.indicator}: unknown indicator (value {t.value:g})"
                             + (f"; did you mean {hint[0]}?" if hint else "; see bsc_sim.model.outcomes.summarize"))
        if t.per is not None and t.per not in known:
            raise ParamError(f"{t.indicator}.per = {t.per!r}: unknown indicator")
        if t.label in seen:
            raise ParamError(f"{t.label}: listed twice under targets")
        seen.add(t.label)
        if not t.tolerance > 0:
            raise ParamError(f"{t.indicator}.tolerance = {t.tolerance:g}: must be > 0")
        if t.weight < 0:
            raise ParamError(f"{t.indicator}.weight = {t.weight:g}: must be >= 0")
    return base
