"""``bsc-sim compare | sweep | sensitivity``: experiments from the command line.

Arguments are ``KEY=VALUE``. Experiment settings (below) are taken out; everything else is a
model override in Hydra syntax, applied to every run (``cohort.n_programs=20``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..datafiles import load_yaml
from ..exits import BAD_INPUT, DONE, EXIT_HELP, RUNS_FAILED, report_interrupt
from ..paramtools import ParamError
from .uncertainty import DEFAULT as DEFAULT_UNCERTAINTY

EXECUTOR_KEYS = {
    "executor": "serial | processes | dask (default: processes)",
    "executor.workers": "worker processes (default: one per CPU)",
    "executor.address": "tcp://HOST:PORT of a running Dask scheduler (executor=dask; default: start a LocalCluster)",
    "out_dir": "where results go; re-running the same command there resumes it",
    "progress": "true | false: progress bar with ETA on a terminal (default: true)",
    "checkpoint_every": "finished runs per checkpoint (default: ~2% of the experiment, at least 10)",
    "wait": "true: if another command is writing out_dir, wait for it to finish instead of refusing (default: false)",
    "overwrite": "true: replace another experiment's store at out_dir (only files bsc_sim wrote are deleted)",
    "memory_limit": "refuse runs whose estimated memory (all local workers together) exceeds this: 8GiB, 500MB; "
                    "default: the memory available; none: no check",
}
UNCERTAINTY_KEY = {"uncertainty": "posterior | parameters | none | PATH.yaml | PATH.csv: posterior (default): each "
                                  "replicate runs one world drawn from the calibrated posterior "
                                  "(configs/posterior/draws.csv), the same for every design; parameters: drawn from the "
                                  "prior ranges of configs/uncertainty/default.yaml (or of PATH.yaml); none (or seed): "
                                  "seed noise only, no parameter uncertainty"}
SWEEP_UNCERTAINTY_KEY = {"uncertainty": "none | posterior | parameters | PATH.yaml | PATH.csv: none (default): seed noise "
                                        "only; posterior: one calibrated world per replicate; parameters: the prior "
                                        "ranges of configs/uncertainty/default.yaml (or of PATH.yaml)"}
COMMAND_KEYS = {
    "compare": {"designs": "designs to compare: names (bsc-sim designs), paths to design files, inline variants "
                           "(bsc+collaborative.modality=virtual), e.g. [bsc,coach,my_design.yaml]",
                "reference": "the design every other is measured against (default business_as_usual, or "
                             "statewide_business_as_usual for statewide designs; added if not listed; none: the first "
                             "design, without cost-effectiveness)",
                "wtp": "willingness to pay in USD per unit of the effect, for the net monetary benefit (default "
                       "20000, an assumption)",
                "effect": "what a design buys, for NMB and the acceptability curve: classrooms_sustained (default), "
                          "children_reached, classrooms_reached",
                "budget": "a budget in US dollars: what it buys of each design (cohorts, classrooms, children, "
                          "extra effect) with intervals, in budget.csv",
                "cross": "cross every design with these levers, e.g. '{collaborative.modality: [in_person, virtual], "
                         "team.n_family: [0, 1]}'",
                "max_designs": "refuse more designs than this (default 100): a safeguard against a cross= of "
                               "thousands; the refusal states designs x runs",
                "replications": "seeds per design (default 50)", "seed": "root seed of the replicate seeds (default 0)",
                **UNCERTAINTY_KEY},
    "sweep": {"experiment": "name in configs/experiment/ or a path to a .yaml file (required)",
              "replications": "seeds per point (default: the experiment's)", "seed": "root seed (default: the experiment's)",
              "sampler": "grid | lhs (default: the experiment's)", "n": "points of an lhs sweep", **SWEEP_UNCERTAINTY_KEY},
    "sensitivity": {"experiment": "name in configs/experiment/ or a path to a .yaml file (required)",
                    "method": "morris | sobol (default: the experiment's)",
                    "n": "SALib base sample size N (sobol: a power of 2); rows = N(D+1) morris, N(2D+2) sobol (N(D+2) "
                         "without second order), each run replications times",
                    "replications": "seeds averaged per sample row (default: the experiment's)",
                    "seed": "root seed of sampling and replicate seeds (default: the experiment's)"},
}
EXAMPLES = {
    "compare": "bsc-sim compare 'designs=[bsc,coach,training,business_as_usual]' replications=50 out_dir=outputs/compare",
    "sweep": "bsc-sim sweep experiment=session_schedule out_dir=outputs/sessions executor.workers=2",
    "sensitivity": "bsc-sim sensitivity experiment=readiness_screen method=morris n=20 out_dir=outputs/morris",
}


def _usage(command: str) -> str:
    from .design import experiment_names

    keys = {**COMMAND_KEYS[command], **EXECUTOR_KEYS}
    width = max(map(len, keys))
    lines = [f"usage: bsc-sim {command} [KEY=VALUE ...] [MODEL_OVERRIDE ...]", "", f"  {EXAMPLES[command]}", "",
             "Settings:"] + [f"  {k:<{width}}  {v}" for k, v in keys.items()]
    if command != "compare":
        lines += ["", f"Experiments in configs/experiment/: {', '.join(experiment_names())}"]
    lines += ["", "Any other KEY=VALUE is a model override applied to every run (see 'bsc-sim run --help').",
              "out_dir must be new, empty or this experiment's store (re-running resumes it); one command",
              "writes a store at a time.", EXIT_HELP]
    return "\n".join(lines)


# Settings whose values are names or paths: kept as typed, never read as YAML (out_dir=2024).
RAW_KEYS = frozenset({"out_dir", "executor", "executor.address", "experiment", "targets", "doc", "method",
                      "memory_limit", "reference", "effect", "question", "uncertainty", "groups"})


def parse_settings(argv: Sequence[str], known: Iterable[str], *, overrides_allowed: bool = True,
                   command: str = "") -> tuple[dict[str, Any], list[str]]:
    """Split ``KEY=VALUE`` arguments into the command's settings and model overrides.

    Setting values are read as YAML (``designs=[bsc,coach]``, ``progress=false``), except names and
    paths (:data:`RAW_KEYS`). Without ``overrides_allowed``, anything else is an error.
    """
    known = set(known)
    settings: dict[str, Any] = {}
    overrides: list[str] = []
    for arg in argv:
        key, eq, value = arg.partition("=")
        if eq and key in known:
            if key in RAW_KEYS:
                settings[key] = value or None
                continue
            settings[key] = load_yaml(value, f"{key} = {value!r}") if value else None
        elif not overrides_allowed or arg.startswith("-"):
            raise ParamError(f"{arg}: unknown setting (known: {', '.join(sorted(known))}; "
                             f"see bsc-sim {command} --help)")
        else:
            overrides.append(arg)
    return settings, overrides


def _split(command: str, argv: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
    return parse_settings(argv, set(COMMAND_KEYS[command]) | set(EXECUTOR_KEYS), command=command)


def _int(settings: dict[str, Any], key: str, default: int | None) -> int | None:
    value = settings.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise ParamError(f"{key} = {value!r}: must be a whole number")
    return value


def _executor(settings: dict[str, Any]):
    from .executors import ExecutorSpec

    return ExecutorSpec(kind=settings.get("executor", "processes") or "processes",
                        workers=_int(settings, "executor.workers", None), address=settings.get("executor.address"))


def _bool(settings: dict[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise ParamError(f"{key} = {value!r}: must be true or false")
    return value


def _prestart(argv: Sequence[str]) -> None:
    """Start the local workers' forkserver (which imports bsc_sim, about 2 s) while this process
    reads its input, unless another executor was asked for."""
    kinds = [a.partition("=")[2] for a in argv if a.startswith("executor=")]
    if kinds and kinds[-1] != "processes":
        return
    import threading

    from .executors import PRELOAD
    from .pool import prestart_forkserver

    threading.Thread(target=prestart_forkserver, args=(PRELOAD,), daemon=True).start()


def _main(command: str, argv: Sequence[str], body: Callable[[dict[str, Any], list[str]], int]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(_usage(command))
        return 0
    _prestart(argv)
    try:
        settings, overrides = _split(command, argv)
        from ..config import _check_override_keys

        _check_override_keys(overrides)
        if settings.get("out_dir"):  # before the experiment is even read
            from .store import ExperimentStore

            ExperimentStore(settings["out_dir"]).check_location()
        return body(settings, overrides)
    except ParamError as exc:
        print(f"bsc-sim {command}: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return report_interrupt(command, exc)


def run_options(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings every experiment command passes to the runner."""
    from ..memory import limit_setting

    every = _int(settings, "checkpoint_every", None)
    if every is not None and every < 1:  # 0 used to mean the default, silently
        raise ParamError(f"checkpoint_every = {every}: must be at least 1 (finished runs per checkpoint)")
    return {"executor": _executor(settings), "progress": _bool(settings, "progress", True),
            "checkpoint_every": every,
            "wait_for_lock": _bool(settings, "wait", False), "overwrite": _bool(settings, "overwrite", False),
            "memory_limit": limit_setting(settings.get("memory_limit"))}


def _finish(run, out_dir: Path, written: Sequence[str]) -> int:
    print(run.report())
    print(f"wrote {out_dir}/: {', '.join(written)}")
    return DONE if run.ok else RUNS_FAILED


def cmd_compare(argv: list[str]) -> int:
    def body(settings: dict[str, Any], overrides: list[str]) -> int:
        from .analysis import run_comparison

        designs = settings.get("designs", ["bsc", "coach", "training", "business_as_usual"])
        if isinstance(designs, str):
            designs = [d.strip() for d in designs.split(",") if d.strip()]
        if not isinstance(designs, list) or not all(isinstance(d, str) for d in designs):
            raise ParamError(f"designs = {designs!r}: expected a list such as [bsc,coach]")
        out_dir = Path(settings.get("out_dir") or "outputs/compare")
        run, written = run_comparison(designs, _int(settings, "replications", 50), _int(settings, "seed", 0),
                                      out_dir, overrides=overrides, **compare_options(settings),
                                      uncertainty=settings.get("uncertainty") or DEFAULT_UNCERTAINTY,
                                      max_designs=_int(settings, "max_designs", None),
                                      **run_options(settings))
        return _finish(run, out_dir, written)

    return _main("compare", argv, body)


def compare_options(settings: dict[str, Any]) -> dict[str, Any]:
    """The cost-effectiveness settings of ``compare``: reference, wtp, effect, budget, cross."""
    from ..cost_effectiveness import DEFAULT_EFFECT, DEFAULT_WTP
    from .designs import DEFAULT_REFERENCE

    reference = settings.get("reference", DEFAULT_REFERENCE)
    if reference is None or str(reference).lower() in ("none", "null"):
        reference = None
    cross = settings.get("cross")
    if cross is not None and not isinstance(cross, dict):
        raise ParamError(f"cross = {cross!r}: expected a mapping such as '{{collaborative.modality: [in_person, virtual]}}'")
    budget = settings.get("budget")
    if isinstance(budget, str):
        try:
            budget = float(budget.replace(",", "").lstrip("$"))
        except ValueError:
            raise ParamError(f"budget = {budget!r}: a budget in US dollars, e.g. budget=500000") from None
    return {"reference": reference, "wtp": settings.get("wtp", DEFAULT_WTP), "budget": budget,
            "effect": settings.get("effect") or DEFAULT_EFFECT, "cross": cross}


def _experiment(settings: dict[str, Any], command: str):
    from .design import load_experiment

    name = settings.get("experiment")
    if not name:
        raise ParamError(f"experiment: required, e.g. bsc-sim {command} experiment=NAME (see bsc-sim {command} --help)")
    cfg = load_experiment(str(name))
    changes = {k: settings[k] for k in ("replications", "seed", "sampler", "n", "method") if k in settings}
    return cfg.with_settings(**changes) if changes else cfg


def _run_experiment_command(command: str, argv: list[str], default_out: Callable[[Any], str]) -> int:
    """``sweep`` and ``sensitivity``: load the experiment config, run it, report."""
    def body(settings: dict[str, Any], overrides: list[str]) -> int:
        from . import analysis

        cfg = _experiment(settings, command)
        out_dir = Path(settings.get("out_dir") or default_out(cfg))
        extra = {"uncertainty": settings.get("uncertainty")} if command == "sweep" else {}
        run, written = getattr(analysis, f"run_{command}")(cfg, out_dir, overrides=overrides, **extra,
                                                           **run_options(settings))
        return _finish(run, out_dir, written)

    return _main(command, argv, body)


def cmd_sweep(argv: list[str]) -> int:
    return _run_experiment_command("sweep", argv, lambda cfg: f"outputs/sweep-{cfg.name}")


def cmd_sensitivity(argv: list[str]) -> int:
    return _run_experiment_command("sensitivity", argv, lambda cfg: f"outputs/sensitivity-{cfg.name}-{cfg.method}")
