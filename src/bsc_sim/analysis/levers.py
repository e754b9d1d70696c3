"""``bsc-sim levers``: every design lever a planner can pull, against the default design.

For each lever, paired replicates on common seeds (replicate ``r`` of every lever uses the
seed of replicate ``r`` of ``bsc``) measure its effect on the outcomes a planner weighs
(classroom reach at the end, classrooms sustained, the same read lag_weeks (52) after each design's own
supports end, front-line fidelity, learning culture,
family engagement, cost) and on the intermediate state it acts through (ties formed, test
success, derailments, ...). Shares are ratios of pooled sums over runs; intervals are
percentile bootstraps over replicate pairs (:mod:`bsc_sim.analysis.stats`).

With ``uncertainty=posterior`` (the default) replicate ``r`` of every lever also runs one world
drawn from the calibrated posterior (the same world for the default design and every lever, so the
pairs stay paired); ``uncertainty=parameters`` draws it from the prior ranges; ``uncertainty=none``
varies only the seed, and the report and levers.csv then say the intervals show seed noise only.

A lever that moves no outcome is a defect unless the ODD says why; the report flags it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import load_params
from ..experiments.specs import RunSpec, replicate_seeds
from .stats import paired_arrays, paired_ratio_difference, pooled_ratio

__all__ = ["LEVERS", "OUTCOMES", "Lever", "Outcome", "lever_specs", "lever_table", "render", "cmd_levers"]

REFERENCE = "bsc"


@dataclass(frozen=True)
class Lever:
    """A design choice, as Hydra overrides applied to the default design, and how it acts."""

    key: str
    label: str
    overrides: tuple[str, ...]
    pathway: str          # the mechanism it acts through (ODD section)


@dataclass(frozen=True)
class Outcome:
    """A reported quantity: a ratio of pooled sums (``num``/``den``) or a mean (``den`` None)."""

    key: str
    label: str
    num: str
    den: str | None
    kind: str             # "outcome" (what a planner weighs) or "intermediate" (the state a lever acts on)
    unit: str = "share"   # share | index | usd | count


LEVERS: tuple[Lever, ...] = (
    Lever("four_sessions", "4 learning sessions instead of 3", ("design=bsc_4_sessions",),
          "session dose: more boosts of skill, knowledge, efficacy and momentum, and more ties (ODD 7.3, 7.8)"),
    Lever("bunched_sessions", "sessions 5 weeks apart instead of 15", ("collaborative.session_spacing_weeks=5",),
          "session dose fades between sessions and saturates within a session cluster (ODD 7.3, 7.13)"),
    Lever("virtual", "virtual learning sessions", ("design=bsc_virtual",),
          "modality: attendance, learning gain and tie formation (ODD 7.3, 7.11)"),
    Lever("no_families", "teams without a family member", ("design=bsc_no_families",),
          "families on teams raise the fit of change ideas with home and culture (ODD 7.10)"),
    Lever("no_leaders", "teams without a leader (teachers take the seats)", ("design=bsc_no_leaders",),
          "no leader on the team: no protected time, no endorsement, little reflective supervision (ODD 7.8, 7.12)"),
    Lever("teachers_only", "teams of teachers only (no leader and no family member)", ("design=bsc_teachers_only",),
          "both of the above: no_leaders and no_families together (ODD 7.8, 7.10, 7.12)"),
    Lever("leaders_only", "teams of leaders only", ("design=bsc_leaders_only",),
          "no teacher on the team: classroom tests by non-members, no peer coaching in classrooms (ODD 7.8, 7.12)"),
    Lever("no_cross_learning", "no learning across programmes", ("collaborative.cross_learning=false",),
          "no ties, no shared results and adaptations, no peer encouragement (ODD 7.3, 7.11)"),
    Lever("no_data_support", "no data-use support", ("design=bsc_no_data_support",),
          "weaker reading of tests, costlier data collection (ODD 7.8, 7.15)"),
    Lever("add_coaching", "a coach per programme on top of the BSC", ("coaching.enabled=true",),
          "direct feedback to focus teachers (ODD 7.5, 7.12)"),
    Lever("coach_instead", "a coach per programme instead of the BSC", ("design=coach",),
          "individual practice change: no team, no PDSA, no cross-programme learning (ODD 7.5)"),
    Lever("readiness_selection", "select the most ready of 1.5 applicants per place", ("design=bsc_readiness_selection",),
          "readiness raises cycling, test success and resilience to derailment (ODD 5, 7.8, 7.16)"),
    Lever("followup_support", "supports continue 26 weeks after the end", ("design=bsc_followup_support",),
          "delays the decay that follows the end of supports (ODD 7.8, 7.12, 7.13)"),
    Lever("large_cohort", "a cohort of 30 programmes instead of 8", ("design=bsc_large_cohort",),
          "more peers to learn from; faculty attention spread thinner (ODD 7.3, 7.11)"),
)

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("reach_end", "classrooms reached at the end", "n_classrooms_reached_end", "n_classrooms", "outcome"),
    Outcome("sustained", "classrooms sustained (reached at end and follow-up)", "n_classrooms_sustained_followup",
            "n_classrooms", "outcome"),
    Outcome("reach_lag", "classrooms reached lag_weeks (52) after the design's own supports end", "n_classrooms_reached_lag",
            "n_classrooms", "outcome"),
    Outcome("sustained_lag", "classrooms sustained (reached at end and lag_weeks after supports end)",
            "n_classrooms_sustained_lag", "n_classrooms", "outcome"),
    Outcome("using_lag", "classrooms using a practice (any fidelity) lag_weeks after supports end",
            "n_classrooms_using_lag", "n_classrooms", "outcome"),
    Outcome("frontline_fidelity", "teaching staff at fidelity at the end", "n_teaching_fidelity_end",
            "n_teaching_staff_end", "outcome"),
    Outcome("culture_end", "learning culture at the end (0-1)", "culture_end", None, "outcome", "index"),
    Outcome("culture_followup", "learning culture at follow-up (0-1)", "culture_followup", None, "outcome", "index"),
    Outcome("family_engagement", "family engagement at the end (0-1)", "sum_family_engagement_end", "n_families",
            "outcome", "index"),
    Outcome("cost", "total cost", "cost_total", None, "outcome", "usd"),
    Outcome("cost_per_classroom", "cost per classroom in the cohort", "cost_total", "n_classrooms", "outcome", "usd"),
    Outcome("ties_formed", "cross-programme ties formed", "n_cross_ties_formed", None, "intermediate", "count"),
    Outcome("test_success", "share of testers whose test succeeded", "n_test_successes", "n_test_units",
            "intermediate"),
    Outcome("pdsa_cycles", "PDSA cycles run", "n_pdsa_cycles", None, "intermediate", "count"),
    Outcome("misread", "PDSA results misread", "n_pdsa_cycles_misread", "n_pdsa_cycles_studied", "intermediate"),
    Outcome("data_hours", "staff hours per measured cycle spent on its data", "hours_data_collection",
            "n_pdsa_cycles_data_used", "intermediate", "count"),
    Outcome("enrolled_fidelity", "enrolled teaching staff at fidelity at the end", "n_enrolled_teaching_fidelity_end",
            "n_enrolled_teaching_staff", "intermediate"),
    Outcome("nonteam_adopted", "staff beyond the team using a practice", "n_nonteam_staff_adopted_end",
            "n_nonteam_staff_end", "intermediate"),
    Outcome("home_use", "families using a home practice at the end", "n_families_home_use_end", "n_families",
            "intermediate"),
    # Intermediate states added with the mechanisms; missing columns are skipped.
    Outcome("derailments", "derailments per programme", "n_derailments", "n_programs", "intermediate", "count"),
    Outcome("dropped", "programmes that dropped out", "n_programs_dropped", "n_programs", "intermediate"),
    Outcome("session_dose", "mean session momentum during the collaborative (0-1)", "mean_momentum", None,
            "intermediate", "index"),
    Outcome("fit_family", "local fit of family-facing practices (logit)", "mean_fit_family_practices", None,
            "intermediate", "index"),
    Outcome("fit_all", "local fit of all practices (logit)", "mean_fit", None, "intermediate", "index"),
    Outcome("cycles_followup", "PDSA cycles run during follow-up", "n_pdsa_cycles_followup", None, "intermediate",
            "count"),
    Outcome("efficacy", "change efficacy at the end of follow-up (0-1)", "mean_efficacy_followup", None, "intermediate",
            "index"),
    Outcome("skill", "QI skill of staff at the end of follow-up (0-1)", "mean_skill_followup", None, "intermediate",
            "index"),
)

# The intermediate state each lever is documented to act through, and the direction it moves it
# (tested in tests/behavior/test_lever_pathways.py).
PATHWAY_STATE: dict[str, tuple[str, int]] = {
    "four_sessions": ("mean_momentum", +1),
    "bunched_sessions": ("mean_efficacy_followup", -1),
    "virtual": ("n_cross_ties_formed", -1),
    "no_families": ("mean_fit_family_practices", -1),
    "no_leaders": ("n_pdsa_cycles", -1),
    "teachers_only": ("n_pdsa_cycles", -1),
    "leaders_only": ("frac_frontline_fidelity_end", -1),  # no teacher on the team to coach colleagues
    "no_cross_learning": ("mean_fit", -1),
    "no_data_support": ("frac_pdsa_misread", +1),
    "add_coaching": ("frac_frontline_fidelity_end", +1),
    "coach_instead": ("culture_end", -1),
    "readiness_selection": ("n_pdsa_cycles", +1),
    "followup_support": ("n_pdsa_cycles_followup", +1),
    "large_cohort": ("mean_momentum", -1),
}


def lever_specs(levers: Sequence[Lever], replications: int, seed: int,
                overrides: Sequence[str] = ()) -> list[RunSpec]:
    """The reference design and every lever, each with ``replications`` common seeds."""
    seeds = replicate_seeds(seed, replications)
    groups = [(REFERENCE, load_params([f"design={REFERENCE}", *overrides]))]
    for lever in levers:
        design = [o for o in lever.overrides if o.startswith("design=")]
        rest = [o for o in lever.overrides if not o.startswith("design=")]
        groups.append((lever.key, load_params([*(design or [f"design={REFERENCE}"]), *overrides, *rest])))
    specs = []
    for name, params in groups:
        for r, s in enumerate(seeds):
            specs.append(RunSpec(f"{name}/r{r:04d}", len(specs), params, s, {"lever": name, "replicate": r}))
    return specs


def lever_table(results: pd.DataFrame, levers: Sequence[Lever], level: float = 0.95) -> pd.DataFrame:
    """One row per lever x outcome: reference and lever values (pooled) and the paired difference."""
    rows = []
    ref = results[results["lever"] == REFERENCE].set_index("replicate").sort_index()
    for lever in levers:
        alt = results[results["lever"] == lever.key].set_index("replicate").sort_index()
        common = ref.index.intersection(alt.index)
        a, b = ref.loc[common], alt.loc[common]
        for out in OUTCOMES:
            if out.num not in results or (out.den is not None and out.den not in results):
                continue
            den_a = a[out.den].to_numpy() if out.den else None
            den_b = b[out.den].to_numpy() if out.den else None
            n, diff, lo, hi = paired_ratio_difference(a[out.num].to_numpy(), den_a, b[out.num].to_numpy(), den_b,
                                                      level=level)
            na, da, nb, db = paired_arrays(a[out.num].to_numpy(), den_a, b[out.num].to_numpy(), den_b)
            rows.append({"lever": lever.key, "label": lever.label, "outcome": out.key, "outcome_label": out.label,
                         "kind": out.kind, "unit": out.unit, "n_pairs": n,
                         "reference": pooled_ratio(na, da), "value": pooled_ratio(nb, db),  # the pairs used
                         "difference": diff, "ci_low": lo, "ci_high": hi,
                         "excludes_zero": bool(np.isfinite(lo) and (lo > 0 or hi < 0)),
                         "pathway": lever.pathway})
    return pd.DataFrame(rows)


def _fmt(value: float, unit: str, signed: bool = False) -> str:
    if not np.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{100 * value:{sign}.1f}" + (" pts" if signed else "%")
    if unit == "usd":
        return f"{'-' if value < 0 else ('+' if signed else '')}${abs(value):,.0f}"
    if unit == "count":
        return f"{value:{sign},.1f}"
    return f"{value:{sign}.3f}"


def _shown(path: object, default: str) -> str:
    """A file as a reader of the page can find it: relative to the repository, else its name."""
    from ..config import config_dir

    if not path:
        return default
    try:
        return str(Path(str(path)).resolve().relative_to(config_dir().resolve().parent))
    except ValueError:
        return Path(str(path)).name


def uncertainty_sentence(meta: dict) -> str:
    """What the intervals carry, in the words of the uncertainty the run used."""
    unc = meta.get("uncertainty", "none")
    meta = {**meta, "uncertainty_file": _shown(meta.get("uncertainty_file"), "")} if meta.get("uncertainty_file") else meta
    if unc == "posterior":
        return (f"Uncertainty: posterior. Each replicate ran one world drawn from the calibrated posterior "
                f"(`{meta.get('uncertainty_file', 'configs/posterior/draws.csv')}`), the same world for the default "
                "design and every lever, so the intervals carry what calibration left uncertain as well as chance.")
    if unc == "parameters":
        return (f"Uncertainty: parameters. Each replicate drew the uncertain parameters from the prior ranges of "
                f"`{meta.get('uncertainty_file', 'configs/uncertainty/default.yaml')}`, the same world for the "
                "default design and every lever.")
    return ("Uncertainty: none. The intervals show seed noise only: every replicate used the same parameter values, "
            "so no parameter uncertainty was included.")


def render(table: pd.DataFrame, meta: dict) -> str:
    """``docs/levers.md``: per lever, its pathway and its effects with intervals."""
    lines = [
        "# Design levers and what they do",
        "",
        "Generated by `bsc-sim levers` (do not edit by hand). Each lever is one change to the default "
        f"design `{REFERENCE}`, run on the same {meta['replications']} seeds as the default (common random "
        "numbers). Shares are ratios of pooled sums over runs; a difference is the lever minus the default, "
        "with a 95% percentile-bootstrap interval over replicate pairs. **Bold** differences have intervals "
        "that exclude zero. Levers that change who is recruited (readiness selection, cohort size) draw "
        "different cohorts, so their intervals are wider.",
        "",
        f"Run: bsc_sim {meta['version']} at git {meta['git_revision']}, root seed {meta['seed']}, "
        f"{meta['n_runs']} runs.",
        "",
        uncertainty_sentence(meta),
        "",
    ]
    for lever_key, df in table.groupby("lever", sort=False):
        first = df.iloc[0]
        moved = df[(df["kind"] == "outcome") & df["excludes_zero"]]
        verdict = (f"moves {len(moved)} of {int((df['kind'] == 'outcome').sum())} outcomes" if len(moved)
                   else "**moves no outcome** (a defect unless the ODD explains it)")
        lines += [f"## `{lever_key}`: {first['label']}", "",
                  f"Pathway: {first['pathway']}. It {verdict}.", "",
                  "| | quantity | default | with lever | difference (95% CI) |", "|---|---|---|---|---|"]
        for r in df.itertuples():
            diff = f"{_fmt(r.difference, r.unit, True)} [{_fmt(r.ci_low, r.unit, True)}, {_fmt(r.ci_high, r.unit, True)}]"
            if r.excludes_zero:
                diff = f"**{diff}**"
            lines.append(f"| {r.kind} | {r.outcome_label} | {_fmt(r.reference, r.unit)} | {_fmt(r.value, r.unit)} | {diff} |")
        lines.append("")
    unc = meta.get("uncertainty", "none")
    setting = "" if unc == "posterior" else f" uncertainty={meta.get('uncertainty_setting', unc)}"
    lines += [f"Re-run: `uv run bsc-sim levers replications={meta['replications']}{setting} out_dir=outputs/levers "
              "doc=docs/levers.md` (resumable).", ""]
    return "\n".join(lines)


def cmd_levers(argv: Sequence[str]) -> int:
    """``bsc-sim levers [replications=100] [seed=0] [out_dir=...] [doc=PATH] [levers=[...]] [executor...]``."""
    from .. import __version__
    from ..exits import DONE, EXIT_HELP, RUNS_FAILED, guarded
    from ..experiments.cli import EXECUTOR_KEYS, _int, parse_settings, run_options
    from ..experiments.runner import run_experiment
    from ..experiments.store import atomic_write
    from ..experiments.uncertainty import intervals_note, seed_only_note, with_uncertainty
    from ..paramtools import ParamError
    from ..run import git_revision
    from .validation import _check_doc

    own = {"replications": "paired replicates per lever (default 100)",
           "seed": "root seed of the replicate seeds (default 0)",
           "levers": f"which levers (default: all): {', '.join(lv.key for lv in LEVERS)}",
           "doc": "also write the report as Markdown to this file, e.g. doc=docs/levers.md (default: not written)",
           "uncertainty": "posterior | parameters | none | PATH.yaml: the world of each replicate, the same for every "
                          "lever: drawn from the calibrated posterior (default, configs/posterior/draws.csv), from the "
                          "prior ranges (parameters), or none (seed noise only)",
           **EXECUTOR_KEYS}
    if any(a in ("-h", "--help") for a in argv):
        width = max(map(len, own))
        print("usage: bsc-sim levers [KEY=VALUE ...] [MODEL_OVERRIDE ...]\n\n"
              "Run every design lever against the default design on common seeds and write levers.csv\n"
              "(effects on outcomes and intermediate state, with 95% intervals) to out_dir (default outputs/levers).\n\n"
              "  bsc-sim levers replications=100 out_dir=outputs/levers doc=docs/levers.md\n\nSettings:\n"
              + "\n".join(f"  {k:<{width}}  {v}" for k, v in own.items())
              + "\n\nAny other KEY=VALUE is a model override applied to every run (a context, e.g. "
                f"readiness.data_capacity_mean=0.2).\n{EXIT_HELP}")
        return DONE

    def body() -> int:
        settings, overrides = parse_settings(argv, own, command="levers")
        reps = _int(settings, "replications", 100)
        seed = _int(settings, "seed", 0)
        if reps is None or reps < 2:
            raise ParamError(f"replications = {reps}: need at least 2 for intervals")
        chosen = settings.get("levers")
        if chosen is None:
            levers = LEVERS
        else:
            names = [chosen] if isinstance(chosen, str) else list(chosen)
            known = {lv.key: lv for lv in LEVERS}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ParamError(f"levers = {unknown[0]!r}: unknown lever (known: {', '.join(known)})")
            levers = tuple(known[n] for n in names)
        doc = Path(settings["doc"]) if settings.get("doc") else None
        if doc is not None:
            _check_doc(doc)
        specs = lever_specs(levers, reps, seed, overrides)
        setting = settings.get("uncertainty") or "posterior"
        lever_keys = {o.split("=", 1)[0] for lv in levers for o in lv.overrides if not o.startswith("design=")}
        specs, description = with_uncertainty(specs, {"kind": "levers", "replications": reps, "seed": seed,
                                                      "overrides": list(overrides)}, setting, overrides=overrides,
                                              skip=lever_keys)
        out_dir = Path(settings.get("out_dir") or "outputs/levers")
        run = run_experiment(specs, out_dir, description=description, **run_options(settings))
        print(run.report())
        if not run.ok:
            return RUNS_FAILED
        table = lever_table(run.results, levers)
        meta = {"version": __version__, "git_revision": git_revision(), "replications": reps, "seed": seed,
                "n_runs": len(specs), "uncertainty": description["uncertainty"], "uncertainty_setting": setting,
                "uncertainty_file": description.get("uncertainty_file")}
        table["uncertainty"] = description["uncertainty"]
        table["intervals"] = intervals_note(description["uncertainty"])
        atomic_write(out_dir / "levers.csv", lambda p: table.to_csv(p, index=False))
        if doc is not None:
            atomic_write(doc, lambda p: p.write_text(render(table, meta)))
        for lever_key, df in table[table["kind"] == "outcome"].groupby("lever", sort=False):
            moved = ", ".join(f"{r.outcome} {_fmt(r.difference, r.unit, True)}" for r in df.itertuples() if r.excludes_zero)
            print(f"  {lever_key:<20} {moved or 'NO OUTCOME MOVED'}")
        if description["uncertainty"] == "none":
            print(f"NOTE: {seed_only_note()}.")
        print(f"wrote {out_dir / 'levers.csv'}" + (f" and {doc}" if doc is not None else ""))
        return DONE

    return guarded("levers", body)
