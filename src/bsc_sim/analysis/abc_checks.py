"""The checks around the posterior: the Morris screen that chooses what ABC calibrates, the
re-identification of known worlds, and the generated tables of docs/calibration.md
(see :mod:`.abc` for the model of the data)."""

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
from .abc import (AbcSpec, BAD_STAT, CI_LEVEL, STAT, WEIGHT, _safe, credible_interval, distance, narrowing, narrowing_markdown, observed, pooled, posterior_table, predictive_markdown, run_abc)  # noqa: F401

# ----------------------------------------------------------------------------------------------
# Morris screen


PLANNER_OUTCOMES = ("frac_classrooms_sustained_lag", "frac_classrooms_reached_lag")


def screen(spec: AbcSpec, *, trajectories: int = 10, levels: int = 4, bsc_seeds: int = 2, coach_seeds: int = 2,
           seed: int = 0, log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Morris elementary effects of every uncertain parameter on the calibration facts' statistics
    (pooled over ``bsc_seeds`` runs of the calibration design) and on the classrooms sustained and
    reached (at the fixed lag after supports end) of the bsc and coach designs (means over runs).
    The same seeds for every sample point (common random numbers). Returns the indices table."""
    from ..batch import Batch
    from ..experiments.specs import replicate_seeds
    from ..experiments.sensitivity import SensitivityProblem, analyze, sample

    unc = spec.uncertainty
    problem = SensitivityProblem(unc.keys, tuple((p.low, p.high) for p in unc.parameters))
    X = sample(problem, "morris", trajectories, seed, num_levels=levels)
    worlds = [dict(zip(unc.keys, map(float, row))) for row in X]
    seeds = replicate_seeds(seed, max(bsc_seeds, coach_seeds))
    cols = sorted(set().union(*(f.model.columns() for f in spec.facts)) | set(PLANNER_OUTCOMES))
    t0 = time.perf_counter()
    prog = (lambda d, n: log(f"  {d}/{n} runs, {time.perf_counter() - t0:.0f} s") if log and d % 200 == 0 else None)
    bsc = Batch(list(spec.design)).run(worlds, seeds[:bsc_seeds], columns=cols, progress=prog)
    coach = Batch(["design=coach"]).run(worlds, seeds[:coach_seeds], columns=list(PLANNER_OUTCOMES), progress=prog)
    outputs: dict[str, np.ndarray] = {}
    for f in spec.facts:
        y = np.array([pooled(f, g) for _, g in bsc.groupby("world", sort=True)])
        bad = y == BAD_STAT
        if bad.any():  # undefined in a point's study: the mean of the defined points (said in the log)
            if log:
                log(f"  {f.id}: undefined at {int(bad.sum())} of {len(y)} points, set to the mean of the others")
            y[bad] = y[~bad].mean()
        outputs[f"fact:{f.id}"] = y
    for name, runs in (("bsc", bsc), ("coach", coach)):
        means = runs.groupby("world", sort=True)[list(PLANNER_OUTCOMES)].mean()
        for o in PLANNER_OUTCOMES:
            outputs[f"{name}:{o}"] = means[o].fillna(means[o].mean()).to_numpy(float)
    indices, _ = analyze(problem, "morris", X, outputs, seed, num_levels=levels)
    indices["mu_star_rel"] = indices["mu_star"] / indices.groupby("outcome")["mu_star"].transform("max")
    return indices


def select_parameters(indices: pd.DataFrame, *, fact_share: float = 0.2, planner_share: float = 0.1,
                      max_parameters: int = 8) -> pd.DataFrame:
    """Per parameter: its largest relative mu* on a calibration fact and on a planner outcome, and
    whether it is calibrated: it moves a calibration statistic (>= ``fact_share`` of the strongest
    parameter's mu* there, so the facts can inform it) and a planner outcome (>= ``planner_share``);
    at most ``max_parameters``, strongest on the facts first."""
    is_fact = indices["outcome"].str.startswith("fact:")
    f = indices[is_fact].groupby("parameter")["mu_star_rel"].max().rename("facts")
    p = indices[~is_fact].groupby("parameter")["mu_star_rel"].max().rename("planners")
    table = pd.concat([f, p], axis=1).reset_index().rename(columns={"index": "parameter"})
    ok = (table["facts"] >= fact_share) & (table["planners"] >= planner_share)
    chosen = table[ok].sort_values("facts", ascending=False).head(max_parameters)["parameter"]
    table["calibrate"] = table["parameter"].isin(set(chosen))
    return table.sort_values(["calibrate", "facts"], ascending=False).reset_index(drop=True)


def screen_markdown(selection: pd.DataFrame) -> str:
    lines = ["| parameter | largest relative μ* on a calibration fact | on a planner outcome | calibrated |",
             "|---|---|---|---|"]
    for r in selection.itertuples():
        lines.append(f"| `{r.parameter}` | {r.facts:.2f} | {r.planners:.2f} | {'yes' if r.calibrate else 'no'} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Re-identification


MEMO_FILE = "reid-memo.pkl"
REID_TARGET = (0.80, 0.97)  # issue 18: the share of 90 % intervals containing the truth


def reidentify(spec: AbcSpec, simulate: Callable[[Mapping[str, float]], Mapping[str, float]], *, sets: int,
               work_dir: Path, seed: int = 0, log: Callable[[str], None] | None = None,
               dist: Callable | None = None, done: pd.DataFrame | None = None,
               on_set: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """For ``sets`` known worlds drawn from the prior (from ``SeedSequence([seed, 'truth'])``):
    simulate a pseudo-observed study of each, re-run ABC-SMC of ``spec`` against it (database
    ``work_dir/reid-<i>.db``, seeded per set), and record, per calibrated parameter, the truth and
    the posterior's 90 % credible interval, with the set's last epsilon, its simulated studies,
    the effective sample size of its final weights and its seconds. Sets already in ``done`` are
    not re-run (resumable). ``on_set`` is called with the rows so far after every set.

    Generation 0 (a sample of the prior, which does not depend on the observed study) is seeded
    from ``seed`` alone, so every set draws the same prior sample; later generations are seeded
    per set. A simulator with a ``memo`` (:class:`FactSimulator` with ``memo=True``) therefore
    simulates that sample once; its memo is kept in ``work_dir/reid-memo.pkl`` across sessions."""
    import pickle

    from ..experiments.store import atomic_write

    keys = spec.uncertainty.keys
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7472]))
    truths = [{p.key: p.from_unit(float(u)) for p, u in zip(spec.uncertainty.parameters, rng.random(len(keys)))}
              for _ in range(sets)]
    prior_seed = int(np.random.SeedSequence([seed, 0x7072696F72]).generate_state(1)[0])
    memo = getattr(simulate, "memo", None)
    memo_file = work_dir / MEMO_FILE
    if memo is not None and memo_file.is_file():
        memo.update(pickle.loads(memo_file.read_bytes()))
    rows = [] if done is None else done.to_dict("records")
    have = {int(r["set"]) for r in rows}
    for i, truth in enumerate(truths):
        if i in have:
            continue
        t0 = time.perf_counter()
        np.random.seed(int(np.random.SeedSequence([seed, i, 0x6F6273]).generate_state(1)[0]))
        record = simulate({_safe(k): truth[k] for k in spec.calibrated} | {_safe(k): truth[k] for k in spec.nuisance})
        obs = {k: float(v) for k, v in record.items() if k.startswith(STAT)}
        set_spec = replace(spec, seed=int(np.random.SeedSequence([seed, i]).generate_state(1)[0]))
        db = work_dir / f"reid-{i}.db"
        if db.exists():
            db.unlink()  # an unfinished set starts again
        glog = (lambda line, i=i: log(f"  set {i}, {line}")) if log else None
        history = run_abc(set_spec, simulate, obs, db, dist=dist, prior_seed=prior_seed, log=glog)
        post = posterior_table(history, set_spec)
        pops = history.get_all_populations()
        pops = pops[pops["t"] >= 0]
        w = post[WEIGHT].to_numpy(float)
        ess = float(w.sum() ** 2 / (w ** 2).sum())
        seconds = time.perf_counter() - t0
        for k in spec.calibrated:
            lo, hi = credible_interval(post[k].to_numpy(float), w)
            rows.append({"set": i, "parameter": k, "truth": truth[k], "ci90_low": lo, "ci90_high": hi,
                         "covered": bool(lo <= truth[k] <= hi),
                         "width_ratio": (hi - lo) / (CI_LEVEL * (spec.ranges[k].high - spec.ranges[k].low)),
                         "epsilon": float(pops["epsilon"].iloc[-1]), "simulations": int(pops["samples"].sum()),
                         "ess": round(ess, 1), "seconds": round(seconds, 1),
                         **{f"observed_{k2[len(STAT):]}": v for k2, v in obs.items()}})
        if log:
            n_cov = sum(r["covered"] for r in rows if r["set"] == i)
            log(f"set {i}: {n_cov}/{len(spec.calibrated)} intervals contain the truth; epsilon "
                f"{float(pops['epsilon'].iloc[-1]):.3g}, {int(pops['samples'].sum())} simulated studies "
                f"({getattr(simulate, 'reused', 0)} read from the memo so far), ESS {ess:.0f}, {seconds:.0f} s")
        db.unlink()
        if memo is not None:
            data = pickle.dumps(dict(memo))
            atomic_write(memo_file, lambda p: p.write_bytes(data))
        _save_progress(work_dir, pd.DataFrame(rows))
        if on_set is not None:
            on_set(pd.DataFrame(rows))
    return pd.DataFrame(rows)


def reidentify_from_bank(spec: AbcSpec, bank: pd.DataFrame, *, sets: int | None = None, alpha: float | None = None,
                         seed: int = 0, observed_stats: pd.DataFrame | None = None) -> pd.DataFrame:
    """Re-identification on a bank of prior simulations (generation 0 of a run: worlds drawn from
    the prior, each with its simulated study). Each of ``sets`` bank members (a seeded choice; all
    by default) is a known world whose simulated study is the pseudo-observed data; the others are
    the prior sample, and the calibration's first step is re-run against it: accept the worlds
    whose distance is within the ``alpha`` quantile (default: the spec's) of the others' distances,
    and read the 90 % credible interval of each calibrated parameter from them. ``observed_stats``
    (rows aligned with the bank) replaces the pseudo-observed studies, e.g. to test the check
    against studies from another simulator."""
    alpha = spec.alpha if alpha is None else alpha
    tol = np.array([f.target[1] for f in spec.facts])  # type: ignore[index]
    cols = [f"{STAT}{f.id}" for f in spec.facts]
    z = bank[cols].to_numpy(float) / tol  # the distance of :func:`distance`
    z_obs = z if observed_stats is None else observed_stats[cols].to_numpy(float) / tol
    n = len(bank)
    order = np.random.default_rng(np.random.SeedSequence([seed, 0x62616E6B])).permutation(n)
    chosen = order[: (n if sets is None else min(sets, n))]
    rows = []
    for i in chosen:
        dist = np.sqrt(((z - z_obs[i]) ** 2).sum(axis=1))
        dist[i] = np.inf
        eps = np.quantile(dist[np.isfinite(dist)], alpha)
        accepted = bank[(dist <= eps)]
        for k in spec.calibrated:
            x = accepted[k].to_numpy(float)
            lo, hi = credible_interval(x, np.ones(len(x)))
            truth = float(bank[k].iloc[i])
            rows.append({"set": int(i), "parameter": k, "truth": truth, "ci90_low": lo, "ci90_high": hi,
                         "covered": bool(lo <= truth <= hi), "n_accepted": len(x),
                         "width_ratio": (hi - lo) / (CI_LEVEL * (spec.ranges[k].high - spec.ranges[k].low))})
    return pd.DataFrame(rows)


def _save_progress(work_dir: Path, table: pd.DataFrame) -> None:
    from ..experiments.store import atomic_write

    atomic_write(work_dir / "reidentify.csv", lambda p: table.to_csv(p, index=False))


def wilson(k: float, n: float, z: float = 1.6449) -> tuple[float, float]:
    """Wilson score interval (default 90 %) of a proportion ``k / n``."""
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def coverage_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Share of sets whose 90 % interval contains the truth, per parameter and overall."""
    per = rows.groupby("parameter", sort=False).agg(sets=("set", "nunique"), covered=("covered", "mean"),
                                                    width_ratio=("width_ratio", "mean")).reset_index()
    total = pd.DataFrame([{"parameter": "all", "sets": rows["set"].nunique(), "covered": rows["covered"].mean(),
                           "width_ratio": rows["width_ratio"].mean()}])
    return pd.concat([per, total], ignore_index=True)


def coverage_markdown(table: pd.DataFrame) -> str:
    """The coverage table with a 90 % Wilson interval of each share: over the sets for a
    parameter, over every set's intervals for all (those of one set are not independent, so that
    interval is too narrow)."""
    n_params = int((table["parameter"] != "all").sum())
    lines = ["| parameter | sets | 90 % interval contains the truth | 90 % Wilson interval | mean width / prior's |",
             "|---|---|---|---|---|"]
    for r in table.itertuples():
        name = "**all**" if r.parameter == "all" else f"`{r.parameter}`"
        n = r.sets * (n_params if r.parameter == "all" else 1)
        lo, hi = wilson(round(r.covered * n), n)
        lines.append(f"| {name} | {r.sets} | {r.covered:.0%} | {lo:.0%} – {hi:.0%} | {r.width_ratio:.2f} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Generated documentation (docs/calibration.md): tables between <!-- begin:NAME --> and <!-- end:NAME -->


def default_posterior_dir() -> Path:
    from ..config import config_dir

    return config_dir() / "posterior"


def docs_tables(posterior_dir: str | Path | None = None) -> dict[str, str]:
    """The generated tables of docs/calibration.md, from the shipped files of ``posterior_dir``
    (default ``configs/posterior``): screen.csv, draws.csv + provenance.yaml, reidentification.csv,
    reidentification_smc.csv + .yaml."""
    import yaml

    d = Path(posterior_dir) if posterior_dir is not None else default_posterior_dir()
    out: dict[str, str] = {}
    if (d / "screen.csv").exists():
        out["screen"] = screen_markdown(pd.read_csv(d / "screen.csv"))
    if (d / "draws.csv").exists() and (d / "provenance.yaml").exists():
        prov = yaml.safe_load((d / "provenance.yaml").read_text())
        draws = pd.read_csv(d / "draws.csv")
        unc = load_uncertainty(None)
        out["narrowing"] = narrowing_markdown(narrowing(draws, unc, prov["settings"]["calibrated"]))
        out["predictive"] = predictive_markdown(pd.DataFrame(prov["posterior_predictive"]))
        gens = ["| generation | epsilon | particles | simulations | accepted | seconds |", "|---|---|---|---|---|---|"]
        for g in prov["generations"]:
            sec = "" if g.get("seconds") is None else f"{g['seconds']:.0f}"
            gens.append(f"| {g['t']} | {g['epsilon']:.3g} | {g['particles']} | {g['simulations']} | "
                        f"{g['acceptance']:.0%} | {sec} |")
        gens += ["", f"{prov['total_simulations']} simulated studies, {prov['total_model_runs']} model runs, "
                     f"{prov['total_seconds'] / 60:.0f} minutes in all; {prov['draws']} draws in draws.csv "
                     f"(commit {str(prov['commit'])[:12]}, {prov['date']})."]
        out["generations"] = "\n".join(gens)
    if (d / "reidentification.csv").exists():
        cov = pd.read_csv(d / "reidentification.csv")
        first = cov.iloc[0]
        out["reidentification"] = (coverage_markdown(cov) + f"\n\nHow: {first['method']}; "
                                   f"{int(first['seeds_per_particle'])} runs per simulated study.")
    if (d / "reidentification_smc.csv").exists() and (d / "reidentification_smc.yaml").exists():
        cov = pd.read_csv(d / "reidentification_smc.csv")
        prov = yaml.safe_load((d / "reidentification_smc.yaml").read_text())
        done, asked = int(prov["sets_done"]), int(prov["sets_asked"])
        status = (f"all {asked} sets" if done >= asked else
                  f"**partial: {done} of {asked} sets finished** (the run was stopped; the rest were not run)")
        overall = float(cov.loc[cov["parameter"] == "all", "covered"].iloc[0])
        verdict = ("inside" if REID_TARGET[0] <= overall <= REID_TARGET[1] else "**outside**")
        out["reidentification_smc"] = (
            coverage_markdown(cov) + f"\n\nOverall, {overall:.0%} of the 90 % intervals contain the truth: {verdict} "
            f"the {REID_TARGET[0]:.0%}–{REID_TARGET[1]:.0%} target.{_exact_share(d / 'reidentification_smc_sets.csv')}"
            + f"\n\nHow: {prov['method']}; {int(cov.iloc[0]['seeds_per_particle'])} runs per "
            f"simulated study; {status}; per set a median {prov['simulations_per_set_median']} studies "
            f"({prov['settings']['population'][0]} of them the shared prior sample, simulated once for all sets) and "
            f"{prov['seconds_per_set']['median']:.0f} s ({prov['seconds_per_set']['total'] / 60:.0f} minutes "
            f"in all, one process); effective sample size of the final weights: median {prov['ess_median']:.0f}, "
            f"smallest {prov['ess_min']:.0f}. Command: `{prov['made_by']}` (commit {str(prov['commit'])[:12]}, "
            f"{prov['date']}).")
    return out


def _exact_share(sets_file: Path) -> str:
    """What an exact method would cover when its 90 % intervals are read from particles with the
    sets' effective sample sizes n: on average 0.9 n / (n + 1) (sample quantiles cut the tails short)."""
    if not sets_file.exists():
        return ""
    ess = pd.read_csv(sets_file).groupby("set")["ess"].first().to_numpy(float)
    return (f" An exact method read from particles with these sets' effective sample sizes would cover about "
            f"{float(np.mean(CI_LEVEL * ess / (ess + 1))):.0%} (the mean of 0.9 n / (n + 1)).")


def write_docs(doc: str | Path, posterior_dir: str | Path | None = None) -> list[str]:
    """Rewrite the generated tables of ``doc``; returns the names rewritten.

    Raises:
        ParamError: ``doc`` does not exist or lacks a table's markers.
    """
    from ..experiments.store import atomic_write

    doc = Path(doc)
    if not doc.is_file():
        raise ParamError(f"doc = {str(doc)!r}: file not found")
    text = doc.read_text()
    tables = docs_tables(posterior_dir)
    for name, table in tables.items():
        begin, end = f"<!-- begin:{name} -->", f"<!-- end:{name} -->"
        if begin not in text or end not in text:
            raise ParamError(f"doc = {str(doc)!r}: no {begin} ... {end} markers")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{table}\n{end}{tail}"
    atomic_write(doc, lambda p: p.write_text(text))
    return list(tables)


def generated_sections(doc: str | Path) -> dict[str, str]:
    """The tables currently between the markers of ``doc`` (for the staleness test)."""
    import re

    text = Path(doc).read_text()
    return {m.group(1): m.group(2).strip("\n") for m in re.finditer(r"<!-- begin:(\w+) -->\n(.*?)<!-- end:\1 -->", text, re.S)}
