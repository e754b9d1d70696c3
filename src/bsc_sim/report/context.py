"""What the report shows, read from an experiment store into plain strings and lists for the template.

Nothing here runs the model: the tables come from the store's published analysis
(``comparison.csv``, ``cost_effectiveness.csv``, ``designs.csv``, ...), the cost breakdown and
the assumptions from its results and the runs' recorded configs, the figures from its PNG files.
A store written before a table existed simply lacks that section.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cost_effectiveness import COST_ITEMS, DEFAULT_EFFECT, EFFECTS, cost_breakdown
from ..formatting import interval, number, pct, usd, usd_interval
from ..palette import design_label, outcome_label

__all__ = ["report_context", "FIGURES"]

# Figures a store may hold, in the order the report shows them, with a caption.
FIGURES = {
    "ce_plane.png": "The cost-effectiveness plane",
    "acceptability.png": "The acceptability curves and frontier: which design is the best buy at each price, and where "
                         "the decision changes",
    "differences.png": "Differences from the reference, cohort by cohort",
    "adoption_curves.png": "Classrooms reached over time",
    "sweep.png": "How the outcomes change across the sweep",
    "indices.png": "Which parameters matter",
}
HEADLINE_OUTCOMES = ("frac_classrooms_reached_end", "frac_classrooms_sustained_followup", "cost_total")


def _png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _svg(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _read_csv(root: Path, name: str) -> pd.DataFrame | None:
    path = root / name
    return pd.read_csv(path) if path.is_file() else None


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node}


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def assumptions(config: dict[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The cost parameters (all of them) and every other parameter whose source says "assumption",
    with the value the runs used, unit, meaning and source."""
    from ..params import Params
    from ..paramtools import iter_fields

    values = _flat(config)
    costs, others = [], []
    for key, _, meta in iter_fields(Params):
        source = str(meta.get("source", ""))
        row = {"key": key, "value": _value_text(values.get(key, "")), "unit": str(meta.get("unit", "")),
               "meaning": str(meta.get("doc", "")), "source": source,
               "assumption": "assumption" in source.lower()}
        if key.startswith("costs."):
            costs.append(row)
        elif row["assumption"]:
            others.append(row)
    return costs, others


def _designs(root: Path, info: dict[str, Any]) -> list[dict[str, str]]:
    table = pd.read_csv(root / "designs.csv", dtype=str, keep_default_na=False) \
        if (root / "designs.csv").is_file() else None
    if table is None:  # a store from before designs.csv: the names only
        from ..experiments.designs import shipped_description

        rows = []
        for name in info.get("designs", []):
            try:
                about = shipped_description(name)
            except Exception:  # noqa: BLE001 - a name that is no longer shipped
                about = ""
            rows.append({"label": design_label(name), "name": name, "source": "shipped", "description": about,
                         "changes": ""})
        return rows
    return [{"label": design_label(r["design"]), "name": r["design"], "source": r["source"],
             "description": r["description"], "changes": r["overrides"] if r["source"] != "shipped" else ""}
            for r in table.to_dict("records")]


def _status_text(r: dict[str, Any]) -> str:
    """The status under a design's name: "frontier", "D: dominated (97% of draws)", ..."""
    if r["status"] == "frontier":
        return "frontier"
    p = r["p_dominated"] if r["status"] == "D" else 1 - r["p_frontier"]
    words = {"D": "dominated", "ED": "extendedly dominated"}.get(r["status"], r["status"])
    clear = "" if bool(r.get("clear", True)) else ", not clear"
    return f"{r['status']}: {words} ({pct(p, 0)} of draws{clear})" if p == p else f"{r['status']}: {words}"


def _decision(ce: pd.DataFrame | None) -> pd.DataFrame | None:
    """The decision effect's rows of ``cost_effectiveness.csv``, cheapest first; None without one
    (or for a store written before the decision table had a status code and sequential ICERs)."""
    if ce is None or not ce["wtp"].notna().any() or "compared_with" not in ce:
        return None
    effect = ce.loc[ce["wtp"].notna(), "effect"].iloc[0]
    return ce[ce["effect"] == effect].sort_values("mean_cost", kind="stable")


def _headline(comparison: pd.DataFrame | None, ce: pd.DataFrame | None,
              scope: str = "cohort") -> tuple[list[str], list[dict[str, Any]]]:
    """The decision table: per design, cheapest first, the key outcomes with intervals and, with a
    reference, what it buys, its status, the ICER against the next cheaper frontier design (none
    off the frontier), the net benefit and the chance of being the best buy."""
    if comparison is None:
        return [], []
    decision = _decision(ce)
    designs = list(decision["design"]) if decision is not None else list(dict.fromkeys(comparison["design"]))
    columns = [outcome_label(o, short=True) for o in HEADLINE_OUTCOMES if o in set(comparison["outcome"])]
    if decision is not None:
        eff = EFFECTS[decision["effect"].iloc[0]]
        columns += [f"extra {eff.plural} per {scope}", f"cost per extra {eff.unit}, against the next cheaper design",
                    f"net benefit at {usd(decision['wtp'].iloc[0])}", "chance of the best buy"]
    rows = []
    for design in designs:
        cells = []
        for outcome in HEADLINE_OUTCOMES:
            row = comparison[(comparison["design"] == design) & (comparison["outcome"] == outcome)]
            if row.empty:
                continue
            r = row.iloc[0]
            fmt = pct if outcome.startswith("frac_") else usd
            cells.append({"value": fmt(r["mean"]), "interval": interval(r["ci_low"], r["ci_high"], fmt)})
        status = ""
        if decision is not None:
            r = decision[decision["design"] == design].iloc[0].to_dict()
            is_ref = r["quadrant"] == "reference"
            status = _status_text(r)
            icer = r["icer"] == r["icer"]
            cells += [
                {"value": "reference" if is_ref else number(r["inc_effect"], signed=True),
                 "interval": "" if is_ref else interval(r["inc_effect_ci_low"], r["inc_effect_ci_high"],
                                                        lambda v: number(v, signed=True))},
                {"value": usd(r["icer"]) if icer else "-",
                 "interval": usd_interval(r["icer_ci_low"], r["icer_ci_high"]) if icer else "",
                 "note": f"vs {design_label(r['compared_with'])}" if icer else ""},
                {"value": "" if is_ref else usd(r["nmb"], signed=True),
                 "interval": "" if is_ref else usd_interval(r["nmb_ci_low"], r["nmb_ci_high"], signed=True)},
                {"value": pct(r["prob_best"], 0), "interval": ""},
            ]
        rows.append({"label": design_label(design), "name": design, "cells": cells, "status": status,
                     "status_code": status.split(":")[0] if status else ""})
    return columns, rows


def _decision_notes(ce: pd.DataFrame | None, budget: pd.DataFrame | None = None) -> list[str]:
    """Where the best buy changes, the dominances the draws do not bear out, designs measured against
    business as usual of their own cohort, what a budget buys, and a caution at small n."""
    from ..cost_effectiveness import small_n_caution, switch_prices
    from ..experiments.ce_outputs import no_clear_winner, pairing_warnings, switch_sentence

    decision = _decision(ce)
    if decision is None:
        return []
    eff = EFFECTS[decision["effect"].iloc[0]]
    labels = {d: design_label(d) for d in {*decision["design"], *decision.get("paired_with", pd.Series([])).dropna()}}
    notes = [switch_sentence(switch_prices(ce), eff.unit, design_label)]
    notes += [n[0].upper() + n[1:] + "." for n in no_clear_winner(decision, labels)]
    if "paired_with" in decision:
        notes += pairing_warnings(decision, labels)
    if budget is not None and "cohorts" in budget:
        for r in budget.dropna(subset=["cohorts"]).to_dict("records"):
            ci = interval(r.get("extra_effect_ci_low"), r.get("extra_effect_ci_high"), lambda v: number(v))
            notes.append(f"{usd(r['budget'])} buys {number(r['cohorts'])} cohorts of {design_label(r['design'])} "
                         f"({number(r.get('n_classrooms'), 0)} classrooms, {number(r.get('n_children'), 0)} children) and "
                         f"{number(r['extra_effect'])} {ci} extra {eff.plural}.")
    caution = small_n_caution(int(decision["n_pairs"].max()))
    if caution:
        notes.append("Caution: " + caution + ".")
    return [n for n in notes if n]


def _flips(root: Path, ce: pd.DataFrame | None, info: dict[str, Any] | None = None) -> str:
    """One paragraph: the chance that each design is best (``best.csv``), then from ``flips.csv``
    (compare with drawn worlds) how often the leader beats each other design on the decision effect
    and which drawn parameters flip that; with ``uncertainty=none`` that no parameter uncertainty
    was included. "" when the store has neither file."""
    from dataclasses import replace

    from ..experiments.ce_outputs import UNCERTAINTY_WORDS, Ranking
    from ..flips import VERBS, all_from_table, flip_sentences, pair_sentence

    decision = _decision(ce)
    effect = decision["effect"].iloc[0] if decision is not None else DEFAULT_EFFECT
    kind = (info or {}).get("uncertainty") or "none"
    kind = "none" if kind == "seed" else kind
    parts = []
    best = _read_csv(root, "best.csv")
    if best is not None and len(best):
        r = Ranking.from_table(best, effect)
        eff = EFFECTS[effect]

        def listed(probs: dict[str, float]) -> str:
            ranked = sorted(probs, key=lambda d: -probs[d] if probs[d] == probs[d] else 1.0)
            return ", ".join(f"{design_label(d)} {pct(probs[d], 0)}" for d in ranked)

        words = UNCERTAINTY_WORDS.get(r.uncertainty, r.uncertainty)
        parts.append(f"Over {r.n} replicates ({words}), the chance that each design gives the most "
                     f"{eff.plural} is: " + listed(r.on_effect) + ".")
        if r.on_nmb:
            parts.append(f"The chance that each has the highest net benefit at {usd(r.wtp)} per {eff.unit} is: "
                         + listed(r.on_nmb) + ".")
    table = _read_csv(root, "flips.csv")
    if table is not None and not table.empty:
        found = [replace(f, design_a=design_label(f.design_a), design_b=design_label(f.design_b))
                 for f in all_from_table(table)]
        verb = VERBS.get(effect, "does more than")
        sentences = flip_sentences(found[0], verb) + [pair_sentence(f, verb) for f in found[1:]]
        parts.append("Each replicate ran its own world (the uncertain parameters, the same for every design), so "
                     "which design does more can depend on the world. "
                     + " ".join(s[0].upper() + s[1:] + "." for s in sentences))
    elif kind == "none" and parts:
        parts.append("No parameter uncertainty was included (uncertainty=none): these chances reflect seed noise "
                     "only, and which assumptions would flip the ranking is not known from this run.")
    return " ".join(parts)


def _other_effects(ce: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The cost per extra unit of the effects other than the decision effect."""
    if ce is None or not ce["wtp"].notna().any():
        return []
    decision = ce.loc[ce["wtp"].notna(), "effect"].iloc[0]
    out = []
    for effect in dict.fromkeys(ce["effect"]):
        if effect == decision or effect not in EFFECTS:
            continue
        rows = []
        for r in ce[(ce["effect"] == effect) & (ce["quadrant"] != "reference")].to_dict("records"):
            has = r["icer"] == r["icer"]
            rows.append({"label": design_label(r["design"]), "gain": number(r["inc_effect"], signed=True),
                         "gain_interval": interval(r["inc_effect_ci_low"], r["inc_effect_ci_high"],
                                                   lambda v: number(v, signed=True)),
                         "icer": usd(r["icer"]) if has else "-",
                         "icer_interval": (f"{usd_interval(r['icer_ci_low'], r['icer_ci_high'])} vs "
                                           f"{design_label(r.get('compared_with') or '?')}") if has else "",
                         "status": _status_text(r) if "p_dominated" in r else r["status"],
                         "status_code": str(r["status"]).split()[0]})
        out.append({"label": EFFECTS[effect].label, "unit": EFFECTS[effect].unit, "plural": EFFECTS[effect].plural,
                    "rows": rows})
    return out


def _breakdown(results: pd.DataFrame | None, scope: str = "cohort") -> dict[str, Any] | None:
    """Mean cost per item and design (tidy table pivoted for reading) and a stacked-bar figure."""
    if results is None or not any(c in results for c in COST_ITEMS):
        return None
    tidy = cost_breakdown(results)
    if tidy.empty:
        return None
    designs = list(dict.fromkeys(results["design"]))
    wide = tidy.pivot(index="item", columns="design", values="mean_cost").reindex(columns=designs)
    wide = wide.reindex([c for c in COST_ITEMS if c in wide.index])
    rows = [{"item": item.removeprefix("cost_").replace("_", " "), "values": [usd(v, sig=None) for v in wide.loc[item]]}
            for item in wide.index]
    totals = [usd(v, sig=None) for v in wide.sum(axis=0)]
    return {"designs": [design_label(d) for d in designs], "rows": rows, "totals": totals,
            "n": int(results.groupby("design").size().min()), "figure": _svg(_breakdown_figure(wide, designs, scope))}


def _breakdown_figure(wide: pd.DataFrame, designs: list[str], scope: str = "cohort"):
    import matplotlib.pyplot as plt

    from ..plotting import money_axis, talk_style

    shown = [d for d in designs if wide[d].sum() > 0]
    with talk_style():
        fig, ax = plt.subplots(figsize=(10, 0.55 * len(shown) + 1.8), layout="constrained")
        left = np.zeros(len(shown))
        colours = plt.get_cmap("tab20").colors
        for k, item in enumerate(wide.index):
            values = wide.loc[item, shown].to_numpy(np.float64)
            ax.barh(range(len(shown)), values, left=left, color=colours[k % len(colours)],
                    label=item.removeprefix("cost_").replace("_", " "))
            left += values
        ax.set_yticks(range(len(shown)), [design_label(d) for d in shown])
        ax.invert_yaxis()
        money_axis(ax, "x")
        ax.set_xlabel(f"mean cost per {scope}")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, fontsize=10)
    return fig


def _uncertainty(info: dict[str, Any], n: int | None) -> dict[str, str]:
    kind = info.get("uncertainty") or "none"
    if info.get("kind") == "plan":  # bsc-sim plan: worlds drawn from the posterior, the prior, or none
        worlds = {"posterior": "rows of the posterior (configs/posterior/draws.csv), drawn by their weights",
                  "table": "rows of the table of worlds given (draws=), drawn by their weights",
                  "prior": "draws from the prior ranges of configs/uncertainty/default.yaml",
                  "none": "the same parameters (seeds only)"}.get(info.get("worlds", ""), "?")
        return {"kind": kind, "title": f"Each candidate ran on the same {info.get('replications', '?')} worlds",
                "text": f"The worlds are {worlds}, each with its own seed and the same for every candidate and for "
                        "business as usual. A chance is the share of those worlds in which a candidate met the "
                        "target; its 95% interval (Wilson) says how little a few worlds pin it down."}
    reps = f"{n} replicates" if n else "the replicates"
    if kind == "posterior":
        return {"kind": "parameters", "title": "The intervals include what calibration left uncertain",
                "text": f"Each of the {reps} ran one world drawn from the calibrated posterior (the uncertain parameters "
                        "after fitting the model to the calibration targets, the same draw for every design in a "
                        "replicate) as well as its own seed, so the intervals reflect what is still not known about the "
                        "world as well as chance. The chances of being best count, for each design, the share of "
                        "replicates (possible worlds) in which it comes first."}
    if kind == "parameters":
        return {"kind": "parameters", "title": "The intervals include uncertainty about the parameters",
                "text": f"Each of the {reps} drew the uncertain parameters from their documented ranges (the prior, "
                        "before calibration; the same draw for every design in a replicate) as well as its own seed, so "
                        "the intervals reflect what is not known about the world as well as chance. The acceptability "
                        "curve counts, for each price, the share of replicates (possible worlds) in which each design "
                        "is the best buy."}
    return {"kind": "seed", "title": "The intervals show seed noise only: no parameter uncertainty was included",
            "text": f"Every replicate used the same parameter values and differs only in its seed (which programmes, "
                    f"which staff, who leaves, which tests work). The intervals say how well {reps} pin down the "
                    "model's average at these values; they do not say how uncertain the values themselves are. The "
                    "assumptions below are taken as true: a planner who doubts one should re-run with the default "
                    "uncertainty=posterior, or with it changed."}


def _uncertainty_setting(info: dict[str, Any]) -> str:
    """The ``uncertainty=`` setting that makes the same worlds again (a store from before the posterior
    that records none was made with ``seed``, now called ``none``)."""
    kind = info.get("uncertainty") or "none"
    kind = "none" if kind == "seed" else kind
    file = str(info.get("uncertainty_file") or "")
    if kind == "parameters" and file and not file.endswith(("uncertainty/default.yaml", "uncertainty\\default.yaml")):
        kind = file
    return f"uncertainty={kind}"


def _command(info: dict[str, Any], root: Path, ce: pd.DataFrame | None) -> str:
    kind = info.get("kind", "")
    if kind == "compare":
        refs = info.get("design_refs") or info.get("designs") or []
        parts = [f"bsc-sim compare 'designs=[{','.join(refs)}]'"]
        if "reference" in info:
            parts.append(f"reference={info['reference'] or 'none'}")
        if ce is not None and ce["wtp"].notna().any():
            row = ce[ce["wtp"].notna()].iloc[0]
            parts.append(f"wtp={row['wtp']:g}")
            if row["effect"] != DEFAULT_EFFECT:
                parts.append(f"effect={row['effect']}")
        parts += [f"replications={info.get('replications')}", f"seed={info.get('seed')}", _uncertainty_setting(info),
                  *info.get("overrides", [])]
    elif kind == "plan":
        parts = ["bsc-sim plan", *[f"{k}={info[k]}" for k in ("target", "by_year", "budget_per_year", "confidence",
                                                              "replications", "seed") if info.get(k) is not None],
                 f"trials={info.get('trials_complete')}", *info.get("overrides", [])]
    else:
        parts = [f"bsc-sim {kind} experiment={info.get('experiment', '?')}",
                 *[f"{k}={info[k]}" for k in ("replications", "seed") if k in info], *info.get("overrides", [])]
        if (info.get("uncertainty") or "none") not in ("none", "seed"):
            parts.append(_uncertainty_setting(info))
    parts.append(f"out_dir={root}")
    return " ".join(str(p) for p in parts)


def _provenance(root: Path, info: dict[str, Any], ce: pd.DataFrame | None) -> dict[str, Any]:
    runs_path, specs_path = root / "runs.parquet", root / "specs.parquet"
    runs = pd.read_parquet(runs_path, columns=["version", "git_revision", "python"]) if runs_path.is_file() else None
    specs = pd.read_parquet(specs_path) if specs_path.is_file() else None
    seeds = []
    if specs is not None and "replicate" in specs:
        seeds = specs.drop_duplicates("replicate").sort_values("replicate")["seed"].astype(int).tolist()
    finished = root / "results.parquet"

    def stamp(path: Path) -> str:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC") if path.exists() else "?"

    from .. import __version__

    return {
        "version": ", ".join(sorted(set(runs["version"].astype(str)))) if runs is not None else "?",
        "git": ", ".join(sorted(set(runs["git_revision"].astype(str)))) if runs is not None else "?",
        "python": ", ".join(sorted(set(runs["python"].astype(str)))) if runs is not None else "?",
        "started": stamp(root / "experiment.json"), "finished": stamp(finished),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "report_version": __version__,
        "command": _command(info, root, ce), "root_seed": info.get("seed", "?"),
        "replicate_seeds": ", ".join(map(str, seeds[:12])) + (f", ... ({len(seeds)} in all)" if len(seeds) > 12 else ""),
        "replications": info.get("replications", "?"), "n_runs": info.get("n_runs", "?"),
        "fingerprint": info.get("fingerprint", "?"), "store": str(root),
    }


def _table_html(df: pd.DataFrame, limit: int = 60) -> str:
    """A generic table (sweep and sensitivity stores): numbers rounded, escaped, at most ``limit`` rows."""
    shown = df.head(limit).copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            money = str(column).startswith("cost_")
            shown[column] = [usd(v) if money else (f"{v:.3g}" if v == v else "") for v in shown[column]]
    return shown.to_html(index=False, escape=True, border=0, classes="data")


def _compare_question(info: dict[str, Any], ce: pd.DataFrame | None) -> str:
    n = len(info.get("designs", []))
    if ce is not None and ce["wtp"].notna().any():
        row = ce[ce["wtp"].notna()].iloc[0]
        return (f"Which of these {n} designs buys the most {EFFECTS[row['effect']].plural} for the money, "
                f"measured against {design_label(row['reference'])} on the same cohorts, and how sure can we be?")
    return f"How do these {n} designs compare on the same cohorts, and how sure can we be?"


def _summary_sentence(ce: pd.DataFrame | None, scope: str = "cohort") -> str:
    """The best buy at the chosen willingness to pay, in one sentence, with n and a caution at small n."""
    decision = _decision(ce)
    if decision is None:
        return ""
    from ..cost_effectiveness import small_n_caution

    eff = EFFECTS[decision["effect"].iloc[0]]
    wtp = decision["wtp"].iloc[0]
    n = int(decision["n_pairs"].max())
    best = decision.loc[decision["nmb"].idxmax()]
    ref = design_label(best["reference"])
    chance = f"The chance that it is the best buy at that price is {pct(best['prob_best'], 0)} ({n} paired replicates"
    chance += "; too few for a firm answer)." if small_n_caution(n) else ")."
    if best["quadrant"] == "reference":
        return (f"At {usd(wtp)} per {eff.unit}, no design is worth its extra cost over {ref}: "
                f"{ref} has the highest net benefit. " + chance)
    icer = (f", {usd(best['icer'])} per extra {eff.unit} {usd_interval(best['icer_ci_low'], best['icer_ci_high'])} "
            f"against {design_label(best['compared_with'])}" if best["icer"] == best["icer"] else "")
    return (f"At {usd(wtp)} per {eff.unit}, the best buy is {design_label(best['design'])}: "
            f"{number(best['inc_effect'], signed=True)} {eff.plural} per {scope} for {usd(best['inc_cost'], signed=True)} "
            f"over {ref}{icer}. " + chance)


def _study_next(root: Path) -> dict[str, Any] | None:
    """"What to study next" from a ``bsc-sim voi`` run's voi.csv (None without one)."""
    voi = _read_csv(root, "voi.csv")
    if voi is None or "kind" not in voi:
        return None
    rows = [{"group": r.group, "question": r.question, "evppi": usd(r.evppi) if r.evppi == r.evppi else "not drawn",
             "interval": usd_interval(r.evppi_low, r.evppi_high) if r.evppi == r.evppi else "",
             "population": usd(r.population_evppi) if r.evppi == r.evppi else "",
             "r2": f"{r.r2_cv:.2f}" if r.r2_cv == r.r2_cv else ""}
            for r in voi[voi["kind"].isin(["group", "all"])].sort_values("evppi", ascending=False).itertuples()]
    return {"rows": rows, "evpi": usd(voi["evpi"].dropna().iloc[0]), "n": int(voi["n_draws"].iloc[0]),
            "population": f"{voi['population_classrooms_per_year'].iloc[0]:,.0f}", "years": f"{voi['years'].iloc[0]:g}",
            "figure": _png(root / "voi.png") if (root / "voi.png").is_file() else None}


def _plan(root: Path) -> dict[str, Any] | None:
    """The plan section from a ``bsc-sim plan`` out_dir's plans.csv (None without one): the recommended
    schedule with its chance, the cheapest candidates, and its yearly budget (budget_by_year.csv)."""
    plans = _read_csv(root, "plans.csv")
    if plans is None or "chance_reached" not in plans:
        return None
    info = json.loads((root / "plan.json").read_text()) if (root / "plan.json").is_file() else {}
    levers = list(info.get("levers", {})) or [c for c in plans.columns[2:] if c in (
        "cohorts_per_wave", "wave_interval", "cohort_size", "faculty", "hire", "enrol_frac", "selection",
        "followup_support", "modality")]
    target, year, conf = info.get("target"), info.get("by_year"), info.get("confidence", 0.8)
    rec = plans[plans["recommended"]] if "recommended" in plans else plans.iloc[:0]
    sentence = "No candidate is within the budget."
    if len(rec):
        r = rec.iloc[0]
        sure = r["chance_reached"] >= conf
        sentence = (f"{'Recommended' if sure else f'No candidate met the target with a {conf:.0%} chance; the most likely is'} "
                    f"{r['plan']} ({', '.join(f'{k} {r[k]}' for k in levers)}): it reaches {r['reached_mean']:.1%} of the "
                    f"state's classrooms by year {year} ({100 * r['reached_vs_bau_mean']:+.1f} points on business as usual), with a "
                    f"{r['chance_reached']:.0%} chance of at least {target:.0%} (95% interval {r['chance_reached_low']:.0%}-"
                    f"{r['chance_reached_high']:.0%} over {int(r['n_worlds'])} worlds), and sustains {r['sustained_mean']:.1%}; "
                    f"it costs {usd(r['cost_total'])} in all, {usd(r['cost_peak_year'])} in its costliest year.")
        if r["enrolled"] + 1e-9 < r["enrol_target"]:
            sentence += (f" Its schedule enrols {r['enrolled']:.1%} of programmes, short of the {r['enrol_target']:.1%} it "
                         "invites: cohorts planned after the horizon never start.")
    cols = ["plan", *levers, "reached_mean", "reached_vs_bau_mean", "chance_reached", "sustained_mean",
            "chance_sustained", "cost_total", "cost_peak_year", "faculty_peak"]
    table = plans.sort_values("cost_total")[[c for c in cols if c in plans]]
    budget = _read_csv(root, "budget_by_year.csv")
    bcols = [c for c in ("year", "cost_total", "faculty_needed_peak", "faculty_available", "coaches_needed",
                         "n_programs_enrolled_cum", "frac_classrooms_reached", "frac_classrooms_sustained")
             if budget is not None and c in budget]
    return {"sentence": sentence, "question": info.get("question", ""), "n": len(plans),
            "table": _table_html(table, limit=20),
            "budget": _table_html(budget[bcols]) if budget is not None and len(budget) else "",
            "figure": _png(root / "plan.png") if (root / "plan.png").is_file() else None}


def report_context(root: Path, info: dict[str, Any], *, question: str | None = None) -> dict[str, Any]:
    """Everything the template shows, for the store at ``root`` whose ``experiment.json`` is ``info``."""
    kind = info.get("kind", "experiment")
    scope = info.get("scope", "cohort")  # what one run is: a cohort, or a state (statewide systems)
    comparison = _read_csv(root, "comparison.csv")
    ce = _read_csv(root, "cost_effectiveness.csv")
    results = pd.read_parquet(root / "results.parquet") if (root / "results.parquet").is_file() else None
    replicates = int(results["replicate"].nunique()) if results is not None and "replicate" in results else None
    context: dict[str, Any] = {
        "kind": kind, "title": {"compare": "Comparing designs", "sweep": "A parameter sweep",
                                "sensitivity": "Which parameters matter", "plan": "A state's plan"}.get(kind, "An experiment"),
        "question": question or (info.get("question") if kind != "compare" else None)
        or (_compare_question(info, ce) if kind == "compare" else "What the experiment shows"),
        "designs": _designs(root, info) if kind == "compare" else [],
        "summary": _summary_sentence(ce, scope) if kind == "compare" else "", "scope": scope,
        "headline_columns": [], "headline_rows": [], "other_effects": _other_effects(ce),
        "decision_notes": _decision_notes(ce, _read_csv(root, "budget.csv")) if kind == "compare" else [],
        "flips": _flips(root, ce, info) if kind == "compare" else "",
        "reference": design_label(ce["reference"].iloc[0]) if ce is not None and len(ce) else None,
        "breakdown": _breakdown(results, scope) if kind == "compare" else None,
        "figures": [{"name": name, "caption": caption, "src": _png(root / name)}
                    for name, caption in FIGURES.items() if (root / name).is_file()],
        "tables": [], "uncertainty": _uncertainty(info, replicates), "provenance": _provenance(root, info, ce),
        "wtp": None, "cost_assumptions": [], "other_assumptions": [], "replicates": replicates,
    }
    context["headline_columns"], context["headline_rows"] = _headline(comparison, ce, scope)
    context["study_next"] = _study_next(root)
    context["plan"] = _plan(root)
    if ce is not None and ce["wtp"].notna().any():
        row = ce[ce["wtp"].notna()].iloc[0]
        context["wtp"] = {"value": usd(row["wtp"]), "unit": EFFECTS[row["effect"]].unit,
                          "default": bool(row["wtp"] == 20_000)}
    if kind != "compare":
        for name, title in (("points.csv", "Each point of the grid, with its difference from the reference point"),
                            ("indices.csv", "Sensitivity indices"), ("indices_second_order.csv", "Interactions"),
                            ("facts.csv", "Registered facts: calibration targets and validation facts"),
                            ("validation.csv", "Stylized facts (stores written before facts.csv)")):
            table = _read_csv(root, name)
            if table is not None:
                context["tables"].append({"title": title, "name": name, "html": _table_html(table),
                                          "rows": len(table)})
        if not context["tables"] and results is not None:
            context["tables"].append({"title": "Results (first rows)", "name": "results.parquet",
                                      "html": _table_html(results.drop(columns=["run_id"], errors="ignore")),
                                      "rows": len(results)})
    runs_path = root / "runs.parquet"
    if runs_path.is_file():
        runs = pd.read_parquet(runs_path, columns=["run_id", "config_json"])
        ref_name = ce["reference"].iloc[0] if ce is not None and len(ce) else None
        pick = runs[runs["run_id"].str.startswith(f"{ref_name}/")] if ref_name else runs.iloc[:0]
        config = json.loads((pick if len(pick) else runs).iloc[0]["config_json"])
        context["cost_assumptions"], context["other_assumptions"] = assumptions(config)
        context["config_of"] = design_label(ref_name) if len(pick) else "the first run"
    return context
