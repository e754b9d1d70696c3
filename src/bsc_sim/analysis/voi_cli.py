"""``bsc-sim voi``: which unknowns are worth resolving before choosing a design.

A value-of-information run is a comparison with ``uncertainty=posterior`` (default) or ``parameters`` (one drawn world per
replicate, the same world and seed for every design, through the experiment store, so it resumes
and runs on any executor) followed by an analysis step (:mod:`bsc_sim.analysis.voi`; this module is its command line): per design
the expected net benefit with its interval, EVPI, and EVPPI for each group of uncertain parameters
of ``configs/voi/groups.yaml`` (one group per research question) and for each single parameter,
with the metamodel's cross-validated R^2, at the chosen willingness to pay and across a range of
them; scaled to a population of classrooms over the years the decision holds.

Outputs (in ``out_dir``, besides what ``compare`` writes): ``voi.csv``, ``voi_designs.csv``,
``voi_wtp.csv``, ``voi.png``; and with ``doc=PATH`` the funder's page (``docs/next-phase.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..paramtools import ParamError

__all__ = ["VOIGroup", "load_groups", "default_groups_file", "default_population", "voi_tables", "cmd_voi",
           "render_next_phase", "VOI_FILES", "DEFAULT_YEARS"]

VOI_FILES = frozenset({"voi.csv", "voi_designs.csv", "voi_wtp.csv", "voi.png"})
DEFAULT_YEARS = 5   # assumption: a design choice holds for five years (the statewide horizon, system.horizon_weeks)
MIN_DRAWS = 10


@dataclass(frozen=True)
class VOIGroup:
    name: str
    question: str
    parameters: tuple[str, ...]


def default_groups_file() -> Path:
    from ..config import config_dir

    return config_dir() / "voi" / "groups.yaml"


def load_groups(path: str | Path | None = None) -> list[VOIGroup]:
    """Read and check a groups file; one-line ParamError naming the key and value."""
    from ..config import known_keys
    from ..datafiles import read_yaml_file

    path = Path(path) if path is not None else default_groups_file()
    shown = f"groups = {str(path)!r}"
    if not path.is_file():
        raise ParamError(f"{shown}: file not found")
    data = read_yaml_file(path, shown) or {}
    if not isinstance(data, Mapping) or set(data) != {"groups"} or not isinstance(data["groups"], Mapping) \
            or not data["groups"]:
        raise ParamError(f"{shown}: expected one top-level key, groups:, with at least one group")
    keys = known_keys()
    out = []
    for name, spec in data["groups"].items():
        where = f"groups.{name}"
        if not isinstance(spec, Mapping) or set(spec) != {"question", "parameters"}:
            raise ParamError(f"{where} = {spec!r}: give question: and parameters:")
        params = spec["parameters"]
        if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
            raise ParamError(f"{where}.parameters = {params!r}: a list of parameter keys")
        for p in params:
            if p not in keys:
                raise ParamError(f"{where}.parameters: {p!r} is not a model parameter")
        if not isinstance(spec["question"], str) or not spec["question"].strip():
            raise ParamError(f"{where}.question = {spec['question']!r}: say in plain words what a study would find out")
        out.append(VOIGroup(str(name), spec["question"].strip(), tuple(params)))
    return out


def default_population() -> tuple[float, str]:
    """Classrooms a year a statewide choice of design affects, and how that was worked out.

    Assumption: the default state (``system.*``) enrols ``system.enrol_frac`` of its programmes
    over ``system.horizon_weeks``; its classrooms, at the model's mean classrooms per programme of
    each kind, spread evenly over those years.
    """
    from ..params import Params

    p = Params()
    s, g = p.system, p.program
    fcc = s.frac_family_child_care
    hs = s.frac_head_start
    per_programme = hs * g.classrooms_mean_head_start + (1 - hs - fcc) * g.classrooms_mean_child_care + fcc * 1.0
    years = s.horizon_weeks / 52
    per_year = s.n_programs * s.enrol_frac * per_programme / years
    how = (f"the default state: {s.n_programs:,} programmes, {s.enrol_frac:.0%} of them enrolled over "
           f"{years:g} years, {per_programme:.2f} classrooms per programme on average (a family child care home "
           "counts as one)")
    return per_year, how


# ---------------------------------------------------------------------------------------------
# Analysis


def voi_tables(results: pd.DataFrame, designs: Sequence[str], reference: str, groups: Sequence[VOIGroup],
               drawn: Sequence[str], *, wtp: float, effect: str, population: float, years: float,
               wtps: Sequence[float] | None = None, replicate_weights: np.ndarray | None = None,
               n_boot: int | None = None) -> dict[str, pd.DataFrame]:
    """The VOI tables from a probabilistic comparison's results (one row per design x draw).

    Returns ``voi`` (one row per group, the group of all drawn parameters, and every single drawn
    parameter), ``designs`` (expected net benefit per design) and ``wtp`` (EVPPI per group and
    willingness to pay). Per-decision values are per cohort (one run); the population value is
    per classroom (over the mean classrooms of a run) times ``population`` classrooms a year times
    ``years``, undiscounted.
    """
    from .voi import N_BOOT_VOI, aligned_draws, evppi, expected_net_benefit, net_benefit

    n_boot = N_BOOT_VOI if n_boot is None else n_boot
    designs = list(designs)
    drawn = [k for k in drawn if k in results]
    effect_arr, cost_arr, draws = aligned_draws(results, designs, effect, drawn)
    w = None if replicate_weights is None else np.asarray(replicate_weights, np.float64)[draws["replicate"].to_numpy()]
    ref = designs.index(reference)
    classrooms = float(results["n_classrooms"].mean()) if "n_classrooms" in results else np.nan
    scale = population * years / classrooms if classrooms > 0 else np.nan
    if wtps is None:
        wtps = np.linspace(0.0, 2.5 * wtp if wtp > 0 else 50_000.0, 26)
    wtps = np.unique(np.append(np.asarray(wtps, dtype=np.float64), wtp))
    at = int(np.flatnonzero(wtps == wtp)[0])
    nb = net_benefit(effect_arr, cost_arr, wtp)
    design_table = expected_net_benefit(nb, designs, weights=w)
    design_table.insert(1, "wtp", wtp)

    units = [(g.name, "group", g.question, g.parameters) for g in groups]
    units.append(("all_parameters", "all", "Everything the uncertainty file draws, at once", tuple(drawn)))
    units += [(k, "parameter", "", (k,)) for k in drawn]
    rows, curves = [], []
    for name, kind, question, params in units:
        have = [p for p in params if p in drawn]
        missing = [p for p in params if p not in drawn]
        row = {"group": name, "kind": kind, "question": question, "parameters": " ".join(params),
               "n_draws": effect_arr.shape[1], "wtp": wtp}
        if not have:
            row.update(evppi=np.nan, evppi_low=np.nan, evppi_high=np.nan, evpi=np.nan, population_evppi=np.nan,
                       r2_cv=np.nan, not_drawn=" ".join(missing),
                       note="not estimated: its parameters are not drawn by the uncertainty file")
            rows.append(row)
            continue
        X = draws[have].to_numpy(np.float64)
        res = evppi(effect_arr, cost_arr, X, wtps, reference=ref, weights=w, n_boot=n_boot)
        row.update(evppi=res.evppi[at], evppi_low=res.low[at], evppi_high=res.high[at], evpi=res.evpi[at],
                   population_evppi=res.evppi[at] * scale, r2_cv=res.r2_cv[at], not_drawn=" ".join(missing),
                   note=(f"partly estimated: {', '.join(missing)} not drawn" if missing else ""))
        rows.append(row)
        if kind != "parameter":
            curves.append(pd.DataFrame({"group": name, "wtp": wtps, "evppi": res.evppi, "evppi_low": res.low,
                                        "evppi_high": res.high, "evpi": res.evpi, "r2_cv": res.r2_cv,
                                        "population_evppi": res.evppi * scale}))
    table = pd.DataFrame(rows)
    table["classrooms_per_decision"] = classrooms
    table["population_classrooms_per_year"] = population
    table["years"] = years
    lead = ["group", "parameters", "evppi", "evppi_low", "evppi_high", "evpi", "population_evppi", "r2_cv"]
    table = table[lead + [c for c in table.columns if c not in lead]]
    return {"voi": table, "designs": design_table, "wtp": pd.concat(curves, ignore_index=True)}


def plot_voi(tables: Mapping[str, pd.DataFrame], *, effect: str, wtp: float):
    """EVPPI by group with intervals (left) and EVPPI by willingness to pay (right)."""
    import matplotlib.pyplot as plt

    from ..cost_effectiveness import EFFECTS

    voi = tables["voi"]
    groups = voi[voi["kind"].isin(["group", "all"])].iloc[::-1]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1, 1.1]})
    y = np.arange(len(groups))
    est = groups["evppi"].to_numpy(np.float64)
    ok = np.isfinite(est)
    ax.barh(y[ok], est[ok], color="#4c72b0", alpha=0.8)
    err = np.vstack([est - groups["evppi_low"].to_numpy(), groups["evppi_high"].to_numpy() - est])
    ax.errorbar(est[ok], y[ok], xerr=np.clip(err[:, ok], 0, None), fmt="none", ecolor="black", capsize=3)
    evpi = float(voi["evpi"].dropna().iloc[0])
    ax.axvline(evpi, color="grey", ls="--", lw=1)
    ax.text(evpi, len(groups) - 0.4, " EVPI", color="grey", va="top")
    labels = [f"{g}  (R²cv {r:.2f})" if np.isfinite(r) else f"{g}  (not drawn)"
              for g, r in zip(groups["group"], groups["r2_cv"])]
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"EVPPI, US\\$ per cohort, at \\${wtp:,.0f} per {EFFECTS[effect].unit}")
    ax.set_title("Value of resolving each question (95% bootstrap interval)")
    curves = tables["wtp"]
    for name, df in curves.groupby("group", sort=False):
        style = dict(color="black", lw=2, ls="--") if name == "all_parameters" else dict(lw=1.5)
        bx.plot(df["wtp"], df["evppi"], label=name, **style)
    first = curves[curves["group"] == curves["group"].iloc[0]]
    bx.plot(first["wtp"], first["evpi"], color="grey", ls=":", label="EVPI (incl. chance)")
    bx.axvline(wtp, color="grey", lw=0.8)
    bx.set_xlabel(f"willingness to pay, US\\$ per {EFFECTS[effect].unit}")
    bx.set_ylabel("EVPPI, US\\$ per cohort")
    bx.set_title("EVPPI by willingness to pay")
    bx.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# The funder's page


def _usd(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"${x / 1e6:,.1f} million"
    return f"${x:,.0f}"


def render_next_phase(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> str:
    """``docs/next-phase.md``: the research questions ranked by value, every number from ``tables``."""
    from ..cost_effectiveness import EFFECTS

    voi, designs = tables["voi"], tables["designs"]
    eff = EFFECTS[meta["effect"]]
    wtp = meta["wtp"]
    groups = voi[voi["kind"] == "group"].copy()
    est = groups[groups["evppi"].notna()].sort_values("evppi", ascending=False)
    undrawn = groups[groups["evppi"].isna()]
    allp = voi[voi["kind"] == "all"].iloc[0]
    evpi = float(allp["evpi"])
    best = designs.sort_values("expected_nb", ascending=False).iloc[0]
    pop, years = meta["population"], meta["years"]
    scale_note = f"{pop:,.0f} classrooms a year for {years:g} years"
    posterior = bool(meta.get("posterior"))
    lines = [
        "# What to study next: the value of information",
        "",
        f"Generated by `{meta['command']}` (bsc_sim {meta['version']}, {meta['n_draws']} drawn worlds; "
        f"{meta['elapsed']}). Do not edit by hand: re-run the command to refresh every number.",
        "",
        "**The question.** Before a state chooses how to support programmes "
        f"({', '.join(f'`{d}`' for d in meta['designs'])}), which unknown, if a study resolved it, would most change "
        "the choice, and how much is resolving it worth? Value of information answers this [strong2014]: it prices "
        "a question by how much better the decision would be, on average, if the answer were known.",
        "",
        f"**Prices.** A design's net benefit is ${wtp:,.0f} for each {eff.unit} ({eff.label.split(' (')[-1].rstrip(')') if '(' in eff.label else eff.label}) minus its cost. "
        f"Over the drawn worlds the best bet is `{best['design']}` (expected net benefit {_usd(best['expected_nb'])} "
        f"per cohort, interval {_usd(best['expected_nb_low'])} to {_usd(best['expected_nb_high'])}; best in "
        f"{best['prob_best']:.0%} of the worlds).",
        "",
        f"**The ceiling.** Knowing everything before choosing would be worth {_usd(evpi)} per cohort "
        f"(EVPI; {_usd(evpi * meta['scale'])} for {scale_note}). Part of that is chance that no study can remove "
        f"(how one cohort happens to go); resolving every uncertain parameter at once is worth {_usd(allp['evppi'])} "
        f"per cohort ({_usd(allp['population_evppi'])} for the state; interval {_usd(allp['evppi_low'])} to "
        f"{_usd(allp['evppi_high'])} per cohort).",
        "",
        "## The research questions, ranked",
        "",
        f"Per cohort of {meta['classrooms']:.0f} classrooms, and for {scale_note} ({meta['population_how']}). "
        "R² is the out-of-sample (cross-validated) fit of the metamodel to the designs' incremental net benefit. "
        "A low R² alone does not make a value doubtful: net benefit varies mostly by chance between single cohorts, "
        "and a group can still predict one design's cost or effect well (the coach's hourly price predicts the "
        "coach's cost). Where a design's cost or effect is predicted no better than by its average out of sample, "
        "the group is counted as telling nothing about it, which may understate a weak effect.",
        "",
        "| rank | question | worth per cohort | interval | worth for the state | R² (cv) |",
        "|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(est.itertuples(), 1):
        note = f" ({r.note})" if r.note else ""
        lines.append(f"| {i} | **{r.group}**: {r.question}{note} | {_usd(r.evppi)} | {_usd(r.evppi_low)} to "
                     f"{_usd(r.evppi_high)} | {_usd(r.population_evppi)} | {r.r2_cv:.2f} |")
    for r in undrawn.itertuples():
        lines.append(f"| - | **{r.group}**: {r.question} | not estimated: its parameters ({r.not_drawn}) are not "
                     "drawn | | | |")
    lines += ["", "## In plain words", ""]
    unresolved = []
    for r in est.itertuples():
        share = r.evppi / evpi if evpi > 0 else np.nan
        if r.evppi_low > 0:
            fit = (f" Most of the spread of net benefit between worlds is chance (R² {r.r2_cv:.2f}); the value comes "
                   "from the part this group does predict, a design's cost or effect." if not r.r2_cv > 0.05 else "")
            lines.append(f"- Resolving **{r.group}** ({r.question[0].lower() + r.question[1:]}) is worth up to "
                         f"{_usd(r.population_evppi)} for a state of {pop:,.0f} classrooms a year over {years:g} "
                         f"years ({_usd(r.evppi)} per cohort, {share:.0%} of the ceiling; interval "
                         f"{_usd(r.evppi_low)} to {_usd(r.evppi_high)} per cohort). A study that settled it for less "
                         "could pay for itself; a real study settles it only in part, so it is worth less than this."
                         + fit)
        elif r.evppi_high <= 0.01 * max(evpi, 1e-9):
            lines.append(f"- **{r.group}** is worth about nothing (≈ {_usd(r.evppi)} per cohort, at most "
                         f"{_usd(r.evppi_high)}): at these prices the choice comes out the same whatever the answer "
                         "is within its plausible range, or its effect is too small to show.")
        else:
            unresolved.append(f"**{r.group}** ({_usd(r.evppi)}, interval {_usd(r.evppi_low)} to "
                              f"{_usd(r.evppi_high)}, R² {r.r2_cv:.2f})")
    if unresolved:
        lines.append(f"- Not settled by {meta['n_draws']} worlds: {', '.join(unresolved)} per cohort. Their intervals "
                     "reach 0: worth little at these prices, or more worlds (`draws=`) are needed to show their value.")
    singles = voi[voi["kind"] == "parameter"].sort_values("evppi", ascending=False).head(5)
    lines += ["", "## Single parameters with the most value", "",
              "| parameter | worth per cohort | interval | R² (cv) |", "|---|---|---|---|"]
    lines += [f"| `{r.group}` | {_usd(r.evppi)} | {_usd(r.evppi_low)} to {_usd(r.evppi_high)} | {r.r2_cv:.2f} |"
              for r in singles.itertuples()]
    lines += [
        "", "## How these numbers were made", "",
        f"- {meta['n_draws']} worlds came from `{meta['uncertainty_file']}` (" + (
            "rows of the calibrated posterior, drawn by their weights: see docs/calibration.md"
            if posterior else "an uncertainty file's ranges, each citing a source or saying it is an assumption, or a "
            "table of worlds") + "); every design ran in the same world with the same seed.",
        "- EVPPI by the regression method of [strong2014]: each design's incremental cost and effect against "
        f"`{meta['reference']}` are regressed on the group's parameters across the worlds (a penalised regression "
        "spline, penalties by generalised cross-validation), and the fitted values stand in for the expected net "
        "benefit given the group. Intervals: bootstrap over worlds. Estimates are clipped to [0, EVPI].",
        f"- With {meta['n_draws']} worlds the estimates are rough. Where the metamodel predicts a design's cost or "
        "effect no better than its average out of sample, the group is counted as telling nothing about it (a fit "
        "to noise would only inflate the value); this can understate a weak effect. More draws (`draws=`) narrow "
        "the intervals and let weaker effects show.",
        f"- The population value assumes the per-classroom value of a cohort of {meta['classrooms']:.0f} classrooms "
        f"holds for every classroom the choice affects ({scale_note}), undiscounted; the cohort mix of the designs "
        "compared is not the state's mix.",
        ("- The worlds are the posterior after the calibration facts; it is only as good as those facts, the "
         "prior ranges it started from and the model's fit to them (docs/calibration.md)." if posterior else
         "- The ranges are prior ranges, not a posterior fitted to data; where they are assumptions, the value of "
         "information is only as good as they are."),
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The command

OWN_KEYS = {
    "designs": "designs to choose between, e.g. [bsc,coach] (the reference is added)",
    "draws": f"drawn worlds (replicates; each design runs in each; default 60, at least {MIN_DRAWS}), or PATH.csv: "
             "a table of worlds, a column per parameter and optionally weight (e.g. posterior draws)",
    "seed": "root seed of the worlds (default 0)",
    "reference": "the design increments are taken against (default business_as_usual; one of the options)",
    "wtp": "willingness to pay in USD per unit of effect (default 20000, an assumption)",
    "effect": "classrooms_sustained (default), children_reached, classrooms_reached",
    "population": "classrooms a year the choice affects (default: the default state's enrolment, see docs)",
    "years": f"years the choice holds (default {DEFAULT_YEARS}, an assumption)",
    "groups": "groups file (default configs/voi/groups.yaml)",
    "uncertainty": "posterior (default: the calibrated posterior), parameters (the prior ranges) or PATH.yaml: the "
                   "uncertain parameters drawn per world",
    "doc": "also write the funder's page, e.g. doc=docs/next-phase.md",
}


def _usage() -> str:
    from ..exits import EXIT_HELP
    from ..experiments.cli import EXECUTOR_KEYS

    keys = {**OWN_KEYS, **EXECUTOR_KEYS}
    width = max(map(len, keys))
    return "\n".join(["usage: bsc-sim voi [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "",
                      "  bsc-sim voi 'designs=[bsc,coach]' draws=60 out_dir=outputs/voi doc=docs/next-phase.md", "",
                      "Expected value of perfect (EVPI) and partial perfect information (EVPPI) per research "
                      "question,", "from a comparison that draws one world per replicate (uncertainty=posterior by default, or parameters).",
                      "", "Settings:"] + [f"  {k:<{width}}  {v}" for k, v in keys.items()] + ["", EXIT_HELP])


def _number(settings: Mapping[str, Any], key: str, default: float, *, positive: bool = True) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) \
            or (value <= 0 if positive else value < 0):
        raise ParamError(f"{key} = {value!r}: must be a number {'> 0' if positive else '>= 0'}")
    return float(value)


def cmd_voi(argv: list[str]) -> int:
    import time

    from ..experiments.cli import _main, compare_options, run_options

    if any(a in ("-h", "--help") for a in argv):
        print(_usage())
        return 0
    from ..experiments import cli as cli_module

    cli_module.COMMAND_KEYS.setdefault("voi", OWN_KEYS)
    cli_module.EXAMPLES.setdefault("voi", "bsc-sim voi 'designs=[bsc,coach]' draws=60 out_dir=outputs/voi")

    def body(settings: dict[str, Any], overrides: list[str]) -> int:
        from .. import __version__
        from .validation import _check_doc
        from ..exits import DONE, RUNS_FAILED
        from ..experiments.analysis import check_ce_settings, run_comparison
        from ..experiments.cli import _int
        from ..experiments.designs import matching_reference, resolve_designs
        from ..experiments.lock import store_lock
        from ..experiments.store import atomic_write, publish_analysis
        from ..experiments.uncertainty import load_drawn

        started = time.perf_counter()
        designs = settings.get("designs", ["bsc", "coach"])
        if isinstance(designs, str):
            designs = [d.strip() for d in designs.split(",") if d.strip()]
        if not isinstance(designs, list) or not designs or not all(isinstance(d, str) for d in designs):
            raise ParamError(f"designs = {designs!r}: expected a list such as [bsc,coach]")
        draws = settings.get("draws", 60)
        table_path, weights = None, None
        if isinstance(draws, str):  # a table of worlds (e.g. posterior draws, optionally weighted)
            from ..experiments.uncertainty import load_worlds, world_weights

            table_path = draws
            if not table_path.endswith(".csv"):
                raise ParamError(f"draws = {draws!r}: a number of worlds, or a path to a .csv table of them")
            table = load_worlds(table_path)
            weights = world_weights(pd.read_csv(table_path), f"draws = {table_path!r}")
            draws = len(table)
        draws = _int({"draws": draws}, "draws", 60)
        if draws < MIN_DRAWS:
            raise ParamError(f"draws = {draws}: need at least {MIN_DRAWS} worlds for the regression")
        seed = _int(settings, "seed", 0)
        ce = compare_options(settings)
        if ce["reference"] is None:
            raise ParamError("reference = none: value of information needs a reference design to take increments against")
        check_ce_settings(ce["wtp"], ce["effect"])
        wtp = float(ce["wtp"])
        default_pop, pop_how = default_population()
        population = _number(settings, "population", default_pop)
        if "population" in settings:
            pop_how = "given on the command line"
        years = _number(settings, "years", DEFAULT_YEARS)
        # The calibrated posterior by default: what is still worth learning after the calibration facts.
        uncertainty = table_path or settings.get("uncertainty") or "posterior"
        if table_path and settings.get("uncertainty"):
            raise ParamError(f"uncertainty = {settings['uncertainty']!r}: not with draws = {table_path!r} (the table "
                             "gives the worlds)")
        if str(uncertainty) in ("seed", "none"):
            raise ParamError(f"uncertainty = {uncertainty}: value of information needs drawn parameters (parameters, "
                             "posterior or a file)")
        groups = load_groups(settings.get("groups"))
        if table_path:
            drawn_keys, unc_path = tuple(table.columns), table_path
        else:
            unc = load_drawn(uncertainty)  # the posterior (default), the prior ranges, or a file
            drawn_keys, unc_path = unc.keys, unc.path
        doc = Path(settings["doc"]) if settings.get("doc") else None
        if doc is not None:
            _check_doc(doc)
        reference = matching_reference(designs, ce["reference"], overrides)
        _, ref_label = resolve_designs(designs, reference, None)
        out_dir = Path(settings.get("out_dir") or "outputs/voi")
        run, written = run_comparison(designs, draws, seed, out_dir, overrides=overrides, reference=reference,
                                      wtp=wtp, effect=ce["effect"], uncertainty=uncertainty, verbose=False,
                                      **run_options(settings))
        print(run.report())
        if not run.ok:
            print(f"wrote {out_dir}/: {', '.join(written)}")
            return RUNS_FAILED
        results = run.results
        labels = list(dict.fromkeys(results["design"]))
        tables = voi_tables(results, labels, ref_label, groups, drawn_keys, wtp=wtp, effect=ce["effect"],
                            population=population, years=years, replicate_weights=weights)
        elapsed = time.perf_counter() - started
        files = {"voi.csv": lambda p: tables["voi"].to_csv(p, index=False),
                 "voi_designs.csv": lambda p: tables["designs"].to_csv(p, index=False),
                 "voi_wtp.csv": lambda p: tables["wtp"].to_csv(p, index=False)}

        def figure(path: Path) -> None:
            import matplotlib.pyplot as plt

            fig = plot_voi(tables, effect=ce["effect"], wtp=wtp)
            fig.savefig(path, dpi=110)
            plt.close(fig)

        files["voi.png"] = figure
        with store_lock(out_dir, wait=True):
            written += publish_analysis(out_dir, files)
        voi = tables["voi"]
        print(format_voi(tables))
        if doc is not None:
            shown_args = " ".join(a for a in sys.argv[2:] if not a.startswith(("out_dir=", "executor", "progress")))
            meta = {"command": f"bsc-sim voi {shown_args}".strip(), "version": __version__, "n_draws": draws,
                    "n_runs": len(results), "elapsed": f"{run.report()}; this command took {elapsed / 60:.1f} min",
                    "designs": labels, "reference": ref_label, "effect": ce["effect"], "wtp": wtp,
                    "population": population, "years": years, "population_how": pop_how,
                    "classrooms": float(voi["classrooms_per_decision"].iloc[0]),
                    "scale": population * years / float(voi["classrooms_per_decision"].iloc[0]),
                    "uncertainty_file": _shown_path(unc_path), "posterior": str(uncertainty) == "posterior"}
            atomic_write(doc, lambda p: p.write_text(render_next_phase(tables, meta)))
            written.append(str(doc))
        print(f"wrote {out_dir}/: {', '.join(written)}  ({elapsed / 60:.1f} min)")
        return DONE

    return _main("voi", argv, body)


def _shown_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return Path(path).name


def format_voi(tables: Mapping[str, pd.DataFrame]) -> str:
    """The console summary: designs, then groups by EVPPI."""
    lines = ["expected net benefit per cohort (95% interval), share of worlds best:"]
    for r in tables["designs"].itertuples():
        lines.append(f"  {r.design:<24} {_usd(r.expected_nb):>12}  ({_usd(r.expected_nb_low)} to "
                     f"{_usd(r.expected_nb_high)})  best in {r.prob_best:.0%}")
    voi = tables["voi"]
    lines.append(f"EVPI per cohort {_usd(float(voi['evpi'].dropna().iloc[0]))}; EVPPI per cohort (interval), "
                 "for the population, R^2 (cv):")
    shown = voi[voi["kind"].isin(["group", "all"])].sort_values("evppi", ascending=False, na_position="last")
    for r in shown.itertuples():
        if not np.isfinite(r.evppi):
            lines.append(f"  {r.group:<24} not drawn ({r.not_drawn})")
            continue
        lines.append(f"  {r.group:<24} {_usd(r.evppi):>10}  ({_usd(r.evppi_low)} to {_usd(r.evppi_high)})  "
                     f"{_usd(r.population_evppi):>16}  R2 {r.r2_cv:5.2f}" + (f"  [{r.note}]" if r.note else ""))
    return "\n".join(lines)
