"""``bsc-sim calibrate method=screen|abc|docs`` and ``check=reidentify``: the command line of the
Bayesian calibration (:mod:`.abc`, :mod:`.abc_checks`)."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exits import BAD_INPUT, EXIT_HELP, report_interrupt
from ..experiments.uncertainty import UncertainRange, Uncertainty, load_uncertainty
from ..paramtools import ParamError
from .facts import Fact, load_facts
from .abc import (AbcSpec, DB_FILE, FactSimulator, SPEC_FILE, WEIGHT, _db_url, _int, distance, load_abc_spec, narrowing, narrowing_markdown, observed, pooled, posterior_table, predictive_markdown, predictive_table, reidentify_settings, run_abc, screen_settings)  # noqa: F401
from .abc_checks import (coverage_markdown, coverage_table, reidentify, reidentify_from_bank, screen, screen_markdown, select_parameters, write_docs)  # noqa: F401

# ----------------------------------------------------------------------------------------------
# Command line: bsc-sim calibrate method=screen|abc, bsc-sim calibrate check=reidentify

SETTINGS = {
    "method": "abc: ABC-SMC posterior (pyabc); screen: Morris screen of the uncertain parameters; "
              "docs: rewrite the generated tables of doc= from posterior_dir",
    "doc": "with method=docs: the page to rewrite (default: docs/calibration.md)",
    "check": "reidentify: re-run the calibration on pseudo-observed studies of known worlds (coverage)",
    "config": "ABC settings (default: configs/calibration/abc.yaml)",
    "out_dir": "where the pyabc database and the results go (default: outputs/abc, outputs/screen, outputs/reidentify)",
    "posterior_dir": "also publish draws.csv and provenance.yaml (method=abc), screen.csv (method=screen) or "
                     "reidentification.csv (check=reidentify bank=...) or reidentification_smc.csv, .yaml and "
                     "_sets.csv (check=reidentify, rewritten after every set) here, e.g. configs/posterior (default: nowhere)",
    "population": "particles per generation, comma-separated (default: the config's)",
    "seeds_per_particle": "model runs pooled into one simulated study (default: the config's)",
    "seed": "root seed (default: the config's)",
    "processes": "worker processes; each samples a fixed share of every generation, so the result depends on this "
                 "number but not on timing (default: the config's)",
    "sets": "known worlds checked by check=reidentify (default: the config's reidentify.sets, else 20; with bank=, "
            "all of the bank's)",
    "bank": "with check=reidentify: the out_dir of a finished method=abc run; its prior generation's simulated "
            "worlds are the known worlds and the prior sample (leave one out), instead of new simulations",
}
ABC_FILES = frozenset({DB_FILE, f"{DB_FILE}-journal", SPEC_FILE, "draws.csv", "particles.csv", "narrowing.csv",
                       "predictive.csv", "generations.csv", "provenance.yaml", "morris.csv", "selection.csv",
                       "reidentify.csv", "reidentification.csv", "reidentification_smc.csv",
                       "reidentification_smc.yaml", "reid-memo.pkl", ".lock"})


def _usage() -> str:
    width = max(map(len, SETTINGS))
    return "\n".join([
        "usage: bsc-sim calibrate method=abc|screen [KEY=VALUE ...]",
        "       bsc-sim calibrate check=reidentify [sets=20] [population=300,100] [KEY=VALUE ...]", "",
        "A posterior of the uncertain parameters (configs/uncertainty/default.yaml) given the registered",
        "calibration facts, by ABC-SMC (pyabc); see docs/calibration.md. Seeded and resumable: the pyabc",
        "database stays in out_dir and a re-run continues from the last finished generation.", "",
        "  bsc-sim calibrate method=screen out_dir=outputs/screen",
        "  bsc-sim calibrate method=abc out_dir=outputs/abc posterior_dir=configs/posterior",
        "  bsc-sim calibrate check=reidentify out_dir=outputs/reidentify posterior_dir=configs/posterior",
        "", "Settings:", *[f"  {k:<{width}}  {v}" for k, v in SETTINGS.items()], "",
        "(without method= or check=, bsc-sim calibrate is the Optuna point fit: bsc-sim calibrate --help)",
        EXIT_HELP,
    ])


def _check_dir(out_dir: Path) -> None:
    from ..results import check_dir_target

    shown = f"out_dir = {str(out_dir)!r}"
    if out_dir.is_symlink():
        raise ParamError(f"{shown}: is a symbolic link; give the directory itself")
    if check_dir_target(out_dir, shown) != out_dir:
        return
    foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in ABC_FILES and not p.name.startswith(".tmp-")
                     and not (p.name.startswith("reid-") and p.name.endswith(".db")))
    if foreign:
        raise ParamError(f"{shown}: holds {foreign[0]!r}, which bsc_sim did not write; use a new or empty directory")
    for name in ABC_FILES:
        if (out_dir / name).is_symlink():
            raise ParamError(f"{shown}: {name} is a symbolic link; refusing to write through it")


def _population(text: Any) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = [x for x in str(text).replace("[", "").replace("]", "").split(",") if x.strip()]
    try:
        return tuple(int(x) for x in parts)
    except ValueError:
        raise ParamError(f"population = {text!r}: expected whole numbers separated by commas") from None


def _identity_check(spec: AbcSpec, out_dir: Path, extra: Mapping[str, Any], finished: int = 0) -> None:
    """Refuse an ``out_dir`` holding a calibration with other settings. The populations of
    generations not yet run (from ``finished`` on) may change: a generation depends only on the
    settings, its own population and the generations before it."""
    from ..experiments.store import atomic_write

    path = out_dir / SPEC_FILE
    ident = json.loads(json.dumps({**spec.identity(), **extra}))
    if path.exists():
        old = json.loads(path.read_text())
        same = ({k: v for k, v in old.items() if k != "population"} == {k: v for k, v in ident.items() if k != "population"}
                and old.get("population", [])[:finished] == ident["population"][:finished]
                and len(ident["population"]) >= finished)
        if not same:
            raise ParamError(f"out_dir = {str(out_dir)!r}: holds a calibration with other settings; use another out_dir")
    atomic_write(path, lambda p: p.write_text(json.dumps(ident, indent=1)))


def _provenance(spec: AbcSpec, history, draws: pd.DataFrame, pred: pd.DataFrame, timings: Sequence[float],
                argv: Sequence[str], commit: str | None) -> dict[str, Any]:
    import datetime

    import pyabc

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    gens = [{"t": int(r.t), "epsilon": float(r.epsilon), "particles": int(r.particles), "simulations": int(r.samples),
             "acceptance": round(int(r.particles) / int(r.samples), 4),
             "seconds": round(float(timings[int(r.t)]), 1) if int(r.t) < len(timings) else None}
            for r in pops.itertuples()]
    return {
        "made_by": "bsc-sim calibrate " + " ".join(argv),
        "commit": commit, "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "method": f"ABC-SMC (pyabc {pyabc.__version__}): uniform priors of the calibrated parameters, "
                  "multivariate normal transition, quantile epsilon, each generation split in fixed shares among "
                  f"{spec.processes} seeded worker process(es); nuisance parameters "
                  "drawn from their priors inside each simulation and recorded",
        "facts": [{"id": f.id, "target": f.target[0], "tolerance": f.target[1], "source": f.source}  # type: ignore[index]
                  for f in spec.facts],
        "distance": "sqrt(sum over facts of ((simulated - target) / tolerance)^2)",
        "settings": {**spec.identity(), "config": spec.path, "uncertainty_file": spec.uncertainty.path},
        "generations": gens,
        "total_simulations": int(sum(g["simulations"] for g in gens)),
        "total_model_runs": int(sum(g["simulations"] for g in gens)) * spec.seeds_per_particle,
        "total_seconds": round(float(sum(timings)), 1),
        "draws": int(len(draws)),
        "posterior_predictive": pred.to_dict("records"),
    }


def _write_yaml(path: Path, data: Mapping[str, Any]) -> None:
    import yaml

    from ..experiments.store import atomic_write

    atomic_write(path, lambda p: p.write_text(yaml.safe_dump(json.loads(json.dumps(data, default=str)),
                                                             sort_keys=False, allow_unicode=True, width=110)))


def _publish(posterior_dir: Path, files: Mapping[str, Path]) -> None:
    from ..experiments.store import atomic_write
    from ..results import check_dir_target

    check_dir_target(posterior_dir, f"posterior_dir = {str(posterior_dir)!r}")
    posterior_dir.mkdir(parents=True, exist_ok=True)
    for name, src in files.items():
        if (posterior_dir / name).is_symlink():
            raise ParamError(f"posterior_dir = {str(posterior_dir)!r}: {name} is a symbolic link; refusing to write through it")
        data = src.read_bytes()
        atomic_write(posterior_dir / name, lambda p: p.write_bytes(data))


def _cmd_abc(spec: AbcSpec, out_dir: Path, posterior_dir: Path | None, argv: Sequence[str], log) -> None:
    from ..experiments.store import atomic_write

    from ..run import git_revision

    timings_file = out_dir / "generations.csv"
    timings = list(pd.read_csv(timings_file)["seconds"]) if timings_file.exists() else []
    _identity_check(spec, out_dir, {"method": "abc"}, finished=len(timings))
    commit = git_revision()  # the code that runs (read now: the checkout may move on while this runs)

    def timed_log(line: str) -> None:
        log(line)
        if line.startswith("generation "):
            timings.append(float(line.rsplit(",", 1)[1].strip().split(" ")[0]))
            atomic_write(timings_file, lambda p: pd.DataFrame({"seconds": timings}).to_csv(p, index=False))

    simulate = FactSimulator(spec)
    history = run_abc(spec, simulate, observed(spec.facts), out_dir / DB_FILE, log=timed_log)
    particles = posterior_table(history, spec)
    draws = particles[[*spec.uncertainty.keys, WEIGHT]]
    pred = predictive_table(particles, spec.facts)
    table = narrowing(draws, spec.uncertainty, spec.calibrated)
    prov = _provenance(spec, history, draws, pred, timings, argv, commit)
    atomic_write(out_dir / "particles.csv", lambda p: particles.to_csv(p, index=False))
    atomic_write(out_dir / "draws.csv", lambda p: draws.to_csv(p, index=False, float_format="%.8g"))
    atomic_write(out_dir / "narrowing.csv", lambda p: table.to_csv(p, index=False))
    atomic_write(out_dir / "predictive.csv", lambda p: pred.to_csv(p, index=False))
    _write_yaml(out_dir / "provenance.yaml", prov)
    log(narrowing_markdown(table))
    log(predictive_markdown(pred))
    if posterior_dir is not None:
        _publish(posterior_dir, {"draws.csv": out_dir / "draws.csv", "provenance.yaml": out_dir / "provenance.yaml"})
        log(f"published draws.csv and provenance.yaml to {posterior_dir}/")
    log(f"wrote {out_dir}/: draws.csv ({len(draws)} draws), particles.csv, narrowing.csv, predictive.csv, "
        f"provenance.yaml, generations.csv, {DB_FILE}")


def _cmd_screen(spec: AbcSpec, settings: Mapping[str, Any], out_dir: Path, posterior_dir: Path | None, log) -> None:
    from ..experiments.store import atomic_write

    s = screen_settings(spec.path)
    seed = int(settings["seed"]) if settings.get("seed") is not None else int(s.get("seed", 0))
    indices = screen(spec, trajectories=int(s.get("trajectories", 10)), levels=int(s.get("levels", 4)),
                     bsc_seeds=int(s.get("bsc_seeds", 2)), coach_seeds=int(s.get("coach_seeds", 2)), seed=seed, log=log)
    selection = select_parameters(indices, fact_share=float(s.get("fact_share", 0.2)),
                                  planner_share=float(s.get("planner_share", 0.1)),
                                  max_parameters=int(s.get("max_parameters", 8)))
    atomic_write(out_dir / "morris.csv", lambda p: indices.to_csv(p, index=False))
    atomic_write(out_dir / "selection.csv", lambda p: selection.to_csv(p, index=False))
    log(screen_markdown(selection))
    log(f"wrote {out_dir}/: morris.csv, selection.csv")
    if posterior_dir is not None:
        _publish(posterior_dir, {"screen.csv": out_dir / "selection.csv"})
        log(f"published screen.csv to {posterior_dir}/")


def _cmd_reidentify(spec: AbcSpec, sets: int | None, out_dir: Path, posterior_dir: Path | None, log,
                    bank: Path | None = None, argv: Sequence[str] = ()) -> None:
    from ..experiments.store import atomic_write

    t0 = time.perf_counter()
    if bank is not None:
        import pyabc

        db = bank / DB_FILE
        if not db.is_file():
            raise ParamError(f"bank = {str(bank)!r}: no {DB_FILE} of a method=abc run there")
        prior = posterior_table(pyabc.History(_db_url(db), _id=1), spec, t=0)
        rows = reidentify_from_bank(spec, prior, sets=sets, seed=spec.seed)
        atomic_write(out_dir / "reidentify.csv", lambda p: rows.to_csv(p, index=False))
        how = (f"leave-one-out on the {len(prior)} prior simulations of {bank}, accepting the {spec.alpha:g} quantile "
               f"of distances (about {int(rows['n_accepted'].median())} worlds)")
        result = "reidentification.csv"
    else:
        from ..run import git_revision

        sets = 20 if sets is None else sets
        _identity_check(spec, out_dir, {"check": "reidentify", "sets": sets})
        commit = git_revision()
        done_file = out_dir / "reidentify.csv"
        done = pd.read_csv(done_file) if done_file.exists() else None
        how = (f"ABC-SMC re-run per set, populations {','.join(map(str, spec.population))} "
               f"(generation 0, the prior sample, shared by the sets)")
        result = "reidentification_smc.csv"

        def write(rows: pd.DataFrame) -> None:
            per_set = rows.groupby("set").first()
            prov = {"made_by": "bsc-sim calibrate " + " ".join(argv), "commit": commit,
                    "date": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "method": how, "settings": {**spec.identity(), "sets": sets, "config": spec.path},
                    "sets_done": int(rows["set"].nunique()), "sets_asked": sets,
                    "seconds_per_set": {"median": round(float(per_set["seconds"].median()), 1),
                                        "total": round(float(per_set["seconds"].sum()), 1)},
                    "simulations_per_set_median": int(per_set["simulations"].median()),
                    "ess_median": round(float(per_set["ess"].median()), 1),
                    "ess_min": round(float(per_set["ess"].min()), 1),
                    "sets_table": "reidentify.csv in out_dir (one row per set and parameter), published as "
                                  "reidentification_smc_sets.csv"}
            _write_yaml(out_dir / "reidentification_smc.yaml", prov)
            _write_coverage(rows, out_dir / result, how, spec)
            if posterior_dir is not None:
                _publish(posterior_dir, {result: out_dir / result,
                                         "reidentification_smc.yaml": out_dir / "reidentification_smc.yaml",
                                         "reidentification_smc_sets.csv": out_dir / "reidentify.csv"})

        rows = reidentify(spec, FactSimulator(spec, memo=True), sets=sets, work_dir=out_dir, seed=spec.seed, log=log,
                          done=done, on_set=write)
        if done is not None and len(rows) == len(done):
            write(rows)
    cov = _write_coverage(rows, out_dir / result, how, spec)
    log(coverage_markdown(cov))
    log(f"{time.perf_counter() - t0:.0f} s in this session")
    if posterior_dir is not None:
        _publish(posterior_dir, {result: out_dir / result})
        log(f"published {result} to {posterior_dir}/")


def _write_coverage(rows: pd.DataFrame, path: Path, how: str, spec: AbcSpec) -> pd.DataFrame:
    from ..experiments.store import atomic_write

    cov = coverage_table(rows)
    cov["method"] = how
    cov["seeds_per_particle"] = spec.seeds_per_particle
    atomic_write(path, lambda p: cov.to_csv(p, index=False))
    return cov


def cmd_abc(argv: list[str]) -> int:
    """``bsc-sim calibrate method=abc|screen`` or ``check=reidentify``; 2 on bad input."""
    if any(a in ("-h", "--help") for a in argv):
        print(_usage())
        return 0
    log = lambda line: print(line, flush=True)  # noqa: E731
    settings: dict[str, Any] = {}
    try:
        from ..experiments.cli import parse_settings
        from ..experiments.lock import store_lock

        settings, _ = parse_settings(argv, SETTINGS, command="calibrate", overrides_allowed=False)
        method, check = settings.get("method"), settings.get("check")
        if (method is None) == (check is None):
            raise ParamError("give method=abc, method=screen or check=reidentify")
        if method is not None and method not in ("abc", "screen", "docs"):
            raise ParamError(f"method = {method!r}: expected abc, screen or docs (or leave it out for the Optuna fit)")
        if method == "docs":
            names = write_docs(settings.get("doc") or "docs/calibration.md", settings.get("posterior_dir"))
            log(f"rewrote {', '.join(names)} in {settings.get('doc') or 'docs/calibration.md'}")
            return 0
        if check is not None and check != "reidentify":
            raise ParamError(f"check = {check!r}: expected reidentify")
        name = method or "reidentify"
        out_dir = Path(settings.get("out_dir") or f"outputs/{name}")
        _check_dir(out_dir)
        posterior_dir = Path(settings["posterior_dir"]) if settings.get("posterior_dir") else None
        seed = settings.get("seed")
        if seed is not None:
            seed = _int(seed, "seed", 0)
        procs = settings.get("processes")
        spp = settings.get("seeds_per_particle")
        population = _population(settings.get("population"))
        sets = _int(settings["sets"], "sets") if settings.get("sets") is not None else None
        bank = Path(settings["bank"]) if settings.get("bank") else None
        if check is not None and bank is None:
            # the full check's own defaults (the config's reidentify: section); the command line wins
            reid = reidentify_settings(settings.get("config"))
            population = population or (_population(reid["population"]) if "population" in reid else None)
            procs = procs if procs is not None else reid.get("processes")
            sets = sets if sets is not None else (_int(reid["sets"], "sets") if "sets" in reid else None)
        spec = load_abc_spec(settings.get("config"), population=population,
                             seeds_per_particle=None if spp is None else _int(spp, "seeds_per_particle"), seed=seed,
                             processes=None if procs is None else _int(procs, "processes"))
        if bank is not None and check is None:
            raise ParamError("bank: only with check=reidentify")
        with store_lock(out_dir):
            if name == "abc":
                _cmd_abc(spec, out_dir, posterior_dir, argv, log)
            elif name == "screen":
                _cmd_screen(spec, settings, out_dir, posterior_dir, log)
            else:
                _cmd_reidentify(spec, sets, out_dir, posterior_dir, log, bank=bank, argv=argv)
    except ParamError as exc:
        print(f"bsc-sim calibrate: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        kept = ("finished sets are kept in reidentify.csv" if settings.get("check") and not settings.get("bank")
                else f"finished generations are kept in {DB_FILE}")
        return report_interrupt("calibrate", exc, kept=kept)
    return 0
