"""The ``bsc-sim`` command line.

    bsc-sim run [KEY=VALUE ...]       run one simulation (Hydra override syntax)
    bsc-sim run --help                every config group and key with its default, unit and source
    bsc-sim designs                   the named designs
    bsc-sim params [--markdown]       the parameter table (used for docs/parameters.md)
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from .exits import EXIT_HELP, interrupted_code, terminate_as_interrupt
from .paramtools import ParamError, iter_fields

SUMMARY_LINES = [
    ("frac_classrooms_reached_baseline", "classrooms reached at baseline", "pct"),
    ("frac_classrooms_reached_end", "classrooms reached when the collaborative ends", "pct"),
    ("frac_classrooms_reached_followup", "classrooms reached at the end of follow-up", "pct"),
    ("frac_classrooms_sustained_followup", "classrooms reached at both end and follow-up", "pct"),
    ("frac_classrooms_reached_lag", "classrooms reached lag_weeks after the design's supports end", "pct"),
    ("frac_classrooms_sustained_lag", "classrooms reached at both end and that lag", "pct"),
    ("frac_classrooms_using_end", "classrooms using a practice (any fidelity) at end", "pct"),
    ("frac_classrooms_using_followup", "classrooms using a practice at the end of follow-up", "pct"),
    ("frac_classrooms_using_lag", "classrooms using a practice at the lag", "pct"),
    ("frac_frontline_fidelity_end", "teaching staff at fidelity at end", "pct"),
    ("frac_enrolled_teaching_fidelity_end", "enrolled teaching staff at fidelity at end", "pct"),
    ("frac_nonteam_staff_adopted", "staff beyond the team using a practice at end", "pct"),
    ("n_pdsa_cycles", "PDSA cycles run", "int"),
    ("n_pdsa_cycles_followup", "of them in the follow-up year", "int"),
    ("frac_pdsa_well_run", "PDSA cycles well run (data-driven, iterative)", "pct"),
    ("frac_pdsa_misread", "PDSA results misread", "pct"),
    ("mean_progress_score", "mean team progress score (1-5)", "f2"),
    ("culture_baseline", "learning culture at baseline (0-1)", "f2"),
    ("culture_end", "learning culture at end (0-1)", "f2"),
    ("family_engagement_end", "family engagement at end (0-1)", "f2"),
    ("child_weeks_reached", "child-weeks in reached classrooms", "int"),
    ("staff_turnover_annual", "realised staff turnover per year", "pct"),
    ("n_derailments", "derailments (a programme's work stopped)", "int"),
    ("n_programs_dropped", "programmes that left the collaborative", "int"),
    ("cost_total", "total cost (USD)", "usd"),
    ("cost_per_classroom_reached", "cost per classroom reached (USD)", "usd"),
    ("cost_per_classroom_sustained", "cost per classroom sustained (USD)", "usd"),
]


SYSTEM_LINES = [
    ("n_regions", "regions", "int"),
    ("n_cohorts", "cohorts started", "int"),
    ("n_programs_enrolled", "programmes enrolled", "int"),
    ("frac_programs_enrolled", "share of the state's programmes enrolled", "pct"),
    ("n_cohorts_delayed", "cohorts delayed by faculty capacity", "int"),
    ("mean_cohort_delay_weeks", "mean delay of a cohort (weeks)", "f2"),
    ("frac_children_reached_followup", "children in reached classrooms, last week", "pct"),
    ("cost_per_child_reached", "cost per child reached, last week (USD)", "usd"),
]


def _fmt(value: float, kind: str) -> str:
    if value != value:  # NaN
        return "n/a"
    return {"pct": f"{100 * value:.1f}%", "int": f"{value:,.0f}", "f2": f"{value:.2f}", "usd": f"${value:,.0f}"}[kind]


def format_summary(summary: dict[str, float], meta: dict) -> str:
    head = (f"bsc_sim {meta.get('version', '')} | design {meta.get('design')} | seed {meta.get('seed')} | "
            f"{int(summary['n_programs'])} programmes, {int(summary['n_classrooms'])} classrooms, "
            f"{int(summary['n_staff_slots'])} staff posts, {int(summary['n_families'])} families | "
            f"{meta.get('horizon_weeks')} weeks (collaborative ends week {meta.get('end_week')})")
    width = max(len(label) for _, label, _ in SUMMARY_LINES)
    lines = [head, ""] + [f"  {label:<{width}}  {_fmt(summary[key], kind)}" for key, label, kind in SUMMARY_LINES]
    if summary.get("n_cohorts", 1) != 1 or summary.get("n_regions", 1) != 1:  # a statewide system (issue 11)
        lines += ["", "  system"] + [f"  {label:<{width}}  {_fmt(summary[key], kind)}" for key, label, kind in SYSTEM_LINES]
        warning = enrolment_warning(summary, meta.get("enrol_target"))
        if warning:
            lines.append(f"  {warning}")
    return "\n".join(lines)


def enrolment_warning(summary: dict[str, float], target: int | None) -> str:
    """A warning when a state enrolled fewer programmes than ``system.enrol_frac`` invites (issue 22)."""
    if target is None or summary.get("n_programs_enrolled", target) >= target:
        return ""
    got = int(summary["n_programs_enrolled"])
    return (f"warning: the schedule enrols {got:,} programmes, {target - got:,} short of the {target:,} that "
            "system.enrol_frac invites: cohorts planned after system.horizon_weeks never start (more cohorts per "
            "wave, shorter wave intervals or more faculty would start them)")


PARAMS_MD_HEADING = """# Parameters

Every parameter of bsc_sim with its default, unit, meaning and source, generated from the field metadata in `src/bsc_sim/params.py` by `bsc-sim params --markdown` (do not edit by hand; regenerate with `uv run bsc-sim params --markdown > docs/parameters.md`). Keys are the dotted names used for Hydra overrides, e.g. `bsc-sim run pdsa.obs_noise_sd=0.2`. Sources cite works by their key in [references.md](references.md), e.g. `[wells2018]`; "assumption" marks a value the literature does not pin down. One model step is one week. The model description is in [ODD.md](ODD.md)."""


def params_document() -> str:
    """The whole of docs/parameters.md."""
    return f"{PARAMS_MD_HEADING}\n\n{params_table(markdown=True)}\n"


def params_table(markdown: bool = False) -> str:
    """Every parameter with its default, unit, source and meaning."""
    from .params import Params

    rows = [(k, repr(v) if isinstance(v, str) else f"{v:g}" if isinstance(v, float) else str(v), m.get("unit", ""),
             m.get("doc", ""), m.get("source", "")) for k, v, m in iter_fields(Params)]
    if markdown:
        out = ["| key | default | unit | meaning | source |", "|---|---|---|---|---|"]
        out += [f"| `{k}` | {v} | {u} | {d} | {s} |" for k, v, u, d, s in rows]
        return "\n".join(out)
    out, group = [], None
    for k, v, u, d, s in rows:
        g = k.split(".")[0] if "." in k else "(top level)"
        if g != group:
            out.append(f"\n[{g}]")
            group = g
        out.append(f"  {k} = {v}  [{u}]  {d}")
        out.append(textwrap.indent(f"source: {s}", "      "))
    return "\n".join(out)


def _run_help() -> str:
    from .config import RUN_KEYS, design_names

    return "\n".join([
        "usage: bsc-sim run [KEY=VALUE ...]",
        "",
        "Run one simulation and write its tables (Parquet), summary.json, meta.json, the resolved",
        "config (config.yaml) and adoption.png to out_dir. Overrides use Hydra syntax, e.g.",
        "  bsc-sim run design=coach cohort.n_programs=20 seed=7 out_dir=outputs/coach20",
        "  bsc-sim run ~practices.home_feelings_talk          (remove a practice)",
        "  bsc-sim run --show-config design=bsc_virtual       (print the resolved config only)",
        "  bsc-sim run --overwrite out_dir=outputs/coach20    (replace an earlier run's output there)",
        "",
        "out_dir must be new, empty, or hold an earlier bsc_sim run (replaced only with --overwrite):",
        "bsc-sim never writes into, or deletes, a directory holding anything it did not write.",
        "memory_limit=SIZE caps the estimated memory of the run (default: the memory available; none: no check).",
        EXIT_HELP,
        "  bsc-sim run --animate spread.gif --slides spread.png   (also draw the staff network over",
        "      time: an animation, .gif or .mp4 with ffmpeg, and a slide figure, .png/.pdf/.svg;",
        "      a bare file name goes into out_dir, a path with a directory is written there)",
        "",
        "Config groups:",
        f"  design: {', '.join(design_names())}  (default: bsc)",
        "",
        "Run settings:",
        *[f"  {k}: {v}" for k, v in RUN_KEYS.items()],
        "",
        "Model parameters (key = default [unit] meaning; source):",
        params_table(),
    ])


def cmd_run(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(_run_help())
        return 0
    if any(a in ("-m", "--multirun") for a in argv):  # Hydra's multirun over a small grid
        from .multirun import cmd_multirun

        return cmd_multirun(argv)
    show = "--show-config" in argv
    overwrite = "--overwrite" in argv
    figures: dict[str, str] = {}  # --animate PATH (.gif/.mp4), --slides PATH (.png/.pdf/.svg)
    overrides: list[str] = []
    rest = iter([a for a in argv if a not in ("--show-config", "--overwrite")])
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name not in ("--animate", "--slides"):
            overrides.append(arg)
            continue
        value = value if eq else next(rest, "")
        if not value or value.startswith("-"):
            print(f"bsc-sim: error: {name} needs a file name", file=sys.stderr)
            return 2
        figures[name[2:]] = value
    if figures:
        from .viz.animate import check_animation_path, check_figure_path

        try:
            if "animate" in figures:
                check_animation_path(figures["animate"])
            if "slides" in figures:
                check_figure_path(figures["slides"])
        except (ValueError, RuntimeError) as exc:
            print(f"bsc-sim: error: {exc}", file=sys.stderr)
            return 2
    from .config import compose_config, params_from_config

    try:
        cfg = compose_config(overrides)
        params = params_from_config(cfg)
    except ParamError as exc:
        print(f"bsc-sim: error: {exc}", file=sys.stderr)
        return 2
    import yaml

    from .paramtools import to_dict

    resolved = {**to_dict(params), "out_dir": cfg.get("out_dir"), "memory_limit": cfg.get("memory_limit")}
    if show:
        print(yaml.safe_dump(resolved, sort_keys=False), end="")
        return 0
    from .results import check_out_dir, run_dir_lock

    out_dir = Path(cfg.get("out_dir") or f"outputs/{params.design}-seed{params.seed}")
    from .memory import check_memory, limit_setting
    from .viz.talk_files import figure_targets, names_in_run

    targets = figure_targets(figures, out_dir)  # a bare --animate/--slides name goes into out_dir
    figure_name = "coverage.png" if params.system.enabled else "adoption.png"  # a state: coverage over time
    extra_files = ("config.yaml", figure_name, *(("years.csv",) if params.system.enabled else ()),
                   *names_in_run(targets, out_dir))
    try:  # before simulating: never delete what bsc_sim did not write, never fail after the work
        check_out_dir(out_dir, overwrite=overwrite, extra_names=extra_files)
        for kind, path in targets.items():  # a figure with a directory of its own is written exactly there
            if path.parent != out_dir and (path.exists() or path.is_symlink()):
                raise ParamError(f"--{kind} = {str(path)!r}: exists; bsc-sim never replaces a file it did not "
                                 "write: move it away or choose another name")
        check_memory([params], limit=limit_setting(cfg.get("memory_limit")), streamed=True)  # run streams a state's tables
        with run_dir_lock(out_dir) as created:  # a second run into out_dir refuses at once (issue 17)
            return _simulate_and_save(params, overrides, resolved, out_dir, figures, targets, figure_name,
                                      overwrite=overwrite, created=created)
    except ParamError as exc:
        print(f"bsc-sim: error: {exc}", file=sys.stderr)
        return 2


def _simulate_and_save(params, overrides: list[str], resolved: dict, out_dir: Path, figures: dict[str, str],
                       targets: dict[str, Path], figure_name: str, *, overwrite: bool, created: bool) -> int:
    """The rest of ``bsc-sim run`` once its input is checked and ``out_dir`` is held."""
    import yaml

    from .plotting import plot_adoption
    from .run import run_sim

    result = run_sim(params, params.seed)
    result.meta["overrides"] = overrides
    title = f"bsc_sim: design {params.design}, seed {params.seed} (one simulated run)"
    if params.system.enabled:
        from .model.outcomes import coverage
        from .plotting import plot_coverage

        from .params import region_names

        fig = plot_coverage(coverage(result.regions), result.regions, title=title,
                            region_names=region_names(params.system),
                            baseline=result.summary["frac_classrooms_reached_baseline"],
                            horizon_weeks=params.system.horizon_weeks)
    else:
        fig = plot_adoption(result.timeseries, result.program_timeseries, result.programs,
                            session_weeks=result.meta["session_weeks"], end_week=result.meta["end_week"], title=title)
    history, talk = None, {}
    if figures:  # re-run the same params and seed week by week, keeping each staff post's state
        from .viz.animate import record_spread
        from .viz.talk_files import META_KEY, figure_writers

        history = record_spread(params, params.seed)
        if not history.matches(result.timeseries):
            print("bsc-sim: warning: the recorded run differs from the saved one", file=sys.stderr)
        talk = {targets[k].name: w for k, w in figure_writers(history, targets).items() if targets[k].parent == out_dir}
        result.meta[META_KEY] = list(talk)
    state = {}
    if params.system.enabled:  # issue 22: cost by category, faculty, enrolment and coverage by year
        import pandas as pd

        from .model.outcomes import years_from_tables

        years = years_from_tables(result.costs, result.regions, pd.DataFrame(result.meta["cohorts"]), params,
                                  result.meta["horizon_weeks"])
        state["years.csv"] = lambda path: years.to_csv(path, index=False)
    saved = result.save(out_dir, overwrite=overwrite, created=created, extras={  # ParamError: out_dir changed meanwhile
        "config.yaml": lambda path: path.write_text(yaml.safe_dump(resolved, sort_keys=False)),
        figure_name: lambda path: fig.savefig(path, dpi=110), **state, **talk,
    })
    meta = dict(result.meta)
    if params.system.enabled:
        from .model.system import enrolment_target

        meta["enrol_target"] = enrolment_target(params)
    print(format_summary(result.summary, meta))
    files = sorted(p.name for p in saved.iterdir())
    print(f"\nwrote {saved}/: {', '.join(files)}")
    if history is not None:  # figures given with a directory of their own
        from .viz.talk_files import write_outside

        for line in write_outside(history, targets, out_dir):
            print(line)
    return 0


def cmd_designs(argv: list[str]) -> int:
    from .config import design_names

    if any(a in ("-h", "--help") for a in argv):
        print(f"usage: bsc-sim designs\n\nList the named designs of configs/design/.\n\n{EXIT_HELP}")
        return 0

    from .experiments.designs import shipped_description

    for name in design_names():
        print(f"{name:<26} {shipped_description(name)}")
    print("\nIn compare, designs= also takes a path to a design file and variants such as "
          "bsc+collaborative.modality=virtual (README, 'For planners').")
    return 0


def cmd_params(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print("usage: bsc-sim params [--markdown]\n\nEvery model parameter with its default, unit and source "
              f"(--markdown: the table of docs/parameters.md).\n\n{EXIT_HELP}")
        return 0
    if "--markdown" in argv:
        print(params_document(), end="")
    else:
        print(params_table())
    return 0


# Subcommands: name -> (module, function, one-line help). Modules are imported only when their
# command runs, so `bsc-sim run` does not pay for Dask, Optuna or Solara.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("bsc_sim.cli", "cmd_run", "run one simulation"),
    "designs": ("bsc_sim.cli", "cmd_designs", "list the named designs"),
    "params": ("bsc_sim.cli", "cmd_params", "the parameter table"),
    "compare": ("bsc_sim.experiments.cli", "cmd_compare", "compare designs on common seeds"),
    "sweep": ("bsc_sim.experiments.cli", "cmd_sweep", "grid or Latin-hypercube parameter sweep"),
    "sensitivity": ("bsc_sim.experiments.cli", "cmd_sensitivity", "Morris or Sobol global sensitivity analysis"),
    "validate": ("bsc_sim.analysis.validation", "cmd_validate", "judge the registered facts of configs/validation/facts.yaml (docs/validation.md)"),
    "levers": ("bsc_sim.analysis.levers", "cmd_levers", "every design lever against the default design, with intervals"),
    "calibrate": ("bsc_sim.analysis.calibrate", "cmd_calibrate",
                  "the calibrated posterior (ABC-SMC, method=abc; Morris screen, method=screen; "
                  "re-identification, check=reidentify) or a point fit of free parameters (Optuna)"),
    "report": ("bsc_sim.report", "cmd_report", "one self-contained HTML page from an experiment store (report.html)"),
    "optimize": ("bsc_sim.analysis.optimize_cli", "cmd_optimize", "the best designs within a budget (Optuna, Pareto front)"),
    "discover": ("bsc_sim.analysis.discover", "cmd_discover", "contexts where one design beats another (PRIM scenario discovery)"),
    "voi": ("bsc_sim.analysis.voi_cli", "cmd_voi", "value of information: which unknowns are worth studying next"),
    "plan": ("bsc_sim.analysis.plan_cli", "cmd_plan", "a state's schedule, yearly budget and its chance of reaching a share of classrooms"),
    "viz": ("bsc_sim.viz", "cmd_viz", "interactive view in the browser (a Solara page over the Mesa model)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The command line only writes figures to files: never open a window (the library itself
    # leaves the backend alone, so notebooks keep their inline figures).
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = argparse.ArgumentParser(
        prog="bsc-sim",
        description="Agent-based simulation of Breakthrough Series Collaboratives in early care and education.",
        epilog="Run 'bsc-sim COMMAND --help' for a command's options; 'bsc-sim run --help' lists every config key. "
               + EXIT_HELP,
    )
    parser.add_argument("command", choices=list(COMMANDS), metavar="COMMAND",
                        help="; ".join(f"{name}: {about}" for name, (_, _, about) in COMMANDS.items()))
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    args, _ = parser.parse_known_args(argv[:1])
    import importlib

    module, function, _ = COMMANDS[args.command]
    try:
        with terminate_as_interrupt():
            return getattr(importlib.import_module(module), function)(argv[1:])
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk, a file system gone read-only: one line naming the path (issue 17)
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"bsc-sim {args.command}: error: cannot write {where}{reason}; nothing that was finished is lost",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # a command without its own clean-up message
        from .exits import Terminated

        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"\nbsc-sim {args.command}: {how}", file=sys.stderr)
        return interrupted_code(exc)


if __name__ == "__main__":
    sys.exit(main())
