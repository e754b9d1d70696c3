"""Which design is best in how many worlds, and which assumptions flip the ranking (issue 18).

When each replicate of a comparison draws its own uncertain parameters (``uncertainty=parameters``
or a draws table), each replicate is one possible world, and both designs run in it on the same
seed. :func:`flips` pairs two designs by replicate and answers: in what share of the worlds does
design A do more than design B on an effect, and which drawn parameters, moved within their
ranges, turn that around. It is a pure function of the results table (no model, no files).

Per drawn parameter it reports the Spearman rank correlation between the parameter and the paired
difference A - B, and the share of worlds with A ahead among those with the parameter in the lower
half of its drawn values versus the upper half (split at the median). A parameter *flips* the
ranking when the two halves fall on different sides of one half (A ahead in most low worlds and
behind in most high worlds, or the reverse). A tie counts as half a win for each design.

:func:`chance_best` says in what share of the worlds each design does the most (ties shared), and
:func:`ranking_pairs` picks the pairs a comparison reads flips for: the leader (most often best)
against every other design, the runner-up first, and bsc against coach when both run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cost_effectiveness import BOOTSTRAP_SEED, N_BOOTSTRAP
from .formatting import interval, number, pct

__all__ = ["Flips", "flips", "wilson_interval", "spearman", "FLIP_COLUMNS", "choose_pair", "flip_sentences", "VERBS",
           "chance_best", "ranking_pairs", "all_from_table", "pair_sentence"]

Z95 = 1.959963984540054
# Fewer worlds than this in a half and a flip comes with a caution: a share of so few worlds moves by
# a sixth or more with one world (an ASSUMPTION of where "few" ends, not a test).
FEW_PER_HALF = 30

# The columns of flips.csv: the pair's summary (repeated on every row), then one row per parameter.
FLIP_COLUMNS = ("design_a", "design_b", "effect", "n_worlds", "a_ahead", "ties", "p_a_ahead", "p_ci_low",
                "p_ci_high", "mean_diff", "diff_ci_low", "diff_ci_high", "parameter", "spearman", "split_at",
                "n_low", "n_high", "p_a_ahead_low", "p_a_ahead_high", "gap", "flips")


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (NaN, NaN for n = 0)."""
    if n <= 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN when either is constant."""
    rx = pd.Series(x).rank().to_numpy(float)
    ry = pd.Series(y).rank().to_numpy(float)
    if len(rx) < 3 or np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def _ahead(d: np.ndarray) -> float:
    """Wins of A, a tie counting as half."""
    return float(np.sum(d > 0) + 0.5 * np.sum(d == 0))


@dataclass
class Flips:
    """The answer of :func:`flips`: a summary of the pair and one row per drawn parameter."""

    design_a: str
    design_b: str
    effect: str
    n_worlds: int
    a_ahead: float          # worlds with A ahead, a tie counting as half
    ties: int
    p_a_ahead: float
    p_ci: tuple[float, float]      # Wilson 95%
    mean_diff: float               # mean of A - B over the worlds
    diff_ci: tuple[float, float]   # bootstrap 95% (percentile)
    parameters: pd.DataFrame       # parameter, spearman, split_at, n_low, n_high, p_a_ahead_low/high, gap, flips

    def table(self) -> pd.DataFrame:
        """``flips.csv``: the summary repeated on each parameter's row (one row, parameter empty, without any)."""
        head = {"design_a": self.design_a, "design_b": self.design_b, "effect": self.effect,
                "n_worlds": self.n_worlds, "a_ahead": self.a_ahead, "ties": self.ties, "p_a_ahead": self.p_a_ahead,
                "p_ci_low": self.p_ci[0], "p_ci_high": self.p_ci[1], "mean_diff": self.mean_diff,
                "diff_ci_low": self.diff_ci[0], "diff_ci_high": self.diff_ci[1]}
        rows = self.parameters.to_dict("records") or [{"parameter": ""}]
        return pd.DataFrame([{**head, **r} for r in rows]).reindex(columns=list(FLIP_COLUMNS))

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> Flips:
        """The answer back from its ``flips.csv`` (:meth:`table`)."""
        r = table.iloc[0]
        params = table.dropna(subset=["parameter"])
        params = params[params["parameter"].astype(str) != ""]
        params = params[list(FLIP_COLUMNS[FLIP_COLUMNS.index("parameter"):])].reset_index(drop=True)
        params["flips"] = params["flips"].astype(str).str.lower().isin(["true", "1"])
        return cls(str(r["design_a"]), str(r["design_b"]), str(r["effect"]), int(r["n_worlds"]), float(r["a_ahead"]),
                   int(r["ties"]), float(r["p_a_ahead"]), (float(r["p_ci_low"]), float(r["p_ci_high"])),
                   float(r["mean_diff"]), (float(r["diff_ci_low"]), float(r["diff_ci_high"])), params)

    @property
    def flipping(self) -> pd.DataFrame:
        return self.parameters[self.parameters["flips"]]


def flips(results: pd.DataFrame, design_a: str, design_b: str, effect: str, keys: Sequence[str], *,
          n_boot: int = N_BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> Flips:
    """How often ``design_a`` beats ``design_b`` on ``effect`` across the drawn worlds, and which
    drawn parameters flip it.

    Args:
        results: one row per design x replicate, with columns ``design``, ``replicate``, ``effect``
            and the drawn parameters ``keys`` (the same values for every design of a replicate).
        design_a, design_b: the two designs (``design`` values).
        effect: the column compared (e.g. ``n_classrooms_sustained_followup``); more is better.
        keys: the drawn parameters; keys missing from ``results`` are skipped.
        n_boot, seed: the bootstrap of the mean paired difference (deterministic for a seed).

    Returns:
        :class:`Flips`; its ``parameters`` are sorted by the gap |P(A ahead | low) - P(A ahead | high)|,
        largest first.

    Raises:
        ValueError: a design or the effect is missing, or the two designs share no replicate.
    """
    for name in (design_a, design_b):
        if name not in set(results["design"]):
            raise ValueError(f"design {name!r} is not in the results")
    if effect not in results:
        raise ValueError(f"effect column {effect!r} is not in the results")
    keys = [k for k in keys if k in results]
    a = results[results["design"] == design_a].set_index("replicate")
    b = results[results["design"] == design_b].set_index("replicate")
    common = a.index.intersection(b.index).sort_values()
    if len(common) == 0:
        raise ValueError(f"{design_a} and {design_b} share no replicate")
    d = (a.loc[common, effect].to_numpy(float) - b.loc[common, effect].to_numpy(float))
    n = len(d)
    wins = _ahead(d)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    diff_ci = (float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975)))
    rows = []
    for k in keys:
        x = a.loc[common, k].to_numpy(float)
        split = float(np.median(x))
        low, high = x <= split, x > split
        p_low = _ahead(d[low]) / low.sum() if low.any() else float("nan")
        p_high = _ahead(d[high]) / high.sum() if high.any() else float("nan")
        gap = abs(p_low - p_high)
        rows.append({"parameter": k, "spearman": spearman(x, d), "split_at": split, "n_low": int(low.sum()),
                     "n_high": int(high.sum()), "p_a_ahead_low": p_low, "p_a_ahead_high": p_high, "gap": gap,
                     "flips": bool((p_low - 0.5) * (p_high - 0.5) < 0)})
    columns = ["parameter", "spearman", "split_at", "n_low", "n_high", "p_a_ahead_low", "p_a_ahead_high", "gap", "flips"]
    params = pd.DataFrame(rows, columns=columns)
    if len(params):
        params = params.sort_values("gap", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    return Flips(design_a, design_b, effect, n, wins, int(np.sum(d == 0)), wins / n, wilson_interval(wins, n),
                 float(d.mean()), diff_ci, params)


def choose_pair(designs: Sequence[str], prob_best: dict[str, float] | None = None,
                preferred: tuple[str, str] = ("bsc", "coach")) -> tuple[str, str] | None:
    """The two designs to compare: ``preferred`` (the collaborative against coaching, the question
    the issue asks) when both are among ``designs``; otherwise the two with the highest chance of
    being the best buy (``prob_best``, ties in the designs' order); None with fewer than two."""
    if all(p in designs for p in preferred):
        return preferred
    ranked = sorted(designs, key=lambda x: -(prob_best or {}).get(x, 0.0))
    return (ranked[0], ranked[1]) if len(ranked) >= 2 else None


def chance_best(results: pd.DataFrame, designs: Sequence[str], column: str) -> tuple[dict[str, float], int]:
    """The share of replicates (worlds) in which each design has the highest ``column`` among
    ``designs``, a tie shared equally; and the number of replicates every design ran. Replicates
    pair the designs (the same seed, the same world)."""
    designs = [d for d in dict.fromkeys(designs) if d in set(results["design"])]
    if not designs or column not in results:
        return {}, 0
    wide = (results[results["design"].isin(designs)]
            .pivot_table(index="replicate", columns="design", values=column, aggfunc="first")
            .reindex(columns=designs).dropna())
    if wide.empty:
        return {d: float("nan") for d in designs}, 0
    v = wide.to_numpy(float)
    top = v == v.max(axis=1, keepdims=True)
    share = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
    return {d: float(p) for d, p in zip(designs, share)}, len(wide)


def ranking_pairs(designs: Sequence[str], prob_best: dict[str, float],
                  preferred: tuple[str, str] = ("bsc", "coach")) -> list[tuple[str, str]]:
    """The pairs whose flips a comparison reports: the leader (highest ``prob_best``, ties in the
    designs' order) against every other design, most likely best first (so the first pair is the
    top two); then ``preferred`` (bsc against coach, the issue's question) if both ran and it is
    not among them already. Empty with fewer than two designs."""
    designs = list(dict.fromkeys(designs))
    if len(designs) < 2:
        return []
    order = sorted(designs, key=lambda d: -(prob_best.get(d, 0.0) if prob_best.get(d) == prob_best.get(d) else 0.0))
    leader = order[0]
    pairs = [(leader, d) for d in order[1:]]
    if all(p in designs for p in preferred) and not {tuple(preferred), tuple(reversed(preferred))} & set(pairs):
        pairs.append(tuple(preferred))
    return pairs


def all_from_table(table: pd.DataFrame) -> list[Flips]:
    """Every pair's answer from ``flips.csv`` (one block of rows per pair, in the file's order)."""
    out = []
    keys = table[["design_a", "design_b"]].astype(str).apply(tuple, axis=1)
    for pair in dict.fromkeys(keys):
        out.append(Flips.from_table(table[keys == pair].reset_index(drop=True)))
    return out


def pair_sentence(f: Flips, verb: str) -> str:
    """One sentence for a pair after the first: how often A is ahead, and the parameter that flips
    it or moves it most."""
    head = (f"{f.design_a} {verb} {f.design_b} in {_count(f.a_ahead)} of {f.n_worlds} worlds "
            f"({pct(f.p_a_ahead, 0)} {interval(*f.p_ci, lambda v: pct(v, 0))})")
    flipping = f.flipping
    if len(flipping):
        r = flipping.iloc[0]
        more = f" and {len(flipping) - 1} more" if len(flipping) > 1 else ""
        return (f"{head}; {r['parameter']}{more} flip{'' if more else 's'} it ({f.design_a} ahead in "
                f"{pct(r['p_a_ahead_low'], 0)} of worlds with it low, {pct(r['p_a_ahead_high'], 0)} with it high)")
    return f"{head}; no drawn parameter flips it"


# What "A does more than B" says for each effect of cost_effectiveness.EFFECTS.
VERBS = {"classrooms_sustained": "sustains more classrooms than", "children_reached": "reaches more children than",
         "classrooms_reached": "reaches more classrooms than"}


def _count(x: float) -> str:
    return f"{x:g}"


def flip_sentences(f: Flips, verb: str, *, most: int = 2) -> list[str]:
    """Plain sentences: how often A is ahead of B (with its interval and the mean paired
    difference), then each parameter that flips the ranking (at most ``most``, largest gap first),
    or the one that moves it most when none does."""
    p = f"{pct(f.p_a_ahead, 0)} {interval(*f.p_ci, lambda v: pct(v, 0))}"
    ties = f", {f.ties} tied" if f.ties else ""
    lines = [f"{f.design_a} {verb} {f.design_b} in {_count(f.a_ahead)} of {f.n_worlds} worlds ({p}{ties}); "
             f"mean difference {number(f.mean_diff, 2, signed=True)} "
             f"{interval(*f.diff_ci, lambda v: number(v, 2, signed=True))}"]
    flipping = f.flipping.head(most)
    for r in flipping.itertuples():
        lines.append(f"moved within its range, {r.parameter} flips it: {f.design_a} ahead in {pct(r.p_a_ahead_low, 0)} "
                     f"of worlds with it low (<= {r.split_at:.3g}), {pct(r.p_a_ahead_high, 0)} with it high "
                     f"(rank correlation with the difference {r.spearman:+.2f})")
    n_flip = int(f.parameters["flips"].sum()) if len(f.parameters) else 0
    if n_flip:
        half = int(f.parameters[["n_low", "n_high"]].min().min())
        chance = (f"; with {half} worlds in a half, a flip may be chance (more replications sharpen it)"
                  if half < FEW_PER_HALF else "")
        lines.append(f"{n_flip} of {len(f.parameters)} drawn parameters flip it (flips.csv lists them all){chance}")
    if flipping.empty and len(f.parameters) and f.parameters["gap"].notna().any():
        r = f.parameters.iloc[0]
        lines.append(f"no drawn parameter flips it; {r['parameter']} moves it most: {f.design_a} ahead in "
                     f"{pct(r['p_a_ahead_low'], 0)} of worlds with it low, {pct(r['p_a_ahead_high'], 0)} with it high")
    return lines
