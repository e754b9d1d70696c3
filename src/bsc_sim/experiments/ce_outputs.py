"""What ``compare`` writes and prints about cost-effectiveness, built from its results table.

:func:`cost_effectiveness_outputs` computes the tables (``cost_effectiveness.csv``,
``acceptability.csv``) and the two figures from the pure functions of
:mod:`bsc_sim.cost_effectiveness`; :func:`format_comparison` and
:func:`format_cost_effectiveness` are the console's plain-text tables, with dollars as dollars.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..cost_effectiveness import (
    EFFECTS,
    STATUS_WORDS,
    acceptability,
    cost_effectiveness,
    paired_increments,
    small_n_caution,
    switch_prices,
    what_budget_buys,
    wtp_grid,
)
from ..formatting import interval, number, pct, points, usd, usd_interval
from ..palette import outcome_label

__all__ = ["CEOutputs", "cost_effectiveness_outputs", "ceac_method", "format_comparison",
           "format_cost_effectiveness", "short_label", "CONSOLE_WIDTH", "flip_outputs", "format_flips", "Ranking",
           "ranking_outputs", "format_ranking", "UNCERTAINTY_WORDS"]

CONSOLE_WIDTH = 120  # the console tables fit this many characters, long design labels shortened


@dataclass
class CEOutputs:
    """The cost-effectiveness tables of a comparison (the figures are drawn from them)."""

    table: pd.DataFrame          # cost_effectiveness.csv
    curve: pd.DataFrame          # acceptability.csv
    switches: pd.DataFrame       # switch_prices.csv
    increments: pd.DataFrame     # paired replicate increments (the plane's clouds)
    reference: str
    wtp: float
    effect: str
    method: str
    scope: str = "cohort"        # what one run is: a cohort, or a state (statewide systems)
    pairs: dict | None = None    # design -> the business-as-usual world of its own cohort
    budget: pd.DataFrame | None = None  # budget.csv: what a budget buys

    def figures(self) -> dict[str, object]:
        """``ce_plane.png`` and ``acceptability.png`` as Figures (only with a design besides the reference)."""
        from .render import figure

        return {name: figure(*job) for name, job in self.figure_jobs().items()}

    def figure_jobs(self) -> dict[str, tuple[str, str, tuple, dict]]:
        """How to draw :meth:`figures`: (module, function, args, keyword args) per file, plain data
        that a worker process can draw from (:mod:`.render`) without this object's methods."""
        if self.table["design"].nunique() < 2:
            return {}
        n = int(self.table["n_pairs"].max())
        module = "bsc_sim.experiments.ce_figures"
        return {"ce_plane.png": (module, "plot_ce_plane", (self.increments, self.table),
                                 {"wtp": self.wtp, "decision_effect": self.effect, "scope": self.scope}),
                "acceptability.png": (module, "plot_acceptability", (self.curve,),
                                      {"wtp": self.wtp, "effect": self.effect, "n_pairs": n, "method": self.method,
                                       "switches": self.switches})}


def ceac_method(uncertainty: str | None) -> str:
    """How the acceptability curve is estimated: per replicate when each replicate drew its own
    uncertain parameters (each one possible world, the convention of probabilistic sensitivity
    analysis); otherwise by bootstrap of the replicates' means (seed noise only: how sure we are
    which design's average is best)."""
    from .uncertainty import DRAWN

    return "replicates" if uncertainty in DRAWN else "bootstrap"


def cost_effectiveness_outputs(results: pd.DataFrame, reference: str, *, wtp: float, effect: str,
                               uncertainty: str | None = None, scope: str = "cohort", pairs: dict | None = None,
                               budget: float | None = None) -> CEOutputs:
    """The tables of a comparison's cost-effectiveness against ``reference`` (``pairs``: designs
    measured against the business-as-usual world of their own cohort instead; ``budget``: what it buys)."""
    method = ceac_method(uncertainty)
    table = cost_effectiveness(results, reference, wtp=wtp, decision_effect=effect, ceac=method, pairs=pairs)
    grid = wtp_grid(table[table["effect"] == effect], wtp)
    curve = acceptability(results, grid, effect=effect, method=method, reference=reference, pairs=pairs)
    bought = what_budget_buys(results, budget, reference, effect=effect, pairs=pairs) if budget else None
    return CEOutputs(table, curve, switch_prices(table, effect), paired_increments(results, reference, pairs=pairs),
                     reference, wtp, effect, method, scope, pairs or {}, bought)


def short_label(label: str, width: int) -> str:
    """``label`` in at most ``width`` characters. A long variant label first loses the sections of
    its dotted keys (``bsc+collaborative.modality=virtual`` -> ``bsc+modality=virtual``); what is
    still too long keeps its start (the base design) and end (the last change), with "~" between."""
    if len(label) <= width:
        return label
    parts = label.split("+")
    compact = "+".join([parts[0], *(p.split("=", 1)[0].rsplit(".", 1)[-1] + ("=" + p.split("=", 1)[1] if "=" in p else "")
                                    for p in parts[1:])])
    if len(compact) <= width:
        return compact
    label = compact
    keep = width - 1
    return label[: keep - keep // 2] + "~" + label[len(label) - keep // 2:]


def _labels(designs: Sequence[str], width: int) -> dict[str, str]:
    """Short labels for the console, each unique (a number appended where two would coincide)."""
    out: dict[str, str] = {}
    for d in designs:
        short = short_label(d, width)
        k = 2
        while short in out.values():
            short = short_label(d, width - len(str(k)) - 1) + f"#{k}"
            k += 1
        out[d] = short
    return out


def _key(labels: dict[str, str]) -> list[str]:
    """Lines naming the shortened labels in full."""
    long = [(s, d) for d, s in labels.items() if s != d]
    return [f"  {s} = {d}" for s, d in long]


def _value(outcome: str, value: float, *, difference: bool = False) -> str:
    if outcome.startswith("frac_"):
        return points(value) if difference else pct(value)
    if outcome.startswith("cost_"):
        return usd(value, signed=difference)
    return number(value, 2, signed=difference)


def format_comparison(comparison: pd.DataFrame, outcomes: Sequence[str]) -> str:
    """Means with 95% intervals, and paired differences from the reference, for ``outcomes``:
    shares in percent (differences in percentage points), costs in dollars; at most
    :data:`CONSOLE_WIDTH` characters wide."""
    designs = list(dict.fromkeys(comparison["design"]))
    labels = _labels(designs, 28)
    width = max([len(v) for v in labels.values()] + [10])
    reference = comparison["reference"].mode().iloc[0] if len(comparison) else ""
    lines = [f"  {'design':<{width}} {'mean [95% interval]':<34} difference from {short_label(str(reference), 40)} "
             "on the same seeds"]
    if comparison["reference"].nunique() > 1:
        lines.append(f"  (a design of another cohort: its difference from {short_label(str(reference), 40)} run with "
                     "its cohort)")
    for outcome in outcomes:
        rows = comparison[comparison["outcome"] == outcome]
        if rows.empty:
            continue
        lines.append(f"{outcome_label(outcome)}")
        for row in rows.itertuples():
            mean = f"{_value(outcome, row.mean)} {interval(row.ci_low, row.ci_high, lambda v: _value(outcome, v))}"
            diff = "" if row.design == row.reference else (
                f"{_value(outcome, row.diff_mean, difference=True)} "
                f"{interval(row.diff_ci_low, row.diff_ci_high, lambda v: _value(outcome, v, difference=True))}")
            lines.append(f"  {labels[row.design]:<{width}} {mean:<34} {diff}".rstrip())
    return "\n".join(lines + _key(labels))


def _status(row) -> str:
    """"frontier", or "D 97%" / "ED 60%": the status with the share of draws in which it holds."""
    if row.status == "frontier":
        return "frontier"
    p = row.p_dominated if row.status == "D" else 1 - row.p_frontier
    return f"{row.status} {pct(p, 0)}" + ("" if row.clear else "?")


def _icer(row, width: int = 27) -> str:
    if row.icer == row.icer:
        return f"{usd(row.icer)} {usd_interval(row.icer_ci_low, row.icer_ci_high)}"[:width]
    if row.status != "frontier":
        return "-"
    return "-"


def no_clear_winner(table: pd.DataFrame, labels: dict[str, str] | None = None) -> list[str]:
    """Sentences for the designs whose status the draws do not bear out (``clear`` false, off the frontier)."""
    out = []
    name = (lambda d: labels.get(d, d)) if labels else (lambda d: d)
    for r in table[(table["status"] != "frontier") & ~table["clear"].astype(bool)].itertuples():
        if r.status == "D":
            out.append(f"no clear winner: {name(r.design)} is dominated on the means but only in {pct(r.p_dominated, 0)} "
                       "of the draws (the intervals overlap)")
        else:
            out.append(f"no clear winner: {name(r.design)} is extendedly dominated on the means but off the frontier "
                       f"in only {pct(1 - r.p_frontier, 0)} of the draws")
    return out


def switch_sentence(switches: pd.DataFrame, unit: str, name=lambda d: d) -> str:
    """Where the best buy changes, in one sentence."""
    start = switches.attrs.get("best_at_zero")
    if not len(switches):
        return f"The best buy is {name(start)} at every price (no other design is on the frontier)." if start else ""
    steps = "; ".join(f"to {name(r['to'])} at {usd(r['wtp'])} {usd_interval(r['wtp_ci_low'], r['wtp_ci_high'])}"
                      for r in switches.to_dict("records"))
    return f"The best buy changes with the price per {unit}: {name(start)} below {usd(switches['wtp'].iloc[0])}, then {steps}."


def format_cost_effectiveness(out: CEOutputs) -> str:
    """The console's decision table, cheapest first, at most :data:`CONSOLE_WIDTH` characters wide:
    mean cost, extra effect over the reference, status (frontier, D, ED, with the share of draws in
    which it holds), the ICER against the next cheaper frontier design (none for D and ED), the
    net benefit at the willingness to pay and the chance of being the best buy; then where the best
    buy changes, and the other effects."""
    t = out.table
    main = t[t["effect"] == out.effect]
    eff = EFFECTS[out.effect]
    n = int(main["n_pairs"].max()) if len(main) else 0
    labels = _labels(list(dict.fromkeys(t["design"])), 24)
    width = max([len(v) for v in labels.values()] + [8])
    draws = "resamples" if out.method == "bootstrap" else "replicates"
    lines = [f"Decision table: {eff.label}",
             f"  per {out.scope}, mean of {n} paired replicates, 95% bootstrap intervals, cheapest first",
             f"  net benefit at {usd(out.wtp)} per {eff.unit} (wtp=); extra effect over {short_label(out.reference, 40)}", ""]
    head = (f"  {'design':<{width}} {'mean cost':>9} {'extra ' + eff.plural.split()[0] + ' vs ' + 'ref':<20} "
            f"{'status':<9} {'ICER vs next cheaper':<27} {'net benefit':>11} {'P(best)':>7}")
    lines.append(head)
    for row in main.itertuples():
        gain = ("(reference)" if row.design == out.reference else
                f"{number(row.inc_effect, signed=True)} {interval(row.inc_effect_ci_low, row.inc_effect_ci_high, lambda v: number(v, signed=True))}")
        lines.append(f"  {labels[row.design]:<{width}} {usd(row.mean_cost):>9} {gain:<20} {_status(row):<9} "
                     f"{_icer(row):<27} {usd(row.nmb, signed=True):>11} {pct(row.prob_best, 0):>7}")
    lines.append("")
    notes = [switch_sentence(out.switches, eff.unit, lambda d: labels.get(d, d)), *no_clear_winner(main, labels)]
    caution = small_n_caution(n, out.method)
    if caution:
        notes.append(f"CAUTION: {caution}")
    lines += [textwrap.fill(s, CONSOLE_WIDTH, initial_indent="  ", subsequent_indent="    ") for s in notes if s]
    lines += [textwrap.fill(w, CONSOLE_WIDTH, initial_indent="  ", subsequent_indent="    ")
              for w in pairing_warnings(main, labels)]
    lines += format_footing(out, labels, width)
    if out.budget is not None:
        lines += format_budget(out, labels, width)
    others = [e for e in dict.fromkeys(t["effect"]) if e != out.effect]
    if others:
        lines += ["", "  the other effects (ICER against the next cheaper design on each effect's own frontier):"]
        for e in others:
            lines.append(f"    {EFFECTS[e].label}:")
            for row in t[(t["effect"] == e) & (t["design"] != out.reference)].itertuples():
                lines.append(f"      {labels[row.design]:<{width}} {number(row.inc_effect, signed=True):>8} "
                             f"{EFFECTS[e].plural:<20} {_status(row):<9} {_icer(row)}")
    legend = (f"status: frontier = worth buying at some price; D = dominated (another design costs less and does more); "
              f"ED = extendedly dominated (a mix of two others does more for the money); % = share of the {draws} in "
              "which that holds, ? = under 95% (no clear winner). net benefit = price x extra effect - extra cost, over "
              "the reference; P(best) = chance of the highest net benefit.")
    lines += ["", textwrap.fill(legend, CONSOLE_WIDTH, initial_indent="  ", subsequent_indent="  ")]
    return "\n".join(lines + _key(labels))


def pairing_warnings(table: pd.DataFrame, labels: dict[str, str] | None = None) -> list[str]:
    """Sentences for designs measured against a world of their own cohort, and for those whose
    cohort still differs from their reference's in some replicates (the pairing does not hold)."""
    name = (lambda d: labels.get(d, d)) if labels else (lambda d: d)
    out = []
    for r in table.itertuples():
        if r.paired_with != r.reference:
            out.append(f"{name(r.design)} runs another cohort than {name(r.reference)}: its increments are over "
                       f"{name(r.paired_with)}, business as usual with its cohort, on the same seeds.")
        share = getattr(r, "same_cohort_share", float("nan"))
        if share == share and share < 1 and r.design != r.paired_with:
            out.append(f"WARNING: the cohort of {name(r.design)} differs in size from that of {name(r.paired_with)} in "
                       f"{pct(1 - share, 0)} of the replicates: per-cohort increments compare "
                       "different populations; read them per classroom and per child (below).")
    return out


def format_footing(out: CEOutputs, labels: dict[str, str], width: int) -> list[str]:
    """The decision effect and cost per classroom and per child of each design's own cohort."""
    t = out.table
    main = t[(t["effect"] == out.effect) & (t["design"] != out.reference)]
    if "n_classrooms" not in t or main.empty:
        return []
    eff = EFFECTS[out.effect]
    lines = ["", f"  on a common footing: per 100 classrooms and per child of each design's own {out.scope} (means over "
                 f"the replicates)",
             f"    {'design':<{width}} {'classrooms':>10} {'children':>9} {'extra ' + eff.plural.split()[0] + ' /100 cl.':>26} "
             f"{'extra cost /classroom':>22} {'extra cost /child':>18}"]
    for r in main.itertuples():
        lines.append(f"    {labels[r.design]:<{width}} {number(r.n_classrooms):>10} {number(r.n_children, 0):>9} "
                     f"{number(100 * r.inc_effect_per_classroom, 1, signed=True):>26} "
                     f"{usd(r.inc_cost_per_classroom, signed=True):>22} {usd(r.inc_cost_per_child, signed=True):>18}")
    return lines


def format_budget(out: CEOutputs, labels: dict[str, str], width: int) -> list[str]:
    """What the budget buys of each design, with intervals."""
    b = out.budget
    eff = EFFECTS[out.effect]
    budget = b["budget"].iloc[0]
    lines = ["", f"  what {usd(budget)} buys: cohorts at each design's mean cost; extra {eff.plural} over each",
             "  cohort's reference; 95% intervals",
             f"    {'design':<{width}} {'cohorts':<20} {'classrooms':>10} {'children':>9} "
             f"{'extra ' + eff.plural:<24} {'children in them':<20}"]

    def cell(r, name, decimals=1):
        value = r.get(name, float("nan"))
        return (f"{number(value, decimals)} "
                f"{interval(r.get(name + '_ci_low'), r.get(name + '_ci_high'), lambda v: number(v, decimals))}").strip()

    for r in b.to_dict("records"):
        if r["design"] == out.reference or not r.get("cohorts", float("nan")) == r.get("cohorts", float("nan")):
            continue
        children = cell(r, "children_in_extra_classrooms", 0) if "children_in_extra_classrooms" in r else ""
        lines.append(f"    {labels.get(r['design'], r['design']):<{width}} {cell(r, 'cohorts'):<20} "
                     f"{number(r.get('n_classrooms'), 0):>10} {number(r.get('n_children'), 0):>9} "
                     f"{cell(r, 'extra_effect'):<24} {children:<20}"[:CONSOLE_WIDTH])
    return lines


# What the worlds of a comparison were, for every sentence that counts them.
UNCERTAINTY_WORDS = {
    "posterior": "each replicate one world drawn from the calibrated posterior, the same for every design",
    "parameters": "each replicate one drawn world (the prior ranges, or a given file or table), the same for every "
                  "design",
    "none": "seed noise only: every replicate used the same parameter values, no parameter uncertainty was included",
}


@dataclass
class Ranking:
    """The chance that each design is best: on the decision effect (share of replicates in which it
    does the most) and on net monetary benefit at the price (``prob_best`` of the decision table)."""

    effect: str
    on_effect: dict[str, float]
    n: int
    uncertainty: str
    on_nmb: dict[str, float] | None = None
    wtp: float | None = None

    def table(self) -> pd.DataFrame:
        """``best.csv``: one row per design and measure."""
        rows = [{"design": d, "measure": EFFECTS[self.effect].column, "wtp": float("nan"), "prob_best": p,
                 "n_worlds": self.n, "uncertainty": self.uncertainty} for d, p in self.on_effect.items()]
        rows += [{"design": d, "measure": "net_monetary_benefit", "wtp": self.wtp, "prob_best": p, "n_worlds": self.n,
                  "uncertainty": self.uncertainty} for d, p in (self.on_nmb or {}).items()]
        from .uncertainty import intervals_note

        out = pd.DataFrame(rows, columns=["design", "measure", "wtp", "prob_best", "n_worlds", "uncertainty"])
        out["worlds"] = intervals_note(self.uncertainty)
        return out

    @classmethod
    def from_table(cls, table: pd.DataFrame, effect: str) -> Ranking:
        eff = table[table["measure"] != "net_monetary_benefit"]
        nmb = table[table["measure"] == "net_monetary_benefit"]
        return cls(effect, dict(zip(eff["design"], eff["prob_best"].astype(float))), int(table["n_worlds"].iloc[0]),
                   str(table["uncertainty"].iloc[0]),
                   dict(zip(nmb["design"], nmb["prob_best"].astype(float))) if len(nmb) else None,
                   float(nmb["wtp"].iloc[0]) if len(nmb) else None)

    @property
    def leader(self) -> str | None:
        return max(self.on_effect, key=lambda d: self.on_effect[d]) if self.on_effect else None


def ranking_outputs(results: pd.DataFrame, designs: Sequence[str], *, effect: str, uncertainty: str,
                    table: pd.DataFrame | None = None) -> Ranking | None:
    """The chance that each of ``designs`` is best on ``effect`` (per replicate) and on net benefit at
    the price (from the decision ``table``); None with fewer than two designs."""
    from ..flips import chance_best

    on_effect, n = chance_best(results, designs, EFFECTS[effect].column)
    if len(on_effect) < 2:
        return None
    on_nmb, wtp = None, None
    if table is not None and len(table):
        rows = table[(table["effect"] == effect) & table["design"].isin(designs)]
        if len(rows) > 1 and rows["prob_best"].notna().any():
            on_nmb = dict(zip(rows["design"], rows["prob_best"].astype(float)))
            wtp = float(rows["wtp"].dropna().iloc[0]) if rows["wtp"].notna().any() else None
    return Ranking(effect, on_effect, n, uncertainty, on_nmb, wtp)


def format_ranking(r: Ranking) -> str:
    """The console's lines: each design's chance of being best, on the effect and on net benefit."""
    eff = EFFECTS[r.effect]
    labels = _labels(list(r.on_effect), 24)
    words = UNCERTAINTY_WORDS.get(r.uncertainty, f"uncertainty={r.uncertainty}")
    lines = [f"Chance that each design is best, over {r.n} replicates ({words}):"]

    def row(probs: dict[str, float]) -> str:
        ranked = sorted(probs, key=lambda d: -probs[d] if probs[d] == probs[d] else 1.0)
        return ", ".join(f"{labels.get(d, d)} {pct(probs[d], 0)}" for d in ranked)

    lines.append(f"  most {eff.plural}: {row(r.on_effect)}")
    if r.on_nmb:
        how = ("share of the worlds" if r.uncertainty != "none"
               else "share of bootstrap resamples of the replicates' means")
        lines.append(f"  highest net benefit at {usd(r.wtp)} per {eff.unit} ({how}): {row(r.on_nmb)}")
    if r.uncertainty == "none":
        lines.append("  no parameter uncertainty was included: these chances reflect seed noise only")
    return "\n".join(textwrap.fill(s, CONSOLE_WIDTH, subsequent_indent="    ") for s in lines)


def flip_outputs(results: pd.DataFrame, designs: Sequence[str], keys: Sequence[str], *, effect: str,
                 table: pd.DataFrame | None = None, ranking: Ranking | None = None):
    """The pairs of ``flips.csv`` for a comparison whose replicates drew their worlds: the leader
    (most often best on the decision effect, from ``ranking``; else most often the best buy in the
    decision ``table``) against every other design, runner-up first, and bsc against coach when both
    run (:func:`bsc_sim.flips.ranking_pairs`), each compared on the decision effect, paired by
    replicate. A list of :class:`~bsc_sim.flips.Flips`; None with fewer than two designs or no drawn
    parameter."""
    from ..flips import flips, ranking_pairs

    if not keys:
        return None
    best: dict[str, float] = {}
    if ranking is not None:
        best = ranking.on_effect
    elif table is not None and len(table):
        rows = table[table["effect"] == effect]
        best = dict(zip(rows["design"], rows["prob_best"]))
    pairs = ranking_pairs(list(designs), best)
    if not pairs:
        return None
    return [flips(results, a, b, EFFECTS[effect].column, keys) for a, b in pairs]


def flips_table(found) -> pd.DataFrame:
    """``flips.csv``: every pair's rows, the first pair first."""
    return pd.concat([f.table() for f in found], ignore_index=True)


def format_flips(found, effect: str) -> str:
    """The console's lines about which assumptions flip the ranking: the first pair (the top two) in
    full, every other pair in one sentence; at most :data:`CONSOLE_WIDTH` wide."""
    from ..flips import VERBS, flip_sentences, pair_sentence

    if not isinstance(found, list):
        found = [found]
    verb = VERBS.get(effect, f"does more on {effect} than")
    lines = flip_sentences(found[0], verb) + [pair_sentence(f, verb) for f in found[1:]]
    return "\n".join(textwrap.fill(s, CONSOLE_WIDTH, initial_indent="  " if i else "", subsequent_indent="    ")
                     for i, s in enumerate(lines))
