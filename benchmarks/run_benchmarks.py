"""Speed of bsc_sim in one command: ``uv run python benchmarks/run_benchmarks.py``.

Prints, and writes to ``benchmarks/results/latest.txt``:

1. time per run of the default design (``run_sim``), median over seeds, split init / run;
2. the same for a 100-programme cohort over the full horizon;
3. agent-steps per second for both (staff posts + families, times weeks);
4. the share of step time each phase of ``BSCModel.PHASES`` takes in the 100-programme model;
5. the spread step against two per-agent Mesa references of the same rule on the same network
   (``mesa_reference.py``): an idiomatic Mesa 3 one (``Network`` space, ``cell.neighborhood``) and
   a tuned one (neighbours in Python lists); (a) the model's own spread step, all 5 practices in
   one call on a 100-programme staff network, and (b) one practice on Watts-Strogatz graphs.

Timings are medians of repeated runs in one process; on a shared 2-core machine they move by
about +-30% between runs, so the report gives ratios measured in the same run and never asserts
an absolute time.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import mesa
import networkx as nx
import numpy as np

from bsc_sim.config import load_params
from bsc_sim.model import BSCModel
from bsc_sim.run import git_revision, run_sim
from bsc_sim.spread import SpreadNetwork, contagion_step

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the references live next to this script, not in the package
from mesa_reference import NetworkSpreadReference, TunedSpreadReference  # noqa: E402

COHORT_100 = ["cohort.n_programs=100"]
MODEL_STEPS = 50         # (a) steps of the model's spread step (about a year of weeks)
SMALL_WORLD_STEPS = 30   # (b) steps of the single-practice Watts-Strogatz rows
DETERMINISTIC = {"p_spontaneous": 0.0, "q_imitation": 0.0, "p_threshold": 1.0}
RATIO_TARGET = 100  # the target for kernel speed-up over idiomatic Mesa


class Report:
    """Collects printed lines so the same text can be written to a file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms"


def source_state() -> str:
    """HEAD and whether src/ has uncommitted edits: the figures belong to the tree as it ran."""
    head = (git_revision() or "unknown")[:10]
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=HERE.parent,
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return f"git {head}"
    n = len(out.splitlines())
    return f"git {head}" + (f" + {n} uncommitted file(s) in src/" if n else " (src/ clean)")


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Wall time of one call; collect garbage first so earlier runs' cycles are not billed here."""
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# --- 1-3: whole runs --------------------------------------------------------------------------

def bench_runs(report: Report, label: str, overrides: list[str], seeds: range) -> dict:
    """Median time of ``run_sim`` over ``seeds``, split into init and run, and agent-steps/s."""
    params = load_params(overrides)
    run_sim(params, seed=10_000)  # warm-up: first-call costs (lazy imports, caches) are not a run
    rows = []
    for seed in seeds:
        wall, res = timed(lambda: run_sim(params, seed=seed))
        agents = res.summary["n_staff_slots"] + res.summary["n_families"]
        weeks = res.meta["horizon_weeks"]
        rows.append({"wall": wall, "init": res.meta["seconds_init"], "run": res.meta["seconds_run"],
                     "agents": agents, "weeks": weeks, "rate": agents * weeks / res.meta["seconds_run"]})
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    runs = [r["run"] for r in rows]
    report(f"{label}: {len(rows)} seeds, {params.cohort.n_programs} programmes, "
           f"median {med['agents']:.0f} agents (staff posts + families), {med['weeks']:.0f} weeks")
    report(f"  init (build model)        {ms(med['init'])}")
    report(f"  run  (all weeks)          {ms(med['run'])}   "
           f"[min {min(runs) * 1e3:.1f}, max {max(runs) * 1e3:.1f}]")
    report(f"  run_sim wall (+ tables)   {ms(med['wall'])}")
    report(f"  agent-steps/s (run only)  {med['rate']:10.3g}")
    report()
    return med


# --- 4: phase shares --------------------------------------------------------------------------

def new_timed_model(params, seed: int) -> BSCModel:
    """``BSCModel`` as run_sim builds it, with per-phase timing on.

    Newer models take ``time_phases=`` in the constructor; older ones only have the attribute.
    """
    if "time_phases" in inspect.signature(BSCModel).parameters:
        return BSCModel(params, seed=seed, create_agents=False, time_phases=True)
    model = BSCModel(params, seed=seed, create_agents=False)
    model.time_phases = True
    return model


def bench_phases(report: Report, overrides: list[str], seeds: range) -> dict[str, float]:
    """Share of step time per phase, summed over ``seeds`` (BSCModel with ``time_phases``)."""
    params = load_params(overrides)
    totals = dict.fromkeys(BSCModel.PHASES, 0.0)
    wall = 0.0
    for seed in seeds:
        model = new_timed_model(params, seed)
        wall += timed(model.run)[0]
        weeks = model.week
        for name, sec in model.phase_seconds.items():
            totals[name] += sec
    phased = sum(totals.values())
    report(f"Phase shares, {params.cohort.n_programs} programmes, {len(seeds)} seeds "
           f"(share of time inside phases; mean ms per run)")
    for name in sorted(totals, key=totals.get, reverse=True):
        report(f"  {name:<15} {totals[name] / phased:6.1%}  {totals[name] / len(seeds) * 1e3:8.1f} ms")
    report(f"  outside phases  {(wall - phased) / wall:6.1%} of wall time (step loop, progress scoring)")
    report()
    return {k: v / phased for k, v in totals.items()}, totals["spread"] / (len(seeds) * weeks)


# --- 5: spread kernel against the Mesa references ---------------------------------------------

class VectorisedRun:
    """The kernel as the model calls it: ``adopted |= contagion_step(...)``, one call per step."""

    def __init__(self, weights, threshold, seeds, *, rng: int, eligible=None, active=None, **rates) -> None:
        self.network = SpreadNetwork(weights)
        self.state = np.array(seeds, dtype=bool)
        self.rng = np.random.default_rng(rng)
        self.kwargs = {"threshold": threshold, "eligible": eligible, "active": active, **rates}

    def step(self) -> None:
        self.state |= contagion_step(self.network, self.state, self.rng, **self.kwargs)

    def adopted(self) -> np.ndarray:
        return self.state


IMPLEMENTATIONS = {  # name: (class, minimum repetitions)
    "vectorised": (VectorisedRun, 10),
    "idiomatic": (NetworkSpreadReference, 1),
    "tuned": (TunedSpreadReference, 2),
}


def time_row(case: dict, budget_s: float) -> dict[str, dict]:
    """Median init time, median time of one step, and the final states, per implementation.

    A repetition builds an implementation (timed as init) and steps it ``case["n_steps"]`` times,
    each step timed alone; the per-step figure is the median over every step of every repetition.
    The implementations take turns, one repetition each per round, so a burst of load from
    elsewhere on the machine hits all of them rather than one; rounds go on until ``budget_s``
    has passed, then only the implementations short of their minimum repetitions continue.
    Repetition ``r`` seeds the random stream with ``r`` (Mesa's stdlib ``random`` for the references).
    """
    out = {name: {"inits": [], "steps": [], "finals": []} for name in IMPLEMENTATIONS}
    start = time.perf_counter()
    while True:
        short = [name for name, (_, least) in IMPLEMENTATIONS.items() if len(out[name]["inits"]) < least]
        over = time.perf_counter() - start >= budget_s
        if over and not short:
            break
        for name in short if over else IMPLEMENTATIONS:
            cls, rec = IMPLEMENTATIONS[name][0], out[name]
            gc.collect()
            t0 = time.perf_counter()
            run = cls(case["weights"], case["threshold"], case["seeds"], rng=len(rec["inits"]),
                      eligible=case["eligible"], active=case["active"], **case["rates"])
            rec["inits"].append(time.perf_counter() - t0)
            for _ in range(case["n_steps"]):
                t0 = time.perf_counter()
                run.step()
                rec["steps"].append(time.perf_counter() - t0)
            rec["finals"].append(np.array(run.adopted(), dtype=bool))
            del run
            NetworkSpreadReference.release_caches()  # else Mesa's cache keeps the last model alive
    return {name: {"init": statistics.median(rec["inits"]), "step": statistics.median(rec["steps"]),
                   "reps": len(rec["inits"]), "finals": rec["finals"]} for name, rec in out.items()}


def small_world(n: int, k: int, p: float, rng: np.random.Generator):
    G = nx.watts_strogatz_graph(n, k, p, seed=int(rng.integers(2**31)))
    return nx.to_scipy_sparse_array(G, nodelist=range(n), format="csr")


def model_cases(seed: int = 1) -> tuple[list[dict], str]:
    """(a) the model's spread step: what ``WithinProgramSpread.step`` passes to the kernel at week 0.

    A 100-programme model as ``run_sim`` builds it; all P practices in one call, on its staff
    network, with its effective (S, P) thresholds, eligibility, present staff and initial use.
    Two regimes: the model's own rates (the headline) and the deterministic rule, where all three
    implementations must end in the same state.
    """
    model = BSCModel(load_params(COHORT_100), seed=seed, create_agents=False)
    st, s = model.pop.staff, model.params.spread
    base = {"weights": model.pop.staff_network.weights, "seeds": st.use.copy(), "eligible": st.eligible,
            "active": st.present, "threshold": model.components["spread"].effective_threshold(model),
            "n_steps": MODEL_STEPS, "group": "a"}
    name = f"model staff, {model.pop.n_programs} prog."
    rates = {"p_spontaneous": s.p_spontaneous, "q_imitation": s.q_imitation, "p_threshold": s.p_threshold,
             "min_sources": s.min_sources}
    det = {**DETERMINISTIC, "min_sources": s.min_sources}
    note = (f"model rates p={s.p_spontaneous:.2g}, q={s.q_imitation:.2g}, p_threshold={s.p_threshold}, "
            f"min_sources={s.min_sources}; deterministic p=q=0, p_threshold=1, same min_sources")
    return [{**base, "name": name, "regime": "model rates", "rates": rates, "headline": True},
            {**base, "name": name, "regime": "determin.", "rates": det, "deterministic": True}], note


def small_world_cases() -> list[dict]:
    """(b) one practice on Watts-Strogatz graphs, n = 3,000 and 20,000 (larger than the model needs,
    to show how the ratios grow with N), default rates; 5% seeds.

    Two regimes: a cascade (thresholds U(0.05, 0.35)), where the references skip agents that have
    adopted, and no cascade (thresholds above 1, only p and q act), where every agent scans its
    neighbours every step: the worst case for a per-agent loop.
    """
    s = load_params().spread
    rates = {"p_spontaneous": s.p_spontaneous, "q_imitation": s.q_imitation, "p_threshold": s.p_threshold,
             "min_sources": s.min_sources}
    rng = np.random.default_rng(20240601)
    cases = []
    for n in (3000, 20000):
        W = small_world(n, 10, 0.1, rng)
        seeds = rng.random(n) < 0.05
        for regime, theta in (("cascade", rng.uniform(0.05, 0.35, n)), ("no cascade", np.full(n, 1.01))):
            cases.append({"name": "Watts-Strogatz k=10", "regime": regime, "weights": W, "seeds": seeds,
                          "threshold": theta, "eligible": None, "active": None, "rates": rates,
                          "n_steps": SMALL_WORLD_STEPS, "group": "b"})
    return cases


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f}us"
    return f"{seconds * 1e3:.1f}ms" if seconds < 1 else f"{seconds:.2f}s"


def bench_spread(report: Report, budget_s: float) -> list[dict]:
    """Steps of the vectorised kernel and of both Mesa references: same rule, network, seeds, rates."""
    cases_a, note_a = model_cases()
    cases = cases_a + small_world_cases()
    report("Spread step: vectorised kernel vs per-agent Mesa references (same rule, network, seeds, rates)")
    report("  idiomatic = Mesa 3 Network space, FixedAgent, self.cell.neighborhood.agents each step;")
    report("  tuned     = Mesa agents, neighbours pre-resolved into Python lists (the stronger baseline).")
    report("  Times per step: median over every step of every repetition (implementations take turns); "
           "init timed apart.")
    report(f"  (a) the model's spread step: all practices in one call, week-0 state ({note_a}); "
           f"{MODEL_STEPS} steps")
    report(f"  (b) one practice, Watts-Strogatz, default rates, 5% seeds; {SMALL_WORLD_STEPS} steps")
    report(f"  {'':2}{'network':<24}{'nodes':>6}{'P':>3} {'regime':<12}{'vec step':>9}{'idiom step':>11}"
           f"{'tuned step':>11}{'idiom/vec':>10}{'tuned/vec':>10}   {'init vec/idiom/tuned':<24}{'reps':<10}"
           "final adopters vec/idiom/tuned")
    rows = []
    for case in cases:
        res = time_row(case, budget_s)
        vec, idiom, tuned = res["vectorised"], res["idiomatic"], res["tuned"]
        row = {**{k: case.get(k) for k in ("name", "regime", "group", "headline")},
               "nodes": case["weights"].shape[0],
               "practices": 1 if case["seeds"].ndim == 1 else case["seeds"].shape[1],
               "vec": vec["step"], "idiom": idiom["step"], "tuned": tuned["step"],
               "r_idiom": idiom["step"] / vec["step"], "r_tuned": tuned["step"] / vec["step"]}
        finals = "/".join(f"{np.mean([f.sum() for f in r['finals']]):.0f}" for r in (vec, idiom, tuned))
        if case.get("deterministic"):  # no randomness acts: the three must end in the same state
            same = all(np.array_equal(f, vec["finals"][0]) for r in (vec, idiom, tuned) for f in r["finals"])
            row["identical"] = same
            finals += " (identical)" if same else " (MISMATCH)"
        inits = "/".join(fmt_time(r["init"]) for r in (vec, idiom, tuned))
        reps = "/".join(str(r["reps"]) for r in (vec, idiom, tuned))
        report(f"  {case['group']} {row['name']:<24}{row['nodes']:>6}{row['practices']:>3} {row['regime']:<12}"
               f"{fmt_time(vec['step']):>9}{fmt_time(idiom['step']):>11}{fmt_time(tuned['step']):>11}"
               f"{row['r_idiom']:>9.0f}x{row['r_tuned']:>9.0f}x   {inits:<24}{reps:<10}{finals}")
        rows.append(row)
    met_idiom = sum(r["r_idiom"] >= RATIO_TARGET for r in rows)
    met_tuned = sum(r["r_tuned"] >= RATIO_TARGET for r in rows)
    report(f"  ratio = Mesa reference step / vectorised step; the issue's target is >= {RATIO_TARGET}x over the "
           f"idiomatic reference (met in {met_idiom} of {len(rows)} rows; over the tuned reference in {met_tuned})")
    head = next(r for r in rows if r.get("headline"))
    report(f"  HEADLINE, the model's spread step ({head['practices']} practices, {head['nodes']} staff, "
           f"model rates): vectorised {fmt_time(head['vec'])} vs idiomatic Mesa {fmt_time(head['idiom'])} per step "
           f"= {head['r_idiom']:.0f}x (target >= {RATIO_TARGET}x: {verdict(head)}); vs the tuned reference "
           f"{fmt_time(head['tuned'])} = {head['r_tuned']:.0f}x")
    report()
    return rows


def verdict(row: dict) -> str:
    """Whether a spread row meets the issue's ratio target over the idiomatic reference."""
    return "met" if row["r_idiom"] >= RATIO_TARGET else "NOT met"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--default-seeds", type=int, default=20, help="seeds for the default design (default 20)")
    ap.add_argument("--cohort-seeds", type=int, default=5,
                    help="seeds for the 100-programme cohort (default 5)")
    ap.add_argument("--spread-budget", type=float, default=6.0,
                    help="seconds spent timing each spread row (all three implementations in turn); "
                         "at least 10 / 1 / 2 repetitions of vectorised / idiomatic / tuned whatever "
                         "the budget (default 6)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/results/latest.txt")
    args = ap.parse_args(argv)

    report = Report()
    t0 = time.perf_counter()
    report(f"bsc_sim benchmarks  {time.strftime('%Y-%m-%d %H:%M:%S')}  {source_state()}")
    report(f"python {platform.python_version()}, mesa {mesa.__version__}, numpy {np.__version__}, "
           f"{os.cpu_count()} cores, {platform.machine()}; timings are medians, noisy +-30% between runs")
    report()
    default = bench_runs(report, "Default design", [], range(args.default_seeds))
    cohort = bench_runs(report, "100-programme cohort", COHORT_100, range(args.cohort_seeds))
    shares, spread_week = bench_phases(report, COHORT_100, range(3))
    spread_rows = bench_spread(report, args.spread_budget)

    top = max(shares, key=shares.get)
    report("Summary")
    report(f"  default run {default['run'] * 1e3:.0f} ms (+ init {default['init'] * 1e3:.1f} ms), "
           f"{default['rate']:.3g} agent-steps/s")
    report(f"  100-programme run {cohort['run'] * 1e3:.0f} ms (+ init {cohort['init'] * 1e3:.1f} ms), "
           f"{cohort['rate']:.3g} agent-steps/s; 100 programmes cost {cohort['run'] / default['run']:.1f}x "
           f"the default per run for {cohort['agents'] / default['agents']:.1f}x the agents")
    report(f"  largest phase at 100 programmes: {top} ({shares[top]:.0%})")
    head = next(r for r in spread_rows if r.get("headline"))
    report(f"  the model's spread step ({head['practices']} practices, model rates): {head['r_idiom']:.0f}x the "
           f"idiomatic Mesa reference (target >= {RATIO_TARGET}x: {verdict(head)}), {head['r_tuned']:.0f}x the tuned "
           f"one; the model's whole spread phase (thresholds, kernel, families) takes "
           f"{spread_week * 1e3:.2f} ms per week")
    report("  spread, idiomatic/vec: " + ", ".join(f"{r['r_idiom']:.0f}x" for r in spread_rows)
           + "; tuned/vec: " + ", ".join(f"{r['r_tuned']:.0f}x" for r in spread_rows) + " (rows above, in order)")
    report(f"  total benchmark time {time.perf_counter() - t0:.0f} s")

    if not args.no_write:
        out = HERE / "results" / "latest.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text("\n".join(report.lines) + "\n")
        print(f"\nwritten to {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
