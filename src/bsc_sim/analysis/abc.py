"""A calibrated posterior: Morris screen, ABC-SMC (pyabc) and a re-identification check.

``bsc-sim calibrate method=screen|abc`` and ``bsc-sim calibrate check=reidentify`` (see
:func:`cmd_abc`); the settings live in ``configs/calibration/abc.yaml``.

Model of the data. A *particle* is one world: the calibrated parameters (proposed by ABC-SMC
from their uniform prior ranges in ``configs/uncertainty/default.yaml``) and every other uncertain
parameter of that file, drawn from its prior inside the simulation (a nuisance parameter: the
posterior of the calibrated ones integrates over it, and its drawn value is recorded, so every
particle is a whole world). The particle's *simulated study* is ``seeds_per_particle`` runs of the
calibration design with fresh seeds; each calibration fact's statistic is its ratio of pooled sums
over those runs (:class:`bsc_sim.analysis.facts.Quantity`), so the simulated statistic has the
sampling noise of a study of about that many programmes and staff. The distance between a
simulated and the observed study is ``sqrt(sum_f ((sim_f - target_f) / tolerance_f)^2)`` over the
facts: each fact counts in units of its registered tolerance.

Reproducibility. pyabc draws from numpy's global generator. Each generation's particles are split
in fixed shares among ``processes`` workers, each seeding numpy from the root seed, the generation
and its number (:func:`_split_sampler`), so the same settings give the same posterior whatever the
timing, and a run interrupted between generations resumes (the pyabc database in ``out_dir``) and
gives the same result as an uninterrupted one.
"""

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

__all__ = ["AbcSpec", "load_abc_spec", "FactSimulator", "distance", "run_abc", "posterior_table", "narrowing",
           "narrowing_markdown", "predictive_table", "predictive_markdown", "screen", "select_parameters",
           "reidentify", "coverage_table", "coverage_markdown", "cmd_abc", "DB_FILE", "BAD_STAT"]

DB_FILE = "abc.db"
SPEC_FILE = "abc-spec.json"
WEIGHT = "weight"
STAT = "stat:"          # prefix of a simulated statistic in a particle's record
BAD_STAT = -1.0         # a statistic undefined in a simulated study (no denominator): far from any target
CI_LEVEL = 0.90


# ----------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class AbcSpec:
    """What an ABC-SMC calibration fits, with what, and how long it runs."""

    facts: tuple[Fact, ...]                  # calibration facts (their targets and tolerances)
    uncertainty: Uncertainty                 # the prior of every uncertain parameter
    calibrated: tuple[str, ...]              # keys proposed by ABC-SMC; the others are nuisance
    design: tuple[str, ...] = ("design=bsc",)
    seeds_per_particle: int = 5
    population: tuple[int, ...] = (400, 500, 1000)   # particles per generation; its length = generations
    alpha: float = 0.5                       # epsilon of generation t >= 1: this quantile of the last distances
    minimum_epsilon: float = 0.0             # stop earlier once epsilon is below this
    seed: int = 0
    processes: int = 1                       # worker processes; part of the result's identity (fixed shares)
    path: str = ""

    @property
    def ranges(self) -> dict[str, UncertainRange]:
        return {p.key: p for p in self.uncertainty.parameters}

    @property
    def nuisance(self) -> tuple[str, ...]:
        return tuple(k for k in self.uncertainty.keys if k not in self.calibrated)

    def identity(self) -> dict[str, Any]:
        """Everything that determines the result (a resumed run must have the same)."""
        return {"facts": {f.id: list(f.target) for f in self.facts},  # type: ignore[arg-type]
                "prior": {p.key: [p.low, p.high] for p in self.uncertainty.parameters},
                "calibrated": list(self.calibrated), "design": list(self.design),
                "seeds_per_particle": self.seeds_per_particle, "population": list(self.population),
                "alpha": self.alpha, "minimum_epsilon": self.minimum_epsilon, "seed": self.seed,
                "processes": self.processes}


def default_abc_file() -> Path:
    from ..config import config_dir

    return config_dir() / "calibration" / "abc.yaml"


def _int(value: Any, key: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value) or value < low:
        raise ParamError(f"{key} = {value!r}: expected a whole number >= {low}")
    return int(value)


def load_abc_spec(path: str | Path | None = None, *, facts_file: str | Path | None = None,
                  uncertainty_file: str | Path | None = None, **overrides: Any) -> AbcSpec:
    """Read ``configs/calibration/abc.yaml`` (or ``path``); ``overrides`` replace its settings
    (``population=(100, 100)``, ``seed=3``, ``seeds_per_particle=4``).

    Raises:
        ParamError: one line naming the key and value: an unknown or validation fact, a calibrated
            key not in the uncertainty file, a bad number.
    """
    from ..datafiles import read_yaml_file

    path = Path(path) if path is not None else default_abc_file()
    shown = f"abc = {str(path)!r}"
    if not path.is_file():
        raise ParamError(f"{shown}: file not found")
    data = read_yaml_file(path, shown) or {}
    known = {"facts", "calibrated", "design", "seeds_per_particle", "population", "alpha", "minimum_epsilon", "seed",
             "processes", "screen"}
    for k in data:
        if k not in known:
            raise ParamError(f"{shown}: {k}: unknown key; known: {', '.join(sorted(known))}")
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    registered = {f.id: f for f in load_facts(facts_file)}
    facts = []
    for fid in data.get("facts") or []:
        if fid not in registered:
            raise ParamError(f"facts: {fid!r}: no such fact in the facts file")
        f = registered[fid]
        if f.role != "calibration":
            raise ParamError(f"facts: {fid!r} is a {f.role} fact: it may never be used to fit")
        facts.append(f)
    if not facts:
        raise ParamError(f"{shown}: facts: list at least one calibration fact")
    designs = {(f.model.design, f.model.overrides) for f in facts}
    if len(designs) != 1:
        raise ParamError("facts: all calibration facts must be read from the same design and overrides")
    fdesign, fover = designs.pop()
    uncertainty = load_uncertainty(uncertainty_file)
    calibrated = tuple(data.get("calibrated") or ())
    for key in calibrated:
        if key not in uncertainty.keys:
            raise ParamError(f"calibrated: {key!r} is not a parameter of {uncertainty.path}")
    if len(set(calibrated)) != len(calibrated) or not calibrated:
        raise ParamError(f"calibrated = {list(calibrated)!r}: list each parameter once, at least one")
    population = data.get("population", (400, 500, 1000))
    if isinstance(population, (int, float)):
        population = [population]
    population = tuple(_int(n, "population", 2) for n in population)
    alpha = data.get("alpha", 0.5)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ParamError(f"alpha = {alpha!r}: expected a number in (0, 1)")
    min_eps = data.get("minimum_epsilon", 0.0)
    if isinstance(min_eps, bool) or not isinstance(min_eps, (int, float)) or min_eps < 0:
        raise ParamError(f"minimum_epsilon = {min_eps!r}: expected a number >= 0")
    return AbcSpec(facts=tuple(facts), uncertainty=uncertainty, calibrated=calibrated,
                   design=(f"design={fdesign}", *fover),
                   seeds_per_particle=_int(data.get("seeds_per_particle", 5), "seeds_per_particle"),
                   population=population, alpha=float(alpha), minimum_epsilon=float(min_eps),
                   seed=_int(data.get("seed", 0), "seed", 0), processes=_int(data.get("processes", 1), "processes"),
                   path=str(path))


def screen_settings(path: str | Path | None = None) -> dict[str, Any]:
    from ..datafiles import read_yaml_file

    path = Path(path) if path is not None else default_abc_file()
    data = read_yaml_file(path, f"abc = {str(path)!r}") or {}
    return dict(data.get("screen") or {})


# ----------------------------------------------------------------------------------------------
# The simulator: a world -> the calibration facts' statistics of one simulated study


def _safe(key: str) -> str:
    return key.replace(".", "__")


def _unsafe(name: str) -> str:
    return name.replace("__", ".")


def pooled(fact: Fact, runs: pd.DataFrame) -> float:
    """The fact's ratio of pooled sums over ``runs``; :data:`BAD_STAT` if it is undefined."""
    num, den = fact.model.per_run(runs)
    ok = np.isfinite(num) & np.isfinite(den)
    total = den[ok].sum()
    return float(num[ok].sum() / total) if total > 0 else BAD_STAT


class FactSimulator:
    """``simulate(theta)``: draws the nuisance parameters and the study's seeds from numpy's global
    generator, runs the study through the batch API and returns its record: ``stat:<fact>`` for
    every fact, and the value of every uncertain parameter (the whole world)."""

    def __init__(self, spec: AbcSpec):
        from ..batch import Batch

        self.spec = spec
        self.batch = Batch(list(spec.design))
        self.columns = sorted(set().union(*(f.model.columns() for f in spec.facts)))
        self.invalid = 0  # worlds the parameters refused (recorded as undefined statistics)

    def world(self, theta: Mapping[str, float]) -> dict[str, float]:
        ranges = self.spec.ranges
        u = np.random.random(len(self.spec.nuisance))
        world = {k: ranges[k].from_unit(float(x)) for k, x in zip(self.spec.nuisance, u)}
        world.update({k: float(theta[k]) for k in self.spec.calibrated})
        return {k: world[k] for k in self.spec.uncertainty.keys}

    def study(self, world: Mapping[str, float], seeds: Sequence[int]) -> dict[str, float]:
        try:
            runs = self.batch.run([world], seeds, columns=self.columns)
        except ParamError:
            self.invalid += 1
            return {f"{STAT}{f.id}": BAD_STAT for f in self.spec.facts}
        return {f"{STAT}{f.id}": pooled(f, runs) for f in self.spec.facts}

    def __call__(self, theta: Mapping[str, float]) -> dict[str, float]:
        world = self.world({_unsafe(k): v for k, v in theta.items()})
        seeds = [int(s) for s in np.random.randint(0, 2**31 - 1, size=self.spec.seeds_per_particle)]
        return {**self.study(world, seeds), **world}


def distance(facts: Sequence[Fact]) -> Callable[[Mapping[str, float], Mapping[str, float]], float]:
    """Euclidean distance of the facts' statistics, each in units of its tolerance."""
    tol = {f"{STAT}{f.id}": f.target[1] for f in facts}  # type: ignore[index]

    def d(x: Mapping[str, float], x0: Mapping[str, float]) -> float:
        return float(math.sqrt(sum(((float(x[k]) - float(x0[k])) / t) ** 2 for k, t in tol.items())))

    return d


def observed(facts: Sequence[Fact]) -> dict[str, float]:
    return {f"{STAT}{f.id}": f.target[0] for f in facts}  # type: ignore[index]


# ----------------------------------------------------------------------------------------------
# ABC-SMC


def _db_url(db: Path) -> str:
    text = str(db.resolve())
    if any(c in text for c in "?#%{}"):
        raise ParamError(f"out_dir = {str(db.parent)!r}: the pyabc database path may not contain ? # % {{ }}")
    return "sqlite:///" + text


def _split_sampler(processes: int, root: int):
    """A pyabc sampler whose particles do not depend on timing: the ``n`` particles of a
    generation are split in fixed shares among ``processes`` forked workers, worker ``k`` seeding
    numpy from ``SeedSequence([root, t, k])`` and sampling its share until accepted (as
    pyabc's single-core sampler does), and the shares are joined in worker order."""
    import multiprocessing
    import pickle

    import pyabc

    class SplitSampler(pyabc.sampler.Sampler):
        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            shares = [n // processes + (1 if k < n % processes else 0) for k in range(processes)]

            def work(k: int):
                np.random.seed(int(np.random.SeedSequence([root, t, k]).generate_state(1)[0]))
                sample, count = self._create_empty_sample(), 0
                while sample.n_accepted < shares[k]:
                    sample.append(simulate_one())
                    count += 1
                return sample, count

            if processes == 1:
                parts = [work(0)]
            else:
                ctx = multiprocessing.get_context("fork")
                pipes, procs = [], []
                for k in range(processes):
                    recv, send = ctx.Pipe(duplex=False)

                    def child(k=k, send=send):
                        try:
                            send.send_bytes(pickle.dumps(("ok", work(k))))
                        except BaseException as exc:  # noqa: BLE001 - reported to the parent
                            send.send_bytes(pickle.dumps(("error", repr(exc))))
                    proc = ctx.Process(target=child, daemon=True)
                    proc.start()
                    pipes.append(recv)
                    procs.append(proc)
                parts = []
                try:
                    for recv in pipes:
                        status, value = pickle.loads(recv.recv_bytes())
                        if status != "ok":
                            raise RuntimeError(f"an ABC worker failed: {value}")
                        parts.append(value)
                finally:
                    for proc in procs:
                        if proc.is_alive():
                            proc.terminate()
                        proc.join()
            sample = parts[0][0]
            for other, _ in parts[1:]:
                sample = sample + other
            self.nr_evaluations_ = sum(c for _, c in parts)
            return sample

    return SplitSampler()


def run_abc(spec: AbcSpec, simulate: Callable[[Mapping[str, float]], Mapping[str, float]], obs: Mapping[str, float],
            db: Path, log: Callable[[str], None] | None = None,
            dist: Callable[[Mapping[str, float], Mapping[str, float]], float] | None = None):
    """Run (or resume) ABC-SMC of ``spec`` with ``simulate`` against ``obs``; the pyabc database is ``db``.

    Generation ``t`` reseeds numpy's global generator from ``SeedSequence([spec.seed, t])``:
    generation 0 samples the prior (epsilon infinite); generation ``t >= 1`` accepts distances
    below the ``alpha`` quantile of generation ``t - 1``'s. Returns the pyabc History.
    """
    import logging

    import pyabc

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "History", "pyabc"):
        logging.getLogger(name if name == "pyabc" else f"ABC.{name}").setLevel(logging.WARNING)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    ranges = spec.ranges
    prior = pyabc.Distribution(**{_safe(k): pyabc.RV("uniform", ranges[k].low, ranges[k].high - ranges[k].low)
                                  for k in spec.calibrated})
    url = _db_url(db)

    def open_abc(t: int):
        # A fresh ABCSMC for every generation, loaded from the database: the previous population is
        # always read back in the database's order, so a resumed run continues exactly as an
        # uninterrupted one (in memory the order of a population differs from the stored one).
        # Epsilon: infinite at t = 0 (a prior sample), else the alpha quantile of the distances of
        # generation t - 1 as stored.
        sampler = _split_sampler(spec.processes, int(np.random.SeedSequence([spec.seed, 0x73706C]).generate_state(1)[0]))
        abc = pyabc.ABCSMC(simulate, prior, dist or distance(spec.facts),
                           population_size=pyabc.populationstrategy.ListPopulationSize(list(spec.population)),
                           eps=pyabc.epsilon.QuantileEpsilon(initial_epsilon=float("inf") if t == 0 else "from_sample",
                                                             alpha=spec.alpha),
                           sampler=sampler)
        if db.exists():
            return abc, abc.load(url, 1, observed_sum_stat=dict(obs))
        return abc, abc.new(url, dict(obs))

    abc, history = open_abc(0)
    done = history.max_t + 1
    for t in range(max(done, 0), len(spec.population)):
        if t >= 1 and spec.minimum_epsilon > 0:
            last = history.get_all_populations()
            if float(last["epsilon"].iloc[-1]) <= spec.minimum_epsilon:
                break
        if t > 0:
            abc, history = open_abc(t)
        np.random.seed(int(np.random.SeedSequence([spec.seed, t]).generate_state(1)[0]))
        t0 = time.perf_counter()
        history = abc.run(max_nr_populations=1)
        if log:
            pops = history.get_all_populations()
            row = pops[pops["t"] == t].iloc[0]
            log(f"generation {t}: epsilon {row['epsilon']:.3g}, {int(row['particles'])} particles from "
                f"{int(row['samples'])} simulations ({int(row['particles']) / int(row['samples']):.0%} accepted), "
                f"{time.perf_counter() - t0:.0f} s")
    return history


def posterior_table(history, spec: AbcSpec, t: int | None = None) -> pd.DataFrame:
    """The particles of generation ``t`` (default: the last): every uncertain parameter (in the
    uncertainty file's order), the simulated statistics (``stat:<fact>``) and ``weight`` (sums to 1)."""
    pop = history.get_population(t)
    rows = []
    for particle in pop.particles:
        rec = {**{_unsafe(k): float(v) for k, v in particle.parameter.items()},
               **{k: float(v) for k, v in particle.sum_stat.items() if not k.startswith(STAT) and "." in k}}
        rec.update({k: float(v) for k, v in particle.sum_stat.items() if k.startswith(STAT)})
        rec[WEIGHT] = float(particle.weight)
        rows.append(rec)
    table = pd.DataFrame(rows)
    cols = [*spec.uncertainty.keys, *[f"{STAT}{f.id}" for f in spec.facts], WEIGHT]
    table = table[cols].sort_values(cols).reset_index(drop=True)  # the database's order is not fixed
    table[WEIGHT] = table[WEIGHT] / table[WEIGHT].sum()
    return table


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, x)


def credible_interval(x: np.ndarray, w: np.ndarray, level: float = CI_LEVEL) -> tuple[float, float]:
    lo, hi = weighted_quantile(x, w, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def narrowing(draws: pd.DataFrame, uncertainty: Uncertainty, calibrated: Sequence[str]) -> pd.DataFrame:
    """Per uncertain parameter: prior range, posterior median and 90 % credible interval, and the
    interval's width as a share of the prior's 90 % interval (1 = not narrowed)."""
    w = draws[WEIGHT].to_numpy(float) if WEIGHT in draws else np.ones(len(draws))
    rows = []
    for p in uncertainty.parameters:
        x = draws[p.key].to_numpy(float)
        lo, hi = credible_interval(x, w)
        med = float(weighted_quantile(x, w, [0.5])[0])
        rows.append({"parameter": p.key, "role": "calibrated" if p.key in calibrated else "nuisance",
                     "prior_low": p.low, "prior_high": p.high, "posterior_median": med,
                     "ci90_low": lo, "ci90_high": hi, "width_ratio": (hi - lo) / (CI_LEVEL * (p.high - p.low))})
    return pd.DataFrame(rows)


def _g(v: float) -> str:
    return f"{v:.3g}"


def narrowing_markdown(table: pd.DataFrame) -> str:
    lines = ["| parameter | role | prior | posterior median | 90 % credible interval | width / prior's |",
             "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| `{r.parameter}` | {r.role} | {_g(r.prior_low)} – {_g(r.prior_high)} | {_g(r.posterior_median)} | "
                     f"{_g(r.ci90_low)} – {_g(r.ci90_high)} | {r.width_ratio:.2f} |")
    return "\n".join(lines)


def predictive_table(draws: pd.DataFrame, facts: Sequence[Fact]) -> pd.DataFrame:
    """Posterior predictive of each calibration fact: the simulated studies of the final particles
    (weighted median and 90 % interval), against the target and criterion."""
    w = draws[WEIGHT].to_numpy(float)
    rows = []
    for f in facts:
        x = draws[f"{STAT}{f.id}"].to_numpy(float)
        ok = x != BAD_STAT
        lo, med, hi = weighted_quantile(x[ok], w[ok], [0.05, 0.5, 0.95])
        inside = float(w[ok & (x >= f.criterion.low) & (x <= f.criterion.high)].sum() / w.sum())
        rows.append({"fact": f.id, "target": f.target[0], "tolerance": f.target[1],  # type: ignore[index]
                     "criterion_low": f.criterion.low, "criterion_high": f.criterion.high,
                     "predictive_median": float(med), "predictive_p05": float(lo), "predictive_p95": float(hi),
                     "share_in_criterion": inside})
    return pd.DataFrame(rows)


def predictive_markdown(table: pd.DataFrame) -> str:
    lines = ["| fact | target ± tolerance | criterion | predictive median | 90 % predictive interval | share of simulated studies in criterion |",
             "|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.fact} | {r.target:.2f} ± {r.tolerance:.2f} | {r.criterion_low:.2f} – {r.criterion_high:.2f} | "
                     f"{r.predictive_median:.2f} | {r.predictive_p05:.2f} – {r.predictive_p95:.2f} | {r.share_in_criterion:.0%} |")
    return "\n".join(lines)


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


def reidentify(spec: AbcSpec, simulate: Callable[[Mapping[str, float]], Mapping[str, float]], *, sets: int,
               work_dir: Path, seed: int = 0, log: Callable[[str], None] | None = None,
               dist: Callable | None = None, done: pd.DataFrame | None = None) -> pd.DataFrame:
    """For ``sets`` known worlds drawn from the prior (from ``SeedSequence([seed, 'truth'])``):
    simulate a pseudo-observed study of each, re-run ABC-SMC of ``spec`` against it (database
    ``work_dir/reid-<i>.db``, seeded per set), and record, per calibrated parameter, the truth and
    the posterior's 90 % credible interval. Sets already in ``done`` are not re-run (resumable)."""
    keys = spec.uncertainty.keys
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7472]))
    truths = [{p.key: p.from_unit(float(u)) for p, u in zip(spec.uncertainty.parameters, rng.random(len(keys)))}
              for _ in range(sets)]
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
        history = run_abc(set_spec, simulate, obs, db, dist=dist)
        post = posterior_table(history, set_spec)
        w = post[WEIGHT].to_numpy(float)
        for k in spec.calibrated:
            lo, hi = credible_interval(post[k].to_numpy(float), w)
            rows.append({"set": i, "parameter": k, "truth": truth[k], "ci90_low": lo, "ci90_high": hi,
                         "covered": bool(lo <= truth[k] <= hi),
                         "width_ratio": (hi - lo) / (CI_LEVEL * (spec.ranges[k].high - spec.ranges[k].low)),
                         **{f"observed_{k2[len(STAT):]}": v for k2, v in obs.items()}})
        if log:
            n_cov = sum(r["covered"] for r in rows if r["set"] == i)
            log(f"set {i}: {n_cov}/{len(spec.calibrated)} intervals contain the truth, {time.perf_counter() - t0:.0f} s")
        db.unlink()
        _save_progress(work_dir, pd.DataFrame(rows))
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


def coverage_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Share of sets whose 90 % interval contains the truth, per parameter and overall."""
    per = rows.groupby("parameter", sort=False).agg(sets=("set", "nunique"), covered=("covered", "mean"),
                                                    width_ratio=("width_ratio", "mean")).reset_index()
    total = pd.DataFrame([{"parameter": "all", "sets": rows["set"].nunique(), "covered": rows["covered"].mean(),
                           "width_ratio": rows["width_ratio"].mean()}])
    return pd.concat([per, total], ignore_index=True)


def coverage_markdown(table: pd.DataFrame) -> str:
    lines = ["| parameter | sets | 90 % interval contains the truth | mean width / prior's |", "|---|---|---|---|"]
    for r in table.itertuples():
        name = "**all**" if r.parameter == "all" else f"`{r.parameter}`"
        lines.append(f"| {name} | {r.sets} | {r.covered:.0%} | {r.width_ratio:.2f} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Generated documentation (docs/calibration.md): tables between <!-- begin:NAME --> and <!-- end:NAME -->


def default_posterior_dir() -> Path:
    from ..config import config_dir

    return config_dir() / "posterior"


def docs_tables(posterior_dir: str | Path | None = None) -> dict[str, str]:
    """The generated tables of docs/calibration.md, from the shipped files of ``posterior_dir``
    (default ``configs/posterior``): screen.csv, draws.csv + provenance.yaml, reidentification.csv."""
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
    return out


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
                     "reidentification.csv (check=reidentify) here, e.g. configs/posterior (default: nowhere)",
    "population": "particles per generation, comma-separated (default: the config's)",
    "seeds_per_particle": "model runs pooled into one simulated study (default: the config's)",
    "seed": "root seed (default: the config's)",
    "processes": "worker processes; each samples a fixed share of every generation, so the result depends on this "
                 "number but not on timing (default: the config's)",
    "sets": "known worlds checked by check=reidentify (default: 20; with bank=, all of the bank's)",
    "bank": "with check=reidentify: the out_dir of a finished method=abc run; its prior generation's simulated "
            "worlds are the known worlds and the prior sample (leave one out), instead of new simulations",
}
ABC_FILES = frozenset({DB_FILE, f"{DB_FILE}-journal", SPEC_FILE, "draws.csv", "particles.csv", "narrowing.csv",
                       "predictive.csv", "generations.csv", "provenance.yaml", "morris.csv", "selection.csv",
                       "reidentify.csv", "reidentification.csv", ".lock"})


def _usage() -> str:
    width = max(map(len, SETTINGS))
    return "\n".join([
        "usage: bsc-sim calibrate method=abc|screen [KEY=VALUE ...]",
        "       bsc-sim calibrate check=reidentify [sets=20] [population=40,40] [KEY=VALUE ...]", "",
        "A posterior of the uncertain parameters (configs/uncertainty/default.yaml) given the registered",
        "calibration facts, by ABC-SMC (pyabc); see docs/calibration.md. Seeded and resumable: the pyabc",
        "database stays in out_dir and a re-run continues from the last finished generation.", "",
        "  bsc-sim calibrate method=screen out_dir=outputs/screen",
        "  bsc-sim calibrate method=abc out_dir=outputs/abc posterior_dir=configs/posterior",
        "  bsc-sim calibrate check=reidentify sets=20 population=40,40 out_dir=outputs/reidentify",
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
                    bank: Path | None = None) -> None:
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
    else:
        sets = 20 if sets is None else sets
        _identity_check(spec, out_dir, {"check": "reidentify", "sets": sets})
        done_file = out_dir / "reidentify.csv"
        done = pd.read_csv(done_file) if done_file.exists() else None
        rows = reidentify(spec, FactSimulator(spec), sets=sets, work_dir=out_dir, seed=spec.seed, log=log, done=done)
        how = f"ABC-SMC re-run per set, populations {','.join(map(str, spec.population))}"
    cov = coverage_table(rows)
    cov["method"] = how
    cov["seeds_per_particle"] = spec.seeds_per_particle
    atomic_write(out_dir / "reidentification.csv", lambda p: cov.to_csv(p, index=False))
    log(coverage_markdown(cov))
    log(f"{time.perf_counter() - t0:.0f} s in this session")
    if posterior_dir is not None:
        _publish(posterior_dir, {"reidentification.csv": out_dir / "reidentification.csv"})
        log(f"published reidentification.csv to {posterior_dir}/")


def cmd_abc(argv: list[str]) -> int:
    """``bsc-sim calibrate method=abc|screen`` or ``check=reidentify``; 2 on bad input."""
    if any(a in ("-h", "--help") for a in argv):
        print(_usage())
        return 0
    log = lambda line: print(line, flush=True)  # noqa: E731
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
        spec = load_abc_spec(settings.get("config"), population=_population(settings.get("population")),
                             seeds_per_particle=None if spp is None else _int(spp, "seeds_per_particle"), seed=seed,
                             processes=None if procs is None else _int(procs, "processes"))
        sets = _int(settings["sets"], "sets") if settings.get("sets") is not None else None
        bank = Path(settings["bank"]) if settings.get("bank") else None
        if bank is not None and check is None:
            raise ParamError("bank: only with check=reidentify")
        with store_lock(out_dir):
            if name == "abc":
                _cmd_abc(spec, out_dir, posterior_dir, argv, log)
            elif name == "screen":
                _cmd_screen(spec, settings, out_dir, posterior_dir, log)
            else:
                _cmd_reidentify(spec, sets, out_dir, posterior_dir, log, bank=bank)
    except ParamError as exc:
        print(f"bsc-sim calibrate: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt as exc:
        return report_interrupt("calibrate", exc, kept=f"finished generations are kept in {DB_FILE}")
    return 0
