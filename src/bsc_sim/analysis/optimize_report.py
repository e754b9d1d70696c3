"""What ``bsc-sim optimize`` shows a planner: the Pareto-front figure, the console table, the
description of each design file, and the command itself (settings, checks, exit codes)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..paramtools import ParamError

__all__ = ["plot_pareto", "design_description", "format_front", "cmd_optimize", "SETTINGS"]


def usd(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"${value:,.0f}"


def design_description(row: Mapping[str, Any], spec) -> str:
    """One line for a design file's ``description:``: which trial, its objectives and cost, with intervals."""
    from .optimize import OBJECTIVES

    parts = [f"bsc-sim optimize trial {row['trial']} (budget {usd(spec.budget)})"]
    for o in spec.objectives:
        parts.append(f"{OBJECTIVES[o].label}: {row[o]:.3g} [{row[o + '_ci_low']:.3g}, {row[o + '_ci_high']:.3g}]")
    parts.append(f"cost {usd(row['cost'])} [{usd(row['cost_ci_low'])}, {usd(row['cost_ci_high'])}]")
    return "; ".join(parts) + f" (means with 95% intervals over {spec.confirm_replications} confirmation replicates)"


def plot_pareto(trials: pd.DataFrame, pareto: pd.DataFrame, base: Mapping[str, Any], spec):
    """Cost against the first objective: every trial, the front as searched and as confirmed
    (with 95% intervals on both axes), the base design, and the budget."""
    import matplotlib.pyplot as plt

    from .optimize import OBJECTIVES

    o = spec.objectives[0]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    done = trials[trials["state"] == "COMPLETE"]
    ok = done[done["within_budget"]]
    over = done[~done["within_budget"]]
    far = over[over["cost_mean"] > 1.6 * spec.budget]  # kept off the figure so the front stays legible
    over = over[over["cost_mean"] <= 1.6 * spec.budget]
    ax.scatter(ok["cost_mean"], ok[f"{o}_mean"], s=18, color="0.6", label=f"trials within budget ({len(ok)})")
    ax.scatter(over["cost_mean"], over[f"{o}_mean"], s=18, marker="x", color="tab:red", alpha=0.5,
               label=f"trials over budget ({len(over)}" + (f"; {len(far)} more beyond {usd(1.6 * spec.budget)})"
                                                             if len(far) else ")"))
    if len(pareto):
        searched = pareto.sort_values("search_cost_mean")
        ax.plot(searched["search_cost_mean"], searched[f"search_{o}_mean"], "--", color="tab:blue", lw=1,
                label="front as searched")
        for within, colour, text in ((True, "tab:blue", "confirmed, within budget"),
                                     (False, "tab:orange", "confirmed, over budget (excluded)")):
            sub = pareto[pareto["within_budget"] == within]
            if not len(sub):
                continue
            ax.errorbar(sub["cost"], sub[o], xerr=[sub["cost"] - sub["cost_ci_low"], sub["cost_ci_high"] - sub["cost"]],
                        yerr=[sub[o] - sub[f"{o}_ci_low"], sub[f"{o}_ci_high"] - sub[o]], fmt="o", color=colour,
                        capsize=3, label=f"{text} ({len(sub)})")
            for r in sub.itertuples():
                ax.annotate(r.design.replace("opt_", ""), (r.cost, getattr(r, o)), textcoords="offset points",
                            xytext=(4, 4), fontsize=7)
    if np.isfinite(base.get("cost", np.nan)):
        ax.errorbar([base["cost"]], [base[o]], yerr=[[base[o] - base[f"{o}_ci_low"]], [base[f"{o}_ci_high"] - base[o]]],
                    fmt="s", color="black", capsize=3, label=f"{base['design']}")
    ax.axvline(spec.budget, color="tab:red", lw=1.2)
    ax.text(spec.budget, ax.get_ylim()[1], f" budget {usd(spec.budget)}", color="tab:red", va="top", fontsize=8)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: usd(v)))
    ax.set_xlabel("mean total cost of one collaborative (USD)")
    ax.set_ylabel(OBJECTIVES[o].label + (" (share)" if OBJECTIVES[o].den else " (per cohort)"))
    ax.set_title(f"Designs searched ({len(done)} trials x {spec.replications} seeds) and the confirmed front "
                 f"({spec.confirm_replications} new seeds)", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def format_front(pareto: pd.DataFrame, base: Mapping[str, Any], spec) -> str:
    """The confirmed front as plain text, cheapest first, currency as currency."""
    if not len(pareto):
        return f"No trial had a mean cost within the budget of {usd(spec.budget)}; try more trials or other levers."
    o = spec.objectives[0]
    lines = [f"Confirmed front ({spec.confirm_replications} new seeds; 95% intervals; vs = paired difference "
             f"from {base['design']}):"]
    for r in pareto.to_dict("records"):
        flag = "" if r["within_budget"] else "   OVER BUDGET: excluded, no design file"
        flag += "   (beaten by another front design on confirmation)" if r.get("dominated_on_confirmation") else ""
        lines.append(f"  {r['design']}  {o} {r[o]:.3g} [{r[o + '_ci_low']:.3g}, {r[o + '_ci_high']:.3g}] "
                     f"vs {r[o + '_vs_base']:+.3g} [{r[o + '_vs_base_ci_low']:+.3g}, {r[o + '_vs_base_ci_high']:+.3g}]"
                     f"  cost {usd(r['cost'])} [{usd(r['cost_ci_low'])}, {usd(r['cost_ci_high'])}]{flag}")
        lines.append("      " + ", ".join(f"{n}={r[n]}" for n in spec.point_names))
    lines.append(f"  {base['design']}: {o} {base[o]:.3g} [{base[o + '_ci_low']:.3g}, {base[o + '_ci_high']:.3g}], "
                 f"cost {usd(base['cost'])}")
    inside = pareto[pareto["within_budget"]]
    if len(inside):
        best = inside.sort_values([o, "cost"], ascending=[False, True]).iloc[0]
        lines.append(f"Most {o} within {usd(spec.budget)}: {best['design']} ({best['design_file']})")
    return "\n".join(lines)


SETTINGS = {
    "budget": "the budget in US dollars for one collaborative (required): its mean total cost over the whole horizon",
    "objective": "what to maximise, one name or a list: sustained (default), reached, child_weeks, fidelity, "
                 "frac_sustained, frac_reached; cost is always minimised",
    "trials": "completed trials wanted in total; a re-run adds only the missing ones (default 40)",
    "replications": "seeds per trial, the same for every trial (default 8)",
    "confirm_replications": "new seeds on which the front designs and the base design are re-run (default 30)",
    "seed": "root seed of the replicate seeds and the sampler (default 0)",
    "levers": "levers searched (default all): sessions, spacing, modality, team, cohort, selection, data_support, "
              "coaching, followup_support; the others stay as in the base design",
    "uncertainty": "seed | parameters | PATH.yaml: also draw the uncertain parameters per replicate (default seed)",
    "out_dir": "where study.db and the outputs go; re-running there resumes (default outputs/optimize)",
    "executor": "serial | processes | dask: where each trial's replicates run (default serial)",
    "executor.workers": "worker processes (default: one per CPU)",
    "executor.address": "tcp://HOST:PORT of a running Dask scheduler (executor=dask)",
    "wait": "true: if another command is writing out_dir, wait for it instead of refusing (default false)",
    "memory_limit": "refuse runs whose estimated memory exceeds this: 8GiB, 500MB; default: the memory available; "
                    "none: no check",
}


def _usage() -> str:
    from ..exits import EXIT_HELP

    width = max(map(len, SETTINGS))
    return "\n".join([
        "usage: bsc-sim optimize budget=USD [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "",
        "Search the design levers for the designs that give the most of an outcome for their cost within",
        "a budget (Optuna multi-objective TPE, budget as a constraint, common seeds, resumable); re-run the",
        "Pareto front on new seeds and report it with intervals. Writes pareto.csv, pareto.png, trials.csv,",
        "optimize.json and designs/opt_tNNNN.yaml (design files for bsc-sim compare) to out_dir.", "",
        "  bsc-sim optimize budget=120000 objective=sustained trials=40 replications=8 out_dir=outputs/optimize", "",
        "Settings:", *[f"  {k:<{width}}  {v}" for k, v in SETTINGS.items()], "",
        "Any other KEY=VALUE is a model override applied to every design (e.g. followup_weeks=52).",
        "out_dir must be new, empty or an earlier search's with the same budget, objectives, seeds and levers.",
        EXIT_HELP,
    ])


def _names(value: Any, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParamError(f"{key} = {value!r}: expected a name or a list such as [sustained,reached]")


def cmd_optimize(argv: Sequence[str]) -> int:
    """``bsc-sim optimize budget=USD ...``: run or resume a search; 2 on bad input."""
    from ..exits import BAD_INPUT, DONE, report_interrupt

    if any(a in ("-h", "--help") for a in argv):
        print(_usage())
        return DONE
    try:
        from ..config import _check_override_keys
        from ..experiments.cli import _bool, parse_settings
        from ..experiments.executors import ExecutorSpec, open_executor
        from ..memory import check_memory, limit_setting
        from .optimize import OptimizeSpec, check_optimize_dir, optimize, validate
        from ..experiments.specs import params_with

        settings, overrides = parse_settings(argv, SETTINGS, command="optimize")
        _check_override_keys(overrides)
        out_dir = Path(settings.get("out_dir") or "outputs/optimize")
        check_optimize_dir(out_dir)
        if settings.get("budget") is None:
            raise ParamError("budget: required, in US dollars for one collaborative, e.g. budget=120000")
        budget = settings["budget"]
        if isinstance(budget, str):
            try:
                budget = float(budget.replace(",", "").lstrip("$"))
            except ValueError:
                raise ParamError(f"budget = {budget!r}: give the budget in US dollars, e.g. budget=120000") from None
        spec = OptimizeSpec(budget=budget, objectives=_names(settings.get("objective"), "objective") or ("sustained",),
                            trials=settings.get("trials", 40), replications=settings.get("replications", 8),
                            confirm_replications=settings.get("confirm_replications", 30), seed=settings.get("seed", 0),
                            levers=_names(settings.get("levers"), "levers"), overrides=tuple(overrides),
                            uncertainty=settings.get("uncertainty"))
        base = validate(spec)
        executor_spec = ExecutorSpec(kind=settings.get("executor") or "serial", workers=settings.get("executor.workers"),
                                     address=settings.get("executor.address"))
        wait = _bool(settings, "wait", False)
        largest = params_with(base, {"cohort.n_programs": 30}) if "cohort" in {d.name for d in spec.dimensions} else base
        local = 1 if executor_spec.kind == "dask" and executor_spec.address else executor_spec.n_workers
        check_memory([largest], n_concurrent=local, limit=limit_setting(settings.get("memory_limit")))
        log = lambda line: print(line, flush=True)  # noqa: E731
        if executor_spec.kind == "serial":
            result = optimize(spec, out_dir, log=log, wait_for_lock=wait)
        else:
            with open_executor(executor_spec) as ex:
                result = optimize(spec, out_dir, executor=ex, log=log, wait_for_lock=wait)
    except ParamError as exc:
        print(f"bsc-sim optimize: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return report_interrupt("optimize", exc, kept="completed trials are saved in study.db")
    import json

    base_row = json.loads((result.out_dir / "optimize.json").read_text())["base"]
    print(f"\n{result.n_new} new trials, {result.n_trials} in total; front of {len(result.pareto)} designs, "
          f"{len(result.front)} within budget after confirmation")
    print(format_front(result.pareto, base_row, spec))
    print(f"\nwrote {result.out_dir}/: {', '.join(result.written)}")
    return DONE
