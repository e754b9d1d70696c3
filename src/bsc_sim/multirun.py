"""``bsc-sim run -m``: Hydra's own multirun, for small grids of single runs.

    bsc-sim run -m design=bsc,coach seed=range(0,3) cohort.n_programs=8,16

Hydra's sweeper expands the override grammar (comma lists, ``range``, ``choice``, ``glob``) and
launches one job per combination into ``multirun/DATE/TIME/N/`` with its ``.hydra/`` provenance;
each job writes the same files as ``bsc-sim run``. Every combination is composed and validated
before Hydra starts, so a bad value fails the whole command before anything is written. For
replicated, resumable, parallel experiments use ``bsc-sim compare | sweep | sensitivity``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from .paramtools import ParamError

__all__ = ["cmd_multirun", "expand_sweep"]

MULTIRUN_FLAGS = ("-m", "--multirun")


def expand_sweep(overrides: list[str]) -> list[list[str]]:
    """The override list of every job Hydra's basic sweeper will launch, in its order."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
        return [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
    except HydraException as exc:
        raise ParamError(str(exc).strip().splitlines()[0]) from None


def _job(cfg) -> None:
    """One Hydra job: validate, run, and write the run's files into the job's directory."""
    import yaml
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from .config import params_from_config
    from .paramtools import to_dict
    from .plotting import plot_adoption
    from .run import run_sim

    # Hydra's job logging sets the root logger to INFO, which would print Mesa's per-step log lines.
    logging.getLogger("MESA").setLevel(logging.WARNING)
    params = params_from_config(OmegaConf.to_container(cfg, resolve=False))
    job_dir = Path(HydraConfig.get().runtime.output_dir)
    result = run_sim(params, params.seed)
    result.meta["overrides"] = list(HydraConfig.get().overrides.task)
    fig = plot_adoption(result.timeseries, result.program_timeseries, result.programs,
                        session_weeks=result.meta["session_weeks"], end_week=result.meta["end_week"],
                        title=f"bsc_sim: design {params.design}, seed {params.seed}")
    result.save(job_dir, into_existing=True, extras={
        "config.yaml": lambda path: path.write_text(yaml.safe_dump(to_dict(params), sort_keys=False)),
        "adoption.png": lambda path: fig.savefig(path, dpi=110),
    })
    print(f"[{HydraConfig.get().job.num}] {' '.join(result.meta['overrides'])}: classrooms reached at end "
          f"{result.summary['frac_classrooms_reached_end']:.1%} -> {job_dir}")


def cmd_multirun(argv: list[str]) -> int:
    from .config import _check_override_keys, _register_base, config_dir, load_params
    from .datafiles import refuse_interpolation
    from .memory import check_memory

    overrides = [a for a in argv if a not in MULTIRUN_FLAGS]
    hydra_args = [a for a in overrides if a.split("=", 1)[0].lstrip("+~").startswith("hydra.")]
    model_args = [a for a in overrides if a not in hydra_args]
    try:
        for arg in hydra_args:  # Hydra's own settings are data too: nothing may resolve from the environment
            refuse_interpolation(arg.split("=", 1)[0], arg)
        _check_override_keys(model_args)
        jobs = expand_sweep(model_args)
        for job in jobs:
            params = load_params([o for o in job if not o.split("=", 1)[0] in ("out_dir", "memory_limit")])
            check_memory([params])  # each job runs in this process, one after another
    except ParamError as exc:
        print(f"bsc-sim: error: {exc}", file=sys.stderr)
        return 2
    import hydra

    _register_base()
    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")(_job)
    saved = sys.argv
    sys.argv = ["bsc-sim", "--multirun", *model_args, *hydra_args]
    try:
        app()
    finally:
        sys.argv = saved
    print(f"ran {len(jobs)} jobs")
    return 0
