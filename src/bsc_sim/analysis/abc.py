"""A calibrated posterior: Morris screen, ABC-SMC (pyabc) and a re-identification check.

``bsc-sim calibrate method=screen|abc`` and ``bsc-sim calibrate check=reidentify`` (see
:func:`.abc_cli.cmd_abc`; the screen and the re-identification check are in :mod:`.abc_checks`); the settings live in ``configs/calibration/abc.yaml``.

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
           "narrowing_markdown", "predictive_table", "predictive_markdown", "DB_FILE", "BAD_STAT"]

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
             "processes", "screen", "reidentify"}
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


def reidentify_settings(path: str | Path | None = None) -> dict[str, Any]:
    """The ``reidentify:`` section of the ABC settings (sets, population, processes of the full
    re-identification check); empty if absent."""
    from ..datafiles import read_yaml_file

    path = Path(path) if path is not None else default_abc_file()
    if not path.is_file():
        raise ParamError(f"abc = {str(path)!r}: file not found")
    data = read_yaml_file(path, f"abc = {str(path)!r}") or {}
    section = data.get("reidentify") or {}
    if not isinstance(section, dict) or set(section) - {"sets", "population", "processes"}:
        raise ParamError(f"abc = {str(path)!r}: reidentify: expected a mapping of sets, population, processes")
    return dict(section)


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
    every fact, and the value of every uncertain parameter (the whole world).

    With ``memo=True`` every study is remembered by its world and seeds (a study is a
    deterministic function of both), so a study asked for again is not simulated again: the
    re-identification check shares one prior sample (generation 0) among its sets.
    """

    def __init__(self, spec: AbcSpec, *, memo: bool = False):
        from ..batch import Batch

        self.spec = spec
        self.batch = Batch(list(spec.design))
        self.columns = sorted(set().union(*(f.model.columns() for f in spec.facts)))
        self.invalid = 0  # worlds the parameters refused (recorded as undefined statistics)
        self.memo: dict[tuple, dict[str, float]] | None = {} if memo else None
        self.simulated = 0  # studies simulated (not read from the memo)
        self.reused = 0     # studies read from the memo

    def world(self, theta: Mapping[str, float]) -> dict[str, float]:
        ranges = self.spec.ranges
        u = np.random.random(len(self.spec.nuisance))
        world = {k: ranges[k].from_unit(float(x)) for k, x in zip(self.spec.nuisance, u)}
        world.update({k: float(theta[k]) for k in self.spec.calibrated})
        return {k: world[k] for k in self.spec.uncertainty.keys}

    def study(self, world: Mapping[str, float], seeds: Sequence[int]) -> dict[str, float]:
        if self.memo is not None:
            key = (tuple(float(world[k]) for k in self.spec.uncertainty.keys), tuple(int(s) for s in seeds))
            if key in self.memo:
                self.reused += 1
                return dict(self.memo[key])
            stats = self._study(world, seeds)
            self.memo[key] = dict(stats)
            return stats
        return self._study(world, seeds)

    def _study(self, world: Mapping[str, float], seeds: Sequence[int]) -> dict[str, float]:
        self.simulated += 1
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
            dist: Callable[[Mapping[str, float], Mapping[str, float]], float] | None = None,
            prior_seed: int | None = None):
    """Run (or resume) ABC-SMC of ``spec`` with ``simulate`` against ``obs``; the pyabc database is ``db``.

    Generation ``t`` reseeds numpy's global generator from ``SeedSequence([spec.seed, t])``:
    generation 0 samples the prior (epsilon infinite); generation ``t >= 1`` accepts distances
    below the ``alpha`` quantile of generation ``t - 1``'s. Returns the pyabc History.
    ``prior_seed`` (if given) seeds generation 0 instead of ``spec.seed``: runs against different
    observed studies with the same ``prior_seed`` then draw the same prior sample (which does not
    depend on the observed study), and a memoising simulator simulates it once.
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
        root = prior_seed if (t == 0 and prior_seed is not None) else spec.seed
        sampler = _split_sampler(spec.processes, int(np.random.SeedSequence([root, 0x73706C]).generate_state(1)[0]))
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
        root = prior_seed if (t == 0 and prior_seed is not None) else spec.seed
        np.random.seed(int(np.random.SeedSequence([root, t]).generate_state(1)[0]))
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
