"""The registered facts (``configs/validation/facts.yaml``): what the model is fitted to and what
it is judged against.

Each fact has a role fixed in the file before any fitting: ``calibration`` facts are the only
empirical targets ``bsc-sim calibrate`` accepts (:func:`calibration_targets`); ``validation`` facts
are never fitted and are judged by ``bsc-sim validate`` on the model's predictive distribution.
A fact's model quantity is a ratio of pooled sums, ``sum(numerator) / sum(denominator)`` over the
runs of its design, where numerator and denominator are expressions over the run summary's
columns; its criterion is an inclusive range for that ratio.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..paramtools import ParamError

__all__ = ["Quantity", "Criterion", "Fact", "ROLES", "load_facts", "default_facts_file", "calibration_targets",
           "evaluate_fact"]

ROLES = ("calibration", "validation")
FACT_KEYS = {"id", "role", "statement", "source", "model", "target", "criterion", "why"}
MODEL_KEYS = {"design", "overrides", "numerator", "denominator", "reads"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An expression is column names joined by + - * / and parentheses, with numbers (checked before eval).
EXPRESSION = re.compile(r"^[A-Za-z0-9_+\-*/(). ]+$")


@dataclass(frozen=True)
class Quantity:
    """How a fact's number is read from runs: sum(numerator) / sum(denominator) over runs of ``design``."""

    design: str
    numerator: str
    denominator: str
    overrides: tuple[str, ...] = ()
    reads: str = ""

    @property
    def group(self) -> str:
        """The run group this quantity needs (its design and overrides)."""
        return " ".join((f"design={self.design}", *self.overrides))

    @property
    def plain(self) -> bool:
        """Numerator and denominator are single summary columns (what the fitter can target)."""
        return NAME.fullmatch(self.numerator) is not None and NAME.fullmatch(self.denominator) is not None

    def columns(self) -> set[str]:
        return set(NAME.findall(self.numerator)) | set(NAME.findall(self.denominator))

    def per_run(self, runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Numerator and denominator of every run (NaN where a column is undefined)."""
        def ev(expr: str) -> np.ndarray:
            value = runs.eval(expr, engine="python") if len(runs) else pd.Series(dtype=float)
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (len(runs),)).copy()
        return ev(self.numerator), ev(self.denominator)

    def describe(self) -> str:
        over = f" with {' '.join(self.overrides)}" if self.overrides else ""
        return f"sum({self.numerator}) / sum({self.denominator}) over runs of design {self.design}{over}"


@dataclass(frozen=True)
class Criterion:
    low: float
    high: float

    def holds(self, value: float) -> bool:
        return bool(np.isfinite(value)) and self.low <= value <= self.high

    def text(self) -> str:
        if self.low <= 0:
            return f"<= {self.high:g}"
        return f"in [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Fact:
    id: str
    role: str
    statement: str
    source: str
    model: Quantity
    criterion: Criterion
    why: str
    target: tuple[float, float] | None = None   # (value, tolerance) of a calibration fact

    @property
    def keys(self) -> tuple[str, ...]:
        """Bibliography keys the source cites."""
        return tuple(k.strip() for g in re.findall(r"\[([a-z0-9; ]+)\]", self.source) for k in g.split(";"))


def default_facts_file() -> Path:
    from ..config import config_dir

    return config_dir() / "validation" / "facts.yaml"


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParamError(f"{where} = {value!r}: expected non-empty text")
    return value.strip()


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ParamError(f"{where} = {value!r}: expected a finite number")
    return float(value)


def _fact(item: Any, i: int, columns: set[str]) -> Fact:
    where = f"facts[{i}]"
    if not isinstance(item, Mapping):
        raise ParamError(f"{where} = {item!r}: expected a mapping")
    for k in item:
        if k not in FACT_KEYS:
            raise ParamError(f"{where}.{k}: unknown key (value {item[k]!r}); known: {', '.join(sorted(FACT_KEYS))}")
    fid = _str(item.get("id"), f"{where}.id")
    where = f"facts.{fid}"
    role = item.get("role")
    if role not in ROLES:
        raise ParamError(f"{where}.role = {role!r}: expected calibration or validation")
    m = item.get("model")
    if not isinstance(m, Mapping) or not {"design", "numerator", "denominator"} <= set(m) or set(m) - MODEL_KEYS:
        raise ParamError(f"{where}.model = {m!r}: expected design, numerator and denominator (and optionally overrides, reads)")
    overrides = m.get("overrides") or []
    if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
        raise ParamError(f"{where}.model.overrides = {overrides!r}: expected a list of KEY=VALUE")
    q = Quantity(design=_str(m["design"], f"{where}.model.design"), numerator=_str(m["numerator"], f"{where}.model.numerator"),
                 denominator=_str(m["denominator"], f"{where}.model.denominator"), overrides=tuple(overrides),
                 reads=str(m.get("reads", "")))
    for expr in (q.numerator, q.denominator):
        if not EXPRESSION.match(expr):
            raise ParamError(f"{where}.model: {expr!r}: only summary columns, numbers and + - * / ( ) are allowed")
    unknown = sorted(q.columns() - columns)
    if unknown:
        raise ParamError(f"{where}.model: {unknown[0]!r} is not a column of the run summary")
    c = item.get("criterion")
    if not isinstance(c, Mapping) or set(c) != {"low", "high"}:
        raise ParamError(f"{where}.criterion = {c!r}: expected low: and high:")
    crit = Criterion(_num(c["low"], f"{where}.criterion.low"), _num(c["high"], f"{where}.criterion.high"))
    if crit.low > crit.high:
        raise ParamError(f"{where}.criterion.low = {crit.low:g}: above high ({crit.high:g})")
    target = None
    if role == "calibration":
        t = item.get("target")
        if not isinstance(t, Mapping) or set(t) != {"value", "tolerance"}:
            raise ParamError(f"{where}.target = {t!r}: a calibration fact needs value: and tolerance:")
        target = (_num(t["value"], f"{where}.target.value"), _num(t["tolerance"], f"{where}.target.tolerance"))
        if target[1] <= 0:
            raise ParamError(f"{where}.target.tolerance = {target[1]:g}: must be > 0")
    elif "target" in item:
        raise ParamError(f"{where}.target: a validation fact is never fitted and has no target")
    return Fact(id=fid, role=role, statement=_str(item.get("statement"), f"{where}.statement"),
                source=_str(item.get("source"), f"{where}.source"), model=q, criterion=crit,
                why=_str(item.get("why"), f"{where}.why"), target=target)


def load_facts(path: str | Path | None = None) -> tuple[Fact, ...]:
    """Read and check a facts file (default ``configs/validation/facts.yaml``).

    Raises:
        ParamError: one line naming the fact and key: a missing or unknown key, a role other than
            calibration/validation, a quantity naming something that is not a summary column, a
            criterion with low > high, a calibration fact without a target, or a duplicate id.
    """
    from ..datafiles import read_yaml_file
    from ..experiments.design import summary_outcomes as summary_indicators  # (targets imports this module)

    path = Path(path) if path is not None else default_facts_file()
    shown = f"facts = {str(path)!r}"
    if not path.is_file():
        raise ParamError(f"{shown}: file not found")
    data = read_yaml_file(path, shown)
    if not isinstance(data, Mapping) or set(data) != {"facts"} or not isinstance(data["facts"], list) or not data["facts"]:
        raise ParamError(f"{shown}: expected one top-level key, facts:, with a list of facts")
    columns = set(summary_indicators())
    facts = tuple(_fact(item, i, columns) for i, item in enumerate(data["facts"]))
    ids = [f.id for f in facts]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup:
        raise ParamError(f"facts.{dup}: listed twice")
    return facts


def calibration_targets(ids: Sequence[str], path: str | Path | None = None,
                        design: str = "bsc") -> tuple[dict[str, Any], ...]:
    """The fitter's targets for the facts ``ids`` (the fields of :class:`.targets.Target`), which
    must all have role ``calibration`` and be read from runs of ``design`` (the design the fitter runs).

    Raises:
        ParamError: an unknown id, a validation fact (it may never be fitted), or a calibration
            fact whose quantity is not a plain ratio of two summary columns of design ``bsc``.
    """
    facts = {f.id: f for f in load_facts(path)}
    out = []
    for fid in ids:
        if fid not in facts:
            raise ParamError(f"facts: {fid!r}: no such fact in {str(path or default_facts_file())!r}")
        f = facts[fid]
        if f.role != "calibration":
            raise ParamError(f"facts: {fid!r} is a {f.role} fact: it may never be used to fit")
        if not f.model.plain or f.model.overrides:
            raise ParamError(f"facts: {fid!r}: the fitter needs a plain ratio of two summary columns without overrides")
        if f.model.design != design:
            raise ParamError(f"facts: {fid!r} is read from design {f.model.design!r}, but the calibration runs design {design!r}")
        value, tolerance = f.target  # type: ignore[misc]
        out.append({"indicator": f.model.numerator, "per": f.model.denominator, "value": value,
                    "tolerance": tolerance, "source": f.source, "fact": f.id})
    return tuple(out)


def evaluate_fact(fact: Fact, runs: pd.DataFrame) -> dict[str, Any]:
    """The fact's statistic over ``runs`` (its group's runs): the pooled ratio with a bootstrap 95%
    interval over runs, the 5th-95th percentiles of the per-run ratios (the spread of the predictive
    distribution), the runs used, and PASS/FAIL against the criterion."""
    from .stats import pooled_ratio_ci

    num, den = fact.model.per_run(runs)
    ok = np.isfinite(num) & np.isfinite(den)
    value, lo, hi = pooled_ratio_ci(num[ok], den[ok]) if ok.any() else (float("nan"),) * 3
    with np.errstate(invalid="ignore", divide="ignore"):
        per_run = num[ok & (den > 0)] / den[ok & (den > 0)]
    p05, p95 = (np.quantile(per_run, [0.05, 0.95]) if per_run.size else (float("nan"), float("nan")))
    return {"value": value, "ci_low": lo, "ci_high": hi, "run_p05": float(p05), "run_p95": float(p95),
            "n_runs": int(ok.sum()), "result": "PASS" if fact.criterion.holds(value) else "FAIL"}
