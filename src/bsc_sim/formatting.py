"""Numbers as a person reads them: dollars as dollars, shares as percentages (console, report).

Figures have their own short tick labels (:func:`bsc_sim.plotting.money`: $12k); these are the
full forms for tables and text: ``usd(29512.3) == "$29,500"``.
"""

from __future__ import annotations

import math

__all__ = ["usd", "usd_interval", "pct", "points", "number", "interval"]


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _round_sig(value: float, sig: int) -> float:
    if value == 0:
        return 0.0
    digits = sig - int(math.floor(math.log10(abs(value)))) - 1
    return round(value, min(digits, 0))  # never more precise than whole dollars


def usd(value, *, signed: bool = False, sig: int | None = 3) -> str:
    """US dollars with thousands separators, rounded to ``sig`` significant figures (whole dollars
    at most; ``sig=None``: whole dollars): ``$29,500``, ``-$1,200``, ``+$950`` (``signed``).
    Infinite is "no upper bound", undefined is "n/a"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    if math.isinf(value):
        return "no limit" if value > 0 else "-no limit"
    rounded = _round_sig(value, sig) if sig else round(value)
    sign = "-" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return f"{sign}${abs(rounded):,.0f}"


def interval(lo, hi, fmt) -> str:
    """``[lo, hi]`` with each bound formatted by ``fmt``; "" when both are undefined."""
    if not _finite(lo) and not _finite(hi) and not (_is_inf(lo) or _is_inf(hi)):
        return ""
    return f"[{fmt(lo)}, {fmt(hi)}]"


def _is_inf(value) -> bool:
    try:
        return math.isinf(float(value))
    except (TypeError, ValueError):
        return False


def usd_interval(lo, hi, *, signed: bool = False) -> str:
    """``[$12,000, $31,000]``; an infinite upper bound reads "no limit"."""
    return interval(lo, hi, lambda v: usd(v, signed=signed))


def pct(value, decimals: int = 1) -> str:
    """A share 0-1 as a percentage: ``47.1%``."""
    return f"{100 * float(value):.{decimals}f}%" if _finite(value) else "n/a"


def points(value, decimals: int = 1) -> str:
    """A difference of shares in signed percentage points: ``+12.3 pts``."""
    return f"{100 * float(value):+.{decimals}f} pts" if _finite(value) else "n/a"


def number(value, decimals: int = 1, *, signed: bool = False) -> str:
    """A count or score: ``5.2``, ``+5.2`` (``signed``), thousands separated."""
    if not _finite(value):
        return "n/a"
    return f"{float(value):{'+' if signed else ''},.{decimals}f}"
